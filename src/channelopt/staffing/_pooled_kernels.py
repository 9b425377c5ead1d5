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

The memo is paged (:class:`Memo`): a row's whole slots are cut into blocks of
``BLOCK`` slots, and a block gets storage only when the search stores a cell in
it. A dense (interval x channel, slots) table was 41 bytes x intervals x
channels x the most slots any row might reach: 145 MiB for a two-channel chat
centre of 5,000 agents at 15-minute intervals, 435 MiB at 5 minutes, and
resident, not just reserved (NumPy asks for transparent huge pages on arrays of
4 MiB and more, so the scattered cells the search stores fault in whole 2 MiB
pages). The search stores at most about 1,200 cells of a row there (390 on
average), mostly in runs of neighbouring slots, so blocks cut that to 8 and
24 MiB (docs/staffing.md, "Memory of the memo"). The storage never exceeds
``MEMO_BYTES``: past it, cells are computed and not kept, which changes the
time, never a value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from ..queueing._kernels import measures

__all__ = ["BLOCK", "MEMO_BYTES", "Memo", "new_memo", "pooled_rounds"]

BLOCK = 32
"""Whole slots per memo block. On the 5,000-agent chat centre above, blocks of
16, 32, 64 and 128 slots hold its cells in 4.9, 5.1, 5.6 and 6.7 MiB; 32 keeps
the index (4 bytes per block of every row, 0.4 MiB) a tenth of that."""

MEMO_BYTES = 64 * 2**20
"""Most bytes one memo allocates (index and blocks), 64 MiB: 2.6 times what the
5,000-agent chat centre at 5-minute intervals allocates (24 MiB); at 1-minute
intervals it is spent and 78 % of the cells are kept, CPU within noise (2.0-2.4 s
with or without the cap)."""

_CELL_BYTES = 41  # five float64 measures and one bool "filled" flag


@dataclass
class Memo:
    """The Erlang cells of one set of loads, for :func:`pooled_rounds`.

    Attributes
    ----------
    arrays : tuple of ndarray
        ``(index, filled, values, state)``: ``index`` (rows, blocks) int32, the
        block holding slots ``b * block .. (b + 1) * block - 1`` of a row (-1:
        none yet), where row = interval x channels + channel; ``filled``
        (capacity, block) bool and ``values`` (capacity, block, 5) float64 the
        blocks' cells (the five measures of ``queueing._kernels.measures``:
        probability of waiting, service level, mean wait in seconds,
        abandonment and occupancy as fractions); ``state`` int64
        ``[blocks used, most blocks allowed]``. :func:`pooled_rounds` returns
        the arrays it grew; store them back here.
    """

    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @property
    def nbytes(self) -> int:
        """Bytes allocated by the memo's arrays (at most :data:`MEMO_BYTES` plus 16)."""
        return sum(a.nbytes for a in self.arrays)


def new_memo(cells: int, channels: int, slots: int, budget: int = MEMO_BYTES) -> Memo:
    """An empty memo for :func:`pooled_rounds` (valid for one set of loads).

    Parameters
    ----------
    cells : int
        Intervals whose loads the rows may carry (``cell`` values ``0 .. cells - 1``).
    channels : int
        Live and concurrent channels.
    slots : int
        Whole slots ``0 .. slots - 1`` to keep per (interval, channel); cells at
        more slots are computed and not kept.
    budget : int, default :data:`MEMO_BYTES`
        Most bytes the memo's arrays may take (index and blocks).

    Returns
    -------
    Memo
        No block stored yet; blocks are allocated as cells are stored, doubling
        the storage up to ``budget``.
    """
    rows = max(cells * channels, 1)
    slots = max(slots, 1)
    block = BLOCK
    # the index takes at most an eighth of the budget: a row range too wide for it
    # gets wider blocks, so every slot stays cacheable (e.g. a million agents)
    while rows * -(-slots // block) * 4 > budget // 8 and block < slots:
        block *= 2
    n_blocks = -(-slots // block)
    per_block = block * _CELL_BYTES
    most = max((budget - rows * n_blocks * 4) // per_block, 0)
    # a few blocks per row to start with: the bundled scenarios use 1-2 per row
    start = min(most, max(2 * rows, 16))
    index = np.full((rows, n_blocks), -1, dtype=np.int32)
    state = np.array([0, most], dtype=np.int64)
    return Memo(
        (index, np.zeros((start, block), dtype=np.bool_), np.empty((start, block, 5)), state)
    )


@numba.njit(cache=True, error_model="numpy")
def _grow(filled, values, state):
    """The blocks' arrays with room for twice the blocks in use (at most ``state[1]``)."""
    used = state[0]
    cap = min(max(2 * filled.shape[0], 16), state[1])
    new_filled = np.zeros((cap, filled.shape[1]), dtype=np.bool_)
    new_values = np.empty((cap, filled.shape[1], 5))
    new_filled[:used] = filled[:used]
    new_values[:used] = values[:used]
    return new_filled, new_values


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
    memo: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
]:
    """(service level, mean wait, abandonment, occupancy, effective agents), rows x
    channels, and the memo's arrays (grown when it stored new blocks).

    ``agents`` (rows, pools), ``load`` (rows, channels) in slots, ``cell[row]``:
    the interval whose load the row carries (the memo's key: rows with the same
    ``cell`` must carry the same loads; ``memo``: the ``arrays`` of a
    :func:`new_memo` with at least ``max(cell) + 1`` cells), ``serves`` (pools, channels) 1.0/0.0;
    per channel ``k`` (concurrency), ``aht``, ``patience``, ``within`` (nan:
    none) in seconds and ``asa`` (whether the mean wait is needed).
    """
    R, P = agents.shape
    m_ch = load.shape[1]
    index, filled, values, state = memo
    block = filled.shape[1]
    cover = index.shape[1] * block  # whole slots 0 .. cover - 1 may be kept
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
                # the cells at lo and lo + 1 slots, from the memo or computed and kept;
                # written out here: a helper called per cell with the memo's four
                # arrays took this kernel from 4.3 to 7.6 ms in the search on
                # multiskill_doc(4, 6, 5) (3.6 ms written out)
                # whole slots (every round-0 row: no agent held yet) read one cell
                for e in range(1 if f == 0 else 2):
                    at = lo + e
                    mm = m0 if e == 0 else m1
                    keep = at >= 0.0 and at < cover
                    slot = 0
                    b = -1
                    if keep:
                        slot = int(at)
                        b = index[row, slot // block]
                        if b >= 0 and filled[b, slot % block]:
                            for q in range(5):
                                mm[q] = values[b, slot % block, q]
                            continue
                    measures(at, a, aht[j], patience[j], t, asa[j], mm)
                    if not keep:
                        continue
                    if b < 0:
                        if state[0] == filled.shape[0] and state[0] < state[1]:
                            filled, values = _grow(filled, values, state)
                        if state[0] == filled.shape[0]:
                            continue  # the budget is spent: computed, not kept
                        b = state[0]
                        state[0] += 1
                        index[row, slot // block] = b
                    for q in range(5):
                        values[b, slot % block, q] = mm[q]
                    filled[b, slot % block] = True
                # the four measures used (not the probability of waiting, q = 0)
                for q in range(1, 5):
                    x = m0[q]
                    if f == 0:
                        v[q] = x
                        continue
                    y = m1[q]
                    if math.isinf(x) or math.isinf(y):
                        v[q] = math.inf if f > 0 else x
                    else:
                        v[q] = (1 - f) * x + f * y
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
    return sl, wait, ab, occ, n_eff.copy(), (index, filled, values, state)
