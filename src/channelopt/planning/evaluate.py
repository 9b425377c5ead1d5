"""Exact evaluation of a plan: resolve, staff and price every period.

:func:`evaluate` is the one place that turns a :class:`~channelopt.scenario.Plan`
into money. The optimiser re-measures every plan it returns with it, and its
exact mode prices configurations with the same :func:`measure_period`, so the
model and the evaluation cannot drift apart.

Definitions (also in ``docs/planning.md``):

* **Period FTE** of a pool: its paid hours on one day of the period,
  ``sum over intervals of FTE x interval hours`` (FTE = agents on duty /
  (1 - shrinkage), from the staffing layer), times ``periods.days``, divided by
  ``periods.hours_per_fte``. Agent cost = period FTE x hours_per_fte x
  cost_per_hour, i.e. paid hours x cost_per_hour: schedules are assumed to
  follow the intraday requirement.
* **Initiative costs**: ``upfront`` in the start period; ``per_period`` in every
  period from the start on (the team is paid during the lead time too).
  ``value_per_period`` x fraction in force.
* **Discounting**: money of period t is discounted by
  ``(1 + discount_rate) ** -(t x years per period)``; period 0 is not
  discounted (money at the start of each period). Years per period from
  ``periods.length`` (week 7/365.25, month 1/12, quarter 1/4, half 1/2, year 1).
* **Effort points** (expected values per day x days): ``wait_minute`` x minutes
  waited by answered contacts + ``handoff`` x hand-offs + ``repeat`` x repeats
  + ``abandoned`` x abandoned attempts. Their money value (``value_per_point``)
  is discounted like all money.
* **Objective** = NPV - value of effort points - soft-target penalty (both
  discounted). The penalty is not cash, so it is kept out of the NPV.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ChannelOptError

__all__ = [
    "PeriodMeasure",
    "PlanEvaluation",
    "Violation",
    "discount_factors",
    "evaluate",
    "fraction_in_force",
    "measure_period",
]

_YEARS_PER_PERIOD = {
    "day": 1.0 / 365.25,
    "week": 7.0 / 365.25,
    "month": 1.0 / 12.0,
    "quarter": 0.25,
    "half": 0.5,
    "half_year": 0.5,
    "year": 1.0,
}
_TOL = 1e-6


# ----------------------------------------------------------------------------
# scenario accessors (the scenario models are read here, never in hot loops)
# ----------------------------------------------------------------------------
def _n_periods(scenario: Any) -> int:
    n = getattr(scenario, "n_periods", None)
    if n is None:
        n = scenario.periods.count
    return int(n)


def _initiative_names(scenario: Any) -> list[str]:
    return list(scenario.initiatives.keys())


def _initiative(scenario: Any, name: str) -> Any:
    return scenario.initiatives[name]


def _lead_ramp(ini: Any) -> tuple[int, int]:
    lead = int(getattr(ini, "lead_time", 0) or 0)
    ramp = int(getattr(ini, "ramp", 1) or 1)
    return lead, max(ramp, 1)


def fraction_in_force(start: int | None, period: int, lead_time: int, ramp: int) -> float:
    """Fraction of an initiative's effect in force in ``period`` (DESIGN.md).

    Parameters
    ----------
    start : int or None
        Start period (0-based); ``None`` means never started.
    period : int
        The period asked about.
    lead_time : int
        Periods between start and first effect.
    ramp : int
        Periods over which the effect grows linearly to full size (>= 1).

    Returns
    -------
    float
        ``min(1, (t - s - L + 1) / R)`` for ``t >= s + L``, else 0.

    Examples
    --------
    >>> fraction_in_force(0, 2, lead_time=1, ramp=2)
    1.0
    >>> fraction_in_force(0, 1, lead_time=1, ramp=2)
    0.5
    """
    if start is None or period < start + lead_time:
        return 0.0
    return min(1.0, (period - start - lead_time + 1) / max(int(ramp), 1))


def _years_per_period(scenario: Any) -> float:
    periods = scenario.periods
    length = getattr(periods, "length", None)
    if length is not None:
        key = str(getattr(length, "value", length)).lower()
        if key in _YEARS_PER_PERIOD:
            return _YEARS_PER_PERIOD[key]
    # Unknown length: operating days over a 252-business-day year.
    days = float(getattr(periods, "days", 63.0) or 63.0)
    return days / 252.0


def discount_factors(scenario: Any) -> np.ndarray:
    """Discount factor of each period, shape (T,): ``(1 + r) ** -(t x years per period)``.

    Parameters
    ----------
    scenario : Scenario
        Reads ``economics.discount_rate`` (annual) and ``periods.length``.

    Returns
    -------
    ndarray
        Factor per period; period 0 has factor 1.
    """
    own = getattr(scenario, "discount_factors", None)
    if callable(own):
        return np.asarray(own(), dtype=float)
    rate = float(getattr(scenario.economics, "discount_rate", 0.0) or 0.0)
    years = _years_per_period(scenario)
    t = np.arange(_n_periods(scenario), dtype=float)
    return (1.0 + rate) ** (-t * years)


def _budget(scenario: Any, budget: Any) -> tuple[float, np.ndarray]:
    """(total, per_period array) of the initiative budget; inf where unbounded."""
    T = _n_periods(scenario)
    total, per = math.inf, np.full(T, math.inf)
    base = getattr(scenario, "budget", None)
    if base is not None:
        if getattr(base, "total", None) is not None:
            total = float(base.total)
        pp = getattr(base, "per_period", None)
        if pp is not None:
            per = _per_period_array(pp, T, "budget.per_period")
    if budget is not None:
        if isinstance(budget, Mapping):
            if budget.get("total") is not None:
                total = float(budget["total"])
            if budget.get("per_period") is not None:
                per = _per_period_array(budget["per_period"], T, "budget.per_period")
        else:
            try:
                total = float(budget)
            except (TypeError, ValueError):
                raise ValueError(
                    "The 'budget' parameter must be a number (total initiative budget), a "
                    f"mapping with 'total'/'per_period', or None; got {budget!r} instead."
                ) from None
            if total < 0 or math.isnan(total):
                raise ValueError(f"The 'budget' parameter must be >= 0; got {budget!r} instead.")
    return total, per


def _per_period_array(value: Any, T: int, what: str) -> np.ndarray:
    if isinstance(value, int | float):
        return np.full(T, float(value))
    arr = np.asarray(list(value), dtype=float)
    if arr.shape != (T,):
        raise ValueError(f"{what} must have one entry per period ({T}); got {list(value)!r}")
    return arr


# ----------------------------------------------------------------------------
# one period: resolve + staffing -> plain numbers
# ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PeriodMeasure:
    """Staffing outcome of one period on one day, as plain per-channel/per-pool arrays.

    Counts are per day (expected values). Shapes: C channels, P pools.
    """

    period: int
    channels: tuple[str, ...]
    pools: tuple[str, ...]
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    lost: np.ndarray
    handed_off: np.ndarray
    repeats: np.ndarray
    contained: np.ndarray
    wait_minutes: np.ndarray
    service_level: np.ndarray  # offered-weighted over the day; nan when no offered contacts
    average_wait: np.ndarray  # answered-weighted (s)
    abandonment: np.ndarray
    peak_agents: np.ndarray  # per channel, agents (slots / concurrency) at the peak interval
    paid_hours: np.ndarray  # per channel, FTE hours on one day
    pool_peak_agents: np.ndarray  # (P,)
    pool_peak_lower_bound: np.ndarray  # (P,)
    pool_paid_hours: np.ndarray  # (P,) FTE hours on one day
    pool_open_hours: np.ndarray  # (P,) hours on one day in which some skill channel is open
    effort_points: np.ndarray  # per channel per day
    sl_points_below: np.ndarray  # per channel: 100 x (target - achieved day SL), >= 0
    target_misses: tuple[str, ...]  # interval-level misses (when agents were given)
    residual: float = 0.0


_CACHE: OrderedDict[tuple, PeriodMeasure] = OrderedDict()
_CACHE_SIZE = 8192


def _cache_get(key: tuple) -> PeriodMeasure | None:
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
    return hit


def _cache_put(key: tuple, value: PeriodMeasure) -> None:
    _CACHE[key] = value
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


def clear_cache() -> None:
    """Forget every cached period measurement."""
    _CACHE.clear()


def _col(df: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    if name in df.columns:
        return df[name].to_numpy(dtype=float)
    return np.full(len(df), default)


def measure_period(resolved: Any, agents: np.ndarray | None = None) -> PeriodMeasure:
    """Staff one resolved period and reduce it to per-channel/per-pool daily numbers.

    Parameters
    ----------
    resolved : Resolved
        One period of the scenario (``Scenario.resolve``).
    agents : ndarray of shape (P,), optional
        Agents on duty per pool in every open interval; ``None`` staffs every
        channel to its targets.

    Returns
    -------
    PeriodMeasure
    """
    from ..staffing import staff_resolved

    result = staff_resolved(resolved, agents=agents)
    return _reduce(resolved, result, given=agents is not None)


def _reduce(resolved: Any, result: Any, *, given: bool) -> PeriodMeasure:
    C = resolved.n_channels
    channels = resolved.channels
    df = result.intervals
    interval_h = resolved.interval_s / 3600.0
    idx = df["channel"].map({c: i for i, c in enumerate(channels)}).to_numpy()

    def per_channel(values: np.ndarray) -> np.ndarray:
        out = np.zeros(C)
        np.add.at(out, idx, np.nan_to_num(values, nan=0.0, posinf=0.0))
        return out

    offered = _col(df, "offered")
    abandonment = np.nan_to_num(_col(df, "abandonment"), nan=0.0)
    abandoned = _col(df, "abandoned", np.nan)
    abandoned = np.where(np.isnan(abandoned), offered * abandonment, abandoned)
    contained = _col(df, "contained")
    staffed = np.asarray(resolved.staffed())
    wait = _col(df, "average_wait")
    if "answered" in df.columns:
        answered_i = _col(df, "answered")
    else:  # pragma: no cover - older staffing tables
        answered_i = np.clip(offered - abandoned - contained, 0.0, None)
    # Self-service contacts are not "answered" by agents.
    answered_i = np.where(staffed[idx], answered_i, 0.0)
    if "wait_minutes" in df.columns:
        wait_minutes_i = np.nan_to_num(_col(df, "wait_minutes"), nan=0.0)
    else:  # pragma: no cover - older staffing tables
        wait_minutes_i = np.where(answered_i > 0, answered_i * wait / 60.0, 0.0)
    sl = _col(df, "service_level", np.nan)

    off_c = per_channel(offered)
    ans_c = per_channel(answered_i)
    with np.errstate(invalid="ignore", divide="ignore"):
        sl_c = per_channel(np.where(np.isnan(sl), 0.0, sl * offered)) / off_c
        wait_c = per_channel(np.where(answered_i > 0, answered_i * wait, 0.0)) / ans_c
    sl_c = np.where(off_c > 0, sl_c, np.nan)
    wait_c = np.where(ans_c > 0, wait_c, 0.0)
    aband_c = per_channel(abandoned)
    with np.errstate(invalid="ignore", divide="ignore"):
        abandonment_c = np.where(off_c > 0, aband_c / off_c, 0.0)
    wait_min_c = per_channel(wait_minutes_i)
    handed_c = per_channel(_col(df, "handed_off"))
    repeats_c = per_channel(_col(df, "repeats"))
    lost_c = per_channel(_col(df, "lost"))

    agents_i = np.nan_to_num(_col(df, "agents"), nan=0.0)
    peak_c = np.zeros(C)
    np.maximum.at(peak_c, idx, agents_i)
    paid_c = per_channel(_col(df, "fte") * interval_h)

    effort = (
        resolved.effort_wait_minute * wait_min_c
        + resolved.effort_handoff * handed_c
        + resolved.effort_repeat * repeats_c
        + resolved.effort_abandoned * aband_c
    )

    target_sl = np.asarray(resolved.target_service_level, dtype=float)
    below = np.where(
        np.isnan(target_sl) | np.isnan(sl_c), 0.0, np.maximum(0.0, target_sl - sl_c) * 100.0
    )

    misses: list[str] = []
    if given:
        misses = _interval_misses(resolved, df, idx)

    P = len(resolved.pools)
    pdf = result.pools
    pool_idx = pdf["pool"].map({p: i for i, p in enumerate(resolved.pools)}).to_numpy()
    pool_peak = np.zeros(P)
    np.maximum.at(pool_peak, pool_idx, np.nan_to_num(_col(pdf, "agents"), nan=0.0))
    pool_lb = np.zeros(P)
    np.maximum.at(
        pool_lb, pool_idx, np.nan_to_num(_col(pdf, "agents_lower_bound", np.nan), nan=0.0)
    )
    pool_paid = np.zeros(P)
    np.add.at(pool_paid, pool_idx, np.nan_to_num(_col(pdf, "fte"), nan=0.0) * interval_h)
    open_mask = np.asarray(resolved.open_mask, dtype=bool)
    pool_open = np.array(
        [
            float(open_mask[:, list(skills)].any(axis=1).sum()) * interval_h if skills else 0.0
            for skills in resolved.pool_skills
        ]
    )
    return PeriodMeasure(
        period=int(resolved.period),
        channels=tuple(channels),
        pools=tuple(resolved.pools),
        offered=off_c,
        answered=ans_c,
        abandoned=aband_c,
        lost=lost_c,
        handed_off=handed_c,
        repeats=repeats_c,
        contained=per_channel(contained),
        wait_minutes=wait_min_c,
        service_level=sl_c,
        average_wait=wait_c,
        abandonment=abandonment_c,
        peak_agents=peak_c,
        paid_hours=paid_c,
        pool_peak_agents=pool_peak,
        pool_peak_lower_bound=pool_lb,
        pool_paid_hours=pool_paid,
        pool_open_hours=pool_open,
        effort_points=effort,
        sl_points_below=below,
        target_misses=tuple(misses),
        residual=float(getattr(result, "residual", 0.0) or 0.0),
    )


def _interval_misses(resolved: Any, df: pd.DataFrame, idx: np.ndarray) -> list[str]:
    """Interval-level target misses of given agents (hard targets hold in every interval)."""
    out: list[str] = []
    offered = _col(df, "offered")
    checks = (
        ("service level", "service_level", resolved.target_service_level, +1),
        ("average wait", "average_wait", resolved.target_max_wait, -1),
        ("abandonment", "abandonment", resolved.target_max_abandonment, -1),
        ("occupancy", "occupancy", resolved.target_max_occupancy, -1),
    )
    intervals = _col(df, "interval") if "interval" in df.columns else np.arange(len(df))
    for label, column, target, sign in checks:
        if column not in df.columns:
            continue
        goal = np.asarray(target, dtype=float)[idx]
        got = df[column].to_numpy(dtype=float)
        active = ~np.isnan(goal) & (offered > 0)
        ok = got >= goal - 1e-9 if sign > 0 else got <= goal + 1e-9
        bad = active & ~ok
        for ch in np.unique(idx[bad]):
            rows = np.flatnonzero(bad & (idx == ch))
            worst = rows[np.argmin(got[rows])] if sign > 0 else rows[np.argmax(got[rows])]
            out.append(
                f"{label} target {goal[worst]:g} missed in channel "
                f"{resolved.channels[ch]} in {len(rows)} interval(s) (worst: {got[worst]:.4g} "
                f"in interval {int(intervals[worst])})"
            )
    return out


# ----------------------------------------------------------------------------
# plans -> measures (cached)
# ----------------------------------------------------------------------------
def _scenario_key(scenario: Any) -> str:
    key = getattr(scenario, "content_hash", None)
    if callable(key):
        key = key()
    if key is None:
        key = scenario.resolve(0, {}).content_hash
    return str(key)


def _fractions(scenario: Any, starts: Mapping[str, int], period: int) -> dict[str, float]:
    out = {}
    for name, s in starts.items():
        if s is None:
            continue
        lead, ramp = _lead_ramp(_initiative(scenario, name))
        f = fraction_in_force(int(s), period, lead, ramp)
        if f > 0:
            out[name] = f
    return out


def _signature(fractions: Mapping[str, float]) -> tuple:
    return tuple(sorted((k, round(v, 12)) for k, v in fractions.items()))


def measure_starts(
    scenario: Any,
    starts: Mapping[str, int],
    period: int,
    agents: np.ndarray | None = None,
    *,
    key: str | None = None,
) -> PeriodMeasure:
    """Cached :func:`measure_period` of ``scenario.resolve(period, starts)``.

    The cache key is (scenario content hash, period, fractions in force,
    agents): two plans with the same fractions in a period share its staffing.
    """
    key = key or _scenario_key(scenario)
    fr = _fractions(scenario, starts, period)
    agents_key = None if agents is None else tuple(np.round(np.asarray(agents, float), 9))
    ck = (key, int(period), _signature(fr), agents_key)
    hit = _cache_get(ck)
    if hit is not None:
        return hit
    active = {k: int(v) for k, v in starts.items() if k in fr}
    resolved = scenario.resolve(period, active)
    out = measure_period(resolved, agents)
    _cache_put(ck, out)
    return out


# ----------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """One broken rule of a plan.

    Attributes
    ----------
    kind : str
        ``budget``, ``headcount``, ``hiring``, ``targets``, ``requires``,
        ``excludes`` or ``plan``.
    message : str
        What is broken, with the numbers.
    period : int or None
        Period concerned (None for the whole horizon).
    subject : str
        Pool, channel or initiative concerned ("" when none).
    excess : float
        By how much the limit is exceeded, in the limit's unit (0 when not numeric).
    """

    kind: str
    message: str
    period: int | None = None
    subject: str = ""
    excess: float = 0.0

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def __contains__(self, text: object) -> bool:
        """``"budget" in violation``: substring test on the text, as for a message string."""
        return isinstance(text, str) and text in str(self)


@dataclass(frozen=True, eq=False)
class PlanEvaluation:
    """The exact re-measurement of a plan (see :func:`evaluate`).

    Attributes
    ----------
    plan : Plan
        The plan evaluated.
    objective : float
        NPV - discounted value of effort points - discounted soft-target
        penalty (money): the scalar the optimiser maximises.
    npv : float
        Net present value of all cash: initiative value minus agent cost,
        initiative costs, value of lost contacts and of repeats.
    effort_points : float
        Expected customer-effort points over the horizon (undiscounted).
    feasible : bool
        No violation.
    violations : list of Violation
        Every broken rule (budget, headcount, hiring, targets, requires/excludes).
    periods : DataFrame
        One row per period x channel: KPIs and the channel's agent cost.
    money : DataFrame
        One row per period: every money flow, discount factor, present values.
    pools : DataFrame
        One row per period x pool: peak agents, FTE, hires needed, caps, cost.
    provenance : dict
        Scenario name and content hash, channelopt version, plan name.
    """

    plan: Any
    objective: float
    npv: float
    effort_points: float
    feasible: bool
    violations: list[Violation]
    periods: pd.DataFrame
    money: pd.DataFrame
    pools: pd.DataFrame
    provenance: dict[str, Any]
    _scenario: Any = field(repr=False, default=None)
    _budget: Any = field(repr=False, default=None)

    @functools.cached_property
    def initiatives(self) -> pd.DataFrame:
        """Business case per initiative started in the plan (computed on first access).

        Columns: ``initiative, start, in_force_from, upfront_cost, running_cost,
        total_cost`` (undiscounted), ``direct_value`` (value_per_period x
        fraction, undiscounted), ``operating_saving`` (undiscounted change in
        agent cost, lost-contact and repeat money when the initiative and the
        initiatives that require it are removed from the plan), ``net_value``
        (direct value + saving - cost), ``npv_contribution`` (change of the plan's
        NPV), ``objective_contribution`` (change of the objective),
        ``payback_period`` (first period in which cumulative undiscounted net
        cash turns >= 0; None when it never does in the horizon). ``cost``
        (= ``total_cost``) and ``value`` (= ``direct_value`` +
        ``operating_saving``) summarise the case in two numbers.
        """
        return _business_case(self)

    def summary(self) -> pd.DataFrame:
        """One row per period: money, initiative spending, effort points."""
        return self.money.copy()


# ----------------------------------------------------------------------------
# evaluate
# ----------------------------------------------------------------------------
def _plan_agents(plan: Any, scenario: Any, pools: tuple[str, ...], T: int) -> list[Any]:
    """Agents per period as (P,) arrays, or None per period when the plan leaves them free."""
    given = getattr(plan, "agents", None)
    if given is None:
        return [None] * T
    out = []
    for t in range(T):
        row = np.full(len(pools), np.nan)
        for p, pool in enumerate(pools):
            if pool not in given:
                raise ChannelOptError(
                    f"plan.agents has no entry for pool {pool!r}; expected every pool of "
                    f"{list(pools)} (agents on duty per period)"
                )
            value = given[pool]
            if isinstance(value, int | float):
                row[p] = float(value)
            else:
                seq = list(value)
                if len(seq) != T:
                    raise ChannelOptError(
                        f"plan.agents.{pool} has {len(seq)} entries; expected {T} (one per period)"
                    )
                row[p] = float(seq[t])
        out.append(row)
    return out


def evaluate(scenario: Any, plan: Any, *, budget: Any = None) -> PlanEvaluation:
    """Re-measure a plan exactly: resolve, staff and price every period.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    plan : Plan or mapping of str to int
        Start period per initiative (``Plan.starts``); ``plan.agents`` (agents on
        duty per pool and period) fixes staffing, ``None`` staffs every channel
        to its targets.
    budget : float or mapping, optional
        Overrides the scenario's initiative budget: a number is the total; a
        mapping may give ``total`` and ``per_period``.

    Raises
    ------
    ScenarioError
        When the plan names an unknown initiative or a start outside the
        horizon (``starts.<name>`` in the problem path).

    Returns
    -------
    PlanEvaluation
        Objective and NPV (money), feasibility and violations, tidy tables
        per period x channel (``.periods``), per period (``.money``), per
        period x pool (``.pools``), and the business case per initiative
        (``.initiatives``).

    Examples
    --------
    >>> import channelopt as co                          # doctest: +SKIP
    >>> sc = co.load_scenario("scenarios/retail_bank.yaml")  # doctest: +SKIP
    >>> ev = co.evaluate(sc, co.Plan(starts={}))        # doctest: +SKIP
    >>> ev.feasible                                      # doctest: +SKIP
    True
    """
    starts = dict(getattr(plan, "starts", plan) or {})
    T = _n_periods(scenario)
    _check_plan_names(scenario, starts, T)
    key = _scenario_key(scenario)
    base = scenario.resolve(0, {})
    pools = tuple(base.pools)
    agents = _plan_agents(plan, scenario, pools, T)
    measures = [measure_starts(scenario, starts, t, agents[t], key=key) for t in range(T)]
    return _assemble(scenario, plan, starts, measures, base, budget=budget, key=key)


def _check_plan_names(scenario: Any, starts: Mapping[str, Any], T: int) -> None:
    """Unknown initiatives and starts outside the horizon cannot be evaluated: raise."""
    from ..errors import Problem, ScenarioError

    problems = []
    known = list(scenario.initiatives)
    for name, s in starts.items():
        if name not in scenario.initiatives:
            problems.append(
                Problem(
                    f"starts.{name}",
                    f"unknown initiative {name!r}; expected one of {', '.join(known) or 'none'}",
                    name,
                )
            )
        elif s is not None and not (isinstance(s, int) and 0 <= s < T):
            problems.append(Problem(f"starts.{name}", f"start period {s!r} outside [0, {T})", s))
    if problems:
        raise ScenarioError(problems, source="plan")


def _initiative_cash(
    scenario: Any, starts: Mapping[str, int], T: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(upfront, running, direct value) per period, shape (T,) each."""
    up, run, val = np.zeros(T), np.zeros(T), np.zeros(T)
    for name, s in starts.items():
        if s is None:
            continue
        ini = _initiative(scenario, name)
        s = int(s)
        lead, ramp = _lead_ramp(ini)
        if 0 <= s < T:
            up[s] += float(ini.cost.upfront or 0.0)
        for t in range(max(s, 0), T):
            run[t] += float(ini.cost.per_period or 0.0)
            val[t] += float(ini.value_per_period or 0.0) * fraction_in_force(s, t, lead, ramp)
    return up, run, val


def _assemble(
    scenario: Any,
    plan: Any,
    starts: Mapping[str, int],
    measures: list[PeriodMeasure],
    base: Any,
    *,
    budget: Any,
    key: str,
) -> PlanEvaluation:
    T = len(measures)
    days = float(scenario.periods.days)
    hours_per_fte = float(scenario.periods.hours_per_fte)
    econ = scenario.economics
    v_lost = float(getattr(econ, "value_per_lost_contact", 0.0) or 0.0)
    v_rep = float(getattr(econ, "value_per_repeat", 0.0) or 0.0)
    vpp = float(base.value_per_point)
    soft, penalty = _target_mode(scenario)
    df_t = discount_factors(scenario)
    up, run, direct = _initiative_cash(scenario, starts, T)
    cost_h = np.asarray(base.pool_cost_per_hour, dtype=float)
    pool_of = base.pool_of_channel()
    chan_cost_h = np.where(pool_of >= 0, cost_h[np.maximum(pool_of, 0)], 0.0)

    rows, money_rows, pool_rows = [], [], []
    violations: list[Violation] = []
    total_budget, per_budget = _budget(scenario, budget)
    for t, m in enumerate(measures):
        agent_cost = float(days * np.dot(m.pool_paid_hours, cost_h))
        lost = float(days * m.lost.sum())
        repeats = float(days * m.repeats.sum())
        effort = float(days * m.effort_points.sum())
        points_below = m.sl_points_below if soft else np.zeros_like(m.sl_points_below)
        pen = float(penalty * points_below.sum())
        cash = direct[t] - agent_cost - up[t] - run[t] - v_lost * lost - v_rep * repeats
        money_rows.append(
            {
                "period": t,
                "agent_cost": agent_cost,
                "initiative_upfront": up[t],
                "initiative_running": run[t],
                "initiative_spending": up[t] + run[t],
                "initiative_value": direct[t],
                "lost_contacts": lost,
                "lost_contact_cost": v_lost * lost,
                "repeats": repeats,
                "repeat_cost": v_rep * repeats,
                "effort_points": effort,
                "effort_cost": vpp * effort,
                "target_penalty": pen,
                "net_cash": cash,
                "discount_factor": df_t[t],
                "present_value": df_t[t] * cash,
                "objective_contribution": df_t[t] * (cash - vpp * effort - pen),
            }
        )
        for c, ch in enumerate(m.channels):
            rows.append(
                {
                    "period": t,
                    "channel": ch,
                    "offered": days * m.offered[c],
                    "answered": days * m.answered[c],
                    "abandoned": days * m.abandoned[c],
                    "lost": days * m.lost[c],
                    "handed_off": days * m.handed_off[c],
                    "repeats": days * m.repeats[c],
                    "contained": days * m.contained[c],
                    "service_level": m.service_level[c],
                    "average_wait": m.average_wait[c],
                    "abandonment": m.abandonment[c],
                    "peak_agents": m.peak_agents[c],
                    "fte": days * m.paid_hours[c] / hours_per_fte,
                    "agent_cost": days * m.paid_hours[c] * chan_cost_h[c],
                    "effort_points": days * m.effort_points[c],
                    "service_level_points_below": m.sl_points_below[c],
                    "target_penalty": penalty * points_below[c],
                }
            )
        if not soft:
            for miss in m.target_misses:
                violations.append(Violation("targets", f"period {t}: {miss}", t))
            for c in np.flatnonzero(m.sl_points_below > 1e-7):
                violations.append(
                    Violation(
                        "targets",
                        f"period {t}: channel {m.channels[c]} reaches service level "
                        f"{m.service_level[c]:.4f} over the day; target "
                        f"{base.target_service_level[c]:g}",
                        t,
                        m.channels[c],
                        float(m.sl_points_below[c]),
                    )
                )
    pool_fte = _pool_rows(scenario, measures, base, pool_rows, violations, days, hours_per_fte)
    del pool_fte
    spending = up + run
    if spending.sum() > total_budget * (1 + 1e-9) + _TOL:
        violations.append(
            Violation(
                "budget",
                f"initiative spending {spending.sum():,.0f} exceeds budget.total "
                f"{total_budget:,.0f}",
                None,
                "total",
                float(spending.sum() - total_budget),
            )
        )
    for t in range(T):
        if spending[t] > per_budget[t] * (1 + 1e-9) + _TOL:
            violations.append(
                Violation(
                    "budget",
                    f"initiative spending {spending[t]:,.0f} in period {t} exceeds "
                    f"budget.per_period[{t}] {per_budget[t]:,.0f}",
                    t,
                    "per_period",
                    float(spending[t] - per_budget[t]),
                )
            )
    for problem in _check_starts(scenario, starts):
        if "exclude" in problem:
            kind = "excludes"
        elif "requires" in problem:
            kind = "requires"
        else:
            kind = "plan"
        violations.append(Violation(kind, problem))

    money = pd.DataFrame(money_rows)
    npv = float(money["present_value"].sum())
    objective = float(money["objective_contribution"].sum())
    from .. import __version__

    provenance = {
        "scenario": base.name,
        "content_hash": key,
        "channelopt_version": __version__,
        "plan": str(getattr(plan, "name", "") or ""),
        "seed": None,
    }
    return PlanEvaluation(
        plan=plan,
        objective=objective,
        npv=npv,
        effort_points=float(money["effort_points"].sum()),
        feasible=not violations,
        violations=list(violations),
        periods=pd.DataFrame(rows),
        money=money,
        pools=pd.DataFrame(pool_rows),
        provenance=provenance,
        _scenario=scenario,
        _budget=budget,
    )


def _target_mode(scenario: Any) -> tuple[bool, float]:
    targets = getattr(scenario, "targets", None)
    if targets is None:
        return False, 0.0
    mode = str(getattr(getattr(targets, "mode", "hard"), "value", getattr(targets, "mode", "")))
    soft = mode.lower() == "soft"
    pen = float(getattr(targets, "penalty_per_point_below", 0.0) or 0.0)
    return soft, pen


def initial_fte(base: Any, days: float, hours_per_fte: float, open_hours: np.ndarray) -> np.ndarray:
    """FTE of today's roster per pool: ``agents`` on duty in every open interval.

    ``agents / (1 - shrinkage) x open hours per day x days / hours_per_fte``;
    nan where the roster is unknown.
    """
    agents = np.asarray(base.pool_agents, dtype=float)
    shrink = np.asarray(base.pool_shrinkage, dtype=float)
    return agents / (1.0 - shrink) * open_hours * days / hours_per_fte


def _pool_rows(
    scenario: Any,
    measures: list[PeriodMeasure],
    base: Any,
    rows: list[dict],
    violations: list[Violation],
    days: float,
    hours_per_fte: float,
) -> np.ndarray:
    pools = base.pools
    cap = np.asarray(base.pool_max_agents, dtype=float)
    hires = np.asarray(base.pool_hires_per_period, dtype=float)
    attr = np.asarray(base.pool_attrition, dtype=float)
    cost_h = np.asarray(base.pool_cost_per_hour, dtype=float)
    prev = initial_fte(base, days, hours_per_fte, measures[0].pool_open_hours)
    fte_all = []
    for t, m in enumerate(measures):
        fte = days * m.pool_paid_hours / hours_per_fte
        fte_all.append(fte)
        available = prev * (1.0 - attr)
        need = np.where(np.isnan(available), 0.0, np.maximum(0.0, fte - available))
        for p, pool in enumerate(pools):
            rows.append(
                {
                    "period": t,
                    "pool": pool,
                    "peak_agents": m.pool_peak_agents[p],
                    "peak_agents_lower_bound": m.pool_peak_lower_bound[p],
                    "max_agents": cap[p],
                    "fte": fte[p],
                    "fte_after_attrition": available[p],
                    "hires_needed": need[p],
                    "hires_per_period": hires[p],
                    "agent_cost": fte[p] * hours_per_fte * cost_h[p],
                }
            )
            if m.pool_peak_agents[p] > cap[p] + 1e-9:
                violations.append(
                    Violation(
                        "headcount",
                        f"period {t}: pool {pool} needs {m.pool_peak_agents[p]:.0f} agents on "
                        f"duty at the peak; max_agents is {cap[p]:.0f}",
                        t,
                        pool,
                        float(m.pool_peak_agents[p] - cap[p]),
                    )
                )
            if need[p] > hires[p] + 1e-6:
                violations.append(
                    Violation(
                        "hiring",
                        f"period {t}: pool {pool} needs {need[p]:.1f} FTE of hires "
                        f"({fte[p]:.1f} FTE needed, {available[p]:.1f} left after attrition); "
                        f"hires_per_period is {hires[p]:g}",
                        t,
                        pool,
                        float(need[p] - hires[p]),
                    )
                )
        prev = fte
    return np.array(fte_all)


def _check_starts(scenario: Any, starts: Mapping[str, int]) -> list[str]:
    checker = getattr(scenario, "check_starts", None)
    if checker is not None:
        return [str(p) for p in checker(dict(starts))]
    return _check_starts_fallback(scenario, starts)


def _check_starts_fallback(scenario: Any, starts: Mapping[str, int]) -> list[str]:
    """requires/excludes/range checks (used when the scenario offers no ``check_starts``)."""
    out = []
    T = _n_periods(scenario)
    for name, s in starts.items():
        if name not in scenario.initiatives:
            out.append(f"unknown initiative {name!r} in plan.starts")
            continue
        if not 0 <= int(s) < T:
            out.append(f"initiative {name} starts in period {s}; expected 0..{T - 1}")
        ini = _initiative(scenario, name)
        for req in getattr(ini, "requires", ()) or ():
            if req not in starts:
                out.append(f"initiative {name} requires {req}, which the plan does not start")
                continue
            lead, _ = _lead_ramp(_initiative(scenario, req))
            if int(starts[req]) + lead > int(s):
                out.append(
                    f"initiative {name} starts in period {s} but requires {req}, in force "
                    f"from period {int(starts[req]) + lead}"
                )
        for ex in getattr(ini, "excludes", ()) or ():
            if ex in starts and name < ex:
                out.append(f"initiative {name} excludes {ex}; the plan starts both")
    return out


# ----------------------------------------------------------------------------
# business case
# ----------------------------------------------------------------------------
def _dependants(scenario: Any, name: str, starts: Mapping[str, int]) -> set[str]:
    """``name`` and every started initiative that requires it, transitively."""
    out = {name}
    changed = True
    while changed:
        changed = False
        for other in starts:
            if other in out:
                continue
            reqs = set(getattr(_initiative(scenario, other), "requires", ()) or ())
            if reqs & out:
                out.add(other)
                changed = True
    return out


def _business_case(ev: PlanEvaluation) -> pd.DataFrame:
    scenario = ev._scenario
    starts = dict(getattr(ev.plan, "starts", ev.plan) or {})
    T = len(ev.money)
    rows = []
    agents_given = getattr(ev.plan, "agents", None)
    for name in sorted(starts, key=lambda n: (starts[n], n)):
        s = int(starts[name])
        ini = _initiative(scenario, name)
        lead, _ = _lead_ramp(ini)
        drop = _dependants(scenario, name, starts)
        rest = {k: v for k, v in starts.items() if k not in drop}
        without = evaluate(scenario, _with_starts(ev.plan, rest, agents_given), budget=ev._budget)
        up, run, val = _initiative_cash(scenario, {name: s}, T)
        m_with, m_without = ev.money, without.money
        operating = lambda m: (  # noqa: E731 - small local helper
            m["agent_cost"] + m["lost_contact_cost"] + m["repeat_cost"]
        ).to_numpy()
        saving = operating(m_without) - operating(m_with)
        net = val + saving - up - run
        cumulative = np.cumsum(net)
        payback = next((t for t in range(T) if cumulative[t] >= 0 and t >= s), None)
        rows.append(
            {
                "initiative": name,
                "start": s,
                "in_force_from": s + lead if s + lead < T else None,
                "upfront_cost": float(up.sum()),
                "running_cost": float(run.sum()),
                "total_cost": float((up + run).sum()),
                "direct_value": float(val.sum()),
                "operating_saving": float(saving.sum()),
                "cost": float((up + run).sum()),
                "value": float(val.sum() + saving.sum()),
                "net_value": float(net.sum()),
                "npv_contribution": ev.npv - without.npv,
                "objective_contribution": ev.objective - without.objective,
                "payback_period": payback,
                "removed_with": ", ".join(sorted(drop - {name})),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "initiative",
            "start",
            "in_force_from",
            "upfront_cost",
            "running_cost",
            "total_cost",
            "direct_value",
            "operating_saving",
            "cost",
            "value",
            "net_value",
            "npv_contribution",
            "objective_contribution",
            "payback_period",
            "removed_with",
        ],
    )


def _with_starts(plan: Any, starts: dict[str, int], agents: Any) -> Any:
    from ..scenario import Plan

    return Plan(starts=starts, agents=agents, name=str(getattr(plan, "name", "") or ""))
