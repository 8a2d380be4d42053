"""The tree's small record of itself, so that a run reads only the posts it touches.

A post is ``DATE-CODE.md`` in ``_posts/`` or ``old_post/``, and the digits of ``CODE`` begin with
the day the article was created, which is nearly always ``DATE``: such a post is found with a
stat per folder. ``.newsbot/index.json`` (hidden from Jekyll, committed with the tree) keeps
what that cannot give:

- ``moved``: code -> file name, for the posts dated otherwise than their code;
- ``tags``: category slug -> tag -> number of posts, for category titles without the archive;
- ``generation``: one more each time the record is saved.

Before writing a post, a run appends a line to ``.newsbot/journal``: the code, the file name it
writes and the slug and tag the post had. At its end it saves the record, then removes the
journal. A journal found at the start is a run killed midway: only the posts it names are read
again. A missing or unreadable record is rebuilt from the posts, once. Every lookup is checked
against the files, so a post deleted by hand is simply not found (and fetched again).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from newsbot.fileio import remove_stale_temps, write_atomic
from newsbot.posts import POSTS_DIR, parse_post_filename
from newsbot.slugs import is_slug
from newsbot.tree import PostRecord, SiteTree, read_head, read_record

logger = logging.getLogger(__name__)

RECORD_DIR = ".newsbot"
VERSION = 1
RECORD_BYTES = 64 << 20  # a record or journal larger than this is not newsbot's: rebuilt
JOURNAL_BYTES = 64 << 20


def code_filename(code: str) -> str:
    """The file name of ``code``'s post when it is dated the day its code says.

    >>> code_filename("NW202202242288329527")
    '2022-02-24-NW202202242288329527.md'
    """
    digits = code[2:]
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}-{code}.md"


def names_code(name: str, code: str) -> bool:
    """Whether ``name`` is a contract file name of ``code``'s post (a record or journal edited by
    hand may name anything: another article's post, ``../``).

    >>> names_code("2026-11-30-NW202612010000000001.md", "NW202612010000000001")
    True
    >>> names_code("../../victim.md", "NW202612010000000001")
    False
    """
    parsed = parse_post_filename(name)
    return parsed is not None and parsed[1] == code


# A post renamed by hand to fix its date, without the record, is still found when it moved this
# many days at most: a stat per day and folder, only for codes the record does not place.
NEAR_DAYS = 10


def _is_regular(path: Path) -> bool:
    """A regular file, not through a symlink (a FIFO or a link to a device would hang a read)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _near_names(code: str) -> list[str]:
    try:
        day = date(int(code[2:6]), int(code[6:8]), int(code[8:10]))
    except ValueError:  # a code whose digits are no day (Feb 30): only the record places it
        return []
    return [
        f"{day + timedelta(days=shift):%Y-%m-%d}-{code}.md"
        for shift in range(-NEAR_DAYS, NEAR_DAYS + 1)
        if shift and date.min + timedelta(days=NEAR_DAYS) < day < date.max - timedelta(days=NEAR_DAYS)
    ]


def title_of(tags: Counter[str]) -> str:
    """A category's title: the tag most of its posts carry; ties go to the first in sort order.

    >>> title_of(Counter({"新華社新闻": 1, "新华社新闻": 3}))
    '新华社新闻'
    """
    return min(tags, key=lambda name: (-tags[name], name))


@dataclass
class TreeIndex:
    """The record of one tree, loaded, repaired if a run was killed, and saved at a run's end."""

    tree: SiteTree
    moved: dict[str, str] = field(default_factory=dict)
    tags: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    generation: int = 0
    touched: set[str] = field(default_factory=set)  # slugs whose category page must be checked
    dirty: bool = False  # the record must be saved
    duplicates_removed: int = 0
    _journal: IO[str] | None = None

    @property
    def folder(self) -> Path:
        return self.tree.root / RECORD_DIR

    @property
    def record_path(self) -> Path:
        return self.folder / "index.json"

    @property
    def journal_path(self) -> Path:
        return self.folder / "journal"

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, tree: SiteTree, *, writer: bool) -> TreeIndex:
        """The tree's record. A ``writer`` rebuilds a missing record, replays a killed run's
        journal, and removes the copies a killed move left; a reader only looks."""
        index = cls(tree)
        if not index._load():
            index._rebuild(remove_duplicates=writer)
        elif writer and os.path.lexists(index.journal_path) and not index._recover():
            index = cls(tree)
            index._rebuild(remove_duplicates=True)
            index.journal_path.unlink(missing_ok=True)
        return index

    @classmethod
    def saved(cls, tree: SiteTree) -> TreeIndex | None:
        """The tree's record as saved, or ``None``: never a rebuild."""
        index = cls(tree)
        return index if index._load() else None

    def _load(self) -> bool:
        try:
            data = json.loads(read_head(self.record_path, RECORD_BYTES))
            if data.get("version") != VERSION:
                return False
            self.generation = int(data["generation"])
            self.moved = {
                str(k): str(v) for k, v in data["moved"].items() if names_code(str(v), str(k))
            }
            for slug, names in data["tags"].items():
                counts = Counter({str(k): int(v) for k, v in names.items() if int(v) > 0})
                if is_slug(str(slug)) and counts:
                    self.tags[str(slug)] = counts
        except FileNotFoundError:
            return False
        except (OSError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            logger.warning("%s unreadable (%s): rebuilding it from the posts", self.record_path, exc)
            return False
        return True

    def _rebuild(self, *, remove_duplicates: bool) -> None:
        """The record from every post: one read of the archive, for a tree that has none."""
        by_code: defaultdict[str, list[str]] = defaultdict(list)  # names first, then one read each
        read = 0
        for path in self._post_files():
            parsed = parse_post_filename(path.name)
            if parsed:
                by_code[parsed[1]].append(str(path))
            else:  # an announcement kept from an old site: only its category counts
                record = read_record(path)
                self._count(record.slug, record.tag, 1)
                read += 1
        for code, paths in by_code.items():
            kept = self._one_of(code, [Path(p) for p in paths], remove=remove_duplicates)
            if kept.name != code_filename(code):
                self.moved[code] = kept.name
            record = read_record(kept)
            self._count(record.slug, record.tag, 1)
            read += 1
        self.dirty = True
        logger.info("built %s from %d posts", self.record_path, read)

    def _post_files(self) -> Iterator[Path]:
        for folder in (self.tree.old_posts, self.tree.posts):
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
                            yield Path(entry.path)
            except FileNotFoundError:
                continue

    def _recover(self) -> bool:
        """Re-read the posts a killed run named in its journal; remove what it left half done."""
        lines = self._journal_lines()
        if lines is None:
            return False
        was: dict[str, tuple[str, str] | None] = {}
        names: defaultdict[str, list[str]] = defaultdict(list)
        for line in lines:
            key = line["code"] or line["path"]
            was.setdefault(key, line["was"])
            names[key].append(line["name"])
        for key, before in was.items():
            try:
                if key.startswith("NW"):
                    record = self.resolve(key, names[key], newest=names[key][-1])
                else:
                    path = self.tree.inside(self.tree.root / key)
                    record = read_record(path) if _is_regular(path) else None
            except (OSError, ValueError) as exc:  # a line edited by hand: that line only
                logger.warning("journal entry %r of %s skipped: %s", key[:100], self.journal_path, exc)
                continue
            if before:
                self._count(*before, -1)
            if record is not None:
                self._count(record.slug, record.tag, 1)
        for folder in (self.tree.posts, self.tree.old_posts, self.folder):
            removed = remove_stale_temps(folder)  # only a killed run leaves these
            if removed:
                logger.warning("removed %d temp file(s) a killed run left in %s", removed, folder)
        self.dirty = True
        logger.warning("a run was killed while writing: re-read the %d posts it named", len(was))
        return True

    def _journal_lines(self) -> list[dict[str, Any]] | None:
        lines: list[dict[str, Any]] = []
        try:
            text = read_head(self.journal_path, JOURNAL_BYTES)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("%s unreadable (%s): rebuilding the record", self.journal_path, exc)
            return None
        for raw in text.splitlines():
            try:
                line = json.loads(raw)
                if int(line["g"]) < self.generation:
                    continue  # saved in the record before the journal could be removed
                code, path, name = (str(line.get(k) or "") for k in ("code", "path", "name"))
                was = line.get("was")
                if was is not None and not (
                    isinstance(was, list) and len(was) == 2 and all(isinstance(w, str) for w in was)
                ):
                    raise TypeError("was")
                if code and not names_code(name, code):
                    raise ValueError("name")
                if not code and (not path or ".." in Path(path).parts or Path(path).is_absolute()):
                    raise ValueError("path")
                lines.append({"code": code, "path": path, "name": name, "was": tuple(was) if was else None})
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                continue  # the line a kill cut short, or one edited by hand
        return lines

    # -- finding posts ---------------------------------------------------------------------------

    def paths(self, code: str, extra: Iterable[str] = ()) -> list[Path]:
        """The files of ``code``'s post that exist, ``_posts/`` first (normally one, or none)."""
        names = dict.fromkeys([code_filename(code), self.moved.get(code, ""), *extra])
        found = self._found(code, names)
        if not found:  # renamed by hand to another date, maybe: look a few days around
            found = self._found(code, dict.fromkeys(_near_names(code)))
        return found

    def _found(self, code: str, names: dict[str, None]) -> list[Path]:
        found = []
        for folder in (self.tree.posts, self.tree.old_posts):
            for name in names:
                if name and names_code(name, code) and _is_regular(folder / name):
                    found.append(folder / name)
        return found

    def record(self, code: str) -> PostRecord | None:
        """What the tree holds for ``code``, read from its post (the newest copy, should a killed
        move have left two), or ``None``."""
        found = self.paths(code)
        return read_record(self._one_of(code, found, remove=False)) if found else None

    def resolve(self, code: str, extra: Iterable[str] = (), newest: str = "") -> PostRecord | None:
        """As :meth:`record`, for a writer: a copy a killed move left is removed. ``newest``: the
        name a killed run was writing, which wins whatever the mtimes say (a fresh checkout's)."""
        found = self.paths(code, extra)
        if not found:
            self.moved.pop(code, None)
            return None
        written = [p for p in found if p.name == newest and read_record(p).title]
        kept = self._one_of(code, written or found, remove=True)
        for stale in found if written else []:
            if stale != kept and read_record(stale).title:
                stale.unlink(missing_ok=True)
                self.duplicates_removed += 1
                logger.warning("%s: removed %s, the copy a killed move left behind %s", code, stale, kept)
        self._remember(code, kept.name)
        return read_record(kept)

    def _one_of(self, code: str, paths: list[Path], *, remove: bool) -> Path:
        # A run killed between writing a moved post and unlinking its old name leaves two files
        # for one article: the newer one is the truth, the other goes.
        if len(paths) == 1:
            return paths[0]
        # Only copies that read as posts are judged: an empty or broken file named like a post is
        # never taken for the truth, and never removed (nothing can tell what it was).
        readable = [p for p in paths if read_record(p).title] or paths
        kept = max(readable, key=lambda p: (p.stat().st_mtime_ns, p.parent.name == POSTS_DIR))
        if remove and readable is not paths:
            for stale in readable:
                if stale != kept:
                    stale.unlink(missing_ok=True)
                    self.duplicates_removed += 1
                    self.dirty = True
                    logger.warning("%s: removed %s, an older copy of %s", code, stale, kept)
        return kept

    def _remember(self, code: str, name: str) -> None:
        if name == code_filename(code):
            if self.moved.pop(code, None) is not None:
                self.dirty = True
        elif self.moved.get(code) != name:
            self.moved[code] = name
            self.dirty = True

    # -- writing -------------------------------------------------------------------------------

    def will_write(self, key: str, name: str, was: PostRecord | None) -> None:
        """Journal a write before it happens: ``key`` is a code, or a verbatim file's path."""
        if self._journal is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._journal = self.journal_path.open("a", encoding="utf-8")
            if self._journal.tell() and not self.journal_path.read_bytes().endswith(b"\n"):
                self._journal.write("\n")  # after a line a kill cut short
        entry = {
            "g": self.generation,
            "code": key if key.startswith("NW") else "",
            "path": "" if key.startswith("NW") else key,
            "name": name,
            "was": [was.slug, was.tag] if was and was.slug and was.tag else None,
        }
        # ASCII: a path that is not UTF-8 (surrogate escapes) survives the round trip
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()  # in the kernel before the post is: a SIGKILL keeps it
        self.dirty = True

    def wrote(self, key: str, name: str, was: PostRecord | None, slug: str, tag: str) -> None:
        """A post (or verbatim file) was written with ``slug`` and ``tag``."""
        if was is not None:
            self._count(was.slug, was.tag, -1)
        self._count(slug, tag, 1)
        if key.startswith("NW"):
            self._remember(key, name)

    def _count(self, slug: str, tag: str, delta: int) -> None:
        if not (is_slug(slug) and tag):
            return
        names = self.tags[slug]
        names[tag] += delta
        if names[tag] <= 0:
            del names[tag]
        if not names:
            del self.tags[slug]
        self.touched.add(slug)
        self.dirty = True

    def titles(self) -> dict[str, str]:
        """Slug -> title of every category page this run must check: those it changed."""
        return {slug: title_of(self.tags[slug]) for slug in sorted(self.touched) if slug in self.tags}

    def save(self) -> None:
        """Save the record (when anything changed), then drop the journal it now holds."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if not self.dirty:
            return
        data = {
            "version": VERSION,
            "generation": self.generation + 1,
            "moved": dict(sorted(self.moved.items())),
            "tags": {slug: dict(sorted(names.items())) for slug, names in sorted(self.tags.items())},
        }
        text = json.dumps(data, indent=0) + "\n"  # ASCII, whatever a tag holds
        write_atomic(self.record_path, text.encode("utf-8"))
        self.generation += 1
        self.journal_path.unlink(missing_ok=True)
        self.dirty = False

