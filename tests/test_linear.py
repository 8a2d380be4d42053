"""Everything that reads upstream or file text takes time linear in its size.

Each case is an adversarial input family (long whitespace runs, many partial matches, deep
nesting); ``assert_linear`` compares the time at n and 8n, so no case depends on the machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsbot import parse
from newsbot.clean import UnreadableBody, clean_body
from newsbot.codes import InvalidInput, canonical_code, parse_input, read_inputs
from newsbot.dates import parse_time
from newsbot.frontmatter import read_scalars
from newsbot.oldposts import read_old_post
from newsbot.parse import UpstreamError, article_page_fields, load_json
from tests.linear import assert_linear


def _quiet(func: Callable[[str], object], *errors: type[Exception]) -> Callable[[str], object]:
    """``func``, with the refusals an adversarial input is expected to get swallowed."""

    def call(text: str) -> object:
        try:
            return func(text)
        except errors:
            return None

    return call


JSON_CASES: dict[str, Callable[[int], str]] = {
    # the old _JSONP regex: \s*;?\s* after each ")" split every whitespace run both ways
    "paren then whitespace then junk": lambda n: 'cb({"a": 1})' + " " * n + "x",
    "paren, whitespace, semicolon, whitespace": lambda n: "cb([1])" + " " * n + ";" + " " * n + "x",
    "many parens and whitespace runs": lambda n: "cb(" + ")  \n" * n + "x",
    "whitespace inside a valid call": lambda n: 'cb(["' + ") " * n + '"]) ;',
    "guard then whitespace": lambda n: "/**/" + " " * n + "cb([1])",
    "deeply nested arrays": lambda n: "[" * n + "]" * n,
    "deeply nested call": lambda n: "cb(" + "[" * n + "]" * n + ")",
    "long flat array": lambda n: "cb([" + "1, " * n + "1]);",
}


@pytest.mark.parametrize("make", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_load_json_is_linear(make):
    assert_linear(_quiet(load_json, UpstreamError), make)


def test_deep_json_is_an_upstream_fault_not_a_crash():
    with pytest.raises(UpstreamError) as caught:
        load_json("cb(" + "[" * 100_000 + "]" * 100_000 + ");")
    assert caught.value.reason == "too_deep"


OLD_POST_CASES: dict[str, Callable[[int], str]] = {
    # the old _OWN_LINK: MULTILINE ^\s* rescanned a blank stretch from each of its lines
    "blank lines": lambda n: "---\ntitle: t\n---\n正文\n" + "\n" * n + "尾",
    "whitespace lines": lambda n: "---\ntitle: t\n---\n正文\n" + " \t\n" * n + "尾",
    "one long whitespace run": lambda n: "---\ntitle: t\n---\n正文" + " " * n + "尾\n",
    "lines of <": lambda n: "---\ntitle: t\n---\n正文\n" + "<\n" * n,
    "unclosed links": lambda n: "---\ntitle: t\n---\n正文\n" + "  <https://h/a" * n + "\n",
    "many own links, none valid": lambda n: "正文\n" + "<http://h/news/1,20211208.html>\n" * n,
    "broken front matter": lambda n: '---\ntitle: "a\nk' + " " * n + ":\n" + "x:\n" * n + "---\nb",
    # not YAML as a whole: each key is read alone
    "broken, many keys": lambda n: '---\ntitle: "a"b"\n' + "k: v\n" * n + "---\nb",
    "long folded title": lambda n: "---\ntitle: >-\n" + "  词\n" * n + "---\nb",
    # each level doubles what expanding would build: 2^n values
    "alias chain": lambda n: "---\n" + _alias_chain(n) + f"title: *a{n - 1}\n---\nb",
}


def _alias_chain(n: int) -> str:
    return "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, n))


@pytest.mark.parametrize("make", OLD_POST_CASES.values(), ids=OLD_POST_CASES.keys())
def test_old_post_reader_is_linear(make):
    assert_linear(lambda text: read_old_post(text, "post.md"), make)


def test_the_tree_index_reads_alias_chains_in_linear_time():
    """``read_record``'s reader: an alias is never expanded (the old one built 2^n values)."""
    assert_linear(read_scalars, lambda n: _alias_chain(n) + f"title: *a{n - 1}\n")


DATE_CASES: dict[str, Callable[[int], str]] = {
    # dateutil is quadratic in the length of junk like these, from ~10k characters on:
    # parse_time must not hand it over
    "dots": lambda n: "2022" + "." * n,
    "numbers and dots": lambda n: "2022 " + "1." * n,
    "digits": lambda n: "2022" + "0" * n,
    "cjk dates": lambda n: "2022年 1月 " * n,
    "whitespace": lambda n: "2022" + " " * n + "年 1月 1日",
    "ms date": lambda n: "/Date(" + "1" * n + ")/x",
}


@pytest.mark.parametrize("make", DATE_CASES.values(), ids=DATE_CASES.keys())
def test_date_parser_is_linear(make):
    assert_linear(parse_time, make, min_n=8000)


CODE_CASES: dict[str, tuple[Callable[[str], object], Callable[[int], str]]] = {
    "code of digits": (canonical_code, lambda n: "NW" + "1" * n),
    "code in whitespace": (canonical_code, lambda n: " " * n + "NW1" + " " * n),
    "news paths": (parse_input, lambda n: "http://h/" + "/news/1" * n + ".html"),
    "article paths": (parse_input, lambda n: "http://h" + "/a/1" * n),
    "share query": (parse_input, lambda n: "http://h/html_News/NewsShare.html?" + "a=1&" * n),
    "junk": (parse_input, lambda n: "x:/" * n),
    "input list": (read_inputs, lambda n: ",202112082207168450.htm #" * n),
}


@pytest.mark.parametrize(("func", "make"), CODE_CASES.values(), ids=CODE_CASES.keys())
def test_code_readers_are_linear(func, make):
    assert_linear(_quiet(func, InvalidInput), make)


PAGE_CASES: dict[str, Callable[[int], str]] = {
    "title in whitespace": lambda n: "<title>标题" + " \n" * n + "_东方财富网</title>",
    "info items": lambda n: '<div class="infos">' + '<div class="item">2022. 1.x</div>' * n,
}


@pytest.mark.parametrize("make", PAGE_CASES.values(), ids=PAGE_CASES.keys())
def test_article_page_reader_is_linear(make):
    assert_linear(article_page_fields, make)


def test_title_suffix_pattern_is_linear():
    # article_page_fields collapses whitespace first; the pattern must not rely on it
    assert_linear(parse._TITLE_SUFFIX.search, lambda n: "标题" + " " * n + "x")


# A sentence between the tags, as in an article: a cleaner that copies the text it has kept so
# far on each cut is quadratic from a few hundred tags on, not only from tens of thousands.
TEXT = "正文" * 50
KEYWORD = '<a class="keytip" data-code="1,600160" href="http://quote.eastmoney.com/x">巨化</a>'
CLEANER_CASES: dict[str, Callable[[int], str]] = {
    # each once quadratic (unwrapping and cutting siblings one by one, fostering, text rules)
    "unknown inline tags": lambda n: "<p>" + f"<x-y>a</x-y>{TEXT}" * n + "</p>",
    "font tags": lambda n: "<p>" + f"<font>a</font>{TEXT}" * n + "</p>",
    "hidden spans": lambda n: "<p>" + f'<span style="display:none">a</span>{TEXT}' * n + "</p>",
    "keyword links": lambda n: "<p>" + (KEYWORD + TEXT) * n + "</p>",
    "wechat marks in one paragraph": lambda n: "<p>" + f"打开微信{TEXT}<br>" * n + "扫一扫 朋友圈</p>",
    "wechat split blocks": lambda n: "<div>" + "<p>打开微信，</p>" * n + "<p>扫一扫 朋友圈</p></div>",
    "table strays": lambda n: "<table>" + f"<span>x</span>{TEXT}" * n + "</table>",
    "top-level blocks": lambda n: f"<p>{TEXT}</p>" * n,
    # found by the attack on the rewrite: every start marker walked every later sibling, and
    # libxml2 compares each attribute of a tag with all the others
    "k-chart marker pairs": lambda n: f"<!--EM_StockImg_Start--><p>{TEXT}</p>" * n
    + "<!--EM_StockImg_End-->",
    "k-chart start markers": lambda n: "<p>正文</p>" + "<!--EM_StockImg_Start-->" * n,
    "many attributes": lambda n: "<p " + " ".join(f"a{i}=1" for i in range(n)) + ">x</p>",
    # the second attack: quoted ">" hid a tag's length; emptied wrappers and text rules deep down
    "many attributes holding >": lambda n: "<p" + "".join(f' a{i:x}=">"' for i in range(n)) + ">x</p>",
    "emptied wrappers deep down": lambda n: "<span><b hidden></b>" * 250 + " <i> </i>" * n + "x",
    "share words deep down": lambda n: "<span>" * 250 + "打开微信扫一扫朋友圈<br>" * n,
    "javascript links": lambda n: "<p>" + f'<a href="javascript:x()">点此</a>{TEXT}' * n + "</p>",
    "quote placeholders": lambda n: "<p>" + f'<span id="quote_1.600160"></span>{TEXT}' * n + "</p>",
    "ad links": lambda n: "<p>" + f'<a href="https://acttg.eastmoney.com/x">广告</a>{TEXT}' * n + "</p>",
    "scripts with text after": lambda n: "<p>" + f"<script>x()</script>{TEXT}" * n + "</p>",
    "table cells with strays": lambda n: "<table><tr>" + f"{TEXT}<td>1</td>" * n + "</tr></table>",
    "top-level inline tags": lambda n: "<b>a</b>b" * n,
    "one long whitespace run": lambda n: "<p>a" + " \n\t" * n + "b</p>",
    "plain text with whitespace": lambda n: "第一段" + " " * n + "\n\n" + "第二段\n" * n,
    "nested misnested b i": lambda n: "<p>" + "<b><i>" * n + "x" + "</b></i>" * n + "</p>",
    "sibling misnested b i": lambda n: "<p>" + f"<b><i>{TEXT}</b>{TEXT}</i>" * n + "</p>",
}


@pytest.mark.parametrize("make", CLEANER_CASES.values(), ids=CLEANER_CASES.keys())
def test_cleaner_is_linear(make):
    assert_linear(_quiet(clean_body, UnreadableBody), make)  # nested past 256: refused
