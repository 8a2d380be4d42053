"""Writes a migration report: one JSON line per source file, with where it went and how."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot import stats
from newsbot.fileio import write_atomic
from newsbot.posts import OLD_POSTS_DIR
from newsbot.signals import article_failed, old_file_failed

logger = logging.getLogger(__name__)


class MigrationReport:
    """For spiders with ``sources`` (``migrate``): every input file gets an outcome, counted in
    the stats (``newsbot/migrate/OUTCOME``, ``newsbot/migrate/failed/REASON``) and, with
    ``-a report=FILE``, a line ``{"path", "post", "outcome", "reason"}``; outcome ``migrated``,
    ``refetched``, ``kept``, ``duplicate`` or ``failed``, reason ``KIND`` or ``KIND: detail``.
    A file that never reached an outcome is reported ``failed`` too, never left out; every
    failure is logged at WARNING with its file."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.logged: set[str] = set()  # failures the spider has logged with their file

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MigrationReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        crawler.signals.connect(extension.article_failed, signal=article_failed)
        crawler.signals.connect(extension.old_file_failed, signal=old_file_failed)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _record(self, origin: Any, post: Any, outcome: str, reason: str | None = None) -> None:
        if origin:
            self.outcomes[str(origin)] = {"post": post, "outcome": outcome, "reason": reason}
            self.logged.discard(str(origin))

    def item_scraped(self, item: Any) -> None:
        self._record(item.get("origin"), item.get("path"), item.get("outcome") or "migrated")

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        self._record(
            item.get("origin"), None, "failed", f"dropped: {type(exception).__name__}: {exception}"
        )

    def item_error(self, item: Any, failure: Failure) -> None:
        error = failure.value
        self._record(item.get("origin"), None, "failed", f"error: {type(error).__name__}: {error}")

    def spider_error(self, failure: Failure, response: Response) -> None:
        request = getattr(response, "request", None)
        extra = (request.cb_kwargs or {}).get("extra") if request is not None else None
        if isinstance(extra, dict):
            error = failure.value
            reason = f"error: {type(error).__name__}: {error}"
            self._record(extra.get("origin"), None, "failed", reason)

    def article_failed(self, code: str, reason: str, extra: dict[str, Any]) -> None:
        self._record(extra.get("origin"), None, "failed", f"upstream: {code} {reason}".strip())

    def old_file_failed(self, origin: str, outcome: str, reason: str) -> None:
        self._record(origin, None, outcome, reason)
        self.logged.add(origin)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        sources = getattr(spider, "sources", None)
        if sources is None:
            return
        rows = []
        for source in sources:
            outcome = self.outcomes.get(source) or {
                "post": None,
                "outcome": "failed",
                "reason": f"not_processed: the run ended ({reason}) before this file did",
            }
            rows.append({"path": source, **outcome, "post": _final(outcome["post"])})
        counts = self.crawler.stats
        for row in rows:
            counts.inc_value(stats.migrate_outcome(row["outcome"]))
            if row["outcome"] == "failed":
                counts.inc_value(stats.migrate_failed(failure_kind(row["reason"])))
            if row["outcome"] in ("failed", "duplicate") and row["path"] not in self.logged:
                logger.warning("%s: not migrated (%s)", row["path"], row["reason"])
        path = getattr(spider, "report_path", "")
        if not path:
            return
        try:
            write_atomic(Path(path), "".join(map(report_line, rows)).encode("utf-8"))
        except OSError as exc:  # the report promises a line per file: not writing it fails the run
            counts.inc_value(stats.REPORT_FAILED)
            logger.error("migration report %s not written: %s", path, exc.strerror or exc)
            return
        failed = sum(row["outcome"] in ("failed", "duplicate") for row in rows)
        logger.info("migration report %s: %d files, %d not migrated", path, len(rows), failed)


def failure_kind(reason: str | None) -> str:
    """The short word a failure's reason starts with, which names its stat.

    >>> failure_kind("symlink: a file symlink, not followed"), failure_kind("undecodable")
    ('symlink', 'undecodable')
    """
    return (reason or "unknown").partition(":")[0].strip() or "unknown"


def report_line(row: dict[str, Any]) -> str:
    """One JSON line, in UTF-8 where it can be; a path that is not (a file name in another
    encoding) is written with JSON escapes, which read back to the same path.

    >>> report_line({"path": "/old/\\udcff.md", "outcome": "kept"})
    '{"path": "/old/\\\\udcff.md", "outcome": "kept"}\\n'
    """
    line = json.dumps(row, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(row)
    return line + "\n"


def _final(post: str | None) -> str | None:
    """Where a post is now: rotation may have moved it to old_post/ after it was written."""
    if post is None or Path(post).exists():
        return post
    rotated = Path(post).parent.parent / OLD_POSTS_DIR / Path(post).name
    return str(rotated) if rotated.exists() else post
