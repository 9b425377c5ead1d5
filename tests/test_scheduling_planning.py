"""``evaluate(..., staffing="schedule")``: a period priced with the paid hours of its schedule."""

from __future__ import annotations

import pytest

import channelopt as co

DOC = {
    "name": "scheduled plan",
    "interval": "1h",
    "open": "08:00-16:00",
    "channels": {
        "voice": {
            "kind": "live",
            "volume": 600,
            "aht": "5min",
            "target": {"service_level": 0.8, "within": "20s"},
        }
    },
    "pools": {"p": {"skills": ["voice"], "cost_per_hour": 20, "shrinkage": 0.2, "max_agents": 500}},
    "periods": {"count": 2, "length": "month", "growth": {"voice": [1.0, 1.5]}},
    "week": {"days": ["mon", "tue", "wed", "thu", "fri"]},
    "shifts": {
        "day": {"length": "8h", "starts": "08:00-08:00"},
        "half": {"length": "4h", "starts": "08:00-12:00", "days_per_week": 5},
    },
}


def test_schedule_pricing_uses_the_schedules_paid_hours() -> None:
    sc = co.load_scenario(DOC)
    plan = co.Plan(starts={})
    req = co.evaluate(sc, plan)
    sch = co.evaluate(sc, plan, staffing="schedule")
    days = sc.periods.days
    for t in range(2):
        # the schedule of the same requirement (per-pool erlang), read from its shift table
        s = co.schedule(sc, period=t, staffing_method="erlang")
        paid_per_day = float((s.shifts["agents"] * s.shifts["paid_hours"]).sum()) / 5
        cost = sch.money.loc[sch.money["period"] == t, "agent_cost"].iloc[0]
        assert cost == pytest.approx(days * paid_per_day * 20.0, rel=1e-9)
        # whole shifts without breaks pay at least the FTE hours the requirement needs
        fte_cost = req.money.loc[req.money["period"] == t, "agent_cost"].iloc[0]
        assert cost >= fte_cost - 1e-6
    assert sch.objective <= req.objective + 1e-6
    # growth of 50 % in period 1 costs more paid hours
    costs = sch.money["agent_cost"].to_numpy()
    assert costs[1] > costs[0]


def test_schedule_pricing_checks_the_cap_against_the_schedule() -> None:
    doc = {**DOC, "pools": {"p": {**DOC["pools"]["p"], "max_agents": 10}}}
    sc = co.load_scenario(doc)
    ev = co.evaluate(sc, co.Plan(starts={}), staffing="schedule")
    kinds = {v.kind for v in ev.violations}
    assert "headcount" in {str(k) for k in kinds}
    with pytest.raises(ValueError, match="'requirement' or 'schedule'"):
        co.evaluate(sc, co.Plan(starts={}), staffing="shifts")


def test_optimize_with_schedule_pricing_returns_a_schedule_priced_evaluation() -> None:
    doc = {
        **DOC,
        "initiatives": {
            "ivr": {"cost": {"upfront": 1000}, "effects": [{"channel": "voice", "volume": 0.8}]}
        },
    }
    sc = co.load_scenario(doc)
    res = co.optimize(sc, staffing="schedule").optimization
    direct = co.evaluate(sc, res.plan, staffing="schedule")
    assert res.evaluation.objective == pytest.approx(direct.objective)
    # brute force over every plan (not started, started in period 0 or 1), priced by schedules
    options = [{}, {"ivr": 0}, {"ivr": 1}]
    best = max(
        options, key=lambda st: co.evaluate(sc, co.Plan(starts=st), staffing="schedule").objective
    )
    assert res.plan.starts == best
    with pytest.raises(ValueError, match="'requirement' or 'schedule'"):
        co.optimize(sc, staffing="shifts")
