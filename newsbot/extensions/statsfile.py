"""Writes the crawl stats to ``NEWSBOT_STATS_FILE`` when the spider closes: JSON, or the
Prometheus text format when the name ends in ``.prom`` (node_exporter's textfile collector)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.spiders import Spider

from newsbot import stats
from newsbot.fileio import write_atomic

logger = logging.getLogger(__name__)

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def metric_name(key: str) -> str:
    """A stat's Prometheus name: ``newsbot_`` and the key, any other character as ``_``.

    >>> metric_name("newsbot/upstream_error/http_500"), metric_name("log_count/ERROR")
    ('newsbot_upstream_error_http_500', 'newsbot_log_count_ERROR')
    """
    key = key.removeprefix(f"{stats.PREFIX}/")
    return "newsbot_" + "".join(c if c in _NAME_CHARS else "_" for c in key)


def _number(value: object) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):  # start_time, finish_time: seconds since the epoch
        return value.timestamp()
    return None


def _format(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    return repr(value)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def prometheus_text(values: Mapping[str, object], spider: str, end_time: float) -> str:
    """Every numeric stat as a gauge labelled with the spider, the run's success (1 or 0) and
    its end time, in the Prometheus text exposition format.

    >>> print(prometheus_text({"newsbot/posts/new": 2, "newsbot/verdict/success": 1,
    ...                        "finish_reason": "finished"}, "share", 1700000000.5), end="")
    # HELP newsbot_posts_new newsbot/posts/new
    # TYPE newsbot_posts_new gauge
    newsbot_posts_new{spider="share"} 2
    # HELP newsbot_success 1 when the run's verdict is ok (exit status 0), else 0
    # TYPE newsbot_success gauge
    newsbot_success{spider="share"} 1
    # HELP newsbot_end_time_seconds when the run ended, in seconds since the epoch
    # TYPE newsbot_end_time_seconds gauge
    newsbot_end_time_seconds{spider="share"} 1700000000.5
    """
    label = f'{{spider="{_label(spider)}"}}'
    lines: list[str] = []
    seen: set[str] = set()
    metrics = [(metric_name(key), key, _number(values[key])) for key in sorted(values)]
    reserved = {"newsbot_success", "newsbot_end_time_seconds"}  # newsbot's own gauges, below
    metrics = [m for m in metrics if m[2] is not None and m[0] not in reserved and m[1] != stats.SUCCESS]
    metrics.append(("newsbot_success", "1 when the run's verdict is ok (exit status 0), else 0",
                    int(values.get(stats.SUCCESS) == 1)))  # fmt: skip
    metrics.append(("newsbot_end_time_seconds", "when the run ended, in seconds since the epoch",
                    end_time))  # fmt: skip
    for name, help_text, number in metrics:
        if name in seen:  # two keys that differ only in punctuation: the first is kept
            logger.warning("stat %s left out of the .prom file: %s is taken", help_text, name)
            continue
        seen.add(name)
        assert number is not None
        help_line = help_text.replace("\\", "\\\\").replace("\n", "\\n")
        lines += [f"# HELP {name} {help_line}", f"# TYPE {name} gauge", f"{name}{label} {_format(number)}"]
    return "\n".join(lines) + "\n"


class StatsFile:
    """For monitors and tests: the run's stats, one JSON object, written atomically."""

    def __init__(self, crawler: Crawler, path: Path):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("NEWSBOT_STATS_FILE")
        if not path:
            raise NotConfigured  # off by default: no message, so Scrapy logs no warning
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        data = dict(self.crawler.stats.get_stats())
        data["finish_reason"] = reason
        if self.path.suffix == ".prom":
            text = prometheus_text(data, spider.name, time.time())
        else:
            text = json.dumps(data, default=str, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        try:
            write_atomic(self.path, text.encode("utf-8"))
        except OSError as exc:  # the monitoring file, not the run's work: said, not fatal
            logger.error("stats not written to %s: %s", self.path, exc.strerror or exc)
            return
        logger.info("stats written to %s", self.path)
