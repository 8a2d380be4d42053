"""``RetryBackoff``: a retried request waits ``NEWSBOT_RETRY_BACKOFF * 2**(n-1)`` seconds first."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)


class RetryBackoff:
    """Exponential back-off for Scrapy's RetryMiddleware retries (5xx, timeouts), capped."""

    def __init__(self, crawler: Crawler, base: float, cap: float):
        self.crawler = crawler
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoff:
        base = crawler.settings.getfloat("NEWSBOT_RETRY_BACKOFF")
        if base <= 0 or not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured  # retries off or immediate: nothing to do, nothing to warn about
        return cls(crawler, base, crawler.settings.getfloat("NEWSBOT_RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request) -> None:
        attempt = request.meta.get("retry_times", 0)
        if attempt:
            delay = min(self.cap, self.base * 2 ** (attempt - 1))
            logger.debug("retry %d of %s in %.1fs", attempt, request.url, delay)
            await sleep(delay)
