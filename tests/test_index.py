"""The tree's record (``.newsbot/``): runs read only the posts they touch, and the record is
rebuilt when missing, repaired after a kill, and never makes newsbot believe in a deleted post."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

from newsbot.frontmatter import split_front_matter
from newsbot.index import TreeIndex, code_filename
from newsbot.tree import SiteTree
from tests.test_listing_crawl import NOW, Upstream, article


def listed(upstream: Path, items: list[dict]) -> Upstream:
    up = Upstream(upstream)
    up.page("columns-350-1", items)
    return up


def record(output: Path) -> dict:
    return json.loads((output / ".newsbot" / "index.json").read_text())


def category_title(output: Path, slug: str) -> str:
    return split_front_matter((output / "category" / f"{slug}.html").read_text())[0]["title"]


def test_a_post_dated_off_its_code_is_found_by_the_next_run(crawl, upstream):
    item = article(1, 0)
    item["showTime"] = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    item["code"] = f"{NOW:%Y%m%d}0000000001"  # its code says today, its time yesterday
    listed(upstream, [item, article(2, 0)])
    first = crawl("listing")
    assert first.stats["newsbot/posts/new"] == 2
    code = "NW" + item["code"]
    assert record(first.output)["moved"] == {code: first.posts()[code].name}
    second = crawl("listing")
    assert "listed=2 fetched=0 new=0 updated=0 unchanged=2" in second.log, second.log


def test_a_post_deleted_by_hand_is_fetched_again(crawl, upstream):
    items = [article(1, 0), article(2, 0)]
    listed(upstream, items)
    first = crawl("listing")
    gone = first.posts()["NW" + items[0]["code"]]
    gone.unlink()
    second = crawl("listing")
    assert second.stats["newsbot/posts/new"] == 1 and gone.is_file()
    assert second.returncode == 0, second.log


def test_a_tree_without_a_record_gets_one_and_nothing_is_refetched(crawl, upstream):
    items = [article(n, 0, ["财联社", "新华社"][n % 2]) for n in range(1, 5)]
    listed(upstream, items)
    first = crawl("listing")
    before = record(first.output)
    (first.output / ".newsbot" / "index.json").unlink()
    second = crawl("listing")
    assert "unchanged=4" in second.log and second.stats.get("newsbot/posts/new") is None
    assert record(second.output)["tags"] == before["tags"]
    (second.output / ".newsbot" / "index.json").write_text("{not json")
    third = crawl("listing")
    assert "unchanged=4" in third.log and "unreadable" in third.log
    assert record(third.output)["tags"] == before["tags"]


def test_a_killed_runs_journal_is_replayed(crawl, upstream):
    """A kill between writing a moved post and unlinking its old name leaves two copies and the
    journal line written before: the next run keeps the newer copy and counts it once."""
    items = [article(1, 0, "财联社"), article(2, 0, "财联社")]
    listed(upstream, items)
    first = crawl("listing")
    code = "NW" + items[0]["code"]
    post = first.posts()[code]
    moved_name = f"{(NOW - timedelta(days=1)):%Y-%m-%d}-{code}.md"
    text = post.read_text().replace("tags: 财联社新闻", "tags: 新华社新闻").replace(
        "categories: cailianshe", "categories: xinhuashe"
    )
    (post.parent / moved_name).write_text(text)  # the newer copy, under another date
    generation = record(first.output)["generation"]
    line = {"g": generation, "code": code, "path": "", "name": moved_name, "was": ["cailianshe", "财联社新闻"]}
    (first.output / ".newsbot" / "journal").write_text(json.dumps(line) + "\n" + '{"g": 1, "co')
    second = crawl("share", f"codes={'NW' + items[1]['code']}")
    assert second.returncode == 0, second.log
    assert not post.exists() and (post.parent / moved_name).is_file()
    assert second.stats["newsbot/posts/duplicate_removed"] == 1
    assert not (second.output / ".newsbot" / "journal").exists()
    saved = record(second.output)
    assert saved["moved"] == {code: moved_name}
    assert saved["tags"] == {"cailianshe": {"财联社新闻": 1}, "xinhuashe": {"新华社新闻": 1}}
    assert category_title(second.output, "xinhuashe") == "新华社新闻"


def test_category_titles_follow_the_counts_without_reading_the_archive(crawl, upstream, tmp_path):
    items = [article(1, 0, "新华社"), article(2, 0, "新华社"), article(3, 0, "新華社")]
    up = listed(upstream, items)
    first = crawl("listing")
    assert category_title(first.output, "xinhuashe") == "新华社新闻"
    for index in (0, 1):  # two of them now say 新華社
        up.change("columns-350-1", index, mediaName="新華社", title=f"改{index}")
    second = crawl("listing")
    assert second.stats["newsbot/posts/updated"] == 2
    assert category_title(second.output, "xinhuashe") == "新華社新闻"
    assert record(second.output)["tags"]["xinhuashe"] == {"新華社新闻": 3}
    saved = TreeIndex.open(SiteTree(second.output), writer=False)  # from the record
    saved_tags = {slug: dict(names) for slug, names in saved.tags.items()}
    (second.output / ".newsbot" / "index.json").rename(tmp_path / "saved.json")
    from_posts = TreeIndex.open(SiteTree(second.output), writer=False)  # rebuilt from the posts
    assert {slug: dict(n) for slug, n in from_posts.tags.items()} == saved_tags
    assert Counter(from_posts.tags["xinhuashe"]) == Counter({"新華社新闻": 3})


def test_code_filename():
    assert code_filename("NW202608193168724510") == "2026-08-19-NW202608193168724510.md"


def test_a_broken_newer_copy_never_replaces_the_post(crawl, upstream):
    """An empty file (or a conflict-marked one) named like a post, newer than it, in old_post/:
    neither taken for the post nor removed; the post stays."""
    items = [article(1, 0), article(2, 0)]
    listed(upstream, items)
    first = crawl("listing", settings={"NEWSBOT_INCREMENTAL": "0"})
    post = first.posts()["NW" + items[0]["code"]]
    (first.output / "old_post").mkdir(exist_ok=True)
    broken = first.output / "old_post" / post.name
    broken.write_text("<<<<<<< HEAD\n")
    second = crawl("listing", settings={"NEWSBOT_INCREMENTAL": "0"})
    assert second.returncode == 0, second.log
    assert post.is_file() and broken.read_text() == "<<<<<<< HEAD\n"
    assert second.stats.get("newsbot/posts/duplicate_removed") is None


def test_a_fifo_or_a_device_named_like_a_post_never_hangs_a_run(crawl, upstream):
    items = [article(1, 0), article(2, 0)]
    listed(upstream, items)
    output = crawl("listing").output
    (output / "old_post").mkdir(exist_ok=True)
    os.mkfifo(output / "old_post" / code_filename("NW" + items[0]["code"]))
    (output / "_posts" / f"2020-01-01-NW{items[1]['code']}.md").symlink_to("/dev/zero")
    (output / ".newsbot" / "index.json").unlink()  # the rebuild walks past them too
    result = crawl("listing", settings={"NEWSBOT_INCREMENTAL": "0"}, timeout=60)
    assert result.returncode == 0, result.log
    assert "unchanged=2" in result.log or "updated=" in result.log


def test_one_unreadable_post_costs_only_itself(crawl, upstream):
    items = [article(1, 0), article(2, 0)]
    listed(upstream, items)
    first = crawl("listing")
    post = first.posts()["NW" + items[0]["code"]]
    post.write_text("---\ntags: 新闻\n\u2028\u2028title: \"x\"\n---\n<p>x</p>\n")  # YAML's line breaks
    (first.output / ".newsbot" / "index.json").unlink()
    second = crawl("listing")
    assert second.returncode == 0, second.log
    assert second.stats["newsbot/posts/updated"] == 1  # read as no post worth keeping: refetched


def test_a_kept_date_without_an_offset_is_china_time(crawl, upstream):
    code = "NW202609060000000952"
    (upstream / "text" / f"{code}.json").write_text(
        json.dumps({"title": "标题", "text": "<p>正文。</p>", "medianame": "新华社"}, ensure_ascii=False)
    )
    output = upstream.parent / "output"
    (output / "_posts").mkdir(parents=True)
    post = output / "_posts" / f"2026-09-06-{code}.md"
    post.write_text("---\nlayout: post\ntitle: \"标题\"\ndate: 2026-09-06 22:20:26\n---\n<p>旧。</p>\n")
    result = crawl("share", f"codes={code}")
    assert result.returncode == 0, result.log
    assert result.stats["newsbot/date/kept"] == 1
    assert list(result.posts()) == [code] and post.is_file()  # not moved to the next day
    assert "date: 2026-09-06 22:20:26 +0800" in post.read_text()


# -- what an attack on the record found --------------------------------------------------------


def test_a_record_or_journal_edited_by_hand_never_deletes_another_post(crawl, upstream, tmp_path):
    items = [article(1, 0), article(2, 0)]
    listed(upstream, items)
    first = crawl("listing")
    one, two = ("NW" + item["code"] for item in items)
    other = first.posts()[two]
    first.posts()[one].unlink()
    victim = tmp_path / "victim.md"
    victim.write_text(other.read_text())
    saved = record(first.output)
    saved["moved"] = {one: other.name, two: "../../victim.md"}
    (first.output / ".newsbot" / "index.json").write_text(json.dumps(saved))
    line = {"g": saved["generation"], "code": one, "path": "", "name": "../../victim.md", "was": None}
    (first.output / ".newsbot" / "journal").write_text(json.dumps(line) + "\n" + '{"g": 1e400}\n')
    second = crawl("share", f"codes={one},{two}")
    assert second.returncode == 0, second.log
    assert other.is_file() and victim.is_file()
    assert sorted(second.posts()) == [one, two]


def test_a_post_renamed_by_hand_to_another_day_is_not_written_twice(crawl, upstream):
    items = [article(1, 0)]
    listed(upstream, items)
    first = crawl("listing")
    [post] = first.posts().values()
    renamed = post.with_name(f"{(NOW - timedelta(days=3)):%Y-%m-%d}{post.name[10:]}")
    post.rename(renamed)
    second = crawl("listing", settings={"NEWSBOT_INCREMENTAL": "0"})
    assert second.returncode == 0, second.log
    assert list(second.output.rglob(f"*{items[0]['code']}.md")) == [second.posts()["NW" + items[0]["code"]]]


def test_the_copy_a_killed_move_was_writing_wins_whatever_the_mtimes(crawl, upstream):
    """A fresh checkout gives every file the same mtime: the journal says which copy is new."""
    items = [article(1, 0)]
    listed(upstream, items)
    first = crawl("listing")
    code = "NW" + items[0]["code"]
    [old] = first.posts().values()
    new = old.with_name(f"{(NOW - timedelta(days=1)):%Y-%m-%d}-{code}.md")
    new.write_text(old.read_text().replace(items[0]["title"], "新标题"))
    os.utime(new, (1, 1))  # older than the old copy, as a checkout may leave it
    line = {"g": record(first.output)["generation"], "code": code, "path": "", "name": new.name, "was": None}
    (first.output / ".newsbot" / "journal").write_text(json.dumps(line) + "\n")
    second = crawl("share", "codes=NW202202242288329527")
    assert second.returncode == 0, second.log
    assert new.is_file() and not old.exists() and "新标题" in new.read_text()


def test_a_newsbot_folder_that_is_a_link_or_a_file_is_refused(crawl, upstream, tmp_path):
    listed(upstream, [article(1, 0)])
    output = tmp_path / "output"
    output.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (output / ".newsbot").symlink_to(tmp_path / "elsewhere")
    result = crawl("listing")
    assert result.returncode == 73, result.log
    assert list((tmp_path / "elsewhere").iterdir()) == []
    (output / ".newsbot").unlink()
    (output / ".newsbot").write_text("x")
    assert crawl("listing").returncode == 73
