"""Compiled effective-capacity fixed point of ``method="pooled"`` (``_pooled.py``).

:func:`pooled_rounds` is :func:`channelopt.staffing._pooled.pooled_measures_numpy`
step for step: the same operations in the same order, so the same bits (the
NumPy sums it replaces run left to right for fewer than 8 terms, which
``_pooled`` checks before it calls this; ``tests/test_staffing_pooled_speed.py``
compares both on generated systems). What it adds is a memo of the Erlang
measures: within one local search every cell is an interval's own offered load
at a whole number of slots (the fractional effective agents interpolate between
two of them), so the thousands of candidate moves the search tries meet the
same few (interval, channel, slots) cells again and again. The memo returns the
value the kernel computed for that cell, so nothing changes but the time.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..queueing._kernels import measures

__all__ = ["new_memo", "pooled_rounds"]


def new_memo(cells: int, channels: int, slots: int) -> tuple[np.ndarray, np.ndarray]:
    """An empty memo for :func:`pooled_rounds` (valid for one set of loads): ``cells``
    intervals x ``channels`` x whole slots ``0 .. slots - 1`` (more slots: not kept).
    ``(filled, values)``; the values' pages are only touched where a cell is stored."""
    rows = max(cells * channels, 1)
    return np.zeros((rows, max(slots, 1)), dtype=np.bool_), np.empty((rows, max(slots, 1), 5))


@numba.njit(cache=True, error_model="numpy")
def _cell(memo, row, lo, n, a, h, p, t, asa, m):
    """The five measures at ``n`` slots into ``m``; kept in ``memo`` at (row, lo) where
    ``lo`` is a whole slot count inside it (``row`` = interval x channels + channel)."""
    filled, values = memo
    keep = lo >= 0.0 and lo < filled.shape[1]
    if keep:
        s = int(lo)
        if filled[row, s]:
            for q in range(5):
                m[q] = values[row, s, q]
            return
    measures(n, a, h, p, t, asa, m)
    if keep:
        s = int(lo)
        for q in range(5):
            values[row, s, q] = m[q]
        filled[row, s] = True


@numba.njit(cache=True, error_model="numpy")
def pooled_rounds(
    agents: np.ndarray,
    load: np.ndarray,
    cell: np.ndarray,
    serves: np.ndarray,
    k: np.ndarray,
    aht: np.ndarray,
    patience: np.ndarray,
    within: np.ndarray,
    asa: np.ndarray,
    rounds: int,
    memo,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(service level, mean wait, abandonment, occupancy, effective agents), rows x channels.

    ``agents`` (rows, pools), ``load`` (rows, channels) in slots, ``cell[row]``:
    the interval whose load the row carries (the memo's key: rows with the same
    ``cell`` must carry the same loads; ``memo`` from :func:`new_memo` with at least
    ``max(cell) + 1`` cells), ``serves`` (pools, channels) 1.0/0.0;
    per channel ``k`` (concurrency), ``aht``, ``patience``, ``within`` (nan:
    none) in seconds and ``asa`` (whether the mean wait is needed).
    """
    R, P = agents.shape
    m_ch = load.shape[1]
    held = np.zeros((R, P, m_ch))
    new_held = np.zeros((R, P, m_ch))
    offer = np.empty((R, P, m_ch))
    n_eff = np.zeros((R, m_ch))
    sl = np.zeros((R, m_ch))
    wait = np.zeros((R, m_ch))
    ab = np.zeros((R, m_ch))
    occ = np.zeros((R, m_ch))
    m0 = np.empty(5)
    m1 = np.empty(5)
    v = np.empty(5)
    for rnd in range(rounds):
        for r in range(R):
            for p in range(P):
                total = 0.0  # NumPy's sum over < 8 channels: left to right from +0.0
                for j in range(m_ch):
                    total = total + held[r, p, j]
                if m_ch == 0:
                    total = 0.0
                for j in range(m_ch):
                    o = agents[r, p] - (total - held[r, p, j])
                    # np.maximum: nan propagates
                    o = o if (o != o or o >= 0.0) else 0.0
                    offer[r, p, j] = o * serves[p, j]
            for j in range(m_ch):
                s = offer[r, 0, j]
                for p in range(1, P):
                    s = s + offer[r, p, j]
                n_eff[r, j] = s if P > 0 else 0.0
        change = 0.0
        change_nan = False
        for j in range(m_ch):
            t = 0.0 if math.isnan(within[j]) else within[j]
            for r in range(R):
                slots = n_eff[r, j] * k[j]
                a = load[r, j]
                lo = math.floor(slots)
                f = slots - lo
                row = cell[r] * m_ch + j
                _cell(memo, row, lo, lo, a, aht[j], patience[j], t, asa[j], m0)
                _cell(memo, row, lo + 1.0, lo + 1.0, a, aht[j], patience[j], t, asa[j], m1)
                for q in range(5):
                    x = m0[q]
                    y = m1[q]
                    if math.isinf(x) or math.isinf(y):
                        w = math.inf if f > 0 else x
                    else:
                        w = (1 - f) * x + f * y
                    v[q] = x if f == 0 else w
                sl[r, j] = v[1]
                wait[r, j] = v[2]
                ab[r, j] = v[3]
                occ[r, j] = v[4]
                in_service = a * (1.0 - ab[r, j])
                ne = n_eff[r, j]
                # np.minimum: nan propagates
                if in_service != in_service or ne != ne:
                    held_j = math.nan
                else:
                    held_j = in_service if in_service <= ne else ne
                for p in range(P):
                    share = offer[r, p, j] / ne if ne > 0 else 0.0
                    new_held[r, p, j] = held_j * share
        for r in range(R):
            for p in range(P):
                for j in range(m_ch):
                    d = abs(new_held[r, p, j] - held[r, p, j])
                    if d != d:
                        change_nan = True
                    elif d > change:
                        change = d
                    if rnd == 0:
                        held[r, p, j] = new_held[r, p, j]
                    else:
                        held[r, p, j] = 0.5 * (held[r, p, j] + new_held[r, p, j])
        if change_nan:
            change = math.nan
        if rnd > 0 and change < 1e-3:
            break
    return sl, wait, ab, occ, n_eff.copy()
