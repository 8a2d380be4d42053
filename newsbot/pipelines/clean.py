"""Cleans each article body and keeps what the cleaning learned (stock codes, source line)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newsbot import stats
from newsbot.clean import clean_body
from newsbot.items import Article


class CleanBodyPipeline:
    """Runs :func:`newsbot.clean.clean_body` over ``body``; counts every cut by kind."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanBodyPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        adapter = ItemAdapter(item)
        raw = adapter.get("body")
        if not raw:
            return item
        cleaned = clean_body(raw)
        adapter["body"] = cleaned.html
        adapter["stocks"] = list(cleaned.stocks)
        if not adapter.get("source") and cleaned.source:
            adapter["source"] = cleaned.source
        for kind, count in cleaned.cuts.items():
            self.crawler.stats.inc_value(stats.cleaned(kind), count)
        return item
