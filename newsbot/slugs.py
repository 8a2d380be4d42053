"""Source names as plain text, and category slugs: a source name in pinyin, lowercase ASCII
``[a-z0-9-]`` only, at most :data:`MAX_SLUG` bytes."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import nh3

__all__ = ["MAX_SLUG", "MAX_SOURCE", "source_name", "slugify", "source_slug", "is_slug"]

MAX_SLUG = 64  # bytes: a file name, a URL segment; far below any file system's 255
MAX_SOURCE = 40  # characters: the longest real outlet names run to about 20
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def source_name(raw: str) -> str | None:
    """A source name as plain text: markup and control characters out, white space collapsed,
    at most :data:`MAX_SOURCE` characters; None when nothing is left.

    >>> source_name(" 新华网\u2028 ")
    '新华网'
    >>> source_name("<b>中国 &amp; 日报</b><script>alert(1)</script>")
    '中国 & 日报'
    >>> source_name("<script>alert(1)</script>") is None
    True
    >>> len(source_name("长" * 300))
    40
    """
    text = raw
    if "<" in text or "&" in text:
        # nh3 reads the markup as a browser would (and drops script and style with their text)
        text = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())[:MAX_SOURCE].strip()
    return text or None


@lru_cache(maxsize=4096)  # a run sees a few dozen sources, thousands of times
def slugify(name: str) -> str:
    """Pinyin of the Chinese, ASCII letters and digits kept, syllables joined, the rest a hyphen.

    >>> slugify("中国日报网")
    'zhongguoribaowang'
    >>> slugify("TechWeb"), slugify("Techweb"), slugify(" 21世纪经济报道 (北京) ")
    ('techweb', 'techweb', '21shijijingjibaodao-beijing')
    >>> slugify("重庆晨报")  # a heteronym: 重 read as chong in the place name
    'chongqingchenbao'
    >>> slugify("!!!"), slugify("ロイター")  # no pinyin: a stable name from the source
    ('src-e84c538e', 'src-abf79caa')
    >>> slug = slugify("很长的来源名称" * 10)  # cut, with a hash so two long names never meet
    >>> len(slug), slug[-9:]
    (64, '-b53357fc')
    """
    # imported here: its dictionaries take 0.2 s and tens of MB, and runs that write no post
    # (an incremental listing run, `scrapy list`, `scrapy verify`) never need them
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", name)
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    joined = "".join(ch if ch.isascii() else " " for ch in "".join(syllables))
    slug = _NOT_SLUG.sub("-", joined.lower()).strip("-")
    if slug and len(slug) <= MAX_SLUG:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if not slug:
        return f"src-{digest}"
    return f"{slug[: MAX_SLUG - 9].rstrip('-')}-{digest}"


def source_slug(source: str, overrides: Mapping[str, str] | None = None) -> str:
    """The slug of a source, taking an override (``NEWSBOT_SLUGS``) first.

    >>> source_slug("东财滚动新闻", {"东财滚动新闻": "emnews"})
    'emnews'
    >>> source_slug("中国日报网", {})
    'zhongguoribaowang'
    """
    if overrides:
        override = overrides.get(source) or overrides.get(source.strip())
        if override:
            return slugify(override)
    return slugify(source)


def is_slug(value: str) -> bool:
    """Whether a value can be a category slug (and so a file name).

    >>> is_slug("emnews"), is_slug("../x"), is_slug("Tech Web"), is_slug(""), is_slug("a" * 65)
    (True, False, False, False, False)
    """
    return len(value) <= MAX_SLUG and bool(_SLUG.fullmatch(value))
