"""``Scenario.resolve`` against hand-worked periods (6-hour intervals: 4 per day).

Channel ``a`` is open 06:00-18:00 (intervals 1 and 2), ``b`` 12:00-24:00
(intervals 2 and 3), the bot all day. Every expected number below is worked out
by hand from DESIGN.md "Effects of initiatives" and docs/semantics.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from channelopt.errors import ScenarioError
from channelopt.scenario import Plan, load_scenario
from channelopt.scenario.resolve import default_profile
from channelopt.scenario.validate import routing_matrix, spectral_radius


def doc() -> dict[str, Any]:
    return {
        "name": "hand-worked",
        "interval": "6h",
        "open": "06:00-18:00",
        "channels": {
            "a": {
                "kind": "live",
                "volume": 100,
                "profile": [1, 3],  # over the two open intervals
                "aht": "5min",
                "target": {"max_wait": "30s"},
                "resolution": 0.9,
            },
            "b": {
                "kind": "live",
                "volume": 40,
                "open": "12:00-24:00",
                "profile": [1, 1, 1, 1],  # over the whole day
                "aht": "4min",
                "patience": "2min",
                "target": {"service_level": 0.8, "within": "20s"},
            },
            "bot": {
                "kind": "self_service",
                "arrivals": [10, 20, 30, 40],
                "open": "24h",
                "containment": 0.5,
            },
        },
        "journeys": {"handoffs": {"bot": {"a": 0.4, "b": 0.3}}},
        "periods": {"count": 3, "growth": {"a": [1.0, 1.5, 2.0]}},
        "initiatives": {
            "x": {"lead_time": 1, "ramp": 2, "effects": [{"channel": "a", "aht": 0.8}]},
            "y": {"effects": [{"channel": "a", "volume": 0.5}]},
            "z": {"effects": [{"shift": {"from": "a", "to": "b", "fraction": 0.2}}]},
            "boost": {
                "effects": [
                    {"channel": "a", "resolution": 1.2},
                    {"channel": "bot", "containment": 3},
                    {"handoff": {"from": "bot", "to": "a", "factor": 3}},
                ]
            },
        },
    }


@pytest.fixture(scope="module")
def sc():
    return load_scenario(doc())


def column(r, name):
    return r.arrivals[:, r.channel_index(name)]


def test_arrival_shapes_and_carry_over(sc):
    r = sc.resolve(0)
    # a: profile over open intervals 1, 2 -> 100 x [1, 3] / 4
    np.testing.assert_allclose(column(r, "a"), [0, 25, 75, 0])
    # b: whole-day profile; intervals 0 and 1 are closed and carry to interval 2
    np.testing.assert_allclose(column(r, "b"), [0, 0, 30, 10])
    np.testing.assert_allclose(column(r, "bot"), [10, 20, 30, 40])
    assert r.open_mask[:, 0].tolist() == [False, True, True, False]
    assert r.open_mask[:, 1].tolist() == [False, False, True, True]
    assert r.open_mask[:, 2].all()


def test_closing_time_wraps_to_next_morning():
    d = doc()
    d["channels"]["a"]["profile"] = [1, 1, 1, 1]
    r = load_scenario(d).resolve(0)
    # 00-06 -> 06-12; 18-24 -> next morning's 06-12 (a repeating day)
    np.testing.assert_allclose(column(r, "a"), [0, 75, 25, 0])


def test_opening_across_midnight():
    d = doc()
    d["channels"]["a"]["open"] = "20:00-04:00"
    d["channels"]["a"]["profile"] = [1, 1, 1, 1]
    r = load_scenario(d).resolve(0)
    assert r.open_mask[:, 0].tolist() == [True, False, False, True]
    np.testing.assert_allclose(column(r, "a"), [25, 0, 0, 75])


def test_lead_time_and_ramp(sc):
    # x starts in period 0, lead 1, ramp 2: fraction 0, 1/2, 1 in periods 0, 1, 2
    fractions = [sc.resolve(t, {"x": 0}).fractions.get("x", 0.0) for t in range(3)]
    assert fractions == [0.0, 0.5, 1.0]
    ahts = [sc.resolve(t, {"x": 0}).aht[0] for t in range(3)]
    np.testing.assert_allclose(ahts, [300, 300 * (1 + 0.5 * (0.8 - 1)), 240])
    # started in period 1: nothing until period 2, then half
    assert sc.resolve(2, {"x": 1}).fractions == {"x": 0.5}
    assert sc.resolve(1, {"x": 1}).fractions == {}


def test_ramp_zero_is_immediate_full_effect(sc):
    r = sc.resolve(1, {"y": 1})
    assert r.fractions == {"y": 1.0}
    assert sc.resolve(0, {"y": 1}).fractions == {}  # not yet started


def test_growth_volume_effect_and_shift(sc):
    # period 1: a grows x1.5, y halves it, z moves 20 % of what is left to b
    r = sc.resolve(1, {"y": 0, "z": 0})
    a_before = np.array([0, 25, 75, 0]) * 1.5 * 0.5  # [0, 18.75, 56.25, 0]
    moved = 0.2 * a_before  # keeps a's intraday shape: [0, 3.75, 11.25, 0]
    np.testing.assert_allclose(column(r, "a"), a_before - moved)
    # b is closed in interval 1: the 3.75 moved there carry to interval 2
    np.testing.assert_allclose(column(r, "b"), [0, 0, 30 + 3.75 + 11.25, 10])
    # contacts are conserved by a shift
    assert r.arrivals.sum() == pytest.approx(a_before.sum() + 40 + 100)


def test_shift_ramps_with_the_initiative():
    d = doc()
    d["initiatives"]["z"]["ramp"] = 2
    r = load_scenario(d).resolve(0, {"z": 0})
    np.testing.assert_allclose(column(r, "a"), [0, 25, 75, 0] * np.array(1 - 0.5 * 0.2))


def test_caps_are_applied_and_reported(sc):
    r = sc.resolve(0, ["boost"])
    a, bot = r.channel_index("a"), r.channel_index("bot")
    assert r.resolution[a] == 1.0  # 0.9 x 1.2 = 1.08 capped
    assert r.containment[bot] == 1.0  # 0.5 x 3 = 1.5 capped
    # hand-off bot -> a: 0.4 x 3 = 1.2 capped at 1; the row (1 + 0.3) is scaled to sum to 1
    np.testing.assert_allclose(r.handoff[bot, [a, r.channel_index("b")]], [1 / 1.3, 0.3 / 1.3])
    text = " | ".join(r.caps)
    assert "resolution of 'a' capped at 1 (effects give 1.08)" in text
    assert "containment of 'bot' capped at 1 (effects give 1.5)" in text
    assert "hand-off 'bot' -> 'a' capped at 1 (effects give 1.2)" in text
    assert "scaled to sum to 1" in text
    assert all(c.startswith("period 0: ") for c in r.caps)


def test_active_forms_agree(sc):
    by_mapping = sc.resolve(2, {"x": 0})
    by_plan = sc.resolve(2, Plan(starts={"x": 0}))
    by_names = sc.resolve(2, ["x"])
    for r in (by_plan, by_names):
        np.testing.assert_array_equal(r.aht, by_mapping.aht)
    assert sc.resolve(0, ["x"]).fractions == {"x": 1.0}  # names: fully in force at once


def test_bad_active_raises_scenario_error_naming_them(sc):
    with pytest.raises(ScenarioError, match="unknown initiative 'nope'"):
        sc.resolve(0, {"nope": 0})
    with pytest.raises(ScenarioError, match=r"active.x.*start period in \[0, 3\)"):
        sc.resolve(0, {"x": 3})
    with pytest.raises(ScenarioError, match=r"expected a period in \[0, 3\)"):
        sc.resolve(5)


def test_absent_values_are_nan_or_inf(sc):
    r = sc.resolve(0)
    a, b, bot = (r.channel_index(n) for n in ("a", "b", "bot"))
    assert math.isinf(r.patience[a]) and r.patience[b] == 120
    assert math.isnan(r.target_service_level[a]) and r.target_max_wait[a] == 30
    assert r.target_within[b] == 20 and math.isnan(r.target_within_deadline[b])
    assert math.isinf(r.deadline[a])
    assert r.aht[bot] == 0 and r.containment[a] == 0
    # pools omitted: one dedicated pool per staffed channel, roster unknown
    assert r.pools == ("a", "b")
    assert r.pool_skills == ((0,), (1,))
    assert np.isnan(r.pool_agents).all() and np.isinf(r.pool_max_agents).all()
    assert r.content_hash == sc.content_hash and r.period == 0
    with pytest.raises(ValueError):
        r.arrivals[0, 0] = 1.0  # engines share this object: read-only


def test_check_starts(sc):
    d = doc()
    d["initiatives"]["x"]["excludes"] = ["y"]
    d["initiatives"]["z"]["requires"] = ["x"]
    s2 = load_scenario(d)
    assert s2.check_starts({"x": 0, "z": 1}) == []  # x in force from 0 + lead 1 = 1
    (msg,) = s2.check_starts({"x": 0, "z": 0})
    assert "'z' starts in period 0 but requires 'x', in force only from period 1" in msg
    assert s2.check_starts({"z": 2}) == ["'z' requires 'x', which is not started"]
    assert s2.check_starts({"x": 0, "y": 1}) == [
        "'x' and 'y' exclude each other but both are started"
    ]
    assert s2.check_starts({"nope": 0, "x": 7}) == [
        "unknown initiative 'nope' (known: x, y, z, boost)",
        "'x' starts in period 7, outside [0, 3)",
    ]
    assert s2.check_starts({"x": None, "y": 0}) == []


def test_default_profile_is_double_peaked():
    w = default_profile(1800.0)
    hours = (np.arange(48) + 0.5) / 2
    assert 10.0 <= hours[np.argmax(w)] <= 11.0
    afternoon = (hours >= 13) & (hours <= 16)
    local = hours[afternoon][np.argmax(w[afternoon])]
    assert 14.0 <= local <= 15.0
    assert w[np.argmax(w)] > w[afternoon].max() > w[(hours > 12) & (hours < 13)].min()
    assert w[hours < 6].max() < 0.1 * w.max()


def test_default_profile_used_over_open_hours(retail):
    r = retail.resolve(0)
    voice = column(r, "voice")
    assert voice.sum() == pytest.approx(6000)
    assert (voice[~r.open_mask[:, 0]] == 0).all()
    assert 10 <= np.argmax(voice) / 2 < 11


def routed_visits(kinds, h, rep, res, cont, start, rng, n):
    """Brute force "What happens to a contact" with everyone served: visits per channel."""
    visits = np.zeros(len(kinds))
    for _ in range(n):
        c = start
        while c is not None:
            visits[c] += 1
            if kinds[c] == "self_service" and rng.random() < cont[c]:
                break
            u = rng.random()
            cum = np.cumsum(h[c])
            if u < cum[-1]:
                c = int(np.searchsorted(cum, u, side="right"))
                continue
            if kinds[c] == "self_service" or rng.random() < res[c]:
                break
            u = rng.random()
            cum = np.cumsum(rep[c])
            c = int(np.searchsorted(cum, u, side="right")) if u < cum[-1] else None
    return visits / n


def test_routing_matrix_matches_brute_force_journeys():
    kinds = ["self_service", "live", "concurrent"]
    h = np.array([[0, 0.3, 0.4], [0, 0, 0.1], [0, 0.2, 0]])
    rep = np.array([[0, 0, 0], [0, 0.6, 0.2], [0, 0.3, 0.5]])
    res = np.array([1.0, 0.7, 0.6])
    cont = np.array([0.5, 0, 0])
    m = routing_matrix(kinds, h, rep, res, cont)
    expected = np.linalg.inv(np.eye(3) - m)[0]  # visits per contact entering the bot
    rng = np.random.default_rng(7)
    n = 20_000
    got = routed_visits(kinds, h, rep, res, cont, 0, rng, n)
    # visit counts per contact have small variance here (sd < 1.5): 5 sigma of the mean
    np.testing.assert_allclose(got, expected, atol=5 * 1.5 / math.sqrt(n))
    assert spectral_radius(m) < 1


def test_shifts_above_all_of_a_channel_are_scaled_and_reported():
    d = doc()
    d["initiatives"]["z"]["effects"][0]["shift"]["fraction"] = 0.6
    d["initiatives"]["w"] = {"effects": [{"shift": {"from": "a", "to": "bot", "fraction": 0.9}}]}
    r = load_scenario(d).resolve(0, ["z", "w"])
    # 0.6 + 0.9 = 1.5 of a's volume: scaled to 0.4 and 0.6, all of a moves
    np.testing.assert_allclose(column(r, "a"), 0)
    np.testing.assert_allclose(column(r, "b"), [0, 0, 30 + 0.4 * 100, 10])
    np.testing.assert_allclose(column(r, "bot"), [10, 20 + 0.6 * 25, 30 + 0.6 * 75, 40])
    assert any("shifts out of 'a' sum to 1.5" in c for c in r.caps)


def test_patience_multiplier_keeps_infinite_patience_infinite():
    d = doc()
    d["initiatives"]["p"] = {
        "effects": [{"channel": "a", "patience": 2}, {"channel": "b", "patience": 1.5}]
    }
    r = load_scenario(d).resolve(0, ["p"])
    assert math.isinf(r.patience[0]) and r.patience[1] == 180.0


def test_absurd_magnitudes_are_refused_at_load():
    d = doc()
    d["channels"]["a"]["volume"] = 1e300
    d["periods"]["growth"]["a"] = [1.0, 1e300, 1.0]
    with pytest.raises(ScenarioError) as info:
        load_scenario(d)
    assert {p.path for p in info.value.problems} == {"channels.a.volume", "periods.growth.a.1"}


def test_overflow_is_a_scenario_error():
    # every value in range, but 52 volume effects of x1e6 on top of 1e8 contacts and
    # growth 1e6 overflow a float: resolve names the channel instead of returning inf
    d = doc()
    d["channels"]["a"]["volume"] = 1e8
    d["periods"]["growth"]["a"] = [1.0, 1e6, 1.0]
    d["initiatives"] = {
        f"boost{k}": {"effects": [{"channel": "a", "volume": 1e6}]} for k in range(52)
    }
    sc = load_scenario(d)
    assert np.isfinite(sc.resolve(0).arrivals).all()
    with pytest.raises(
        ScenarioError, match=r"channels.a: volume or handle time overflows in period 1"
    ):
        sc.resolve(1, list(sc.initiatives))
