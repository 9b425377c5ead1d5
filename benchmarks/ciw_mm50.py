"""M/M/50+M in Ciw: the independent simulator of the same-run speed guard.

Ciw (a dev dependency, https://ciw.readthedocs.io) simulates open queueing
networks with a process-free event scheduler of its own; it is a fair
reference for "a general-purpose discrete-event simulator written in Python".
``run_ciw(n)`` simulates about ``n`` customers of one node with 50 servers,
exponential service (mean 300 s) and exponential patience (mean 180 s).
"""

from __future__ import annotations

import ciw


def network(agents: int = 50, load: float = 45.0, aht: float = 300.0, patience: float = 180.0):
    """The Ciw network of one M/M/n+M node."""
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=load / aht)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / aht)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / patience)],
    )


def run_ciw(n_customers: int, seed: int = 0, load: float = 45.0, aht: float = 300.0) -> int:
    """Simulate about ``n_customers`` arrivals; returns the records Ciw collected."""
    ciw.seed(seed)
    sim = ciw.Simulation(network(load=load, aht=aht))
    sim.simulate_until_max_time(n_customers / (load / aht))
    return len(sim.get_all_records())
