"""The one place that touches SimPy: its event queue driven as a plain callback loop.

SimPy's :class:`~simpy.core.Environment` keeps the clock and the event heap
(entries ``(time, priority, id, event)``). The engine's events are callbacks
``f(now, value)`` pushed straight onto that heap as 5-tuples and run by
:meth:`EventLoop.run`; anything else on the heap (a SimPy event, should one
ever be scheduled) is run by ``Environment.step``.

Why the internals (``_queue``, ``_eid``, ``_now``) rather than the public API,
measured on the round-2 machine (2 vCPUs, load average 12, CPU time):

* a process and a ``Resource`` request per customer
  (``benchmarks/mm50_simpy.py``) costs 3-4x more per contact than this engine
  (the ``guard`` in ``benchmarks/test_simulation.py``);
* a bare ``Timeout`` with one callback per event, run by ``env.run()``,
  costs 720-750 ns per event against 210-330 ns for the tuple pushed here and
  popped by this loop (200,000 chained events each way; an event object, a
  callback list and ``Environment.step`` per event against one tuple and one
  call). The external arrivals of an interval are not pushed at all: they
are a sorted list merged into the loop (:class:`ArrivalFeed`), which saves a
heap push and pop per contact.

One-at-a-time service completions are not pushed either: their time is known
when the service starts and they are never cancelled, so they wait in a
calendar of their own (:class:`Completions`: a heap of bare floats and a
dict from time to contact) that the loop merges like the arrivals. Why
(session 4, 2 vCPUs shared, load average 5-6, CPU time, 10^6 pop-and-push
pairs): SimPy's heap entries are tuples, and each comparison of a sift
compares two tuples (an equality and an order test of their floats, each a
pointer chase); with 4,900 services pending (M/M/5000) a pop and push took
1,070-1,320 ns against 800 ns for the float heap and dict, 450 against
360 ns with 50 pending. The tuple, its sequence number and the
``schedule`` call are saved as well. Keeping one SimPy entry per pool for
its next completion (the calendar's head) was measured too: the extra push
and pop on the small heap for every completion cost more than they saved
(1,260 ns at 4,900 pending, 780 ns at 50).

Calls. Several hot callables are instance attributes holding a bound method
(``Engine.find_agent``, ``Engine.add_done``, ``LongestIdle.take`` and ``put``,
``Priority.take``). Written ``self.add_done(t, c)``, Python 3.11 compiles a
``LOAD_METHOD`` that cannot specialise on an attribute that is not a method of
the class, and looks it up generically on every call (type, then instance
dictionary); ``f = self.add_done; f(t, c)`` is a specialised attribute load.
The hot paths use the second form. Measured with
``benchmarks/count_instructions.py`` (Callgrind, deterministic to about
0.3 %; session 6): one day of M/M/50+M, 26,870 machine instructions per
contact before, 26,410 after (-1.7 %).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import simpy

__all__ = ["ArrivalFeed", "Completions", "EventLoop"]

Callback = Callable[[float, Any], None]


class ArrivalFeed:
    """Sorted arrivals of the current interval, fired one by one by the loop.

    Arrival ``k`` runs ``fire(times[k], channels[k], slots[k], j0 + k,
    work[k], patience[k])``; ``times`` is sorted. Parallel lists rather than a
    tuple per arrival: the loop passes plain arguments (a specialised call)
    instead of unpacking a tuple, and no tuple is built per contact. The
    owner reloads the feed at each interval boundary (an event of the loop).
    """

    __slots__ = ("channels", "fire", "generation", "j0", "patience", "slots", "times", "work")

    def __init__(self, fire: Callable[..., None]) -> None:
        self.fire = fire
        self.generation = 0
        self.load([], [], [], 0, [], [])

    def load(
        self,
        times: list[float],
        channels: list[int],
        slots: list[int],
        j0: int,
        work: list[float],
        patience: list[float],
    ) -> None:
        """Replace the pending arrivals by ``times`` (sorted) with their arguments."""
        self.times = times
        self.channels = channels
        self.slots = slots
        self.j0 = j0
        self.work = work
        self.patience = patience
        self.generation += 1


class Completions:
    """Completions whose time is fixed when they are scheduled, fired by the loop in time order.

    ``add(t, value)`` files ``callback(t, value)`` for time ``t``; an entry
    cannot be cancelled. ``times`` is a heap of the pending times (floats)
    above an infinite sentinel (the loop reads its head without a test),
    ``items`` maps a time to its value; values that share a time with an
    earlier one (constant handle times) queue in ``more`` and fire in the
    order they were added. The loop runs a completion after the arrivals and
    the heap events of the same time.
    """

    __slots__ = ("callback", "items", "more", "times")

    def __init__(self, callback: Callback) -> None:
        self.callback = callback
        self.times: list[float] = [math.inf]
        self.items: dict[float, Any] = {}
        self.more: dict[float, deque[Any]] = {}

    def add(self, t: float, value: Any) -> None:
        """File ``callback(t, value)`` for time ``t`` (seconds)."""
        if self.items.setdefault(t, value) is not value:  # a tie: after the earlier ones
            self.more.setdefault(t, deque()).append(value)
        heapq.heappush(self.times, t)

    def __len__(self) -> int:
        return len(self.times) - 1  # the sentinel

    def pending(self) -> Iterator[tuple[float, Any]]:
        """``(time, value)`` of the completions not run yet (in no particular order)."""
        yield from self.items.items()
        for t, values in self.more.items():
            for value in values:
                yield t, value


class EventLoop:
    """The event loop: SimPy's heap and clock, callbacks ``f(now, value)``."""

    __slots__ = ("_eid", "_env", "_queue")

    def __init__(self) -> None:
        self._env = simpy.Environment()
        self._queue: list[Any] = self._env._queue
        self._eid = self._env._eid

    def scheduler(self) -> Callable[[float, Callback, Any], None]:
        """A fast ``schedule(time, callback, value)`` bound to this loop."""
        queue, next_id, push = self._queue, self._eid.__next__, heapq.heappush

        def schedule(t: float, callback: Callback, value: Any) -> None:
            push(queue, (t, 1, next_id(), value, callback))

        return schedule

    @property
    def env(self) -> simpy.Environment:
        """The SimPy environment (its own events may be scheduled on it too)."""
        return self._env

    def pending(self, callback: Callback) -> Iterator[tuple[float, Any]]:
        """``(time, value)`` of the scheduled events of ``callback`` not run yet."""
        for item in self._queue:
            if len(item) == 5 and item[4] is callback:
                yield item[0], item[3]

    def run(self, until: float, feed: ArrivalFeed, completions: Completions | None = None) -> None:
        """Run events, ``feed`` arrivals and ``completions`` in time order before ``until``.

        At equal times an arrival goes first, then a heap event, then a
        completion. The feed's lists are held in locals and re-read only when
        a heap event reloaded the feed (``generation`` changed): arrivals and
        completions never reload it.
        """
        queue = self._queue
        pop = heapq.heappop
        env = self._env
        fire = feed.fire
        if completions is None:
            completions = Completions(lambda t, value: None)
        ctimes, citems, cmore, done = (
            completions.times, completions.items, completions.more, completions.callback
        )  # fmt: skip
        inf = math.inf
        generation = feed.generation
        times, channels, slots, work, patience = (
            feed.times, feed.channels, feed.slots, feed.work, feed.patience
        )  # fmt: skip
        j0, k, n = feed.j0, 0, len(times)
        while True:
            tc = ctimes[0]  # inf (the sentinel) when none is pending
            if k < n:
                ta = times[k]
                if ta <= tc and (not queue or ta <= queue[0][0]):
                    fire(ta, channels[k], slots[k], j0 + k, work[k], patience[k])
                    k += 1
                    continue
            th = queue[0][0] if queue else inf
            if tc < th:
                if tc >= until:
                    break
                pop(ctimes)
                value = citems.pop(tc)
                if cmore and tc in cmore:  # the next of the values sharing this time
                    tied = cmore[tc]
                    citems[tc] = tied.popleft()
                    if not tied:
                        del cmore[tc]
                done(tc, value)
                continue
            if th >= until:
                break
            head = queue[0]
            if len(head) == 5:
                t, _, _, value, callback = pop(queue)
                callback(t, value)
            else:
                env.step()  # a SimPy event
            if feed.generation != generation:  # an interval boundary reloaded the feed
                generation = feed.generation
                times, channels, slots, work, patience = (
                    feed.times, feed.channels, feed.slots, feed.work, feed.patience
                )  # fmt: skip
                j0, k, n = feed.j0, 0, len(times)
        env._now = until
