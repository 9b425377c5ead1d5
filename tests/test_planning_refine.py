"""``optimize(refine="simulation")``; the CLI's ``--refine simulation``, ``evaluate --simulate``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

import channelopt as co

DOC: dict = {
    "name": "refine test",
    "interval": "3h",
    "open": "08:00-20:00",
    "channels": {
        "voice": {
            "kind": "live",
            "volume": 700,
            "aht": "6min",
            "patience": "3min",
            "target": {"service_level": 0.8, "within": "20s"},
        }
    },
    "journeys": {"retrials": {"probability": 0.3, "delay": "10min"}},
    "pools": {"phone": {"skills": ["voice"], "agents": 8, "max_agents": 60, "cost_per_hour": 30}},
    "periods": {"count": 2, "length": "quarter", "days": 63, "hours_per_fte": 480},
    "initiatives": {
        "crm": {
            "cost": {"upfront": 9000},
            "lead_time": 0,
            "effects": [{"channel": "voice", "aht": 0.9}],
        },
        "callback": {
            "cost": {"upfront": 4000},
            "lead_time": 0,
            "effects": [{"channel": "voice", "patience": 1.5}],
        },
        # nearly pays for itself: plans with and without it are runners-up of each other
        "brand": {"cost": {"upfront": 1000}, "value_per_period": 560, "lead_time": 0},
    },
    "economics": {"value_per_lost_contact": 15, "discount_rate": 0.08},
    "budget": {"total": 30000},
}


@pytest.fixture(scope="module")
def sc() -> co.Scenario:
    return co.load_scenario(DOC)


SIMULATED: list[tuple[bytes, int]] = []  # (agents + system, seed) of every simulation run


def _digest(r) -> bytes:
    """The simulated system: everything in the resolved period."""
    return pickle.dumps(r)


@pytest.fixture(scope="module")
def refined(sc):
    from channelopt.staffing import _simopt

    real = _simopt._simulate

    def counted(r, y, replications, seed):
        SIMULATED.append((np.rint(y).astype(np.int64).tobytes() + _digest(r), seed))
        return real(r, y, replications, seed)

    seen = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_simopt, "_simulate", counted)
        plan = co.optimize(
            sc,
            refine="simulation",
            replications=4,
            seed=5,
            progress=lambda d, t, m: seen.append((d, t)),
        )
    return plan.optimization, seen


def _day_sl(sc, staffing, plan, period: int, seed: int) -> float:
    sim = co.simulate(sc, staffing, replications=8, seed=seed, period=period, plan=plan)
    df = sim.intervals[sim.intervals.channel == "voice"]
    return float(df["answered_within_target"].sum() / df["offered"].sum())


def test_refine_keeps_the_best_by_simulated_objective(refined):
    res, seen = refined
    ref = res.refinement
    assert ref is not None
    cands = ref.candidates
    assert len(cands) >= 2  # the plan and at least one runner-up
    assert cands["chosen"].sum() == 1
    best = cands.loc[cands["simulated_objective"].idxmax()]
    assert bool(best["chosen"])
    label = ", ".join(
        f"{k}@{v}" for k, v in sorted(res.plan.starts.items(), key=lambda kv: (kv[1], kv[0]))
    )
    assert best["plan"] == (label or "do nothing")
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached its total
    assert set(ref.staffing) == {0, 1}


def test_refined_staffing_meets_the_target_in_an_independent_simulation(sc, refined):
    res, _ = refined
    ref = res.refinement
    assert ref.targets_met
    for t, st in ref.staffing.items():
        sl = _day_sl(sc, st, res.plan, t, seed=1000 + t)  # seeds the refinement never used
        assert sl >= 0.8, (t, sl)
        # power: two agents fewer in every open interval misses the target
        pv = st.pools.pivot(index="interval", columns="pool", values="agents")
        short = {p: [max(a - 2, 0) if a else 0 for a in pv[p]] for p in pv}
        assert _day_sl(sc, short, res.plan, t, seed=1000 + t) < 0.8


def test_refine_simulates_no_staffing_twice_and_keeps_its_results(sc, refined):
    from channelopt.planning._simrefine import _simulate_plan

    res, _ = refined
    ref = res.refinement
    # common random numbers: the same agents and seed give the same run, so the
    # chosen plan's first run per period is reused for its repair, not redone
    assert SIMULATED and len(set(SIMULATED)) == len(SIMULATED)
    # the chosen plan measured and repaired from scratch (no runs carried over)
    obj, _lost, staffing, _notes, met, _extra = _simulate_plan(
        sc,
        res.plan,
        res.evaluation,
        replications=4,
        seed=5,
        confidence=0.95,
        rounds=6,
        tick=lambda message: None,
    )
    assert obj == ref.objective and met == ref.targets_met
    for t, st in staffing.items():
        assert st.pools["agents"].tolist() == ref.staffing[t].pools["agents"].tolist()


def test_refine_rejects_bad_arguments(sc):
    with pytest.raises(ValueError, match="'refine' argument of optimize"):
        co.optimize(sc, refine="exact")
    with pytest.raises(ValueError, match="'replications' argument of optimize"):
        co.optimize(sc, refine="simulation", replications=1)


def test_cli_optimize_refine_and_evaluate_simulate(sc, tmp_path):
    import yaml

    from channelopt.cli import app

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(DOC))
    plan = tmp_path / "plan.yaml"
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["optimize", str(path), "--refine", "simulation", "-r", "3", "-o", str(plan)],
    )
    assert res.exit_code == 0, res.output
    assert "re-measured by simulation" in res.output
    assert plan.exists()
    bad = runner.invoke(app, ["optimize", str(path), "--refine", "exact"])
    assert bad.exit_code == 2
    out = tmp_path / "periods.csv"
    ev = runner.invoke(
        app, ["evaluate", str(path), str(plan), "--simulate", "-r", "3", "--csv", str(out)]
    )
    assert ev.exit_code == 0, ev.output
    assert "analytic beside simulated" in ev.output
    import pandas as pd

    table = pd.read_csv(out)
    assert table["sim_service_level"].between(0, 1).all()
    assert (table["sim_service_level_low"] <= table["sim_service_level_high"]).all()


def test_fingerprint_tells_apart_empirical_samples_beyond_eight_digits():
    # the simulation cache of refine="simulation" is keyed by this digest of every field:
    # a repr printed a distribution's samples array to 8 digits, so two periods whose
    # samples differ beyond that (everything else equal) shared one key
    from dataclasses import replace

    from channelopt.planning._simrefine import _fingerprint

    doc = {**DOC, "channels": {"voice": {**DOC["channels"]["voice"]}}}
    doc["channels"]["voice"]["handle_time"] = {
        "distribution": "empirical",
        "samples": [300.0, 360.0, 420.0],
    }
    a = co.load_scenario(doc).resolve(0)
    spec = a.handle_time[0]
    nudged = spec.samples.copy()
    nudged[0] += 1e-9  # the 12th significant digit
    b = replace(a, handle_time=(replace(spec, samples=nudged),))
    assert not np.array_equal(a.handle_time[0].samples, b.handle_time[0].samples)
    assert _fingerprint(a) != _fingerprint(b)
    # equal periods agree, so the cache still hits
    assert _fingerprint(a) == _fingerprint(co.load_scenario(doc).resolve(0))
