"""Processes (issue 16): no orphan workers after kill -9, no stale staging folders,
one ``run`` per output directory, unusable output paths are bad input.

The kill test uses the real command and a real SIGKILL: no handler in the
parent runs, so only the workers themselves can notice that it died.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from channelopt.parallel import PARENT_CHECK_SECONDS, run_local
from channelopt.reporting._atomic import (
    STAGING_PREFIX,
    OutputPathError,
    atomic_write_text,
    staged_directory,
)

psutil = pytest.importorskip(
    "psutil",
    reason="psutil comes with the optional dask extra: pip install -e '.[dask]' to run these tests",
)

EXE = str(Path(sys.executable).with_name("channelopt"))

SMALL = """
name: Small centre
interval: 1h
open: "08:00-20:00"
channels:
  voice: {kind: live, volume: 2400, aht: 5min, patience: 3min, resolution: 0.9,
          target: {service_level: 0.8, within: 20s}}
pools:
  phone: {skills: [voice], agents: 30, max_agents: 300, cost_per_hour: 30}
periods: {count: 1, length: quarter}
"""


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a container's PID 1 may not reap)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_kill_9_of_run_leaves_no_worker_alive(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    out = tmp_path / "out"
    # Many long replications: the workers are busy when the parent is killed.
    proc = subprocess.Popen(
        [EXE, "run", str(scenario), "-o", str(out), "-r", "64", "--days", "20", "--no-pareto"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        parent = psutil.Process(proc.pid)
        assert _wait_for(lambda: len(parent.children()) >= 1, 240), "no worker started"
        time.sleep(1.0)  # let the pool start the rest of its workers
        workers += [c.pid for c in parent.children(recursive=True)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # The workers check their parent every PARENT_CHECK_SECONDS (on Linux the
        # kernel also kills them at once); allow for a loaded machine.
        gone = _wait_for(lambda: not any(_alive(w) for w in workers), 20 * PARENT_CHECK_SECONDS)
        assert gone, [w for w in workers if _alive(w)]
    finally:
        # never leave anything behind, whatever happened above (by pid: only ours)
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # The killed run left its staging folder; the output holds no result files.
    assert [p.name for p in out.iterdir() if not p.name.startswith(STAGING_PREFIX)] == []


def _parent_pid(shared: None, item: int) -> int:
    return os.getppid()


def test_pool_workers_know_their_parent() -> None:
    # The watch compares against the pid given at start-up: the parent here.
    result = run_local(_parent_pid, [0, 1], executor="processes", chunk_size=1, max_workers=2)
    assert [o.value for o in result.outcomes] == [os.getpid(), os.getpid()]


def test_stale_staging_folders_are_removed_never_published(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = out / f"{STAGING_PREFIX}killed"
    stale.mkdir(parents=True)
    (stale / "report.html").write_text("<half")
    (out / "keep.txt").write_text("mine")
    with staged_directory(out) as stage:
        assert not stale.exists()  # removed as the next job starts
        (stage / "report.html").write_text("<html>complete</html>")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "report.html"]
    assert (out / "report.html").read_text() == "<html>complete</html>"


_HOLD = """
import sys, time
from channelopt.reporting._atomic import staged_directory
with staged_directory(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_second_run_into_a_busy_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        busy = pytest.raises(OutputPathError, match="another channelopt run is writing")
        with busy, staged_directory(out):
            pass
        scenario = tmp_path / "small.yaml"
        scenario.write_text(SMALL)
        proc = subprocess.run(
            [EXE, "run", str(scenario), "-o", str(out), "--no-simulate", "--no-pareto"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 2, proc.stderr
        assert "another channelopt run is writing" in proc.stderr
        # the holder's own staging folder is still there: the refused run did not touch it
        assert len(list(out.glob(f"{STAGING_PREFIX}*"))) == 1
    finally:
        holder.kill()
        holder.wait()
    # the lock died with its holder: the directory is usable again at once
    with staged_directory(out) as stage:
        (stage / "x.csv").write_text("a\n")
    assert (out / "x.csv").exists()
    assert not list(out.glob(f"{STAGING_PREFIX}*"))


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="running as root, which may write into a read-only folder, so the error cannot "
    "be provoked: run the suite as an ordinary user to check it",
)
def test_read_only_folder_is_an_output_path_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputPathError, match="cannot write"):
            atomic_write_text(folder / "x.csv", "a\n")
    finally:
        folder.chmod(0o700)


def test_dangling_symlink_output_is_an_output_path_error(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "missing" / "target.csv")
    with pytest.raises(OutputPathError, match="does not exist"):
        atomic_write_text(link, "a\n")
    assert link.is_symlink()  # left as it was
    outdir = tmp_path / "outlink"
    outdir.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputPathError, match="does not exist"), staged_directory(outdir):
        pass


def test_cli_unusable_outputs_exit_2(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    file_in_the_way = tmp_path / "file"
    file_in_the_way.write_text("x")
    for args in (
        ["staff", str(scenario), "--csv", str(link)],
        ["staff", str(scenario), "--csv", str(file_in_the_way / "x.csv")],
        ["run", str(scenario), "-o", str(link), "--no-simulate", "--no-pareto"],
    ):
        proc = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_during_simulate_on_processes_stops_its_workers(tmp_path: Path) -> None:
    """simulate() runs its replications on the shared pool code: Ctrl-C (here raised by
    the progress callback) stops the run and ends its workers."""
    import multiprocessing

    import channelopt as co

    sc = co.load_scenario(SMALL)
    before = {p.pid for p in multiprocessing.active_children()}

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        co.simulate(sc, replications=6, seed=0, days=2, executor="processes", progress=stop)
    assert _wait_for(
        lambda: not [p for p in multiprocessing.active_children() if p.pid not in before], 30
    )


_STUCK_READER = """
import os, struct, sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp
from channelopt.parallel import _shut_down_killed_pool

pool = ProcessPoolExecutor(2, mp_context=mp.get_context("spawn"))
assert pool.submit(abs, -1).result() == 1
# what a worker killed in the middle of writing a 1,000-byte result leaves in the pipe
os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1000) + bytes(10))
time.sleep(0.5)  # the manager thread reads the header and waits for the rest
for p in mp.active_children():
    if p.pid in pool._processes:
        p.terminate()
if sys.argv[1] == "unblock":
    _shut_down_killed_pool(pool)
pool.shutdown(wait=True, cancel_futures=True)
print("shut down")
"""


@pytest.mark.parametrize("unblock", [True, False], ids=["unblocked", "left-stuck"])
def test_a_result_cut_off_by_a_killed_worker_does_not_hang_the_pool(unblock: bool) -> None:
    """The manager thread of a pool whose worker died mid-result waits forever for the
    rest of the message; ``_shut_down_killed_pool`` (called on Ctrl-C after the workers
    are ended) completes it, so shutdown and exit return. Without it the same script
    hangs: the check has power."""
    cmd = [sys.executable, "-c", _STUCK_READER, "unblock" if unblock else "leave"]
    if unblock:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "shut down" in out.stdout
    else:
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run(cmd, capture_output=True, text=True, timeout=8)
