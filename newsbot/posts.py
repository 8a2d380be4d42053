"""The post contract: file names, Liquid protection, and the text of posts and category pages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from newsbot.codes import canonical_code
from newsbot.dates import CHINA, format_post_date
from newsbot.frontmatter import DoubleQuoted, dump_front_matter
from newsbot.kramdown import link_text
from newsbot.slugs import is_slug

__all__ = [
    "POSTS_DIR",
    "OLD_POSTS_DIR",
    "CATEGORY_DIR",
    "post_filename",
    "parse_post_filename",
    "protect_liquid",
    "render_post",
    "render_category",
    "backlinks_line",
    "tag_for",
    "source_from_tag",
]

POSTS_DIR = "_posts"
OLD_POSTS_DIR = "old_post"
CATEGORY_DIR = "category"

_POST_NAME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})-(NW[0-9]{18})\.md")
_TAG_SUFFIX = "新闻"
_LIQUID_OPEN = re.compile(r"\{(?=[{%])")


def tag_for(source: str) -> str:
    """The post's tag (and its category page's title) for a source.

    >>> tag_for("中国日报网")
    '中国日报网新闻'
    """
    return f"{source}{_TAG_SUFFIX}"


def source_from_tag(tag: str) -> str | None:
    """The source a tag was made from (:func:`tag_for` undone), or ``None`` if it is no tag.

    >>> source_from_tag("中国日报网新闻"), source_from_tag("新闻"), source_from_tag("其他")
    ('中国日报网', '', None)
    """
    return tag[: -len(_TAG_SUFFIX)] if tag.endswith(_TAG_SUFFIX) else None


def post_filename(code: str, date: datetime) -> str:
    """``YYYY-MM-DD-CODE.md``, the date in China time; refuses anything but a canonical code.

    >>> from newsbot.dates import parse_time
    >>> post_filename("NW202202242288329527", parse_time("2022-02-24T20:00:00Z"))
    '2022-02-25-NW202202242288329527.md'
    >>> post_filename("../../etc/passwd", parse_time("2022-02-24"))
    Traceback (most recent call last):
    ...
    newsbot.codes.InvalidInput: not an article code: '../../etc/passwd'
    """
    if canonical_code(code) != code:
        raise ValueError(f"not a canonical code: {code!r}")
    return f"{date.astimezone(CHINA):%Y-%m-%d}-{code}.md"


def parse_post_filename(name: str) -> tuple[str, str] | None:
    """``(date, code)`` of a contract file name, else ``None``.

    >>> parse_post_filename("2022-02-24-NW202202242288329527.md")
    ('2022-02-24', 'NW202202242288329527')
    >>> parse_post_filename("2021-12-01-init.md") is None
    True
    """
    match = _POST_NAME.fullmatch(name)
    return (match.group(1), match.group(2)) if match else None


def protect_liquid(html: str) -> str:
    """Keep Liquid (Jekyll 3 and 4) from running article text: ``{{`` and ``{%`` become entities.

    An entity renders as the same character in the page, and Liquid never sees a tag opener,
    so even ``{% endraw %}`` in the text is harmless. Bodies without Liquid markup are untouched.

    >>> protect_liquid("<p>{{ site.title }} {% include x %} {a}</p>")
    '<p>&#123;{ site.title }} &#123;% include x %} {a}</p>'
    >>> protect_liquid("<p>plain</p>")
    '<p>plain</p>'
    """
    return _LIQUID_OPEN.sub("&#123;", html)


def render_post(
    *,
    title: str,
    date: datetime | str,
    slug: str,
    source: str,
    body: str,
    share_link: str,
    site_url: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The whole text of a post, as the site expects it (see DESIGN.md, "The post the site expects")."""
    if not is_slug(slug):
        raise ValueError(f"not a slug: {slug!r}")
    front: dict[str, Any] = {
        "layout": "post",
        "title": DoubleQuoted(title),
        "date": date if isinstance(date, str) else format_post_date(date),
        "categories": slug,
        "tags": tag_for(source),
    }
    for key, value in (extra or {}).items():
        if key not in front and value not in (None, "", [], ()):
            front[key] = (
                list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
            )
    return (
        f"{dump_front_matter(front)}{protect_liquid(body.strip())}\n\n<{share_link}>\n\n"
        f"{backlinks_line(source, slug, site_url)}\n"
    )


def backlinks_line(source: str, slug: str, site_url: str) -> str:
    """The last line of a post: back to its category page and to the front page. The source
    is text, not Markdown, HTML or Liquid (see :func:`newsbot.kramdown.link_text`).

    >>> backlinks_line("中国日报网", "zhongguoribaowang", "//finews.withounder.com/")
    '[返回中国日报网新闻](//finews.withounder.com/category/zhongguoribaowang.html)｜[返回首页](//finews.withounder.com/)'
    >>> backlinks_line("<b>{{x}}</b>", "b-x", "")
    '[返回&#60;b&#62;&#123;&#123;x&#125;&#125;&#60;&#47;b&#62;新闻](/category/b-x.html)｜[返回首页](/)'
    """
    site = site_url.rstrip("/")
    return f"[返回{link_text(tag_for(source))}]({site}/category/{slug}.html)｜[返回首页]({site}/)"


def render_category(slug: str, title: str) -> str:
    """A category page: ``layout: category``, titled with its own posts' tag (``SOURCE新闻``).

    >>> print(render_category("zhongguoribaowang", "中国日报网新闻"), end="")
    ---
    layout: category
    title: "中国日报网新闻"
    category: zhongguoribaowang
    ---
    """
    if not is_slug(slug):
        raise ValueError(f"not a slug: {slug!r}")
    return dump_front_matter({"layout": "category", "title": DoubleQuoted(title), "category": slug})
