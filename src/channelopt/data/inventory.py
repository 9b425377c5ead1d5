"""``inventory``: the discovery view of the records, per channel (contact type)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..units import parse_duration
from ._measures import (
    DAY_NAMES,
    local_seconds,
    next_contact,
    queue_time,
    queued,
    service_level_within,
)
from ._records import ContactRecords

__all__ = ["Inventory", "inventory"]

#: a contact followed by the same customer within this time counts as repeated
REPEAT_WINDOW = 24 * 3600.0


@dataclass(frozen=True)
class Inventory:
    """How customers contact the centre, per channel, and the gaps to a scenario's targets.

    Attributes
    ----------
    channels : DataFrame
        One row per channel: contacts, days, contacts_per_day, share, queued,
        answered, abandoned, contained, service_level (answered within
        ``within`` s over contacts that queued), abandonment (of contacts that
        queued), average_wait_s (answered), aht_s, transfer_rate, repeat_rate
        (identified contacts followed by the same customer within 24 h),
        identified (share with a customer id).
    weekdays : DataFrame
        channel, weekday, days, contacts_per_day.
    intervals : DataFrame
        channel, interval, start (HH:MM), contacts (mean per day over all days).
    gaps : DataFrame
        channel, measure, target, actual, gap (positive = better than target);
        empty without a scenario.
    within : float
        Service-level threshold used (s).
    """

    channels: pd.DataFrame
    weekdays: pd.DataFrame
    intervals: pd.DataFrame
    gaps: pd.DataFrame
    within: float

    def summary(self) -> pd.DataFrame:
        """The per-channel table indexed by channel."""
        return self.channels.set_index("channel")

    def __repr__(self) -> str:
        return (
            f"Inventory({len(self.channels)} channels; see .channels, .weekdays, .intervals, .gaps)"
        )


def inventory(
    records: ContactRecords,
    scenario: Any = None,
    *,
    interval: str | float = "30min",
    within: str | float = "20s",
    channels: dict[str, str] | None = None,
) -> Inventory:
    """The discovery view: volumes, service, handle time, transfers and repeats per channel.

    Parameters
    ----------
    records : ContactRecords
        From :func:`read_contacts`.
    scenario : Scenario, optional
        Compare each channel with this scenario's targets (``gaps``). Channels are
        matched by name, after ``channels`` renames record types.
    interval : str or float
        Interval of the intraday table ("30min" or seconds).
    within : str or float
        Service-level threshold (s) when the scenario gives none.
    channels : mapping, optional
        Record type -> channel name; types not listed keep their own name.

    Returns
    -------
    Inventory
    """
    step = parse_duration(interval)
    default_within = parse_duration(within)
    f = records.frame.copy()
    if channels:
        f["channel"] = f["channel"].astype(str).map(lambda c: channels.get(c, c))
    f["channel"] = f["channel"].astype(str)
    date, secs = local_seconds(f["arrival"])
    f["_date"] = date
    f["_slot"] = (secs // step).astype(int)
    n_days = max(int(date.nunique()), 1)
    nxt = next_contact(f)
    rows = []
    total = len(f)
    for ch, g in f.groupby("channel", sort=False):
        q = queued(g)
        ans = g["outcome"] == "answered"
        ab = g["outcome"] == "abandoned"
        usable = g["usable"] if "usable" in g else pd.Series(True, index=g.index)
        ident = g["customer_id"].notna()
        gap = nxt.loc[g.index, "gap"]
        rep = (gap <= REPEAT_WINDOW) & ident
        target_within = _within(scenario, ch, default_within)
        rows.append(
            {
                "channel": ch,
                "contacts": len(g),
                "days": n_days,
                "contacts_per_day": len(g) / n_days,
                "share": len(g) / total if total else math.nan,
                "queued": int(q.sum()),
                "answered": int(ans.sum()),
                "abandoned": int(ab.sum()),
                "contained": int((g["outcome"] == "contained").sum()),
                "service_level": service_level_within(g, target_within),
                "within_s": target_within,
                "abandonment": float(ab.sum() / q.sum()) if q.any() else math.nan,
                "average_wait_s": float(g.loc[ans, "wait"].mean()) if ans.any() else math.nan,
                "aht_s": float(g.loc[ans & usable, "handle_time"].mean())
                if (ans & usable).any()
                else math.nan,
                "transfer_rate": float(g["transferred_to"].notna().mean()),
                "repeat_rate": float(rep.sum() / ident.sum()) if ident.any() else math.nan,
                "identified": float(ident.mean()),
            }
        )
    table = pd.DataFrame(rows).sort_values("contacts", ascending=False, ignore_index=True)
    wd = f.groupby(["channel", f["_date"].dt.day_of_week.rename("wd")]).size()
    days_per_wd = pd.Series(date.drop_duplicates().dt.day_of_week.value_counts())
    weekdays = wd.rename("contacts").reset_index()
    weekdays["days"] = weekdays["wd"].map(days_per_wd).astype(int)
    weekdays["contacts_per_day"] = weekdays["contacts"] / weekdays["days"]
    weekdays["weekday"] = weekdays["wd"].map(dict(enumerate(DAY_NAMES)))
    weekdays = weekdays[["channel", "weekday", "days", "contacts_per_day"]]
    qt = queue_time(f)
    _, qsecs = local_seconds(qt)
    by_slot = f.groupby(["channel", (qsecs // step).astype(int).rename("interval")]).size()
    intervals = (by_slot / n_days).rename("contacts").reset_index()
    intervals["start"] = intervals["interval"].map(
        lambda i: f"{int(i * step // 3600):02d}:{int(i * step % 3600 // 60):02d}"
    )
    gaps = _gaps(table, scenario)
    return Inventory(table, weekdays, intervals, gaps, default_within)


def _within(scenario: Any, channel: str, default: float) -> float:
    if scenario is None or channel not in getattr(scenario, "channels", {}):
        return default
    w = scenario.channels[channel].target.within
    return float(w) if w is not None else default


def _gaps(table: pd.DataFrame, scenario: Any) -> pd.DataFrame:
    cols = ["channel", "measure", "target", "actual", "gap"]
    if scenario is None:
        return pd.DataFrame(columns=cols)
    rows = []
    for _, r in table.iterrows():
        ch = r["channel"]
        if ch not in scenario.channels:
            continue
        t = scenario.channels[ch].target
        if t.service_level is not None:
            rows.append((ch, "service_level", t.service_level, r["service_level"],
                         r["service_level"] - t.service_level))  # fmt: skip
        if t.max_abandonment is not None:
            rows.append((ch, "abandonment", t.max_abandonment, r["abandonment"],
                         t.max_abandonment - r["abandonment"]))  # fmt: skip
        if t.max_wait is not None:
            rows.append((ch, "average_wait_s", t.max_wait, r["average_wait_s"],
                         t.max_wait - r["average_wait_s"]))  # fmt: skip
        aht = scenario.channels[ch].aht
        if aht is not None and np.isfinite(r["aht_s"]):
            rows.append((ch, "aht_s", aht, r["aht_s"], aht - r["aht_s"]))
    return pd.DataFrame(rows, columns=cols)
