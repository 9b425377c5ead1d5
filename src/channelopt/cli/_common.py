"""Shared plumbing of the ``channelopt`` command: output, errors, progress, files.

Kept free of the engines (no NumPy-heavy, Numba, SimPy or PuLP imports) so
that ``channelopt validate`` starts fast; each command imports what it needs
inside its body.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from channelopt.reporting._format import flatten_columns, format_cell

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from channelopt.scenario import Scenario

__all__ = [
    "CSV_FORMULA_PREFIXES",
    "EXIT_BAD_INPUT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "BadInputError",
    "BudgetOption",
    "ParquetOption",
    "ScenarioFile",
    "SeedOption",
    "SolverOption",
    "State",
    "TimeLimitOption",
    "frame_table",
    "guard",
    "load",
    "plain",
    "plain_table",
    "positive_seconds",
    "progress_bar",
    "protect_csv",
    "replications_option",
    "state_of",
    "time_limit_option",
    "write_frame",
]

ScenarioFile = Annotated[
    Path, typer.Argument(help="Scenario YAML file.", show_default=False, metavar="FILE")
]
#: ``--parquet``: write tables as Parquet instead of CSV
ParquetOption = Annotated[
    bool, typer.Option("--parquet", help="Write Parquet instead of CSV (needs pyarrow).")
]


def positive_seconds(value: float | None) -> float | None:
    """Option callback: a time limit in seconds must be > 0 (omitted: no limit)."""
    if value is not None and not value > 0:
        raise typer.BadParameter(
            f"must be a number of seconds > 0 (omit it for no limit); got {value}"
        )
    return value


def time_limit_option(help: str = "Solver time limit in seconds (> 0).") -> Any:
    """``--time-limit`` of every command: seconds > 0, checked before any work (exit 2)."""
    return typer.Option("--time-limit", callback=positive_seconds, help=help, show_default=False)


#: ``--time-limit`` of the solver commands
TimeLimitOption = Annotated[float | None, time_limit_option()]
#: ``--solver`` of the solver commands
SolverOption = Annotated[str, typer.Option("--solver", help="MILP solver: highs or cbc.")]
#: ``--budget`` of the planning commands
BudgetOption = Annotated[
    float | None,
    typer.Option(
        "--budget", "-b", min=0, help="Total initiative budget (default: the scenario's)."
    ),
]

#: ``--seed`` of the commands that draw random numbers
SeedOption = Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed of the random numbers.")]


def replications_option(help: str, *, min: int = 1) -> Any:
    """``--replications``/``-r`` of the simulating commands (at least ``min``)."""
    return typer.Option("--replications", "-r", min=min, help=help)


EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # the shell convention for SIGINT (128 + 2)

# Width used when stdout is not a terminal (pipes, CI logs, CliRunner) for
# lines that are not tables; tables are written as plain aligned text there
# (see plain_table), never wrapped, cut or collapsed.
_PIPE_WIDTH = 200

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP
#: "CSV injection"): such cells get a leading single quote.
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Control characters (ESC, BEL, ...) other than newline and tab: shown escaped,
# so user text cannot move the cursor, recolour the terminal or open links.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """User text made safe for a terminal: control characters shown as ``\\xNN``.

    Rich markup is not interpreted where this text is printed (it is wrapped in
    :class:`rich.text.Text` or printed with ``markup=False``).
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _text(value: object, style: str = "") -> Text:
    """A rich Text of user text: markup characters stay characters."""
    return Text(plain(value), style=style)


class BadInputError(Exception):
    """A user error found by the command line itself (bad option value, missing file)."""


@dataclass
class State:
    """Global options shared by every command (``--quiet``, ``--debug``)."""

    quiet: bool = False
    debug: bool = False
    out: Console = field(default_factory=lambda: _console(sys.stdout))
    # Error lines are not wrapped: a problem stays on one line, easy to grep.
    err: Console = field(default_factory=lambda: _console(sys.stderr, soft_wrap=True))

    @property
    def interactive(self) -> bool:
        """Whether progress bars may be drawn (a terminal and not ``--quiet``)."""
        return not self.quiet and self.out.is_terminal

    def print(self, *objects: Any, markup: bool = False, **kwargs: Any) -> None:
        """Print to stdout unless ``--quiet``.

        Strings are plain text (user names may contain ``[`` or escape
        characters) unless ``markup=True``, for messages built here. Tables
        go to a pipe or file as plain aligned text.
        """
        if self.quiet:
            return
        for obj in objects:
            if isinstance(obj, Table) and not self.out.is_terminal:
                self.out.file.write(plain_table(obj) + "\n")
                self.out.file.flush()
            elif isinstance(obj, str) and not markup:
                self.out.print(_text(obj), highlight=False, **kwargs)
            else:
                self.out.print(obj, markup=markup, highlight=False, **kwargs)
        if not objects:
            self.out.print(**kwargs)

    def warn(self, message: str, detail: object = "") -> None:
        """A yellow ``message`` (built here) and plain user ``detail`` on stderr."""
        line = Text.from_markup(message) + _text(detail)
        self.err.print(line, highlight=False)


def _console(stream: Any, *, soft_wrap: bool = False) -> Console:
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    return Console(
        file=stream,
        width=None if is_tty else _PIPE_WIDTH,
        highlight=False,
        soft_wrap=soft_wrap,
    )


def state_of(ctx: typer.Context) -> State:
    """The :class:`State` of this invocation (created on first use)."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


@contextlib.contextmanager
def guard(state: State) -> Iterator[None]:
    """Map exceptions to exit codes and messages without tracebacks.

    ``ScenarioError``, :class:`BadInputError`, missing files and other ``ValueError``
    from the user's options are bad input (exit 2, every problem listed);
    ``KeyboardInterrupt`` exits 130; anything else exits 1. ``--debug`` adds
    the traceback.
    """
    from channelopt.errors import ChannelOptError, ScenarioError
    from channelopt.reporting._atomic import OutputPathError

    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        state.err.print("[yellow]interrupted[/]; no partial files were written")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except ScenarioError as exc:
        _report(state, exc, "invalid input")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (
        BadInputError,
        OutputPathError,
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
    ) as exc:
        _report(state, exc, "bad input")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ChannelOptError as exc:
        # errors of the library that are the user's to fix (an unreachable scheduler
        # address, ...) say so with a class attribute ``bad_input = True``
        bad = bool(getattr(exc, "bad_input", False))
        _report(state, exc, "bad input" if bad else type(exc).__name__)
        raise typer.Exit(EXIT_BAD_INPUT if bad else EXIT_FAILURE) from None
    except Exception as exc:
        _report(state, exc, f"unexpected error ({type(exc).__name__})")
        if not state.debug:
            state.err.print("run again with [bold]--debug[/] for the traceback")
        raise typer.Exit(EXIT_FAILURE) from None


def _report(state: State, exc: BaseException, label: str) -> None:
    if state.debug:
        state.err.print(
            "".join(traceback.format_exception(exc)), markup=False, highlight=False, end=""
        )
    text = str(exc)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"no such file: {exc.filename}"
    state.err.print(Text("error", style="bold red") + _text(f" ({label}): {text}"))


def load(path: Path | str) -> Scenario:
    """Load and validate a scenario file; errors propagate to :func:`guard`."""
    from channelopt.scenario import load_scenario

    p = Path(path)
    if not p.exists():
        raise BadInputError(f"scenario file {str(p)!r} does not exist")
    if p.is_dir():
        raise BadInputError(f"scenario file {str(p)!r} is a directory; expected a YAML file")
    return load_scenario(p)


ProgressCallback = Callable[..., None]


@contextlib.contextmanager
def progress_bar(state: State, description: str) -> Iterator[ProgressCallback | None]:
    """A rich progress bar as a ``progress=`` callback, or ``None`` when not interactive.

    The callback accepts the shapes the engines use: ``progress(done, total)``
    with counts, ``progress(fraction)`` with a float in [0, 1], and an optional
    ``message=`` / string argument that replaces the description.
    """
    if not state.interactive:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=state.out,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def callback(*args: Any, **kwargs: Any) -> None:
            numbers = [a for a in args if isinstance(a, int | float) and not isinstance(a, bool)]
            texts = [a for a in args if isinstance(a, str)]
            message = kwargs.get("message") or (texts[0] if texts else None)
            done = kwargs.get("done", numbers[0] if numbers else None)
            total = kwargs.get("total", numbers[1] if len(numbers) > 1 else None)
            update: dict[str, Any] = {}
            if message:
                update["description"] = f"{description}: {message}"
            if done is not None and total is None and isinstance(done, float) and done <= 1.0:
                update.update(completed=done * 100.0, total=100.0)
            elif done is not None:
                update["completed"] = done
                if total is not None:
                    update["total"] = total
            bar.update(task, **update)

        yield callback


def write_frame(frame: pd.DataFrame, path: Path, *, parquet: bool = False) -> Path:
    """Write a table as CSV (or Parquet) atomically; returns the path written.

    Text cells starting with ``= + - @`` (or tab, CR) get a leading single
    quote in CSV so that a spreadsheet shows them instead of running them
    (OWASP CSV injection). With ``parquet=True`` the suffix becomes
    ``.parquet``; pyarrow must be installed (a :class:`BadInputError` says how to get it otherwise).
    """
    from channelopt.reporting._atomic import atomic_path

    if parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise BadInputError(
                "--parquet needs pyarrow; install it with 'pip install pyarrow' or write CSV"
            ) from None
        path = path.with_suffix(".parquet")
        with atomic_path(path) as tmp:
            _flatten_for_files(frame).to_parquet(tmp, index=False)
    else:
        with atomic_path(path) as tmp:
            _protect_frame(_flatten_for_files(frame)).to_csv(tmp, index=False)
    return path


def protect_csv(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, tab or
    CR gets a leading single quote (OWASP); other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES):
        return "'" + value
    return value


def _protect_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and column names cannot start a spreadsheet formula."""
    out = frame.copy()
    out.columns = [protect_csv(str(c)) for c in out.columns]
    for col in out.columns:
        kind = out[col].dtype.kind
        if kind not in "biufcmM":  # text of any dtype (object, str, string, category)
            out[col] = out[col].astype(object).map(protect_csv)
    return out


def _flatten_for_files(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with a plain index and tuple/list cells turned into text."""
    out = frame.reset_index() if _has_meaningful_index(frame) else frame.copy()
    if hasattr(out.columns, "levels"):
        out.columns = flatten_columns(out.columns)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: " > ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


def _has_meaningful_index(frame: pd.DataFrame) -> bool:
    import pandas as pd

    idx = frame.index
    if isinstance(idx, pd.RangeIndex) and idx.name is None:
        return False
    return not (idx.names == [None] and idx.dtype.kind == "i" and idx.is_monotonic_increasing)


def frame_table(
    frame: pd.DataFrame,
    title: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int = 60,
    labels: Mapping[str, str] | None = None,
) -> Table:
    """A rich table of a DataFrame with readable numbers (percentages for fractions).

    The index is shown when it carries names (e.g. ``channel``).
    """
    import pandas as pd

    data = frame.reset_index() if _has_meaningful_index(frame) else frame
    if hasattr(data.columns, "levels"):
        data = data.copy()
        data.columns = flatten_columns(data.columns)
    cols = [c for c in (columns or list(data.columns)) if c in data.columns]
    table = Table(
        title=_text(title) if title is not None else None,
        title_justify="left",
        title_style="bold",
    )
    labels = labels or {}
    shown = data.head(max_rows)
    cells = [[format_cell(v, str(c)) for v in shown[c]] for c in cols]
    for c, texts in zip(cols, cells, strict=True):
        numeric = pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
        # Values never wrap or truncate (a cut number misleads); long headers wrap instead.
        header = labels.get(c, str(c).replace("_", " "))
        words = header.split()
        width = max([len(t) for t in texts] + [len(w) for w in words] + [1])
        # Stack a header's words when they are wider than the values.
        if len(header) > width:
            lines, line = [], ""
            for w in words:
                if line and len(line) + 1 + len(w) > width:
                    lines.append(line)
                    line = w
                else:
                    line = f"{line} {w}".strip()
            header = "\n".join([*lines, line])
        table.add_column(
            _text(header), justify="right" if numeric else "left", no_wrap=True, min_width=width
        )
    for i in range(len(shown)):
        table.add_row(*(_text(texts[i]) for texts in cells))
    if len(data) > max_rows:
        table.caption = f"{len(data) - max_rows} more rows not shown (see the CSV output)"
    return table


def plain_table(table: Table) -> str:
    """A rich table as plain aligned text: for pipes, files and logs.

    Every cell is written whole (no cutting, no wrapping, no box drawing);
    columns are separated by two spaces, numbers right-aligned, headers on one
    line. The title comes first and the caption last.
    """

    def cell(value: object) -> str:
        text = value.plain if isinstance(value, Text) else str(value)
        return plain(" ".join(text.split("\n")))

    columns = [
        (cell(c.header), [cell(v) for v in c._cells], c.justify == "right") for c in table.columns
    ]
    widths = [max([len(h), *(len(v) for v in values)]) for h, values, _ in columns]

    def line(texts: Sequence[str]) -> str:
        parts = [
            t.rjust(w) if right else t.ljust(w)
            for t, w, (_, _, right) in zip(texts, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = []
    if table.title:
        out.append(cell(table.title))
    out.append(line([h for h, _, _ in columns]))
    out.append(line(["-" * w for w in widths]))
    rows = len(columns[0][1]) if columns else 0
    out.extend(line([values[i] for _, values, _ in columns]) for i in range(rows))
    if table.caption:
        out.append(cell(table.caption))
    return "\n".join(out)


def env_single_thread() -> None:
    """Keep Numba single-threaded in worker processes (see DESIGN.md, Randomness)."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
