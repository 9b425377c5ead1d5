"""The simulation against queueing theory (Erlang C, Erlang A, slots) and the traffic equations.

Statistics. Each check compares an exact value with a confidence interval
from batch means: every (replication, day, interval) of a stationary run is
one batch. Near full load the waiting statistics of a short batch are
skewed (mostly no queue, now and then a long one) and the t interval of few
short batches covers too rarely: with batches of 12 handle times the mean
wait missed Erlang C for 1 seed in 70 (50 agents) and 1 in 48 (chat), and at
1,000 agents and 960 Erlangs for 4 seeds in 11. The batches are now 36-72
handle times long, and the 1,000-agent case runs at a load where the waiting
measures are not all in the tail (984 Erlangs).

The seed contract is that every check holds for every seed 0-99; with about
``N_CHECKS`` checks in this file a Bonferroni bound at family level 5 % gives
each check the level ``0.05 / (100 * N_CHECKS)``. Seed 0 runs in the default
suite; ``make test-seeds`` (marker ``slow``) runs seeds 1-99. Power: the
Erlang C and Erlang A checks at 50 agents also assert that the exact values
for 49 and 51 agents lie outside the same intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelopt.simulation import simulate_resolved
from test_simulation_helpers import (
    erlang_a_reference,
    erlang_c_reference,
    make_resolved,
    mean_half_width,
    voice,
)

N_CHECKS = 20
ALPHA = 0.05 / (100 * N_CHECKS)
SEEDS = [0]  # seeds 1-99 (the seed contract) run with `make test-seeds`
CONTRACT = [pytest.param(s, marks=pytest.mark.slow, id=f"seed_contract-{s}") for s in range(1, 100)]


def batch_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and simultaneous (Bonferroni) t interval of batch means."""
    mean, half = mean_half_width(values, ALPHA)
    return mean, mean - half, mean + half


def batches(res, channel: str = "voice") -> pd.DataFrame:
    df = res.intervals[res.intervals["channel"] == channel]
    out = pd.DataFrame(
        {
            "service_level": df["answered_within_target"] / df["offered"],
            "average_wait": df["total_wait"] / df["answered"],
            "abandonment": df["abandoned"] / df["offered"],
            "occupancy": df["occupancy"],
        }
    )
    return out


def wait_probability_batches(res, interval_s: float) -> np.ndarray:
    j = res.journeys
    key = j["replication"] * 10_000 + j["day"] * 100 + (j["arrival"] // interval_s).astype(int)
    return (j["total_wait"] > 0).groupby(key).mean().to_numpy()


def assert_inside(
    name: str, exact: float, values: np.ndarray, wrong: dict[str, float] | None = None
) -> None:
    """``exact`` inside the interval; each ``wrong`` model's value outside it (power)."""
    mean, lo, hi = batch_ci(values)
    assert lo <= exact <= hi, (
        f"{name}: exact {exact:.5g} outside [{lo:.5g}, {hi:.5g}] (mean {mean:.5g})"
    )
    for label, value in (wrong or {}).items():
        assert not lo <= value <= hi, (
            f"{name}: no power: the {label} value {value:.5g} is inside [{lo:.5g}, {hi:.5g}]"
        )


@pytest.mark.parametrize(
    ("agents", "load", "aht", "interval_s", "replications", "days", "seed"),
    [
        *[(50, 45.0, 300.0, 21_600.0, 4, 16, seed) for seed in SEEDS],
        *[
            pytest.param(50, 45.0, 300.0, 21_600.0, 4, 16, p.values[0], marks=p.marks, id=p.id)
            for p in CONTRACT
        ],
        (1000, 984.0, 300.0, 10800.0, 1, 3, SEEDS[0]),  # 1,100,000 contacts: one seed here
    ],
)
def test_erlang_c(agents, load, aht, interval_s, replications, days, seed):
    # batches of 72 (50 agents) and 36 (1,000 agents) handle times. At 1,000 agents
    # the load leaves half a standard deviation of spare agents (984 Erlangs, P(wait)
    # about 0.7): with more spare agents (960 Erlangs, service level 0.991) most
    # batches see no queue and a few a long one, and the skewed batch statistics
    # missed the exact service level for 1 seed in 8 even with 3-hour batches
    res = voice(agents, load, aht=aht, interval_s=interval_s, within=[20.0])
    sim = simulate_resolved(res, replications=replications, seed=seed, days=days, warmup_days=1)
    ref = erlang_c_reference(agents, load, aht, 20.0)
    # power: the exact values of one agent fewer and one more lie outside the intervals
    # (at 1,000 agents one agent is within the noise of any affordable run: no power claim)
    near = (agents - 1, agents + 1) if agents <= 100 else ()
    wrong = {f"{m} agents": erlang_c_reference(m, load, aht, 20.0) for m in near}
    b = batches(sim)
    pw = wait_probability_batches(sim, interval_s)
    for measure, values in (("wait_probability", pw), ("service_level", b["service_level"])):
        assert_inside(measure, ref[measure], values, {k: v[measure] for k, v in wrong.items()})
    assert_inside("average wait", ref["average_wait"], b["average_wait"])
    assert_inside(
        "occupancy",
        load / agents,
        b["occupancy"],
        {f"{m} agents": load / m for m in near},
    )


@pytest.mark.parametrize("seed", SEEDS + CONTRACT)
def test_erlang_a(seed):
    agents, load, aht, patience = (
        50,
        52.0,
        300.0,
        180.0,
    )  # overloaded: only patience keeps it stable
    res = voice(agents, load, aht=aht, patience=patience, within=[20.0])
    sim = simulate_resolved(res, replications=3, seed=seed, days=8)
    ref = erlang_a_reference(agents, load, aht, patience, 20.0)
    wrong = {
        f"{m} agents": erlang_a_reference(m, load, aht, patience, 20.0)
        for m in (agents - 1, agents + 1)
    }
    b = batches(sim)
    pw = wait_probability_batches(sim, 3600.0)
    for measure, values in (
        ("wait_probability", pw),
        ("abandonment", b["abandonment"]),
        ("service_level", b["service_level"]),
    ):
        assert_inside(measure, ref[measure], values, {k: v[measure] for k, v in wrong.items()})


@pytest.mark.parametrize("seed", SEEDS + CONTRACT)
def test_chat_without_stretch_is_the_slots_model(seed):
    # 20 agents x 3 chats = 60 slots: exactly M/M/60 when a chat's duration
    # does not depend on how many chats its agent carries. Batches of 6 h (72 handle
    # times): with 1-hour batches the skewed mean wait missed for 1 seed in 100.
    # 8 replications (96 batches): with 4 (48 batches) the mean wait's batch-mean
    # statistic fell to z = -5.1 on seed 97 (a run without a long queue) against a
    # Bonferroni bound of about 4.2; with 8 its range over seeds 0-99 is -2.75 to 1.83
    agents, conc, load, aht, interval_s = 20, 3, 54.0, 300.0, 21_600.0
    res = make_resolved(
        [("chat", "concurrent")],
        interval_s=interval_s,
        per_interval=[load / aht * interval_s],
        aht=[aht],
        concurrency=[conc],
        within=[30.0],
        pools=[("chat_team", [0], agents)],
    )
    sim = simulate_resolved(res, replications=8, seed=seed, days=3)
    ref = erlang_c_reference(agents * conc, load, aht, 30.0)
    b = batches(sim, "chat")
    # power: one agent fewer or more (3 slots) is told apart on every measure
    near = (agents - 1, agents + 1)
    wrong = {f"{m} agents": erlang_c_reference(m * conc, load, aht, 30.0) for m in near}
    pw = wait_probability_batches(sim, interval_s)
    for name, measure, values in (
        ("P(wait)", "wait_probability", pw),
        ("service level", "service_level", b["service_level"]),
        ("average wait", "average_wait", b["average_wait"]),
    ):
        assert_inside(name, ref[measure], values, {k: v[measure] for k, v in wrong.items()})
    assert_inside(
        "slot occupancy",
        load / (agents * conc),
        b["occupancy"],
        {f"{m} agents": load / (m * conc) for m in near},
    )


def omni_resolved(agents=(40, 12, 6), retrial=0.5) -> object:
    """bot -> chat/voice hand-offs, chat -> voice, repeats and retrials, opening hours."""
    n_i = 24
    profile = np.array(
        [0.2] * 7 + [1.0, 1.4, 1.6, 1.5, 1.3, 1.2, 1.3, 1.4, 1.3, 1.1, 1.0, 0.8] + [0.4] * 5
    )
    open_mask = np.ones((n_i, 4), dtype=bool)
    open_mask[:7, 2] = False  # email staffed 07:00-24:00; arrivals keep coming (carried over)
    open_mask[20:, 1] = False  # chat closes at 20:00
    base = np.array([60.0, 30.0, 10.0, 8.0])
    arrivals = np.outer(profile, base)
    handoff = np.zeros((4, 4))
    handoff[0, 1] = 0.05  # voice -> chat (a link sent by the agent)
    handoff[3, 0], handoff[3, 1] = 0.15, 0.35  # bot -> voice, chat
    handoff[1, 0] = 0.08  # chat -> voice
    repeat_to = np.zeros((4, 4))
    repeat_to[0, 0], repeat_to[0, 1] = 0.7, 0.3
    repeat_to[1, 0] = 0.5
    repeat_to[2, 2] = 0.6
    return make_resolved(
        [("voice", "live"), ("chat", "concurrent"), ("email", "deferred"), ("bot", "self_service")],
        per_interval=arrivals,
        aht=[360.0, 600.0, 480.0, 0.0],
        aht_cv=[1.0, 0.8, 0.5, 1.0],
        patience=[240.0, 300.0, np.inf, np.inf],
        resolution=[0.8, 0.7, 0.9, 1.0],
        containment=[0.0, 0.0, 0.0, 0.4],
        concurrency=[1, 3, 1, 1],
        stretch=[0.0, 0.2, 0.0, 0.0],
        deadline=[np.inf, np.inf, 86_400.0, np.inf],
        open_mask=open_mask,
        handoff=handoff,
        repeat_to=repeat_to,
        repeat_delay=7200.0,
        retrial_probability=retrial,
        retrial_delay=600.0,
        pools=[
            ("voice_team", [0], agents[0]),
            ("chat_team", [1], agents[1]),
            ("email_team", [2], agents[2]),
        ],
    )


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_offered_volume_matches_the_traffic_equations(seed):
    from channelopt.staffing import flows

    res = omni_resolved()
    sim = simulate_resolved(res, replications=4, seed=seed, days=2, warmup_days=2)
    df = sim.intervals
    # measured abandonment per interval-of-day and channel feeds the equations
    g = df.groupby(["interval", "channel"], observed=True)[["abandoned", "offered"]].sum()
    ab = (g["abandoned"] / g["offered"].where(g["offered"] > 0)).fillna(0.0)
    abandon = ab.unstack("channel").reindex(columns=list(res.channels)).to_numpy()
    expected = flows(res, abandon)  # (I, C) per day
    per_rep_day = df.groupby(["replication", "day", "channel"], observed=True)["offered"].sum()
    daily = per_rep_day.unstack("channel")[list(res.channels)]
    for c, name in enumerate(res.channels):
        assert_inside(f"offered per day, {name}", expected[:, c].sum(), daily[name].to_numpy())
    # and the shape of the day: offered per interval summed over the replications
    shape = df.groupby(["interval", "channel"], observed=True)["offered"].mean().unstack("channel")
    shape = shape[list(res.channels)].to_numpy()
    assert np.allclose(shape, expected, rtol=0.25, atol=15.0)


def test_stretch_slows_chats_down():
    # with stretch s = 0.5 and concurrency 3, one chat alone runs (1 + 2s) / 1 = 2x faster
    # than at full load: occupancy falls below the slots model's load / slots
    agents, conc, load, aht = 20, 3, 45.0, 600.0
    kw = dict(
        per_interval=[load / aht * 3600.0],
        aht=[aht],
        concurrency=[conc],
        pools=[("chat_team", [0], agents)],
    )
    plain = simulate_resolved(make_resolved([("chat", "concurrent")], **kw), replications=2, seed=5)
    stretched = simulate_resolved(
        make_resolved([("chat", "concurrent")], stretch=[0.5], **kw), replications=2, seed=5
    )
    occ_plain = plain.summary().set_index("measure").loc["occupancy", "mean"]
    occ_stretch = stretched.summary().set_index("measure").loc["occupancy", "mean"]
    assert occ_stretch < occ_plain - 0.05
    assert abs(occ_plain - load / (agents * conc)) < 0.02


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_deferred_deadline_target_met_when_staffed_by_staff(seed):
    import dataclasses

    from channelopt.staffing import staff

    n_i = 48
    profile = np.zeros(n_i)
    profile[16:40] = np.r_[np.linspace(1, 2, 12), np.linspace(2, 0.5, 12)]
    open_mask = np.zeros((n_i, 1), dtype=bool)
    open_mask[16:40] = True
    res = make_resolved(
        [("email", "deferred")],
        per_interval=(profile / profile.sum() * 1200.0)[:, None],
        aht=[420.0],
        deadline=[4 * 3600.0],
        interval_s=1800.0,
        open_mask=open_mask,
        pools=[("team", [0], np.nan)],
    )
    res = dataclasses.replace(
        res, target_within_deadline=np.array([0.9]), target_within=np.array([np.nan])
    )
    staffed = staff(res)
    sim = simulate_resolved(res, staffing=staffed, replications=8, seed=seed)
    per = sim.per_replication()["service_level"].to_numpy()  # completed within deadline / offered
    mean, lo, hi = batch_ci(per)
    # the fluid model staffs at the edge; the simulation must not show it missing the target
    assert hi >= 0.9, f"within deadline {mean:.3f} [{lo:.3f}, {hi:.3f}] below the 0.9 target"
    # and one agent fewer in every open interval misses it on the same arrivals
    fewer = staffed.pools.assign(agents=np.maximum(staffed.pools["agents"] - 1, 0))
    short = simulate_resolved(res, staffing=fewer, replications=8, seed=seed)
    assert short.per_replication()["service_level"].mean() < mean
