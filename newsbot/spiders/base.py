"""``ArticleSpider``: fetch an article's text, fill gaps from its page, yield one item."""

from __future__ import annotations

import logging
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived
from w3lib.encoding import html_to_unicode, http_content_type_encoding, read_bom

from newsbot import stats
from newsbot.codes import ArticleRef, article_id
from newsbot.headers import header_template, request_headers
from newsbot.items import Article
from newsbot.parse import ArticleFields, UpstreamError, article_page_fields, load_json, text_fields
from newsbot.signals import article_failed

logger = logging.getLogger(__name__)

TEXT_PATH = "/NewsData/GetNewsText.do?id={code}"


def _guess_encoding(body: bytes) -> str | None:
    # Answers without a charset: UTF-8 if the bytes are UTF-8, else the GBK family (GB18030).
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def answer_text(response: Response, *, page: bool = False) -> str:
    """The answer decoded by its BOM, its header's charset, or a UTF-8/GBK guess, in that order.

    A JSON answer's article HTML may hold a ``<meta charset>`` of the page it came from, which
    says nothing of the JSON's bytes: only an HTML ``page`` is read for its declared encoding.
    """
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    if page:
        return html_to_unicode(content_type, response.body, auto_detect_fun=_guess_encoding)[1]
    body = response.body
    encoding, bom = read_bom(body)
    if encoding:
        return body[len(bom) :].decode(encoding, "replace")
    encoding = http_content_type_encoding(content_type)
    if encoding:
        try:
            return body.decode(encoding, "replace")
        except LookupError:  # a charset naming a codec that is not text (base64, zlib): a guess
            pass
    try:  # no charset: UTF-8 if the bytes are UTF-8, else the GBK family
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", "replace")


# Failures by exception, each a short stable reason (it names a stat and is logged).
_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (DownloadCancelledError, "too_large"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (CannotResolveHostError, "dns"),
    (ResponseDataLossError, "truncated_response"),
    (ConnectionLost, "connection_lost"),
    (ResponseFailed, "connection_lost"),
    (ResponseNeverReceived, "connection_lost"),
    (DownloadFailedError, "connection_lost"),
)


def failure_reason(failure: Failure) -> str:
    """A short, stable reason for a failed request, used in logs and stat names."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return "redirect_loop" if "redirect" in str(failure.value) else "ignored"
    for kind, reason in _FAILURES:
        if failure.check(kind):
            return reason
    return f"download_{type(failure.value).__name__}"


def headers_setting(settings: Settings, name: str) -> dict[str, str]:
    """A ``NEWSBOT_*_HEADERS`` dict setting, checked (see :func:`header_template`)."""
    return header_template(settings.getdict(name), name)


class ArticleSpider(scrapy.Spider):
    """Base of every spider that turns article codes into items."""

    text_url: str
    article_url: str
    text_headers: dict[str, str]
    article_headers: dict[str, str]

    def __init__(self, **kwargs: Any):
        # Scrapy sets every -a NAME=VALUE as an attribute: one named like a method (start,
        # parse_text) would replace it. Such names are refused, in start(), as invalid input.
        self.argument_problems = [
            f"-a {name}=...: not an argument of this spider" for name in sorted(kwargs) if hasattr(type(self), name)
        ]
        super().__init__(**{k: v for k, v in kwargs.items() if not hasattr(type(self), k)})

    def arguments_refused(self) -> bool:
        """Count and log the refused arguments; whether there were any (then nothing is fetched)."""
        for problem in self.argument_problems:
            self.crawler.stats.inc_value(stats.INPUT_INVALID)
            logger.error("nothing to do: %s", problem)
        return bool(self.argument_problems)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.text_url = settings.get("NEWSBOT_TEXT_URL")
        spider.article_url = settings.get("NEWSBOT_ARTICLE_URL")
        spider.text_headers = headers_setting(settings, "NEWSBOT_TEXT_HEADERS")
        spider.article_headers = headers_setting(settings, "NEWSBOT_ARTICLE_HEADERS")
        return spider

    def text_request(
        self,
        ref: ArticleRef,
        known: ArticleFields | None = None,
        extra: dict[str, Any] | None = None,
    ) -> scrapy.Request:
        """The request for an article's text; ``known`` fills what the answer lacks, and
        ``extra`` item fields (``origin``, ``slug``...) ride along to the item."""
        if ref.text_base:
            url = ref.text_base + TEXT_PATH.format(code=ref.code)
        else:
            url = self.text_url.format(code=ref.code, id=ref.id)
        return scrapy.Request(
            url,
            headers=request_headers(self.text_headers, url, ref.code),
            callback=self.parse_text,
            errback=self.text_failed,
            cb_kwargs={"code": ref.code, "known": known or ArticleFields(), "extra": extra or {}},
            dont_filter=True,
        )

    # Callbacks return lists, not generators: Scrapy inspects a generator callback's source on
    # every response (to warn about `return` in it), which costs more than the callback.

    def parse_text(
        self, response: Response, code: str, known: ArticleFields, extra: dict[str, Any]
    ) -> list[Any]:
        self.crawler.stats.inc_value(stats.TEXT_FETCHED)
        try:
            found = text_fields(load_json(answer_text(response))).fill(known)
        except UpstreamError as exc:
            self.upstream_failed(code, exc.reason, response.url, exc.detail, extra)
            return []
        except Exception as exc:  # noqa: BLE001 (an answer no reader foresaw: this article only)
            detail = f"{type(exc).__name__}: {str(exc)[:200]}"
            self.upstream_failed(code, "unreadable", response.url, detail, extra)
            return []
        if found.missing():
            page_url = self.article_url.format(id=article_id(code), code=code)
            return [
                scrapy.Request(
                    page_url,
                    headers=request_headers(self.article_headers, page_url, code),
                    callback=self.parse_article_page,
                    errback=self.article_page_failed,
                    cb_kwargs={
                        "code": code,
                        "found": found,
                        "text_url": response.url,
                        "extra": extra,
                    },
                    dont_filter=True,
                )
            ]
        return [self.article(code, found, response.url, extra)]

    def parse_article_page(
        self,
        response: Response,
        code: str,
        found: ArticleFields,
        text_url: str,
        extra: dict[str, Any],
    ) -> list[Any]:
        self.crawler.stats.inc_value(stats.ARTICLE_PAGE_FETCHED)
        page = article_page_fields(answer_text(response, page=True))
        # The text answer's body wins: the page's body is only used for metadata gaps.
        gaps = ArticleFields(page.title, page.time, page.source)
        return [self.article(code, found.fill(gaps), text_url, extra)]

    def text_failed(self, failure: Failure) -> None:
        request = failure.request
        detail = failure.getErrorMessage() if not failure.check(HttpError) else ""
        kwargs = request.cb_kwargs
        self.upstream_failed(
            kwargs["code"], failure_reason(failure), request.url, detail, kwargs["extra"]
        )

    def article_page_failed(self, failure: Failure) -> list[Any]:
        kwargs = failure.request.cb_kwargs
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(stats.ARTICLE_PAGE_FAILED)
        logger.warning(
            "%s: article page %s failed (%s); going on with what the text answer had",
            kwargs["code"],
            failure.request.url,
            reason,
        )
        return [self.article(kwargs["code"], kwargs["found"], kwargs["text_url"], kwargs["extra"])]

    def upstream_failed(
        self,
        code: str,
        reason: str,
        url: str,
        detail: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.crawler.stats.inc_value(stats.upstream_error(reason))
        logger.warning(
            "%s: skipped, upstream answer unusable (%s%s) from %s",
            code,
            reason,
            f": {detail}" if detail else "",
            url,
        )
        self.crawler.signals.send_catch_log(
            signal=article_failed, code=code, reason=reason, extra=extra or {}
        )

    @staticmethod
    def article(code: str, found: ArticleFields, url: str, extra: dict[str, Any]) -> Article:
        return Article(
            code=code,
            title=found.title,
            date=found.time,
            source=found.source,
            body=found.body,
            summary=found.summary,
            url=url,
            **extra,
        )
