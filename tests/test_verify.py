"""``scrapy verify``: file arguments, one output whatever the workers, streaming, and the fast
readings it relies on agreeing with the slow ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lhtml

from newsbot import frontmatter, kramdown, verify
from newsbot.clean import DROP_WITH_CONTENT, UnreadableBody, body_cuts, clean_body
from newsbot.posts import render_category, render_post, tag_for
from tests.conftest import CRAWL_ENV, DATA, PROJECT
from tests.test_injection import VECTORS

CHINA = timezone(timedelta(hours=8))
SUMMARY = re.compile(
    r"(\d+) files checked in \d+\.\d\d s \(\d+\.\d\d ms/post, (\d+) workers?\), "
    r"(\d+) problems in (\d+) files"
)


def verify_command(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "verify", *map(str, args)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env=CRAWL_ENV,  # a DeprecationWarning (a fork with threads running) is an error
    )


def summary(out: str) -> tuple[int, int, int, int]:
    """Files checked, workers, problems, files with problems: from the last line."""
    match = SUMMARY.fullmatch(out.splitlines()[-1])
    assert match, out.splitlines()[-1]
    return tuple(int(group) for group in match.groups())  # type: ignore[return-value]


def write_post(folder: Path, i: int, *, source: str = "新华社", body: str = "<p>正文</p>") -> Path:
    moment = datetime(2026, 9, 1, 10, tzinfo=CHINA) - timedelta(minutes=i)
    code = f"NW{moment:%Y%m%d}{i:010d}"
    path = folder / f"{moment:%Y-%m-%d}-{code}.md"
    path.write_text(
        render_post(
            title=f"第{i}条",
            date=moment,
            slug="xinhuashe",
            source=source,
            body=body,
            share_link=f"http://h/x?infoCode={code}",
            site_url="//s/",
        ),
        encoding="utf-8",
    )
    return path


def make_tree(root: Path, posts: int = 3, **post) -> list[Path]:
    for folder in ("_posts", "old_post", "category"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "category" / "xinhuashe.html").write_text(
        render_category("xinhuashe", tag_for("新华社"))
    )
    return [write_post(root / "_posts", i, **post) for i in range(posts)]


def test_a_clean_tree_and_the_summary_line(tmp_path):
    make_tree(tmp_path)
    check = verify_command(tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("\n") == 1
    assert summary(check.stdout) == (4, 1, 0, 0)  # 3 posts, 1 category page; small: no workers


def test_file_arguments_check_only_those_posts_and_their_category_pages(tmp_path):
    good, bad, *_ = make_tree(tmp_path / "tree", posts=5)
    bad.write_text(bad.read_text().replace("<p>正文</p>", "<p>正文{{ x }}</p>"))
    elsewhere = make_tree(tmp_path / "other", posts=1)[0]

    check = verify_command(tmp_path / "tree", good)
    assert check.returncode == 0, check.stdout
    assert summary(check.stdout) == (2, 1, 0, 0)  # the post and its category page

    check = verify_command(
        tmp_path / "tree",
        good,
        bad,
        elsewhere,
        tmp_path / "tree" / "_posts" / "2026-09-01-NW202609010000000999.md",
        tmp_path / "tree" / "category" / "xinhuashe.html",
        tmp_path / "tree" / "_posts" / ".." / "_posts" / good.name,  # the same post again
    )
    assert check.returncode == 1
    assert "Traceback" not in check.stderr
    assert check.stdout.splitlines()[:-1] == [
        f"{bad}: body holds unprotected Liquid markup ({{{{ or {{%)",
        f"{elsewhere}: not a post of the tree: not in {tmp_path / 'tree' / '_posts'}/ or "
        f"{tmp_path / 'tree' / 'old_post'}/",
        f"{tmp_path / 'tree' / '_posts' / '2026-09-01-NW202609010000000999.md'}: no such file",
        f"{tmp_path / 'tree' / 'category' / 'xinhuashe.html'}: not a post: only .md files are checked",
    ]
    assert summary(check.stdout) == (3, 1, 4, 4)  # two posts and their page were checked


def test_file_arguments_check_the_category_page_of_each_post(tmp_path):
    [post] = make_tree(tmp_path, posts=1)
    other = write_post(tmp_path / "old_post", 7, source="新华网")  # another tag, same slug
    assert verify_command(tmp_path, post).returncode == 0
    check = verify_command(tmp_path, other)
    assert check.returncode == 1
    page = tmp_path / "category" / "xinhuashe.html"
    assert f"{page}: titled '新华社新闻', but its posts are tagged ['新华网新闻']" in check.stdout
    page.write_text(page.read_text().replace("layout: category", "layout: page"))
    check = verify_command(tmp_path, post)
    assert f"{page}: front matter is not layout: category, category: xinhuashe" in check.stdout
    page.unlink()
    check = verify_command(tmp_path, post)
    assert f"{page}: category page missing for slug 'xinhuashe' (1 posts)" in check.stdout


def test_the_old_corpus_gives_the_same_problems_with_any_number_of_workers():
    outputs = [verify_command("-j", str(jobs), DATA / "oldsite") for jobs in (1, 2)]
    for check in outputs:
        assert check.returncode == 1
        assert summary(check.stdout)[2:] == (39, 15)  # as the README says
    assert outputs[0].stdout.splitlines()[:-1] == outputs[1].stdout.splitlines()[:-1]


def test_the_output_is_the_same_run_after_run_and_whatever_the_workers(tmp_path):
    # more posts than are checked without workers; every third one with a problem
    count = verify.IN_PROCESS + 200
    for i, path in enumerate(make_tree(tmp_path, posts=count)):
        if i % 3 == 0:
            path.write_text(path.read_text().replace("<p>正文</p>", f"<p>正文</p>{i}"))
    runs = [verify_command("-j", jobs, tmp_path) for jobs in ("1", "2", "2")]
    assert [summary(run.stdout) for run in runs] == [
        (count + 1, 1, (count + 2) // 3, (count + 2) // 3),
        (count + 1, 2, (count + 2) // 3, (count + 2) // 3),
        (count + 1, 2, (count + 2) // 3, (count + 2) // 3),
    ]
    lines = runs[0].stdout.splitlines()[:-1]
    assert all(run.stdout.splitlines()[:-1] == lines for run in runs)
    assert lines == sorted(lines)  # fewer posts than a window: in name order
    assert all(
        "kramdown would read body text as Markdown: top-level text" in line for line in lines
    )


def test_workers_fork_only_when_this_process_runs_one_thread(tmp_path):
    make_tree(tmp_path, posts=verify.IN_PROCESS + 10, body="<p>正文</p>x")
    alone = list(verify.check_tree(tmp_path))
    if sys.platform.startswith("linux") and verify._one_thread():
        assert verify._start_method().get_start_method() == "fork"
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not verify._one_thread()
        assert verify._start_method().get_start_method() in ("forkserver", "spawn")
        tally = verify.Tally()
        assert list(verify.check_tree(tmp_path, jobs=2, tally=tally)) == alone
        assert tally.workers == 2
    finally:
        stop.set()
        thread.join()


def test_usage_errors(tmp_path):
    for args in ([], [tmp_path / "missing"], ["-j", "0", tmp_path]):
        check = verify_command(*args)
        assert check.returncode == 2, args
        assert "Traceback" not in check.stderr


def test_memory_does_not_grow_with_the_tree(tmp_path, monkeypatch):
    # every post has a problem: the old verify kept them all (and every path) until the end
    monkeypatch.setattr(verify, "WINDOW", 100)
    peaks = []
    for count in (300, 3000):
        root = tmp_path / str(count)
        [first] = make_tree(root, posts=1, body="<p>正文</p>x")
        text = first.read_text()
        for i in range(1, count):
            code = f"NW20260901{i:010d}"
            (root / "_posts" / f"2026-09-01-{code}.md").write_text(
                text.replace("NW202609010000000000", code)
            )
        list(verify.check_tree(root))  # warm: regular expressions, parsers
        tracemalloc.start()
        tally = verify.Tally()
        for _ in verify.check_tree(root, tally=tally):
            pass
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert tally.problems == count
    assert peaks[1] < 1.5 * peaks[0], peaks


# The fast readings verify relies on agree with the slow ones wherever they give an answer.

scalars = st.text(
    alphabet="aeyYnNoO019 :#-.+_x~=<'\"!&*%@,[]\\\t中\u3000\xa0\u2028\x85\ufeff", max_size=12
)
lines = st.one_of(
    st.builds(
        lambda k, v: f"{k}: {v}", st.sampled_from(["title", "date", "on", "y", "a_1"]), scalars
    ),
    st.builds(lambda k, v: f'{k}: "{v}"', st.sampled_from(["title", "tags"]), scalars),
    st.builds(lambda k, v: f"{k}: '{v}'", st.sampled_from(["title", "tags"]), scalars),
    st.builds(lambda v: f"- {v}", scalars),
    st.sampled_from(["stocks:", "date: 2026-08-01 10:00:00 +0800", "date: 2026-08-01 10:00:00"]),
)


@given(st.lists(lines, max_size=6))
def test_the_simple_front_matter_reading_agrees_with_yaml(block_lines):
    block = "".join(f"{line}\n" for line in block_lines)
    simple = frontmatter._simple_mapping(block)
    if simple is not None:
        loaded = yaml.load(block, Loader=frontmatter._Loader)  # noqa: S506 (a safe loader)
        assert simple == loaded
        assert [type(v) for v in simple.values()] == [type(v) for v in loaded.values()]


def test_the_simple_front_matter_reading_takes_what_newsbot_writes(tmp_path):
    [post] = make_tree(tmp_path, posts=1)
    block = frontmatter.front_matter_block(post.read_text())[0]
    assert frontmatter._simple_mapping(block) == yaml.load(block, Loader=frontmatter._Loader)  # noqa: S506


ATOMS = [
    "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<br>", "<br/>", "<br />", "<hr>", "<P>",
    '<a href="x">', "</a>", '<p class="a b">', '<img src="x"/>', "<li>", "</li>", "text", " ",
    "\n", "&amp;", "&", "&#123;", "&#x;", "<", ">", "<!-- c -->", "<script>", "</script>",
    '<p title="<b>">', "\u3000", "</br>", "<p/>", "<b/>", "<x-y>", "<p\n>", "</p >", "<!x>",
    "<td>", "<table>", "</table>", '<p style="display:none">', "<head>", "<body onload=x>",
    '<a href="javascript:x">', "打开微信", "扫一扫", "朋友圈", "<font>", "</font>", "&#25171;",
]  # fmt: skip
markup = st.lists(st.sampled_from(ATOMS), max_size=14).map("".join)


def exposure_by_htmlparser(html: str) -> list[str]:
    checker = kramdown._Exposure()
    checker.feed(html)
    checker.close()
    return checker.problems + (["never closed"] if checker.stack else [])


@given(markup)
def test_the_strict_block_reading_agrees_with_htmlparser(html):
    if kramdown._plainly_blocks(html):
        assert exposure_by_htmlparser(html) == []


def cuts_as_verify_had_them(html: str) -> dict[str, int]:
    """Before: the cleaner's cuts, then executable tags and handlers from a second parse."""
    try:
        root = lhtml.document_fromstring(html)
    except etree.ParserError:
        found = {}
    else:
        found: dict[str, int] = {}
        for el in root.iter(etree.Element):
            if el.tag in DROP_WITH_CONTENT - {"head", "meta", "title"}:
                found["executable"] = found.get("executable", 0) + 1
            handlers = sum(1 for name in el.attrib if name.lower().startswith("on"))
            if handlers:
                found["handler"] = found.get("handler", 0) + handlers
    return {**clean_body(html).cuts, **found}


@pytest.mark.parametrize("body", [*VECTORS, "<head><script>x()</script></head><p>a</p>",
                                  "<body onload=x()><p>打开微信，</p><p>使用“扫一扫”分享至朋友圈。</p>"])  # fmt: skip
def test_the_cuts_verify_counts_are_those_it_counted_before(body):
    try:
        expected = cuts_as_verify_had_them(body)
    except UnreadableBody as exc:
        with pytest.raises(UnreadableBody):
            body_cuts(body)
        assert str(exc)
        return
    assert body_cuts(body) == expected


@given(markup | st.sampled_from(VECTORS))
def test_the_cuts_verify_counts_agree_on_random_markup(body):
    assert body_cuts(body) == cuts_as_verify_had_them(body)


# -- what an attack found ---------------------------------------------------------------------


def test_a_fifo_a_device_link_or_an_outside_link_named_like_a_post_is_a_problem_not_a_hang(tmp_path):
    make_tree(tmp_path)
    os.mkfifo(tmp_path / "_posts" / "2026-01-01-NW202601010000000001.md")
    (tmp_path / "_posts" / "2026-01-02-NW202601020000000002.md").symlink_to("/dev/zero")
    secret = tmp_path.parent / "secret.md"
    secret.write_text("---\ntitle: ROOT-PASSWORD-HERE\n---\n")
    (tmp_path / "_posts" / "2026-01-03-NW202601030000000003.md").symlink_to(secret)
    check = verify_command(tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "ROOT-PASSWORD-HERE" not in check.stdout
    assert check.stdout.count("unreadable") == 3


def test_file_mode_titles_follow_the_record(crawl, upstream):
    """A post of the minority tag, checked alone: its page is titled with the majority's tag,
    which the tree's record knows."""
    from tests.test_listing_crawl import Upstream, article

    up = Upstream(upstream)
    up.page("columns-350-1", [article(1, 0, "新华社"), article(2, 0, "新华社"), article(3, 0, "新華社")])
    result = crawl("listing")
    minority = result.posts()["NW" + up.pages["columns-350-1"][2]["code"]]
    check = verify_command(result.output, minority)
    assert check.returncode == 0, check.stdout


def test_killed_verify_leaves_no_worker(tmp_path):
    make_tree(tmp_path, posts=4000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "verify", "-j", "2", str(tmp_path)],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    children: list[int] = []
    deadline = time.monotonic() + 30
    while len(children) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # Scrapy's start-up, then the workers: killed as soon as both run
        listing = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        children = [int(p) for p in listing.read_text().split()] if listing.exists() else []
    assert len(children) == 2, "the run ended before both workers were seen"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
        time.sleep(0.2)
    assert not any(Path(f"/proc/{c}").exists() for c in children), children
