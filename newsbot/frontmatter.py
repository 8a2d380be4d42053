"""YAML front matter: emitted by PyYAML (never concatenated), titles double-quoted on one line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["DoubleQuoted", "dump_front_matter", "split_front_matter", "FrontMatterError"]


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


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Parse a post into its front matter mapping and its body.

    >>> split_front_matter('---\\ntitle: "a: b"\\n---\\nbody\\n')
    ({'title': 'a: b'}, 'body\\n')
    """
    if not text.startswith("---\n"):
        raise FrontMatterError("no front matter: the file does not start with '---'")
    end = text.find("\n---\n", 3)
    if end < 0:
        raise FrontMatterError("front matter is not closed by '---'")
    try:
        data = yaml.load(text[4 : end + 1], Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 2}, column {where.column + 1}" if where else ""
        raise FrontMatterError(
            f"front matter is not YAML{at}: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(data, dict):
        raise FrontMatterError("front matter is not a mapping")
    return data, text[end + 5 :]
