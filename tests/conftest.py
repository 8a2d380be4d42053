"""Shared test fixtures: a replay server over recorded answers, and real ``scrapy crawl`` runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from newsbot.replay import ReplayServer

settings.register_profile("default", max_examples=300)
settings.register_profile("fuzz", max_examples=50_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TESTS = Path(__file__).parent
DATA = TESTS / "data"
PROJECT = TESTS.parent
# The project's shared/ (golden, corpus, postdiff) sits beside the checkout in CI and in the
# workplace; a clone elsewhere uses the snapshot in tests/data/shared, which a test keeps equal.
SHARED_BESIDE = PROJECT.parent / "shared"
SNAPSHOT = DATA / "shared"
SHARED = SHARED_BESIDE if (SHARED_BESIDE / "tools" / "postdiff").is_file() else SNAPSHOT
POSTDIFF = SHARED / "tools" / "postdiff"
SEED_CODE = "NW202202242288329527"
SEED_GOLDEN = SHARED / "corpus" / "seed" / "expected-post.md"

# Fast and deterministic against a loopback server; each is a plain -s a user could type.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",  # the real hosts get 2; the loopback server more
    "RETRY_ENABLED": "0",
    "DOWNLOAD_TIMEOUT": "5",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str
    stats: dict
    output: Path

    def posts(self, folder: str = "_posts") -> dict[str, Path]:
        """Code to path of every post written under ``folder``."""
        return {p.stem[11:]: p for p in sorted((self.output / folder).glob("*.md"))}


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A private copy of the recorded answers, which a test may change."""
    root = tmp_path / "upstream"
    shutil.copytree(DATA / "upstream", root)
    return root


@pytest.fixture
def replay(upstream: Path):
    with ReplayServer(upstream) as server:
        yield server


def crawl_command(spider: str, args: tuple[str, ...], settings: dict[str, str]) -> list[str]:
    """The ``scrapy crawl`` command line a user would type, with ``-s`` and ``-a`` options."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


CRAWL_ENV = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}


@pytest.fixture
def crawl_settings(tmp_path: Path, replay: ReplayServer):
    """The settings of a test crawl into ``tmp_path/output`` against the replay server."""

    def make(output: Path | None = None, **overrides: str) -> dict[str, str]:
        return {
            **TEST_SETTINGS,
            "NEWSBOT_OUTPUT_DIR": str(output or tmp_path / "output"),
            "NEWSBOT_STATS_FILE": str(tmp_path / "stats.json"),
            "NEWSBOT_TEXT_URL": f"{replay.url}/NewsData/GetNewsText.do?id={{code}}",
            "NEWSBOT_ARTICLE_URL": f"{replay.url}/a/{{id}}.html",
            "NEWSBOT_LISTING_URL": f"{replay.url}/comm/web/getNewsByColumns",
            "NEWSBOT_WEBAPI_URL": f"{replay.url}/web/webapi",
            "NEWSBOT_NEWMARKET_URL": f"{replay.url}/information/newmarket/web/webapi",
            **overrides,
        }

    return make


@pytest.fixture
def crawl(crawl_settings):
    """Run ``scrapy crawl SPIDER`` as a user would, against the replay server."""

    def run(
        spider: str,
        *args: str,
        output: Path | None = None,
        settings: dict | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> CrawlResult:
        merged = crawl_settings(output, **(settings or {}))
        stats_file = Path(merged["NEWSBOT_STATS_FILE"])
        stats_file.unlink(missing_ok=True)
        proc = subprocess.run(
            crawl_command(spider, args, merged),
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**CRAWL_ENV, **(env or {})},
        )
        json_stats = stats_file.exists() and stats_file.suffix != ".prom"
        stats = json.loads(stats_file.read_text()) if json_stats else {}
        return CrawlResult(proc.returncode, proc.stderr, stats, Path(merged["NEWSBOT_OUTPUT_DIR"]))

    return run


def postdiff(expected: Path, actual: Path) -> subprocess.CompletedProcess:
    """``shared/tools/postdiff``: compares posts the way the site sees them."""
    return subprocess.run(
        [sys.executable, str(POSTDIFF), str(expected), str(actual)], capture_output=True, text=True
    )
