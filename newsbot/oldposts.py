"""Posts of the old site: recover code, title, date, source and body, even from broken YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from newsbot.codes import InvalidInput, canonical_code, parse_input
from newsbot.dates import parse_time
from newsbot.frontmatter import FrontMatterError, split_front_matter

__all__ = ["OldPost", "read_old_post", "find_old_posts"]

_NAME_CODE = re.compile(r"(?:NW)?([0-9]{18})", re.IGNORECASE)
# Matched against one stripped line: as a MULTILINE ^\s*...\s*$ over the whole text, \s* runs
# across newlines, and every line of a long blank stretch rescans the rest of it (quadratic).
_OWN_LINK = re.compile(r"<(https?://[^>\s]+)>")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_LINE = re.compile(r"([A-Za-z_][\w-]*)\s*:(.*)")
_TRAILER = re.compile(r"<(?:[a-z]+://[^>]*)?>|\[返回")
_TAG_SUFFIX = "新闻"


@dataclass(frozen=True)
class OldPost:
    """What an old post still says; ``None`` where it says nothing usable."""

    code: str | None
    title: str | None
    time: datetime | None
    source: str | None
    category: str | None
    body: str | None

    def missing(self) -> list[str]:
        return [name for name in ("title", "time", "body") if getattr(self, name) is None]


def find_old_posts(src: Path) -> list[Path]:
    """The ``*.md`` files to migrate: ``_posts/`` and ``old_post/`` of a site root, else every one."""
    folders = [src / name for name in ("_posts", "old_post") if (src / name).is_dir()]
    if not folders:
        folders = [src]
    return sorted(path for folder in folders for path in folder.rglob("*.md") if path.is_file())


def read_old_post(text: str, filename: str) -> OldPost:
    """Read one old post.

    >>> post = read_old_post('---\\ntitle: "他说"好""\\ndate:  +0800\\ntags: 财联社新闻\\n---\\n'
    ...                      '正文\\n\\n<http://h/news/1350,202112082207168450.html>\\n', "x.md")
    >>> post.code, post.title, post.time, post.source, post.body
    ('NW202112082207168450', '他说"好"', None, '财联社', '正文')
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    front, body = _split(text)
    # The old scripts concatenated titles and tags without escaping: read as YAML, a " #" in
    # one is a comment and cuts it short, so the raw line is the truth for these two.
    raw, _ = _lenient_front_matter(text)
    title = _scalar(raw.get("title", front.get("title")))
    source = _scalar(raw.get("tags", front.get("tags")))
    if source and source.endswith(_TAG_SUFFIX):
        source = source[: -len(_TAG_SUFFIX)]  # "新闻" alone: the old site's empty source
    return OldPost(
        code=_code(filename, text),
        title=" ".join(title.split()) if title else None,
        time=_time(front.get("date")),
        source=source or None,
        category=_scalar(front.get("categories")) or _scalar(front.get("category")),
        body=body,
    )


def _split(text: str) -> tuple[dict[str, Any], str | None]:
    """Front matter (parsed as YAML, else line by line) and the body before the trailer."""
    try:
        front, rest = split_front_matter(text)
    except FrontMatterError:
        front, rest = _lenient_front_matter(text)
    lines = rest.strip("\n").split("\n")
    for i, line in enumerate(lines):
        if _TRAILER.match(line.strip()):
            lines = lines[:i]
            break
    body = "\n".join(lines).strip()
    return front, body or None


def _lenient_front_matter(text: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    block, rest = (text[3:end], text[end + 4 :]) if end >= 0 else (text[3:], "")
    front: dict[str, Any] = {}
    for line in block.splitlines():
        match = _LINE.fullmatch(line.strip())
        if match:
            front[match.group(1)] = _unquote(match.group(2).strip())
    return front, rest.split("\n", 1)[1] if "\n" in rest else ""


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _scalar(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _time(value: Any) -> datetime | None:
    if isinstance(value, (datetime, date)):
        value = str(value)
    return parse_time(value if isinstance(value, str) else None)


def _code(filename: str, text: str) -> str | None:
    stem = Path(filename).stem
    match = _NAME_CODE.search(stem)
    if match:
        return "NW" + match.group(1)
    # the post's own link (its <URL> line), then any share link, then any article link: a body
    # may link to other articles, and those are not this one
    urls = _URL.findall(text)
    own = [m.group(1) for line in text.split("\n") if (m := _OWN_LINK.fullmatch(line.strip()))]
    for url in [*own, *(u for u in urls if "NewsShare" in u), *urls]:
        try:
            return parse_input(url).code
        except InvalidInput:
            continue
    for word in re.findall(r"\b(?:NW)?[0-9]{18}\b", text):
        try:
            return canonical_code(word)
        except InvalidInput:
            continue
    return None
