"""One replication of the contact-centre simulation on a SimPy event core.

SimPy's :class:`~simpy.core.Environment` holds the clock and the event queue.
Every contact-level event is a bare :class:`~simpy.events.Timeout` with one
callback (no process per contact, no ``simpy.Resource``): this is what makes
the model fast enough; a SimPy process per customer costs about 4x more per
contact (``benchmarks/mm50_simpy.py``).

Design choices that the speed depends on:

* agents are plain integers with list-based bookkeeping; idle agents of a pool
  sit in a deque ordered by the time they became idle, so the head is the
  longest-idle agent and the tail the most recently idle one;
* abandonment uses lazy deletion: a waiting contact carries its abandonment
  time and is dropped when it reaches the head of its queue too late. A timer
  event is scheduled only when abandoned contacts may retry (the retrial must
  start at its exact time);
* random numbers come from per-purpose generators in batches; the external
  arrivals of an interval, and the patience and handle time of each external
  contact's first attempt, are drawn vectorised when the interval starts;
* records are counters on flat lists indexed by ``interval * C + channel`` and
  per-journey arrays, turned into NumPy arrays once at the end.

The module is private: :func:`channelopt.simulation.simulate` is the API.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from ..errors import ChannelOptError
from ..scenario.resolved import ChannelKind, Resolved

__all__ = ["ConservationError", "ReplicationOutput", "run_replication"]

LIVE, CONCURRENT, DEFERRED, SELF_SERVICE = 0, 1, 2, 3
_KIND_CODE = {
    ChannelKind.LIVE: LIVE,
    ChannelKind.CONCURRENT: CONCURRENT,
    ChannelKind.DEFERRED: DEFERRED,
    ChannelKind.SELF_SERVICE: SELF_SERVICE,
}
# contact states
WAITING, IN_SERVICE, DONE, ABANDONED = 0, 1, 2, 3
# fields of a contact record (a list, mutated in place)
F_JOURNEY, F_CHANNEL, F_ARRIVAL, F_SLOT, F_DEADLINE, F_STATE, F_WORK = 0, 1, 2, 3, 4, 5, 6
F_START, F_AGENT, F_VERSION, F_LAST = 7, 8, 9, 10

_BATCH = 16_384
_DAY_S = 86_400.0


class ConservationError(ChannelOptError, AssertionError):
    """A simulation run lost or created contacts: an internal error, please report it."""


@dataclass
class ReplicationOutput:
    """Raw arrays of one replication (all days, warm-up included).

    Interval counters have shape ``(days * I, C)``; pool time integrals
    ``(days * I, P)``; journey arrays one entry per external arrival.
    """

    counters: dict[str, np.ndarray]
    busy_time: np.ndarray
    agent_time: np.ndarray
    journeys: dict[str, np.ndarray]
    conservation: dict[str, int]


class _Buffer:
    """Batches of random variates from one generator (refilled on demand)."""

    __slots__ = ("_draw", "_index", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        self._draw = draw
        self._values: list[float] = []
        self._index = 0

    def __call__(self) -> float:
        i = self._index
        if i >= len(self._values):
            self._values = self._draw(_BATCH).tolist()
            i = 0
        self._index = i + 1
        return self._values[i]


def _cumulative_rows(matrix: np.ndarray) -> list[list[tuple[float, int]]]:
    """Per row: (cumulative probability, target) for the non-zero entries."""
    rows = []
    for row in np.asarray(matrix, dtype=float):
        cum, out = 0.0, []
        for j, p in enumerate(row):
            if p > 0:
                cum += float(p)
                out.append((cum, j))
        rows.append(out)
    return rows


def _next_open(open_mask: np.ndarray) -> list[list[int]]:
    """offset[c][i]: intervals from i to the next open interval of c (-1: never open)."""
    n_i, n_c = open_mask.shape
    out = []
    for c in range(n_c):
        col = open_mask[:, c]
        offs = []
        for i in range(n_i):
            off = -1
            for k in range(n_i):
                if col[(i + k) % n_i]:
                    off = k
                    break
            offs.append(off)
        out.append(offs)
    return out


def run_replication(
    res: Resolved,
    staffing: np.ndarray,
    seed: np.random.SeedSequence,
    n_days: int,
    forecast_error: bool = False,
) -> ReplicationOutput:
    """Simulate ``n_days`` days of one replication.

    Parameters
    ----------
    res : Resolved
        The resolved scenario period.
    staffing : ndarray of int, shape (I, P)
        Agents on duty per interval of the day and pool (same every day).
    seed : numpy.random.SeedSequence
        Seed of this replication; eight independent streams (one per purpose) are
        spawned from it.
    n_days : int
        Days to simulate (warm-up days included; the caller discards them).
    forecast_error : bool
        Scale each day's volume of a channel by a gamma factor with mean 1 and
        the channel's ``forecast_error`` as coefficient of variation.

    Returns
    -------
    ReplicationOutput
    """
    # The hot paths allocate no reference cycles; the cyclic collector would only
    # walk the growing record lists again and again (about 15 % of the run time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(res, staffing, seed, n_days, forecast_error)
    finally:
        if enabled:
            gc.enable()


def _run(
    res: Resolved,
    staffing: np.ndarray,
    seed: np.random.SeedSequence,
    n_days: int,
    use_forecast_error: bool,
) -> ReplicationOutput:
    """The body of :func:`run_replication` (same arguments), run with the cyclic GC off."""
    C = res.n_channels
    I = res.n_intervals  # noqa: E741 - C, I, P, L, G as in the Resolved docs
    P = len(res.pools)
    L = float(res.interval_s)
    G = n_days * I
    T_END = G * L

    kind = [_KIND_CODE[ChannelKind(k)] for k in res.kinds]
    aht = [float(x) for x in res.aht]
    cv = [float(x) for x in res.aht_cv]
    patience = [
        math.inf if kind[c] in (DEFERRED, SELF_SERVICE) else float(res.patience[c])
        for c in range(C)
    ]
    within = [
        float(res.target_within[c])
        if np.isfinite(res.target_within[c]) and kind[c] in (LIVE, CONCURRENT)
        else -math.inf
        for c in range(C)
    ]
    deadline = [float(x) for x in res.deadline]
    resolution = [float(x) for x in res.resolution]
    containment = [float(x) for x in res.containment]
    conc = [max(1, int(x)) if kind[c] == CONCURRENT else 1 for c, x in enumerate(res.concurrency)]
    stretch = [
        float(x) if kind[c] == CONCURRENT else 0.0 for c, x in enumerate(res.concurrency_stretch)
    ]
    handoff_rows = _cumulative_rows(res.handoff)
    handoff_total = [r[-1][0] if r else 0.0 for r in handoff_rows]
    repeat_rows = _cumulative_rows(res.repeat_to)
    repeat_delay = float(res.repeat_delay)
    retrial_p = float(res.retrial_probability)
    retrial_delay = float(res.retrial_delay)
    timers = retrial_p > 0.0
    open_flags = [[bool(res.open_mask[i, c]) for i in range(I)] for c in range(C)]
    next_open = _next_open(np.asarray(res.open_mask, dtype=bool))
    bit = [1 << c for c in range(C)]
    # lognormal parameters with mean 1 and the channel's cv
    ln_sigma = [math.sqrt(math.log1p(v * v)) if v > 0 else 0.0 for v in cv]
    ln_mu = [-0.5 * s * s for s in ln_sigma]

    # per-purpose generators: arrivals, first-attempt handle times and patience
    # (common random numbers across staffings), later handle times (two shapes),
    # later patience, routing decisions, delays
    (
        rng_arrivals,
        rng_first_handle,
        rng_first_patience,
        rng_handle_exp,
        rng_handle_norm,
        rng_patience,
        rng_routing,
        rng_delay,
    ) = (np.random.default_rng(s) for s in seed.spawn(8))
    u_route = _Buffer(rng_routing.random)
    e_handle = _Buffer(rng_handle_exp.standard_exponential)
    z_handle = _Buffer(rng_handle_norm.standard_normal)
    e_patience = _Buffer(rng_patience.standard_exponential)
    e_delay = _Buffer(rng_delay.standard_exponential)

    pools_of = [[p for p in range(P) if c in res.pool_skills[p]] for c in range(C)]
    single_pool = [
        pools_of[c][0] if len(pools_of[c]) == 1 and conc[c] == 1 else -1 for c in range(C)
    ]
    live_skills = [
        [c for c in res.pool_skills[p] if kind[c] in (LIVE, CONCURRENT)] for p in range(P)
    ]
    deferred_skills = [[c for c in res.pool_skills[p] if kind[c] == DEFERRED] for p in range(P)]
    # a pool with one live skill and no deferred work (the fast path of agent_free)
    sole_skill = [
        live_skills[p][0] if len(res.pool_skills[p]) == 1 and live_skills[p] else -1
        for p in range(P)
    ]
    staffing = np.asarray(staffing, dtype=np.int64)
    cap = [int(staffing[:, p].max()) if I else 0 for p in range(P)]

    # agents
    n_agents = sum(cap)
    agent_pool: list[int] = []
    for p in range(P):
        agent_pool += [p] * cap[p]
    pool_agents = [[a for a in range(n_agents) if agent_pool[a] == p] for p in range(P)]
    load = [0] * n_agents  # contacts carried
    agent_channel = [-1] * n_agents
    on_duty = [False] * n_agents
    leaving = [False] * n_agents
    idle_since = [0.0] * n_agents
    current: list[Any] = [None] * n_agents  # live/deferred: the contact in service
    chats: list[list[Any]] = [[] for _ in range(n_agents)]  # concurrent: the chats
    idle = [deque() for _ in range(P)]
    off_duty = [list(reversed(pool_agents[p])) for p in range(P)]
    n_available = [0] * P  # on duty and not leaving: what the staffing target counts
    duty_count = [0] * P  # on duty, leaving included
    duty_last = [0.0] * P
    leaving_set: list[set[int]] = [set() for _ in range(P)]
    partial = [[set() for _ in range(conc[c])] for c in range(C)]  # partial[c][k]: k chats

    # records
    GC = G * C
    offered = [0] * GC
    answered = [0] * GC
    answered_within = [0] * GC
    abandoned = [0] * GC
    lost = [0] * GC
    contained = [0] * GC
    handed_off = [0] * GC
    gave_up = [0] * GC
    completed = [0] * GC
    wait_sum = [0.0] * GC
    busy = [0.0] * (G * P)
    duty = [0.0] * (G * P)
    j_start = array("d")
    # per-journey records: typed arrays (compact, and NumPy reads them without a copy)
    j_first = array("i")
    j_mask = array("q")
    j_contacts = array("i")
    j_handoffs = array("i")
    j_repeats = array("i")
    j_retrials = array("i")
    j_abandons = array("i")
    j_wait = array("d")
    # waits in live and concurrent queues only: the customer-effort measure
    # (an email's time in its backlog is not effort; docs/design.md)
    j_qwait = array("d")
    j_end = array("d")
    j_resolved = array("b")
    queues = [deque() for _ in range(C)]
    # rare events are tallied here; frequent ones are read off the interval records
    tally = dict.fromkeys(
        (
            "repeats_scheduled",
            "unresolved_after_service",
            "retrials_scheduled",
            "scheduled",
            "fired",
        ),
        0,
    )

    n_resolved = 0
    env = simpy.Environment()
    # Scheduling is SimPy's Environment.schedule, inlined for performance: the
    # event queue holds (time, priority, id, event) and env.step() runs it.
    queue = env._queue
    eid = env._eid
    push = heapq.heappush

    # ------------------------------------------------------------------ helpers
    def rate(c: int, k: int) -> float:
        s = stretch[c]
        return (1.0 + s * (conc[c] - 1)) / (1.0 + s * (k - 1))

    def draw_work(c: int) -> float:
        v = cv[c]
        if v == 1.0:
            return aht[c] * e_handle()
        if v == 0.0:
            return aht[c]
        return aht[c] * math.exp(ln_mu[c] + ln_sigma[c] * z_handle())

    def add_span(arr: list[float], p: int, s: float, e: float, w: float) -> None:
        # agent-seconds spent from s to e (weight w), split at interval boundaries
        g0 = int(s / L)
        g1 = min(int(e / L), G - 1)
        if g0 >= g1:
            arr[g0 * P + p] += (e - s) * w
            return
        arr[g0 * P + p] += ((g0 + 1) * L - s) * w
        for g in range(g0 + 1, g1):
            arr[g * P + p] += L * w
        arr[g1 * P + p] += (e - g1 * L) * w

    def flush_duty(p: int, now: float) -> None:
        if duty_count[p]:
            add_span(duty, p, duty_last[p], now, duty_count[p])
        duty_last[p] = now

    def end_journey(j: int, t: float, resolved: int) -> None:
        j_end[j] = t
        j_resolved[j] = resolved

    def arrive(c: int, j: int, work: float, dl_offset: float) -> None:
        """A contact reaches channel c now; held until the channel opens if closed."""
        now = env._now
        g = int(now / L)
        if not open_flags[c][g % I]:
            off = next_open[c][g % I]
            if off > 0:
                t_open = (g + off) * L
                push(queue, (t_open, 1, next(eid), (c, j, work, dl_offset), on_held))
                tally["scheduled"] += 1
                return
        enter(c, j, work, now + dl_offset, g)

    def on_held(value: Any) -> None:
        tally["fired"] += 1
        c, j, work, dl_offset = value
        now = env._now
        enter(c, j, work, now + dl_offset, int(now / L))

    def enter(c: int, j: int, work: float, dl: float, g: int) -> None:
        now = env._now
        slot = g * C + c
        offered[slot] += 1
        j_contacts[j] += 1
        j_mask[j] |= bit[c]
        k = kind[c]
        if k == SELF_SERVICE:
            if u_route() < containment[c]:
                contained[slot] += 1
                end_journey(j, now, 1)
                return
            u = u_route()
            for cum, target in handoff_rows[c]:
                if u < cum:
                    handed_off[slot] += 1
                    j_handoffs[j] += 1
                    arrive(target, j, draw_work(target), patience_draw(target))
                    return
            gave_up[slot] += 1
            end_journey(j, now, 0)
            return
        contact = [j, c, now, slot, dl, WAITING, work, 0.0, -1, 0, 0.0]
        p = single_pool[c]
        if p >= 0:  # fast path: one pool, one contact per agent
            dq = idle[p]
            a = dq.popleft() if dq else -1
        else:
            a = find_agent(c)
        if a >= 0:
            start(a, contact)
            return
        queues[c].append(contact)
        if timers and dl < T_END:
            push(queue, (dl, 1, next(eid), contact, on_patience))

    def patience_draw(c: int) -> float:
        m = patience[c]
        return m * e_patience() if m < math.inf else math.inf

    def find_agent(c: int) -> int:
        ps = pools_of[c]
        if len(ps) == 1:
            dq = idle[ps[0]]
            if dq:
                return dq.popleft()
        else:
            best, t_best = -1, math.inf
            for p in ps:
                dq = idle[p]
                if dq and idle_since[dq[0]] < t_best:
                    best, t_best = p, idle_since[dq[0]]
            if best >= 0:
                return idle[best].popleft()
        if conc[c] > 1:
            for bucket in partial[c][1:]:
                if bucket:
                    return bucket.pop()  # caller's start() re-files it by load
        return -1

    def start(a: int, contact: list[Any], reschedule: bool = True) -> None:
        now = env._now
        c = contact[F_CHANNEL]
        slot = contact[F_SLOT]
        contact[F_STATE] = IN_SERVICE
        contact[F_START] = now
        contact[F_AGENT] = a
        wait = now - contact[F_ARRIVAL]
        answered[slot] += 1
        if wait <= within[c]:
            answered_within[slot] += 1
        if wait > 0.0:
            wait_sum[slot] += wait
            j_wait[contact[F_JOURNEY]] += wait
            if kind[c] != DEFERRED:
                j_qwait[contact[F_JOURNEY]] += wait
        agent_channel[a] = c
        k = load[a] + 1
        load[a] = k
        if conc[c] == 1:
            current[a] = contact
            push(queue, (env._now + contact[F_WORK], 1, next(eid), contact, on_done))
            return
        mine = chats[a]
        if k < conc[c] and not leaving[a]:
            partial[c][k].add(a)
        if reschedule and mine and stretch[c] > 0.0:
            advance(a, c, k - 1)
            reschedule_all(a, c, k)
        mine.append(contact)
        contact[F_LAST] = now
        push(
            queue,
            (env._now + contact[F_WORK] / rate(c, k), 1, next(eid), (contact, 0), on_chat_done),
        )

    def advance(a: int, c: int, k: int) -> None:
        # the agent's chats progressed at rate(k) since their last update
        now = env._now
        r = rate(c, k)
        for ch in chats[a]:
            ch[F_WORK] -= (now - ch[F_LAST]) * r
            ch[F_LAST] = now

    def reschedule_all(a: int, c: int, k: int) -> None:
        # the load changed: new completion times; the old events become stale
        r = rate(c, k)
        for ch in chats[a]:
            ch[F_VERSION] += 1
            push(
                queue,
                (
                    env._now + max(ch[F_WORK], 0.0) / r,
                    1,
                    next(eid),
                    (ch, ch[F_VERSION]),
                    on_chat_done,
                ),
            )

    def on_patience(contact: Any) -> None:
        if contact[F_STATE] == WAITING:
            abandon(contact, env._now)

    def abandon(contact: list[Any], t: float) -> None:
        contact[F_STATE] = ABANDONED
        slot = contact[F_SLOT]
        j = contact[F_JOURNEY]
        abandoned[slot] += 1
        j_wait[j] += t - contact[F_ARRIVAL]
        j_qwait[j] += t - contact[F_ARRIVAL]  # only live/concurrent contacts abandon
        j_abandons[j] += 1
        if retrial_p > 0.0 and u_route() < retrial_p:
            tally["retrials_scheduled"] += 1
            tally["scheduled"] += 1
            j_retrials[j] += 1
            c = contact[F_CHANNEL]
            t_retry = max(t + retrial_delay * e_delay(), env._now)
            push(queue, (t_retry, 1, next(eid), (c, j), on_delayed))
            return
        lost[slot] += 1
        end_journey(j, t, 0)

    def on_delayed(value: Any) -> None:
        tally["fired"] += 1
        c, j = value
        arrive(c, j, draw_work(c), patience_draw(c))

    def next_waiting(c: int) -> Any:
        q = queues[c]
        now = env._now
        while q:
            contact = q[0]
            if contact[F_STATE] != WAITING:
                q.popleft()
            elif contact[F_DEADLINE] <= now:
                q.popleft()
                abandon(contact, contact[F_DEADLINE])
            else:
                return q.popleft()
        return None

    def on_done(contact: Any) -> None:
        a = contact[F_AGENT]
        current[a] = None
        load[a] -= 1
        finish(contact, a, 1.0)
        agent_free(a)

    def on_chat_done(value: Any) -> None:
        contact, version = value
        if version != contact[F_VERSION] or contact[F_STATE] != IN_SERVICE:
            return  # superseded by a rescheduling (stretch)
        a = contact[F_AGENT]
        c = contact[F_CHANNEL]
        k_old = load[a]
        if stretch[c] > 0.0:
            advance(a, c, k_old)
        chats[a].remove(contact)
        if k_old < conc[c]:
            partial[c][k_old].discard(a)
        k = k_old - 1
        load[a] = k
        # bookkeeping first: a hand-off made by finish() must not pick this agent
        finish(contact, a, 1.0 / conc[c])
        if not leaving[a] and load[a] == k:
            nxt = next_waiting(c)
            if nxt is not None:
                start(a, nxt, reschedule=False)  # load back to k_old: rates unchanged
                return
        if load[a] != k:
            return  # finish() handed a chat straight back to this agent
        if k > 0:
            if not leaving[a]:
                partial[c][k].add(a)
            if stretch[c] > 0.0:
                reschedule_all(a, c, k)
            return
        agent_free(a)

    def finish(contact: list[Any], a: int, weight: float) -> None:
        nonlocal n_resolved
        now = env._now
        contact[F_STATE] = DONE
        c = contact[F_CHANNEL]
        slot = contact[F_SLOT]
        j = contact[F_JOURNEY]
        completed[slot] += 1
        s = contact[F_START]
        g0 = int(s / L)
        if g0 == int(now / L):
            busy[g0 * P + agent_pool[a]] += (now - s) * weight
        else:
            add_span(busy, agent_pool[a], s, now, weight)
        if kind[c] == DEFERRED and now - contact[F_ARRIVAL] <= deadline[c]:
            answered_within[slot] += 1
        if handoff_total[c] > 0.0:
            u = u_route()
            if u < handoff_total[c]:
                target = next(t for cum, t in handoff_rows[c] if u < cum)
                handed_off[slot] += 1
                j_handoffs[j] += 1
                arrive(target, j, draw_work(target), patience_draw(target))
                return
        r = resolution[c]
        if r >= 1.0 or (r > 0.0 and u_route() < r):
            n_resolved += 1
            j_end[j] = now
            j_resolved[j] = 1
            return
        if repeat_rows[c]:
            u = u_route()
            for cum, target in repeat_rows[c]:
                if u < cum:
                    tally["repeats_scheduled"] += 1
                    tally["scheduled"] += 1
                    j_repeats[j] += 1
                    push(
                        queue,
                        (
                            env._now + repeat_delay * e_delay(),
                            1,
                            next(eid),
                            (target, j),
                            on_delayed,
                        ),
                    )
                    return
        tally["unresolved_after_service"] += 1
        end_journey(j, now, 0)

    def agent_free(a: int) -> None:
        """Agent a carries nothing: leave, take the next contact, or go idle."""
        p = agent_pool[a]
        if leaving[a]:
            flush_duty(p, env._now)
            leaving[a] = False
            leaving_set[p].discard(a)
            on_duty[a] = False
            duty_count[p] -= 1
            off_duty[p].append(a)
            return
        for c in live_skills[p]:
            if not queues[c]:
                continue
            nxt = next_waiting(c)
            if nxt is not None:
                start(a, nxt)
                if conc[c] > 1:
                    top_up(a, c)
                return
        for c in deferred_skills[p]:
            q = queues[c]
            if q:
                start(a, q.popleft())
                return
        idle_since[a] = env._now
        idle[p].append(a)

    def top_up(a: int, c: int) -> None:
        # a chat agent takes further waiting chats up to its concurrency
        while load[a] < conc[c]:
            nxt = next_waiting(c)
            if nxt is None:
                return
            if load[a] < conc[c]:
                partial[c][load[a]].discard(a)
            start(a, nxt)

    # ------------------------------------------------------------ staffing
    def set_staffing(i: int) -> None:
        now = env._now
        for p in range(P):
            flush_duty(p, now)
            target = int(staffing[i, p])
            while n_available[p] < target:
                # first call back agents on their way out, then bring new ones on
                n_available[p] += 1
                if leaving_set[p]:
                    back = leaving_set[p].pop()
                    leaving[back] = False
                    c = agent_channel[back]
                    if load[back] and conc[c] > 1:
                        if load[back] < conc[c]:
                            partial[c][load[back]].add(back)
                        top_up(back, c)
                    continue
                a = off_duty[p].pop()
                on_duty[a] = True
                duty_count[p] += 1
                agent_free(a)
            if n_available[p] > target:
                dq = idle[p]
                while n_available[p] > target and dq:
                    a = dq.pop()  # the most recently idle agent leaves first
                    on_duty[a] = False
                    duty_count[p] -= 1
                    n_available[p] -= 1
                    off_duty[p].append(a)
                for a in pool_agents[p]:
                    if n_available[p] <= target:
                        break
                    if on_duty[a] and not leaving[a] and load[a] > 0:
                        leaving[a] = True  # finishes its contacts, then leaves
                        leaving_set[p].add(a)
                        n_available[p] -= 1
                        c = agent_channel[a]
                        if conc[c] > 1 and load[a] < conc[c]:
                            partial[c][load[a]].discard(a)

    # ------------------------------------------------------------ arrivals
    day_factor = np.ones(C)
    arrivals = np.asarray(res.arrivals, dtype=float)
    forecast_error = np.asarray(res.forecast_error, dtype=float)
    pat_arr = np.asarray(patience)
    aht_arr = np.asarray(aht)
    cv_arr = np.asarray(cv)
    sig_arr = np.asarray(ln_sigma)
    mu_arr = np.asarray(ln_mu)

    open_flags_arr = np.asarray(res.open_mask, dtype=bool)

    def generate(g: int) -> None:
        nonlocal day_factor
        i = g % I
        if i == 0 and use_forecast_error and np.any(forecast_error > 0):
            # daily volume uncertainty: a gamma factor with mean 1 and cv forecast_error
            shape = np.where(forecast_error > 0, 1.0 / np.maximum(forecast_error, 1e-12) ** 2, 1.0)
            day_factor = np.where(forecast_error > 0, rng_arrivals.gamma(shape, 1.0 / shape), 1.0)
        counts = rng_arrivals.poisson(arrivals[i] * day_factor)
        n = int(counts.sum())
        if n == 0:
            cursor[0] = cursor[1] = 0
            return
        ch = np.repeat(np.arange(C), counts)
        # strictly inside the interval, so the batch is used up before the next boundary
        t = np.minimum(g * L + rng_arrivals.random(n) * L, np.nextafter((g + 1) * L, 0.0))
        order = np.argsort(t, kind="stable")
        t, ch = t[order], ch[order]
        e = rng_first_patience.standard_exponential(n)
        with np.errstate(invalid="ignore"):
            dl = np.where(np.isinf(pat_arr[ch]), math.inf, pat_arr[ch] * e)
        ex = rng_first_handle.standard_exponential(n)
        z = rng_first_handle.standard_normal(n)
        v = cv_arr[ch]
        work = aht_arr[ch] * np.where(
            v == 1.0, ex, np.where(v == 0.0, 1.0, np.exp(mu_arr[ch] + sig_arr[ch] * z))
        )
        j0 = len(j_first)
        j_start.fromlist(t.tolist())
        j_first.frombytes(ch.astype(np.int32).tobytes())
        for col in (j_mask, j_contacts, j_handoffs, j_repeats, j_retrials, j_abandons, j_resolved):
            col.frombytes(bytes(col.itemsize * n))
        j_wait.fromlist([0.0] * n)
        j_qwait.fromlist([0.0] * n)
        j_end.fromlist([math.nan] * n)
        # absolute abandonment times where the channel is open, offsets where not
        opened = np.asarray(open_flags_arr[i])[ch]
        dl = np.where(opened, t + dl, dl)
        batch[:] = [t.tolist(), ch.tolist(), dl.tolist(), work.tolist(), j0, g, i]
        cursor[0] = 0
        cursor[1] = n

    def on_boundary(g: int) -> None:
        set_staffing(g % I)
        generate(g)
        if g + 1 < G:
            push(queue, ((g + 1) * L, 1, next(eid), g + 1, on_boundary))

    push(queue, (0.0, 1, next(eid), 0, on_boundary))

    # The run loop: SimPy's Environment.step() inlined for our own events, with
    # the external arrivals of the current interval merged in from a sorted
    # list rather than pushed through the event queue one by one.
    batch: list[Any] = [[], [], [], [], 0, 0, 0]
    cursor = [0, 0]  # next arrival, arrivals in the batch
    pop = heapq.heappop
    step = env.step
    while True:
        k = cursor[0]
        if k < cursor[1]:
            times = batch[0]
            ta = times[k]
            if not queue or ta <= queue[0][0]:
                cursor[0] = k + 1
                env._now = ta
                c = batch[1][k]
                p = single_pool[c]
                if p >= 0 and idle[p] and open_flags[c][batch[6]]:
                    # fast path of enter() + start(): a first attempt served at once
                    a = idle[p].popleft()
                    j = batch[4] + k
                    slot = batch[5] * C + c
                    work = batch[3][k]
                    offered[slot] += 1
                    answered[slot] += 1
                    if within[c] >= 0.0:
                        answered_within[slot] += 1
                    j_contacts[j] = 1
                    j_mask[j] = bit[c]
                    contact = [j, c, ta, slot, batch[2][k], IN_SERVICE, work, ta, a, 0, 0.0]
                    agent_channel[a] = c
                    load[a] = 1
                    current[a] = contact
                    push(queue, (ta + work, 1, next(eid), contact, on_done))
                    continue
                if open_flags[c][batch[6]]:
                    enter(c, batch[4] + k, batch[3][k], batch[2][k], batch[5])
                else:
                    arrive(c, batch[4] + k, batch[3][k], batch[2][k])
                continue
        if not queue or queue[0][0] >= T_END:
            break
        if len(queue[0]) == 5:
            item = pop(queue)
            now = item[0]
            env._now = now
            if item[4] is on_done:
                # on_done() inlined, with agent_free()'s common case: nothing waits
                contact = item[3]
                a = contact[F_AGENT]
                current[a] = None
                load[a] -= 1
                finish(contact, a, 1.0)
                p = agent_pool[a]
                c = sole_skill[p]
                if c >= 0 and not leaving[a] and not queues[c] and load[a] == 0:
                    idle_since[a] = now
                    idle[p].append(a)
                else:
                    agent_free(a)
            else:
                item[4](item[3])
        else:
            step()  # any other SimPy event
    env._now = T_END

    # ------------------------------------------------------------ wrap up
    # contacts whose patience ran out while they sat behind the head of a queue
    waiting_end = 0
    for c in range(C):
        for contact in queues[c]:
            if contact[F_STATE] != WAITING:
                continue
            if contact[F_DEADLINE] <= T_END:
                abandon(contact, contact[F_DEADLINE])
            else:
                waiting_end += 1
                j_wait[contact[F_JOURNEY]] += T_END - contact[F_ARRIVAL]
                if kind[c] != DEFERRED:
                    j_qwait[contact[F_JOURNEY]] += T_END - contact[F_ARRIVAL]
    in_service = 0
    for a in range(n_agents):
        in_service += load[a]
        if current[a] is not None:
            add_span(busy, agent_pool[a], current[a][F_START], T_END, 1.0)
        for ch in chats[a]:
            add_span(busy, agent_pool[a], ch[F_START], T_END, 1.0 / conc[ch[F_CHANNEL]])
    for p in range(P):
        flush_duty(p, T_END)
    pending = tally["scheduled"] - tally["fired"]

    is_ss = [kind[c] == SELF_SERVICE for c in range(C)]
    ss_handoffs = sum(handed_off[x] for x in range(GC) if is_ss[x % C])
    conservation = {
        "externals": len(j_first),
        "attempts": sum(offered),
        "answered": sum(answered),
        "abandoned": sum(abandoned),
        "contained": sum(contained),
        "self_service_handed_off": ss_handoffs,
        "self_service_gave_up": sum(gave_up),
        "completed": sum(completed),
        "served_handed_off": sum(handed_off) - ss_handoffs,
        "lost": sum(lost),
        "resolved": n_resolved,
        **tally,
        "waiting_end": waiting_end,
        "in_service_end": in_service,
        "pending_end": pending,
        "journeys_finished": int(np.isfinite(np.frombuffer(j_end, dtype=np.float64)).sum()),
        "journeys_resolved": int(np.frombuffer(j_resolved, dtype=np.int8).sum()),
    }
    _check_conservation(conservation)

    counters = {
        "offered": offered,
        "answered": answered,
        "answered_within_target": answered_within,
        "abandoned": abandoned,
        "lost": lost,
        "contained": contained,
        "handed_off": handed_off,
        "gave_up": gave_up,
        "completed": completed,
    }
    out = {k: np.asarray(v, dtype=np.int64).reshape(G, C) for k, v in counters.items()}
    out["total_wait"] = np.asarray(wait_sum, dtype=float).reshape(G, C)

    # convert one record list at a time and release it, to keep the peak memory low
    def take(values: array, dtype: Any) -> np.ndarray:
        arr = np.array(values, dtype=dtype)
        # Something else may still view the record (Dask's in-process worker
        # profiler samples frames): then keep it; it is freed when the run returns.
        with contextlib.suppress(BufferError):
            del values[:]
        return arr

    journeys = {
        "start": take(j_start, np.float64),
        "first_channel": take(j_first, np.int16),
        "mask": take(j_mask, np.int64),
        "contacts": take(j_contacts, np.int32),
        "handoffs": take(j_handoffs, np.int32),
        "repeats": take(j_repeats, np.int32),
        "retrials": take(j_retrials, np.int32),
        "abandonments": take(j_abandons, np.int32),
        "total_wait": take(j_wait, np.float64),
        "queue_wait": take(j_qwait, np.float64),
        "end": take(j_end, np.float64),
        "resolved": take(j_resolved, np.bool_),
    }
    return ReplicationOutput(
        counters=out,
        busy_time=np.asarray(busy, dtype=float).reshape(G, P),
        agent_time=np.asarray(duty, dtype=float).reshape(G, P),
        journeys=journeys,
        conservation=conservation,
    )


def _check_conservation(t: dict[str, int]) -> None:
    """Raise :class:`ConservationError` when any balance of contacts does not hold."""
    checks = {
        "attempts = answered + abandoned + contained + self-service hand-offs + "
        "self-service gave up + still waiting": (
            t["attempts"],
            t["answered"]
            + t["abandoned"]
            + t["contained"]
            + t["self_service_handed_off"]
            + t["self_service_gave_up"]
            + t["waiting_end"],
        ),
        "answered = completed + still in service": (
            t["answered"],
            t["completed"] + t["in_service_end"],
        ),
        "completed = handed off + resolved + repeats + unresolved": (
            t["completed"],
            t["served_handed_off"]
            + t["resolved"]
            + t["repeats_scheduled"]
            + t["unresolved_after_service"],
        ),
        "abandoned = retrials + lost": (t["abandoned"], t["retrials_scheduled"] + t["lost"]),
        "attempts + pending = external + hand-offs + retrials + repeats": (
            t["attempts"] + t["pending_end"],
            t["externals"]
            + t["served_handed_off"]
            + t["self_service_handed_off"]
            + t["retrials_scheduled"]
            + t["repeats_scheduled"],
        ),
        "journeys resolved = contained + resolved after service": (
            t["journeys_resolved"],
            t["contained"] + t["resolved"],
        ),
        "journeys finished = resolved + gave up + lost + unresolved after service": (
            t["journeys_finished"],
            t["journeys_resolved"]
            + t["self_service_gave_up"]
            + t["lost"]
            + t["unresolved_after_service"],
        ),
    }
    broken = [f"{name}: {lhs} != {rhs}" for name, (lhs, rhs) in checks.items() if lhs != rhs]
    if broken:
        raise ConservationError(
            "simulation conservation check failed (a bug in channelopt.simulation, please "
            "report it with the scenario and seed):\n  " + "\n  ".join(broken)
        )
