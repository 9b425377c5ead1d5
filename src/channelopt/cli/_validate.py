"""``channelopt validate FILE...``: check scenario files and summarise their channels."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ._app import app
from ._common import EXIT_BAD_INPUT, BadInputError, State, _text, guard, load, state_of

if TYPE_CHECKING:
    from rich.console import JustifyMethod

    from channelopt.scenario import Scenario

__all__: list[str] = []


def _table(scenario: Scenario, path: Path) -> Table:
    from channelopt.reporting._overview import channel_overview
    from channelopt.units import format_duration

    from ._compat import resolve_base

    r = resolve_base(scenario)
    rows = channel_overview(r)
    interval = format_duration(float(r.interval_s))
    table = Table(
        title=_text(
            f"{r.name}  ({path.name}, {len(r.pools)} pools, {r.n_intervals} x {interval} intervals)"
        ),
        title_justify="left",
        title_style="bold",
    )
    columns: list[tuple[str, JustifyMethod]] = [
        ("channel", "left"),
        ("kind", "left"),
        ("daily volume", "right"),
        ("peak / interval", "right"),
        ("peak load (Erl)", "right"),
        ("AHT", "right"),
        ("targets", "left"),
    ]
    for label, justify in columns:
        table.add_column(label, justify=justify)
    for row in rows:
        load = float(row["peak_load"])
        aht = float(row["aht_s"])
        table.add_row(
            _text(row["channel"]),
            _text(row["kind"]),
            f"{float(row['daily_volume']):,.0f}",
            f"{float(row['peak_arrivals']):,.1f}",
            "-" if math.isnan(load) else f"{load:,.1f}",
            "-" if aht <= 0 else format_duration(aht),
            _text(row["targets"]),
        )
    table.caption = (
        "external arrivals in period 0 without initiatives; "
        "hand-offs, repeats and retrials are added by 'channelopt staff'"
    )
    return table


@app.command()
def validate(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Scenario YAML files.", show_default=False, metavar="FILE"),
    ],
) -> None:
    """Validate scenario files and show each one's channels.

    Per scenario: kind, daily volume, peak arrivals per interval, offered load in
    Erlangs at the peak and the targets. Every problem of every bad file is
    listed; the exit code is 2 when any file is bad.
    """
    from channelopt.errors import ScenarioError

    state: State = state_of(ctx)
    bad = 0
    for path in files:
        try:
            with guard(state):
                try:
                    scenario = load(path)
                except ScenarioError as exc:
                    if exc.source is None:
                        exc = ScenarioError(exc.problems, source=str(path))
                    raise exc from None
                except BadInputError:
                    raise
                state.print(_table(scenario, path))
                state.print()
        except typer.Exit as stop:
            if stop.exit_code == EXIT_BAD_INPUT:
                bad += 1
                continue
            raise
    if bad:
        state.err.print(f"{bad} of {len(files)} file{'s' if len(files) != 1 else ''} invalid")
        raise typer.Exit(EXIT_BAD_INPUT)
    state.print(f"{len(files)} scenario{'s' if len(files) != 1 else ''} valid")
