"""``actuals``: planned against actual per channel and interval, the service-level gap explained.

Method (docs/data.md): the planned service level of an interval is the Erlang A
value at the planned volume V, handle time H and agents N. Substituting the
actual values one at a time, in the order volume, handle time, agents, splits
the gap into three parts that add up to the gap the model explains; what the
model does not explain (the observed service level minus the model's at the
actual V, H and N) is the residual. Sequential substitution depends on the
order; this order follows the planner's question ("did more customers call,
did they take longer, did we have the people?").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..scenario.kinds import kind_spec
from ..units import parse_duration
from ._measures import agents_on_duty, local_seconds, queue_time, queued
from ._records import ContactRecords
from .calibrate import PRIORITY_SUFFIX, split_classes

__all__ = ["Actuals", "actuals"]


class Actuals:
    """Planned against actual, per channel and interval, with the gap decomposed.

    Attributes
    ----------
    intervals : DataFrame
        channel, interval, start, planned_volume, actual_volume, planned_aht_s,
        actual_aht_s, planned_agents, actual_agents, planned_service_level,
        actual_service_level, planned_abandonment, actual_abandonment, and the
        service-level gap ``gap`` = actual - planned split into
        ``gap_volume + gap_handle_time + gap_staffing + gap_residual``.
    days : int
        Days of records averaged.
    """

    def __init__(self, intervals: pd.DataFrame, days: int) -> None:
        self.intervals = intervals
        self.days = days

    def summary(self) -> pd.DataFrame:
        """Per channel: volumes summed, others weighted by actual volume; indexed by channel."""
        t = self.intervals
        rows = []
        for ch, g in t.groupby("channel"):
            w = g["actual_volume"].to_numpy()
            wp = g["planned_volume"].to_numpy()

            def avg(col: str, weights: np.ndarray, frame: pd.DataFrame = g) -> float:
                v = frame[col].to_numpy(dtype=float)
                ok = np.isfinite(v) & (weights > 0)
                return float(np.average(v[ok], weights=weights[ok])) if ok.any() else np.nan

            rows.append(
                {
                    "channel": ch,
                    "planned_volume": float(wp.sum()),
                    "actual_volume": float(w.sum()),
                    "planned_aht_s": avg("planned_aht_s", wp),
                    "actual_aht_s": avg("actual_aht_s", w),
                    "planned_service_level": avg("planned_service_level", wp),
                    "actual_service_level": avg("actual_service_level", w),
                    "gap": avg("gap", w),
                    "gap_volume": avg("gap_volume", w),
                    "gap_handle_time": avg("gap_handle_time", w),
                    "gap_staffing": avg("gap_staffing", w),
                    "gap_residual": avg("gap_residual", w),
                }
            )
        return pd.DataFrame(rows).set_index("channel")

    def __repr__(self) -> str:
        return f"Actuals({self.intervals['channel'].nunique()} channels, {self.days} days)"


def actuals(
    records: ContactRecords,
    scenario_or_plan: Any,
    *,
    period: int = 0,
    plan: Any = None,
    channels: dict[str, str] | None = None,
    duty_gap: str | float = "10min",
) -> Actuals:
    """Planned against actual per channel and interval, with the service-level gap explained.

    Parameters
    ----------
    records : ContactRecords
        The days to compare (e.g. one month of weekdays); actual values are means per day.
    scenario_or_plan : Scenario or (Scenario, Plan)
        The plan: volumes, handle times and patience from the scenario; planned agents
        per channel from :func:`channelopt.staff` (the staffing the plan asked for).
    period : int
        Scenario period.
    plan : Plan, optional
        Initiatives in force.
    channels : mapping, optional
        Record type -> scenario channel; default: types equal to channel names, or
        their lower-case form.
    duty_gap : str or float
        Agents-on-duty rule (as in :func:`calibrate`).

    Returns
    -------
    Actuals
    """
    from ..staffing import abandonment, service_level, staff

    if isinstance(scenario_or_plan, tuple):
        scenario, plan = scenario_or_plan
    else:
        scenario = scenario_or_plan
    res = scenario.resolve(period, plan)
    step = res.interval_s
    per_day = res.arrivals.shape[0]
    names = list(res.channels)
    if channels is None:
        types = records.frame["channel"].astype(str).unique()
        channels = {t: t if t in names else t.lower() for t in types}
        channels = {k: v for k, v in channels.items() if v in names}
    f = records.frame
    f = f[f["channel"].astype(str).isin(list(channels))].copy()
    f["channel"] = f["channel"].astype(str).map(channels)
    if any(n.endswith(PRIORITY_SUFFIX) for n in names):
        # a calibrated scenario with priority classes: compare class by class
        f = split_classes(f, getattr(records, "head_start", {}))
    dates = local_seconds(f["arrival"])[0]
    n_days = max(int(dates.nunique()), 1)
    q = f[queued(f)]
    _, secs = local_seconds(queue_time(q))
    q = q.assign(_slot=(secs // step).astype(int))
    plan_staff = staff(scenario, period, plan).intervals
    # actual agents: on duty (the calibrate rule), split over channels by handled time
    duty = agents_on_duty(f, step, parse_duration(duty_gap))
    on_duty = np.zeros(per_day)
    np.add.at(on_duty, duty["interval"].to_numpy(dtype=int), duty["agents"].to_numpy(dtype=float))
    on_duty /= n_days
    ans = q[q["outcome"] == "answered"]
    work = ans.groupby(["_slot", "channel"])["handle_time"].sum().unstack(fill_value=0.0)
    work = work.reindex(index=range(per_day), columns=names, fill_value=0.0)
    share = work.div(work.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    rows = []
    for c, ch in enumerate(names):
        if not kind_spec(res.kinds[c]).staffed:
            continue  # a self-service front: no agents to compare
        g = q[q["channel"] == ch]
        p = plan_staff[plan_staff["channel"] == ch].set_index("interval")
        within = float(res.target_within[c]) if np.isfinite(res.target_within[c]) else 20.0
        patience = float(res.patience[c])
        by = g.groupby("_slot")
        vol = by.size().reindex(range(per_day), fill_value=0) / n_days
        aht_a = by["handle_time"].mean().reindex(range(per_day))
        ab = (g["outcome"] == "abandoned").groupby(g["_slot"]).mean().reindex(range(per_day))
        ok = (g["outcome"] == "answered") & (g["wait"].fillna(0.0) <= within)
        sl_a = ok.groupby(g["_slot"]).mean().reindex(range(per_day))
        for i in range(per_day):
            rows.append(
                {
                    "channel": ch,
                    "interval": i,
                    "start": f"{int(i * step // 3600):02d}:{int(i * step % 3600 // 60):02d}",
                    "planned_volume": float(p["offered"].get(i, 0.0)),
                    "actual_volume": float(vol[i]),
                    "planned_aht_s": float(res.aht[c]),
                    "actual_aht_s": float(aht_a[i]) if np.isfinite(aht_a[i]) else float(res.aht[c]),
                    "planned_agents": float(p["agents"].get(i, 0.0)),
                    "actual_agents": float(on_duty[i] * share.loc[i, ch]),
                    "actual_service_level": float(sl_a[i]),
                    "actual_abandonment": float(ab[i]),
                    "_within": within,
                    "_patience": patience,
                }
            )
    t = pd.DataFrame(rows)

    def sl(vol: str, aht: str, agents: str) -> np.ndarray:
        load = t[vol].to_numpy() / step * t[aht].to_numpy()
        n = np.round(t[agents].to_numpy()).astype(np.int64)
        return np.asarray(service_level(n, load, t[aht].to_numpy(), t["_within"].to_numpy(),
                                        t["_patience"].to_numpy()), dtype=float)  # fmt: skip

    s0 = sl("planned_volume", "planned_aht_s", "planned_agents")
    s1 = sl("actual_volume", "planned_aht_s", "planned_agents")
    s2 = sl("actual_volume", "actual_aht_s", "planned_agents")
    s3 = sl("actual_volume", "actual_aht_s", "actual_agents")
    load_p = t["planned_volume"].to_numpy() / step * t["planned_aht_s"].to_numpy()
    n_p = np.round(t["planned_agents"].to_numpy()).astype(np.int64)
    pat = t["_patience"].to_numpy()
    t["planned_service_level"] = s0
    t["planned_abandonment"] = np.where(
        np.isfinite(pat), np.asarray(abandonment(n_p, load_p, t["planned_aht_s"].to_numpy(),
                                                 np.where(np.isfinite(pat), pat, 1.0))), 0.0
    )  # fmt: skip
    t["gap"] = t["actual_service_level"] - s0
    t["gap_volume"] = s1 - s0
    t["gap_handle_time"] = s2 - s1
    t["gap_staffing"] = s3 - s2
    t["gap_residual"] = t["actual_service_level"] - s3
    t = t.drop(columns=["_within", "_patience"])
    open_rows = (t["planned_volume"] > 0) | (t["actual_volume"] > 0)
    return Actuals(t[open_rows].reset_index(drop=True), n_days)
