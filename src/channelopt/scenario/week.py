"""The planning week (``week`` key) as arrays: each day's scenario, arrivals and opening hours.

Scheduling staffs each working day of the week on its own (the day's volume
factor and opening hours); simulating a schedule must put the same contacts on
the same days. Both use :func:`day_scenario`; :func:`resolve_with_week` attaches a
week of external arrivals and open masks to a :class:`Resolved` period
(``week_arrivals``, ``week_open_mask``), which the simulation then follows day
by day (docs/scheduling.md, "Simulating a schedule").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .io import load_scenario
from .models import Scenario
from .resolved import Resolved
from .shifts import DAY_NAMES, Week

__all__ = ["day_scenario", "resolve_with_week", "week_arrays"]


def day_scenario(scenario: Scenario, week: Week, day: str) -> Scenario:
    """The scenario of one day of the week: volumes times the day's factor, the day's hours.

    Parameters
    ----------
    scenario : Scenario
    week : Week
        The planning week (``scenario.week`` or another).
    day : str
        Day name (``mon`` .. ``sun``).

    Returns
    -------
    Scenario
        ``scenario`` itself when the day has factor 1 and the scenario's hours;
        otherwise a copy whose daily volumes (``volume`` or ``arrivals``) are
        multiplied by the factor and whose channels all open at the day's hours.
    """
    factor = week.factor(day)
    hours = week.open.get(day)
    if factor == 1.0 and hours is None:
        return scenario
    doc = scenario.to_document(human=False)
    for ch in doc.get("channels", {}).values():
        if "volume" in ch:
            ch["volume"] = ch["volume"] * factor
        if "arrivals" in ch:
            ch["arrivals"] = [a * factor for a in ch["arrivals"]]
        if hours is not None:
            ch.pop("open", None)  # the day's hours hold for every channel that day
    if hours is not None:
        doc["open"] = hours
    return load_scenario(doc)


def week_arrays(
    scenario: Scenario, week: Week, period: int = 0, plan: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """External arrivals and open masks of each day of the week.

    Returns
    -------
    arrivals : ndarray, shape (7, I, C)
        Contacts per interval (Monday first), from :func:`day_scenario` of each
        working day resolved for ``period`` and ``plan``; 0 on days the centre
        does not work (not in ``week.days``).
    open_mask : ndarray of bool, shape (7, I, C)
        Open intervals per day; every channel closed on a day off.
    """
    base = scenario.resolve(period, plan)
    n_i, n_c = base.arrivals.shape
    arrivals = np.zeros((len(DAY_NAMES), n_i, n_c))
    mask = np.zeros((len(DAY_NAMES), n_i, n_c), dtype=bool)
    cache: dict[tuple[float, str | None], Resolved] = {}
    for d, day in enumerate(DAY_NAMES):
        if day not in week.days:
            continue
        key = (week.factor(day), week.open.get(day))
        if key not in cache:
            sc_day = day_scenario(scenario, week, day)
            cache[key] = base if sc_day is scenario else sc_day.resolve(period, plan)
        arrivals[d] = cache[key].arrivals
        mask[d] = cache[key].open_mask
    return arrivals, mask


def resolve_with_week(
    scenario: Scenario | Resolved, week: Week, period: int = 0, plan: Any = None
) -> Resolved:
    """One period resolved with the week's arrivals and opening hours day by day attached.

    Parameters
    ----------
    scenario : Scenario or Resolved
        A Scenario (any week), or an already resolved period when the week gives
        no opening hours of its own (its days and volume factors are then
        applied to the resolved arrivals).
    week : Week
    period : int
    plan : Plan, optional
        Used with a Scenario only.

    Returns
    -------
    Resolved
        ``resolved`` with ``week_arrivals`` and ``week_open_mask`` (shape ``(7, I, C)``).

    Raises
    ------
    ValueError
        A Resolved with a week that sets opening hours per day (the intraday
        profile over other hours needs the scenario).
    """
    if isinstance(scenario, Resolved):
        if week.open:
            raise ValueError(
                "simulating a week with its own opening hours per day "
                f"({', '.join(sorted(week.open))}) needs the Scenario, not a Resolved period: "
                "call simulate(scenario, staffing=schedule, ...)"
            )
        res = scenario
        days = np.array([week.factor(d) if d in week.days else 0.0 for d in DAY_NAMES])
        arrivals = days[:, None, None] * np.asarray(res.arrivals, float)[None]
        mask = np.asarray(res.open_mask, bool)[None] & (days > 0)[:, None, None]
    else:
        res = scenario.resolve(period, plan)
        arrivals, mask = week_arrays(scenario, week, period, plan)
    arrivals.setflags(write=False)
    mask.setflags(write=False)
    return dataclasses.replace(res, week_arrivals=arrivals, week_open_mask=mask)
