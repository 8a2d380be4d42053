"""Real ``scrapy crawl listing`` runs: incremental reruns, changes, rotation, overlap, old APIs."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsbot.dates import CHINA
from newsbot.frontmatter import split_front_matter
from tests.conftest import CRAWL_ENV, PROJECT, crawl_command

NOW = datetime.now(CHINA).replace(microsecond=0)
BODY = (
    '<p style="display:none;"><br /></p><p>正文第一段，<span id="stock_1.600160">'
    '<a class="keytip" data-code="1,600160" href="http://quote.eastmoney.com/unify/r/1.600160">'
    "巨化股份</a></span>上涨。</p><p>第二段。</p>"
)


def make_code(moment: datetime, serial: int) -> str:
    return f"NW{moment:%Y%m%d}{serial:010d}"


def article(serial: int, age_days: int, source: str = "界面新闻") -> dict:
    moment = NOW - timedelta(days=age_days, minutes=serial)
    return {
        "code": make_code(moment, serial)[2:],
        "showTime": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "title": f"第{serial}条新闻",
        "mediaName": source,
        "summary": f"摘要{serial}",
    }


def caifuhao(serial: int, age_days: int = 0) -> dict:
    """A caifuhao (财富号) user post as the listing names it beside the news: an 18-digit code like
    an article's, a caifuhao.eastmoney.com/news/ link, no uniqueUrl, ``np_dst`` CFH."""
    moment = NOW - timedelta(days=age_days, minutes=serial)
    return {
        "code": make_code(moment, serial)[2:],
        "showTime": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "title": f"财富号帖子{serial}：今天加仓了",
        "mediaName": "股海老张",
        "summary": "用户自己的帖子",
        "image": "",
        "url": f"http://caifuhao.eastmoney.com/news/{moment:%Y%m%d%H%M%S}{serial:09d}",
        "uniqueUrl": "",
        "np_dst": "CFH",
    }


class Upstream:
    """A listing and its articles, written into the replay server's folder; changeable between runs."""

    def __init__(self, root: Path):
        self.root = root
        (root / "listing").mkdir(exist_ok=True)
        self.pages: dict[str, list[dict]] = {}

    def page(self, name: str, items: list[dict], *, jsonp: bool = False, text_keys: str = "full"):
        self.pages[name] = items
        self.write_page(name, jsonp)
        for item in items:
            self.write_text(item, text_keys)

    def write_page(self, name: str, jsonp: bool = False) -> None:
        body = json.dumps({"code": 1, "data": {"list": self.pages[name]}}, ensure_ascii=False)
        if jsonp:
            body = f"jQuery1124({body});"
        (self.root / "listing" / f"{name}.json").write_text(body)

    def write_text(self, item: dict, keys: str = "full") -> None:
        answer = {"text": BODY}
        if keys == "full":
            answer |= {
                "title": item["title"],
                "showtime": item["showTime"],
                "medianame": item["mediaName"],
            }
        path = self.root / "text" / f"NW{item['code']}.json"
        path.write_text(json.dumps(answer, ensure_ascii=False))

    def change(self, name: str, index: int, **fields: str) -> dict:
        """Change an article upstream: on every page that lists it (pages are fetched in any
        order, so a stale copy on another page would race), and in its text answer."""
        item = self.pages[name][index]
        for page, items in self.pages.items():
            for other in items:
                if other["code"] == item["code"]:
                    other.update(fields)
                    self.write_page(page, jsonp=page == "columns-350-2")
        self.write_text(item)
        return item


@pytest.fixture
def listing(upstream: Path) -> Upstream:
    up = Upstream(upstream)
    # a caifuhao post too: every run must skip it, whose text answer would make a post
    up.page("columns-350-1", [article(1, 0), article(2, 0), article(3, 1, "财联社"), caifuhao(90)])
    up.page("columns-350-2", [article(4, 10), article(2, 0)], jsonp=True)  # a duplicate, and old
    up.page("columns-351-1", [article(5, 0, "财联社")], text_keys="text only")  # listing fills gaps
    return up


ARGS = ("columns=350,351", "pages=2", "page_size=3")


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def test_two_runs_then_a_change(crawl, replay, listing):
    first = crawl("listing", *ARGS)
    assert first.returncode == 0, first.log
    assert first.stats["newsbot/listing/entries"] == 5
    assert first.stats["newsbot/listing/skipped/caifuhao"] == 1
    assert first.stats["newsbot/posts/new"] == 5
    assert first.stats["newsbot/listing_error/http_404"] == 1  # columns-351-2 is not recorded
    assert "newsbot/article_page/fetched" not in first.stats  # the listing filled the text's gaps
    assert first.stats["newsbot/posts/rotated"] == 1
    old_code = "NW" + listing.pages["columns-350-2"][0]["code"]
    assert list(first.posts("old_post")) == [old_code]
    assert len(first.posts()) == 4
    front, _ = split_front_matter(
        first.posts()["NW" + listing.pages["columns-351-1"][0]["code"]].read_text()
    )
    assert (front["title"], front["categories"]) == ("第5条新闻", "cailianshe")
    assert sorted(p.name for p in (first.output / "category").iterdir()) == [
        "cailianshe.html",
        "jiemianxinwen.html",
    ]
    assert "newsbot run finished: listed=5 skipped=1 fetched=5 new=5" in first.log  # a caifuhao post

    texts_before = replay.count("GetNewsText.do")
    before = snapshot(first.output)
    second = crawl("listing", *ARGS)
    assert replay.count("GetNewsText.do") == texts_before  # no text request for unchanged articles
    assert replay.count("/a/") == 0
    assert (
        snapshot(second.output) == before
    )  # nothing written, mtimes alone, no copy of the old one
    assert second.stats["newsbot/listing/unchanged"] == 5
    assert second.stats["newsbot/listing/skipped/caifuhao"] == 1
    assert replay.count(listing.pages["columns-350-1"][3]["code"]) == 0  # never asked for
    assert "newsbot/posts/new" not in second.stats
    assert "listed=5 skipped=1 fetched=0 new=0 updated=0 unchanged=5 rotated=0" in second.log

    retitled = listing.change("columns-350-1", 0, title="第1条新闻（更新）")
    redated = listing.change(
        "columns-350-1", 1, showTime=(NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    )
    third = crawl("listing", *ARGS)
    assert replay.count("GetNewsText.do") == texts_before + 2
    assert third.stats["newsbot/posts/updated"] == 2
    assert third.stats["newsbot/posts/moved"] == 1
    posts = third.posts()
    assert (
        split_front_matter(posts["NW" + retitled["code"]].read_text())[0]["title"]
        == "第1条新闻（更新）"
    )
    moved = posts["NW" + redated["code"]]
    assert moved.name.startswith(redated["showTime"][:10])
    assert len(list(third.output.rglob(f"*{redated['code']}.md"))) == 1  # moved, no copy left
    changed = {
        moved.relative_to(third.output).as_posix(),
        posts["NW" + retitled["code"]].relative_to(third.output).as_posix(),
        ".newsbot/index.json",  # the tree's record: a post was moved off its code's date
    }
    after = snapshot(third.output)
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k in after and k not in changed
    }


def test_full_refetch_on_request(crawl, replay, listing):
    crawl("listing", *ARGS)
    before = replay.count("GetNewsText.do")
    again = crawl("listing", *ARGS, settings={"NEWSBOT_INCREMENTAL": "0"})
    assert replay.count("GetNewsText.do") == before + 5
    assert again.stats["newsbot/posts/unchanged"] == 5


def test_share_updates_a_rotated_post_in_place(crawl, listing):
    first = crawl("listing", *ARGS)
    old_code, old_path = next(iter(first.posts("old_post").items()))
    mtime = old_path.stat().st_mtime_ns
    shared = crawl("share", f"codes={old_code}")
    assert shared.posts().get(old_code) is None  # not copied back into _posts/
    assert list(shared.posts("old_post")) == [old_code]
    assert old_path.stat().st_mtime_ns == mtime  # unchanged upstream: not even rewritten
    assert shared.stats["newsbot/posts/unchanged"] == 1


def test_share_writes_old_articles_into_posts(crawl, listing):
    code = "NW" + listing.pages["columns-350-2"][0]["code"]
    result = crawl("share", f"codes={code}")
    assert list(result.posts()) == [code]
    assert "newsbot/posts/rotated" not in result.stats


def webapi102(a: dict) -> dict:
    url = f"http://finance.eastmoney.com/a/{a['code']}.html"
    return {
        "records": [
            {
                "infoCode": "NW" + a["code"],
                "id": a["code"],
                "title": a["title"],
                "digest": "d",
                "url_w": url,
                "showtime": a["showTime"],
            }
        ]
    }


def webapi45(a: dict) -> dict:
    return {
        "nodeList": [
            {
                "infocode": a["code"],
                "title": a["title"],
                "showtime": a["showTime"],
                "from": "财联社",
                "simtitle": a["title"],
                "simdigest": "d",
            }
        ]
    }


def newmarket(a: dict) -> dict:
    return {
        "record": [
            {
                "infoCode": "NW" + a["code"],
                "title": a["title"],
                "datetime": a["showTime"],
                "medianame": "财联社",
            }
        ]
    }


@pytest.mark.parametrize(
    ("api", "page", "shape", "slug"),
    [
        # type=102 names no source: the article page (not recorded) fails, the default applies
        ("webapi102", "webapi-102", webapi102, "dongfangcaifuwang"),
        ("webapi45", "webapi-45", webapi45, "cailianshe"),
        ("newmarket", "newmarket-38", newmarket, "cailianshe"),
    ],
)
def test_old_listing_apis(crawl, upstream, api, page, shape, slug):
    item = article(7, 0, "财联社")
    up = Upstream(upstream)
    up.write_text(item, keys="text only")
    (upstream / "listing" / f"{page}.json").write_text(json.dumps(shape(item), ensure_ascii=False))
    result = crawl("listing", f"api={api}", "market=38", "count=10")
    assert result.returncode == 0, result.log
    front, _ = split_front_matter(result.posts()["NW" + item["code"]].read_text())
    assert (front["title"], front["categories"]) == (item["title"], slug)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [('{"code": 1, "data": null}', "no_list"), ("<html>busy</html>", "not_json"), ("", "empty")],
)
def test_a_bad_listing_page_does_not_stop_the_others(crawl, listing, answer, reason):
    (listing.root / "listing" / "columns-350-1.json").write_text(answer)
    result = crawl("listing", *ARGS)
    assert result.returncode == 0
    assert result.stats[f"newsbot/listing_error/{reason}"] == 1
    assert result.stats["newsbot/posts/new"] == 3  # the two on page 350-2, the one on 351-1
    assert any(
        "column=350&" in line and "page_index=1&" in line and f"unusable ({reason}" in line
        for line in result.log.splitlines()
    )


def test_overlapping_runs_never_both_write(crawl_settings, listing, tmp_path):
    slow = listing.root / "text" / f"NW{listing.pages['columns-350-1'][0]['code']}.json.meta.json"
    slow.write_text(json.dumps({"delay": 8}))
    settings = crawl_settings(DOWNLOAD_TIMEOUT="30")
    first_log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(
        crawl_command("listing", ARGS, settings), cwd=PROJECT, env=CRAWL_ENV, stderr=first_log
    )
    posts = Path(settings["NEWSBOT_OUTPUT_DIR"]) / "_posts"
    deadline = time.monotonic() + 30
    while len(list(posts.glob("*.md"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the first run has written what is not slow
    time.sleep(1.0)  # the first run is now inside its crawl, waiting on the slow answer
    before = snapshot(Path(settings["NEWSBOT_OUTPUT_DIR"]))
    started = time.monotonic()
    second = subprocess.run(
        crawl_command(
            "listing", ARGS, {**settings, "NEWSBOT_STATS_FILE": str(tmp_path / "s2.json")}
        ),
        cwd=PROJECT,
        env=CRAWL_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 75
    assert time.monotonic() - started < 10
    assert "not starting" in second.stderr and "another newsbot run is writing" in second.stderr
    assert snapshot(Path(settings["NEWSBOT_OUTPUT_DIR"])) == before
    assert not (tmp_path / "s2.json").exists()
    assert first.wait(timeout=60) == 0, (tmp_path / "first.log").read_text()
    first_log.close()
    assert len(list((Path(settings["NEWSBOT_OUTPUT_DIR"]) / "_posts").glob("*.md"))) == 4


def test_text_answer_disagreeing_with_the_listing_is_not_refetched_forever(crawl, replay, listing):
    item = listing.pages["columns-350-1"][0]
    answer = listing.root / "text" / f"NW{item['code']}.json"
    data = json.loads(answer.read_text())
    data["title"] = "正文里的标题，与列表不同"
    data["showtime"] = data["showtime"][:-2] + "37"  # seconds the listing does not show
    answer.write_text(json.dumps(data, ensure_ascii=False))
    first = crawl("listing", *ARGS)
    post = first.posts()["NW" + item["code"]]
    front, _ = split_front_matter(post.read_text())
    assert front["title"] == "正文里的标题，与列表不同" and front["listing_hash"]
    texts = replay.count("GetNewsText.do")
    second = crawl("listing", *ARGS)
    assert replay.count("GetNewsText.do") == texts
    assert second.stats["newsbot/listing/unchanged"] == 5


def test_a_bad_listing_entry_costs_that_entry_only(crawl, listing):
    # each of these once aborted the page's callback: listed=0 ... errors=0, exit 0
    good = article(6, 0)
    bad_time = article(7, 0) | {"showTime": "0001-01-01T00:00:00+09:00"}  # no time: text's
    huge_time = article(8, 0) | {"showTime": 10**400}
    page = listing.pages["columns-350-1"]
    raw = json.dumps({"code": 1, "data": {"list": [*page, good, bad_time, huge_time]}})
    malformed = '{"code": "x", "url": "http://[::1", "title": "坏"}'
    nine = article(9, 0)
    surrogate = (
        f'{{"code": "{nine["code"]}", "showTime": "{nine["showTime"]}", '
        '"title": "\\ud800坏", "mediaName": "新华社"}'
    )
    raw = raw[: raw.rindex("]")] + f", {malformed}, {surrogate}]}}}}"
    listing.pages["columns-350-1"] = [*page, good, bad_time, huge_time, article(9, 0)]
    for item in (good, bad_time, huge_time, article(9, 0)):
        listing.write_text(item)
    (listing.root / "listing" / "columns-350-1.json").write_text(raw)
    result = crawl("listing", *ARGS)
    assert result.returncode == 0
    written = result.posts()
    for item in (good, bad_time, huge_time, article(9, 0)):
        assert "NW" + item["code"] in written
    assert result.stats["newsbot/listing/bad_entry"] == 1  # the malformed URL, and only it
    assert "entry skipped" in result.log


def test_a_malformed_link_skips_that_input_only(crawl, listing):
    later = "NW" + listing.pages["columns-350-1"][0]["code"]
    result = crawl("share", "urls=http://[::1/html_News/NewsShare.html?infoCode=x", f"codes={later}")
    assert result.returncode == 0
    assert result.stats["newsbot/input/invalid"] == 1
    assert later in result.posts()


def test_a_time_out_of_range_takes_the_next_fallback(crawl, upstream):
    code = "NW202609010000000901"
    (upstream / "text" / f"{code}.json").write_text(json.dumps(
        {"title": "古老", "showtime": "0099-02-24 10:00:00", "medianame": "新华社", "text": BODY}))
    result = crawl("share", f"codes={code}")
    assert result.returncode == 0
    assert [p.name for p in result.posts().values()] == [f"2026-09-01-{code}.md"]  # from its code
