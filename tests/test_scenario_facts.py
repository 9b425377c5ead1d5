"""Planning-facing facts of the model layer: timing, budgets, costs, target mode."""

from __future__ import annotations

import math

import numpy as np
import pytest

from channelopt.scenario import load_scenario
from conftest import make_minimal_doc


def scenario(**top):
    doc = make_minimal_doc()
    doc["periods"] = {"count": 5, "growth": {"chat": [1.0] * 5}}
    doc["initiatives"] = {
        "a": {"cost": {"upfront": 100, "per_period": 10}, "lead_time": 1, "ramp": 2},
        "b": {"value_per_period": -5, "lead_time": 0, "ramp": 0},
        "c": {"lead_time": 2, "ramp": 3, "requires": ["a"]},
    }
    doc.update(top)
    return load_scenario(doc)


def test_fraction_table_follows_the_ramp_rule():
    sc = scenario()
    table = sc.fraction_table()
    assert table.shape == (3, 5, 5) and not table.flags.writeable
    # DESIGN.md: fraction min(1, (t - s - L + 1) / R) for t >= s + L, worked by hand
    assert table[0, 0].tolist() == [0.0, 0.5, 1.0, 1.0, 1.0]  # a: L=1, R=2, start 0
    assert table[0, 3].tolist() == [0.0, 0.0, 0.0, 0.0, 0.5]
    assert table[1, 2].tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]  # b: L=0, R=0 -> at once
    assert table[2, 0].tolist() == [0.0, 0.0, 1 / 3, 2 / 3, 1.0]  # c: L=2, R=3
    # and the scalar rule agrees everywhere
    for i, ini in enumerate(sc.initiatives.values()):
        for s in range(5):
            assert table[i, s].tolist() == [ini.fraction(s, t) for t in range(5)]
            assert np.array_equal(ini.fractions(s, 5), table[i, s])
    assert sc.initiatives["a"].fractions(None, 5).tolist() == [0.0] * 5
    assert sc.initiatives["a"].ramp_periods == 2 and sc.initiatives["b"].ramp_periods == 1
    assert sc.initiatives["c"].first_period(1) == 3


def test_initiative_costs():
    costs = scenario().initiative_costs()
    assert costs["upfront"].tolist() == [100.0, 0.0, 0.0]
    assert costs["per_period"].tolist() == [10.0, 0.0, 0.0]
    assert costs["value_per_period"].tolist() == [0.0, -5.0, 0.0]
    assert costs["lead_time"].tolist() == [1, 0, 2] and costs["ramp"].tolist() == [2, 1, 3]
    with pytest.raises(ValueError):
        costs["upfront"][0] = 1.0


def test_budget_limits():
    total, per = scenario().budget_limits()
    assert math.isinf(total) and per.shape == (5,) and np.isinf(per).all()
    total, per = scenario(budget={"total": 500, "per_period": 50}).budget_limits()
    assert total == 500.0 and per.tolist() == [50.0] * 5
    total, per = scenario(budget={"per_period": [1, 2, 3, 4, 5]}).budget_limits()
    assert math.isinf(total) and per.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_target_mode():
    hard = scenario().targets
    assert not hard.soft and hard.penalty == 0.0
    soft = scenario(targets={"mode": "soft", "penalty_per_point_below": 2000}).targets
    assert soft.soft and soft.penalty == 2000.0


def test_discount_factors_and_names():
    sc = scenario(economics={"discount_rate": 0.08})
    # quarters: (1.08) ** -(t / 4), by hand for t = 4
    assert sc.discount_factors()[4] == pytest.approx(1 / 1.08, rel=1e-15)
    assert sc.initiative_names == ("a", "b", "c")


def test_facts_are_cached_per_scenario_and_not_shared():
    sc = scenario()
    assert sc.fraction_table() is sc.fraction_table()
    changed = sc.with_changes({"initiatives.a.lead_time": {"set": 0}})
    assert changed.fraction_table()[0, 0, 0] == 0.5
    assert sc.fraction_table()[0, 0, 0] == 0.0
