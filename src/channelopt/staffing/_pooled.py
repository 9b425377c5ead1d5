"""``method="pooled"``: multi-skill pools sized together, per interval, analytically.

Approximation (docs/staffing.md, "Pooled staffing"): a **decomposition by
priority with effective capacity**, the reduced-capacity approximation for
priority queues (e.g. Chevalier, Shumsky and Tabordon 2004's use of
per-skill effective servers; Koole's "channel gets what higher priorities
leave"). Each pool routes by its skill order. Channel ``c`` is treated as an
Erlang A/C queue (slots model for concurrent channels) with

    n_eff(c) = sum over pools p serving c of max(0, N_p - busy_p(ahead of c in p))

agents, where ``busy_p(ahead)`` are the agents of pool p carrying the channels
that come before ``c`` in p's order. Each channel's carried work is split over
its pools in proportion to what they offer it, and the split is iterated to a
fixed point. Fractional ``n_eff`` interpolates the measures between whole
agents. Then a local search per interval, from the ``erlang`` staffing: remove
an agent, move one to a cheaper pool, or replace two specialists by one
cheaper agent of a pool covering both, while every live target holds in the
approximation; repeat until no move saves money. Deferred channels keep the
``erlang`` requirement in their booking pool (the backlog is not credited
with the live pools' idle time).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ..scenario.resolved import ChannelKind, Resolved
from ._flows import flow_rates
from ._pooled_kernels import Memo, new_memo, pooled_rounds
from ._pools import is_queue
from ._result import (
    StaffingResult,
    _Pending,
    answered_outcomes,
    interval_columns,
    live_outcomes,
)

__all__ = ["pooled_agents", "pooled_measures", "pooled_measures_numpy"]

_ROUNDS = 12  # fixed-point rounds of the carried-work split
_TOL = 1e-9


class _Channels:
    """The live and concurrent channels of one period as arrays (intervals x channels)."""

    def __init__(self, r: Resolved, base: StaffingResult) -> None:
        ni = r.n_intervals
        self.idx = [c for c, k in enumerate(r.kinds) if is_queue(k)]
        m = len(self.idx)
        load = interval_columns(base)["load"].reshape(r.n_channels, ni).T
        self.load = np.ascontiguousarray(load[:, self.idx])  # Erlangs (slots)
        self.k = np.array(
            [
                float(r.concurrency[c]) if r.kinds[c] is ChannelKind.CONCURRENT else 1.0
                for c in self.idx
            ]
        )
        self.aht = np.array([float(r.aht[c]) for c in self.idx])
        self.patience = np.array([float(r.patience[c]) for c in self.idx])
        self.sl = np.array([float(r.target_service_level[c]) for c in self.idx])
        self.within = np.array([float(r.target_within[c]) for c in self.idx])
        self.max_wait = np.array([float(r.target_max_wait[c]) for c in self.idx])
        self.max_ab = np.array([float(r.target_max_abandonment[c]) for c in self.idx])
        self.max_occ = np.array([float(r.target_max_occupancy[c]) for c in self.idx])
        self.asa = [not math.isnan(v) for v in self.max_wait]
        # the targets set on some channel: (KPI, per-channel bound, at least?, not set)
        self.checks = [
            (col, bound, at_least, np.isnan(bound))
            for col, bound, at_least in (
                ("service_level", self.sl, True),
                ("average_wait", self.max_wait, False),
                ("abandonment", self.max_ab, False),
                ("occupancy", self.max_occ, False),
            )
            if not np.isnan(bound).all()
        ]
        # rank[p, j]: position of channel j in pool p's order (inf: not served). A pool
        # the channel's routing reaches only after an overflow delay (`after` > 0) is not
        # credited: the effective-capacity model has no waiting-time offset, and crediting
        # it moved telecom's chat agents to tier1, which the simulation then starved
        # (Decision, docs/staffing.md)
        P = len(r.pools)
        at_once = r.routed_at_once()
        self.rank = np.full((P, m), np.inf)
        for p, skills in enumerate(r.pool_skills):
            for pos, c in enumerate(skills):
                if c in self.idx and at_once[p, c]:
                    self.rank[p, self.idx.index(c)] = pos
        self.m = m


def _interp_measures(
    n_eff: np.ndarray, load: np.ndarray, aht: float, target: float, patience: float, asa: bool
) -> tuple[np.ndarray, ...]:
    """Erlang C/A measures at fractional agents: linear between floor and ceil.

    Calls the compiled kernel directly (inputs are valid by construction); the
    mean wait (costly under Erlang A) only when a target needs it.
    """
    from ..queueing import _search

    lo = np.floor(n_eff)
    f = n_eff - lo
    t = np.array([0.0 if math.isnan(target) else target])
    h = np.array([aht])
    p = np.array([patience])
    size = n_eff.shape[0]
    a = np.ascontiguousarray(load, dtype=float)
    both = np.concatenate((lo, lo + 1.0))
    out = np.empty((2 * size, 5))
    _search.measures_array(both, np.concatenate((a, a)), h, p, t, asa, out)
    m0, m1 = out[:size], out[size:]
    res = []
    for j in range(5):
        x, y = m0[:, j], m1[:, j]
        with np.errstate(invalid="ignore"):
            v = np.where(np.isinf(x) | np.isinf(y), np.where(f > 0, np.inf, x), (1 - f) * x + f * y)
        res.append(np.where(f == 0, x, v))
    return tuple(res)


def pooled_measures(
    ch: _Channels,
    agents: np.ndarray,
    load: np.ndarray | None = None,
    cell: np.ndarray | None = None,
    memo: Memo | None = None,
    distinct: bool = False,
) -> dict[str, np.ndarray]:
    """Approximate KPIs (intervals x live channels) of pool agents (intervals x pools).

    The compiled :func:`._pooled_kernels.pooled_rounds` (bit for bit
    :func:`pooled_measures_numpy`, with a memo of the Erlang cells); ``cell[row]``
    is the interval whose load row ``row`` carries (default: row i is interval i),
    ``memo`` a :func:`._pooled_kernels.new_memo` shared by calls on the same ``ch``
    (the cells this call stores are added to it); ``distinct``: no two rows repeat the
    same ``cell`` and agents, so repeated rows are not looked for.
    More than 7 channels or pools: the NumPy form (whose sums are pairwise there).
    """
    load = ch.load if load is None else load
    if ch.m >= 8 or agents.shape[1] >= 8:
        return pooled_measures_numpy(ch, agents, load)
    inverse = None
    if cell is None:
        cell = np.arange(agents.shape[0], dtype=np.int64)
    elif not distinct:
        # Rows are independent but for the rounds' common stopping rule (the largest
        # change over rows), which copies of a row do not move: each distinct
        # (interval, agents) row is solved once. The search's candidate moves repeat
        # the current agents wherever a move is illegal or the interval has settled.
        key = np.column_stack((cell.astype(float), agents))
        _u, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        agents, load, cell = agents[first], load[first], cell[first]
    if memo is None:
        memo = _memo_for(ch, agents, cell)
    sl, wait, ab, occ, n_eff, memo.arrays = pooled_rounds(
        np.ascontiguousarray(agents, dtype=float),
        np.ascontiguousarray(load, dtype=float),
        np.ascontiguousarray(cell, dtype=np.int64),
        np.isfinite(ch.rank).astype(float),
        ch.k,
        ch.aht,
        ch.patience,
        ch.within,
        np.array(ch.asa, dtype=np.bool_),
        _ROUNDS,
        memo.arrays,
    )
    if inverse is not None:
        sl, wait, ab, occ, n_eff = (v[inverse] for v in (sl, wait, ab, occ, n_eff))
    return {
        "service_level": sl,
        "average_wait": wait,
        "abandonment": ab,
        "occupancy": occ,
        "effective_agents": n_eff,
    }


def _memo_for(ch: _Channels, agents: np.ndarray, cell: np.ndarray, room: int = 0) -> Memo:
    """A memo of the Erlang cells for these rows: every whole slot count up to the most
    agents of any row (plus ``room``) times the largest concurrency (more: not kept).
    Storage grows with the cells stored, up to ``_pooled_kernels.MEMO_BYTES``."""
    most = float(np.max(agents.sum(axis=1), initial=0.0)) if agents.size else 0.0
    slots = int(min(most + room, 1e6) * float(np.max(ch.k, initial=1.0))) + 2
    return new_memo(int(np.max(cell, initial=0)) + 1, ch.m, slots)


def pooled_measures_numpy(
    ch: _Channels, agents: np.ndarray, load: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Approximate KPIs (intervals x live channels) of pool agents (intervals x pools).

    Non-preemptive effective capacity: channel j sees, in each pool serving it,
    the pool's agents minus those held by the pool's other channels. A
    concurrent channel's contacts go to idle agents first, so to the others
    each chat in service holds a whole agent (up to the pool's agents); to
    itself a chat agent offers ``concurrency`` slots. Each channel's held
    agents are split over its pools in proportion to what they offer it;
    the split is iterated (damped) to a fixed point.
    """
    load = ch.load if load is None else load
    ni = agents.shape[0]
    m = ch.m
    P = agents.shape[1]
    serves = np.isfinite(ch.rank).astype(float)  # (P, m)
    held = np.zeros((ni, P, m))  # agents of pool p held by channel j
    res: dict[str, np.ndarray] = {}
    for rnd in range(_ROUNDS):
        total_held = held.sum(axis=2)  # (I, P)
        offer = np.maximum(agents[:, :, None] - (total_held[:, :, None] - held), 0.0)
        offer *= serves[None, :, :]
        n_eff = offer.sum(axis=1)  # (I, m)
        sl = np.zeros((ni, m))
        wait = np.zeros((ni, m))
        ab = np.zeros((ni, m))
        occ = np.zeros((ni, m))
        new_held = np.zeros_like(held)
        for j in range(m):
            slots = n_eff[:, j] * ch.k[j]
            meas = _interp_measures(
                slots, load[:, j], ch.aht[j], ch.within[j], ch.patience[j], ch.asa[j]
            )
            _wait_p, sl[:, j], wait[:, j], ab[:, j], occ[:, j] = meas
            in_service = load[:, j] * (1.0 - ab[:, j])  # contacts in service
            agents_held = np.minimum(in_service, n_eff[:, j])  # one agent each, idle first
            share = np.divide(
                offer[:, :, j],
                n_eff[:, j : j + 1],
                out=np.zeros((ni, P)),
                where=n_eff[:, j : j + 1] > 0,
            )
            new_held[:, :, j] = agents_held[:, None] * share
        change = float(np.max(np.abs(new_held - held), initial=0.0))
        held = new_held if rnd == 0 else 0.5 * (held + new_held)
        res = {
            "service_level": sl,
            "average_wait": wait,
            "abandonment": ab,
            "occupancy": occ,
            "effective_agents": n_eff,
        }
        if rnd > 0 and change < 1e-3:
            break
    return res


def _meets(ch: _Channels, kp: dict[str, np.ndarray], load: np.ndarray | None = None) -> np.ndarray:
    """(I,) bool: every live target of every channel holds in the interval."""
    each = _meets_each(ch, kp, (ch.load if load is None else load) > 0)
    return np.asarray(each.all(axis=1))


def _meets_each(ch: _Channels, kp: dict[str, np.ndarray], busy: np.ndarray) -> np.ndarray:
    """(I, m) bool: channel j's targets hold in interval i, or it is not busy there
    (``busy`` (I, m)); a target that is not set (nan) always holds."""
    missed = np.zeros(busy.shape, dtype=bool)
    for col, target, at_least, unset in ch.checks:
        vals = kp[col]
        holds = vals >= target - _TOL if at_least else vals <= target + _TOL
        missed |= ~(holds | unset)
    return ~busy | ~missed


def _moves(r: Resolved, ch: _Channels, cost: np.ndarray) -> list[np.ndarray]:
    """Candidate changes of the pool vector that save money, cheapest-saving last."""
    P = len(r.pools)
    serves = np.isfinite(ch.rank)
    moves: list[tuple[float, np.ndarray]] = []
    for p in range(P):
        d = np.zeros(P)
        d[p] = -1
        moves.append((cost[p], d))
    for p in range(P):
        for q in range(P):
            if p != q and cost[q] < cost[p] - 1e-12 and np.all(serves[q] >= serves[p]):
                d = np.zeros(P)
                d[p], d[q] = -1, 1
                moves.append((cost[p] - cost[q], d))
    for p1 in range(P):
        for p2 in range(p1 + 1, P):
            need = serves[p1] | serves[p2]
            for q in range(P):
                if q in (p1, p2) or not np.all(serves[q] >= need):
                    continue
                if cost[q] < cost[p1] + cost[p2] - 1e-12:
                    d = np.zeros(P)
                    d[p1], d[p2], d[q] = -1, -1, 1
                    moves.append((cost[p1] + cost[p2] - cost[q], d))
    moves.sort(key=lambda x: -x[0])
    return [d for _s, d in moves]


def pooled_agents(r: Resolved, base: StaffingResult) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Pool agents (I, P) for the live work by the local search, and the KPIs there."""
    return _pooled_agents(r, base, _Channels(r, base))


def _pooled_agents(
    r: Resolved, base: StaffingResult, ch: _Channels
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    ni, P = r.n_intervals, len(r.pools)
    start = base.pools["agents"].to_numpy().reshape(P, ni).T.astype(float)
    # deferred work stays in its booking pool on top of the live search
    defer = np.zeros((ni, P))
    cols = interval_columns(base)
    # channel-major columns: channel c's rows are c * ni .. (c + 1) * ni
    owner = {r.channels[c]: cols["pool"][c * ni] for c in range(r.n_channels)}
    for c, kind in enumerate(r.kinds):
        if kind is ChannelKind.DEFERRED and owner[r.channels[c]]:
            p = r.pools.index(owner[r.channels[c]])
            defer[:, p] += cols["agents"][c * ni : (c + 1) * ni]
    agents = start - defer
    if ch.m == 0:
        return start, {}
    cost = r.pool_cost_per_hour / (1.0 - r.pool_shrinkage)
    # Erlang cells of this period's loads, shared by every evaluation below (the repair
    # adds at most one agent per channel and round; moves never add agents overall)
    memo = _memo_for(ch, agents, np.arange(ni), room=2 * ch.m + 16)
    # Only intervals where some live channel has load go to the kernel until the end.
    # Elsewhere every target holds whatever the agents (`_meets` looks only where a
    # channel is busy), so a move is good exactly where it is legal; and such a row
    # adds nothing to the rounds' common stopping rule (no load: nothing held, no
    # change), so leaving it out changes no bit of the others. A generated day open
    # 4 of 24 hours had five rows in six with no load.
    busy = np.flatnonzero((ch.load > 0).any(axis=1))

    def busy_measures() -> dict[str, np.ndarray]:
        return pooled_measures(ch, agents[busy], ch.load[busy], busy, memo, distinct=True)

    kp = busy_measures()
    ok = _meets(ch, kp, ch.load[busy])
    # repair: where the approximation says a target misses, add to the channel's
    # booking pool (the erlang staffing was sized channel by channel)
    book = [r.pools.index(owner[r.channels[c]]) for c in ch.idx]
    for _ in range(200):
        if ok.all():
            break
        misses = ~_meets_each(ch, kp, ch.load[busy] > 0)
        for j in range(ch.m):
            agents[busy[misses[:, j]], book[j]] += 1
        kp = busy_measures()
        ok = _meets(ch, kp, ch.load[busy])
    moves = np.array(_moves(r, ch, cost))  # (M, P), best saving first
    active = np.ones(ni, dtype=bool)
    step = 8.0  # moves are tried in multiples, largest first, so rounds stay few
    for _ in range(10_000):
        if not active.any():
            if step == 1.0:
                break
            step = max(1.0, step / 2.0)
            active[:] = True
        trial = agents[None, :, :] + step * moves[:, None, :]  # (M, I, P)
        legal = np.all(trial >= 0, axis=2) & active[None, :]
        good = np.zeros_like(legal)
        if busy.size:
            # each distinct row once: the legal moves' trials, and the current agents of
            # an interval where some move is illegal. The latter's KPIs are not used, but
            # the kernel's rounds stop on the largest change over all its rows, so they
            # stay for the same bits (they were in the search's calls since session 4).
            lg = legal[:, busy]
            mi, bi = np.nonzero(lg)
            cur = busy[~lg.all(axis=0)]
            rows = np.concatenate((trial[mi, busy[bi]], agents[cur]))
            cells = np.concatenate((busy[bi], cur))
            kp_rows = pooled_measures(ch, rows, ch.load[cells], cells, memo, distinct=True)
            good[mi, busy[bi]] = _meets(ch, kp_rows, ch.load[cells])[: mi.size]
        pick = np.argmax(good, axis=0)  # first (best-saving) feasible move per interval
        improved = good.any(axis=0)
        agents[improved] = trial[pick[improved], np.flatnonzero(improved)]
        active = improved
    # the KPIs of every interval: the busy ones as in the search, the others apart (a
    # row without load gives the same values whatever the rounds, see above)
    kp = busy_measures()
    idle = np.setdiff1d(np.arange(ni), busy)
    if idle.size:
        kp_idle = pooled_measures(ch, agents[idle], ch.load[idle], idle, memo, distinct=True)
        for key, vals in kp.items():
            whole = np.empty((ni, vals.shape[1]))
            whole[busy], whole[idle] = vals, kp_idle[key]
            kp[key] = whole
    return agents + defer, kp


def staff_pooled(r: Resolved, base: StaffingResult, staff_resolved: Any) -> StaffingResult:
    """The pooled result: pool agents from the search, channel KPIs from the approximation."""
    ch = _Channels(r, base)
    agents, kp = _pooled_agents(r, base, ch)
    ni = r.n_intervals
    evaluated = staff_resolved(r, agents=np.rint(agents).astype(np.int64))
    # the evaluated table's columns with the approximation's KPIs in the live channels,
    # built into a table once, when read
    data = {k: v.copy() for k, v in interval_columns(evaluated).items()}
    rates = flow_rates(r)
    for j, c in enumerate(ch.idx):
        rows = slice(c * ni, (c + 1) * ni)  # channel-major
        for col in ("service_level", "average_wait", "abandonment", "occupancy"):
            vals = kp[col][:, j].copy()
            if col == "service_level" and math.isnan(ch.sl[j]):
                vals[:] = np.nan
            data[col][rows] = vals
        # every count that follows from abandonment, from the approximation's (before
        # session 8 lost, wait, repeats and resolved contacts kept the evaluation's
        # per-channel Erlang values: telecom voice lost 1.7-2.9 times what it abandoned).
        # Blocked contacts stay the evaluation's: the approximation has no lines.
        offered = data["offered"][rows]
        abandoned = offered * kp["abandonment"][:, j]
        data["abandoned"][rows] = abandoned
        out = live_outcomes(
            r, rates, c, offered, abandoned, data["blocked"][rows], kp["average_wait"][:, j]
        )
        out.update(answered_outcomes(rates, c, out["answered"]))
        for col, vals in out.items():
            data[col][rows] = vals
    intervals = _Pending(data, ni, r.n_channels)
    exact = dict(base.exact)
    notes = {k: v for k, v in base.notes.items() if not k.startswith("pool ")}
    multi = {c for skills in r.pool_skills if len(skills) > 1 for c in skills}
    for c in ch.idx:
        name = r.channels[c]
        if c in multi:
            exact[name] = False
            notes[name] = (
                "pooled approximation (non-preemptive effective capacity by pool); against "
                "the simulation it was off by up to 14 points of service level and a factor "
                "of 3 in abandonment on the tested systems (docs/staffing.md, 'Pooled staffing')"
            )
    return replace(
        evaluated,
        intervals=intervals,
        mode="required",
        method="pooled",
        exact=exact,
        notes=notes,
    )
