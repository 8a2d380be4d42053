"""Article body cleaning: structural cuts with lxml, then an nh3 allowlist as the last word."""

from __future__ import annotations

import html as htmlcodec
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import nh3
from lxml import etree

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

KCHART_HOST = "webquoteklinepic.eastmoney.com"
AD_HOST = "acttg.eastmoney.com"
# Whole phrases of the promo and the WeChat block: news that merely mentions WeChat or account
# opening is article text.
PROMO_MARK = "东方财富证券一站式开户交易"
WECHAT_MARKS = ("打开微信", "扫一扫", "朋友圈")
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
_WECHAT_TEXT = etree.XPath(f".//text()[contains(., '{WECHAT_MARKS[0]}')]")
_STOCK_CODE = re.compile(r"[0-9]{1,3}\.[A-Za-z0-9]{1,12}")


@dataclass(frozen=True)
class CleanedBody:
    """The cleaned HTML and what the cleaning learned on the way."""

    html: str
    stocks: tuple[str, ...] = ()
    source: str | None = None  # from the em_media source line, when there is one
    cuts: Mapping[str, int] = field(default_factory=dict)  # what was removed, by kind


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
    if not raw or not raw.strip():
        return CleanedBody("")
    if "<" not in raw:
        return CleanedBody(_paragraphs(_CONTROL.sub("", raw)))
    # bytes for libxml2 (it would encode a str itself), less the controls it refuses
    data = raw.encode("utf-8", "replace").translate(None, _CONTROL_BYTES)
    if "\ufffe" in raw or "\uffff" in raw:
        data = data.replace("\ufffe".encode(), b"").replace("\uffff".encode(), b"")
    root = _parse(data)
    if root is None:
        return CleanedBody("")
    cutter = _Cutter(root, raw)
    cutter.run()
    html = _SANITIZER.clean(_serialize(root)).strip()
    return CleanedBody(html, tuple(dict.fromkeys(cutter.stocks)), cutter.source, cutter.cuts)


# plain etree elements (lxml.html's per-node class lookup costs more than the cuts), UTF-8 bytes
_PARSER = etree.HTMLParser(encoding="utf-8", default_doctype=False)


def _serialize(root: etree._Element) -> str:
    html = etree.tostring(root, encoding="unicode", method="html", with_tail=False)
    return html[len("<div>") : -len("</div>")]


def _parse(raw: str | bytes) -> etree._Element | None:
    """The body of ``raw`` parsed as a document, as a bare ``<div>`` (None if nothing is in it).

    Not ``fragment_fromstring``: it asserts on input holding its own ``<html>`` or ``<body>``.
    """
    try:
        document = etree.fromstring(raw, _PARSER)
    except etree.ParserError:
        return None
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
        self.look_for_kcharts = "EM_StockImg_Start" in raw
        self.look_for_promo = PROMO_MARK in raw
        self.look_for_wechat = all(mark in raw for mark in WECHAT_MARKS)
        self.cuts: Counter[str] = Counter()
        self.stocks: list[str] = []
        self.source: str | None = None
        self._emptied: list[etree._Element] = []
        self._gone: set[etree._Element] = set()

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
            _foster(table)
        _wrap_inline(self.root)

    def _visit(self, el: etree._Element) -> None:
        """Apply the first rule that fits ``el``."""
        tag = el.tag  # libxml2's HTML parser gives lowercase names
        if tag in DROP_WITH_CONTENT:
            self._cut(el, "executable")
        # most elements of a body have no attributes: they need no rule but the last
        elif (
            (not el.attrib or self._attribute_rules(el, tag))
            and tag not in ALLOWED_TAGS
            and el.getparent() is not None  # not already unwrapped by a rule
        ):
            if tag in _BLOCK_LIKE:
                el.tag = "div"
            else:
                _drop_tag(el)  # unwrapped here, not by nh3, so that _wrap_inline sees the result

    def _attribute_rules(self, el: etree._Element, tag: str) -> bool:
        """The rules that look at attributes; False when ``el`` was cut."""
        attrib = el.attrib  # on* handlers are left to nh3's allowlist, which drops every one
        if _is_hidden(el):
            return self._cut(el, "hidden")
        classes = set((attrib.get("class") or "").split())
        if tag == "img" and KCHART_HOST in (attrib.get("src") or ""):
            return self._cut(_ancestor(el, "a") or el, "kchart")
        if tag == "a" and "EmImageRemark" in classes:
            return self._cut(el, "kchart")
        if tag == "img" and "em_handle_adv_close" in classes:
            return self._cut(_ancestor(el, "a") or el, "ad")
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
        """The promo line and the WeChat block, found by their words (not by visiting blocks)."""
        rules = []
        if self.look_for_promo:
            rules.append((_PROMO_TEXT, "promo", 80, ()))
        if self.look_for_wechat:
            rules.append((_WECHAT_TEXT, "wechat", 200, WECHAT_MARKS))
        for find, kind, longest, marks in rules:
            for text in find(self.root):
                owner = text.getparent()
                if owner is None or owner in self._gone:
                    continue
                # a tail belongs to the element it follows, but sits in that element's parent
                block = owner.getparent() if text.is_tail else owner
                while block is not None and block is not self.root and block.tag not in _BLOCKS:
                    block = block.getparent()
                if block is not None and block is not self.root and block.getparent() is not None:
                    words = _text_of(block)
                    if len(words) < longest and all(mark in words for mark in marks):
                        self._cut(block, kind)
                        continue
                if len(text) < longest and all(mark in text for mark in marks):
                    # loose text (top level, or inside an article paragraph): only the line goes
                    if text.is_tail:
                        owner.tail = None
                    else:
                        owner.text = None
                    self.cuts[kind] += 1

    def _cut(self, el: etree._Element, kind: str) -> bool:
        parent = el.getparent()
        if parent is not None:
            self._gone.update(el.iter())
            _drop_tree(el)
            self.cuts[kind] += 1
            self._emptied.append(parent)
        return False

    def _unwrap(self, el: etree._Element, kind: str) -> None:
        _drop_tag(el)
        self.cuts[kind] += 1

    def _drop_emptied(self) -> None:
        # A cut can leave its wrapper behind (<p><a ad><img></a></p>): drop wrappers left empty.
        # Table cells and list items stay, empty: removing one would shift the rest.
        for el in self._emptied:
            while (
                el is not self.root
                and el.tag in _EMPTY_WRAPPERS
                and el.getparent() is not None
                and not _has_content(el)
            ):
                parent = el.getparent()
                _drop_tree(el)
                el = parent


def _wrap_inline(root: etree._Element) -> None:
    """Put top-level text and inline elements into ``<p>``: Markdown (kramdown) reads a line that
    does not start with a block tag as Markdown, where ``[x](javascript:...)`` would become a link."""
    # Between top-level blocks, whitespace is one newline: kramdown reads a block tag indented
    # four spaces as a code block. Blocks only (the usual body) need nothing more.
    blocks_only = not (root.text or "").strip()
    if blocks_only:
        root.text = None
    for child in root:
        if child.tail is not None and not child.tail.strip():
            child.tail = "\n"
        elif child.tail is not None:
            blocks_only = False
        if child.tag not in WRAPPING_BLOCKS:
            blocks_only = False
    if blocks_only:
        return
    segments: list[str | etree._Element] = [root.text] if root.text else []
    for child in list(root):
        tail, child.tail = child.tail, None
        root.remove(child)
        segments.append(child)
        if tail:
            segments.append(tail)
    root.text = None
    run: list[str | etree._Element] = []

    def add_text(parent: etree._Element, text: str) -> None:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def flush() -> None:
        if any(_meaningful(node) for node in run):
            paragraph = etree.Element("p")
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
    HTML5 parser (nh3's html5ever) would: libxml2 leaves it inside, and nh3 would then move it
    out unwrapped, to the top level."""
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
    for node in stray:
        if isinstance(node, str):
            if len(holder):
                holder[-1].tail = (holder[-1].tail or "") + node
            else:
                holder.text = (holder.text or "") + node
        else:
            holder.append(node)
    table.addprevious(holder)


def _meaningful(node: str | etree._Element) -> bool:
    if isinstance(node, str):
        return bool(node.strip())
    return isinstance(node.tag, str) and node.tag != "br"


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
    if _text_of(el).strip():
        return True
    return any(child.tag in ("img", "table", "hr") for child in el.iter() if child is not el)


def _ancestor(el: etree._Element, tag: str) -> etree._Element | None:
    for parent in el.iterancestors():
        if parent.tag == tag:
            return parent
    return None


def _text_of(el: etree._Element) -> str:
    return "".join(el.itertext())


def _drop_tree(el: etree._Element) -> None:
    """Remove ``el`` and its content, keeping the text that follows it."""
    _remove(el)


def _drop_tag(el: etree._Element) -> None:
    """Remove the tag of ``el``, keeping its text and children in its place."""
    parent = el.getparent()
    if parent is None:
        return
    previous, children = el.getprevious(), list(el)
    # the text before the first child joins what precedes el; the tail follows the last child
    lead = (el.text or "") + ("" if children else el.tail or "")
    if lead and previous is not None:
        previous.tail = (previous.tail or "") + lead
    elif lead:
        parent.text = (parent.text or "") + lead
    if children and el.tail:
        children[-1].tail = (children[-1].tail or "") + el.tail
    index = parent.index(el)
    parent[index : index + 1] = children


def _remove(node: etree._Element) -> None:
    """Remove a node, keeping its tail text (lxml's remove() would drop it)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:  # even a lone space: "Hello<hidden/> World" must not become "HelloWorld"
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
