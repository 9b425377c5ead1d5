"""Frozen copy of ``channelopt.staffing._deferred._completion_curve`` (Python loop).

As of commit b679ad9 (unchanged until the round-2 speed work compiled it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["_completion_curve"]


def _completion_curve(
    arrivals: np.ndarray, capacity: np.ndarray, interval_s: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Breakpoints of ``F(t) = A(t) - Q(t)`` over one day, and the midnight backlog.

    ``A`` is cumulative arrivals since midnight, ``Q`` the backlog; a contact
    with arrival index ``y`` is complete once ``F(t) >= y``.
    """
    n = arrivals.shape[0]
    cum_a = np.concatenate(([0.0], np.cumsum(arrivals)))
    cum_s = np.concatenate(([0.0], np.cumsum(capacity)))
    day_a, day_s = cum_a[-1], cum_s[-1]
    # Lindley over one day suffices: with daily capacity >= arrivals an earlier
    # start only lowers (A - S) by whole days.
    backlog0 = max(0.0, float(np.max((day_a - cum_a) - (day_s - cum_s))))
    times = [0.0]
    values = [-backlog0]
    q = backlog0
    for t in range(n):
        t0 = t * interval_s
        a, s = arrivals[t], capacity[t]
        if q > 0.0 and s > a:
            u = q / (s - a) * interval_s  # backlog empties after u seconds
            if u < interval_s:
                times.append(t0 + u)
                values.append(cum_a[t] + a * u / interval_s)
                q = 0.0
                times.append(t0 + interval_s)
                values.append(cum_a[t + 1])
                continue
        q = max(0.0, q + a - s)
        times.append(t0 + interval_s)
        values.append(cum_a[t + 1] - q)
    return np.asarray(times), np.maximum.accumulate(np.asarray(values)), backlog0
