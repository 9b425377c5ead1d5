"""The executor module: order, determinism, errors per case, Ctrl-C, worker threads.

Task functions live at module level so that spawned worker processes can
unpickle them by reference.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from channelopt.whatif.changes import case_seed
from channelopt.whatif.executors import (
    CaseStatus,
    Outcome,
    _harvest,
    _run_chunk,
    run_tasks,
    worker_environment,
)


def draw(shared: int, item: tuple[int, int]) -> list[float]:
    """A seeded random task: depends on its own seed only."""
    case, seed = item
    return [case, *np.random.default_rng(seed).normal(size=shared).tolist()]


def slow_first(shared: None, item: int) -> int:
    # Earlier items take longer, so they finish last on a parallel executor.
    time.sleep(0.02 * (4 - item) if item < 4 else 0)
    return item * item


def reciprocal(shared: None, item: float) -> float:
    return 1.0 / item


def environment(shared: None, item: int) -> dict[str, object]:
    import numba

    env: dict[str, object] = {k: os.environ.get(k) for k in worker_environment()}
    env["numba threads"] = numba.get_num_threads()
    return env


@pytest.fixture(scope="module")
def pool():
    """One spawned process pool shared by the tests that do not test pool start-up."""
    import multiprocessing

    from channelopt.whatif.executors import _init_worker

    with ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
    ) as shared_pool:
        yield shared_pool


def _items(n: int, seed: int = 7) -> list[tuple[int, int]]:
    return [(i, case_seed(seed, i)) for i in range(n)]


def _values(result):
    assert all(o.status is CaseStatus.OK for o in result.outcomes), result.outcomes
    return [o.value for o in result.outcomes]


def test_case_seed_equals_spawned_children() -> None:
    # The documented contract: child i of SeedSequence(seed).spawn(n).
    children = np.random.SeedSequence(11).spawn(5)
    for i, child in enumerate(children):
        assert case_seed(11, i) == int(child.generate_state(1, np.uint64)[0])


def test_serial_processes_and_own_pool_give_identical_results() -> None:
    items = _items(23)
    serial = _values(run_tasks(draw, items, shared=3, executor="serial"))
    # the reference, computed here without any executor
    assert serial == [draw(3, item) for item in items]
    processes = run_tasks(draw, items, shared=3, executor="processes", max_workers=2, chunk_size=4)
    assert _values(processes) == serial
    assert processes.chunk_size == 4
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert _values(run_tasks(draw, items, shared=3, executor=pool, chunk_size=2)) == serial


def test_results_come_back_in_case_order(pool) -> None:
    result = run_tasks(slow_first, list(range(8)), executor=pool, chunk_size=1)
    assert _values(result) == [i * i for i in range(8)]


def test_a_failing_case_is_recorded_and_the_others_finish(pool) -> None:
    for executor in ("serial", pool):
        result = run_tasks(reciprocal, [2.0, 0.0, 4.0], executor=executor, chunk_size=1)
        statuses = [o.status for o in result.outcomes]
        assert statuses == [CaseStatus.OK, CaseStatus.ERROR, CaseStatus.OK], executor
        assert result.outcomes[0].value == 0.5 and result.outcomes[2].value == 0.25
        assert result.outcomes[1].error.startswith("ZeroDivisionError")
        assert not result.interrupted


def test_workers_are_single_threaded() -> None:
    before = {k: os.environ.get(k) for k in worker_environment()}
    result = run_tasks(environment, [0, 1], executor="processes", chunk_size=1)
    for env in _values(result):
        assert env == {**worker_environment(), "numba threads": 1}
    assert {k: os.environ.get(k) for k in worker_environment()} == before  # restored here


class _StopAfter:
    """A progress callback that presses Ctrl-C once ``k`` cases are done."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        if done >= self.k:
            raise KeyboardInterrupt


def test_ctrl_c_serial_keeps_the_finished_cases() -> None:
    items = _items(10)
    stop = _StopAfter(4)
    result = run_tasks(draw, items, shared=2, executor="serial", progress=stop)
    assert result.interrupted
    assert stop.calls == [(1, 10), (2, 10), (3, 10), (4, 10)]
    statuses = [o.status for o in result.outcomes]
    assert statuses == [CaseStatus.OK] * 4 + [CaseStatus.INTERRUPTED] * 6
    assert [o.value for o in result.outcomes[:4]] == [draw(2, it) for it in items[:4]]


def test_ctrl_c_processes_keeps_the_finished_cases_and_stops_the_pool() -> None:
    items = _items(40)
    stop = _StopAfter(2)
    result = run_tasks(draw, items, shared=2, executor="processes", chunk_size=1, progress=stop)
    assert result.interrupted
    finished = [i for i, o in enumerate(result.outcomes) if o.status is CaseStatus.OK]
    assert len(finished) >= 2
    assert result.n_finished == len(finished)
    assert any(o.status is CaseStatus.INTERRUPTED for o in result.outcomes)
    for i in finished:  # what finished is right, not a stale or shifted value
        assert result.outcomes[i].value == draw(2, items[i])


def test_progress_counts_up_to_the_total(pool) -> None:
    calls: list[tuple[int, int]] = []
    run_tasks(draw, _items(9), shared=1, executor=pool, chunk_size=4, progress=
              lambda d, t: calls.append((d, t)))  # fmt: skip
    assert sorted(calls)[-1] == (9, 9)
    assert sorted(d for d, _ in calls) == [d for d, _ in calls]  # never goes back
    assert len(calls) == 3  # one call per chunk of 4, 4, 1


def test_harvest_keeps_done_chunks_and_skips_the_rest() -> None:
    from concurrent.futures import Future

    done, failed, pending = Future(), Future(), Future()
    done.set_result(_run_chunk(draw, 2, [(0, (0, 5)), (1, (1, 6))]))
    failed.set_exception(RuntimeError("worker died"))
    outcomes = [Outcome(CaseStatus.INTERRUPTED)] * 4
    _harvest(outcomes, {done: [], failed: [], pending: []})
    assert outcomes[:2] == [
        Outcome(CaseStatus.OK, draw(2, (0, 5))),
        Outcome(CaseStatus.OK, draw(2, (1, 6))),
    ]
    assert outcomes[2:] == [Outcome(CaseStatus.INTERRUPTED)] * 2


def test_empty_input() -> None:
    for executor in ("serial", "processes"):
        result = run_tasks(draw, [], shared=1, executor=executor)
        assert result.outcomes == () and not result.interrupted


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"executor": "threads"}, "'executor' parameter"),
        ({"executor": 3}, "'executor' parameter"),
        ({"chunk_size": 0}, "'chunk_size' parameter"),
        ({"max_workers": -1}, "'max_workers' parameter"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        run_tasks(draw, _items(2), shared=1, **kwargs)


def test_dask_threads_and_address_give_the_serial_results() -> None:
    distributed = pytest.importorskip(
        "distributed",
        reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
    )
    items = _items(31)
    serial = _values(run_tasks(draw, items, shared=3, executor="serial"))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = run_tasks(draw, items, shared=3, executor=client, chunk_size=5)
        assert _values(result) == serial
        assert result.executor.startswith("dask(")
        failing = run_tasks(reciprocal, [1.0, 0.0], executor=client)
        assert [o.status for o in failing.outcomes] == [CaseStatus.OK, CaseStatus.ERROR]
        # a scheduler address string: connect, run, disconnect
        by_address = run_tasks(draw, items, shared=3, executor=cluster.scheduler_address)
        assert _values(by_address) == serial
        # chunks that finished but were not yet collected when Ctrl-C came are kept
        future = client.submit(_run_chunk, draw, 3, [(0, items[0])], pure=False)
        distributed.wait(future)
        harvested = [Outcome(CaseStatus.INTERRUPTED)]
        _harvest(harvested, {future: [(0, items[0])]})
        assert harvested == [Outcome(CaseStatus.OK, serial[0])]
        # Ctrl-C from the progress callback: finished chunks kept, the rest marked
        stopped = run_tasks(
            draw, items, shared=3, executor=client, chunk_size=4, progress=_StopAfter(4)
        )
        assert stopped.interrupted
        kept = [i for i, o in enumerate(stopped.outcomes) if o.status is CaseStatus.OK]
        assert len(kept) >= 4
        assert [stopped.outcomes[i].value for i in kept] == [serial[i] for i in kept]


def test_dask_process_worker_gives_the_serial_results() -> None:
    distributed = pytest.importorskip(
        "distributed",
        reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
    )
    items = _items(12)
    serial = _values(run_tasks(draw, items, shared=3, executor="serial"))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert _values(run_tasks(draw, items, shared=3, executor=client)) == serial


_SIGINT_CHILD = """
import json, multiprocessing, signal
from channelopt.whatif.executors import run_tasks
from slow_task import slow

def progress(done, total):
    print("done", done, flush=True)

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    result = run_tasks(slow, list(range(40)), shared=0.3, executor="processes",
                       chunk_size=1, max_workers=2, progress=progress)
    print(json.dumps({
        "interrupted": result.interrupted,
        "statuses": [str(o.status) for o in result.outcomes],
        "values": [o.value for o in result.outcomes],
        "children": len(multiprocessing.active_children()),
    }), flush=True)
"""


def test_a_real_sigint_returns_finished_cases_and_ends_the_workers(tmp_path) -> None:
    import json
    import signal
    import subprocess
    import sys

    (tmp_path / "slow_task.py").write_text(
        "import time\n\ndef slow(shared, item):\n    time.sleep(shared)\n    return item\n"
    )
    (tmp_path / "child.py").write_text(_SIGINT_CHILD)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    child = subprocess.Popen(
        [sys.executable, str(tmp_path / "child.py")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert child.stdout is not None
    for line in child.stdout:  # wait until a few cases finished, then press Ctrl-C
        if line.startswith("done") and int(line.split()[1]) >= 3:
            child.send_signal(signal.SIGINT)
            break
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    report = json.loads(out.strip().splitlines()[-1])
    assert report["interrupted"] is True
    ok = [i for i, s in enumerate(report["statuses"]) if s == "ok"]
    assert len(ok) >= 3
    assert "interrupted" in report["statuses"]
    assert all(report["values"][i] == i for i in ok)
    assert report["children"] == 0  # the workers were ended, not left running
