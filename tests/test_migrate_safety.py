"""``scrapy crawl migrate`` never loses, corrupts or hides a file: codes, symlinks, YAML bombs,
encodings and broken files, each run as the real thing against an old site built in tmp_path."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbot.frontmatter import split_front_matter
from newsbot.oldposts import OldFile, OldFileError, find_old_files, read_old_file, read_old_post
from newsbot.tree import read_record
from tests.conftest import CRAWL_ENV, PROJECT, crawl_command

SITE = "//finews.withounder.com"
SHARE = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode="
REFETCHABLE = "NW202203011234567803"  # recorded upstream: 空白帖子的真实标题
SEED = "NW202202242288329527"

# Billion laughs: nine levels of nine aliases, 9^9 "lol"s when expanded; a few hundred bytes.
BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def old_post(
    title: str = '"标题"',
    *,
    code: str | None = None,
    date: str = "2022-03-01 10:00:00 +0800",
    source: str = "财联社",
    slug: str = "cailianshe",
    body: str = "<p>正文。</p>",
    front: str = "",
    trailer: bool = True,
) -> str:
    """An old post as the old scripts wrote it: front matter, body, share link, back-links."""
    lines = [
        "---",
        "layout: post",
        f"title: {title}",
        f"date: {date}",
        f"categories: {slug}",
        f"tags: {source}新闻",
        *([front] if front else []),
        "---",
        body,
        "",
    ]
    if trailer:
        link = f"{SHARE}{code}" if code else ""
        lines += [
            f"<{link}>",
            "",
            f"[返回{source}新闻]({SITE}/category/{slug}.html)｜[返回首页]({SITE}/)",
        ]
    return "\n".join(lines) + "\n"


def write(root: Path, relpath: str, content: str | bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def migrate(crawl, src: Path, tmp_path: Path, timeout: float = 120):
    """Run the migration; the report's rows by path relative to ``src``."""
    report = tmp_path / "report.jsonl"
    result = crawl(
        "migrate",
        f"src={src}",
        f"report={report}",
        settings={"NEWSBOT_KEEP_DAYS": "0"},
        timeout=timeout,
    )
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    by_path = {os.path.relpath(row["path"], src): row for row in rows}
    assert len(by_path) == len(rows)  # one line per file
    # the verdict: more than half the files failed or were duplicates is 65, else 0
    failed = sum(row["outcome"] in ("failed", "duplicate") for row in rows)
    assert result.returncode == (65 if failed * 2 > len(rows) else 0), result.log
    return result, by_path


def front_of(path: Path) -> dict:
    return split_front_matter(path.read_text(encoding="utf-8"))[0]


def all_output(root: Path) -> str:
    return "".join(p.read_text("utf-8", "replace") for p in root.rglob("*") if p.is_file())


def test_the_code_is_the_file_name_or_the_own_link_line_only(crawl, tmp_path):
    src = tmp_path / "site"
    article = "NW202203011234567801"
    announcement = (
        "---\nlayout: post\ntitle: 本站通知\ndate: 2022-03-05 09:00:00\n"
        "categories: sitenews\ntags: 站长消息\n---\n"
        f'<p>请先读<a href="http://finance.eastmoney.com/a/{article[2:]}.html">这篇文章</a>。</p>\n\n'
        f"<{SHARE}{article}>\n\n"  # a link line in the body, not after it
        "<p>捐款账户：622202123456789012（工商银行）</p>\n"
    )
    account = (
        "---\nlayout: post\ntitle: 汇款说明\ndate: 2022-03-06 09:00:00\n"
        "categories: sitenews\ntags: 站长消息\n---\n"
        "<p>汇款账号 622202123456789012，户名某某。原文：</p>\n\n"
        "<http://finance.eastmoney.com/a/202203021234567805.html>\n\n"
        "[返回](http://finance.eastmoney.com/a/202203021234567805.html)\n\n<p>谢谢。</p>\n"
    )
    write(src, "_posts/2022-03-05-notice.md", announcement)
    write(src, "_posts/2022-03-06-account.md", account)
    write(src, f"_posts/2022-03-01-{article[2:]}.md", old_post('"真正的文章"', code=article))
    write(src, "_posts/2022-03-02-news.md", old_post('"只有链接"', code="NW202203021234567805"))

    result, rows = migrate(crawl, src, tmp_path)

    assert rows["_posts/2022-03-05-notice.md"]["outcome"] == "kept"
    assert rows["_posts/2022-03-06-account.md"]["outcome"] == "kept"
    assert rows[f"_posts/2022-03-01-{article[2:]}.md"]["outcome"] == "migrated"
    assert rows["_posts/2022-03-02-news.md"]["outcome"] == "migrated"
    posts = {code: path for code, path in result.posts().items() if code.startswith("NW")}
    assert sorted(posts) == [article, "NW202203021234567805"]  # no fake article from the account
    assert front_of(posts[article])["title"] == "真正的文章"  # not replaced by the announcement
    assert front_of(posts["NW202203021234567805"])["title"] == "只有链接"
    for name, text in [("2022-03-05-notice.md", announcement), ("2022-03-06-account.md", account)]:
        assert (result.output / "_posts" / name).read_text() == text
    assert not list(result.output.rglob("*622202123456789012*"))


def test_two_files_claiming_one_code_are_both_reported_never_merged(crawl, tmp_path):
    src = tmp_path / "site"
    code = "NW202203011234567801"
    claims = [
        f"_posts/2022-03-01-{code[2:]}.md",
        f"old_post/2022-03-01-{code}.md",
        "_posts/2022-03-07-copy.md",  # no code in its name: its own link line names it
    ]
    for n, relpath in enumerate(claims):
        write(src, relpath, old_post(f'"第{n}份"', code=code))
    write(src, "_posts/2022-03-02-202203021234567805.md", old_post('"独一份"', code="NW202203021234567805"))
    notices = ["_posts/a/notice.md", "_posts/b/notice.md"]  # both would be kept as _posts/notice.md
    for n, relpath in enumerate(notices):
        write(src, relpath, f"---\nlayout: post\ntitle: 通知{n}\n---\n<p>第{n}条</p>\n")

    result, rows = migrate(crawl, src, tmp_path)

    for group in (claims, notices):
        for relpath in group:
            row = rows[relpath]
            assert row["outcome"] == "duplicate" and row["post"] is None, row
            others = [str(src / other) for other in group if other != relpath]
            assert all(other in row["reason"] for other in others), row
            assert f"{relpath}: not migrated (duplicate" in result.log
    assert rows["_posts/2022-03-02-202203021234567805.md"]["outcome"] == "migrated"
    assert not list(result.output.rglob(f"*{code}*"))  # nothing written over, nothing deleted
    assert not (result.output / "_posts" / "notice.md").exists()
    assert result.stats["newsbot/migrate/duplicate"] == 5
    assert result.stats["newsbot/migrate/migrated"] == 1


def test_symlinks_and_special_files_are_reported_and_never_read(crawl, tmp_path):
    secret = write(tmp_path, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")  # a stand-in
    outside = tmp_path / "elsewhere"
    write(outside, "2022-03-03-202203031234567899.md", old_post('"外面的帖子"', code="NW202203031234567899"))
    src = tmp_path / "site"
    real = write(src, "_posts/2022-03-01-202203011234567801.md", old_post('"真的"', code="NW202203011234567801"))
    links = {
        "_posts/2021-12-01-passwd.md": secret,  # a file, outside
        "_posts/2022-03-03-202203031234567899.md": outside / "2022-03-03-202203031234567899.md",
        "_posts/linked": outside,  # a folder, outside
        "_posts/again.md": real,  # a file, inside
        "old_post": outside,  # the whole folder
    }
    for relpath, target in links.items():
        (src / relpath).symlink_to(target)
    os.mkfifo(src / "_posts" / "2022-03-04-pipe.md")  # would block a reader forever

    result, rows = migrate(crawl, src, tmp_path, timeout=60)

    assert sorted(rows) == sorted([*links, "_posts/2022-03-04-pipe.md", os.path.relpath(real, src)])
    for relpath in links:
        row = rows[relpath]
        assert (row["outcome"], row["post"]) == ("failed", None), row
        assert row["reason"].startswith("symlink"), row
        assert f"{relpath}: not migrated (symlink" in result.log
    assert rows["_posts/2022-03-04-pipe.md"]["reason"].startswith("not_a_file")
    assert rows[os.path.relpath(real, src)]["outcome"] == "migrated"
    assert list(result.posts()) == ["NW202203011234567801"]
    written = all_output(result.output) + (tmp_path / "report.jsonl").read_text()
    assert "root:x:0:0" not in written and "外面的帖子" not in written
    assert result.stats["newsbot/migrate/failed/symlink"] == 5
    assert result.stats["newsbot/migrate/failed/not_a_file"] == 1


def test_an_alias_bomb_costs_nothing_now_or_in_later_crawls(crawl, tmp_path):
    src = tmp_path / "site"
    bomb_notice = f"---\n{BOMB}\nlayout: post\ntitle: *i\ncategories: *i\ntags: *i\n---\n<p>炸弹</p>\n"
    assert len(bomb_notice.encode()) < 600
    write(src, "_posts/2021-12-02-bomb.md", bomb_notice)  # no code: it would be kept as it is
    coded = old_post("*i", code=REFETCHABLE).replace("layout: post\n", f"{BOMB}\nlayout: post\n", 1)
    write(src, f"_posts/2022-03-01-{REFETCHABLE[2:]}.md", coded)
    write(src, "_posts/2022-03-02-202203021234567805.md", old_post('"好帖子"', code="NW202203021234567805"))

    started = time.monotonic()
    result, rows = migrate(crawl, src, tmp_path, timeout=60)
    assert time.monotonic() - started < 30

    # kept, it would hang Jekyll's build: reported instead
    notice = rows["_posts/2021-12-02-bomb.md"]
    assert (notice["outcome"], notice["post"]) == ("failed", None)
    assert notice["reason"].startswith("yaml_alias"), notice
    assert not (result.output / "_posts" / "2021-12-02-bomb.md").exists()
    assert rows[f"_posts/2022-03-01-{REFETCHABLE[2:]}.md"]["outcome"] == "refetched"
    assert rows["_posts/2022-03-02-202203021234567805.md"]["outcome"] == "migrated"
    assert front_of(result.posts()[REFETCHABLE])["title"] == "空白帖子的真实标题"  # not "*i"
    assert "*" not in result.posts()[REFETCHABLE].read_text().split("---")[1]  # no alias left

    # a tree someone planted bombs in: every crawl indexes it, and must not hang on them
    planted = [
        write(result.output, "_posts/2021-12-02-bomb.md", bomb_notice),
        write(result.output, "_posts/2022-03-09-NW202203091234567809.md", coded),
    ]
    for path in planted:
        started = time.monotonic()
        record = read_record(path)
        assert time.monotonic() - started < 1
        assert record.title == ""  # what it safely has: the alias is no title
    again = crawl("share", f"codes={SEED}", output=result.output, timeout=60)
    assert again.returncode == 0, again.log
    assert SEED in again.posts()


@pytest.mark.parametrize(
    ("title", "front", "expected"),
    [
        (">-\n  折叠的\n  长标题", "", "折叠的 长标题"),
        ('"\\u4e2d\\u6587\\u6807\\u9898 \\U0001F4C8 \\"引号\\""', "", '中文标题 📈 "引号"'),
        ("'It''s 单引号'", "", "It's 单引号"),
        # the rest of the front matter is not YAML: each key is still read as YAML alone
        (">-\n  坏 YAML 里的\n  折叠标题", 'summary: "他说"好""', "坏 YAML 里的 折叠标题"),
        ('"\\u5e7f\\u4e1c"', 'summary: "他说"好""', "广东"),
        # unescaped, as the old scripts wrote them: the raw line is the truth
        ('"双11" #热搜# 成交额创新高"', "", '双11" #热搜# 成交额创新高'),
        ('"科技公司称"AI芯片"需求旺盛"', "", '科技公司称"AI芯片"需求旺盛'),
    ],
    ids=["folded", "escapes", "single", "folded-broken", "escapes-broken", "comment", "bare-quotes"],
)
def test_titles_are_read_as_yaml_wherever_it_parses(crawl, tmp_path, title, front, expected):
    src = tmp_path / "site"
    code = "NW202203011234567801"
    write(src, f"_posts/2022-03-01-{code[2:]}.md", old_post(title, code=code, front=front))
    result, rows = migrate(crawl, src, tmp_path)
    assert [row["outcome"] for row in rows.values()] == ["migrated"]
    assert front_of(result.posts()[code])["title"] == expected


def test_old_encodings_are_decoded_and_bad_bytes_reported(crawl, tmp_path):
    src = tmp_path / "site"
    posts = {
        "NW202203011234567801": ("gbk", "国内新闻：央行开展逆回购", "中国日报网"),
        "NW202203011234567802": ("gb18030", "吉祥的𠮷字与€符号", "证券时报网"),
        "NW202203011234567804": ("utf-8-sig", "带 BOM 的标题", "财联社"),
        "NW202203011234567805": ("utf-16", "UTF-16 小端标题", "新华网"),
        "NW202203011234567806": ("utf-16-be+bom", "UTF-16 大端标题", "界面新闻"),
    }
    for code, (encoding, title, source) in posts.items():
        text = old_post(f'"{title}"', code=code, source=source, slug="x")
        bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be+bom" else b""
        data = bom + text.encode(encoding.removesuffix("+bom"))
        write(src, f"_posts/2022-03-01-{code[2:]}.md", data)
    notice = "---\nlayout: post\ntitle: 通知\n---\n<p>本站改版。</p>\n"
    write(src, "_posts/2021-12-01-notice.md", notice.encode("gbk"))
    bad = old_post('"坏字节"', code="NW202203011234567807").encode()
    write(src, "_posts/2022-03-01-202203011234567807.md", bad.replace("坏".encode(), b"\xff\xfe"))
    typo = old_post('"一个坏字节的 UTF-8"', code="NW202203011234567808").encode()
    write(src, "_posts/2022-03-01-202203011234567808.md", typo.replace(b"UTF", b"\xe9UTF"))
    no_bom = old_post('"没有 BOM 的 UTF-16"', code="NW202203011234567809").encode("utf-16-le")
    write(src, "_posts/2022-03-01-202203011234567809.md", no_bom)

    result, rows = migrate(crawl, src, tmp_path)

    written = result.posts()
    for code, (_, title, source) in posts.items():
        assert rows[f"_posts/2022-03-01-{code[2:]}.md"]["outcome"] == "migrated"
        front = front_of(written[code])
        assert (front["title"], front["tags"]) == (title, f"{source}新闻")
    kept = result.output / "_posts" / "2021-12-01-notice.md"
    assert kept.read_bytes() == notice.encode("utf-8")  # re-encoded, so Jekyll can read it
    for code in ("NW202203011234567807", "NW202203011234567808", "NW202203011234567809"):
        row = rows[f"_posts/2022-03-01-{code[2:]}.md"]
        assert (row["outcome"], row["post"]) == ("failed", None)
        assert row["reason"].startswith("undecodable"), row
        assert code not in written
    assert result.stats["newsbot/migrate/failed/undecodable"] == 3


def test_bad_dates_and_links_cost_only_their_file(crawl, tmp_path):
    src = tmp_path / "site"
    good = {f"NW20220301123456781{n}": f"好帖子{n}" for n in range(3)}
    for code, title in good.items():
        write(src, f"_posts/2022-03-01-{code[2:]}.md", old_post(f'"{title}"', code=code))
    bad_dates = {  # not recorded upstream: the refetch fails, and each is dated from its code
        "NW202203021234567821": "2022-13-45 10:00:00",
        "NW202203021234567822": "9999-12-31 23:59:59 -1200",
        "NW202203021234567823": "[2022, 3, 1]",
        "NW202203021234567824": "&d 2022-03-01",
        "NW202203021234567825": "0000-00-00 00:00:00",
    }
    for code, date in bad_dates.items():
        write(src, f"_posts/2022-03-02-{code[2:]}.md", old_post('"日期坏了"', code=code, date=date))
    broken_link = old_post('"链接坏了"').replace("<>", "<http://[::1/html_News/NewsShare.html>")
    write(src, "_posts/2022-03-03-broken-link.md", broken_link)
    write(src, "_posts/2022-03-03-empty-link.md", old_post('"链接空了"'))
    body_links = old_post(
        '"正文里的坏链接"',
        code="NW202203041234567831",
        body='<p><a href="http://[oops/a/1.html">x</a> <http://[::1>  http://%zz</p>',
    )
    write(src, "_posts/2022-03-04-202203041234567831.md", body_links)
    write(src, os.fsdecode(b"_posts/2022-03-05-\xff\xfe.md"), "---\ntitle: 怪名字\n---\n<p>x</p>\n")

    result, rows = migrate(crawl, src, tmp_path)

    assert len(rows) == len(list(src.rglob("*.md"))) == 3 + 5 + 2 + 1 + 1
    posts = result.posts()
    for code, title in good.items():
        assert rows[f"_posts/2022-03-01-{code[2:]}.md"]["outcome"] == "migrated"
        assert front_of(posts[code])["title"] == title
    for code in bad_dates:
        assert rows[f"_posts/2022-03-02-{code[2:]}.md"]["outcome"] == "migrated"
        assert front_of(posts[code])["date"] == "2022-03-02 00:00:00 +0800"
    for name in ("broken-link", "empty-link"):
        row = rows[f"_posts/2022-03-03-{name}.md"]
        assert (row["outcome"], row["post"]) == ("failed", None)
        assert row["reason"].startswith("bad_link"), row
        assert f"2022-03-03-{name}.md: not migrated (bad_link" in result.log
    assert rows["_posts/2022-03-04-202203041234567831.md"]["outcome"] == "migrated"
    assert rows[os.fsdecode(b"_posts/2022-03-05-\xff\xfe.md")]["outcome"] == "kept"
    assert result.stats["newsbot/migrate/failed/bad_link"] == 2
    assert result.stats["newsbot/migrate/files"] == len(rows)


FAULTS = """
import sys
import newsbot.oldposts as oldposts
import newsbot.pipelines.normalize as normalize
from scrapy.cmdline import execute

read, process = oldposts.read_old_post, normalize.NormalizePipeline.process_item

def read_old_post(text, filename):
    if "reader-bug" in filename:
        raise RuntimeError("a bug in the reader")
    return read(text, filename)

def process_item(self, item):
    if item.get("title") == "管道出错":
        raise KeyError("a bug in a pipeline")
    return process(self, item)

oldposts.read_old_post, normalize.NormalizePipeline.process_item = read_old_post, process_item
execute(["scrapy", *sys.argv[1:]])
"""


def test_any_exception_costs_only_its_file(crawl_settings, tmp_path):
    """Bugs of any kind, injected into a real run: the file is reported, the rest migrate."""
    src = tmp_path / "site"
    write(src, "_posts/2022-03-01-reader-bug.md", old_post('"读取出错"', code="NW202203011234567801"))
    write(src, "_posts/2022-03-01-202203011234567802.md", old_post('"管道出错"', code="NW202203011234567802"))
    write(src, "_posts/2022-03-01-202203011234567804.md", old_post('"好帖子"', code="NW202203011234567804"))
    report = tmp_path / "report.jsonl"
    settings = crawl_settings(NEWSBOT_KEEP_DAYS="0")
    command = crawl_command("migrate", (f"src={src}", f"report={report}"), settings)
    proc = subprocess.run(
        [sys.executable, "-c", FAULTS, *command[3:]],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env=CRAWL_ENV,
    )
    assert proc.returncode == 65, proc.stderr  # 2 of 3 files failed: the run says so
    assert "verdict=failed (2 of 3 old files failed (error=2))" in proc.stderr
    rows = {Path(row["path"]).name: row for row in map(json.loads, report.read_text().splitlines())}
    assert rows["2022-03-01-reader-bug.md"]["outcome"] == "failed"
    assert rows["2022-03-01-reader-bug.md"]["reason"] == "error: RuntimeError: a bug in the reader"
    assert rows["2022-03-01-202203011234567802.md"]["outcome"] == "failed"
    assert rows["2022-03-01-202203011234567802.md"]["reason"].startswith("error: KeyError")
    assert rows["2022-03-01-202203011234567804.md"]["outcome"] == "migrated"
    assert "2022-03-01-reader-bug.md: not migrated (error: RuntimeError" in proc.stderr
    assert "2022-03-01-202203011234567802.md: not migrated (error: KeyError" in proc.stderr
    stats = json.loads(Path(settings["NEWSBOT_STATS_FILE"]).read_text())
    assert stats["newsbot/migrate/failed/error"] == 2


def test_a_file_reached_through_a_linked_folder_is_outside_src(tmp_path):
    outside = write(tmp_path, "elsewhere/2022-03-01-202203011234567801.md", old_post(code=None))
    src = tmp_path / "site"
    (src / "_posts").mkdir(parents=True)
    (src / "_posts" / "link").symlink_to(outside.parent)  # as if swapped in after the scan
    old = OldFile(src / "_posts" / "link" / outside.name, "_posts")
    with pytest.raises(OldFileError) as caught:
        read_old_file(old, src)
    assert caught.value.reason == "outside_src"
    assert [(f.path.name, f.problem) for f in find_old_files(src)] == [("link", "symlink")]


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("---\ntitle: 独家: 他说\n---\nb\n", "title", "独家: 他说"),  # not YAML: the raw line
        ('---\ntitle: *x\nsummary: "a"b"\n---\nb\n', "title", None),  # an alias, even unparsed
        ("---\ntitle: [a, b]\n---\nb\n", "title", None),
        ("---\ntitle: t\ndate: 0000-00-00 00:00:00\n---\nb\n", "time", None),
        ("---\ntitle: t\ndate: 9999-12-31 23:59:59 -1200\n---\nb\n", "time", None),
        ("---\ntitle: t\ntags: !!python/object:os.system 新闻\n---\nb\n", "source", None),
        # an 18-digit number or a link in the body is not the post's code; its last line is
        ("---\ntitle: t\n---\n账号 622202123456789012\n", "code", None),
        ("---\ntitle: t\n---\n<http://finance.eastmoney.com/a/202203011234567801.html>\n正文\n", "code", None),
        ("---\ntitle: t\n---\n正文\n\n<http://finance.eastmoney.com/a/202203011234567801.html>\n", "code",
         "NW202203011234567801"),
    ],
)
def test_old_post_reading(text, field, expected):
    assert getattr(read_old_post(text, "x.md"), field) == expected
