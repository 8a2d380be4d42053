"""Scrapy extensions: run-level bookkeeping (stats file)."""
