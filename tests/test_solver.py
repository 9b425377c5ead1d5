"""Tests of channelopt.solver, the one adapter between channelopt and PuLP / HiGHS / CBC.

References are problems small enough to solve by inspection or enumeration.
"""

from __future__ import annotations

import itertools

import pytest

from channelopt.errors import SolverError
from channelopt.solver import _pulp


# --------------------------------------------------------------------------- adapter
def test_adapter_solves_a_knapsack_with_both_solvers() -> None:
    # max 5a + 4b + 3c s.t. 2a + 3b + c <= 4, binaries: optimum a = c = 1 (8) by inspection.
    for solver in _pulp.available_solvers():
        m = _pulp.Model("knap")
        a, b, c = m.binary("a"), m.binary("b"), m.binary("c")
        m.add(_pulp.lin([2 * a, 3 * b, c]) <= 4, "cap")
        m.set_objective(_pulp.lin([5 * a, 4 * b, 3 * c]))
        info = m.solve(solver, gap_rel=0.0)
        assert info.status == "optimal" and info.has_solution
        assert info.objective == pytest.approx(8.0)
        assert (m.value(a), m.value(b), m.value(c)) == (1.0, 0.0, 1.0)


def test_adapter_reports_infeasible_and_rejects_unknown_solver() -> None:
    m = _pulp.Model("bad")
    a = m.binary("a")
    m.add(a >= 2, "impossible")
    m.set_objective(_pulp.lin([a]))
    assert m.solve("highs").status == "infeasible"
    with pytest.raises(SolverError, match="'solver' parameter"):
        m.solve("gurobi")


class _StatusObject:
    """Stands in for PuLP 4's status objects (an integer code behind an attribute)."""

    def __init__(self, value: int) -> None:
        self.value = value


def test_adapter_reads_status_objects_and_ints() -> None:
    assert _pulp._code(1) == 1
    assert _pulp._code(_StatusObject(-1)) == -1
    with pytest.raises(SolverError, match="unrecognised PuLP status"):
        _pulp._code(object())


def _knapsack() -> tuple[_pulp.Model, object]:
    m = _pulp.Model("knap")
    a = m.binary("a")
    m.add(_pulp.lin([2 * a]) <= 4, "cap")
    m.set_objective(_pulp.lin([5 * a]))
    return m, a


def test_adapter_does_not_trust_an_optimal_status_without_a_solution(monkeypatch) -> None:
    # PuLP 3 reports a CBC time-out as status 1 ("Optimal"); only sol_status tells whether a
    # solution exists. Simulate both reports on a real model. (HiGHS goes through PuLP's
    # solve only with DIRECT_HIGHS off; CBC always does.)
    monkeypatch.setattr(_pulp, "DIRECT_HIGHS", False)
    m, a = _knapsack()

    def timed_out_with_incumbent(solver: object) -> int:
        a.varValue = 1.0
        m.problem.sol_status = 2  # integer feasible, not proven
        return 1

    monkeypatch.setattr(m.problem, "solve", timed_out_with_incumbent)
    info = m.solve("cbc" if "cbc" in _pulp.available_solvers() else "highs")
    assert info.status == "feasible" and info.has_solution

    m2, a2 = _knapsack()

    def timed_out_without_solution(solver: object) -> int:
        a2.varValue = None
        m2.problem.sol_status = 0  # no solution found
        return 1

    monkeypatch.setattr(m2.problem, "solve", timed_out_without_solution)
    with pytest.raises(SolverError, match="no solution"):
        m2.solve("highs", time_limit=1.0)


def test_integer_variables_and_lp_relaxation_bound() -> None:
    # min x + y s.t. 2x + 2y >= 3, x, y integer >= 0: integer optimum 2 (enumeration below),
    # LP relaxation 1.5 (x + y = 3/2).
    best = min(x + y for x, y in itertools.product(range(4), repeat=2) if 2 * x + 2 * y >= 3)
    for relax, expected in ((False, float(best)), (True, 1.5)):
        m = _pulp.Model("cover", maximize=False)
        x, y = m.integer("x"), m.integer("y")
        m.add(_pulp.lin([2 * x, 2 * y]) >= 3, "need")
        m.set_objective(_pulp.lin([x, y]))
        info = m.solve("highs", relax=relax, gap_rel=0.0)
        assert info.status == "optimal"
        assert info.objective == pytest.approx(expected)
        assert info.cpu_seconds >= 0.0
        if relax:
            assert info.bound == pytest.approx(1.5)


@pytest.mark.parametrize("seed", range(5))
def test_direct_highs_hand_over_matches_enumeration_and_pulps_path(monkeypatch, seed) -> None:
    """The model handed to HiGHS as arrays (Model._solve_highs) against brute force over
    all 2^8 plans and against PuLP's own HiGHS interface: same optimum, same values,
    a bound on the right side, and the LP relaxation at or above the integer optimum."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 8
    value = rng.integers(1, 20, n).astype(float)
    weight = rng.integers(1, 10, (2, n)).astype(float)
    cap = weight.sum(axis=1) * 0.4
    best = max(
        float(value @ np.array(p))
        for p in itertools.product((0, 1), repeat=n)
        if np.all(weight @ np.array(p) <= cap + 1e-9)
    )
    results = {}
    for direct in (True, False):
        monkeypatch.setattr(_pulp, "DIRECT_HIGHS", direct)
        m = _pulp.Model("knap")
        xs = [m.binary(f"x{i}") for i in range(n)]
        for r in range(2):
            m.add(_pulp.lin_coefs(zip(xs, weight[r], strict=True)) <= cap[r], f"cap{r}")
        m.set_objective(_pulp.lin_coefs(zip(xs, value, strict=True)))
        info = m.solve("highs", gap_rel=0.0)
        assert info.status == "optimal"
        assert info.objective == pytest.approx(best)
        assert info.bound >= info.objective - 1e-6
        results[direct] = [m.value(x) for x in xs]
        lp = m.solve("highs", relax=True)
        assert lp.objective >= best - 1e-9
    assert results[True] == results[False]


def test_lin_coefs_sums_repeated_variables() -> None:
    m = _pulp.Model("sum")
    a, b = m.binary("a"), m.binary("b")
    expr = _pulp.lin_coefs([(a, 2.0), (b, 1.0), (a, 0.5)], constant=3.0)
    assert dict(expr.items()) == {a: 2.5, b: 1.0} and expr.constant == 3.0
