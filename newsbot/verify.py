"""Checks a site tree against the post contract; every problem names its file.

It streams, so its memory is the same for a hundred posts or a million: each post folder is read
in directory order (``os.scandir``), :data:`WINDOW` names at a time, each window sorted, and its
posts are checked :data:`CHUNK` at a time, by worker processes when there are many. Problems are
handed on as they are found, in that order, whatever the number of workers; nothing is kept of a
post but one count per (category, tag) pair, for the category pages checked at the end.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sys
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from newsbot.clean import UnreadableBody, body_cuts
from newsbot.fileio import read_regular
from newsbot.frontmatter import FrontMatterError, split_front_matter
from newsbot.index import TreeIndex
from newsbot.kramdown import markdown_exposure
from newsbot.posts import (
    CATEGORY_DIR,
    OLD_POSTS_DIR,
    POSTS_DIR,
    backlinks_line,
    parse_post_filename,
    source_from_tag,
)
from newsbot.slugs import MAX_SLUG, is_slug
from newsbot.tree import SiteTree

__all__ = ["Problem", "Tally", "check_tree", "default_jobs", "verify_tree", "verify_post"]

POST_KEYS = ["layout", "title", "date", "categories", "tags"]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0800")
_LOOSE_NAME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})?-?(?:NW)?(?P<id>[0-9]{18})\.md", re.IGNORECASE
)
_ANNOUNCEMENT_NAME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9-]+\.md")
_SHARE = re.compile(r"<(https?:)?//[^>\s]+>")

WINDOW = 4096  # names read from a folder, then sorted, at a time
CHUNK = 64  # posts a worker checks at a time
AHEAD = 4  # chunks queued per worker, at most
IN_PROCESS = 1024  # up to this many posts are checked without starting workers


@dataclass(frozen=True)
class Problem:
    path: Path | str  # as walked or given: a str when found in a walk
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Tally:
    """What :func:`check_tree` did, complete once its problems have all been read."""

    checked: int = 0  # files: posts and category pages
    posts: int = 0
    problems: int = 0
    files: int = 0  # files with a problem
    workers: int = 1  # processes that checked posts (1: this one)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def verify_tree(root: Path) -> tuple[list[Problem], int]:
    """Every problem in the tree at ``root``, and how many files were checked."""
    tally = Tally()
    problems = list(check_tree(root, tally=tally))
    return problems, tally.checked


def check_tree(
    root: Path | str,
    files: Iterable[Path | str] | None = None,
    *,
    jobs: int = 1,
    tally: Tally | None = None,
) -> Iterator[Problem]:
    """The problems of the tree at ``root``, as they are found, in a stable order.

    With ``files``, only those posts (each must be a ``.md`` file in one of the tree's post
    folders, else that is its problem), and of the category pages only that the page of each
    given post's category exists and is titled with its tag: whether a page fits all its posts
    takes all of them. ``jobs`` worker processes check the posts when there are more than
    :data:`IN_PROCESS`. ``tally`` is filled in on the way.
    """
    tally = Tally() if tally is None else tally
    root = Path(root)
    folders = _post_folders(root)
    if files is None:
        paths: Iterator[str | Problem] = _walk(folders)
    else:
        paths = _given(files, folders)
    tags: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for problems, pairs, posts in _checked(paths, jobs, tally):
        tally.checked += posts
        tally.posts += posts
        for (slug, tag), count in pairs.items():
            tags[slug][tag] += count
        yield from _counted(tally, [Problem(path, message) for path, message in problems])
    if files is not None:  # some posts: the record knows the tags of the others
        saved = TreeIndex.saved(SiteTree(root))
        for slug in tags:
            tags[slug] += saved.tags.get(slug, Counter()) if saved else Counter()
    for slug, names in sorted(tags.items()):
        tally.checked += 1
        page = root / CATEGORY_DIR / f"{slug}.html"
        try:
            found = _verify_category(page, slug, names)
        except OSError as exc:
            found = [Problem(page, f"could not be checked: {exc}")]
        yield from _counted(tally, found)


def _counted(tally: Tally, problems: list[Problem]) -> list[Problem]:
    tally.problems += len(problems)
    tally.files += len({problem.path for problem in problems})
    return problems


def _post_folders(root: Path) -> list[Path]:
    folders = [root / POSTS_DIR, root / OLD_POSTS_DIR]
    if not any(folder.is_dir() for folder in folders):
        return [root]  # a bare posts folder
    return [folder for folder in folders if folder.is_dir()]


def _walk(folders: list[Path]) -> Iterator[str | Problem]:
    """Every ``*.md`` entry of the folders, a sorted window at a time; a folder that cannot be
    read is its problem."""
    for folder in folders:
        window: list[str] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.endswith(".md"):
                        window.append(entry.path)
                        if len(window) == WINDOW:
                            yield from sorted(window)
                            window = []
        except OSError as exc:
            yield Problem(folder, f"could not be read: {exc.strerror or exc}")
        yield from sorted(window)


def _given(files: Iterable[Path | str], folders: list[Path]) -> Iterator[str | Problem]:
    """The given files that are posts of the tree, in the order given (each once); any other is
    a problem."""
    seen: set[str] = set()
    for file in files:
        path = Path(file)
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        if not path.exists():
            yield Problem(path, "no such file")
        elif not path.name.endswith(".md"):
            yield Problem(path, "not a post: only .md files are checked")
        elif not any(_same_folder(path.parent, folder) for folder in folders):
            where = " or ".join(f"{folder}/" for folder in folders)
            yield Problem(path, f"not a post of the tree: not in {where}")
        else:
            yield str(path)


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


ChunkResult = tuple[list[tuple[str, str]], Counter[tuple[str, str]], int]


def _die_with_parent() -> None:
    """In a worker: end when the parent does (a SIGKILL or SIGTERM to ``scrapy verify`` would
    otherwise leave the workers waiting on their pipe for ever). Linux's PR_SET_PDEATHSIG."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def _checked(paths: Iterator[str | Problem], jobs: int, tally: Tally) -> Iterator[ChunkResult]:
    """Each chunk's problems, (category, tag) pairs and post count, in the order of ``paths``;
    checked here, or by ``jobs`` worker processes when there are more than :data:`IN_PROCESS`
    posts, at most ``jobs`` × :data:`AHEAD` chunks queued at a time."""
    chunks = _chunks(paths)
    head = list(islice(chunks, IN_PROCESS // CHUNK + 1)) if jobs > 1 else []
    if sum(len(chunk) for chunk in head) <= IN_PROCESS:
        yield from map(_check_chunk, chain(head, chunks))
        return
    tally.workers = jobs
    pool = ProcessPoolExecutor(jobs, mp_context=_start_method(), initializer=_die_with_parent)
    try:
        pending: deque = deque()
        for chunk in chain(head, chunks):
            pending.append(pool.submit(_check_chunk, chunk))
            if len(pending) >= jobs * AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


def _chunks(paths: Iterator[str | Problem]) -> Iterator[list[str | Problem]]:
    while chunk := list(islice(paths, CHUNK)):
        yield chunk


def _start_method() -> multiprocessing.context.BaseContext:
    """``fork`` (workers start at once, with what is imported) where it is safe: Linux and no
    thread but this one; else ``forkserver`` with the checker imported once, else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and _one_thread():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _one_thread() -> bool:
    """Whether this process runs a single thread (the OS's count, which is what Python checks
    before a fork, not only Python's threads)."""
    if threading.active_count() != 1:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return any(line.split() == ["Threads:", "1"] for line in status)
    except OSError:
        return False


def _check_chunk(chunk: list[str | Problem]) -> ChunkResult:
    """A worker's job: the problems of some posts (as text) and their (category, tag) pairs."""
    problems: list[tuple[str, str]] = []
    pairs: Counter[tuple[str, str]] = Counter()
    posts = 0
    for item in chunk:
        if isinstance(item, Problem):  # a folder or an argument: no post
            problems.append((str(item.path), item.message))
            continue
        posts += 1
        messages, pair = _check_post(item)
        problems += ((item, message) for message in messages)
        if pair is not None:
            pairs[pair] += 1
    return problems, pairs, posts


def _check_post(path: str) -> tuple[list[str], tuple[str, str] | None]:
    """The problems of one post, and its (category, tag) when they can name a category page."""
    read = _read_post(path)
    if isinstance(read, str):
        return [read], None
    front, body = read
    try:  # a file verify cannot judge is a problem of that file, never a crash
        messages = list(_post_problems(os.path.basename(path), front, body))
    except Exception as exc:  # noqa: BLE001
        messages = [f"could not be checked: {exc!r}"]
    slug, tag = front.get("categories"), front.get("tags")
    if isinstance(slug, str) and isinstance(tag, str) and is_slug(slug) and tag:
        return messages, (slug, tag)  # a bad slug is the post's problem; it names no page
    return messages, None


MAX_POST = 16 << 20  # no post is this long (bodies over NEWSBOT_MAX_BODY, 1 MiB, are dropped)


def _read_post_bytes(path: str | Path) -> bytes:
    """A post's bytes (see :func:`newsbot.fileio.read_regular`), at most MAX_POST."""
    data = read_regular(path, MAX_POST + 1)
    if len(data) > MAX_POST:
        raise OSError(f"over {MAX_POST} bytes: no post is that long")
    return data


def _read_post(path: str | Path) -> tuple[dict, str] | str:
    """The front matter and body of a post, or its problem."""
    try:
        text = _read_post_bytes(path).decode("utf-8")
        front, body = split_front_matter(text)
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable: {exc}"
    except FrontMatterError as exc:
        return str(exc)
    for line in text[4 : len(text) - len(body)].splitlines():
        key, colon, value = line.partition(":")
        if colon and key and not key.startswith((" ", "-")) and value.strip().startswith(":"):
            # Ruby's Psych reads a plain ":x" as a Symbol, and Jekyll refuses the whole file
            return f"front matter {key}: is a plain ':' scalar Jekyll cannot read"
    return front, body


def verify_post(path: Path) -> Iterator[Problem]:
    """The problems of one post file."""
    read = _read_post(path)
    if isinstance(read, str):
        yield Problem(path, read)
    else:
        yield from (Problem(path, message) for message in _post_problems(path.name, *read))


def _post_problems(name: str, front: dict, body: str) -> Iterator[str]:
    named = parse_post_filename(name)
    loose = _LOOSE_NAME.fullmatch(name)
    if named is None and loose:
        yield "file name's code is not NW + 18 digits"
        named = (loose["date"], "NW" + loose["id"])
    if named is None:
        # not a contract name: only an announcement without a code may be like this
        if not _ANNOUNCEMENT_NAME.fullmatch(name):
            yield "file name is not YYYY-MM-DD-CODE.md"
        for key in ("layout", "title", "date"):
            if not front.get(key):
                yield f"front matter: {key} is missing or empty"
        return
    name_date, code = named
    if not name_date:
        yield "file name has no date"
    keys = list(front)
    if keys[: len(POST_KEYS)] != POST_KEYS:
        yield f"front matter keys {keys[:5]} are not {POST_KEYS} in that order"
    for key in POST_KEYS:
        value = front.get(key)
        if key == "date" and value is not None and not isinstance(value, str):
            yield f"date {value} has no +0800 offset"
        elif not isinstance(value, str) or not value.strip():
            yield f"front matter: {key} is missing or empty"
    date, slug, tag = (
        front.get(k) if isinstance(front.get(k), str) else ""
        for k in ("date", "categories", "tags")
    )
    if front.get("layout") not in (None, "post"):
        yield f"layout is {front['layout']!r}, not 'post'"
    if date and not _DATE.fullmatch(date):
        yield f"date {date!r} is not 'YYYY-MM-DD HH:MM:SS +0800'"
    elif date and date[:10] != name_date:
        yield f"file name date {name_date} disagrees with date {date[:10]}"
    if slug and not is_slug(slug):
        yield f"category {slug[:80]!r} is not a slug [a-z0-9-] of at most {MAX_SLUG} bytes"
    yield from _verify_body(body, code, slug, tag)


def _verify_body(body: str, code: str, slug: str, tag: str) -> Iterator[str]:
    lines = [line.strip() for line in body.strip().split("\n")]
    share_at = next(
        (i for i, line in enumerate(lines) if _SHARE.fullmatch(line) or line == "<>"), None
    )
    if share_at is None:
        yield "no share link line <URL> after the body"
        html = body
    else:
        html = "\n".join(lines[:share_at])
        if code[2:] not in lines[share_at]:
            yield f"share link {lines[share_at]} does not name {code}"
        rest = [line for line in lines[share_at + 1 :] if line]
        yield from _verify_backlinks(rest, slug, tag)
    if not html.strip():
        yield "the body is empty"
        return
    try:
        cuts = body_cuts(html)  # what the cleaner would cut, executable tags and handlers
    except UnreadableBody as exc:
        cuts = {str(exc): 1}
    if cuts:
        kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(cuts.items()))
        yield f"body holds markup the cleaner removes: {kinds}"
    if "{{" in html or "{%" in html:
        yield "body holds unprotected Liquid markup ({{ or {%)"
    exposed = markdown_exposure(html)
    if exposed:
        yield f"kramdown would read body text as Markdown: {'; '.join(exposed[:3])}"


def _verify_backlinks(rest: list[str], slug: str, tag: str) -> Iterator[str]:
    """The one line after the share link must be the contract's, its text escaped."""
    line = rest[0] if len(rest) == 1 else ""
    home = line.rfind("｜[返回首页](")
    site = line[home + len("｜[返回首页](") : -2] if home >= 0 and line.endswith("/)") else None
    if site is None or not line.startswith("[返回"):
        yield "back-links are not one line [返回TAG](SITE/category/SLUG.html)｜[返回首页](SITE/)"
        return
    source = source_from_tag(tag)
    if source is None:
        return  # the tag itself is reported by the front matter checks
    expected = backlinks_line(source, slug, site)
    if line != expected:
        yield f"back-links are not {expected!r} (unescaped text or another category)"


def _verify_category(page: Path, slug: str, tags: Counter[str]) -> list[Problem]:
    if not page.is_file():
        return [
            Problem(page, f"category page missing for slug {slug!r} ({sum(tags.values())} posts)")
        ]
    try:
        front, _ = split_front_matter(page.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
        return [Problem(page, str(exc))]
    problems = []
    if front.get("layout") != "category" or front.get("category") != slug:
        problems.append(Problem(page, f"front matter is not layout: category, category: {slug}"))
    if front.get("title") not in tags:
        problems.append(
            Problem(page, f"titled {front.get('title')!r}, but its posts are tagged {sorted(tags)}")
        )
    return problems
