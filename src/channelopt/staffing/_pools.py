"""Which pool books each channel's agents, what live work leaves a deferred channel,
and the notes that say where ``method="erlang"`` is an approximation."""

from __future__ import annotations

import math

import numpy as np

from ..scenario.choices import AgentSelection, DistributionFamily, SkillSelection
from ..scenario.resolved import ChannelKind, Resolved
from ._classes import group_notes
from ._live import LiveKpis

__all__ = ["booking_pools", "is_queue"]


def is_queue(kind: ChannelKind) -> bool:
    """Live and concurrent channels (the ones routed before any backlog)."""
    return kind in (ChannelKind.LIVE, ChannelKind.CONCURRENT)


def booking_pools(r: Resolved) -> np.ndarray:
    """Pool index that books each channel's agents (-1: no pool serves it).

    **Decision** (docs/staffing.md): a channel's requirement is booked to the
    pool that gives it the most of its time. Pools route by their skill order
    and take backlog work only when no live or concurrent contact of theirs
    waits, so agents booked where a channel comes second are taken by the
    channel that comes first (in the simulation and on a real floor).

    * Live and concurrent channels: the pool where the channel ranks highest
      in the skill order; ties to the pool its routing offers contacts to
      first (explicit ``routing``, else the order of ``pools``), as the
      simulation routes them.
    * Deferred channels: the pool with the fewest live or concurrent skills
      (what remains is the backlog's); ties by rank, then fewer skills, then
      the first.
    """
    out = r.pool_of_channel().copy()
    for c, kind in enumerate(r.kinds):
        best = None
        order = {q: i for i, (q, _after) in enumerate(r.routing[c])}
        for p, skills in enumerate(r.pool_skills):
            if c not in skills:
                continue
            rank = skills.index(c)
            if kind is ChannelKind.DEFERRED:
                live = sum(1 for s in skills if is_queue(r.kinds[s]))
                key: tuple[int, ...] = (live, rank, len(skills), p)
            else:
                # the pool that gets the channel's contacts first: its routing order
                # (explicit `routing`, else the order of `pools`), as in the simulation
                key = (rank, order.get(p, len(r.pool_skills)), p)
            if best is None or key < best:
                best = key
        if best is not None:
            out[c] = best[-1]
    return out


def _live_slack(
    r: Resolved, c: int, pool: int, kpis: dict[int, LiveKpis]
) -> tuple[np.ndarray, str]:
    """Agents per interval the pool's live work takes from deferred channel ``c``
    beyond the live channels' own agents (<= 0), and a note when it is a guess.

    For each live or concurrent channel booked to the same pool the deficit is
    ``min(0, agents - contacts in service)``: a chat goes to an idle agent first,
    so while chats are fewer than the pool's agents each one holds an agent
    that could otherwise work the backlog. Idle live capacity is not credited
    to the backlog (taking backlog work delays the next live contact), so the
    deferred staffing errs on the safe side.
    """
    ni = r.n_intervals
    slack = np.zeros(ni)
    if pool < 0:
        return slack, ""
    owner = booking_pools(r)
    elsewhere = []
    for s in r.pool_skills[pool]:
        if s == c or not is_queue(r.kinds[s]):
            continue
        if owner[s] != pool:
            elsewhere.append(r.channels[s])
            continue
        kp = kpis.get(s)
        if kp is None:
            continue
        in_service = kp.load * (1.0 - kp.abandonment)
        slack += np.minimum(0.0, kp.agents - in_service)
    note = ""
    if elsewhere:
        note = (
            f"booked to pool {r.pools[pool]!r}, whose agents also take "
            f"{', '.join(map(repr, elsewhere))} (booked to other pools) before any backlog: "
            "the deadline figure is optimistic by what those contacts take"
        )
    return slack, note


def _pool_notes(r: Resolved, owner: np.ndarray) -> dict[str, str]:
    """Per shared pool: whether the sum of separately sized channels is a bound."""
    out = {}
    for p, skills in enumerate(r.pool_skills):
        if len(skills) < 2:
            continue
        mine = [r.channels[s] for s in skills if owner[s] == p]
        others = [r.channels[s] for s in skills if owner[s] != p and is_queue(r.kinds[s])]
        if others:
            out[f"pool {r.pools[p]}"] = (
                f"serves {', '.join(skills_names(r, skills))} in that priority but books only "
                f"{', '.join(mine) or 'none'}; its agents also answer "
                f"{', '.join(others)}, so the channels it books get less than they were "
                "sized for where those come first (optimistic) and more where they come "
                "after (pessimistic): the sum is no bound either way; method='pooled' or "
                "'simulation' sizes the pools together"
            )
        elif len(mine) > 1:
            out[f"pool {r.pools[p]}"] = (
                f"agents are the sum of {', '.join(mine)} sized alone: shared agents pool "
                "their randomness, so the sum is a pessimistic bound for the live channels"
            )
    return out


def skills_names(r: Resolved, skills: tuple[int, ...]) -> list[str]:
    return [r.channels[s] for s in skills]


def _exactness(
    r: Resolved, notes: dict[str, str], stretch_kept: dict[str, int] | None = None
) -> dict[str, bool]:
    """Channel -> True when its numbers come from an exact model of the simulation's
    rules (one channel per pool, exponential times), else False with a note.

    ``stretch_kept``: per stretched chat channel, the intervals that kept the
    balanced model because the exact chain was too large (absent: all did)."""
    shared: dict[int, bool] = {}
    for skills in r.pool_skills:
        for s in skills:
            shared[s] = shared.get(s, False) or len(skills) > 1
    out = {}
    for c, name in enumerate(r.channels):
        kind = r.kinds[c]
        exact = True
        if kind is ChannelKind.SELF_SERVICE:
            out[name] = True
            continue
        if shared.get(c, False):
            exact = False
            notes.setdefault(
                name, "shares a pool with other channels: sized alone, the pool's sum approximates"
            )
        stretched = kind is ChannelKind.CONCURRENT and float(r.concurrency_stretch[c]) > 0
        kept = None if stretch_kept is None else stretch_kept.get(name)
        if stretched and int(r.concurrency[c]) > 1 and (kept is None or kept > 0):
            exact = False
            where = "every interval" if kept is None else f"{kept} interval(s)"
            notes[name] = (notes.get(name, "") + "; " if name in notes else "") + (
                f"concurrency stretch: {where} sized with chats spread evenly below full "
                "concurrency (the exact chat-count chain was too large there; "
                "optimistic: 0.3-0.8 points of service level where measured, docs/staffing.md)"
            )
        if kind is ChannelKind.DEFERRED:
            exact = False
            notes.setdefault(name, "fluid FIFO model of the backlog (no randomness)")
        reasons = _approximations(r, c)
        if reasons:
            exact = False
            joined = "; ".join(reasons)
            notes[name] = notes[name] + "; " + joined if name in notes else joined
        out[name] = exact
    return out


def _approximations(r: Resolved, c: int) -> list[str]:
    """Round-2 keys of channel ``c`` that ``method="erlang"`` treats approximately.

    The kernels assume exponential handle times and patience, unlimited lines
    and queue, no balking or timeouts and plain routing; the simulation is the
    reference where a channel uses more (docs/staffing.md).
    """
    out = []
    if r.handle_time_family[c] != DistributionFamily.EXPONENTIAL.code:
        out.append(
            f"{r.handle_time[c].family.value} handle time: the kernels assume exponential "
            "(same mean)"
        )
    if r.kinds[c] is ChannelKind.SELF_SERVICE or r.kinds[c] is ChannelKind.DEFERRED:
        return out
    if r.wrap_up[c] > 0:
        out.append(
            f"wrap-up {r.wrap_up[c]:g} s added to the agent's holding time (M/M/n with mean "
            "handle time + wrap-up; waits approximate)"
        )
    if math.isfinite(r.patience[c]) and r.patience_family[c] != DistributionFamily.EXPONENTIAL.code:
        out.append("non-exponential patience: Erlang A assumes exponential (same mean)")
    finite = math.isfinite(r.lines[c]) or math.isfinite(r.queue_capacity[c])
    if finite and r.kinds[c] is ChannelKind.CONCURRENT and float(r.concurrency_stretch[c]) > 0:
        # the finite chain (M/M/n/N+M, exact otherwise) runs on slots at full concurrency
        out.append(
            "lines / queue_capacity with concurrency stretch: the finite model uses the chat "
            "duration at full concurrency"
        )
    if r.balking[c] > 0:
        out.append("balking not in the per-channel staffing")
    if math.isfinite(r.max_wait[c]):
        out.append("max_wait timeouts not in the per-channel staffing")
    if any(after > 0 for _pool, after in r.routing[c]):
        out.append("overflow after a delay: the pools are sized as if routing were immediate")
    classes = group_notes(r).get(c)
    if classes:
        out.append(classes)
    for p, skills in enumerate(r.pool_skills):
        if c not in skills:
            continue
        if r.pool_skill_selection[p] == SkillSelection.LONGEST_WAITING.code:
            out.append(f"pool {r.pools[p]!r} selects the longest-waiting contact")
        if r.pool_agent_selection[p] == AgentSelection.RANDOM.code:
            out.append(f"pool {r.pools[p]!r} selects agents at random")
    return out
