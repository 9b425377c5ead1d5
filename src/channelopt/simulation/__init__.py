"""Discrete-event simulation of contacts and customer journeys (SimPy).

The model follows DESIGN.md "What happens to a contact" exactly, the same
routing as the staffing layer's traffic equations. ``docs/simulation.md``
describes the model, every column and the practice (warm-up, replications,
common random numbers, conservation).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
import pandas as pd

from ..provenance import VERSION
from ..scenario.resolved import Resolved
from ._engine import ConservationError, ReplicationOutput, run_replication
from ._inputs import seed_sequence, staffing_array
from ._result import INTERVAL_COLUMNS, JOURNEY_COLUMNS, SimulationResult, build_tables

__all__ = [
    "INTERVAL_COLUMNS",
    "JOURNEY_COLUMNS",
    "ConservationError",
    "SimulationResult",
    "simulate",
    "simulate_resolved",
]

Progress = Callable[[int, int], object]


def _version() -> str:
    return VERSION


def _replicate(
    res: Resolved,
    staffing: np.ndarray,
    seed: np.random.SeedSequence,
    n_days: int,
    forecast_error: bool,
) -> ReplicationOutput:
    # module-level so that worker processes can pickle it
    return run_replication(res, staffing, seed, n_days, forecast_error)


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(
            f"The '{name}' parameter of simulate must be an int >= {minimum}; "
            f"got {value!r} instead."
        )
    return int(value)


def simulate_resolved(
    resolved: Resolved,
    staffing: Any = None,
    replications: int = 10,
    seed: int | np.random.Generator | np.random.SeedSequence | None = 0,
    days: int = 1,
    warmup_days: int = 1,
    *,
    executor: str = "serial",
    progress: Progress | None = None,
    forecast_error: bool = False,
) -> SimulationResult:
    """Simulate an already resolved scenario period (the engine behind :func:`simulate`).

    Parameters
    ----------
    resolved : Resolved
        One period of a scenario as plain arrays (``Scenario.resolve``).
    staffing, replications, seed, days, warmup_days, executor, progress, forecast_error
        As in :func:`simulate`.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(resolved, Resolved):
        raise TypeError(
            f"simulate_resolved expects a channelopt.scenario.Resolved; got "
            f"{type(resolved).__name__} (use simulate() for a Scenario)"
        )
    replications = _check_int("replications", replications, 1)
    days = _check_int("days", days, 1)
    warmup_days = _check_int("warmup_days", warmup_days, 0)
    if executor not in ("serial", "processes"):
        raise ValueError(
            f"The 'executor' parameter of simulate must be 'serial' or 'processes'; "
            f"got {executor!r} instead."
        )
    staff = staffing_array(resolved, staffing)
    root = seed_sequence(seed)
    children = root.spawn(replications)
    n_days = days + warmup_days
    outputs: list[ReplicationOutput | None] = [None] * replications
    if executor == "serial" or replications == 1:
        for r, child in enumerate(children):
            outputs[r] = _replicate(resolved, staff, child, n_days, forecast_error)
            if progress is not None:
                progress(r + 1, replications)
    else:
        workers = max(1, min(replications, os.cpu_count() or 1))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(_replicate, resolved, staff, child, n_days, forecast_error): r
                for r, child in enumerate(children)
            }
            for done, fut in enumerate(as_completed(futures), start=1):
                outputs[futures[fut]] = fut.result()
                if progress is not None:
                    progress(done, replications)
    outs = [o for o in outputs if o is not None]
    intervals, journeys, conservation = build_tables(resolved, outs, warmup_days, days)
    staffing_table = pd.DataFrame(
        {
            "pool": np.repeat(np.array(resolved.pools, dtype=object), staff.shape[0]),
            "interval": np.tile(np.arange(staff.shape[0]), len(resolved.pools)),
            "agents": staff.T.ravel(),
        }
    )
    return SimulationResult(
        intervals=intervals,
        journeys=journeys,
        scenario_name=resolved.name,
        content_hash=resolved.content_hash,
        version=_version(),
        seed=seed if isinstance(seed, int) else None,
        entropy=int(root.entropy) if isinstance(root.entropy, int) else 0,
        replications=replications,
        days=days,
        warmup_days=warmup_days,
        period=resolved.period,
        staffing=staffing_table,
        conservation=conservation,
        channels=resolved.channels,
    )


def simulate(
    scenario: Any,
    staffing: Any = None,
    replications: int = 10,
    seed: int | np.random.Generator | np.random.SeedSequence | None = 0,
    days: int = 1,
    warmup_days: int = 1,
    period: int = 0,
    plan: Any = None,
    *,
    executor: str = "serial",
    progress: Progress | None = None,
    forecast_error: bool = False,
) -> SimulationResult:
    """Simulate contacts and customer journeys through the contact centre.

    Parameters
    ----------
    scenario : Scenario or Resolved
        The scenario (read only through ``scenario.resolve(period, plan)``), or
        an already resolved period.
    staffing : None, StaffingResult, DataFrame, mapping or ndarray, optional
        Agents on duty per interval and pool. ``None``: today's roster
        (``pools.*.agents``) in every interval in which one of the pool's
        channels is open. An object with a ``.pools`` table (``co.staff(sc)``)
        or a DataFrame with columns ``pool, interval, agents``; a mapping
        pool -> agents or pool -> list per interval; an array ``(I, P)``.
        Fractional agents are rounded up.
    replications : int
        Independent replications (default 10), seeded by ``SeedSequence(seed).spawn``.
    seed : int, Generator, SeedSequence or None
        The same seed gives identical tables, serially or in processes.
    days : int
        Days reported per replication.
    warmup_days : int
        Days simulated first and discarded, so the reported days start loaded.
    period : int
        Scenario period to resolve.
    plan : Plan, mapping or None
        Initiatives in force (passed to ``scenario.resolve``).
    executor : {"serial", "processes"}
        Run replications in this process or in worker processes.
    progress : callable, optional
        Called as ``progress(done, total)`` after each replication.
    forecast_error : bool
        Also draw each day's volume per channel around the forecast (gamma, mean
        1, coefficient of variation ``forecast_error`` of the channel). Off by
        default: the simulation runs at the forecast, and ``whatif.compare``
        draws forecast errors itself.

    Returns
    -------
    SimulationResult
        ``.intervals``, ``.journeys``, ``.summary()`` and provenance.

    Raises
    ------
    ScenarioError
        ``staffing=None`` but a pool has no roster.
    ValueError
        A bad argument (named in the message).
    ConservationError
        Contacts were lost or created by the engine (a bug; never expected).

    Examples
    --------
    >>> res = simulate(sc, staffing=staff(sc), replications=20, seed=7)  # doctest: +SKIP
    >>> res.summary()  # doctest: +SKIP
    """
    resolved = scenario if isinstance(scenario, Resolved) else scenario.resolve(period, plan)
    return simulate_resolved(
        resolved,
        staffing,
        replications,
        seed,
        days,
        warmup_days,
        executor=executor,
        progress=progress,
        forecast_error=forecast_error,
    )
