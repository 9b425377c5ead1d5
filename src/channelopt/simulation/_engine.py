"""One replication of the contact-centre simulation: the event handlers.

The parts (each in its own module, each tested on its own):

* :mod:`._sources` - external arrivals per interval; the closed-hours policy;
* :mod:`._routing` - the router and the routing policies (agent selection,
  skill selection, overflow eligibility);
* :mod:`._queues` - contacts and per-channel FIFO queues (lazy deletion);
* :mod:`._agents` - agent groups, on duty and leaving, staffing changes;
* :mod:`._recorder` - counters, agent time, journeys, conservation;
* :mod:`._adapter` - SimPy's event queue as the loop (the only SimPy use).

:class:`Engine` holds one handler per event, and each event has exactly one
code path: an arrival (:meth:`enter`, through :meth:`arrive` when it may reach
a closed channel), the end of a service (:meth:`on_done`, :meth:`on_chat_done`),
the end of a wrap-up (:meth:`on_wrap`), a contact leaving its queue
(:meth:`expired`: patience or ``max_wait``), an overflow delay passing
(:meth:`on_overflow`), a freed agent looking for work (:meth:`agent_free`), and
an interval boundary (:meth:`on_boundary`: closing, staffing, arrivals).
DESIGN.md "What happens to a contact" is the specification.

The module is private: :func:`channelopt.simulation.simulate` is the API.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._adapter import ArrivalFeed, Completions, EventLoop
from ._agents import Agents
from ._model import (
    CONCURRENT,
    DEFERRED,
    LIVE,
    ON_TIMEOUT_LOST,
    ON_TIMEOUT_RETRY,
    ON_TIMEOUT_TO,
    SELF_SERVICE,
    SKILL_LONGEST_WAITING,
    Model,
)
from ._queues import (
    F_AGENT,
    F_ARRIVAL,
    F_CHANNEL,
    F_JOURNEY,
    F_LAST,
    F_LEAVE,
    F_SLOT,
    F_STATE,
    F_TIMEOUT,
    F_VERSION,
    F_WORK,
    IN_SERVICE,
    WAITING,
    Contact,
    Queues,
    new_contact,
)
from ._random import Buffer
from ._recorder import ConservationError, Outcome, Recorder, check_conservation
from ._routing import LongestWaiting, LongestWaitingHeadStart, Priority, Router
from ._sources import ArrivalSource, closed_hours_policy

__all__ = ["ConservationError", "ReplicationOutput", "run_replication"]

_ABANDONED, _BLOCKED, _BALKED = Outcome.ABANDONED, Outcome.BLOCKED, Outcome.BALKED
_TIMED_OUT, _DISCONNECTED = Outcome.TIMED_OUT, Outcome.DISCONNECTED
_INF = math.inf


@dataclass
class ReplicationOutput:
    """Raw arrays of one replication (all days, warm-up included).

    ``counters``: ``(G, C)`` per counter, plus ``busy`` and ``wrap`` ``(G, P,
    C)`` and ``duty`` ``(G, P)`` agent-seconds; ``journeys`` one entry per
    external arrival; ``conservation`` the balanced totals.
    """

    counters: dict[str, np.ndarray]
    journeys: dict[str, np.ndarray]
    conservation: dict[str, int]


def run_replication(
    res: Any,
    staffing: np.ndarray,
    seed: np.random.SeedSequence,
    n_days: int,
    forecast_error: bool = False,
    first_day: int = 0,
) -> ReplicationOutput:
    """Simulate ``n_days`` days of one replication.

    Parameters
    ----------
    res : Resolved
        The resolved scenario period.
    staffing : ndarray of int, shape (D, I, P) or (I, P)
        Agents on duty per day of the week, interval of the day and pool.
    seed : numpy.random.SeedSequence
        Seed of this replication; eight independent streams (one per purpose)
        are spawned from it.
    n_days : int
        Days to simulate (warm-up days included; the caller discards them).
    forecast_error : bool
        Scale each day's volume of a channel by a gamma factor with mean 1 and
        the channel's ``forecast_error`` as coefficient of variation.
    first_day : int
        The run day that uses the first day of ``staffing`` (the number of
        warm-up days: the first reported day is the table's first day).

    Returns
    -------
    ReplicationOutput
    """
    # The hot paths allocate no reference cycles; the cyclic collector would only
    # walk the growing record lists again and again (about 15 % of the run time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        model = Model.from_resolved(res, first_day)
        engine = Engine(model, staffing, seed, n_days, forecast_error, first_day)
        return engine.run()
    finally:
        if enabled:
            gc.enable()


class Engine:
    """The event handlers of one replication (see the module docs)."""

    # Slots, not an instance dictionary: with more than 30 attributes CPython 3.11
    # turns the dictionary into a plain one, on which ``self.start(...)`` is looked
    # up generically on every call; on a slotted class the method and attribute
    # loads specialise.
    __slots__ = (
        "C",
        "G",
        "I",
        "L",
        "T_END",
        "W",
        "add_done",
        "agent_base",
        "agent_channel",
        "agent_factor",
        "agent_leaving",
        "agent_load",
        "agent_pool",
        "agents",
        "balking",
        "bit",
        "busy_acc",
        "busy_n",
        "c_answered",
        "c_completed",
        "c_contained",
        "c_gave_up",
        "c_handed_off",
        "c_lost",
        "c_offered",
        "c_resolved",
        "c_within",
        "cb_boundary",
        "cb_chat_done",
        "cb_delayed",
        "cb_held",
        "cb_leave",
        "cb_overflow",
        "cb_wrap",
        "closed",
        "completions",
        "conc",
        "deferred_skills",
        "draw_patience",
        "draw_work",
        "e_delay",
        "feed",
        "find_agent",
        "handoff_rows",
        "in_system",
        "j_contacts",
        "j_end",
        "j_mask",
        "j_qwait",
        "j_resolved",
        "j_wait",
        "kind",
        "lines",
        "loop",
        "m",
        "max_wait",
        "open",
        "overflow",
        "queue_capacity",
        "queues",
        "rates",
        "rec",
        "resolution",
        "router",
        "schedule",
        "selection",
        "skill_selection",
        "source",
        "stretch",
        "timer",
        "u_route",
        "wait_sum",
        "within",
        "wrap_acc",
        "wrap_n",
        "wrap_up",
    )

    def __init__(
        self,
        model: Model,
        staffing: np.ndarray,
        seed: np.random.SeedSequence,
        n_days: int,
        forecast_error: bool,
        first_day: int = 0,
    ) -> None:
        m = self.m = model
        C, P = m.C, m.P
        self.C, self.I, self.L = C, m.I, m.L
        self.G = n_days * m.I
        self.T_END = self.G * m.L
        # per-purpose generators: arrivals, first-attempt handle times and patience
        # (common random numbers across staffings), later handle times and patience,
        # routing decisions, delays, closed-hours spreading
        (
            rng_arrivals,
            rng_first_handle,
            rng_first_patience,
            rng_handle,
            rng_patience,
            rng_routing,
            rng_delay,
            rng_closed,
        ) = (np.random.default_rng(s) for s in seed.spawn(8))
        self.u_route = Buffer(rng_routing.random).next
        self.e_delay = Buffer(rng_delay.standard_exponential).next
        self.draw_work = [
            Buffer(lambda n, f=f: f(rng_handle, n)).next  # type: ignore[misc]
            for f in m.handle
        ]
        self.draw_patience = [
            Buffer(lambda n, f=f: f(rng_patience, n)).next  # type: ignore[misc]
            for f in m.patience
        ]

        self.rec = rec = Recorder(self.G, C, P, m.L)
        cnt = rec.count
        self.c_offered = cnt["offered"]
        self.c_answered = cnt["answered"]
        self.c_within = cnt["answered_within_target"]
        self.c_lost = cnt["lost"]
        self.c_completed = cnt["completed"]
        self.c_handed_off = cnt["handed_off"]
        self.c_contained = cnt["contained"]
        self.c_gave_up = cnt["gave_up"]
        self.c_resolved = cnt["resolved"]

        self.queues = Queues(C, self.expire)
        self.agents = Agents(m, staffing, rec, self.u_route, first_day)
        self.router = Router(m.routing, self.agents.selection, self.agents.partial)
        # the agents' and queues' lists read on every contact, as engine attributes
        self.agent_pool = self.agents.pool
        self.agent_load = self.agents.load
        # per agent: the handle-time factors of its pool, by channel
        self.agent_factor = [m.handle_factor[p] for p in self.agents.pool]
        self.agent_leaving = self.agents.leaving
        self.agent_channel = self.agents.channel
        self.wait_sum = rec.wait_sum
        self.selection = self.agents.selection
        self.in_system = self.queues.in_system
        self.busy_acc, self.busy_n = rec.busy_acc, rec.busy_n
        self.wrap_acc, self.wrap_n = rec.wrap_acc, rec.wrap_n
        rec.slot_weight = [1.0 / m.conc[c] for p in range(P) for c in range(C)]
        # per agent: its pool's first index in the pool-and-channel records
        self.agent_base = [p * C for p in self.agents.pool]
        self.find_agent = self.router.find_agent
        # per pool: its live skills with their overflow delays; its deferred skills
        skills = [
            [
                (c, m.after[p][c])
                for c in self._skills_in_order(p)
                if m.kind[c] in (LIVE, CONCURRENT)
            ]
            for p in range(P)
        ]
        self.skill_selection: list[LongestWaiting | LongestWaitingHeadStart | Priority] = [
            (LongestWaiting if m.skill_selection[p] == SKILL_LONGEST_WAITING else Priority)(
                skills[p], self.queues
            )
            for p in range(P)
        ]
        for p in range(P):  # priority classes: only pools with a head start pay for it
            if m.skill_selection[p] == SKILL_LONGEST_WAITING and any(
                m.head_start[c] > 0.0 for c, _after in skills[p]
            ):
                self.skill_selection[p] = LongestWaitingHeadStart(
                    skills[p], self.queues, m.head_start
                )
        self.deferred_skills = [
            [c for c in self._skills_in_order(p) if m.kind[c] == DEFERRED] for p in range(P)
        ]
        self.overflow = [[(p, a) for p, a in row if a > 0.0] for row in m.routing]
        # A timer at a contact's leave time where the exact moment matters: a
        # retrial or a move must start then, or a count limits later arrivals.
        self.timer = [
            m.retrial_probability > 0.0
            or math.isfinite(m.lines[c])
            or math.isfinite(m.queue_capacity[c])
            or (math.isfinite(m.max_wait[c]) and m.on_timeout[c] != ON_TIMEOUT_LOST)
            for c in range(C)
        ]
        # open intervals of the cycle: a day, or the simulated week (m.W intervals)
        self.W = m.W
        self.open = [[bool(m.open_mask[i, c]) for i in range(m.W)] for c in range(C)]
        self.closed = closed_hours_policy(m, Buffer(rng_closed.random).next)
        self.bit = [1 << c for c in range(C)]
        # per-channel constants read on every contact, as attributes of the engine
        self.wrap_up = m.wrap_up
        self.kind = m.kind
        self.lines = m.lines
        self.queue_capacity = m.queue_capacity
        self.balking = m.balking
        self.max_wait = m.max_wait
        self.within = m.within
        self.conc = m.conc
        self.stretch = m.stretch
        # rates[c][k]: speed of a chat while its agent carries k (k >= 1)
        self.rates = [
            [0.0] + [self._rate(self.stretch[c], m.conc[c], k) for k in range(1, m.conc[c] + 1)]
            for c in range(C)
        ]
        self.handoff_rows = m.handoff_rows
        self.resolution = m.resolution
        self._read_journey_views()
        self.source = ArrivalSource(
            m, rec, rng_arrivals, rng_first_handle, rng_first_patience, forecast_error
        )
        self.loop = EventLoop()
        self.schedule = self.loop.scheduler()
        self.feed = ArrivalFeed(self.admit)
        # Each event handler bound once: a heap entry holds its callback, and
        # ``self.on_wrap`` read from the class builds a new bound method per event.
        # The bound handlers sit in slots named ``cb_*`` (a slot cannot share the
        # name of a method).
        self.cb_held = self.on_held
        self.cb_delayed = self.on_delayed
        self.cb_leave = self.on_leave
        self.cb_overflow = self.on_overflow
        self.cb_chat_done = self.on_chat_done
        self.cb_wrap = self.on_wrap
        self.cb_boundary = self.on_boundary
        # the end of a one-at-a-time service: known at its start, never cancelled
        self.completions = Completions(self.on_done)
        self.add_done = self.completions.add

    def _read_journey_views(self) -> None:
        # the recorder's views of the journey records, renewed when a day's journeys open
        rec = self.rec
        self.j_contacts = rec.j_contacts
        self.j_mask = rec.j_mask
        self.j_wait = rec.j_wait
        self.j_qwait = rec.j_qwait
        self.j_end = rec.j_end
        self.j_resolved = rec.j_resolved

    def _skills_in_order(self, p: int) -> list[int]:
        # the channels pool p may serve (its routing), in the pool's skill order
        m = self.m
        eligible = [c for c in range(m.C) if math.isfinite(m.after[p][c])]
        order = [c for c in m.pool_skills[p] if c in eligible]
        return order + [c for c in eligible if c not in order]

    # ------------------------------------------------------------------ arrivals
    def arrive(self, now: float, c: int, j: int, work: float, patience: float) -> None:
        """A hand-off, repeat, retrial or move reaches channel ``c``: closed hours apply."""
        g = int(now / self.L)
        if self.open[c][g % self.W]:
            self.enter(now, c, j, work, patience)
            return
        t = self.closed.when(now, g, c)
        if t < 0.0:
            self.rec.tally["closed_lost"] += 1
            self.c_lost[g * self.C + c] += 1
            self.rec.end_journey(j, now, 0)
        elif t <= now:
            self.enter(now, c, j, work, patience)
        else:
            self.rec.tally["scheduled"] += 1
            self.schedule(t, self.cb_held, (c, j, work, patience))

    def on_held(self, now: float, value: tuple[int, int, float, float]) -> None:
        """A contact held by the closed-hours policy is offered now."""
        self.rec.tally["fired"] += 1
        c, j, work, patience = value
        self.enter(now, c, j, work, patience)

    def on_delayed(self, now: float, value: tuple[int, int]) -> None:
        """A retrial or repeat comes back now (fresh handle time and patience)."""
        self.rec.tally["fired"] += 1
        c, j = value
        self.arrive(now, c, j, self.draw_work[c](), self.draw_patience[c]())

    def enter(self, now: float, c: int, j: int, work: float, patience: float) -> None:
        """A hand-off, repeat, retrial or move is offered to channel ``c`` (open) now."""
        slot = int(now / self.L) * self.C + c
        self.c_offered[slot] += 1
        self.j_contacts[j] += 1
        self.j_mask[j] |= self.bit[c]
        self.admit(now, c, slot, j, work, patience)

    def admit(self, now: float, c: int, slot: int, j: int, work: float, patience: float) -> None:
        """An offered contact (counted) meets channel ``c``: self-service, limits, agent, queue.

        External arrivals come here straight from the feed: the source counted
        them as offered and opened their journeys (:meth:`enter` does that
        for the others).
        """
        kind = self.kind[c]
        if kind == SELF_SERVICE:
            self.self_service(now, c, j, slot)
            return
        if self.in_system[c] >= self.lines[c]:
            self.unserved(now, now, c, j, slot, _BLOCKED)
            return
        find_agent = self.find_agent  # a plain attribute load: see _adapter's "Calls"
        a = find_agent(c, kind == CONCURRENT)
        if a >= 0:
            self.in_system[c] += 1
            self.start(now, a, [j, c, now, slot, _INF, IN_SERVICE, work, 0.0, -1, 0, 0.0, False])
            return
        queues = self.queues
        if kind != DEFERRED:
            if queues.waiting[c] >= self.queue_capacity[c]:
                self.unserved(now, now, c, j, slot, _BLOCKED)
                return
            b = self.balking[c]
            if b > 0.0 and self.u_route() < b:
                self.unserved(now, now, c, j, slot, _BALKED)
                return
        max_wait = self.max_wait[c]
        if patience < max_wait:
            leave = now + patience
            contact = new_contact(j, c, now, slot, leave, work, False)
        else:
            leave = now + max_wait
            contact = new_contact(j, c, now, slot, leave, work, True)
        queues.push(contact)
        if self.timer[c] and leave < self.T_END:
            self.schedule(leave, self.cb_leave, contact)
        for p, after in self.overflow[c]:
            t = now + after
            if t < leave and t < self.T_END:
                self.schedule(t, self.cb_overflow, (contact, p))

    def self_service(self, now: float, c: int, j: int, slot: int) -> None:
        """A bot or IVR contact: contained, handed off or gives up."""
        m = self.m
        if self.u_route() < m.containment[c]:
            self.c_contained[slot] += 1
            self.rec.end_journey(j, now, 1)
            return
        u = self.u_route()
        for cum, target in m.handoff_rows[c]:
            if u < cum:
                self.c_handed_off[slot] += 1
                self.rec.j_handoffs[j] += 1
                self.arrive(now, target, j, self.draw_work[target](), self.draw_patience[target]())
                return
        self.c_gave_up[slot] += 1
        self.rec.end_journey(j, now, 0)

    # ------------------------------------------------------------ leaving unserved
    def on_leave(self, now: float, contact: Contact) -> None:
        """Timer at a waiting contact's leave time (patience or ``max_wait``)."""
        if contact[F_STATE] == WAITING:
            self.queues.leave(contact)
            self.expire(contact, now)

    def expire(self, contact: Contact, now: float) -> None:
        """A contact left its queue at its leave time (recorded at that time)."""
        t = contact[F_LEAVE]
        outcome = _TIMED_OUT if contact[F_TIMEOUT] else _ABANDONED
        self.unserved(
            now, t, contact[F_CHANNEL], contact[F_JOURNEY], contact[F_SLOT], outcome,
            t - contact[F_ARRIVAL],
        )  # fmt: skip

    def unserved(
        self,
        now: float,
        t: float,
        c: int,
        j: int,
        slot: int,
        outcome: Outcome,
        waited: float = 0.0,
    ) -> None:
        """An attempt ended without service at ``t``: retry, move or end the journey."""
        m = self.m
        rec = self.rec
        rec.count[outcome][slot] += 1
        rec.j_abandons[j] += 1
        if waited > 0.0:
            rec.j_wait[j] += waited
            rec.j_qwait[j] += waited
        if outcome is _TIMED_OUT:
            mode = m.on_timeout[c]
            if mode == ON_TIMEOUT_TO:
                rec.tally["timeouts_moved"] += 1
                target = m.timeout_target[c]
                self.arrive(t, target, j, self.draw_work[target](), self.draw_patience[target]())
                return
            retry = mode == ON_TIMEOUT_RETRY
        else:
            retry = outcome is not _DISCONNECTED
        p = m.retrial_probability
        if retry and p > 0.0 and self.u_route() < p:
            rec.tally["retrials_scheduled"] += 1
            rec.tally["scheduled"] += 1
            rec.j_retrials[j] += 1
            delay = m.retrial_delay if m.retrial_constant else m.retrial_delay * self.e_delay()
            self.schedule(max(t + delay, now), self.cb_delayed, (c, j))
            return
        self.c_lost[slot] += 1
        rec.end_journey(j, t, 0)

    # ------------------------------------------------------------ service
    def start(self, now: float, a: int, contact: Contact, reschedule: bool = True) -> None:
        """Agent ``a`` starts serving ``contact`` now (already taken: state ``IN_SERVICE``)."""
        c = contact[F_CHANNEL]
        slot = contact[F_SLOT]
        contact[F_AGENT] = a
        wait = now - contact[F_ARRIVAL]
        self.c_answered[slot] += 1
        if wait <= self.within[c]:
            self.c_within[slot] += 1
        if wait > 0.0:
            j = contact[F_JOURNEY]
            self.wait_sum[slot] += wait
            self.j_wait[j] += wait
            if self.kind[c] != DEFERRED:
                self.j_qwait[j] += wait
        pc = self.agent_base[a] + c
        self.busy_acc[pc] -= now
        self.busy_n[pc] += 1
        work = contact[F_WORK] * self.agent_factor[a][c]
        self.agent_channel[a] = c
        load = self.agent_load
        k = load[a] + 1
        load[a] = k
        conc = self.conc[c]
        if conc == 1:
            add_done = self.add_done  # a plain attribute load: see _adapter's "Calls"
            add_done(now + work, contact)
            return
        contact[F_WORK] = work  # what is left of it, as the chat's speed changes
        p = self.agent_pool[a]
        agents = self.agents
        mine = agents.chats[a]
        if k < conc and not agents.leaving[a]:
            agents.partial[p][c][k].add(a)
        if reschedule and mine and self.stretch[c] > 0.0:
            self.advance(now, a, c, k - 1)
            self.reschedule_all(now, a, c, k)
        mine.append(contact)
        contact[F_LAST] = now
        self.schedule(now + work / self.rates[c][k], self.cb_chat_done, (contact, 0))

    @staticmethod
    def _rate(stretch: float, conc: int, k: int) -> float:
        """Speed of a chat while its agent carries ``k`` (1 at full concurrency)."""
        return (1.0 + stretch * (conc - 1)) / (1.0 + stretch * (k - 1))

    def advance(self, now: float, a: int, c: int, k: int) -> None:
        """The agent's chats progressed at ``rates[c][k]`` since their last update."""
        r = self.rates[c][k]
        for ch in self.agents.chats[a]:
            ch[F_WORK] -= (now - ch[F_LAST]) * r
            ch[F_LAST] = now

    def reschedule_all(self, now: float, a: int, c: int, k: int) -> None:
        """The load changed: new completion times; the old events become stale."""
        r = self.rates[c][k]
        for ch in self.agents.chats[a]:
            ch[F_VERSION] += 1
            self.schedule(now + max(ch[F_WORK], 0.0) / r, self.cb_chat_done, (ch, ch[F_VERSION]))

    def on_done(self, now: float, contact: Contact) -> None:
        """A one-at-a-time service ends: record, route the customer, wrap up."""
        a = contact[F_AGENT]
        c = contact[F_CHANNEL]
        self.in_system[c] -= 1
        pc = self.agent_base[a] + c
        self.busy_acc[pc] += now
        self.busy_n[pc] -= 1
        self.finish(now, contact)
        w = self.wrap_up[c]
        if w > 0.0:
            self.wrap_acc[pc] -= now
            self.wrap_n[pc] += 1
            self.schedule(now + w, self.cb_wrap, (a, c))
        else:
            self.agent_load[a] = 0
            self.agent_free(now, a)

    def on_chat_done(self, now: float, value: tuple[Contact, int]) -> None:
        """A chat ends (unless a change of its agent's load superseded this event)."""
        contact, version = value
        if version != contact[F_VERSION] or contact[F_STATE] != IN_SERVICE:
            return
        a = contact[F_AGENT]
        c = contact[F_CHANNEL]
        agents = self.agents
        if self.stretch[c] > 0.0:
            self.advance(now, a, c, agents.load[a])
        agents.chats[a].remove(contact)
        self.queues.in_system[c] -= 1
        pc = self.agent_base[a] + c
        self.busy_acc[pc] += now
        self.busy_n[pc] -= 1
        self.finish(now, contact)
        w = self.wrap_up[c]
        if w > 0.0:
            self.wrap_acc[pc] -= now
            self.wrap_n[pc] += 1
            self.schedule(now + w, self.cb_wrap, (a, c))
        else:
            self.release(now, a, c)

    def on_wrap(self, now: float, value: tuple[int, int]) -> None:
        """A wrap-up ends."""
        a, c = value
        pc = self.agent_base[a] + c
        self.wrap_acc[pc] += now
        self.wrap_n[pc] -= 1
        self.release(now, a, c)

    def release(self, now: float, a: int, c: int) -> None:
        """A contact slot of agent ``a`` (channel ``c``) is free: refill it or free the agent."""
        agents = self.agents
        load = agents.load
        m = self.m
        conc = m.conc[c]
        if conc == 1:
            load[a] = 0
            self.agent_free(now, a)
            return
        p = agents.pool[a]
        k_old = load[a]
        if self.stretch[c] > 0.0:
            self.advance(now, a, c, k_old)
        if k_old < conc:
            agents.partial[p][c][k_old].discard(a)
        k = k_old - 1
        load[a] = k
        if not agents.leaving[a]:
            nxt = self.next_for(p, c, now)
            if nxt is not None:
                self.start(now, a, nxt, reschedule=False)  # load back to k_old: rates unchanged
                return
        if k > 0:
            if not agents.leaving[a]:
                agents.partial[p][c][k].add(a)
            if self.stretch[c] > 0.0:
                self.reschedule_all(now, a, c, k)
            return
        self.agent_free(now, a)

    def next_for(self, p: int, c: int, now: float) -> Contact | None:
        """The head of channel ``c``'s queue if pool ``p`` may take it now (removed)."""
        return self.queues.take(c, now, self.m.after[p][c])

    def agent_free(self, now: float, a: int) -> None:
        """Agent ``a`` carries nothing: leave, take the next contact, or go idle."""
        if self.agent_leaving[a]:
            self.agents.retire(now, a)
            return
        p = self.agent_pool[a]
        nxt = self.skill_selection[p].choose(now)
        if nxt is not None:
            c = nxt[F_CHANNEL]
            self.start(now, a, nxt)
            if self.conc[c] > 1:
                self.top_up(now, a, c)
            return
        deferred = self.deferred_skills[p]
        if deferred:
            take = self.queues.take
            for c in deferred:
                nxt = take(c, now, 0.0)
                if nxt is not None:
                    self.start(now, a, nxt)
                    return
        put = self.selection[p].put  # a plain attribute load: see _adapter's "Calls"
        put(a)

    def top_up(self, now: float, a: int, c: int) -> None:
        """A chat agent takes further waiting chats up to its concurrency."""
        agents = self.agents
        conc = self.m.conc[c]
        p = agents.pool[a]
        while agents.load[a] < conc:
            nxt = self.next_for(p, c, now)
            if nxt is None:
                return
            agents.partial[p][c][agents.load[a]].discard(a)
            self.start(now, a, nxt)

    def on_overflow(self, now: float, value: tuple[Contact, int]) -> None:
        """A waiting contact has waited long enough for pool ``p``: a free agent there takes it."""
        contact, p = value
        if contact[F_STATE] != WAITING or contact[F_LEAVE] <= now:
            return
        c = contact[F_CHANNEL]
        a = self.router.pool_agent(p, c, self.m.kind[c] == CONCURRENT)
        if a >= 0:
            self.queues.taken(contact)
            self.start(now, a, contact)

    def finish(self, now: float, contact: Contact) -> None:
        """The customer's part is over: hand-off, resolution or repeat."""
        c = contact[F_CHANNEL]
        slot = contact[F_SLOT]
        j = contact[F_JOURNEY]
        self.c_completed[slot] += 1
        if self.kind[c] == DEFERRED and now - contact[F_ARRIVAL] <= self.m.deadline[c]:
            self.c_within[slot] += 1
        rows = self.handoff_rows[c]
        if rows:
            u = self.u_route()
            if u < rows[-1][0]:
                for cum, target in rows:  # noqa: B007 - the first row above u
                    if u < cum:
                        break
                self.c_handed_off[slot] += 1
                self.rec.j_handoffs[j] += 1
                self.arrive(now, target, j, self.draw_work[target](), self.draw_patience[target]())
                return
        r = self.resolution[c]
        if r >= 1.0 or (r > 0.0 and self.u_route() < r):
            self.c_resolved[slot] += 1
            self.j_end[j] = now
            self.j_resolved[j] = 1
            return
        m = self.m
        rec = self.rec
        u = self.u_route() if m.repeat_rows[c] else 1.0
        for cum, target in m.repeat_rows[c]:
            if u < cum:
                rec.tally["repeats_scheduled"] += 1
                rec.tally["scheduled"] += 1
                rec.j_repeats[j] += 1
                d = m.repeat_delay if m.repeat_constant else m.repeat_delay * self.e_delay()
                self.schedule(now + d, self.cb_delayed, (target, j))
                return
        rec.tally["unresolved_after_service"] += 1
        rec.end_journey(j, now, 0)

    # ------------------------------------------------------------ intervals
    def on_boundary(self, now: float, g: int) -> None:
        """Interval ``g`` starts: channels close, staffing changes, arrivals are drawn."""
        i = g % self.I
        if g > 0:
            self.rec.close_interval(g - 1, now)
            w, prev = g % self.W, (g - 1) % self.W  # in the cycle of open intervals
            for c in range(self.C):
                if self.m.clear_at_close[c] and self.open[c][prev] and not self.open[c][w]:
                    self.disconnect(now, c)
        self.agents.set_staffing(now, g // self.I, i, self.agent_free, self.top_up)
        self.feed.load(*self.source.generate(g))
        # generate may open journeys (a new day's), which renews the recorder's views;
        # re-reading them at every boundary (a few loads an interval) keeps the engine
        # free of knowing when the source does that
        self._read_journey_views()
        if g + 1 < self.G:
            self.schedule((g + 1) * self.L, self.cb_boundary, g + 1)

    def disconnect(self, now: float, c: int) -> None:
        """``at_close: clear``: every contact still waiting in channel ``c`` is disconnected."""
        for contact in self.queues.drain(c):
            if contact[F_LEAVE] <= now:
                self.expire(contact, now)
            else:
                self.unserved(
                    now, now, c, contact[F_JOURNEY], contact[F_SLOT], _DISCONNECTED,
                    now - contact[F_ARRIVAL],
                )  # fmt: skip

    # ------------------------------------------------------------ the run
    def run(self) -> ReplicationOutput:
        """Run the replication and return its raw records (conservation checked)."""
        self.schedule(0.0, self.cb_boundary, 0)
        self.loop.run(self.T_END, self.feed, self.completions)
        return self._close()

    def _close(self) -> ReplicationOutput:
        T = self.T_END
        m = self.m
        rec = self.rec
        agents = self.agents
        waiting_end = 0
        for contact in self.queues.remaining():
            if contact[F_LEAVE] <= T:
                self.queues.leave(contact)
                self.expire(contact, T)
            else:
                waiting_end += 1
                waited = T - contact[F_ARRIVAL]
                j = contact[F_JOURNEY]
                rec.j_wait[j] += waited
                if m.kind[contact[F_CHANNEL]] != DEFERRED:
                    rec.j_qwait[j] += waited
        # services and wrap-ups still running count up to T in the last interval
        rec.close_interval(self.G - 1, T)
        in_service = len(self.completions)
        in_service += sum(len(chats) for chats in agents.chats)
        for p in range(m.P):
            agents.flush_duty(p, T)
        pending = rec.tally["scheduled"] - rec.tally["fired"]
        balances = rec.balances(
            [k == SELF_SERVICE for k in m.kind], waiting_end, in_service, pending
        )
        check_conservation(balances)
        counters, journeys = rec.arrays()
        return ReplicationOutput(counters=counters, journeys=journeys, conservation=balances)
