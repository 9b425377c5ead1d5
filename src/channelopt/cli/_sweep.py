"""``channelopt sweep``: what-if grids on local processes or a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from ._common import (
    BadInputError,
    ParquetOption,
    ScenarioFile,
    State,
    frame_table,
    guard,
    load,
    progress_bar,
    state_of,
)

__all__ = ["check_grid", "parse_set"]

_MODES = ("staff", "simulate", "evaluate", "optimize")


def _value(text: str, option: str) -> Any:
    text = text.strip()
    if not text:
        raise BadInputError(f"--set {option!r}: empty value in the list; expected v1,v2,...")
    try:
        number = float(text)
    except ValueError:
        return text  # durations such as 5min, names
    return int(number) if number.is_integer() and "." not in text and "e" not in text else number


def parse_set(options: list[str]) -> dict[str, list[Any]]:
    """Turn ``--set`` options into a sweep grid ``{path: [change, ...]}``.

    ``path=v1,v2`` multiplies the field by each number; ``path:=v1,v2``
    replaces it by each value (numbers, or text such as ``5min``).

    Examples
    --------
    >>> parse_set(["channels.chat.volume=0.9,1.2", "pools.team.agents:=100,120"])
    {'channels.chat.volume': [0.9, 1.2], 'pools.team.agents': [{'set': 100}, {'set': 120}]}
    """
    grid: dict[str, list[Any]] = {}
    for option in options:
        if ":=" in option:
            path, _, values = option.partition(":=")
            replace = True
        elif "=" in option:
            path, _, values = option.partition("=")
            replace = False
        else:
            raise BadInputError(
                f"--set {option!r}: expected path=v1,v2 (multiply) or path:=v1,v2 (replace), "
                "e.g. channels.chat.volume=0.9,1.2"
            )
        path = path.strip()
        if not path:
            raise BadInputError(f"--set {option!r}: the field path before '=' is empty")
        if path in grid:
            raise BadInputError(f"--set: the path {path!r} is given twice; list its values once")
        parsed = [_value(v, option) for v in values.split(",")]
        if replace:
            grid[path] = [{"set": v} for v in parsed]
        else:
            bad = [v for v in parsed if not isinstance(v, int | float)]
            if bad:
                raise BadInputError(
                    f"--set {option!r}: multipliers must be numbers, got {bad[0]!r}; "
                    f"use {path}:={values} to replace the value instead"
                )
            grid[path] = parsed
    return grid


def check_grid(scenario: Any, grid: dict[str, list[Any]]) -> None:
    """Bad input unless every value of every axis gives a valid scenario.

    Each change is applied alone (``Scenario.with_changes``), so a misspelt
    path fails here with the loader's "did you mean", and a value the
    scenario cannot take (agents above ``max_agents``) names its axis, before
    any case runs.
    """
    from channelopt.errors import Problem, ScenarioError

    for path, values in grid.items():
        for value in values:
            try:
                scenario.with_changes({path: value})
            except ScenarioError as exc:
                shown = value["set"] if isinstance(value, dict) else value
                op = ":=" if isinstance(value, dict) else "="
                hint = _did_you_mean(scenario, path)
                problems = [*exc.problems, *([Problem(path, hint)] if hint else [])]
                raise ScenarioError(problems, f"--set {path}{op}{shown}") from None


def _did_you_mean(scenario: Any, path: str) -> str | None:
    """``did you mean 'channels.chat.volume'?`` for a path with a misspelt part."""
    import difflib

    node: Any = scenario.to_document(human=False)
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            return None
        if part in node:
            node = node[part]
            continue
        keys = [str(k) for k in node]
        if i == len(parts) - 1 and ".".join(parts[:2]) and parts[0] in ("channels", "pools"):
            # fields left at their default are not in the document: offer the model's names
            keys += _model_fields(parts[0])
        close = difflib.get_close_matches(part, sorted(set(keys)), n=1, cutoff=0.6)
        if not close:
            return None
        return f"did you mean {'.'.join([*parts[:i], close[0], *parts[i + 1 :]])!r}?"
    return None


def _model_fields(section: str) -> list[str]:
    from channelopt.scenario import models

    model = {"channels": "Channel", "pools": "Pool"}.get(section)
    cls = getattr(models, model or "", None)
    fields = getattr(cls, "model_fields", {})
    return [str(getattr(f, "alias", None) or n) for n, f in fields.items()]


@app.command()
def sweep(
    ctx: typer.Context,
    file: ScenarioFile,
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A grid axis: path=v1,v2 multiplies the field, path:=v1,v2 replaces it. "
            "Repeat for more axes; every combination is a case.",
            show_default=False,
        ),
    ],
    evaluate: Annotated[
        str, typer.Option("--evaluate", "-e", help="staff, simulate, evaluate or optimize.")
    ] = "staff",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (tcp://host:8786); default: local processes.",
            show_default=False,
        ),
    ] = None,
    serial: Annotated[bool, typer.Option("--serial", help="Run in this process.")] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=1, help="Local worker processes.")
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Replications (simulate).")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Root seed.")] = 0,
    period: Annotated[int, typer.Option("--period", "-p", help="Period (staff, simulate).")] = 0,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="Plan in force (staff, simulate) or evaluated (evaluate)."),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the sweep table to this CSV file.", show_default=False),
    ] = None,
    parquet: ParquetOption = False,
    allow_failures: Annotated[
        bool,
        typer.Option(
            "--allow-failures",
            help="Exit 0 even when some cases failed (default: exit 1 after writing the table).",
        ),
    ] = False,
) -> None:
    """Run one engine over a grid of scenario changes; one row per case (x channel).

    A failing case records its error in its row and the others finish; the
    table is written and the command exits 1 when any case failed (0 with
    --allow-failures). Ctrl-C keeps the finished rows (written to --csv) and
    exits 130.
    """
    state: State = state_of(ctx)
    with guard(state):
        if evaluate not in _MODES:
            raise BadInputError(f"--evaluate must be one of {', '.join(_MODES)}; got {evaluate!r}")
        if scheduler is not None and serial:
            raise BadInputError("--scheduler and --serial exclude each other; choose one")
        if scheduler is not None and "://" not in scheduler:
            raise BadInputError(
                f"--scheduler must be a Dask scheduler address such as tcp://host:8786; "
                f"got {scheduler!r}"
            )
        grid = parse_set(set_)
        scenario = load(file)
        check_grid(scenario, grid)
        plan = None
        if plan_file is not None:
            from ._compat import load_plan

            plan = load_plan(plan_file, scenario)
        executor: Any = scheduler or ("serial" if serial else "processes")
        from channelopt.whatif import sweep as run_sweep

        n_cases = 1
        for values in grid.values():
            n_cases *= len(values)
        options: dict[str, Any] = {"replications": replications, "period": period, "plan": plan}
        if workers is not None and executor == "processes":
            options["max_workers"] = workers
        with progress_bar(state, f"sweeping {n_cases} cases ({evaluate})") as progress:
            table = run_sweep(
                scenario,
                grid,
                evaluate=evaluate,
                executor=executor,
                seed=seed,
                progress=progress,
                **options,
            )
        shown = [c for c in table.columns if c not in _PROVENANCE]
        state.print(frame_table(table, f"{scenario.name}: sweep ({evaluate})", columns=shown))
        failed = int((table.get("status") == "error").sum()) if "status" in table else 0
        if failed:
            state.print(
                f"[yellow]{failed} case row(s) failed[/]; see the error column", markup=True
            )
        if csv is not None:
            from ._common import write_frame

            state.print(f"wrote {write_frame(table, csv, parquet=parquet)}")
        if table.attrs.get("interrupted"):
            state.err.print("[yellow]interrupted[/]: the table holds the cases finished so far")
            raise typer.Exit(130)
        if failed and not allow_failures:
            # A sweep with lost or failed cases is not a success (scripts and CI
            # must notice); the table with the error rows is written above.
            cases = table.attrs.get("failed_cases", failed)
            state.err.print(
                f"error: {cases} of {table['case'].nunique()} cases failed (see the error "
                "column); exit 1 (--allow-failures to exit 0)",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(1)


_PROVENANCE = ("scenario", "content_hash", "channelopt_version", "seed", "case_seed", "changes")
