"""The tree newsbot writes builds with Debian's Jekyll: every post a page, Liquid shown literally."""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsbot.dates import CHINA
from newsbot.frontmatter import split_front_matter
from newsbot.verify import verify_tree
from tests.conftest import DATA, PROJECT, SEED_CODE

QUOTES = "NW202608213171102233"


def make_site(output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "site", f"OUTPUT={output}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def built_posts(output: Path) -> dict[str, Path]:
    # a post's page sits under /SLUG/YYYY/MM/DD/
    return {p.stem: p for p in (output / "_site").rglob("*.html") if p.parent.name.isdigit()}


def assert_clean_build(output: Path) -> None:
    build = make_site(output)
    assert build.returncode == 0, build.stdout + build.stderr
    noise = [
        line
        for line in (build.stdout + build.stderr).splitlines()
        if re.search(r"warn|error|skip|future|deprecat", line, re.IGNORECASE)
    ]
    assert noise == []
    posts = {p.stem[11:]: p for p in (output / "_posts").glob("*.md")}
    pages = built_posts(output)
    assert sorted(pages) == sorted(posts)  # every post became a page, none skipped
    for code, post in posts.items():
        front, _ = split_front_matter(post.read_text())
        assert pages[code].relative_to(output / "_site").parts[0] == front["categories"]
        category = (output / "_site" / "category" / f"{front['categories']}.html").read_text()
        assert pages[code].relative_to(output / "_site").as_posix() in category


@pytest.fixture
def fresh_article(upstream: Path) -> str:
    """An article published five minutes ago: a timezone slip would make it a future post."""
    moment = datetime.now(CHINA) - timedelta(minutes=5)
    code = f"NW{moment:%Y%m%d}9999999999"
    answer = {
        "title": "刚刚发布",
        "showtime": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "medianame": "财联社",
        "text": "<p>五分钟前的新闻。</p>",
    }
    (upstream / "text" / f"{code}.json").write_text(json.dumps(answer, ensure_ascii=False))
    return code


def test_a_fresh_crawl_builds(crawl, fresh_article):
    codes = [SEED_CODE, fresh_article, *(p.stem for p in (DATA / "expected").glob("*.md"))]
    result = crawl("share", f"codes={','.join(codes)}")
    assert result.returncode == 0, result.log
    assert verify_tree(result.output)[0] == []
    assert_clean_build(result.output)

    page = built_posts(result.output)[QUOTES].read_text()
    body = page.split('<div class="body">')[1]
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert "{{ site.title }}" in text and "{% include x %}" in text  # shown, not run
    assert "newsbot news" not in body  # the site title was not substituted into the article


def test_the_migrated_old_site_builds(crawl, tmp_path):
    report = tmp_path / "report.jsonl"
    result = crawl(
        "migrate",
        f"src={DATA / 'oldsite'}",
        f"report={report}",
        settings={"NEWSBOT_KEEP_DAYS": "0"},
    )  # keep them all in _posts/ to build them
    assert result.returncode == 0, result.log
    assert verify_tree(result.output)[0] == []
    assert_clean_build(result.output)
    assert "init" in built_posts(result.output)  # the old site's announcement, kept as it was
