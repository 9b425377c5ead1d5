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

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from ..parallel import (
    CaseStatus,
    Outcome,
    Progress,
    RunResult,
    _Chunk,
    _chunks,
    _collect,
    _default_chunk_size,
    _harvest,
    _interrupted,
    _run_chunk,
    check_chunk_size,
    check_max_workers,
    run_local,
    worker_environment,
)
from ..parallel import init_worker as _init_worker

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

# Re-exported for code and tests that reach them here (one implementation: parallel).
_PRIVATE_REEXPORTS = (_harvest, _init_worker, _run_chunk)

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
    check_chunk_size(chunk_size)
    check_max_workers(max_workers)
    items = list(items)
    label = describe_executor(executor)
    if isinstance(executor, str) and not executor.startswith(DASK_SCHEMES):
        if executor in ("serial", "processes"):
            result = run_local(
                fn,
                items,
                shared=shared,
                executor=executor,
                chunk_size=chunk_size,
                max_workers=max_workers,
                progress=progress,
            )
            return RunResult(result.outcomes, result.interrupted, label, result.chunk_size)
        raise ValueError(
            "The 'executor' parameter must be 'serial', 'processes', a "
            "concurrent.futures.Executor, a dask.distributed.Client or a scheduler "
            f"address such as 'tcp://host:8786'; got {executor!r} instead."
        )
    if isinstance(executor, str) or _is_dask_client(executor):
        return _run_dask(fn, items, shared, executor, chunk_size, progress, label)
    if isinstance(executor, Executor):
        result = run_local(
            fn,
            items,
            shared=shared,
            executor=executor,
            chunk_size=chunk_size,
            max_workers=max_workers,
            progress=progress,
        )
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
