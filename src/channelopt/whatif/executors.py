"""The one executor module: run many independent cases serially, on local processes or on Dask.

Every sweep and comparison of :mod:`channelopt.whatif` goes through
:func:`run_tasks`. It owns the things that are easy to get wrong once and
painful to get wrong in three places:

* **Order and determinism.** Results come back in case order whatever order
  the workers finish in. The task function receives everything it needs
  (including its seed) in its arguments, so nothing depends on which worker ran
  a case or when.
* **Batching.** Cases are sent in chunks, so the per-task overhead of a pool or
  of a Dask scheduler (pickling, a round trip, bookkeeping) is paid once per
  chunk, not once per case.
* **Failures.** An exception in one case (an invalid change, an infeasible
  plan) is recorded in that case's :class:`Outcome`; the other cases run on.
* **Ctrl-C.** A :class:`KeyboardInterrupt` while waiting (or raised by the
  ``progress`` callback) cancels pending work, shuts the pool down and returns
  the cases finished so far; the others are marked
  :attr:`CaseStatus.INTERRUPTED`.
* **Threads.** Local worker processes are started with ``spawn`` (no fork of a
  process that may already run Numba, BLAS or Dask threads) and with
  ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
  ``OPENBLAS_NUM_THREADS`` set to 1, so ``k`` workers use ``k`` cores, not
  ``k`` x cores.

Executors
---------
``"serial"``
    In this process, one case after the other. Progress after every case.
``"processes"`` (default)
    A :class:`concurrent.futures.ProcessPoolExecutor` started for the call and
    shut down after it. ``max_workers`` defaults to the CPUs this process may use.
a :class:`concurrent.futures.Executor`
    Your own pool (reused across calls; never shut down here). The task
    function and its arguments must be picklable for a process pool.
a ``dask.distributed.Client``
    Chunks are submitted to its cluster. ``dask[distributed]`` is an optional
    dependency (``pip install channelopt[dask]``), imported only here and only
    when asked for.
an address string ``"tcp://host:8786"`` (also ``tls://``, ``ucx://``, ``inproc://``)
    A ``dask.distributed.Client`` is connected to that scheduler for the call
    and closed after it.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures.process import ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .._display import progress_caller

__all__ = [
    "DASK_SCHEMES",
    "CaseStatus",
    "Outcome",
    "Progress",
    "RunResult",
    "describe_executor",
    "run_tasks",
    "worker_environment",
]

#: Progress callback: ``progress(done, total)`` with counts of cases.
#: progress(done, total, message); a two-argument callback gets (done, total)
Progress = Callable[..., object]

#: Address prefixes that name a Dask scheduler.
DASK_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")

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
    """

    status: CaseStatus
    value: Any = None
    error: str = ""


@dataclass(frozen=True)
class RunResult:
    """All outcomes of one :func:`run_tasks` call, in case order.

    Attributes
    ----------
    outcomes : tuple of Outcome
        One per item, in the order of the items.
    interrupted : bool
        Whether the run stopped early on :class:`KeyboardInterrupt`.
    executor : str
        A short description of the executor used (:func:`describe_executor`).
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


def worker_environment() -> dict[str, str]:
    """Environment variables set in every local worker process (all ``"1"``)."""
    return dict.fromkeys(_THREAD_VARIABLES, "1")


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


def _init_worker() -> None:
    """Initialiser of local worker processes.

    The environment already holds the single-thread settings (see
    :func:`_spawn_environment`); this makes sure of them for a Numba the main
    module imported on spawn. Ctrl-C is left to the parent, which cancels the
    work and ends the pool; a worker that died on SIGINT would break the pool
    and lose the results in flight.
    """
    os.environ.update(worker_environment())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import sys

    numba = sys.modules.get("numba")
    if numba is not None:  # imported by the main module on spawn: limit it now
        numba.set_num_threads(1)


def _describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _run_one(fn: Callable[[Any, Any], Any], shared: Any, item: Any) -> Outcome:
    try:
        return Outcome(CaseStatus.OK, fn(shared, item))
    except Exception as exc:  # one failing case must not stop the others
        return Outcome(CaseStatus.ERROR, None, _describe_error(exc))


def _run_chunk(
    fn: Callable[[Any, Any], Any], shared: Any, chunk: _Chunk
) -> list[tuple[int, Outcome]]:
    """Run one chunk of cases (in a worker); exceptions are caught per case."""
    return [(index, _run_one(fn, shared, item)) for index, item in chunk]


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _is_dask_client(executor: object) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "submit")


def describe_executor(executor: object) -> str:
    """A short human-readable name of an executor argument (``"serial"``, ``"dask(tcp://..)"``)."""
    if isinstance(executor, str):
        return f"dask({executor})" if executor.startswith(DASK_SCHEMES) else executor
    if _is_dask_client(executor):
        address = getattr(getattr(executor, "scheduler", None), "address", None)
        return f"dask({address})" if address else "dask"
    return type(executor).__name__


def _chunks(items: Sequence[Any], size: int) -> list[_Chunk]:
    indexed = list(enumerate(items))
    return [indexed[i : i + size] for i in range(0, len(indexed), size)]


def _default_chunk_size(n_items: int, n_slots: int) -> int:
    # About four chunks per worker: few enough to amortise dispatch, enough to
    # balance cases of unequal cost and to report progress.
    return max(1, math.ceil(n_items / (4 * max(1, n_slots))))


def _check_chunk_size(chunk_size: int | None) -> None:
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ValueError(
            f"The 'chunk_size' parameter of run_tasks must be a positive int or None; "
            f"got {chunk_size!r} instead."
        )


def run_tasks(
    fn: Callable[[Any, Any], Any],
    items: Sequence[Any],
    *,
    shared: Any = None,
    executor: Any = "processes",
    chunk_size: int | None = None,
    max_workers: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``fn(shared, item)`` for every item and return the outcomes in item order.

    Parameters
    ----------
    fn : callable
        ``fn(shared, item) -> value``. For process pools and Dask it must be a
        module-level function (picklable by reference). Exceptions it raises
        are recorded per case; :class:`KeyboardInterrupt` interrupts the run.
    items : sequence
        One item per case; each must carry everything that case needs,
        including its seed, so the result does not depend on the worker.
    shared : object, optional
        Passed to every call; sent once per chunk, not once per case.
    executor : {"serial", "processes"}, Executor, dask.distributed.Client or str
        Where to run (see the module documentation). A string starting with
        ``tcp://`` (or another Dask scheme) is a Dask scheduler address.
    chunk_size : int, optional
        Cases per dispatched chunk. Default: about four chunks per worker.
        Ignored by ``"serial"``.
    max_workers : int, optional
        Worker processes for ``"processes"`` (default: the CPUs available to
        this process, at most one per chunk).
    progress : callable, optional
        ``progress(done, total)`` called in this process after every case
        (serial) or chunk (parallel). It may raise :class:`KeyboardInterrupt`
        to stop the run early; finished cases are kept.

    Returns
    -------
    RunResult
        Outcomes in item order; ``interrupted`` tells whether it stopped early.

    Raises
    ------
    ValueError
        Unknown executor name or bad ``chunk_size`` / ``max_workers``.
    ImportError
        A Dask executor was requested but ``dask[distributed]`` is not installed.

    Examples
    --------
    >>> from operator import mul
    >>> result = run_tasks(mul, [1, 2, 3], shared=10, executor="serial")
    >>> [o.value for o in result.outcomes]
    [10, 20, 30]
    """
    _check_chunk_size(chunk_size)
    if max_workers is not None and (
        isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
    ):
        raise ValueError(
            f"The 'max_workers' parameter of run_tasks must be a positive int or None; "
            f"got {max_workers!r} instead."
        )
    items = list(items)
    label = describe_executor(executor)
    if isinstance(executor, str) and not executor.startswith(DASK_SCHEMES):
        if executor == "serial":
            outcomes, interrupted = _run_serial(fn, items, shared, progress)
            return RunResult(tuple(outcomes), interrupted, label, 1)
        if executor == "processes":
            slots = max_workers or _available_cpus()
            size = chunk_size or _default_chunk_size(len(items), slots)
            chunks = _chunks(items, size)
            if not chunks:
                return RunResult((), False, label, size)
            pool = ProcessPoolExecutor(
                max_workers=min(slots, len(chunks)),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
            outcomes, interrupted = _run_pool(fn, chunks, len(items), shared, pool, progress, True)
            return RunResult(tuple(outcomes), interrupted, label, size)
        raise ValueError(
            "The 'executor' parameter must be 'serial', 'processes', a "
            "concurrent.futures.Executor, a dask.distributed.Client or a scheduler "
            f"address such as 'tcp://host:8786'; got {executor!r} instead."
        )
    if isinstance(executor, str) or _is_dask_client(executor):
        return _run_dask(fn, items, shared, executor, chunk_size, progress, label)
    if isinstance(executor, Executor):
        slots = max_workers or getattr(executor, "_max_workers", None) or _available_cpus()
        size = chunk_size or _default_chunk_size(len(items), slots)
        chunks = _chunks(items, size)
        outcomes, interrupted = _run_pool(fn, chunks, len(items), shared, executor, progress, False)
        return RunResult(tuple(outcomes), interrupted, label, size)
    raise ValueError(
        "The 'executor' parameter must be 'serial', 'processes', a "
        "concurrent.futures.Executor, a dask.distributed.Client or a scheduler "
        f"address such as 'tcp://host:8786'; got {executor!r} instead."
    )


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


def _harvest(outcomes: list[Outcome], futures: dict[Any, _Chunk]) -> None:
    """Keep the results of chunks that completed while we were being interrupted."""
    for future, _chunk in futures.items():
        try:
            done = future.done() and not future.cancelled()
            if done and getattr(future, "status", "finished") == "finished":
                # done: result() does not block (Dask rejects timeout=0 even then)
                _record(outcomes, future.result())
        except BaseException:  # nothing more to rescue from this chunk
            continue


def _run_pool(
    fn: Callable[[Any, Any], Any],
    chunks: list[_Chunk],
    total: int,
    shared: Any,
    pool: Executor,
    progress: Progress | None,
    own: bool,
) -> tuple[list[Outcome], bool]:
    outcomes = _interrupted(total)
    futures: dict[Future[list[tuple[int, Outcome]]], _Chunk] = {}
    interrupted = False
    try:
        # Our own pool spawns its workers while we submit: they inherit the
        # single-thread settings from the environment at that moment.
        with _spawn_environment() if own else contextlib.nullcontext():
            for chunk in chunks:
                futures[pool.submit(_run_chunk, fn, shared, chunk)] = chunk
        _collect(outcomes, futures, as_completed(futures), total, progress)
    except KeyboardInterrupt:
        interrupted = True
        for future in futures:
            future.cancel()
        _harvest(outcomes, futures)
        if own:
            _terminate_workers(pool)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return outcomes, interrupted


def _collect(
    outcomes: list[Outcome],
    futures: Mapping[Any, _Chunk],
    completed: Iterable[Any],
    total: int,
    progress: Progress | None,
) -> None:
    """Record each chunk's outcomes as its future completes (a failed chunk fails its
    cases) and report ``progress(done, total)`` after every chunk."""
    done = 0
    for future in completed:
        chunk = futures[future]
        try:
            _record(outcomes, future.result())
        except Exception as exc:
            _fail_chunk(outcomes, chunk, exc)
        done += len(chunk)
        if progress is not None:
            progress_caller(progress)(done, total, f"{done} of {total} cases")


def _terminate_workers(pool: Executor) -> None:
    """End the worker processes of a pool we own, so cases in flight stop now.

    Cases already running in a worker would otherwise keep a core busy after
    we returned, and the caller asked to stop. The pool's own manager thread
    notices the dead workers, marks the pool broken and reaps them; the
    ``shutdown(wait=True)`` that follows then returns at once. (Reaping them
    here as well would race that thread for the same child processes.)
    """
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Running on Dask needs the optional dependency dask[distributed]: "
            "pip install 'channelopt[dask]' (or use executor='processes')."
        ) from exc
    return distributed


def _run_dask(
    fn: Callable[[Any, Any], Any],
    items: list[Any],
    shared: Any,
    executor: Any,
    chunk_size: int | None,
    progress: Progress | None,
    label: str,
) -> RunResult:
    distributed = _import_distributed()
    own = isinstance(executor, str)
    client = distributed.Client(executor) if own else executor
    outcomes = _interrupted(len(items))
    interrupted = False
    size = 1
    futures: dict[Any, _Chunk] = {}
    try:
        slots = sum(client.nthreads().values()) or 1
        size = chunk_size or _default_chunk_size(len(items), slots)
        chunks = _chunks(items, size)
        # Send the shared object once, not with every chunk.
        shared_ref = client.scatter(shared, broadcast=False, hash=False) if chunks else None
        for chunk in chunks:
            future = client.submit(_run_chunk, fn, shared_ref, chunk, pure=False)
            futures[future] = chunk
        try:
            _collect(
                outcomes, futures, distributed.as_completed(list(futures)), len(items), progress
            )
        except KeyboardInterrupt:
            interrupted = True
            _harvest(outcomes, futures)
            client.cancel([f for f in futures if not f.done()])
    finally:
        if own:
            client.close()
    return RunResult(tuple(outcomes), interrupted, label, size)
