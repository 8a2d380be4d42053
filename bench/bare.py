"""The floor: a bare Scrapy spider that only fetches the N text answers and yields nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base: str = "", codes_file: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.base = base
        self.codes_file = codes_file

    async def start(self) -> AsyncIterator[Any]:
        with open(self.codes_file, encoding="utf-8") as handle:
            for line in handle:
                code = line.strip()
                yield scrapy.Request(
                    f"{self.base}/NewsData/GetNewsText.do?id={code}", callback=self.parse
                )

    def parse(self, response: scrapy.http.Response) -> None:
        return None
