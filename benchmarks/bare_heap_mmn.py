"""The floor: a bare heap-loop M/M/n+M in plain Python, with nothing recorded but two counts.

This is the least a Python discrete-event simulation of the queue can do per
contact: arrivals drawn up front with NumPy and merged in time order, one
``heapq`` push and pop per service completion (the event-queue entries of
SimPy's heap), a FIFO ``deque`` of waiting customers with lazy abandonment, a
``deque`` of idle agents. No intervals, journeys, agent time, routing or
closing rules. ``benchmarks/test_simulation.py`` records channelopt's contacts
per CPU-second beside this loop's, in the same run: the ratio is the price of
everything the engine records and decides per contact.
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np


def run_bare(
    customers: int,
    *,
    agents: int = 50,
    load: float = 45.0,
    aht: float = 300.0,
    patience: float = 180.0,
    seed: int = 0,
) -> dict[str, int]:
    """Simulate ``customers`` arrivals to an M/M/n+M queue; returns served and abandoned counts.

    Parameters
    ----------
    customers : int
        Number of arrivals.
    agents, load, aht, patience
        Agents, offered load (Erlangs), mean handle time and mean patience (s).
    seed : int
        Seed of the arrival, service and patience draws.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(aht / load, customers)).tolist()
    service = rng.exponential(aht, customers).tolist()
    leave = (np.asarray(arrivals) + rng.exponential(patience, customers)).tolist()
    heap: list[tuple[float, int, int]] = []  # (completion time, id, agent)
    idle = deque(range(agents))
    waiting: deque[int] = deque()
    served = abandoned = 0
    push, pop = heapq.heappush, heapq.heappop
    k = 0
    while True:
        if k < customers and (not heap or arrivals[k] <= heap[0][0]):
            now = arrivals[k]
            if idle:
                push(heap, (now + service[k], k, idle.popleft()))
            else:
                waiting.append(k)
            k += 1
            continue
        if not heap:
            break
        now, _, a = pop(heap)
        served += 1
        while waiting and leave[waiting[0]] <= now:
            waiting.popleft()
            abandoned += 1
        if waiting:
            i = waiting.popleft()
            push(heap, (now + service[i], i, a))
        else:
            idle.append(a)
    return {"served": served, "abandoned": abandoned + len(waiting)}
