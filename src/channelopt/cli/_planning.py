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
    SolverOption,
    State,
    TimeLimitOption,
    frame_table,
    guard,
    load,
    progress_bar,
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
) -> None:
    """Choose which initiatives to start when, under budget and headcount limits.

    Prints the plan as a timeline (initiative x period), spend and KPIs per
    period, and the optimiser's own estimate beside the exact re-evaluation.
    """
    state: State = state_of(ctx)
    with guard(state):
        if solver not in ("highs", "cbc"):
            raise BadInputError(f"--solver must be 'highs' or 'cbc'; got {solver!r}")
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
        plan, evaluation = result.plan, result.evaluation
        print_plan(state, scenario, plan, evaluation, f"{scenario.name}: optimised plan", result)
        if output is not None:
            from ._compat import save_plan

            state.print(f"wrote {save_plan(plan, output)}")


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
) -> None:
    """Exact evaluation of a plan: money, KPIs and violations per period."""
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        from ._compat import load_plan

        plan = load_plan(plan_file, scenario)
        from channelopt.planning import evaluate as run_evaluate

        evaluation = run_evaluate(scenario, plan)
        print_plan(state, scenario, plan, evaluation, f"{scenario.name}: {plan_file.name}")
        if csv is not None:
            from ._common import write_frame

            state.print(f"wrote {write_frame(evaluation.periods, csv)}")
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
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Replications when simulating.")
    ] = 10,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Seed of the random numbers.")
    ] = 0,
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
