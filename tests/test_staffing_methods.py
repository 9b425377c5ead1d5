"""Staffing methods: pool booking, deferred capacity after live work, notes on approximations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from channelopt.staffing._deferred import deferred_kpis, staff_deferred
from multiskill import multiskill_doc


def _email_within(sc, staffing, seed: int, replications: int = 4):
    s = co.simulate(sc, staffing, replications=replications, seed=seed).summary().loc["email"]
    return s[s.measure == "service_level"].iloc[0]


def test_each_channel_is_booked_where_it_comes_first(retail):
    st = co.staff(retail)
    pools = st.summary()["pool"]  # indexed by channel
    # voice first in phone (fewer skills than generalists), chat first in digital,
    # email in back_office (the pool without live work)
    assert pools["voice"] == "phone"
    assert pools["chat"] == "digital"
    assert pools["email"] == "back_office"
    totals = st.pools.groupby("pool")["agents"].sum()
    assert totals["generalists"] == 0


def test_retail_bank_email_meets_its_deadline_in_simulation_at_the_staffing_staff_returns(retail):
    st = co.staff(retail)
    target = float(
        retail.resolve(0).target_within_deadline[retail.resolve(0).channel_index("email")]
    )
    assert target == 0.95
    row = _email_within(retail, st, seed=3)
    assert row["ci_low"] >= target, row
    # Power: the same check fails when the backlog gets half its agents (the
    # digital pool's idle time makes up some of a smaller cut: at 80 % it still
    # meets the target, which is the slack of the fluid model's occupancy cap).
    pv = st.pools.pivot(index="interval", columns="pool", values="agents")
    half = pv.copy()
    half["back_office"] = np.floor(half["back_office"] * 0.5)
    bad = _email_within(retail, {k: half[k].tolist() for k in half}, seed=3)
    assert bad["ci_high"] < target, bad


def test_deferred_offset_is_capacity_taken_by_live_work():
    arrivals = np.array([40.0, 40.0, 40.0, 40.0, 0.0, 0.0])
    open_mask = np.ones(6, dtype=bool)
    aht, interval, deadline = 600.0, 3600.0, 3 * 3600.0
    plain = staff_deferred(arrivals, open_mask, aht, interval, deadline, 0.9)
    taken = np.array([-2.0, -2.0, -2.0, -2.0, -2.0, -2.0])
    more = staff_deferred(arrivals, open_mask, aht, interval, deadline, 0.9, offset=taken)
    # the backlog gets max(agents - 2, 0): at least as many agents needed, and with
    # the offset removed the result meets the target on its own
    assert more.sum() > plain.sum()
    kp = deferred_kpis(arrivals, np.maximum(more + taken, 0), aht, interval, deadline)
    assert kp.total_within >= 0.9 - 1e-12
    # one agent fewer in any worked interval misses (the search is tight there)
    k = int(np.flatnonzero(more)[0])
    fewer = more.copy()
    fewer[k] -= 1
    kp2 = deferred_kpis(arrivals, np.maximum(fewer + taken, 0), aht, interval, deadline)
    base = deferred_kpis(arrivals, np.maximum(more + taken, 0), aht, interval, deadline)
    assert kp2.total_within <= base.total_within


def test_erlang_result_says_where_it_approximates(retail):
    st = co.staff(retail)
    assert st.method == "erlang"
    assert set(st.exact) == set(retail.resolve(0).channels)
    assert st.exact["bot"] is True
    assert st.exact["chat"] is False  # shared pools
    assert "shares a pool" in st.notes["chat"]
    # its stretch is sized with the exact chat-count chain (small enough here): no note
    assert "stretch" not in st.notes["chat"]
    assert "no bound either way" in st.notes["pool generalists"]


def test_single_pool_channels_are_exact():
    sc = co.load_scenario(
        {
            "name": "one",
            "interval": "30min",
            "channels": {
                "voice": {
                    "kind": "live",
                    "arrivals": [100] * 48,
                    "aht": "3min",
                    "target": {"service_level": 0.8, "within": "20s"},
                }
            },
        }
    )
    st = co.staff(sc)
    assert st.exact == {"voice": True}
    assert dict(st.notes) == {}


@pytest.mark.parametrize("seed", [0])
def test_shared_live_pool_sum_is_flagged_pessimistic(seed):
    doc = {
        "name": "two",
        "interval": "30min",
        "channels": {
            "a": {
                "kind": "live",
                "arrivals": [60] * 48,
                "aht": "4min",
                "target": {"service_level": 0.8, "within": "20s"},
            },
            "b": {
                "kind": "live",
                "arrivals": [40] * 48,
                "aht": "4min",
                "target": {"service_level": 0.8, "within": "20s"},
            },
        },
        "pools": {"all": {"skills": ["a", "b"], "agents": 30, "cost_per_hour": 30}},
    }
    st = co.staff(co.load_scenario(doc))
    assert "pessimistic" in st.notes["pool all"]


def test_unknown_method_is_rejected(retail):
    with pytest.raises(ValueError, match="'method' argument of staff must be one of"):
        co.staff(retail, method="exact")


def test_pooled_equals_erlang_where_no_pool_is_shared():
    # one pool per channel: the decomposition is the channel's own Erlang A queue
    doc = multiskill_doc(7, 3, 3)
    for i, pool in enumerate(doc["pools"].values()):
        pool["skills"] = [f"s{i}"]
    sc = co.load_scenario(doc)
    e = co.staff(sc)
    p = co.staff(sc, method="pooled")
    assert p.method == "pooled"
    assert np.array_equal(e.pools["agents"].to_numpy(), p.pools["agents"].to_numpy())
    live = e.intervals["load"] > 0
    np.testing.assert_allclose(
        p.intervals.loc[live, "service_level"], e.intervals.loc[live, "service_level"], rtol=1e-9
    )


def test_pooled_meets_every_target_in_its_model_and_flags_shared_channels(retail):
    p = co.staff(retail, method="pooled")
    df = p.intervals
    for ch, sl in (("voice", 0.8), ("chat", 0.8)):
        rows = df[(df.channel == ch) & (df.load > 0)]
        assert (rows["service_level"] >= sl - 1e-9).all()
    assert p.exact["voice"] is False and "pooled approximation" in p.notes["voice"]
    # cost: pooled never books more than the erlang staffing on this scenario
    assert p.pools["cost"].sum() <= co.staff(retail).pools["cost"].sum() + 1e-6


def test_pooled_counts_follow_from_its_own_abandonment(telecom):
    """Every count of the pooled table follows from the approximation's abandonment, with
    the scenario file's numbers for voice: retrials 0.55, resolution 0.65 (no hand-off
    from voice), patience 150 s. Before session 8 lost, wait, repeats and resolved
    contacts kept the per-channel Erlang evaluation's: voice lost 1.7-2.9 times what
    the table said it abandoned."""
    df = co.staff(telecom, method="pooled").intervals
    v = df[(df.channel == "voice") & (df.offered > 0)]
    assert (v["abandonment"] > 0.01).any()  # the identities below are not all 0 = 0
    np.testing.assert_allclose(v["abandoned"], v["offered"] * v["abandonment"], rtol=1e-12)
    np.testing.assert_allclose(
        v["answered"] + v["abandoned"] + v["blocked"], v["offered"], rtol=1e-12
    )
    np.testing.assert_allclose(v["lost"], v["abandoned"] * (1 - 0.55), rtol=1e-12)
    np.testing.assert_allclose(v["resolved"], v["answered"] * 0.65, rtol=1e-12)
    np.testing.assert_allclose(v["wait_minutes"], v["abandoned"] * 150 / 60, rtol=1e-12)


@pytest.fixture(scope="module")
def two_skills():
    return co.load_scenario(multiskill_doc(1, 2, 2))


@pytest.fixture(scope="module")
def by_simulation(two_skills):
    calls = []
    st = co.staff(
        two_skills,
        method="simulation",
        replications=8,
        seed=1,
        progress=lambda done, total, message: calls.append((done, total, message)),
    )
    return st, calls


def _sl(sc, staffing, seed):
    s = co.simulate(sc, staffing, replications=8, seed=seed).summary()
    return s[s.measure == "service_level"]  # indexed by channel


def test_simulation_staffing_meets_every_target_in_an_independent_simulation(
    two_skills, by_simulation
):
    st, _ = by_simulation
    assert st.method == "simulation"
    assert bool(st.simulated["meets"].all())
    check = _sl(two_skills, st, seed=99)  # new seeds
    for ch in ("s0", "s1"):
        assert check.loc[ch, "ci_low"] >= 0.8, check
    # power: the erlang staffing (each skill sized alone) misses s1 in the same check
    erlang = _sl(two_skills, co.staff(two_skills), seed=99)
    assert erlang.loc["s1", "mean"] < 0.8 - 0.02, erlang


def test_simulation_staffing_is_cheaper_than_pooled_and_reports_its_cost(two_skills, by_simulation):
    st, calls = by_simulation
    pooled = co.staff(two_skills, method="pooled")
    assert st.pools["cost"].sum() < pooled.pools["cost"].sum()
    assert "method='erlang'" in st.notes["method"]
    assert calls and all(len(c) == 3 and isinstance(c[2], str) for c in calls)
    assert calls[-1][0] <= calls[-1][1]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(replications=1), "'replications' argument of staff must be an integer >= 2"),
        (dict(confidence=1.5), "'confidence' argument of staff"),
        (dict(time_limit=0), "'time_limit' argument of staff"),
        (dict(iterations="3"), "'iterations' argument of staff must be None"),
        (dict(iterations=2.7), "'iterations' argument of staff must be None"),
        (dict(iterations=-1), "'iterations' argument of staff must be None"),
    ],
)
def test_simulation_options_are_checked(two_skills, kwargs, match):
    with pytest.raises(ValueError, match=match):
        co.staff(two_skills, method="simulation", **kwargs)


def test_simulation_method_without_costs_minimises_fte_hours():
    # no pool has a cost_per_hour: erlang's cost is 0 and the note gives no percentage
    # (it divided by zero)
    sc = _one_voice(50)
    st = co.staff(sc, method="simulation", replications=4, seed=1, iterations=1)
    assert float(st.pools["cost"].sum()) == 0.0
    assert "against 0 for method='erlang'" in st.notes["method"]
    assert "%" not in st.notes["method"].split("method='erlang'")[1].split(";")[0]
    # without costs the method minimises FTE-hours (free agents made its answer arbitrary:
    # 69 agent-intervals against erlang's 56); the simulation's confirmation may add a few
    assert "minimises FTE-hours" in st.notes["method"]
    erlang = int(co.staff(sc).pools["agents"].sum())
    assert erlang <= int(st.pools["agents"].sum()) <= 1.1 * erlang


def test_simulation_options_need_the_simulation_method(two_skills):
    with pytest.raises(TypeError, match="only method='simulation' takes"):
        co.staff(two_skills, replications=5)


def test_cli_staff_method_pooled_writes_the_pooled_table(tmp_path):
    from typer.testing import CliRunner

    from channelopt.cli import app

    bank = Path(__file__).resolve().parents[1] / "scenarios" / "retail_bank.yaml"
    out = tmp_path / "pooled.csv"
    res = CliRunner().invoke(app, ["staff", str(bank), "--method", "pooled", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out)
    expected = co.staff(co.load_scenario(bank), method="pooled").intervals
    assert written["agents"].sum() == expected["agents"].sum()
    bad = CliRunner().invoke(app, ["staff", str(bank), "--method", "exact"])
    assert bad.exit_code == 2
    assert "--method must be one of erlang, pooled, simulation" in bad.stderr


def _voice_and_mail(mail: int, pools: dict, voice_routing: list | None = None) -> co.Scenario:
    """100 calls and ``mail`` live mails a half hour from 08:00 to 12:00, on ``pools``."""
    busy = [0] * 16 + [1] * 8 + [0] * 24
    target = {"service_level": 0.8, "within": "20s"}
    channels = {
        "voice": {"arrivals": [100 * b for b in busy], "aht": "3min", "patience": "4min"},
        "mail": {"arrivals": [mail * b for b in busy], "aht": "5min", "patience": "6min"},
    }
    for ch in channels.values():
        ch.update(kind="live", target=target)
    if voice_routing is not None:
        channels["voice"]["routing"] = voice_routing
    return co.load_scenario(
        {"name": "voice and mail", "interval": "30min", "channels": channels, "pools": pools}
    )


def _one_voice(volume: int) -> co.Scenario:
    return co.load_scenario(
        {
            "name": "one",
            "interval": "30min",
            "channels": {
                "voice": {
                    "kind": "live",
                    "arrivals": [0] * 16 + [volume] * 8 + [0] * 24,
                    "aht": "3min",
                    "patience": "4min",
                    "target": {"service_level": 0.8, "within": "20s"},
                }
            },
        }
    )


def test_model_agreement_agrees_where_the_model_is_exact_and_flags_a_wrong_one():
    from channelopt.staffing import AGREEMENT_COLUMNS, model_agreement

    sc = _one_voice(100)
    table = model_agreement(sc, replications=6, seed=4)
    assert tuple(table.columns) == AGREEMENT_COLUMNS
    assert set(table["measure"]) == {"service_level", "abandonment", "average_wait", "occupancy"}
    assert table["agree"].all(), table
    assert (table["sentence"] == "").all()
    # the same agents with analytic figures computed for 30 % more calls: the
    # simulation (at the real volume) does better and the table says so
    wrong = co.staff(_one_voice(130))
    bad = model_agreement(sc, wrong, replications=6, seed=4).set_index("measure")
    assert not bad.loc["service_level", "agree"]
    assert "pessimistic" in bad.loc["service_level", "sentence"]


def test_model_agreement_has_a_row_per_pool_that_flags_work_done_elsewhere():
    from channelopt.staffing import model_agreement

    # one pool, one exponential channel: the pool's occupancy is the Erlang A figure
    sc = _one_voice(100)
    table = model_agreement(sc, replications=6, seed=4)
    pool = table[table["level"] == "pool"].set_index("name")
    name = str(co.staff(sc).pools["pool"].iloc[0])
    assert list(pool.index) == [name] and pool.loc[name, "measure"] == "occupancy"
    iv = co.staff(sc).intervals
    busy = float((iv["occupancy"] * iv["agents"]).sum() / iv["agents"].sum())
    assert pool.loc[name, "analytic"] == pytest.approx(busy, rel=1e-12)
    assert bool(pool.loc[name, "agree"]), pool
    # power: analytic figures for 30 % more calls put the pool's occupancy above the simulated
    wrong = model_agreement(sc, co.staff(_one_voice(130)), replications=6, seed=4)
    row = wrong[wrong["level"] == "pool"].iloc[0]
    assert not row["agree"] and row["analytic"] > row["high"]
    assert "other pools take part of the work" in row["sentence"]
    # a generalist pool booked only for a small channel answers voice when idle:
    # the simulation finds it busier than booked, and the sentence says why
    two = _voice_and_mail(
        5,
        {
            "phone": {"skills": ["voice"], "agents": 10},
            "generalists": {"skills": ["mail", "voice"], "agents": 10},
        },
    )
    table = model_agreement(two, replications=10, seed=4)
    gen = table[(table["level"] == "pool") & (table["name"] == "generalists")].iloc[0]
    assert not gen["agree"] and gen["analytic"] < gen["low"], gen
    assert "also answers voice, booked to other pools" in gen["sentence"]


def test_model_agreement_pool_rows_hold_for_pooled_staffing():
    # pooled's `occupancy` is against its effective agents; the pool row must count
    # the carried work (it gave 0.736 against 0.845 simulated before the fix)
    from channelopt.staffing import model_agreement

    sc = _voice_and_mail(60, {"all": {"skills": ["voice", "mail"], "agents": 20}})
    for method in ("erlang", "pooled"):
        st = co.staff(sc, method=method)
        iv = st.intervals
        # independent of the table's occupancy column: Erlangs carried over agents
        carried = (iv["load"] * iv["answered"] / iv["offered"].where(iv["offered"] > 0)).sum()
        row = model_agreement(sc, st, replications=6, seed=4)
        row = row[(row["level"] == "pool") & (row["name"] == "all")].iloc[0]
        assert row["analytic"] == pytest.approx(carried / st.pools["agents"].sum(), rel=1e-9)
        assert bool(row["agree"]), (method, row)


def test_evaluate_with_simulation_fidelity_adds_intervals_and_miss_probabilities():
    sc = _one_voice(100)
    ev = co.evaluate(sc, co.Plan(starts={}), fidelity="simulation", replications=8, seed=2)
    row = ev.periods[ev.periods.channel == "voice"].iloc[0]
    assert row["sim_service_level_low"] <= row["sim_service_level"] <= row["sim_service_level_high"]
    # a single exponential Erlang A channel: analytic and simulated agree
    assert abs(row["sim_service_level"] - row["service_level"]) < 0.03, row
    assert 0.0 <= row["miss_probability"] <= 1.0
    with pytest.raises(ValueError, match="'fidelity' argument of evaluate"):
        co.evaluate(sc, co.Plan(starts={}), fidelity="exact")


def _independent_check(sc, staffing, replications: int = 20, seed: int = 99):
    """Day-level targets of ``staffing`` in a simulation with seeds the staffing never
    used: per channel and target, the mean and whether the target is *not rejected* at
    one-sided 95 % (a service level: mean + 1.645 x standard error >= target)."""
    from statistics import NormalDist

    from channelopt.staffing._simopt import _day_measures, _simulate

    r = sc.resolve(0)
    y = staffing.pools["agents"].to_numpy().reshape(len(r.pools), r.n_intervals).T
    channels = [c for c, k in enumerate(r.kinds) if k.value in ("live", "concurrent", "deferred")]
    z = NormalDist().inv_cdf(0.95)
    table, _ok, _short = _day_measures(r, _simulate(r, y, replications, seed), z, channels)
    se = (table["ci_high"] - table["mean"]) / 1.959963984540054
    at_least = table["measure"].isin(["service_level", "within_deadline"])
    table["not_rejected"] = (at_least & (table["mean"] + z * se >= table["target"])) | (
        ~at_least & (table["mean"] - z * se <= table["target"])
    )
    return table


@pytest.mark.slow
@pytest.mark.parametrize("case", [(1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5)], ids=str)
def test_cost_study_simulation_staffing_holds_in_new_seeds_and_costs_less(case):
    """Issue 11's acceptance on the generated multi-skill systems (docs/staffing.md,
    "Cost study"): every target holds in an independent simulation (seed 99, 20
    replications, not rejected at 95 %), and the cost is below ``pooled`` and not above
    ``erlang`` (the 5 % is not asserted: it does not hold everywhere, see the docs)."""
    sc = co.load_scenario(multiskill_doc(*case))
    st = co.staff(sc, method="simulation", replications=20, seed=1)
    check = _independent_check(sc, st)
    assert bool(check["not_rejected"].all()), check
    cost = float(st.pools["cost"].sum())
    assert cost < float(co.staff(sc, method="pooled").pools["cost"].sum())
    assert cost <= float(co.staff(sc).pools["cost"].sum())


@pytest.mark.slow
def test_cost_study_check_rejects_a_staffing_that_misses():
    """Power of the check above: the erlang staffing of the 2 x 2 system (s1 sized alone,
    its generalists taken by s0) is rejected on s1."""
    sc = co.load_scenario(multiskill_doc(1, 2, 2))
    check = _independent_check(sc, co.staff(sc)).set_index("channel")
    assert not bool(check.loc["s1", "not_rejected"]), check


def test_simulation_staffing_costs_no_more_than_erlang_repaired_in_the_same_runs(retail):
    """The cutting planes start from pooled's staffing on retail_bank and, with no
    iteration, end at 69,004 a day after their repairs; erlang's staffing repaired by
    the same rule under the same random numbers holds every target at 68,919. The
    method keeps the cheaper one (before this candidate it returned 69,004)."""
    from channelopt.staffing import staff_resolved
    from channelopt.staffing._simopt import repair_in_simulation

    r = retail.resolve(0)
    st = co.staff(retail, method="simulation", replications=4, seed=1, iterations=0)
    erlang = co.staff(retail)
    y = erlang.pools["agents"].to_numpy().reshape(len(r.pools), r.n_intervals).T
    rep = repair_in_simulation(r, y, replications=4, seed=1)
    assert rep.ok
    repaired = float(staff_resolved(r, agents=rep.agents).pools["cost"].sum())
    assert float(st.pools["cost"].sum()) <= repaired + 1e-6
    assert st.simulated["meets"].all()
    assert "cheapest: method='erlang' staffing after 2 repair(s)" in st.notes["method"]


def test_simulation_staffing_interrupted_returns_the_staffing_checked_so_far(two_skills):
    """Ctrl-C (here: raised by the third progress call, after the start was simulated and
    checked) ends the search like a time limit: the start staffing, its simulated table,
    and notes["interrupted"]."""
    calls = []

    def progress(done, total, message):
        calls.append(message)
        if len(calls) == 3:
            raise KeyboardInterrupt

    st = co.staff(two_skills, method="simulation", replications=4, seed=2, progress=progress)
    assert "interrupted" in st.notes and "interrupted (Ctrl-C)" in st.notes["method"]
    erlang, pooled = co.staff(two_skills), co.staff(two_skills, method="pooled")
    start = min((erlang, pooled), key=lambda s: float(s.pools["cost"].sum()))
    np.testing.assert_array_equal(st.pools["agents"], start.pools["agents"])
    assert st.simulated is not None and set(st.simulated["channel"]) == {"s0", "s1"}


def test_simulation_staffing_interrupted_at_the_final_check_keeps_the_last_checked(two_skills):
    """With a time limit spent at once, no staffing meets every target and the search
    ends with a "final check"; Ctrl-C there keeps the staffing already checked (before
    session 7's review the interrupt propagated and lost it). The time limit's notes
    name the phases it cut short, the repaired analytic staffings included."""

    def progress(done, total, message):
        if message == "final check":
            raise KeyboardInterrupt

    st = co.staff(
        two_skills, method="simulation", replications=4, seed=2, time_limit=1e-6, progress=progress
    )
    assert "interrupted" in st.notes
    note = st.notes["method"]
    assert "the last one is returned" in note
    assert "time limit reached before the repaired analytic staffings were all tried" in note
    assert st.simulated is not None and len(st.simulated) > 0


def test_simulation_staffing_interrupted_before_any_check_raises(two_skills):
    def progress(done, total, message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        co.staff(two_skills, method="simulation", replications=4, seed=2, progress=progress)


def test_cli_staff_by_simulation_ctrl_c_prints_and_writes_what_finished(tmp_path, monkeypatch):
    import yaml
    from typer.testing import CliRunner

    from channelopt.cli import app
    from channelopt.staffing import _simopt

    path = tmp_path / "two_skills.yaml"
    path.write_text(yaml.safe_dump(multiskill_doc(1, 2, 2)))
    checks = []
    measures = _simopt._day_measures

    def day_measures(*args, **kwargs):
        checks.append(1)
        if len(checks) == 2:  # Ctrl-C during the second check
            raise KeyboardInterrupt
        return measures(*args, **kwargs)

    monkeypatch.setattr(_simopt, "_day_measures", day_measures)
    out = tmp_path / "staffing.csv"
    res = CliRunner().invoke(
        app, ["staff", str(path), "--method", "simulation", "-r", "4", "--csv", str(out)]
    )
    assert res.exit_code == 130, res.output
    assert "targets in the simulation" in res.stdout
    assert "interrupted" in res.stderr
    assert len(pd.read_csv(out)) > 0


def test_simulation_staffing_is_the_same_for_the_same_seed(two_skills):
    """The iteration and repair budgets count simulated contacts, not CPU time, so the
    answer does not depend on the machine's speed or load."""
    a = co.staff(two_skills, method="simulation", replications=4, seed=2)
    b = co.staff(two_skills, method="simulation", replications=4, seed=2)
    assert a.pools["agents"].tolist() == b.pools["agents"].tolist()
    assert a.simulated.equals(b.simulated)


def test_a_wait_target_with_nothing_answered_is_a_whole_miss():
    # contacts offered, none answered in any replication: the mean wait has no value, and
    # the check must report a miss of a whole max_wait (NaN dropped the miss's size)
    from types import SimpleNamespace

    from channelopt.staffing._simopt import _day_measures

    sc = co.load_scenario(
        {
            "name": "wait",
            "interval": "30min",
            "channels": {
                "voice": {
                    "kind": "live",
                    "arrivals": [10] * 48,
                    "aht": "3min",
                    "patience": "1min",
                    "target": {"max_wait": "30s"},
                }
            },
        }
    )
    r = sc.resolve(0)
    zeros = np.zeros((3, r.n_intervals, r.n_channels))
    offered = zeros + 10.0
    run = SimpleNamespace(
        offered=offered, within=zeros, abandoned=offered, answered=zeros, wait_sum=zeros
    )
    table, ok, short = _day_measures(r, run, 1.645, [0])
    row = table.set_index("measure").loc["average_wait"]
    assert not ok and not bool(row["meets"]) and row["mean"] == np.inf
    assert short == {0: 1.0}


def test_pooled_does_not_credit_a_pool_reached_only_after_an_overflow_delay(telecom):
    # telecom routes chat to `digital` first and to `tier1` (cheaper, voice first) only
    # after 60 s. Crediting tier1's idle capacity to chat moved every chat agent to tier1
    # (111,480 a day; the simulation gave chat 0.78 and 22 % abandonment)
    st = co.staff(telecom, method="pooled")
    agents = st.pools.groupby("pool")["agents"].sum()
    assert agents["digital"] > 0
    erlang = float(co.staff(telecom).pools["cost"].sum())
    assert float(st.pools["cost"].sum()) <= 1.05 * erlang


def test_repair_adds_agents_where_the_routing_offers_the_channel_first():
    # voice goes to `phone` first and to `generalists` (cheaper) only after 20 s: even
    # when a noisy cut credits generalists, the repair adds phone agents (it added 79
    # generalist agent-intervals on retail_bank and never met voice's 20-s target)
    from channelopt.staffing._simopt import _repair, _weights

    pools = {
        "phone": {"skills": ["voice"], "agents": 10, "cost_per_hour": 30},
        "generalists": {"skills": ["mail", "voice"], "agents": 10, "cost_per_hour": 20},
    }
    r = _voice_and_mail(5, pools, ["phone", {"pool": "generalists", "after": "20s"}]).resolve(0)
    assert r.routing[0] == ((0, 0.0), (1, 20.0))
    ni, P = r.n_intervals, len(r.pools)
    y = np.full((ni, P), 10.0)
    gain = np.zeros((ni, P))
    gain[16:24, 0] = 0.001  # phone: small gains
    gain[16:24, 1] = 0.01  # generalists: larger (noise), and cheaper
    serve = np.array([[True, False], [True, True]])
    open_pool = np.ones((ni, P), dtype=bool)
    out = _repair(r, y, {0: 0.02}, {0: [(gain, 0.0)]}, _weights(r), open_pool, serve, None)
    added = out - y
    assert added[:, 1].sum() == 0 and added[:, 0].sum() > 0
    # with the default routing (both pools at once) the cheaper generalists are chosen
    r0 = _voice_and_mail(5, pools).resolve(0)
    out0 = _repair(r0, y, {0: 0.02}, {0: [(gain, 0.0)]}, _weights(r0), open_pool, serve, None)
    assert (out0 - y)[:, 1].sum() > 0


def test_routing_says_which_pools_take_a_channel_at_once():
    pools = {
        "phone": {"skills": ["voice"], "agents": 10},
        "generalists": {"skills": ["mail", "voice"], "agents": 10},
    }
    r = _voice_and_mail(5, pools, ["phone", {"pool": "generalists", "after": "20s"}]).resolve(0)
    # voice: phone at once, generalists only after 20 s; mail: generalists at once
    assert r.routed_at_once().tolist() == [[True, False], [False, True]]
    assert r.first_routed_pool().tolist() == [0, 1]
    # default routing: every serving pool at once, in the order of `pools`
    r0 = _voice_and_mail(5, pools).resolve(0)
    assert r0.routed_at_once().tolist() == [[True, False], [True, True]]
    assert r0.first_routed_pool().tolist() == r0.pool_of_channel().tolist() == [0, 1]
