"""``scrapy crawl share``: posts for share links, codes, ids or article URLs given by hand."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from newsbot import stats
from newsbot.codes import InvalidInput, parse_input, read_inputs
from newsbot.spiders.base import ArticleSpider

logger = logging.getLogger(__name__)


class ShareSpider(ArticleSpider):
    """``-a urls=LINK,...``, ``-a codes=CODE,...`` and/or ``-a file=PATH`` (one a line, # comments)."""

    name = "share"

    def __init__(self, urls: str = "", codes: str = "", file: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.inputs = read_inputs(urls) + read_inputs(codes)
        self.input_file = file

    async def start(self) -> AsyncIterator[Any]:
        if self.arguments_refused():
            return
        inputs = list(self.inputs)
        if self.input_file:
            try:
                inputs += read_inputs(Path(self.input_file).read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError) as exc:
                self.crawler.stats.inc_value(stats.INPUT_INVALID)
                logger.error("cannot read -a file=%s: %s", self.input_file, exc)
        if not inputs:
            logger.error("nothing to crawl: give -a urls=..., -a codes=... or -a file=...")
        seen: set[str] = set()
        for value in inputs:
            try:
                ref = parse_input(value)
            except (InvalidInput, ValueError) as exc:  # a malformed URL: this input only
                self.crawler.stats.inc_value(stats.INPUT_INVALID)
                logger.error("skipped input %r: %s", value, exc)
                continue
            if ref.code in seen:
                self.crawler.stats.inc_value(stats.INPUT_DUPLICATE)
                continue
            seen.add(ref.code)
            self.crawler.stats.inc_value(stats.INPUT_ACCEPTED)
            yield self.text_request(ref)
