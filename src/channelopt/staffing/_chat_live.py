"""Concurrent channels with stretch: the exact chat-count chain (``queueing._chat``).

The fixed point of :mod:`channelopt.staffing._core` first converges with the
balanced-occupancy model of ``_live_kernels`` (fast; optimistic by 0.3-0.8
points of service level where measured, docs/staffing.md);
then the stretched channels are re-sized and re-measured with the exact chain
and the fixed point runs on until it settles again. The exact chain spreads
occupancies and completes chats more slowly than the balanced one, so its
answer is never below the balanced answer: the search steps up from it.

Chains whose work (states x band^2) exceeds :data:`WORK_CAP` keep the balanced
model for that interval; the result's notes say how many intervals did.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.typed import List

from ..queueing import _chat
from ..queueing._kernels import ABANDON, ASA, OCCUPANCY, SERVICE
from ._live import ChannelSpec, LiveKpis
from ._live_kernels import targets_hold

__all__ = ["WORK_CAP", "exact_chat", "needs_exact_chat"]

O_X, O_LOAD, O_AHT, O_SL, O_WAIT, O_AB, O_OCC, O_MEETS, O_EXACT = range(9)
N_OUT = 9
#: Largest chain work (states x band^2, measured 0.1-0.2 ns each: about 1 ms) per evaluation.
WORK_CAP = 6.0e6
_TOL = 1e-10


def needs_exact_chat(spec: ChannelSpec) -> bool:
    """A concurrent channel with stretch (where the balanced model is not exact)."""
    return spec.concurrency > 1 and spec.stretch > 0.0


@numba.njit(cache=True)
def chain_work(n: int, k: int) -> float:
    """states x band^2 of the chain at ``n`` agents (the band ~ 2 x the largest level)."""
    states = 1.0
    for i in range(1, k + 1):
        states = states * (n + i) / i
    # the largest level holds about states / (n k) x 2 vectors
    level = 2.0 * states / max(n * k, 1) + 1.0
    return states * (2.0 * level) ** 2


@numba.njit(cache=True, error_model="numpy")
def _cell(prm, chain, n, x, out, j) -> bool:
    """Exact measures at ``n`` agents (``chain``: the chain's shape there) and ``x`` offered
    contacts; False if the chain is too big."""
    aht, patience, k, s = prm[0], prm[1], int(prm[2]), prm[3]
    within, interval_s = prm[5], prm[10]
    within_nan = math.isnan(within)
    sl = math.nan if within_nan else 1.0
    wait = 0.0
    ab = 0.0
    occ = 0.0
    aht_c = aht
    if x > 0:
        if chain_work(n, k) > WORK_CAP:
            return False
        m = np.empty(5)
        aht_c = _chat.chat_point_on(
            chain, n, x / interval_s, aht, k, s, patience, 0.0 if within_nan else within, m
        )
        if not within_nan:
            sl = m[SERVICE]
        wait = m[ASA]
        ab = m[ABANDON] if math.isfinite(patience) else 0.0
        occ = m[OCCUPANCY]
    out[O_LOAD, j] = x * aht_c / interval_s
    out[O_AHT, j] = aht_c
    out[O_SL, j] = sl
    out[O_WAIT, j] = wait
    out[O_AB, j] = ab
    out[O_OCC, j] = occ
    return True


_SHAPE = types.Tuple((types.int64[::1], types.int64[:, ::1], types.int64[:, ::1], types.int64))
_SHAPES: dict[int, List] = {}


def _shapes(k: int) -> List:
    """The chain shapes at concurrency ``k`` built so far, index = agents (kept for the
    process: a shape depends on (agents, k) only, and every sweep case and fixed-point
    round meets the same few agent counts)."""
    if k not in _SHAPES:
        _SHAPES[k] = List.empty_list(_SHAPE)
    return _SHAPES[k]


@numba.njit(cache=True)
def _shape(shapes, n: int, k: int):
    """``chain_structure(n, k)`` from ``shapes`` (built and stored on first use); the
    empty chain where it is too big to solve (never read: _cell says so first)."""
    if chain_work(n, k) > WORK_CAP:
        return _chat.chain_structure(0, k)
    while len(shapes) <= n:
        shapes.append(_chat.chain_structure(len(shapes), k))
    return shapes[n]


@numba.njit(cache=True, error_model="numpy")
def _point(prm, base, n, x0, out, j, shapes) -> bool:
    """One interval at ``n`` agents with its same-interval retrials (secant on the fixed
    point x = base + q P(abandon)(x) x), and the verdict; False if the chain is too big.
    The chain's shape is built once per agent count (``shapes``) for all the rates."""
    x = max(x0, base)
    chain = _shape(shapes, n, int(prm[2]))
    if not _cell(prm, chain, n, x, out, j):
        return False
    q = prm[9]
    if q > 0.0 and base > 0.0:
        g0 = base + q * out[O_AB, j] * x - x
        x_prev, g_prev = x, g0
        x = x + g0
        for _ in range(100):
            _cell(prm, chain, n, x, out, j)
            g = base + q * out[O_AB, j] * x - x
            if abs(g) <= _TOL * max(1.0, x):
                break
            step = g * (x - x_prev) / (g - g_prev) if g != g_prev else g
            x_prev, g_prev = x, g
            # the map is a contraction with factor < q: a secant step never needs more
            x = min(max(x - step, base), base / (1.0 - q) + 1.0)
        x = base + q * out[O_AB, j] * x  # one plain step: the reported x is F(x)
        _cell(prm, chain, n, x, out, j)
    ok = targets_hold(prm[4], prm[6], prm[7], prm[8], out, j)
    if (not math.isfinite(prm[1])) or prm[11] == 0.0:
        ok = ok and ((not x > 0) or (x * prm[0] / prm[10] < float(n * int(prm[2]))))
    out[O_X, j] = x
    out[O_MEETS, j] = 1.0 if ok else 0.0
    return True


@numba.njit(cache=True, error_model="numpy")
def _cells(prm, base, agents, x0, bal, search, shapes):
    """Exact outcome per interval starting from the balanced outcome ``bal`` (rows O_*);
    ``search``: step agents up until the targets hold. Row O_EXACT: 1 where exact."""
    n_int = base.shape[0]
    out = np.empty((N_OUT, n_int))
    tmp = np.empty((N_OUT, 1))
    res = agents.copy()
    for i in range(n_int):
        n = agents[i]
        if not base[i] > 0.0 or not _point(prm, base[i], n, x0[i], tmp, 0, shapes):
            for r in range(N_OUT - 1):
                out[r, i] = bal[r, i]
            out[O_EXACT, i] = 1.0 if not base[i] > 0.0 else 0.0
            continue
        while search and tmp[O_MEETS, 0] == 0.0:
            n += 1
            if not _point(prm, base[i], n, x0[i], tmp, 0, shapes):
                break
        if tmp[O_MEETS, 0] == 0.0 and search:
            # too big a chain before the targets held: keep the balanced answer
            for r in range(N_OUT - 1):
                out[r, i] = bal[r, i]
            out[O_EXACT, i] = 0.0
            continue
        res[i] = n
        for r in range(N_OUT - 1):
            out[r, i] = tmp[r, 0]
        out[O_EXACT, i] = 1.0
    return res, out


def exact_chat(
    spec: ChannelSpec, base: np.ndarray, balanced: LiveKpis, search: bool
) -> tuple[LiveKpis, int]:
    """Re-measure (``search``: and re-size) a stretched channel with the exact chain.

    ``balanced``: the balanced model's outcome at the same ``base`` (its agents
    and offered volumes start the search and the fixed point). Returns the new
    outcome and the number of intervals with contacts that kept the balanced
    model (chain too big).
    """
    base = np.ascontiguousarray(base, dtype=float)
    bal = np.vstack(
        [
            balanced.offered,
            balanced.load,
            balanced.aht,
            balanced.service_level,
            balanced.average_wait,
            balanced.abandonment,
            balanced.occupancy,
            balanced.meets.astype(float),
        ]
    )
    agents = np.ascontiguousarray(balanced.agents, dtype=np.int64)
    x0 = np.ascontiguousarray(balanced.offered, dtype=float)
    prm = spec.params()
    res, out = _cells(prm, base, agents, x0, bal, search, _shapes(int(prm[2])))
    kept = int(((out[O_EXACT] == 0.0) & (base > 0)).sum())
    kp = LiveKpis(
        res,
        out[O_X],
        out[O_LOAD],
        out[O_AHT],
        out[O_SL],
        out[O_WAIT],
        out[O_AB],
        out[O_OCC],
        out[O_MEETS] != 0.0,
    )
    return kp, kept
