"""Logs one line at the end of every run saying what it did, for the scheduled job's log."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from newsbot import config, stats, verdict
from newsbot.monitors import record

logger = logging.getLogger(__name__)

DROPPED_PREFIX = verdict.DROPPED


def summary_line(values: dict[str, object], reason: str) -> str:
    """The run's summary from its stats.

    >>> print(summary_line({"newsbot/listing/entries": 5, "newsbot/text/fetched": 2,
    ...               "newsbot/posts/new": 1, "newsbot/listing/unchanged": 3,
    ...               "item_dropped_reasons_count/MissingFields": 1,
    ...               "newsbot/upstream_error/http_500": 1, "newsbot/verdict/exit_code": 0,
    ...               "newsbot/verdict/reason": "ok"}, "finished").replace(" dropped", "\\n dropped"))
    newsbot run finished: listed=5 fetched=2 new=1 updated=0 unchanged=3 rotated=0
     dropped=1 (MissingFields=1) errors=1 (upstream_error/http_500=1) verdict=ok
    """

    def get(key: str) -> int:
        return verdict.count(values, key)

    def detail(parts: dict[str, int]) -> str:
        return f" ({' '.join(f'{k}={v}' for k, v in parts.items())})" if parts else ""

    dropped = verdict.counts_under(values, DROPPED_PREFIX)
    errors: dict[str, int] = {}
    for kind in ("upstream_error", "listing_error", "item_error", "migrate/failed"):
        prefix = f"{stats.PREFIX}/{kind}/"
        errors.update({f"{kind}/{k}": v for k, v in verdict.counts_under(values, prefix).items()})
    # an exception a callback raised (Scrapy counts it, and "count" repeats the breakdown)
    errors.update(
        {f"spider_exceptions/{k}": v for k, v in verdict.counts_under(values, verdict.SPIDER_EXCEPTIONS).items()
         if k != "count"}
    )  # fmt: skip
    for key in (stats.LISTING_BAD_ENTRY, *verdict.WRITE_FAILURES):
        if get(key):
            errors[key.removeprefix(f"{stats.PREFIX}/")] = get(key)
    logged = get("log_count/ERROR")
    skipped = sum(verdict.counts_under(values, stats.listing_skipped("")).values())
    finding = verdict.Finding(get(stats.VERDICT_EXIT_CODE), str(values.get(stats.VERDICT_REASON, "")))
    unchanged = get(stats.LISTING_UNCHANGED) + get(stats.POSTS_UNCHANGED)
    return (
        f"newsbot run {reason}: listed={get(stats.LISTING_ENTRIES)}"
        + (f" skipped={skipped}" if skipped else "")
        + f" fetched={get(stats.TEXT_FETCHED)} "
        f"new={get(stats.POSTS_NEW)} updated={get(stats.POSTS_UPDATED)} unchanged={unchanged} "
        f"rotated={get(stats.POSTS_ROTATED)} dropped={sum(dropped.values())}{detail(dropped)} "
        f"errors={sum(errors.values())}{detail(errors)}"
        + (f" error_lines={logged}" if logged else "")
        + f" verdict={verdict.verdict_text(finding)}"
    )


class RunSummary:
    """The last line of every run: listed, fetched, new, updated, unchanged, rotated, dropped,
    errors, the ERROR lines logged and the verdict (logged at ERROR when the run failed)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        extension = cls(crawler)
        # connected late on purpose: rotation (another spider_closed handler) has counted by then
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def item_error(self, item: object, failure: Failure) -> None:
        # Scrapy logs a pipeline's exception but counts it nowhere: the item is lost, so count it
        self.crawler.stats.inc_value(stats.item_error(type(failure.value).__name__))

    def spider_closed(self, reason: str) -> None:
        values = self.crawler.stats.get_stats()
        if stats.VERDICT_EXIT_CODE not in values:  # spidermon turned off: the same checks, here
            fraction = config.max_failed_fraction(self.crawler.settings)
            record(self.crawler, verdict.verdict(verdict.judge(values, fraction)))
        line = summary_line(values, reason)
        if self.crawler.stats.get_value(stats.SUCCESS):
            logger.info("%s", line)
        else:
            logger.error("%s", line)
