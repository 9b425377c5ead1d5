"""Compiled pieces of the deferred (fluid FIFO) model, loaded with the first deferred channel.

:func:`curve_walk` is :func:`channelopt.staffing._deferred._curve_walk`
compiled (scalar operations in the order of the former Python loop: same
bits). :func:`total_within` is the day's fraction within the deadline of
:func:`~channelopt.staffing._deferred.deferred_kpis` in one pass, used by the
staffing search to decide cheaply (see ``_deferred.staff_deferred``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._deferred import _curve_walk

__all__ = ["curve_walk", "total_within"]

curve_walk = numba.njit(cache=True)(_curve_walk)


@numba.njit(cache=True)
def _search(arr, key, right, state):
    """One key of NumPy's ``searchsorted`` over an array of keys, step for step.

    NumPy searches an array of keys keeping its bounds from the previous key
    (``npysort/binsearch.cpp``); on an array that is not quite sorted (the
    two-day completion curve can step down by an ulp where the days join) the
    answer depends on that, so it is reproduced: ``state`` holds
    ``[min_idx, max_idx, last_key, started]`` between calls.
    """
    n = arr.shape[0]
    lo = int(state[0])
    hi = int(state[1])
    last = state[2] if state[3] > 0.0 else key
    if last < key:
        hi = n
    else:
        lo = 0
        hi = hi + 1 if hi < n else n
    while lo < hi:
        mid = lo + ((hi - lo) >> 1)
        if (not key < arr[mid]) if right else (arr[mid] < key):
            lo = mid + 1
        else:
            hi = mid
    state[0] = lo
    state[1] = hi
    state[2] = key
    state[3] = 1.0
    return lo


@numba.njit(cache=True, error_model="numpy")
def _inverse_at(ft, fv, y, j):
    """:func:`channelopt.staffing._deferred._inverse` at the index NumPy's search found."""
    j = min(max(j, 1), fv.shape[0] - 1)
    f0, f1 = fv[j - 1], fv[j]
    t0, t1 = ft[j - 1], ft[j]
    s = (y - f0) / (f1 - f0) if f1 > f0 else 1.0
    s = min(max(s, 0.0), 1.0)
    return t0 + s * (t1 - t0)


@numba.njit(cache=True, error_model="numpy")
def total_within(arrivals, agents, aht, interval_s, deadline, day_a):
    """``deferred_kpis(...).total_within`` in one compiled pass.

    ``day_a`` is ``arrivals.sum()`` as NumPy computes it. Returns -1.0 when
    the day's capacity is below its arrivals (unstable) and nan when the
    capacity is so close to them that the order of summation could decide.

    The same pieces and the same per-piece arithmetic as :func:`deferred_kpis`;
    only the sums run in another order (sequential here, per-interval
    bins then NumPy's pairwise sum there), so the two agree to a few units in
    the last place. :func:`staff_deferred` decides with this value and asks
    the NumPy path whenever it lies within ``_FAST_MARGIN`` of the target.
    """
    n = arrivals.shape[0]
    cap = np.empty(n)
    cum_a = np.empty(n + 1)
    cum_s = np.empty(n + 1)
    cum_a[0] = 0.0
    cum_s[0] = 0.0
    cap_sum = 0.0
    for t in range(n):
        cap[t] = agents[t] * interval_s / aht
        cap_sum += cap[t]
        cum_a[t + 1] = cum_a[t] + arrivals[t]
        cum_s[t + 1] = cum_s[t] + cap[t]
    need = day_a * (1.0 - 1e-9)
    if abs(cap_sum - need) <= 1e-9 * max(need, 1.0):
        return np.nan
    if cap_sum < need:
        return -1.0
    day_a_curve = cum_a[n]  # _completion_curve's day (cumulative sum), as there
    day_s = cum_s[n]
    backlog0 = 0.0
    for t in range(n + 1):
        v = (day_a_curve - cum_a[t]) - (day_s - cum_s[t])
        if v > backlog0:
            backlog0 = v
    ft, fv = curve_walk(arrivals, cap, cum_a, interval_s, backlog0)
    m = fv.shape[0]
    for i in range(1, m):  # np.maximum.accumulate
        if fv[i - 1] > fv[i]:
            fv[i] = fv[i - 1]
    day = n * interval_s
    m2 = 3 * m - 2
    ft2 = np.empty(m2)
    fv2 = np.empty(m2)
    ft2[:m] = ft
    fv2[:m] = fv
    for i in range(1, m):
        ft2[m + i - 1] = ft[i] + day
        fv2[m + i - 1] = fv[i] + day_a
        ft2[2 * m + i - 2] = ft[i] + 2 * day
        fv2[2 * m + i - 2] = fv[i] + 2 * day_a
    inner = 0
    for i in range(m2):
        if fv2[i] > 0.0 and fv2[i] < day_a:
            inner += 1
    levels = np.empty(n + 1 + inner)
    levels[: n + 1] = cum_a
    k = n + 1
    for i in range(m2):
        if fv2[i] > 0.0 and fv2[i] < day_a:
            levels[k] = fv2[i]
            k += 1
    levels = np.unique(levels)
    lim = deadline * (1.0 + 1e-12) + 1e-9
    finite = deadline < np.inf
    total = 0.0
    state_a = np.array([0.0, m2, 0.0, 0.0])  # NumPy's search bounds over the ya keys
    state_b = np.array([0.0, m2, 0.0, 0.0])  # ... and over the yb keys
    for i in range(levels.shape[0] - 1):
        ya = levels[i]
        yb = levels[i + 1]
        width = yb - ya
        if not width > day_a * 1e-15:
            continue
        if not finite:
            total += width
            continue
        t_idx = np.searchsorted(cum_a, ya, side="right") - 1
        if t_idx < 0:
            t_idx = 0
        if t_idx > n - 1:
            t_idx = n - 1
        rate = arrivals[t_idx]
        tau_a = t_idx * interval_s + (ya - cum_a[t_idx]) / rate * interval_s
        tau_b = t_idx * interval_s + (yb - cum_a[t_idx]) / rate * interval_s
        da = _inverse_at(ft2, fv2, ya, _search(fv2, ya, True, state_a)) - tau_a
        db = _inverse_at(ft2, fv2, yb, _search(fv2, yb, False, state_b)) - tau_b
        if da <= lim and db <= lim:
            frac = 1.0
        elif da > lim and db > lim:
            frac = 0.0
        else:
            num = lim - da if da <= lim else lim - db
            den = abs(db - da) if da != db else 1.0
            frac = num / den
        if frac < 0.0:
            frac = 0.0
        elif frac > 1.0:
            frac = 1.0
        total += width * frac
    out = total / day_a
    return min(max(out, 0.0), 1.0)


@numba.njit(cache=True, error_model="numpy")
def decide(
    agents, off, open_f, arrivals, aht, interval_s, deadline, day_a, min_thr, threshold, margin
):
    """The deferred search's test of one staffing in one call: 1 meets, 0 does not,
    -1 undecided (a sum within rounding of its threshold: the NumPy path decides).

    ``capacity = max(agents + off, 0) * open`` as the search builds it; then the
    occupancy floor (``capacity.sum() * interval_s >= min_thr``) and the day's
    fraction within the deadline against ``threshold``, each left to NumPy
    when the compiled sum is within ``margin`` (relative) of the line.
    """
    n = agents.shape[0]
    cap = np.empty(n)
    total = 0.0
    for t in range(n):
        v = agents[t] + off[t]
        if v < 0.0:
            v = 0.0
        cap[t] = v * open_f[t]
        total += cap[t]
    busy = total * interval_s
    if abs(busy - min_thr) <= margin * max(abs(min_thr), 1.0):
        return -1
    if busy < min_thr:
        return 0
    within = total_within(arrivals, cap, aht, interval_s, deadline, day_a)
    if within == -1.0:
        return 0
    if abs(within - threshold) > margin:  # False for nan: undecided
        return 1 if within >= threshold else 0
    return -1
