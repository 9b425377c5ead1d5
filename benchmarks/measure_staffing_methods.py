"""Model against simulation for method="erlang" and "pooled" (docs/staffing.md table).

Run from the repository root: ``.venv/bin/python benchmarks/measure_staffing_methods.py``.
"""

import sys
import time

import pandas as pd

import channelopt as co

sys.path.insert(0, "tests")
from multiskill import multiskill_doc

pd.set_option("display.width", 200)
cases = [
    (f, co.load_scenario(f"scenarios/{f}.yaml"))
    for f in ("retail_bank", "telecom", "online_retailer")
]
cases += [
    (f"gen{s}-{k}x{p}", co.load_scenario(multiskill_doc(s, k, p)))
    for s, k, p in ((1, 2, 2), (2, 3, 3), (3, 4, 4), (4, 6, 5))
]
for name, sc in cases:
    for method in ("erlang", "pooled"):
        t = time.process_time()
        st = co.staff(sc, method=method)
        cpu = time.process_time() - t
        sm = st.summary()  # indexed by channel
        sim = co.simulate(sc, st, replications=6, seed=5).summary()
        cost = st.pools.cost.sum()
        for ch in sm.index:
            if sm.loc[ch, "kind"] not in ("live", "concurrent"):
                continue
            g = sim.loc[ch].set_index("measure")  # the simulation's summary is indexed by channel
            sl = g.loc["service_level"]
            ab = g.loc["abandonment"]
            print(
                f"{name:16s} {method:7s} cost={cost:9.0f} cpu={cpu:5.2f} {ch:8s} "
                f"SL {sm.loc[ch, 'service_level']:.3f} sim {sl['mean']:.3f} "
                f"[{sl['ci_low']:.3f},{sl['ci_high']:.3f}]  "
                f"AB {sm.loc[ch, 'abandonment']:.4f} sim {ab['mean']:.4f} "
                f"[{ab['ci_low']:.4f},{ab['ci_high']:.4f}]",
                flush=True,
            )
