"""Short ``repr`` and ``_repr_html_`` for result objects (notebooks, consoles).

A result's ``repr`` is one line (what it is, its size, how to see more); its
HTML form adds a small table (the result's ``summary()``) for Jupyter. Kept
free of heavy imports: pandas is imported only when HTML is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["html_repr", "short_repr"]


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
