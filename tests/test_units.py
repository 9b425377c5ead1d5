"""Durations, clock times and interval grids (channelopt.units)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelopt.units import (
    format_duration,
    interval_grid,
    parse_clock,
    parse_duration,
    parse_opening_hours,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("6min", 360.0),
        ("1.5h", 5400.0),
        ("24h", 86400.0),
        ("2d", 172800.0),
        ("90", 90.0),
        (45, 45.0),
        (2.5, 2.5),
        (" 10 min ", 600.0),
        ("inf", math.inf),
    ],
)
def test_parse_duration_accepts_numbers_and_units(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["6 parsecs", "min", "", "1h30", True, None, [1], float("nan")])
def test_parse_duration_rejects_with_the_value_in_the_message(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(bad)
    assert repr(bad) in str(info.value) or type(bad).__name__ in str(info.value)


@given(st.integers(min_value=1, max_value=10**7))
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(float(seconds))) == seconds


def test_clock_and_opening_hours() -> None:
    assert parse_clock("08:00") == 8 * 3600
    assert parse_clock("24:00") == 86400
    assert parse_opening_hours("08:00-20:00") == (28800.0, 72000.0)
    assert parse_opening_hours("24h") == (0.0, 86400.0)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock("8h")
    with pytest.raises(ValueError, match="24:30"):
        parse_clock("24:30")


def test_interval_grid() -> None:
    assert interval_grid(1800.0) == 48
    assert interval_grid(900.0) == 96
    with pytest.raises(ValueError, match="does not divide"):
        interval_grid(7 * 60.0)
    with pytest.raises(ValueError, match="positive"):
        interval_grid(0.0)
