"""Traffic equations over a repeating day.

The offered volume of each channel per interval is its external arrivals plus
hand-offs (same interval), repeats and retrials (spread over later intervals by
their exponential delays, wrapping round midnight). Contacts that reach a
channel while it is closed are carried to its next open interval.

Given the abandonment fraction of every channel and interval, these flows are
linear in the offered volume, so one dense solve gives them exactly; the
abandonment itself depends on staffing and is handled by the caller
(:mod:`channelopt.staffing._core`).
"""

from __future__ import annotations

import math

import numpy as np

from ..scenario.kinds import FlowBehaviour, kind_spec
from ..scenario.resolved import Resolved

__all__ = ["FlowRates", "carry_matrix", "delay_kernel", "delay_weights", "flow_rates", "solve"]


def delay_weights(mean_delay: float, interval_s: float, n_intervals: int) -> np.ndarray:
    """Share of a delayed flow that lands ``j`` intervals after it left, on a repeating day.

    A contact leaves at a time uniform within its interval and comes back after
    an exponential delay with mean ``mean_delay``. With ``q = exp(-interval_s /
    mean_delay)`` and ``r = mean_delay / interval_s`` the exact shares are

    * ``1 - r (1 - q)`` for the same interval,
    * ``r (1 - q)^2 q^(k - 1)`` for ``k >= 1`` intervals later,

    and the day repeats, so shares ``k`` and ``k + I`` add up (a geometric sum).

    Parameters
    ----------
    mean_delay : float
        Mean delay in seconds (``<= 0``: the flow comes back at once).
    interval_s : float
        Interval length in seconds.
    n_intervals : int
        Intervals per day ``I``.

    Returns
    -------
    ndarray, shape (I,)
        ``w[j]``: fraction landing ``j`` intervals later (mod ``I``); sums to 1.

    Examples
    --------
    A 10-minute mean delay on 30-minute intervals, over a 4-interval day:

    >>> delay_weights(600.0, 1800.0, 4).round(4)
    array([0.6833, 0.301 , 0.015 , 0.0007])
    """
    w = np.zeros(n_intervals)
    if not (mean_delay > 0):
        w[0] = 1.0
        return w
    if math.isinf(mean_delay):
        raise ValueError(f"mean_delay must be finite, got {mean_delay!r} s")
    r = mean_delay / interval_s
    x = interval_s / mean_delay
    one_minus_q = -math.expm1(-x)  # 1 - q without cancellation for short intervals
    k = np.arange(1, n_intervals + 1, dtype=float)
    # r (1-q)^2 q^(k-1), computed in log space so long days do not underflow noisily.
    later = r * one_minus_q**2 * np.exp(-(k - 1.0) * x)
    wrap = 1.0 / -math.expm1(-n_intervals * x)  # 1 / (1 - q^I): all later days folded in
    later *= wrap
    w[0] = 1.0 - r * one_minus_q
    # shares k = 1..I-1 land in slots 1..I-1; k = I lands back in slot 0
    w[1:] = later[:-1]
    w[0] += later[-1]
    # 1 - r(1-q) is computed with a cancellation for large r; renormalise the tiny error.
    w = np.clip(w, 0.0, None)
    return w / w.sum()


def delay_kernel(mean_delay: float, interval_s: float, n_intervals: int) -> np.ndarray:
    """Circulant matrix ``K[t, s]``: share of a flow leaving in interval s that lands in t.

    See :func:`delay_weights`; ``K[t, s] = w[(t - s) mod I]``.
    """
    w = delay_weights(mean_delay, interval_s, n_intervals)
    idx = (np.arange(n_intervals)[:, None] - np.arange(n_intervals)[None, :]) % n_intervals
    return w[idx]


def carry_matrix(open_mask: np.ndarray) -> np.ndarray:
    """Matrix ``G[t, s]`` moving contacts that reach a closed interval s to the next open one.

    Parameters
    ----------
    open_mask : ndarray of bool, shape (I,)
        Whether the channel is open in each interval.

    Returns
    -------
    ndarray, shape (I, I)
        ``G[t, s] = 1`` when interval s's contacts are offered in interval t (the
        next open interval at or after s, wrapping round midnight). A channel
        that never opens gets an all-zero matrix: nothing can be offered to it.
    """
    n = open_mask.shape[0]
    g = np.zeros((n, n))
    if not open_mask.any():
        return g
    for s in range(n):
        t = s
        while not open_mask[t]:
            t = (t + 1) % n
        g[t, s] = 1.0
    return g


class FlowRates:
    """Per-channel routing constants of a :class:`Resolved` (no staffing dependence)."""

    def __init__(self, resolved: Resolved) -> None:
        r = resolved
        C = r.n_channels
        ni = r.n_intervals
        self.self_service = np.array(
            [kind_spec(k).flow is FlowBehaviour.CONTAINED for k in r.kinds]
        )
        handoff_sum = r.handoff.sum(axis=1)
        # Share of *served* contacts (not self-service) that are handed off, resolved or repeat.
        self.handoff_sum = handoff_sum
        served_rest = np.clip(1.0 - handoff_sum, 0.0, 1.0)
        self.repeat_share = np.where(self.self_service, 0.0, served_rest * (1.0 - r.resolution))
        self.resolved_share = np.where(self.self_service, 0.0, served_rest * r.resolution)
        self.repeat_sum = r.repeat_to.sum(axis=1)
        # Self-service: share leaving the bot that is handed on (not contained).
        self.not_contained = np.where(self.self_service, 1.0 - r.containment, 0.0)
        self.carry = np.stack([carry_matrix(r.open_mask[:, c]) for c in range(C)])  # (C, I, I)
        self.k_repeat = delay_kernel(r.repeat_delay, r.interval_s, ni)
        self.k_retrial = delay_kernel(r.retrial_delay, r.interval_s, ni)
        self.retrial_probability = float(r.retrial_probability)
        self.external = np.einsum("cts,sc->tc", self.carry, r.arrivals)  # (I, C)


def flow_rates(resolved: Resolved) -> FlowRates:
    """Routing constants of ``resolved`` (carry matrices, delay kernels)."""
    return FlowRates(resolved)


def solve(
    resolved: Resolved, rates: FlowRates, abandon: np.ndarray, x0: np.ndarray | None = None
) -> np.ndarray:
    """Offered contacts per interval and channel for a given abandonment pattern.

    Parameters
    ----------
    resolved : Resolved
        The period being staffed.
    rates : FlowRates
        Its routing constants.
    abandon : ndarray, shape (I, C)
        Fraction of the contacts offered to each channel and interval that
        abandon (0 for deferred and self-service channels).
    x0 : ndarray, shape (I, C), optional
        Starting guess (the previous solution) for the iteration.

    Returns
    -------
    ndarray, shape (I, C)
        Offered contacts ``x`` solving ``x = G (a + routed(x))``. Solved by the
        fixed-point iteration ``x <- b + L x`` (the routing has spectral radius
        below 1, so it converges geometrically; each step costs O(I C^2 + I^2 C)),
        to a relative accuracy of 1e-13; a dense solve takes over if it is slow.
    """
    b = rates.external
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    x = b.copy() if x0 is None else np.asarray(x0, dtype=float).copy()
    apply = _routing(resolved, rates, abandon)
    for _ in range(_MAX_SWEEPS):
        new = b + apply(x)
        err = float(np.max(np.abs(new - x), initial=0.0))
        x = new
        if err <= _SOLVE_TOL * scale:
            return np.clip(x, 0.0, None)
    return _dense_solve(resolved, rates, abandon)


_MAX_SWEEPS = 200
_SOLVE_TOL = 1e-13


def _routing(resolved: Resolved, rates: FlowRates, abandon: np.ndarray):
    """The linear map ``x -> G routed(x)`` without forming the (I C)^2 matrix."""
    r = resolved
    leave = np.where(rates.self_service[None, :], rates.not_contained[None, :], 1.0 - abandon)
    rep = (1.0 - abandon) * rates.repeat_share[None, :]
    ret = rates.retrial_probability * abandon
    handoff, repeat_to = r.handoff, r.repeat_to
    k_rep, k_ret, carry = rates.k_repeat, rates.k_retrial, rates.carry
    has_rep = bool(np.any(repeat_to > 0) and np.any(rep > 0))
    has_ret = bool(np.any(ret > 0))

    def apply(x: np.ndarray) -> np.ndarray:
        z = (leave * x) @ handoff  # hand-offs land in the same interval
        if has_rep:
            z += k_rep @ ((rep * x) @ repeat_to)
        if has_ret:
            z += k_ret @ (ret * x)
        # contacts reaching a closed interval move to the channel's next open one
        return np.einsum("jts,sj->tj", carry, z)

    return apply


def _dense_solve(resolved: Resolved, rates: FlowRates, abandon: np.ndarray) -> np.ndarray:
    r = resolved
    ni, C = r.n_intervals, r.n_channels
    apply = _routing(r, rates, abandon)
    # columns of L by applying it to unit vectors (only on the slow path)
    L = np.empty((ni * C, ni * C))
    for k in range(ni * C):
        e = np.zeros(ni * C)
        e[k] = 1.0
        L[:, k] = apply(e.reshape(C, ni).T).T.reshape(-1)
    b = rates.external.T.reshape(-1)
    x = np.linalg.solve(np.eye(ni * C) - L, b)
    return np.clip(x.reshape(C, ni).T, 0.0, None)
