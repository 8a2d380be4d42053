"""Writes each article as a post file through ``PostExporter``, atomically, and the category pages."""

from __future__ import annotations

import io
import logging
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsbot import stats
from newsbot.dates import parse_time
from newsbot.exceptions import PostNotWritten
from newsbot.exporters import PostExporter
from newsbot.fileio import remove_stale_temps, write_if_changed
from newsbot.frontmatter import FrontMatterError, split_front_matter
from newsbot.items import VerbatimFile
from newsbot.posts import POSTS_DIR, post_filename, render_category, source_from_tag, tag_for
from newsbot.slugs import is_slug
from newsbot.tree import PostRecord, SiteTree, read_record

logger = logging.getLogger(__name__)


class PostWriterPipeline:
    """One post file per article under ``NEWSBOT_OUTPUT_DIR``; unchanged files are left alone.

    A post already in ``old_post/`` is updated there; a post whose date changed is moved.
    """

    def __init__(
        self, crawler: Crawler, tree: SiteTree, exporter_options: dict[str, Any], fsync: bool
    ):
        self.crawler = crawler
        self.tree = tree
        self.exporter_options = exporter_options
        self.fsync = fsync
        self.records: dict[str, PostRecord] = {}
        self.uncoded: list[PostRecord] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PostWriterPipeline:
        settings = crawler.settings
        output = settings.get("NEWSBOT_OUTPUT_DIR")
        if not output:
            raise NotConfigured("NEWSBOT_OUTPUT_DIR is empty: no posts are written")
        options = {
            "share_url": settings.get("NEWSBOT_SHARE_URL"),
            "site_url": settings.get("NEWSBOT_SITE_URL"),
            "fields_to_export": settings.getlist("NEWSBOT_POST_FIELDS") or None,
        }
        return cls(crawler, SiteTree(Path(output)), options, settings.getbool("NEWSBOT_FSYNC"))

    def open_spider(self) -> None:
        for folder in (self.tree.posts, self.tree.old_posts, self.tree.categories):
            removed = remove_stale_temps(folder)
            if removed:
                logger.warning("removed %d temp file(s) a killed run left in %s", removed, folder)
        self.tree.posts.mkdir(parents=True, exist_ok=True)
        records = list(self.tree.records())
        self.records = self._one_file_per_code(records)
        self.uncoded = [
            record for record in records if not record.code
        ]  # only their categories count

    def _one_file_per_code(self, records: list[PostRecord]) -> dict[str, PostRecord]:
        # A run killed between writing a moved post and unlinking its old name leaves two files
        # for one article: the newer one is the truth, the other goes.
        by_code: defaultdict[str, list[PostRecord]] = defaultdict(list)
        for record in records:
            if record.code:
                by_code[record.code].append(record)
        kept: dict[str, PostRecord] = {}
        for code, group in by_code.items():
            if len(group) == 1:
                kept[code] = group[0]
                continue
            # newest wins; on a tie (a fresh checkout sets every mtime) the one in _posts/
            kept[code] = max(
                group, key=lambda r: (r.path.stat().st_mtime_ns, r.path.parent.name == POSTS_DIR)
            )
            for stale in group:
                if stale is not kept[code]:
                    stale.path.unlink(missing_ok=True)
                    self.crawler.stats.inc_value(stats.POSTS_DUPLICATE_REMOVED)
                    logger.warning(
                        "%s: removed %s, an older copy of %s", code, stale.path, kept[code].path
                    )
        return kept

    def process_item(self, item: Any) -> Any:
        if isinstance(item, VerbatimFile):
            return self._copy(item)
        adapter = ItemAdapter(item)
        code = adapter["code"]
        record = self.records.get(code)
        if record is not None and adapter.get("fallbacks"):
            self._keep_what_the_post_has(adapter, record)
        target = self._target(code, adapter["date"])
        if record and record.listing_hash and not adapter.get("listing_hash"):
            # another spider rewrote it: what the listing last showed is still what it shows
            adapter["listing_hash"] = record.listing_hash
        buffer = io.BytesIO()
        exporter = PostExporter(buffer, **self.exporter_options)
        exporter.start_exporting()
        exporter.export_item(item)
        exporter.finish_exporting()
        previous = record.path if record else None
        try:
            written = write_if_changed(
                target, buffer.getvalue(), fsync=self.fsync, new=previous is None
            )
            if previous is not None and previous != target:
                previous.unlink(missing_ok=True)
        except OSError as exc:  # a full disk, a read-only mount: this post, counted; exit 74
            self.crawler.stats.inc_value(stats.POSTS_FAILED)
            logger.error("%s: post %s not written: %s", code, target, exc.strerror or exc)
            raise PostNotWritten(code, str(target), exc.strerror or str(exc)) from None
        if previous is not None and previous != target:
            self.crawler.stats.inc_value(stats.POSTS_MOVED)
            logger.info("%s: moved %s -> %s", code, previous, target)
        if previous is None:
            self.crawler.stats.inc_value(stats.POSTS_NEW)
            logger.info("%s: new post %s", code, target)
        elif written:
            self.crawler.stats.inc_value(stats.POSTS_UPDATED)
            logger.info("%s: updated %s", code, target)
        else:
            self.crawler.stats.inc_value(stats.POSTS_UNCHANGED)
        adapter["path"] = str(target)
        self.records[code] = PostRecord(
            code,
            target,
            slug=adapter["slug"],
            tag=tag_for(adapter["source"]),
            listing_hash=adapter.get("listing_hash") or "",
        )
        return item

    def _keep_what_the_post_has(self, adapter: ItemAdapter, record: PostRecord) -> None:
        """A post is only ever improved: a date from the code or the default source (the last
        resorts) never replaces the real one the post already shows."""
        try:
            front, _ = split_front_matter(record.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, FrontMatterError):
            return  # nothing readable to keep: the fallback stands
        code = adapter["code"]
        if "date" in adapter["fallbacks"]:
            shown = front.get("date")
            moment = shown if isinstance(shown, datetime) else parse_time(shown)
            if moment is not None:
                adapter["date"] = moment
                self.crawler.stats.inc_value(stats.DATE_KEPT)
                logger.info("%s: no time upstream; kept the post's %s", code, shown)
        tag, slug = front.get("tags"), front.get("categories")
        source = source_from_tag(tag) if isinstance(tag, str) else None
        if "source" in adapter["fallbacks"] and source and isinstance(slug, str) and is_slug(slug):
            adapter["source"], adapter["slug"] = source, slug
            self.crawler.stats.inc_value(stats.SOURCE_KEPT)
            logger.info("%s: no source upstream; kept the post's %s", code, tag)

    def _copy(self, item: VerbatimFile) -> VerbatimFile:
        target = self.tree.inside(self.tree.root / item["relpath"])
        if write_if_changed(target, item["content"], fsync=self.fsync):
            self.crawler.stats.inc_value(stats.FILES_COPIED)
        item["path"] = str(target)
        self.uncoded.append(read_record(target))
        return item

    def _target(self, code: str, date: Any) -> Path:
        record = self.records.get(code)
        # An article already rotated to old_post/ is updated there, never copied back.
        folder = record.path.parent if record is not None else self.tree.posts
        return self.tree.inside(folder / post_filename(code, date))

    def close_spider(self) -> None:
        """A category page for every slug in ``_posts/`` or ``old_post/``, rewritten only on change."""
        tags: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for record in [*self.records.values(), *self.uncoded]:
            if is_slug(record.slug) and record.tag:
                tags[record.slug][record.tag] += 1
        for slug, names in sorted(tags.items()):
            # The title most posts of this slug carry; ties go to the first in sort order.
            title = min(names, key=lambda name: (-names[name], name))
            try:  # one page that cannot be written costs that page, not the ones after it
                page = self.tree.category_page(slug)
                written = write_if_changed(
                    page, render_category(slug, title).encode("utf-8"), fsync=self.fsync
                )
            except (OSError, ValueError) as exc:
                self.crawler.stats.inc_value(stats.CATEGORIES_FAILED)
                logger.error("category page for %s (%s) not written: %s", slug, title, exc)
                continue
            if written:
                self.crawler.stats.inc_value(stats.CATEGORIES_WRITTEN)
                logger.info("category page %s (%s)", page, title)
            else:
                self.crawler.stats.inc_value(stats.CATEGORIES_UNCHANGED)
