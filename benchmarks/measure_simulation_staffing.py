"""The cost study of issue 11: ``method="simulation"`` against ``method="erlang"``.

For every bundled scenario (period 0) and the generated multi-skill systems of
``tests/multiskill.py``: the agent cost a day of ``erlang``, ``pooled`` and
``simulation`` staffing, the CPU seconds of the simulation method, the cost of
``erlang``'s staffing repaired in simulation until its targets hold (the same
seed and repair rule as the method, no cuts), and every day-level target
checked in an independent simulation (seed 99, new random numbers) for the
``simulation``, the ``erlang`` and the repaired ``erlang`` staffing: mean [95 %
interval] and whether the mean and the one-sided 95 % bound meet the target.

Run from the repository root (about 10-15 CPU-minutes; writes nothing)::

    .venv/bin/python benchmarks/measure_simulation_staffing.py [NAME ...]

NAME picks cases (``retail_bank``, ``gen1-2x2``, ...). telecom is staffed with 8
replications: 20 replications of its day exceed the simulation's 4 GB limit.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from statistics import NormalDist

import channelopt as co
from channelopt.staffing import staff_resolved
from channelopt.staffing._pools import is_queue
from channelopt.staffing._simopt import _day_measures, _simulate, repair_in_simulation

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from multiskill import multiskill_doc  # noqa: E402

CASES = {
    "retail_bank": (ROOT / "scenarios" / "retail_bank.yaml", 20),
    "online_retailer": (ROOT / "scenarios" / "online_retailer.yaml", 20),
    "telecom": (ROOT / "scenarios" / "telecom.yaml", 8),
}
for s, k, p in ((1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5)):
    CASES[f"gen{s}-{k}x{p}"] = (multiskill_doc(s, k, p), 20)


def shares_skills(r: co.Resolved) -> bool:
    """Some live or concurrent channel is served by more than one pool."""
    for c, kind in enumerate(r.kinds):
        if is_queue(kind) and sum(c in skills for skills in r.pool_skills) > 1:
            return True
    return False


def check(r, st, replications: int, seed: int):
    y = st.pools["agents"].to_numpy().reshape(len(r.pools), r.n_intervals).T
    channels = [c for c, k in enumerate(r.kinds) if k.value in ("live", "concurrent", "deferred")]
    table, _ok, _short = _day_measures(
        r, _simulate(r, y, replications, seed), NormalDist().inv_cdf(0.95), channels
    )
    return table


def main(names: list[str]) -> None:
    for name in names or list(CASES):
        doc, reps = CASES[name]
        sc = co.load_scenario(doc)
        r = sc.resolve(0, None)
        erlang = co.staff(sc)
        pooled = co.staff(sc, method="pooled")
        calls: list[str] = []
        t = time.process_time()
        st = co.staff(
            sc,
            method="simulation",
            replications=reps,
            seed=1,
            progress=lambda d, n, m, calls=calls: calls.append(m),
        )
        cpu = time.process_time() - t
        ce, cp, cs = (float(x.pools["cost"].sum()) for x in (erlang, pooled, st))
        # erlang made feasible: the same simulation (seed 1, common random numbers) and
        # repair rule as method="simulation", from erlang's staffing, with no cuts or LP:
        # what per-channel sizing costs once it meets every target (erlang alone misses
        # targets on most multi-skill systems, so it is not a feasible staffing to beat)
        y_erlang = erlang.pools["agents"].to_numpy().reshape(len(r.pools), r.n_intervals).T
        t = time.process_time()
        rep = repair_in_simulation(r, y_erlang, replications=reps, seed=1, rounds=12)
        cpu_rep = time.process_time() - t
        repaired = staff_resolved(r, agents=rep.agents)
        cr = float(repaired.pools["cost"].sum())
        print(
            f"{name}: shared skills {shares_skills(r)}; replications {reps}; "
            f"cost a day erlang {ce:,.0f}, pooled {cp:,.0f}, simulation {cs:,.0f} "
            f"({100 * (cs / ce - 1):+.1f} % against erlang, {100 * (cs / cp - 1):+.1f} % "
            f"against pooled); simulation method {cpu:.1f} CPU-s, {len(calls)} steps",
            flush=True,
        )
        print(f"  notes: {st.notes['method']}", flush=True)
        print(
            f"  erlang repaired in simulation: cost a day {cr:,.0f} "
            f"({100 * (cr / ce - 1):+.1f} % against erlang); targets hold {rep.ok} after "
            f"{rep.simulations} simulations, {cpu_rep:.1f} CPU-s; simulation method "
            f"{100 * (cs / cr - 1):+.1f} % against it",
            flush=True,
        )
        checks = (("simulation", st), ("erlang", erlang), ("erlang+rep", repaired))
        for label, staffing in checks:
            table = check(r, staffing, max(reps, 8), 99)
            for row in table.itertuples():
                at_least = row.measure in ("service_level", "within_deadline")
                mean_ok = row.mean >= row.target if at_least else row.mean <= row.target
                print(
                    f"  check seed 99, {label:10s} {row.channel:10s} {row.measure:15s} "
                    f"target {row.target:8.3f}  mean {row.mean:8.3f} "
                    f"[{row.ci_low:.3f}, {row.ci_high:.3f}]  mean meets {mean_ok}, "
                    f"95 % bound meets {bool(row.meets)}",
                    flush=True,
                )
        print(
            f"  simulation agents per pool (sum over intervals): "
            f"{dict(st.pools.groupby('pool', sort=False)['agents'].sum())}; erlang: "
            f"{dict(erlang.pools.groupby('pool', sort=False)['agents'].sum())}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
