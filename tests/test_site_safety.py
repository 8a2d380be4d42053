"""The page Jekyll builds is safe, whatever the articles say.

Random batches of hostile articles (misnested markup around Markdown, kramdown and Liquid
payloads; hostile titles and sources) go through a real ``scrapy crawl share`` against the replay
server and a real ``make site``; every page the build writes is then read with lxml. The property
is about the built page, not the cleaner's output: what kramdown and Liquid make of a post counts.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from typing import NamedTuple

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import html as lhtml

from newsbot.frontmatter import split_front_matter
from newsbot.replay import ReplayServer
from tests.conftest import (
    CRAWL_ENV,
    DATA,
    PROJECT,
    TEST_SETTINGS,
    CrawlResult,
    crawl_command,
)
from tests.test_site_build import assert_clean_build, built_posts


class Article(NamedTuple):
    title: str
    source: str
    body: str


def code_for(index: int) -> str:
    return f"NW2025090110{index:08d}"


def publish(articles: list[Article], root: Path) -> CrawlResult:
    """Record ``articles`` in a copy of the upstream recordings, and crawl them into ``root``."""
    upstream = root / "upstream"
    shutil.copytree(DATA / "upstream", upstream)
    for index, article in enumerate(articles):
        answer = {
            "title": article.title,
            "showtime": "2025-09-01 10:00:00",
            "medianame": article.source,
            "text": article.body,
        }
        path = upstream / "text" / f"{code_for(index)}.json"
        path.write_text(json.dumps(answer, ensure_ascii=False))
    output, stats = root / "output", root / "stats.json"
    codes = ",".join(code_for(index) for index in range(len(articles)))
    with ReplayServer(upstream) as server:
        options = {
            **TEST_SETTINGS,
            "NEWSBOT_OUTPUT_DIR": str(output),
            "NEWSBOT_STATS_FILE": str(stats),
            "NEWSBOT_TEXT_URL": f"{server.url}/NewsData/GetNewsText.do?id={{code}}",
            "NEWSBOT_ARTICLE_URL": f"{server.url}/a/{{id}}.html",
        }
        proc = subprocess.run(
            crawl_command("share", (f"codes={codes}",), options),
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
            env=CRAWL_ENV,
        )
    return CrawlResult(
        proc.returncode,
        proc.stderr,
        json.loads(stats.read_text()) if stats.exists() else {},
        output,
    )


# What a page must not hold (the skeleton in site/ holds none of it).
SCRIPT_CAPABLE = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "form", "base", "link", "style", "template", "portal",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


def folded_url(value: str) -> str:
    """A URL as a browser reads its scheme: whitespace and controls gone, case folded."""
    return "".join(
        ch for ch in value if not (ch.isspace() or unicodedata.category(ch) == "Cc")
    ).casefold()


def read_page(page: Path) -> lhtml.HtmlElement:
    return lhtml.parse(str(page), lhtml.HTMLParser(encoding="utf-8")).getroot()


def unsafe_markup(
    site: Path, page: Path, found: dict[str, list[str]], article: Article | None = None
) -> None:
    """Add a built page's script-capable elements, event or autofocus attributes and unsafe
    URLs to ``found``, each named with the page (and the article it was built from)."""
    where = page.relative_to(site).as_posix() + (f" <- {article}" if article else "")
    for el in read_page(page).iter():
        if not isinstance(el.tag, str):
            continue  # a comment
        tag = el.tag.rsplit(":", 1)[-1].lower()
        if tag in SCRIPT_CAPABLE or (tag == "meta" and el.get("http-equiv") is not None):
            found["elements"].append(f"{where}: {lhtml.tostring(el, encoding='unicode')[:300]}")
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on") or name == "autofocus":
                found["attributes"].append(f"{where}: <{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and folded_url(value).startswith(BAD_SCHEMES):
                found["urls"].append(f"{where}: <{tag} {name}={value!r}>")


def check_site(articles: list[Article], result: CrawlResult) -> None:
    """Every property of the built site, all checked before the first assertion, so that the
    message of whichever fails first lists every problem the batch found."""
    problems: dict[str, list[str]] = {
        kind: []
        for kind in ("elements", "attributes", "urls", "crawl", "drops", "build", "titles", "links")
    }
    if result.returncode != 0:
        problems["crawl"].append(f"scrapy exited {result.returncode}")
    problems["crawl"] += [  # errors, and the exceptions of their tracebacks
        line[:500]
        for line in result.log.splitlines()
        if re.search(r"\] (ERROR|CRITICAL):|^[\w.]+(Error|Exception): ", line)
    ]
    posts = result.posts()
    reasons = {
        key: count
        for key, count in result.stats.items()
        if key.startswith(("item_dropped_reasons_count/", "newsbot/upstream_error/"))
    }
    # only an article whose body cleaned down to nothing may go without a post
    empty = reasons.pop("item_dropped_reasons_count/EmptyBody", 0)
    if reasons or len(posts) + empty != len(articles):
        problems["drops"].append(f"dropped {reasons} besides {empty} empty bodies:")
        problems["drops"] += [
            f"{code_for(i)} {article} -> {_log_lines(result.log, code_for(i))}"
            for i, article in enumerate(articles)
            if code_for(i) not in posts
        ]
    try:
        assert_clean_build(result.output)  # exit 0, no warning, every post a page in its category
    except (AssertionError, OSError) as exc:  # OSError: a category page the build did not write
        message = [line for line in str(exc).splitlines() if not line.strip().startswith("from /")]
        problems["build"].append(f"{type(exc).__name__}: " + "\n".join(message)[:3000])

    site = result.output / "_site"
    by_index = dict(enumerate(articles))  # a post page is named by its code, which ends in it
    for page in sorted(site.rglob("*.html")):
        article = by_index.get(int(page.stem[-8:])) if page.stem.startswith("NW") else None
        unsafe_markup(site, page, problems, article)
    pages = built_posts(result.output)
    for index, article in enumerate(articles):
        code = code_for(index)
        if code in posts and code in pages:
            _check_post(posts[code], read_page(pages[code]), article, problems)

    summary = "\n".join(f"{kind}: {line}" for kind, lines in problems.items() for line in lines)
    assert not problems["elements"], summary
    assert not problems["attributes"], summary
    assert not problems["urls"], summary
    assert not problems["crawl"], summary
    assert not problems["drops"], summary
    assert not problems["build"], summary
    assert not problems["titles"], summary
    assert not problems["links"], summary


def _log_lines(log: str, code: str) -> list[str]:
    """What the crawl said of an article at WARNING or above."""
    return [
        line.split("] ", 1)[-1]
        for line in log.splitlines()
        if code in line and re.search(r"\] (WARNING|ERROR|CRITICAL):", line)
    ]


def _check_post(
    post: Path, page: lhtml.HtmlElement, article: Article, problems: dict[str, list[str]]
) -> None:
    """The title reads back, one line, in the page's <h1>; the back-link names the source."""
    front, _ = split_front_matter(post.read_text())
    (heading,) = page.xpath('//article[@class="post"]/h1')
    if front["title"] != " ".join(article.title.split()):
        problems["titles"].append(f"{post.name} front matter {front['title']!r} <- {article}")
    if heading.text_content() != front["title"]:
        problems["titles"].append(f"{post.name} <h1> {heading.text_content()!r} <- {article}")
    # no Liquid run and no Markdown read in the source's back-link to its category page
    category = f"/category/{front['categories']}.html"
    links = [
        a for a in page.xpath('//div[@class="body"]//a') if a.get("href", "").endswith(category)
    ]
    shown = " ".join(links[-1].text_content().split()) if links else None
    if shown != " ".join(f"返回{front['tags']}".split()):
        problems["links"].append(f"{post.name} back-link shows {shown!r} <- {article}")


ALLOWED_TAGS = [
    "p", "div", "strong", "span", "a", "em", "b", "i", "li", "dd", "dt", "table", "tr", "td",
    "ul", "ol", "blockquote", "pre", "h1", "h2", "h3",
    'a href="javascript:alert(1)"', 'a href="https://example.com/"', 'p style="text-align:center"',
]  # fmt: skip
UNKNOWN_TAGS = ["font", "x-y", "section", "custom"]
VOID = ["<br>", '<img src="https://example.com/i.png">', "<img src=x onerror=alert(1)>"]
PAYLOADS = [
    "正文",  # first: the simplest body
    "[x](javascript:alert(1))",
    '[x](#){: autofocus="" onfocus="alert(1)"}',
    '{: onclick="alert(1)"}',
    "[r]: javascript:alert(1)",
    "[r]",
    "<javascript:alert(1)>",
    "![i](javascript:alert(1))",
    '{::options parse_block_html="true" /}',
    '{::options parse_span_html="true" /}',
    "{::nomarkdown}<script>alert(1)</script>{:/}",
    "{::nomarkdown}",
    "{:/}",
    "* " * 300 + "深",
    "> " * 300 + "深",
    "1. " * 100 + "深",
    "{{ site.title }}",
    "{% include x %}",
    "{% endraw %}",
    "{% raw %}",
    "$$ math $$",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x6A;avascript:alert(1)",
    "新闻 text",
]
SEPARATORS = st.sampled_from(["", " ", "\n", "\n\n", "\n    "])


@st.composite
def fragments(draw) -> str:
    """Payloads and void tags inside tags opened in one order and closed in another, or not."""
    opened = draw(st.lists(st.sampled_from(ALLOWED_TAGS + UNKNOWN_TAGS), max_size=4))
    closed = draw(st.permutations(opened))[: draw(st.integers(0, len(opened)))]
    closed += draw(st.lists(st.sampled_from(ALLOWED_TAGS + UNKNOWN_TAGS), max_size=1))
    inner = draw(st.lists(st.sampled_from(PAYLOADS + VOID), min_size=1, max_size=3))
    sep = draw(SEPARATORS)
    return (
        "".join(f"<{tag}>" for tag in opened)
        + sep
        + sep.join(inner)
        + sep
        + "".join(f"</{tag.split()[0]}>" for tag in closed)
    )


bodies = st.builds(
    lambda sep, parts: sep.join(parts), SEPARATORS, st.lists(fragments(), min_size=1, max_size=5)
)
HOSTILE_PARTS = [
    '"', "'", ":", "：", "#", "---", "{{ site.title }}", "{% include x %}", "{% endraw %}",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "*", "|", "\n", "\u2028", " ", "&amp;",
]  # fmt: skip
LONG_CJK = (  # 60+ characters: a pinyin slug longer than a file name may be
    "中华人民共和国国家发展和改革委员会价格监测中心与国家统计局城市社会经济调查司"
    "联合发布的全国主要城市居民消费价格月度报告暨重点行业生产资料市场价格变动情况"
    "以及农产品批发市场价格监测周报"
)
titles = st.lists(st.sampled_from(["标题", *HOSTILE_PARTS]), min_size=1, max_size=5).map("".join)
sources = st.one_of(
    st.sampled_from(["新华社", "财联社", "ロイター", "★", LONG_CJK, "中国" * 31]),
    st.lists(st.sampled_from(["新华社", "★", *HOSTILE_PARTS]), min_size=1, max_size=4).map("".join),
)
articles = st.builds(Article, titles.filter(str.strip), sources, bodies)

# A build costs seconds: a few batches of ~25 articles by default, many more under `make fuzz`.
# Batches are lists of lists, flattened: ~25 articles on average, and any size down to one.
batches = st.lists(st.lists(articles, min_size=1, max_size=12), min_size=1, max_size=10).map(
    lambda groups: [article for group in groups for article in group][:40]
)


# No shrinking: a batch costs ~3 s (a scrapy process and a Jekyll build) and Hypothesis needs
# hundreds of calls to shrink one, so it gives up after five minutes with a batch still large.
# Instead, each problem in the failure message names the article (code, title, source, body)
# and what its built page holds; any of those articles alone reproduces it.
@settings(
    max_examples=max(5, settings.default.max_examples // 250),
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=batches)
def test_random_articles_build_safe_site(batch):
    with tempfile.TemporaryDirectory(prefix="newsbot-safety-") as root:
        check_site(batch, publish(batch, Path(root)))


MARKDOWN_LOOKALIKES = [
    "*ST康美",
    "[1]",
    "1. 第一条",
    "#话题#",
    "> 引用",
    "- 列表",
    "`code`",
    "a_b_c",
    "**粗体**",
]


def test_markdown_lookalike_text_shows_literally(tmp_path):
    batch = [
        Article("纯文本", "新华社", "\n".join(MARKDOWN_LOOKALIKES)),
        Article("段落", "新华社", "".join(f"<p>{line}</p>" for line in MARKDOWN_LOOKALIKES)),
        Article("一段多行", "新华社", "<p>" + "\n".join(MARKDOWN_LOOKALIKES) + "</p>"),
    ]
    result = publish(batch, tmp_path)
    assert result.returncode == 0, result.log
    assert sorted(result.posts()) == [code_for(i) for i in range(len(batch))]
    assert_clean_build(result.output)
    for code, page in built_posts(result.output).items():
        (body,) = read_page(page).xpath('//div[@class="body"]')
        made = [el.tag for el in body.iter() if el.tag not in ("div", "p", "a", "br")]
        assert made == [], (code, lhtml.tostring(body, encoding="unicode"))
        assert len(body.findall(".//a")) == 3, code  # the share link and two back-links only
        words = body.text_content()
        assert [line for line in MARKDOWN_LOOKALIKES if line not in words] == [], (code, words)
