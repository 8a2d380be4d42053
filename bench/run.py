"""newsbot against the floor Scrapy sets, on this machine, in one run: `make bench`.

For each N: a fast loopback server with N synthetic articles; (1) a bare Scrapy spider that only
fetches the N text answers; (2) `scrapy crawl share` over the same N codes; (3) `scrapy crawl
listing` over listing pages naming them, into a fresh tree, then again with nothing changed.
Then the cleaner against lxml's parse-and-serialize of the same bodies. Then the history scenario
(bench/history.py): the incremental rerun, a one-code share and `scrapy verify` on a fresh tree and
on a tree of ``--history`` posts. Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history import LISTED, VERIFY_TODAY_MS_PER_POST, run_history  # noqa: E402
from bench.history import table as history_table  # noqa: E402
from bench.measure import run_measured  # noqa: E402
from bench.server import PAGE_SIZE, codes, running  # noqa: E402

# The same client settings for every run: only what newsbot does with the answers differs.
CLIENT = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "RETRY_ENABLED": "0",
    "LOG_LEVEL": "INFO",
    "NEWSBOT_KEEP_DAYS": "0",
}
TARGETS = {
    "share_ratio": 0.8,
    "listing_ratio": 0.8,
    "cleaner_ratio": 3.0,
    "incremental_time_fraction": 0.1,
    "peak_rss_mb": 250,
}


def run_crawl(args: list[str], settings: dict[str, str], stats_file: Path, log: Path) -> dict:
    """One scrapy process: its wall time, its own peak RSS (wait4), and its stats."""
    command = [sys.executable, "-m", "scrapy", *args]
    for name, value in {**CLIENT, **settings, "NEWSBOT_STATS_FILE": str(stats_file)}.items():
        command += ["-s", f"{name}={value}"]
    measured = run_measured(command, cwd=ROOT, log=log)
    if measured.exit_code != 0:
        raise SystemExit(f"{' '.join(args)} failed; see {log}")
    stats = json.loads(stats_file.read_text())
    return {
        "wall_s": measured.wall_s,
        "crawl_s": round(float(stats["elapsed_time_seconds"]), 3),
        "peak_rss_mb": measured.peak_rss_mb,
        "cpu_s": measured.cpu_s,
        "requests": stats.get("downloader/request_count", 0),
        "written": stats.get("newsbot/posts/new", 0) + stats.get("newsbot/posts/updated", 0),
    }


async def server_capacity(port: int, paths: list[str], seconds: float = 3.0) -> float:
    """Requests per second the server answers to 32 keep-alive connections (bounded in time)."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
            i += 32
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(32)))
    return done / (time.perf_counter() - started)


def cleaner_figures(repeat: int) -> dict:
    """The cleaner's time per body against lxml's parse-and-serialize of the same body."""
    from lxml import html as lhtml

    from bench.server import recorded_bodies
    from newsbot.clean import clean_body

    bodies = recorded_bodies()
    clean_total = lxml_total = 0.0
    per_body = []
    for body in bodies:
        started = time.perf_counter()
        for _ in range(repeat):
            clean_body(body)
        cleaned = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(repeat):
            lhtml.tostring(lhtml.document_fromstring(body), encoding="unicode")
        parsed = time.perf_counter() - started
        clean_total += cleaned
        lxml_total += parsed
        per_body.append({"chars": len(body), "ratio": round(cleaned / parsed, 2)})
    per = repeat * len(bodies)
    return {
        "bodies": len(bodies),
        "mean_body_chars": round(sum(map(len, bodies)) / len(bodies)),
        "cleaner_us": round(clean_total / per * 1e6, 1),
        "lxml_parse_serialize_us": round(lxml_total / per * 1e6, 1),
        "ratio": round(clean_total / lxml_total, 2),
        "per_body": per_body,
    }


def stage_figures(n: int, work: Path) -> dict:
    """Where newsbot's own time goes, per article, each stage timed alone in this process."""
    from bench.server import build
    from newsbot.clean import clean_body
    from newsbot.exporters import PostExporter
    from newsbot.fileio import write_if_changed
    from newsbot.items import Article
    from newsbot.parse import load_json, text_fields
    from newsbot.posts import post_filename
    from newsbot.slugs import source_slug

    routes = build(n)
    answers = [body.decode() for key, body in routes.items() if key.startswith("/NewsData/")]
    timings: dict[str, float] = {}

    def timed(stage: str, func, items):
        started = time.perf_counter()
        out = [func(item) for item in items]
        timings[stage] = round((time.perf_counter() - started) / len(items) * 1e6, 1)
        return out

    fields = timed("decode JSON, read fields", lambda a: text_fields(load_json(a)), answers)
    cleaned = timed("clean body", lambda f: clean_body(f.body), fields)
    slugs = timed("slug", lambda f: source_slug(f.source, {}), fields)
    articles = [
        Article(
            code=f"NW{i:018d}",
            title=f.title,
            date=f.time,
            source=f.source,
            slug=slug,
            body=c.html,
            stocks=list(c.stocks),
        )
        for i, (f, c, slug) in enumerate(zip(fields, cleaned, slugs, strict=True))
    ]

    def render(article):
        buffer = io.BytesIO()
        PostExporter(buffer, share_url="http://s/{code}", site_url="//x").export_item(article)
        return buffer.getvalue()

    posts = timed("render post (front matter)", render, articles)
    folder = work / f"stages-{n}"
    timed(
        "write file (temp + rename)",
        lambda pair: write_if_changed(
            folder / post_filename(pair[0]["code"], pair[0]["date"]), pair[1]
        ),
        list(zip(articles, posts, strict=True)),
    )
    timings["total"] = round(sum(timings.values()), 1)
    return timings


def bench(n: int, work: Path) -> dict:
    with running([str(n)], work / f"port-{n}") as base:
        port = int(base.rpartition(":")[2])
        code_list = codes(n)
        codes_file = work / f"codes-{n}.txt"
        codes_file.write_text("\n".join(code_list) + "\n")
        capacity = asyncio.run(
            server_capacity(port, [f"/NewsData/GetNewsText.do?id={c}" for c in code_list])
        )
        urls = {
            "NEWSBOT_TEXT_URL": f"{base}/NewsData/GetNewsText.do?id={{code}}",
            "NEWSBOT_ARTICLE_URL": f"{base}/a/{{id}}.html",
            "NEWSBOT_LISTING_URL": f"{base}/comm/web/getNewsByColumns",
        }
        runs: dict[str, dict] = {}

        def crawl(name: str, args: list[str], tree: Path) -> None:
            runs[name] = run_crawl(
                args,
                {**urls, "NEWSBOT_OUTPUT_DIR": str(tree)},
                work / f"{name}-{n}.json",
                work / f"{name}-{n}.log",
            )
            runs[name]["articles_per_s"] = round(n / runs[name]["crawl_s"], 1)

        crawl(
            "bare",
            [
                "runspider",
                str(ROOT / "bench" / "bare.py"),
                "-a",
                f"base={base}",
                "-a",
                f"codes_file={codes_file}",
            ],
            work / f"bare-tree-{n}",
        )
        crawl("share", ["crawl", "share", "-a", f"file={codes_file}"], work / f"share-tree-{n}")
        pages = -(-n // PAGE_SIZE)
        listing_args = [
            "crawl",
            "listing",
            "-a",
            "columns=350",
            "-a",
            f"pages={pages}",
            "-a",
            f"page_size={PAGE_SIZE}",
        ]
        crawl("listing", listing_args, work / f"listing-tree-{n}")
        crawl("incremental", listing_args, work / f"listing-tree-{n}")
        runs["incremental"]["listing_pages"] = pages
        return {"n": n, "server_capacity_rps": round(capacity), "runs": runs}


def table(results: dict) -> str:
    lines = [
        f"{'N':>6} {'run':<12} {'art/s':>8} {'vs bare':>8} {'crawl s':>8} {'wall s':>7} "
        f"{'peak MB':>8} {'requests':>9} {'CPU ms/article':>15}",
    ]
    for size in results["sizes"]:
        bare = size["runs"]["bare"]["articles_per_s"]
        for name, run in size["runs"].items():
            ratio = run["articles_per_s"] / bare
            lines.append(
                f"{size['n']:>6} {name:<12} {run['articles_per_s']:>8} {ratio:>8.2f} {run['crawl_s']:>8} "
                f"{run['wall_s']:>7} {run['peak_rss_mb']:>8} {run['requests']:>9} "
                f"{run['cpu_s'] * 1000 / size['n']:>15.2f}"
            )
        lines.append(f"{size['n']:>6} server capacity: {size['server_capacity_rps']} requests/s")
    c = results["cleaner"]
    lines.append(
        f"cleaner: {c['cleaner_us']} µs a body vs lxml parse+serialize {c['lxml_parse_serialize_us']} µs "
        f"(x{c['ratio']}, {c['bodies']} bodies of {c['mean_body_chars']} chars on average; per body: "
        + ", ".join(f"{b['chars']} chars x{b['ratio']}" for b in c["per_body"])
        + ")"
    )
    lines.append(
        "newsbot's own work per article (µs): "
        + ", ".join(f"{stage} {us}" for stage, us in results["stages_us"].items())
    )
    for name, check in results["targets"].items():
        lines.append(
            f"target {name:<34} {'met' if check['met'] else 'NOT MET':<8} {check['detail']}"
        )
    return "\n".join(lines)


def targets(results: dict) -> dict:
    big = max(results["sizes"], key=lambda s: s["n"])
    small = min(results["sizes"], key=lambda s: s["n"])
    runs = big["runs"]
    bare = runs["bare"]["articles_per_s"]
    share = runs["share"]["articles_per_s"] / bare
    listing = runs["listing"]["articles_per_s"] / bare
    fraction = runs["incremental"]["wall_s"] / runs["listing"]["wall_s"]
    crawl_fraction = runs["incremental"]["crawl_s"] / runs["listing"]["crawl_s"]
    rss = max(run["peak_rss_mb"] for run in runs.values() if run is not runs["bare"])
    growth = {name: runs[name]["peak_rss_mb"] / small["runs"][name]["peak_rss_mb"] for name in runs}
    size_ratio = big["n"] / small["n"]
    return {
        "share >= 0.8 of bare": {"met": share >= TARGETS["share_ratio"], "detail": f"{share:.2f}"},
        "listing >= 0.8 of bare": {
            "met": listing >= TARGETS["listing_ratio"],
            "detail": f"{listing:.2f}",
        },
        "cleaner <= 3x lxml": {
            "met": results["cleaner"]["ratio"] <= TARGETS["cleaner_ratio"],
            "detail": f"x{results['cleaner']['ratio']}",
        },
        "incremental: listing requests only": {
            "met": runs["incremental"]["requests"] == runs["incremental"]["listing_pages"],
            "detail": f"{runs['incremental']['requests']} requests, "
            f"{runs['incremental']['listing_pages']} listing pages",
        },
        "incremental < 1/10 of first (crawl time)": {
            "met": crawl_fraction < TARGETS["incremental_time_fraction"],
            "detail": f"{crawl_fraction:.3f} of the first run's crawl time (Scrapy's elapsed_time)",
        },
        "incremental < 1/10 of first (wall time)": {
            "met": fraction < TARGETS["incremental_time_fraction"],
            "detail": f"{fraction:.3f} of the first run's wall time (process start-up included)",
        },
        f"peak RSS at N={big['n']} < 250 MB": {
            "met": rss < TARGETS["peak_rss_mb"],
            "detail": f"{rss} MB",
        },
        "RSS grows less than linearly": {
            "met": size_ratio == 1 or all(g < size_ratio for g in growth.values()),
            "detail": ", ".join(f"{k} x{v:.2f}" for k, v in growth.items())
            + f" for x{size_ratio:g} articles",
        },
    }


def throughput(sizes: list[int], repeat: int, work: Path) -> dict:
    """The first half of `make bench`: newsbot against bare Scrapy, the cleaner, the stages."""
    results = {
        "sizes": [bench(n, work) for n in sizes],
        "cleaner": cleaner_figures(repeat),
        "stages_us": stage_figures(max(sizes), work),
    }
    results["targets"] = targets(results)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, action="append", help="article counts (default: 1000 and 5000)"
    )
    parser.add_argument("--repeat", type=int, default=200, help="cleaner timing repetitions a body")
    parser.add_argument(
        "--history",
        type=int,
        default=200_000,
        metavar="N",
        help="posts in the history scenario's tree (default 200000; 0 skips the scenario)",
    )
    parser.add_argument(
        "--history-repeat",
        type=int,
        default=3,
        metavar="K",
        help="runs of each timed rerun and share a tree, the median reported (default 3)",
    )
    parser.add_argument(
        "--only", choices=("all", "throughput", "history"), default="all", help="run one half"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "newsbot-bench-cache",
        help="where synthetic history trees are kept between runs",
    )
    parser.add_argument(
        "--verify-baseline",
        type=float,
        default=VERIFY_TODAY_MS_PER_POST,
        metavar="MS",
        help="`scrapy verify` ms a post before issue 11, for its target",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    if 0 < args.history < LISTED or args.history_repeat < 1:
        parser.error(f"--history takes 0 or at least {LISTED} posts; --history-repeat at least 1")
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}",
        "load_before": os.getloadavg(),  # the machine is shared: figures under load say so
    }
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        if args.only != "history":
            results.update(throughput(sorted(set(args.n or [1000, 5000])), args.repeat, Path(tmp)))
        if args.only != "throughput" and args.history:
            results["history"] = run_history(
                args.history,
                client=CLIENT,
                work=Path(tmp),
                cache=args.cache,
                repeat=args.history_repeat,
                verify_baseline=args.verify_baseline,
            )
    results["load_after"] = os.getloadavg()
    print(f"machine: {results['machine']}")  # noqa: T201 (a benchmark prints its tables)
    load = " ".join(f"{x:.2f}" for x in results["load_before"]), " ".join(
        f"{x:.2f}" for x in results["load_after"]
    )
    print(f"load average (1, 5, 15 min): before {load[0]}, after {load[1]}")  # noqa: T201
    if "sizes" in results:
        print(table(results))  # noqa: T201
    if "history" in results:
        print(history_table(results["history"]))  # noqa: T201
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    print(f"written {args.json}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
