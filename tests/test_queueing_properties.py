"""Property tests of the queueing kernels (hypothesis).

Bounds, monotonicity in agents, load and threshold, Erlang A tending to
Erlang C, the Erlang B recursion across the kernel's algorithm switches,
scalar/array consistency, and required_agents meeting its targets at n but
not at n - 1.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import channelopt.queueing as q

SETTINGS = settings(max_examples=60, deadline=None)
SLACK = 1e-12  # relative slack for monotonicity (rounding of two separate evaluations)

agents_st = st.integers(min_value=1, max_value=3000)
occupancy_st = st.floats(min_value=0.01, max_value=1.6)
aht_st = st.floats(min_value=10.0, max_value=1200.0)
patience_st = st.one_of(st.just(math.inf), st.floats(min_value=1.0, max_value=1e5))
target_st = st.floats(min_value=0.0, max_value=300.0)


def le(x: float, y: float) -> bool:
    """x <= y up to the relative slack."""
    return x <= y + SLACK * max(abs(x), abs(y)) or (math.isinf(x) and math.isinf(y))


@SETTINGS
@given(agents_st, occupancy_st, aht_st, patience_st, target_st)
def test_bounds(n: int, occ: float, aht: float, patience: float, target: float) -> None:
    m = q.measures(n, n * occ, aht, target, patience)
    for name in ("wait_probability", "service_level", "abandonment", "occupancy"):
        value = getattr(m, name)
        assert 0.0 <= value <= 1.0, (name, value)
    assert m.average_wait >= 0.0 and not math.isnan(m.average_wait)
    # answered within target <= answered = 1 - abandoned
    assert le(m.service_level, 1.0 - m.abandonment)
    # occupancy is carried load per agent, by definition
    if math.isfinite(patience) or occ < 1.0:
        assert math.isclose(m.occupancy, occ * (1.0 - m.abandonment), rel_tol=1e-12)


@SETTINGS
@given(agents_st, occupancy_st, aht_st, patience_st, target_st)
def test_monotone_in_agents(n: int, occ: float, aht: float, patience: float, target: float) -> None:
    a = n * occ
    lo = q.measures(n, a, aht, target, patience)
    hi = q.measures(n + 1, a, aht, target, patience)
    assert le(lo.service_level, hi.service_level)
    assert le(hi.wait_probability, lo.wait_probability)
    assert le(hi.average_wait, lo.average_wait)
    assert le(hi.abandonment, lo.abandonment)
    assert le(hi.occupancy, lo.occupancy)


@SETTINGS
@given(agents_st, occupancy_st, st.floats(1.0, 1.3), aht_st, patience_st, target_st)
def test_monotone_in_load(
    n: int, occ: float, factor: float, aht: float, patience: float, target: float
) -> None:
    a = n * occ
    lo = q.measures(n, a, aht, target, patience)
    hi = q.measures(n, a * factor, aht, target, patience)
    assert le(hi.service_level, lo.service_level)
    assert le(lo.wait_probability, hi.wait_probability)
    assert le(lo.abandonment, hi.abandonment)
    assert le(lo.average_wait, hi.average_wait)


@SETTINGS
@given(agents_st, occupancy_st, aht_st, patience_st, target_st, st.floats(1.0, 10.0))
def test_service_level_grows_with_threshold(
    n: int, occ: float, aht: float, patience: float, target: float, factor: float
) -> None:
    a = n * occ
    s0 = q.service_level(n, a, aht, 0.0, patience)
    s1 = q.service_level(n, a, aht, target, patience)
    s2 = q.service_level(n, a, aht, target * factor, patience)
    assert le(s0, s1) and le(s1, s2)
    # nobody is answered within 0 s except those who do not wait
    assert math.isclose(
        s0, 1.0 - q.wait_probability(n, a, aht, patience), rel_tol=1e-12, abs_tol=1e-15
    )


@SETTINGS
@given(
    st.integers(1, 400),
    st.floats(0.05, 0.97),
    aht_st,
    target_st,
    st.floats(1e7, 1e9),
)
@example(1, 0.875, 10.0, 20.0, 1e7)  # the case above, found by hypothesis
def test_erlang_a_tends_to_erlang_c(
    n: int, occ: float, aht: float, target: float, patience_factor: float
) -> None:
    a = n * occ
    c = q.measures(n, a, aht, target)
    patience = patience_factor * aht
    m = q.measures(n, a, aht, target, patience)
    # The gap is of order (mean wait of those waiting) / patience, and for the mean
    # wait of answered contacts also of order 2 (that wait)^2 / (aht x patience): an
    # mpmath birth-death chain of M/M/1+M at occupancy 0.875, aht 10 s, patience 1e8 s
    # gives 69.9991040 s against Erlang C's 70 (relative 1.28e-5 = 2 x 80^2 / (10 x 1e8)),
    # which the first term alone (8e-6) did not cover.
    tol = 10.0 * aht / ((1.0 - occ) * patience) * max(1.0, 1.0 / (n * n * (1.0 - occ))) + 1e-12
    assert math.isclose(m.wait_probability, c.wait_probability, rel_tol=tol)
    assert math.isclose(m.service_level, c.service_level, rel_tol=tol)
    assert math.isclose(m.average_wait, c.average_wait, rel_tol=tol, abs_tol=1e-300)
    assert m.abandonment <= tol


@SETTINGS
@given(st.integers(0, 20000), st.floats(0.01, 2.0))
def test_erlang_b_recursion_holds_across_algorithms(n: int, occ: float) -> None:
    # B(n+1) = a B(n) / (n + 1 + a B(n)) links values that the kernel computes by
    # different routes (recursion below 31 agents, series, continued fraction, Temme).
    a = max(n, 1) * occ
    b0 = q.erlang_b(n, a)
    b1 = q.erlang_b(n + 1, a)
    want = a * b0 / (n + 1 + a * b0)
    if want > 1e-290:
        assert math.isclose(b1, want, rel_tol=1e-12)
    else:
        assert b1 < 1e-280


@SETTINGS
@given(
    st.lists(st.tuples(agents_st, occupancy_st), min_size=1, max_size=8),
    aht_st,
    patience_st,
    target_st,
)
def test_array_matches_scalar(
    points: list[tuple[int, float]], aht: float, patience: float, target: float
) -> None:
    n = np.array([p[0] for p in points])
    a = np.array([p[0] * p[1] for p in points])
    m = q.measures(n, a, aht, target, patience)
    for i in range(len(points)):
        one = q.measures(int(n[i]), float(a[i]), aht, target, patience)
        for name in one._fields:
            assert getattr(m, name)[i] == getattr(one, name)
    assert np.array_equal(q.service_level(n, a, aht, target, patience), m.service_level)


@SETTINGS
@given(
    st.floats(0.05, 3000.0),
    aht_st,
    st.floats(0.5, 0.99),
    target_st,
    patience_st,
)
def test_required_agents_meets_service_level_and_n_minus_1_does_not(
    a: float, aht: float, sl: float, target: float, patience: float
) -> None:
    n = q.required_agents(a, aht, service_level=sl, target=target, patience=patience)
    assert q.service_level(n, a, aht, target, patience) >= sl
    if n > 0:
        below = q.service_level(n - 1, a, aht, target, patience)
        assert below < sl
    if math.isinf(patience):
        assert n > a  # Erlang C staffing is always stable


@SETTINGS
@given(
    st.floats(0.05, 3000.0),
    aht_st,
    st.floats(1.0, 1e4),
    st.floats(0.005, 0.5),
    st.floats(1.0, 120.0),
    st.floats(0.6, 0.99),
)
def test_required_agents_erlang_a_targets(
    a: float, aht: float, patience: float, max_ab: float, max_wait: float, max_occ: float
) -> None:
    n = q.required_agents(
        a, aht, max_abandonment=max_ab, max_wait=max_wait, max_occupancy=max_occ, patience=patience
    )

    def ok(k: int) -> bool:
        m = q.measures(k, a, aht, 0.0, patience)
        return m.abandonment <= max_ab and m.average_wait <= max_wait and m.occupancy <= max_occ

    assert ok(n)
    assert n == 0 or not ok(n - 1)
    assert ok(n + 1) and ok(n + 7)
