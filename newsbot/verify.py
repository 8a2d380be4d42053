"""Checks a site tree against the post contract; every problem names its file."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from lxml import html as lhtml

from newsbot.clean import DROP_WITH_CONTENT, UnreadableBody, clean_body
from newsbot.frontmatter import FrontMatterError, split_front_matter
from newsbot.kramdown import markdown_exposure
from newsbot.posts import (
    CATEGORY_DIR,
    OLD_POSTS_DIR,
    POSTS_DIR,
    backlinks_line,
    parse_post_filename,
    source_from_tag,
)
from newsbot.slugs import MAX_SLUG, is_slug

__all__ = ["Problem", "verify_tree", "verify_post"]

POST_KEYS = ["layout", "title", "date", "categories", "tags"]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0800")
_LOOSE_NAME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})?-?(?:NW)?(?P<id>[0-9]{18})\.md", re.IGNORECASE
)
_SHARE = re.compile(r"<(https?:)?//[^>\s]+>")


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def verify_tree(root: Path) -> tuple[list[Problem], int]:
    """Every problem in the tree at ``root``, and how many files were checked."""
    problems: list[Problem] = []
    tags: defaultdict[str, Counter[str]] = defaultdict(Counter)
    checked = 0
    folders = [root / POSTS_DIR, root / OLD_POSTS_DIR]
    if not any(folder.is_dir() for folder in folders):
        folders = [root]  # a bare posts folder
    for folder in folders:
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            checked += 1
            read = _read_post(path)
            if isinstance(read, Problem):
                problems.append(read)
                continue
            front, body = read
            try:  # a file verify cannot judge is a problem of that file, never a crash
                problems += _post_problems(path, front, body)
            except Exception as exc:  # noqa: BLE001
                problems.append(Problem(path, f"could not be checked: {exc!r}"))
            slug, tag = front.get("categories"), front.get("tags")
            if isinstance(slug, str) and isinstance(tag, str) and is_slug(slug) and tag:
                tags[slug][tag] += 1  # a bad slug is the post's problem; it names no page
    for slug, names in sorted(tags.items()):
        checked += 1
        page = root / CATEGORY_DIR / f"{slug}.html"
        try:
            problems += _verify_category(page, slug, names)
        except OSError as exc:
            problems.append(Problem(page, f"could not be checked: {exc}"))
    return problems, checked


def _read_post(path: Path) -> tuple[dict, str] | Problem:
    try:
        text = path.read_text(encoding="utf-8")
        front, body = split_front_matter(text)
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(path, f"unreadable: {exc}")
    except FrontMatterError as exc:
        return Problem(path, str(exc))
    for line in text[4 : len(text) - len(body)].splitlines():
        key, colon, value = line.partition(":")
        if colon and key and not key.startswith((" ", "-")) and value.strip().startswith(":"):
            # Ruby's Psych reads a plain ":x" as a Symbol, and Jekyll refuses the whole file
            return Problem(path, f"front matter {key}: is a plain ':' scalar Jekyll cannot read")
    return front, body


def verify_post(path: Path) -> Iterator[Problem]:
    """The problems of one post file."""
    read = _read_post(path)
    if isinstance(read, Problem):
        yield read
    else:
        yield from _post_problems(path, *read)


def _post_problems(path: Path, front: dict, body: str) -> Iterator[Problem]:
    named = parse_post_filename(path.name)
    loose = _LOOSE_NAME.fullmatch(path.name)
    if named is None and loose:
        yield Problem(path, "file name's code is not NW + 18 digits")
        named = (loose["date"], "NW" + loose["id"])
    if named is None:
        # not a contract name: only an announcement without a code may be like this
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9-]+\.md", path.name):
            yield Problem(path, "file name is not YYYY-MM-DD-CODE.md")
        for key in ("layout", "title", "date"):
            if not front.get(key):
                yield Problem(path, f"front matter: {key} is missing or empty")
        return
    name_date, code = named
    if not name_date:
        yield Problem(path, "file name has no date")
    keys = list(front)
    if keys[: len(POST_KEYS)] != POST_KEYS:
        yield Problem(path, f"front matter keys {keys[:5]} are not {POST_KEYS} in that order")
    for key in POST_KEYS:
        value = front.get(key)
        if key == "date" and value is not None and not isinstance(value, str):
            yield Problem(path, f"date {value} has no +0800 offset")
        elif not isinstance(value, str) or not value.strip():
            yield Problem(path, f"front matter: {key} is missing or empty")
    date, slug, tag = (
        front.get(k) if isinstance(front.get(k), str) else ""
        for k in ("date", "categories", "tags")
    )
    if front.get("layout") not in (None, "post"):
        yield Problem(path, f"layout is {front['layout']!r}, not 'post'")
    if date and not _DATE.fullmatch(date):
        yield Problem(path, f"date {date!r} is not 'YYYY-MM-DD HH:MM:SS +0800'")
    elif date and date[:10] != name_date:
        yield Problem(path, f"file name date {name_date} disagrees with date {date[:10]}")
    if slug and not is_slug(slug):
        yield Problem(path, f"category {slug[:80]!r} is not a slug [a-z0-9-] of at most {MAX_SLUG} bytes")
    yield from _verify_body(path, body, code, slug, tag)


def _verify_body(path: Path, body: str, code: str, slug: str, tag: str) -> Iterator[Problem]:
    lines = [line.strip() for line in body.strip().split("\n")]
    share_at = next(
        (i for i, line in enumerate(lines) if _SHARE.fullmatch(line) or line == "<>"), None
    )
    if share_at is None:
        yield Problem(path, "no share link line <URL> after the body")
        html = body
    else:
        html = "\n".join(lines[:share_at])
        if code[2:] not in lines[share_at]:
            yield Problem(path, f"share link {lines[share_at]} does not name {code}")
        rest = [line for line in lines[share_at + 1 :] if line]
        yield from _verify_backlinks(path, rest, slug, tag)
    if not html.strip():
        yield Problem(path, "the body is empty")
        return
    try:
        cuts = {**clean_body(html).cuts, **_executable(html)}
    except UnreadableBody as exc:
        cuts = {str(exc): 1}
    if cuts:
        kinds = ", ".join(f"{kind} ({count})" for kind, count in sorted(cuts.items()))
        yield Problem(path, f"body holds markup the cleaner removes: {kinds}")
    if "{{" in html or "{%" in html:
        yield Problem(path, "body holds unprotected Liquid markup ({{ or {%)")
    exposed = markdown_exposure(html)
    if exposed:
        yield Problem(path, f"kramdown would read body text as Markdown: {'; '.join(exposed[:3])}")


def _verify_backlinks(path: Path, rest: list[str], slug: str, tag: str) -> Iterator[Problem]:
    """The one line after the share link must be the contract's, its text escaped."""
    line = rest[0] if len(rest) == 1 else ""
    home = line.rfind("｜[返回首页](")
    site = line[home + len("｜[返回首页](") : -2] if home >= 0 and line.endswith("/)") else None
    if site is None or not line.startswith("[返回"):
        yield Problem(
            path,
            "back-links are not one line [返回TAG](SITE/category/SLUG.html)｜[返回首页](SITE/)",
        )
        return
    source = source_from_tag(tag)
    if source is None:
        return  # the tag itself is reported by the front matter checks
    expected = backlinks_line(source, slug, site)
    if line != expected:
        yield Problem(
            path,
            f"back-links are not {expected!r} (unescaped text or another category)",
        )


def _executable(html: str) -> dict[str, int]:
    """Event handlers and executable tags, which nh3 (not the counted cuts) removes."""
    try:
        root = lhtml.document_fromstring(html)
    except etree.ParserError:
        return {}
    found: dict[str, int] = {}
    for el in root.iter(etree.Element):
        if el.tag in DROP_WITH_CONTENT - {"head", "meta", "title"}:
            found["executable"] = found.get("executable", 0) + 1
        handlers = sum(1 for name in el.attrib if name.lower().startswith("on"))
        if handlers:
            found["handler"] = found.get("handler", 0) + handlers
    return found


def _verify_category(page: Path, slug: str, tags: Counter[str]) -> list[Problem]:
    if not page.is_file():
        return [
            Problem(page, f"category page missing for slug {slug!r} ({sum(tags.values())} posts)")
        ]
    try:
        front, _ = split_front_matter(page.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
        return [Problem(page, str(exc))]
    problems = []
    if front.get("layout") != "category" or front.get("category") != slug:
        problems.append(Problem(page, f"front matter is not layout: category, category: {slug}"))
    if front.get("title") not in tags:
        problems.append(
            Problem(page, f"titled {front.get('title')!r}, but its posts are tagged {sorted(tags)}")
        )
    return problems
