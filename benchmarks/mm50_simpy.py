"""The plain baseline: a minimal SimPy M/M/50+M model, one process per customer and a Resource.

This is how a SimPy model is usually written. It is kept here, deliberately
simple, as the yardstick of ``benchmarks/test_simulation.py``: channelopt's
engine must simulate a contact at least 2x faster (same run, same machine; measured
4.3-4.6x, docs/perf/simulation.md).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy


def draws(
    customers: int, *, load: float, aht: float, patience: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The random times of ``customers`` arrivals, in the order they are drawn.

    Shared with the bare heap loop (``bare_heap_mmn.py``), so both simulate the
    same customers.

    Returns
    -------
    gaps, service, patience : numpy.ndarray
        Inter-arrival gaps (mean ``aht / load``), handle times (mean ``aht``)
        and patience (mean ``patience``), all in seconds.
    """
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(aht / load, customers)
    service = rng.exponential(aht, customers)
    return gaps, service, rng.exponential(patience, customers)


def run_mm50(
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
    gaps, service, patience_s = (
        x.tolist() for x in draws(customers, load=load, aht=aht, patience=patience, seed=seed)
    )
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    counts = {"served": 0, "abandoned": 0}

    def customer(i: int) -> Generator[Any, Any, None]:
        with desk.request() as req:
            outcome = yield req | env.timeout(patience_s[i])
            if req in outcome:
                yield env.timeout(service[i])
                counts["served"] += 1
            else:
                counts["abandoned"] += 1

    def source() -> Generator[Any, Any, None]:
        for i in range(customers):
            yield env.timeout(gaps[i])
            env.process(customer(i))

    env.process(source())
    env.run()
    return counts
