"""``method="pooled"`` against ``method="erlang"`` CPU on the generated multi-skill systems.

Issue 11 asks for ``pooled`` at most 3x the CPU of ``erlang``; the guard
(``test_staffing_methods.py``) checks the bundled scenarios, where the kernels
dominate. These small systems (``tests/multiskill.py``: 2-6 skills, 2-5 pools, 8
busy half hours of 48) are where fixed costs show. Per system: five rounds of 100
``erlang`` calls then 100 ``pooled`` calls, CPU per call of the last round and the
median and range of the five ratios.

Run from the repository root (about a minute; writes nothing)::

    .venv/bin/python benchmarks/measure_pooled_generated.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import channelopt as co

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from multiskill import multiskill_doc

SYSTEMS = ((1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5), (5, 5, 2), (6, 2, 3))


def _cpu(call, n: int) -> float:
    t = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - t) / n


def main() -> None:
    for seed, skills, pools in SYSTEMS:
        sc = co.load_scenario(multiskill_doc(seed, skills, pools))
        for method in ("erlang", "pooled"):
            co.staff(sc, method=method)  # compile outside the measurement
        ratios = []
        for _ in range(5):
            erlang = _cpu(lambda sc=sc: co.staff(sc, method="erlang"), 100)
            pooled = _cpu(lambda sc=sc: co.staff(sc, method="pooled"), 100)
            ratios.append(pooled / erlang)
        ratios.sort()
        print(
            f"gen{seed}-{skills}x{pools}: erlang {erlang * 1e3:.2f} ms, pooled "
            f"{pooled * 1e3:.2f} ms, pooled/erlang median {ratios[2]:.2f} "
            f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}); load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
