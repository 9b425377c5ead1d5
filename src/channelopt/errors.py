"""The error hierarchy of channelopt.

Every error the library raises on purpose derives from :class:`ChannelOptError`,
so a caller can catch the library's errors in one place. Messages follow one
style: what is wrong, where (the field path), the value, what was expected and,
where known, how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ChannelOptError",
    "DataError",
    "InfeasibleError",
    "Problem",
    "ScenarioError",
    "SolverError",
]


class ChannelOptError(Exception):
    """Base class of every error raised by channelopt on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario or plan document.

    Attributes
    ----------
    path : str
        Dotted path of the offending field, e.g. ``channels.chat.aht``; empty for
        the whole document.
    message : str
        What is wrong and what was expected.
    value : object
        The offending value as read from the file (``None`` when absent).
    line : int or None
        1-based line in the file, when known.
    """

    path: str
    message: str
    value: object = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<document>"
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{where}{at}: {self.message}"


class ScenarioError(ChannelOptError, ValueError):
    """A scenario or plan is invalid; carries every problem found at once.

    Parameters
    ----------
    problems : iterable of Problem or str
        The problems found. Strings are wrapped as document-level problems.
    source : str, optional
        File name or label of the document, shown in the message.
    """

    def __init__(self, problems: Iterable[Problem | str], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem("", str(p)) for p in problems
        )
        self.source = source
        head = f"{source}: " if source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def paths(self) -> tuple[str, ...]:
        """Field paths of all problems, in the order found."""
        return tuple(p.path for p in self.problems)


class InfeasibleError(ChannelOptError):
    """No plan satisfies the constraints; ``conflicts`` names the groups that clash."""

    def __init__(self, message: str, conflicts: Iterable[str] = ()) -> None:
        self.conflicts: tuple[str, ...] = tuple(conflicts)
        if self.conflicts:
            message = message + "\n" + "\n".join(f"  - {c}" for c in self.conflicts)
        super().__init__(message)


class SolverError(ChannelOptError):
    """The solver failed, is unavailable, or returned no solution."""


class DataError(ChannelOptError, ValueError):
    """Contact records or counts cannot be read; names the file, line and field.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str, optional
        The file (or ``"<DataFrame>"``) being read.
    line : int, optional
        1-based line of the file (the header is line 1).
    field : str, optional
        The column or field.
    value : object, optional
        The offending value as read.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.value = value
        where = ", ".join(
            part
            for part in (
                f"{file}" if file else "",
                f"line {line}" if line is not None else "",
                f"field {field!r}" if field else "",
            )
            if part
        )
        text = f"{where}: {message}" if where else message
        if value is not None:
            text += f" (got {value!r})"
        super().__init__(text)
