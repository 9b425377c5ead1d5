"""``channelopt staff`` and ``channelopt simulate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from ._common import (
    BadInputError,
    ParquetOption,
    ScenarioFile,
    SeedOption,
    State,
    frame_table,
    guard,
    load,
    progress_bar,
    replications_option,
    state_of,
    time_limit_option,
)

__all__: list[str] = []

PlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan", help="Plan YAML file whose initiatives are in force.", show_default=False
    ),
]


def check_period(scenario: Any, period: int) -> None:
    """Bad input unless ``0 <= period < periods.count``."""
    n = int(scenario.n_periods)
    if not 0 <= period < n:
        raise BadInputError(
            f"--period must be between 0 and {n - 1} (the scenario has {n} periods); got {period}"
        )


@app.command()
def staff(
    ctx: typer.Context,
    file: ScenarioFile,
    period: Annotated[int, typer.Option("--period", "-p", help="Planning period (0-based).")] = 0,
    plan_file: PlanOption = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the per-interval table (interval x channel) to this CSV file.",
            show_default=False,
        ),
    ] = None,
    parquet: ParquetOption = False,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="'erlang': each channel alone; 'pooled': shared pools sized together "
            "(analytic); 'simulation': cheapest staffing whose targets hold in the simulation.",
        ),
    ] = "erlang",
    replications: Annotated[
        int,
        typer.Option("--replications", "-r", min=2, help="--method simulation: replications."),
    ] = 20,
    seed: Annotated[int, typer.Option("--seed", "-s", help="--method simulation: seed.")] = 0,
    time_limit: Annotated[
        float | None, time_limit_option("--method simulation: CPU seconds (> 0).")
    ] = None,
) -> None:
    """Agents needed per interval and channel (Erlang C/A, concurrency, deadlines).

    Prints the summary per channel and the peak per pool; --csv writes the full
    interval x channel table. --method pooled|simulation sizes shared pools
    together (docs/staffing.md). With --method simulation a progress bar runs,
    and Ctrl-C keeps the cheapest staffing checked so far (printed and written
    with --csv) and exits 130.
    """
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        check_period(scenario, period)
        plan = None
        if plan_file is not None:
            from ._compat import load_plan

            plan = load_plan(plan_file, scenario)
        from channelopt.staffing import staff as run_staff

        if method not in ("erlang", "pooled", "simulation"):
            raise BadInputError(
                f"--method must be one of erlang, pooled, simulation; got {method!r}"
            )
        options: dict[str, Any] = {}
        if method == "simulation":
            options = {"replications": replications, "seed": seed, "time_limit": time_limit}
            # Ctrl-C ends the search early: the library returns the best staffing checked
            # so far and says so in notes["interrupted"]; it is printed and written below,
            # then the command exits 130
            with progress_bar(state, "staffing by simulation") as progress:
                result = run_staff(
                    scenario, period=period, plan=plan, method=method, progress=progress, **options
                )
        else:
            result = run_staff(scenario, period=period, plan=plan, method=method)
        from channelopt.reporting.tables import pool_summary, staffing_intervals, staffing_summary

        state.print(
            frame_table(staffing_summary(result), f"{scenario.name}: staffing, period {period}")
        )
        pools = pool_summary(result, scenario.resolve(period, plan))
        if pools is not None:
            state.print(frame_table(pools, "pools (peak interval)"))
        if result.simulated is not None:
            state.print(frame_table(result.simulated, "targets in the simulation"))
        for key, note in dict(result.notes).items():
            if key == "method":
                state.print(note)
        if csv is not None:
            from ._common import write_frame

            written = write_frame(staffing_intervals(result), csv, parquet=parquet)
            state.print(f"wrote {written}")
        if "interrupted" in result.notes:
            state.err.print(f"[yellow]interrupted[/]: {result.notes['interrupted']}")
            raise typer.Exit(130)


@app.command()
def simulate(
    ctx: typer.Context,
    file: ScenarioFile,
    replications: Annotated[int, replications_option("Independent replications.")] = 20,
    seed: SeedOption = 0,
    days: Annotated[int, typer.Option("--days", min=1, help="Days simulated per replication.")] = 1,
    warmup_days: Annotated[
        int, typer.Option("--warmup-days", min=0, help="Days simulated first and discarded.")
    ] = 1,
    period: Annotated[int, typer.Option("--period", "-p", help="Planning period (0-based).")] = 0,
    plan_file: PlanOption = None,
    staffing: Annotated[
        str,
        typer.Option(
            "--staffing",
            help="'roster': the pools' agents in every open interval; "
            "'required': what 'channelopt staff' asks for.",
        ),
    ] = "roster",
    serial: Annotated[
        bool,
        typer.Option("--serial", help="Run the replications in this process, one by one."),
    ] = False,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Directory for intervals.csv, journeys.csv and summary.csv.",
            show_default=False,
        ),
    ] = None,
    parquet: ParquetOption = False,
) -> None:
    """Discrete-event simulation of contacts and journeys, replications in parallel.

    Prints per channel the means with 95 % confidence intervals across
    replications. The same --seed gives the same numbers, serially or in
    parallel.
    """
    state: State = state_of(ctx)
    with guard(state):
        if staffing not in ("roster", "required"):
            raise BadInputError(f"--staffing must be 'roster' or 'required'; got {staffing!r}")
        scenario = load(file)
        check_period(scenario, period)
        plan = None
        if plan_file is not None:
            from ._compat import load_plan

            plan = load_plan(plan_file, scenario)
        with progress_bar(state, f"simulating {replications} replications") as progress:
            result = run_simulation(
                scenario,
                staffing=staffing,
                replications=replications,
                seed=seed,
                days=days,
                warmup_days=warmup_days,
                period=period,
                plan=plan,
                serial=serial,
                progress=progress,
            )
        from channelopt.reporting.tables import simulation_table

        state.print(
            frame_table(
                simulation_table(result.summary()),
                f"{scenario.name}: simulation, {replications} replications x {days} day(s), "
                f"seed {seed}",
            )
        )
        if csv is not None:
            from ._common import write_frame

            for name, frame in (
                ("summary", result.summary()),
                ("intervals", result.intervals),
                ("journeys", result.journeys),
            ):
                written = write_frame(frame, csv / f"{name}.csv", parquet=parquet)
                state.print(f"wrote {written}")


def run_simulation(
    scenario: Any,
    *,
    staffing: str = "roster",
    replications: int,
    seed: int,
    days: int,
    warmup_days: int,
    period: int,
    plan: Any,
    serial: bool = False,
    progress: Any = None,
) -> Any:
    """Simulate, replications on worker processes unless ``serial`` (same numbers either way)."""
    from channelopt.simulation import simulate as sim

    staffing_arg = None
    if staffing == "required":
        from channelopt.staffing import staff as run_staff

        staffing_arg = run_staff(scenario, period=period, plan=plan)
    return sim(
        scenario,
        staffing=staffing_arg,
        replications=replications,
        seed=seed,
        days=days,
        warmup_days=warmup_days,
        period=period,
        plan=plan,
        executor="serial" if serial or replications == 1 else "processes",
        progress=progress,
    )
