"""YAML front matter: emitted by PyYAML (never concatenated), titles double-quoted on one line."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "DoubleQuoted",
    "dump_front_matter",
    "split_front_matter",
    "front_matter_block",
    "read_scalars",
    "has_aliases",
    "Scalar",
    "FrontMatterError",
]


class DoubleQuoted(str):
    """A string the emitter writes double-quoted (the contract's ``title: "..."``)."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter: ~10x faster
    pass


# PyYAML writes NEL, LS, PS and some controls raw in plain and single-quoted scalars, and reads
# them back as line breaks; in a double-quoted scalar they are escaped and round-trip.
_NEEDS_ESCAPES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


# Jekyll reads front matter with Ruby's Psych, which reads more plain scalars as non-strings
# than PyYAML: ":x" as a Symbol (and refuses the file), "2022-2-4" as a Date (and drops the
# front matter), "1,000" as an Integer, "tRUE" as true. Such values are written quoted; the
# post date keeps its plain form, which both read as a time.
_PSYCH_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nil", "~"})
_POST_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}")
_HEX = re.compile(r"[0-9a-f]+")
_STR = "tag:yaml.org,2002:str"


def _psych_reads_otherwise(value: str) -> bool:
    """Whether Psych might read the plain scalar ``value`` as something other than a string.

    >>> [_psych_reads_otherwise(v) for v in (":x", "2022-2-4", "1,000", "tRUE", ".iNF", "新华社")]
    [True, True, True, True, True, False]
    >>> _psych_reads_otherwise("2022-02-24 22:20:26 +0800"), _psych_reads_otherwise("3f2a9c41d0b7")
    (False, False)
    """
    if not value:
        return False
    if value[0] in "0123456789+-.:":
        return not (_POST_DATE.fullmatch(value) or _HEX.fullmatch(value))
    return value.lower() in _PSYCH_WORDS


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    quoted = (
        isinstance(value, DoubleQuoted)
        or _NEEDS_ESCAPES.search(value)
        or (  # what PyYAML would write plain, though Psych reads it otherwise
            _psych_reads_otherwise(value)
            and dumper.resolve(yaml.ScalarNode, value, (True, False)) == _STR
        )
    )
    return dumper.represent_scalar(
        _STR, str(value), style='"' if quoted else None
    )


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(DoubleQuoted, _represent_str)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster over a whole tree


class FrontMatterError(ValueError):
    """A file whose front matter is missing, unclosed or not YAML."""


def dump_front_matter(fields: Mapping[str, Any]) -> str:
    """The ``---`` block for ``fields``, keys in the order given.

    >>> print(dump_front_matter({"layout": "post", "title": DoubleQuoted('他说："好" {{ x }}'),
    ...                          "tags": ":新闻", "stocks": ["1.600160"]}), end="")
    ---
    layout: post
    title: "他说：\\"好\\" {{ x }}"
    tags: ":新闻"
    stocks:
    - '1.600160'
    ---
    """
    text = yaml.dump(
        dict(fields),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=2**31 - 1,  # one line per scalar: a folded title is legal YAML but no one greps it
    )
    return f"---\n{text}---\n"


def front_matter_block(text: str) -> tuple[str, str]:
    """The YAML between a post's ``---`` lines, and the body after them.

    >>> front_matter_block('---\\ntitle: t\\n---\\nbody\\n')
    ('title: t\\n', 'body\\n')
    """
    if not text.startswith("---\n"):
        raise FrontMatterError("no front matter: the file does not start with '---'")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise FrontMatterError("front matter is not closed by '---'")
    return text[4 : end + 1], text[end + 5 :]


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Parse a post into its front matter mapping and its body.

    Builds every value, aliases included: for trees newsbot wrote. To read a file that may be
    hostile (an alias bomb is a few hundred bytes), use :func:`read_scalars`.

    >>> split_front_matter('---\\ntitle: "a: b"\\n---\\nbody\\n')
    ({'title': 'a: b'}, 'body\\n')
    """
    block, body = front_matter_block(text)
    data = _simple_mapping(block)
    if data is not None:
        return data, body
    try:
        data = yaml.load(block, Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise FrontMatterError(_yaml_problem(exc)) from None
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a mapping")
    return data, body


# The front matter newsbot writes, read without building YAML nodes: one "key: value" a line, a
# value double-quoted without escapes, single-quoted without quotes, or plain; a list as "- item"
# lines. A block holding anything else (a character YAML treats specially, a tab, two spaces, an
# escape, a comment, a nested value) goes to the YAML loader, and so does a plain scalar the
# loader's own resolver reads as anything but a string: both readings agree (a test checks).
_SIMPLE_TEXT = re.compile(
    "[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
_SIMPLE_LINE = re.compile(
    r"""(?:(?P<key>[A-Za-z_][A-Za-z0-9_]{0,99}):|-)(?: (?:"(?P<dq>[^"\\]*)"|'(?P<sq>[^']*)'|(?P<plain>"""
    r"""[^-?:,\[\]{}#&*!|>'"%@`\s](?:[^\s:#,\[\]{}]|:(?=[^\s])| (?=[^\s#]))*)))?"""
)
_RESOLVER = yaml.resolver.Resolver()
_RESOLVED = _RESOLVER.yaml_implicit_resolvers  # by first character; None: any


def _reads_as_str(plain: str) -> bool:
    """Whether the loader reads the plain scalar ``plain`` as a string (its resolver looks only
    at scalars that start with one of a few characters)."""
    if plain[:1] not in _RESOLVED and None not in _RESOLVED:
        return True
    return _RESOLVER.resolve(yaml.ScalarNode, plain, (True, False)) == _STR


def _simple_mapping(block: str) -> dict[str, Any] | None:
    """The mapping ``block`` holds if it is written as newsbot writes it, else ``None``.

    >>> _simple_mapping('layout: post\\ntitle: "a: #b"\\ndate: 2026-08-01 10:00:00 +0800\\nstocks:\\n'
    ...                 "- '1.600160'\\n- 0.x\\n")
    {'layout': 'post', 'title': 'a: #b', 'date': '2026-08-01 10:00:00 +0800', 'stocks': ['1.600160', '0.x']}
    >>> [_simple_mapping(b) for b in ("date: 2026-08-01 10:00:00\\n", "n: 1\\n", "on: x\\n", "a: b #c\\n")]
    [None, None, None, None]
    """
    if not block.endswith("\n") or not _SIMPLE_TEXT.fullmatch(block):
        return None
    data: dict[str, Any] = {}
    items: list[str] | None = None  # the list the last key opened
    for line in block[:-1].split("\n"):
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, dq, sq, plain = match.group("key", "dq", "sq", "plain")
        value = dq if dq is not None else sq if sq is not None else plain
        if plain is not None and not _reads_as_str(plain):
            return None  # a number, a date, a boolean, a null... as the loader reads it
        if key is None:  # a list item
            if items is None or value is None:
                return None
            items.append(value)
            continue
        if items == [] or key in data or not _reads_as_str(key):
            return None  # a key with no value, twice the same key, a key that is no string
        items = None
        if value is None:
            items = data[key] = []
        else:
            data[key] = value
    return data if data and items != [] else None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    where = getattr(exc, "problem_mark", None)
    at = f" at line {where.line + 2}, column {where.column + 1}" if where else ""
    return f"front matter is not YAML{at}: {getattr(exc, 'problem', None) or exc}"


@dataclass(frozen=True)
class Scalar:
    """One top-level value of a front matter as it is written.

    ``text`` is ``None`` for a null, an alias, an anchored or explicitly tagged non-string
    value, a list or a mapping: nothing is built from them. ``comment`` is what follows a
    one-line value on its line, which YAML reads as a comment (``title: "a" #b"``).
    """

    text: str | None
    comment: str = ""


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_STR_TAGS = frozenset({None, "!", "tag:yaml.org,2002:str"})


def read_scalars(block: str) -> dict[str, Scalar]:
    """The top-level keys of a YAML mapping and their scalar values, without building anything.

    Reads parser events only: an alias is never expanded (a billion-laughs block costs its own
    size), a timestamp or number is never constructed (a ``date: 2022-13-45`` is text, not an
    error), and only a scalar's text is kept. A later duplicate key wins, as in PyYAML.

    >>> fields = read_scalars('a: &x [1, 2]\\nb: *x\\ntitle: >-\\n  folded\\n  line\\n'
    ...                       'date: 2022-13-45 10:00:00\\nu: "\\\\u4e2d"\\nn: ~\\nc: "x" # y\\n')
    >>> {key: value.text for key, value in fields.items()}
    {'a': None, 'b': None, 'title': 'folded line', 'date': '2022-13-45 10:00:00', 'u': '中', 'n': None, 'c': 'x'}
    >>> fields["c"].comment
    '# y'
    >>> read_scalars("- a list")
    Traceback (most recent call last):
    ...
    newsbot.frontmatter.FrontMatterError: front matter is not a mapping
    """
    lines = block.split("\n")
    fields: dict[str, Scalar] = {}
    try:
        events = yaml.parse(block, Loader=_Loader)
        for event in events:
            if isinstance(event, yaml.MappingStartEvent):
                break
            if isinstance(event, yaml.NodeEvent):  # a scalar, a list or an alias
                raise FrontMatterError("front matter is not a mapping")
        else:
            raise FrontMatterError("front matter is not a mapping")
        for key in events:
            if isinstance(key, yaml.MappingEndEvent):
                return fields
            if not isinstance(key, yaml.ScalarEvent) or key.anchor:
                _skip(key, events)  # a key that is an alias, a list or a mapping: no field
                _skip(next(events), events)
                continue
            fields[key.value] = _scalar(next(events), events, lines)
    except yaml.YAMLError as exc:
        raise FrontMatterError(_yaml_problem(exc)) from None
    except IndexError:  # YAML breaks lines at U+2028 and NEL too: its line numbers are not ours
        raise FrontMatterError("front matter has line breaks other than \\n") from None
    raise FrontMatterError("front matter is not closed")


def has_aliases(block: str) -> bool:
    """Whether a YAML block uses anchors or aliases, which a loader (Jekyll's too) expands: a
    few hundred bytes of them can hold a billion values. ``False`` where it is not YAML.

    >>> has_aliases("a: &x [1]\\nb: *x\\n"), has_aliases("a: '&x *y'\\n"), has_aliases('a: "')
    (True, False, False)
    """
    try:
        return any(
            isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
            for event in yaml.parse(block, Loader=_Loader)
        )
    except yaml.YAMLError:
        return False


def _scalar(event: yaml.Event, events: Iterator[yaml.Event], lines: list[str]) -> Scalar:
    if not isinstance(event, yaml.ScalarEvent):
        _skip(event, events)
        return Scalar(None)
    if event.anchor or event.tag not in _STR_TAGS:
        return Scalar(None)
    plain = not event.style  # None from PyYAML's parser, "" from libyaml's
    if plain and event.implicit[0] and event.value in _NULLS:
        return Scalar(None)
    comment = ""
    if plain or event.style in ("'", '"'):  # flow scalars: a comment may follow on the last line
        comment = lines[event.end_mark.line][event.end_mark.column :].strip()
    return Scalar(event.value, comment)


def _skip(event: yaml.Event, events: Iterator[yaml.Event]) -> None:
    """Consume the rest of the node ``event`` starts (a list or mapping), without building it."""
    depth = 1 if isinstance(event, yaml.CollectionStartEvent) else 0
    while depth:
        event = next(events)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
