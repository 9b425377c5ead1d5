"""The decision a report opens with: what to fund and when, cost, customers, risk.

Everything here is derived from exact evaluations (``channelopt.evaluate``)
and, for the risk, from :func:`channelopt.compare` with ``simulate=True``. It
computes one new thing: the marginal value of each initiative the plan does
not fund (the plan re-evaluated with that initiative added).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._format import format_money

__all__ = ["Decision", "currency_of", "decide", "marginal_values", "money", "when"]


def currency_of(scenario: Any) -> str:
    """The scenario's ``economics.currency`` (``""`` when the scenario names none)."""
    return str(getattr(getattr(scenario, "economics", None), "currency", "") or "")


def money(value: float, currency: str = "", *, signed: bool = False) -> str:
    """``EUR 1.23m``; with ``signed`` a ``+`` or ``-`` in front (a change)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ""
    text = format_money(abs(value) if signed else value)
    return f"{sign}{currency} {text}".strip() if currency else f"{sign}{text}"


def when(period: int, length: str = "period") -> str:
    """``now (period 0)`` or ``period 2 (in 2 quarters)``."""
    if period <= 0:
        return "now (period 0)"
    unit = length if length in ("month", "quarter", "half", "year", "week") else "period"
    return f"period {period} (in {period} {unit}{'s' if period != 1 else ''})"


@dataclass
class Decision:
    """What the report's first section says (all money in the scenario's currency)."""

    plan_name: str
    plan: Any
    evaluation: Any
    baseline: Any
    currency: str
    starts: list[tuple[str, int]]
    spend: float
    budget: float | None
    net_value: float
    kpis: pd.DataFrame
    effort_meaning: str
    risk: pd.DataFrame | None = None
    others: pd.DataFrame = field(default_factory=pd.DataFrame)
    estimate_sentence: str = ""
    period_length: str = "period"


def _kpis(evaluation: Any, scenario: Any) -> dict[str, float]:
    """Service level and abandonment over the queues (weighted by offered), effort per contact."""
    from channelopt.scenario.kinds import kind_spec

    per = evaluation.periods
    queues = {n for n, ch in scenario.channels.items() if kind_spec(ch.kind).queues}
    q = per[per["channel"].isin(queues) & per["service_level"].notna()]
    w = q["offered"].to_numpy(float)
    sl = float(np.average(q["service_level"], weights=w)) if w.sum() > 0 else math.nan
    ab = (
        float(np.average(q["abandonment"].fillna(0.0), weights=w))
        if w.sum() > 0 and "abandonment" in q
        else math.nan
    )
    contacts = float(per["offered"].sum()) if "offered" in per else math.nan
    points = float(evaluation.effort_points)
    return {
        "service_level": sl,
        "abandonment": ab,
        "effort_points": points,
        "effort_per_contact": points / contacts if contacts > 0 else math.nan,
        "lost_contacts": float(evaluation.money["lost_contacts"].sum())
        if "lost_contacts" in evaluation.money
        else math.nan,
    }


def effort_meaning(scenario: Any) -> str:
    """What one effort point is, from the scenario's ``experience`` weights."""
    ex = getattr(scenario, "experience", None)
    if ex is None:
        return ""
    parts = [
        f"{float(ex.wait_minute):g} per minute waited",
        f"{float(ex.handoff):g} per hand-off",
        f"{float(ex.repeat):g} per repeat contact",
        f"{float(ex.abandoned):g} per abandoned contact",
    ]
    value = float(ex.value_per_point)
    cur = currency_of(scenario)
    priced = f"; each point is valued at {cur + ' ' if cur else ''}{value:g}" if value else ""
    return "Customer effort counts points: " + ", ".join(parts) + priced + "."


def marginal_values(scenario: Any, plan: Any, evaluation: Any) -> pd.DataFrame:
    """Why each initiative is in the plan or not: its marginal value.

    For a funded initiative: the change of the plan's net value (objective)
    when it, and whatever requires it, is removed (from the evaluation's
    business case). For one not funded: the plan re-evaluated with it added
    in the first period (with its required initiatives when they are funded),
    the change of net value and whether the plan would still be feasible.

    Returns
    -------
    DataFrame
        ``initiative, funded, start, marginal_value, reason``; money in the
        scenario's currency over the horizon (discounted, effort valued).
    """
    from channelopt.planning import evaluate

    cur = currency_of(scenario)
    starts = {str(k): int(v) for k, v in dict(plan.starts).items()}
    cases = evaluation.initiatives
    rows: list[tuple[str, bool, int | None, float, str]] = []
    for name, ini in scenario.initiatives.items():
        if name in starts:
            contribution = math.nan
            if cases is not None and len(cases) and "objective_contribution" in cases:
                hit = cases[cases["initiative"] == name]
                if len(hit):
                    contribution = float(hit["objective_contribution"].iloc[0])
            reason = (
                f"funded: removing it would lose {money(contribution, cur)} of net value"
                if contribution > 0
                else f"funded: removing it would change net value by "
                f"{money(-contribution, cur, signed=True)}"
            )
            rows.append((name, True, starts[name], contribution, reason))
            continue
        clash = [x for x in ini.excludes if x in starts] + [
            x for x, other in scenario.initiatives.items() if name in other.excludes and x in starts
        ]
        missing = [r for r in ini.requires if r not in starts]
        if clash:
            rows.append(
                (name, False, None, math.nan, f"excluded by {', '.join(sorted(set(clash)))}")
            )
            continue
        if missing:
            rows.append(
                (name, False, None, math.nan, f"requires {', '.join(missing)} (not funded)")
            )
            continue
        start = max([0, *(starts[r] for r in ini.requires)])
        trial = type(plan)(starts={**starts, name: start}, name=f"with {name}")
        try:
            ev = evaluate(scenario, trial)
        except Exception as exc:  # a reason in the table, not a failed report
            rows.append((name, False, None, math.nan, f"could not be evaluated: {exc}"))
            continue
        delta = float(ev.objective) - float(evaluation.objective)
        text = f"adding it in period {start} changes net value by {money(delta, cur, signed=True)}"
        if not ev.feasible:
            kinds = sorted({str(v).split(":")[0] for v in ev.violations})
            text += (
                f" and breaks: {'; '.join(kinds)}" if kinds else " and makes the plan infeasible"
            )
        rows.append((name, False, start, delta, f"not funded: {text}"))
    out = pd.DataFrame(rows, columns=["initiative", "funded", "start", "marginal_value", "reason"])
    out["start"] = out["start"].astype("Int64")
    return out


def _risk(
    comparison: Any, plan_name: str, baseline_name: str, scenario: Any
) -> pd.DataFrame | None:
    """Per channel with targets: probability of missing them, doing nothing and with the plan."""
    sim = getattr(comparison, "simulation", None)
    if not isinstance(sim, pd.DataFrame) or sim.empty or "miss_probability" not in sim:
        return None
    rows = []
    targets = _targets_text(scenario)
    for channel, g in sim.groupby("channel", sort=False):
        by_plan = g.set_index("plan")
        row: dict[str, Any] = {"channel": channel, "target": targets.get(str(channel), "")}
        for label, key in (("doing nothing", baseline_name), ("with the plan", plan_name)):
            if key in by_plan.index:
                rec = by_plan.loc[key]
                p = float(rec["miss_probability"])
                if math.isnan(p):
                    continue
                row[f"miss_probability_{label}"] = p
                lo, hi = rec.get("miss_probability_low"), rec.get("miss_probability_high")
                interval = ""
                if lo is not None and hi is not None and not math.isnan(float(lo)):
                    interval = f" ({float(lo):.0%} to {float(hi):.0%})"
                row[f"P(miss), {label} (95% interval)"] = f"{p:.0%}{interval}"
        if row["target"] and any(k.startswith("miss_probability_") for k in row):
            rows.append(row)
    return pd.DataFrame(rows) if rows else None


def _targets_text(scenario: Any) -> dict[str, str]:
    out = {}
    for name, ch in scenario.channels.items():
        t = getattr(ch, "target", None)
        if t is None:
            continue
        parts = []
        if getattr(t, "service_level", None) is not None:
            within = t.within  # a service-level target always has one (the model checks)
            parts.append(f"{float(t.service_level):.0%} within {float(within):g} s")
        if getattr(t, "max_abandonment", None) is not None:
            parts.append(f"abandonment at most {float(t.max_abandonment):.0%}")
        if getattr(t, "max_wait", None) is not None:
            parts.append(f"average wait at most {float(t.max_wait):g} s")
        out[str(name)] = ", ".join(parts)
    return out


def decide(
    scenario: Any,
    plans: Mapping[str, Any],
    evaluations: Mapping[str, Any],
    *,
    optimization: Any = None,
    comparison: Any = None,
    baseline: Any = None,
) -> Decision | None:
    """The plan the report recommends and everything its first section shows.

    The optimised plan when there is one; otherwise the feasible plan (not
    "do nothing") with the highest net value. ``baseline`` is the evaluation
    of doing nothing (computed when absent). ``None`` without any plan.
    """
    names = [n for n in plans if _starts(plans[n])]
    if "optimised" in plans and optimization is not None:
        name = "optimised"
    elif names:
        feasible = [n for n in names if evaluations[n].feasible] or names
        name = max(feasible, key=lambda n: float(evaluations[n].objective))
    else:
        return None
    plan, ev = plans[name], evaluations[name]
    if baseline is None:
        for n, p in plans.items():
            if not _starts(p) and n in evaluations:
                baseline = evaluations[n]
                break
    if baseline is None:
        from channelopt.planning import Plan, evaluate

        baseline = evaluate(scenario, Plan(starts={}, name="do nothing"))
    cur = currency_of(scenario)
    before, after = _kpis(baseline, scenario), _kpis(ev, scenario)
    kpis = pd.DataFrame(
        [
            ("service level (share answered within target)", "service_level"),
            ("abandonment (share of contacts)", "abandonment"),
            ("customer effort (points per contact)", "effort_per_contact"),
            ("lost contacts over the horizon", "lost_contacts"),
        ],
        columns=["measure", "key"],
    )
    kpis["doing_nothing"] = [before[k] for k in kpis["key"]]
    kpis["with_the_plan"] = [after[k] for k in kpis["key"]]
    kpis = kpis.drop(columns="key")
    budget = getattr(getattr(scenario, "budget", None), "total", None)
    baseline_name = next((n for n, p in plans.items() if not _starts(p)), "do nothing")
    estimate = ""
    if optimization is not None and name == "optimised":
        est = float(getattr(optimization, "estimate", math.nan))
        base = float(getattr(optimization, "baseline", math.nan))
        if not math.isnan(est) and not math.isnan(base):
            estimate = (
                f"The optimiser chose the plan on a simplified model that estimated its gain "
                f"at {money(est - base, cur, signed=True)}; every figure in this report is "
                f"the exact evaluation (staffing computed interval by interval), which puts it "
                f"at {money(float(ev.objective) - base, cur, signed=True)}: trust the exact "
                f"figure."
            )
    return Decision(
        plan_name=name,
        plan=plan,
        evaluation=ev,
        baseline=baseline,
        currency=cur,
        starts=sorted(_starts(plan).items(), key=lambda kv: (kv[1], kv[0])),
        spend=float(ev.money["initiative_spending"].sum()),
        budget=float(budget) if budget is not None else None,
        net_value=float(ev.objective) - float(baseline.objective),
        kpis=kpis,
        effort_meaning=effort_meaning(scenario),
        risk=_risk(comparison, name, baseline_name, scenario) if comparison is not None else None,
        others=marginal_values(scenario, plan, ev),
        estimate_sentence=estimate,
        period_length=str(getattr(getattr(scenario, "periods", None), "length", "period")),
    )


def _starts(plan: Any) -> dict[str, int]:
    starts = getattr(plan, "starts", None) or {}
    return {str(k): int(v) for k, v in dict(starts).items() if v is not None}
