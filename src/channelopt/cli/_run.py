"""``channelopt report`` and ``channelopt run`` (the main job)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from channelopt.reporting._format import format_gap

from ._app import app
from ._common import (
    BadInputError,
    BudgetOption,
    ScenarioFile,
    SolverOption,
    State,
    TimeLimitOption,
    _text,
    guard,
    load,
    progress_bar,
    state_of,
    write_frame,
)

__all__: list[str] = []


@app.command()
def report(
    ctx: typer.Context,
    file: ScenarioFile,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    plan_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--plan", help="A plan YAML file to include (repeat for more).", show_default=False
        ),
    ] = None,
    optimize: Annotated[
        bool, typer.Option("--optimize", help="Also optimise and include the optimised plan.")
    ] = False,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Also simulate the staffed period, and each plan under forecast error "
            "(the decision's risk of missing targets).",
        ),
    ] = False,
    schedule: Annotated[
        bool,
        typer.Option(
            "--schedule",
            help="Also schedule a week of shifts (the scenario's `shifts` key) and show the "
            "requirement against the scheduled agents per interval, by pool and day.",
        ),
    ] = False,
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Replications when simulating.")
    ] = 5,
    days: Annotated[int, typer.Option("--days", min=1, help="Days per replication.")] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed of the simulation.")] = 0,
    period: Annotated[int, typer.Option("--period", "-p", help="Period for staffing.")] = 0,
) -> None:
    """Write one self-contained HTML report (figures as inline SVG, no network needed)."""
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        from ._analysis import check_period

        check_period(scenario, period)
        from ._compat import add_plans

        plans: dict[str, Any] = {}
        add_plans(plans, plan_files or [], scenario)
        optimization = None
        if optimize:
            from channelopt.planning import optimize as run_optimize

            optimization = run_optimize(scenario).optimization
            plans["optimised"] = optimization.plan
        comparison = None
        if simulate and plans:
            from channelopt.scenario import Plan
            from channelopt.whatif import compare

            compared = {"do nothing": Plan(starts={}, name="do nothing"), **plans}
            comparison = compare(
                scenario, compared, simulate=True, replications=4 * replications, seed=seed
            )
        from channelopt.reporting import report as write_report

        with progress_bar(state, "writing the report") as progress:
            written = write_report(
                scenario,
                plans or None,
                output,
                simulate=simulate,
                seed=seed,
                replications=replications,
                days=days,
                period=period,
                optimization=optimization,
                evaluations={"optimised": optimization.evaluation} if optimization else None,
                comparison=comparison,
                schedule=True if schedule else None,
                progress=progress,
            )
        state.print(f"wrote {written}")


@app.command()
def run(
    ctx: typer.Context,
    file: ScenarioFile,
    outdir: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the report, tables and plans.")
    ] = Path("channelopt-out"),
    replications: Annotated[
        int,
        typer.Option(
            "--replications",
            "-r",
            min=1,
            help="Simulation replications (the risk step simulates 4 x as many days per plan).",
        ),
    ] = 5,
    days: Annotated[int, typer.Option("--days", min=1, help="Simulated days per replication.")] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed of the simulation.")] = 0,
    budget: BudgetOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    pareto: Annotated[
        bool,
        typer.Option("--pareto/--no-pareto", help="Optimise at 4 budgets for the Pareto frontier."),
    ] = True,
    simulate: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="Run the simulation step.")
    ] = True,
    schedule: Annotated[
        bool,
        typer.Option(
            "--schedule/--no-schedule",
            help="Schedule a week of shifts (when the scenario has a `shifts` key) and show "
            "the requirement against the scheduled agents in the report.",
        ),
    ] = True,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Skip the simulations (the day's simulation and the risk of missing targets "
            "under forecast error) and the schedule; the report then has no risk figure.",
        ),
    ] = False,
    parquet: Annotated[
        bool, typer.Option("--parquet", help="Tables as Parquet instead of CSV (needs pyarrow).")
    ] = False,
) -> None:
    """The main job: validate, staff, schedule, simulate, optimise, compare, write everything.

    Writes into the --output directory: report.html, tables (CSV, or Parquet
    with --parquet) and plans (YAML). Files appear only when the whole job
    succeeded. See docs/cli.md for every file.
    """
    state: State = state_of(ctx)
    with guard(state):
        if solver not in ("highs", "cbc"):
            raise BadInputError(f"--solver must be 'highs' or 'cbc'; got {solver!r}")
        if outdir.exists() and not outdir.is_dir():
            raise BadInputError(f"--output {str(outdir)!r} exists and is not a directory")
        if parquet:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise BadInputError("--parquet needs pyarrow: pip install pyarrow") from None
        results = _run_job(
            state,
            file,
            outdir,
            replications=replications,
            days=days,
            seed=seed,
            budget=budget,
            solver=solver,
            time_limit=time_limit,
            pareto=pareto,
            simulate=simulate and not fast,
            schedule=schedule and not fast,
            parquet=parquet,
        )
        _print_summary(state, results, outdir)


def _run_job(
    state: State,
    file: Path,
    outdir: Path,
    *,
    replications: int,
    days: int,
    seed: int,
    budget: float | None,
    solver: str,
    time_limit: float | None,
    pareto: bool,
    simulate: bool,
    schedule: bool,
    parquet: bool,
) -> dict[str, Any]:
    from channelopt.reporting._atomic import staged_directory

    out: dict[str, Any] = {"files": [], "steps": []}
    clock = time.perf_counter()

    def step(name: str, detail: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        out["steps"].append((name, detail, now - clock))
        clock = now

    def table(stage: Path, name: str, frame: Any) -> None:
        written = write_frame(frame, stage / f"{name}.csv", parquet=parquet)
        out["files"].append(outdir / written.name)

    scenario = load(file)
    step(
        "validate",
        f"{scenario.name}: {len(scenario.channels)} channels, "
        f"{len(scenario.initiatives)} initiatives, {scenario.n_periods} periods",
    )
    with staged_directory(outdir) as stage, progress_bar(state, "running") as progress:
        from channelopt.planning import Plan, evaluate, optimize
        from channelopt.reporting import report as write_report
        from channelopt.staffing import staff

        def tick(done: int, label: str) -> None:
            if progress is not None:
                progress(done, 8, message=label)

        tick(0, "staffing")
        staffing = staff(scenario, period=0)
        summary = staffing.summary()
        table(stage, "staffing_intervals", staffing.intervals)
        table(stage, "staffing_summary", summary)
        table(stage, "staffing_pools", staffing.pools)
        peak = float(summary["peak_agents"].sum()) if "peak_agents" in summary else float("nan")
        step("staff", f"period 0: peak {peak:,.0f} agents over all channels")
        out["staffing"] = summary

        shifts: Any = None
        if schedule and getattr(scenario, "shifts", None) is None:
            shifts = True  # the report says why there is no schedule
        elif schedule:
            tick(1, "scheduling shifts")
            shifts = _schedule_step(scenario, out)
            if not isinstance(shifts, str):

                def named(frame: Any) -> Any:
                    return frame.assign(day=[shifts.days[d] for d in frame["day"]])

                table(stage, "schedule_summary", shifts.summary())
                table(stage, "schedule_shifts", named(shifts.shifts))
                table(stage, "schedule_coverage", named(shifts.coverage))
                step(
                    "schedule",
                    f"a week of shifts: {shifts.paid_hours:,.0f} paid hours, efficiency "
                    f"{shifts.efficiency:.0%}, {sum(shifts.agents_needed.values()):,} agents, "
                    f"gap {format_gap(shifts.gap)}",
                )
            else:
                step("schedule", "no schedule (see report.html)")

        simulation = None
        agreement = None
        if simulate:
            tick(2, "simulating")
            from ._analysis import run_simulation

            simulation = run_simulation(
                scenario,
                staffing="required",
                replications=replications,
                seed=seed,
                days=days,
                warmup_days=1,
                period=0,
                plan=None,
            )
            table(stage, "simulation_summary", simulation.summary())
            table(stage, "simulation_intervals", simulation.intervals)
            table(stage, "simulation_journeys", simulation.journeys)
            from channelopt.staffing import model_agreement

            agreement = model_agreement(scenario, staffing, simulation=simulation)
            table(stage, "model_agreement", agreement)
            differ = int((~agreement["agree"].astype(bool)).sum())
            step(
                "simulate",
                f"{replications} replications x {days} day(s), seed {seed}; model agreement: "
                f"{len(agreement) - differ} of {len(agreement)} analytic figures agree",
            )
            out["simulation"] = simulation.summary()
            out["agreement"] = agreement

        tick(3, "optimising")
        from channelopt.errors import InfeasibleError, SolverError

        notes: list[str] = []
        optimization = None
        try:
            optimization = optimize(
                scenario, budget=budget, solver=solver, time_limit=time_limit
            ).optimization
        except (InfeasibleError, SolverError) as exc:
            # The job still reports what it can (staffing, simulation, doing
            # nothing) and says why there is no optimised plan.
            first, *rest = str(exc).splitlines()
            notes = [f"No optimised plan: {first}", *(r.strip(" -") for r in rest)]
            out.setdefault("warnings", []).extend(notes)
            step("optimize", f"no plan: {type(exc).__name__} (see report.html)")
        else:
            step(
                "optimize",
                f"{len(optimization.plan.starts)} initiative(s) started; "
                f"{optimization.solver} {optimization.status}",
            )
        tick(4, "comparing with doing nothing")
        nothing = Plan(starts={}, name="do nothing")
        evaluations = {"do nothing": evaluate(scenario, nothing)}
        plans = {"do nothing": nothing}
        if optimization is not None:
            evaluations["optimised"] = optimization.evaluation
            plans["optimised"] = optimization.plan
        from channelopt.reporting.tables import (
            business_cases,
            estimate_vs_exact,
            evaluations_comparison,
            pareto_table,
            period_overview,
        )

        comparison = evaluations_comparison(evaluations)
        table(stage, "comparison", comparison)
        for label, ev in evaluations.items():
            slug = label.replace(" ", "_")
            table(stage, f"plan_{slug}_periods", ev.periods)
            table(stage, f"plan_{slug}_money", period_overview(ev))
        from ._compat import save_plan

        save_plan(nothing, stage / "plan_do_nothing.yaml")
        out["files"].append(outdir / "plan_do_nothing.yaml")
        if optimization is not None:
            table(stage, "plan_optimised_business_case", business_cases(optimization.evaluation))
            table(stage, "plan_optimised_estimate", estimate_vs_exact(optimization))
            save_plan(optimization.plan, stage / "plan_optimised.yaml")
            out["files"].append(outdir / "plan_optimised.yaml")
        out["comparison"] = comparison
        out["optimization"] = optimization
        step("compare", " against ".join(reversed(list(evaluations))))

        risk = None
        if simulate and optimization is not None:
            tick(5, "risk under forecast error")
            from channelopt.whatif import compare

            # Each plan is staffed on the forecast; its days are then simulated
            # with volumes drawn around the forecast (forecast error).
            draws = 4 * replications
            risk = compare(
                scenario,
                plans,
                simulate=True,
                replications=draws,
                seed=seed,
                # worker processes pay off only for more than a few simulated days
                executor="processes" if draws * len(plans) > 16 else "serial",
            )
            if len(risk.simulation):
                table(stage, "risk", risk.simulation)
            step("risk", f"{draws} simulated days per plan under forecast error")

        frontier = None
        if pareto and optimization is not None:
            tick(6, "Pareto frontier")
            from channelopt.planning import pareto as run_pareto

            total = _budget_total(scenario, budget, optimization)
            budgets = [0.0, 0.5 * total, total, 2.0 * total] if total > 0 else [0.0]
            frontier = run_pareto(scenario, budgets, solver=solver, time_limit=time_limit)
            table(stage, "pareto", pareto_table(frontier))
            step("pareto", f"{len(frontier)} non-dominated plan(s) over {len(budgets)} budgets")

        tick(7, "writing the report")
        write_report(
            scenario,
            plans,
            stage / "report.html",
            staffing=staffing,
            simulation=simulation,
            seed=seed,
            evaluations=evaluations,
            optimization=optimization,
            frontier=frontier,
            schedule=shifts,
            agreement=agreement,
            notes=notes,
            comparison=risk,
        )
        from channelopt.reporting._decision import decide

        out["decision"] = decide(
            scenario, plans, evaluations, optimization=optimization, comparison=risk
        )
        out["files"].insert(0, outdir / "report.html")
        step("report", "report.html")
    return out


def _schedule_step(scenario: Any, out: dict[str, Any]) -> Any:
    """A week of shifts for period 0, or the reason there is none (shown in the report)."""
    from channelopt.reporting._report import make_schedule

    shifts = make_schedule(scenario, 0)
    if isinstance(shifts, str):
        out.setdefault("warnings", []).append(shifts)
    return shifts


def _budget_total(scenario: Any, budget: float | None, optimization: Any) -> float:
    if budget is not None:
        return float(budget)
    total = getattr(getattr(scenario, "budget", None), "total", None)
    if total is not None:
        return float(total)
    spent = optimization.evaluation.money["initiative_spending"].sum()
    return float(spent) if spent > 0 else 0.0


def _print_summary(state: State, results: dict[str, Any], outdir: Path) -> None:

    steps = Table(title="channelopt run", title_justify="left", title_style="bold")
    steps.add_column("step")
    steps.add_column("result")
    steps.add_column("seconds", justify="right")
    for name, detail, seconds in results["steps"]:
        steps.add_row(_text(name), _text(detail), f"{seconds:.1f}")
    state.print(steps)
    decision = results.get("decision")
    if decision is not None:
        _print_decision(state, decision)
    for warning in results.get("warnings", []):
        state.warn("[yellow]warning[/]: ", warning)
    state.print(f"wrote {len(results['files'])} files to {outdir}/:")
    for f in results["files"]:
        state.print(f"  {f}")


def _print_decision(state: State, d: Any) -> None:
    """The decision in a few labelled lines, money in the scenario's currency."""
    from channelopt.reporting._decision import money, when

    cur = d.currency
    state.print(f"decision: fund {len(d.starts)} initiative(s) (plan '{d.plan_name}')")
    for name, start in d.starts:
        state.print(f"  {name}: start {when(start, d.period_length)}")
    budget = f" of the {money(d.budget, cur)} budget" if d.budget is not None else ""
    state.print(f"initiative spending: {money(d.spend, cur)}{budget}")
    state.print(
        f"net value over doing nothing: {money(d.net_value, cur, signed=True)} "
        "(discounted; customer effort valued)"
    )
    k = d.kpis.set_index("measure")
    for i, (label, row) in enumerate(k.iterrows()):
        fmt = (lambda v: f"{v:.1%}") if i < 2 else (lambda v: f"{v:,.2f}")
        if i == 3:
            fmt = lambda v: f"{v:,.0f}"  # noqa: E731
        state.print(f"{label}: {fmt(row['doing_nothing'])} -> {fmt(row['with_the_plan'])}")
    if d.risk is not None and len(d.risk):
        for _, row in d.risk.iterrows():
            p = row.get("miss_probability_with the plan")
            if p is not None:
                state.print(
                    f"risk: {row['channel']} misses its target ({row['target']}) on "
                    f"{p:.0%} of simulated days under forecast error"
                )
    if not d.evaluation.feasible:
        state.print("[bold red]the plan breaks a constraint[/]; see report.html", markup=True)
