"""Tests of channelopt.planning: exact evaluation, money by hand, the MILP against brute force.

The reference for the optimiser is exhaustive enumeration: every plan (each
initiative not started or started in any period) is checked for the rules and
evaluated exactly; the optimiser's plan must be within 0.5 % of the best, the
gap measured on the improvement over doing nothing.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channelopt as co
from channelopt.errors import InfeasibleError
from channelopt.planning import Plan, evaluate, marginal_values, optimize, pareto
from channelopt.solver import _pulp
from channelopt.staffing import staff

# A small bank: voice, chat and a bot, coupled by hand-offs; a 3 h interval keeps staffing cheap.
BASE: dict = {
    "name": "planning test bank",
    "interval": "3h",
    "open": "08:00-20:00",
    "channels": {
        "voice": {
            "kind": "live",
            "volume": 3000,
            "aht": "6min",
            "patience": "3min",
            "target": {"service_level": 0.8, "within": "20s"},
            "resolution": 0.8,
        },
        "chat": {
            "kind": "concurrent",
            "concurrency": 2,
            "volume": 1500,
            "aht": "10min",
            "patience": "5min",
            "target": {"service_level": 0.8, "within": "60s"},
            "resolution": 0.85,
        },
        "bot": {"kind": "self_service", "volume": 2000, "containment": 0.4},
    },
    "journeys": {
        "handoffs": {"bot": {"chat": 0.3, "voice": 0.2}, "chat": {"voice": 0.05}},
        "repeats": {"delay": "2h", "to": {"voice": {"voice": 0.6, "chat": 0.2}}},
        "retrials": {"probability": 0.3, "delay": "10min"},
    },
    "pools": {
        "phone": {
            "skills": ["voice"],
            "agents": 60,
            "max_agents": 400,
            "cost_per_hour": 30,
            "shrinkage": 0.3,
        },
        "digital": {
            "skills": ["chat"],
            "agents": 30,
            "max_agents": 400,
            "cost_per_hour": 28,
            "shrinkage": 0.3,
        },
    },
    "periods": {"count": 3, "length": "quarter", "days": 63, "hours_per_fte": 480},
    "initiatives": {
        "crm": {
            "cost": {"upfront": 60000, "per_period": 5000},
            "lead_time": 0,
            "effects": [{"channel": "voice", "aht": 0.9}],
        },
        "bot_upgrade": {
            "cost": {"upfront": 80000, "per_period": 4000},
            "lead_time": 1,
            "requires": ["crm"],
            "effects": [{"channel": "bot", "containment": 1.4}],
        },
        "callback": {
            "cost": {"upfront": 20000},
            "lead_time": 0,
            "effects": [{"channel": "voice", "patience": 1.5}],
        },
        "chat_push": {
            "cost": {"upfront": 30000},
            "lead_time": 0,
            "excludes": ["callback"],
            "effects": [{"shift": {"from": "voice", "to": "chat", "fraction": 0.15}}],
        },
        "knowledge": {
            "cost": {"upfront": 50000, "per_period": 2000},
            "lead_time": 0,
            "ramp": 2,
            "effects": [
                {"channel": "chat", "resolution": 1.1},
                {"channel": "voice", "resolution": 1.1},
            ],
        },
        "brand": {"cost": {"upfront": 40000}, "value_per_period": 25000, "lead_time": 1},
    },
    "economics": {"value_per_lost_contact": 15, "value_per_repeat": 4, "discount_rate": 0.08},
    "experience": {
        "wait_minute": 1,
        "handoff": 5,
        "repeat": 10,
        "abandoned": 25,
        "value_per_point": 0.4,
    },
    "budget": {"total": 260000, "per_period": [180000, 150000, 150000]},
}


def scenario(**changes: object) -> co.Scenario:
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return co.load_scenario(doc)


@pytest.fixture(scope="module")
def sc() -> co.Scenario:
    return scenario()


@pytest.fixture(scope="module")
def best(sc: co.Scenario) -> tuple[float, dict, float]:
    """(best objective, its starts, objective of doing nothing) by exhaustive enumeration."""
    value, starts = brute_force(sc, 260000, [180000, 150000, 150000])
    return value, starts, evaluate(sc, Plan(starts={})).objective


def all_plans(sc: co.Scenario):
    names = list(sc.initiatives)
    T = sc.n_periods
    for choice in itertools.product([None, *range(T)], repeat=len(names)):
        yield {k: s for k, s in zip(names, choice, strict=True) if s is not None}


def spending_ok(sc: co.Scenario, starts: dict[str, int], total: float, per: list[float]) -> bool:
    T = sc.n_periods
    spend = np.zeros(T)
    for k, s in starts.items():
        c = sc.initiatives[k].cost
        spend[s] += c.upfront
        spend[s:] += c.per_period
    return spend.sum() <= total + 1e-6 and bool(np.all(spend <= np.asarray(per) + 1e-6))


def brute_force(sc: co.Scenario, total: float, per: list[float]) -> tuple[float, dict]:
    best, best_starts = -math.inf, {}
    for starts in all_plans(sc):
        if sc.check_starts(starts) or not spending_ok(sc, starts, total, per):
            continue
        ev = evaluate(sc, Plan(starts=starts), budget={"total": total, "per_period": per})
        assert ev.feasible, (starts, ev.violations)
        if ev.objective > best:
            best, best_starts = ev.objective, starts
    return best, best_starts


# --------------------------------------------------------------------------- money by hand
def test_money_by_hand_on_a_tiny_plan(sc: co.Scenario) -> None:
    plan = Plan(starts={"brand": 0, "crm": 1})
    ev = evaluate(sc, plan)
    money = ev.money.set_index("period")
    r = 0.08
    disc = [(1 + r) ** (-t / 4) for t in range(3)]
    assert money["discount_factor"].tolist() == pytest.approx(disc)
    # Initiative cash: brand upfront 40k in 0, value 25k from period 1 (lead 1);
    # crm upfront 60k in 1, 5k per period in 1 and 2.
    assert money["initiative_upfront"].tolist() == pytest.approx([40000, 60000, 0])
    assert money["initiative_running"].tolist() == pytest.approx([0, 5000, 5000])
    assert money["initiative_value"].tolist() == pytest.approx([0, 25000, 25000])
    # Agent cost from the staffing layer directly: paid hours x cost per hour x days.
    for t in range(3):
        res = staff(sc, period=t, plan=plan)
        pools = res.pools
        hours = (pools["fte"] * 3.0).groupby(pools["pool"]).sum()
        expected_cost = 63 * (hours["phone"] * 30 + hours["digital"] * 28)
        assert money.loc[t, "agent_cost"] == pytest.approx(expected_cost, rel=1e-9)
        lost = 63 * res.intervals["lost"].sum()
        repeats = 63 * res.intervals["repeats"].sum()
        iv = res.intervals
        queued = iv["kind"].isin(["live", "concurrent"])  # email response time is no effort
        effort = 63 * (
            iv.loc[queued, "wait_minutes"].sum()
            + 5 * iv["handed_off"].sum()
            + 10 * iv["repeats"].sum()
            + 25 * iv["abandoned"].sum()
        )
        cash = (
            money.loc[t, "initiative_value"]
            - expected_cost
            - money.loc[t, "initiative_upfront"]
            - money.loc[t, "initiative_running"]
            - 15 * lost
            - 4 * repeats
        )
        assert money.loc[t, "net_cash"] == pytest.approx(cash, rel=1e-9)
        assert money.loc[t, "effort_points"] == pytest.approx(effort, rel=1e-9)
    npv = sum(disc[t] * money.loc[t, "net_cash"] for t in range(3))
    assert ev.npv == pytest.approx(npv, rel=1e-12)
    obj = npv - sum(disc[t] * 0.4 * money.loc[t, "effort_points"] for t in range(3))
    assert ev.objective == pytest.approx(obj, rel=1e-12)


def test_business_case_payback_by_hand(sc: co.Scenario) -> None:
    # brand has no operating effect: net cash -40k, +25k, +25k -> cumulative -40, -15, +10:
    # payback in period 2.
    ev = evaluate(sc, Plan(starts={"brand": 0}))
    row = ev.initiatives.set_index("initiative").loc["brand"]
    assert row["total_cost"] == pytest.approx(40000)
    assert row["direct_value"] == pytest.approx(50000)
    assert row["operating_saving"] == pytest.approx(0.0, abs=1e-6)
    assert row["payback_period"] == 2
    disc = [(1.08) ** (-t / 4) for t in range(3)]
    assert row["npv_contribution"] == pytest.approx(-40000 + 25000 * (disc[1] + disc[2]))


def test_violations_name_rules(sc: co.Scenario) -> None:
    # bot_upgrade requires crm in force; callback and chat_push exclude each other;
    # the upfront costs break the period-0 budget of 180k.
    ev = evaluate(
        sc,
        Plan(
            starts={
                "bot_upgrade": 0,
                "callback": 0,
                "chat_push": 0,
                "crm": 1,
                "brand": 0,
                "knowledge": 0,
            }
        ),
    )
    kinds = {v.kind for v in ev.violations}
    assert not ev.feasible
    assert {"budget", "excludes"} <= kinds
    assert any("bot_upgrade" in str(v) for v in ev.violations)
    assert any("budget.per_period[0]" in str(v) for v in ev.violations)


def tight_scenario() -> co.Scenario:
    """One initiative (few configurations to staff) and a phone pool capped far too low."""
    return scenario(
        pools__phone__max_agents=10,
        pools__phone__agents=10,
        initiatives={"crm": BASE["initiatives"]["crm"]},
        budget=None,
    )


def test_headcount_and_target_checks() -> None:
    tight = tight_scenario()
    ev = evaluate(tight, Plan(starts={}))
    assert any(v.kind == "headcount" and v.subject == "phone" for v in ev.violations)
    # Fixed agents far below the requirement miss the voice target in a hard-mode scenario.
    ev2 = evaluate(scenario(), Plan(starts={}, agents={"phone": 5, "digital": 40}))
    assert any(v.kind == "targets" and "voice" in str(v) for v in ev2.violations)


# --------------------------------------------------------------------------- optimiser
def test_optimizer_matches_brute_force(sc: co.Scenario, best: tuple) -> None:
    best, best_starts, nothing = best
    assert best > nothing  # the instance is not trivial
    res = optimize(sc, gap=1e-4).optimization
    ev = res.evaluation
    assert ev.feasible, ev.violations
    assert not sc.check_starts(res.plan.starts)
    assert (best - ev.objective) <= 0.005 * (best - nothing), (res.plan.starts, best_starts)
    # Targets hold in the exact re-evaluation, channel by channel and period by period.
    targets = {"voice": 0.8, "chat": 0.8}
    rows = ev.periods[ev.periods["channel"].isin(list(targets))]
    assert (rows["service_level"] >= rows["channel"].map(targets) - 1e-9).all()
    # Exact mode: the model's estimate is the exact objective.
    assert set(res.modes.values()) == {"exact"}
    assert res.estimate == pytest.approx(ev.objective, rel=1e-9, abs=1e-3)


@pytest.mark.parametrize("budget", [0.0, 90000.0, 1e7])
def test_optimizer_respects_budgets_and_rules(sc: co.Scenario, budget: float) -> None:
    res = optimize(sc, budget=budget, gap=1e-4).optimization
    ev = res.evaluation
    assert ev.feasible, ev.violations
    assert ev.money["initiative_spending"].sum() <= budget + 1e-6
    if budget == 0.0:
        assert res.plan.starts == {}


def test_highs_and_cbc_agree(sc: co.Scenario) -> None:
    if "cbc" not in _pulp.available_solvers():
        pytest.skip(
            "CBC is not installed (PuLP 4 ships it separately): pip install 'pulp[cbc]' "
            "to compare HiGHS with CBC"
        )
    nothing = evaluate(sc, Plan(starts={})).objective
    h = optimize(sc, solver="highs", gap=1e-4).optimization.evaluation.objective
    c = optimize(sc, solver="cbc", gap=1e-4).optimization.evaluation.objective
    assert abs(h - c) <= 0.005 * max(abs(h - nothing), abs(c - nothing))


def test_log_space_mode_is_close_and_feasible(sc: co.Scenario, best: tuple) -> None:
    best, _, nothing = best
    res = optimize(sc, gap=1e-4, mode="log-space").optimization
    assert res.evaluation.feasible
    assert set(res.modes.values()) == {"log-space"}
    # An approximation: it must capture most of the achievable improvement.
    assert res.evaluation.objective - nothing >= 0.8 * (best - nothing)
    # Polishing with exact moves never makes the plan worse.
    raw = optimize(sc, gap=1e-4, mode="log-space", polish=0).optimization
    assert res.evaluation.objective >= raw.evaluation.objective - 1e-6
    assert res.evaluation.feasible and raw.evaluation.feasible


def test_infeasible_names_the_conflict() -> None:
    tight = tight_scenario()
    with pytest.raises(InfeasibleError) as err:
        optimize(tight)
    text = str(err.value)
    assert "pool phone" in text and "max_agents is 10" in text
    assert err.value.conflicts


def test_pareto_is_monotone(sc: co.Scenario) -> None:
    front = pareto(sc, budgets=[0, 100000, 260000, 1e6], gap=1e-4)
    assert list(front["spending"]) == sorted(front["spending"])
    assert np.all(np.diff(front["objective"]) > 0)
    for _, row in front.iterrows():
        assert row["spending"] <= row["budget"] + 1e-6


def test_marginal_value_of_budget_matches_brute_force(sc: co.Scenario, best: tuple) -> None:
    mv = marginal_values(sc, budget_step=50000)
    budget_rows = mv[mv["limit"].str.startswith("budget")]
    assert len(budget_rows) == 1 + 3
    # More budget can only help the optimum (up to the solver gap).
    assert (budget_rows["marginal_value"] >= -1e-3).all()
    # The total budget's finite difference against exhaustive enumeration at both budgets.
    value, _, nothing = best
    relaxed, _ = brute_force(sc, 310000, [180000, 150000, 150000])
    row = budget_rows[budget_rows["limit"] == "budget.total"].iloc[0]
    expected = (relaxed - value) / 50000
    assert row["marginal_value"] == pytest.approx(expected, abs=2e-4 * (relaxed - nothing) / 50000)
    # Headcount caps of 400 agents are far from binding: marginal value 0, no re-solve.
    heads = mv[mv["limit"] == "max_agents"]
    assert len(heads) == 2 * 3 and not heads["binding"].any()
    assert (heads["marginal_value"] == 0).all()


NAMES = list(BASE["initiatives"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from([None, 0, 1, 2]), min_size=len(NAMES), max_size=len(NAMES)))
def test_evaluation_flags_exactly_the_broken_rules(sc: co.Scenario, choice: list) -> None:
    starts = {k: s for k, s in zip(NAMES, choice, strict=True) if s is not None}
    ev = evaluate(sc, Plan(starts=starts))
    kinds = {v.kind for v in ev.violations}
    budget_ok = spending_ok(sc, starts, 260000, [180000, 150000, 150000])
    assert ("budget" in kinds) == (not budget_ok)
    assert bool(kinds & {"requires", "excludes", "plan"}) == bool(sc.check_starts(starts))
    assert ev.feasible == (budget_ok and not sc.check_starts(starts))
    # Accounting identities of the money table.
    m = ev.money
    assert ev.npv == pytest.approx((m["discount_factor"] * m["net_cash"]).sum(), rel=1e-12)
    penalty = (m["discount_factor"] * (m["effort_cost"] + m["target_penalty"])).sum()
    assert ev.objective == pytest.approx(ev.npv - penalty, rel=1e-12)


def test_soft_targets_are_priced_not_violated() -> None:
    soft = scenario(targets={"mode": "soft", "penalty_per_point_below": 2000})
    plan = Plan(starts={}, agents={"phone": 20, "digital": 40})
    ev = evaluate(soft, plan)
    assert not any(v.kind == "targets" for v in ev.violations)
    # Penalty by hand: 2000 per service-level point below target, per channel and period.
    targets = {"voice": 0.8, "chat": 0.8}
    rows = ev.periods[ev.periods["channel"].isin(list(targets))]
    points = (100 * (rows["channel"].map(targets) - rows["service_level"])).clip(lower=0)
    assert points.sum() > 0  # 20 phone agents cannot hold voice at 80/20
    per_period = (2000 * points).groupby(rows["period"]).sum()
    assert ev.money["target_penalty"].to_numpy() == pytest.approx(per_period.to_numpy())
    hard = evaluate(scenario(), plan)
    assert ev.objective == pytest.approx(
        hard.objective - (ev.money["discount_factor"] * ev.money["target_penalty"]).sum()
    )


def test_hiring_cap_shapes_the_plan() -> None:
    # Voice grows 25 % in period 1. Without crm the phone pool must hire 15.8 FTE then, with crm
    # started in period 0 13.5 (its period-0 need drops too), with crm started in period 1
    # only 6.2: a cap of 10 hires leaves crm-in-period-1 plans alone feasible.
    sc = scenario(
        initiatives={k: BASE["initiatives"][k] for k in ("crm", "brand")},
        budget=None,
        periods={
            "count": 3,
            "length": "quarter",
            "days": 63,
            "hours_per_fte": 480,
            "growth": {"voice": [1.0, 1.25, 1.25]},
        },
        pools__phone__agents=30,
        pools__phone__hires_per_period=10,
    )
    feasible = {}
    for choice in itertools.product([None, 0, 1, 2], repeat=2):
        starts = {k: s for k, s in zip(("crm", "brand"), choice, strict=True) if s is not None}
        ev = evaluate(sc, Plan(starts=starts))
        if ev.feasible:
            feasible[tuple(sorted(starts.items()))] = ev.objective
        elif starts.get("crm") != 1:
            assert any(v.kind == "hiring" and v.subject == "phone" for v in ev.violations)
    assert feasible and all(dict(k).get("crm") == 1 for k in feasible)
    res = optimize(sc, gap=1e-6).optimization
    assert res.evaluation.feasible
    assert res.evaluation.objective == pytest.approx(max(feasible.values()), rel=1e-9)


def test_optimize_has_one_return_type_a_plan_carrying_its_record(sc: co.Scenario) -> None:
    import pickle

    from channelopt.planning import OptimizationResult

    plan = optimize(sc, gap=1e-4)
    assert type(plan) is Plan
    record = plan.optimization
    assert isinstance(record, OptimizationResult)
    # The record describes this very plan, and its evaluation is the exact one.
    assert record.plan == plan
    assert record.evaluation.objective == pytest.approx(evaluate(sc, plan).objective, rel=1e-12)
    # Not part of equality, not written to plan files; kept through pickling
    # (process and Dask workers).
    assert Plan(starts=dict(plan.starts), name=plan.name) == plan
    assert Plan(starts=dict(plan.starts)).optimization is None
    assert "optimization" not in plan.to_yaml() and "estimate" not in plan.to_yaml()
    again = pickle.loads(pickle.dumps(plan))
    assert again == plan and again.optimization is not None
    assert again.optimization.estimate == pytest.approx(record.estimate)
    with pytest.raises(TypeError):
        optimize(sc, return_result=True)  # type: ignore[call-arg]


def test_evaluate_rejects_unknown_initiatives_and_out_of_horizon_starts(sc: co.Scenario) -> None:
    with pytest.raises(co.ScenarioError) as err:
        evaluate(sc, Plan(starts={"chatbot": 0, "crm": 3}))
    assert set(err.value.paths) == {"starts.chatbot", "starts.crm"}
    assert "outside [0, 3)" in str(err.value)


def test_progress_and_time_limit(sc: co.Scenario) -> None:
    calls: list[tuple[int, int, str]] = []
    res = optimize(
        sc, time_limit=5.0, progress=lambda d, t, m: calls.append((d, t, m))
    ).optimization
    assert res.status in ("optimal", "feasible") and res.evaluation.feasible
    # the one progress signature: progress(done, total, message), here in percent
    done = [d for d, _, _ in calls]
    assert done[0] == 0 and done[-1] == 100
    assert done == sorted(done)
    assert all(t == 100 for _, t, _ in calls)
    assert all(isinstance(m, str) and m for _, _, m in calls)
    # The timeline shows each started initiative from its start period on.
    timeline = res.timeline()
    assert set(timeline.index) == set(res.plan.starts)
    for name, start in res.plan.starts.items():
        assert timeline.loc[name, start] in ("start", "100%", "50%")
        before = [timeline.loc[name, t] for t in range(start)]
        assert before == [""] * start


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solver": "gurobi"}, "'solver' parameter"),
        ({"gap": 1.5}, "'gap' parameter"),
        ({"time_limit": -1}, "'time_limit' parameter"),
        ({"mode": "fast"}, "'mode' parameter"),
        ({"budget": "lots"}, "'budget' parameter"),
    ],
)
def test_optimize_rejects_bad_parameters(sc: co.Scenario, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        optimize(sc, **kwargs)
