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
