"""Why an item was dropped: one ``DropItem`` subclass per reason, so Scrapy counts each."""

from __future__ import annotations

from scrapy.exceptions import DropItem


class MissingFields(DropItem):
    """Title, date or body still missing after every fallback."""

    def __init__(self, code: str, missing: list[str]):
        super().__init__(f"{code}: missing {', '.join(missing)} after every fallback")
        self.code = code
        self.missing = missing


class EmptyBody(DropItem):
    """Nothing was left of the body once the junk was cleaned out."""

    def __init__(self, code: str):
        super().__init__(f"{code}: the body is empty once cleaned")
        self.code = code


class UnsafeField(DropItem):
    """A code or slug that would name a file outside the contract."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code


class BodyUnreadable(DropItem):
    """The body could not be read whole (nested past the parser's limit): publishing what was
    read would publish a truncated article."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: body not readable whole: {detail}")
        self.code = code


class BodyTooLarge(DropItem):
    """A body over ``NEWSBOT_MAX_BODY`` bytes: no article is that long, and cleaning it would
    hold the crawl (and a SIGTERM) for seconds."""

    def __init__(self, code: str, size: int, limit: int):
        super().__init__(f"{code}: body of {size} bytes is over NEWSBOT_MAX_BODY ({limit})")
        self.code = code


class PostNotWritten(DropItem):
    """The post's file could not be written (a full disk, a permission): the article is lost for
    this run, and the run fails with exit status 74."""

    def __init__(self, code: str, path: str, detail: str):
        super().__init__(f"{code}: {path} not written: {detail}")
        self.code = code
