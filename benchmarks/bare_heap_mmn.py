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

from mm50_simpy import draws


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

    Same parameters and the same draws (:func:`mm50_simpy.draws`) as
    :func:`mm50_simpy.run_mm50`: agents, offered load (Erlangs), mean handle
    time and mean patience (s), seed.
    """
    gaps, service_a, patience_a = draws(customers, load=load, aht=aht, patience=patience, seed=seed)
    arrival_a = np.cumsum(gaps)
    arrivals = arrival_a.tolist()
    service = service_a.tolist()
    leave = (arrival_a + patience_a).tolist()
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
