"""``assert_linear``: fail when a function's time grows faster than its input.

A ratio of two timings on one machine, never an absolute time: the input grows 8x, so a linear
function takes ~8x as long, n log n ~10x, a quadratic one 64x. The limit (24x) leaves room for
cache effects and noise and still catches a quadratic blow-up.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sized
from typing import TypeVar

__all__ = ["assert_linear", "cpu_time"]

T = TypeVar("T")

# The small input is grown until a call takes this long: the large one then takes ~0.1 s when
# linear (well above scheduling noise), ~1 s when quadratic.
SMALL_SECONDS = 0.01
# ...or until it is this long, and then timed over several calls: a large input 8x longer
# still fits the CPU's caches, or a linear scan would get slower per character and the ratio
# would measure memory, not the algorithm.
MAX_CHARS = 1 << 16


def cpu_time(func: Callable[[T], object], arg: T, calls: int = 1) -> float:
    """CPU seconds ``calls`` calls take, without the garbage collector's pauses (as timeit).

    CPU time, not wall time: the tests share the machine with other work, and time spent
    waiting for a core is no part of the function's cost.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.process_time()
        for _ in range(calls):
            func(arg)
        return time.process_time() - start
    finally:
        if enabled:
            gc.enable()


def _calibrate(
    func: Callable[[T], object], make_input: Callable[[int], T], n: int
) -> tuple[int, int]:
    """The first n (from ``n``, growing by half) whose input takes ``SMALL_SECONDS``, and 1
    call; or, at ``MAX_CHARS``, that n and the calls that take ``SMALL_SECONDS``.

    Growing the input until it is slow, rather than fixing n, makes a quadratic function stop
    early (cheap to catch) and a fast linear one measurable."""
    while True:
        arg = make_input(n)
        seconds = cpu_time(func, arg)
        if seconds >= SMALL_SECONDS:
            return n, 1
        if isinstance(arg, Sized) and len(arg) >= MAX_CHARS:
            return n, max(1, round(SMALL_SECONDS / max(seconds, 1e-5)))
        n = n * 3 // 2


def assert_linear(
    func: Callable[[T], object],
    make_input: Callable[[int], T],
    sizes: tuple[int, int] | None = None,
    *,
    max_ratio: float = 24.0,
    repeats: int = 3,
    min_n: int = 16,
) -> float:
    """Assert that ``func(make_input(large))`` takes less than ``max_ratio`` times as long as
    ``func(make_input(small))``; return the ratio.

    ``sizes`` is ``(small, large)``, by default ``(n, 8 n)`` with n calibrated from ``min_n``
    (raise it for a quadratic term that only shows on long inputs). Each time is the
    best of its runs (noise only ever adds time); the large input runs until its ratio is
    below the limit, or twice over it (no noise does that), or ``repeats`` times: a quadratic
    case costs one slow call, not ``repeats`` of them.
    """
    calls = 1
    if sizes is None:
        n, calls = _calibrate(func, make_input, min_n)
        sizes = (n, 8 * n)
    small_n, large_n = sizes
    small, large = make_input(small_n), make_input(large_n)
    func(small)  # warm up: imports, caches, lazily compiled patterns
    small_time = min(cpu_time(func, small, calls) for _ in range(repeats))
    large_time = ratio = float("inf")
    for _ in range(repeats):
        large_time = min(large_time, cpu_time(func, large, calls))
        # small runs between the large ones too: the machine's load (on the shared caches) comes
        # in bursts, and one burst over all the small runs would hide a quadratic ratio
        small_time = min(small_time, cpu_time(func, small, calls))
        ratio = large_time / max(small_time, 1e-6)
        if ratio < max_ratio or ratio > 2 * max_ratio:
            break
    assert ratio < max_ratio, (
        f"super-linear: n={small_n} took {small_time / calls:.2e}s, n={large_n} took "
        f"{large_time / calls:.2e}s, ratio {ratio:.1f} for {large_n / small_n:.0f}x the input "
        f"(limit {max_ratio:.0f})"
    )
    return ratio
