"""Logs one line at the end of every run saying what it did, for the scheduled job's log."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler

from newsbot import stats

logger = logging.getLogger(__name__)

DROPPED_PREFIX = "item_dropped_reasons_count/"


def summary_line(values: dict[str, object], reason: str) -> str:
    """The run's summary from its stats.

    >>> print(summary_line({"newsbot/listing/entries": 5, "newsbot/text/fetched": 2,
    ...               "newsbot/posts/new": 1, "newsbot/listing/unchanged": 3,
    ...               "item_dropped_reasons_count/MissingFields": 1,
    ...               "newsbot/upstream_error/http_500": 1}, "finished").replace(" dropped", "\\n dropped"))
    newsbot run finished: listed=5 fetched=2 new=1 updated=0 unchanged=3 rotated=0
     dropped=1 (MissingFields=1) errors=1 (upstream_error/http_500=1)
    """

    def get(key: str) -> int:
        value = values.get(key, 0)
        return value if isinstance(value, int) else 0

    def breakdown(prefixes: tuple[str, ...], strip: str) -> tuple[int, str]:
        parts = {k.removeprefix(strip): get(k) for k in sorted(values) if k.startswith(prefixes)}
        detail = " ".join(f"{k}={v}" for k, v in parts.items())
        return sum(parts.values()), f" ({detail})" if detail else ""

    dropped, dropped_detail = breakdown((DROPPED_PREFIX,), DROPPED_PREFIX)
    errors, errors_detail = breakdown(
        (stats.upstream_error(""), stats.listing_error("")), f"{stats.PREFIX}/"
    )
    unchanged = get(stats.LISTING_UNCHANGED) + get(stats.POSTS_UNCHANGED)
    return (
        f"newsbot run {reason}: listed={get(stats.LISTING_ENTRIES)} fetched={get(stats.TEXT_FETCHED)} "
        f"new={get(stats.POSTS_NEW)} updated={get(stats.POSTS_UPDATED)} unchanged={unchanged} "
        f"rotated={get(stats.POSTS_ROTATED)} dropped={dropped}{dropped_detail} "
        f"errors={errors}{errors_detail}"
    )


class RunSummary:
    """The last line of every run: listed, fetched, new, updated, unchanged, rotated, dropped, errors."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        extension = cls(crawler)
        # connected late on purpose: rotation (another spider_closed handler) has counted by then
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, reason: str) -> None:
        logger.info("%s", summary_line(self.crawler.stats.get_stats(), reason))
