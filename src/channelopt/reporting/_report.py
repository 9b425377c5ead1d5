"""``channelopt.report``: one self-contained HTML file about a scenario and its plans."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import _decision, figures, tables
from ._atomic import atomic_write_text
from ._format import format_gap
from .html import HtmlPage

if TYPE_CHECKING:  # pragma: no cover
    from channelopt.scenario import Scenario

__all__ = ["FIGURE_TITLES", "report"]

#: Title of every figure the report can contain, in report order.
FIGURE_TITLES = {
    "staffing": "Staffing by interval and channel",
    "intervals": "Service level and occupancy by interval",
    "roster": "Required agents against the roster, by pool",
    "schedule": "Requirement against scheduled agents, by pool and day",
    "service_level": "Service level against agents (peak interval)",
    "journeys": "Journey flows between channels",
    "timeline": "Plan timeline",
    "business_case": "Business case per initiative",
    "comparison": "Plans side by side",
    "pareto": "Pareto frontier: value against budget",
}

#: progress(done, total, message); a two-argument callback gets (done, total)
Progress = Callable[..., object]


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
    schedule: Any = None,
    agreement: pd.DataFrame | None = None,
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
        ``plan.optimization`` of a plan from ``optimize``: adds the model's estimate
        beside the exact evaluation.
    comparison : Comparison or DataFrame, optional
        :func:`channelopt.compare` output (its ``table``), e.g. with simulated
        intervals and miss probabilities; default: built from the exact
        evaluations.
    frontier : DataFrame or sequence, optional
        :func:`channelopt.pareto` output; adds the Pareto frontier.
    schedule : Schedule, True or str, optional
        A :func:`channelopt.schedule` result (of ``period``): adds the
        requirement against the scheduled agents per interval, by pool and
        day, and the week's paid hours per pool. ``True`` schedules here
        (``co.schedule(scenario, period=period)``); a string is shown as the
        reason there is no schedule (e.g. the templates cannot cover a
        requirement).
    agreement : DataFrame, optional
        :func:`channelopt.staffing.model_agreement` output; computed from
        ``staffing`` and the simulation when a simulation is shown.
    title : str, optional
        Page title (default: the scenario's name).
    notes : sequence of str, optional
        A warning shown in a box at the top: the first line as its heading,
        the others listed under it (e.g. why there is no optimised plan and
        the conflicting constraint groups).
    progress : callable, optional
        ``progress(done, total, message)`` after each step (a callback taking
        two arguments gets ``(done, total)``).

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
    steps = (
        4
        + bool(simulate and simulation is None)
        + len(plan_map)
        + bool(frontier is not None)
        + (schedule is True)
    )
    done = 0

    from channelopt._display import progress_caller

    call = progress_caller(progress)

    def tick(message: str = "") -> None:
        nonlocal done
        done += 1
        call(done, steps, message)

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
    if schedule is True:
        schedule = make_schedule(scenario, period)
        tick()
    if agreement is None and simulation is not None and hasattr(staffing, "resolved"):
        from channelopt.staffing import model_agreement

        agreement = model_agreement(
            scenario, staffing, period=period, simulation=simulation, seed=seed
        )

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
    for name, plan in plan_map.items():
        if name not in evaluations:
            from channelopt.planning import evaluate

            evaluations[name] = evaluate(scenario, plan)
    decision = _decision.decide(
        scenario, plan_map, evaluations, optimization=optimization, comparison=comparison
    )
    if decision is not None:
        _decision_section(page, scenario, decision)
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
    page.figure(
        figures.interval_kpi_figure(
            tables.staffing_intervals(staffing),
            interval_s=resolved.interval_s,
            channels=channels,
            targets=_decision._targets_text(scenario),
            title=FIGURE_TITLES["intervals"],
        ),
        "Per interval at the required staffing: share of contacts answered within the "
        "channel's target time, and the share of agents' time busy with contacts "
        "(intervals without contacts left out).",
    )
    roster = dict(zip(resolved.pools, resolved.pool_agents, strict=True))
    pool_frame = getattr(staffing, "pools", None)
    if isinstance(pool_frame, pd.DataFrame) and len(pool_frame) and roster:
        page.figure(
            figures.roster_figure(
                pool_frame, roster, interval_s=resolved.interval_s, title=FIGURE_TITLES["roster"]
            ),
            "Per pool and interval: agents on duty the requirement needs (solid) against the "
            "pool's rostered agents (dashed). Above the dashed line the roster falls short.",
        )
    pools = tables.pool_summary(staffing, resolved)
    if pools is not None:
        page.table(
            pools,
            caption="Per pool at its peak interval (sum of its channels' requirements: an "
            "upper bound; the pooled lower bound beside it). A requirement of 0 is explained "
            "in the last column.",
        )

    if schedule is not None:
        _schedule_section(page, scenario, schedule, period)

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
        if agreement is not None and len(agreement):
            _agreement_part(page, agreement)

    # --- plans
    for name, plan in plan_map.items():
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
    if done < steps:
        call(steps, steps, "written")
    return out


def make_schedule(scenario: Any, period: int) -> Any:
    """``co.schedule(scenario, period=period)``, or the reason there is none (a sentence).

    Also the schedule step of ``channelopt run``. A minute of solver time at
    most: a stopped solve still returns a valid schedule with its gap stated.
    """
    if getattr(scenario, "shifts", None) is None:
        return (
            "The scenario has no `shifts` key, so no schedule was made (default templates "
            "would be invented); add shift templates (docs/scenario-format.md, 'Shifts and "
            "week') to see the requirement against scheduled agents here."
        )
    from channelopt.errors import InfeasibleError, SolverError
    from channelopt.scheduling import schedule as run_schedule

    try:
        return run_schedule(scenario, period=period, time_limit=60.0)
    except (InfeasibleError, SolverError) as exc:
        return f"No schedule: {exc}"


def _schedule_section(page: HtmlPage, scenario: Any, schedule: Any, period: int) -> None:
    """Requirement against scheduled agents per interval, by pool and day; paid hours."""
    page.section("Schedule", "schedule")
    if isinstance(schedule, str):
        page.paragraph(schedule, cls="note")
        return
    from .schedule_figures import coverage_figure

    cur = _decision.currency_of(scenario)
    days = ", ".join(schedule.days[d] for d in schedule.work_days)
    page.paragraph(
        f"A week of shifts per pool ({days}) from the scenario's shift templates, covering "
        f"the pooled requirement of period {period} in every interval after shrinkage at the "
        "lowest paid cost (channelopt.schedule; docs/scheduling.md)."
    )
    hire = sum(schedule.agents_needed.values())
    page.cards(
        [
            ("paid hours per week", f"{schedule.paid_hours:,.0f}"),
            ("cost per week", _decision.money(float(schedule.cost), cur)),
            ("efficiency (required / paid hours)", f"{schedule.efficiency:.0%}"),
            ("agents to hire (headcount)", f"{hire:,}"),
            ("optimality gap", f"{format_gap(schedule.gap)} ({schedule.status})"),
        ]
    )
    page.figure(
        coverage_figure(schedule, title=FIGURE_TITLES["schedule"]),
        "One row per pool, one panel per working day: the agents on contacts the "
        "requirement needs per interval (line) against the agents on contacts the shifts "
        "give (area: on shift, not on break, after shrinkage). The gap between them is "
        "over-cover; the line never rises above the area.",
    )
    page.table(
        tables.schedule_by_day(schedule),
        caption="Agent-hours on contacts per pool and day: scheduled / required "
        "(over-cover in per cent)",
    )
    page.table(
        tables.schedule_summary(schedule),
        caption="Per pool, one week: paid hours, cost, efficiency (required hours / paid "
        "hours), headcount working the week's patterns, shifts worked, optimality gap",
    )


def _agreement_part(page: HtmlPage, agreement: pd.DataFrame) -> None:
    """Analytic figures against the simulation, with a flag and a sentence where they differ."""
    page.heading("Model agreement: analytic against simulated")
    differ = agreement[~agreement["agree"].astype(bool)]
    if len(differ):
        page.paragraph(
            f"{len(agreement) - len(differ)} of {len(agreement)} analytic figures lie within "
            f"the simulated 95 % interval (widened by 2 points for fractions, 20 % for waits "
            f"and abandonment); {len(differ)} do not, and the simulation is the reference "
            "there: " + " ".join(str(t) for t in differ["sentence"] if str(t)),
            cls="note",
        )
    else:
        page.paragraph(
            f"All {len(agreement)} analytic figures lie within the simulated 95 % interval "
            "(widened by 2 points for fractions, 20 % for waits and abandonment): the "
            "staffing layer and the simulation tell one story.",
            cls="note",
        )
    page.table(
        tables.agreement_table(agreement),
        caption="Per channel (and pool): the staffing layer's day figure (analytic) against "
        "the simulation of the same staffing (mean and 95 % interval); 'NO' where they "
        "disagree, with why",
    )


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
        cards.append(
            (
                "agent cost / day",
                _decision.money(float(summary["cost"].sum()), _decision.currency_of(scenario)),
            )
        )
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
    cur = _decision.currency_of(scenario)
    npv = float(evaluation.npv)
    effort_value = float(evaluation.npv) - float(evaluation.objective)
    contacts = float(evaluation.periods["offered"].sum())
    page.cards(
        [
            (
                "cost of the centre over the horizon (discounted, net of value)"
                if npv < 0
                else "net present value",
                _decision.money(abs(npv), cur),
            ),
            ("value of customer effort", _decision.money(effort_value, cur)),
            (
                "initiative spending",
                _decision.money(float(evaluation.money["initiative_spending"].sum()), cur),
            ),
            (
                "effort points per contact",
                f"{float(evaluation.effort_points) / contacts:.2f}" if contacts > 0 else "n/a",
            ),
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
    if optimization is None or getattr(optimization, "plan", None) is not plan:
        # A plan straight from optimize() carries its own record.
        optimization = getattr(plan, "optimization", None)
    if optimization is not None:
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


def _decision_section(page: HtmlPage, scenario: Any, d: _decision.Decision) -> None:
    """The first section: what to fund and when, cost, customers, risk, the others."""
    cur = d.currency
    m = _decision.money
    length = str(getattr(getattr(scenario, "periods", None), "length", "period"))
    page.section("Decision", "decision")
    funded = "; ".join(f"{n} {_decision.when(t, length)}" for n, t in d.starts)
    budget = f" of the {m(d.budget, cur)} budget" if d.budget is not None else ""
    page.raw('<div class="decision" id="decision-summary">')
    page.paragraph(
        f"Fund {len(d.starts)} initiative{'s' if len(d.starts) != 1 else ''} "
        f"(plan '{d.plan_name}'): {funded}. Initiative spending {m(d.spend, cur)}{budget}; "
        f"net value over doing nothing {m(d.net_value, cur, signed=True)} "
        "(discounted, customer effort valued).",
        cls="lead",
    )
    before = d.kpis.set_index("measure")
    sl = before.iloc[0]
    ab = before.iloc[1]
    eff = before.iloc[2]
    cards = [
        ("initiative spend", f"{m(d.spend, cur)}{' of ' + m(d.budget, cur) if d.budget else ''}"),
        ("net value vs doing nothing", m(d.net_value, cur, signed=True)),
        ("service level", f"{sl['doing_nothing']:.1%} → {sl['with_the_plan']:.1%}"),
        ("abandonment", f"{ab['doing_nothing']:.1%} → {ab['with_the_plan']:.1%}"),
        (
            "effort per contact (points)",
            f"{eff['doing_nothing']:.2f} → {eff['with_the_plan']:.2f}",
        ),
    ]
    if d.risk is not None and "miss_probability_with the plan" in d.risk:
        worst = d.risk.loc[d.risk["miss_probability_with the plan"].idxmax()]
        cards.append(
            (
                "highest risk of missing a target",
                f"{worst['miss_probability_with the plan']:.0%} ({worst['channel']})",
            )
        )
    page.cards(cards)
    if not d.evaluation.feasible:
        page.problems([f"The plan breaks a constraint: {v}" for v in d.evaluation.violations])
    page.raw("</div>")
    if d.estimate_sentence:
        page.paragraph(d.estimate_sentence, cls="note")
    page.heading("What customers feel")
    kpis = d.kpis.copy()
    for col in ("doing_nothing", "with_the_plan"):
        kpis[col] = [
            f"{v:.1%}" if i < 2 else (f"{v:.2f}" if i == 2 else f"{v:,.0f}")
            for i, v in enumerate(kpis[col])
        ]
    page.table(
        kpis.rename(columns={"doing_nothing": "doing nothing", "with_the_plan": "with the plan"}),
        caption="Over the whole horizon, live and concurrent channels weighted by contacts",
    )
    if d.effort_meaning:
        page.paragraph(d.effort_meaning, cls="note")
    page.heading("How sure we are")
    if d.risk is not None:
        page.table(
            d.risk[[c for c in d.risk.columns if not c.startswith("miss_probability_")]],
            caption="Probability that a channel misses one of its targets on a day of the "
            "staffed period, when volumes differ from the forecast (forecast error) and "
            "contacts arrive at random; from the simulation",
        )
    else:
        page.paragraph(
            "No risk figure: the report was made without the simulation (run without --fast, "
            "or pass compare(..., simulate=True) as comparison).",
            cls="note",
        )
    page.heading("Why the other initiatives were not chosen")
    shown = d.others.copy()
    shown["marginal_value"] = [m(v, cur, signed=True) for v in shown["marginal_value"]]
    shown["funded"] = ["yes" if f else "no" for f in shown["funded"]]
    shown["start"] = ["" if pd.isna(v) else f"period {int(v)}" for v in shown["start"]]
    page.table(
        shown.rename(
            columns={"marginal_value": f"marginal value{' (' + cur + ')' if cur else ''}"}
        ),
        caption="Each initiative's marginal value: for a funded one, what removing it would "
        "cost; for the others, what adding it to the plan would change",
    )
    page.end_lead()
