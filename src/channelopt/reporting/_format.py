"""Number formatting shared by the HTML report and the command line's tables.

Light on imports (no matplotlib, no engines) so the command line can use it
without slowing ``channelopt validate`` down.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["flatten_columns", "format_cell", "format_gap", "format_money", "is_fraction_column"]

# Columns holding fractions in [0, 1], shown as percentages. Matched on whole
# words of the column name so that counts such as ``answered_within_target``
# stay counts.
_FRACTION = re.compile(
    r"(^|_)(service_level|abandonment|occupancy|probability|share|fraction|containment|"
    r"resolution|utilisation|utilization|within_deadline|within_target_fraction)"
    r"(_(low|high|mean|lo|hi|ci_low|ci_high))?$"
)


def is_fraction_column(name: str) -> bool:
    """Whether a column named ``name`` holds fractions (shown as percentages)."""
    return bool(_FRACTION.search(str(name).lower()))


def format_money(value: float) -> str:
    """Compact money: ``1,234,567 -> "1.23m"``, ``25,000 -> "25k"``."""
    a = abs(value)
    if math.isnan(value):
        return ""
    if a >= 1e9:
        return f"{value / 1e9:,.2f}bn"
    if a >= 1e6:
        return f"{value / 1e6:,.2f}m"
    if a >= 1e4:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"


def format_gap(gap: float) -> str:
    """An optimality gap as a percentage, ``"unknown"`` when it is nan.

    A schedule whose pricing stopped before the LP bound converged has no
    bound and so no gap (``Schedule.gap`` is nan): ``f"{nan:.2%}"`` would
    print ``"nan%"``.

    Parameters
    ----------
    gap : float
        Relative gap (a fraction), or nan.

    Returns
    -------
    str
        ``"0.52%"`` or ``"unknown"``.
    """
    return "unknown" if math.isnan(gap) else f"{gap:.2%}"


def _python(value: Any) -> Any:
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        return item()
    return value


def format_cell(value: Any, column: str = "") -> str:
    """Human text for one table cell, guided by the column name.

    Fractions (see :func:`is_fraction_column`) become percentages; large
    numbers get thousands separators and fewer decimals; NaN is empty;
    sequences are joined with ``" > "`` (journeys); booleans are yes/no.
    """
    value = _python(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if is_fraction_column(column) and -1.0 <= value <= 1.0:
            return f"{value:.1%}"
        a = abs(value)
        if a >= 1000 or value == int(value):
            return f"{value:,.0f}"
        if a >= 100:
            return f"{value:,.1f}"
        return f"{value:,.2f}" if a >= 0.1 else f"{value:.3g}"
    if isinstance(value, list | tuple):
        return " > ".join(map(str, value))
    return str(value)


def flatten_columns(columns: Any) -> list[str]:
    """Column labels as plain strings (MultiIndex tuples joined with spaces)."""
    return [
        " ".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c) for c in columns
    ]
