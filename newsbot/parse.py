"""Upstream answers: text JSON (or JSONP), article pages and listings, read into plain fields."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from newsbot.codes import InvalidInput, canonical_code, parse_input
from newsbot.dates import parse_time

__all__ = [
    "ArticleFields",
    "UpstreamError",
    "load_json",
    "text_fields",
    "article_page_fields",
    "pick",
    "ListingEntry",
    "SkippedEntry",
    "ListingPage",
    "listing_entries",
    "not_article_reason",
]

_JSONP_GUARD = "/**/"  # some JSONP endpoints open with an empty comment
# Starts at the separator, not at whitespace before it: a leading \s* would make search() try
# every position of a whitespace run and scan the rest of the run from each (quadratic).
_TITLE_SUFFIX = re.compile(r"[_|-]\s*(?:东方财富网|天天基金网|东方财富)")
_SOURCE_PREFIX = re.compile(r"^\s*(?:来源|文章来源)\s*[:：]\s*")

TITLE_KEYS = ("title", "simtitle")
TIME_KEYS = ("showtime", "datetime", "publishtime", "ctime")
SOURCE_KEYS = ("medianame", "from", "source")
BODY_KEYS = ("text", "content", "body")
SUMMARY_KEYS = ("summary", "digest", "simdigest")


class UpstreamError(ValueError):
    """An answer newsbot cannot use; ``reason`` is short and stable (it names a stat)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ArticleFields:
    """What one answer told about an article; ``None`` where it said nothing usable."""

    title: str | None = None
    time: datetime | None = None
    source: str | None = None
    body: str | None = None
    summary: str | None = None

    def missing(self) -> list[str]:
        """Names of the fields still unknown, in contract order (summary is optional)."""
        return [name for name in ("title", "time", "source", "body") if getattr(self, name) is None]

    def fill(self, other: ArticleFields) -> ArticleFields:
        """These fields, with the gaps filled from ``other``.

        >>> ArticleFields(title="a").fill(ArticleFields(title="b", source="c"))
        ArticleFields(title='a', time=None, source='c', body=None, summary=None)
        """
        gaps = {
            f.name: getattr(other, f.name) for f in fields(self) if getattr(self, f.name) is None
        }
        return replace(self, **gaps)


def load_json(text: str) -> Any:
    """Decode a JSON or JSONP answer, raising :class:`UpstreamError` with the reason.

    >>> load_json('\\ufeffjQuery123({"a": 1});')
    {'a': 1}
    >>> load_json('/**/ cb({"a": 2})')
    {'a': 2}
    >>> load_json('{"a": ')
    Traceback (most recent call last):
    ...
    newsbot.parse.UpstreamError: truncated_json: Expecting value (char 5)
    """
    text = text.lstrip("\ufeff").strip()
    if text.startswith(_JSONP_GUARD):
        text = text[len(_JSONP_GUARD) :].lstrip()
    if not text:
        raise UpstreamError("empty")
    if not text.startswith(("{", "[")):
        text = _jsonp_argument(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = "truncated_json" if text.startswith(("{", "[")) else "not_json"
        raise UpstreamError(reason, f"{exc.msg} (char {exc.pos})") from None
    except RecursionError:  # the C decoder recurses per level and stops at the recursion limit
        raise UpstreamError("too_deep", "JSON nested too deeply") from None


def _jsonp_argument(text: str) -> str:
    """The argument of a JSONP call ``name(...)`` with an optional ``;``, else ``text`` unchanged.

    String operations, not a regex: ``\\((.*)\\)\\s*;?\\s*`` backtracks quadratically on a
    ``)`` followed by a long whitespace run. ``text`` is stripped.

    >>> _jsonp_argument('window.cb_1 ( [1, ")"] ) ;')
    ' [1, ")"] '
    >>> _jsonp_argument("cb(1);;"), _jsonp_argument("1cb(1)"), _jsonp_argument("a b(1)")
    ('cb(1);;', '1cb(1)', 'a b(1)')
    """
    call = text[:-1].rstrip() if text.endswith(";") else text
    open_at = call.find("(")
    if open_at < 0 or not call.endswith(")"):
        return text
    name = call[:open_at].rstrip()
    # [A-Za-z_$][\w$.]*, where \w is any Unicode letter or digit, as in re
    if not name or not ((name[0].isascii() and name[0].isalpha()) or name[0] in "_$"):
        return text
    if not all(c.isalnum() or c in "_$." for c in name[1:]):
        return text
    return call[open_at + 1 : -1]


def pick(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The first non-empty value among ``keys``, whatever the case of the mapping's keys.

    >>> pick({"ShowTime": "", "DateTime": "2022"}, ("showtime", "datetime"))
    '2022'
    """
    return _first(_fold(mapping), keys)


def _fold(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping with lowercase keys, to look up key-case variants (``Title``, ``title``)."""
    return {str(k).lower(): v for k, v in mapping.items()}


def _first(folded: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = folded.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


# C0 controls and DEL: never meant in a title or a name (tab and newlines are whitespace below).
_CONTROLS = dict.fromkeys([*range(0x20), 0x7F])


def _text(value: Any) -> str | None:
    r"""A one-line text field: whitespace runs (newlines, U+2028...) become one space.

    >>> _text(" 标题\n第二行\u2028\x00 ")
    '标题 第二行'
    """
    if not isinstance(value, str):
        return None
    value = " ".join(_unicode(value).replace("\x00", " ").split()).translate(_CONTROLS)
    return value or None


def _unicode(value: str) -> str:
    r"""``value`` with lone surrogates (JSON's ``\ud800``) as ``?``: no file can hold them.

    >>> _unicode("坏\ud800标题")
    '坏?标题'
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def record_fields(record: Mapping[str, Any]) -> ArticleFields:
    """Read a text answer's or listing item's mapping, tolerant of key-case variants.

    >>> record_fields({"Title": " 标题 ", "ShowTime": "2022-02-24 22:20:26", "from": "财联社"}).title
    '标题'
    """
    folded = _fold(record)
    body = _first(folded, BODY_KEYS)
    return ArticleFields(
        title=_text(_first(folded, TITLE_KEYS)),
        time=parse_time(_first(folded, TIME_KEYS)),
        source=_text(_first(folded, SOURCE_KEYS)),
        body=_unicode(body) if isinstance(body, str) and body.strip() else None,
        summary=_text(_first(folded, SUMMARY_KEYS)),
    )


def text_fields(payload: Any) -> ArticleFields:
    """Read a ``GetNewsText.do`` answer (already decoded); raise when it holds no text.

    The record may sit at the top or under ``data``/``result``.

    >>> text_fields({"data": {"title": "t", "content": "<p>x</p>"}}).body
    '<p>x</p>'
    >>> text_fields({"text": None})
    Traceback (most recent call last):
    ...
    newsbot.parse.UpstreamError: no_text: the answer has no article text
    """
    record = payload
    if isinstance(record, Mapping):
        inner = pick(record, ("data", "result", "news"))
        if isinstance(inner, Mapping):
            record = inner
    if not isinstance(record, Mapping):
        raise UpstreamError("not_object", f"a JSON {type(record).__name__}, not an object")
    found = record_fields(record)
    if found.body is None:
        shell = error_message(payload)
        if shell is not None:
            raise UpstreamError("error_shell", shell)
        raise UpstreamError("no_text", "the answer has no article text")
    return found


def error_message(payload: Any) -> str | None:
    """The message of an error shell (an answer that is only a status and a message), if it is one.

    >>> error_message({"code": 0, "message": "Required String parameter 'req_trace' is not present"})
    "Required String parameter 'req_trace' is not present"
    >>> error_message({"error": {"code": 403, "msg": "forbidden"}}), error_message([1]) is None
    ('forbidden', True)

    Only asked of an answer that held no list or text: its message is what it said instead.
    """
    if not isinstance(payload, Mapping):
        return None
    folded = _fold(payload)
    places = [folded] + [_fold(v) for k in ("error", "data", "result") if isinstance(v := folded.get(k), Mapping)]
    for place in places:
        message = _first(place, ("message", "msg", "errmsg", "error", "errormessage"))
        text = _text(message) if isinstance(message, str) else None
        if text:
            return text[:200]
    return None


def article_page_fields(html: str) -> ArticleFields:
    """Read title, time, source and body from an article page.

    >>> page = ('<html><head><title>标题_东方财富网</title></head><body><h1> 标题 </h1>'
    ...   '<div class="infos"><div class="item">2026年08月19日 17:46</div>'
    ...   '<div class="item">来源：界面新闻</div></div>'
    ...   '<div id="ContentBody" class="txtinfos"><p>正文</p></div></body></html>')
    >>> f = article_page_fields(page)
    >>> f.title, str(f.time), f.source, f.body
    ('标题', '2026-08-19 17:46:00+08:00', '界面新闻', '<p>正文</p>')
    """
    sel = Selector(text=html)
    title = _text(" ".join(sel.css("h1 ::text").getall()))
    if title is None:
        raw_title = _text(sel.css("title::text").get() or "")
        suffix = _TITLE_SUFFIX.search(raw_title) if raw_title else None
        title = _text(raw_title[: suffix.start()] if suffix else raw_title)
    time, source = None, None
    for item in sel.css(".infos .item"):
        words = _text(" ".join(item.css("::text").getall()))
        if not words:
            continue
        moment = parse_time(words) if time is None else None
        if moment is not None:
            time = moment
        elif source is None:
            source = _text(_SOURCE_PREFIX.sub("", words))
    body_node = sel.css("#ContentBody")
    body = "".join(body_node.xpath("node()").getall()).strip() if body_node else ""
    return ArticleFields(title=title, time=time, source=source, body=body or None)


@dataclass(frozen=True)
class ListingEntry:
    """One article a listing names: its code and what the listing says of it."""

    code: str
    fields: ArticleFields


# Where each listing API keeps its list: getNewsByColumns, webapi type=102, type=45, newmarket.
LISTING_PATHS = (("data", "list"), ("records",), ("nodelist",), ("record",), ("data",), ("list",))
CODE_KEYS = ("code", "infocode", "id", "newsid")
URL_KEYS = ("uniqueurl", "url", "url_w", "url_unique")


@dataclass(frozen=True)
class SkippedEntry:
    """A listing entry that is no media article (a caifuhao user post...): never requested.
    Code, title and link as the listing gave them, cut short, to name it in the log."""

    reason: str
    code: str | None
    title: str | None
    link: str | None


@dataclass(frozen=True)
class ListingPage:
    """What a listing answer holds: articles, entries that are none, items it could not read."""

    entries: list[ListingEntry]
    skipped: list[SkippedEntry]
    bad: list[str]


# What an entry's np_dst says it is, where that is no media article: caifuhao (财富号) posts are
# users' own, listed beside the news, and GetNewsText.do does not hold them.
NOT_ARTICLE_KINDS = {"cfh": "caifuhao"}
# Only what is known not to be news is skipped: a link of another form with a good code goes by
# its code, as every entry always did (eastmoney has more article URL forms than newsbot reads).
NOT_ARTICLE_HOSTS = {"caifuhao.eastmoney.com": "caifuhao", "guba.eastmoney.com": "guba"}


def not_article_reason(item: Mapping[str, Any]) -> str | None:
    """Why a listing item is no article to fetch by its code, or ``None`` when it may be one.

    A caifuhao post (``np_dst`` CFH, or a link on caifuhao.eastmoney.com) is ``caifuhao``, a
    guba (forum) thread ``guba``. Any other entry is left to its code, as any entry always was.

    >>> not_article_reason({"code": "202612011234567890", "np_dst": "CFH", "uniqueUrl": "",
    ...     "url": "http://caifuhao.eastmoney.com/news/20261201093015123456700"})
    'caifuhao'
    >>> not_article_reason({"url": "https://guba.eastmoney.com/news,600000,1234567.html"})
    'guba'
    >>> not_article_reason({"code": "202612013258123456", "url": "https://wap.eastmoney.com/news/info/detail/1"})
    >>> not_article_reason({"Np_dst": "", "url": "http://finance.eastmoney.com/a/202612013258123456.html"})
    >>> not_article_reason({"code": "202612013258123456", "url": "http://[::1"})
    """
    folded = _fold(item)
    kind = folded.get("np_dst")
    if isinstance(kind, str) and kind.strip().lower() in NOT_ARTICLE_KINDS:
        return NOT_ARTICLE_KINDS[kind.strip().lower()]
    for key in URL_KEYS:
        link = folded.get(key)
        if not isinstance(link, str) or not link.strip():
            continue
        try:
            host = urlsplit(link.strip()).hostname
        except ValueError:
            continue
        if host in NOT_ARTICLE_HOSTS:
            return NOT_ARTICLE_HOSTS[host]
    return None


def _skipped(item: Mapping[str, Any], reason: str) -> SkippedEntry:
    folded = _fold(item)

    def short(value: Any, size: int) -> str | None:
        text = _text(value) if isinstance(value, str) else None
        return text[:size] if text else None

    link = next((folded[key] for key in URL_KEYS if short(folded.get(key), 1)), None)
    return SkippedEntry(
        reason, short(folded.get("code"), 40), short(_first(folded, TITLE_KEYS), 80), short(link, 200)
    )


def listing_entries(payload: Any) -> ListingPage:
    """The entries of a listing answer of any of the known APIs, the entries that are no article
    (:func:`not_article_reason`), and the items it could not read.

    >>> page = listing_entries({"code": 1, "data": {"list": [
    ...     {"code": "202608193168724510", "showTime": "2026-08-19 17:46:00", "title": "标题"},
    ...     {"title": "no code"},
    ...     {"code": "202608190930151234", "np_dst": "CFH", "title": "我的操作",
    ...      "url": "http://caifuhao.eastmoney.com/news/20260819093015123456700"}]}})
    >>> page.entries[0].code, page.entries[0].fields.title, page.bad
    ('NW202608193168724510', '标题', ["entry with keys ['title']: no usable code"])
    >>> page.skipped
    [SkippedEntry(reason='caifuhao', code='202608190930151234', title='我的操作', link='http://caifuhao.eastmoney.com/news/20260819093015123456700')]
    >>> listing_entries({"data": {"list": []}})
    ListingPage(entries=[], skipped=[], bad=[])
    >>> listing_entries({"code": 0, "message": "Required String parameter 'x'"})
    Traceback (most recent call last):
    ...
    newsbot.parse.UpstreamError: error_shell: Required String parameter 'x'
    """
    items = _find_list(payload)
    if items is None:
        shell = error_message(payload)
        if shell is not None:
            raise UpstreamError("error_shell", shell)
        raise UpstreamError("no_list", "the answer holds no list of articles")
    page = ListingPage([], [], [])
    for item in items:
        try:  # one entry that cannot be read costs that entry, never the page
            if isinstance(item, Mapping):
                reason = not_article_reason(item)
                if reason is not None:
                    page.skipped.append(_skipped(item, reason))
                    continue
            code = _entry_code(item) if isinstance(item, Mapping) else None
            if code is not None:
                page.entries.append(ListingEntry(code, record_fields(item)))
                continue
            why = "no usable code"
        except Exception as exc:  # noqa: BLE001 (anything upstream can make a reader raise)
            why = f"{type(exc).__name__}: {str(exc)[:80]}"
        page.bad.append(f"{_describe(item)}: {why}")
    return page


def _describe(item: Any) -> str:
    """A short, safe description of a listing item (its repr may be huge or nested too deep)."""
    if isinstance(item, Mapping):
        keys = [str(key)[:20] for key in itertools.islice(item, 6)]
        return f"entry with keys {keys}"
    return f"entry of type {type(item).__name__}"


def _find_list(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    for path in LISTING_PATHS:
        node: Any = payload
        for key in path:  # not pick(): an empty list is a quiet page, not a missing one
            node = _fold(node).get(key) if isinstance(node, Mapping) else None
        if isinstance(node, list):
            return node
    return None


def _entry_code(item: Mapping[str, Any]) -> str | None:
    folded = _fold(item)
    candidates = [(canonical_code, _first(folded, (key,))) for key in CODE_KEYS]
    candidates += [(lambda url: parse_input(url).code, _first(folded, (key,))) for key in URL_KEYS]
    for read, value in candidates:
        if value is None:
            continue
        try:
            return read(str(value))
        except InvalidInput:
            continue
    return None
