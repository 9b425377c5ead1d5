"""The round-2 keys ("Keys for how real centres work"): loading, defaults, rules, Resolved."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from channelopt.errors import ScenarioError
from channelopt.scenario import DistributionSpec, load_scenario
from channelopt.scenario.choices import (
    AgentSelection,
    AtClose,
    ClosedHours,
    DelayDistribution,
    DistributionFamily,
    OnTimeout,
    SkillSelection,
)
from conftest import make_minimal_doc
from test_scenario_load import ROUND2_PENDING, _keys


def full_doc() -> dict[str, Any]:
    """The minimal document with every round-2 key set to a non-default value."""
    doc = make_minimal_doc()
    voice, chat, email = (doc["channels"][n] for n in ("voice", "chat", "email"))
    voice.update(
        handle_time={"distribution": "triangular", "min": "2min", "mode": "4min", "max": "9min"},
        wrap_up="30s",
        patience_distribution={"distribution": "uniform", "min": "1min", "max": "3min"},
        balking=0.05,
        max_wait="5min",
        on_timeout={"to": "email"},
        lines=40,
        queue_capacity=30,
        at_close="clear",
        routing=["voice_team", {"pool": "generalists", "after": "20s"}],
    )
    chat.update(
        handle_time={"distribution": "gamma", "cv": 0.5},
        patience_distribution={"distribution": "lognormal", "cv": 2.0},
        patience="90s",
        max_wait="3min",
        on_timeout="retry",
        head_start="30s",  # generalists select the longest-waiting contact
    )
    email["handle_time"] = {"distribution": "empirical", "samples": [300, "6min", 420]}
    doc["pools"] = {
        "voice_team": {"skills": ["voice"], "agent_selection": "random"},
        "generalists": {
            "skills": ["chat", "voice"],
            "skill_selection": "longest_waiting",
            "handle_time_factor": {"voice": 1.2},
        },
        "email_team": {"skills": ["email"]},
    }
    doc["journeys"] = {
        "retrials": {"probability": 0.3, "delay": "10min", "delay_distribution": "constant"},
        "repeats": {
            "delay": "2h",
            "delay_distribution": "constant",
            "to": {"voice": {"chat": 0.1}},
        },
    }
    doc["busyness"] = {"cv": 0.15}
    doc["closed_hours"] = "next_open"
    # the constant family and the exponential pass explicitly somewhere too
    doc["channels"]["chat"]["wrap_up"] = 0
    return doc


def problems_of(doc: Any) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(doc)
    return [(p.path, p.message) for p in info.value.problems]


def assert_problem(doc: Any, path: str, *fragments: str) -> None:
    found = problems_of(doc)
    for p, message in found:
        if p == path and all(f in message for f in fragments):
            return
    pytest.fail(f"no problem at {path!r} containing {fragments}; got {found}")


def with_channel(name: str, **keys: Any) -> dict[str, Any]:
    doc = make_minimal_doc()
    doc["channels"][name].update(keys)
    return doc


# --- loading and defaults -----------------------------------------------------------------


def test_the_full_document_uses_every_pending_round2_key():
    used = {k.replace(".[]", "") for k in _keys(full_doc())}
    # min/mode/max/samples of patience and cv of handle time are covered by the second doc
    other = copy.deepcopy(full_doc())
    other["channels"]["voice"]["patience_distribution"] = {
        "distribution": "triangular",
        "min": "1min",
        "mode": "2min",
        "max": "3min",
    }
    other["channels"]["chat"]["patience_distribution"] = {
        "distribution": "empirical",
        "samples": [60, 120],
    }
    other["channels"]["chat"]["patience"] = "90s"
    load_scenario(other)
    used |= {k.replace(".[]", "") for k in _keys(other)}
    assert ROUND2_PENDING - used == set()


def test_every_round2_key_loads_and_round_trips():
    sc = load_scenario(full_doc())
    voice = sc.channels["voice"]
    assert voice.wrap_up == 30.0 and voice.max_wait == 300.0 and voice.lines == 40
    assert voice.at_close is AtClose.CLEAR and voice.on_timeout.to == "email"
    assert [(r.pool, r.after) for r in voice.routing] == [
        ("voice_team", 0.0),
        ("generalists", 20.0),
    ]
    assert sc.pools["generalists"].skill_selection is SkillSelection.LONGEST_WAITING
    assert sc.busyness.cv == 0.15 and sc.closed_hours is ClosedHours.NEXT_OPEN
    text = sc.to_yaml()
    assert "routing: [voice_team, {pool: generalists, after: 20s}]" in text.replace("\n", " ") or (
        "- voice_team" in text and "after: 20s" in text
    )
    again = load_scenario(text)
    assert again == sc and again.content_hash == sc.content_hash


def test_defaults_keep_the_old_behaviour():
    sc = load_scenario(make_minimal_doc())
    r = sc.resolve(0)
    c = r.n_channels
    # handle times exponential (cv 1) for staffed channels, as the kernels assume
    staffed = r.staffed()
    assert [d.family for d, s in zip(r.handle_time, staffed, strict=True) if s] == [
        DistributionFamily.EXPONENTIAL
    ] * int(staffed.sum())
    assert np.array_equal(r.aht_cv, np.where(staffed, 1.0, 0.0))
    assert np.array_equal(r.wrap_up, np.zeros(c)) and np.array_equal(r.balking, np.zeros(c))
    assert np.isinf(r.max_wait).all() and np.isinf(r.lines).all()
    assert np.isinf(r.queue_capacity).all()
    assert (r.on_timeout == OnTimeout.LOST.code).all() and (r.on_timeout_target == -1).all()
    assert (r.at_close == AtClose.SERVE.code).all()
    assert (r.pool_skill_selection == SkillSelection.PRIORITY.code).all()
    assert (r.pool_agent_selection == AgentSelection.LONGEST_IDLE.code).all()
    assert np.array_equal(r.pool_handle_time_factor, np.ones((len(r.pools), c)))
    assert r.repeat_delay_distribution is DelayDistribution.EXPONENTIAL
    assert r.retrial_delay_distribution is DelayDistribution.EXPONENTIAL
    assert r.busyness_cv == 0.0 and r.closed_hours is ClosedHours.SPREAD
    # every pool whose skills list the channel, in pool order, at once
    for ch, route in enumerate(r.routing):
        expected = tuple((p, 0.0) for p, skills in enumerate(r.pool_skills) if ch in skills)
        assert route == expected


def test_aht_cv_is_an_alias_of_lognormal_cv():
    sc = load_scenario(with_channel("voice", aht_cv=0.6))
    d = sc.resolve(0).handle_time[0]
    assert d.family is DistributionFamily.LOGNORMAL and d.cv == 0.6
    # closed form: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2
    assert d.params[1] == pytest.approx(math.sqrt(math.log(1.36)), rel=1e-12)
    assert d.params[0] == pytest.approx(math.log(300.0) - math.log(1.36) / 2, rel=1e-12)


def test_resolved_round2_arrays():
    r = load_scenario(full_doc()).resolve(0)
    v, c, e = r.channel_index("voice"), r.channel_index("chat"), r.channel_index("email")
    tri = r.handle_time[v]
    # the triangle 2/4/9 min has mean 5 min = aht; scaled to 5 min exactly (here factor 1)
    assert tri.family is DistributionFamily.TRIANGULAR and tri.mean == 300.0
    assert tri.params == (120.0, 240.0, 540.0)
    var = (120**2 + 240**2 + 540**2 - 120 * 240 - 120 * 540 - 240 * 540) / 18
    assert tri.cv == pytest.approx(math.sqrt(var) / 300, rel=1e-12)
    assert r.aht_cv[v] == pytest.approx(tri.cv, rel=1e-15)
    gam = r.handle_time[c]  # gamma, cv 0.5: shape 4, scale mean / 4
    assert gam.params == pytest.approx((4.0, 600.0 / 4), rel=1e-12)
    emp = r.handle_time[e]
    assert emp.family is DistributionFamily.EMPIRICAL
    assert np.allclose(emp.samples, [300.0, 360.0, 420.0]) and emp.mean == 360.0
    assert emp.cv == pytest.approx(np.std([300, 360, 420]) / 360, rel=1e-12)
    uni = r.patience_distribution[v]  # uniform 1-3 min, mean 2 min = patience
    assert uni.params == (60.0, 180.0)
    assert uni.cv == pytest.approx((180 - 60) / math.sqrt(12) / 120, rel=1e-12)
    assert r.wrap_up[v] == 30.0 and r.balking[v] == 0.05 and r.max_wait[v] == 300.0
    assert r.on_timeout[v] == OnTimeout.TO.code and r.on_timeout_target[v] == e
    assert r.on_timeout[c] == OnTimeout.RETRY.code and r.on_timeout_target[c] == -1
    assert r.lines[v] == 40 and r.queue_capacity[v] == 30 and np.isinf(r.lines[c])
    assert r.at_close[v] == AtClose.CLEAR.code and r.at_close[c] == AtClose.SERVE.code
    assert r.head_start[c] == 30.0 and r.head_start[v] == 0.0
    pv, pg, pe = (r.pools.index(n) for n in ("voice_team", "generalists", "email_team"))
    assert r.routing[v] == ((pv, 0.0), (pg, 20.0))
    assert r.routing[c] == ((pg, 0.0),) and r.routing[e] == ((pe, 0.0),)
    assert r.pool_handle_time_factor[pg, v] == 1.2 and r.pool_handle_time_factor[pg, c] == 1.0
    assert r.pool_agent_selection[pv] == AgentSelection.RANDOM.code
    assert r.pool_skill_selection[pg] == SkillSelection.LONGEST_WAITING.code
    assert r.retrial_delay_distribution is DelayDistribution.CONSTANT
    assert r.busyness_cv == 0.15 and r.closed_hours.code == ClosedHours.NEXT_OPEN.code
    with pytest.raises(ValueError):
        r.wrap_up[0] = 1.0  # read-only


def test_aht_effect_scales_the_distribution():
    doc = full_doc()
    doc["initiatives"] = {"faster": {"effects": [{"channel": "voice", "aht": 0.5}]}}
    sc = load_scenario(doc)
    tri = sc.resolve(0, ["faster"]).handle_time[0]
    assert tri.mean == 150.0 and tri.params == (60.0, 120.0, 270.0)
    assert sc.resolve(0).handle_time[0].mean == 300.0  # the cached base is untouched


# --- rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("queue_capacity", 5),
        ("lines", 10),
        ("balking", 0.1),
        ("max_wait", "5min"),
        ("routing", ["back"]),
        ("at_close", "clear"),
        ("patience_distribution", {"distribution": "exponential"}),
    ],
)
def test_queue_keys_only_on_live_or_concurrent(key, value):
    assert_problem(with_channel("email", **{key: value}), f"channels.email.{key}", "deferred")
    assert_problem(with_channel("bot", **{key: value}), f"channels.bot.{key}", "self_service")


def test_handle_time_not_on_self_service():
    doc = with_channel("bot", handle_time={"distribution": "constant"}, wrap_up="10s")
    assert_problem(doc, "channels.bot.handle_time", "self_service")
    assert_problem(doc, "channels.bot.wrap_up", "self_service")


def test_triangular_needs_ordered_parameters():
    doc = with_channel(
        "voice",
        handle_time={"distribution": "triangular", "min": "4min", "mode": "2min", "max": "9min"},
    )
    assert_problem(doc, "channels.voice.handle_time.mode", "min <= mode <= max")
    doc = with_channel("voice", handle_time={"distribution": "triangular", "min": "4min"})
    assert_problem(doc, "channels.voice.handle_time.mode", "needs 'mode'")
    assert_problem(doc, "channels.voice.handle_time.max", "needs 'max'")


def test_uniform_min_above_max():
    doc = with_channel(
        "voice", handle_time={"distribution": "uniform", "min": "6min", "max": "4min"}
    )
    assert_problem(doc, "channels.voice.handle_time.min", "min <= max")


@pytest.mark.parametrize(
    ("samples", "fragment"),
    [([], "at least one sample"), ([60, -1], ">= 0"), ([60, float("nan")], "NaN")],
)
def test_empirical_samples(samples, fragment):
    doc = with_channel("voice", handle_time={"distribution": "empirical", "samples": samples})
    found = problems_of(doc)
    assert any(
        p.startswith("channels.voice.handle_time.samples") and fragment in m for p, m in found
    ), found


def test_shape_mean_must_agree_with_aht():
    doc = with_channel(
        "voice", handle_time={"distribution": "uniform", "min": "1min", "max": "3min"}
    )
    assert_problem(doc, "channels.voice.handle_time", "mean 2min", "aht is 5min", "1%")
    ok = with_channel(
        "voice", handle_time={"distribution": "uniform", "min": "4min", "max": "6min"}
    )
    load_scenario(ok)


def test_parameters_must_fit_the_family():
    doc = with_channel("voice", handle_time={"distribution": "lognormal"})
    assert_problem(doc, "channels.voice.handle_time.cv", "needs 'cv'")
    doc = with_channel("voice", handle_time={"distribution": "exponential", "cv": 0.5})
    assert_problem(doc, "channels.voice.handle_time.cv", "does not fit a exponential")
    load_scenario(with_channel("voice", handle_time={"distribution": "exponential", "cv": 1}))
    doc = with_channel("voice", handle_time={"distribution": "gamma", "cv": 0})
    assert_problem(doc, "channels.voice.handle_time.cv", "cv >= 1e-06")
    doc = with_channel("voice", handle_time={"distribution": "weibull"})
    assert_problem(doc, "channels.voice.handle_time.distribution", "expected one of")
    doc = with_channel("voice", handle_time={"distribution": "gamma", "cv": 0.5}, aht_cv=0.5)
    assert_problem(doc, "channels.voice.aht_cv", "not both")


def test_patience_distribution_needs_a_patience():
    doc = make_minimal_doc()
    doc["channels"]["chat"]["patience_distribution"] = {"distribution": "lognormal", "cv": 1.5}
    assert_problem(doc, "channels.chat.patience_distribution", "finite mean 'patience'")


def test_after_on_the_only_pool_is_an_error():
    doc = with_channel("voice", routing=[{"pool": "phone", "after": "20s"}])
    assert_problem(doc, "channels.voice.routing", "only pool")


def test_routing_names_pools_that_serve_the_channel():
    doc = full_doc()
    doc["channels"]["voice"]["routing"] = ["voice_team", "email_team", "generalist"]
    assert_problem(doc, "channels.voice.routing.1", "does not list 'voice'")
    assert_problem(doc, "channels.voice.routing.2", "unknown pool", "generalists")
    assert_problem(doc, "channels.voice.routing", "'generalists'", "missing from the routing")
    doc = full_doc()
    doc["channels"]["voice"]["routing"] = ["voice_team", "voice_team", "generalists"]
    assert_problem(doc, "channels.voice.routing.1", "listed twice")


def test_handle_time_factor_names_skills_of_the_pool():
    doc = full_doc()
    doc["pools"]["voice_team"]["handle_time_factor"] = {"chat": 1.1}
    assert_problem(doc, "pools.voice_team.handle_time_factor.chat", "not one of the skills")
    doc["pools"]["voice_team"]["handle_time_factor"] = {"voice": 0}
    assert_problem(doc, "pools.voice_team.handle_time_factor.voice", "in [1e-6, 1e6]")


def test_on_timeout_rules():
    assert_problem(
        with_channel("voice", max_wait="5min", on_timeout={"to": "fax"}),
        "channels.voice.on_timeout.to",
        "unknown channel",
    )
    assert_problem(
        with_channel("voice", max_wait="5min", on_timeout={"to": "voice"}),
        "channels.voice.on_timeout.to",
        "its own channel",
    )
    assert_problem(
        with_channel("voice", on_timeout="retry"), "channels.voice.on_timeout", "'max_wait'"
    )
    assert_problem(
        with_channel("voice", max_wait="5min", on_timeout="retyr"),
        "channels.voice.on_timeout",
        "did you mean 'retry'",
    )


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("lines", 0, ">= 1"),
        ("queue_capacity", -1, ">= 0"),
        ("balking", 1.5, "[0, 1]"),
        ("wrap_up", "-5s", ">= 0"),
        ("at_close", "close", "serve, clear"),
    ],
)
def test_single_field_ranges(key, value, fragment):
    assert_problem(with_channel("voice", **{key: value}), f"channels.voice.{key}", fragment)


def test_top_level_and_journey_choices():
    doc = make_minimal_doc()
    doc["closed_hours"] = "spred"
    doc["busyness"] = {"cv": -0.1}
    doc["journeys"] = {"retrials": {"delay_distribution": "gamma"}}
    assert_problem(doc, "closed_hours", "did you mean 'spread'")
    assert_problem(doc, "busyness.cv", ">= 0")
    assert_problem(doc, "journeys.retrials.delay_distribution", "exponential, constant")


# --- DistributionSpec against scipy.stats (independent moments) ---------------------------

means = st.floats(1.0, 1e5)
cvs = st.floats(1e-3, 20.0)


def frozen(spec: DistributionSpec):
    f = DistributionFamily
    if spec.family is f.LOGNORMAL:
        mu, sigma = spec.params
        return stats.lognorm(s=sigma, scale=math.exp(mu))
    if spec.family is f.GAMMA:
        k, theta = spec.params
        return stats.gamma(a=k, scale=theta)
    if spec.family is f.UNIFORM:
        lo, hi = spec.params
        return stats.uniform(loc=lo, scale=hi - lo)
    lo, mode, hi = spec.params
    return stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo)


@settings(max_examples=60, deadline=None)
@given(family=st.sampled_from(["lognormal", "gamma"]), mean=means, cv=cvs)
def test_cv_families_have_the_stated_mean_and_cv(family, mean, cv):
    spec = DistributionSpec.build(family, mean, cv=cv)
    d = frozen(spec)
    assert d.mean() == pytest.approx(mean, rel=1e-9)
    assert d.std() / d.mean() == pytest.approx(cv, rel=1e-7)


@settings(max_examples=60, deadline=None)
@given(
    mean=means,
    a=st.floats(0.0, 1.0),
    b=st.floats(0.0, 1.0),
    c=st.floats(0.01, 1.0),
    scale=st.floats(0.05, 50.0),
)
def test_shape_families_are_scaled_to_the_mean(mean, a, b, c, scale):
    lo, mode, hi = sorted((a * scale, b * scale, (a + b + c) * scale))
    for family, shape in (("uniform", (lo, hi)), ("triangular", (lo, mode, hi))):
        spec = DistributionSpec.build(family, mean, shape=shape)
        d = frozen(spec)
        assert d.mean() == pytest.approx(mean, rel=1e-9)
        assert spec.mean == mean
        assert spec.cv == pytest.approx(d.std() / d.mean(), rel=1e-7, abs=1e-12)
        # the shape keeps its proportions: every value scaled by one factor
        k = spec.params[-1] / shape[-1]
        assert spec.params == pytest.approx(tuple(v * k for v in shape), rel=1e-12)
