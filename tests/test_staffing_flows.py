"""Traffic equations: delay spreading, carrying over closed hours, hand-solved routing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from channelopt.staffing import carry_matrix, delay_kernel, delay_weights, flows
from test_staffing_support import make_resolved


def _weights_by_quadrature(mean: float, interval_s: float, n: int) -> np.ndarray:
    """Share landing j intervals later, by numerical integration over the leaving time.

    A contact leaves at u * interval_s (u uniform on [0, 1)) and returns after an
    exponential delay; it lands in interval k >= 0 after its own when the return
    time falls in [k, k + 1) intervals. Interval k lands in slot k mod n.
    """
    w = np.zeros(n)
    days = int(60 * mean / (n * interval_s)) + 2  # enough days that the tail is < 1e-26

    def p_window(u: float, k: int) -> float:
        lo = max(0.0, (k - u) * interval_s)
        hi = (k + 1 - u) * interval_s
        return math.exp(-lo / mean) - math.exp(-hi / mean)

    for k in range(n * days):
        val, _ = integrate.quad(p_window, 0.0, 1.0, args=(k,), epsabs=1e-15, epsrel=1e-12)
        w[k % n] += val
    return w


@pytest.mark.parametrize(
    ("mean", "interval_s", "n"),
    [(600.0, 1800.0, 48), (7200.0, 1800.0, 48), (86400.0, 3600.0, 24), (5.0, 900.0, 8)],
)
def test_delay_weights_match_the_integral(mean: float, interval_s: float, n: int) -> None:
    got = delay_weights(mean, interval_s, n)
    want = _weights_by_quadrature(mean, interval_s, n)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-13)


@settings(max_examples=50, deadline=None)
@given(
    mean=st.floats(1.0, 1e6),
    interval_s=st.sampled_from([300.0, 900.0, 1800.0, 3600.0]),
    n=st.integers(1, 96),
)
def test_delay_weights_are_a_distribution(mean: float, interval_s: float, n: int) -> None:
    w = delay_weights(mean, interval_s, n)
    assert np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    # the kernel is circulant: every column is the same distribution
    k = delay_kernel(mean, interval_s, n)
    np.testing.assert_allclose(k.sum(axis=0), 1.0, atol=1e-12)


def test_zero_delay_lands_at_once() -> None:
    np.testing.assert_array_equal(delay_weights(0.0, 1800.0, 4), [1.0, 0.0, 0.0, 0.0])


def test_carry_matrix_moves_closed_intervals_to_the_next_open_one() -> None:
    mask = np.array([False, True, False, False, True, False])
    g = carry_matrix(mask, closed_hours="next_open")
    # column s -> row t: 0->1, 1->1, 2->4, 3->4, 4->4, 5->1 (round midnight)
    want = {0: 1, 1: 1, 2: 4, 3: 4, 4: 4, 5: 1}
    for s, t in want.items():
        assert g[t, s] == 1.0
    assert g.sum() == 6


def test_carry_matrix_spreads_closed_intervals_by_the_profile() -> None:
    mask = np.array([False, True, True, False, True, False])
    profile = np.array([0.0, 1.0, 3.0, 0.0, 2.0, 0.0])
    g = carry_matrix(mask, profile)  # spread is the default
    # 0 -> stretch (1, 2) by 1:3; 3 -> stretch (4,) ; 5 -> round midnight to (1, 2)
    np.testing.assert_allclose(g[:, 0], [0, 0.25, 0.75, 0, 0, 0])
    np.testing.assert_allclose(g[:, 3], [0, 0, 0, 0, 1, 0])
    np.testing.assert_allclose(g[:, 5], [0, 0.25, 0.75, 0, 0, 0])
    np.testing.assert_allclose(g.sum(axis=0), 1.0)
    # no profile on the stretch: evenly; lost: closed columns are empty
    np.testing.assert_allclose(carry_matrix(mask)[:, 0], [0, 0.5, 0.5, 0, 0, 0])
    lost = carry_matrix(mask, profile, "lost")
    np.testing.assert_array_equal(lost.sum(axis=0), mask.astype(float))
    with pytest.raises(ValueError, match="closed_hours"):
        carry_matrix(mask, profile, "later")


@pytest.mark.parametrize(
    ("delay", "want"),
    [(2700.0, [0.0, 0.5, 0.5, 0.0]), (1800.0, [0.0, 1.0, 0.0, 0.0]), (6300.0, [0.5, 0, 0, 0.5])],
)
def test_constant_delay_lands_one_or_two_intervals_later(delay, want) -> None:
    # leaving uniformly within a 30-minute interval, a fixed 45-minute delay lands
    # half in the next interval and half in the one after; 105 min wraps round
    np.testing.assert_allclose(delay_weights(delay, 1800.0, 4, "constant"), want, atol=1e-12)


def test_two_channel_example_solved_by_hand() -> None:
    # Chat (0) and voice (1), open all day, constant arrivals; every delay kernel
    # maps a constant day onto itself, so the per-interval flows solve a 2x2 system.
    a_chat, a_voice = 40.0, 100.0
    ab_chat, ab_voice = 0.1, 0.2  # abandonment fractions (given)
    p = 0.5  # retrial probability
    r = make_resolved(
        [
            dict(name="chat", kind="concurrent", arrivals=a_chat, aht=600, resolution=0.7),
            dict(name="voice", arrivals=a_voice, aht=300, resolution=0.8),
        ],
        n_intervals=12,
        interval_s=7200.0,
        handoff=[[0, 0.1], [0, 0]],
        repeat_to=[[0.5, 0], [0.2, 0.6]],
        repeat_delay=3 * 3600.0,
        retrial_probability=p,
        retrial_delay=900.0,
    )
    ab = np.tile([ab_chat, ab_voice], (12, 1))
    x = flows(r, ab)
    # chat: retrials p*ab x_c; its own repeats: served (0.9) x not handed off (0.9) x
    # unresolved (0.3) x 0.5 back to chat; voice repeats: 0.8 x 0.2 x 0.2 to chat
    # voice: retrials; hand-offs from chat 0.1 x 0.9 x_c; own repeats 0.8 x 0.2 x 0.6
    m = np.array(
        [
            [1 - p * ab_chat - 0.9 * 0.9 * 0.3 * 0.5, -0.8 * 0.2 * 0.2],
            [-0.1 * 0.9, 1 - p * ab_voice - 0.8 * 0.2 * 0.6],
        ]
    )
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    x_chat = (a_chat * m[1, 1] - m[0, 1] * a_voice) / det  # Cramer's rule
    x_voice = (m[0, 0] * a_voice - m[1, 0] * a_chat) / det
    np.testing.assert_allclose(x[:, 0], x_chat, rtol=1e-10)
    np.testing.assert_allclose(x[:, 1], x_voice, rtol=1e-10)


def test_single_channel_retrials_as_a_geometric_series() -> None:
    # Arrivals in interval 0 only; a fraction q = p * ab of each interval's volume
    # comes back spread by the retrial kernel W, so x = sum_k (q W)^k a.
    n, interval_s, mean = 8, 1800.0, 2400.0
    a = np.zeros(n)
    a[0] = 100.0
    p, ab = 0.6, 0.3
    r = make_resolved(
        [dict(name="voice", arrivals=a, aht=300)],
        n_intervals=n,
        interval_s=interval_s,
        retrial_probability=p,
        retrial_delay=mean,
    )
    w = _weights_by_quadrature(mean, interval_s, n)
    W = np.array([[w[(t - s) % n] for s in range(n)] for t in range(n)])
    want = np.zeros(n)
    term = a.copy()
    for _ in range(200):
        want += term
        term = p * ab * W @ term
    got = flows(r, np.full((n, 1), ab))[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_hand_offs_to_a_closed_channel_wait_for_it_to_open() -> None:
    n = 8
    voice_open = np.array([False, False, True, True, True, True, False, False])
    r = make_resolved(
        [
            dict(name="bot", kind="self_service", arrivals=10.0, containment=0.5),
            dict(name="voice", arrivals=0.0, open=voice_open, aht=300),
        ],
        n_intervals=n,
        interval_s=3 * 3600.0,
        handoff=[[0, 0.4], [0, 0]],
    )
    x = flows(r)
    handoffs = 10.0 * 0.5 * 0.4  # per interval
    # closed_hours: spread (the default): the hand-offs of intervals 6, 7 (evening)
    # and 0, 1 (night) are spread over the next open stretch 2-5; voice has no
    # external profile, so evenly: one more interval's worth in each
    want = np.array([0, 0, 2 * handoffs, 2 * handoffs, 2 * handoffs, 2 * handoffs, 0, 0])
    np.testing.assert_allclose(x[:, 1], want, rtol=1e-12)
    np.testing.assert_allclose(x[:, 0], 10.0)


def test_flows_rejects_bad_abandonment() -> None:
    r = make_resolved([dict(name="voice", arrivals=1.0, aht=300)], n_intervals=4)
    with pytest.raises(ValueError, match="shape"):
        flows(r, np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        flows(r, np.full((4, 1), 1.5))
    with pytest.raises(TypeError, match="Resolved"):
        flows("not a period")  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(
    handoff=st.lists(st.floats(0.0, 0.3), min_size=16, max_size=16),
    repeat=st.lists(st.floats(0.0, 0.3), min_size=16, max_size=16),
    resolution=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    retrial=st.floats(0.0, 0.95),
    containment=st.floats(0.0, 1.0),
)
def test_random_journeys_conserve_contacts(handoff, repeat, resolution, retrial, containment):
    from channelopt.staffing import staff_resolved

    n = 6
    h = np.array(handoff).reshape(4, 4)
    np.fill_diagonal(h, 0.0)
    rep = np.array(repeat).reshape(4, 4)
    rep[3] = 0.0  # self-service channels never repeat
    night = np.array([False, True, True, True, True, False])
    r = make_resolved(
        [
            dict(
                name="voice",
                arrivals=60.0,
                open=night,
                aht=300.0,
                patience=120.0,
                resolution=resolution[0],
                target={"service_level": 0.7, "within": 30.0},
            ),
            dict(
                name="chat",
                kind="concurrent",
                concurrency=2,
                arrivals=40.0,
                aht=600.0,
                patience=240.0,
                stretch=0.3,
                resolution=resolution[1],
                target={"max_abandonment": 0.1},
            ),
            dict(
                name="email",
                kind="deferred",
                arrivals=20.0,
                aht=400.0,
                open=night,
                deadline=86400.0,
                resolution=resolution[2],
            ),
            dict(name="bot", kind="self_service", arrivals=50.0, containment=containment),
        ],
        n_intervals=n,
        interval_s=4 * 3600.0,
        handoff=h,
        repeat_to=rep,
        repeat_delay=5 * 3600.0,
        retrial_probability=retrial,
        retrial_delay=1200.0,
    )
    df = staff_resolved(r).intervals
    ends = df[["contained", "gave_up", "lost", "resolved", "unresolved"]].to_numpy().sum()
    assert ends == pytest.approx(df["external"].sum(), rel=1e-6)
    # nothing is offered while a channel is closed
    closed = ~np.concatenate([night, np.ones(n, bool), night, np.ones(n, bool)])
    assert np.all(df["offered"].to_numpy()[closed] == 0.0)
