"""Slow checks of the data layer: memory on a million records, seed sweeps (make test-slow)."""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_data_readers import HEADER, LINES

pytestmark = pytest.mark.slow

MEMORY_SCRIPT = """
import resource, sys
import channelopt as co
rec = co.read_contacts(sys.argv[1], format="anonymous_bank")
co.calibrate(rec, "30min", {"PS": "retail"})  # NW lines are never answered
print(len(rec), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_a_million_records_fit_in_one_gigabyte(tmp_path: Path) -> None:
    # a year of a centre a little larger than the bank: 1,000,000 lines, each a
    # real line pattern with its own id and date spread over 1999
    path = tmp_path / "year.txt.gz"
    rng = np.random.default_rng(0)
    days = rng.integers(0, 365, 1_000_000)
    with gzip.open(path, "wt") as fh:
        fh.write(HEADER + "\n")
        for i, d in enumerate(days):
            parts = LINES[i % len(LINES)].split()
            parts[1] = str(i)
            date = np.datetime64("1999-01-01") + int(d)
            parts[5] = str(date).replace("-", "")[2:]
            fh.write("\t".join(parts) + "\n")
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    n, peak_kb = map(int, out.stdout.split())
    assert n > 800_000  # PHANTOM lines (1 in 6) are dropped
    assert peak_kb / 1024 < 1024, f"peak resident memory {peak_kb / 1024:.0f} MB"


@pytest.mark.parametrize("seed", range(100))
def test_exponential_patience_mle_unbiased_for_any_seed(seed: int) -> None:
    from channelopt.data.survival import exponential_patience

    rng = np.random.default_rng(seed)
    est = []
    for _ in range(50):
        patience = rng.exponential(400.0, 2000)
        offer = rng.exponential(100.0, 2000)
        est.append(exponential_patience(np.minimum(patience, offer), patience < offer)[0])
    se = np.std(est, ddof=1) / math.sqrt(len(est))
    assert abs(np.mean(est) - 400.0) < 4 * se


@pytest.mark.parametrize("seed", range(10))
def test_july_replay_bounds_hold_for_other_seeds(seed: int) -> None:
    from bank_data import bank
    from channelopt.data import calibrate, replay
    from test_data_calibrate import BANK_TYPES, WEEKDAYS, weighted

    cal = _calibration(BANK_TYPES, tuple(WEEKDAYS), calibrate, bank)
    jul = bank().between("1999-07-01", "1999-08-01").on_weekdays(WEEKDAYS)
    out = replay(cal, jul, replications=2, seed=seed)
    o = out.assign(abs_ab=out["abandonment_error"].abs(), abs_w=out["wait_error_s"].abs())
    assert weighted(o, "abs_ab") < 0.07 and abs(weighted(o, "abandonment_error")) < 0.03
    assert weighted(o, "abs_w") < 45.0 and abs(weighted(o, "wait_error_s")) < 30.0


_CACHE: dict[str, object] = {}


def _calibration(types, days, calibrate, bank):  # type: ignore[no-untyped-def]
    if "cal" not in _CACHE:
        fit = bank().between("1999-01-01", "1999-07-01")
        _CACHE["cal"] = calibrate(fit, "30min", types, days=list(days), return_report=True)
    return _CACHE["cal"]
