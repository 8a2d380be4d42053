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
