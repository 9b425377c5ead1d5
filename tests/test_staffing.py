"""Staffing: requirements and KPIs against the kernels, closed forms and published numbers."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import channelopt as co
from channelopt import queueing as q
from channelopt.errors import InfeasibleError
from channelopt.staffing import (
    INTERVAL_COLUMNS,
    POOL_COLUMNS,
    SUMMARY_COLUMNS,
    StaffingResult,
    staff,
    staff_resolved,
)
from test_staffing_support import make_resolved

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
HALF_HOUR = 1800.0
SL_80_20 = {"service_level": 0.8, "within": 20.0}


def _rows(result: StaffingResult, channel: str) -> pd.DataFrame:
    df = result.intervals
    return df[df["channel"] == channel].reset_index(drop=True)


def test_published_example_100_calls_180_s_80_20() -> None:
    # 100 calls in 30 min at 180 s: 10 Erlangs; 80 % within 20 s needs 14 agents,
    # reaching a service level of 0.8884 with P(wait) = 0.1741 (the classic example).
    r = make_resolved(
        [dict(name="voice", arrivals=100.0, aht=180.0, target=SL_80_20)], n_intervals=4
    )
    rows = _rows(staff_resolved(r), "voice")
    assert list(rows["agents"]) == [14] * 4
    np.testing.assert_allclose(rows["load"], 10.0, rtol=1e-12)
    np.testing.assert_allclose(rows["service_level"], 0.8884, atol=5e-5)
    # Erlang C mean wait: P(wait) x aht / (n - load)
    np.testing.assert_allclose(rows["average_wait"], 0.1741 * 180.0 / 4.0, rtol=5e-4)
    np.testing.assert_allclose(rows["occupancy"], 10.0 / 14.0, rtol=1e-12)


def test_concurrent_channel_equals_live_channel_with_k_times_the_agents() -> None:
    chat = dict(
        name="chat",
        kind="concurrent",
        concurrency=3,
        arrivals=120.0,
        aht=900.0,
        target={"service_level": 0.8, "within": 60.0},
    )
    r = make_resolved([chat], n_intervals=2)
    rows = _rows(staff_resolved(r), "chat")
    agents = int(rows["agents"][0])
    load = 120.0 * 900.0 / HALF_HOUR
    slots_needed = q.required_agents(load, 900.0, service_level=0.8, target=60.0)
    assert agents == math.ceil(slots_needed / 3)
    assert int(rows["slots"][0]) == 3 * agents
    # The same traffic as a live channel with 3 x agents agents gives identical KPIs.
    live = make_resolved([{**chat, "kind": "live", "concurrency": 1}], n_intervals=2)
    as_live = _rows(staff_resolved(live, channel_agents={"chat": 3 * agents}), "chat")
    for col in ("service_level", "average_wait", "occupancy", "load"):
        np.testing.assert_allclose(rows[col], as_live[col], rtol=1e-12)


def test_stretch_shortens_chats_below_full_concurrency() -> None:
    base = dict(
        name="chat",
        kind="concurrent",
        concurrency=3,
        arrivals=60.0,
        aht=900.0,
        target={"service_level": 0.8, "within": 60.0},
    )
    plain = _rows(staff_resolved(make_resolved([base], n_intervals=2)), "chat")
    stretched = _rows(
        staff_resolved(make_resolved([{**base, "stretch": 0.5}], n_intervals=2)), "chat"
    )
    # chats last at most aht (at full concurrency), so a stretch never needs more agents
    assert (stretched["agents"] <= plain["agents"]).all()
    assert (stretched["load"] <= plain["load"] + 1e-12).all()
    assert (stretched["service_level"] >= 0.8 - 1e-9).all()
    # with one chat per agent the stretch has nothing to act on
    one = {**base, "concurrency": 1}
    a = _rows(staff_resolved(make_resolved([one], n_intervals=2)), "chat")
    b = _rows(staff_resolved(make_resolved([{**one, "stretch": 0.5}], n_intervals=2)), "chat")
    pd.testing.assert_frame_equal(a, b)


def _journey_period(retrials: float = 0.4) -> object:
    n = 16
    profile = 1.0 + np.sin(np.linspace(0, np.pi, n))  # busy midday
    voice_open = np.zeros(n, dtype=bool)
    voice_open[3:14] = True
    return make_resolved(
        [
            dict(
                name="voice",
                arrivals=120.0 * profile,
                open=voice_open,
                aht=300.0,
                patience=150.0,
                resolution=0.75,
                target={"service_level": 0.8, "within": 20.0, "max_abandonment": 0.05},
            ),
            dict(
                name="chat",
                kind="concurrent",
                concurrency=2,
                arrivals=50.0 * profile,
                aht=600.0,
                patience=300.0,
                resolution=0.7,
                target={"service_level": 0.8, "within": 60.0},
            ),
            dict(
                name="email",
                kind="deferred",
                arrivals=20.0 * profile,
                aht=480.0,
                deadline=86400.0,
                resolution=0.8,
                open=voice_open,
                target={"within_deadline": 0.95},
            ),
            dict(name="bot", kind="self_service", arrivals=80.0 * profile, containment=0.4),
        ],
        n_intervals=n,
        interval_s=5400.0,
        handoff=[[0, 0, 0, 0], [0.06, 0, 0, 0], [0, 0, 0, 0], [0.12, 0.2, 0, 0]],
        repeat_to=[[0.65, 0.15, 0, 0], [0.35, 0.4, 0, 0], [0.3, 0, 0.5, 0], [0, 0, 0, 0]],
        repeat_delay=86400.0,
        retrial_probability=retrials,
        retrial_delay=900.0,
        pools=[
            ("phone", (0,), 30.0, 0.33),
            ("generalists", (0, 1), 34.0, 0.33),
            ("back_office", (2,), 27.0, 0.3),
        ],
    )


@pytest.fixture(scope="module")
def journey() -> StaffingResult:
    return staff_resolved(_journey_period())


def test_kpis_are_the_kernels_at_the_reported_agents_and_load(journey: StaffingResult) -> None:
    r = journey.resolved
    for name in ("voice", "chat"):
        c = r.channel_index(name)
        rows = _rows(journey, name)
        busy = rows["load"] > 0
        k = int(r.concurrency[c])
        slots = rows["agents"][busy].to_numpy() * k
        load = rows["load"][busy].to_numpy()
        m = q.measures(slots, load, r.aht[c], r.target_within[c], r.patience[c])
        # KPIs were computed at the per-interval fixed point; the table's load is
        # from the day's final flows: they differ by the reported residual only
        np.testing.assert_allclose(rows["service_level"][busy], m.service_level, rtol=1e-6)
        np.testing.assert_allclose(rows["abandonment"][busy], m.abandonment, rtol=1e-6)
        np.testing.assert_allclose(rows["occupancy"][busy], m.occupancy, rtol=1e-6)
        # work conservation: busy agent time = answered contacts x handle time
        work = rows["occupancy"] * rows["slots"] * r.interval_s
        np.testing.assert_allclose(work, rows["answered"] * r.aht[c], rtol=1e-6, atol=1e-6)
    assert journey.residual < 1e-5
    assert journey.iterations < co.staffing.MAX_ITERATIONS


def test_every_target_holds_and_one_agent_less_misses(journey: StaffingResult) -> None:
    r = journey.resolved
    voice = _rows(journey, "voice")
    busy = voice["offered"] > 0
    assert (voice["service_level"][busy] >= 0.8 - 1e-9).all()
    assert (voice["abandonment"][busy] <= 0.05 + 1e-9).all()
    chat = _rows(journey, "chat")
    assert (chat["service_level"][chat["offered"] > 0] >= 0.8 - 1e-9).all()
    email = _rows(journey, "email")
    within = (email["within_deadline"] * email["offered"]).sum() / email["offered"].sum()
    assert within >= 0.95 - 1e-9
    # One agent fewer in every busy interval (voice) misses a voice target there.
    fewer = journey.agents().to_numpy().copy()
    c = r.channel_index("voice")
    fewer[:, c] = np.maximum(fewer[:, c] - 1, 0)
    worse = _rows(staff_resolved(r, channel_agents=fewer), "voice")
    missed = (worse["service_level"] < 0.8) | (worse["abandonment"] > 0.05)
    assert missed[busy].all()


def test_retrials_solve_their_fixed_point() -> None:
    # Constant day, one channel open all day: every interval is alike, so the
    # offered volume solves x = a + p * abandonment(n, x) * x exactly.
    a, p, aht, patience = 200.0, 0.5, 300.0, 120.0
    r = make_resolved(
        [dict(name="voice", arrivals=a, aht=aht, patience=patience, target=SL_80_20)],
        n_intervals=8,
        retrial_probability=p,
    )
    res = staff_resolved(r)
    rows = _rows(res, "voice")
    x, n = rows["offered"].to_numpy(), rows["agents"].to_numpy()
    ab = q.abandonment(n, x * aht / HALF_HOUR, aht, patience)
    np.testing.assert_allclose(x, a / (1 - p * ab), rtol=1e-8)
    np.testing.assert_allclose(rows["abandonment"], ab, rtol=1e-8)
    np.testing.assert_allclose(rows["lost"], x * ab * (1 - p), rtol=1e-8)
    # without retrials the requirement is exactly the kernel's, on the external load
    r0 = make_resolved(
        [dict(name="voice", arrivals=a, aht=aht, patience=patience, target=SL_80_20)],
        n_intervals=8,
    )
    rows0 = _rows(staff_resolved(r0), "voice")
    want = q.required_agents(
        a * aht / HALF_HOUR, aht, service_level=0.8, target=20.0, patience=patience
    )
    assert (rows0["agents"] == want).all()
    # the smallest n meeting the target at the load n itself produces
    n_star = int(n[0])
    for m, ok in ((n_star, True), (n_star - 1, False)):
        xm = a
        for _ in range(200):
            xm = a + p * q.abandonment(m, xm * aht / HALF_HOUR, aht, patience) * xm
        sl = q.service_level(m, xm * aht / HALF_HOUR, aht, 20.0, patience)
        assert (sl >= 0.8) == ok


def test_no_target_staffs_to_stability() -> None:
    r = make_resolved([dict(name="voice", arrivals=100.0, aht=180.0)], n_intervals=2)
    rows = _rows(staff_resolved(r), "voice")
    assert list(rows["agents"]) == [11, 11]  # load 10: the smallest n > load


def test_pools_sum_their_channels_and_bound_from_below() -> None:
    # Two identical Erlang C channels in one pool: pooling them is exactly one
    # M/M/n queue on the summed load, which must lie between the two bounds.
    same = dict(aht=300.0, target=SL_80_20)
    r = make_resolved(
        [
            dict(name="a", arrivals=90.0, **same),
            dict(name="b", arrivals=150.0, **same),
            dict(name="c", arrivals=30.0, **same),
        ],
        n_intervals=3,
        pools=[("shared", (0, 1), 30.0, 0.3), ("solo", (2,), 25.0, 0.2)],
    )
    res = staff_resolved(r)
    df = res.intervals
    pools = res.pools
    assert list(pools.columns) == list(POOL_COLUMNS)
    shared = pools[pools["pool"] == "shared"].reset_index(drop=True)
    per_channel = df[df["pool"] == "shared"].groupby("interval")["agents"]
    np.testing.assert_array_equal(shared["agents"], per_channel.sum())
    np.testing.assert_array_equal(shared["agents_lower_bound"] >= per_channel.max(), True)
    pooled = q.required_agents(
        (90 + 150) * 300.0 / HALF_HOUR, 300.0, service_level=0.8, target=20.0
    )
    assert (shared["agents_lower_bound"] <= pooled).all()
    assert (pooled <= shared["agents"]).all()
    # FTE and cost: agents / (1 - shrinkage) and FTE x hours x cost per hour
    solo = pools[pools["pool"] == "solo"]
    np.testing.assert_allclose(solo["fte"], solo["agents"] / 0.8)
    np.testing.assert_allclose(solo["cost"], solo["agents"] / 0.8 * 0.5 * 25.0)
    rows = df[df["channel"] == "a"]
    np.testing.assert_allclose(rows["cost"], rows["agents"] / 0.7 * 0.5 * 30.0)


def test_self_service_rows() -> None:
    r = make_resolved(
        [
            dict(name="bot", kind="self_service", arrivals=100.0, containment=0.4),
            dict(name="voice", arrivals=0.0, aht=300.0, target=SL_80_20),
        ],
        n_intervals=2,
        handoff=[[0, 0.5], [0, 0]],
    )
    res = staff_resolved(r)
    bot = _rows(res, "bot")
    np.testing.assert_allclose(bot["contained"], 40.0)
    np.testing.assert_allclose(bot["handed_off"], 30.0)
    np.testing.assert_allclose(bot["gave_up"], 30.0)
    assert (bot["agents"] == 0).all() and (bot["pool"] == "").all()
    np.testing.assert_allclose(_rows(res, "voice")["offered"], 30.0)


@pytest.mark.parametrize("retrials", [0.0, 0.4, 0.9])
def test_every_external_contact_ends_exactly_once(retrials: float) -> None:
    res = staff_resolved(_journey_period(retrials))
    df = res.intervals
    ends = df[["contained", "gave_up", "lost", "resolved", "unresolved"]].to_numpy().sum()
    assert ends == pytest.approx(df["external"].sum(), rel=1e-6)
    # attempts: every offered contact is answered, abandoned or handled by the bot
    staffed = df["kind"] != "self_service"
    np.testing.assert_allclose(
        df.loc[staffed, "offered"], df.loc[staffed, "answered"] + df.loc[staffed, "abandoned"]
    )


def test_summary_aggregates_the_intervals(journey: StaffingResult) -> None:
    assert journey.summary().index.name == "channel"  # st.summary().loc["voice"]
    s = journey.summary().reset_index()
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert list(s["channel"]) == list(journey.resolved.channels)
    voice = _rows(journey, "voice")
    row = s.set_index("channel").loc["voice"]
    assert row["offered"] == pytest.approx(voice["offered"].sum())
    assert row["peak_agents"] == voice["agents"].max()
    hours = journey.resolved.interval_s / 3600
    assert row["agent_hours"] == pytest.approx(voice["agents"].sum() * hours)
    sl = (voice["service_level"] * voice["offered"]).sum() / voice["offered"].sum()
    assert row["service_level"] == pytest.approx(sl)
    assert row["abandonment"] == pytest.approx(voice["abandoned"].sum() / voice["offered"].sum())
    assert row["cost"] == pytest.approx(voice["cost"].sum())
    assert list(journey.intervals.columns) == list(INTERVAL_COLUMNS)


def test_evaluating_the_required_agents_reproduces_them(journey: StaffingResult) -> None:
    r = journey.resolved
    again = staff_resolved(r, channel_agents=journey.agents().to_numpy())
    assert again.mode == "evaluated"
    for col in ("agents", "offered", "service_level", "abandonment", "occupancy"):
        np.testing.assert_allclose(again.intervals[col], journey.intervals[col], rtol=1e-7)


def test_pool_agents_fill_specialists_first(journey: StaffingResult) -> None:
    r = journey.resolved
    need = journey.agents()
    t = int(np.argmax(need["voice"]))
    phone = int(need["voice"][t]) - 3  # the phone pool is 3 short of voice's need
    gen = 3 + int(need["chat"][t])  # generalists cover the gap and chat exactly
    pools = np.zeros((r.n_intervals, 3))
    pools[t] = [phone, gen, int(need["email"].max())]
    res = staff_resolved(r, agents=pools)
    got = res.agents()
    assert got["voice"][t] == need["voice"][t]
    assert got["chat"][t] == need["chat"][t]
    assert res.pools.set_index(["pool", "interval"]).loc[("phone", t), "agents"] == phone


def test_staff_resolves_a_scenario_with_a_plan() -> None:
    assert SCENARIOS, "the bundled scenarios are missing"
    sc = co.load_scenario(SCENARIOS[0])
    plain = staff(sc, period=0)
    assert plain.scenario_name == sc.resolve(0).name
    assert plain.scenario_hash == sc.resolve(0).content_hash
    assert plain.version == co.__version__
    assert plain.period == 0
    calls = []
    again = staff(
        sc, 0, SimpleNamespace(starts={}, agents=None), progress=lambda *a: calls.append(a)
    )
    pd.testing.assert_frame_equal(plain.intervals, again.intervals)
    assert calls and calls[-1][0] == again.iterations


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_scenarios_meet_every_target(path: Path) -> None:
    sc = co.load_scenario(path)
    n_periods = sc.resolve(0).fractions is not None and _periods(sc)
    for period in range(n_periods):
        res = staff(sc, period=period)
        r = res.resolved
        df = res.intervals
        for c, name in enumerate(r.channels):
            rows = df[(df["channel"] == name) & (df["offered"] > 0)]
            if rows.empty:
                continue
            where = f"{path.stem} period {period} channel {name}"
            if not math.isnan(r.target_service_level[c]):
                assert (rows["service_level"] >= r.target_service_level[c] - 1e-9).all(), where
            if not math.isnan(r.target_max_abandonment[c]):
                assert (rows["abandonment"] <= r.target_max_abandonment[c] + 1e-9).all(), where
            if not math.isnan(r.target_max_wait[c]):
                assert (rows["average_wait"] <= r.target_max_wait[c] * (1 + 1e-9)).all(), where
            if r.kinds[c] == "deferred":
                target = r.target_within_deadline[c]
                target = 1.0 if math.isnan(target) else target
                within = (rows["within_deadline"] * rows["offered"]).sum() / rows["offered"].sum()
                assert within >= target - 1e-9, where
            elif not math.isnan(r.target_max_occupancy[c]):
                assert (rows["occupancy"] <= r.target_max_occupancy[c] + 1e-9).all(), where
        assert res.residual < 1e-4
        assert (res.pools["agents_lower_bound"] <= res.pools["agents"]).all()


def _periods(sc: object) -> int:
    return int(sc.periods.count)  # type: ignore[attr-defined]


def test_bad_input_is_named() -> None:
    r = make_resolved(
        [dict(name="voice", arrivals=10.0, aht=180.0, target=SL_80_20)], n_intervals=2
    )
    with pytest.raises(TypeError, match="Scenario or Resolved"):
        staff("scenarios/retail_bank.yaml")
    with pytest.raises(TypeError, match="Resolved"):
        staff_resolved({"channels": []})  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="unknown pool 'nope'"):
        staff_resolved(r, agents={"nope": 3})
    with pytest.raises(ValueError, match="agents must be finite and >= 0, got -1"):
        staff_resolved(r, agents={"voice": -1})
    with pytest.raises(ValueError, match=r"shape \(pools,\) = \(1,\)"):
        staff_resolved(r, agents=np.ones(5))
    with pytest.raises(ValueError, match="2 values"):
        staff_resolved(r, channel_agents={"voice": [1, 2, 3]})
    with pytest.raises(KeyError, match="unknown channel 'fax'"):
        staff_resolved(r, channel_agents={"fax": 1})
    impossible = make_resolved(
        [
            dict(
                name="voice",
                arrivals=10.0,
                aht=180.0,
                patience=60.0,
                target={"max_abandonment": 0.0},
            )
        ],
        n_intervals=2,
    )
    with pytest.raises(InfeasibleError, match="voice"):
        staff_resolved(impossible)
    if SCENARIOS:
        sc = co.load_scenario(SCENARIOS[0])
        with pytest.raises(ValueError, match="period must be an integer >= 0, got -1"):
            staff(sc, period=-1)


BANK = Path(__file__).resolve().parents[1] / "scenarios" / "retail_bank.yaml"


def test_a_plan_changes_the_staffing() -> None:
    sc = co.load_scenario(BANK)
    base = staff(sc, period=2).summary()  # indexed by channel
    # CRM unification (lead 1, ramp 2) is fully in force in period 2: voice calls
    # are 8 % shorter and resolve more often, so voice needs fewer agent hours.
    crm = staff(sc, period=2, plan=co.Plan(starts={"crm_unification": 0})).summary()
    assert crm.loc["voice", "agent_hours"] < base.loc["voice", "agent_hours"]
    assert crm.loc["voice", "repeats"] < base.loc["voice", "repeats"]
    # a plan that fixes agents per pool is evaluated, not staffed
    r = sc.resolve(0)
    roster = {p: 10 for p in r.pools}
    fixed = staff(sc, period=0, plan=co.Plan(starts={}, agents=roster))
    assert fixed.mode == "evaluated"
    pools = fixed.pools.groupby("pool")["agents"].max()
    df = fixed.intervals
    for p, skills in zip(r.pools, r.pool_skills, strict=True):
        served = [r.channels[c] for c in skills]
        if df.loc[df["channel"].isin(served), "offered"].sum() > 0:
            assert pools[p] == 10, p


def test_every_documented_column_exists() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "staffing.md").read_text()

    def table(title: str) -> list[str]:
        part = doc.split(title, 1)[1].split("\n## ", 1)[0]
        names = []
        for line in part.splitlines():
            if line.startswith("| `"):
                first = line.split("|")[1]
                names += [n.strip().strip("`") for n in first.split(",")]
        return names

    assert table("## `StaffingResult.intervals`") == list(INTERVAL_COLUMNS)
    assert table("## `StaffingResult.pools`") == list(POOL_COLUMNS)


@pytest.mark.parametrize("stretch", [0.0, 0.4, 1.0])
def test_stretch_model_is_exact_for_one_agent(stretch: float) -> None:
    # One agent: chats cannot be spread, so the channel is exactly the birth-death
    # chain below, solved here term by term (truncated far in the tail).
    k, aht, patience, arrivals = 3, 600.0, 300.0, 12.0
    lam = arrivals / HALF_HOUR
    full = 1 + stretch * (k - 1)
    pi = [1.0]
    for m in range(1, 4000):
        in_service = m * full / (1 + stretch * (m - 1)) / aht  # m <= k chats, all served
        queued = k / aht + (m - k) / patience  # k served, m - k waiting and may abandon
        death = in_service if m <= k else queued
        pi.append(pi[-1] * lam / death)
    pi = np.array(pi) / np.sum(pi)
    m = np.arange(pi.size)
    p_wait = pi[k:].sum()
    abandon = (pi * np.maximum(m - k, 0) / patience).sum() / lam
    busy = (pi * np.minimum(m, k)).sum() / k
    chat = dict(
        name="chat",
        kind="concurrent",
        concurrency=k,
        stretch=stretch,
        arrivals=arrivals,
        aht=aht,
        patience=patience,
        target={"service_level": 0.5, "within": 0.0},
    )
    rows = _rows(
        staff_resolved(make_resolved([chat], n_intervals=1), channel_agents={"chat": 1}), "chat"
    )
    assert rows["service_level"][0] == pytest.approx(1 - p_wait, rel=1e-9)
    assert rows["abandonment"][0] == pytest.approx(abandon, rel=1e-9)
    assert rows["occupancy"][0] == pytest.approx(busy, rel=1e-9)


def test_docstring_examples_run() -> None:
    import doctest

    from channelopt.staffing import _core, _deferred, _flows

    for module in (_core, _deferred, _flows):
        failed, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert failed == 0, module.__name__


@settings(max_examples=25, deadline=None)
@given(
    # no subnormals: the reference load arrivals x aht / 1800 would underflow to 0
    arrivals=st.lists(st.floats(0.0, 400.0, allow_subnormal=False), min_size=3, max_size=3),
    aht=st.floats(60.0, 900.0),
    patience=st.sampled_from([math.inf, 60.0, 300.0]),
    targets=st.sampled_from(
        [
            {"service_level": 0.8, "within": 20.0},
            {"service_level": 0.9, "within": 60.0, "max_occupancy": 0.85},
            {"max_wait": 30.0},
            {"max_abandonment": 0.05, "service_level": 0.7, "within": 30.0},
        ]
    ),
)
def test_search_equals_required_agents_without_retrials(arrivals, aht, patience, targets):
    r = make_resolved(
        [dict(name="voice", arrivals=arrivals, aht=aht, patience=patience, target=targets)],
        n_intervals=3,
    )
    got = _rows(staff_resolved(r), "voice")["agents"].to_numpy()
    kw = {k: v for k, v in targets.items() if k != "within"}
    if "within" in targets:
        kw["target"] = targets["within"]
    load = np.array(arrivals) * aht / HALF_HOUR
    want = q.required_agents(load, aht, patience=patience, **kw)
    np.testing.assert_array_equal(got, want)
