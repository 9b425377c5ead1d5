"""The one parser of "agents per pool and interval" tables, with the one rounding rule.

Every engine that takes a staffing from the user (the simulation's
``staffing=``, a ``Schedule``'s coverage, a ``StaffingResult``) reads it here
into an integer array ``(days, intervals, pools)``: ``days`` is 1 for a table
that holds every day alike, or the number of days of the week it describes.

**Rounding rule** (the only one): agents on duty are whole people, so a
fractional value is rounded *up*, after a tolerance of 1e-9 for values that
are whole up to floating-point noise: 9.2 -> 10, 10.0000000001 -> 10. A
requirement of 9.2 agents is met only by 10 on the floor.

This module imports only numpy and pandas (and the base layer), so every
layer may use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WEEKDAYS", "agents_table", "whole_agents"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TOLERANCE = 1e-9


def whole_agents(value: Any, where: str) -> int:
    """The whole number of agents on duty for ``value`` (rounded up; see the module docs).

    Raises
    ------
    ValueError
        ``value`` is not a finite number >= 0 (``where`` names the entry).

    Examples
    --------
    >>> whole_agents(9.2, "x"), whole_agents(10.0000000001, "x"), whole_agents(0, "x")
    (10, 10, 0)
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"staffing: agents must be a number >= 0; got {value!r} at {where}")
    return math.ceil(v - _TOLERANCE)


def _day_index(day: Any, day_names: Sequence[str], where: str) -> int:
    if isinstance(day, str):
        key = day.strip().lower()
        if key in day_names:
            return list(day_names).index(key)
        raise ValueError(
            f"staffing: unknown day {day!r} at {where}; expected one of {', '.join(day_names)} "
            "or an index from 0"
        )
    if isinstance(day, bool) or not float(day).is_integer() or int(day) < 0:
        raise ValueError(f"staffing: day must be an index >= 0 or a day name; got {day!r}")
    return int(day)


def _from_frame(
    frame: pd.DataFrame,
    pools: Sequence[str],
    n_intervals: int,
    day_names: Sequence[str],
    period: int | None,
) -> np.ndarray:
    need = {"pool", "interval", "agents"}
    if not need <= set(frame.columns):
        raise ValueError(
            "staffing: a table needs columns pool, interval and agents (and day for a week); "
            f"got columns {list(frame.columns)}"
        )
    if "period" in frame.columns and period is not None:
        frame = frame[frame["period"] == period]
    has_day = "day" in frame.columns
    days = (
        [_day_index(d, day_names, f"row {k}") for k, d in enumerate(frame["day"])]
        if has_day
        else [0] * len(frame)
    )
    n_days = max(days, default=0) + 1
    out = np.zeros((n_days, n_intervals, len(pools)), dtype=np.int64)
    seen = np.zeros(len(pools), dtype=bool)
    for k, (pool, interval, agents) in enumerate(
        zip(frame["pool"], frame["interval"], frame["agents"], strict=True)
    ):
        if pool not in pools:
            raise ValueError(
                f"staffing: the table names pool {pool!r} (row {k}); expected one of "
                f"{', '.join(pools)}"
            )
        i = int(interval)
        if not 0 <= i < n_intervals:
            raise ValueError(
                f"staffing: interval {interval!r} for pool {pool!r} (row {k}); expected an "
                f"interval index in 0..{n_intervals - 1}"
            )
        p = list(pools).index(pool)
        out[days[k], i, p] = whole_agents(agents, f"pool {pool!r}, interval {i}")
        seen[p] = True
    missing = [pools[p] for p in range(len(pools)) if not seen[p]]
    if missing:
        raise ValueError(
            f"staffing: the table has no rows for pool(s) {', '.join(missing)}; give agents "
            "for every pool (0 for a pool that is closed)"
        )
    return out


def agents_table(
    staffing: Any,
    pools: Sequence[str],
    n_intervals: int,
    *,
    period: int | None = None,
    day_names: Sequence[str] = WEEKDAYS,
) -> np.ndarray:
    """Agents on duty per day, interval and pool, as whole numbers.

    Parameters
    ----------
    staffing : object, DataFrame, mapping or array
        * an object with ``.staffing_table()`` (a ``Schedule``) or a ``.pools``
          DataFrame (a ``StaffingResult``): that table;
        * a DataFrame with columns ``pool, interval, agents`` (every day alike)
          or ``pool, day, interval, agents`` (``day``: index from 0 or a name
          of ``day_names``); a ``period`` column selects ``period``;
        * a mapping pool -> agents (all day) or pool -> one value per interval;
        * an array ``(P,)``, ``(I, P)`` or ``(D, I, P)``.
    pools : sequence of str
        Pool names in the scenario's order.
    n_intervals : int
        Intervals per day.
    period : int, optional
        The period to take from a table with a ``period`` column.
    day_names : sequence of str
        Names of the days of the week, in order (default mon..sun).

    Returns
    -------
    ndarray of int64, shape (D, I, P)
        ``D`` = 1 for a table that is the same every day.

    Raises
    ------
    ValueError
        A malformed table, naming the pool, interval, row or shape at fault.
    """
    n_p = len(pools)
    if hasattr(staffing, "staffing_table"):
        return _from_frame(staffing.staffing_table(), pools, n_intervals, day_names, period)
    table = getattr(staffing, "pools", None)
    if isinstance(table, pd.DataFrame):
        return _from_frame(table, pools, n_intervals, day_names, period)
    if isinstance(staffing, pd.DataFrame):
        return _from_frame(staffing, pools, n_intervals, day_names, period)
    if isinstance(staffing, Mapping):
        unknown = [k for k in staffing if k not in pools]
        if unknown:
            raise ValueError(
                f"staffing: the mapping names unknown pool(s) {', '.join(map(repr, unknown))}; "
                f"expected pools {', '.join(pools)}"
            )
        out = np.zeros((1, n_intervals, n_p), dtype=np.int64)
        for p, pool in enumerate(pools):
            if pool not in staffing:
                raise ValueError(
                    f"staffing: the mapping has no entry for pool {pool!r}; give agents for "
                    "every pool"
                )
            value = staffing[pool]
            if np.ndim(value) == 0:
                out[0, :, p] = whole_agents(value, f"pool {pool!r}")
                continue
            seq = list(value)
            if len(seq) != n_intervals:
                raise ValueError(
                    f"staffing: the entry for pool {pool!r} has {len(seq)} values; expected "
                    f"one per interval ({n_intervals})"
                )
            out[0, :, p] = [
                whole_agents(v, f"pool {pool!r}, interval {i}") for i, v in enumerate(seq)
            ]
        return out
    arr = np.asarray(staffing, dtype=float)
    if arr.shape == (n_p,):
        arr = np.broadcast_to(arr, (n_intervals, n_p))
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (n_intervals, n_p):
        raise ValueError(
            f"staffing: an array must have shape (pools,) = ({n_p},), (intervals, pools) = "
            f"({n_intervals}, {n_p}) or (days, intervals, pools); got shape {arr.shape}"
        )
    out = np.zeros(arr.shape, dtype=np.int64)
    for (d, i, p), v in np.ndenumerate(arr):
        out[d, i, p] = whole_agents(v, f"day {d}, interval {i}, pool {pools[p]!r}")
    return out
