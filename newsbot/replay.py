"""A loopback server that replays recorded upstream answers (for the demo, the tests, the bench).

Layout of a recording folder::

    text/NW<18 digits>.json     GetNewsText.do?id=CODE      (any host: share links point here)
    article/<18 digits>.html    /a/ID.html and /news/COLUMN,ID.html
    listing/columns-<column>-<page>.json   getNewsByColumns?column=C&page_index=P
    listing/webapi-<type>.json             /web/webapi?type=T
    listing/newmarket-<market>.json        /information/newmarket/web/webapi?marketType=M
    <file>.meta.json            optional: {"status": 500, "headers": {...}, "delay": 2.5,
                                           "reset": true}

``getNewsByColumns`` is gated as eastmoney's is (:func:`listing_refusal`): entries only for a
request with ``req_trace``, a browser User-Agent and a Referer on eastmoney; an error shell or an
empty answer otherwise.

``python -m newsbot.replay DIR -- CMD ...`` serves DIR on a free loopback port, runs CMD with
``REPLAY_URL=http://127.0.0.1:PORT`` in its environment, and exits with CMD's status.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import SplitResult, parse_qs, urlsplit

__all__ = ["LoopbackHandler", "LoopbackServer", "ReplayServer", "listing_refusal", "main"]

_ARTICLE = re.compile(r"/(?:a/|news/[0-9]+,)([0-9]{18})\.html")
_TYPES = {".json": "application/json; charset=utf-8", ".html": "text/html; charset=utf-8"}


# What eastmoney's listing API answers a request without req_trace, and (as reported) one
# without a Referer from its own pages.
LISTING_ERROR_SHELL = b'{"code":0,"message":"Required String parameter \'req_trace\' is not present"}'


def listing_refusal(query: Mapping[str, str], headers: Mapping[str, str] | Message) -> bytes | None:
    """What the listing API answers instead of entries, or ``None`` when it answers entries.
    ``headers`` as http.server reads them (names in any case) or a plain mapping.

    >>> ok = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    ...       "Referer": "https://finance.eastmoney.com/"}
    >>> listing_refusal({"req_trace": "1"}, ok) is None
    True
    >>> listing_refusal({}, ok)[:9], listing_refusal({"req_trace": "1"}, ok | {"Referer": ""})[:9]
    (b'{"code":0', b'{"code":0')
    >>> listing_refusal({"req_trace": "1"}, ok | {"User-Agent": "newsbot (+https://github.com/newsbot)"})
    b''
    """
    if not query.get("req_trace"):
        return LISTING_ERROR_SHELL
    try:
        host = urlsplit(headers.get("Referer", "")).hostname or ""
    except ValueError:
        host = ""
    if host != "eastmoney.com" and not host.endswith(".eastmoney.com"):
        return LISTING_ERROR_SHELL
    if not headers.get("User-Agent", "").startswith("Mozilla/5.0 ("):
        return b""
    return None


def _query(parts: SplitResult) -> dict[str, str]:
    """A request's query, names lowercased, first value of each."""
    return {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (kept-alive connections, as Scrapy uses them), quiet, with one way to answer."""

    protocol_version = "HTTP/1.1"

    def answer(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the servers keep their own lists of what they were asked


_Server = TypeVar("_Server", bound="LoopbackServer")


class LoopbackServer:
    """An HTTP server on 127.0.0.1 in a background thread, for as long as a ``with`` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self: _Server) -> _Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class ReplayServer(LoopbackServer):
    """Serve a recording folder on 127.0.0.1 in a background thread; log every request path."""

    def __init__(self, root: Path, port: int = 0):
        self.root = Path(root)
        self.requests: list[str] = []
        self.received: list[tuple[str, dict[str, str]]] = []  # (path, headers) of each request
        self._lock = threading.Lock()
        super().__init__(self._handler(), port)

    def count(self, fragment: str) -> int:
        """How many requests so far had ``fragment`` in their path."""
        with self._lock:
            return sum(fragment in path for path in self.requests)

    def headers_of(self, fragment: str) -> list[dict[str, str]]:
        """The headers of every request so far with ``fragment`` in its path, in order."""
        with self._lock:
            return [headers for path, headers in self.received if fragment in path]

    def resolve(self, target: str) -> Path | None:
        """The recorded file answering a request target, if any."""
        parts = urlsplit(target)
        query = _query(parts)
        if parts.path.endswith("/GetNewsText.do") and query.get("id"):
            code = query["id"] if query["id"].upper().startswith("NW") else "NW" + query["id"]
            return self._file("text", f"{code}.json")
        match = _ARTICLE.search(parts.path)
        if match:
            return self._file("article", f"{match.group(1)}.html")
        if parts.path.endswith("/getNewsByColumns"):
            name = f"columns-{query.get('column')}-{query.get('page_index', '1')}.json"
            return self._file("listing", name)
        if parts.path.endswith("/newmarket/web/webapi"):
            return self._file("listing", f"newmarket-{query.get('markettype')}.json")
        if parts.path.endswith("/web/webapi"):
            return self._file("listing", f"webapi-{query.get('type')}.json")
        return None

    def _file(self, folder: str, name: str) -> Path | None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            return None
        path = self.root / folder / name
        return path if path.is_file() else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with server._lock:
                    server.requests.append(self.path)
                    server.received.append((self.path, dict(self.headers.items())))
                parts = urlsplit(self.path)
                if parts.path.endswith("/getNewsByColumns"):
                    refusal = listing_refusal(_query(parts), self.headers)
                    if refusal is not None:
                        self.answer(200, refusal, [("Content-Type", _TYPES[".json"])])
                        return
                path = server.resolve(self.path)
                if path is None:
                    self.answer(404, b"not recorded\n", [("Content-Type", "text/plain")])
                    return
                meta_path = path.with_name(path.name + ".meta.json")
                meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
                if meta.get("delay"):
                    time.sleep(float(meta["delay"]))
                if meta.get("reset"):  # a connection reset: RST instead of an answer
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                headers = {"Content-Type": _TYPES.get(path.suffix, "application/octet-stream")}
                headers.update(meta.get("headers", {}))
                self.answer(int(meta.get("status", 200)), path.read_bytes(), headers.items())

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsbot.replay", description=__doc__.splitlines()[0]
    )
    parser.add_argument("root", type=Path, help="recording folder")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ... to run against it")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    with ReplayServer(args.root, args.port) as server:
        if not command:
            sys.stderr.write(f"replaying {args.root} on {server.url} (Ctrl-C stops)\n")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                return 0
        env = {**os.environ, "REPLAY_URL": server.url}
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())
