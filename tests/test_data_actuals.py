"""actuals: planned against actual, the service-level gap split by sequential substitution."""

from __future__ import annotations

import math

import numpy as np
import pytest

import channelopt as co
from channelopt.data.actuals import actuals
from test_data_calibrate import synthetic_records


def erlang_c_sl(n: int, load: float, aht: float, t: float) -> float:
    """Erlang C service level from the textbook closed form (independent of the kernels)."""
    if load <= 0:
        return 1.0
    if load >= n:
        return 0.0
    terms = sum(load**k / math.factorial(k) for k in range(n))
    top = load**n / math.factorial(n) * n / (n - load)
    c = top / (terms + top)
    return 1.0 - c * math.exp(-(n - load) * t / aht)


def plan(volume_per_half_hour: float, aht: float):
    doc = {
        "name": "plan",
        "interval": "30min",
        "open": "08:00-18:00",
        "channels": {
            "voice": {
                "kind": "live",
                "arrivals": [0.0] * 16 + [volume_per_half_hour] * 20 + [0.0] * 12,
                "aht": aht,
                "target": {"service_level": 0.8, "within": 20},
            }
        },
    }
    return co.load_scenario(doc)


def test_gap_split_against_closed_form_erlang_c() -> None:
    rec = synthetic_records(seed=4, days=10)  # 40 an hour = 20 per half hour, 2 agents
    sc = plan(12.0, 100.0)
    a = actuals(rec, sc)
    t = a.intervals.set_index("interval").loc[20]  # 10:00-10:30
    planned_agents = round(t["planned_agents"])
    s0 = erlang_c_sl(planned_agents, 12.0 / 1800 * 100, 100.0, 20.0)
    s1 = erlang_c_sl(planned_agents, t["actual_volume"] / 1800 * 100, 100.0, 20.0)
    s2 = erlang_c_sl(planned_agents, t["actual_volume"] / 1800 * t["actual_aht_s"],
                     t["actual_aht_s"], 20.0)  # fmt: skip
    assert t["planned_service_level"] == pytest.approx(s0, rel=1e-9)
    assert t["gap_volume"] == pytest.approx(s1 - s0, abs=1e-9)
    assert t["gap_handle_time"] == pytest.approx(s2 - s1, abs=1e-9)
    parts = t[["gap_volume", "gap_handle_time", "gap_staffing", "gap_residual"]].sum()
    assert parts == pytest.approx(t["gap"], abs=1e-12)
    # the records: about 20 contacts per half hour and 120 s handle time (the generator's)
    assert t["actual_volume"] == pytest.approx(20.0, rel=0.35)
    s = a.summary().loc["voice"]
    assert s["actual_aht_s"] == pytest.approx(120.0, rel=0.1)
    assert s["gap_volume"] < 0 and s["gap_handle_time"] < 0  # more calls, longer: worse


def test_plan_equal_to_actual_leaves_no_volume_or_handle_time_gap() -> None:
    rec = synthetic_records(seed=5, days=10)
    a0 = actuals(rec, plan(12.0, 100.0))
    t = a0.intervals
    # substitute the records' own means back as the plan: those parts vanish
    vol = float(np.mean(t.loc[t["actual_volume"] > 0, "actual_volume"]))
    aht = float(a0.summary().loc["voice", "actual_aht_s"])
    s = actuals(rec, plan(vol, aht)).summary().loc["voice"]
    assert abs(s["gap_volume"]) < 0.05 and abs(s["gap_handle_time"]) < 0.05
