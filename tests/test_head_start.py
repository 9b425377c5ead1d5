"""Priority classes (``head_start``): loader rules, the simulated classes against
Cobham's non-preemptive priority formula and FIFO (the two limits), the
conservation law in between, and the analytic staffing of the shared queue.

Reference formulas (M/M/n, equal handle times, infinitely patient customers),
written out here rather than taken from channelopt:

* FIFO (``head_start: 0``): every class waits ``W = C(n, a) / (n mu - lambda)``
  (Erlang C).
* Strict non-preemptive priority (``head_start`` longer than any wait): Cobham
  (1954), ``W_1 = C / (n mu (1 - s_1))`` and ``W_2 = C / (n mu (1 - s_1)(1 - rho))``
  with ``s_1 = lambda_1 / (n mu)``.
* Any head start in between is work-conserving and class-blind in service, so
  the number of busy agents and waiting contacts is that of FIFO M/M/n: the
  arrival-weighted mean wait equals FIFO's (Kleinrock's conservation law).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import channelopt as co
from channelopt.errors import ScenarioError

AHT = 180.0  # s, exponential
N = 10  # agents
LOAD = 8.0  # Erlangs: rho = 0.8
SHARE = 0.3  # of the contacts are priority customers
REPS = 30
#: standard errors a replication mean may be off: the two-sided 1e-4 quantile of
#: Student's t with REPS - 1 degrees of freedom (4.9), so the 500 checks of the
#: seed sweep (100 seeds x 5) raise a false alarm with probability about 5 %
K = float(stats.t.ppf(1 - 0.5e-4, REPS - 1))
TARGET = {"service_level": 0.8, "within": "20s"}


def erlang_c(n: int, a: float) -> float:
    """P(wait) in M/M/n (Erlang B recursion, then C)."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1.0 - b))


def fifo_wait(n: int = N, a: float = LOAD) -> float:
    return erlang_c(n, a) * AHT / (n - a)


def cobham_waits(n: int = N, a: float = LOAD) -> tuple[float, float]:
    c, rate = erlang_c(n, a), n / AHT
    s1, rho = SHARE * a / n, a / n
    return c / (rate * (1 - s1)), c / (rate * (1 - s1) * (1 - rho))


def doc(head_start: float | str, agents: int = N, selection: str = "longest_waiting") -> dict:
    per_day = LOAD / AHT * 86400.0
    out = {
        "name": "two classes",
        "interval": "30min",
        "channels": {
            "regular": {"kind": "live", "volume": per_day * (1 - SHARE), "aht": AHT},
            "vip": {"kind": "live", "volume": per_day * SHARE, "aht": AHT},
        },
        "pools": {
            "agents": {"skills": ["regular", "vip"], "agents": agents, "skill_selection": selection}
        },
    }
    for ch in out["channels"].values():
        ch["target"] = TARGET
        ch["profile"] = [1.0] * 48  # stationary: the formulas are steady-state ones
    out["channels"]["vip"]["head_start"] = head_start
    return out


def simulated_waits(head_start: float, seed: int = 0, agents: int = N) -> dict[str, tuple]:
    """Per class: (mean wait over replications, its standard error)."""
    sc = co.load_scenario(doc(head_start, agents))
    res = co.simulate(sc, replications=REPS, seed=seed, days=2, warmup_days=1)
    per = res.per_replication()
    out = {}
    for ch in ("regular", "vip"):
        w = per.loc[per["channel"] == ch, "average_wait"].to_numpy(dtype=float)
        out[ch] = (float(w.mean()), float(w.std(ddof=1) / math.sqrt(len(w))))
    both = per.pivot(index="replication", columns="channel", values="average_wait")
    weights = per.pivot(index="replication", columns="channel", values="answered")
    pooled = (both * weights).sum(axis=1) / weights.sum(axis=1)
    out["pooled"] = (float(pooled.mean()), float(pooled.std(ddof=1) / math.sqrt(len(pooled))))
    return out


# --- the scenario layer ---------------------------------------------------------------


def test_head_start_loads_and_round_trips(tmp_path) -> None:
    sc = co.load_scenario(doc("90s"))
    assert sc.channels["vip"].head_start == 90.0
    assert sc.channels["regular"].head_start == 0.0
    assert list(sc.resolve(0).head_start) == [0.0, 90.0]
    sc.save(tmp_path / "s.yaml")
    assert co.load_scenario(tmp_path / "s.yaml") == sc


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"head_start": "-5s"}, ["channels.vip.head_start"]),
        ({"head_start": "soon"}, ["channels.vip.head_start"]),
    ],
)
def test_bad_head_start_names_the_field(change, words) -> None:
    d = doc("90s")
    d["channels"]["vip"].update(change)
    with pytest.raises(ScenarioError) as err:
        co.load_scenario(d)
    for w in words:
        assert w in str(err.value)


def test_head_start_without_longest_waiting_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        co.load_scenario(doc("90s", selection="priority"))
    msg = str(err.value)
    assert "channels.vip.head_start" in msg and "longest_waiting" in msg
    d = doc("90s")
    del d["pools"]  # dedicated pools select by skill priority: the head start does nothing
    with pytest.raises(ScenarioError, match="no effect"):
        co.load_scenario(d)


def test_head_start_is_refused_where_nothing_queues() -> None:
    d = doc("90s")
    d["channels"]["mail"] = {"kind": "deferred", "volume": 10, "aht": 300, "deadline": "1d",
                             "target": {"within_deadline": 0.9}, "head_start": "1min"}  # fmt: skip
    d["pools"]["agents"]["skills"].append("mail")
    with pytest.raises(ScenarioError) as err:
        co.load_scenario(d)
    assert "channels.mail.head_start" in str(err.value)


# --- the simulation against the two limits and the conservation law --------------------


def test_endless_head_start_is_cobhams_priority_queue() -> None:
    w1, w2 = cobham_waits()
    got = simulated_waits(86400.0)  # a day: longer than any wait, so strict priority
    (m1, se1), (m2, se2) = got["vip"], got["regular"]
    assert abs(m1 - w1) < K * se1 and abs(m2 - w2) < K * se2
    # power: with FIFO (the head start ignored) the same check fails: the priority
    # class's FIFO wait is far outside its band (the regular class's is not at this size)
    assert abs(fifo_wait() - w1) > 2 * K * se1


def test_no_head_start_is_fifo() -> None:
    w = fifo_wait()
    got = simulated_waits(0.0)
    for ch in ("vip", "regular"):
        m, se = got[ch]
        assert abs(m - w) < K * se
    # power: one agent fewer (an error the check must see) waits far longer
    assert fifo_wait(N - 1) - w > 2 * K * max(got["vip"][1], got["regular"][1])


def test_bank_head_start_sits_between_the_limits_and_conserves_the_mean_wait() -> None:
    got = simulated_waits(90.0)
    w, (w1, w2) = fifo_wait(), cobham_waits()
    m, se = got["pooled"]
    assert abs(m - w) < K * se  # the conservation law
    (m1, se1), (m2, se2) = got["vip"], got["regular"]
    assert w1 - K * se1 < m1 < w - K * se1  # priority customers gain (power: not FIFO) ...
    assert w - K * se2 < m2 < w2 + K * se2  # ... at the others' expense, within the limits


# --- the analytic staffing: one FIFO queue ---------------------------------------------


def required_agents(a_interval: float) -> int:
    """Smallest n with 1 - C(n, a) exp(-(n mu - lambda) t) >= 0.8 at t = 20 s."""
    n = int(a_interval) + 1
    while True:
        sl = 1.0 - erlang_c(n, a_interval) * math.exp(-(n - a_interval) * 20.0 / AHT)
        if sl >= 0.8:
            return n
        n += 1


def test_staffing_sizes_the_classes_as_one_queue() -> None:
    sc = co.load_scenario(doc("90s"))
    res = co.staff(sc)
    iv = res.intervals
    total = iv.groupby("interval")["agents"].sum().to_numpy()
    want = required_agents(LOAD)
    assert np.all(total == want)
    # power: sizing each class as a queue of its own needs more agents in all
    alone = required_agents(LOAD * SHARE) + required_agents(LOAD * (1 - SHARE))
    assert alone > want
    # the shared queue's figures for both classes, marked approximate with the reason
    sl = iv.pivot(index="interval", columns="channel", values="service_level")
    assert np.allclose(sl["vip"], sl["regular"])
    assert res.exact["vip"] is False and res.exact["regular"] is False
    assert "priority classes" in res.notes["vip"]
    # given agents: the shared queue's Erlang C figures for both classes (closed form)
    from channelopt.staffing import staff_resolved

    ev = staff_resolved(sc.resolve(0), agents={"agents": N}).intervals
    sl = 1.0 - erlang_c(N, LOAD) * math.exp(-(N - LOAD) * 20.0 / AHT)
    assert np.allclose(ev["service_level"], sl, rtol=1e-9)
    assert np.allclose(ev["average_wait"], fifo_wait(), rtol=1e-9)
    assert np.all(ev.groupby("interval")["agents"].sum() == N)


def test_a_class_with_lines_is_flagged_where_the_shared_queue_ignores_them() -> None:
    """The shared FIFO queue has no finite model: lines of a class are named in the
    notes and the group stays ``exact=False``; without lines there is no such note."""
    plain = co.staff(co.load_scenario(doc("90s")))
    assert "lines" not in plain.notes["vip"] and "lines" not in plain.notes["regular"]
    d = doc("90s")
    d["channels"]["vip"]["lines"] = 4
    d["channels"]["regular"]["queue_capacity"] = 30
    res = co.staff(co.load_scenario(d))
    for ch in ("vip", "regular"):
        assert res.exact[ch] is False
        note = res.notes[ch]
        assert "priority classes" in note
        assert "'vip' (lines 4)" in note and "'regular' (queue_capacity 30)" in note
        assert "not modelled in the shared queue" in note
    # the finite model is not applied to the group: nothing is blocked
    assert float(res.intervals["blocked"].sum()) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100))
def test_the_limits_hold_for_any_seed(seed: int) -> None:
    w, (w1, w2) = fifo_wait(), cobham_waits()
    strict = simulated_waits(86400.0, seed)
    assert abs(strict["vip"][0] - w1) < K * strict["vip"][1]
    assert abs(strict["regular"][0] - w2) < K * strict["regular"][1]
    fifo = simulated_waits(0.0, seed)
    for ch in ("vip", "regular"):
        assert abs(fifo[ch][0] - w) < K * fifo[ch][1]
    bank = simulated_waits(90.0, seed)
    assert abs(bank["pooled"][0] - w) < K * bank["pooled"][1]
