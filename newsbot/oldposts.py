"""Posts of the old site: found without following links, decoded, and read even from broken YAML.

Nothing here trusts the old files: a symlink is never followed, a file is opened only when it is
a regular file inside the source folder, YAML is read as parser events (an alias bomb costs its
own size), and a post's code comes from its file name or its own link line, never from the text.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsbot.codes import parse_input
from newsbot.dates import parse_time
from newsbot.frontmatter import FrontMatterError, Scalar, has_aliases, read_scalars
from newsbot.posts import OLD_POSTS_DIR, POSTS_DIR, source_from_tag

__all__ = [
    "MAX_OLD_POST",
    "LoadedPost",
    "OldFile",
    "OldFileError",
    "OldPost",
    "claim_of",
    "decode_old_post",
    "duplicates",
    "find_old_files",
    "load_old_post",
    "name_code",
    "read_old_file",
    "read_old_post",
]

MAX_OLD_POST = 16 * 1024 * 1024  # bytes, as DOWNLOAD_MAXSIZE: no post is that long

# 18 digits, not part of a longer number: "2022-03-01-6222021234567890123.md" names no article
_NAME_CODE = re.compile(r"(?<![0-9])(?:NW)?([0-9]{18})(?![0-9])", re.IGNORECASE)
# Matched against one stripped line: the old system's "<SHARE_LINK>" (or "<>" when it had none)
_OWN_LINK = re.compile(r"<([^<>\s]*)>")
_BACKLINKS = "[返回"  # the old system's last line(s): [返回SOURCE新闻](...)｜[返回首页](...)
_KEY = re.compile(r"[A-Za-z_][\w-]*")
_BLOCK_INDICATOR = re.compile(r"[>|][-+0-9]{0,2}")
# Free text the old scripts concatenated into the YAML unescaped: where YAML reads a " #" in one
# as a comment, the raw line is the truth.
_FREE_TEXT = ("title", "tags", "categories", "category")
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE = re.compile("[\u0800-\U0010ffff]")  # characters of three UTF-8 bytes or more
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | os.O_CLOEXEC
)


class OldFileError(Exception):
    """An old file that cannot be migrated: ``reason`` is one short word (it names a stat),
    ``detail`` says what was found."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class OldFile:
    """A ``*.md`` entry of the old site; ``problem`` (with ``detail``) when it must not be read."""

    path: Path
    folder: str  # where a kept copy goes: _posts or old_post
    problem: str | None = None
    detail: str = ""

    @property
    def kept_as(self) -> str:
        """Its path in the new tree, should it be kept as it is."""
        return f"{self.folder}/{self.path.name}"


@dataclass(frozen=True)
class OldPost:
    """What an old post still says; ``None`` where it says nothing usable."""

    code: str | None
    title: str | None
    time: datetime | None
    source: str | None
    category: str | None
    body: str | None
    link_error: str | None = None  # its own link line names no article (a file without code)
    aliases: bool = False  # its front matter uses YAML anchors or aliases

    def missing(self) -> list[str]:
        return [name for name in ("title", "time", "body") if getattr(self, name) is None]


@dataclass(frozen=True)
class LoadedPost:
    """An old file read and understood: what it says, and what it would write."""

    post: OldPost
    content: bytes  # the file in UTF-8 (its own bytes when it was UTF-8): what a kept copy holds
    encoding: str  # what it was in
    claim: str  # its code, or without one the path of its kept copy: no two files may share it


def load_old_post(old: OldFile, src: Path, limit: int = MAX_OLD_POST) -> LoadedPost:
    """Read an old file (see :func:`read_old_file`) and its post; :class:`OldFileError` too
    when it has no code and its own link line names no article (``bad_link``), or it has no code
    and YAML anchors or aliases, which Jekyll would expand were it kept as it is (``yaml_alias``)."""
    data, text, encoding = read_old_file(old, src, limit)
    post = read_old_post(text, old.path.name)
    if post.code is None and post.link_error:
        raise OldFileError("bad_link", post.link_error)
    if post.code is None and post.aliases:
        raise OldFileError("yaml_alias", "not kept: its front matter has YAML anchors or aliases")
    content = data if encoding == "utf-8" else text.encode("utf-8")
    return LoadedPost(post, content, encoding, post.code or old.kept_as)


def claim_of(old: OldFile, src: Path) -> str | None:
    """What an old file would write (see :attr:`LoadedPost.claim`): read only when its name has
    no code; ``None`` when it cannot be read (its failure is reported when it is migrated)."""
    if old.problem:
        return None
    code = name_code(old.path.name)
    if code:
        return code
    try:
        return load_old_post(old, src).claim
    except Exception:  # whatever it is, the file's own turn reports it
        return None


def find_old_files(src: Path) -> list[OldFile]:
    """Every ``*.md`` of ``_posts/`` and ``old_post/`` of a site root, else of the whole folder,
    sorted; a symlink (to a file or a folder) is listed with its problem, never followed, and
    so is a ``*.md`` that is not a regular file (a FIFO would block its reader forever)."""
    roots = [src / name for name in (POSTS_DIR, OLD_POSTS_DIR) if os.path.lexists(src / name)]
    found: list[OldFile] = []
    for root in roots or [src]:
        folder = root.name if roots else None
        if roots and root.is_symlink():
            found.append(OldFile(root, root.name, "symlink", "a folder symlink, not followed"))
        elif root.is_dir():
            found.extend(_walk(root, folder))
    return sorted(found, key=lambda old: old.path)


def _walk(root: Path, folder: str | None) -> list[OldFile]:
    found: list[OldFile] = []
    stack = [root]
    while stack:
        here = stack.pop()
        kept_in = folder or (here.name if here.name in (POSTS_DIR, OLD_POSTS_DIR) else POSTS_DIR)
        try:
            with os.scandir(here) as entries:
                listed = list(entries)
        except OSError as exc:
            found.append(OldFile(here, kept_in, "unreadable", f"cannot list it: {exc.strerror}"))
            continue
        for entry in listed:
            path = Path(entry.path)
            is_md = entry.name.endswith(".md")
            if entry.is_symlink():
                if is_md or entry.is_dir():  # is_dir follows the link: a stat, not a read
                    kind = "folder" if entry.is_dir() else "file"
                    found.append(OldFile(path, kept_in, "symlink", f"a {kind} symlink, not followed"))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(path)
            elif is_md and not entry.is_file(follow_symlinks=False):
                found.append(OldFile(path, kept_in, "not_a_file", "not a regular file"))
            elif is_md:
                found.append(OldFile(path, kept_in))
    return found


def read_old_file(old: OldFile, src: Path, limit: int = MAX_OLD_POST) -> tuple[bytes, str, str]:
    """The bytes of an old file, its text and the encoding it was in; :class:`OldFileError`
    when it resolves outside ``src``, is not a regular file, is over ``limit`` bytes, cannot be
    read or cannot be decoded. The last component is opened without following a link."""
    real = os.path.realpath(old.path)
    root = os.path.realpath(src)
    if os.path.commonpath([real, root]) != root:
        raise OldFileError("outside_src", f"it resolves to {real}, outside {root}")
    try:
        fd = os.open(old.path, _OPEN_FLAGS)
    except OSError as exc:
        if os.path.islink(old.path):
            raise OldFileError("symlink", "a file symlink, not followed") from None
        raise OldFileError("unreadable", exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OldFileError("not_a_file", "not a regular file")
        if info.st_size > limit:
            raise OldFileError("too_large", f"{info.st_size} bytes, over {limit}")
        chunks = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OldFileError("too_large", f"over {limit} bytes")
    except OSError as exc:
        raise OldFileError("unreadable", exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        text, encoding = decode_old_post(data)
    except UnicodeDecodeError as exc:
        raise OldFileError("undecodable", exc.reason) from None
    return data, text, encoding


def decode_old_post(data: bytes) -> tuple[str, str]:
    """The text of an old file and its encoding: by its BOM (UTF-8, UTF-16, UTF-32), else UTF-8,
    else GB18030 (which GBK is part of). Mostly-UTF-8 bytes with a bad sequence are not taken for
    GB18030, whose reading of them would be mojibake: they are undecodable, as is anything
    neither encoding reads, or holding a NUL byte (UTF-16 without a BOM): ``UnicodeDecodeError``,
    its ``reason`` saying where.

    >>> decode_old_post("标题".encode("gbk")), decode_old_post("通知：本站改版".encode("gbk"))
    (('标题', 'gb18030'), ('通知：本站改版', 'gb18030'))
    >>> decode_old_post(codecs.BOM_UTF8 + "标题".encode())
    ('标题', 'utf-8-sig')
    >>> decode_old_post("标题".encode("utf-16"))
    ('标题', 'utf-16-le')
    >>> try:
    ...     decode_old_post("一个坏字节".encode() + b"\\xe9!")
    ... except UnicodeDecodeError as exc:
    ...     print(exc.reason)
    not UTF-8: invalid continuation byte at byte 15, and mostly UTF-8 otherwise
    >>> decode_old_post("---".encode("utf-16-le"))
    Traceback (most recent call last):
    ...
    UnicodeDecodeError: 'utf-8' codec can't decode byte 0x00 in position 1: a NUL byte at byte 1
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise _undecodable(exc, f"not {encoding} after its BOM", len(bom)) from None
    if b"\x00" in data:  # no text holds NUL; UTF-16 or UTF-32 without a BOM is full of them
        start = data.index(b"\x00")
        raise UnicodeDecodeError("utf-8", data, start, start + 1, f"a NUL byte at byte {start}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first = exc
    # Chinese in UTF-8 is three-byte sequences, which GBK's byte pairs seldom form (its pairs
    # often pass for two-byte ones): more of those than bad sequences is UTF-8 with a flaw.
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd")
    if _WIDE.subn("", lenient)[1] - bad > bad:
        raise _undecodable(first, "not UTF-8", 0, ", and mostly UTF-8 otherwise")
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _undecodable(exc, "neither UTF-8 nor GB18030", 0) from None


def _undecodable(
    exc: UnicodeDecodeError, what: str, offset: int, tail: str = ""
) -> UnicodeDecodeError:
    reason = f"{what}: {exc.reason} at byte {exc.start + offset}{tail}"
    return UnicodeDecodeError(exc.encoding, exc.object, exc.start, exc.end, reason)


def name_code(filename: str) -> str | None:
    """The code a file name carries: 18 digits (``NW`` or not) standing alone.

    >>> name_code("2021-12-08-202112082206672930.md"), name_code("-NW202203011234567803.md")
    ('NW202112082206672930', 'NW202203011234567803')
    >>> name_code("2021-12-01-init.md"), name_code("2022-03-01-6222021234567890123.md")
    (None, None)
    """
    match = _NAME_CODE.search(Path(filename).stem)
    return "NW" + match.group(1) if match else None


def duplicates(claims: dict[Path, str]) -> dict[Path, list[Path]]:
    """Each file whose claim (a code, or the path a kept copy takes) another file shares, with
    the others that claim it.

    >>> duplicates({Path("a"): "NW1", Path("b"): "NW2", Path("c"): "NW1"})
    {PosixPath('a'): [PosixPath('c')], PosixPath('c'): [PosixPath('a')]}
    """
    by_claim: dict[str, list[Path]] = {}
    for path, claim in claims.items():
        by_claim.setdefault(claim, []).append(path)
    return {
        path: [other for other in group if other != path]
        for group in by_claim.values()
        if len(group) > 1
        for path in group
    }


def read_old_post(text: str, filename: str) -> OldPost:
    """Read one old post.

    Its code comes from its file name, else from its own link line: the ``<LINK>`` line the old
    system wrote after the body (before the back-links). Links and numbers in the body are never
    taken for its code.

    >>> post = read_old_post('---\\ntitle: "他说"好""\\ndate:  +0800\\ntags: 财联社新闻\\n---\\n'
    ...                      '正文\\n\\n<http://h/news/1350,202112082207168450.html>\\n\\n[返回]()\\n', "x.md")
    >>> post.code, post.title, post.time, post.source, post.body
    ('NW202112082207168450', '他说"好"', None, '财联社', '正文')
    >>> notice = read_old_post('---\\ntitle: 通知\\n---\\n账户 622202123456789012\\n'
    ...                        '<http://finance.eastmoney.com/a/202203011234567801.html>\\n谢谢\\n', "n.md")
    >>> notice.code, notice.link_error
    (None, None)
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    block, rest = _front_matter(text)
    fields = _fields(block) if block is not None else {}
    body, link = _split_trailer(rest)
    code, link_error = name_code(filename), None
    if code is None and link is not None:
        try:
            code = parse_input(link).code
        except ValueError as exc:  # InvalidInput, or urlsplit's own (a bad IPv6 host)
            link_error = f"its link line <{link}> names no article ({exc})"
    title = fields.get("title")
    source = fields.get("tags")
    if source:
        bare = source_from_tag(source)  # "新闻" alone: the old site's empty source
        source = source if bare is None else bare
    return OldPost(
        code=code,
        title=" ".join(title.split()) or None if title else None,
        time=_time(fields.get("date")),
        source=source.strip() or None if source else None,
        category=fields.get("categories") or fields.get("category"),
        body=body,
        link_error=link_error,
        aliases=block is not None and has_aliases(block),
    )


def _front_matter(text: str) -> tuple[str | None, str]:
    """The front matter block (between ``---`` lines; to the end if never closed) and the rest."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return None, text
    for end in range(1, len(lines)):
        if lines[end].rstrip() == "---":
            return "\n".join(lines[1:end]) + "\n", "\n".join(lines[end + 1 :])
    return "\n".join(lines[1:]), ""


def _split_trailer(rest: str) -> tuple[str | None, str | None]:
    """The body, and the post's own link: a ``<LINK>`` line that ends the text, before any
    back-links (``""`` for the old system's empty ``<>``), else ``None``."""
    lines = rest.split("\n")
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(_BACKLINKS)):
        end -= 1
    link = None
    if end:
        match = _OWN_LINK.fullmatch(lines[end - 1].strip())
        if match:
            link = match.group(1)
            end -= 1
    body = "\n".join(lines[:end]).strip()
    return body or None, link


def _fields(block: str) -> dict[str, str | None]:
    """Each front matter key's text: read as YAML where it parses (the whole block, else each
    key alone), the raw line where it does not, or where YAML took part of it for a comment."""
    try:
        scalars = read_scalars(block)
    except FrontMatterError:
        scalars = {}
        for key, entry, raw in _entries(block):
            try:
                scalars.update(read_scalars(entry))
            except FrontMatterError:
                scalars[key] = Scalar(_raw_value(raw))
    fields = {key: value.text for key, value in scalars.items()}
    for key, _, raw in _entries(block):
        scalar = scalars.get(key)
        if key in _FREE_TEXT and scalar is not None and scalar.comment:
            fields[key] = _raw_value(raw)
    return {key: value.strip() or None if value else None for key, value in fields.items()}


def _entries(block: str) -> list[tuple[str, str, str]]:
    """Top-level ``key: value`` entries, each with its indented continuation lines: ``(key,
    entry text, raw value of its first line)``."""
    entries: list[tuple[str, list[str], str]] = []
    for line in block.split("\n"):
        key, colon, raw = line.partition(":")
        if colon and not line[:1].isspace() and _KEY.fullmatch(key.rstrip()):
            entries.append((key.rstrip(), [line], raw.strip()))
        elif entries:
            entries[-1][1].append(line)
    return [(key, "\n".join(lines) + "\n", raw) for key, lines, raw in entries]


def _raw_value(raw: str) -> str | None:
    """A value as the raw line has it: quotes taken off, as the old scripts put them on. An
    alias, anchor or block indicator alone means nothing outside YAML: no value."""
    if not raw or raw[0] in "*&" or _BLOCK_INDICATOR.fullmatch(raw):
        return None
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _time(value: str | None) -> datetime | None:
    try:
        return parse_time(value)
    except (ValueError, OverflowError):  # a date past 9999 once in China time
        return None
