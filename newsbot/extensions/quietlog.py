"""Stops Python building log records that Scrapy's handler would drop anyway (below ``LOG_LEVEL``)."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class QuietLog:
    """Scrapy leaves the root logger at NOTSET and filters in its handler, so every response and
    item still builds DEBUG records ("Crawled", "Scraped from") that LOG_LEVEL=INFO throws away:
    a good share of a fast crawl's time. Raising the root logger to LOG_LEVEL skips them."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLog:
        level = logging.getLevelName(str(crawler.settings.get("LOG_LEVEL")).upper())
        if not crawler.settings.getbool("LOG_ENABLED") or not isinstance(level, int):
            raise NotConfigured  # logging off or a custom level: leave it to Scrapy
        if level > logging.DEBUG and logging.root.level < level:
            logging.root.setLevel(level)
        return cls(crawler)
