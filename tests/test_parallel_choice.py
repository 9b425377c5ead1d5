"""``"processes"`` chooses its pool from the measured cost of a case (issue 12).

With neither ``chunk_size`` nor ``max_workers`` given, :func:`run_local`
measures the first cases in this process and either starts a pool sized from
that cost and the cores left free, or runs the rest here when a pool cannot
pay off (one effective core, too little work). The outcomes are the same in
every case.
"""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from channelopt import parallel
from channelopt.parallel import CaseStatus, choose_pool, effective_cpus, run_local


def burn(shared: float, item: int) -> tuple[int, int]:
    """About ``shared`` CPU seconds of work; returns (item squared, pid that ran it)."""
    end = time.process_time() + shared
    while time.process_time() < end:
        pass
    return item * item, os.getpid()


def test_one_effective_core_never_starts_a_pool() -> None:
    choice = choose_pool(10_000, 0.05, cpus=1)
    assert choice.workers == 0 and "one effective CPU" in choice.reason


def test_too_little_work_stays_in_this_process() -> None:
    # 10 cases of 1 ms: 0.01 CPU s of work cannot repay starting a worker (about 1 s)
    assert choose_pool(10, 1e-3, cpus=8).workers == 0
    # 2 x 1 s of work on 2 cores saves 1 s: less than twice a worker's start
    assert choose_pool(2, 1.0, cpus=2).workers == 0


def test_enough_work_gets_a_pool_with_chunks_of_real_work() -> None:
    choice = choose_pool(1000, 0.03, cpus=2)  # 30 CPU s of work, two cores free
    assert choice.workers == 2
    assert choice.chunk_size == 125  # four chunks per worker, each 3.75 CPU s >= MIN_CHUNK_CPU
    fine = choose_pool(100, 0.05, cpus=4)  # 5 CPU s on four cores
    assert fine.workers == 4 and fine.chunk_size == 7
    # cheap cases: a chunk carries at least MIN_CHUNK_CPU of work
    cheap = choose_pool(100_000, 1e-4, cpus=2)
    assert cheap.chunk_size * 1e-4 >= parallel.MIN_CHUNK_CPU


def test_effective_cpus_is_between_one_and_the_cpus_available() -> None:
    assert 1 <= effective_cpus() <= parallel.available_cpus()


def test_busy_machine_runs_here_with_the_same_outcomes(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "effective_cpus", lambda: 1)
    before = {p.pid for p in multiprocessing.active_children()}
    items = list(range(12))
    result = run_local(burn, items, shared=0.002, executor="processes")
    assert {p.pid for p in multiprocessing.active_children()} == before  # no pool
    assert result.executor.startswith("processes (serial")
    assert [o.status for o in result.outcomes] == [CaseStatus.OK] * len(items)
    assert [o.value for o in result.outcomes] == [(i * i, os.getpid()) for i in items]


def test_free_cores_and_enough_work_start_a_pool(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "effective_cpus", lambda: 2)
    monkeypatch.setattr(parallel, "WORKER_START_CPU", 0.0)
    monkeypatch.setattr(parallel, "MIN_CHUNK_CPU", 0.01)
    items = list(range(8))
    result = run_local(burn, items, shared=0.02, executor="processes")
    assert result.executor == "processes"
    values = [o.value for o in result.outcomes]
    assert [v[0] for v in values] == [i * i for i in items]
    pids = [v[1] for v in values]
    # the measured cases ran here, the rest in the workers
    assert pids[0] == os.getpid()
    assert any(pid != os.getpid() for pid in pids)


def test_progress_counts_every_case_once(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "effective_cpus", lambda: 1)
    calls: list[tuple[int, int]] = []
    run_local(burn, list(range(5)), shared=0.0, executor="processes",
              progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert calls == [(k, 5) for k in range(1, 6)]


@pytest.mark.parametrize("kwargs", [{"chunk_size": 2}, {"max_workers": 1}])
def test_an_explicit_pool_setting_is_obeyed(monkeypatch, kwargs: dict) -> None:
    monkeypatch.setattr(parallel, "effective_cpus", lambda: 1)
    result = run_local(burn, [1, 2], shared=0.0, executor="processes", **kwargs)
    assert result.executor == "processes"
    assert all(v[1] != os.getpid() for v in (o.value for o in result.outcomes))
