"""``staff()`` on channels with ``lines`` / ``queue_capacity``: the finite birth-death chain.

Checked against the mpmath birth-death reference of ``tests/reference_queueing.py``
(an independent route: partial fractions at raised precision, no shared code)
and against the simulation, with power (one agent fewer is told apart).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import channelopt as co
from reference_queueing import finite_birth_death
from test_simulation_helpers import mean_half_width

AHT = 180.0
INTERVAL = 1800.0


def _voice(
    per_interval: float | list[float],
    *,
    lines: int | None = None,
    queue_capacity: int | None = None,
    patience: str | None = "2min",
    retrial: float | None = None,
    target: dict | None = None,
) -> co.Scenario:
    arrivals = per_interval if isinstance(per_interval, list) else [per_interval] * 48
    ch: dict = {
        "kind": "live",
        "arrivals": arrivals,
        "aht": f"{AHT:g}s",
        "target": target or {"service_level": 0.8, "within": "20s"},
    }
    if patience is not None:
        ch["patience"] = patience
    if lines is not None:
        ch["lines"] = lines
    if queue_capacity is not None:
        ch["queue_capacity"] = queue_capacity
    doc: dict = {"name": "finite voice", "interval": "30min", "channels": {"voice": ch}}
    if retrial is not None:
        doc["journeys"] = {"retrials": {"probability": retrial, "delay": "10min"}}
    return co.load_scenario(doc)


def _ref(n: int, x: float, *, lines: float, qcap: float, patience: float) -> dict:
    cap = min(lines, n + qcap)
    return {
        k: float(v)
        for k, v in finite_birth_death(n, x * AHT / INTERVAL, AHT, patience, 20.0, cap).items()
    }


@pytest.mark.parametrize(
    ("lines", "qcap", "patience"),
    [(9, math.inf, 120.0), (math.inf, 2, 120.0), (math.inf, 3, math.inf), (11, 1, 240.0)],
)
def test_staff_sizes_a_finite_channel_with_the_birth_death_chain(lines, qcap, patience):
    sc = _voice(
        60.0,
        lines=None if math.isinf(lines) else lines,
        queue_capacity=None if math.isinf(qcap) else qcap,
        patience=None if math.isinf(patience) else f"{patience:g}s",
    )
    st = co.staff(sc)
    row = st.intervals.iloc[0]
    n = int(row["agents"])
    assert (st.intervals["agents"] == n).all()
    ref = _ref(n, 60.0, lines=lines, qcap=qcap, patience=patience)
    assert row["service_level"] == pytest.approx(ref["sl_all"], rel=1e-9)
    assert row["abandonment"] == pytest.approx(ref["ab"], rel=1e-9, abs=1e-15)
    assert row["blocked"] == pytest.approx(60.0 * ref["block"], rel=1e-9)
    assert row["average_wait"] == pytest.approx(ref["asa"], rel=1e-9)
    assert row["occupancy"] == pytest.approx(ref["occ"], rel=1e-9)
    assert row["answered"] == pytest.approx(60.0 * float(ref["served"]), rel=1e-9)
    # the smallest such n: the chain at one agent fewer misses the 80 % target
    assert ref["sl_all"] >= 0.8
    assert _ref(n - 1, 60.0, lines=lines, qcap=qcap, patience=patience)["sl_all"] < 0.8
    assert st.exact["voice"] is True, st.notes


def test_blocked_contacts_retry_through_the_fixed_point():
    """Constant volume all day: every interval sits at the fixed point
    x = x0 + p (P(abandon) + P(blocked)) x of the offered contacts."""
    x0, p, lines = 70.0, 0.6, 10
    sc = _voice(x0, lines=lines, retrial=p)
    st = co.staff(sc)
    row = st.intervals.iloc[0]
    n = int(row["agents"])
    x = x0
    for _ in range(200):
        ref = _ref(n, x, lines=lines, qcap=math.inf, patience=120.0)
        new = x0 + p * (ref["ab"] + ref["block"]) * x
        if abs(new - x) < 1e-12 * x:
            break
        x = new
    assert ref["block"] > 0.01  # the lines bind: blocked contacts make a difference
    assert row["offered"] == pytest.approx(x, rel=1e-8)
    assert row["blocked"] == pytest.approx(x * ref["block"], rel=1e-7)
    assert row["service_level"] == pytest.approx(ref["sl_all"], rel=1e-7)
    assert row["lost"] == pytest.approx(x * (ref["ab"] + ref["block"]) * (1 - p), rel=1e-7)
    # without counting blocked retrials the offered volume would be visibly lower
    assert x - x0 * (1 + p * ref["ab"]) > 1.0


def test_finite_channel_evaluated_agents_and_infeasible_lines():
    sc = _voice(60.0, lines=9)
    ev = co.staff(sc, plan=co.Plan(starts={}, agents={"voice": 5}))
    ref = _ref(5, 60.0, lines=9, qcap=math.inf, patience=120.0)
    assert ev.intervals["service_level"].iloc[0] == pytest.approx(ref["sl_all"], rel=1e-9)
    # 5 lines can never answer 80 % of 60 calls per half hour within 20 s: every line
    # staffed, the miss shown (not an error, so a plan on such a period shows a violation)
    capped = co.staff(_voice(60.0, lines=5))
    row = capped.intervals.iloc[0]
    assert int(row["agents"]) == 5
    ref5 = _ref(5, 60.0, lines=5, qcap=math.inf, patience=120.0)
    assert row["service_level"] == pytest.approx(ref5["sl_all"], rel=1e-9)
    assert row["service_level"] < 0.8
    assert "cannot carry the targets" in capped.notes["voice"]
    assert capped.exact["voice"] is True  # the model is exact; the target is missed


# The seed contract: the check holds for every seed 0-99, so each seed's interval is at
# the Bonferroni level 5 % / 100. Measured once with 400 replications (seed 7): the model
# gives service level 0.8679 and blocking 0.0515 against 0.8660 +- 0.0015 and
# 0.0518 +- 0.0007 simulated (standard errors); one replication's sd is 0.031 and
# 0.015. With 40 replications the half-widths are about 0.019 and 0.009, and one
# agent fewer (0.779) or more (0.921) lies 0.05-0.09 away: the check has power both ways.
FINITE_REPLICATIONS = 40
FINITE_ALPHA = 0.05 / 100
# the stationary model against a day that starts empty and changes load at 08:00
FINITE_SLACK_SL = 0.005
FINITE_SLACK_BLOCKED = 0.003


def _simulated(sc: co.Scenario, staffing, seed: int) -> dict:
    sim = co.simulate(sc, staffing, replications=FINITE_REPLICATIONS, seed=seed)
    df = sim.intervals
    # the steady part of the busy stretch (16-25): not its start from an empty system
    df = df[(df.channel == "voice") & (df.interval >= 18) & (df.interval <= 25)]
    day = df.groupby("replication")[["offered", "answered_within_target", "blocked"]].sum()
    sl, half = mean_half_width(day["answered_within_target"] / day["offered"], FINITE_ALPHA)
    bl, half_b = mean_half_width(day["blocked"] / day["offered"], FINITE_ALPHA)
    return {"sl": sl, "sl_half": half, "bl": bl, "bl_half": half_b}


def _busy_voice() -> co.Scenario:
    # 10 busy half hours of 100 calls (10 Erlangs), 14 lines
    return _voice([0.0] * 16 + [100.0] * 10 + [0.0] * 22, lines=14)


def _check_against_simulation(seed: int) -> None:
    sc = _busy_voice()
    st = co.staff(sc)
    busy = st.intervals[st.intervals.offered > 0]
    n = int(busy["agents"].max())
    assert (busy["agents"] == n).all()
    sl_model = float(busy["service_level"].iloc[0])
    bl_model = float(busy["blocked"].iloc[0] / busy["offered"].iloc[0])
    sim = _simulated(sc, st, seed)
    assert abs(sim["sl"] - sl_model) <= sim["sl_half"] + FINITE_SLACK_SL, (sim, sl_model)
    assert abs(sim["bl"] - bl_model) <= sim["bl_half"] + FINITE_SLACK_BLOCKED, (sim, bl_model)
    # power: one agent fewer or more, the simulation is told apart from the model at n
    # (blocking moves by under half a point per agent here: no power claim for it)
    for m in (n - 1, n + 1):
        wrong = _simulated(sc, {"voice": [m if a else 0 for a in st.pools["agents"]]}, seed)
        assert abs(wrong["sl"] - sl_model) > wrong["sl_half"] + FINITE_SLACK_SL, (m, wrong)


def test_finite_channel_agrees_with_the_simulation_and_one_agent_short_does_not():
    _check_against_simulation(seed=7)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100))
def test_finite_channel_against_simulation_seed_sweep(seed):
    _check_against_simulation(seed)


def test_bundled_retail_bank_voice_has_its_lines_in_the_model(retail):
    st = co.staff(retail)
    r = retail.resolve(0)
    c = r.channel_index("voice")
    assert np.isfinite(r.lines[c])
    assert "blocking not in" not in st.notes.get("voice", "")
    assert (st.intervals["blocked"] >= 0).all()
