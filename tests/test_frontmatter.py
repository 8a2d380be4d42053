"""Front matter and the post text: any title round-trips; the seed renders to its golden."""

from __future__ import annotations

import string

import yaml
from hypothesis import given
from hypothesis import strategies as st

from newsbot.dates import parse_time
from newsbot.frontmatter import DoubleQuoted, dump_front_matter, split_front_matter
from newsbot.posts import render_category, render_post

titles = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1
) | st.text(alphabet=string.printable + "：“”{}%#-\u2028\u0085\x00\x1f", min_size=1)


@given(titles, titles)
def test_any_title_and_source_round_trip(title, source):
    text = dump_front_matter({"layout": "post", "title": DoubleQuoted(title), "tags": source})
    front, body = split_front_matter(text + "body")
    assert front == {"layout": "post", "title": title, "tags": source}
    assert body == "body"
    title_line = text.splitlines()[2]
    assert title_line.startswith('title: "') and title_line.endswith('"')  # one double-quoted line


def test_chinese_is_written_as_itself():
    text = dump_front_matter({"title": DoubleQuoted("腾讯公布“净零行动”")})
    assert 'title: "腾讯公布“净零行动”"' in text


def test_post_keys_in_contract_order_and_extras_after():
    text = render_post(
        title="t",
        date=parse_time("2022-02-24 22:20:26"),
        slug="zhongguoribaowang",
        source="中国日报网",
        body="<p>b</p>",
        share_link="http://s/NW1",
        site_url="//site/",
        extra={"stocks": ("1.600160",), "summary": None},
    )
    front, body = split_front_matter(text)
    assert list(front) == ["layout", "title", "date", "categories", "tags", "stocks"]
    assert front["date"] == "2022-02-24 22:20:26 +0800"
    assert front["stocks"] == ["1.600160"]
    assert body == (
        "<p>b</p>\n\n<http://s/NW1>\n\n"
        "[返回中国日报网新闻](//site/category/zhongguoribaowang.html)｜[返回首页](//site/)\n"
    )


def test_category_page():
    assert yaml.safe_load(render_category("emnews", "东财滚动新闻").split("---")[1]) == {
        "layout": "category",
        "title": "东财滚动新闻",
        "category": "emnews",
    }
