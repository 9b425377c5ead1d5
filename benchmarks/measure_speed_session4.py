"""Session 4 speed figures (issue 12 / issue 11's pooled CPU): CPU seconds, same run.

Prints, for the bundled scenarios and the generated multi-skill systems of
``docs/staffing.md``: ``staff()`` erlang and pooled CPU (best of repeats) and
their ratio; the serial retail_bank staffing sweep in cases per CPU second;
and ``optimize()`` / ``evaluate()`` CPU with the planning cache cleared.
The load average is printed beside every line (the machine is shared).

Run (any of staff, sweep, plan):
``NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/measure_speed_session4.py staff sweep plan``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import channelopt as co
from channelopt.planning.evaluate import clear_cache

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from multiskill import multiskill_doc  # noqa: E402

BUNDLED = ("online_retailer", "retail_bank", "telecom")
GENERATED = ((1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5))


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _best(fn, repeat: int = 5, min_time: float = 0.2) -> float:  # type: ignore[no-untyped-def]
    fn()
    best = float("inf")
    for _ in range(repeat):
        n, t0 = 0, time.process_time()
        while True:
            fn()
            n += 1
            if time.process_time() - t0 >= min_time:
                break
        best = min(best, (time.process_time() - t0) / n)
    return best


def staff_figures() -> None:
    cases = [(n, co.load_scenario(ROOT / "scenarios" / f"{n}.yaml")) for n in BUNDLED]
    cases += [(f"multiskill{g}", co.load_scenario(multiskill_doc(*g))) for g in GENERATED]
    for name, sc in cases:
        erl = _best(lambda sc=sc: co.staff(sc, method="erlang"))
        pool = _best(lambda sc=sc: co.staff(sc, method="pooled"))
        print(
            f"staff {name}: erlang {erl * 1e3:.1f} ms, pooled {pool * 1e3:.1f} ms, "
            f"pooled/erlang {pool / erl:.2f}x ({_load()})"
        )


def sweep_figure(n: int = 60) -> None:
    sc = co.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    chat = next(c for c in sc.channels if c != "voice")
    grid = {f"channels.{chat}.volume": [0.8 + 0.4 * i / n for i in range(n)]}
    co.sweep(sc, {f"channels.{chat}.volume": [0.9, 1.1]}, evaluate="staff", executor="serial")
    cpu = []
    for _ in range(2):
        t0 = time.process_time()
        co.sweep(sc, grid, evaluate="staff", executor="serial", seed=0)
        cpu.append(time.process_time() - t0)
    print(f"sweep retail_bank serial: {n / min(cpu):.1f} cases per CPU s ({n} cases, {_load()})")


def plan_figures() -> None:
    for name in BUNDLED:
        sc = co.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        plan = co.optimize(sc)
        for call, fn in (
            ("optimize", lambda sc=sc: co.optimize(sc)),
            ("evaluate", lambda sc=sc, plan=plan: co.evaluate(sc, plan)),
        ):
            ts = []
            for _ in range(3):
                clear_cache()
                t0 = time.process_time()
                fn()
                ts.append(time.process_time() - t0)
            print(f"{call} {name}: {statistics.median(ts):.3f} CPU s median of 3 ({_load()})")


if __name__ == "__main__":
    which = sys.argv[1:] or ["staff", "sweep", "plan"]
    for w in which:
        {"staff": staff_figures, "sweep": sweep_figure, "plan": plan_figures}[w]()
