"""Benchmarks of the staffing methods (issue 11): erlang against pooled, and the
simulation method on a small multi-skill system.

Targets of issue 11: ``method="pooled"`` at most 3x the CPU of ``"erlang"`` (met in session 4,
1.6-2.4x; guarded below) and ``method="simulation"`` for one day of 48 intervals x 4 pools
within 120 CPU-s at 20 replications (``test_staff_simulation_retail_bank``: CPU
seconds, simulations run, cost against ``erlang`` and the machine's load in
``extra_info``; see docs/performance.md).

Run: ``.venv/bin/python -m pytest benchmarks/test_staffing_methods.py --benchmark-only -s``
(the retail_bank case alone: add ``-k simulation_retail_bank``; about 2 CPU-minutes).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

import channelopt as co

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from multiskill import multiskill_doc  # noqa: E402

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.benchmark
@pytest.mark.parametrize("method", ["erlang", "pooled"])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_staff_method(benchmark, path: Path, method: str) -> None:  # type: ignore[no-untyped-def]
    sc = co.load_scenario(path)
    co.staff(sc, method=method)  # compile and warm caches
    result = benchmark(co.staff, sc, method=method)
    benchmark.extra_info["cost_per_day"] = float(result.pools["cost"].sum())


@pytest.mark.benchmark
def test_staff_simulation_two_skills(benchmark) -> None:  # type: ignore[no-untyped-def]
    sc = co.load_scenario(multiskill_doc(1, 2, 2))
    result = benchmark.pedantic(
        co.staff,
        args=(sc,),
        kwargs={"method": "simulation", "replications": 8, "seed": 1},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info["cost_per_day"] = float(result.pools["cost"].sum())


@pytest.mark.benchmark
def test_staff_simulation_retail_bank(benchmark) -> None:  # type: ignore[no-untyped-def]
    """The issue's case: retail_bank, one day of 48 intervals, 4 pools, 20 replications."""
    from channelopt.staffing import _simopt

    sc = co.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    co.staff(sc, method="pooled")  # compile the kernels (erlang's too) outside the measurement
    runs: list[int] = []
    real = _simopt._simulate

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(*args, **kwargs)

    _simopt._simulate = counted  # type: ignore[assignment]
    try:
        load = os.getloadavg()[0]
        cpu0 = time.process_time()
        result = benchmark.pedantic(
            co.staff,
            args=(sc,),
            kwargs={"method": "simulation", "replications": 20, "seed": 1, "time_limit": 120},
            rounds=1,
            iterations=1,
        )
        cpu = time.process_time() - cpu0
    finally:
        _simopt._simulate = real  # type: ignore[assignment]
    erlang = float(co.staff(sc).pools["cost"].sum())
    cost = float(result.pools["cost"].sum())
    benchmark.extra_info.update(
        cpu_seconds=round(cpu, 1),
        simulations=len(runs),
        load_average_1min=round(load, 2),
        cost_per_day=round(cost),
        erlang_cost_per_day=round(erlang),
        targets_met=bool(result.simulated["meets"].all()),
    )


#: pooled / erlang CPU the guard allows (issue 11's target: 3x). Measured in session 4
#: (median of alternating pairs, load 4-7): online_retailer 2.1-2.5x, retail_bank 1.6-2.2x,
#: telecom 1.4-2.1x, after the effective-capacity rounds were compiled with a memo of the
#: Erlang cells (`staffing/_pooled_kernels.py`), the pooled result stopped recomputing the
#: requirement it is evaluated against, and no table is built that is not returned
#: (8.8x / 3.0x / 7.8x before, quiet).
POOLED_LIMIT = {"online_retailer": 3.0, "retail_bank": 3.0, "telecom": 3.0}


@pytest.mark.guard
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_guard_pooled_costs_at_most_3x_erlang(path: Path) -> None:
    from conftest import paired_ratio

    sc = co.load_scenario(path)
    ratio = paired_ratio(
        lambda: co.staff(sc, method="erlang"), lambda: co.staff(sc, method="pooled")
    )
    print(f"{path.stem}: pooled costs {ratio:.2f}x erlang")
    assert ratio <= POOLED_LIMIT[path.stem], (
        f"{path.stem}: method='pooled' costs {ratio:.2f}x method='erlang'; "
        f"the guard allows {POOLED_LIMIT[path.stem]}x"
    )
