"""``scrapy crawl listing``: the scheduled job. Walk a listing API, fetch only what is new or changed."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot import stats
from newsbot.codes import ArticleRef
from newsbot.dates import format_post_date
from newsbot.headers import request_headers
from newsbot.index import TreeIndex
from newsbot.parse import ListingEntry, UpstreamError, listing_entries, load_json
from newsbot.spiders.base import ArticleSpider, answer_text, failure_reason, headers_setting
from newsbot.tree import PostRecord, SiteTree

logger = logging.getLogger(__name__)

APIS = ("columns", "webapi102", "webapi45", "newmarket")


def listing_hash(entry: ListingEntry) -> str:
    """What the listing shows of an article (title and time), short: kept in its post's front
    matter, it is what the next run compares, whatever the text answer said instead."""
    listed = entry.fields
    time = format_post_date(listed.time) if listed.time else ""
    return hashlib.sha1(f"{listed.title or ''}\x1f{time}".encode()).hexdigest()[:12]


def is_unchanged(entry: ListingEntry, record: PostRecord | None) -> bool:
    """Whether a listed article is already written as the listing shows it.

    >>> from newsbot.parse import ArticleFields
    >>> entry = ListingEntry("NW202608193168724510", ArticleFields(title="标题"))
    >>> is_unchanged(entry, PostRecord("NW202608193168724510", None, listing_hash=listing_hash(entry)))
    True
    """
    if record is None:
        return False
    if record.listing_hash:
        return record.listing_hash == listing_hash(entry)
    if not record.title or not record.date:  # a post written by another spider: its own fields
        return False
    listed = entry.fields
    if listed.title is not None and listed.title != " ".join(record.title.split()):
        return False
    return listed.time is None or format_post_date(listed.time) == record.date


class ListingSpider(ArticleSpider):
    """``-a api=columns|webapi102|webapi45|newmarket``; ``columns``, ``pages``, ``page_size``
    for the current API, ``count`` for the old ones, ``market`` for newmarket. Strings only,
    so that scrapyd can schedule it."""

    name = "listing"
    rotates = True  # the end of a listing run moves old posts to old_post/

    def __init__(
        self,
        api: str = "columns",
        columns: str = "",
        pages: str = "1",
        page_size: str = "20",
        count: str = "",
        market: str = "37",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        # checked in start(), where a bad argument is one line and exit 64, not a traceback
        self.arguments = {"api": api, "pages": pages, "page_size": page_size, "count": count}
        self.api = api
        self.columns_arg = columns
        self.market = market

    def _read_arguments(self) -> None:
        if self.api not in APIS:
            raise ValueError(f"-a api={self.api!r}: use one of {', '.join(APIS)}")
        numbers = {}
        for name in ("pages", "page_size", "count"):
            value = self.arguments[name]
            if name == "count" and not value:
                continue
            if not value.isascii() or not value.isdigit() or not 0 < int(value) <= 10_000:
                raise ValueError(f"-a {name}={value!r}: give a whole number from 1 to 10000")
            numbers[name] = int(value)
        self.pages = numbers["pages"]
        self.page_size = numbers["page_size"]
        self.count = numbers.get("count", self.page_size * self.pages)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.columns = [c.strip() for c in spider.columns_arg.split(",") if c.strip()] or [
            str(c) for c in settings.getlist("NEWSBOT_COLUMNS")
        ]
        spider.bases = {
            "columns": settings.get("NEWSBOT_LISTING_URL"),
            "webapi102": settings.get("NEWSBOT_WEBAPI_URL"),
            "webapi45": settings.get("NEWSBOT_WEBAPI_URL"),
            "newmarket": settings.get("NEWSBOT_NEWMARKET_URL"),
        }
        spider.listing_headers = headers_setting(settings, "NEWSBOT_LISTING_HEADERS")
        spider.incremental = settings.getbool("NEWSBOT_INCREMENTAL")
        spider.tree = SiteTree(Path(settings.get("NEWSBOT_OUTPUT_DIR")))
        return spider

    def listing_urls(self) -> list[str]:
        base = self.bases[self.api]
        if not base:
            raise ValueError(f"-a api={self.api} needs its base URL setting (see README)")
        if self.api == "columns":
            trace = str(int(time.time() * 1000))
            return [
                f"{base}?"
                + urlencode(
                    {
                        "client": "web",
                        "biz": "web_news_col",
                        "column": column,
                        "order": 1,
                        "needInteractData": 0,
                        "page_index": page,
                        "page_size": self.page_size,
                        "req_trace": trace,
                        # Np_dst says what an entry is (CFH: a caifuhao post, skipped)
                        "fields": "code,showTime,title,mediaName,summary,image,url,uniqueUrl,Np_dst",
                    }
                )
                for column in self.columns
                for page in range(1, self.pages + 1)
            ]
        if self.api == "newmarket":
            return [f"{base}?" + urlencode({"marketType": self.market, "count": self.count})]
        kind = self.api.removeprefix("webapi")
        return [f"{base}?" + urlencode({"type": kind, "count": self.count, "newsid": 1})]

    async def start(self) -> AsyncIterator[Any]:
        if self.arguments_refused():
            return
        try:
            self._read_arguments()
            urls = self.listing_urls()
        except ValueError as exc:
            self.crawler.stats.inc_value(stats.INPUT_INVALID)
            logger.error("nothing to list: %s", exc)
            return
        # the record only: each listed code's post is read when its entry comes
        self.index = TreeIndex.open(self.tree, writer=False) if self.incremental else None
        self.seen: set[str] = set()
        self.seen_skipped: set[str] = set()  # codes (or links): one count per post, however listed
        for url in urls:
            self.crawler.stats.inc_value(stats.INPUT_ACCEPTED)
            self.crawler.stats.inc_value(stats.LISTING_REQUESTED)
            yield scrapy.Request(
                url,
                headers=request_headers(self.listing_headers, url),
                callback=self.parse_listing,
                errback=self.listing_failed,
            )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            page = listing_entries(load_json(answer_text(response)))
        except Exception as exc:  # noqa: BLE001 (an answer no reader foresaw: this page only)
            if not isinstance(exc, UpstreamError):
                exc = UpstreamError("unreadable", f"{type(exc).__name__}: {str(exc)[:200]}")
            self.crawler.stats.inc_value(stats.listing_error(exc.reason))
            logger.warning(
                "listing %s unusable (%s%s)",
                response.url,
                exc.reason,
                f": {exc.detail}" if exc.detail else "",
            )
            return
        self.crawler.stats.inc_value(stats.LISTING_PAGES)
        for item in page.bad:
            self.crawler.stats.inc_value(stats.LISTING_BAD_ENTRY)
            logger.warning("listing %s: entry skipped: %s", response.url, item)
        for skipped in page.skipped:
            key = skipped.code or skipped.link or repr(skipped)
            if key in self.seen_skipped:
                continue  # listed on two pages, or again with an edited title: one entry
            self.seen_skipped.add(key)
            self.crawler.stats.inc_value(stats.listing_skipped(skipped.reason))
            logger.debug(
                "listing %s: %s skipped, not an article (%s): %r %s",
                response.url,
                skipped.code,
                skipped.reason,
                skipped.title,
                skipped.link,
            )
        for entry in page.entries:
            if entry.code in self.seen:
                continue
            self.seen.add(entry.code)
            self.crawler.stats.inc_value(stats.LISTING_ENTRIES)
            try:
                known = self.index.record(entry.code) if self.index is not None else None
                if is_unchanged(entry, known):
                    self.crawler.stats.inc_value(stats.LISTING_UNCHANGED)
                    continue
                extra = {"listing_hash": listing_hash(entry)}
                request = self.text_request(ArticleRef(entry.code), entry.fields, extra)
            except Exception as exc:  # noqa: BLE001 (this entry only; the page goes on)
                self.crawler.stats.inc_value(stats.LISTING_BAD_ENTRY)
                logger.warning("listing %s: %s skipped: %r", response.url, entry.code, exc)
                continue
            yield request

    def listing_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(stats.listing_error(reason))
        logger.warning("listing %s failed (%s)", failure.request.url, reason)
