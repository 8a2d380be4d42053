"""Scrapy settings for newsbot. Every ``NEWSBOT_`` setting can be overridden with ``-s``."""

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"
COMMANDS_MODULE = "newsbot.commands"

# Where articles come from. {code} is NW + 18 digits, {id} the 18 digits.
NEWSBOT_TEXT_URL = "https://choicewzp1.eastmoney.com/NewsData/GetNewsText.do?id={code}"
NEWSBOT_ARTICLE_URL = "https://finance.eastmoney.com/a/{id}.html"
# What posts link to.
NEWSBOT_SHARE_URL = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}"
NEWSBOT_SITE_URL = "//finews.withounder.com"
# Listing APIs: the current one, and the old site's (bare-IP hosts of its own; set them to use).
NEWSBOT_LISTING_URL = "https://np-listapi.eastmoney.com/comm/web/getNewsByColumns"
NEWSBOT_COLUMNS = ["350"]
NEWSBOT_WEBAPI_URL = ""  # e.g. http://HOST/web/webapi (api=webapi102, webapi45)
NEWSBOT_NEWMARKET_URL = ""  # e.g. http://HOST/information/newmarket/web/webapi (api=newmarket)
# The headers of each upstream's requests: what a browser on eastmoney's own page sends when
# that page makes the call (the listing API answers nothing else). Values may hold {origin} (the
# request's own scheme://host[:port]), {code} and {id}; an empty value is not sent. -s replaces
# the whole dict. The User-Agent is USER_AGENT's unless a dict names one.
NEWSBOT_LISTING_HEADERS = {
    # finance.eastmoney.com's pages call the listing API cross-origin, so a browser's referrer
    # policy (strict-origin-when-cross-origin) sends their origin only.
    "Referer": "https://finance.eastmoney.com/",
    "Accept": "*/*",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
NEWSBOT_TEXT_HEADERS = {
    # The share page asks its own host for the text: the Referer is that page on the host that
    # serves the text (a mirror's own page for a mirror's link), whole, as same-origin calls send.
    "Referer": "{origin}/html_News/NewsShare.html?infoCode={code}",
    "Accept": "application/json, text/javascript, */*; q=0.01",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
NEWSBOT_ARTICLE_HEADERS = {
    "Referer": "https://finance.eastmoney.com/",  # the site's pages are where articles are linked
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
# Skip listed articles whose post already shows the listed title and time. 0: refetch all.
NEWSBOT_INCREMENTAL = True
# A listing run moves posts older than this many days (China time) to old_post/. 0: never.
NEWSBOT_KEEP_DAYS = 3
# Bodies longer than this (bytes of UTF-8) are dropped, not cleaned: real articles are under
# 200 KB, and a MB of the costliest markup takes a second or more to clean, on the reactor.
NEWSBOT_MAX_BODY = 1024 * 1024
# Where posts go.
NEWSBOT_OUTPUT_DIR = "output"
NEWSBOT_FSYNC = False  # True: fsync each post before its rename (power-loss durability)
# Source name -> slug, for sources whose category URL must not change.
NEWSBOT_SLUGS = {"东财滚动": "emnews"}  # rolling news: tag 东财滚动新闻, URL /category/emnews.html
# The source of an article that names none anywhere (text answer, article page, source line).
NEWSBOT_DEFAULT_SOURCE = "东方财富网"
# Item fields written as front matter: the contract's, then extras (default: stocks).
NEWSBOT_POST_FIELDS = ["code", "title", "date", "slug", "source", "body", "stocks", "listing_hash"]

# Write the run's stats here when it ends (for monitoring): JSON, or Prometheus text format when
# the name ends in .prom (node_exporter's textfile collector); empty: off.
NEWSBOT_STATS_FILE = ""
# The run fails (exit 65 or 69) when more than this fraction of the articles it fetched failed.
NEWSBOT_MAX_FAILED_FRACTION = 0.5

# The run's verdict comes from spidermon monitors (newsbot/monitors.py); spidermon's notifiers
# (Slack, Telegram, Discord, email, Sentry) are enabled by their own SPIDERMON_ settings.
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newsbot.monitors.RunMonitors"]

EXTENSIONS = {
    "newsbot.extensions.quietlog.QuietLog": 0,
    "newsbot.extensions.rotate.RotateOldPosts": 500,
    "newsbot.extensions.report.MigrationReport": 800,
    # the order their spider_closed handlers run in: counts, verdict, summary line, stats file
    "spidermon.contrib.scrapy.extensions.Spidermon": 850,
    "newsbot.extensions.summary.RunSummary": 880,
    "newsbot.extensions.statsfile.StatsFile": 900,
}
DOWNLOADER_MIDDLEWARES = {
    "newsbot.middlewares.RetryBackoff": 560,  # after RetryMiddleware (550) has re-queued
}
NEWSBOT_RETRY_BACKOFF = 2.0  # seconds before the first retry; doubles each time
NEWSBOT_RETRY_BACKOFF_MAX = 60.0
ITEM_PIPELINES = {
    "newsbot.pipelines.clean.CleanBodyPipeline": 100,
    "newsbot.pipelines.normalize.NormalizePipeline": 200,
    "newsbot.pipelines.write.PostWriterPipeline": 800,
}

# Polite to a real host, which has throttled an IP for about a day after heavy use: two
# requests at a time per host at most, half a second apart at least, slower as AutoThrottle
# sees answers slow down. Tests turn these down with -s.
ROBOTSTXT_OBEY = False  # JSON endpoints and article pages the site itself links to
# A browser's: eastmoney's listing API answers nothing to any other (see the *_HEADERS above).
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Safari/537.36"
)
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
# Each answer yields one item or a few requests; Scrapy starts this many tasks per answer.
CONCURRENT_ITEMS = 8
# No remote code execution in a cron job: Scrapy 2.19 would start its remote-control HTTP
# server (it runs Python sent to it) in every crawl, and the telnet console likewise.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
