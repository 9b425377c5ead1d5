"""Shared helpers for the benchmark suites.

Two kinds of tests live here:

* ``benchmark`` tests use the pytest-benchmark fixture to record figures
  (``make bench``); result quality goes into ``benchmark.extra_info``.
* ``guard`` tests (``make test``) time a candidate and a plain baseline **in the
  same run** and assert a speed ratio, never a wall-clock time: the machines
  are shared and noisy, a ratio measured side by side is not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def best_time(fn: Callable[[], object], *, repeat: int = 5, min_time: float = 0.05) -> float:
    """Best-of-``repeat`` CPU time of one call of ``fn`` in seconds.

    Each repeat loops ``fn`` until at least ``min_time`` CPU seconds passed, so
    fast functions are not lost in timer resolution. CPU time (process time)
    rather than wall time, because this machine shares its cores.
    """
    fn()  # warm up (JIT, caches)
    best = float("inf")
    for _ in range(repeat):
        n = 0
        t0 = time.process_time()
        while True:
            fn()
            n += 1
            elapsed = time.process_time() - t0
            if elapsed >= min_time:
                break
        best = min(best, elapsed / n)
    return best


def paired_ratio(
    fast: Callable[[], object],
    slow: Callable[[], object],
    *,
    pairs: int = 9,
    min_time: float = 0.1,
) -> float:
    """Median over alternating pairs of (CPU of ``slow``) / (CPU of ``fast``).

    Each pair times both calls back to back (each looped for ``min_time`` CPU
    seconds), so a burst of load from another process shifts both sides of one
    pair, not the whole ratio; the median drops the pairs a burst split.
    """
    fast()
    slow()

    def per_call(fn: Callable[[], object]) -> float:
        n = 0
        t0 = time.process_time()
        while True:
            fn()
            n += 1
            elapsed = time.process_time() - t0
            if elapsed >= min_time:
                return elapsed / n

    ratios = sorted(per_call(slow) / per_call(fast) for _ in range(pairs))
    return ratios[len(ratios) // 2]


def assert_ratio(
    candidate: Callable[[], object],
    baseline: Callable[[], object],
    *,
    at_least: float,
    work_candidate: float = 1.0,
    work_baseline: float = 1.0,
    label: str = "",
) -> float:
    """Assert that ``candidate`` does work at least ``at_least`` x faster than ``baseline``.

    ``work_*`` normalise the two calls to a common unit (cells, contacts), so
    the ratio is per unit of work. Returns the measured ratio.
    """
    t_c = best_time(candidate) / work_candidate
    t_b = best_time(baseline) / work_baseline
    ratio = t_b / t_c
    print(f"\n{label}: candidate {t_c:.3e} s/unit, baseline {t_b:.3e} s/unit, ratio {ratio:.1f}x")
    assert ratio >= at_least, (
        f"{label}: {ratio:.1f}x faster than the baseline per unit of work; "
        f"the guard requires at least {at_least}x"
    )
    return ratio


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "guard" not in item.keywords:
            item.add_marker(pytest.mark.benchmark)
