"""The run's spidermon monitors: each checks one way a run fails; their result is the verdict.

``RunMonitors`` runs when the spider closes (``SPIDERMON_SPIDER_CLOSE_MONITORS``). Its
``VerdictAction`` turns the failed monitors into the run's exit status and reason, kept in the
stats for the summary line, the stats file and ``scrapy crawl``'s exit status. spidermon's own
notification actions (Slack, Telegram, Discord, email, Sentry) run when a monitor failed, each
enabled by its own settings (see the README).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.misc import load_object
from spidermon import Action, Monitor, MonitorSuite, monitors

from newsbot import config, stats, verdict
from newsbot.verdict import Finding

logger = logging.getLogger(__name__)

# unittest leaves frames of modules that set this out of a failure's report, so spidermon logs a
# failed monitor as its reason (AssertionError: REASON), not as a traceback that reads as a crash.
__unittest = True

# spidermon 1.27 (the newest) logs its report through Spider.log(), which Scrapy 2.19 deprecates:
# a warning in every run's log that says nothing about the run. Only that one is silenced.
warnings.filterwarnings(
    "ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning, r"spidermon\."
)


# spidermon's notifiers, each on when the setting that says where to send is set (or its FAKE,
# which logs the message instead of sending it).
NOTIFIERS: tuple[tuple[str, str], ...] = (
    ("SLACK_RECIPIENTS", "spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished"),
    ("TELEGRAM_RECIPIENTS", "spidermon.contrib.actions.telegram.notifiers.SendTelegramMessageSpiderFinished"),
    ("DISCORD_WEBHOOK_URL", "spidermon.contrib.actions.discord.notifiers.SendDiscordMessageSpiderFinished"),
    ("EMAIL_TO", "spidermon.contrib.actions.email.smtp.SendSmtpEmail"),
    ("SENTRY_DSN", "spidermon.contrib.actions.sentry.SendSentryMessage"),
)
_FAKE = {"EMAIL_TO": "EMAIL_FAKE", "SENTRY_DSN": "SENTRY_FAKE"}


class RunMonitor(Monitor):
    """Did the run do its job? One test per way it can fail, in the order the verdict names them."""

    ORDER = ("test_input", "test_tree", "test_listing", "test_articles")
    finding: Finding | None = None

    def _expect_none(self, finding: Finding | None) -> None:
        if finding is not None:
            self.finding = finding  # for VerdictAction: this test's own instance
            self.fail(finding.reason)

    @monitors.name("Some input was valid")
    def test_input(self) -> None:
        self._expect_none(verdict.no_valid_input(self.data.stats))

    @monitors.name("The output tree was written")
    def test_tree(self) -> None:
        self._expect_none(verdict.tree_not_written(self.data.stats))

    @monitors.name("The listing answered entries")
    def test_listing(self) -> None:
        self._expect_none(verdict.listing_failed(self.data.stats))

    @monitors.name("Most articles were fetched and written")
    def test_articles(self) -> None:
        fraction = config.max_failed_fraction(self.data.crawler.settings)
        self._expect_none(verdict.articles_failed(self.data.stats, fraction))


class VerdictAction(Action):
    """Records the verdict (the first failed monitor in ``RunMonitor.ORDER``) in the stats."""

    def run_action(self) -> None:
        findings: list[tuple[int, Finding]] = []
        for failed in self.result.monitors_failed_results:
            monitor = failed.item
            name = getattr(monitor, "_testMethodName", "")  # method_name is the display name
            finding = getattr(monitor, "finding", None)
            if finding is None:  # the monitor raised instead of failing: say so, loudly
                finding = Finding(verdict.EX_SOFTWARE, f"monitor {name or monitor} raised")
            rank = RunMonitor.ORDER.index(name) if name in RunMonitor.ORDER else -1
            findings.append((rank, finding))
        record(self.data.crawler, verdict.verdict([f for _, f in sorted(findings, key=_rank)]))


def _rank(pair: tuple[int, Finding]) -> int:
    return pair[0]


def record(crawler: Crawler, finding: Finding) -> None:
    """Keep ``finding`` as the run's verdict in its stats."""
    crawler.stats.set_value(stats.VERDICT_EXIT_CODE, finding.exit_code)
    crawler.stats.set_value(stats.VERDICT_REASON, finding.reason)
    crawler.stats.set_value(stats.SUCCESS, int(finding.exit_code == verdict.EX_OK))


class RunMonitors(MonitorSuite):
    """newsbot's monitor suite: the verdict, then whichever notifiers are configured."""

    monitors = [RunMonitor]
    monitors_finished_actions = [VerdictAction]

    def __init__(self, *args: Any, crawler: Crawler | None = None, **kwargs: Any):
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is None:
            return
        for setting, path in NOTIFIERS:
            fake = _FAKE.get(setting, setting.split("_")[0] + "_FAKE")
            settings = crawler.settings
            if not settings.get(f"SPIDERMON_{setting}") and not settings.get(f"SPIDERMON_{fake}"):
                continue
            try:
                self.add_monitors_failed_action(load_object(path))
            except Exception as exc:  # noqa: BLE001 (a bad setting, a missing package: that notifier only)
                logger.error("spidermon notifier %s not enabled: %s", path.rsplit(".", 1)[1], exc)
            else:
                logger.info("spidermon notifier %s enabled", path.rsplit(".", 1)[1])
