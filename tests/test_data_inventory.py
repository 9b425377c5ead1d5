"""inventory: per-channel volumes, service level, abandonment, AHT and repeats by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import channelopt as co


def records() -> co.ContactRecords:
    # two days; c1 calls twice within 24 h (a repeat), c2 abandons and never returns
    df = pd.DataFrame(
        {
            "arrival": ["2024-03-04 09:00", "2024-03-04 09:10", "2024-03-04 09:40",
                        "2024-03-05 08:00", "2024-03-05 10:00"],
            "channel": ["voice", "voice", "voice", "voice", "chat"],
            "outcome": ["answered", "abandoned", "answered", "answered", "answered"],
            "customer_id": ["c1", "c2", None, "c1", "c3"],
            "wait": [10, 90, 30, 5, 0],
            "handle_time": [300, None, 200, 100, 600],
            "agent": ["ann", None, "bob", "ann", "cy"],
        }
    )  # fmt: skip
    return co.read_contacts(df)


def test_inventory_by_hand(retail) -> None:
    inv = co.inventory(records(), within="20s")
    v = inv.summary().loc["voice"]
    assert v["contacts"] == 4 and v["contacts_per_day"] == 2.0
    assert v["abandonment"] == pytest.approx(1 / 4)
    assert v["service_level"] == pytest.approx(2 / 4)  # waits 10 and 5 s of 4 queued
    assert v["aht_s"] == pytest.approx(200.0)
    assert v["average_wait_s"] == pytest.approx(15.0)
    assert v["repeat_rate"] == pytest.approx(1 / 3)  # c1's first call of 3 identified
    wd = inv.weekdays.set_index(["channel", "weekday"])["contacts_per_day"]
    assert wd[("voice", "mon")] == 3 and wd[("voice", "tue")] == 1
    iv = inv.intervals.set_index(["channel", "start"])["contacts"]
    assert iv[("voice", "09:00")] == 1.0  # 2 contacts over 2 days
    gaps = co.inventory(records(), retail).gaps.set_index(["channel", "measure"])
    target = retail.channels["voice"].target
    assert target.within is not None and target.service_level is not None
    sl = gaps.loc[("voice", "service_level")]
    assert sl["target"] == target.service_level
    # waits 10, 90, 30, 5 s: the share within the scenario's threshold, by hand
    expected = sum(w <= target.within for w in (10, 30, 5)) / 4
    assert sl["actual"] == pytest.approx(expected)
    assert sl["gap"] == pytest.approx(expected - target.service_level)
