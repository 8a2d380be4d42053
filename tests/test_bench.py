"""`make bench` still runs end to end (a small N): it checks that the benchmark works, not speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta

from bench import history
from bench.server import CHINA
from newsbot.posts import OLD_POSTS_DIR, POSTS_DIR, parse_post_filename
from newsbot.verify import verify_tree
from tests.conftest import PROJECT

HISTORY_N = 300


def test_the_benchmark_runs_and_reports_every_figure(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--n",
            "12",
            "--n",
            "24",
            "--repeat",
            "2",
            "--history",
            str(HISTORY_N),
            "--history-repeat",
            "1",
            "--cache",
            str(tmp_path / "cache"),
            "--json",
            str(out),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(out.read_text())
    assert [size["n"] for size in results["sizes"]] == [12, 24]
    for size in results["sizes"]:
        assert set(size["runs"]) == {"bare", "share", "listing", "incremental"}
        for figures in size["runs"].values():
            assert figures["articles_per_s"] > 0 and figures["peak_rss_mb"] > 0
        assert size["runs"]["share"]["written"] == size["n"]  # the crawls really wrote the posts
        assert size["runs"]["listing"]["written"] == size["n"]
        assert size["runs"]["incremental"]["written"] == 0
    assert results["cleaner"]["ratio"] > 0
    assert len(results["targets"]) == 8
    assert "server capacity" in run.stdout and "target" in run.stdout

    figures = results["history"]
    assert figures["n"] == HISTORY_N and figures["tree"]["posts"] == HISTORY_N
    assert figures["tree"]["categories"] == len(history.SOURCES)
    assert figures["generator_check"]["differ"] == []  # the synthetic posts are the crawl's
    first = figures["first_listing"]
    assert first["fresh"]["written"] == history.LISTED  # the fresh tree got the listed posts
    assert first["N"]["written"] == 0  # the N-post tree already had them, as listed
    runs = figures["runs"]
    for tree in ("fresh", "N"):
        rerun, share = runs["rerun"][tree], runs["share"][tree]
        assert (rerun["listed"], rerun["fetched"], rerun["written"]) == (history.LISTED, 0, 0)
        assert (share["fetched"], share["written"]) == (1, 0)  # its post exists, unchanged
        for run_figures in (rerun, share, runs["verify"][tree]):
            assert run_figures["wall_s"] > 0 and run_figures["peak_rss_mb"] > 20
            assert run_figures["touched"] == 0
    assert len(figures["targets"]) == 8
    for row in ("listing rerun", "share, one code", "verify, ms a post", "target verify"):
        assert row in run.stdout
    assert not list((tmp_path / "cache").glob(".runs-*"))  # the run's copies are gone


def test_the_synthetic_tree_is_clean_and_its_old_posts_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "RECENT", 40)  # 40 recent posts, 20 old ones
    old = history.cached_old_posts(60, tmp_path / "cache")
    again = history.cached_old_posts(60, tmp_path / "cache")
    assert old.generate_s is not None and again.generate_s is None and again.anchor == old.anchor
    today = datetime.now(CHINA).date()
    anchor = datetime.combine(today, time(0, 10), CHINA)  # just after midnight: the edge
    tree = tmp_path / "tree"
    counts = history.assemble_tree(tree, 60, anchor, again)
    assert counts == {"posts": 40, "old_posts": 20, "categories": counts["categories"]}
    assert verify_tree(tree) == ([], 60 + counts["categories"])
    for path in (tree / OLD_POSTS_DIR).iterdir():  # hard links to the cached posts
        assert path.stat().st_ino == (old.folder / path.name).stat().st_ino
    dates = {
        folder: sorted(
            date.fromisoformat(parse_post_filename(p.name)[0]) for p in (tree / folder).iterdir()
        )
        for folder in (POSTS_DIR, OLD_POSTS_DIR)
    }
    # rotation keeps posts dated from today - KEEP_DAYS: none of the recent ones may go, with a
    # day to spare (a bench run that passes midnight); the old ones are older than it keeps
    keep = timedelta(days=history.KEEP_DAYS)
    assert today - keep + timedelta(days=1) <= dates[POSTS_DIR][0] <= dates[POSTS_DIR][-1] <= today
    assert dates[OLD_POSTS_DIR][-1] < today - keep


def test_touched_files_are_counted_and_writes_in_place_named(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(name)
    before = history.snapshot(tmp_path)
    (tmp_path / "new").write_text("x")  # added
    (tmp_path / "b").unlink()  # removed
    with open(tmp_path / "c", "a") as handle:  # written in place: same inode
        handle.write("more")
    replaced = tmp_path / ".tmp"
    replaced.write_text("a")
    os.replace(replaced, tmp_path / "a")  # replaced atomically, as newsbot writes
    touched = history.compare(before, history.snapshot(tmp_path))
    assert (touched.changed, touched.added, touched.removed) == (["a", "c"], ["new"], ["b"])
    assert touched.in_place == ["c"] and touched.count == 4
