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

    ``times`` is sorted; arrival ``k`` runs ``fire(times[k], *args[k])``. The
    owner reloads the feed at each interval boundary.
    """

    __slots__ = ("args", "cursor", "fire", "n", "times")

    def __init__(self, fire: Callable[..., None]) -> None:
        self.times: list[float] = []
        self.args: list[tuple[Any, ...]] = []
        self.cursor = 0
        self.n = 0
        self.fire = fire

    def load(self, times: list[float], args: list[tuple[Any, ...]]) -> None:
        """Replace the pending arrivals by ``times`` (sorted) with their arguments."""
        self.times = times
        self.args = args
        self.cursor = 0
        self.n = len(times)


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

    def pending(self, callback: Callback) -> Iterator[tuple[float, Any]]:
        """``(time, value)`` of the scheduled events of ``callback`` not run yet."""
        for item in self._queue:
            if len(item) == 5 and item[4] is callback:
                yield item[0], item[3]

    def run(self, until: float, feed: ArrivalFeed) -> None:
        """Run events and ``feed`` arrivals in time order up to (excluding) ``until``."""
        queue = self._queue
        pop = heapq.heappop
        env = self._env
        fire = feed.fire
        while True:
            k = feed.cursor
            if k < feed.n:
                ta = feed.times[k]
                if not queue or ta <= queue[0][0]:
                    feed.cursor = k + 1
                    fire(ta, *feed.args[k])
                    continue
            if not queue or queue[0][0] >= until:
                break
            if len(queue[0]) == 5:
                item = pop(queue)
                item[4](item[0], item[3])
            else:
                env.step()  # a SimPy event
        env._now = until
