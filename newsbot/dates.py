"""Publication times: parse what upstream sends into China time, and format it for posts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from dateutil import parser as dateparser

__all__ = ["CHINA", "parse_time", "sane", "date_from_code", "format_post_date"]

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_YEAR = re.compile(r"\d{4}")
_MS_DATE = re.compile(r"/Date\((-?\d+)\)/")
# Longer than any way of writing a date: dateutil's parser is quadratic in the length of junk
# ("2022 1.1.1.1...", 256k characters: 9 s).
_LONGEST_DATE = 64
# A publication time outside this range is a broken answer (0001-01-01, a 400-digit epoch), not
# news: it counts as no time, and the next fallback is taken. Four-digit years only, too.
EARLIEST = datetime(1990, 1, 1, tzinfo=CHINA)
_LATEST_AHEAD = timedelta(days=2)


def sane(moment: datetime | None) -> datetime | None:
    """``moment`` if it can be a publication time (1990 to now + 2 days), else ``None``.

    >>> sane(datetime(1, 1, 1, tzinfo=CHINA)) is None, sane(datetime(2099, 1, 1, tzinfo=CHINA))
    (True, None)
    >>> sane(datetime(2022, 2, 24, tzinfo=CHINA)).year
    2022
    """
    if moment is None or not EARLIEST <= moment <= datetime.now(CHINA) + _LATEST_AHEAD:
        return None
    return moment


def parse_time(value: object) -> datetime | None:
    """Parse an upstream time into an aware datetime in China time, or ``None`` (also for a
    time outside :func:`sane`'s range).

    Naive times are China time; times with an offset are converted.

    >>> parse_time("2022-02-24 22:20:26")
    datetime.datetime(2022, 2, 24, 22, 20, 26, tzinfo=datetime.timezone(datetime.timedelta(seconds=28800), 'Asia/Shanghai'))
    >>> format_post_date(parse_time("2026-08-20T01:30:05Z"))
    '2026-08-20 09:30:05 +0800'
    >>> format_post_date(parse_time("2026年08月19日 17:46"))
    '2026-08-19 17:46:00 +0800'
    >>> format_post_date(parse_time(1645712426))
    '2022-02-24 22:20:26 +0800'
    >>> parse_time("") is None, parse_time("not a date") is None, parse_time(None) is None
    (True, True, True)
    >>> parse_time("2022 " + "1." * 40) is None
    True
    >>> parse_time("0001-01-01T00:00:00+09:00"), parse_time("0099-02-24 10:00:00"), parse_time(10**400)
    (None, None, None)
    """
    try:
        return sane(_parse_time(value))
    except (ValueError, OverflowError, ArithmeticError):
        return None


def _parse_time(value: object) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    match = _MS_DATE.fullmatch(text)
    if match:
        return _from_epoch(int(match.group(1)))
    if text.isdigit() and len(text) in (10, 13):
        return _from_epoch(int(text))
    try:  # the usual "2022-02-24 22:20:26" (and ISO 8601): no need for dateutil's guessing
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed.replace(tzinfo=CHINA) if parsed.tzinfo is None else parsed.astimezone(CHINA)
    text = _CJK_DATE.sub(r"\1-\2-\3 ", text)
    if len(text) > _LONGEST_DATE:
        return None
    if not _YEAR.search(text):  # dateutil fills a bare "5" in from today; that is no date
        return None
    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=CHINA)
    return parsed.astimezone(CHINA)


def _from_epoch(number: float) -> datetime | None:
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, CHINA)
    except (OverflowError, OSError, ValueError):
        return None


def date_from_code(code: str) -> datetime | None:
    """Midnight China time of the date an article id starts with, the last-resort date.

    >>> format_post_date(date_from_code("NW202202242288329527"))
    '2022-02-24 00:00:00 +0800'
    >>> date_from_code("NW209913992288329527") is None, date_from_code("NW009902242288329527")
    (True, None)
    """
    digits = code[2:] if code[:2].upper() == "NW" else code
    try:
        return sane(datetime.strptime(digits[:8], "%Y%m%d").replace(tzinfo=CHINA))
    except ValueError:
        return None


def format_post_date(moment: datetime) -> str:
    """The post contract's ``YYYY-MM-DD HH:MM:SS +0800``."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S %z")
