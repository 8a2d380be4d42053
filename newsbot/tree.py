"""The output tree: where posts, old posts and category pages live, and what is already there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsbot.posts import CATEGORY_DIR, OLD_POSTS_DIR, POSTS_DIR, parse_post_filename

__all__ = ["SiteTree"]


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
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"{path} is outside the output tree {self.root}")
        return path

    def existing_posts(self) -> dict[str, Path]:
        """Code to file of every contract-named post in ``_posts/`` and ``old_post/``.

        Should one article have several files (a tree written by hand), the newest name wins.
        """
        found: dict[str, Path] = {}
        for folder in (self.old_posts, self.posts):
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.md")):
                parsed = parse_post_filename(path.name)
                if parsed:
                    found[parsed[1]] = path
        return found
