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
  ``periods.length`` (``Scenario.discount_factors()``).
* **Effort points** (expected values per day x days): ``wait_minute`` x minutes
  waited by answered contacts + ``handoff`` x hand-offs + ``repeat`` x repeats
  + ``abandoned`` x abandoned attempts. Their money value (``value_per_point``)
  is discounted like all money.
* **Objective** = NPV - value of effort points - soft-target penalty (both
  discounted). The penalty is not cash, so it is kept out of the NPV.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ChannelOptError
from ..provenance import VERSION
from ._common import (
    _budget,
    _initiative,
    _lead_ramp,
    _n_periods,
    _target_mode,
    discount_factors,
    fraction_in_force,
    initial_fte,
)
from .measure import PeriodMeasure, _scenario_key, clear_cache, measure_period, measure_starts

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = [
    "PeriodMeasure",
    "PlanEvaluation",
    "Violation",
    "ViolationKind",
    "clear_cache",
    "discount_factors",
    "evaluate",
    "fraction_in_force",
    "measure_period",
    "measure_starts",
]

_TOL = 1e-6


class ViolationKind(StrEnum):
    """What kind of rule a :class:`Violation` breaks (compares equal to its text)."""

    BUDGET = "budget"
    HEADCOUNT = "headcount"
    HIRING = "hiring"
    TARGETS = "targets"
    REQUIRES = "requires"
    EXCLUDES = "excludes"
    PLAN = "plan"  # a start outside the horizon or of an unknown initiative


@dataclass(frozen=True)
class Violation:
    """One broken rule of a plan.

    Attributes
    ----------
    kind : ViolationKind
        ``budget``, ``headcount``, ``hiring``, ``targets``, ``requires``,
        ``excludes`` or ``plan`` (a :class:`ViolationKind`, equal to those
        strings).
    message : str
        What is broken, with the numbers.
    period : int or None
        Period concerned (None for the whole horizon).
    subject : str
        Pool, channel or initiative concerned ("" when none).
    excess : float
        By how much the limit is exceeded, in the limit's unit (0 when not numeric).
    """

    kind: ViolationKind
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

    def _facts(self) -> dict[str, object]:
        starts = dict(getattr(self.plan, "starts", {}) or {})
        return {
            "plan": ", ".join(f"{k}@{v}" for k, v in sorted(starts.items(), key=lambda kv: kv[1]))
            or "do nothing",
            "objective": round(float(self.objective), 2),
            "npv": round(float(self.npv), 2),
            "effort_points": round(float(self.effort_points), 1),
            "feasible": bool(self.feasible),
            "violations": len(self.violations),
        }

    def __repr__(self) -> str:
        from .._display import short_repr

        return short_repr(
            "PlanEvaluation", self._facts(), ".summary(), .periods, .money, .initiatives"
        )

    def _repr_html_(self) -> str:
        from .._display import html_repr

        return html_repr("PlanEvaluation", self._facts(), self.summary())


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


def evaluate(
    scenario: Scenario,
    plan: Any,
    *,
    budget: Any = None,
    fidelity: str = "analytic",
    replications: int = 20,
    seed: int = 0,
    staffing_method: str = "erlang",
    staffing: str = "requirement",
) -> PlanEvaluation:
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
    fidelity : {"analytic", "simulation"}, default "analytic"
        ``"simulation"`` adds to ``.periods`` the KPIs measured by
        ``simulate`` (``sim_service_level``, ``sim_abandonment``, each with a
        95 % interval ``_low``/``_high``) and ``miss_probability`` (share of
        simulated days, under forecast error, that miss a target); the money
        stays analytic.
    replications, seed : int
        Of the simulation (``fidelity="simulation"``); period t uses seed + t.
    staffing_method : {"erlang", "pooled"}
        How each period's staffing is found for the simulation.
    staffing : {"requirement", "schedule"}, default "requirement"
        ``"requirement"``: agent cost = FTE (required agents / (1 -
        shrinkage)) hour by hour. ``"schedule"``: the paid hours of a
        :func:`channelopt.schedule` of each period's representative week
        (what the centre really pays); the headcount cap is checked against
        the schedule's peak and hiring against its FTE (docs/scheduling.md).
        Needs ``plan.agents`` to be None.

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
    if fidelity not in ("analytic", "simulation"):
        raise ValueError(
            f"The 'fidelity' argument of evaluate must be 'analytic' or 'simulation'; "
            f"got {fidelity!r} instead."
        )
    if staffing not in ("requirement", "schedule"):
        raise ValueError(
            f"The 'staffing' argument of evaluate must be 'requirement' or 'schedule'; "
            f"got {staffing!r} instead."
        )
    measures = [measure_starts(scenario, starts, t, agents[t], key=key) for t in range(T)]
    if staffing == "schedule":
        if any(a is not None for a in agents):
            raise ValueError(
                "staffing='schedule' schedules the requirement; it cannot price a plan whose "
                "agents are fixed (plan.agents); leave plan.agents None"
            )
        from ._scheduled import scheduled_measures

        # the schedule covers the same (per-pool, erlang) requirement the measures price
        measures, _schedules = scheduled_measures(scenario, starts, measures, "erlang")
    ev = _assemble(scenario, plan, starts, measures, base, budget=budget, key=key)
    if fidelity == "simulation":
        from dataclasses import replace

        from ._fidelity import simulated_periods

        periods = simulated_periods(
            scenario,
            plan if hasattr(plan, "starts") else None,
            ev.periods,
            replications=replications,
            seed=seed,
            staffing_method=staffing_method,
        )
        ev = replace(ev, periods=periods)
    return ev


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
        if 0 <= s < T:
            up[s] += float(ini.cost.upfront or 0.0)
        for t in range(max(s, 0), T):
            run[t] += float(ini.cost.per_period or 0.0)
            val[t] += float(ini.value_per_period or 0.0) * ini.fraction(s, t)
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
    v_lost = float(econ.value_per_lost_contact)
    v_rep = float(econ.value_per_repeat)
    vpp = float(base.value_per_point)
    soft, penalty = _target_mode(scenario)
    df_t = discount_factors(scenario)
    up, run, direct = _initiative_cash(scenario, starts, T)
    cost_h = np.asarray(base.pool_cost_per_hour, dtype=float)
    pool_of = base.pool_of_channel()
    chan_cost_h = np.where(pool_of >= 0, cost_h[np.maximum(pool_of, 0)], 0.0)

    rows: list[dict[str, Any]] = []
    money_rows: list[dict[str, Any]] = []
    pool_rows: list[dict[str, Any]] = []
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
                violations.append(Violation(ViolationKind.TARGETS, f"period {t}: {miss}", t))
            for below in np.flatnonzero(m.sl_points_below > 1e-7):
                violations.append(
                    Violation(
                        ViolationKind.TARGETS,
                        f"period {t}: channel {m.channels[below]} reaches service level "
                        f"{m.service_level[below]:.4f} over the day; target "
                        f"{base.target_service_level[below]:g}",
                        t,
                        m.channels[below],
                        float(m.sl_points_below[below]),
                    )
                )
    pool_fte = _pool_rows(scenario, measures, base, pool_rows, violations, days, hours_per_fte)
    del pool_fte
    spending = up + run
    if spending.sum() > total_budget * (1 + 1e-9) + _TOL:
        violations.append(
            Violation(
                ViolationKind.BUDGET,
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
                    ViolationKind.BUDGET,
                    f"initiative spending {spending[t]:,.0f} in period {t} exceeds "
                    f"budget.per_period[{t}] {per_budget[t]:,.0f}",
                    t,
                    "per_period",
                    float(spending[t] - per_budget[t]),
                )
            )
    for problem in _check_starts(scenario, starts):
        violations.append(Violation(_rule_kind(problem), problem))

    money = pd.DataFrame(money_rows)
    npv = float(money["present_value"].sum())
    objective = float(money["objective_contribution"].sum())
    provenance = {
        "scenario": base.name,
        "content_hash": key,
        "channelopt_version": VERSION,
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
                        ViolationKind.HEADCOUNT,
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
                        ViolationKind.HIRING,
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


def _rule_kind(problem: str) -> ViolationKind:
    """Kind of a :meth:`Scenario.check_starts` message.

    The scenario layer reports these rules as text only; its messages name
    the rule (``"... excludes ..."``, ``"... requires ..."``), anything else
    is a start outside the horizon or of an unknown initiative.
    """
    if "exclude" in problem:
        return ViolationKind.EXCLUDES
    if "requires" in problem:
        return ViolationKind.REQUIRES
    return ViolationKind.PLAN


def _check_starts(scenario: Any, starts: Mapping[str, int]) -> list[str]:
    """requires/excludes/range violations: :meth:`Scenario.check_starts` as text."""
    return [str(p) for p in scenario.check_starts(dict(starts))]


def _dependants(scenario: Any, name: str, starts: Mapping[str, int]) -> set[str]:
    """``name`` and every started initiative that requires it, transitively."""
    out = {name}
    changed = True
    while changed:
        changed = False
        for other in starts:
            if other in out:
                continue
            reqs = set(_initiative(scenario, other).requires)
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
