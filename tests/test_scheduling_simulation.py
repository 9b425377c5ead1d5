"""Simulating a schedule over its week (issue 13): day factors, closed days, day hours.

References: the external arrivals of a day are Poisson with mean (daily volume
x the day's factor) (no retrials, repeats or hand-offs in this scenario, so
``offered`` counts exactly those); a day off has none; a day with its own
opening hours has none outside them. The service level of the schedule is
compared with that of its own requirement simulated over the same week (the
schedule covers the requirement in every interval, so it may not serve worse).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from channelopt.scheduling import schedule

VOLUME = 3000.0  # contacts per day at factor 1
FACTORS = {"mon": 1.15, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 1.0, "sat": 0.5, "sun": 0.0}
REPLICATIONS = 2


def _scenario() -> co.Scenario:
    return co.load_scenario(
        {
            "name": "scheduled week",
            "interval": "1h",
            "open": "08:00-20:00",
            "channels": {
                "voice": {
                    "kind": "live",
                    "volume": VOLUME,
                    "aht": "4min",
                    "patience": "10min",
                    "target": {"service_level": 0.8, "within": "20s"},
                }
            },
            "pools": {"p": {"skills": ["voice"], "cost_per_hour": 20.0, "shrinkage": 0.1}},
            "week": {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
                "volume": {"mon": 1.15, "sat": 0.5},
                "open": {"sat": "09:00-14:00"},
            },
            "shifts": {
                "early": {"length": "6h", "starts": "08:00-14:00", "days_per_week": 5},
                "short": {
                    "length": "3h",
                    "starts": "08:00-17:00",
                    "days_per_week": 4,
                    "max_share": 0.4,
                },
            },
        }
    )


@pytest.fixture(scope="module")
def week_run():
    sc = _scenario()
    sched = schedule(sc, gap=0.02)
    res = co.simulate(sc, staffing=sched, days=7, replications=REPLICATIONS, seed=3)
    return sc, sched, res


def _z(observed: float, mean: float) -> float:
    return (observed - mean) / math.sqrt(mean)


def _offered(res) -> pd.Series:
    return res.intervals.groupby("day")["offered"].sum().reindex(range(7), fill_value=0)


def test_schedule_carries_its_week(week_run) -> None:
    sc, sched, _ = week_run
    assert sched.week == sc.week
    assert sched.days[0] == "mon" and len(sched.days) == 7
    # the schedule itself: nobody is required on Sunday, Saturday only 09:00-14:00
    need = sched.coverage.groupby("day")["required"].sum()
    assert need[6] == 0 and need[5] > 0
    sat = sched.coverage[(sched.coverage["day"] == 5) & (sched.coverage["required"] > 0)]
    assert sat["interval"].min() == 9 and sat["interval"].max() == 13


def test_offered_per_day_follows_the_week_factors(week_run) -> None:
    _, _, res = week_run
    offered = _offered(res)
    expected = [REPLICATIONS * VOLUME * f for f in FACTORS.values()]
    assert offered[6] == 0  # Sunday: closed, no external contacts
    for d in range(6):
        assert abs(_z(offered[d], expected[d])) < 4.0, (d, offered[d], expected[d])
    week = float(offered.sum())
    assert abs(_z(week, sum(expected))) < 4.0
    # power: the same checks reject the model that ignores the week (every day at
    # factor 1, Sunday open) and a week total 5 % off
    assert abs(_z(offered[0], REPLICATIONS * VOLUME)) > 4.0
    assert abs(_z(offered[5], REPLICATIONS * VOLUME)) > 4.0
    assert abs(_z(week, 1.05 * sum(expected))) > 4.0
    assert abs(_z(week, 0.95 * sum(expected))) > 4.0


def test_saturday_contacts_arrive_only_in_saturday_hours(week_run) -> None:
    _, _, res = week_run
    iv = res.intervals
    sat = iv[iv["day"] == 5].groupby("interval")["offered"].sum()
    inside = sat[(sat.index >= 9) & (sat.index < 14)].sum()
    assert sat.sum() == inside > 0
    # the weekdays use the scenario's hours 08:00-20:00
    tue = iv[iv["day"] == 1].groupby("interval")["offered"].sum()
    assert tue[(tue.index < 8) | (tue.index >= 20)].sum() == 0
    assert tue[8] > 0 and tue[19] > 0


def _service_level(res) -> pd.Series:
    iv = res.intervals
    g = iv.groupby("day")[["answered_within_target", "offered"]].sum()
    return g["answered_within_target"] / g["offered"]


def test_schedule_serves_at_least_as_well_as_its_requirement(week_run) -> None:
    sc, sched, res = week_run
    cov = sched.coverage
    required = pd.DataFrame(
        {"pool": cov["pool"], "day": cov["day"], "interval": cov["interval"],
         "agents": np.ceil(cov["required"] - 1e-9).astype(int)}
    )  # fmt: skip
    base = co.simulate(sc, staffing=required, days=7, replications=REPLICATIONS, seed=3, week=True)
    sl_sched, sl_req = _service_level(res), _service_level(base)
    for d in range(6):
        # the requirement meets the 80 % target on every open day; the schedule, which covers
        # it in every interval, is no worse (same arrivals: common random numbers)
        assert sl_req[d] > 0.75, (d, sl_req[d])
        assert sl_sched[d] >= sl_req[d] - 0.01, (d, sl_sched[d], sl_req[d])
    # power: the week ignored (one day 7 times, the schedule's Sunday of 0 agents as the
    # warm-up, Saturday's full-day volume against Saturday's morning shifts) fails it
    wrong = co.simulate(sc, staffing=sched, days=7, replications=1, seed=3, week=False)
    assert _service_level(wrong)[5] < 0.5


@pytest.mark.parametrize("warmup", [1, 3])
def test_reported_days_start_on_monday_after_any_warm_up(week_run, warmup) -> None:
    # the warm-up days are the days before Monday (Sunday; Friday-Sunday), so the reported
    # Monday has Monday's volume and Monday's agents whatever the warm-up length
    sc, sched, _ = week_run
    res = co.simulate(sc, staffing=sched, days=2, warmup_days=warmup, replications=1, seed=5)
    offered = _offered(res)
    assert abs(_z(offered[0], VOLUME * FACTORS["mon"])) < 4.0
    assert abs(_z(offered[1], VOLUME * FACTORS["tue"])) < 4.0
    assert abs(_z(offered[0], VOLUME * FACTORS["tue"])) > 4.0  # Monday is not a plain day
    assert (_service_level(res)[[0, 1]] > 0.75).all()


def test_week_argument_is_checked() -> None:
    sc = _scenario()
    with pytest.raises(ValueError, match="'week' parameter of simulate"):
        co.simulate(sc, staffing={"p": 10}, week="monday", replications=1)
    with pytest.raises(ValueError, match="needs the Scenario"):
        co.simulate(sc.resolve(0), staffing={"p": 10}, week=sc.week, replications=1)
