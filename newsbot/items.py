"""The item every spider yields: one article, one post."""

from __future__ import annotations

import scrapy

from newsbot.dates import format_post_date


class Article(scrapy.Item):
    """An article on its way to becoming a post.

    Spiders fill ``code`` and what upstream said (``title``, ``date``, ``source``, ``body``,
    ``summary``); the pipelines add ``slug`` and ``stocks`` and clean ``body``.
    """

    code = scrapy.Field()
    title = scrapy.Field()
    date = scrapy.Field(serializer=format_post_date)
    source = scrapy.Field()
    slug = scrapy.Field()
    body = scrapy.Field()
    stocks = scrapy.Field(serializer=list)
    summary = scrapy.Field()
    url = scrapy.Field()  # the answer it was read from, for logs
    listing_hash = scrapy.Field()  # listing: its title and time as listed (see spiders.listing)
    origin = scrapy.Field()  # migrate: the old file it came from
    outcome = scrapy.Field()  # migrate: "migrated" or "refetched"
    path = scrapy.Field()  # set by the writer: the post file written
    fallbacks = scrapy.Field()  # set by normalize: fields only a last resort filled ("date"...)


class VerbatimFile(scrapy.Item):
    """A file copied into the tree as it is (an old site's own announcements, which have no code)."""

    relpath = scrapy.Field()  # where in the output tree, e.g. "_posts/2021-12-01-init.md"
    content = scrapy.Field()  # bytes
    origin = scrapy.Field()
    outcome = scrapy.Field()
    path = scrapy.Field()
