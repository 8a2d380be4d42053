"""``PostExporter``: one article item as one Jekyll post, through Scrapy's exporter API."""

from __future__ import annotations

from typing import IO, Any

from scrapy.exporters import BaseItemExporter

from newsbot.posts import render_post

__all__ = ["PostExporter", "CONTRACT_FIELDS"]

# Item fields every post needs; the front matter's contract keys are made from them.
CONTRACT_FIELDS = ("code", "title", "date", "slug", "source", "body")


class PostExporter(BaseItemExporter):
    """Writes each exported item as a post to a binary file (use one exporter per post file).

    ``fields_to_export`` picks the extra front-matter keys: every exported field beyond
    :data:`CONTRACT_FIELDS` (default: ``stocks``) is written after the contract keys.
    Field serializers apply (``date`` is formatted by its ``Article`` serializer).
    """

    def __init__(self, file: IO[bytes], *, share_url: str, site_url: str, **kwargs: Any):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.share_url = share_url
        self.site_url = site_url
        self.encoding = self.encoding or "utf-8"
        if self.fields_to_export is None:
            self.fields_to_export = [*CONTRACT_FIELDS, "stocks", "listing_hash"]

    def export_item(self, item: Any) -> None:
        fields = dict(self.get_serialized_fields(item))
        missing = [name for name in CONTRACT_FIELDS if not fields.get(name)]
        if missing:
            raise ValueError(f"cannot export a post without {', '.join(missing)}")
        extra = {k: v for k, v in fields.items() if k not in CONTRACT_FIELDS}
        text = render_post(
            title=fields["title"],
            date=fields["date"],
            slug=fields["slug"],
            source=fields["source"],
            body=fields["body"],
            share_link=self.share_url.format(code=fields["code"], id=fields["code"][2:]),
            site_url=self.site_url,
            extra=extra,
        )
        self.file.write(text.encode(self.encoding))
