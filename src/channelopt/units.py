"""Durations and time grids.

All times inside channelopt are seconds (float). Scenario files and the command
line accept human strings such as ``"30s"``, ``"6min"``, ``"1.5h"``, ``"24h"``,
``"2d"`` or plain numbers (seconds); :func:`parse_duration` converts them.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "SECONDS_PER_DAY",
    "clock_labels",
    "format_clock",
    "format_duration",
    "interval_grid",
    "parse_clock",
    "parse_duration",
    "parse_opening_hours",
]

SECONDS_PER_DAY = 86_400.0

_UNITS = {
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}
_DURATION = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_duration(value: object) -> float:
    """Convert a duration to seconds.

    Parameters
    ----------
    value : str or float or int
        A number of seconds, or a string such as ``"30s"``, ``"6min"``,
        ``"1.5h"``, ``"24h"``, ``"2d"``. ``"inf"`` is infinity.

    Returns
    -------
    float
        The duration in seconds (may be ``inf``; never NaN).

    Raises
    ------
    ValueError
        When the value is not a number or a number followed by a known unit.

    Examples
    --------
    >>> parse_duration("6min")
    360.0
    >>> parse_duration(20)
    20.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30s' or '6min', got {value!r}")
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in {"inf", "infinity", "never"}:
            return math.inf
        m = _DURATION.match(text)
        if not m:
            raise ValueError(
                f"expected a duration such as '30s', '6min', '1.5h' or a number of seconds, "
                f"got {value!r}"
            )
        unit = m.group(2) or "s"
        if unit not in _UNITS:
            raise ValueError(
                f"unknown time unit {unit!r} in {value!r}; expected one of s, min, h, d, w"
            )
        out = float(m.group(1)) * _UNITS[unit]
    else:
        raise ValueError(
            f"expected a duration such as '30s' or '6min', got {type(value).__name__} {value!r}"
        )
    if math.isnan(out):
        raise ValueError(f"a duration cannot be NaN, got {value!r}")
    return out


def format_duration(seconds: float) -> str:
    """Format seconds as the shortest exact human string (``360.0 -> "6min"``).

    Parameters
    ----------
    seconds : float
        A duration in seconds.

    Returns
    -------
    str
        A string :func:`parse_duration` reads back to the same value.
    """
    if math.isinf(seconds):
        return "inf"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds!r}s"


def parse_clock(value: str) -> float:
    """Convert a clock time ``"HH:MM"`` to seconds after midnight (``"24:00"`` allowed).

    Parameters
    ----------
    value : str
        Clock time such as ``"08:00"``.

    Returns
    -------
    float
        Seconds after midnight, in [0, 86400].
    """
    m = _CLOCK.match(str(value))
    if not m:
        raise ValueError(f"expected a clock time 'HH:MM', got {value!r}")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"expected a clock time between 00:00 and 24:00, got {value!r}")
    return float(hours * 3600 + minutes * 60)


def format_clock(seconds: float) -> str:
    """Seconds after midnight as the clock time ``"HH:MM"`` a person reads.

    Times past midnight wrap round (``86400 -> "00:00"``); seconds are rounded
    to the nearest minute.

    Parameters
    ----------
    seconds : float
        Seconds after midnight.

    Returns
    -------
    str
        ``"HH:MM"``, the inverse of :func:`parse_clock` on whole minutes.

    Examples
    --------
    >>> format_clock(30600.0), format_clock(0), format_clock(86400 + 5400)
    ('08:30', '00:00', '01:30')
    """
    minutes = round(float(seconds) / 60.0) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clock_labels(n_intervals: int, interval_s: float) -> list[str]:
    """Clock time at which each of ``n_intervals`` intervals starts (from midnight).

    Parameters
    ----------
    n_intervals : int
        Intervals per day.
    interval_s : float
        Interval length in seconds.

    Returns
    -------
    list of str
        ``["00:00", "00:30", ...]`` for 30-minute intervals.

    Examples
    --------
    >>> clock_labels(4, 21600.0)
    ['00:00', '06:00', '12:00', '18:00']
    """
    return [format_clock(i * interval_s) for i in range(int(n_intervals))]


def parse_opening_hours(value: str) -> tuple[float, float]:
    """Convert ``"08:00-20:00"`` to (open, close) in seconds after midnight.

    Parameters
    ----------
    value : str
        Opening hours ``"HH:MM-HH:MM"``; ``"24h"`` or ``"00:00-24:00"`` for all day.
        A close before the open (``"22:00-06:00"``) means opening across midnight.

    Returns
    -------
    tuple of float
        Opening and closing time in seconds after midnight.
    """
    text = str(value).strip().lower()
    if text in {"24h", "24/7", "always"}:
        return 0.0, SECONDS_PER_DAY
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"expected opening hours 'HH:MM-HH:MM' or '24h', got {value!r}")
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if start == end and not (start == 0.0):
        raise ValueError(f"opening hours {value!r} open and close at the same time")
    return start, end


def interval_grid(interval_s: float) -> int:
    """Number of planning intervals in one day.

    Parameters
    ----------
    interval_s : float
        Interval length in seconds; must divide 24 h exactly.

    Returns
    -------
    int
        Intervals per day (48 for 30 minutes).
    """
    if not (interval_s > 0) or math.isinf(interval_s):
        raise ValueError(f"interval must be a positive duration, got {interval_s!r} s")
    n = SECONDS_PER_DAY / interval_s
    if abs(n - round(n)) > 1e-9:
        raise ValueError(
            f"interval of {interval_s:g} s does not divide a day of 86400 s; use e.g. "
            "15min, 30min or 1h"
        )
    return round(n)
