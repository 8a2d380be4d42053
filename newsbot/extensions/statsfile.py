"""Writes the crawl stats as JSON to ``NEWSBOT_STATS_FILE`` when the spider closes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsbot.fileio import write_atomic

logger = logging.getLogger(__name__)


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

    def spider_closed(self, reason: str) -> None:
        data = dict(self.crawler.stats.get_stats())
        data["finish_reason"] = reason
        text = json.dumps(data, default=str, ensure_ascii=False, indent=1, sort_keys=True)
        write_atomic(self.path, text.encode("utf-8") + b"\n")
        logger.info("stats written to %s", self.path)
