"""Requirements per pool, day and interval for the scheduling week.

By default each working day of the scenario's ``week`` is staffed on its own:
the scenario's daily volumes times the day's factor, with the day's opening
hours, through :func:`channelopt.staffing.staff` (``method="pooled"`` where
the staffing layer offers it). A caller may instead pass a
:class:`~channelopt.staffing.StaffingResult` (the same requirement on every
working day), a mapping day -> StaffingResult, or a DataFrame.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..scenario import Scenario
from ..scenario.shifts import DAY_NAMES, Week
from ..scenario.week import day_scenario
from ..staffing import StaffingResult, staff

__all__ = ["day_scenario", "requirement_array", "resolve_week", "staffing_method"]


def resolve_week(scenario: Scenario, week: Any) -> Week:
    """The planning week: ``True`` = the scenario's (7 equal days when absent), or given."""
    if week is True or week is None:
        return scenario.week if scenario.week is not None else Week()
    if isinstance(week, Week):
        return week
    if isinstance(week, Mapping):
        return Week.model_validate(dict(week))
    raise TypeError(f"week must be True, a Week or a mapping like the `week` key; got {week!r}")


def staffing_method() -> str | None:
    """``"pooled"`` when the staffing layer offers it (multi-skill pools sized together)."""
    params = inspect.signature(staff).parameters
    return "pooled" if "method" in params else None


def _pool_table(result: StaffingResult) -> pd.DataFrame:
    return result.pools[["pool", "interval", "agents"]]


def requirement_array(
    scenario: Scenario,
    requirements: Any,
    week: Week,
    *,
    period: int,
    plan: Any,
    pools: tuple[str, ...],
    n_days: int,
    day_names: tuple[str, ...],
    staffing_method_override: str | None = None,
) -> tuple[dict[str, np.ndarray], str]:
    """Required agents (on contacts, before shrinkage) per pool: arrays ``(n_days, T)``.

    Returns the arrays and a sentence saying where the requirement came from.
    """
    T = scenario.intervals_per_day
    out = {p: np.zeros((n_days, T)) for p in pools}

    def fill(day_index: int, table: pd.DataFrame) -> None:
        for pool, grp in table.groupby("pool", sort=False):
            if pool not in out:
                raise KeyError(f"requirement names pool {pool!r}, not a pool of the scenario")
            idx = grp["interval"].to_numpy(dtype=int)
            if idx.size and (idx.min() < 0 or idx.max() >= T):
                raise ValueError(
                    f"requirement interval outside 0..{T - 1} for pool {pool!r}: "
                    f"{int(idx.min())}..{int(idx.max())}"
                )
            out[str(pool)][day_index, idx] = grp["agents"].to_numpy(dtype=float)

    open_days = [i for i, d in enumerate(day_names) if d in week.days]
    if requirements is None:
        method = staffing_method_override or staffing_method()
        cache: dict[tuple[float, str | None], pd.DataFrame] = {}
        for i in open_days:
            day = day_names[i]
            key = (week.factor(day), week.open.get(day))
            if key not in cache:
                sc_day = day_scenario(scenario, week, day)
                kwargs: dict[str, Any] = {"method": method} if method else {}
                cache[key] = _pool_table(staff(sc_day, period, plan, **kwargs))
            fill(i, cache[key])
        how = (
            f"staff(method={method!r}) per day of the week"
            if method
            else "staff() per day of the week (per-pool requirement: sum of its channels')"
        )
        return out, how
    if isinstance(requirements, StaffingResult):
        for i in open_days:
            fill(i, _pool_table(requirements))
        return out, "the StaffingResult given, on every working day"
    if isinstance(requirements, Mapping):
        for day, res in requirements.items():
            if day not in day_names:
                raise KeyError(f"requirements: unknown day {day!r}; expected one of {day_names}")
            table = res if isinstance(res, pd.DataFrame) else _pool_table(res)
            fill(day_names.index(day), table)
        return out, "the requirement given per day"
    if isinstance(requirements, pd.DataFrame):
        missing = {"pool", "interval", "agents"} - set(requirements.columns)
        if missing:
            raise ValueError(
                f"requirements DataFrame lacks columns {sorted(missing)}; expected pool, "
                "interval, agents (and optionally day)"
            )
        if "day" not in requirements.columns:
            for i in open_days:
                fill(i, requirements)
        else:
            for day, grp in requirements.groupby("day", sort=False):
                if isinstance(day, str) and day in day_names:
                    fill(day_names.index(day), grp)
                elif isinstance(day, int | np.integer) and 0 <= int(day) < n_days:
                    fill(int(day), grp)
                else:
                    raise ValueError(
                        f"requirements: unknown day {day!r}; expected one of {day_names} "
                        f"or 0..{n_days - 1}"
                    )
        return out, "the requirement table given"
    raise TypeError(
        "requirements must be None, a StaffingResult, a mapping day -> StaffingResult or a "
        f"DataFrame (pool, [day,] interval, agents); got {type(requirements).__name__}"
    )


DAY_ORDER = DAY_NAMES
