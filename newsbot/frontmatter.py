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


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Jekyll reads front matter with Ruby's Psych, which takes a plain ":name" for a Symbol and
    # then refuses the file ("Tried to load unspecified class: Symbol"): quote those too.
    quoted = isinstance(value, DoubleQuoted) or value.startswith(":") or _NEEDS_ESCAPES.search(value)
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", str(value), style='"' if quoted else None
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
