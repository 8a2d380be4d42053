"""One measured process: its wall time, CPU time and peak memory, as the benchmark reports them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "run_measured"]

LAUNCHER = Path(__file__).resolve().parent / "launch.py"

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
_SAMPLE_EVERY = 0.1  # seconds; a /proc scan costs ~1 ms, so this stays far below 1% of a core


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float  # user + system, the process and every child it waited for
    peak_rss_mb: float
    exit_code: int
    process_peak_mb: float = 0.0  # the largest single process (wait4): what a worker pool holds each


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process now alive (/proc has no per-process child list here)."""
    found: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # it ended between listdir and open
            continue
        # the command name may hold spaces and parentheses: the fields follow the last ')'
        found[int(name)] = int(stat.rpartition(b")")[2].split()[1])
    return found


def _descendants_rss_mb(root: int) -> float:
    """The resident memory of the descendants of ``root`` (not ``root``), summed, in MB."""
    parents = _parents()
    tree: set[int] = set()
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    total = 0.0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * _PAGE_MB
        except (OSError, IndexError, ValueError):
            continue
    return total


class _TreeSampler(threading.Thread):
    """Samples the summed RSS of a launcher's process tree while it runs. wait4's ru_maxrss is
    the peak of the largest single process only: a run that spreads its work over worker
    processes would look as small as one worker. Shared pages count in each process, so this
    errs on the high side."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(_SAMPLE_EVERY):
            self.peak_mb = max(self.peak_mb, _descendants_rss_mb(self.pid))


def run_measured(command: list[str], *, cwd: Path, log: Path) -> Measured:
    """Run ``command`` to its end through the launcher, its output to ``log``. Peak RSS is the
    larger of wait4's (exact, one process) and the sampled sum over its process tree."""
    result = log.with_suffix(".rusage.json")
    launcher = [sys.executable, "-S", str(LAUNCHER), str(result), "--", *command]
    with log.open("w") as handle:
        proc = subprocess.Popen(launcher, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        try:
            proc.wait()
        finally:
            sampler.done.set()
            sampler.join()
    if not result.is_file():
        raise SystemExit(f"the launcher failed (status {proc.returncode}); see {log}")
    usage = json.loads(result.read_text())
    return Measured(
        wall_s=round(usage["wall_s"], 3),
        cpu_s=round(usage["cpu_s"], 3),
        peak_rss_mb=round(max(usage["maxrss_kb"] / 1024, sampler.peak_mb), 1),
        exit_code=usage["exit_code"],
        process_peak_mb=round(usage["maxrss_kb"] / 1024, 1),
    )
