"""Writes a migration report: one JSON line per source file, with where it went and how."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsbot.fileio import write_atomic
from newsbot.posts import OLD_POSTS_DIR
from newsbot.signals import article_failed

logger = logging.getLogger(__name__)


class MigrationReport:
    """For spiders with a ``report_path`` (``migrate -a report=FILE``): every input file gets a
    line ``{"path", "post", "outcome", "reason"}``, outcome ``migrated``, ``refetched``, ``kept``
    or ``failed``. A file that never reached an outcome is reported ``failed`` too, never left out."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.outcomes: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MigrationReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.article_failed, signal=article_failed)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _record(self, origin: Any, post: Any, outcome: str, reason: str | None = None) -> None:
        if origin:
            self.outcomes[str(origin)] = {"post": post, "outcome": outcome, "reason": reason}

    def item_scraped(self, item: Any) -> None:
        self._record(item.get("origin"), item.get("path"), item.get("outcome") or "migrated")

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        self._record(item.get("origin"), None, "failed", f"{type(exception).__name__}: {exception}")

    def article_failed(self, code: str, reason: str, extra: dict[str, Any]) -> None:
        self._record(extra.get("origin"), None, "failed", f"{code} upstream: {reason}".strip())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        path = getattr(spider, "report_path", "")
        if not path:
            return
        rows = []
        for source in getattr(spider, "sources", []):
            outcome = self.outcomes.get(source) or {
                "post": None,
                "outcome": "failed",
                "reason": f"not processed (the run ended: {reason})",
            }
            rows.append({"path": source, **outcome, "post": _final(outcome["post"])})
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        write_atomic(Path(path), text.encode("utf-8"))
        failed = sum(row["outcome"] == "failed" for row in rows)
        logger.info("migration report %s: %d files, %d failed", path, len(rows), failed)


def _final(post: str | None) -> str | None:
    """Where a post is now: rotation may have moved it to old_post/ after it was written."""
    if post is None or Path(post).exists():
        return post
    rotated = Path(post).parent.parent / OLD_POSTS_DIR / Path(post).name
    return str(rotated) if rotated.exists() else post
