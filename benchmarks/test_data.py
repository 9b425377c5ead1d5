"""Benchmarks of the data layer (issue 14): reading, calibrating, agents on duty.

* ``calibrate`` on ten generated days of a small centre (known handle time and
  patience): the errors of the fitted AHT and patience go into ``extra_info``.
* Reading one month of the Anonymous Bank (skipped without ``../shared/data``).
* Guard (``make test``): the vectorised agents-on-duty rule against a plain
  per-service Python loop of the same rule, on the same records (same result).

Run: ``.venv/bin/python -m pytest benchmarks/test_data.py --benchmark-only -s``
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from channelopt.data._measures import agents_on_duty
from conftest import assert_ratio

BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank_1999" / "calls"
if not BANK.exists():
    BANK = Path(__file__).resolve().parents[3] / "shared" / "data" / "anonymous_bank_1999" / "calls"
TRUE_AHT, TRUE_PATIENCE = 180.0, 300.0


def month_of_records(agents: int = 12, days: int = 10, seed: int = 0) -> co.ContactRecords:
    """Ten working days of an M/M/n+M centre, 08:00-20:00, load about 90 % of the agents."""
    rng = np.random.default_rng(seed)
    rate = 0.9 * agents / TRUE_AHT  # per second
    rows = []
    for d in range(days):
        day = pd.Timestamp("2024-03-04") + pd.Timedelta(days=d)
        t, free = 8 * 3600.0, np.zeros(agents)
        while True:
            t += rng.exponential(1 / rate)
            if t >= 20 * 3600:
                break
            k = int(np.argmin(free))
            start = max(t, free[k])
            patience = rng.exponential(TRUE_PATIENCE)
            if start - t > patience:
                rows.append((day, t, t + patience, "abandoned", np.nan, np.nan, None))
                continue
            ht = rng.exponential(TRUE_AHT)
            free[k] = start + ht
            rows.append((day, t, start, "answered", start, ht, f"a{k}"))
    f = pd.DataFrame(rows, columns=["day", "t", "q_end", "outcome", "s", "ht", "agent"])

    def at(col: str) -> pd.Series:
        return f["day"] + pd.to_timedelta(f[col], unit="s")

    frame = pd.DataFrame({"arrival": at("t"), "queue_start": at("t"), "queue_end": at("q_end"),
                          "outcome": f["outcome"], "service_start": at("s"),
                          "handle_time": f["ht"], "agent": f["agent"]})  # fmt: skip
    frame["service_end"] = frame["service_start"] + pd.to_timedelta(frame["handle_time"], unit="s")
    return co.read_contacts(frame)


@pytest.fixture(scope="module")
def month() -> co.ContactRecords:
    return month_of_records()


def test_calibrate_a_month(benchmark, month) -> None:  # type: ignore[no-untyped-def]
    cal = benchmark(co.calibrate, month, "30min", return_report=True)
    ch = cal.scenario.channels["voice"]
    p = cal.patience.iloc[0]
    benchmark.extra_info.update(
        {
            "records": len(month),
            "aht_error": ch.aht / TRUE_AHT - 1,
            "patience_error": p["exponential_mean_s"] / TRUE_PATIENCE - 1,
            "patience_se_relative": p["exponential_se_s"] / TRUE_PATIENCE,
            "agents_roster": cal.scenario.pools["voice"].agents,
        }
    )


@pytest.mark.skipif(not BANK.exists(), reason=f"real data not found at {BANK}")
def test_read_a_bank_month(benchmark) -> None:  # type: ignore[no-untyped-def]
    rec = benchmark(co.read_contacts, BANK / "july.txt.gz", format="anonymous_bank")
    benchmark.extra_info.update({"records": len(rec), "dropped": rec.dropped})


def duty_loop(frame: pd.DataFrame, interval: float, gap: float) -> dict[tuple[int, int], float]:
    """The agents-on-duty rule written plainly: spells per agent, then per interval."""
    out: dict[tuple[int, int], float] = {}
    epoch = pd.Timestamp(0)
    rows = frame[frame["agent"].notna() & frame["service_start"].notna()]
    by_agent: dict[str, list[tuple[float, float]]] = {}
    for a, s, e in zip(rows["agent"], rows["service_start"], rows["service_end"], strict=True):
        s0 = (s.tz_localize(None) - epoch).total_seconds()
        e0 = (e.tz_localize(None) - epoch).total_seconds()
        by_agent.setdefault(str(a), []).append((s0, max(e0, s0)))
    for services in by_agent.values():
        services.sort()
        spells = []
        start, end = services[0]
        for s, e in services[1:]:
            if s - end > gap:
                spells.append((start, end))
                start, end = s, e
            else:
                end = max(end, e)
        spells.append((start, end))
        for s, e in spells:
            k = math.floor(s / interval)
            while k * interval < e:
                share = (min(e, (k + 1) * interval) - max(s, k * interval)) / interval
                key = (k // 48, k % 48)
                out[key] = out.get(key, 0.0) + share
                k += 1
    return out


@pytest.mark.guard
def test_guard_agents_on_duty_beats_a_plain_loop(month) -> None:  # type: ignore[no-untyped-def]
    f = month.frame
    fast = agents_on_duty(f, 1800.0, 600.0)
    slow = duty_loop(f, 1800.0, 600.0)
    got = {(int(d.value // 86_400_000_000_000), int(i)): a
           for d, i, a in zip(pd.to_datetime(fast["date"]).astype("datetime64[ns]"),
                              fast["interval"], fast["agents"], strict=True)}  # fmt: skip
    assert got.keys() == slow.keys()
    assert all(math.isclose(got[k], slow[k], abs_tol=1e-9) for k in slow)
    assert_ratio(
        lambda: agents_on_duty(f, 1800.0, 600.0),
        lambda: duty_loop(f, 1800.0, 600.0),
        at_least=3.0,
        label="agents on duty (vectorised vs loop)",
    )
