"""Finite systems (M/M/n/N, M/M/n/N+M) and Erlang X against mpmath birth-death chains."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelopt import queueing as q
from reference_queueing import erlang_b as ref_erlang_b
from reference_queueing import finite_birth_death

INF = math.inf
REL = 1e-9

# (agents, load, aht, patience, target, lines, queue_capacity)
SMALL = [
    (10, 8.0, 180.0, 120.0, 20.0, INF, 5),
    (10, 8.0, 180.0, INF, 20.0, INF, 5),
    (5, 7.0, 300.0, 60.0, 30.0, INF, INF),  # Erlang A, overloaded
    (20, 25.0, 200.0, 100.0, 10.0, 30, INF),  # lines
    (3, 1.0, 100.0, 50.0, 0.0, INF, 0),  # loss system with patience: Erlang B
    (50, 45.0, 240.0, 600.0, 60.0, 80, 20),  # both limits: lines win
    (0, 2.0, 100.0, 50.0, 10.0, INF, 5),  # no agents: everyone abandons or is blocked
    (8, 12.0, 180.0, INF, 20.0, 10, INF),  # fewer lines than agents+queue, overloaded
    (12, 6.0, 180.0, INF, 0.0, 9, INF),  # fewer lines than agents
    (1, 0.3, 60.0, 20.0, 5.0, 4, INF),
]
LARGE = [
    (5000, 4950.0, 300.0, 300.0, 20.0, INF, 40),
    (5000, 5100.0, 300.0, INF, 20.0, 5030, INF),
]
LARGE_SLOW = [
    (2000, 1990.0, 240.0, 600.0, 30.0, INF, 60),
    (1000, 1200.0, 180.0, 120.0, 20.0, 1020, INF),
    (4000, 3900.0, 240.0, 180.0, 15.0, INF, 25),
]
FIELDS = [
    ("blocking", "block"),
    ("wait_probability", "wait"),
    ("service_level", "sl_all"),
    ("average_wait", "asa"),
    ("abandonment", "ab"),
    ("occupancy", "occ"),
    ("answered", "served"),
]


def _close(got: float, ref, what: str) -> None:
    ref = float(ref)
    if math.isinf(ref):
        assert math.isinf(got), what
        return
    assert abs(got - ref) <= REL * abs(ref) + 1e-15, f"{what}: {got!r} vs {ref!r}"


def _check(case: tuple) -> None:
    n, a, h, p, t, lines, qc = case
    cap = min(lines, n + qc)
    ref = finite_birth_death(n, a, h, p, t, cap)
    m = q.finite_measures(n, a, h, t, p, lines=lines, queue_capacity=qc)
    for name, key in FIELDS:
        _close(getattr(m, name), ref[key], f"{case} {name}")
    for definition, key in (("answered", "sl_answered"), ("exclude_early_abandons", "sl_late")):
        got = q.finite_measures(
            n, a, h, t, p, lines=lines, queue_capacity=qc, sl_definition=definition
        ).service_level
        _close(got, ref[key], f"{case} {definition}")


@pytest.mark.parametrize("case", SMALL)
def test_small_systems_match_the_birth_death_chain(case):
    _check(case)


@pytest.mark.parametrize("case", LARGE)
def test_large_systems_match_the_birth_death_chain(case):
    _check(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", LARGE_SLOW)
def test_more_large_systems_match_the_birth_death_chain(case):
    _check(case)


def test_the_reference_itself_reproduces_erlang_b_and_erlang_c():
    # the reference chain cut at N = n is Erlang B; uncut without patience is Erlang C
    assert (
        abs(finite_birth_death(10, 5.0, 180.0, INF, 20.0, 10)["block"] - ref_erlang_b(10, 5.0))
        < 1e-30
    )
    erlang_c_sl = 1 - 0.17413193359504990 * math.exp(-(14 - 10) * 20 / 180)
    assert (
        abs(float(finite_birth_death(14, 10.0, 180.0, INF, 20.0, INF)["sl_all"]) - erlang_c_sl)
        < 1e-15
    )


@pytest.mark.parametrize("n,a", [(1, 0.5), (10, 5.0), (30, 29.0), (100, 120.0), (2500, 2450.0)])
def test_queue_capacity_zero_is_erlang_b(n, a):
    got = q.blocking(n, a, 180.0, queue_capacity=0)
    assert got == pytest.approx(float(ref_erlang_b(n, a)), rel=REL)
    assert got == pytest.approx(q.erlang_b(n, a), rel=1e-12)


@pytest.mark.parametrize(
    "n,a,h,t,p",
    [
        (14, 10.0, 180.0, 20.0, INF),
        (14, 10.0, 180.0, 20.0, 300.0),
        (120, 110.0, 240.0, 30.0, 180.0),
    ],
)
def test_without_limits_the_published_erlang_c_and_a_values_hold(n, a, h, t, p):
    # Erlang C example of the queueing docs: 14 agents, 10 Erlangs, SL 0.8884, P(wait) 0.1741
    fin = q.finite_measures(n, a, h, t, p)
    ref = q.measures(n, a, h, t, p)
    for name in ("wait_probability", "service_level", "average_wait", "abandonment", "occupancy"):
        assert getattr(fin, name) == pytest.approx(getattr(ref, name), rel=1e-10), name
    assert fin.blocking == 0.0
    if (n, a, p) == (14, 10.0, INF):
        assert round(fin.service_level, 4) == 0.8884
        assert round(fin.wait_probability, 4) == 0.1741


def test_lines_equal_to_agents_plus_queue_is_the_same_system():
    a = q.finite_measures(12, 11.0, 200.0, 20.0, 150.0, lines=17)
    b = q.finite_measures(12, 11.0, 200.0, 20.0, 150.0, queue_capacity=5)
    assert a == b


def test_fractional_agents_interpolate_between_whole_agents():
    lo = q.finite_measures(7, 6.0, 180.0, 20.0, 200.0, queue_capacity=4)
    hi = q.finite_measures(8, 6.0, 180.0, 20.0, 200.0, queue_capacity=4)
    mid = q.finite_measures(7.25, 6.0, 180.0, 20.0, 200.0, queue_capacity=4)
    for name in lo._fields:
        expected = 0.75 * getattr(lo, name) + 0.25 * getattr(hi, name)
        assert getattr(mid, name) == pytest.approx(expected, rel=1e-14), name


@pytest.mark.parametrize(
    "case,r_ab,r_bl",
    [
        ((10, 8.0, 180.0, 120.0, 20.0, INF, 5), 0.5, 0.3),
        ((20, 25.0, 200.0, 100.0, 10.0, 30, INF), 0.8, 0.8),
        ((5, 7.0, 300.0, 60.0, 30.0, INF, INF), 0.4, 0.0),
    ],
)
def test_erlang_x_load_is_the_fixed_point_of_the_reference_chain(case, r_ab, r_bl):
    n, a0, h, p, t, lines, qc = case
    x = q.erlang_x(
        n,
        a0,
        h,
        t,
        p,
        lines=lines,
        queue_capacity=qc,
        retrial_probability=r_ab,
        blocked_retrial_probability=r_bl,
    )
    ref = finite_birth_death(n, x.offered_load, h, p, t, min(lines, n + qc))
    # the load solves a = a0 + a (r_ab P(ab) + r_bl P(block)) with the reference's measures
    rhs = a0 + x.offered_load * (r_ab * float(ref["ab"]) + r_bl * float(ref["block"]))
    assert x.offered_load == pytest.approx(rhs, rel=1e-10)
    _close(x.service_level, ref["sl_all"], "service level at the fixed point")
    lost = x.offered_load * (float(ref["ab"]) * (1 - r_ab) + float(ref["block"]) * (1 - r_bl)) / a0
    assert x.lost == pytest.approx(lost, rel=1e-9)
    # retrials raise the load and the losses per attempt
    plain = q.finite_measures(n, a0, h, t, p, lines=lines, queue_capacity=qc)
    assert x.offered_load > a0
    assert x.abandonment + x.blocking > plain.abandonment + plain.blocking


def test_erlang_x_without_retrials_is_the_finite_system():
    x = q.erlang_x(10, 8.0, 180.0, 20.0, 120.0, queue_capacity=5)
    m = q.finite_measures(10, 8.0, 180.0, 20.0, 120.0, queue_capacity=5)
    assert x.offered_load == 8.0
    assert tuple(x)[:7] == tuple(m)


def test_required_agents_finite_is_the_smallest_meeting_the_targets():
    kw = dict(service_level=0.8, target=20.0, queue_capacity=3, patience=200.0, max_blocking=0.02)
    n = q.required_agents_finite(10.0, 180.0, **kw)
    assert n > 0

    def meets(k):
        m = finite_birth_death(k, 10.0, 180.0, 200.0, 20.0, k + 3)
        return m["sl_all"] >= 0.8 and m["block"] <= 0.02

    assert meets(n) and not meets(n - 1)
    assert q.required_agents_finite(10.0, 180.0, service_level=0.8, target=20.0) == 14


def test_required_agents_finite_errors():
    with pytest.raises(ValueError, match="at least one target"):
        q.required_agents_finite(10.0, 180.0)
    with pytest.raises(ValueError, match="cannot be met"):
        q.required_agents_finite(10.0, 180.0, max_blocking=0.01, lines=8)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(lines=2.5), "'lines' argument of finite_measures must be a whole number"),
        (dict(queue_capacity=-1), "'queue_capacity' argument"),
        (dict(sl_definition="answerd"), "'sl_definition' argument"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        q.finite_measures(5, 3.0, 180.0, 20.0, **kwargs)


def test_bad_retrial_probability():
    with pytest.raises(ValueError, match=r"retrial_probability.*in \[0, 1\)"):
        q.erlang_x(5, 3.0, 180.0, retrial_probability=1.0)


def test_arrays_broadcast():
    m = q.finite_measures(
        np.array([[5], [6]]), np.array([3.0, 4.0, 4.5]), 180.0, 20.0, 100.0, queue_capacity=3
    )
    assert m.service_level.shape == (2, 3)
    one = q.finite_measures(6, 4.5, 180.0, 20.0, 100.0, queue_capacity=3)
    assert m.service_level[1, 2] == one.service_level


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 60),
    a=st.floats(0.01, 80.0),
    h=st.floats(10.0, 600.0),
    p=st.one_of(st.just(INF), st.floats(5.0, 2000.0)),
    t=st.floats(0.0, 120.0),
    qc=st.integers(0, 40),
)
def test_properties(n, a, h, p, t, qc):
    m = q.finite_measures(n, a, h, t, p, queue_capacity=qc)
    for name in ("blocking", "wait_probability", "service_level", "abandonment", "occupancy"):
        assert 0.0 <= getattr(m, name) <= 1.0, name
    # every arrival is blocked, answered or abandons
    assert m.blocking + m.answered + m.abandonment == pytest.approx(1.0, abs=1e-12)
    # the three definitions: all <= late-abandons-excluded <= answered
    late = q.finite_measures(
        n, a, h, t, p, queue_capacity=qc, sl_definition="exclude_early_abandons"
    )
    ans = q.finite_measures(n, a, h, t, p, queue_capacity=qc, sl_definition="answered")
    assert m.service_level <= late.service_level + 1e-12
    assert late.service_level <= ans.service_level + 1e-12 or m.answered == 0.0
    # one more agent never blocks more
    more = q.finite_measures(n + 1, a, h, t, p, queue_capacity=qc)
    assert more.blocking <= m.blocking * (1 + 1e-12) + 1e-300
