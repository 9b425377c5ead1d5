"""A starting schedule from the LP relaxation: round, repair, fit weekly patterns.

The column-generation LP (:mod:`._columns`) gives a fractional schedule whose
cost is the LP bound. HiGHS's own search on the generated shifts is erratic
on large weeks (a schedule within 1 % in seconds in one run, 60 % above the
bound after a minute in the next), so the MILP is handed a good feasible
schedule built here:

1. every shift column takes the integer part of its LP value;
2. coverage is repaired: the columns with the largest fractional parts are
   rounded up where they cover an interval still short, then the column that
   covers the most remaining shortfall per unit of cost is added until every
   interval is covered (coverage rows are ``>=`` with non-negative
   coefficients, so adding shifts never breaks them);
3. redundant shifts are dropped (a shift whose removal leaves every interval
   covered), least useful first;
4. the agents of each template and day are fitted to weekly patterns (a tiny
   exact covering MILP per template: the cheapest patterns with at least the
   day's agents); a day that the patterns give more agents than it has shifts
   gets extra shifts where the floor has the least spare cover.

Steps 3 and 4 are repeated a few times and the cheapest feasible result is
kept. Only the start depends on this; the reported gap is always against the
LP bound.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..solver import solve_arrays

__all__ = ["cover_days", "drop_redundant", "repair_cover"]

_EPS = 1e-7


def repair_cover(
    y: np.ndarray, floor: np.ndarray, need: np.ndarray, cost: np.ndarray, lp: np.ndarray
) -> np.ndarray:
    """Raise ``y`` (integer shifts) until ``floor.T @ y >= need``; returns the new ``y``.

    ``floor`` is (shifts, intervals) coverage per shift, ``cost`` per shift and
    ``lp`` the LP values (their fractional parts rank the first round-ups).
    Raises ValueError when the columns cannot cover ``need``.
    """
    y = y.copy()
    cov = floor.T @ y
    short = need - cov > _EPS
    if not short.any():
        return y
    frac = lp - np.floor(lp + 1e-6)
    for j in np.argsort(-frac, kind="stable"):
        if frac[j] <= 1e-6:
            break
        if np.any((floor[j] > 0) & short):
            y[j] += 1
            cov += floor[j]
            short = need - cov > _EPS
            if not short.any():
                return y
    while short.any():
        gain = np.minimum(floor, np.where(short, need - cov, 0.0)).sum(axis=1)
        j = int(np.argmax(gain / cost))
        if gain[j] <= _EPS:
            raise ValueError("the shifts cannot cover the requirement")
        y[j] += 1
        cov += floor[j]
        short = need - cov > _EPS
    return y


def drop_redundant(
    y: np.ndarray,
    floor: np.ndarray,
    need: np.ndarray,
    order: np.ndarray,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """Remove shifts (in ``order``) whose removal leaves every interval covered.

    ``keep`` (optional, per shift) is a number of agents of that shift that must stay.
    """
    y = y.copy()
    spare = floor.T @ y - need
    low = np.zeros_like(y) if keep is None else keep
    for j in order:
        col = floor[j]
        while y[j] > low[j] and np.all(spare - col >= -_EPS):
            y[j] -= 1
            spare -= col
    return y


def cover_days(
    counts: np.ndarray, pats: list[tuple[int, ...]], days: tuple[int, ...], cost: np.ndarray
) -> np.ndarray:
    """The cheapest integer numbers of weekly patterns working at least ``counts[d]`` on day d.

    ``counts`` is indexed like ``days``; ``cost`` per pattern. Returns agents per pattern.
    """
    if not np.any(counts > 0):
        return np.zeros(len(pats))
    a = sp.csr_matrix(np.array([[1.0 if d in p else 0.0 for p in pats] for d in days]))
    n = len(pats)
    sol = solve_arrays(
        np.asarray(cost, float), a, np.asarray(counts, float), np.full(len(days), math.inf),
        np.zeros(n), np.full(n, math.inf), np.ones(n, bool), gap_rel=0.0,
    )  # fmt: skip
    if sol.status == "infeasible":  # pragma: no cover - patterns always cover any counts
        raise ValueError("weekly patterns cannot cover the day counts")
    return np.rint(sol.x)
