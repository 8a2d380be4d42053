"""`make bench` still runs end to end (a small N): it checks that the benchmark works, not speed."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT


def test_the_benchmark_runs_and_reports_every_figure(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "bench/run.py",
            "--n",
            "12",
            "--n",
            "24",
            "--repeat",
            "2",
            "--json",
            str(out),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(out.read_text())
    assert [size["n"] for size in results["sizes"]] == [12, 24]
    for size in results["sizes"]:
        assert set(size["runs"]) == {"bare", "share", "listing", "incremental"}
        for figures in size["runs"].values():
            assert figures["articles_per_s"] > 0 and figures["peak_rss_mb"] > 0
        assert size["runs"]["share"]["written"] == size["n"]  # the crawls really wrote the posts
        assert size["runs"]["listing"]["written"] == size["n"]
        assert size["runs"]["incremental"]["written"] == 0
    assert results["cleaner"]["ratio"] > 0
    assert len(results["targets"]) == 8
    assert "server capacity" in run.stdout and "target" in run.stdout
