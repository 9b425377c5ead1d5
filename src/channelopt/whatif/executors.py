"""The one executor module: run many independent cases serially, on local processes or on Dask.

Every sweep and comparison of :mod:`channelopt.whatif` goes through
:func:`run_tasks`. Serial and process-pool runs are delegated to
:func:`channelopt.parallel.run_local`, the one local mechanism that
:func:`channelopt.simulation.simulate` uses for its replications as well
(order and determinism, batching, failures per case, Ctrl-C, single-thread
``spawn`` workers that end when their parent dies); this module adds the
choice of executor and Dask.

Executors
---------
``"serial"``
    In this process, one case after the other. Progress after every case.
``"processes"`` (default)
    A :class:`concurrent.futures.ProcessPoolExecutor` started for the call and
    shut down after it. With neither ``chunk_size`` nor ``max_workers`` given,
    the first cases run in this process to measure what a case costs, and the
    pool (workers, chunk size) is chosen from that and from the cores left
    free on the machine (:func:`channelopt.parallel.choose_pool`); when a pool
    cannot pay off (one effective core, or too little work to repay starting
    the workers) the rest runs here, and ``RunResult.executor`` says so.
    ``max_workers`` alone defaults the chunks to about four per worker;
    ``chunk_size`` alone uses the CPUs this process may use.
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

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from .._display import progress_caller
from ..errors import ChannelOptError
from ..parallel import (
    CaseStatus,
    Outcome,
    Progress,
    RunResult,
    _Chunk,
    _chunks,
    _default_chunk_size,
    _fail_chunk,
    _harvest,
    _interrupted,
    _record,
    _run_chunk,
    check_chunk_size,
    check_max_workers,
    run_local,
    worker_environment,
)
from ..parallel import init_worker as _init_worker

__all__ = [
    "DASK_RESUBMITS",
    "DASK_SCHEMES",
    "CaseStatus",
    "Outcome",
    "Progress",
    "RunResult",
    "SchedulerUnreachableError",
    "describe_executor",
    "run_tasks",
    "worker_environment",
]

# Re-exported for code and tests that reach them here (one implementation: parallel).
_PRIVATE_REEXPORTS = (_harvest, _init_worker, _run_chunk)

#: Times a chunk of cases is sent to the Dask cluster again after its task was lost
#: (its worker died, it was cancelled) or failed outside the cases, on top of Dask's
#: own rescheduling (``distributed.scheduler.allowed-failures``); after that its
#: cases are recorded as errors.
DASK_RESUBMITS = 3


class SchedulerUnreachableError(ChannelOptError, ConnectionError):
    """The Dask scheduler address given does not answer (bad input: exit 2)."""

    bad_input = True


#: Address prefixes that name a Dask scheduler.
DASK_SCHEMES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")


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
        ``progress(done, total, message)`` called in this process after every case
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
    check_chunk_size(chunk_size)
    check_max_workers(max_workers)
    items = list(items)
    label = describe_executor(executor)
    is_dask = isinstance(executor, str) and executor.startswith(DASK_SCHEMES)
    if is_dask or _is_dask_client(executor):
        return _run_dask(fn, items, shared, executor, chunk_size, progress, label)
    if executor in ("serial", "processes") or isinstance(executor, Executor):
        result = run_local(
            fn,
            items,
            shared=shared,
            executor=executor,
            chunk_size=chunk_size,
            max_workers=max_workers,
            progress=progress,
        )
        # "processes" may have chosen to stay in this process: its own description says so
        label = result.executor if executor == "processes" else label
        return RunResult(result.outcomes, result.interrupted, label, result.chunk_size)
    raise ValueError(
        "The 'executor' parameter must be 'serial', 'processes', a "
        "concurrent.futures.Executor, a dask.distributed.Client or a scheduler "
        f"address such as 'tcp://host:8786'; got {executor!r} instead."
    )


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Running on Dask needs the optional dependency dask[distributed]: "
            "pip install 'channelopt[dask]' (or use executor='processes')."
        ) from exc
    return distributed


def _identity(value: Any) -> Any:
    return value


def _future_error(future: Any) -> BaseException:
    """What ended a Dask future that did not finish (cancelled, lost, erred)."""
    try:
        exc = future.exception()
    except Exception as raised:  # a cancelled future raises CancelledError here
        return raised
    return exc if isinstance(exc, BaseException) else RuntimeError(f"task {future.status}")


def _connect(distributed: Any, address: str) -> Any:
    try:
        return distributed.Client(address)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            f"cannot reach the Dask scheduler at {address!r} ({type(exc).__name__}: {exc}); "
            "check the address and that 'dask scheduler' runs there (how long to try is "
            "the Dask setting distributed.comm.timeouts.connect, 30 s by default)"
        ) from None


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
    client = _connect(distributed, executor) if own else executor
    outcomes = _interrupted(len(items))
    interrupted = False
    size = 1
    futures: dict[Any, _Chunk] = {}  # live futures -> their chunk
    try:
        slots = sum(client.nthreads().values()) or 1
        size = chunk_size or _default_chunk_size(len(items), slots)
        chunks = _chunks(items, size)
        # The shared object travels once, as a task (its data inside the task, kept by
        # the scheduler), not as scattered data: if the worker holding it dies, Dask
        # computes it again on another worker. Data scattered to one worker
        # (broadcast=False) died with it and took every case that needed it along.
        shared_ref = client.submit(_identity, shared, pure=False) if chunks else None
        attempts = [0] * len(chunks)
        number: dict[Any, int] = {}

        def submit(k: int) -> Any:
            attempts[k] += 1
            future = client.submit(_run_chunk, fn, shared_ref, chunks[k], pure=False)
            futures[future] = chunks[k]
            number[future] = k
            return future

        pending = distributed.as_completed([submit(k) for k in range(len(chunks))])
        done = 0
        try:
            for future in pending:
                k = number.pop(future)
                chunk = futures.pop(future)
                if future.status == "finished":
                    try:
                        _record(outcomes, future.result())
                    except Exception as exc:  # the result could not be read back
                        _fail_chunk(outcomes, chunk, exc)
                else:
                    # Lost with its worker (KilledWorker after Dask's own retries,
                    # cancelled, connection closed) or failed outside the cases:
                    # send it again, to the workers that are left or restarted.
                    if attempts[k] <= DASK_RESUBMITS:
                        pending.add(submit(k))
                        continue
                    error = _future_error(future)
                    _fail_chunk(outcomes, chunk, _after_attempts(error, attempts[k]))
                done += len(chunk)
                if progress is not None:
                    progress_caller(progress)(done, len(items), f"{done} of {len(items)} cases")
        except KeyboardInterrupt:
            interrupted = True
            _harvest(outcomes, futures)
            client.cancel([f for f in futures if not f.done()])
    finally:
        if own:
            client.close()
    return RunResult(tuple(outcomes), interrupted, label, size)


def _after_attempts(error: BaseException, attempts: int) -> BaseException:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return RuntimeError(f"{text} (after {attempts} attempts on the Dask cluster)")
