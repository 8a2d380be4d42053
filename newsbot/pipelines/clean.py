"""Cleans each article body and keeps what the cleaning learned (stock codes, source line)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newsbot import stats
from newsbot.clean import UnreadableBody, clean_body
from newsbot.exceptions import BodyTooLarge, BodyUnreadable
from newsbot.items import Article


class CleanBodyPipeline:
    """Runs :func:`newsbot.clean.clean_body` over ``body``; counts every cut by kind."""

    def __init__(self, crawler: Crawler, max_body: int):
        self.crawler = crawler
        self.max_body = max_body

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanBodyPipeline:
        return cls(crawler, crawler.settings.getint("NEWSBOT_MAX_BODY"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        adapter = ItemAdapter(item)
        raw = adapter.get("body")
        if not raw:
            return item
        if self.max_body and len(raw) > self.max_body // 4:  # 4 bytes a character at most
            size = len(raw.encode("utf-8", "surrogatepass"))
            if size > self.max_body:
                raise BodyTooLarge(str(adapter.get("code")), size, self.max_body)
        try:
            cleaned = clean_body(raw)
        except UnreadableBody as exc:
            raise BodyUnreadable(str(adapter.get("code")), str(exc)) from None
        adapter["body"] = cleaned.html
        adapter["stocks"] = list(cleaned.stocks)
        if not adapter.get("source") and cleaned.source:
            adapter["source"] = cleaned.source
        for kind, count in cleaned.cuts.items():
            self.crawler.stats.inc_value(stats.cleaned(kind), count)
        return item
