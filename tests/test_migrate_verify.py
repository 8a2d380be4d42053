"""``scrapy crawl migrate`` over an old site with broken files, and ``scrapy verify`` on trees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.frontmatter import split_front_matter
from newsbot.oldposts import read_old_post
from tests.conftest import DATA, PROJECT, SHARED

OLD_SITE = DATA / "oldsite"
OUTCOMES = {
    "_posts/-202203011234567803.md": ("refetched", "old_post/2022-03-01-NW202203011234567803.md"),
    "_posts/2021-12-01-init.md": ("kept", "_posts/2021-12-01-init.md"),
    "_posts/2022-03-02-news.md": ("migrated", "old_post/2022-03-02-NW202203021234567805.md"),
    "_posts/2022-03-03-202203031234567806.md": ("failed", None),
    "old_post/2021-11-30-202111301234567804.md": (
        "migrated",
        "old_post/2021-11-30-NW202111301234567804.md",
    ),
}


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "verify", str(path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def migrated(crawl, tmp_path):
    source_before = tree_bytes(OLD_SITE)
    report = tmp_path / "report.jsonl"
    result = crawl("migrate", f"src={OLD_SITE}", f"report={report}")
    assert result.returncode == 0, result.log
    assert tree_bytes(OLD_SITE) == source_before  # the old site is only read
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    return result, rows


def test_every_file_has_a_report_line(migrated):
    result, rows = migrated
    sources = sorted(p.relative_to(OLD_SITE).as_posix() for p in OLD_SITE.rglob("*.md"))
    assert sorted(Path(r["path"]).relative_to(OLD_SITE).as_posix() for r in rows) == sources
    by_path = {Path(r["path"]).relative_to(OLD_SITE).as_posix(): r for r in rows}
    for source, (outcome, post) in OUTCOMES.items():
        row = by_path[source]
        assert row["outcome"] == outcome, row
        assert (
            Path(row["post"]).relative_to(result.output).as_posix() if row["post"] else None
        ) == post
    failed = by_path["_posts/2022-03-03-202203031234567806.md"]
    assert "NW202203031234567806" in failed["reason"] and "http_404" in failed["reason"]
    assert sum(r["outcome"] == "migrated" for r in rows) == 10
    assert all(r["post"] and Path(r["post"]).is_file() for r in rows if r["outcome"] != "failed")


def test_the_migrated_tree_is_clean_and_normalized(migrated):
    result, _ = migrated
    check = verify(result.output)
    assert check.returncode == 0, check.stdout
    assert "0 problems" in check.stdout
    slugs = sorted(p.stem for p in (result.output / "category").glob("*.html"))
    assert slugs == [
        "cai-jing-yao-wen",
        "cailianshe",
        "emnews",
        "sitenews",
        "techweb",
        "zhongguoribaowang",
    ]
    techweb = split_front_matter((result.output / "category" / "techweb.html").read_text())[0]
    assert techweb["title"] in ("TechWeb新闻", "Techweb新闻")  # its own source, not another's
    quoted = next(result.output.rglob("*NW202203011234567801.md")).read_text()
    assert split_front_matter(quoted)[0]["title"] == '科技公司称"AI芯片"需求旺盛：订单排到明年'
    seed = next(result.output.rglob("*NW202202242288329527.md")).read_text()
    assert "webquoteklinepic" not in seed and "display:none" not in seed  # cleaned like a crawl
    init = result.output / "_posts" / "2021-12-01-init.md"
    assert init.read_bytes() == (OLD_SITE / "_posts" / "2021-12-01-init.md").read_bytes()


def test_migrating_twice_gives_the_same_tree(crawl, migrated, tmp_path):
    result, _ = migrated
    first = tree_bytes(result.output)
    again = crawl("migrate", f"src={OLD_SITE}", f"report={tmp_path / 'again.jsonl'}")
    assert again.returncode == 0
    assert tree_bytes(result.output) == first


def test_a_bare_posts_folder_migrates(crawl, tmp_path):
    result = crawl(
        "migrate", f"src={SHARED / 'corpus' / 'site-posts'}", settings={"NEWSBOT_KEEP_DAYS": "0"}
    )
    assert result.returncode == 0
    assert len(list((result.output / "_posts").glob("*.md"))) == 6
    assert verify(result.output).returncode == 0


def test_verify_names_every_kind_of_problem_in_the_old_corpus():
    check = verify(OLD_SITE)
    assert check.returncode == 1
    out = check.stdout
    for expected in [
        "2021-12-08-202112082206924746.md: file name's code is not NW + 18 digits",
        "2021-12-08-202112082206924746.md: date 2021-12-08 12:39:24 has no +0800 offset",
        "2021-12-08-202112082206924746.md: back-links are not one line",
        "-202203011234567803.md: file name has no date",
        "-202203011234567803.md: front matter: title is missing or empty",
        "-202203011234567803.md: share link <> does not name NW202203011234567803",
        "-202203011234567803.md: the body is empty",
        "2022-03-01-202203011234567801.md: front matter is not YAML at line 3, column 15: did not find expected key",
        "2022-02-24-202202242288329527.md: body holds markup the cleaner removes: hidden (1), kchart (1)",
        "2021-11-30-202111301234567804.md: category 'Cai Jing (Yao Wen)' is not a slug",
        "category/zhongguoribaowang.html: titled '财联社新闻', but its posts are tagged ['中国日报网新闻']",
        "category/emnews.html: category page missing",
    ]:
        assert expected in out, expected


def test_old_posts_are_read_even_when_broken():
    post = read_old_post(
        (OLD_SITE / "_posts" / "2022-03-01-202203011234567801.md").read_text(), "x.md"
    )
    assert post.title == '科技公司称"AI芯片"需求旺盛：订单排到明年'
    assert (post.source, post.category) == ("TechWeb", "TechWeb")
    empty = read_old_post(
        (OLD_SITE / "_posts" / "-202203011234567803.md").read_text(), "-202203011234567803.md"
    )
    assert (empty.code, empty.title, empty.time, empty.body) == (
        "NW202203011234567803",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        # the post's own share link names it, not the first article its body links to
        (
            '---\ntitle: "t"\n---\n<p><a href="http://finance.eastmoney.com/a/202203011234567811.html">x</a></p>\n\n'
            "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203021234567899>\n",
            "2022-03-02-news.md",
            ("code", "NW202203021234567899"),
        ),
        # unescaped titles: YAML would read " #" as a comment and cut them
        (
            '---\ntitle: "双11" #热搜# 成交额创新高"\n---\nb\n',
            "x.md",
            ("title", '双11" #热搜# 成交额创新高'),
        ),
        ("---\ntitle: 苹果发布会 #1 新品\n---\nb\n", "x.md", ("title", "苹果发布会 #1 新品")),
        # "tags: 新闻" is what the old scripts wrote for a missing source
        ("---\ntitle: t\ntags: 新闻\n---\nb\n", "x.md", ("source", None)),
    ],
)
def test_old_post_fields_found_by_review(text, name, expected):
    field_name, value = expected
    assert getattr(read_old_post(text, name), field_name) == value


def test_an_announcement_in_old_post_stays_there(crawl, tmp_path):
    src = tmp_path / "site"
    (src / "old_post").mkdir(parents=True)
    (src / "_posts").mkdir()
    notice = (
        "---\nlayout: post\ntitle: 通知\ndate: 2021-01-01 10:00:00\n"
        "categories: sitenews\ntags: 站长消息\n---\n\n停机维护\n"
    )
    (src / "old_post" / "2021-01-01-notice.md").write_text(notice)
    result = crawl("migrate", f"src={src}")
    assert (result.output / "old_post" / "2021-01-01-notice.md").read_text() == notice
    assert not (result.output / "_posts" / "2021-01-01-notice.md").exists()


def test_a_post_missing_only_its_date_survives_a_failed_refetch(crawl, tmp_path):
    src = tmp_path / "posts"
    src.mkdir()
    code = "NW202203051234567890"  # nothing recorded upstream for it: the refetch gets a 404
    (src / f"2022-03-05-{code[2:]}.md").write_text(
        '---\nlayout: post\ntitle: "日期丢了"\ndate:  +0800\ncategories: cailianshe\ntags: 财联社新闻\n---\n'
        "<p>正文还在。</p>\n\n<>\n"
    )
    report = tmp_path / "report.jsonl"
    result = crawl("migrate", f"src={src}", f"report={report}", settings={"NEWSBOT_KEEP_DAYS": "0"})
    post = result.output / "_posts" / f"2022-03-05-{code}.md"
    front, body = split_front_matter(post.read_text())
    assert front["date"] == "2022-03-05 00:00:00 +0800"  # from the code's digits
    assert "正文还在。" in body
    assert json.loads(report.read_text())["outcome"] == "migrated"
    assert f"{code}: refetch failed; migrating" in result.log
