"""What Jekyll's kramdown reads below the front matter, made inert: no article text is Markdown.

kramdown passes an HTML block through untouched when its start tag opens a line, and reads
everything else as Markdown: text after a block's end tag on the same line, text or an inline tag
at the top level. So a body is written as top-level *block* elements only, one to a line, decided
on the sanitizer's own output (html5ever's tree as nh3 serialized it), never on an earlier parse
that may nest differently. Fields written as Markdown (the back-link text) are character
references, which neither kramdown nor Liquid reads as syntax.
"""

from __future__ import annotations

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
    run_blockish = False
    run_meaningful = False
    depth = 0
    top_start = 0  # where the current top-level element began
    top_tag = ""
    pos, end = 0, len(html)

    def flush(stop: int) -> None:
        nonlocal run_start, run_blockish, run_meaningful
        if run_start >= 0 and run_meaningful:
            wrapper = "div" if run_blockish else "p"
            blocks.append(f"<{wrapper}>{html[run_start:stop].strip()}</{wrapper}>")
        run_start, run_blockish, run_meaningful = -1, False, False

    while pos < end:
        lt = html.find("<", pos)
        if lt < 0:
            lt = end
        if lt > pos and depth == 0 and html[pos:lt].strip():  # top-level text
            if run_start < 0:
                run_start = pos
            run_meaningful = True
        if lt == end:
            break
        closing = html.startswith("</", lt)
        gt = _tag_end(html, lt)
        name_end = lt + 2 if closing else lt + 1
        while name_end < gt and html[name_end] not in " \t\n\r\f/>":
            name_end += 1
        tag = html[lt + (2 if closing else 1) : name_end].lower()
        if closing:
            depth = max(depth - 1, 0)
            if depth == 0 and top_tag in BLOCK_TAGS:
                blocks.append(html[top_start : gt + 1])
        else:
            if depth == 0:
                top_tag = tag
                if tag in BLOCK_TAGS:
                    flush(lt)
                    top_start = lt
                else:
                    if run_start < 0:
                        run_start = lt
                    run_meaningful = run_meaningful or tag != "br"
            if top_tag not in BLOCK_TAGS and tag in _BLOCKISH:
                run_blockish = True
            if tag in VOID_TAGS:
                if depth == 0 and tag in BLOCK_TAGS:  # <hr>
                    blocks.append(html[lt : gt + 1])
            else:
                depth += 1
        pos = gt + 1
    flush(end)
    return "\n".join(blocks)


def _tag_end(html: str, lt: int) -> int:
    """The ``>`` closing the tag at ``lt``, past double-quoted attribute values."""
    pos = lt + 1
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
    checker = _Exposure()
    checker.feed(html)
    checker.close()
    if checker.stack:
        checker.problems.append(f"<{checker.stack[-1]}> is never closed")
    return checker.problems


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
