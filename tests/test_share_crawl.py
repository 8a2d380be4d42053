"""Real ``scrapy crawl share`` runs against recorded answers: files written, stats, logs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from newsbot.frontmatter import split_front_matter
from tests.conftest import DATA, SEED_CODE, SEED_GOLDEN, postdiff

GOLDENS = {p.stem: p for p in (DATA / "expected").glob("*.md")} | {SEED_CODE: SEED_GOLDEN}
GOLDEN = sorted(GOLDENS)
BROKEN = {
    "NW202608220000000500": "newsbot/upstream_error/http_500",
    "NW202608220000000501": "newsbot/upstream_error/truncated_json",
    "NW202608220000000502": "newsbot/upstream_error/not_json",
    "NW202608220000000503": "newsbot/upstream_error/empty",
    "NW202608220000000504": "newsbot/upstream_error/no_text",
}
MISSING_TITLE = "NW202608220000000505"  # text only, and no article page to fill the title
ONLY_JUNK = "NW202608220000000506"  # nothing left once cleaned


def test_seed_share_link_matches_golden(crawl, replay):
    link = f"{replay.url}/html_News/NewsShare.html?infoCode={SEED_CODE}"
    result = crawl("share", f"urls={link}")
    assert result.returncode == 0, result.log
    post = result.output / "_posts" / f"2022-02-24-{SEED_CODE}.md"
    diff = postdiff(SEED_GOLDEN, post)
    assert diff.returncode == 0, diff.stdout
    # the share link's own host served the text, not NEWSBOT_TEXT_URL
    assert replay.count(f"GetNewsText.do?id={SEED_CODE}") == 1
    category = (result.output / "category" / "zhongguoribaowang.html").read_text()
    assert split_front_matter(category)[0] == {
        "layout": "category",
        "title": "中国日报网新闻",
        "category": "zhongguoribaowang",
    }
    assert result.stats["newsbot/posts/new"] == 1
    assert result.stats["newsbot/clean/kchart"] == 1


def test_every_golden_and_every_fault_in_one_run(crawl, tmp_path):
    links = tmp_path / "links.txt"
    lines = [
        "# goldens, then broken answers, then junk input",
        *GOLDEN,
        "",
        *BROKEN,
        MISSING_TITLE,
        ONLY_JUNK,
        "not-a-link  # a comment",
        "https://example.com/x.html",
    ]
    links.write_text("\n".join(lines) + "\n")
    result = crawl("share", f"file={links}")
    # 7 of the 13 articles failed, 6 of them unreadable: the verdict says so, the rest is written
    assert result.returncode == 65, result.log
    assert "verdict=failed (7 of 13 articles failed (" in result.log

    written = result.posts()
    assert sorted(written) == GOLDEN
    for code in GOLDEN:
        diff = postdiff(GOLDENS[code], written[code])
        assert diff.returncode == 0, f"{code}: {diff.stdout}"
        assert "不应出现" not in written[code].read_text()

    for code, stat in BROKEN.items():
        assert result.stats[stat] == 1, stat
        assert any(code in line and "WARNING" in line for line in result.log.splitlines()), code
    assert result.stats["item_dropped_reasons_count/MissingFields"] == 1
    assert result.stats["item_dropped_reasons_count/EmptyBody"] == 1
    assert f"{MISSING_TITLE}: missing title" in result.log
    assert result.stats["newsbot/input/invalid"] == 2
    assert "skipped input 'not-a-link'" in result.log
    assert result.stats["newsbot/article_page/failed"] == 1
    # nothing but finished posts and category pages, no temp file anywhere
    files = {
        p.relative_to(result.output).as_posix() for p in result.output.rglob("*") if p.is_file()
    }
    assert all(
        f.startswith(("_posts/", "category/")) and not Path(f).name.startswith(".") for f in files
        if f != ".newsbot/index.json"  # the tree's record
    ), files


def test_metadata_from_article_page(crawl, replay):
    code = "NW202608193168731142"
    result = crawl("share", f"urls=https://finance.eastmoney.com/a/{code[2:]}.html")
    assert result.returncode == 0, result.log
    front, _ = split_front_matter(result.posts()[code].read_text())
    assert front["title"] and front["date"] == "2026-08-19 17:46:00 +0800"
    assert (front["categories"], front["tags"]) == ("jiemianxinwen", "界面新闻新闻")
    assert result.stats["newsbot/article_page/fetched"] == 1


@pytest.mark.parametrize(
    "form",
    [
        "{code}",
        "{id}",
        "http://finance.eastmoney.com/news/1350,{id}.html",
        "https://finance.eastmoney.com/a/{id}.html",
        "{url}/html_News/NewsShare.html?infoCode={code}",
    ],
)
def test_every_input_form_gives_one_post(crawl, replay, form):
    code = SEED_CODE
    value = form.format(code=code, id=code[2:], url=replay.url)
    result = crawl("share", f"urls={value},{value}")
    assert list(result.posts()) == [code]
    assert result.stats["newsbot/input/duplicate"] == 1


def test_second_run_is_byte_identical_and_touches_nothing(crawl):
    first = crawl("share", f"codes={','.join(GOLDEN)}")
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in first.output.rglob("*") if p.is_file()
    }
    for path in before:
        os.utime(path, ns=(1, 1))  # an old mtime: any rewrite would show
    second = crawl("share", f"codes={','.join(GOLDEN)}")
    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in second.output.rglob("*") if p.is_file()
    }
    assert set(after) == set(before)
    assert all(after[p] == (before[p][0], 1) for p in before)
    assert second.stats["newsbot/posts/unchanged"] == len(GOLDEN)
    assert "newsbot/posts/new" not in second.stats


def test_changed_date_moves_the_post(crawl, upstream):
    first = crawl("share", f"codes={SEED_CODE}")
    old = first.posts()[SEED_CODE]
    answer = upstream / "text" / f"{SEED_CODE}.json"
    answer.write_text(answer.read_text().replace("2022-02-24 22:20:26", "2022-02-25 08:00:00"))
    second = crawl("share", f"codes={SEED_CODE}")
    assert not old.exists()
    assert [p.name for p in second.posts().values()] == [f"2022-02-25-{SEED_CODE}.md"]
    assert second.stats["newsbot/posts/moved"] == 1


def test_title_with_quotes_and_liquid_parses_back(crawl):
    code = "NW202608213171102233"
    result = crawl("share", f"codes={code}")
    text = result.posts()[code].read_text()
    front, body = split_front_matter(text)
    assert front["title"] == '独家: 他说："重磅：#1 {{ site.title }}" 之后'
    assert "{{" not in body and "{%" not in body  # Liquid cannot run the article's text
    assert yaml.safe_load(text.split("---\n")[1])["title"] == front["title"]


def test_5xx_is_retried_with_back_off(crawl, replay):
    code = next(iter(BROKEN))  # answers HTTP 500 every time
    started = time.monotonic()
    result = crawl(
        "share",
        f"codes={code}",
        settings={"RETRY_ENABLED": "1", "RETRY_TIMES": "2", "NEWSBOT_RETRY_BACKOFF": "0.5"},
    )
    assert replay.count(f"id={code}") == 3
    assert result.stats["retry/count"] == 2
    assert result.stats["newsbot/upstream_error/http_500"] == 1
    assert time.monotonic() - started >= 1.5  # 0.5 s, then 1 s, before the two retries
    assert result.returncode == 69  # its only article failed: upstream unavailable
