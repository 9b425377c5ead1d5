"""``replay``: simulate the observed centre day by day with its own arrivals and agents.

The check of a calibration: each day of the records is simulated with that day's
arrivals per interval and the agents on duty inferred from that day's service
records; simulated and observed abandonment and mean wait are compared per hour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..scenario.kinds import kind_spec
from ._measures import agents_on_duty, local_seconds, queue_time, queued
from ._records import ContactRecords
from .calibrate import SKILL_SHARE, Calibration, observed_arrivals, split_classes

__all__ = ["assign_pools", "observed_by_hour", "replay"]

Progress = Callable[[int, int, str], object]


def assign_pools(calibration: Calibration, frame: pd.DataFrame) -> dict[str, str]:
    """Agent -> pool for the agents in ``frame``.

    Agents seen in the calibration keep their pool; a new agent joins the pool
    (largest first) whose skills cover the channels that make at least
    ``SKILL_SHARE`` of their contacts, else the largest pool.
    """
    known: dict[str, str] = {}
    for row in calibration.pools.itertuples():
        for a in row.agents:
            known[str(a)] = str(row.pool)
    served = frame[(frame["outcome"] == "answered") & frame["agent"].notna()]
    pools = calibration.pools.sort_values("headcount", ascending=False)
    out: dict[str, str] = {}
    for agent, g in served.groupby(served["agent"].astype(str)):
        if agent in known:
            out[agent] = known[agent]
            continue
        share = g["channel"].value_counts(normalize=True)
        skills = set(share[share >= SKILL_SHARE].index)
        home = next(
            (p.pool for p in pools.itertuples() if skills <= set(p.skills)), pools["pool"].iloc[0]
        )
        out[agent] = str(home)
    return out


def observed_by_hour(frame: pd.DataFrame) -> pd.DataFrame:
    """Per hour of the day (queue arrival): offered, abandoned, abandonment, average_wait_s."""
    q = frame[queued(frame)]
    _, secs = local_seconds(queue_time(q))
    hour = (secs // 3600).astype(int)
    ans = q["outcome"] == "answered"
    t = pd.DataFrame(
        {
            "hour": hour,
            "offered": 1,
            "abandoned": (q["outcome"] == "abandoned").astype(int),
            "answered": ans.astype(int),
            "wait_answered": q["wait"].fillna(0.0).where(ans, 0.0),
        }
    )
    g = t.groupby("hour").sum()
    g["abandonment"] = g["abandoned"] / g["offered"]
    g["average_wait_s"] = g["wait_answered"] / g["answered"].replace(0, np.nan)
    return g[["offered", "abandoned", "answered", "abandonment", "average_wait_s"]]


def replay(
    calibration: Calibration,
    records: ContactRecords,
    *,
    replications: int = 3,
    seed: int = 0,
    duty_gap: float = 600.0,
    agent_offset: int | dict[str, int] = 0,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Simulate each day of ``records`` with its own arrivals and agents on duty.

    Parameters
    ----------
    calibration : Calibration
        From ``calibrate(..., return_report=True)`` (usually on earlier months).
    records : ContactRecords
        The days to replay, with the same record types as the calibration.
    replications : int
        Replications per day.
    seed : int
        Seed of the first day; day k uses ``seed + k``.
    duty_gap : float
        Agents-on-duty rule (s), as in :func:`calibrate`.
    agent_offset : int or dict
        Agents added in every interval with agents (negative: removed), to every
        pool (an int) or per pool (a dict pool -> agents); 0 replays the centre as
        it was (used to show a check's power).
    progress : callable, optional
        ``progress(done, total, message)`` per day.

    Returns
    -------
    DataFrame
        Per hour of the day: ``offered`` (observed, all days), observed and simulated
        ``abandonment`` and ``average_wait_s`` (answered contacts), and their
        differences (simulated - observed).
    """
    from ..scenario import load_scenario
    from ..simulation import simulate

    sc = calibration.scenario
    step = sc.interval
    per_day = sc.intervals_per_day
    channel_of = _channel_map(calibration, records)
    f = records.frame
    f = f[f["channel"].astype(str).isin(list(channel_of))].copy()
    f["channel"] = f["channel"].astype(str).map(channel_of)
    f = split_classes(f, getattr(calibration, "head_start", {}))
    sub = ContactRecords(f, source=records.source, tz=records.tz)
    arr = observed_arrivals(sub, step)
    duty = agents_on_duty(f, step, duty_gap, assign_pools(calibration, f))
    if len(duty) == 0:
        raise DataError("no service records with agent names: agents on duty cannot be inferred")
    base = sc.to_document(human=False)
    # the day's arrivals already hold its repeats (and what self-service let through):
    # replay the queues with those, not the modelled repeats and fronts
    journeys = dict(base.get("journeys", {}))
    journeys.pop("repeats", None)
    base["journeys"] = journeys
    retry = sc.journeys.retrials.probability
    # expected retrials are generated by the engine: take them out of the day's arrivals
    ab_share = _abandon_share(calibration)
    dates = sorted(arr["date"].unique())
    sims = []
    for k, date in enumerate(dates):
        doc = {**base, "channels": {n: dict(c) for n, c in base["channels"].items()}}
        day = arr[arr["date"] == date]
        for ch, c in doc["channels"].items():
            c.pop("resolution", None)
            counts = np.zeros(per_day)
            if not kind_spec(c["kind"]).staffed:  # a self-service front
                c.pop("volume", None)
                c.pop("profile", None)
                c["arrivals"] = list(counts)
                continue
            d = day[day["channel"] == ch]
            counts[d["interval"].to_numpy()] = d["contacts"].to_numpy()
            c.pop("volume", None)
            c.pop("profile", None)
            c["arrivals"] = list(counts * (1.0 - retry * ab_share.get(ch, 0.0)))
        doc["open"] = "24h"  # the day's own arrivals say when the centre was open
        sc_day = load_scenario(doc)
        staff = _staffing(duty[duty["date"] == date], list(sc.pools), per_day, agent_offset)
        res = simulate(
            sc_day, staffing=staff, replications=replications, seed=seed + k, days=1,
            warmup_days=0,
        )  # fmt: skip
        iv = res.intervals
        iv = iv.assign(hour=(iv["interval"] * step // 3600).astype(int))
        iv["wait_answered"] = iv["average_wait"].fillna(0.0) * iv["answered"]
        sims.append(iv.groupby("hour")[["offered", "abandoned", "answered", "wait_answered"]].sum()
                    / replications)  # fmt: skip
        if progress is not None:
            progress(k + 1, len(dates), f"{pd.Timestamp(date):%Y-%m-%d}")
    sim = pd.concat(sims).groupby(level=0).sum()
    obs = observed_by_hour(f)
    out = pd.DataFrame(
        {
            "offered": obs["offered"],
            "observed_abandonment": obs["abandonment"],
            "simulated_abandonment": sim["abandoned"] / sim["offered"],
            "observed_average_wait_s": obs["average_wait_s"],
            "simulated_average_wait_s": sim["wait_answered"] / sim["answered"],
        }
    ).dropna(subset=["offered"])
    out["abandonment_error"] = out["simulated_abandonment"] - out["observed_abandonment"]
    out["wait_error_s"] = out["simulated_average_wait_s"] - out["observed_average_wait_s"]
    out.index.name = "hour"
    return out.reset_index()


def _channel_map(calibration: Calibration, records: ContactRecords) -> dict[str, str]:
    """Record type -> channel, recovered from the calibration's channel names."""
    names = set(calibration.scenario.channels)
    mapping = getattr(calibration, "mapping", None)
    if mapping:
        return dict(mapping)
    return {
        t: t.lower() for t in records.frame["channel"].astype(str).unique() if t.lower() in names
    }


def _abandon_share(calibration: Calibration) -> dict[str, float]:
    p = calibration.patience
    return {r.channel: r.abandoned / r.queued if r.queued else 0.0 for r in p.itertuples()}


def _staffing(
    duty: pd.DataFrame, pools: list[str], per_day: int, offset: int | dict[str, int] = 0
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pool in pools:
        v = np.zeros(per_day)
        d = duty[duty["pool"] == pool]
        np.add.at(v, d["interval"].to_numpy(dtype=int), d["agents"].to_numpy(dtype=float))
        add = offset.get(pool, 0) if isinstance(offset, dict) else offset
        out[pool] = [max(round(x) + (add if x > 0 else 0), 0) for x in v]
    return out
