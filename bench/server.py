"""A fast loopback server for the benchmark: N synthetic articles, served from memory.

Text answers, article pages and listing pages of N articles built from the recorded bodies in
tests/data/upstream. asyncio protocol, HTTP/1.1 keep-alive, no per-request work beyond a dict
lookup: it must never be what limits a crawl.

    python bench/server.py N PORT_FILE                  # writes its port to PORT_FILE, serves until killed
    python bench/server.py --history ANCHOR PORT_FILE   # the history scenario's articles (bench/history.py)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "data" / "upstream" / "text"
CHINA = timezone(timedelta(hours=8))
SOURCES = ["中国日报网", "界面新闻", "财联社", "证券时报网", "新华网", "东财滚动"]
PAGE_SIZE = 100


# Real article bodies of every shape the tests hold (the seed, junk-laden, keyword-linked, plain).
BODIES = [
    "NW202202242288329527",
    "NW202608193168724510",
    "NW202608193168731142",
    "NW202608203170015627",
    "NW202608203170019844",
    "NW202608213171102233",
]


def recorded_bodies() -> list[str]:
    bodies = []
    for path in (RECORDED / f"{code}.json" for code in BODIES):
        try:
            answer = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        body = (
            answer.get("text") or answer.get("Text") or answer.get("content")
            if isinstance(answer, dict)
            else None
        )
        if isinstance(body, str):
            bodies.append(body)
    return bodies


def text_answer(title: str, moment: datetime, source: str, body: str) -> dict[str, str]:
    """A ``GetNewsText.do`` answer, as eastmoney gives it."""
    return {"title": title, "showtime": f"{moment:%Y-%m-%d %H:%M:%S}", "medianame": source, "text": body}


def article_page(title: str, moment: datetime, source: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}_东方财富网</title></head><body><h1>{title}</h1>"
        f'<div class="infos"><div class="item">{moment:%Y年%m月%d日 %H:%M}</div>'
        f'<div class="item">{source}</div></div>'
        f'<div id="ContentBody">{body}</div></body></html>'
    ).encode()


def listing_item(code: str, title: str, moment: datetime, source: str) -> dict[str, str]:
    """An entry of a ``getNewsByColumns`` listing page (its code is the 18 digits)."""
    return {
        "code": code[2:],
        "showTime": f"{moment:%Y-%m-%d %H:%M:%S}",
        "title": title,
        "mediaName": source,
        "summary": "",
        "url": "",
    }


def article_routes(code: str, title: str, moment: datetime, source: str, body: str) -> dict[str, bytes]:
    """The text answer and article page of one article, by request target."""
    return {
        f"/NewsData/GetNewsText.do?id={code}": json.dumps(
            text_answer(title, moment, source, body), ensure_ascii=False
        ).encode(),
        f"/a/{code[2:]}.html": article_page(title, moment, source, body),
    }


def listing_pages(items: list[dict[str, str]], page_size: int) -> dict[str, bytes]:
    """Listing pages of ``page_size`` entries, by page number (``listing:1``...)."""
    routes = {}
    for page in range(0, max(1, -(-len(items) // page_size))):
        chunk = items[page * page_size : (page + 1) * page_size]
        routes[f"listing:{page + 1}"] = json.dumps(
            {"code": 1, "data": {"list": chunk}}, ensure_ascii=False
        ).encode()
    return routes


def build(n: int) -> dict[str, bytes]:
    """Every answer, by request target."""
    bodies = recorded_bodies()
    now = datetime.now(CHINA).replace(microsecond=0)
    routes: dict[str, bytes] = {}
    listing: list[dict] = []
    for i in range(n):
        moment = now - timedelta(minutes=i % 1440, seconds=i // 1440)
        code = f"NW{moment:%Y%m%d}{i:010d}"
        title = f"第{i}条：{SOURCES[i % len(SOURCES)]}快讯"
        body = bodies[i % len(bodies)].replace("<p>", f"<p>【{i}】", 1)
        routes.update(article_routes(code, title, moment, SOURCES[i % len(SOURCES)], body))
        listing.append(listing_item(code, title, moment, SOURCES[i % len(SOURCES)]))
    return {**routes, **listing_pages(listing, PAGE_SIZE)}


def codes(n: int) -> list[str]:
    now = datetime.now(CHINA).replace(microsecond=0)
    return [
        f"NW{now - timedelta(minutes=i % 1440, seconds=i // 1440):%Y%m%d}{i:010d}" for i in range(n)
    ]


class Http(asyncio.Protocol):
    routes: dict[str, bytes] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            self.transport.write(self.answer(target))

    def answer(self, target: str) -> bytes:
        body = self.routes.get(target)
        if body is None and target.startswith("/comm/web/getNewsByColumns"):
            query = parse_qs(urlsplit(target).query)
            body = self.routes.get(f"listing:{query.get('page_index', ['1'])[0]}")
        status = b"200 OK" if body is not None else b"404 Not Found"
        body = body if body is not None else b"{}"
        kind = b"text/html" if target.startswith("/a/") else b"application/json"
        return (
            b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind + b"; charset=utf-8\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


async def serve(routes: dict[str, bytes], port_file: Path) -> None:
    Http.routes = routes
    server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", 0, backlog=1024)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


@contextmanager
def running(args: list[str], port_file: Path) -> Iterator[str]:
    """This server in a child process (``args`` as on its command line, before PORT_FILE), for
    the length of the block; yields its base URL."""
    server = subprocess.Popen([sys.executable, __file__, *args, str(port_file)])
    try:
        deadline = time.monotonic() + 120
        while not (port_file.exists() and port_file.read_text()) and time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the bench server {args} exited with status {server.returncode}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{int(port_file.read_text())}"
    finally:
        server.terminate()
        server.wait()


def main(argv: list[str]) -> None:
    if argv[0] == "--history":
        # run as a script: the project root is not on the path, and bench/history imports bench
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bench.history import history_routes

        routes = history_routes(datetime.fromisoformat(argv[1]))
    else:
        routes = build(int(argv[0]))
    asyncio.run(serve(routes, Path(argv[-1])))


if __name__ == "__main__":
    main(sys.argv[1:])
