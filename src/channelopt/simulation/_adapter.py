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
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

import simpy

__all__ = ["ArrivalFeed", "EventLoop"]

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

    def run(self, until: float, feed: ArrivalFeed) -> None:
        """Run events and ``feed`` arrivals in time order up to (excluding) ``until``.

        An arrival goes first when it ties with a heap event. The feed's lists
        are held in locals and re-read only when an event reloaded the feed
        (``generation`` changed): arrivals themselves never reload it.
        """
        queue = self._queue
        pop = heapq.heappop
        env = self._env
        fire = feed.fire
        generation = feed.generation
        times, channels, slots, work, patience = (
            feed.times, feed.channels, feed.slots, feed.work, feed.patience
        )  # fmt: skip
        j0, k, n = feed.j0, 0, len(times)
        while True:
            if k < n:
                ta = times[k]
                if not queue or ta <= queue[0][0]:
                    fire(ta, channels[k], slots[k], j0 + k, work[k], patience[k])
                    k += 1
                    continue
            if not queue:
                break
            head = queue[0]
            if head[0] >= until:
                break
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
