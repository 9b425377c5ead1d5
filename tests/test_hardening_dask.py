"""Dask (issue 16): a worker that dies loses no case, failed sweeps say so in their
exit code, an unreachable scheduler is a clear error (exit 2).

Local clusters on 127.0.0.1 with real worker processes; a worker is killed with
SIGKILL from inside a task (the way a worker dies of memory or a crash).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from channelopt.whatif.changes import case_seed
from channelopt.whatif.executors import (
    DASK_RESUBMITS,
    CaseStatus,
    SchedulerUnreachableError,
    run_tasks,
)

distributed = pytest.importorskip(
    "distributed",
    reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
)
dask = pytest.importorskip(
    "dask",
    reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
)

EXE = str(Path(sys.executable).with_name("channelopt"))
TINY = """
name: Tiny
interval: 1h
channels:
  voice: {kind: live, volume: 480, aht: 180s, target: {service_level: 0.8, within: 20s}}
"""


def draw_or_die(shared: tuple[int, str, tuple[int, ...], bool], item: tuple[int, int]) -> list:
    """A seeded task that kills its own worker on the listed cases (once each, or always)."""
    size, marker_dir, deadly, always = shared
    case, seed = item
    if case in deadly:
        marker = Path(marker_dir) / f"died-{case}"
        if always or not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return [case, *np.random.default_rng(seed).normal(size=size).tolist()]


def _items(n: int) -> list[tuple[int, int]]:
    return [(i, case_seed(3, i)) for i in range(n)]


def _cluster(**config: object):
    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )


def test_dead_workers_lose_no_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import channelopt.whatif.executors as executors

    items = _items(12)
    serial = run_tasks(draw_or_die, items, shared=(3, str(tmp_path / "x"), (), False),
                       executor="serial")  # fmt: skip
    expected = [o.value for o in serial.outcomes]
    # Dask reschedules a task whose worker died `allowed-failures` times itself; at 0
    # every death reaches channelopt, whose own resubmission is what is tested here.
    # One resubmission (instead of DASK_RESUBMITS) keeps the test short; the rule is
    # the same.
    monkeypatch.setattr(executors, "DASK_RESUBMITS", 1)
    with (
        _cluster(**{"distributed.scheduler.allowed-failures": 0}) as cluster,
        distributed.Client(cluster) as client,
    ):
        # a worker dies once, in case 5 (and with it the shared object, if it held it)
        once = run_tasks(
            draw_or_die, items, shared=(3, str(tmp_path), (5,), False), executor=client,
            chunk_size=1,
        )  # fmt: skip
        assert (tmp_path / "died-5").exists()  # it did die
        assert [o.status for o in once.outcomes] == [CaseStatus.OK] * 12, [
            o.error for o in once.outcomes if o.status is not CaseStatus.OK
        ]
        assert [o.value for o in once.outcomes] == expected  # the numbers of serial
        # case 2 kills every worker that runs it: it fails after 1 + 1 attempts. A case
        # queued on a worker that case 2 kills dies with it and is resubmitted too; with
        # one resubmission it can run out of attempts as well (collateral damage the
        # stated retry limit allows), so the others must be right when OK and may only
        # fail of a killed worker.
        always = run_tasks(
            draw_or_die, items[:4], shared=(3, str(tmp_path), (2,), True), executor=client,
            chunk_size=1,
        )  # fmt: skip
    assert always.outcomes[2].status is CaseStatus.ERROR
    assert "KilledWorker" in always.outcomes[2].error
    assert "after 2 attempts" in always.outcomes[2].error
    for i in (0, 1, 3):
        o = always.outcomes[i]
        if o.status is CaseStatus.OK:
            assert o.value == expected[i]
        else:
            assert o.status is CaseStatus.ERROR, o.status  # lost with a killed worker
    assert any(always.outcomes[i].status is CaseStatus.OK for i in (0, 1, 3))


def test_resubmissions_are_stated() -> None:
    assert DASK_RESUBMITS == 3  # the number docs/whatif.md states


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_is_a_clear_error() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(SchedulerUnreachableError, match="cannot reach the Dask scheduler"),
    ):
        run_tasks(draw_or_die, _items(2), shared=(1, "", (), False), executor=address)


def test_cli_unreachable_scheduler_exits_2(tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY)
    proc = subprocess.run(
        [EXE, "sweep", str(tiny), "--set", "channels.voice.volume=0.9,1.1", "--scheduler", address],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach the Dask scheduler" in proc.stderr
    assert "unexpected" not in proc.stderr


def test_cli_sweep_with_failed_cases_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY + "pools:\n  team: {skills: [voice], agents: 10}\n")
    # An invalid value is refused before any case runs (exit 2, the CLI tests), so the
    # failing case is a valid scenario the engine refuses: volume x 200,000 is beyond the
    # simulation's size limit (docs/limits.md); the other case runs.
    args = [EXE, "sweep", str(tiny), "--set", "channels.voice.volume=1.0,200000"]
    args += ["--serial", "--evaluate", "simulate", "--replications", "2"]
    proc = subprocess.run([*args, "--csv", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "1 of 2 cases failed" in proc.stderr
    assert out.exists()  # the table is written all the same, error rows included
    proc = subprocess.run([*args, "--allow-failures"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
