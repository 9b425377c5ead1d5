"""``channelopt schedule``: shifts, breaks and days off that cover the requirement."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from channelopt.reporting._format import format_gap

from ._app import app
from ._common import (
    BadInputError,
    ScenarioFile,
    State,
    frame_table,
    guard,
    load,
    state_of,
    time_limit_option,
)

__all__: list[str] = []


@app.command()
def schedule(
    ctx: typer.Context,
    file: ScenarioFile,
    period: Annotated[int, typer.Option("--period", "-p", help="Planning period (0-based).")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory for shifts.csv, coverage.csv, patterns.csv, summary.csv and "
            "coverage.svg.",
            show_default=False,
        ),
    ] = None,
    time_limit: Annotated[float | None, time_limit_option("Solver seconds in total (> 0).")] = None,
    gap: Annotated[float, typer.Option("--gap", help="Relative optimality gap.")] = 0.01,
) -> None:
    """A week of shifts per pool (the scenario's `shifts` and `week` keys) at the lowest paid cost.

    Prints the summary per pool (paid hours, cost, efficiency, agents to hire)
    and the gap to the LP bound; -o writes the shift table, the coverage per
    interval and the coverage figure.
    """
    state: State = state_of(ctx)
    with guard(state):
        scenario = load(file)
        n = int(scenario.n_periods)
        if not 0 <= period < n:
            raise BadInputError(
                f"--period must be between 0 and {n - 1} (the scenario has {n} periods); "
                f"got {period}"
            )
        if not gap >= 0:
            raise BadInputError(f"--gap must be a number >= 0; got {gap}")
        if time_limit is not None and not time_limit > 0:
            raise BadInputError(
                f"--time-limit must be a positive number of seconds; got {time_limit}"
            )
        from channelopt.errors import InfeasibleError
        from channelopt.scheduling import schedule as run_schedule

        try:
            result = run_schedule(scenario, period=period, time_limit=time_limit, gap=gap)
        except InfeasibleError as exc:
            # the templates of the file cannot cover the requirement: bad input (exit 2)
            raise BadInputError(str(exc)) from None
        summary = result.summary()
        # a time limit that stops the pricing leaves no LP bound: nan, shown as "unknown"
        lp_bound = "unknown" if math.isnan(result.lp_bound) else f"{result.lp_bound:,.0f}"
        state.print(
            frame_table(
                summary,
                f"{scenario.name}: schedule, period {period} (per week; gap "
                f"{format_gap(result.gap)}, LP bound {lp_bound})",
            )
        )
        if out is not None:
            from channelopt.reporting._atomic import atomic_path
            from channelopt.reporting.schedule_figures import coverage_figure

            from ._common import write_frame

            fig = coverage_figure(result)
            out.mkdir(parents=True, exist_ok=True)
            shifts = result.shifts.assign(day=[result.days[d] for d in result.shifts["day"]])
            coverage = result.coverage.assign(day=[result.days[d] for d in result.coverage["day"]])
            for name, frame in (
                ("summary", summary),
                ("shifts", shifts),
                ("coverage", coverage),
                ("patterns", result.patterns),
            ):
                state.print(f"wrote {write_frame(frame, out / f'{name}.csv')}")
            with atomic_path(out / "coverage.svg") as tmp:
                fig.savefig(tmp, format="svg", metadata={"Date": None}, facecolor="white")
            state.print(f"wrote {out / 'coverage.svg'}")
