"""CPU-second figures of staff / evaluate / optimize / sweep on the bundled scenarios.

The live path and the pre-round-2 staffing search (``benchmarks/_baseline_staffing``,
swapped into the same process) are measured **alternately**, call by call, so
both columns see the same machine load. Each figure is the median of
``--repeat`` CPU-time measurements (``time.process_time``); the planning
cache is cleared before each call. ``staff`` is one call of period 0;
``sweep`` is serial, 60 staffing cases (chat volume 0.8-1.2), in cases per
CPU-second.

Run::

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/figures.py
    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/figures.py --calls staff,sweep --repeat 7
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _baseline_staffing as baseline  # noqa: E402
import channelopt as co  # noqa: E402
from channelopt.planning.evaluate import clear_cache  # noqa: E402

SCENARIOS = sorted((HERE.parent / "scenarios").glob("*.yaml"))


def once(fn: Callable[[], object], frozen: bool) -> float:
    clear_cache()
    with baseline.frozen() if frozen else contextlib.nullcontext():
        t0 = time.process_time()
        fn()
        return time.process_time() - t0


def pair(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median CPU seconds of ``fn`` on the live and on the frozen path, alternating."""
    once(fn, False)
    once(fn, True)  # warm-up: JIT, imports
    live, base = [], []
    for _ in range(repeat):
        live.append(once(fn, False))
        base.append(once(fn, True))
    return statistics.median(live), statistics.median(base)


def sweep_cases(scenario: co.Scenario, n: int) -> Callable[[], object]:
    chat = next(c for c in scenario.channels if c != "voice")
    grid = {f"channels.{chat}.volume": [0.8 + 0.4 * i / n for i in range(n)]}
    return lambda: co.sweep(scenario, grid, evaluate="staff", executor="serial", seed=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", default="staff,evaluate,optimize,sweep")
    args = ap.parse_args()
    calls = args.calls.split(",")
    print("| call | scenario | live | pre-round-2 search | speed-up |")
    print("|---|---|---|---|---|")
    for path in SCENARIOS:
        sc = co.load_scenario(path)
        resolved = sc.resolve(0)
        plan = co.optimize(sc) if "evaluate" in calls else None
        for call in calls:
            if call == "staff":
                fn: Callable[[], object] = lambda r=resolved: co.staff(r)  # noqa: E731
                live, base = pair(fn, args.repeat * 5)
            elif call == "evaluate":
                live, base = pair(lambda s=sc, p=plan: co.evaluate(s, p), args.repeat)
            elif call == "optimize":
                live, base = pair(lambda s=sc: co.optimize(s), args.repeat)
            elif call == "sweep":
                n = 60
                live, base = pair(sweep_cases(sc, n), max(1, args.repeat // 2))
                live, base = n / live, n / base
                print(
                    f"| sweep | {path.stem} | {live:.1f} cases/CPU-s | {base:.1f} cases/CPU-s "
                    f"| {live / base:.1f}x |",
                    flush=True,
                )
                continue
            else:
                raise SystemExit(f"unknown call {call!r}")
            print(
                f"| {call} | {path.stem} | {live:.4g} CPU-s | {base:.4g} CPU-s "
                f"| {base / live:.1f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
