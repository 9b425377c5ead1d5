"""calibrate writes repeats and self-service fronts: estimators against known truth.

* Repeats: records simulated here with a known repeat probability and an
  exponential delay (chains of contacts per customer); the window-corrected
  estimate is unbiased within its standard error, the raw within-window share
  is not, and a probability 5 % off is rejected (power).
* Self-service: contacts that ended in self-service become a front whose
  containment is their share (counted here from the rows) and whose hand-off
  delivers exactly the channel's external volume.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from channelopt.data.calibrate import calibrate
from channelopt.data.survival import repeat_fit, truncated_exponential_mean
from channelopt.staffing import flows as traffic

P_REPEAT = 0.3
DELAY = 12 * 3600.0  # s: a quarter of the repeats come after the 24 h window
WINDOW = 24 * 3600.0
DAYS = 60


def repeat_chains(rng: np.random.Generator, customers: int) -> pd.DataFrame:
    """Per customer a first contact (uniform over DAYS) and repeats: each contact
    repeats with P_REPEAT after an exponential delay of mean DELAY."""
    length = rng.geometric(1.0 - P_REPEAT, customers)  # contacts per customer
    cust = np.repeat(np.arange(customers), length)
    first = np.repeat(rng.uniform(0, DAYS * 86400.0, customers), length)
    gaps = rng.exponential(DELAY, len(cust))
    start = np.r_[0, np.cumsum(length)[:-1]]
    gaps[start] = 0.0  # the first contact of each chain
    csum = np.cumsum(gaps)
    t = first + csum - np.repeat(csum[start], length)
    keep = t < DAYS * 86400.0  # the records end: later contacts are not seen
    return pd.DataFrame({"customer": cust[keep], "t": t[keep]})


def records_of(chains: pd.DataFrame, rng: np.random.Generator) -> co.ContactRecords:
    t0 = pd.Timestamp("2024-01-01")
    arrival = t0 + pd.to_timedelta(chains["t"].to_numpy(), unit="s")
    ht = rng.exponential(120.0, len(chains))
    frame = pd.DataFrame(
        {
            "arrival": arrival,
            "queue_start": arrival,
            "queue_end": arrival,
            "outcome": "answered",
            "service_start": arrival,
            "service_end": arrival + pd.to_timedelta(ht, unit="s"),
            "handle_time": ht,
            "wait": 0.0,
            "customer_id": chains["customer"].astype(str).to_numpy(),
            "agent": [f"a{k % 7}" for k in range(len(chains))],
            "channel": "voice",
        }
    )
    return co.read_contacts(frame)


def test_repeat_probability_is_unbiased_within_its_standard_error() -> None:
    rng = np.random.default_rng(3)
    rec = records_of(repeat_chains(rng, 12_000), rng)
    len_records = len(rec)
    cal = calibrate(rec, "30min", return_report=True)
    r = cal.repeats.set_index("channel").loc["voice"]
    assert abs(r["probability"] - P_REPEAT) < 4 * r["se"]
    # the window cuts off a quarter of the repeats: the raw share is biased (power)
    assert P_REPEAT - r["seen_share"] > 8 * r["se"]
    assert r["delay_s"] == pytest.approx(DELAY, rel=0.08)
    sc = cal.scenario
    assert sc.channels["voice"].resolution == pytest.approx(1 - r["probability"], abs=1e-4)
    assert sc.journeys.repeats.to["voice"]["voice"] == pytest.approx(1.0)
    assert sc.journeys.repeats.delay == pytest.approx(r["delay_s"], abs=0.1)
    # the engines add the repeats back: external volume + expected repeats = contacts
    # seen per day (every contact is answered here, so each may repeat)
    per_day = len_records / DAYS
    assert sc.channels["voice"].volume + per_day * r["probability"] == pytest.approx(
        per_day, rel=1e-3
    )


def test_repeat_estimator_rejects_a_probability_five_percent_off() -> None:
    """The estimator alone on a large sample: truth within 4 SE, 5 % off outside."""
    rng = np.random.default_rng(11)
    n = 200_000
    repeats = rng.random(n) < P_REPEAT
    delay = rng.exponential(DELAY, n)
    seen = delay[repeats & (delay <= WINDOW)]
    fit = repeat_fit(n, seen, WINDOW)
    assert abs(fit.probability - P_REPEAT) < 4 * fit.se
    assert abs(fit.probability - 1.05 * P_REPEAT) > 4 * fit.se
    assert abs(fit.delay_s - DELAY) / DELAY < 0.03


def test_truncated_exponential_mean_against_the_closed_form() -> None:
    # the mean of Exp(mean d) below W is d - W / (exp(W/d) - 1): invert it
    d, w = 5000.0, 9000.0
    m = d - w / math.expm1(w / d)
    assert truncated_exponential_mean(np.array([m]), w) == pytest.approx(d, rel=1e-8)
    assert truncated_exponential_mean(np.array([0.6 * w]), w) == math.inf  # not identified


def with_contained(rec: co.ContactRecords, per_day: int, seed: int = 0) -> co.ContactRecords:
    """``rec`` plus ``per_day`` contacts a day that ended in self-service in open hours."""
    rng = np.random.default_rng(seed)
    f = rec.frame
    days = f["arrival"].dt.normalize().drop_duplicates()
    at = pd.DatetimeIndex(np.repeat(days.to_numpy(), per_day)) + pd.to_timedelta(
        rng.uniform(8.5 * 3600, 17.5 * 3600, per_day * len(days)), unit="s"
    )
    extra = pd.DataFrame({"arrival": pd.DatetimeIndex(at).tz_localize(None),
                          "outcome": "contained", "channel": "voice"})  # fmt: skip
    base = f.assign(arrival=f["arrival"].dt.tz_localize(None))
    cols = ["arrival", "queue_start", "queue_end", "outcome", "service_start", "service_end",
            "handle_time", "customer_id", "agent", "channel"]  # fmt: skip
    base = base[cols].assign(
        queue_start=base["queue_start"].dt.tz_localize(None),
        queue_end=base["queue_end"].dt.tz_localize(None),
        service_start=base["service_start"].dt.tz_localize(None),
        service_end=base["service_end"].dt.tz_localize(None),
    )
    return co.read_contacts(pd.concat([base, extra], ignore_index=True))


def test_contained_contacts_make_a_self_service_front() -> None:
    from test_data_calibrate import synthetic_records

    rec = with_contained(synthetic_records(), per_day=100)
    cal = calibrate(rec, "30min", repeats=False, return_report=True)
    plain = calibrate(rec, "30min", repeats=False, self_service=False)
    sc = cal.scenario
    front = sc.channels["voice_self_service"]
    queued_per_day = plain.channels["voice"].volume
    # counted from the rows: 100 a day ended in self-service
    assert front.volume == pytest.approx(100 + queued_per_day, rel=1e-3)
    assert front.containment == pytest.approx(100 / (100 + queued_per_day), abs=1e-4)
    # the hand-off delivers the channel's external volume, which now sits on the front
    handed = (
        front.volume * (1 - front.containment) * sc.journeys.handoffs["voice_self_service"]["voice"]
    )
    assert handed == pytest.approx(queued_per_day, rel=1e-3)
    assert sc.channels["voice"].volume == 0  # every contact arrives through the front
    flows = traffic(sc.resolve(0))
    voice = list(sc.channels).index("voice")
    assert flows[:, voice].sum() == pytest.approx(queued_per_day, rel=1e-3)
    assert "voice_self_service" in set(cal.self_service["channel"])


def seen_gaps(chains: pd.DataFrame) -> tuple[int, np.ndarray]:
    """Written out here (not calibrate's code): contacts followed for a whole window, and
    the gaps to the same customer's next contact that fall within it."""
    c = chains.sort_values(["customer", "t"], kind="stable")
    nxt = c.groupby("customer")["t"].shift(-1) - c["t"]
    follow = c["t"] <= DAYS * 86400.0 - WINDOW
    g = nxt[follow].to_numpy()
    return int(follow.sum()), g[g <= WINDOW]


@pytest.mark.slow
def test_repeat_estimator_bias_and_standard_error_over_seeds() -> None:
    """100 simulated record sets: the mean estimate is within 3 standard errors of
    the mean of the truth, and the reported standard error matches the spread."""
    est, ses = [], []
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        n, g = seen_gaps(repeat_chains(rng, 12_000))
        fit = repeat_fit(n, g, WINDOW)
        est.append(fit.probability)
        ses.append(fit.se)
        assert abs(fit.probability - P_REPEAT) < 4 * fit.se, seed
    est_a = np.array(est)
    assert abs(est_a.mean() - P_REPEAT) < 3 * est_a.std(ddof=1) / math.sqrt(len(est_a))
    assert np.mean(ses) == pytest.approx(est_a.std(ddof=1), rel=0.2)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_calibrated_repeats_for_other_seeds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cal = calibrate(records_of(repeat_chains(rng, 12_000), rng), "30min", return_report=True)
    r = cal.repeats.set_index("channel").loc["voice"]
    assert abs(r["probability"] - P_REPEAT) < 4 * r["se"]


def test_repeats_in_the_same_second_still_give_a_valid_scenario() -> None:
    # as for retrials (found by the million-record test): a zero mean delay would be
    # refused by the scenario; the written delay is at least 1 s
    t0 = pd.Timestamp("2024-03-04 09:00")
    at = [t0 + pd.Timedelta(minutes=5 * (k // 2)) for k in range(80)]
    frame = pd.DataFrame(
        {
            "arrival": at,
            "outcome": "answered",
            "wait": 0.0,
            "customer_id": [f"c{k // 2}" for k in range(80)],
            "handle_time": [60.0 + k for k in range(80)],
            "agent": "ann",
        }
    )
    frame["queue_start"] = frame["arrival"]
    frame["service_start"] = frame["arrival"]
    frame["service_end"] = frame["arrival"] + pd.to_timedelta(frame["handle_time"], unit="s")
    frame = pd.concat([frame, frame.assign(arrival=frame["arrival"] + pd.Timedelta(days=2),
                                           customer_id=None)])  # fmt: skip
    sc = calibrate(co.read_contacts(frame), "30min", repeat_window="1h")
    assert sc.journeys.repeats.delay == 1.0
