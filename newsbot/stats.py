"""Every crawl-stats key newsbot writes, in one place (all under ``newsbot/``)."""

from __future__ import annotations

PREFIX = "newsbot"

INPUT_ACCEPTED = f"{PREFIX}/input/accepted"
INPUT_INVALID = f"{PREFIX}/input/invalid"
INPUT_DUPLICATE = f"{PREFIX}/input/duplicate"

LISTING_REQUESTED = f"{PREFIX}/listing/requested"  # listing pages asked for
LISTING_PAGES = f"{PREFIX}/listing/pages"
LISTING_ENTRIES = f"{PREFIX}/listing/entries"
LISTING_UNCHANGED = f"{PREFIX}/listing/unchanged"
LISTING_BAD_ENTRY = f"{PREFIX}/listing/bad_entry"

MIGRATE_FILES = f"{PREFIX}/migrate/files"
REPORT_FAILED = f"{PREFIX}/migrate/report_failed"  # the -a report=FILE could not be written

TEXT_FETCHED = f"{PREFIX}/text/fetched"
ARTICLE_PAGE_FETCHED = f"{PREFIX}/article_page/fetched"
ARTICLE_PAGE_FAILED = f"{PREFIX}/article_page/failed"

POSTS_NEW = f"{PREFIX}/posts/new"
POSTS_UPDATED = f"{PREFIX}/posts/updated"
POSTS_UNCHANGED = f"{PREFIX}/posts/unchanged"
POSTS_MOVED = f"{PREFIX}/posts/moved"
FILES_COPIED = f"{PREFIX}/files/copied"
POSTS_DUPLICATE_REMOVED = f"{PREFIX}/posts/duplicate_removed"
POSTS_ROTATED = f"{PREFIX}/posts/rotated"
POSTS_FAILED = f"{PREFIX}/posts/failed"  # a post that could not be written (OSError)
ROTATE_FAILED = f"{PREFIX}/posts/rotate_failed"
INDEX_FAILED = f"{PREFIX}/index/failed"  # .newsbot/index.json not saved
CATEGORIES_WRITTEN = f"{PREFIX}/categories/written"
CATEGORIES_UNCHANGED = f"{PREFIX}/categories/unchanged"
CATEGORIES_FAILED = f"{PREFIX}/categories/failed"
SOURCE_DEFAULTED = f"{PREFIX}/source/defaulted"
DATE_FROM_CODE = f"{PREFIX}/date/from_code"
DATE_KEPT = f"{PREFIX}/date/kept"  # a fallback date not written over the post's real one
SOURCE_KEPT = f"{PREFIX}/source/kept"
# The run's verdict (newsbot.verdict): its exit status and reason, set by the monitors.
VERDICT_EXIT_CODE = f"{PREFIX}/verdict/exit_code"
VERDICT_REASON = f"{PREFIX}/verdict/reason"
SUCCESS = f"{PREFIX}/verdict/success"  # 1 or 0


def upstream_error(reason: str) -> str:
    """The key counting upstream answers that failed for ``reason`` (``http_500``, ``not_json``...)."""
    return f"{PREFIX}/upstream_error/{reason}"


def cleaned(kind: str) -> str:
    """The key counting what the cleaner removed, by kind (``kchart``, ``hidden``, ``ad``...)."""
    return f"{PREFIX}/clean/{kind}"


def listing_error(reason: str) -> str:
    """The key counting listing pages that failed for ``reason``."""
    return f"{PREFIX}/listing_error/{reason}"


def listing_skipped(reason: str) -> str:
    """The key counting listing entries that are no article to fetch, by ``reason``
    (``caifuhao``, ``not_article``): skipped before any request."""
    return f"{PREFIX}/listing/skipped/{reason}"


def migrate_outcome(outcome: str) -> str:
    """The key counting old files by outcome (``migrated``, ``refetched``, ``kept``, ``failed``,
    ``duplicate``)."""
    return f"{PREFIX}/migrate/{outcome}"


def migrate_failed(reason: str) -> str:
    """The key counting old files that failed for ``reason`` (``symlink``, ``undecodable``...)."""
    return f"{PREFIX}/migrate/failed/{reason}"


def item_error(exception: str) -> str:
    """The key counting items an item pipeline raised ``exception`` on (a bug: the item is lost)."""
    return f"{PREFIX}/item_error/{exception}"
