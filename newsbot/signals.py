"""newsbot's own signals (sent through ``crawler.signals``)."""

#: An article was given up on before it became an item (upstream answer unusable).
#: Arguments: ``code``, ``reason``, ``extra`` (the item fields the request carried, e.g. ``origin``).
article_failed = object()

#: migrate: an old site's file was given up on before it became an item (a symlink, undecodable
#: bytes, a code another file claims...). Arguments: ``origin`` (its path), ``outcome``
#: (``failed`` or ``duplicate``), ``reason`` (``KIND`` or ``KIND: detail``).
old_file_failed = object()
