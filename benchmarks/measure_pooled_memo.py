"""Memory of the pooled search's memo of Erlang cells (docs/staffing.md, "Memory of the memo").

For each case, a fresh process runs ``co.staff(sc, method="pooled")`` once and
prints the memo's allocated bytes (its arrays' ``nbytes``), the blocks it used
of those allowed, the cells it kept, what the dense (interval x channel, slots)
table it replaced would have allocated, and the process's peak resident memory
(VmHWM, which includes Python, NumPy, Numba and the search's other arrays).

Run from the repository root::

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/measure_pooled_memo.py

about 20 CPU seconds (the 1-minute case is most of it).
"""

import json
import subprocess
import sys

CHILD = r"""
import json, sys
sys.path.insert(0, "tests")
import channelopt as co
from channelopt.staffing import _pooled
from multiskill import chat_centre_doc

memos = []
make = _pooled.new_memo


def spy(cells, channels, slots, *rest):
    memos.append((cells, channels, slots, make(cells, channels, slots, *rest)))
    return memos[-1][3]


_pooled.new_memo = spy
case, interval = sys.argv[1], sys.argv[2]
if case.endswith(".yaml"):
    sc = co.load_scenario(case)
else:
    sc = co.load_scenario(chat_centre_doc(float(case), interval))
st = co.staff(sc, method="pooled")
cells, channels, slots, memo = memos[0]
index, filled, values, state = memo.arrays
peak = {}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    if key == "VmHWM":
        peak = int(value.split()[0]) / 1024
print(json.dumps({
    "peak_agents": int(st.pools.groupby("interval")["agents"].sum().max()),
    "memo_MiB": memo.nbytes / 2**20,
    "blocks": [int(state[0]), int(state[1])],
    "cells_kept": int(filled.sum()),
    "dense_MiB": cells * channels * slots * 41 / 2**20,
    "VmHWM_MiB": peak,
}))
"""

CASES = [
    ("0.5093", "15min"),
    ("3.1984", "15min"),
    ("8.6569", "15min"),
    ("8.6569", "5min"),
    ("8.6569", "1min"),
    ("scenarios/telecom.yaml", "-"),
    ("scenarios/retail_bank.yaml", "-"),
    ("scenarios/online_retailer.yaml", "-"),
]

print(
    f"{'case':32s} {'interval':8s} agents  memo MiB  blocks used/allowed  cells kept  "
    "dense MiB  VmHWM MiB"
)
for case, interval in CASES:
    # warm Numba's cache first, so the measured process does not compile
    subprocess.run([sys.executable, "-c", CHILD, case, interval], check=True, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, interval], check=True, capture_output=True, text=True
    )
    m = json.loads(out.stdout)
    print(
        f"{case:32s} {interval:8s} {m['peak_agents']:6d} {m['memo_MiB']:9.2f} "
        f"{m['blocks'][0]:9d}/{m['blocks'][1]:<9d} {m['cells_kept']:11d} "
        f"{m['dense_MiB']:10.1f} {m['VmHWM_MiB']:10.0f}"
    )
