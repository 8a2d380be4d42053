"""Scrapy commands of newsbot (``COMMANDS_MODULE``): ``crawl`` with a tree lock."""
