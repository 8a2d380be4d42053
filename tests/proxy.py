"""A plain HTTP forward proxy on 127.0.0.1 for the tests: it takes absolute-URI requests, forwards
them to 127.0.0.1 only, marks each with its own ``Via`` header, and records what it forwarded."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit, urlunsplit

from newsbot.replay import LoopbackHandler, LoopbackServer

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",  # set again from the body actually sent
    }
)
# What send_response writes itself, not copied from the answer forwarded.
OWN = frozenset({"server", "date"})


class ForwardProxy(LoopbackServer):
    """``with ForwardProxy() as proxy:`` serves on ``proxy.url``; ``proxy.forwarded`` lists the
    absolute URIs it forwarded, ``proxy.refused`` those it would not (not http://127.0.0.1)."""

    VIA = "1.1 newsbot-test-proxy"

    def __init__(self) -> None:
        self.forwarded: list[str] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                target = urlsplit(self.path)
                # the tests must never send traffic off this machine, whatever a crawl asks for
                if target.scheme != "http" or target.hostname != "127.0.0.1":
                    with proxy._lock:
                        proxy.refused.append(self.path)
                    self.answer(403, b"this proxy forwards to 127.0.0.1 only\n")
                    return
                with proxy._lock:
                    proxy.forwarded.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Via"] = proxy.VIA
                upstream = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
                try:
                    upstream.request(
                        "GET",
                        urlunsplit(("", "", target.path or "/", target.query, "")),
                        headers=headers,
                    )
                    response = upstream.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    self.answer(502, f"upstream failed: {exc}\n".encode())
                    return
                finally:
                    upstream.close()
                kept = [
                    (k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | OWN
                ]
                self.answer(response.status, body, kept)

        return Handler
