"""What Jekyll's kramdown reads below the front matter, made inert: no article text is Markdown.

kramdown passes an HTML block through untouched when its start tag opens a line, and reads
everything else as Markdown: text after a block's end tag on the same line, text or an inline tag
at the top level. So a body is written as top-level *block* elements only, one to a line, decided
on the sanitizer's own output (html5ever's tree as nh3 serialized it), never on an earlier parse
that may nest differently. Fields written as Markdown (the back-link text) are character
references, which neither kramdown nor Liquid reads as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

__all__ = ["BLOCK_TAGS", "html_blocks", "link_text", "markdown_exposure"]

# Block tags kramdown takes as raw HTML blocks (none of its span elements); the top level of a
# body holds these and nothing else.
BLOCK_TAGS = frozenset(
    {"p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "figure", "center", "hr"}
)  # fmt: skip
# Tags that hold block content: a run holding one is wrapped in <div>, not <p>.
_BLOCKISH = BLOCK_TAGS | {"li", "dd", "dt", "tr", "td", "th", "tbody", "thead", "tfoot", "caption"}
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")  # text has its < escaped
# HTML's void elements: no end tag follows them (html5ever writes none, kramdown expects none).
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
     "param", "source", "track", "wbr", "basefont", "bgsound", "frame"}
)  # fmt: skip


def html_blocks(html: str) -> str:
    """Sanitized HTML as top-level blocks, one to a line; top-level text and inline runs go in
    a ``<p>`` (a ``<div>`` where they hold blocks). Linear in the input.

    ``html`` is html5ever's serialization (nh3's output): every attribute value double-quoted
    with ``"`` escaped, ``<`` and ``>`` escaped in text, every non-void element closed, no
    comments. That is the tree the sanitizer checked, so the blocks here are the blocks it saw.

    >>> html_blocks('<p>a</p><p>b</p>')
    '<p>a</p>\\n<p>b</p>'
    >>> html_blocks('<strong><p>正文</p>[x](javascript:alert(1))</strong>')
    '<div><strong><p>正文</p>[x](javascript:alert(1))</strong></div>'
    >>> html_blocks('a <b title="x>y">b</b>\\n<p>c</p> d<br>')
    '<p>a <b title="x>y">b</b></p>\\n<p>c</p>\\n<p>d<br></p>'
    >>> html_blocks('<br> \\n<p>x</p>')
    '<p>x</p>'
    """
    blocks: list[str] = []
    run_start = -1  # where the current run of text and inline elements began
    run_blockish = run_meaningful = False
    depth = 0
    top_start, top_block = 0, False  # where the current top-level element began; a block?
    pos = 0

    def flush(stop: int) -> None:
        nonlocal run_start, run_blockish, run_meaningful
        if run_start >= 0 and run_meaningful:
            wrapper = "div" if run_blockish else "p"
            blocks.append(f"<{wrapper}>{html[run_start:stop].strip()}</{wrapper}>")
        run_start, run_blockish, run_meaningful = -1, False, False

    for match in _TAG_OPEN.finditer(html):
        lt = match.start()
        if lt < pos:
            continue  # inside the attributes of the tag before
        if depth == 0 and lt > pos and not html[pos:lt].isspace():  # top-level text
            if run_start < 0:
                run_start = pos
            run_meaningful = True
        gt = html.find(">", match.end())
        if gt < 0:
            gt = len(html) - 1
        elif html.find('"', match.end(), gt) >= 0:
            gt = _tag_end(html, match.end())
        pos = gt + 1
        tag = match.group(2).lower()
        if match.group(1):  # an end tag
            if depth > 0:
                depth -= 1
                if depth == 0 and top_block:
                    blocks.append(html[top_start:pos])
            continue
        if depth == 0:
            top_block = tag in BLOCK_TAGS
            if top_block:
                flush(lt)
                top_start = lt
            else:
                if run_start < 0:
                    run_start = lt
                run_meaningful = run_meaningful or tag != "br"
        if not top_block and tag in _BLOCKISH:
            run_blockish = True
        if tag not in VOID_TAGS:
            depth += 1
        elif depth == 0 and top_block:  # <hr>
            blocks.append(html[lt:pos])
    if pos < len(html) and depth == 0 and not html[pos:].isspace():
        if run_start < 0:
            run_start = pos
        run_meaningful = True
    flush(len(html))
    return "\n".join(blocks)


def _tag_end(html: str, pos: int) -> int:
    """The ``>`` closing the tag whose attributes start at ``pos``, past double-quoted values."""
    while True:
        gt = html.find(">", pos)
        if gt < 0:
            return len(html) - 1
        quote = html.find('"', pos, gt)  # only within this tag: a search past it is quadratic
        if quote < 0:
            return gt
        close = html.find('"', quote + 1)
        if close < 0:
            return len(html) - 1
        pos = close + 1


def link_text(text: str) -> str:
    """``text`` for a Markdown link label: letters, digits, spaces and non-ASCII text as they
    are, every other character (ASCII punctuation, controls, line breaks) a character reference,
    so kramdown sees no syntax, the HTML no tag and Liquid no ``{{`` or ``{%``.

    >>> link_text("中国日报网新闻")
    '中国日报网新闻'
    >>> link_text("<script>{{x}}</script>[a](b) *c*")
    '&#60;script&#62;&#123;&#123;x&#125;&#125;&#60;&#47;script&#62;&#91;a&#93;&#40;b&#41; &#42;c&#42;'
    """
    return "".join(ch if _plain(ch) else f"&#{ord(ch)};" for ch in text)


def _plain(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch == " "
    return unicodedata.category(ch)[0] not in "CZ" or ch == "\u3000"  # not control, not a break


def markdown_exposure(html: str) -> list[str]:
    """Where kramdown would read part of a written body (the HTML above the share line) as
    Markdown: top-level text (also after a block's end tag on its line), a top-level inline tag,
    an end tag that closes nothing open, an element never closed. Empty when all of it is in raw
    HTML blocks.

    >>> markdown_exposure('<p>a</p>\\n<div><b>x</b></div>')
    []
    >>> markdown_exposure('<p>a</p>[x](javascript:alert(1))')
    ["top-level text '[x](javascript:alert(1))'"]
    >>> markdown_exposure('<strong>a</strong>\\n<p>b</p></div>')
    ['top-level inline tag <strong> at line 1', 'stray end tag </div> at line 2']
    """
    if _plainly_blocks(html):
        return []
    checker = _Exposure()
    checker.feed(html)
    checker.close()
    if checker.stack:
        checker.problems.append(f"<{checker.stack[-1]}> is never closed")
    return checker.problems


# A strict reading for the common case, a body newsbot wrote (html5ever's serialization): start
# tags with space-separated, double-quoted attributes, plain end tags, character references in
# the text. Where all of a body reads that way, HTMLParser reads it the same, so when this
# reading finds no exposure there is none; anything else (a comment, a bare "<" or "&", a
# raw-text element, any exposure at all) goes to HTMLParser, which words the problems.
_STRICT_TAG = re.compile(
    r'<(?:/([A-Za-z][A-Za-z0-9]*)|([A-Za-z][A-Za-z0-9]*)(?: [A-Za-z][-A-Za-z0-9_:.]*(?:="[^"]*")?)*( ?/)?)>'
)
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][-.A-Za-z0-9]*);")
# elements whose content a parser reads as raw text, in any Python's HTMLParser
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
     "plaintext"}
)  # fmt: skip


def _plainly_blocks(html: str) -> bool:
    """Whether ``html`` reads strictly (see above) as raw HTML blocks only: ``True`` means
    :func:`markdown_exposure` finds nothing; ``False`` means it must look.

    >>> _plainly_blocks('<p class="a">x &amp; <b>y</b><br/></p>\\n<hr>\\n<div title="a>b"></div>')
    True
    >>> [_plainly_blocks(h) for h in ('<p>a</p>b', '<b>a</b>', '<p>a', '<p>a</p></div>', '<p>a & b</p>')]
    [False, False, False, False, False]
    """
    if "&" in html and html.count("&") != len(_REFERENCE.findall(html)):
        return False  # an "&" HTMLParser may read otherwise (stricter than needed in attributes)
    stack: list[str] = []
    pos = 0
    for match in _STRICT_TAG.finditer(html):
        if match.start() != pos:
            text = html[pos : match.start()]
            if "<" in text or (not stack and not text.isspace()):
                return False  # not a strict tag, or top-level text
        pos = match.end()
        closing, opening, empty = match.groups()
        if closing:
            tag = closing.lower()
            if stack and stack[-1] == tag:
                stack.pop()
            elif tag not in VOID_TAGS:
                return False  # a stray end tag
        else:
            tag = opening.lower()
            if tag in _RAW_TEXT or (not stack and tag not in BLOCK_TAGS):
                return False
            if not empty and tag not in VOID_TAGS:
                stack.append(tag)  # <x/> is a start and an end tag: nothing stays open
    rest = html[pos:]
    return not stack and "<" not in rest and (not rest or rest.isspace())


class _Exposure(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if not self.stack:
            line = self.getpos()[0]
            if tag not in BLOCK_TAGS:
                self.problems.append(f"top-level inline tag <{tag}> at line {line}")
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if not self.stack:
            self.handle_starttag(tag, attrs)
            if tag not in VOID_TAGS:
                self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        elif tag not in VOID_TAGS:
            self.problems.append(f"stray end tag </{tag}> at line {self.getpos()[0]}")

    def handle_data(self, data: str) -> None:
        if not self.stack and data.strip():
            self.problems.append(f"top-level text {data.strip()[:40]!r}")

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")
