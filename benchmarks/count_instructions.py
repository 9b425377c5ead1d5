"""Instructions per contact of the simulation engine, counted by Valgrind (noise-free).

CPU time per contact on the shared 2-vCPU machine varies by a quarter or
more between identical runs (docs/performance.md, session 6), so a 5 % change
of the engine cannot be seen in a handful of timings. The number of machine
instructions the interpreter executes for one simulated day does not depend
on the load: this script counts them with Callgrind, instrumenting only the
measured call (imports, Numba compilation and a first warm-up day run
uninstrumented), and prints them per contact.

Usage, from the repository root (Valgrind installed; about 20 s)::

    .venv/bin/python benchmarks/count_instructions.py [AGENTS LOAD DAYS]

The default is the CI guard's queue: M/M/50+M at 45 Erlangs, one day (the
same call ``test_guard_faster_than_ciw`` times). Compare two versions of the
code by running it on each: fewer instructions per contact is a faster engine
on any load (instruction counts leave out cache misses, so confirm a large
change with the benchmarks).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = """
import os, subprocess, sys
sys.path.insert(0, {bench!r})
from test_simulation import contacts, one_voice_channel
from channelopt.simulation import simulate_resolved
res = one_voice_channel({agents}, {load})
simulate_resolved(res, replications=1, seed=0, days=1, warmup_days=0)  # compile, warm caches
pid = str(os.getpid())
subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
out = simulate_resolved(res, replications=1, seed=0, days={days}, warmup_days=0)
subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
print("CONTACTS", contacts(out))
"""


def main(argv: list[str]) -> int:
    """Run one measured day under Callgrind and print instructions per contact."""
    agents, load, days = (int(argv[0]), float(argv[1]), int(argv[2])) if argv else (50, 45.0, 1)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (with callgrind_control) is not installed", file=sys.stderr)
        return 2
    script = _CHILD.format(bench=str(HERE), agents=agents, load=load, days=days)
    env = dict(os.environ, NUMBA_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                "-c",
                script,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
    if out.returncode != 0:
        print(out.stdout, out.stderr, sep="\n", file=sys.stderr)
        return 1
    refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    n = re.search(r"CONTACTS (\d+)", out.stdout)
    if refs is None or n is None:
        print(out.stdout, out.stderr, sep="\n", file=sys.stderr)
        return 1
    instructions = int(refs[1].replace(",", ""))
    contacts = int(n[1])
    print(
        f"M/M/{agents}+M at {load:g} Erlangs, {days} day(s): {contacts:,} contacts, "
        f"{instructions:,} instructions, {instructions / contacts:,.0f} per contact"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
