"""newsbot's own settings checked before a run starts: a slip in a cron line is one clear line and
exit 64, not a run that quietly writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings

from newsbot.headers import header_template

SAMPLE_CODE = "NW202202242288329527"
HEADER_SETTINGS = ("NEWSBOT_LISTING_HEADERS", "NEWSBOT_TEXT_HEADERS", "NEWSBOT_ARTICLE_HEADERS")


def max_failed_fraction(settings: BaseSettings) -> float:
    """``NEWSBOT_MAX_FAILED_FRACTION``, a number from 0 to 1 (0.5 where it is unreadable: the
    run was refused before it started, see :func:`problems`)."""
    try:
        value = settings.getfloat("NEWSBOT_MAX_FAILED_FRACTION")
    except ValueError:
        return 0.5
    return value if 0 <= value <= 1 else 0.5


def _url_problem(name: str, template: str) -> str | None:
    try:
        url = template.format(code=SAMPLE_CODE, id=SAMPLE_CODE[2:])
    except (KeyError, IndexError, ValueError) as exc:
        return f"-s {name}={template!r}: only {{code}} and {{id}} may be filled in ({exc})"
    if not url.startswith(("http://", "https://")):
        return f"-s {name}={template!r}: not an http(s) URL"
    return None


def problems(settings: BaseSettings | Mapping[str, Any]) -> list[str]:
    """What is wrong with newsbot's settings, each in one line; empty when all is well.

    >>> from scrapy.settings import Settings
    >>> for line in problems(Settings({"NEWSBOT_OUTPUT_DIR": "", "NEWSBOT_TEXT_URL": "http://x/{cod}",
    ...     "NEWSBOT_ARTICLE_URL": "https://x/a/{id}.html", "NEWSBOT_MAX_FAILED_FRACTION": "abc"})):
    ...     print(line)
    -s NEWSBOT_OUTPUT_DIR is empty: give the site tree to write
    -s NEWSBOT_TEXT_URL='http://x/{cod}': only {code} and {id} may be filled in ('cod')
    -s NEWSBOT_MAX_FAILED_FRACTION='abc': give a number from 0 to 1
    """
    settings = settings if isinstance(settings, BaseSettings) else BaseSettings(dict(settings))
    found: list[str] = []
    if not str(settings.get("NEWSBOT_OUTPUT_DIR") or "").strip():
        found.append("-s NEWSBOT_OUTPUT_DIR is empty: give the site tree to write")
    for name in ("NEWSBOT_TEXT_URL", "NEWSBOT_ARTICLE_URL"):
        problem = _url_problem(name, str(settings.get(name) or ""))
        if problem:
            found.append(problem)
    for name in HEADER_SETTINGS:
        raw_value = settings.get(name)
        try:
            value = settings.getdict(name)
        except (ValueError, TypeError):  # not JSON, or JSON that is no object (null, 1)
            value = None
        if value is None or isinstance(raw_value, (list, tuple)) or (
            isinstance(raw_value, str) and not raw_value.strip().startswith("{")
        ):
            found.append(f"-s {name}: not a JSON object of header names and values")
            continue
        try:
            header_template(value, name)
        except ValueError as exc:
            found.append(f"-s {exc}")
    agent = str(settings.get("USER_AGENT") or "")
    if not agent.strip() or not agent.isascii() or not agent.isprintable():
        found.append("-s USER_AGENT: give a browser's User-Agent (printable ASCII): eastmoney answers no other")
    raw = settings.get("NEWSBOT_MAX_FAILED_FRACTION")
    try:
        fraction = settings.getfloat("NEWSBOT_MAX_FAILED_FRACTION")
    except ValueError:
        fraction = -1.0
    if not 0 <= fraction <= 1:
        found.append(f"-s NEWSBOT_MAX_FAILED_FRACTION={raw!r}: give a number from 0 to 1")
    return found
