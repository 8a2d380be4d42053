"""Completes and checks each article: fallback date and source, slug, and drops the unusable."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newsbot import stats
from newsbot.codes import InvalidInput, canonical_code
from newsbot.dates import date_from_code
from newsbot.exceptions import EmptyBody, MissingFields, UnsafeField
from newsbot.items import Article
from newsbot.slugs import is_slug, source_name, source_slug

logger = logging.getLogger(__name__)


class NormalizePipeline:
    """Fills ``date`` from the code and ``source`` from ``NEWSBOT_DEFAULT_SOURCE`` as a last
    resort, sets ``slug`` (``NEWSBOT_SLUGS`` first, then pinyin), and drops what is still missing."""

    def __init__(self, crawler: Crawler, slugs: dict[str, str], default_source: str):
        self.crawler = crawler
        self.slugs = slugs
        self.default_source = default_source

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            slugs=settings.getdict("NEWSBOT_SLUGS"),
            default_source=settings.get("NEWSBOT_DEFAULT_SOURCE", ""),
        )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        adapter = ItemAdapter(item)
        raw_code = str(adapter.get("code") or "")
        try:
            code = canonical_code(raw_code)
        except InvalidInput as exc:
            raise UnsafeField(raw_code or "<no code>", str(exc)) from None
        adapter["code"] = code
        fallbacks: list[str] = []
        if not adapter.get("date"):
            moment = date_from_code(code)
            if moment is not None:
                adapter["date"] = moment
                fallbacks.append("date")
                self.crawler.stats.inc_value(stats.DATE_FROM_CODE)
                logger.info("%s: no time upstream; dated %s from its code", code, moment.date())
        if adapter.get("source"):  # plain text, whatever upstream sent
            adapter["source"] = source_name(str(adapter["source"]))
        if not adapter.get("source") and self.default_source:
            adapter["source"] = self.default_source
            fallbacks.append("source")
            self.crawler.stats.inc_value(stats.SOURCE_DEFAULTED)
        adapter["fallbacks"] = fallbacks  # the writer keeps what an existing post says instead
        missing = [name for name in ("title", "date", "source") if not adapter.get(name)]
        if adapter.get("body") is None:
            missing.append("body")
        if missing:
            raise MissingFields(code, missing)
        if not adapter["body"].strip():
            raise EmptyBody(code)
        slug = adapter.get("slug") or source_slug(
            adapter["source"], self.slugs
        )  # migrate presets it
        if not is_slug(slug):
            raise UnsafeField(code, f"source {adapter['source']!r} gives no usable slug")
        adapter["slug"] = slug
        return item
