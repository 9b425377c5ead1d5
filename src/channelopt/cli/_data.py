"""Commands on contact records: ``inventory``, ``calibrate``, ``forecast`` (docs/data.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from ._common import BadInputError, State, frame_table, guard, progress_bar, state_of, write_frame

RecordsArg = Annotated[
    Path,
    typer.Argument(
        help="Contact records: a CSV (.csv/.csv.gz), Parquet file, or a folder of Anonymous "
        "Bank files.",
        show_default=False,
        metavar="RECORDS",
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="csv, parquet, anonymous_bank or us_bank (counts; forecast only). "
        "Default: from the name (a folder or .txt[.gz] is anonymous_bank).",
        show_default=False,
    ),
]
MappingOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Column mapping CANONICAL=COLUMN, e.g. --map arrival=start_time (repeatable).",
        show_default=False,
    ),
]
ChannelsOption = Annotated[
    str | None,
    typer.Option(
        "--channels",
        help="Record type -> channel, e.g. PS=retail,NW=sales (types not listed are left out).",
        show_default=False,
    ),
]
DaysOption = Annotated[
    str | None,
    typer.Option("--days", help="Weekdays to use, e.g. sun,mon,tue,wed,thu.", show_default=False),
]
TzOption = Annotated[str, typer.Option("--tz", help="Time zone of naive times in the file.")]


def _pairs(items: list[str] | str | None, what: str) -> dict[str, str] | None:
    if not items:
        return None
    parts = items.split(",") if isinstance(items, str) else items
    out: dict[str, str] = {}
    for p in parts:
        key, sep, value = p.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInputError(f"{what} expects KEY=VALUE pairs; got {p!r}")
        out[key.strip()] = value.strip()
    return out


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    name = path.name.lower()
    if path.is_dir() or name.endswith((".txt", ".txt.gz")):
        return "anonymous_bank"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv"


@contextlib.contextmanager
def _bad_data() -> Iterator[None]:
    """A DataError is bad input (exit 2) naming file, line and field."""
    from channelopt.errors import DataError

    try:
        yield
    except DataError as exc:
        raise BadInputError(str(exc)) from None


def _read(state: State, path: Path, fmt: str | None, mapping: Any, tz: str) -> Any:
    from channelopt.data import read_contacts, read_counts

    kind = _format_of(path, fmt)
    if not path.exists():
        raise BadInputError(f"records {str(path)!r} do not exist")
    with progress_bar(state, f"reading {path.name}") as progress, _bad_data():
        if kind == "us_bank":
            return read_counts(path, progress=progress)
        if kind not in ("csv", "parquet", "anonymous_bank"):
            raise BadInputError(
                f"--format {kind!r} is not known; expected csv, parquet, anonymous_bank or us_bank"
            )
        return read_contacts(
            path, mapping=_pairs(mapping, "--map"), format=kind, tz=tz, progress=progress
        )


def _days(days: str | None) -> list[str] | None:
    if not days:
        return None
    out = [d.strip().lower()[:3] for d in days.split(",") if d.strip()]
    bad = [d for d in out if d not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    if bad:
        raise BadInputError(f"--days expects weekday names (mon..sun); got {', '.join(bad)}")
    return out


@app.command()
def inventory(
    ctx: typer.Context,
    records: RecordsArg,
    fmt: FormatOption = None,
    mapping: MappingOption = None,
    tz: TzOption = "UTC",
    within: Annotated[str, typer.Option("--within", help="Service-level threshold.")] = "20s",
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario", help="Compare with this scenario's targets.", show_default=False
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Folder for channels.csv, weekdays.csv, intervals.csv, gaps.csv and quality.csv.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """How customers contact the centre: volumes, service, handle time, repeats per channel."""
    state: State = state_of(ctx)
    with guard(state):
        from channelopt.data import inventory as run_inventory

        rec = _read(state, records, fmt, mapping, tz)
        if not hasattr(rec, "frame"):
            raise BadInputError("inventory needs contact records, not interval counts")
        sc = None
        if scenario is not None:
            from ._common import load

            sc = load(scenario)
        inv = run_inventory(rec, sc, within=within)
        state.print(frame_table(rec.quality.drop(columns="examples"), f"{rec!r}: quality"))
        cols = ["channel", "contacts", "contacts_per_day", "share", "service_level", "abandonment",
                "average_wait_s", "aht_s", "transfer_rate", "repeat_rate"]  # fmt: skip
        state.print(frame_table(inv.summary(), "channels", columns=cols))
        if len(inv.gaps):
            state.print(frame_table(inv.gaps, "gaps to the scenario's targets"))
        if csv is not None:
            csv.mkdir(parents=True, exist_ok=True)
            for name, t in (("channels", inv.channels), ("weekdays", inv.weekdays),
                            ("intervals", inv.intervals), ("gaps", inv.gaps),
                            ("quality", rec.quality)):  # fmt: skip
                write_frame(t, csv / f"{name}.csv")
            state.print(f"tables written to {csv}")


@app.command()
def calibrate(
    ctx: typer.Context,
    records: RecordsArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Scenario YAML to write.", show_default=False)
    ],
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Folder for the fit report (CSV tables and calibration.md).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = None,
    mapping: MappingOption = None,
    tz: TzOption = "UTC",
    interval: Annotated[str, typer.Option("--interval", help="Planning interval.")] = "30min",
    channels: ChannelsOption = None,
    days: DaysOption = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First date to fit (YYYY-MM-DD).", show_default=False),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--until", help="Fit dates before this one (YYYY-MM-DD).", show_default=False),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Scenario name.")] = None,
    priority: Annotated[
        str | None,
        typer.Option(
            "--priority",
            help="Priority classes as channels of their own with a head start: 'auto' (the "
            "head start the reader documents) or VALUE=DURATION pairs, e.g. '2=90s'.",
            show_default=False,
        ),
    ] = None,
    repeats: Annotated[
        bool, typer.Option("--repeats/--no-repeats", help="Write repeats into the scenario.")
    ] = True,
    self_service: Annotated[
        bool,
        typer.Option(
            "--self-service/--no-self-service",
            help="A self-service front where contacts ended there (the bank's VRU-only calls).",
        ),
    ] = True,
) -> None:
    """Fit a scenario to the records: volumes, profiles, handle times, patience, pools."""
    state: State = state_of(ctx)
    with guard(state):
        from channelopt.data import calibrate as run_calibrate

        rec = _read(state, records, fmt, mapping, tz)
        if not hasattr(rec, "frame"):
            raise BadInputError("calibrate needs contact records, not interval counts")
        if start or end:
            rec = rec.between(start or "1900-01-01", end or "2200-01-01")
        classes = _priority(priority)
        with progress_bar(state, "calibrating") as progress, _bad_data():
            cal = run_calibrate(
                rec, interval, _pairs(channels, "--channels"), days=_days(days), name=name,
                priority=classes, repeats=repeats,
                self_service="auto" if self_service else False,
                progress=progress, return_report=True,
            )  # fmt: skip
        output.parent.mkdir(parents=True, exist_ok=True)
        cal.scenario.save(output)
        state.print(frame_table(cal.patience, "patience"))
        state.print(
            frame_table(cal.handle_time[cal.handle_time["chosen"]], "handle time (chosen family)")
        )
        if report is not None:
            cal.save(report)
            state.print(f"fit report written to {report}")
        state.print(f"scenario written to {output}")


def _priority(text: str | None) -> str | dict[int, str] | None:
    """``--priority``: None, 'auto' or VALUE=DURATION pairs (checked here: exit 2)."""
    if text is None or text == "auto":
        return text
    from channelopt.units import parse_duration

    out: dict[int, str] = {}
    for value, head in (_pairs(text, "--priority") or {}).items():
        try:
            seconds = parse_duration(head)
            out[int(value)] = head
        except ValueError:
            seconds = -1.0
        if not 0 < seconds < float("inf"):
            raise BadInputError(
                "--priority: expected 'auto' or VALUE=DURATION pairs with a positive head "
                f"start, such as '2=90s'; got {value}={head}"
            )
    return out


@app.command()
def forecast(
    ctx: typer.Context,
    records: RecordsArg,
    horizon: Annotated[str, typer.Option("--horizon", help="Time after the last day.")] = "4w",
    fmt: FormatOption = None,
    mapping: MappingOption = None,
    tz: TzOption = "UTC",
    channels: ChannelsOption = None,
    days: DaysOption = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Use records before this date only (YYYY-MM-DD).", show_default=False
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Write the daily forecast to this CSV file.", show_default=False
        ),
    ] = None,
) -> None:
    """Daily volumes with prediction intervals beside a seasonal-naive baseline."""
    state: State = state_of(ctx)
    with guard(state):
        import pandas as pd

        from channelopt.data import forecast as run_forecast

        data = _read(state, records, fmt, mapping, tz)
        if until:
            if hasattr(data, "frame"):
                data = data.between("1900-01-01", until)
            else:
                cut = pd.Timestamp(until)
                start = data["start"].dt.tz_localize(None)
                data = data[start < cut]
        with progress_bar(state, "forecasting") as progress, _bad_data():
            fc = run_forecast(
                data, horizon, days=_days(days), channels=_pairs(channels, "--channels"),
                progress=progress,
            )  # fmt: skip
        state.print(frame_table(fc.daily, f"forecast: {fc.method}"))
        if csv is not None:
            write_frame(fc.daily, csv)
            state.print(f"daily forecast written to {csv}")
