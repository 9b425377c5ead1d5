"""``staffing="schedule"``: price a period with the paid hours of a scheduled week.

The requirement model pays FTE = required agents / (1 - shrinkage), hour by
hour; a centre pays whole shifts. With ``staffing="schedule"`` each period's
agent cost comes from :func:`channelopt.schedule` of a representative week
(the scenario's ``week`` with that period's growth and the plan's initiatives
in force): paid hours per working day x the period's working days x cost per
hour. The headcount cap (``max_agents``, agents on contacts at the peak) is
checked against the schedule's peak of scheduled agents, and hiring against
the schedule's FTE. KPIs (service level, waits, lost contacts) stay those of
the requirement, which the schedule covers in every interval.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np

from .measure import PeriodMeasure, _fractions, _scenario_key, _signature

__all__ = ["optimize_scheduled", "schedule_cost_ratios", "scheduled_measures"]

_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 64


def _schedule_of(scenario: Any, starts: dict[str, int], period: int, method: str) -> Any:
    """The schedule of one period (cached by scenario, period and fractions in force)."""
    from ..scenario import Plan
    from ..scheduling import schedule

    fr = _fractions(scenario, starts, period)
    key = (_scenario_key(scenario), int(period), _signature(fr), method)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    active = {k: int(v) for k, v in starts.items() if k in fr}
    out = schedule(scenario, period=period, plan=Plan(starts=active), staffing_method=method)
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def scheduled_measures(
    scenario: Any, starts: dict[str, int], measures: list[PeriodMeasure], method: str = "erlang"
) -> tuple[list[PeriodMeasure], list[Any]]:
    """Each period's measure with pool paid hours and peaks taken from its schedule.

    ``method`` is the staffing method of the requirement the schedule covers
    (the same as the measures', so the KPIs reported are those of the
    requirement scheduled). Returns the new measures and the schedules.
    """
    out: list[PeriodMeasure] = []
    schedules = []
    for t, m in enumerate(measures):
        sched = _schedule_of(scenario, starts, t, method)
        schedules.append(sched)
        summary = sched.summary()
        days = max(len(sched.work_days), 1)
        peaks = sched.coverage.groupby("pool")["scheduled"].max()
        hours = np.array(
            [float(summary.loc[p, "paid_hours"]) / days if p in summary.index else 0.0
             for p in m.pools]
        )  # fmt: skip
        peak = np.array([float(peaks.get(p, 0.0)) for p in m.pools])
        before = float(np.sum(m.pool_paid_hours))
        # channels' paid hours follow their pools' total (a channel may be served by several)
        ratio = float(hours.sum()) / before if before > 0 else 0.0
        out.append(
            replace(
                m,
                pool_paid_hours=hours,
                pool_peak_agents=np.floor(peak + 1e-6),
                paid_hours=np.asarray(m.paid_hours, float) * ratio,
            )
        )
    return out, schedules


def clear_schedule_cache() -> None:
    """Forget cached schedules."""
    _CACHE.clear()


def schedule_cost_ratios(scenario: Any) -> dict[str, float]:
    """Per pool: scheduled paid hours / FTE hours of doing nothing, over all periods.

    1 for a pool without requirement. The factor by which whole shifts cost
    more (or less) than the hour-by-hour FTE requirement.
    """
    from .measure import measure_starts

    measures = [measure_starts(scenario, {}, t) for t in range(scenario.n_periods)]
    scheduled, _ = scheduled_measures(scenario, {}, measures)
    fte = np.sum([m.pool_paid_hours for m in measures], axis=0)
    paid = np.sum([m.pool_paid_hours for m in scheduled], axis=0)
    pools = measures[0].pools
    return {p: float(paid[i] / fte[i]) if fte[i] > 0 else 1.0 for i, p in enumerate(pools)}


def optimize_scheduled(scenario: Any, staffing: str, **kwargs: Any) -> Any:
    """``optimize(..., staffing="schedule")``: see :func:`channelopt.planning.optimize`."""
    from .evaluate import evaluate
    from .model import optimize

    if staffing != "schedule":
        raise ValueError(
            f"The 'staffing' argument of optimize must be 'requirement' or 'schedule'; "
            f"got {staffing!r} instead."
        )
    ratios = schedule_cost_ratios(scenario)
    priced = scenario.with_changes(
        {f"pools.{p}.cost_per_hour": r for p, r in ratios.items() if r != 1.0}
    )
    result = optimize(priced, **kwargs).optimization
    ev = evaluate(scenario, result.plan, budget=kwargs.get("budget"), staffing="schedule")
    out = replace(result, evaluation=ev)
    return out.plan._with_optimization(out)
