"""Tidy tables for the figures, the HTML report and the command line.

Each function turns an engine's result (or the scenario) into one small
DataFrame whose columns the figure functions of
:mod:`channelopt.reporting.figures` document. They compute nothing new
except :func:`journey_flows` (expected flows from the routing and the
staffing layer's offered volumes) and :func:`service_level_curves` (the
queueing kernels over a range of agents).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from channelopt.scenario import Resolved, Scenario

__all__ = [
    "agreement_table",
    "business_cases",
    "comparison_table",
    "estimate_vs_exact",
    "evaluations_comparison",
    "expected_vs_simulated",
    "initiative_table",
    "journey_flows",
    "pareto_table",
    "period_overview",
    "plan_spend",
    "plan_timeline",
    "plan_timeline_cells",
    "pool_summary",
    "schedule_by_day",
    "schedule_summary",
    "service_level_curves",
    "simulation_table",
    "staffing_intervals",
    "staffing_summary",
    "staffing_table",
]


# --------------------------------------------------------------------------- staffing


def staffing_intervals(result: Any) -> pd.DataFrame:
    """The per-interval x channel table of a :class:`~channelopt.StaffingResult`."""
    if isinstance(result, pd.DataFrame):
        return result
    return result.intervals


def staffing_table(result: Any) -> pd.DataFrame:
    """Columns ``interval, channel, offered, agents`` for :func:`~.figures.staffing_figure`.

    ``agents`` is the required (or evaluated) agents on duty; for self-service
    channels it is 0.
    """
    df = staffing_intervals(result)
    out = df[["interval", "channel", "offered"]].copy()
    out["agents"] = df["agents"].fillna(0.0) if "agents" in df else 0.0
    return out.reset_index(drop=True)


#: Columns of ``StaffingResult.summary()`` shown on screen and in the report.
STAFFING_SUMMARY_COLUMNS = (
    "channel",
    "kind",
    "pool",
    "offered",
    "answered",
    "abandoned",
    "contained",
    "peak_agents",
    "service_level",
    "average_wait",
    "abandonment",
    "occupancy",
    "within_deadline",
    "peak_fte",
    "cost",
)


def staffing_summary(result: Any) -> pd.DataFrame:
    """The per-channel summary with the columns worth reading (see ``STAFFING_SUMMARY_COLUMNS``)."""
    summary = result.summary()
    if "channel" not in summary.columns and summary.index.name == "channel":
        summary = summary.reset_index()
    return summary[[c for c in STAFFING_SUMMARY_COLUMNS if c in summary]]


def pool_summary(result: Any, resolved: Any = None) -> pd.DataFrame | None:
    """Per pool (the index): peak agents on duty, the interval of the peak, the pooled lower bound.

    With ``resolved`` (the period) the table adds the rostered agents and, where
    the peak requirement is 0, a ``note`` saying why (the pool's channels carry
    no contacts, or a pool higher in their skill priority serves them first).
    """
    pools = getattr(result, "pools", None)
    if not isinstance(pools, pd.DataFrame) or pools.empty or "pool" not in pools:
        return None
    value = next((c for c in ("agents", "required_agents", "upper_bound") if c in pools), None)
    if value is None:
        return None
    rows = []
    for name, g in pools.groupby("pool", sort=False):
        i = int(g[value].to_numpy(float).argmax())
        row: dict[str, Any] = {"pool": name, "peak_agents": float(g[value].iloc[i])}
        if "interval" in g:
            row["peak_interval"] = int(g["interval"].iloc[i])
        if "agents_lower_bound" in g:
            row["pooled_lower_bound"] = float(g["agents_lower_bound"].iloc[i])
        if "fte" in g:
            row["peak_fte"] = float(g["fte"].iloc[i])
        if "cost" in g:
            row["cost_per_day"] = float(g["cost"].sum())
        if resolved is not None:
            if "peak_interval" in row:
                # a person reads a clock time, not an interval number
                row["peak_interval"] = _clock(row["peak_interval"], float(resolved.interval_s))
            row.update(_pool_roster_note(result, resolved, str(name), row["peak_agents"]))
        rows.append(row)
    # indexed by pool, like the summaries of the engines
    return pd.DataFrame(rows).set_index("pool")


def _clock(interval: int, interval_s: float) -> str:
    """Start of interval ``interval`` as ``HH:MM`` (intervals count from midnight)."""
    from ..units import format_clock

    return format_clock(interval * interval_s)


def _pool_roster_note(result: Any, resolved: Any, pool: str, peak: float) -> dict[str, Any]:
    """Rostered agents of ``pool`` and why its requirement is 0, when it is."""
    names = list(resolved.pools)
    if pool not in names:
        return {}
    p = names.index(pool)
    out: dict[str, Any] = {"roster": float(resolved.pool_agents[p]), "note": ""}
    if peak > 0:
        return out
    skills = [resolved.channels[c] for c in resolved.pool_skills[p]]
    intervals = staffing_intervals(result)
    offered = intervals.groupby("channel")["offered"].sum() if len(intervals) else pd.Series()
    busy = [c for c in skills if float(offered.get(c, 0.0)) > 0]
    if not busy:
        out["note"] = f"its channels ({', '.join(skills)}) have no contacts in this period"
        return out
    served = (
        intervals[intervals["channel"].isin(busy)].groupby("channel")["pool"].first()
        if "pool" in intervals
        else pd.Series(dtype=object)
    )
    others = sorted({str(v) for v in served if str(v) != pool})
    if others:
        out["note"] = (
            f"its channels ({', '.join(busy)}) are staffed from {', '.join(others)} first "
            "(skill priority); this pool is a reserve"
        )
    else:
        out["note"] = "its channels need no agent on duty (deferred work or self-service)"
    return out


def service_level_curves(
    resolved: Resolved,
    staffing: Any = None,
    *,
    span: float = 0.35,
) -> pd.DataFrame:
    """Service level and abandonment against agents at each queue's peak interval.

    For every live or concurrent channel with a service-level target (or any
    channel when none has one), take the interval of peak offered load and
    evaluate :func:`channelopt.queueing.service_level` and
    :func:`~channelopt.queueing.abandonment` (Erlang C, or Erlang A with
    patience) for agents from ``(1 - span)`` to ``(1 + span)`` times the
    required number. Concurrent channels count ``agents x concurrency`` slots.

    Parameters
    ----------
    resolved : Resolved
        The period (``Scenario.resolve``).
    staffing : StaffingResult, optional
        Offered load and required agents per interval; without it the external
        arrivals are used and the requirement computed here.
    span : float
        Relative half-width of the agent range.

    Returns
    -------
    DataFrame
        ``channel, agents, service_level, abandonment, target_service_level,
        required, load`` (load in Erlangs at the peak interval).
    """
    from channelopt import queueing as q

    from ..scenario.kinds import kind_spec

    r = resolved
    table = staffing_intervals(staffing) if staffing is not None else None
    rows: list[dict[str, Any]] = []
    for c, name in enumerate(r.channels):
        if not kind_spec(r.kinds[c]).queues:
            continue
        aht = float(r.aht[c])
        conc = int(r.concurrency[c])
        patience = float(r.patience[c])
        within = float(r.target_within[c])
        target = float(r.target_service_level[c])
        if math.isnan(within):
            within = 20.0  # a service-level curve needs a threshold; 20 s is the usual default
        required = math.nan
        if table is not None and {"channel", "load"} <= set(table.columns):
            d = table[table["channel"] == name]
            if d.empty or float(d["load"].max()) <= 0:
                continue
            peak = d.loc[d["load"].idxmax()]
            load = float(peak["load"])
            if "agents" in d:
                required = float(peak["agents"])
        else:
            arrivals = r.arrivals[:, c]
            load = float(arrivals.max()) / float(r.interval_s) * aht
            if load <= 0:
                continue
        if math.isnan(required):
            kwargs: dict[str, Any] = {"patience": patience}
            if not math.isnan(target):
                kwargs.update(service_level=target, target=within)
            else:
                kwargs.update(max_occupancy=0.9)
            required = float(math.ceil(q.required_agents(load, aht, **kwargs) / conc))
        low = max(1, math.floor(required * (1 - span)))
        high = max(low + 2, math.ceil(required * (1 + span)))
        agents = np.arange(low, high + 1)
        slots = agents * conc
        sl = np.asarray(q.service_level(slots, load, aht, within, patience), float)
        ab = (
            np.asarray(q.abandonment(slots, load, aht, patience), float)
            if math.isfinite(patience)
            else np.zeros_like(sl)
        )
        for n, s, a in zip(agents, sl, ab, strict=True):
            rows.append(
                {
                    "channel": name,
                    "agents": int(n),
                    "service_level": float(s),
                    "abandonment": float(a),
                    "target_service_level": target,
                    "required": required,
                    "load": load,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "channel",
            "agents",
            "service_level",
            "abandonment",
            "target_service_level",
            "required",
            "load",
        ],
    )


def journey_flows(resolved: Resolved, staffing: Any = None) -> pd.DataFrame:
    """Expected contacts per day moving between channels and how they end.

    Uses the routing of "What happens to a contact" (DESIGN.md): external
    arrivals; self-service containment and hand-offs; abandonment and
    retrials; hand-offs after service; resolution; repeats. The offered volume
    of each channel (attempts, including hand-offs, repeats and retrials) and
    its abandonment come from the staffing layer when ``staffing`` is given;
    otherwise they solve the traffic equations over the day without
    abandonment (``offered = external + offered @ routing``).

    Returns
    -------
    DataFrame
        ``source, target, kind, contacts``; ``kind`` in ``arrival, handoff,
        repeat, retrial, resolved, contained, unresolved, lost``. Outcome rows
        have the outcome as ``target``. Per channel, the outgoing rows add up
        to its offered volume.
    """
    from ..scenario.kinds import kind_spec

    r = resolved
    C = r.n_channels
    external = r.arrivals.sum(axis=0)
    H = np.asarray(r.handoff, float)
    R = np.asarray(r.repeat_to, float)
    is_self = np.array([kind_spec(k).contains for k in r.kinds], dtype=bool)
    cont = np.where(is_self, np.asarray(r.containment, float), 0.0)
    res = np.asarray(r.resolution, float)
    p_retry = float(r.retrial_probability)
    offered = abandon = None
    if staffing is not None:
        table = staffing_intervals(staffing)
        if {"channel", "offered"} <= set(table.columns):
            g = table.groupby("channel", sort=False)
            off = g["offered"].sum()
            offered = np.array([float(off.get(ch, 0.0)) for ch in r.channels])
            if "abandoned" in table:
                ab = g["abandoned"].sum()
                abandon = np.array(
                    [
                        float(ab.get(ch, 0.0)) / o if o > 0 else 0.0
                        for ch, o in zip(r.channels, offered, strict=True)
                    ]
                )
            elif "abandonment" in table:
                w = table.assign(_w=table["abandonment"].fillna(0.0) * table["offered"])
                ab = w.groupby("channel", sort=False)["_w"].sum()
                abandon = np.array(
                    [
                        float(ab.get(ch, 0.0)) / o if o > 0 else 0.0
                        for ch, o in zip(r.channels, offered, strict=True)
                    ]
                )
    if abandon is None:
        abandon = np.zeros(C)
    if offered is None:
        # One step of routing per contact: hand-offs of the served (or not
        # contained) and repeats of the served, not handed off, unresolved.
        M = np.zeros((C, C))
        for i in range(C):
            if is_self[i]:
                M[i] = (1 - cont[i]) * H[i]
            else:
                keep = 1.0 - H[i].sum()
                M[i] = (1 - abandon[i]) * (H[i] + keep * (1 - res[i]) * R[i])
                M[i, i] += abandon[i] * p_retry
        offered = np.linalg.solve(np.eye(C) - M.T, external)
    rows: list[tuple[str, str, str, float]] = []

    def spread(source: str, amount: float, shares: np.ndarray, kind: str) -> None:
        """Rows ``source -> channel j`` of ``amount x shares[j]`` for every share > 0."""
        for j in range(C):
            if shares[j] > 0:
                rows.append((source, r.channels[j], kind, amount * shares[j]))

    for i, ch in enumerate(r.channels):
        if external[i] > 0:
            rows.append(("external", ch, "arrival", float(external[i])))
        o = float(offered[i])
        if o <= 0:
            continue
        if is_self[i]:
            rows.append((ch, "contained", "contained", o * cont[i]))
            rest = o * (1 - cont[i])
            spread(ch, rest, H[i], "handoff")
            rows.append((ch, "unresolved", "unresolved", rest * max(0.0, 1 - H[i].sum())))
            continue
        abandoned = o * abandon[i]
        if abandoned > 0:
            rows.append((ch, ch, "retrial", abandoned * p_retry))
            rows.append((ch, "lost", "lost", abandoned * (1 - p_retry)))
        served = o - abandoned
        spread(ch, served, H[i], "handoff")
        kept = served * max(0.0, 1 - H[i].sum())
        rows.append((ch, "resolved", "resolved", kept * res[i]))
        unresolved = kept * (1 - res[i])
        spread(ch, unresolved, R[i], "repeat")
        rows.append((ch, "unresolved", "unresolved", unresolved * max(0.0, 1 - R[i].sum())))
    out = pd.DataFrame(rows, columns=["source", "target", "kind", "contacts"])
    return out[out["contacts"] > 0].reset_index(drop=True)


#: Measures of ``SimulationResult.summary()`` shown on screen and in the report.
SIMULATION_MEASURES = (
    "offered",
    "answered",
    "abandoned",
    "contained",
    "handed_off",
    "service_level",
    "average_wait",
    "abandonment",
    "occupancy",
)


def _channel_column(summary: pd.DataFrame) -> pd.DataFrame:
    """A summary indexed by ``channel`` (or ``pool``) with that index as a column again."""
    if summary.index.name in ("channel", "pool") and summary.index.name not in summary.columns:
        return summary.reset_index()
    return summary


def simulation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Simulated KPIs per channel as text, ``mean ± half-width`` of the 95 % interval.

    Parameters
    ----------
    summary : DataFrame
        ``SimulationResult.summary()`` (indexed by ``channel``; a long table
        with a ``channel`` column works too): ``measure, mean, ci_low, ci_high``.

    Returns
    -------
    DataFrame
        One row per channel, one text column per measure (fractions as
        percentages, waits in seconds); measures a channel does not have
        (e.g. service level of a bot) are empty.
    """
    from ._format import format_cell

    summary = _channel_column(summary)
    if not {"channel", "measure", "mean"} <= set(summary.columns):
        return summary
    rows: dict[str, dict[str, str]] = {}
    for rec in summary.itertuples(index=False):
        measure = str(rec.measure)
        if measure not in SIMULATION_MEASURES:
            continue
        mean = float(rec.mean)
        text = format_cell(mean, measure)
        low, high = getattr(rec, "ci_low", math.nan), getattr(rec, "ci_high", math.nan)
        if text and not (math.isnan(low) or math.isnan(high)) and high > low:
            # Student-t intervals are symmetric: show mean +- half-width.
            text += f" ± {format_cell(float(high - low) / 2, measure)}"
        rows.setdefault(str(rec.channel), {"channel": str(rec.channel)})[measure] = text
    columns = ["channel"] + [m for m in SIMULATION_MEASURES if any(m in r for r in rows.values())]
    return pd.DataFrame(list(rows.values()), columns=columns).fillna("")


def expected_vs_simulated(staffing: Any, simulation: Any) -> pd.DataFrame:
    """Daily volumes per channel from the traffic equations beside the simulation's.

    Both engines follow the same routing ("What happens to a contact"), so the
    expected offered, answered, abandoned, handed-off and contained contacts
    of :func:`channelopt.staff` should lie near the simulated means when the
    simulation runs the same staffing. A large gap points at a modelling
    difference worth a look (or at too few replications).

    Returns
    -------
    DataFrame
        ``channel, measure, expected, simulated, ci_low, ci_high, inside``
        (contacts per day; ``inside``: expected within the 95 % interval).
    """
    summary = staffing.summary() if hasattr(staffing, "summary") else staffing
    sim = _channel_column(simulation.summary() if hasattr(simulation, "summary") else simulation)
    measures = ("offered", "answered", "abandoned", "handed_off", "contained")
    rows = []
    expected = summary.set_index("channel") if "channel" in summary.columns else summary
    for rec in sim.itertuples(index=False):
        if rec.measure not in measures or rec.channel not in expected.index:
            continue
        if rec.measure not in expected.columns:
            continue
        exp = float(expected.loc[rec.channel, rec.measure])
        mean = float(rec.mean)
        if exp == 0 and mean == 0:
            continue
        low, high = float(rec.ci_low), float(rec.ci_high)
        rows.append(
            {
                "channel": str(rec.channel),
                "measure": str(rec.measure),
                "expected": exp,
                "simulated": mean,
                "ci_low": low,
                "ci_high": high,
                "inside": bool(low <= exp <= high) if not math.isnan(low) else None,
            }
        )
    return pd.DataFrame(
        rows, columns=["channel", "measure", "expected", "simulated", "ci_low", "ci_high", "inside"]
    )


# --------------------------------------------------------------------------- scenario


def initiative_table(scenario: Scenario) -> pd.DataFrame:
    """One row per initiative: costs, value, lead time, ramp, dependencies, effects."""
    rows = []
    for name, ini in scenario.initiatives.items():
        effects = []
        for e in ini.effects:
            data = (
                e.model_dump(exclude_none=True, by_alias=True)
                if hasattr(e, "model_dump")
                else dict(e)
            )
            effects.append(_effect_text(data))
        rows.append(
            {
                "initiative": name,
                "upfront_cost": float(ini.cost.upfront),
                "cost_per_period": float(ini.cost.per_period),
                "value_per_period": float(ini.value_per_period),
                "lead_time": int(ini.lead_time),
                "ramp": int(ini.ramp),
                "requires": ", ".join(ini.requires),
                "excludes": ", ".join(ini.excludes),
                "effects": "; ".join(effects),
            }
        )
    return pd.DataFrame(rows)


def _effect_text(data: Mapping[str, Any]) -> str:
    if "shift" in data:
        s = data["shift"]
        return f"shift {float(s['fraction']):.0%} {s['from']} -> {s['to']}"
    if "handoff" in data:
        h = data["handoff"]
        return f"hand-off {h['from']} -> {h['to']} x{float(h['factor']):g}"
    channel = data.get("channel", "")
    parts = [f"{k} x{float(v):g}" for k, v in data.items() if k != "channel"]
    return f"{channel}: {', '.join(parts)}"


# --------------------------------------------------------------------------- plans


def _starts(plan: Any) -> dict[str, int]:
    starts = getattr(plan, "starts", plan) or {}
    return {str(k): int(v) for k, v in dict(starts).items() if v is not None}


def plan_timeline(scenario: Scenario, plan: Any) -> pd.DataFrame:
    """Columns ``initiative, start, lead_time, ramp`` for :func:`~.figures.plan_timeline_figure`."""
    rows = []
    for name, start in sorted(_starts(plan).items(), key=lambda kv: (kv[1], kv[0])):
        ini = scenario.initiatives[name]
        rows.append(
            {
                "initiative": name,
                "start": start,
                "lead_time": int(ini.lead_time),
                "ramp": int(ini.ramp),
            }
        )
    return pd.DataFrame(rows, columns=["initiative", "start", "lead_time", "ramp"])


def plan_timeline_cells(scenario: Scenario, plan: Any) -> pd.DataFrame:
    """The timeline as text, initiative x period: ``start``, ``lead``, ``ramp 50%``, ``full``.

    The fraction in force in period ``t`` follows DESIGN.md:
    ``min(1, (t - start - lead + 1) / ramp)`` from ``t >= start + lead``.
    """
    T = int(scenario.n_periods)
    rows = []
    for name, start in sorted(_starts(plan).items(), key=lambda kv: (kv[1], kv[0])):
        ini = scenario.initiatives[name]
        lead, ramp = int(ini.lead_time), max(int(ini.ramp), 1)
        row: dict[str, Any] = {"initiative": name}
        for t in range(T):
            done = t - start - lead + 1
            if t < start:
                cell = ""
            elif done <= 0:
                cell = "start (lead)" if t == start else "lead"
            else:
                frac = min(1.0, done / ramp)
                cell = "full" if frac >= 1 else f"ramp {frac:.0%}"
                if t == start:
                    cell = f"start, {cell}"
            row[f"P{t}"] = cell
        rows.append(row)
    if not rows:
        rows.append(
            {"initiative": "(no initiative: do nothing)", **{f"P{t}": "" for t in range(T)}}
        )
    return pd.DataFrame(rows)


def plan_spend(evaluation: Any, scenario: Scenario | None = None) -> pd.DataFrame:
    """Per period: ``period, upfront, running`` initiative spending and the ``budget``.

    From the evaluation's money table (columns ``initiative_upfront`` and
    ``initiative_running``).
    """
    money = evaluation.money
    out = pd.DataFrame(
        {
            "period": money["period"].astype(int),
            "upfront_cost": money["initiative_upfront"].astype(float),
            "running_cost": money["initiative_running"].astype(float),
        }
    )
    budget = getattr(getattr(scenario, "budget", None), "per_period", None)
    if budget is not None:
        out["budget"] = [float(budget[t]) if t < len(budget) else math.nan for t in out["period"]]
    return out


def _queue_channels(evaluation: Any, scenario: Any = None) -> set[str] | None:
    """Names of the live and concurrent channels (the ones with a service level)."""
    sc = scenario if scenario is not None else getattr(evaluation, "_scenario", None)
    channels = getattr(sc, "channels", None)
    if channels is None:
        return None
    from ..scenario.kinds import kind_spec

    return {n for n, ch in channels.items() if kind_spec(ch.kind).queues}


def period_overview(evaluation: Any, scenario: Any = None) -> pd.DataFrame:
    """One row per period: spending, agent cost, KPIs over all queues, objective.

    Service level and abandonment are weighted by offered contacts over the
    live and concurrent channels (self-service and deferred channels have no
    service level); ``objective`` is the period's discounted contribution.
    """
    money = evaluation.money.set_index("period")
    per = evaluation.periods
    queues_only = _queue_channels(evaluation, scenario)
    rows = []
    for t, m in money.iterrows():
        d = per[per["period"] == t]
        queues = d[d["service_level"].notna()] if "service_level" in d else d.iloc[0:0]
        if queues_only is not None:
            queues = queues[queues["channel"].isin(queues_only)]
        weight = queues["offered"].to_numpy(float) if len(queues) else np.zeros(0)
        wsum = float(weight.sum())
        row = {
            "period": int(t),
            "initiative_spending": float(m["initiative_spending"]),
            "agent_cost": float(m["agent_cost"]),
            "fte": float(d["fte"].sum()) if "fte" in d else math.nan,
            "service_level": float(np.dot(queues["service_level"], weight) / wsum)
            if wsum > 0
            else math.nan,
            "abandonment": float(np.dot(queues["abandonment"].fillna(0.0), weight) / wsum)
            if wsum > 0 and "abandonment" in queues
            else math.nan,
            "lost_contacts": float(m.get("lost_contacts", math.nan)),
            "effort_points": float(m.get("effort_points", math.nan)),
            "objective": float(m.get("objective_contribution", math.nan)),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def business_cases(evaluation: Any) -> pd.DataFrame:
    """Per initiative: ``initiative, start, cost, value, net_value, payback_period``.

    ``cost`` is upfront plus running cost; ``value`` is direct value plus the
    operating saving (both undiscounted over the horizon, as the evaluation
    reports them); ``objective_contribution`` is the change of the plan's
    objective when the initiative (and what requires it) is removed.
    """
    cases = evaluation.initiatives
    if cases is None or len(cases) == 0:
        return pd.DataFrame(
            columns=["initiative", "start", "cost", "value", "net_value", "payback_period"]
        )
    out = pd.DataFrame(
        {
            "initiative": cases["initiative"],
            "start": cases["start"],
            "cost": cases["total_cost"].astype(float),
            "value": (cases["direct_value"] + cases["operating_saving"]).astype(float),
            "net_value": cases["net_value"].astype(float),
            "objective_contribution": cases["objective_contribution"].astype(float),
            "payback_period": pd.to_numeric(cases["payback_period"], errors="coerce"),
        }
    )
    return out.reset_index(drop=True)


def estimate_vs_exact(result: Any, evaluation: Any = None) -> pd.DataFrame:
    """The optimiser's own estimate beside the exact evaluation.

    Parameters
    ----------
    result : OptimizationResult or Plan
        :attr:`Plan.optimization` of a plan :func:`channelopt.optimize` returned
        (``estimate``, ``baseline``, ``gap``, ``status``); a plain plan has no
        estimate, and its column stays empty.
    evaluation : PlanEvaluation, optional
        The exact evaluation (default: ``result.evaluation``).

    Returns
    -------
    DataFrame
        Rows ``objective`` and ``improvement over doing nothing``; columns
        ``model_estimate``, ``exact`` and ``difference`` (estimate - exact).
    """
    record = getattr(result, "optimization", None)
    if record is not None:  # a Plan that optimize() returned
        result = record
    ev = evaluation if evaluation is not None else getattr(result, "evaluation", None)
    estimate = getattr(result, "estimate", math.nan)
    estimate = float(estimate) if _is_number(estimate) else math.nan
    baseline = getattr(result, "baseline", math.nan)
    baseline = float(baseline) if _is_number(baseline) else math.nan
    exact = float(ev.objective) if ev is not None else math.nan
    rows = [
        {"measure": "objective", "model_estimate": estimate, "exact": exact},
        {
            "measure": "improvement over doing nothing",
            "model_estimate": estimate - baseline,
            "exact": exact - baseline,
        },
    ]
    out = pd.DataFrame(rows)
    out["difference"] = out["model_estimate"] - out["exact"]
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool)


def pareto_table(frontier: Any, scenario: Scenario | None = None) -> pd.DataFrame:
    """``budget, objective, spend, initiatives`` per plan of a Pareto frontier.

    Accepts a DataFrame with those columns, or a sequence of
    ``(budget, plan, evaluation)`` triples / objects with those attributes.
    """
    if isinstance(frontier, pd.DataFrame):
        out = frontier.rename(columns={"spending": "spend"})
        if "initiatives" in out:
            out["initiatives"] = [
                ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v or "")
                for v in out["initiatives"]
            ]
        keep = [
            c
            for c in (
                "budget",
                "spend",
                "objective",
                "npv",
                "effort_points",
                "agent_cost",
                "initiatives",
                "feasible",
            )
            if c in out
        ]
        return out[keep].reset_index(drop=True)
    rows = []
    for item in frontier:
        if isinstance(item, tuple | list):
            budget, plan, ev = item
        else:
            budget, plan, ev = item.budget, item.plan, item.evaluation
        spend = float(ev.money["initiative_spending"].sum()) if ev is not None else math.nan
        starts = _starts(plan)
        rows.append(
            {
                "budget": float(budget),
                "objective": float(ev.objective) if ev is not None else math.nan,
                "npv": float(ev.npv) if ev is not None else math.nan,
                "spend": spend,
                "initiatives": ", ".join(sorted(starts, key=lambda n: (starts[n], n))),
            }
        )
    return pd.DataFrame(rows)


# Column order of the comparison table, when present.
_COMPARISON_ORDER = (
    "plan",
    "starts",
    "objective",
    "npv",
    "total_cost",
    "initiative_spending",
    "agent_cost",
    "service_level",
    "abandonment",
    "effort",
    "effort_points",
    "miss_probability",
    "feasible",
)


_PROVENANCE = ("scenario", "content_hash", "channelopt_version", "seed", "case_seed")


def comparison_table(table: Any, *, provenance: bool = False) -> pd.DataFrame:
    """The comparison as a DataFrame with a ``plan`` column first.

    Provenance columns (scenario, hash, version, seeds) are dropped unless
    ``provenance``; ``status``, ``error`` and ``violations`` are dropped when
    they say nothing (every case ok, no error, no violation).
    """
    frame = table if isinstance(table, pd.DataFrame) else getattr(table, "table", table)
    frame = pd.DataFrame(frame)
    if "plan" not in frame.columns:
        frame = frame.reset_index().rename(columns={frame.index.name or "index": "plan"})
    drop = [] if provenance else [c for c in _PROVENANCE if c in frame.columns]
    if "status" in frame and (frame["status"].astype(str) == "ok").all():
        drop.append("status")
    for col in ("error", "violations"):
        if col in frame and frame[col].fillna("").astype(str).str.strip().eq("").all():
            drop.append(col)
    frame = frame.drop(columns=drop)
    first = [c for c in _COMPARISON_ORDER if c in frame.columns]
    rest = [c for c in frame.columns if c not in first]
    return frame[first + rest].reset_index(drop=True)


def evaluations_comparison(evaluations: Mapping[str, Any], scenario: Any = None) -> pd.DataFrame:
    """A comparison table built from exact evaluations alone (no simulation).

    Service level and abandonment are weighted by offered contacts over every
    period and every live or concurrent channel.
    """
    rows = []
    for name, ev in evaluations.items():
        per = ev.periods
        queues_only = _queue_channels(ev, scenario)
        q = per[per["service_level"].notna()] if "service_level" in per else per.iloc[0:0]
        if queues_only is not None:
            q = q[q["channel"].isin(queues_only)]
        w = q["offered"].to_numpy(float) if len(q) else np.zeros(0)
        starts = sorted(_starts(ev.plan).items(), key=lambda kv: (kv[1], kv[0]))
        rows.append(
            {
                "plan": name,
                "starts": ", ".join(f"{k}@{v}" for k, v in starts) or "-",
                "objective": float(ev.objective),
                "npv": float(ev.npv),
                "initiative_spending": float(ev.money["initiative_spending"].sum()),
                "agent_cost": float(ev.money["agent_cost"].sum()),
                "service_level": float(np.average(q["service_level"], weights=w))
                if w.sum() > 0
                else math.nan,
                "abandonment": float(np.average(q["abandonment"].fillna(0.0), weights=w))
                if w.sum() > 0 and "abandonment" in q
                else math.nan,
                "effort_points": float(ev.effort_points),
                "feasible": bool(ev.feasible),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- model agreement

_AGREEMENT_WORDS = {
    "service_level": "service level",
    "within_deadline": "within deadline",
    "abandonment": "abandonment",
    "average_wait": "average wait",
    "occupancy": "occupancy",
}


def _measure_text(measure: str, value: float) -> str:
    """A fraction as a percentage, a wait in seconds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if measure == "average_wait":
        return f"{value:,.0f} s" if abs(value) >= 100 else f"{value:.1f} s"
    return f"{100 * value:.1f} %"


def agreement_table(agreement: pd.DataFrame) -> pd.DataFrame:
    """The model-agreement table (:func:`channelopt.staffing.model_agreement`) as text.

    Parameters
    ----------
    agreement : DataFrame
        Columns ``level, name, measure, analytic, simulated, low, high, agree,
        sentence``.

    Returns
    -------
    DataFrame
        ``level, name, measure, analytic, simulated, 95 % interval, agree,
        why`` with fractions as percentages and waits in seconds; ``agree`` is
        ``yes`` or ``NO``; ``why`` is the sentence where they disagree.
    """
    rows = []
    for rec in agreement.itertuples(index=False):
        measure = str(rec.measure)
        low, high = float(rec.low), float(rec.high)
        interval = (
            f"[{_measure_text(measure, low)}, {_measure_text(measure, high)}]"
            if not (math.isnan(low) or math.isnan(high))
            else "(one replication)"
        )
        rows.append(
            {
                "level": str(rec.level),
                "name": str(rec.name),
                "measure": _AGREEMENT_WORDS.get(measure, measure.replace("_", " ")),
                "analytic": _measure_text(measure, float(rec.analytic)),
                "simulated": _measure_text(measure, float(rec.simulated)),
                "95 % interval": interval,
                "agree": "yes" if bool(rec.agree) else "NO",
                "why": str(rec.sentence or ""),
            }
        )
    columns = [
        "level", "name", "measure", "analytic", "simulated", "95 % interval", "agree", "why",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- schedule


def schedule_summary(schedule: Any) -> pd.DataFrame:
    """Per pool (the index): the week's paid hours, cost, efficiency and headcount.

    Parameters
    ----------
    schedule : Schedule
        A result of :func:`channelopt.schedule`.

    Returns
    -------
    DataFrame
        From ``Schedule.summary()``, indexed by pool: ``paid_hours_per_week``
        (hours), ``cost_per_week`` (the scenario's currency), ``efficiency``
        (required hours / paid hours), ``agents_needed`` (headcount working the
        week's patterns), ``shifts`` (shifts worked in the week) and the MILP's
        ``gap`` (fraction); pools without any paid hours are left out.
    """
    summary = schedule.summary()
    keep = [
        c
        for c in ("paid_hours", "cost", "efficiency", "agents_needed", "shifts", "gap")
        if c in summary
    ]
    out = summary[keep]
    if "paid_hours" in out:
        out = out[out["paid_hours"] > 0]
    return out.rename(columns={"paid_hours": "paid_hours_per_week", "cost": "cost_per_week"})


def schedule_by_day(schedule: Any) -> pd.DataFrame:
    """Pool x working day: agent-hours on contacts scheduled against required, as text.

    Parameters
    ----------
    schedule : Schedule
        A result of :func:`channelopt.schedule`.

    Returns
    -------
    DataFrame
        Indexed by ``pool``; one column per working day (``mon``, ...), each
        cell ``"scheduled / required"`` agent-hours on contacts, with the
        over-cover in per cent (``"412 / 398 (+4%)"``). Pools without any
        requirement are left out.
    """
    by_day = schedule.coverage_summary()
    days = [schedule.days[d] for d in schedule.work_days]
    rows: dict[str, dict[str, str]] = {}
    for rec in by_day.itertuples(index=False):
        name = str(rec.day_name)
        if name not in days:
            continue
        req, got = float(rec.required_hours), float(rec.scheduled_hours)
        if req <= 0 and got <= 0:
            text = "closed"
        else:
            over = f" (+{(got / req - 1):.0%})" if req > 0 and got > req * 1.005 else ""
            text = f"{got:,.0f} / {req:,.0f}{over}"
        rows.setdefault(str(rec.pool), {})[name] = text
    busy = schedule_summary(schedule).index
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=days).fillna("")
    out = out[out.index.isin(busy)]
    out.index.name = "pool"
    return out
