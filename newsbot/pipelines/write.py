"""Writes each article as a post file through ``PostExporter``, atomically, and the category pages."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsbot import stats
from newsbot.dates import CHINA, parse_time
from newsbot.exceptions import PostNotWritten
from newsbot.exporters import PostExporter
from newsbot.fileio import remove_stale_temps, same_bytes, write_atomic, write_if_changed
from newsbot.frontmatter import FrontMatterError, split_front_matter
from newsbot.index import RECORD_DIR, TreeIndex
from newsbot.items import VerbatimFile
from newsbot.posts import post_filename, render_category, source_from_tag, tag_for
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
        self.index: TreeIndex | None = None
        self.written: dict[str, PostRecord] = {}  # this run's posts, by code

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
        for folder in (self.tree.categories, self.tree.root / RECORD_DIR):  # small; posts': journal
            removed = remove_stale_temps(folder)
            if removed:
                logger.warning("removed %d temp file(s) a killed run left in %s", removed, folder)
        self.tree.posts.mkdir(parents=True, exist_ok=True)
        # reads only the record (and, once, every post of a tree that has none)
        self.index = TreeIndex.open(self.tree, writer=True)
        if self.index.dirty:  # rebuilt or repaired: saved at once, for the spider opening next
            self._save_index()
        if self.index.duplicates_removed:
            self.crawler.stats.inc_value(stats.POSTS_DUPLICATE_REMOVED, self.index.duplicates_removed)

    def _existing(self, code: str) -> PostRecord | None:
        assert self.index is not None
        if code in self.written:
            return self.written[code]
        removed = self.index.duplicates_removed
        record = self.index.resolve(code)
        if self.index.duplicates_removed > removed:
            self.crawler.stats.inc_value(stats.POSTS_DUPLICATE_REMOVED, self.index.duplicates_removed - removed)
        return record

    def process_item(self, item: Any) -> Any:
        if isinstance(item, VerbatimFile):
            return self._copy(item)
        adapter = ItemAdapter(item)
        code = adapter["code"]
        record = self._existing(code)
        if record is not None and adapter.get("fallbacks"):
            try:
                self._keep_what_the_post_has(adapter, record)
            except Exception as exc:  # noqa: BLE001 (a post edited by hand: the fallback stands)
                logger.warning("%s: could not read what %s holds (%r)", code, record.path, exc)
        target = self._target(record, code, adapter["date"])
        if record and record.listing_hash and not adapter.get("listing_hash"):
            # another spider rewrote it: what the listing last showed is still what it shows
            adapter["listing_hash"] = record.listing_hash
        buffer = io.BytesIO()
        exporter = PostExporter(buffer, **self.exporter_options)
        exporter.start_exporting()
        exporter.export_item(item)
        exporter.finish_exporting()
        data = buffer.getvalue()
        previous = record.path if record else None
        slug, tag = adapter["slug"], tag_for(adapter["source"])
        assert self.index is not None
        try:
            written = previous != target or not same_bytes(target, data)
            if written:
                self.index.will_write(code, target.name, record)
                write_atomic(target, data, fsync=self.fsync)
                if previous is not None and previous != target:
                    previous.unlink(missing_ok=True)
                self.index.wrote(code, target.name, record, slug, tag)
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
        self.written[code] = PostRecord(
            code, target, slug=slug, tag=tag, listing_hash=adapter.get("listing_hash") or ""
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
            moment = shown if isinstance(shown, datetime) else parse_time(str(shown or ""))
            if moment is not None and moment.tzinfo is None:  # PyYAML reads no offset as UTC;
                moment = moment.replace(tzinfo=CHINA)  # the site means China time
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
        assert self.index is not None
        target = self.tree.inside(self.tree.root / item["relpath"])
        item["path"] = str(target)
        if same_bytes(target, item["content"]):
            return item
        was = read_record(target) if target.is_file() else None
        self.index.will_write(item["relpath"], target.name, was)
        write_atomic(target, item["content"], fsync=self.fsync)
        now = read_record(target)
        self.index.wrote(item["relpath"], target.name, was, now.slug, now.tag)
        self.crawler.stats.inc_value(stats.FILES_COPIED)
        return item

    def _target(self, record: PostRecord | None, code: str, date: Any) -> Path:
        # An article already rotated to old_post/ is updated there, never copied back.
        folder = record.path.parent if record is not None else self.tree.posts
        return self.tree.inside(folder / post_filename(code, date))

    def close_spider(self) -> None:
        """The category page of every slug this run changed, rewritten only on change; then the
        record is saved, which ends the run's journal."""
        if self.index is None:
            return
        for slug, title in self.index.titles().items():
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
        self._save_index()

    def _save_index(self) -> None:
        assert self.index is not None
        try:
            self.index.save()
        except OSError as exc:  # the posts are written; the next run repairs from its journal
            self.crawler.stats.inc_value(stats.INDEX_FAILED)
            logger.error("%s not saved: %s", self.index.record_path, exc.strerror or exc)
