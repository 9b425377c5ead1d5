"""``channelopt optimize``, ``evaluate`` and ``compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from ._common import (
    BadInputError,
    BudgetOption,
    ScenarioFile,
    SeedOption,
    SolverOption,
    State,
    TimeLimitOption,
    frame_table,
    guard,
    load,
    progress_bar,
    replications_option,
    state_of,
)

__all__ = ["print_plan"]


def print_plan(
    state: State, scenario: Any, plan: Any, evaluation: Any, title: str, result: Any = None
) -> None:
    """Timeline (initiative x period), money and KPIs per period, estimate vs exact."""
    from channelopt.reporting.tables import (
        business_cases,
        estimate_vs_exact,
        period_overview,
        plan_timeline_cells,
    )

    state.print(frame_table(plan_timeline_cells(scenario, plan), f"{title}: timeline"))
    state.print(frame_table(period_overview(evaluation, scenario), "money and KPIs per period"))
    cases = business_cases(evaluation)
    if len(cases):
        state.print(frame_table(cases, "business case per initiative"))
    if result is not None:
        state.print(
            frame_table(
                estimate_vs_exact(result, evaluation),
                f"optimiser's estimate beside the exact evaluation ({result.solver}, "
                f"{result.status})",
            )
        )
        state.print(
            "The estimate is the simplified model the optimiser chose the plan with; the "
            "exact evaluation re-measures the plan interval by interval: trust the exact figure."
        )
    violations = list(getattr(evaluation, "violations", ()) or ())
    if violations:
        state.print(f"[bold red]{len(violations)} violation(s)[/]:", markup=True)
        for v in violations:
            state.print(f"  - {v}")
    else:
        state.print(
            "[green]feasible[/]: no budget, headcount, hiring, target or dependency violation",
            markup=True,
        )


@app.command()
def optimize(
    ctx: typer.Context,
    file: ScenarioFile,
    budget: BudgetOption = None,
    solver: SolverOption = "highs",
    time_limit: TimeLimitOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the plan to this YAML file.", show_default=False
        ),
    ] = None,
    refine: Annotated[
        str | None,
        typer.Option(
            "--refine",
            help="simulation: re-measure the plan and its runners-up by simulation, keep the "
            "best and repair its staffing until the targets hold there.",
            show_default=False,
        ),
    ] = None,
    replications: Annotated[int, replications_option("Replications when refining.", min=2)] = 10,
    seed: SeedOption = 0,
) -> None:
    """Choose which initiatives to start when, under budget and headcount limits.

    Prints the plan as a timeline (initiative x period), spend and KPIs per
    period, and the optimiser's own estimate beside the exact re-evaluation.
    With --refine simulation, Ctrl-C during the refinement keeps the analytic
    plan (printed, and written with --output) and exits 130.
    """
    state: State = state_of(ctx)
    with guard(state):
        if solver not in ("highs", "cbc"):
            raise BadInputError(f"--solver must be 'highs' or 'cbc'; got {solver!r}")
        if refine is not None and refine != "simulation":
            raise BadInputError(f"--refine must be 'simulation'; got {refine!r}")
        scenario = load(file)
        from channelopt.planning import optimize as run_optimize

        with progress_bar(state, "optimising") as progress:
            result = run_optimize(
                scenario,
                budget=budget,
                solver=solver,
                time_limit=time_limit,
                progress=progress,
            ).optimization
        interrupted = False
        if refine is not None:
            from channelopt.planning._simrefine import refine_by_simulation

            try:
                with progress_bar(state, "refining by simulation") as progress:
                    result = refine_by_simulation(
                        scenario,
                        result,
                        refine,
                        budget=budget,
                        replications=replications,
                        seed=seed,
                        progress=progress,
                    )
            except KeyboardInterrupt:
                interrupted = True
        plan, evaluation = result.plan, result.evaluation
        print_plan(state, scenario, plan, evaluation, f"{scenario.name}: optimised plan", result)
        refinement = getattr(result, "refinement", None)
        if refinement is not None:
            _print_refinement(state, refinement)
        if output is not None:
            from ._compat import save_plan

            state.print(f"wrote {save_plan(plan, output)}")
        if interrupted:
            state.err.print(
                "[yellow]interrupted[/] during the refinement: the plan above is the "
                "optimiser's, not re-measured by simulation"
            )
            raise typer.Exit(130)


def _print_refinement(state: State, refinement: Any) -> None:
    """Candidates by simulated objective, and the repaired staffing per period."""
    import pandas as pd

    state.print(
        frame_table(
            refinement.candidates,
            f"plans re-measured by simulation ({refinement.replications} replications, "
            f"seed {refinement.seed})",
        )
    )
    rows: list[dict[str, Any]] = []
    for t, st in sorted(refinement.staffing.items()):
        peak = st.pools.groupby("pool", sort=False)["agents"].max()
        rows.extend({"period": t, "pool": pool, "peak_agents": int(v)} for pool, v in peak.items())
    if rows:
        state.print(frame_table(pd.DataFrame(rows), "repaired staffing: peak agents per pool"))
    verdict = "every target holds" if refinement.targets_met else "some targets still miss"
    state.print(
        f"simulated objective after the repair: {refinement.objective:,.0f} "
        f"(repair added {refinement.extra_agent_cost:,.0f} of agent cost); {verdict} in simulation"
    )
    for note in refinement.notes:
        state.print(f"  - {note}")


@app.command()
def evaluate(
    ctx: typer.Context,
    file: ScenarioFile,
    plan_file: Annotated[
        Path, typer.Argument(help="Plan YAML file.", show_default=False, metavar="PLAN.yaml")
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when the plan violates a constraint.")
    ] = False,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the period x channel table to this CSV file.", show_default=False
        ),
    ] = None,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Also measure each period by simulation: KPIs with 95 % intervals and the "
            "probability of missing each target under forecast error.",
        ),
    ] = False,
    replications: Annotated[int, replications_option("Replications when simulating.", min=2)] = 10,
    seed: SeedOption = 0,
) -> None:
    """Exact evaluation of a plan: money, KPIs and violations per period.

    With --simulate, Ctrl-C keeps the periods simulated so far (printed and
    written with --csv) and exits 130.
    """
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        from ._compat import load_plan

        plan = load_plan(plan_file, scenario)
        from channelopt.planning import evaluate as run_evaluate

        evaluation = run_evaluate(scenario, plan)
        interrupted = False
        if simulate:
            from dataclasses import replace

            from channelopt.planning._fidelity import merge_simulated, simulated_periods

            finished: list[dict[str, Any]] = []
            try:
                with progress_bar(state, "simulating periods") as progress:
                    periods = simulated_periods(
                        scenario,
                        plan,
                        evaluation.periods,
                        replications=replications,
                        seed=seed,
                        progress=progress,
                        finished=finished,
                    )
            except KeyboardInterrupt:
                interrupted = True
                periods = merge_simulated(evaluation.periods, finished)
            evaluation = replace(evaluation, periods=periods)
        print_plan(state, scenario, plan, evaluation, f"{scenario.name}: {plan_file.name}")
        if simulate and "sim_service_level" in evaluation.periods:
            cols = [
                "period",
                "channel",
                "service_level",
                "sim_service_level",
                "sim_service_level_low",
                "sim_service_level_high",
                "abandonment",
                "sim_abandonment",
                "miss_probability",
            ]
            table = evaluation.periods[[c for c in cols if c in evaluation.periods]]
            state.print(
                frame_table(
                    table.dropna(subset=["sim_abandonment"]),
                    f"analytic beside simulated ({replications} replications, seed {seed})",
                )
            )
        if csv is not None:
            from ._common import write_frame

            state.print(f"wrote {write_frame(evaluation.periods, csv)}")
        if interrupted:
            state.err.print(
                "[yellow]interrupted[/]: the simulated columns hold the periods finished so far"
            )
            raise typer.Exit(130)
        if strict and not evaluation.feasible:
            raise typer.Exit(1)


@app.command()
def compare(
    ctx: typer.Context,
    file: ScenarioFile,
    plan_files: Annotated[
        list[Path],
        typer.Argument(help="Plan YAML files.", show_default=False, metavar="PLAN.yaml"),
    ],
    baseline: Annotated[
        bool,
        typer.Option("--baseline/--no-baseline", help="Add 'do nothing' as the first plan."),
    ] = True,
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Also simulate each plan (95 % intervals).")
    ] = False,
    replications: Annotated[int, replications_option("Replications when simulating.")] = 10,
    seed: SeedOption = 0,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the comparison table to this CSV.", show_default=False),
    ] = None,
) -> None:
    """Plans side by side: cost, service level, abandonment, effort, NPV."""
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        from ._compat import add_plans

        plans: dict[str, Any] = {}
        if baseline:
            from channelopt.scenario import Plan

            plans["do nothing"] = Plan(starts={}, name="do nothing")
        add_plans(plans, plan_files, scenario)
        from channelopt.whatif import compare as run_compare

        options: dict[str, Any] = {}
        if simulate:
            options = {"simulate": True, "replications": replications, "seed": seed}
        with progress_bar(state, "comparing plans") as progress:
            if progress is not None:
                options["progress"] = progress
            table = run_compare(scenario, plans, **options)
        from channelopt.reporting.tables import comparison_table

        state.print(frame_table(comparison_table(table), f"{scenario.name}: plans side by side"))
        if csv is not None:
            from ._common import write_frame

            state.print(f"wrote {write_frame(_frame(table), csv)}")


def _frame(table: Any) -> Any:
    import pandas as pd

    return table if isinstance(table, pd.DataFrame) else table.table
