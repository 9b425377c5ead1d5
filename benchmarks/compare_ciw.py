"""CPU per contact of the engine against Ciw on one M/M/n+M queue of any size.

The CI guard (``test_guard_faster_than_ciw``) compares the two at 50 agents.
Ciw keeps its servers in a list and scans it, so its cost per contact grows
with the number of servers; this script gives the comparison at any size.
Usage, from the repository root (the dev extra installed; at 5,000 agents
Ciw takes about 20-30 CPU seconds)::

    .venv/bin/python benchmarks/compare_ciw.py [AGENTS LOAD CIW_ARRIVALS]

Default: 5,000 agents at 4,900 Erlangs, one day of the engine against 20,000
Ciw arrivals (exponential service, mean 300 s; exponential patience, mean
180 s). Both are CPU seconds of this process, per contact.
"""

from __future__ import annotations

import sys
import time

import ciw

from channelopt.simulation import simulate_resolved

# run as a script, this file's folder (benchmarks/) is first on sys.path
from ciw_mm50 import network
from test_simulation import contacts, one_voice_channel


def main(argv: list[str]) -> None:
    """Time one day of the engine and ``CIW_ARRIVALS`` arrivals of Ciw; print both."""
    agents, load, n_ciw = (
        (int(argv[0]), float(argv[1]), int(argv[2])) if argv else (5000, 4900.0, 20_000)
    )
    res = one_voice_channel(agents, load)

    def run():
        return simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0)

    run()  # imports, Numba compilation
    t0 = time.process_time()
    out = run()
    ours = (time.process_time() - t0) / contacts(out)
    ciw.seed(0)
    sim = ciw.Simulation(network(agents=agents, load=load))
    t0 = time.process_time()
    sim.simulate_until_max_time(n_ciw / (load / 300.0))
    theirs = (time.process_time() - t0) / n_ciw
    print(
        f"M/M/{agents}+M at {load:g} Erlangs: engine {ours * 1e6:.2f} us per contact, "
        f"Ciw {theirs * 1e6:.1f} us per arrival: {theirs / ours:.1f}x"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
