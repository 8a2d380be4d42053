"""A loopback server that replays recorded upstream answers (for the demo, the tests, the bench).

Layout of a recording folder::

    text/NW<18 digits>.json     GetNewsText.do?id=CODE      (any host: share links point here)
    article/<18 digits>.html    /a/ID.html and /news/COLUMN,ID.html
    listing/columns-<column>-<page>.json   getNewsByColumns?column=C&page_index=P
    listing/webapi-<type>.json             /web/webapi?type=T
    listing/newmarket-<market>.json        /information/newmarket/web/webapi?marketType=M
    <file>.meta.json            optional: {"status": 500, "headers": {...}, "delay": 2.5,
                                           "reset": true}

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = ["ReplayServer", "main"]

_ARTICLE = re.compile(r"/(?:a/|news/[0-9]+,)([0-9]{18})\.html")
_TYPES = {".json": "application/json; charset=utf-8", ".html": "text/html; charset=utf-8"}


class ReplayServer:
    """Serve a recording folder on 127.0.0.1 in a background thread; log every request path."""

    def __init__(self, root: Path, port: int = 0):
        self.root = Path(root)
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, fragment: str) -> int:
        """How many requests so far had ``fragment`` in their path."""
        with self._lock:
            return sum(fragment in path for path in self.requests)

    def resolve(self, target: str) -> Path | None:
        """The recorded file answering a request target, if any."""
        parts = urlsplit(target)
        query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
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

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with server._lock:
                    server.requests.append(self.path)
                path = server.resolve(self.path)
                if path is None:
                    self._send(404, b"not recorded\n", {"Content-Type": "text/plain"})
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
                self._send(int(meta.get("status", 200)), path.read_bytes(), headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the request list is the log

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
