"""Discrete-event simulation of contacts and customer journeys (SimPy).

The model follows DESIGN.md "What happens to a contact" exactly, the same
routing as the staffing layer's traffic equations. ``docs/simulation.md``
describes the model, every column and the practice (warm-up, replications,
common random numbers, conservation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..parallel import CaseStatus, available_cpus, run_local
from ..provenance import VERSION
from ..scenario.resolved import Resolved
from ..scenario.shifts import DAY_NAMES, Week
from ..scenario.week import resolve_with_week
from ._engine import ConservationError, ReplicationOutput, run_replication
from ._inputs import seed_sequence, staffing_array
from ._limits import SimulationTooLargeError, check_size
from ._random import volume_factors
from ._recorder import Outcome
from ._result import (
    INTERVAL_COLUMNS,
    JOURNEY_COLUMNS,
    POOL_COLUMNS,
    SimulationResult,
    build_tables,
)
from ._stats import mean_interval

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = [
    "INTERVAL_COLUMNS",
    "JOURNEY_COLUMNS",
    "POOL_COLUMNS",
    "ConservationError",
    "Outcome",
    "SimulationResult",
    "SimulationTooLargeError",
    "mean_interval",
    "simulate",
    "simulate_resolved",
    "volume_factors",
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
    first_day: int = 0,
) -> ReplicationOutput:
    # module-level so that worker processes can pickle it
    return run_replication(res, staffing, seed, n_days, forecast_error, first_day)


def _replicate_task(
    shared: tuple[Resolved, np.ndarray, int, bool, int], seed: np.random.SeedSequence
) -> ReplicationOutput:
    resolved, staffing, n_days, forecast_error, first_day = shared
    return _replicate(resolved, staffing, seed, n_days, forecast_error, first_day)


def _schedule_week(staffing: Any) -> Week | None:
    """The planning week of a weekly ``Schedule`` given as staffing (None otherwise)."""
    week = getattr(staffing, "week", None)
    if isinstance(week, Week) and len(getattr(staffing, "days", ())) == len(DAY_NAMES):
        return week
    return None


def _week_argument(scenario: Any, week: Any, staffing: Any) -> Week | None:
    """The ``week`` argument of :func:`simulate` as a Week (None: every day alike)."""
    if week is None:
        return _schedule_week(staffing)
    if week is False:
        return None
    if week is True:
        if isinstance(scenario, Resolved):
            raise ValueError(
                "The 'week' parameter of simulate: week=True reads the scenario's `week` key; "
                "a Resolved period has none: pass the Scenario, or a Week"
            )
        own = getattr(scenario, "week", None)
        return own if isinstance(own, Week) else Week()
    if isinstance(week, Week):
        return week
    if isinstance(week, Mapping):
        try:
            return Week.model_validate(dict(week))
        except ValueError as err:
            raise ValueError(f"The 'week' parameter of simulate: {err}") from None
    raise ValueError(
        "The 'week' parameter of simulate must be None, True, False, a Week or a mapping like "
        f"the `week` key; got {week!r} instead."
    )


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
    week: Any = None,
) -> SimulationResult:
    """Simulate an already resolved scenario period (the engine behind :func:`simulate`).

    Parameters
    ----------
    resolved : Resolved
        One period of a scenario as plain arrays (``Scenario.resolve``).
    staffing, replications, seed, days, warmup_days, executor, progress, forecast_error
        As in :func:`simulate`.
    week : None, False, Week or mapping
        As in :func:`simulate` (``True`` needs the Scenario); ignored when
        ``resolved`` already carries a week (``week_arrivals``).

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
    # Refuse what cannot finish (memory, time) before any work: see docs/limits.md.
    check_size(
        resolved,
        days + warmup_days,
        replications,
        1 if executor == "serial" else available_cpus(),
    )
    wk = _week_argument(resolved, week, staffing)
    if wk is not None and resolved.week_arrivals is None:
        # a weekly schedule: simulate its week (day factors, closed days), not one day 7 times
        resolved = resolve_with_week(resolved, wk)
    staff = staffing_array(resolved, staffing)
    root = seed_sequence(seed)
    children = root.spawn(replications)
    n_days = days + warmup_days
    # The one local executor of channelopt (spawned single-thread workers that end
    # with their parent, Ctrl-C handling); one replication per chunk.
    run = run_local(
        _replicate_task,
        children,
        shared=(resolved, staff, n_days, forecast_error, warmup_days),
        executor="serial" if replications == 1 else executor,
        chunk_size=1,
        progress=progress,
    )
    if run.interrupted:
        raise KeyboardInterrupt
    for outcome in run.outcomes:  # all or nothing: the first failure is raised
        if outcome.status is not CaseStatus.OK:
            raise outcome.exception or RuntimeError(f"a replication failed: {outcome.error}")
    outs: list[ReplicationOutput] = [o.value for o in run.outcomes]
    intervals, journeys, conservation, pools = build_tables(resolved, outs, warmup_days, days)
    n_d, n_i, n_p = staff.shape
    table = {
        "pool": np.repeat(np.array(resolved.pools, dtype=object), n_d * n_i),
        "day": np.tile(np.repeat(np.arange(n_d), n_i), n_p),
        "interval": np.tile(np.arange(n_i), n_d * n_p),
        "agents": staff.transpose(2, 0, 1).ravel(),
    }
    if n_d == 1:  # one staffing for every day: no day column
        del table["day"]
    staffing_table = pd.DataFrame(table)
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
        pools=pools,
    )


def simulate(
    scenario: Scenario,
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
    week: Any = None,
) -> SimulationResult:
    """Simulate contacts and customer journeys through the contact centre.

    Parameters
    ----------
    scenario : Scenario or Resolved
        The scenario (read only through ``scenario.resolve(period, plan)``), or
        an already resolved period.
    staffing : None, StaffingResult, Schedule, DataFrame, mapping or ndarray, optional
        Agents on duty per interval and pool. ``None``: today's roster
        (``pools.*.agents``) in every interval in which one of the pool's
        channels is open. A ``StaffingResult`` (``co.staff(sc)``), a
        ``Schedule`` (its ``staffing_table()``; a weekly schedule is simulated
        over its week: each day's volume factor and opening hours, no external
        contacts on days off, the reported days starting on Monday and the
        warm-up on the days before it), a DataFrame with columns
        ``pool, interval, agents`` or, per day of the week, ``pool, day,
        interval, agents`` (the first reported day is the table's first
        day); a mapping pool -> agents or pool -> list per interval; an array
        ``(P,)``, ``(I, P)`` or ``(D, I, P)``. Fractional agents are rounded
        up (the one rule of :mod:`channelopt.scenario.staffing_table`).
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
        Called as ``progress(done, total, message)`` after each replication
        (a callback taking two arguments gets ``(done, total)``).
    forecast_error : bool
        Also draw each day's volume per channel around the forecast (gamma, mean
        1, coefficient of variation ``forecast_error`` of the channel). Off by
        default: the simulation runs at the forecast, and ``whatif.compare``
        draws forecast errors itself.
    week : None, bool, Week or mapping
        The days simulated. ``None`` (default): the schedule's week when
        ``staffing`` is a weekly ``Schedule``, otherwise every day alike (the
        scenario's day). ``True``: the scenario's ``week`` key (7 equal days
        when absent); a ``Week`` or a mapping like the ``week`` key: that week;
        ``False``: every day alike even for a weekly schedule. In a week each
        day has its volume factor and opening hours and days off get no
        external contacts (hand-offs, repeats and retrials reaching them follow
        ``closed_hours``); reported day 0 is Monday (the staffing table's first
        day), the warm-up days are the days before it (docs/scheduling.md).

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
    SimulationTooLargeError
        The run would exceed the size limits of docs/limits.md (200 million
        contact attempts, or the memory limit); estimated before it starts.
    ConservationError
        Contacts were lost or created by the engine (a bug; never expected).

    Examples
    --------
    >>> res = simulate(sc, staffing=staff(sc), replications=20, seed=7)  # doctest: +SKIP
    >>> res.summary()  # doctest: +SKIP
    """
    wk = _week_argument(scenario, week, staffing)
    if isinstance(scenario, Resolved):
        resolved = scenario if wk is None else resolve_with_week(scenario, wk)
    elif wk is not None:
        # the schedule's week: each day's volume factor and opening hours, days off closed
        resolved = resolve_with_week(scenario, wk, period, plan)
    else:
        resolved = scenario.resolve(period, plan)
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
        week=wk if wk is not None else False,
    )
