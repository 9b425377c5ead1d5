"""The typer application and its global options."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import State

__all__ = ["app"]

app = typer.Typer(
    name="channelopt",
    help=(
        "Plan an omni-channel contact centre as one system: staffing per interval, "
        "journey simulation and the initiative portfolio.\n\n"
        "Exit codes: 0 success, 2 bad input (invalid scenario or plan, bad option, "
        "missing file), 1 any other failure, 130 interrupted."
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from ..provenance import VERSION

        typer.echo(f"channelopt {VERSION}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print nothing but errors; no tables, no progress bars."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Show the channelopt version and exit.",
        ),
    ] = False,
) -> None:
    """Global options (before the command): --quiet, --debug, --version."""
    ctx.obj = State(quiet=quiet, debug=debug)
