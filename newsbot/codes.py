"""Article codes: recognise every input form and reduce it to the canonical ``NW`` code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "ArticleRef",
    "InvalidInput",
    "canonical_code",
    "article_id",
    "parse_input",
    "read_inputs",
]

_CODE = re.compile(r"(?:NW)?([0-9]{18})", re.IGNORECASE)
_ARTICLE_PATH = re.compile(r"/a/([0-9]{18})\.html")
_NEWS_PATH = re.compile(r"/news/[0-9]+,([0-9]{18})\.html")
_SHARE_PATH = "/html_News/NewsShare.html"
_SEPARATOR = re.compile(r",(?![0-9]{18}\.html)")  # /news/COLUMN,ID.html has a comma of its own
_COMMENT = re.compile(r"(?:^|\s)#")  # a '#' inside a URL is a fragment, not a comment


class InvalidInput(ValueError):
    """An input that is none of the accepted forms (or a code that could escape the tree)."""


@dataclass(frozen=True)
class ArticleRef:
    """One article to fetch: its canonical code and, for share links, the host that serves it."""

    code: str
    text_base: str | None = None  # "scheme://host[:port]" of a share link, else None

    @property
    def id(self) -> str:
        return self.code[2:]


def canonical_code(value: str) -> str:
    """The canonical ``NW`` + 18 digits form of an infoCode or bare id.

    >>> canonical_code("202202242288329527")
    'NW202202242288329527'
    >>> canonical_code("nw202202242288329527")
    'NW202202242288329527'
    >>> canonical_code("NW2022")
    Traceback (most recent call last):
    ...
    newsbot.codes.InvalidInput: not an article code: 'NW2022'
    """
    match = _CODE.fullmatch(value.strip())
    if not match:
        raise InvalidInput(f"not an article code: {value!r}")
    return "NW" + match.group(1)


def article_id(code: str) -> str:
    """The 18-digit id of a canonical code.

    >>> article_id("NW202202242288329527")
    '202202242288329527'
    """
    return canonical_code(code)[2:]


def parse_input(value: str) -> ArticleRef:
    """Turn one user input (share link, code, id, article URL) into an :class:`ArticleRef`.

    >>> parse_input("http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202242288329527")
    ArticleRef(code='NW202202242288329527', text_base='http://finews.zning.xyz')
    >>> parse_input("https://finance.eastmoney.com/a/202608193456789012.html")
    ArticleRef(code='NW202608193456789012', text_base=None)
    >>> parse_input("http://finance.eastmoney.com/news/1350,202112082207168450.html").code
    'NW202112082207168450'
    >>> parse_input("202112082207168450").code
    'NW202112082207168450'
    """
    text = value.strip()
    if not text:
        raise InvalidInput("empty input")
    if "://" not in text:
        return ArticleRef(canonical_code(text))
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"not an http(s) link: {value!r}")
    if parts.path.endswith(_SHARE_PATH):
        query = {k.lower(): v for k, v in parse_qs(parts.query).items()}
        codes = query.get("infocode") or query.get("id")
        if not codes:
            raise InvalidInput(f"share link without infoCode: {value!r}")
        return ArticleRef(canonical_code(codes[0]), f"{parts.scheme}://{parts.netloc}")
    for pattern in (_ARTICLE_PATH, _NEWS_PATH):
        match = pattern.search(parts.path)
        if match:
            return ArticleRef("NW" + match.group(1))
    raise InvalidInput(f"not a share link or article URL: {value!r}")


def read_inputs(text: str) -> list[str]:
    """Split a comma list or a file's lines into inputs, dropping blanks and ``#`` comments.

    >>> read_inputs("a, b\\n# note\\n\\nc  # trailing\\n")
    ['a', 'b', 'c']
    >>> read_inputs("http://h/news/1350,202112082207168450.html,NW202112082207168450")
    ['http://h/news/1350,202112082207168450.html', 'NW202112082207168450']
    """
    items: list[str] = []
    for line in text.splitlines():
        line = _COMMENT.split(line, maxsplit=1)[0]
        items.extend(part.strip() for part in _SEPARATOR.split(line) if part.strip())
    return items
