"""Traffic equations over a repeating day.

The offered volume of each channel per interval is its external arrivals plus
hand-offs (same interval), repeats and retrials (spread over later intervals by
their delays, exponential or constant, wrapping round midnight). Contacts that
reach a channel while it is closed follow the scenario's ``closed_hours``:
``spread`` (default) over the channel's next open stretch by its own intraday
profile, ``next_open`` all at its next open interval, ``lost`` never offered.
The simulation applies the same rule (``simulation._sources``).

Given the abandonment fraction of every channel and interval, these flows are
linear in the offered volume, so one dense solve gives them exactly; the
abandonment itself depends on staffing and is handled by the caller
(:mod:`channelopt.staffing._core`).
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from ..scenario.kinds import FlowBehaviour, kind_spec
from ..scenario.resolved import Resolved

__all__ = ["FlowRates", "carry_matrix", "delay_kernel", "delay_weights", "flow_rates", "solve"]


def delay_weights(
    mean_delay: float, interval_s: float, n_intervals: int, distribution: str = "exponential"
) -> np.ndarray:
    """Share of a delayed flow that lands ``j`` intervals after it left, on a repeating day.

    A contact leaves at a time uniform within its interval and comes back after
    an exponential delay with mean ``mean_delay``. With ``q = exp(-interval_s /
    mean_delay)`` and ``r = mean_delay / interval_s`` the exact shares are

    * ``1 - r (1 - q)`` for the same interval,
    * ``r (1 - q)^2 q^(k - 1)`` for ``k >= 1`` intervals later,

    and the day repeats, so shares ``k`` and ``k + I`` add up (a geometric sum).
    A ``constant`` delay ``D = (m + f) x interval_s`` (m whole, 0 <= f < 1)
    lands ``m`` intervals later with share ``1 - f`` and ``m + 1`` with ``f``.

    Parameters
    ----------
    mean_delay : float
        Mean delay in seconds (``<= 0``: the flow comes back at once).
    interval_s : float
        Interval length in seconds.
    n_intervals : int
        Intervals per day ``I``.
    distribution : {"exponential", "constant"}
        Shape of the delay.

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
    if str(distribution) == "constant":
        whole, frac = divmod(mean_delay / interval_s, 1.0)
        w[int(whole) % n_intervals] += 1.0 - frac
        w[(int(whole) + 1) % n_intervals] += frac
        return w
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


def delay_kernel(
    mean_delay: float, interval_s: float, n_intervals: int, distribution: str = "exponential"
) -> np.ndarray:
    """Circulant matrix ``K[t, s]``: share of a flow leaving in interval s that lands in t.

    See :func:`delay_weights`; ``K[t, s] = w[(t - s) mod I]``.
    """
    w = delay_weights(mean_delay, interval_s, n_intervals, distribution)
    idx = (np.arange(n_intervals)[:, None] - np.arange(n_intervals)[None, :]) % n_intervals
    return w[idx]


def carry_matrix(
    open_mask: np.ndarray, profile: np.ndarray | None = None, closed_hours: str = "spread"
) -> np.ndarray:
    """Matrix ``G[t, s]``: share of the contacts reaching interval s that are offered in t.

    Parameters
    ----------
    open_mask : ndarray of bool, shape (I,)
        Whether the channel is open in each interval.
    profile : ndarray, shape (I,), optional
        The channel's intraday profile (its external arrivals); ``spread``
        distributes by it. ``None`` or all zero on a stretch: evenly.
    closed_hours : {"spread", "next_open", "lost"}
        The rule for contacts reaching a closed interval s: ``spread`` over
        the open stretch that starts at the next opening (at most a day),
        in proportion to ``profile`` there; ``next_open`` all in the next open
        interval; ``lost`` nowhere (column s is zero). Open intervals keep
        their own contacts (``G[s, s] = 1``).

    Returns
    -------
    ndarray, shape (I, I)
        Columns sum to 1 (``lost``: 0 for closed columns). A channel that
        never opens gets an all-zero matrix: nothing can be offered to it.

    Examples
    --------
    >>> carry_matrix(np.array([False, True, True]), np.array([0.0, 1.0, 3.0])).round(2)
    array([[0.  , 0.  , 0.  ],
           [0.25, 1.  , 0.  ],
           [0.75, 0.  , 1.  ]])
    """
    open_mask = np.asarray(open_mask, dtype=bool)
    n = open_mask.shape[0]
    g = np.zeros((n, n))
    if not open_mask.any():
        return g
    rule = str(closed_hours)
    if rule not in ("spread", "next_open", "lost"):
        raise ValueError(
            f"closed_hours must be 'spread', 'next_open' or 'lost'; got {closed_hours!r}"
        )
    prof = np.zeros(n) if profile is None else np.clip(np.asarray(profile, float), 0.0, None)
    for s in range(n):
        if open_mask[s]:
            g[s, s] = 1.0
            continue
        if rule == "lost":
            continue
        t = s
        while not open_mask[t]:
            t = (t + 1) % n
        if rule == "next_open":
            g[t, s] = 1.0
            continue
        stretch = []
        for k in range(n):
            i = (t + k) % n
            if not open_mask[i]:
                break
            stretch.append(i)
        w = prof[stretch]
        g[stretch, s] = w / w.sum() if w.sum() > 0 else 1.0 / len(stretch)
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
        rule = str(getattr(r, "closed_hours", "spread"))
        self.carry = np.stack(
            [carry_matrix(r.open_mask[:, c], r.arrivals[:, c], rule) for c in range(C)]
        )  # (C, I, I)
        self.k_repeat = delay_kernel(
            r.repeat_delay,
            r.interval_s,
            ni,
            str(getattr(r, "repeat_delay_distribution", "exponential")),
        )
        self.k_retrial = delay_kernel(
            r.retrial_delay,
            r.interval_s,
            ni,
            str(getattr(r, "retrial_delay_distribution", "exponential")),
        )
        self.retrial_probability = float(r.retrial_probability)
        self.external = np.einsum("cts,sc->tc", self.carry, r.arrivals)  # (I, C)


_RATES: weakref.WeakKeyDictionary[Resolved, FlowRates] = weakref.WeakKeyDictionary()


def flow_rates(resolved: Resolved) -> FlowRates:
    """Routing constants of ``resolved`` (carry matrices, delay kernels).

    Built once per :class:`Resolved` (frozen) and kept while it lives: a pooled
    staffing reads them for its requirement, its evaluation and its table. Nothing
    writes to a :class:`FlowRates` after it is built.
    """
    rates = _RATES.get(resolved)
    if rates is None:
        rates = _RATES[resolved] = FlowRates(resolved)
    return rates


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
