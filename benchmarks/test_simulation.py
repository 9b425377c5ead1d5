"""Benchmarks of channelopt.simulation: contacts per CPU-second, memory, and the CI guard.

``make bench`` records contacts per CPU-second on one voice channel with
abandonment (50 and 5,000 agents; beside the bare heap loop of
``bare_heap_mmn.py`` on the same queue, same run) and on the bundled
omni-channel scenarios, plus the peak memory of a day of 1,000,000 contacts
(in a subprocess).
``make test`` runs the ``guard`` tests: same-run ratios against the minimal
SimPy model in ``mm50_simpy.py`` (a process per customer and a ``Resource``)
and against Ciw (``ciw_mm50.py``, an independent open-network simulator), per
contact on the same M/M/50+M queue.
Figures are in ``docs/perf/simulation.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bare_heap_mmn import run_bare
from channelopt.scenario.resolved import ChannelKind, Resolved
from channelopt.simulation import simulate, simulate_resolved
from conftest import assert_ratio
from mm50_simpy import run_mm50

try:  # Ciw is a dev dependency (benchmarks only)
    from ciw_mm50 import run_ciw
except ImportError:  # pragma: no cover - without the dev extra
    run_ciw = None

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def one_voice_channel(agents: int, load: float, aht: float = 300.0, patience: float = 180.0):
    """One voice channel open all day, constant rate, ``agents`` on duty, exponential times."""
    one = np.ones(1)
    return Resolved(
        name=f"voice M/M/{agents}+M",
        content_hash="benchmark",
        period=0,
        channels=("voice",),
        kinds=(ChannelKind.LIVE,),
        interval_s=1800.0,
        arrivals=np.full((48, 1), load / aht * 1800.0),
        open_mask=np.ones((48, 1), dtype=bool),
        aht=one * aht,
        aht_cv=one,
        patience=one * patience,
        resolution=one,
        containment=one * 0,
        concurrency=np.ones(1, dtype=np.int64),
        concurrency_stretch=one * 0,
        deadline=one * np.inf,
        forecast_error=one * 0,
        target_service_level=one * 0.8,
        target_within=one * 20.0,
        target_max_wait=one * np.nan,
        target_max_abandonment=one * np.nan,
        target_max_occupancy=one * np.nan,
        target_within_deadline=one * np.nan,
        handoff=np.zeros((1, 1)),
        repeat_to=np.zeros((1, 1)),
        repeat_delay=3600.0,
        retrial_probability=0.0,
        retrial_delay=600.0,
        pools=("agents",),
        pool_skills=((0,),),
        pool_agents=one * agents,
        pool_max_agents=one * np.inf,
        pool_cost_per_hour=one * 30,
        pool_shrinkage=one * 0.3,
        pool_hires_per_period=one * np.inf,
        pool_attrition=one * 0,
    )


def contacts(result) -> int:
    """Attempts simulated over all days, warm-up included."""
    return int(result.conservation["attempts"].sum())


def per_cpu_second(fn):
    t0 = time.process_time()
    result = fn()
    return result, time.process_time() - t0


@pytest.mark.parametrize(("agents", "load", "days"), [(50, 47.5, 10), (5000, 4900.0, 1)])
def test_voice_contacts_per_cpu_second(benchmark, agents: int, load: float, days: int) -> None:
    res = one_voice_channel(agents, load)
    run = lambda: simulate_resolved(res, replications=1, seed=0, days=days, warmup_days=0)  # noqa: E731
    run()  # warm up imports and caches
    result, cpu = per_cpu_second(run)
    benchmark.pedantic(run, rounds=1, iterations=1)
    n = contacts(result)
    # the floor in the same run: the bare heap loop, same queue and as many contacts
    _, cpu_bare = per_cpu_second(lambda: run_bare(n, agents=agents, load=load))
    benchmark.extra_info.update(
        contacts=n,
        cpu_seconds=cpu,
        contacts_per_cpu_second=n / cpu,
        bare_heap_loop_contacts_per_cpu_second=n / cpu_bare,
        engine_vs_bare_heap_loop=cpu_bare / cpu,
        abandonment=float(result.intervals["abandoned"].sum() / result.intervals["offered"].sum()),
    )


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenario_contacts_per_cpu_second(benchmark, path: Path) -> None:
    import channelopt as co

    sc = co.load_scenario(path)
    run = lambda: simulate(sc, replications=2, seed=0, days=1, warmup_days=1)  # noqa: E731
    run()
    result, cpu = per_cpu_second(run)
    benchmark.pedantic(run, rounds=1, iterations=1)
    n = contacts(result)
    benchmark.extra_info.update(contacts=n, cpu_seconds=cpu, contacts_per_cpu_second=n / cpu)


_MEMORY_SCRIPT = """
import json, re, sys, time
sys.path.insert(0, {bench!r})
from test_simulation import one_voice_channel
from channelopt.simulation import simulate_resolved
res = one_voice_channel(3500, 3500 * 0.97, aht=300.0)  # about 1,000,000 contacts a day
t0 = time.process_time()
out = simulate_resolved(res, replications=1, seed=0, days=1, warmup_days={warmup})
cpu = time.process_time() - t0
print(json.dumps({{
    "contacts": int(out.conservation["attempts"].sum()),
    "reported": int(out.intervals["offered"].sum()),
    "journeys": len(out.journeys),
    # VmHWM is this process's own peak: ru_maxrss would keep the forked parent's peak
    "peak_mb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) / 1024,
    "cpu_seconds": cpu,
}}))
"""


@pytest.mark.parametrize("warmup", [0, 1])
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_memory_of_a_million_contact_day(benchmark, warmup: int) -> None:
    script = _MEMORY_SCRIPT.format(bench=str(Path(__file__).parent), warmup=warmup)

    def run() -> dict:
        out = subprocess.run(
            [sys.executable, "-c", script], check=True, capture_output=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    info = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(info)
    assert info["reported"] > 900_000
    assert info["peak_mb"] < 600, f"peak {info['peak_mb']:.0f} MB for a day of 1,000,000 contacts"


@pytest.mark.guard
def test_guard_faster_than_a_process_per_customer() -> None:
    res = one_voice_channel(50, 45.0)
    probe = simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0)
    n_engine = contacts(probe)
    n_baseline = 4000
    assert_ratio(
        lambda: simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0),
        lambda: run_mm50(n_baseline),
        # Measured 4.3x and 4.6x (session 3, 2026-12-04, load average 9 on 2 vCPUs) after
        # the speed work (docs/perf/simulation.md); round 1's closure engine 4.3-4.8x. The
        # engine before that work measured 2.9-4.0x loaded but 1.9-3.0x on a quiet
        # machine (the baseline gains more from a quiet machine), hence the margin: 2x.
        at_least=2.0,
        work_candidate=n_engine,
        work_baseline=n_baseline,
        label="simulation vs SimPy process-per-customer M/M/50+M (per contact)",
    )


@pytest.mark.guard
@pytest.mark.skipif(run_ciw is None, reason="needs ciw (the dev extra)")
def test_guard_faster_than_ciw() -> None:
    # The target is 10x Ciw; measured 8.3x (this guard, one day) and 9.2x (ten
    # days) at load average 9 on the 2-core machine of session 3, and 8.3x, 9.1x and
    # 10.2x in three runs of this guard at load 4-5 in session 4, after the completion
    # calendar (docs/perf/simulation.md); 10.5x-10.9x in six runs at load about 1 in
    # session 7 (engine slots, lazy journeys table). Ciw's own time per contact varied
    # by 15 % between runs, so the guard keeps a wide margin: at least 5x (was 4x).
    res = one_voice_channel(50, 45.0)
    probe = simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0)
    n_engine = contacts(probe)
    n_baseline = 4000
    assert_ratio(
        lambda: simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0),
        lambda: run_ciw(n_baseline),
        at_least=5.0,
        work_candidate=n_engine,
        work_baseline=n_baseline,
        label="simulation vs Ciw M/M/50+M (per contact)",
    )
