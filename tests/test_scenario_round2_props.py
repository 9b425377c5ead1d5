"""Property test: any combination of round-2 keys loads or is a ScenarioError, and what loads
resolves to arrays that say the same as the file."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelopt.errors import ScenarioError
from channelopt.scenario import load_scenario
from conftest import make_minimal_doc

good_durations = st.sampled_from(["0s", "30s", "2min", "5min", "1h", 45, 0])
bad_durations = st.sampled_from(["-1s", "6:00", "inf", 1e-320, "1e400s", -3.0])
good_numbers = st.sampled_from([0, 1, 0.5, 0.05, 3, 40])
bad_numbers = st.sampled_from([-1, 1.5, 10**30, float("nan"), "x", None, True, 0.3])


def mostly(good: Any, bad: Any) -> Any:
    """Valid values nine times in ten, so that both outcomes are exercised."""
    return st.integers(0, 9).flatmap(lambda k: bad if k == 9 else good)


durations = mostly(good_durations, bad_durations)
numbers = mostly(good_numbers, bad_numbers)


@st.composite
def distributions(draw: Any, mean: float) -> dict[str, Any]:
    """A distribution with mean ``mean`` (s), sometimes broken on purpose."""
    family = draw(
        st.sampled_from(
            ["exponential", "lognormal", "gamma", "uniform", "constant", "triangular", "empirical"]
        )
    )
    u = draw(st.floats(0.0, 0.99))
    d: dict[str, Any] = {"distribution": family}
    if family in ("lognormal", "gamma"):
        d["cv"] = draw(st.floats(0.01, 5.0))
    elif family == "uniform":
        d.update(min=mean * (1 - u), max=mean * (1 + u))
    elif family == "triangular":
        d.update(min=mean * (1 - u), mode=mean, max=mean * (1 + u))
    elif family == "empirical":
        d["samples"] = [mean * (1 - u), mean * (1 + u)]
    if draw(st.integers(0, 9)) == 9:  # break it: a wrong key, a wrong mean or a bad family
        key, value = draw(
            st.sampled_from(
                [
                    ("cv", -1),
                    ("mode", 1.0),
                    ("samples", []),
                    ("distribution", "weibull"),
                    ("min", 5e6),
                ]
            )
        )
        d[key] = value
    return d


MEANS = {"voice": (300.0, 120.0), "chat": (600.0, None), "email": (360.0, None), "bot": (1.0, None)}


@st.composite
def round2_docs(draw: Any) -> dict[str, Any]:
    doc = make_minimal_doc()
    name = draw(mostly(st.sampled_from(["voice", "chat"]), st.sampled_from(["email", "bot"])))
    channel = doc["channels"][name]
    aht, patience = MEANS[name]
    options: dict[str, Any] = {
        "handle_time": distributions(aht),
        "patience_distribution": distributions(patience or 90.0),
        "wrap_up": durations,
        "balking": numbers.map(lambda x: x if not isinstance(x, int | float) or x <= 1 else 0.1),
        "max_wait": durations,
        "lines": mostly(st.sampled_from([1, 3, 40]), bad_numbers),
        "queue_capacity": mostly(st.sampled_from([0, 5, 30]), bad_numbers),
        "at_close": mostly(st.sampled_from(["serve", "clear"]), st.just("x")),
        "routing": mostly(
            st.sampled_from([["phone"], [{"pool": "phone", "after": 0}]]),
            st.sampled_from([[{"pool": "phone", "after": "20s"}], ["back"], [], ["phone"] * 2]),
        ),
    }
    for key, strategy in options.items():
        if draw(st.booleans()):
            channel[key] = draw(strategy)
    if name == "chat" and "patience_distribution" in channel:
        channel["patience"] = "90s"
    if "max_wait" in channel and draw(st.booleans()):
        channel["on_timeout"] = draw(
            mostly(st.sampled_from(["lost", "retry", {"to": "email"}]), st.just({"to": name}))
        )
    pool = doc["pools"]["phone"]
    if draw(st.booleans()):
        pool["skill_selection"] = draw(
            mostly(st.sampled_from(["priority", "longest_waiting"]), st.just("x"))
        )
    if draw(st.booleans()):
        pool["agent_selection"] = draw(
            mostly(st.sampled_from(["longest_idle", "random"]), st.just("oldest"))
        )
    if draw(st.booleans()):
        skill = draw(mostly(st.sampled_from(["voice", "chat"]), st.just("email")))
        pool["handle_time_factor"] = {skill: draw(mostly(st.sampled_from([0.8, 1.3]), st.just(0)))}
    if draw(st.booleans()):
        doc["journeys"]["retrials"]["delay_distribution"] = draw(
            mostly(st.sampled_from(["exponential", "constant"]), st.just("gamma"))
        )
    if draw(st.booleans()):
        doc["busyness"] = {"cv": draw(numbers)}
    if draw(st.booleans()):
        doc["closed_hours"] = draw(
            mostly(st.sampled_from(["spread", "next_open", "lost"]), st.just(3))
        )
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=round2_docs())
def test_round2_keys_load_or_raise_scenario_error(doc):
    try:
        sc = load_scenario(doc)
    except ScenarioError as exc:
        assert exc.problems and all(p.path and p.message for p in exc.problems)
        return
    r = sc.resolve(0)
    for c, name in enumerate(r.channels):
        ch = sc.channels[name]
        spec = r.handle_time[c]
        if ch.staffed:
            assert spec.mean == r.aht[c] and math.isfinite(spec.cv) and spec.cv >= 0
            if spec.samples is not None:
                assert np.isclose(spec.samples.mean(), spec.mean, rtol=1e-12)
        assert r.max_wait[c] == (math.inf if ch.max_wait is None else ch.max_wait)
        assert r.lines[c] == (math.inf if ch.lines is None else ch.lines)
        steps = r.routing[c]
        assert all(0 <= p < len(r.pools) and c in r.pool_skills[p] for p, _ in steps)
        if ch.staffed:
            assert any(after == 0 for _, after in steps)
    # a loaded scenario writes and reads back equal
    assert load_scenario(sc.to_yaml()) == sc
