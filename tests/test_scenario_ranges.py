"""Plausible ranges: every numeric field refuses absurd values with its path and range."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelopt.errors import ScenarioError
from channelopt.scenario import load_scenario
from conftest import make_minimal_doc
from test_scenario_round2 import full_doc

HUGE_INT = 10**400  # 401 digits


def rich_doc() -> dict[str, Any]:
    """A valid document with a value in (nearly) every numeric field."""
    doc = full_doc()
    doc["periods"].update(days=20, hours_per_fte=150)
    doc["economics"] = {"value_per_lost_contact": 1, "value_per_repeat": 1, "discount_rate": 0.05}
    doc["experience"] = {
        "wait_minute": 1,
        "handoff": 1,
        "repeat": 1,
        "abandoned": 1,
        "value_per_point": 1,
    }
    doc["budget"] = {"total": 10, "per_period": [1, 1, 1]}
    doc["initiatives"]["crm"]["value_per_period"] = 5
    doc["pools"]["voice_team"].update(
        agents=5, max_agents=10, cost_per_hour=3, shrinkage=0.2, hires_per_period=2, attrition=0.1
    )
    doc["channels"]["chat"]["concurrency_stretch"] = 0.2
    doc["channels"]["voice"]["forecast_error"] = 0.1
    return doc


def numeric_paths(d: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every number and duration string in a document."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield from numeric_paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from numeric_paths(v, (*prefix, i))
    else:
        number = isinstance(d, int | float) and not isinstance(d, bool)
        duration = isinstance(d, str) and d[:1].isdigit() and d[-1:] in "snhd"  # "5min", "1h"
        if number or duration:
            yield prefix


def with_value(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


def dotted(path: tuple[Any, ...]) -> str:
    return ".".join(map(str, path))


PATHS = list(numeric_paths(rich_doc()))


def test_the_rich_document_is_valid_and_covers_every_class():
    load_scenario(rich_doc())
    names = {dotted(p) for p in PATHS}
    for field in (
        "channels.voice.volume",  # volume
        "pools.voice_team.agents",  # agents
        "channels.voice.aht",  # duration
        "periods.count",  # count
        "channels.voice.resolution",  # probability
        "budget.total",  # money
        "initiatives.crm.effects.0.aht",  # multiplier
        "channels.chat.handle_time.cv",  # cv
    ):
        assert field in names


@pytest.mark.parametrize("value", [HUGE_INT, -HUGE_INT, 1e308, -1e308])
def test_huge_values_in_every_numeric_field_name_the_field(value):
    for path in PATHS:
        with pytest.raises(ScenarioError) as info:
            load_scenario(with_value(rich_doc(), path, value))
        paths = [p.path for p in info.value.problems]
        assert dotted(path) in paths, (dotted(path), paths)


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("channels.voice.volume", 1e308, "expected contacts in [0, 1e8], got 1e+308"),
        ("channels.voice.volume", HUGE_INT, "401 digits"),
        ("pools.voice_team.agents", 10**8, "a whole number of agents in [0, 1e7]"),
        ("pools.voice_team.hires_per_period", 1e9, "FTE in [0, 1e7]"),
        ("channels.voice.aht", 1e-320, "between 1ms and 365d"),
        ("channels.voice.aht", "400d", "between 1ms and 365d"),
        ("channels.voice.wrap_up", 1e-320, "0 or between 1ms and 365d"),
        ("channels.chat.patience", 1e-320, "between 1ms and 365d"),
        ("interval", 1e-320, "at least 1min"),
        ("periods.count", 1e308, "a whole number of periods in [1, 10000]"),
        ("periods.count", HUGE_INT, "401 digits"),
        ("initiatives.crm.lead_time", 20_000, "a whole number of periods in [0, 10000]"),
        ("channels.chat.concurrency", 5000, "a whole number of contacts in [1, 1000]"),
        ("channels.voice.lines", 10**8, "lines in [1, 1e7]"),
        ("channels.voice.resolution", 1e308, "probability in [0, 1]"),
        ("budget.total", 1e16, "an amount of money in [0, 1e15]"),
        ("initiatives.crm.value_per_period", -1e16, "in [-1e15, 1e15]"),
        ("economics.discount_rate", 50, "an annual rate (1 = 100 %) in [0, 10]"),
        ("initiatives.crm.effects.0.aht", 1e-320, "a multiplier (1 = no change) in [1e-6, 1e6]"),
        ("periods.growth.chat.1", 1e7, "a growth factor in [1e-6, 1e6]"),
        ("channels.voice.forecast_error", 1e3, "a coefficient of variation in [0, 100]"),
        ("experience.handoff", 1e7, "effort points in [0, 1e6]"),
        ("periods.days", 1e-320, "working days in [0.001, 366]"),
    ],
)
def test_each_class_of_field_states_its_range(path, value, fragment):
    keys = tuple(int(k) if k.isdigit() else k for k in path.split("."))
    with pytest.raises(ScenarioError) as info:
        load_scenario(with_value(rich_doc(), keys, value))
    found = [(p.path, p.message) for p in info.value.problems]
    assert any(p == path and fragment in m for p, m in found), found


def test_bounds_themselves_are_accepted():
    doc = make_minimal_doc()
    doc["channels"]["voice"]["volume"] = 1e8
    doc["channels"]["voice"]["aht"] = "365d"
    doc["channels"]["voice"]["target"]["within"] = 0
    doc["pools"]["phone"]["max_agents"] = 10_000_000
    doc["periods"] = {"count": 1, "days": 366}
    doc["economics"] = {"discount_rate": 10}
    load_scenario(doc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(PATHS) - 1),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**450), max_value=10**450),
        st.sampled_from([1e-320, 5e-324, -0.0, "1e400s", "1e-320min", "nan", "-inf"]),
    ),
)
def test_any_number_in_any_field_loads_or_is_a_scenario_error(index, value):
    try:
        sc = load_scenario(with_value(rich_doc(), PATHS[index], value))
    except ScenarioError as exc:
        assert exc.problems
        return
    r = sc.resolve(0)  # a scenario that loads resolves to finite arrays
    assert (r.arrivals >= 0).all() and (r.aht >= 0).all()
