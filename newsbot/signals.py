"""newsbot's own signals (sent through ``crawler.signals``)."""

#: An article was given up on before it became an item (upstream answer unusable).
#: Arguments: ``code``, ``reason``, ``extra`` (the item fields the request carried, e.g. ``origin``).
article_failed = object()
