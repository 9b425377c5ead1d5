"""CPU-second figures of staff / evaluate / optimize / sweep on the bundled scenarios.

One run measures the live path and, with ``--baseline``, the frozen pre-round-2
staffing path (``benchmarks/_baseline_staffing``) swapped into the same
process, so the two columns of docs/performance.md come from the same machine
state. Medians of ``--repeat`` CPU-time (``time.process_time``) measurements.

Run::

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/figures.py            # live path
    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/figures.py --baseline # both, same run
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import channelopt as co  # noqa: E402

SCENARIOS = sorted((HERE.parent / "scenarios").glob("*.yaml"))


@contextlib.contextmanager
def baseline_staffing() -> Iterator[None]:
    """The frozen pre-round-2 staffing search and summary (this process only)."""
    import _baseline_staffing as base

    with base.frozen():
        yield


def clear_caches() -> None:
    from channelopt.planning.evaluate import clear_cache

    clear_cache()


def cpu(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of ``repeat`` calls (caches cleared before each)."""
    clear_caches()
    fn()  # warm-up: JIT, imports
    times = []
    for _ in range(repeat):
        clear_caches()
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def sweep_cases(scenario: co.Scenario, n: int) -> Callable[[], object]:
    chat = next(c for c in scenario.channels if c != "voice")
    grid = {f"channels.{chat}.volume": [0.8 + 0.4 * i / n for i in range(n)]}
    return lambda: co.sweep(scenario, grid, evaluate="staff", executor="serial", seed=0)


def measure(repeat: int, calls: set[str]) -> dict[tuple[str, str], float]:
    out = {}
    for path in SCENARIOS:
        sc = co.load_scenario(path)
        resolved = sc.resolve(0)
        plan = co.optimize(sc) if "evaluate" in calls else None
        if "staff" in calls:
            out[path.stem, "staff"] = cpu(lambda r=resolved: co.staff(r), repeat * 3)
        if "evaluate" in calls:
            out[path.stem, "evaluate"] = cpu(lambda s=sc, p=plan: co.evaluate(s, p), repeat)
        if "optimize" in calls:
            out[path.stem, "optimize"] = cpu(lambda s=sc: co.optimize(s), max(1, repeat // 2))
        if "sweep" in calls:
            n = 60
            out[path.stem, "sweep"] = n / cpu(sweep_cases(sc, n), 1)
        for (name, call), value in out.items():
            if name == path.stem:
                print(f"# {name} {call}: {value:.4g}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", action="store_true", help="also measure the frozen path")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", default="staff,evaluate,optimize,sweep")
    args = ap.parse_args()
    calls = set(args.calls.split(","))
    live = measure(args.repeat, calls)
    base = None
    if args.baseline:
        with baseline_staffing():
            base = measure(args.repeat, calls)
    print("| call | scenario | live | baseline | speed-up |")
    print("|---|---|---|---|---|")
    for (name, call), value in live.items():
        unit = "cases/CPU-s" if call == "sweep" else "CPU-s"
        if base is None:
            print(f"| {call} | {name} | {value:.4g} {unit} | | |")
            continue
        b = base[name, call]
        ratio = value / b if call == "sweep" else b / value
        print(f"| {call} | {name} | {value:.4g} {unit} | {b:.4g} {unit} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
