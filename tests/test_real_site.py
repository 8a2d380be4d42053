"""Asking the way eastmoney's own pages ask, against a stand-in that answers the listing only to
a browser on eastmoney's pages and lists caifuhao posts beside the news; and running through a
proxy given by ``http_proxy``, as a job outside mainland China must."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from newsbot.replay import ReplayServer
from tests.proxy import ForwardProxy
from tests.test_listing_crawl import Upstream, article, caifuhao

SHARE_PAGE = "/html_News/NewsShare.html?infoCode="


def text_code(path: str) -> str:
    return parse_qs(urlsplit(path).query)["id"][0]


@pytest.fixture
def news_and_posts(upstream) -> Upstream:
    """Two pages of news with caifuhao posts among them, one listed twice, one known by its link
    alone, and a 股吧 thread: each has a text answer that would make a post if it were asked for."""
    up = Upstream(upstream)
    by_link = caifuhao(92) | {"np_dst": ""}
    guba = article(93, 0) | {"url": "https://guba.eastmoney.com/news,600000,1234567890.html"}
    up.page("columns-350-1", [article(1, 0), caifuhao(91), article(2, 0), by_link, guba])
    up.page("columns-350-2", [caifuhao(91), article(3, 0, "财联社")])
    return up


def test_a_default_crawl_passes_the_gate_and_asks_nothing_for_caifuhao(
    crawl, replay: ReplayServer, news_and_posts: Upstream
):
    pages = news_and_posts.pages
    news = [pages["columns-350-1"][0], pages["columns-350-1"][2], pages["columns-350-2"][1]]
    others = [pages["columns-350-1"][1], pages["columns-350-1"][3], pages["columns-350-1"][4]]
    result = crawl("listing", "columns=350", "pages=2", settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log
    assert set(result.posts()) == {"NW" + item["code"] for item in news}
    for item in others:
        assert replay.count(item["code"]) == 0, item  # no text, no page request
        assert f"{item['code']} skipped, not an article" in result.log
    assert result.stats["newsbot/listing/entries"] == 3
    assert result.stats["newsbot/listing/skipped/caifuhao"] == 2  # the twice-listed one once
    assert result.stats["newsbot/listing/skipped/guba"] == 1
    assert "newsbot/listing/bad_entry" not in result.stats
    assert "listed=3 skipped=3 fetched=3 new=3" in result.log

    listing = replay.headers_of("getNewsByColumns")
    assert len(listing) == 2
    for headers in listing:
        assert headers["User-Agent"].startswith("Mozilla/5.0 (")
        assert headers["Referer"] == "https://finance.eastmoney.com/"
        assert headers["Accept"] == "*/*"
        assert headers["Accept-Language"].startswith("zh-CN")
    texts = [(path, headers) for path, headers in replay.received if "GetNewsText.do" in path]
    assert len(texts) == 3
    for path, headers in texts:
        # the page that makes the call: the share page on the host that answers the text
        assert headers["Referer"] == f"{replay.url}{SHARE_PAGE}{text_code(path)}"
        assert headers["Accept"].startswith("application/json")
        assert headers["User-Agent"].startswith("Mozilla/5.0 (")


@pytest.mark.parametrize(
    ("settings", "reason", "said"),
    [
        # the old bot's own name: the stand-in answers nothing at all
        ({"USER_AGENT": "newsbot (+https://github.com/newsbot)"}, "empty", "(empty"),
        # no Referer from eastmoney's pages: the error shell, whose words the log repeats
        ({"NEWSBOT_LISTING_HEADERS": "{}"}, "error_shell", "(error_shell: Required String parameter"),
    ],
)
def test_the_stand_in_refuses_what_a_browser_would_not_send(
    crawl, replay: ReplayServer, news_and_posts: Upstream, settings, reason, said
):
    result = crawl("listing", "columns=350", "pages=2", settings=settings)
    assert result.returncode == 65, result.log  # answered, but nothing readable: the verdict
    assert result.stats[f"newsbot/listing_error/{reason}"] == 2
    assert "newsbot/listing/entries" not in result.stats
    assert replay.count("GetNewsText.do") == 0
    assert result.posts() == {}
    assert said in result.log


def test_each_upstream_gets_its_own_headers_and_s_overrides_them(crawl, replay: ReplayServer):
    mirror_link = f"{replay.url}{SHARE_PAGE}NW202202242288329527"
    result = crawl("share", f"urls={mirror_link}", "codes=NW202608193168731142")
    assert result.returncode == 0, result.log
    by_code = {
        text_code(path): headers for path, headers in replay.received if "GetNewsText" in path
    }
    assert by_code["NW202202242288329527"]["Referer"] == mirror_link
    assert by_code["NW202608193168731142"]["Referer"] == (
        f"{replay.url}{SHARE_PAGE}NW202608193168731142"
    )
    (page,) = replay.headers_of("/a/202608193168731142.html")  # the text lacks title and time
    assert page["Referer"] == "https://finance.eastmoney.com/"
    assert page["Accept"].startswith("text/html")

    template = {
        "Referer": "https://choicewzp1.eastmoney.com" + SHARE_PAGE + "{code}",
        "X-Article": "{id}",
    }
    settings = {"NEWSBOT_TEXT_HEADERS": json.dumps(template), "USER_AGENT": "Mozilla/5.0 (Test)"}
    again = crawl("share", "codes=NW202608193168724510", settings=settings)
    assert again.returncode == 0, again.log
    headers = replay.headers_of("GetNewsText.do?id=NW202608193168724510")[-1]
    assert headers["Referer"] == (
        "https://choicewzp1.eastmoney.com/html_News/NewsShare.html?infoCode=NW202608193168724510"
    )
    assert headers["X-Article"] == "202608193168724510"
    assert headers["User-Agent"] == "Mozilla/5.0 (Test)"
    assert not headers["Accept"].startswith("application/json")  # the whole dict was replaced


def test_a_header_setting_that_cannot_be_sent_is_one_clear_error(crawl, replay: ReplayServer):
    bad = json.dumps({"Referer": "https://finance.eastmoney.com/\r\nX-Injected: 1"})
    result = crawl("share", "codes=NW202608193168724510", settings={"NEWSBOT_TEXT_HEADERS": bad})
    assert result.returncode == 64, result.log
    assert result.log.splitlines()[-1].startswith(
        "newsbot: not starting: -s NEWSBOT_TEXT_HEADERS: the value of 'Referer' holds a line break"
    )
    assert replay.requests == []


def test_everything_goes_through_the_proxy_given_by_http_proxy(
    crawl, replay: ReplayServer, news_and_posts: Upstream
):
    mirror_link = f"{replay.url}{SHARE_PAGE}NW202202242288329527"
    with ForwardProxy() as proxy:
        # Scrapy reads these when it starts; a no_proxy naming 127.0.0.1 would bypass the proxy
        env = {"http_proxy": proxy.url, "no_proxy": "", "NO_PROXY": ""}
        listed = crawl("listing", "columns=350", "pages=2", env=env)
        shared = crawl("share", f"urls={mirror_link}", "codes=NW202608193168731142", env=env)
    assert listed.returncode == 0, listed.log
    assert shared.returncode == 0, shared.log
    assert len(listed.posts()) == 5  # three from the listing, two shared
    assert proxy.refused == []
    assert len(replay.received) == len(proxy.forwarded) == 5 + 3  # listing: 2 pages, 3 texts
    # every request the server saw came through the proxy, and the proxy forwarded exactly those
    assert all(headers.get("Via") == ForwardProxy.VIA for _, headers in replay.received)
    assert sorted(f"{replay.url}{path}" for path in replay.requests) == sorted(proxy.forwarded)


# -- what an attack on this found -------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("NEWSBOT_TEXT_HEADERS", "null", "not a JSON object of header names and values"),
        ("NEWSBOT_LISTING_HEADERS", "1", "not a JSON object of header names and values"),
        ("NEWSBOT_ARTICLE_HEADERS", '[["Referer", "x"]]', "not a JSON object of header names and values"),
        ("NEWSBOT_TEXT_HEADERS", '{"Referer": {"a": 1}}', "the value of 'Referer' is not text"),
        ("NEWSBOT_TEXT_HEADERS", '{"Referer": "财经"}', "the value of 'Referer' is not ASCII"),
        ("USER_AGENT", "", "give a browser's User-Agent"),
    ],
)
def test_a_header_setting_that_cannot_be_sent_is_64_before_any_request(crawl, replay, setting, value, said):
    result = crawl("share", "codes=NW202608193168724510", settings={setting: value})
    assert result.returncode == 64, result.log
    assert said in result.log.splitlines()[-1] and "Traceback" not in result.log
    assert replay.requests == []


def test_a_page_of_caifuhao_only_did_its_job(crawl, replay, upstream):
    up = Upstream(upstream)
    up.page("columns-350-1", [caifuhao(91), caifuhao(92)])
    result = crawl("listing")
    assert result.returncode == 0, result.log
    assert "listed=0 skipped=2 fetched=0" in result.log and "verdict=ok" in result.log


def test_news_with_a_link_of_another_form_goes_by_its_code(crawl, replay, upstream):
    up = Upstream(upstream)
    odd = [article(n, 0) for n in (1, 2, 3)]
    odd[0]["url"] = "https://wap.eastmoney.com/news/info/detail/1"
    odd[1]["url"] = "#"
    odd[2]["url"] = "/news/cgsxw,1.html"
    up.page("columns-350-1", odd)
    result = crawl("listing")
    assert result.returncode == 0, result.log
    assert result.stats["newsbot/posts/new"] == 3 and "skipped=" not in result.log


def test_a_caifuhao_post_listed_again_with_an_edited_title_is_counted_once(crawl, replay, upstream):
    up = Upstream(upstream)
    edited = caifuhao(91) | {"title": "改过的标题"}
    up.page("columns-350-1", [article(1, 0), caifuhao(91), edited])
    result = crawl("listing")
    assert result.stats["newsbot/listing/skipped/caifuhao"] == 1
