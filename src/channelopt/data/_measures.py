"""Measures shared by inventory, calibration and actuals: counts, repeats, agents on duty."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "DAY_NAMES",
    "agents_on_duty",
    "local_seconds",
    "next_contact",
    "queued",
    "service_level_within",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: gap between two services of one agent that ends a spell on duty (documented rule)
DUTY_GAP = 600.0


def queue_time(frame: pd.DataFrame) -> pd.Series:
    """When the contact reached the agents' queue (queue start, else arrival)."""
    return frame["queue_start"].where(frame["queue_start"].notna(), frame["arrival"])


def local_seconds(times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(local date, seconds after local midnight) of tz-aware times."""
    naive = times.dt.tz_localize(None)
    date = naive.dt.normalize()
    return date, (naive - date).dt.total_seconds()


def queued(frame: pd.DataFrame) -> pd.Series:
    """Contacts that reached the agents: answered or abandoned (or timed out)."""
    return frame["outcome"].isin(["answered", "abandoned", "timed_out"])


def service_level_within(frame: pd.DataFrame, within: float) -> float:
    """Answered within ``within`` s over all contacts that reached the queue."""
    q = queued(frame)
    if not q.any():
        return float("nan")
    ok = (frame["outcome"] == "answered") & (frame["wait"].fillna(0.0) <= within)
    return float(ok[q].mean())


def next_contact(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row: seconds to the same customer's next contact and its channel.

    Rows without a customer id, and last contacts, get NaN / None.
    """
    cust = frame["customer_id"]
    ok = cust.notna().to_numpy()
    out = pd.DataFrame(
        {"gap": np.full(len(frame), np.nan), "next_channel": pd.Series([None] * len(frame))},
        index=frame.index,
    )
    if not ok.any():
        return out
    sub = frame.loc[ok, ["customer_id", "arrival", "channel"]].copy()
    sub["customer_id"] = sub["customer_id"].astype(str)
    sub = sub.sort_values(["customer_id", "arrival"], kind="stable")
    same = sub["customer_id"].shift(-1) == sub["customer_id"]
    gap = (sub["arrival"].shift(-1) - sub["arrival"]).dt.total_seconds()
    out.loc[sub.index, "gap"] = gap.where(same).to_numpy()
    nxt = sub["channel"].astype(str).shift(-1).where(same)
    out.loc[sub.index, "next_channel"] = nxt.to_numpy()
    return out


def agents_on_duty(
    frame: pd.DataFrame,
    interval: float = 1800.0,
    gap: float = DUTY_GAP,
    pool_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Agents on duty per day and interval, inferred from service records.

    Rule (docs/data.md): an agent is on duty from the start of a service to its end
    and across idle gaps shorter than ``gap`` seconds between two of their services
    (a *spell*); a longer gap is time off. Agents on duty in an interval is the time
    agents spent in spells during the interval divided by its length (fractional,
    a time average). Calls without an agent name are not used.

    Parameters
    ----------
    frame : DataFrame
        Canonical records.
    interval : float
        Interval length (s).
    gap : float
        Longest idle time (s) inside one spell on duty.
    pool_of : mapping, optional
        Agent -> pool; agents not in the mapping are left out. Default: one pool
        ``"all"``.

    Returns
    -------
    DataFrame
        Columns ``date, interval, pool, agents`` (local dates).
    """
    f = frame.loc[
        frame["agent"].notna() & frame["service_start"].notna(),
        ["agent", "service_start", "service_end"],
    ]
    cols = ["date", "interval", "pool", "agents"]
    if len(f) == 0:
        return pd.DataFrame(columns=cols)
    agent = f["agent"].astype(str)
    pool = agent.map(pool_of) if pool_of is not None else pd.Series("all", index=f.index)
    keep = pool.notna()
    f, agent, pool = f[keep], agent[keep], pool[keep]
    # naive local wall-clock seconds since the epoch: intervals are local
    epoch = pd.Timestamp(0)
    start = (f["service_start"].dt.tz_localize(None) - epoch).dt.total_seconds().to_numpy()
    end = (f["service_end"].dt.tz_localize(None) - epoch).dt.total_seconds().to_numpy()
    end = np.maximum(end, start)
    order = np.lexsort((start, agent.to_numpy()))
    a, s, e, p = agent.to_numpy()[order], start[order], end[order], pool.to_numpy()[order]
    # spells: a new spell starts at an agent's first service or after a gap > `gap`
    new_agent = np.r_[True, a[1:] != a[:-1]]
    # the end reached so far within an agent (services may overlap in the records)
    grp = np.cumsum(new_agent) - 1
    run_end = pd.Series(e).groupby(grp).cummax().to_numpy()
    prev_end = np.r_[-np.inf, run_end[:-1]]
    new_spell = new_agent | (s - prev_end > gap)
    spell = np.cumsum(new_spell) - 1
    sp = pd.DataFrame({"spell": spell, "s": s, "e": run_end, "pool": p})
    spells = sp.groupby("spell").agg(start=("s", "min"), end=("e", "max"), pool=("pool", "first"))
    # spread each spell over the intervals it covers
    first = np.floor(spells["start"].to_numpy() / interval).astype(np.int64)
    last = np.floor(
        np.maximum(spells["end"].to_numpy() - 1e-9, spells["start"].to_numpy()) / interval
    )
    last = last.astype(np.int64)
    counts = last - first + 1
    rep = np.repeat(np.arange(len(spells)), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    slot = first[rep] + offs
    lo = np.maximum(spells["start"].to_numpy()[rep], slot * interval)
    hi = np.minimum(spells["end"].to_numpy()[rep], (slot + 1) * interval)
    share = np.clip(hi - lo, 0, None) / interval
    per_day = round(86400 / interval)
    df = pd.DataFrame(
        {
            "day": slot // per_day,
            "interval": (slot % per_day).astype(int),
            "pool": spells["pool"].to_numpy()[rep],
            "agents": share,
        }
    )
    out = df.groupby(["day", "interval", "pool"], as_index=False)["agents"].sum()
    out["date"] = pd.to_datetime(out["day"] * 86400, unit="s")
    return out[cols]


def weekday_names(dates: pd.Series) -> pd.Series:
    """``mon``..``sun`` of local dates."""
    return dates.dt.day_of_week.map(dict(enumerate(DAY_NAMES)))
