"""``channelopt.report``: one self-contained HTML file about a scenario and its plans."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import figures, tables
from ._atomic import atomic_write_text
from ._format import format_money
from .html import HtmlPage

if TYPE_CHECKING:  # pragma: no cover
    from channelopt.scenario import Scenario

__all__ = ["FIGURE_TITLES", "report"]

#: Title of every figure the report can contain, in report order.
FIGURE_TITLES = {
    "staffing": "Staffing by interval and channel",
    "service_level": "Service level against agents (peak interval)",
    "journeys": "Journey flows between channels",
    "timeline": "Plan timeline",
    "business_case": "Business case per initiative",
    "comparison": "Plans side by side",
    "pareto": "Pareto frontier: value against budget",
}

Progress = Callable[[int, int], object]


def _plans_dict(plans: Any) -> dict[str, Any]:
    if plans is None:
        return {}
    if isinstance(plans, Mapping):
        return {str(k): v for k, v in plans.items()}
    if hasattr(plans, "starts"):
        return {str(getattr(plans, "name", "") or "plan"): plans}
    out: dict[str, Any] = {}
    for i, p in enumerate(plans, start=1):
        name = str(getattr(p, "name", "") or f"plan {i}")
        out[name if name not in out else f"{name} ({i})"] = p
    return out


def report(
    scenario: Scenario,
    plans: Mapping[str, Any] | Sequence[Any] | Any | None = None,
    path: str | os.PathLike[str] = "report.html",
    *,
    simulate: bool = False,
    seed: int = 0,
    replications: int = 5,
    days: int = 1,
    period: int = 0,
    staffing: Any = None,
    simulation: Any = None,
    evaluations: Mapping[str, Any] | None = None,
    optimization: Any = None,
    comparison: Any = None,
    frontier: Any = None,
    title: str | None = None,
    notes: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write one self-contained HTML report of a scenario and, optionally, plans.

    The file holds the scenario summary (channels, pools, initiatives),
    staffing by interval and channel, service level against agents, journey
    flows between channels, and, when plans are given, each plan's timeline
    (Gantt) with spend per period, per-initiative business cases and a
    comparison of the plans; the Pareto frontier when ``frontier`` is given.
    Figures are inline SVG; the page loads nothing from the network. The file
    is written atomically (a temporary file renamed into place).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    plans : mapping of name to Plan, sequence of Plan, or Plan, optional
        Plans to show and compare (each evaluated with
        :func:`channelopt.evaluate` unless ``evaluations`` has it).
    path : path-like, default "report.html"
        Where to write the report.
    simulate : bool, default False
        Also simulate the staffed period (``replications`` x ``days``, ``seed``)
        and show the simulated KPIs with 95 % intervals.
    seed : int, default 0
        Seed of the simulation.
    replications, days : int
        Simulation size when ``simulate`` is true.
    period : int, default 0
        Period shown in the staffing, service-level and journey sections.
    staffing, simulation : optional
        Results already computed (:func:`channelopt.staff` of ``period``,
        :func:`channelopt.simulate`); computed here when needed and absent.
    evaluations : mapping of name to PlanEvaluation, optional
        Evaluations already computed, by plan name.
    optimization : OptimizationResult, optional
        From ``optimize(..., return_result=True)``: adds the model's estimate
        beside the exact evaluation.
    comparison : Comparison or DataFrame, optional
        :func:`channelopt.compare` output (its ``table``), e.g. with simulated
        intervals and miss probabilities; default: built from the exact
        evaluations.
    frontier : DataFrame or sequence, optional
        :func:`channelopt.pareto` output; adds the Pareto frontier.
    title : str, optional
        Page title (default: the scenario's name).
    notes : sequence of str, optional
        A warning shown in a box at the top: the first line as its heading,
        the others listed under it (e.g. why there is no optimised plan and
        the conflicting constraint groups).
    progress : callable, optional
        ``progress(done, total)`` after each step.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import channelopt as co  # doctest: +SKIP
    >>> sc = co.load_scenario("scenarios/retail_bank.yaml")  # doctest: +SKIP
    >>> co.report(sc, plans={"chatbot first": co.Plan(starts={"chatbot": 0})})  # doctest: +SKIP
    PosixPath('report.html')
    """
    from ..provenance import VERSION

    plan_map = _plans_dict(plans)
    evaluations = dict(evaluations or {})
    steps = 4 + bool(simulate and simulation is None) + len(plan_map) + bool(frontier is not None)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    resolved = scenario.resolve(period)
    channels = list(resolved.channels)
    if staffing is None:
        from channelopt.staffing import staff

        staffing = staff(scenario, period=period)
    tick()
    if simulate and simulation is None:
        from channelopt.simulation import simulate as run_simulation

        simulation = run_simulation(
            scenario,
            staffing=staffing,
            replications=replications,
            seed=seed,
            days=days,
            period=period,
        )
        tick()

    page = HtmlPage(
        title or f"{scenario.name}",
        subtitle=(
            f"channelopt {VERSION} report. Scenario content hash "
            f"{scenario.content_hash}; period {period} shown in the staffing sections"
            + (f"; simulation seed {seed}" if simulation is not None else "")
            + "."
        ),
    )
    summary = staffing.summary()
    if notes:
        first, *rest = list(notes)
        page.notes(first, rest)
    _overview(page, scenario, resolved, summary)
    tick()

    # --- staffing
    page.section("Staffing", "staffing")
    page.paragraph(
        "Required agents on duty per interval to meet each channel's targets (Erlang C, "
        "Erlang A with patience; chat by slots of concurrent chats; email by its deadline), "
        "with the offered volume including hand-offs, repeats and retrials."
    )
    page.figure(
        figures.staffing_figure(
            tables.staffing_table(staffing),
            interval_s=resolved.interval_s,
            channels=channels,
            title=FIGURE_TITLES["staffing"],
        ),
        f"Period {period}. Top: offered contacts per interval. Bottom: required agents, "
        "stacked by channel.",
    )
    page.table(
        tables.staffing_summary(staffing),
        caption="Per channel, one day (average wait in seconds; cost per day)",
    )
    pools = tables.pool_summary(staffing)
    if pools is not None:
        page.table(
            pools,
            caption="Per pool at its peak interval (sum of its channels' requirements: an "
            "upper bound; the pooled lower bound beside it)",
        )

    page.section("Service level against agents", "service-level")
    curves = tables.service_level_curves(resolved, staffing)
    if len(curves):
        page.figure(
            figures.service_level_figure(
                curves, channels=channels, title=FIGURE_TITLES["service_level"]
            ),
            "At each queue's peak interval: service level (solid) and abandonment (dashed) "
            "against agents on duty, from the Erlang C / Erlang A kernels; the vertical line "
            "marks the requirement.",
        )
    else:
        page.paragraph("No live or concurrent channel carries load in this period.", cls="note")

    page.section("Journeys between channels", "journeys")
    flows = tables.journey_flows(resolved, staffing)
    page.figure(
        figures.journey_flows_figure(flows, channels=channels, title=FIGURE_TITLES["journeys"]),
        "Expected contacts per day from the routing (hand-offs, repeats, retrials) at the "
        "staffed level: where contacts go next, and how each channel's contacts end.",
    )
    tick()

    if simulation is not None:
        page.section("Simulation", "simulation")
        page.paragraph(
            "Discrete-event simulation of the staffed period: means across replications with "
            "95 % confidence intervals."
        )
        page.table(
            tables.simulation_table(simulation.summary()),
            caption="Simulated KPIs per channel: mean ± half-width of the 95 % interval; "
            "average wait in seconds",
        )
        check = tables.expected_vs_simulated(staffing, simulation)
        if len(check):
            page.table(
                check,
                caption="Contacts per day: traffic equations of the staffing layer (expected) "
                "beside the simulation (mean and 95 % interval)",
            )

    # --- plans
    for name, plan in plan_map.items():
        if name not in evaluations:
            from channelopt.planning import evaluate

            evaluations[name] = evaluate(scenario, plan)
        _plan_section(page, scenario, name, plan, evaluations[name], optimization)
        tick()

    if len(plan_map) >= 1:
        page.section("Plans compared", "comparison")
        table = tables.comparison_table(comparison) if comparison is not None else None
        if table is None:
            table = tables.evaluations_comparison({n: evaluations[n] for n in plan_map})
        fig_table = table.rename(columns={"effort_points": "effort"})
        page.figure(
            figures.comparison_figure(fig_table, title=FIGURE_TITLES["comparison"]),
            "Objective = NPV - value of customer effort. Service level and abandonment are "
            "averages over the periods, weighted by offered contacts.",
        )
        page.table(table, caption="Plans side by side")

    if frontier is not None:
        page.section("Pareto frontier", "pareto")
        front = tables.pareto_table(frontier, scenario)
        page.figure(
            figures.pareto_figure(front, title=FIGURE_TITLES["pareto"]),
            "One optimised plan per budget; dominated plans (spending more for no more value) "
            "are left out.",
        )
        page.table(front, caption="Non-dominated plans")
        tick()

    page.footer = (
        f"Generated by channelopt {VERSION} from scenario '{scenario.name}' (content hash "
        f"{scenario.content_hash}). Self-contained: no network needed to view this file."
    )
    out = atomic_write_text(path, page.render())
    if progress is not None and done < steps:
        progress(steps, steps)
    return out


def _overview(page: HtmlPage, scenario: Any, resolved: Any, summary: pd.DataFrame) -> None:
    from ._overview import channel_overview

    overview = pd.DataFrame(channel_overview(resolved))
    cards = [
        ("channels", f"{len(resolved.channels)}"),
        ("external contacts / day", f"{overview['daily_volume'].sum():,.0f}"),
    ]
    if "peak_agents" in summary:
        cards.append(("peak agents (sum)", f"{summary['peak_agents'].sum():,.0f}"))
    if "cost" in summary:
        cards.append(("agent cost / day", format_money(float(summary["cost"].sum()))))
    cards += [
        ("pools", f"{len(resolved.pools)}"),
        ("initiatives", f"{len(scenario.initiatives)}"),
        ("periods", f"{scenario.n_periods}"),
    ]
    page.cards(cards)
    page.section("Scenario", "scenario")
    description = getattr(scenario, "description", "")
    if description:
        page.paragraph(str(description))
    shown = overview.drop(columns=["peak_interval"]).rename(
        columns={"peak_arrivals": "peak_per_interval", "peak_load": "peak_load_erlangs"}
    )
    page.table(
        shown,
        caption="Channels (external arrivals, period 0, no initiative in force; AHT in seconds)",
    )
    pools = pd.DataFrame(
        {
            "pool": list(resolved.pools),
            "skills (priority order)": [
                ", ".join(resolved.channels[c] for c in skills) for skills in resolved.pool_skills
            ],
            "agents": resolved.pool_agents,
            "max_agents": resolved.pool_max_agents,
            "cost_per_hour": resolved.pool_cost_per_hour,
            "shrinkage_fraction": resolved.pool_shrinkage,
        }
    )
    page.table(pools, caption="Pools")
    initiatives = tables.initiative_table(scenario)
    if len(initiatives):
        page.table(initiatives, caption="Initiatives")


def _plan_section(
    page: HtmlPage, scenario: Any, name: str, plan: Any, evaluation: Any, optimization: Any
) -> None:
    page.section(f"Plan: {name}", f"plan-{_slug(name)}")
    status = "feasible" if evaluation.feasible else f"{len(evaluation.violations)} violation(s)"
    page.cards(
        [
            ("objective", format_money(float(evaluation.objective))),
            ("net present value", format_money(float(evaluation.npv))),
            ("effort points", f"{float(evaluation.effort_points):,.0f}"),
            ("initiatives started", f"{len(tables.plan_timeline(scenario, plan))}"),
            ("status", status),
        ]
    )
    page.problems([str(v) for v in evaluation.violations])
    spend = tables.plan_spend(evaluation, scenario)
    page.figure(
        figures.plan_timeline_figure(
            tables.plan_timeline(scenario, plan),
            spend,
            n_periods=int(scenario.n_periods),
            title=f"{FIGURE_TITLES['timeline']}: {name}",
        ),
        "Each bar starts in the initiative's start period: hatched during its lead time, "
        "lighter while its effects ramp up, solid once in full effect. Below: initiative "
        "spending per period against the per-period budget.",
    )
    page.table(tables.plan_timeline_cells(scenario, plan), caption="Timeline (initiative x period)")
    page.table(tables.period_overview(evaluation), caption="Money and KPIs per period")
    if optimization is not None and getattr(optimization, "plan", None) is plan:
        page.table(
            tables.estimate_vs_exact(optimization, evaluation),
            caption=(
                f"Optimiser's estimate beside the exact evaluation ({optimization.solver}, "
                f"status {optimization.status}, gap {_gap(optimization.gap)})"
            ),
        )
    cases = tables.business_cases(evaluation)
    if len(cases):
        page.figure(
            figures.business_case_figure(cases, title=f"{FIGURE_TITLES['business_case']}: {name}"),
            "Cost (upfront and running) against value (direct value plus operating saving: "
            "agent cost, lost contacts and repeats avoided), undiscounted over the horizon.",
        )
        page.table(cases, caption="Business case per initiative")


def _gap(gap: float) -> str:
    return "n/a" if gap is None or (isinstance(gap, float) and math.isnan(gap)) else f"{gap:.2%}"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "plan"
