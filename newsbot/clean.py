"""Article body cleaning: structural cuts with lxml, then an nh3 allowlist as the last word."""

from __future__ import annotations

import html as htmlcodec
import re
from collections import Counter
from dataclasses import dataclass, field

import nh3
from lxml import etree
from lxml import html as lhtml

__all__ = ["CleanedBody", "clean_body", "source_from_line"]

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

# Block tags kramdown leaves alone (raw HTML blocks); anything else at the top gets a <p>.
WRAPPING_BLOCKS = frozenset(
    {"p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "figure", "center", "hr"}
)  # fmt: skip

# The first pass: markup as a browser builds it, with what the cuts look at (classes, ids,
# styles, hidden, data-code, comments) kept; unknown wrappers unwrapped, executable tags gone.
_STRUCTURAL_TAGS = ALLOWED_TAGS | {
    "section", "article", "header", "footer", "aside", "nav", "main", "details", "summary",
    "font", "label", "address", "big", "tt", "time", "var", "kbd", "samp", "dfn", "nobr",
}  # fmt: skip
_NORMALIZER = nh3.Cleaner(
    tags=set(_STRUCTURAL_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={"*": {"class", "id", "style", "hidden", "aria-hidden", "title", "web"}}
    | {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items() if tag != "p"},
    generic_attribute_prefixes={"data-"},
    strip_comments=False,
    link_rel=None,
)

KCHART_HOST = "webquoteklinepic.eastmoney.com"
AD_HOST = "acttg.eastmoney.com"
PROMO_MARK = "一站式开户交易"
WECHAT_MARKS = ("打开微信", "扫一扫")
_BLOCKS = ("p", "div", "li", "section", "center", "td", "h1", "h2", "h3", "h4", "h5", "h6")
_KEYWORD_SPAN_IDS = ("stock_", "bk_", "Info.")
_PLACEHOLDER_IDS = ("quote_", "bkquote_")
_SOURCE_LINE = re.compile(r"文章来源\s*[:：]\s*(.+?)\s*[)）]?\s*$")
# Control characters (not tab, newline, CR) and non-characters: no page needs them, lxml refuses them.
_CONTROL = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE, 0xFFFF])
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_STOCK_CODE = re.compile(r"\d{1,3}\.[A-Za-z0-9]{1,12}")


@dataclass(frozen=True)
class CleanedBody:
    """The cleaned HTML and what the cleaning learned on the way."""

    html: str
    stocks: tuple[str, ...] = ()
    source: str | None = None  # from the em_media source line, when there is one
    cuts: dict[str, int] = field(default_factory=dict)  # what was removed, by kind


def clean_body(raw: str) -> CleanedBody:
    """Clean one article body.

    >>> body = clean_body('<p style="display:none"><br></p><p>Hi <span id="stock_1.600160">'
    ...     '<a class="keytip" data-code="1,600160" href="http://quote.eastmoney.com/x">巨化股份</a>'
    ...     '</span><span id="quote_1.600160"></span><script>x()</script></p>')
    >>> body.html, body.stocks
    ('<p>Hi 巨化股份</p>', ('1.600160',))
    >>> clean_body("第一段\\n\\n第二段 R&D").html
    '<p>第一段</p>\\n<p>第二段 R&amp;D</p>'
    """
    raw = raw.translate(_CONTROL) if raw else ""
    if not raw.strip():
        return CleanedBody("")
    if "<" not in raw:
        return CleanedBody(_paragraphs(raw))
    # html5ever reads the markup as a browser would (libxml2 does not always: "a</body>b");
    # this first nh3 pass keeps what the cuts need and drops only what is never wanted.
    root = _parse(_NORMALIZER.clean(raw))
    if root is None:
        return CleanedBody("")
    cutter = _Cutter(root)
    cutter.run()
    html = _SANITIZER.clean(_serialize(root)).strip()
    if "<table" in html:
        # html5ever (in nh3) foster-parents stray table content to the top level, where
        # Markdown would read it: wrap it too, and let nh3 have the last word again.
        root = _parse(html)
        if root is not None:
            _wrap_inline(root)
            _tidy_whitespace(root)
            html = _SANITIZER.clean(_serialize(root)).strip()
    return CleanedBody(html, tuple(dict.fromkeys(cutter.stocks)), cutter.source, dict(cutter.cuts))


def _serialize(root: lhtml.HtmlElement) -> str:
    return lhtml.tostring(root, encoding="unicode")[len("<div>") : -len("</div>")]


def _parse(raw: str) -> lhtml.HtmlElement | None:
    """The body of ``raw`` parsed as a document, as a bare ``<div>`` (None if nothing is in it).

    Not ``fragment_fromstring``: it asserts on input holding its own ``<html>`` or ``<body>``.
    """
    try:
        body = lhtml.document_fromstring(raw).find("body")
    except etree.ParserError:  # nothing but whitespace or comments
        return None
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
    match = _SOURCE_LINE.search(" ".join(text.split()))
    return match.group(1) if match and match.group(1) else None


def _paragraphs(text: str) -> str:
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(f"<p>{htmlcodec.escape(line, quote=False)}</p>" for line in lines if line)


class _Cutter:
    """One pass of structural cuts over a parsed body; remembers what it cut."""

    def __init__(self, root: lhtml.HtmlElement):
        self.root = root
        self.cuts: Counter[str] = Counter()
        self.stocks: list[str] = []
        self.source: str | None = None
        self._emptied: list[etree._Element] = []

    def run(self) -> None:
        self._marked_kcharts()
        for el in list(self.root.iterdescendants()):
            if not isinstance(el.tag, str) or _detached(el, self.root):
                continue
            self._visit(el)
        self._drop_emptied()
        _wrap_inline(self.root)
        _tidy_whitespace(self.root)

    def _visit(self, el: lhtml.HtmlElement) -> None:
        tag = el.tag.lower()
        classes = set((el.get("class") or "").split())
        handlers = [name for name in el.attrib if name.lower().startswith("on")]
        for name in handlers:
            del el.attrib[name]
        if handlers:
            self.cuts["handler"] += len(handlers)
        if tag in DROP_WITH_CONTENT:
            self._cut(el, "executable")
        elif _is_hidden(el):
            self._cut(el, "hidden")
        elif tag == "img" and (KCHART_HOST in (el.get("src") or "")):
            self._cut(_ancestor(el, "a") or el, "kchart")
        elif tag == "a" and "EmImageRemark" in classes:
            self._cut(el, "kchart")
        elif tag == "img" and "em_handle_adv_close" in classes:
            self._cut(_ancestor(el, "a") or el, "ad")
        elif (
            tag == "a"
            and AD_HOST in (el.get("href") or "")
            or any(c.startswith("ad_context") for c in classes)
        ):
            self._cut(el, "ad")
        elif tag == "a" and classes & {"keytip", "infokey"}:
            self._keyword_link(el)
        elif tag == "a" and not _safe_url(el.get("href")):
            self._unwrap(el, "unsafe_link")  # javascript: and friends: the URL goes, the words stay
        elif tag == "span" and self._is_keyword_span(el, classes):
            self._unwrap(el, "keyword")
        elif tag == "span" and (el.get("id") or "").startswith(_PLACEHOLDER_IDS):
            if _has_content(el):
                self._unwrap(el, "placeholder")
            else:
                self._cut(el, "placeholder")
        elif tag in _BLOCKS:
            self._block(el, classes)
        style = el.get("style")
        if style is not None and "text-align" not in style.lower():
            del el.attrib["style"]  # nh3 would leave style="" behind
        if tag not in ALLOWED_TAGS and el.getparent() is not None:
            el.drop_tag()  # unwrapped here, not by nh3, so that _wrap_inline sees the result

    def _marked_kcharts(self) -> None:
        for start in list(self.root.iter(etree.Comment)):
            if (start.text or "").strip() != "EM_StockImg_Start" or start.getparent() is None:
                continue
            doomed = [start]
            for sibling in start.itersiblings():
                doomed.append(sibling)
                if isinstance(sibling, etree._Comment) and "EM_StockImg_End" in (
                    sibling.text or ""
                ):
                    break
            else:
                doomed = [start]  # no end marker: leave the rest to the unmarked-widget rule
            for node in doomed:
                _remove(node)
            self.cuts["kchart"] += 1

    def _keyword_link(self, el: lhtml.HtmlElement) -> None:
        code = (el.get("data-code") or "").replace(",", ".").strip()
        if "keytip" in (el.get("class") or "") and _STOCK_CODE.fullmatch(code):
            self.stocks.append(code)
        self._unwrap(el, "keyword")

    @staticmethod
    def _is_keyword_span(el: lhtml.HtmlElement, classes: set[str]) -> bool:
        return (el.get("id") or "").startswith(
            _KEYWORD_SPAN_IDS
        ) or "em_stock_key_common" in classes

    def _block(self, el: lhtml.HtmlElement, classes: set[str]) -> None:
        text = el.text_content()
        if "em_media" in classes and self.source is None:
            self.source = source_from_line(text)
        elif PROMO_MARK in text and len(text) < 80:
            self._cut(el, "promo")
        elif all(mark in text for mark in WECHAT_MARKS) and len(text) < 200:
            self._cut(el, "wechat")

    def _cut(self, el: lhtml.HtmlElement, kind: str) -> None:
        parent = el.getparent()
        if parent is None:
            return
        el.drop_tree()
        self.cuts[kind] += 1
        self._emptied.append(parent)

    def _unwrap(self, el: lhtml.HtmlElement, kind: str) -> None:
        el.drop_tag()
        self.cuts[kind] += 1

    def _drop_emptied(self) -> None:
        # A cut can leave its wrapper behind (<p><a ad><img></a></p>): drop wrappers left empty.
        for el in self._emptied:
            while el is not self.root and el.getparent() is not None and not _has_content(el):
                parent = el.getparent()
                el.drop_tree()
                el = parent


def _wrap_inline(root: lhtml.HtmlElement) -> None:
    """Put top-level text and inline elements into ``<p>``: Markdown (kramdown) reads a line that
    does not start with a block tag as Markdown, where ``[x](javascript:...)`` would become a link."""
    segments: list[str | lhtml.HtmlElement] = [root.text] if root.text else []
    for child in list(root):
        tail, child.tail = child.tail, None
        root.remove(child)
        segments.append(child)
        if tail:
            segments.append(tail)
    root.text = None
    run: list[str | lhtml.HtmlElement] = []

    def add_text(parent: lhtml.HtmlElement, text: str) -> None:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def flush() -> None:
        if any(_meaningful(node) for node in run):
            paragraph = lhtml.Element("p")
            for node in run:
                add_text(paragraph, node) if isinstance(node, str) else paragraph.append(node)
            root.append(paragraph)
        else:
            for node in run:
                add_text(root, node) if isinstance(node, str) else root.append(node)
        run.clear()

    for node in segments:
        if not isinstance(node, str) and isinstance(node.tag, str) and node.tag in WRAPPING_BLOCKS:
            flush()
            root.append(node)
        else:
            run.append(node)
    flush()


def _meaningful(node: str | lhtml.HtmlElement) -> bool:
    if isinstance(node, str):
        return bool(node.strip())
    return isinstance(node.tag, str) and node.tag != "br"


def _safe_url(url: str | None) -> bool:
    """Whether a link target is one a reader may follow (http, https, mailto, or relative).

    Browsers ignore control characters and whitespace inside a scheme, so they are removed
    before the check (``java\tscript:`` is ``javascript:``).
    """
    if url is None:
        return False
    folded = "".join(ch for ch in url if ch > " " and ch != "\x7f").lower()
    scheme = _SCHEME.match(folded)
    return scheme is None or scheme.group(1) in ("http", "https", "mailto")  # None: relative


def _tidy_whitespace(root: lhtml.HtmlElement) -> None:
    # Whitespace between blocks is one newline: no blank line inside the body, where Markdown
    # (kramdown) would end the HTML block and start reading the rest as Markdown.
    for el in root.iter():
        if el.tag == "pre" or any(a.tag == "pre" for a in el.iterancestors()):
            continue
        if el.text is not None and not el.text.strip() and "\n" in el.text:
            el.text = "\n"
        if el.tail is not None and not el.tail.strip() and "\n" in el.tail:
            el.tail = "\n"


def _is_hidden(el: lhtml.HtmlElement) -> bool:
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


def _has_content(el: lhtml.HtmlElement) -> bool:
    if (el.text_content() or "").strip():
        return True
    return any(child.tag in ("img", "table", "hr") for child in el.iter() if child is not el)


def _ancestor(el: lhtml.HtmlElement, tag: str) -> lhtml.HtmlElement | None:
    for parent in el.iterancestors():
        if parent.tag == tag:
            return parent
    return None


def _detached(el: lhtml.HtmlElement, root: lhtml.HtmlElement) -> bool:
    for parent in el.iterancestors():
        if parent is root:
            return False
    return el is not root


def _remove(node: etree._Element) -> None:
    """Remove a node, keeping its tail text (lxml's remove() would drop it)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and node.tail.strip():
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
