"""Short ``repr`` and ``_repr_html_`` for result objects, and the progress signature.

A result's ``repr`` is one line (what it is, its size, how to see more); its
HTML form adds a small table (the result's ``summary()``) for Jupyter. Kept
free of heavy imports: pandas is imported only when HTML is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ProgressCallback", "html_repr", "progress_caller", "short_repr"]


def short_repr(kind: str, facts: Mapping[str, object], see: str = "") -> str:
    """``<Kind key=value, ...; see .summary()>`` on one line.

    Parameters
    ----------
    kind : str
        Class name.
    facts : mapping
        A few labelled facts (scenario, period, sizes, headline numbers).
    see : str
        Where the data is, e.g. ``".summary(), .intervals"``.
    """
    body = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in facts.items())
    tail = f"; see {see}" if see else ""
    return f"<{kind} {body}{tail}>"


def html_repr(kind: str, facts: Mapping[str, object], table: Any = None, max_rows: int = 12) -> str:
    """A heading with the facts and, optionally, the first rows of ``table`` (a DataFrame)."""
    items = "".join(
        f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in facts.items()
    )
    out = [f"<div><strong>{html.escape(kind)}</strong><ul>{items}</ul>"]
    if table is not None:
        # DataFrame.to_html escapes cell text (names come from user files).
        out.append(table.to_html(max_rows=max_rows, escape=True, float_format=_num))
    out.append("</div>")
    return "".join(out)


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


#: ``progress(done, total, message)``: ``done`` of ``total`` steps (counts), and
#: what is being done; the one progress signature of every engine.
ProgressCallback = Callable[[int, int, str], object]


def progress_caller(progress: Callable[..., object] | None) -> Callable[[int, int, str], None]:
    """A function ``(done, total, message)`` that calls ``progress`` the documented way.

    Every engine reports ``progress(done, total, message)``. A callback that
    takes only two positional arguments (the signature of channelopt 0.1,
    ``progress(done, total)``) is still called with two. ``None`` gives a
    function that does nothing.
    """
    if progress is None:
        return _nothing
    if _positional(progress) >= 3:
        return lambda done, total, message: _call(progress, done, total, message)
    return lambda done, total, message: _call(progress, done, total)


def _call(progress: Callable[..., object], *args: object) -> None:
    progress(*args)


def _nothing(done: int, total: int, message: str) -> None:
    return None


def _positional(fn: Callable[..., object]) -> int:
    """How many positional arguments ``fn`` accepts (a large number for ``*args``)."""
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: assume the new form
        return 3
    n = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return 99
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n
