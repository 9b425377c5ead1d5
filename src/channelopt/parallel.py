"""Local parallel execution: the one process-pool mechanism of channelopt (base layer).

Sweeps and comparisons (:mod:`channelopt.whatif.executors`, which adds Dask on
top) and the replications of :func:`channelopt.simulation.simulate` all run
their cases through :func:`run_local`. It lives in the base layer, below the
simulation, so that every engine can use it; it needs only the standard
library. What it owns:

* **Order and determinism.** Results come back in case order whatever order
  the workers finish in. The task function receives everything it needs
  (including its seed) in its arguments, so nothing depends on which worker ran
  a case or when.
* **Batching.** Cases are sent in chunks, so the per-task overhead of a pool
  (pickling, a round trip) is paid once per chunk, not once per case.
* **Failures.** An exception in one case is recorded in that case's
  :class:`Outcome` (with the exception object itself, so a caller that wants
  all-or-nothing can re-raise it); the other cases run on.
* **Ctrl-C.** A :class:`KeyboardInterrupt` while waiting (or raised by the
  ``progress`` callback) cancels pending work, ends the worker processes of a
  pool started for the call and returns the cases finished so far; the others
  are marked :attr:`CaseStatus.INTERRUPTED`.
* **Threads.** Worker processes are started with ``spawn`` (no fork of a
  process that may already run Numba, BLAS or Dask threads) and with
  ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
  ``OPENBLAS_NUM_THREADS`` set to 1, so ``k`` workers use ``k`` cores, not
  ``k`` x cores.
* **Orphans.** A worker ends itself when its parent process dies, even by
  ``kill -9`` (which no handler in the parent can catch): on Linux the kernel
  sends it SIGKILL with its parent (``PR_SET_PDEATHSIG``), and on every system
  a watch thread in the worker checks once a second that its parent is still
  the process that started it.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ._display import progress_caller

__all__ = [
    "MIN_CHUNK_CPU",
    "PARENT_CHECK_SECONDS",
    "PROBE_CPU",
    "WORKER_START_CPU",
    "CaseStatus",
    "Outcome",
    "PoolChoice",
    "Progress",
    "RunResult",
    "available_cpus",
    "choose_pool",
    "effective_cpus",
    "init_worker",
    "run_local",
    "worker_environment",
]

#: Progress callback: ``progress(done, total, message)`` with counts of cases; a
#: two-argument callback gets ``(done, total)`` (see ``channelopt._display``).
Progress = Callable[..., object]

#: How often a worker checks that its parent is alive (seconds).
PARENT_CHECK_SECONDS = 1.0

#: CPU seconds a spawned worker spends before its first case (interpreter, NumPy,
#: pandas, channelopt and Numba's cached kernels): about 1-1.5 measured on the
#: project machine (docs/perf/whatif.md); the choice below counts it twice.
WORKER_START_CPU = 1.5
#: Work (CPU seconds) a dispatched chunk carries at least when the pool's chunk size
#: is chosen from the measured cost of a case: pickling and a round trip per chunk
#: cost milliseconds, so they stay small against it.
MIN_CHUNK_CPU = 0.2
#: ``"processes"`` with the choice left to it first runs cases in this process until
#: this much CPU time (or three cases) measured what one case costs.
PROBE_CPU = 0.05

_THREAD_VARIABLES = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
)

# A chunk is the unit of dispatch: a list of (case index, item).
_Chunk = list[tuple[int, Any]]


class CaseStatus(StrEnum):
    """What happened to one case."""

    OK = "ok"  #: finished; ``value`` holds the result
    ERROR = "error"  #: raised; ``error`` holds ``"ExceptionType: message"``
    INTERRUPTED = "interrupted"  #: not finished because the run was interrupted (Ctrl-C)


@dataclass(frozen=True)
class Outcome:
    """The outcome of one case.

    Attributes
    ----------
    status : CaseStatus
        Whether the case finished, failed or was interrupted.
    value : object
        What the task function returned (``None`` unless ``status`` is ``ok``).
    error : str
        ``"ExceptionType: message"`` when ``status`` is ``error``; empty otherwise.
    exception : BaseException or None
        The exception itself when ``status`` is ``error`` and it could be
        carried back (not compared, not shown).
    """

    status: CaseStatus
    value: Any = None
    error: str = ""
    exception: BaseException | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RunResult:
    """All outcomes of one run, in case order.

    Attributes
    ----------
    outcomes : tuple of Outcome
        One per item, in the order of the items.
    interrupted : bool
        Whether the run stopped early on :class:`KeyboardInterrupt`.
    executor : str
        A short description of the executor used.
    chunk_size : int
        Cases per dispatched chunk.
    """

    outcomes: tuple[Outcome, ...]
    interrupted: bool
    executor: str
    chunk_size: int

    @property
    def n_finished(self) -> int:
        """Number of cases that finished, successfully or with an error."""
        return sum(o.status is not CaseStatus.INTERRUPTED for o in self.outcomes)

    @property
    def n_failed(self) -> int:
        """Number of cases that ended with an error."""
        return sum(o.status is CaseStatus.ERROR for o in self.outcomes)


def worker_environment() -> dict[str, str]:
    """Environment variables set in every local worker process (all ``"1"``)."""
    return dict.fromkeys(_THREAD_VARIABLES, "1")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _cgroup_cpu_quota() -> float | None:
    """CPUs' worth of time the cgroup (v2 ``cpu.max`` or v1 CFS quota) allows, if limited."""
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        return None if quota_us <= 0 else quota_us / period_us
    return None


def effective_cpus() -> int:
    """Cores a process pool started now can expect to keep busy (at least 1).

    The CPUs this process may use (:func:`available_cpus`), capped by a cgroup
    CPU quota (containers), minus what other processes already keep busy: the
    one-minute load average, rounded to whole cores. A shared machine whose two
    CPUs are both loaded by others has one effective core (this process's own).
    """
    n = float(available_cpus())
    quota = _cgroup_cpu_quota()
    if quota is not None:
        n = min(n, max(1.0, math.floor(quota)))
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not on Unix
        load = 0.0
    return max(1, min(int(n), math.floor(n - load + 0.5)))


@contextlib.contextmanager
def _spawn_environment() -> Iterator[None]:
    """Set the single-thread variables in this process while workers are spawned.

    A spawned worker imports NumPy (and with it OpenBLAS) and the user's main
    module before any initialiser runs, so the limits must already be in the
    environment it starts with. The previous values are restored afterwards;
    the libraries of this process read them at import time, long before.
    """
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update(worker_environment())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _die_with_parent(parent: int, kernel_signal: bool) -> None:
    """End this worker when ``parent`` dies (see the module documentation, Orphans)."""
    if kernel_signal and sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # no libc prctl: the watch thread remains
            import ctypes

            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:
        # A dead parent's children are adopted (by init or a subreaper): the parent
        # pid changes. os._exit: no cleanup handlers, nothing is left to flush.
        while True:
            threading.Event().wait(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="channelopt-parent-watch", daemon=True).start()


def init_worker(parent: int | None = None, kernel_signal: bool = False) -> None:
    """Initialiser of local worker processes.

    The environment already holds the single-thread settings (see
    :func:`_spawn_environment`); this makes sure of them for a Numba the main
    module imported on spawn. Ctrl-C is left to the parent, which cancels the
    work and ends the pool; a worker that died on SIGINT would break the pool
    and lose the results in flight. The worker ends itself when its parent dies.

    Parameters
    ----------
    parent : int, optional
        Process id of the parent (default: the parent at start-up).
    kernel_signal : bool
        Also ask Linux to kill the worker with its parent (``PR_SET_PDEATHSIG``).
        Only for pools whose workers are all started by the thread that lives
        as long as the pool (the signal follows the starting *thread*).
    """
    os.environ.update(worker_environment())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    numba = sys.modules.get("numba")
    if numba is not None:  # imported by the main module on spawn: limit it now
        numba.set_num_threads(1)
    _die_with_parent(os.getppid() if parent is None else parent, kernel_signal)


def _describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _run_one(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Outcome:
    try:
        return Outcome(CaseStatus.OK, fn(shared, item))
    except Exception as exc:  # one failing case must not stop the others
        return Outcome(CaseStatus.ERROR, None, _describe_error(exc), _portable(exc))


def _portable(exc: BaseException) -> BaseException | None:
    """The exception if it survives pickling (to come back from a worker), else None."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    return exc


def _run_chunk(
    fn: Callable[[Any, Any], Any], shared: Any, chunk: _Chunk
) -> list[tuple[int, Outcome]]:
    """Run one chunk of cases (in a worker); exceptions are caught per case."""
    return [(index, _run_one(fn, shared, item)) for index, item in chunk]


def _chunks(items: Sequence[Any], size: int) -> list[_Chunk]:
    indexed = list(enumerate(items))
    return [indexed[i : i + size] for i in range(0, len(indexed), size)]


def _default_chunk_size(n_items: int, n_slots: int) -> int:
    # About four chunks per worker: few enough to amortise dispatch, enough to
    # balance cases of unequal cost and to report progress.
    return max(1, math.ceil(n_items / (4 * max(1, n_slots))))


def _interrupted(n: int) -> list[Outcome]:
    return [Outcome(CaseStatus.INTERRUPTED)] * n


def _run_serial(
    fn: Callable[[Any, Any], Any], items: list[Any], shared: Any, progress: Progress | None
) -> tuple[list[Outcome], bool]:
    outcomes = _interrupted(len(items))
    try:
        for index, item in enumerate(items):
            outcomes[index] = _run_one(fn, shared, item)
            if progress is not None:
                progress_caller(progress)(
                    index + 1, len(items), f"case {index + 1} of {len(items)}"
                )
    except KeyboardInterrupt:
        return outcomes, True
    return outcomes, False


def _record(outcomes: list[Outcome], results: list[tuple[int, Outcome]]) -> None:
    for index, outcome in results:
        outcomes[index] = outcome


def _fail_chunk(outcomes: list[Outcome], chunk: _Chunk, exc: BaseException) -> None:
    # The chunk itself failed (a worker died, a result could not be pickled):
    # every case in it gets the error, the other chunks are unaffected.
    message = f"chunk failed: {_describe_error(exc)}"
    for index, _ in chunk:
        outcomes[index] = Outcome(CaseStatus.ERROR, None, message)


def _harvest(outcomes: list[Outcome], futures: Mapping[Any, _Chunk]) -> None:
    """Keep the results of chunks that completed while we were being interrupted."""
    for future, _chunk in futures.items():
        try:
            done = future.done() and not future.cancelled()
            if done and getattr(future, "status", "finished") == "finished":
                # done: result() does not block (Dask rejects timeout=0 even then)
                _record(outcomes, future.result())
        except BaseException:  # nothing more to rescue from this chunk
            continue


def _collect(
    outcomes: list[Outcome],
    futures: Mapping[Any, _Chunk],
    completed: Iterable[Any],
    total: int,
    progress: Progress | None,
    done: int = 0,
) -> None:
    """Record each chunk's outcomes as its future completes (a failed chunk fails its
    cases) and report ``progress(done, total)`` after every chunk (``done``: cases
    finished before the pool started)."""
    for future in completed:
        chunk = futures[future]
        try:
            _record(outcomes, future.result())
        except Exception as exc:
            _fail_chunk(outcomes, chunk, exc)
        done += len(chunk)
        if progress is not None:
            progress_caller(progress)(done, total, f"{done} of {total} cases")


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # The kernel's parent-death signal follows the thread that starts a worker;
    # this pool's workers are all started by the calling thread (in submit),
    # which waits for them, so the signal is safe exactly when that thread is
    # the main thread (which lives as long as the process).
    main = threading.current_thread() is threading.main_thread()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(os.getpid(), main),
    )


def _run_pool(
    fn: Callable[[Any, Any], Any],
    chunks: list[_Chunk],
    total: int,
    shared: Any,
    pool: Executor,
    progress: Progress | None,
    own: bool,
    outcomes: list[Outcome] | None = None,
) -> tuple[list[Outcome], bool]:
    done = 0 if outcomes is None else sum(o.status is not CaseStatus.INTERRUPTED for o in outcomes)
    outcomes = _interrupted(total) if outcomes is None else outcomes
    futures: dict[Future[list[tuple[int, Outcome]]], _Chunk] = {}
    interrupted = False
    # Children of this process before the pool: the pool's workers are the new ones.
    before = {p.pid for p in multiprocessing.active_children()} if own else set()
    try:
        # Our own pool spawns its workers while we submit: they inherit the
        # single-thread settings from the environment at that moment.
        with _spawn_environment() if own else contextlib.nullcontext():
            for chunk in chunks:
                futures[pool.submit(_run_chunk, fn, shared, chunk)] = chunk
        _collect(outcomes, futures, as_completed(futures), total, progress, done)
    except KeyboardInterrupt:
        interrupted = True
        if not own:
            # a pool we own is shut down with cancel_futures below, by its own manager
            # thread: cancelling its futures from here as well left cancelled work
            # items that the thread, finding its workers killed, then tried to fail
            # (CPython 3.11: InvalidStateError in the thread, printed on Ctrl-C)
            for future in futures:
                future.cancel()
        _harvest(outcomes, futures)
        if own:
            _terminate_new_children(before)
            _shut_down_killed_pool(pool)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return outcomes, interrupted


def _terminate_new_children(before: set[int | None]) -> None:
    """End the worker processes of a pool we own, so cases in flight stop now.

    Cases already running in a worker would otherwise keep a core busy after
    we returned, and the caller asked to stop. The workers are this process's
    children started since the pool was made (``multiprocessing.active_children``,
    a public interface, instead of the pool's private process table). The pool's
    own manager thread notices the dead workers, marks the pool broken and
    reaps them; the ``shutdown(wait=True)`` that follows then returns at once.
    """
    for process in multiprocessing.active_children():
        if process.pid not in before:
            process.terminate()


#: How long the pool's manager thread may take to notice its killed workers (s) before
#: :func:`_shut_down_killed_pool` completes the message it may be stuck reading.
MANAGER_GRACE_S = 2.0


def _shut_down_killed_pool(pool: Executor, limit_bytes: int = 1 << 30) -> None:
    """Shut down a process pool whose workers we just ended, without hanging.

    The pool is told to shut down at once (``wait=False``, ``cancel_futures``), as
    before: its manager thread wakes, cancels the chunks no worker has started, sees
    the dead workers and ends.
    But a worker killed while it wrote a result to the pool's result pipe leaves
    part of a message there, and the manager thread then waits in ``recv`` for the
    rest, forever: this process holds the pipe's write end too, so no end-of-file
    comes. ``shutdown(wait=True)`` and the interpreter's exit (which joins the
    thread) hung with it: 2 of 15 runs of
    ``test_ctrl_c_during_simulate_on_processes_stops_its_workers`` on a loaded
    machine (session 8). When the thread has not ended within
    :data:`MANAGER_GRACE_S`, zero bytes complete the message; the thread fails to
    unpickle it, marks the pool broken and ends, as it does for any dead worker.
    Uses CPython's private ``_executor_manager_thread`` and ``_result_queue``
    (3.9-3.13), read before the shutdown clears them; without them, only the
    shutdown is done.
    """
    thread = getattr(pool, "_executor_manager_thread", None)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    pool.shutdown(wait=False, cancel_futures=True)
    if thread is None or writer is None:
        return
    thread.join(MANAGER_GRACE_S)
    if not thread.is_alive():
        return
    fd = writer.fileno()
    os.set_blocking(fd, False)
    block = bytes(1 << 16)
    sent = 0
    # the reader takes what it still needs and stops; a full pipe means it is busy
    while thread.is_alive() and sent < limit_bytes:
        try:
            sent += os.write(fd, block)
        except BlockingIOError:
            thread.join(0.01)


def check_chunk_size(chunk_size: int | None, func: str = "run_tasks") -> None:
    """Reject a ``chunk_size`` that is not a positive int (or None)."""
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ValueError(
            f"The 'chunk_size' parameter of {func} must be a positive int or None; "
            f"got {chunk_size!r} instead."
        )


def check_max_workers(max_workers: int | None, func: str = "run_tasks") -> None:
    """Reject a ``max_workers`` that is not a positive int (or None)."""
    if max_workers is not None and (
        isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
    ):
        raise ValueError(
            f"The 'max_workers' parameter of {func} must be a positive int or None; "
            f"got {max_workers!r} instead."
        )


def run_local(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    *,
    shared: Any = None,
    executor: str | Executor = "processes",
    chunk_size: int | None = None,
    max_workers: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``fn(shared, item)`` for every item on this machine; outcomes in item order.

    Parameters
    ----------
    fn : callable
        ``fn(shared, item) -> value``; a module-level function for processes.
        Exceptions it raises are recorded per case; :class:`KeyboardInterrupt`
        interrupts the run.
    items : sequence
        One item per case, carrying everything the case needs (its seed too).
    shared : object, optional
        Passed to every call; sent once per chunk.
    executor : {"serial", "processes"} or concurrent.futures.Executor
        ``"processes"`` starts a spawned, single-thread pool for the call and
        ends it afterwards; an Executor of your own is used and left running.
    chunk_size : int, optional
        Cases per chunk (default about four chunks per worker; ``"serial"``: 1).
    max_workers : int, optional
        Worker processes for ``"processes"`` (default: the CPUs available, at
        most one per chunk). With neither ``chunk_size`` nor ``max_workers``,
        ``"processes"`` measures the first cases here and chooses workers and
        chunks from their cost, or runs everything here when a pool cannot pay
        off (:func:`choose_pool`; ``RunResult.executor`` then says so).
    progress : callable, optional
        ``progress(done, total, message)`` in this process after every case (serial) or
        chunk; it may raise :class:`KeyboardInterrupt` to stop early.

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        Unknown executor or a bad ``chunk_size`` / ``max_workers``.

    Examples
    --------
    >>> from operator import mul
    >>> [o.value for o in run_local(mul, [1, 2, 3], shared=10, executor="serial").outcomes]
    [10, 20, 30]
    """
    check_chunk_size(chunk_size)
    check_max_workers(max_workers)
    items = list(items)
    if executor == "serial":
        outcomes, interrupted = _run_serial(fn, items, shared, progress)
        return RunResult(tuple(outcomes), interrupted, "serial", 1)
    if executor == "processes" and chunk_size is None and max_workers is None and items:
        return _run_auto(fn, items, shared, progress)
    if executor == "processes":
        slots = max_workers or available_cpus()
        size = chunk_size or _default_chunk_size(len(items), slots)
        chunks = _chunks(items, size)
        if not chunks:
            return RunResult((), False, "processes", size)
        pool = _new_pool(min(slots, len(chunks)))
        outcomes, interrupted = _run_pool(fn, chunks, len(items), shared, pool, progress, True)
        return RunResult(tuple(outcomes), interrupted, "processes", size)
    if isinstance(executor, Executor):
        slots = max_workers or getattr(executor, "_max_workers", None) or available_cpus()
        size = chunk_size or _default_chunk_size(len(items), slots)
        chunks = _chunks(items, size)
        outcomes, interrupted = _run_pool(fn, chunks, len(items), shared, executor, progress, False)
        return RunResult(tuple(outcomes), interrupted, type(executor).__name__, size)
    raise ValueError(
        "The 'executor' parameter must be 'serial', 'processes' or a "
        f"concurrent.futures.Executor; got {executor!r} instead."
    )


@dataclass(frozen=True)
class PoolChoice:
    """How ``"processes"`` runs when neither ``chunk_size`` nor ``max_workers`` is given.

    Attributes
    ----------
    workers : int
        Worker processes to start (0: the rest runs in this process).
    chunk_size : int
        Cases per dispatched chunk.
    case_cpu : float
        Measured CPU seconds of one case (in this process).
    reason : str
        Why, in words (for the executor description).
    """

    workers: int
    chunk_size: int
    case_cpu: float
    reason: str


def choose_pool(n_cases: int, case_cpu: float, cpus: int | None = None) -> PoolChoice:
    """Whether a process pool pays off for ``n_cases`` cases of ``case_cpu`` CPU seconds.

    A pool of ``w`` workers saves about ``work x (1 - 1/w)`` seconds of wall time
    and costs each worker :data:`WORKER_START_CPU` before its first case (the
    workers start side by side). It is used when ``w >= 2`` cores are effective
    (:func:`effective_cpus`) and the saving is at least twice the start cost;
    otherwise the cases run in this process. Workers: at most one per
    :data:`MIN_CHUNK_CPU` of work; chunks: about four per worker, each carrying
    at least :data:`MIN_CHUNK_CPU`.
    """
    cpus = effective_cpus() if cpus is None else cpus
    work = n_cases * case_cpu
    workers = max(1, min(cpus, n_cases, math.floor(work / MIN_CHUNK_CPU)))
    if workers < 2:
        why = "one effective CPU" if cpus < 2 else f"{work:.2g} CPU s of work"
        return PoolChoice(0, 1, case_cpu, f"serial: a pool would not pay off ({why})")
    if work * (1.0 - 1.0 / workers) < 2.0 * WORKER_START_CPU:
        return PoolChoice(
            0, 1, case_cpu, f"serial: a pool would not pay off ({work:.2g} CPU s of work)"
        )
    per_chunk = math.ceil(MIN_CHUNK_CPU / case_cpu) if case_cpu > 0 else n_cases
    size = min(math.ceil(n_cases / workers), max(math.ceil(n_cases / (4 * workers)), per_chunk))
    return PoolChoice(workers, max(1, size), case_cpu, f"{workers} workers")


def _run_auto(
    fn: Callable[[Any, Any], Any], items: list[Any], shared: Any, progress: Progress | None
) -> RunResult:
    """``"processes"`` with the pool chosen from the measured cost of a case.

    The first cases run here until :data:`PROBE_CPU` (or three cases) measured
    what a case costs; :func:`choose_pool` then decides between a pool and this
    process for the rest. The outcomes are the same either way (each case
    carries its seed).
    """
    import time

    outcomes = _interrupted(len(items))
    probed, spent = 0, 0.0
    try:
        while probed < len(items) and probed < 3 and spent < PROBE_CPU:
            c0 = time.process_time()
            outcomes[probed] = _run_one(fn, shared, items[probed])
            spent += time.process_time() - c0
            probed += 1
            if progress is not None:
                progress_caller(progress)(probed, len(items), f"case {probed} of {len(items)}")
    except KeyboardInterrupt:
        return RunResult(tuple(outcomes), True, "processes (interrupted while measuring)", 1)
    rest = items[probed:]
    choice = choose_pool(len(rest), spent / probed)
    if not rest or choice.workers == 0:
        interrupted = False
        try:
            for index in range(probed, len(items)):
                outcomes[index] = _run_one(fn, shared, items[index])
                if progress is not None:
                    progress_caller(progress)(
                        index + 1, len(items), f"case {index + 1} of {len(items)}"
                    )
        except KeyboardInterrupt:
            interrupted = True
        return RunResult(tuple(outcomes), interrupted, f"processes ({choice.reason})", 1)
    chunks = [
        [(probed + i, item) for i, item in chunk] for chunk in _chunks(rest, choice.chunk_size)
    ]
    pool = _new_pool(min(choice.workers, len(chunks)))
    outcomes, interrupted = _run_pool(
        fn, chunks, len(items), shared, pool, progress, True, outcomes
    )
    return RunResult(tuple(outcomes), interrupted, "processes", choice.chunk_size)
