"""Whether a run did its job, judged from its stats alone, as sysexits exit statuses.

Each check is a pure function of the stats (a mapping as ``crawler.stats.get_stats()`` returns)
that returns a :class:`Finding` or ``None``. The spidermon monitors in :mod:`newsbot.monitors`
run them, and the run's verdict is the first failure in :func:`judge`'s order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from newsbot import stats

# sysexits.h, as cron wrappers, systemd and CI read them
EX_OK = 0
EX_NOINPUT = 64  # EX_USAGE: no valid input at all
EX_DATAERR = 65  # upstream answered, but not with anything newsbot can read
EX_UNAVAILABLE = 69  # upstream did not answer
EX_SOFTWARE = 70  # no verdict: the run was stopped before its end, or a monitor failed to run
EX_CANTCREAT = 73  # the output tree cannot be written (found before starting)
EX_IOERR = 74  # a post, category page or rotation failed to write during the run
EX_TEMPFAIL = 75  # another run holds the output tree

# Reasons of upstream answers that arrived but could not be read (parse.UpstreamError's); any
# other failure of a request is a transport failure (a status, a timeout, a refused connection).
UNREADABLE = frozenset(
    {"empty", "not_json", "truncated_json", "too_deep", "not_object", "no_text", "no_list",
     "error_shell", "unreadable"}
)  # fmt: skip
DROPPED = "item_dropped_reasons_count/"
WRITE_FAILURES = (
    stats.POSTS_FAILED, stats.CATEGORIES_FAILED, stats.ROTATE_FAILED, stats.INDEX_FAILED, stats.REPORT_FAILED
)  # fmt: skip
SPIDER_EXCEPTIONS = "spider_exceptions/"


@dataclass(frozen=True)
class Finding:
    """One reason the run failed: its exit status and a short reason for the summary line."""

    exit_code: int
    reason: str


Stats = Mapping[str, object]


def count(values: Stats, key: str) -> int:
    value = values.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def counts_under(values: Stats, prefix: str) -> dict[str, int]:
    """The counts whose keys start with ``prefix``, by the rest of the key, sorted."""
    return {k.removeprefix(prefix): count(values, k) for k in sorted(values) if k.startswith(prefix)}


def _detail(parts: Mapping[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0])))


def no_valid_input(values: Stats) -> Finding | None:
    """Nothing to work on: no input was valid (share), no listing URL could be made, no old file
    was found (migrate).

    >>> no_valid_input({"newsbot/input/invalid": 2})
    Finding(exit_code=64, reason='no valid input (2 invalid)')
    >>> no_valid_input({"newsbot/input/accepted": 1, "newsbot/input/invalid": 2}) is None
    True
    """
    if count(values, stats.INPUT_ACCEPTED):
        return None
    invalid = count(values, stats.INPUT_INVALID)
    return Finding(EX_NOINPUT, f"no valid input ({invalid} invalid)" if invalid else "no input")


def tree_not_written(values: Stats) -> Finding | None:
    """A write into the output tree failed (a full disk, a permission, a read-only mount).

    >>> tree_not_written({"newsbot/posts/failed": 1})
    Finding(exit_code=74, reason='the tree could not be written (posts/failed=1)')
    """
    failed = {
        key.removeprefix(f"{stats.PREFIX}/"): count(values, key)
        for key in WRITE_FAILURES
        if count(values, key)
    }
    if not failed:
        return None
    return Finding(EX_IOERR, f"the tree could not be written ({_detail(failed)})")


def listing_failed(values: Stats) -> Finding | None:
    """Every listing page failed, or those that answered named no article.

    >>> listing_failed({"newsbot/listing/requested": 2, "newsbot/listing_error/http_503": 2})
    Finding(exit_code=69, reason='every listing page failed (http_503=2)')
    >>> listing_failed({"newsbot/listing/requested": 1, "newsbot/listing_error/error_shell": 1})
    Finding(exit_code=65, reason='no listing page could be read (error_shell=1)')
    >>> listing_failed({"newsbot/listing/requested": 1, "newsbot/listing/pages": 1})
    Finding(exit_code=65, reason='the listing named no article on any page')
    """
    if not count(values, stats.LISTING_REQUESTED):
        return None
    errors = counts_under(values, stats.listing_error(""))
    if count(values, stats.LISTING_PAGES):
        if count(values, stats.LISTING_ENTRIES) or counts_under(values, stats.listing_skipped("")):
            return None  # it listed articles, or entries known not to be news (caifuhao)
        bad = count(values, stats.LISTING_BAD_ENTRY)
        return Finding(
            EX_DATAERR,
            f"no listing entry could be read ({bad} unreadable)"
            if bad
            else "the listing named no article on any page",
        )
    if not errors:  # no page finished (a shutdown before the first answer)
        return None
    unreadable = sum(v for k, v in errors.items() if k in UNREADABLE)
    if unreadable * 2 > sum(errors.values()):
        return Finding(EX_DATAERR, f"no listing page could be read ({_detail(errors)})")
    return Finding(EX_UNAVAILABLE, f"every listing page failed ({_detail(errors)})")


def articles_failed(values: Stats, max_fraction: float = 0.5) -> Finding | None:
    """More than ``max_fraction`` of the articles that reached an end failed: upstream did not
    answer (69), or answered what cannot be read or published (65), whichever failed more.

    >>> articles_failed({"newsbot/posts/new": 1, "newsbot/upstream_error/timeout": 2})
    Finding(exit_code=69, reason='2 of 3 articles failed (timeout=2)')
    >>> articles_failed({"newsbot/posts/new": 2, "item_dropped_reasons_count/EmptyBody": 1}) is None
    True
    """
    if stats.MIGRATE_FILES in values:
        return _old_files_failed(values, max_fraction)
    upstream = counts_under(values, stats.upstream_error(""))
    unreadable = {k: v for k, v in upstream.items() if k in UNREADABLE}
    unreadable.update(counts_under(values, DROPPED))
    unreadable.update(counts_under(values, stats.item_error("")))
    unreadable.update(counts_under(values, SPIDER_EXCEPTIONS))
    unreadable.pop("count", None)  # spider_exceptions/count repeats its breakdown
    unavailable = {k: v for k, v in upstream.items() if k not in UNREADABLE}
    failed = sum(unreadable.values()) + sum(unavailable.values())
    done = failed + sum(
        count(values, key)
        for key in (stats.POSTS_NEW, stats.POSTS_UPDATED, stats.POSTS_UNCHANGED, stats.FILES_COPIED)
    )
    if not failed or failed <= max_fraction * done:
        return None
    detail = _detail({**unreadable, **unavailable})
    code = EX_UNAVAILABLE if sum(unavailable.values()) >= sum(unreadable.values()) else EX_DATAERR
    return Finding(code, f"{failed} of {done} articles failed ({detail})")


def _old_files_failed(values: Stats, max_fraction: float) -> Finding | None:
    """migrate is judged by its files (each has one outcome in the report): more than
    ``max_fraction`` of them failed or were duplicates.

    >>> _old_files_failed({"newsbot/migrate/files": 2, "newsbot/migrate/failed": 2,
    ...     "newsbot/migrate/failed/symlink": 1, "newsbot/migrate/failed/undecodable": 1}, 0.5)
    Finding(exit_code=65, reason='2 of 2 old files failed (symlink=1 undecodable=1)')
    """
    outcomes = counts_under(values, stats.migrate_outcome(""))
    reasons = counts_under(values, stats.migrate_failed(""))
    if outcomes.get("duplicate"):
        reasons["duplicate"] = outcomes["duplicate"]
    failed = outcomes.get("failed", 0) + outcomes.get("duplicate", 0)
    done = sum(v for k, v in outcomes.items() if "/" not in k and k not in ("files", "report_failed"))
    if not failed or failed <= max_fraction * done:
        return None
    return Finding(EX_DATAERR, f"{failed} of {done} old files failed ({_detail(reasons)})")


def judge(values: Stats, max_fraction: float = 0.5) -> list[Finding]:
    """Every check's failure, in the order the verdict names them (the first wins).

    >>> judge({"newsbot/input/accepted": 1, "newsbot/posts/new": 1})
    []
    """
    checks: tuple[Callable[[Stats], Finding | None], ...] = (
        no_valid_input,
        tree_not_written,
        listing_failed,
        lambda v: articles_failed(v, max_fraction),
    )
    return [finding for check in checks if (finding := check(values)) is not None]


def verdict(findings: list[Finding]) -> Finding:
    """The run's verdict from its checks' findings, in :func:`judge`'s order: the first failure.

    >>> verdict([])
    Finding(exit_code=0, reason='ok')
    >>> verdict([Finding(65, "a"), Finding(69, "b")]).exit_code
    65
    """
    return findings[0] if findings else Finding(EX_OK, "ok")


def verdict_text(finding: Finding) -> str:
    """``ok`` or ``failed (REASON)``, as the summary line shows it."""
    return "ok" if finding.exit_code == EX_OK else f"failed ({finding.reason})"
