"""Benchmarks of channelopt.whatif: executor overhead and a 1,000-case staffing sweep.

``make bench`` records the figures (docs/perf/whatif.md); ``make test`` runs
the ``guard`` test, a same-run ratio: batched dispatch must stay much cheaper
per task than one task per case.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from channelopt.whatif.executors import CaseStatus, run_tasks
from conftest import assert_ratio

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def trivial(shared: object, item: int) -> int:
    """A task that does (almost) nothing: what remains is the executor's overhead."""
    return item


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is optional")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        run_tasks(trivial, range(10), executor=client)  # warm up the scheduler
        yield client


@pytest.mark.parametrize("chunk_size", [None, 1], ids=["batched", "one-per-task"])
def test_dask_per_task_overhead(benchmark, dask_client, chunk_size: int | None) -> None:
    """Wall time per trivial task on an in-process Dask cluster (target: < 3 ms, batched)."""
    n = 2000 if chunk_size is None else 200
    items = list(range(n))
    result = benchmark.pedantic(
        run_tasks,
        args=(trivial, items),
        kwargs={"executor": dask_client, "chunk_size": chunk_size},
        rounds=5,
        iterations=1,
        warmup_rounds=1,
    )
    assert [o.value for o in result.outcomes] == items
    per_task = benchmark.stats.stats.min / n
    benchmark.extra_info["tasks"] = n
    benchmark.extra_info["chunk_size"] = result.chunk_size
    benchmark.extra_info["seconds_per_task"] = per_task
    if chunk_size is None:
        assert per_task < 3e-3, f"batched Dask overhead {per_task * 1e3:.3f} ms per task"


@pytest.mark.guard
def test_guard_batched_dispatch_is_cheaper_per_task(dask_client) -> None:
    """Batching must keep amortising the per-task cost of the scheduler (same-run ratio)."""
    batched = list(range(1000))
    single = list(range(50))
    assert_ratio(
        lambda: run_tasks(trivial, batched, executor=dask_client),
        lambda: run_tasks(trivial, single, executor=dask_client, chunk_size=1),
        at_least=5.0,
        work_candidate=len(batched),
        work_baseline=len(single),
        label="dask batched vs one task per case",
    )


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_staffing_sweep_1000_cases_processes(benchmark) -> None:
    """A 1,000-case staffing sweep on local processes; cases per CPU-second in extra_info."""
    import channelopt as co

    scenario = co.load_scenario(SCENARIOS / "retail_bank.yaml")
    chat = next(n for n in scenario.channels if n != "voice")
    grid = {
        f"channels.{chat}.volume": [0.8 + 0.01 * i for i in range(50)],
        "channels.voice.aht": [0.9 + 0.01 * i for i in range(20)],
    }
    co.staff(scenario)  # compile the kernels once in this process (cache=True for workers)
    cpu_parent = time.process_time()
    cpu_children = _children_cpu()
    table = benchmark.pedantic(
        co.sweep,
        args=(scenario, grid),
        kwargs={"evaluate": "staff", "executor": "processes", "seed": 0},
        rounds=1,
        iterations=1,
    )
    cpu = (time.process_time() - cpu_parent) + (_children_cpu() - cpu_children)
    cases = table["case"].nunique()
    assert cases == 1000
    assert (table["status"] == str(CaseStatus.OK)).all(), table["error"].unique()[:3]
    benchmark.extra_info["cases"] = cases
    benchmark.extra_info["cpu_seconds"] = cpu
    benchmark.extra_info["cases_per_cpu_second"] = cases / cpu
    benchmark.extra_info["cases_per_wall_second"] = cases / benchmark.stats.stats.min
