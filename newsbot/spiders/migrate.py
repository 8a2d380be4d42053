"""``scrapy crawl migrate -a src=PATH``: an old site's posts into the contract tree, nothing lost."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot import stats
from newsbot.codes import ArticleRef
from newsbot.items import Article, VerbatimFile
from newsbot.oldposts import OldPost, find_old_posts, read_old_post
from newsbot.parse import ArticleFields
from newsbot.posts import OLD_POSTS_DIR, POSTS_DIR
from newsbot.signals import article_failed
from newsbot.slugs import slugify, source_slug
from newsbot.spiders.base import ArticleSpider

logger = logging.getLogger(__name__)


class MigrateSpider(ArticleSpider):
    """``-a src=PATH`` (a site root or a posts folder; read only), ``-a report=FILE`` (JSON lines)."""

    name = "migrate"
    rotates = True  # old posts land in old_post/, as on the old site

    def __init__(self, src: str = "", report: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        if not src:
            raise ValueError("scrapy crawl migrate needs -a src=PATH (an old site or posts folder)")
        self.src = Path(src)
        self.report_path = report
        self.sources: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MigrateSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.slugs = crawler.settings.getdict("NEWSBOT_SLUGS")
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if not self.src.is_dir():
            logger.error("-a src=%s is not a folder", self.src)
            return
        for path in find_old_posts(self.src):
            self.sources.append(str(path))
            self.crawler.stats.inc_value(stats.MIGRATE_FILES)
            try:
                content = path.read_bytes()
                old = read_old_post(content.decode("utf-8"), path.name)
            except (OSError, UnicodeDecodeError) as exc:
                logger.error("%s: cannot read it: %s", path, exc)
                self.crawler.signals.send_catch_log(
                    signal=article_failed,
                    code="",
                    reason=f"unreadable: {exc}",
                    extra={"origin": str(path)},
                )
                continue
            if old.code is None:  # the site's own announcement: copied as it is, where it was
                kept_in = path.parent.name
                folder = kept_in if kept_in in (POSTS_DIR, OLD_POSTS_DIR) else POSTS_DIR
                yield VerbatimFile(
                    relpath=f"{folder}/{path.name}",
                    content=content,
                    origin=str(path),
                    outcome="kept",
                )
                continue
            extra = {"origin": str(path), "slug": self.slug_for(old)}
            missing = old.missing()
            if missing:
                logger.info(
                    "%s: %s has no %s; fetching it again", old.code, path, ", ".join(missing)
                )
                known = ArticleFields(old.title, old.time, old.source, old.body)
                yield self.text_request(
                    ArticleRef(old.code), known, {**extra, "outcome": "refetched"}
                )
                continue
            yield Article(
                code=old.code,
                title=old.title,
                date=old.time,
                source=old.source,
                body=old.body,
                url=str(path),
                outcome="migrated",
                **extra,
            )

    # A refetch that fails leaves the old post as it was: when only its date was missing, it is
    # still migrated (the normalize pipeline dates it from its code) rather than lost.

    def parse_text(
        self, response: Response, code: str, known: ArticleFields, extra: dict[str, Any]
    ) -> list[Any]:
        return super().parse_text(response, code, known, extra) or self._old_as_is(
            code, known, extra, response.url
        )

    def text_failed(self, failure: Failure) -> list[Any]:
        super().text_failed(failure)
        kwargs = failure.request.cb_kwargs
        return self._old_as_is(
            kwargs["code"], kwargs["known"], kwargs["extra"], failure.request.url
        )

    def _old_as_is(
        self, code: str, known: ArticleFields, extra: dict[str, Any], url: str
    ) -> list[Any]:
        if not (known.title and known.body):
            return []
        logger.warning("%s: refetch failed; migrating %s as it was", code, extra.get("origin"))
        return [self.article(code, known, url, {**extra, "outcome": "migrated"})]

    def slug_for(self, old: OldPost) -> str | None:
        """The old category, normalized (``TechWeb`` and ``Techweb`` meet), so old URLs keep working;
        ``NEWSBOT_SLUGS`` first; ``None`` lets the pipeline derive it from the source."""
        if old.source and source_slug(old.source, self.slugs) != slugify(old.source):
            return source_slug(old.source, self.slugs)
        return slugify(old.category) if old.category and slugify(old.category) else None
