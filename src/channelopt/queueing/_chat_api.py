"""Public ``stretched_chat``: exact measures of a concurrent chat channel with stretch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _chat

__all__ = ["stretched_chat"]


def stretched_chat(
    agents: Any,
    load: Any,
    aht: Any,
    concurrency: Any,
    stretch: Any,
    target: Any = 0.0,
    patience: Any = math.inf,
) -> Any:
    """Measures of a concurrent channel whose chats slow down with the agent's chat count.

    The exact Markov chain of the agents' chat counts (model and solution:
    :mod:`channelopt.queueing._chat`, docs/queueing.md "Chat with stretch"):
    a new chat goes to an agent carrying the fewest; an agent carrying ``j``
    chats works each at ``(1 + s (k - 1)) / (1 + s (j - 1))`` times the speed
    at full concurrency ``k``. Exponential chat work and patience.

    Parameters
    ----------
    agents : int or array_like of int
        Agents n >= 0 (each carries at most ``concurrency`` chats).
    load : float or array_like
        Arrival rate x ``aht`` (Erlangs measured at the full-concurrency duration).
    aht : float or array_like
        Chat duration at full concurrency, seconds (> 0).
    concurrency : int or array_like of int
        Chats per agent at most, k >= 1.
    stretch : float or array_like
        ``concurrency_stretch`` s >= 0 (0: the chain is M/M/(n k)(+M) exactly).
    target : float or array_like, default 0
        Service-level threshold, seconds.
    patience : float or array_like, default inf
        Mean exponential patience, seconds.

    Returns
    -------
    Measures
        As :func:`channelopt.queueing.measures`: ``wait_probability``,
        ``service_level`` (over all arrivals), ``average_wait`` (answered),
        ``abandonment``, ``occupancy`` (busy slots / slots).

    Raises
    ------
    ValueError
        For invalid inputs, or a chain larger than 300,000 states
        (C(n + k, k)) or with (n + 1)^k above 10^7 (the state index).

    Examples
    --------
    >>> m = stretched_chat(4, 6.0, 600.0, 2, 0.25, target=60.0, patience=300.0)
    >>> 0.0 < m.service_level < 1.0
    True
    """
    from . import Measures

    arrs = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (agents, load, aht, concurrency, stretch, target))
    )
    pat = np.broadcast_to(np.asarray(patience, dtype=float), arrs[0].shape)
    scalar = arrs[0].ndim == 0
    names = ("agents", "load", "aht", "concurrency", "stretch", "target", "patience")
    for name, arr in zip(names, [*arrs, pat], strict=True):
        bad = np.isnan(arr) | (arr < 0)
        if name in ("agents", "concurrency"):
            bad |= (arr != np.floor(arr)) | ~np.isfinite(arr)
        if name == "concurrency":
            bad |= arr < 1
        if name in ("aht", "patience"):
            bad |= arr <= 0
        if name in ("load", "aht", "stretch", "target"):
            bad |= ~np.isfinite(arr)
        if bad.any():
            v = arr[bad].flat[0] if arr.ndim else float(arr)
            raise ValueError(f"stretched_chat: {name} = {v!r} is not valid")
    out = np.empty((arrs[0].size, 5))
    row = np.empty(5)
    flat = [a.reshape(-1) for a in arrs] + [pat.reshape(-1)]
    for i in range(arrs[0].size):
        n, a, h, k, s, t, p = (float(f[i]) for f in flat)
        n_i, k_i = int(n), int(k)
        if math.comb(n_i + k_i, k_i) > 100 * _chat.MAX_STATES or (n_i + 1) ** k_i > 10**7:
            raise ValueError(
                f"stretched_chat: {n_i} agents x concurrency {k_i} is a chain of "
                f"{math.comb(n_i + k_i, k_i):,} states; at most {100 * _chat.MAX_STATES:,}"
            )
        _chat.chat_point(n_i, a / h, h, k_i, s, p, t, row)
        out[i] = row
    from ._kernels import ABANDON, ASA, OCCUPANCY, SERVICE, WAIT

    cols = []
    for j in (WAIT, SERVICE, ASA, ABANDON, OCCUPANCY):
        col = out[:, j]
        cols.append(float(col[0]) if scalar else col.reshape(arrs[0].shape))
    return Measures(*cols)
