"""Article body cleaning: structural cuts with lxml, then an nh3 allowlist as the last word.

Every step is linear in the body's size: a cut empties its element and an unwrap renames it, and
nh3 (one pass, html5ever) removes what they marked; nothing splices children or concatenates
text per element. The top-level layout kramdown sees is decided on nh3's own output
(:func:`newsbot.kramdown.html_blocks`).
"""

from __future__ import annotations

import html as htmlcodec
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from lxml import etree

from newsbot.kramdown import html_blocks

__all__ = [
    "CleanedBody", "UnreadableBody", "JunkRule", "JUNK_RULES", "body_cuts", "clean_body",
    "source_from_line",
]  # fmt: skip

# What may reach the site. Everything else is dropped by nh3, whatever a cut below forgot.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
        "colgroup", "dd", "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q",
        "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    "ol": {"start"},
    "p": {"style"},
    "div": {"style"},
    "center": {"style"},
}
# Content removed with its tag, not just unwrapped: its text is code or chrome, not article.
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template", "textarea",
        "select", "svg", "math", "title", "xmp", "noembed", "noframes", "applet", "frameset",
        "form", "button", "video", "audio", "canvas", "head", "meta", "link", "base",
    }
)  # fmt: skip
_SANITIZER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes={"http", "https", "mailto"},
    filter_style_properties={"text-align"},
    allowed_classes={"p": {"em_media"}},  # the source line stays recognisable
    strip_comments=True,
)

# Marks on elements whose job is done: nh3 unwraps an unknown tag, keeping what it holds (an
# unwrap), and a cut element is emptied first, so nothing of it stays.
_UNWRAP = "newsbot-unwrap"
# libxml2 stops reading at 256 levels of nesting (no article nests a tenth as deep): such a body
# is refused rather than published truncated. The bound also keeps every walk up the tree short.
MAX_DEPTH = 256
# libxml2 checks each attribute of a tag against all the others (quadratic in their number): a
# body with a tag longer than this, or with that many quoted values in one tag, is refused.
# Real tags, long image URLs included, are < 2 KB.
MAX_TAG = 16 * 1024
_MAX_ATTRIBUTES = 1024

AD_HOST = "acttg.eastmoney.com"
# Whole phrases of the promo and the WeChat block: news that merely mentions WeChat or account
# opening is article text.
PROMO_MARK = "东方财富证券一站式开户交易"
PROMO_LEAD = "看资讯行情"  # the promo reads 在东方财富看资讯行情，选东方财富证券一站式开户交易>>
WECHAT_START, WECHAT_END = "打开微信", "朋友圈"
WECHAT_MARKS = (WECHAT_START, "扫一扫", WECHAT_END)
_WECHAT_WORDS = ("发现", "扫一扫", "分享")
_WECHAT_LONGEST = 48  # the share block, punctuation and spaces left out, is 27 characters
_BLOCKS = ("p", "div", "li", "section", "center", "td", "h1", "h2", "h3", "h4", "h5", "h6")
_EMPTY_WRAPPERS = frozenset(
    {"p", "div", "span", "a", "center", "font", "strong", "b", "em", "i", "u"}
)
# Block elements outside the allowlist: kept as <div>, or unwrapping them would run paragraphs together.
_BLOCK_LIKE = frozenset(
    {
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "address",
        "details",
        "summary",
        "fieldset",
        "hgroup",
        "body",
        "html",
    }
)
_KEYWORD_SPAN_IDS = ("stock_", "bk_", "Info.")
_PLACEHOLDER_IDS = ("quote_", "bkquote_")
_SOURCE_MARK = "文章来源"
# Control characters (not tab, newline, CR) and non-characters: no page needs them, lxml refuses them.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_PROMO_TEXT = etree.XPath(f".//text()[contains(., '{PROMO_MARK}')]")
_WECHAT_TEXT = etree.XPath(f".//text()[contains(., '{WECHAT_START}')]")
_TAG_START = re.compile(r"<[A-Za-z]")  # "a <20" in text is not a tag
_STOCK_CODE = re.compile(r"[0-9]{1,3}\.[A-Za-z0-9]{1,12}")


@dataclass(frozen=True)
class CleanedBody:
    """The cleaned HTML and what the cleaning learned on the way."""

    html: str
    stocks: tuple[str, ...] = ()
    source: str | None = None  # from the em_media source line, when there is one
    cuts: Mapping[str, int] = field(default_factory=dict)  # what was removed, by kind


class UnreadableBody(ValueError):
    """A body the cleaner cannot read whole (``reason`` names a stat); publishing what was read
    would publish a truncated article."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class JunkRule:
    """One kind of junk the cleaner removes (``kind`` names its stat), with a real-shaped
    example that goes and a near miss that stays; the tests run every row."""

    kind: str
    what: str
    example: str
    near_miss: str
    leaves: str = "a"  # the example's text once cleaned


JUNK_RULES: tuple[JunkRule, ...] = (
    JunkRule(
        "kchart", "K-chart widget between its EM_StockImg comments",
        '<p>a</p><!-- EM_StockImg_Start --><p><a class="EmImageRemark" href="http://quote.eastmoney.com/sh600160.html">'
        '巨化股份</a></p><p><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1.600160&imageType=k">'
        "</p><!-- EM_StockImg_End -->",
        "<p>a</p><!-- EM_StockImg_Start --><p>K线走势</p>",
    ),
    JunkRule(
        "kchart", "live-quote or K-chart image from any eastmoney quote-picture host",
        '<p>a</p><p><a href="http://quote.eastmoney.com/sz000001.html"><img '
        'src="https://webquotepic.eastmoney.com/GetPic.aspx?nid=0.000001&imageType=r"></a></p>',
        '<p>a</p><p><img src="https://np-newspic.dfcfw.com/download/D25.jpg"></p>',
    ),
    JunkRule(
        "hidden", "element hidden by style, hidden or aria-hidden",
        '<p>a</p><p style="display:none;height:1px;overflow:hidden;"><br /></p>',
        '<p>a</p><p style="text-align:center;">b</p>',
    ),
    JunkRule(
        "keyword", "stock keyword link (its words stay)",
        '<p><span id="stock_1.600160"><a class="keytip" data-code="1,600160" '
        'href="http://quote.eastmoney.com/unify/r/1.600160">巨化股份</a></span>涨停</p>',
        '<p><a href="https://www.example.com/report.pdf">巨化股份公告</a></p>',
        "巨化股份涨停",
    ),
    JunkRule(
        "ad", "acttg advertisement link",
        '<p>a</p><p><a href="https://acttg.eastmoney.com/pub/web_app_xxx">'
        '<img class="em_handle_adv_close" src="x.png"></a></p>',
        '<p>a</p><p><a href="https://data.eastmoney.com/report/">研报中心</a></p>',
    ),
    JunkRule(
        "promo", "the account-opening promo line",
        "<p>a</p><p>在东方财富看资讯行情，选东方财富证券一站式开户交易&gt;&gt;</p>",
        "<p>a</p><p>华泰证券宣布推出线上一站式开户交易服务。</p>",
    ),
    JunkRule(
        "wechat", "the WeChat share block in one paragraph",
        "<p>a</p><p>打开微信，点击底部的“发现”，使用“扫一扫”即可将网页分享至朋友圈。</p>",
        "<p>a</p><p>腾讯表示，用户打开微信后使用扫一扫即可完成跨境支付。</p>",
    ),
    JunkRule(
        "wechat", "the WeChat share block split over paragraphs",
        "<p>a</p><p>打开微信，</p><p>点击底部的“发现”，</p><p>使用“扫一扫”</p><p>即可将网页分享至朋友圈。</p>",
        "<p>a</p><p>打开微信，</p><p>点击底部的“发现”，看到新功能。</p><p>朋友圈也改版了。</p>",
    ),
    JunkRule(
        "wechat", "the WeChat share block split in two",
        "<p>a</p><p>打开微信，点击底部的“发现”，</p><p>使用“扫一扫”即可将网页分享至朋友圈。</p>",
        "<p>a</p><p>打开微信，点击底部的“发现”，</p><p>据悉，腾讯称使用“扫一扫”的用户已超过十亿，朋友圈日活也创新高。</p>",
    ),
    JunkRule(
        "unsafe_link", "link to javascript:, vbscript:, data: (its words stay)",
        '<p><a href=" JaVa&#x0A;Script:alert(1)">点此</a></p>',
        '<p><a href="https://www.example.com/a?javascript=1">点此</a></p>',
        "点此",
    ),
    JunkRule(
        "executable", "script, style, iframe and the like, with their content",
        "<p>a</p><script>alert(1)</script><iframe src=x></iframe>",
        "<p>a</p><p>&lt;script&gt; 标签说明</p>",
    ),
)  # fmt: skip


def clean_body(raw: str, *, first_pass: bool = True) -> CleanedBody:
    """Clean one article body (``first_pass=False``: no second pass for the text rules).

    >>> body = clean_body('<p style="display:none"><br></p><p>Hi <span id="stock_1.600160">'
    ...     '<a class="keytip" data-code="1,600160" href="http://quote.eastmoney.com/x">巨化股份</a>'
    ...     '</span><span id="quote_1.600160"></span><script>x()</script></p>')
    >>> body.html, body.stocks
    ('<p>Hi 巨化股份</p>', ('1.600160',))
    >>> clean_body("第一段\\n\\n第二段 R&D").html
    '<p>第一段</p>\\n<p>第二段 R&amp;D</p>'
    >>> clean_body("<span>a<p>b</p>[x](javascript:alert(1))</span>").html
    '<div><span>a<p>b</p>[x](javascript:alert(1))</span></div>'
    """
    if not raw or not raw.strip():
        return CleanedBody("")
    if "<" not in raw:
        return CleanedBody(_paragraphs(_CONTROL.sub("", raw)))
    root = _parse(_readable(raw))
    if root is None:
        return CleanedBody("")
    cutter = _Cutter(root, raw)
    cutter.run()
    html = html_blocks(_SANITIZER.clean(_serialize(root)))
    cuts = cutter.cuts
    if first_pass and _junk_words_left(html):
        # the junk's words were split by markup that is gone now (<font>, a comment, a hidden
        # span): a second pass sees them whole, so a rerun (or verify) finds nothing more
        again = clean_body(html, first_pass=False)
        html, cuts = again.html, cuts + again.cuts
    return CleanedBody(html, tuple(dict.fromkeys(cutter.stocks)), cutter.source, cuts)


def body_cuts(raw: str) -> dict[str, int]:
    """What :func:`clean_body` would cut from ``raw``, by kind, and any executable tag or event
    handler anywhere in the document (``executable``, ``handler``: nh3 drops those uncounted);
    empty for a clean body. ``verify``'s check: one parse, and no cleaned HTML is built unless
    junk words may be left for a second pass.

    >>> body_cuts('<p onclick="x()">a</p><script>x()</script><p style="display:none">b</p>')
    {'executable': 1, 'hidden': 1, 'handler': 1}
    >>> body_cuts("<p>a</p>"), body_cuts("plain text")
    ({}, {})
    """
    if not raw or not raw.strip() or "<" not in raw:
        return {}  # plain text: paragraphs, nothing to cut
    document = _parse_document(_readable(raw))
    found = _executable(document)  # before a cut: the whole document, <head> and <body> too
    root = _body_of(document)
    if root is None:
        return found
    cutter = _Cutter(root, raw)
    cutter.run()
    cuts = cutter.cuts
    if _may_leave_junk_words(raw):
        html = _SANITIZER.clean(_serialize(root))
        if _junk_words_left(html):  # as clean_body does: a second pass on the blocks
            cuts = cuts + clean_body(html_blocks(html), first_pass=False).cuts
    return {**cuts, **found}


def _readable(raw: str) -> bytes:
    """``raw`` as bytes for libxml2 (it would encode a str itself), less the controls it
    refuses; :class:`UnreadableBody` for a tag too long to parse in linear time."""
    if len(raw) > MAX_TAG and _longest_tag(raw) > MAX_TAG:
        raise UnreadableBody("tag_too_long", f"a tag of more than {MAX_TAG} characters")
    if (
        raw.count('"') + raw.count("'") > 2 * _MAX_ATTRIBUTES
        and _most_attributes(raw) > _MAX_ATTRIBUTES
    ):
        raise UnreadableBody("tag_too_long", f"a tag of more than {_MAX_ATTRIBUTES} attributes")
    data = raw.encode("utf-8", "replace").translate(None, _CONTROL_BYTES)
    if "\ufffe" in raw or "\uffff" in raw:
        data = data.replace("\ufffe".encode(), b"").replace("\uffff".encode(), b"")
    return data


# Every character of the text rules' words: cleaned HTML holds a word only if the body holds
# all its characters, or spells some with a numeric character reference (no named reference
# is a CJK character).
_PROMO_CHARS = frozenset(PROMO_MARK)
_WECHAT_CHARS = frozenset("".join(WECHAT_MARKS))


def _may_leave_junk_words(raw: str) -> bool:
    """``False`` when the cleaned ``raw`` cannot hold :func:`_junk_words_left`'s words.

    >>> _may_leave_junk_words("<p>打开<b>微信</b>扫一扫朋友圈</p>"), _may_leave_junk_words("<p>微信</p>")
    (True, False)
    """
    return (
        "&#" in raw
        or all(ch in raw for ch in _PROMO_CHARS)
        or all(ch in raw for ch in _WECHAT_CHARS)
    )


def _executable(document: etree._Element | None) -> dict[str, int]:
    """Executable tags and event handlers in a parsed document, which nh3 (not the counted
    cuts) removes."""
    found: dict[str, int] = {}
    if document is None:
        return found
    for el in document.iter(etree.Element):
        if el.tag in _EXECUTABLE:
            found["executable"] = found.get("executable", 0) + 1
        if el.attrib:
            handlers = sum(1 for name in el.attrib if name.lower().startswith("on"))
            if handlers:
                found["handler"] = found.get("handler", 0) + handlers
    return found


_EXECUTABLE = DROP_WITH_CONTENT - {"head", "meta", "title"}

# plain etree elements (lxml.html's per-node class lookup costs more than the cuts), UTF-8 bytes
_PARSER = etree.HTMLParser(encoding="utf-8", default_doctype=False)


def _serialize(root: etree._Element) -> str:
    html = etree.tostring(root, encoding="unicode", method="html", with_tail=False)
    return html[len("<div>") : -len("</div>")]


def _parse(raw: str | bytes) -> etree._Element | None:
    """The body of ``raw`` parsed as a document, as a bare ``<div>`` (None if nothing is in it);
    :class:`UnreadableBody` when libxml2 could not read all of it.

    Not ``fragment_fromstring``: it asserts on input holding its own ``<html>`` or ``<body>``.
    """
    return _body_of(_parse_document(raw))


def _parse_document(raw: str | bytes) -> etree._Element | None:
    """The whole document libxml2 reads from ``raw`` (None if empty); :class:`UnreadableBody`
    when it could not read all of it."""
    try:
        document = etree.fromstring(raw, _PARSER)
    except etree.ParserError:
        return None
    for error in _PARSER.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT":  # libxml2 stopped reading: the rest is lost
            raise UnreadableBody("too_deep", error.message.strip())
    return document


def _body_of(document: etree._Element | None) -> etree._Element | None:
    """The document's body as a bare ``<div>``, or None."""
    body = document.find("body") if document is not None else None
    if body is None:
        return None
    body.tag = "div"
    body.attrib.clear()  # <body onload=...> from the input
    return body


def source_from_line(text: str) -> str | None:
    """The source named by an ``em_media`` line.

    >>> source_from_line("（文章来源：中国日报网）")
    '中国日报网'
    >>> source_from_line("hello") is None
    True
    """
    start = text.find(_SOURCE_MARK)
    if start < 0:
        return None
    name = text[start + len(_SOURCE_MARK) :].strip().lstrip(":：").strip()
    name = " ".join(name.rstrip(")）").split())
    return name or None


def _paragraphs(text: str) -> str:
    # plain text may still carry entities ("R&amp;D"): read them, then escape once
    lines = (htmlcodec.unescape(line).strip() for line in text.splitlines())
    return "\n".join(f"<p>{htmlcodec.escape(line, quote=False)}</p>" for line in lines if line)


class _Cutter:
    """One pass of structural cuts over a parsed body; remembers what it cut."""

    def __init__(self, root: etree._Element, raw: str = ""):
        self.root = root
        # a rule whose marker never occurs in the raw text needs no pass over the tree
        # (a numeric character reference can spell any word: then the tree is searched anyway)
        refs = "&#" in raw
        self.look_for_kcharts = "EM_StockImg_Start" in raw
        self.look_for_promo = refs or PROMO_MARK in raw
        self.look_for_wechat = refs or all(mark in raw for mark in WECHAT_MARKS)
        self.cuts: Counter[str] = Counter()
        self.stocks: list[str] = []
        self.source: str | None = None
        self._emptied: dict[etree._Element, None] = {}  # parents of cuts, once each, in order
        self._gone: set[etree._Element] = set()
        self._blocks: dict[etree._Element | None, etree._Element | None] = {}

    def run(self) -> None:
        if self.look_for_kcharts:
            self._marked_kcharts()
        self._text_rules()
        # document order; what a cut removed is skipped, an unwrapped element's children are not
        for el in list(self.root.iterdescendants(etree.Element)):
            if el not in self._gone:
                self._visit(el)
        self._drop_emptied()
        for table in list(self.root.iter("table")):
            _foster(table)  # before nh3: html5ever's foster parenting is quadratic in the strays

    def _visit(self, el: etree._Element) -> None:
        """Apply the first rule that fits ``el``."""
        tag = el.tag  # libxml2's HTML parser gives lowercase names
        if tag in DROP_WITH_CONTENT:
            self._cut(el, "executable")
        # most elements of a body have no attributes: they need no rule but the last
        elif (not el.attrib or self._attribute_rules(el, tag)) and tag in _BLOCK_LIKE:
            el.tag = "div"  # unwrapping it would run paragraphs together
        # any other tag outside the allowlist is unwrapped by nh3

    def _attribute_rules(self, el: etree._Element, tag: str) -> bool:
        """The rules that look at attributes; False when ``el`` was cut."""
        attrib = el.attrib  # on* handlers are left to nh3's allowlist, which drops every one
        if _is_hidden(el):
            return self._cut(el, "hidden")
        classes = set((attrib.get("class") or "").split())
        if tag == "img" and _is_quote_picture(attrib.get("src")):
            return self._cut(_ancestor(el, "a", el), "kchart")
        if tag == "a" and "EmImageRemark" in classes:
            return self._cut(el, "kchart")
        if tag == "img" and "em_handle_adv_close" in classes:
            return self._cut(_ancestor(el, "a", el), "ad")
        if (
            tag == "a"
            and AD_HOST in (attrib.get("href") or "")
            or any(c.startswith("ad_context") for c in classes)
        ):
            return self._cut(el, "ad")
        if tag == "a" and classes & {"keytip", "infokey"}:
            self._keyword_link(el)
        elif tag == "a" and not _safe_url(attrib.get("href")):
            self._unwrap(el, "unsafe_link")  # javascript: and friends: the URL goes, the words stay
        elif tag == "span" and self._is_keyword_span(el, classes):
            self._unwrap(el, "keyword")
        elif tag == "span" and (attrib.get("id") or "").startswith(_PLACEHOLDER_IDS):
            if not _has_content(el):
                return self._cut(el, "placeholder")
            self._unwrap(el, "placeholder")
        elif "em_media" in classes and self.source is None:
            self.source = source_from_line(_text_of(el))
        style = attrib.get("style")
        if style is not None and "text-align" not in style.lower():
            del attrib["style"]  # nh3 would leave style="" behind
        return True

    def _marked_kcharts(self) -> None:
        """Everything between an ``EM_StockImg_Start`` comment and the next ``EM_StockImg_End``
        among its siblings goes; a start with no end leaves the rest to the unmarked rule.
        One pass over each parent's children, however many markers it holds."""
        parents = {
            comment.getparent(): None
            for comment in self.root.iter(etree.Comment)
            if (comment.text or "").strip() == "EM_StockImg_Start"
        }
        for parent in parents:
            doomed: list[etree._Element] | None = None
            for node in parent:
                if isinstance(node, etree._Comment):
                    text = node.text or ""
                    if doomed is None and text.strip() == "EM_StockImg_Start":
                        doomed = []
                    elif doomed is not None and "EM_StockImg_End" in text:
                        for el in doomed:
                            self._gone.update(el.iter())
                            _empty(el)
                        self.cuts["kchart"] += 1
                        doomed = None
                elif doomed is not None and node not in self._gone:
                    doomed.append(node)

    def _keyword_link(self, el: etree._Element) -> None:
        code = (el.get("data-code") or "").replace(",", ".").strip()
        if "keytip" in (el.get("class") or "") and _STOCK_CODE.fullmatch(code):
            self.stocks.append(code)
        self._unwrap(el, "keyword")

    @staticmethod
    def _is_keyword_span(el: etree._Element, classes: set[str]) -> bool:
        return (el.get("id") or "").startswith(
            _KEYWORD_SPAN_IDS
        ) or "em_stock_key_common" in classes

    def _text_rules(self) -> None:
        """The promo line and the WeChat block, found by their words (not by visiting blocks).

        Each block is judged once, on at most a few hundred characters of its text."""
        judged: set[etree._Element] = set()
        if self.look_for_promo:
            for text in _PROMO_TEXT(self.root):
                self._promo(text, judged)
        if self.look_for_wechat:
            for text in _WECHAT_TEXT(self.root):
                self._wechat(text, judged)

    def _promo(self, text: etree._ElementUnicodeResult, judged: set[etree._Element]) -> None:
        block = self._block_of(text)
        if block is not None and block not in judged:
            judged.add(block)
            words = _short_text(block, 80)
            if words is not None and PROMO_LEAD in words:
                self._cut(block, "promo")
                return
        if block not in self._gone and len(text) < 80 and PROMO_LEAD in text:
            self._drop_text(text, "promo")  # loose text: only the line goes

    def _wechat(self, text: etree._ElementUnicodeResult, judged: set[etree._Element]) -> None:
        block = self._block_of(text)
        if block is not None and block not in judged:
            judged.add(block)
            # the block, or it and the next few blocks, read as the share block and nothing else
            run, words = [block], _letters(_short_text(block, _WECHAT_LONGEST * 2) or "")
            sibling = block.getnext()
            while (
                words.startswith(WECHAT_START)
                and not words.endswith(WECHAT_END)
                and len(words) <= _WECHAT_LONGEST
                and sibling is not None
                and sibling.tag in _BLOCKS
            ):
                text = _short_text(sibling, _WECHAT_LONGEST * 2)
                if text is None:
                    break  # a long block is article text: the run is not the share block
                letters = _letters(text)
                if letters.startswith(WECHAT_START):
                    break  # another block starts the share words: judged on its own
                run.append(sibling)
                words += letters
                sibling = sibling.getnext()
            if _is_wechat_block(words):
                for el in run:
                    judged.add(el)
                    self._cut(el, "wechat")
                return
        if block not in self._gone and _is_wechat_block(_letters(str(text))):
            self._drop_text(text, "wechat")

    def _block_of(self, text: etree._ElementUnicodeResult) -> etree._Element | None:
        """The block element holding ``text`` (not the body itself), if any."""
        owner = text.getparent()
        if owner is None or owner in self._gone:
            return None
        # a tail belongs to the element it follows, but sits in that element's parent
        start = owner.getparent() if text.is_tail else owner
        if start in self._blocks:
            return self._blocks[start]
        block = start
        while block is not None and block is not self.root and block.tag not in _BLOCKS:
            block = block.getparent()
        if block is None or block is self.root or block.getparent() is None:
            block = None
        self._blocks[start] = block  # many texts of one element climb once
        return block

    def _drop_text(self, text: etree._ElementUnicodeResult, kind: str) -> None:
        owner = text.getparent()
        if text.is_tail:
            owner.tail = None
        else:
            owner.text = None
        self.cuts[kind] += 1

    def _cut(self, el: etree._Element, kind: str) -> bool:
        parent = el.getparent()
        if parent is not None and el not in self._gone:
            self._gone.update(el.iter())
            _empty(el)
            self.cuts[kind] += 1
            self._emptied[parent] = None
        return False

    def _unwrap(self, el: etree._Element, kind: str) -> None:
        el.tag = _UNWRAP
        el.attrib.clear()
        self.cuts[kind] += 1

    def _drop_emptied(self) -> None:
        # A cut can leave its wrapper behind (<p><a ad><img></a></p>): drop wrappers left empty.
        # Table cells and list items stay, empty: removing one would shift the rest.
        if not self._emptied:
            return
        full = _with_content(self.root)  # once, bottom-up: not a subtree walk per wrapper
        for el in self._emptied:
            while (
                el is not self.root
                and el.tag in _EMPTY_WRAPPERS
                and el.getparent() is not None
                and el not in full
            ):
                parent = el.getparent()
                _empty(el)
                el = parent


def _junk_words_left(html: str) -> bool:
    """Whether cleaned ``html`` still holds the words a text rule looks for."""
    return PROMO_MARK in html or all(mark in html for mark in WECHAT_MARKS)


def _with_content(root: etree._Element) -> set[etree._Element]:
    """The elements under ``root`` holding text, an image, a table or a rule, in one walk."""
    full: set[etree._Element] = set()
    for _, el in etree.iterwalk(root, events=("end",)):
        if not isinstance(el.tag, str):
            continue  # a comment is not content (its tail is, through its parent)
        if (
            (el.text and el.text.strip())
            or el.tag in ("img", "table", "hr")
            or any(child in full or (child.tail and child.tail.strip()) for child in el)
        ):
            full.add(el)
    return full


_TABLE_CHILDREN = {
    "table": {"caption", "colgroup", "thead", "tbody", "tfoot", "tr"},
    "thead": {"tr"},
    "tbody": {"tr"},
    "tfoot": {"tr"},
    "tr": {"td", "th"},
    "colgroup": {"col"},
}


def _foster(table: etree._Element) -> None:
    """Move what a table holds outside its cells to just before it, in document order, as an
    HTML5 parser (nh3's html5ever) would: libxml2 leaves it inside."""
    if table.getparent() is None:
        return
    stray: list[str | etree._Element] = []

    def walk(part: etree._Element) -> None:
        allowed = _TABLE_CHILDREN.get(part.tag, set())
        if part.text and part.text.strip():
            stray.append(part.text)
            part.text = None
        for child in list(part):
            tail, child.tail = child.tail, None
            if isinstance(child.tag, str) and child.tag not in allowed:
                part.remove(child)
                stray.append(child)
            elif child.tag in _TABLE_CHILDREN:
                walk(child)  # a row group or a row: its own strays, in their place in the order
            if tail and tail.strip():
                stray.append(tail)
            elif tail:
                child.tail = tail

    walk(table)
    if not stray:
        return
    holder = etree.Element("p")
    texts: list[str] = []  # joined once per gap: text added piece by piece is copied each time
    last: etree._Element | None = None  # len(holder) would count the children every time
    for node in [*stray, None]:
        if isinstance(node, str):
            texts.append(node)
            continue
        if texts:
            if last is None:
                holder.text = "".join(texts)
            else:
                last.tail = "".join(texts)
            texts = []
        if node is not None:
            holder.append(node)
            last = node
    table.addprevious(holder)


def _longest_tag(raw: str) -> int:
    """An upper bound on the length of the longest tag: the longest stretch from a ``<`` to the
    next ``>``, counted from the first ``<`` after the previous ``>`` (a ``<`` inside a quoted
    value cannot shorten it). A long text with no ``<`` in it is no tag.

    >>> _longest_tag("<p>" + "字" * 20_000 + "</p>"), _longest_tag("a <20 " * 9_000 + "<br>")
    (0, 3)
    >>> _longest_tag('<p title="<a" ' + "a " * 9_000 + ">x</p>")
    18014
    """
    parts = raw.split(">")
    longest = max(map(len, parts))
    if longest <= MAX_TAG:
        return longest
    starts = (_TAG_START.search(part) for part in parts if len(part) > MAX_TAG)
    return max((len(start.string) - start.start() for start in starts if start), default=0)


def _most_attributes(raw: str) -> int:
    """The most attributes any one tag has, read by a real tokenizer (quoted ``>`` included)."""
    counter = _AttributeCounter()
    counter.feed(raw)
    counter.close()
    return counter.most


class _AttributeCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.most = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.most = max(self.most, len(attrs))

    handle_startendtag = handle_starttag


def _is_quote_picture(src: str | None) -> bool:
    """Whether an image comes from an eastmoney quote-picture host (K-chart, live quote).

    >>> _is_quote_picture("https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1.600160")
    True
    >>> _is_quote_picture("//webquotepic.eastmoney.com/GetPic.aspx?imageType=r")
    True
    >>> _is_quote_picture("https://WEBQUOTEPIC.EASTMONEY.COM./x.png")
    True
    >>> _is_quote_picture("https://np-newspic.dfcfw.com/x.jpg"), _is_quote_picture("x.png")
    (False, False)
    """
    if not src or "webquote" not in src.lower():
        return False
    try:
        host = (urlsplit(src.strip()).hostname or "").rstrip(".")  # hostname is lowercase
    except ValueError:
        return False
    label, _, domain = host.partition(".")
    return domain == "eastmoney.com" and label.startswith("webquote") and label.endswith("pic")


def _is_wechat_block(letters: str) -> bool:
    """Whether text (punctuation and spaces left out) is the WeChat share block alone: 打开微信，
    点击底部的“发现”，使用“扫一扫”即可将网页分享至朋友圈。"""
    return (
        len(letters) <= _WECHAT_LONGEST
        and letters.startswith(WECHAT_START)
        and letters.endswith(WECHAT_END)
        and all(word in letters for word in _WECHAT_WORDS)
    )


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _short_text(el: etree._Element, limit: int) -> str | None:
    """The text of ``el``, or None once it is longer than ``limit`` (the rest is not read)."""
    parts, size = [], 0
    for part in el.itertext():
        parts.append(part)
        size += len(part)
        if size > limit:
            return None
    return "".join(parts)


def _safe_url(url: str | None) -> bool:
    """Whether a link target is one a reader may follow (http, https, mailto, or relative).

    Browsers ignore control characters and whitespace inside a scheme, so they are removed
    before the check (``java\tscript:`` is ``javascript:``).
    """
    if url is None:
        return True  # no target, nothing to follow (nh3 leaves such an <a> when it drops an href)
    folded = "".join(ch for ch in url if ch > " " and ch != "\x7f").lower()
    scheme = _SCHEME.match(folded)
    return scheme is None or scheme.group(1) in ("http", "https", "mailto")  # None: relative


def _is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").strip().lower() == "true":
        return True
    style = el.get("style")
    if not style:
        return False
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), "".join(value.lower().split())
        value = value.replace("!important", "")
        if (name, value) in (
            ("display", "none"),
            ("visibility", "hidden"),
            ("visibility", "collapse"),
        ):
            return True
    return False


def _has_content(el: etree._Element) -> bool:
    return el in _with_content(el)


def _ancestor(el: etree._Element, tag: str, default: etree._Element) -> etree._Element:
    for parent in el.iterancestors():
        if parent.tag == tag:
            return parent
    return default


def _text_of(el: etree._Element) -> str:
    return "".join(el.itertext())


def _empty(el: etree._Element) -> None:
    """Empty ``el`` in place, keeping the text that follows it; nh3 removes the empty tag.

    In place, not removed: removing n siblings one by one, each handing its tail to the one
    before, copies that text n times."""
    el.clear(keep_tail=True)
    el.tag = _UNWRAP
