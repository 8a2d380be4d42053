"""The history scenario of `make bench`: what a run costs on a site tree with a long history.

A synthetic tree of N posts (``--history N``), rendered by newsbot's own exporter as a crawl
would write them: 3,000 recent posts in ``_posts/`` (dated within ``NEWSBOT_KEEP_DAYS``), the rest
in ``old_post/`` (older, 1,000 a day), a few dozen sources and their category pages, every post
with the ``listing_hash`` a listing run leaves. The old posts are generated once per N, version
and rendering, cached, and hard-linked into each run's tree (newsbot never writes a file in place:
a temp file and ``os.replace``, see ``newsbot/fileio.py``; a run that did is caught, below); the
recent ones are written for each run, dated from its start.

On a fresh tree and on the N-post tree, against a loopback server that lists the 20 newest
articles: a first ``listing`` run, then (timed) the incremental rerun, with nothing changed; a
one-code ``share`` of a listed article, whose post exists on both trees; ``scrapy verify``. Each
run is a real ``scrapy`` process (wall time, peak RSS); every file's (mtime, inode, size) is taken
before and after each timed run, and any change is counted as a touched file.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from bench import server
from bench.measure import Measured, run_measured
from bench.server import CHINA, recorded_bodies, running

ROOT = Path(__file__).resolve().parent.parent

VERSION = 1  # of the synthetic tree: bump when what it holds changes, so caches are rebuilt
KEEP_DAYS = 3  # NEWSBOT_KEEP_DAYS of the runs, and what the recent posts are dated within
RECENT = 3000  # posts in _posts/; the rest are in old_post/
LISTED = 20  # the listing page: the 20 newest articles, all already in the N-post tree
SHARE_INDEX = 7  # the article `share` fetches: a listed one, so its post exists on both trees
OLD_STEP = timedelta(days=1) / 1000  # old posts: 1,000 a day, as the site publishes
TARGETS = {"time_ratio": 1.25, "rss_delta_mb": 40.0, "touched": 0, "verify_speedup": 1.8}
# `scrapy verify`, ms a post (wall, start-up taken out), of the code before issue 11 (c0179f9) at
# N = 200,000 on the development machine (2 cores, quiet), 2026-12-01: what "1.8 x faster than
# today" is measured against (another machine: --verify-baseline).
VERIFY_TODAY_MS_PER_POST = 0.67
_CHUNK = 10_000  # posts a worker writes at a time
_MARK = "【序号】"  # stands for the article's number in a body cleaned once per shape

# A few dozen outlets, each its own category (东财滚动 is `emnews` by NEWSBOT_SLUGS).
SOURCES = (
    "东财滚动", "中国日报网", "界面新闻", "财联社", "证券时报网", "新华网", "上海证券报",
    "中国证券报", "证券日报", "第一财经", "经济观察报", "21世纪经济报道", "每日经济新闻",
    "澎湃新闻", "新京报", "人民网", "央视新闻", "中国新闻网", "环球网", "金融界", "新浪财经",
    "华尔街见闻", "格隆汇", "智通财经", "红星新闻", "北京商报", "中国经营报", "券商中国",
    "期货日报", "中国基金报", "经济参考报", "科创板日报", "财经网", "证券之星", "钛媒体", "36氪",
)  # fmt: skip
COMPANIES = (
    "贵州茅台", "宁德时代", "比亚迪", "招商银行", "中国平安", "隆基绿能", "药明康德", "东方财富",
    "中芯国际", "海康威视", "美的集团", "万科A", "紫金矿业", "中国中免", "迈瑞医疗", "工商银行",
    "长江电力", "立讯精密", "腾讯控股", "阿里巴巴", "小米集团", "京东方A", "中信证券",
)  # fmt: skip
EVENTS = (
    "发布三季度业绩预告", "拟回购不超过10亿元股份", "获北向资金大幅加仓", "股东减持计划落地",
    "新产品正式发布", "签订重大合同", "涨停，成交额创年内新高", "遭监管问询", "宣布分红方案",
    "董事长变更", "定增获批", "海外业务收入同比增长", "召开业绩说明会", "调整年度经营目标",
    "入选MSCI指数", "回应市场传闻",
)  # fmt: skip


@dataclass(frozen=True)
class Synthetic:
    """One synthetic article, as upstream tells it."""

    index: int
    code: str
    moment: datetime
    title: str
    source: str
    body: str  # raw HTML, as the text answer carries it


def _midnight(day: date) -> datetime:
    return datetime.combine(day, clock(), CHINA)


def article_time(index: int, anchor: datetime) -> datetime:
    """Newest first: the first :data:`RECENT` spread over the kept days up to ``anchor`` (with a
    day to spare, so that rotation moves none of them even past midnight), the rest older than
    rotation keeps, where it would have put them (``old_post/``)."""
    if index < RECENT:
        newest = anchor - timedelta(seconds=30)
        oldest = _midnight(anchor.date() - timedelta(days=KEEP_DAYS - 1)) + timedelta(seconds=30)
        moment = newest - (newest - oldest) * index / RECENT
    else:
        newest = _midnight(anchor.date() - timedelta(days=KEEP_DAYS)) - timedelta(seconds=30)
        moment = newest - OLD_STEP * (index - RECENT)
    return moment.replace(microsecond=0)


def title_of(index: int) -> str:
    company = COMPANIES[index % len(COMPANIES)]
    event = EVENTS[index // len(COMPANIES) % len(EVENTS)]
    if index % 50 == 0:  # ASCII quotes, a colon and a hash, as real titles have: YAML escapes them
        return f'{company}回应"{event}"：#{index % 1000} 不予置评'
    if index % 3 == 0:
        return f"{company}：{event}"
    return f"{company}{event}，盘中涨{index % 10}.{index % 7}%"


def synthetic(index: int, anchor: datetime, bodies: list[str]) -> Synthetic:
    moment = article_time(index, anchor)
    # rolling news is a third of the site, the other outlets share the rest
    source = SOURCES[0] if index % 3 == 0 else SOURCES[1 + index % (len(SOURCES) - 1)]
    return Synthetic(
        index=index,
        code=f"NW{moment:%Y%m%d}{3_000_000_000 - index:010d}",  # the id starts with the date
        moment=moment,
        title=title_of(index),
        source=source,
        body=bodies[index % len(bodies)].replace("<p>", f"<p>【{index}】", 1),
    )


def text_answer(article: Synthetic) -> dict[str, str]:
    return server.text_answer(article.title, article.moment, article.source, article.body)


def listing_item(article: Synthetic) -> dict[str, str]:
    return server.listing_item(article.code, article.title, article.moment, article.source)


def history_routes(anchor: datetime) -> dict[str, bytes]:
    """The loopback server's answers: one listing page of the :data:`LISTED` newest articles,
    and their text answers and article pages."""
    bodies = recorded_bodies()
    listed = [synthetic(i, anchor, bodies) for i in range(LISTED)]
    routes = server.listing_pages([listing_item(a) for a in listed], LISTED)
    for a in listed:
        routes.update(server.article_routes(a.code, a.title, a.moment, a.source, a.body))
    return routes


# ---------------------------------------------------------------- the tree, as newsbot writes it


class PostRenderer:
    """Posts and category pages as a crawl writes them: newsbot's parser, cleaner, slugs and
    ``PostExporter``, with the project's own settings. The cleaner runs once per body shape (a
    body differs from its shape only by the article's number): 200,000 posts in well under a
    minute, where cleaning each would take half of it."""

    def __init__(self) -> None:
        from scrapy.settings import Settings

        from newsbot.clean import clean_body

        settings = Settings()
        settings.setmodule("newsbot.settings", priority="project")
        # what PostWriterPipeline.from_crawler hands the exporter
        self.options = {
            "share_url": settings.get("NEWSBOT_SHARE_URL"),
            "site_url": settings.get("NEWSBOT_SITE_URL"),
            "fields_to_export": settings.getlist("NEWSBOT_POST_FIELDS") or None,
        }
        self.slugs = settings.getdict("NEWSBOT_SLUGS")
        self.bodies = recorded_bodies()
        self.cleaned = [clean_body(b.replace("<p>", f"<p>{_MARK}", 1)) for b in self.bodies]
        self._slug_of: dict[str, str] = {}

    def slug(self, source: str) -> str:
        from newsbot.slugs import source_slug

        if source not in self._slug_of:
            self._slug_of[source] = source_slug(source, self.slugs)
        return self._slug_of[source]

    def post(self, article: Synthetic) -> tuple[str, bytes, str, str]:
        """``(file name, bytes, slug, tag)`` of the article's post, as a listing run writes it."""
        from newsbot.exporters import PostExporter
        from newsbot.items import Article
        from newsbot.parse import ListingEntry, record_fields, text_fields
        from newsbot.posts import post_filename, tag_for
        from newsbot.slugs import source_name
        from newsbot.spiders.listing import listing_hash

        fields = text_fields(text_answer(article))
        source = source_name(fields.source or "") or ""
        cleaned = self.cleaned[article.index % len(self.cleaned)]
        item = Article(
            code=article.code,
            title=fields.title,
            date=fields.time,
            source=source,
            slug=self.slug(source),
            body=cleaned.html.replace(_MARK, f"【{article.index}】", 1),
            stocks=list(cleaned.stocks),
            listing_hash=listing_hash(ListingEntry(article.code, record_fields(listing_item(article)))),
        )
        buffer = io.BytesIO()
        PostExporter(buffer, **self.options).export_item(item)
        return post_filename(article.code, fields.time), buffer.getvalue(), item["slug"], tag_for(source)

    def fingerprint(self) -> str:
        """Changes whenever newsbot would write these posts differently: part of the cache key."""
        from newsbot.posts import render_category

        probe = datetime(2026, 1, 1, 12, tzinfo=CHINA)
        digest = hashlib.sha256(f"v{VERSION}".encode())
        for index in range(0, 2 * len(self.bodies) * len(SOURCES), 7):
            name, data, slug, tag = self.post(synthetic(index, probe, self.bodies))
            digest.update(name.encode() + data + render_category(slug, tag).encode())
        return digest.hexdigest()[:12]


@functools.cache
def renderer() -> PostRenderer:
    """This process's renderer (workers make their own)."""
    return PostRenderer()


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_posts(folder: Path, start: int, stop: int, anchor: datetime) -> dict[str, str]:
    """Posts ``start`` to ``stop - 1`` into ``folder``; the tag of each slug they use."""
    render = renderer()
    tags: dict[str, str] = {}
    for index in range(start, stop):
        name, data, slug, tag = render.post(synthetic(index, anchor, render.bodies))
        _write_new(folder / name, data)
        tags[slug] = tag
    return tags


def write_posts_parallel(folder: Path, start: int, stop: int, anchor: datetime) -> dict[str, str]:
    """:func:`write_posts`, by one worker a core when there are many (rendering is ~0.3 ms a
    post, creating the file ~0.2 ms on the development machine's disk)."""
    chunks = [(folder, a, min(a + _CHUNK, stop), anchor) for a in range(start, stop, _CHUNK)]
    if len(chunks) > 1:
        workers = min(len(chunks), os.cpu_count() or 1)
        with multiprocessing.get_context("spawn").Pool(workers) as pool:  # no fork of threads
            parts = pool.starmap(write_posts, chunks)
    else:
        parts = [write_posts(*chunk) for chunk in chunks]
    return merge_tags(*parts)


def merge_tags(*parts: dict[str, str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in parts:
        for slug, tag in part.items():
            if tags.setdefault(slug, tag) != tag:  # the writer would title the page by majority
                raise ValueError(f"{tag} and {tags[slug]} share the slug {slug}")
    return tags


def write_categories(folder: Path, tags: dict[str, str]) -> None:
    from newsbot.posts import render_category

    for slug, tag in tags.items():
        _write_new(folder / f"{slug}.html", render_category(slug, tag).encode())


@dataclass(frozen=True)
class OldPosts:
    """The cached ``old_post/`` of a tree: written once, dated before the day it was made."""

    folder: Path
    anchor: datetime
    tags: dict[str, str]
    generate_s: float | None  # None: reused


def cached_old_posts(n: int, cache: Path) -> OldPosts:
    """The ``n - RECENT`` old posts of the tree, generated unless cached. Keyed by N, the
    version and newsbot's rendering, not by the day: old posts stay old as days pass, so only
    the recent ones are written again for each run (a few seconds)."""
    from newsbot.posts import OLD_POSTS_DIR

    entry = cache / f"v{VERSION}-{renderer().fingerprint()}-n{n}"
    manifest = entry / "manifest.json"
    cache.mkdir(parents=True, exist_ok=True)
    prune(cache)
    seconds = None
    if not manifest.is_file():
        seconds = _build_old_posts(entry, n)
    os.utime(manifest)  # in use: see prune()
    saved = json.loads(manifest.read_text())
    anchor = datetime.fromisoformat(saved["anchor"])
    return OldPosts(entry / OLD_POSTS_DIR, anchor, saved["tags"], seconds)


def _build_old_posts(entry: Path, n: int) -> float | None:
    """Generate into ``entry``; the seconds it took (None: another bench was first)."""
    from newsbot.posts import OLD_POSTS_DIR

    building = entry.parent / f".building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    (building / OLD_POSTS_DIR).mkdir(parents=True)
    anchor = datetime.now(CHINA).replace(microsecond=0)
    started = time.perf_counter()
    tags = write_posts_parallel(building / OLD_POSTS_DIR, RECENT, n, anchor)
    seconds = round(time.perf_counter() - started, 1)
    manifest = {"anchor": anchor.isoformat(), "tags": tags, "generate_s": seconds}
    (building / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    try:
        os.rename(building, entry)  # whole or not at all: a killed generation is never used
    except OSError:  # another bench built the same posts meanwhile: theirs are as good
        shutil.rmtree(building, ignore_errors=True)
        return None
    return seconds


_UNUSED = timedelta(days=2)


def prune(cache: Path) -> None:
    """Drop cached posts no bench has used for two days (another version or rendering: a bench
    in another checkout may still use one), and what killed bench runs left (process gone)."""
    for path in cache.iterdir():
        pid = path.name.rpartition("-")[2]
        if path.name.startswith("."):
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            used = datetime.fromtimestamp((path / "manifest.json").stat().st_mtime, CHINA)
        except FileNotFoundError:
            used = datetime.min.replace(tzinfo=CHINA)
        if datetime.now(CHINA) - used > _UNUSED:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's
        return True
    return True


def assemble_tree(
    root: Path, n: int, anchor: datetime, old: OldPosts | None = None
) -> dict[str, int]:
    """The N-post tree at ``root`` (which must not exist): the recent posts dated from
    ``anchor``, the old ones (``old``: cached, as hard links; newsbot never writes a file in
    place, it writes a temp file and renames it, see newsbot/fileio.py, and a run that did is
    caught by :func:`compare`), the category pages."""
    from newsbot.posts import CATEGORY_DIR, OLD_POSTS_DIR, POSTS_DIR

    for name in (POSTS_DIR, CATEGORY_DIR):
        (root / name).mkdir(parents=True)
    if old is None:
        (root / OLD_POSTS_DIR).mkdir()
        old_tags = write_posts_parallel(root / OLD_POSTS_DIR, RECENT, n, anchor)
    else:
        subprocess.run(["cp", "-al", str(old.folder), str(root / OLD_POSTS_DIR)], check=True)
        old_tags = old.tags
    tags = merge_tags(write_posts(root / POSTS_DIR, 0, min(n, RECENT), anchor), old_tags)
    write_categories(root / CATEGORY_DIR, tags)
    return {"posts": min(n, RECENT), "old_posts": max(0, n - RECENT), "categories": len(tags)}


# ---------------------------------------------------------------- touched files

FileState = tuple[int, int, int]  # mtime_ns, inode, size


def snapshot(root: Path) -> dict[str, FileState]:
    """Every file under ``root``, by path relative to it."""
    found: dict[str, FileState] = {}
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[os.path.relpath(entry.path, root)] = (st.st_mtime_ns, st.st_ino, st.st_size)
    return found


@dataclass(frozen=True)
class Touched:
    changed: list[str]  # written, replaced, or moved away and back
    added: list[str]
    removed: list[str]
    in_place: list[str]  # changed without a new inode: written in place, through a hard link

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.added) + len(self.removed)


def compare(before: dict[str, FileState], after: dict[str, FileState]) -> Touched:
    changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
    return Touched(
        changed=changed,
        added=sorted(after.keys() - before.keys()),
        removed=sorted(before.keys() - after.keys()),
        in_place=[p for p in changed if before[p][1] == after[p][1]],
    )


# ---------------------------------------------------------------- the runs


@dataclass
class Tree:
    """One tree of the scenario and what its runs found."""

    name: str  # "fresh" or "N"
    root: Path
    posts: int = 0
    touched_in_place: list[str] | None = None


class Runner:
    """Runs the scenario's ``scrapy`` processes against one server, with one set of settings."""

    def __init__(self, base: str, client: dict[str, str], work: Path, share_code: str):
        self.work = work
        self.share_code = share_code
        self.settings = {
            **client,
            "NEWSBOT_KEEP_DAYS": str(KEEP_DAYS),  # rotation on, as the scheduled job runs
            "NEWSBOT_TEXT_URL": f"{base}/NewsData/GetNewsText.do?id={{code}}",
            "NEWSBOT_ARTICLE_URL": f"{base}/a/{{id}}.html",
            "NEWSBOT_LISTING_URL": f"{base}/comm/web/getNewsByColumns",
        }
        self.serial = 0

    def scrapy(self, tree: Tree, args: list[str], label: str) -> tuple[Measured, dict, Touched]:
        """One ``scrapy`` process on ``tree``: measured, its stats, and the files it touched."""
        self.serial += 1
        stem = self.work / f"{self.serial:02d}-{label}-{tree.name}"
        stats_file = stem.with_suffix(".stats.json")  # outside the tree: no file of it
        command = [sys.executable, "-m", "scrapy", *args]
        if args[0] == "crawl":
            settings = {**self.settings, "NEWSBOT_OUTPUT_DIR": str(tree.root)}
            for name, value in {**settings, "NEWSBOT_STATS_FILE": str(stats_file)}.items():
                command += ["-s", f"{name}={value}"]
        before = snapshot(tree.root)
        measured = run_measured(command, cwd=ROOT, log=stem.with_suffix(".log"))
        touched = compare(before, snapshot(tree.root))
        if measured.exit_code != 0:
            raise SystemExit(f"{' '.join(args)} on the {tree.name} tree failed; see {stem}.log")
        if touched.in_place:
            tree.touched_in_place = (tree.touched_in_place or []) + touched.in_place
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        return measured, stats, touched

    def listing(self, tree: Tree, label: str) -> dict[str, Any]:
        args = ["crawl", "listing", "-a", "columns=350", "-a", "pages=1", "-a", f"page_size={LISTED}"]
        return _figures(*self.scrapy(tree, args, label))

    def share(self, tree: Tree) -> dict[str, Any]:
        args = ["crawl", "share", "-a", f"codes={self.share_code}"]
        return _figures(*self.scrapy(tree, args, "share"))

    def verify(self, tree: Tree) -> dict[str, Any]:
        measured, _, touched = self.scrapy(tree, ["verify", str(tree.root)], "verify")
        figures = _figures(measured, {}, touched)
        figures["ms_per_post"] = round(measured.wall_s * 1000 / max(tree.posts, 1), 3)
        return figures


def _figures(measured: Measured, stats: dict, touched: Touched) -> dict[str, Any]:
    from newsbot import stats as keys

    return {
        "wall_s": measured.wall_s,
        "cpu_s": measured.cpu_s,
        "peak_rss_mb": measured.peak_rss_mb,
        "process_peak_mb": measured.process_peak_mb,
        "requests": stats.get("downloader/request_count", 0),
        "listed": stats.get(keys.LISTING_ENTRIES, 0),
        "fetched": stats.get(keys.TEXT_FETCHED, 0),
        "written": stats.get(keys.POSTS_NEW, 0) + stats.get(keys.POSTS_UPDATED, 0),
        "touched": touched.count,
        "touched_files": (touched.changed + touched.added + touched.removed)[:10],
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one command: the median wall time, the largest RSS and touched count."""
    figures = dict(runs[len(runs) // 2])
    figures["wall_s"] = round(statistics.median(r["wall_s"] for r in runs), 3)
    figures["wall_s_each"] = [r["wall_s"] for r in runs]
    figures["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    figures["touched"] = max(r["touched"] for r in runs)
    return figures


def _alternating(
    run: Callable[[Tree], dict[str, Any]], trees: list[Tree], repeat: int
) -> dict[str, dict[str, Any]]:
    """``repeat`` runs on each tree, fresh and N in turn, so that a slow minute on the shared
    machine falls on both; a summary a tree."""
    runs: dict[str, list[dict[str, Any]]] = {tree.name: [] for tree in trees}
    for _ in range(repeat):
        for tree in trees:
            runs[tree.name].append(run(tree))
    return {name: _summary(figures) for name, figures in runs.items()}


def generator_check(fresh: Path, tree: Path) -> dict[str, Any]:
    """Whether the posts and category pages the fresh tree's first listing run wrote are, byte
    for byte, those of the synthetic tree: the tree is what a real run leaves."""
    from newsbot.posts import CATEGORY_DIR, POSTS_DIR

    compared, differ = 0, []
    for folder in (POSTS_DIR, CATEGORY_DIR):
        for path in sorted((fresh / folder).iterdir()):
            compared += 1
            twin = tree / folder / path.name
            if not twin.is_file() or twin.read_bytes() != path.read_bytes():
                differ.append(f"{folder}/{path.name}")
    return {"compared": compared, "differ": differ}


def run_history(
    n: int, *, client: dict[str, str], work: Path, cache: Path, repeat: int, verify_baseline: float
) -> dict[str, Any]:
    """The whole scenario for the N-post tree; the figures, the checks and the targets."""
    started = time.perf_counter()
    old = cached_old_posts(n, cache) if n > RECENT else None
    copies = cache / f".runs-{os.getpid()}"  # beside the cache: hard links need one file system
    shutil.rmtree(copies, ignore_errors=True)
    copies.mkdir(parents=True)
    anchor = datetime.now(CHINA).replace(microsecond=0)
    try:
        assemble_started = time.perf_counter()
        big = Tree("N", copies / "tree", posts=n)
        counts = assemble_tree(big.root, n, anchor, old)
        assemble_s = round(time.perf_counter() - assemble_started, 1)
        fresh = Tree("fresh", copies / "fresh", posts=LISTED)
        fresh.root.mkdir()
        with running(["--history", anchor.isoformat()], work / "history-port") as base:
            runner = Runner(base, client, work, synthetic(SHARE_INDEX, anchor, [""]).code)
            first = {"fresh": runner.listing(fresh, "listing-first")}
            check = generator_check(fresh.root, big.root)  # before any run could rewrite it
            first["N"] = runner.listing(big, "listing-first")
            trees = [fresh, big]
            runs = {
                "rerun": _alternating(lambda tree: runner.listing(tree, "rerun"), trees, repeat),
                "share": _alternating(runner.share, trees, repeat),
                "verify": _alternating(runner.verify, trees, 1),  # long, and no ratio target
            }
        in_place = (big.touched_in_place or []) + (fresh.touched_in_place or [])
        if old is not None and big.touched_in_place:
            # a run wrote through a hard link into the cached posts: never use them again
            shutil.rmtree(old.folder.parent, ignore_errors=True)
    finally:
        shutil.rmtree(copies, ignore_errors=True)
    results = {
        "n": n,
        "tree": {
            **counts,
            "old_posts_generate_s": old.generate_s if old else None,
            "old_posts_cached": old is not None and old.generate_s is None,
            "assemble_s": assemble_s,
            "anchor": anchor.isoformat(),
        },
        "generator_check": check,
        "first_listing": first,
        "runs": runs,
        "written_in_place": in_place[:10],
        "repeat": repeat,
        "verify_baseline_ms_per_post": verify_baseline,
        "scenario_s": round(time.perf_counter() - started, 1),
    }
    results["targets"] = targets(results)
    return results


def _ratio(runs: dict[str, dict[str, Any]]) -> tuple[float, float]:
    fresh, big = runs["fresh"], runs["N"]
    return big["wall_s"] / fresh["wall_s"], big["peak_rss_mb"] - fresh["peak_rss_mb"]


def verify_ms_per_post(verify: dict[str, dict[str, Any]], n: int) -> float:
    """What one more post costs `scrapy verify`: start-up and the fresh tree's posts taken out."""
    extra = verify["N"]["wall_s"] - verify["fresh"]["wall_s"]
    return round(extra * 1000 / max(n - LISTED, 1), 4)


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    runs, n = results["runs"], results["n"]
    checks: dict[str, dict[str, Any]] = {}
    for name, label in (("rerun", "listing rerun"), ("share", "share of one code")):
        ratio, delta = _ratio(runs[name])
        checks[f"{label} <= {TARGETS['time_ratio']} x fresh"] = {
            "met": ratio <= TARGETS["time_ratio"],
            "detail": f"x{ratio:.2f}",
        }
        checks[f"{label} RSS <= fresh + {TARGETS['rss_delta_mb']:g} MB"] = {
            "met": delta <= TARGETS["rss_delta_mb"],
            "detail": f"{delta:+.1f} MB",
        }
    touched = runs["rerun"]["N"]["touched"] + runs["rerun"]["fresh"]["touched"]
    checks["a rerun that changes nothing touches no file"] = {
        "met": touched == TARGETS["touched"],
        "detail": f"{touched} files touched",
    }
    per_post = verify_ms_per_post(runs["verify"], n)
    baseline = results["verify_baseline_ms_per_post"]
    speedup = baseline / per_post if per_post > 0 and baseline > 0 else None
    checks[f"verify >= {TARGETS['verify_speedup']} x faster a post than before"] = {
        "met": speedup is not None and speedup >= TARGETS["verify_speedup"],
        "detail": f"{per_post} ms a post against {baseline} before"
        + (f" (x{speedup:.2f})" if speedup else " (no baseline)"),
    }
    # Flat: no process grows with the tree. verify checks a big tree in worker processes, each
    # the size of the one that checks a small tree alone; their sum is the pool, not the tree.
    fresh, big = runs["verify"]["fresh"], runs["verify"]["N"]
    grown = big.get("process_peak_mb", 0.0) - fresh.get("process_peak_mb", 0.0)
    checks[f"verify memory flat (each process <= fresh + {TARGETS['rss_delta_mb']:g} MB)"] = {
        "met": grown <= TARGETS["rss_delta_mb"],
        "detail": f"{grown:+.1f} MB a process ({fresh.get('process_peak_mb')} -> "
        f"{big.get('process_peak_mb')} MB; all processes together {big['peak_rss_mb']} MB)",
    }
    check = results["generator_check"]
    checks["synthetic tree is what the crawl writes"] = {
        "met": not check["differ"],
        "detail": f"{check['compared'] - len(check['differ'])}/{check['compared']} files identical"
        + (f"; differ: {', '.join(check['differ'][:5])}" if check["differ"] else ""),
    }
    return checks


def table(results: dict[str, Any]) -> str:
    n, tree, runs = results["n"], results["tree"], results["runs"]
    if tree["old_posts_cached"]:
        made = "old posts cached, "
    elif tree["old_posts_generate_s"] is not None:
        made = f"old posts generated in {tree['old_posts_generate_s']} s, "
    else:
        made = ""
    lines = [
        f"history: N={n} ({tree['posts']} in _posts/, {tree['old_posts']} in old_post/, "
        f"{tree['categories']} categories), {made}tree made in {tree['assemble_s']} s; "
        f"median of {results['repeat']} for rerun and share; whole scenario {results['scenario_s']} s",
        f"{'scenario':<38} {'fresh s':>8} {'N s':>8} {'ratio':>6} {'fresh MB':>9} {'N MB':>7} "
        f"{'ΔMB':>7} {'touched':>8} {'CPU s fresh/N':>14}",
    ]
    names = {
        "rerun": f"listing rerun ({LISTED} listed, {runs['rerun']['N']['fetched']} fetched)",
        "share": "share, one code (its post exists)",
        "verify": "verify",
    }
    for name, label in names.items():
        fresh, big = runs[name]["fresh"], runs[name]["N"]
        ratio, delta = _ratio(runs[name])
        lines.append(
            f"{label:<38} {fresh['wall_s']:>8.2f} {big['wall_s']:>8.2f} {ratio:>6.2f} "
            f"{fresh['peak_rss_mb']:>9.1f} {big['peak_rss_mb']:>7.1f} {delta:>+7.1f} "
            f"{fresh['touched'] + big['touched']:>8} {fresh['cpu_s']:>6.2f}/{big['cpu_s']:<7.2f}"
        )
    verify = runs["verify"]
    lines.append(
        f"{'verify, ms a post (wall / posts)':<38} {verify['fresh']['ms_per_post']:>8.3f} "
        f"{verify['N']['ms_per_post']:>8.3f}   marginal (N - fresh): "
        f"{verify_ms_per_post(verify, n)} ms a post"
    )
    lines.append(
        "(touched: files of the tree changed, added or removed by the timed runs; CPU: user +"
        " system, steadier than wall time on a shared machine; targets are on wall time)"
    )
    for name, check in results["targets"].items():
        lines.append(f"target {name:<48} {'met' if check['met'] else 'NOT MET':<8} {check['detail']}")
    if results["written_in_place"]:
        lines.append(f"WARNING: files written in place (cache dropped): {results['written_in_place']}")
    return "\n".join(lines)
