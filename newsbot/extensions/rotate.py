"""Moves posts older than ``NEWSBOT_KEEP_DAYS`` to ``old_post/`` at the end of a rotating spider's run."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsbot import stats
from newsbot.dates import CHINA
from newsbot.tree import SiteTree

logger = logging.getLogger(__name__)


class RotateOldPosts:
    """Keeps ``_posts/`` to the last N days (China time) so the site build stays fast.

    Only spiders with ``rotates = True`` (``listing``) rotate; a one-off ``share`` run does not.
    """

    def __init__(self, crawler: Crawler, tree: SiteTree, keep_days: int):
        self.crawler = crawler
        self.tree = tree
        self.keep_days = keep_days

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RotateOldPosts:
        keep_days = crawler.settings.getint("NEWSBOT_KEEP_DAYS")
        if keep_days <= 0:
            raise NotConfigured("NEWSBOT_KEEP_DAYS is 0: posts are never rotated")
        tree = SiteTree(Path(crawler.settings.get("NEWSBOT_OUTPUT_DIR")))
        extension = cls(crawler, tree, keep_days)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not getattr(spider, "rotates", False):
            return
        cutoff = datetime.now(CHINA).date() - timedelta(days=self.keep_days)
        try:
            moves = self.tree.rotate(cutoff)
        except OSError as exc:  # the posts stay where they are, for the next run; exit 74
            self.crawler.stats.inc_value(stats.ROTATE_FAILED)
            logger.error("old posts not rotated to old_post/: %s", exc)
            return
        self.crawler.stats.inc_value(stats.POSTS_ROTATED, len(moves), start=0)
        for source, target in moves:
            logger.info("rotated %s -> %s", source, target)
