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
from newsbot.oldposts import (
    OldFile,
    OldFileError,
    OldPost,
    claim_of,
    duplicates,
    find_old_files,
    load_old_post,
)
from newsbot.parse import ArticleFields
from newsbot.signals import old_file_failed
from newsbot.slugs import slugify, source_slug
from newsbot.spiders.base import ArticleSpider

logger = logging.getLogger(__name__)


class MigrateSpider(ArticleSpider):
    """``-a src=PATH`` (a site root or a posts folder; read only), ``-a report=FILE`` (JSON lines)."""

    name = "migrate"
    rotates = True  # old posts land in old_post/, as on the old site

    def __init__(self, src: str = "", report: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.src = Path(src) if src else None
        self.report_path = report
        self.sources: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MigrateSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.slugs = crawler.settings.getdict("NEWSBOT_SLUGS")
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if self.arguments_refused():
            return
        if self.src is None or not self.src.is_dir():
            self.crawler.stats.inc_value(stats.INPUT_INVALID)
            if self.src is None:
                logger.error("nothing to migrate: give -a src=PATH (an old site or posts folder)")
            else:
                logger.error("nothing to migrate: -a src=%s is not a folder", self.src)
            return
        src = self.src.resolve()
        files = find_old_files(src)
        claims = {old.path: claim for old in files if (claim := claim_of(old, src))}
        shared = duplicates(claims)
        self.sources = [str(old.path) for old in files]  # each gets a line, should the run end
        self.crawler.stats.set_value(stats.MIGRATE_FILES, len(files))
        self.crawler.stats.set_value(stats.INPUT_ACCEPTED, len(files))
        if not files:
            logger.error("nothing to migrate: no *.md file in %s", self.src)
        for old in files:
            if old.problem:
                self._failed(old.path, old.problem, old.detail)
                continue
            if old.path in shared:
                others = ", ".join(str(other) for other in shared[old.path])
                self._failed(
                    old.path,
                    "duplicate",
                    f"{claims[old.path]} is also claimed by {others}; none of them is written",
                    outcome="duplicate",
                )
                continue
            try:
                item = self._item(old, src, claims.get(old.path))
            except OldFileError as exc:
                self._failed(old.path, exc.reason, exc.detail)
                continue
            except Exception as exc:  # whatever a file does, it costs that file only
                self._failed(old.path, "error", f"{type(exc).__name__}: {exc}", exc_info=True)
                continue
            yield item

    def _item(self, old: OldFile, src: Path, claim: str | None) -> Any:
        loaded = load_old_post(old, src)
        if loaded.claim != claim:
            raise OldFileError("changed", "the file changed while the migration ran")
        if loaded.encoding != "utf-8":
            logger.info("%s: decoded from %s", old.path, loaded.encoding)
        post = loaded.post
        if post.code is None:  # the site's own announcement: copied as it is, where it was
            return VerbatimFile(
                relpath=old.kept_as, content=loaded.content, origin=str(old.path), outcome="kept"
            )
        extra = {"origin": str(old.path), "slug": self.slug_for(post)}
        missing = post.missing()
        if missing:
            logger.info(
                "%s: %s has no %s; fetching it again", post.code, old.path, ", ".join(missing)
            )
            known = ArticleFields(post.title, post.time, post.source, post.body)
            return self.text_request(ArticleRef(post.code), known, {**extra, "outcome": "refetched"})
        return Article(
            code=post.code,
            title=post.title,
            date=post.time,
            source=post.source,
            body=post.body,
            url=str(old.path),
            outcome="migrated",
            **extra,
        )

    def _failed(
        self, path: Path, reason: str, detail: str, outcome: str = "failed", exc_info: bool = False
    ) -> None:
        logger.warning(
            "%s: not migrated (%s%s)",
            path,
            reason,
            f": {detail}" if detail else "",
            exc_info=exc_info,
        )
        self.crawler.signals.send_catch_log(
            signal=old_file_failed,
            origin=str(path),
            outcome=outcome,
            reason=f"{reason}: {detail}" if detail else reason,
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
