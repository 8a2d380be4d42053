"""Test-only Scrapy components, enabled with ``-s`` like any user's own."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler


class ExplodeOn:
    """An item pipeline with a bug: it raises on the article ``EXPLODE_ON`` names."""

    def __init__(self, code: str):
        self.code = code

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExplodeOn:
        return cls(crawler.settings.get("EXPLODE_ON", ""))

    def process_item(self, item: Any) -> Any:
        if item.get("code") == self.code:
            raise RuntimeError(f"a bug in a pipeline, on {self.code}")
        return item
