"""The output tree: where posts, old posts and category pages live, and what is already there."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsbot.frontmatter import FrontMatterError, split_front_matter
from newsbot.posts import CATEGORY_DIR, OLD_POSTS_DIR, POSTS_DIR, parse_post_filename

__all__ = ["SiteTree", "PostRecord"]

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

    def category_page(self, slug: str) -> Path:
        return self.inside(self.categories / f"{slug}.html")

    def inside(self, path: Path) -> Path:
        """``path``, refused if it would land outside the tree."""
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"{path} is outside the output tree {self.root}")
        return path

    def post_files(self) -> Iterator[tuple[str, Path]]:
        """``(code, path)`` of every contract-named post, ``old_post/`` first, then ``_posts/``."""
        for folder in (self.old_posts, self.posts):
            if folder.is_dir():
                for path in sorted(folder.glob("*.md")):
                    parsed = parse_post_filename(path.name)
                    if parsed:
                        yield parsed[1], path

    def index(self) -> dict[str, PostRecord]:
        """Every post's record, read from its front matter: the state incremental runs rely on.

        Should one article have several files (a tree edited by hand), the one in ``_posts/`` wins.
        """
        records: dict[str, PostRecord] = {}
        for code, path in self.post_files():
            try:
                front, _ = split_front_matter(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
                logger.warning(
                    "%s: unreadable post %s (%s); it will be fetched again", code, path, exc
                )
                records[code] = PostRecord(code, path)
                continue
            records[code] = PostRecord(
                code,
                path,
                title=str(front.get("title") or ""),
                date=str(front.get("date") or ""),
                slug=str(front.get("categories") or ""),
                tag=str(front.get("tags") or ""),
            )
        return records

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
