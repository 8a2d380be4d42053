"""The output tree: where posts, old posts and category pages live, and what is already there."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsbot.fileio import TEMP_PREFIX, read_regular
from newsbot.frontmatter import FrontMatterError, front_matter_block, read_scalars
from newsbot.posts import CATEGORY_DIR, OLD_POSTS_DIR, POSTS_DIR, parse_post_filename

__all__ = ["SiteTree", "PostRecord", "read_record"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostRecord:
    """What the tree says of one written post: where it is and its contract keys."""

    code: str
    path: Path
    title: str = ""
    date: str = ""
    slug: str = ""
    tag: str = ""
    listing_hash: str = ""  # what the listing showed when the post was last written


@dataclass(frozen=True)
class SiteTree:
    """Paths of one site tree (``NEWSBOT_OUTPUT_DIR``); every path it hands out stays inside it."""

    root: Path

    @property
    def posts(self) -> Path:
        return self.root / POSTS_DIR

    @property
    def old_posts(self) -> Path:
        return self.root / OLD_POSTS_DIR

    @property
    def categories(self) -> Path:
        return self.root / CATEGORY_DIR

    def unusable(self) -> str | None:
        """Why newsbot must not write into this tree, or ``None``: the root and its folders must
        be real folders (a symlinked ``_posts`` would send posts anywhere, ``inside()`` being
        lexical).

        >>> SiteTree(Path("/dev/null")).unusable()
        '/dev/null is not a folder'
        """
        if self.root.exists() and not self.root.is_dir():
            return f"{self.root} is not a folder"
        for folder in (self.posts, self.old_posts, self.categories, self.root / ".newsbot"):
            if folder.is_symlink():
                return f"{folder} is a symbolic link; newsbot writes only into real folders"
            if folder.exists() and not folder.is_dir():
                return f"{folder} is not a folder"
        return None

    def probe(self) -> None:
        """Raise ``OSError`` unless a file can be created in the tree (a read-only mount, an
        immutable folder): found before starting, it is one line and exit 73."""
        self.posts.mkdir(parents=True, exist_ok=True)
        record = self.root / ".newsbot"  # the tree's record: a probe a kill leaves is removed there
        record.mkdir(exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=record)
        os.close(fd)
        os.unlink(name)

    def category_page(self, slug: str) -> Path:
        return self.inside(self.categories / f"{slug}.html")

    def inside(self, path: Path) -> Path:
        """``path``, refused if it would land outside the tree (``..``, an absolute part)."""
        root = os.path.abspath(self.root)  # lexical, no syscall per component: names are checked
        if os.path.commonpath([os.path.abspath(path), root]) != root:
            raise ValueError(f"{path} is outside the output tree {self.root}")
        return path

    def rotate(self, cutoff: date) -> list[tuple[Path, Path]]:
        """Move posts dated before ``cutoff`` from ``_posts/`` to ``old_post/``; the moves made."""
        moves: list[tuple[Path, Path]] = []
        if not self.posts.is_dir():
            return moves
        for path in sorted(self.posts.glob("*.md")):
            parsed = parse_post_filename(path.name)
            if not parsed or date.fromisoformat(parsed[0]) >= cutoff:
                continue
            self.old_posts.mkdir(parents=True, exist_ok=True)
            target = self.old_posts / path.name
            os.replace(path, target)  # atomic on one filesystem: the post is always somewhere
            moves.append((path, target))
        return moves


def read_record(path: Path) -> PostRecord:
    """The record of one post file (title, date, slug and tag empty where unreadable).

    Only scalar strings are read, by :func:`newsbot.frontmatter.read_scalars`: a hand-edited or
    hostile file (an alias bomb, a list where a title belongs) gives empty fields, never a hang.
    """
    parsed = parse_post_filename(path.name)
    code = parsed[1] if parsed else ""
    try:
        block, _ = front_matter_block(read_head(path))
        front = read_scalars(block)
    except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
        logger.warning("%s: unreadable post %s (%s); it will be fetched again", code, path, exc)
        return PostRecord(code, path)

    def text(key: str) -> str:
        value = front.get(key)
        return value.text or "" if value else ""

    return PostRecord(
        code,
        path,
        title=text("title"),
        date=text("date"),
        slug=text("categories"),
        tag=text("tags"),
        listing_hash=text("listing_hash"),
    )


# Front matter is a few hundred bytes; a post's head is read up to this, never a whole huge file.
HEAD_BYTES = 1 << 20


def read_head(path: Path, limit: int = HEAD_BYTES) -> str:
    """The start of a post file, as text: a regular file only (a FIFO or a device named like a
    post would block or never end), opened without following a symlink.

    >>> read_head(Path("/dev/null"))
    Traceback (most recent call last):
    ...
    OSError: /dev/null is not a regular file
    """
    head = read_regular(path, limit)
    # a multibyte character cut at the limit is not the file's fault
    return head.decode("utf-8", errors="strict" if len(head) < limit else "ignore")
