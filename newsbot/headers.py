"""Request headers per upstream, from the ``NEWSBOT_*_HEADERS`` settings: what a browser on
eastmoney's own page sends when that page makes the call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["header_template", "request_headers"]

_PLACEHOLDER = re.compile(r"\{(origin|code|id)\}")
# RFC 9110 token characters: anything else in a name would make Twisted refuse every request.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def header_template(value: Mapping[object, object], setting: str) -> dict[str, str]:
    """A ``NEWSBOT_*_HEADERS`` setting checked once, at start-up, so that a typo given with
    ``-s`` is one clear error rather than a failure of every request.

    >>> header_template({"Referer": "https://finance.eastmoney.com/", "X-N": 1}, "S")
    {'Referer': 'https://finance.eastmoney.com/', 'X-N': '1'}
    >>> header_template({"Bad Name": "x"}, "NEWSBOT_TEXT_HEADERS")
    Traceback (most recent call last):
    ...
    ValueError: NEWSBOT_TEXT_HEADERS: 'Bad Name' is not a header name
    >>> header_template({"Referer": "a\\r\\nX-Injected: 1"}, "S")
    Traceback (most recent call last):
    ...
    ValueError: S: the value of 'Referer' holds a line break or a control character
    """
    headers: dict[str, str] = {}
    for name, raw in value.items():
        name = str(name)
        if not name or not set(name) <= _TOKEN:
            raise ValueError(f"{setting}: {name!r} is not a header name")
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, (str, int))):
            raise ValueError(f"{setting}: the value of {name!r} is not text")
        text = "" if raw is None else str(raw)
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in text):
            raise ValueError(
                f"{setting}: the value of {name!r} holds a line break or a control character"
            )
        if not text.isascii():  # sent as Latin-1 bytes a server reads as something else
            raise ValueError(f"{setting}: the value of {name!r} is not ASCII")
        headers[name] = text
    return headers


def request_headers(template: Mapping[str, str], url: str, code: str = "") -> dict[str, str]:
    """The headers of a request to ``url``: ``template`` with ``{origin}`` (the request's own
    ``scheme://host[:port]``), ``{code}`` (``NW`` + 18 digits) and ``{id}`` (the digits) filled
    in. An empty value is not sent, which leaves that header to Scrapy's defaults.

    Placeholders are replaced in one pass, not with ``str.format``: a value a user gives may
    hold braces of its own.

    >>> request_headers({"Referer": "{origin}/html_News/NewsShare.html?infoCode={code}",
    ...                  "Accept": "*/*", "Cookie": ""},
    ...                 "http://u:p@mirror.example:8080/NewsData/GetNewsText.do?id=NW1", "NW1")
    {'Referer': 'http://mirror.example:8080/html_News/NewsShare.html?infoCode=NW1', 'Accept': '*/*'}
    >>> request_headers({"X-Id": "{id}{x}"}, "https://h/", "NW202202242288329527")
    {'X-Id': '202202242288329527{x}'}
    """
    parts = urlsplit(url)
    # the host as the URL names it, without any user:password@ a proxy or mirror link may carry
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    filled = {"origin": origin, "code": code, "id": code[2:] if code else ""}
    headers: dict[str, str] = {}
    for name, value in template.items():
        value = _PLACEHOLDER.sub(lambda match: filled[match.group(1)], value)
        # a share link's host is upstream text: no control character reaches a header from it
        value = "".join(c for c in value if c.isprintable())
        if value:
            headers[name] = value
    return headers
