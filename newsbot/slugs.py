"""Category slugs: a source name in pinyin, lowercase ASCII ``[a-z0-9-]`` only."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["slugify", "source_slug", "is_slug"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@lru_cache(maxsize=4096)  # a run sees a few dozen sources, thousands of times
def slugify(name: str) -> str:
    """Pinyin of the Chinese, ASCII letters and digits kept, syllables joined, the rest a hyphen.

    >>> slugify("中国日报网")
    'zhongguoribaowang'
    >>> slugify("TechWeb"), slugify("Techweb"), slugify(" 21世纪经济报道 (北京) ")
    ('techweb', 'techweb', '21shijijingjibaodao-beijing')
    >>> slugify("重庆晨报")  # a heteronym: 重 read as chong in the place name
    'chongqingchenbao'
    >>> slugify("!!!")
    ''
    """
    # imported here: its dictionaries take 0.2 s and tens of MB, and runs that write no post
    # (an incremental listing run, `scrapy list`, `scrapy verify`) never need them
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", name)
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    joined = "".join(ch if ch.isascii() else " " for ch in "".join(syllables))
    return _NOT_SLUG.sub("-", joined.lower()).strip("-")


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

    >>> is_slug("emnews"), is_slug("../x"), is_slug("Tech Web"), is_slug("")
    (True, False, False, False)
    """
    return bool(_SLUG.fullmatch(value))
