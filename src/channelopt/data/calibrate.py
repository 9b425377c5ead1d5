"""``calibrate``: fit a valid scenario to contact records, with a report of every fit.

Every estimator and its assumptions are described in docs/data.md.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..units import parse_duration
from ._measures import DAY_NAMES, agents_on_duty, local_seconds, next_contact, queue_time, queued
from ._records import ContactRecords
from .survival import (
    exponential_patience,
    fit_censored,
    fit_handle_time,
    fits_table,
    kaplan_meier,
    km_mean,
    repeat_fit,
)

__all__ = ["Calibration", "calibrate", "observed_arrivals", "split_classes"]

Progress = Callable[[int, int, str], object]

#: an interval is open when its mean arrivals reach this share of the busiest interval's
OPEN_SHARE = 0.02
#: a channel is one of an agent's skills when it is at least this share of their contacts
SKILL_SHARE = 0.10
#: pools with fewer agents than this merge into a larger pool (agents are people, not noise)
MIN_POOL_AGENTS = 3
#: suffix of a priority-class channel (``retail`` -> ``retail_priority``)
PRIORITY_SUFFIX = "_priority"
#: suffix of a self-service front channel (``retail`` -> ``retail_self_service``)
SELF_SERVICE_SUFFIX = "_self_service"


@dataclass
class Calibration:
    """A calibrated scenario and the report of each fit.

    Attributes
    ----------
    scenario : Scenario
        The fitted, validated scenario.
    volumes : DataFrame
        channel, weekday, days, contacts_per_day (contacts reaching the agents).
    profile : DataFrame
        channel, interval, start, share (mean intraday shape of the fitted days).
    handle_time : DataFrame
        channel, family, mean_s, cv, loglik, aic, delta_aic, sample_mean_s, chosen.
    patience : DataFrame
        channel, queued, abandoned, exponential_mean_s, exponential_se_s,
        kaplan_meier_mean_s (restricted to the longest wait), best_family,
        best_family_mean_s, chosen.
    kaplan_meier : dict of DataFrame
        Per channel, the Kaplan-Meier curve of patience.
    journeys : DataFrame
        channel, identified, retrial_probability, retrial_delay_s,
        repeat_probability, repeat_delay_s, handoff_rate.
    pools : DataFrame
        pool, skills, agents (names), headcount, roster (agents on duty per open interval).
    agents_on_duty : DataFrame
        date, interval, pool, agents: inferred from service records (see
        :func:`channelopt.data._measures.agents_on_duty`).
    priority : DataFrame
        Priority classes where the records have them: priority, queued, share,
        average_wait_s, abandonment.
    notes : list of str
        Choices made and data left out, in words.
    mapping : dict
        Record type -> channel used.
    head_start : dict of int to float
        ``priority`` value -> head start (s) of the classes split into channels of
        their own (``<channel>_priority``); empty when none.
    self_service : DataFrame
        Self-service fronts (VRU-only contacts): channel, serves, entries_per_day,
        contained_per_day, containment, handoffs.
    repeats : DataFrame
        channel, followed (answered, identified, followed for a whole window),
        seen (repeats within the window), probability, se, delay_s (pooled), to.
    """

    scenario: Any
    volumes: pd.DataFrame
    profile: pd.DataFrame
    handle_time: pd.DataFrame
    patience: pd.DataFrame
    kaplan_meier: dict[str, pd.DataFrame]
    journeys: pd.DataFrame
    pools: pd.DataFrame
    agents_on_duty: pd.DataFrame
    priority: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    head_start: dict[int, float] = field(default_factory=dict)
    self_service: pd.DataFrame = field(default_factory=pd.DataFrame)
    repeats: pd.DataFrame = field(default_factory=pd.DataFrame)

    def staffing(self, date: Any = None) -> pd.DataFrame:
        """Agents on duty per pool and interval (``pool, interval, agents``) for ``simulate``.

        ``date``: one local date; default the mean over the fitted days (rounded to
        whole agents).
        """
        a = self.agents_on_duty
        if date is not None:
            a = a[a["date"] == pd.Timestamp(date)]
            t = a.groupby(["pool", "interval"], as_index=False)["agents"].sum()
        else:
            days = max(self.agents_on_duty["date"].nunique(), 1)
            t = a.groupby(["pool", "interval"], as_index=False)["agents"].sum()
            t["agents"] = t["agents"] / days
        grid = pd.MultiIndex.from_product(
            [list(self.scenario.pools), range(self.scenario.intervals_per_day)],
            names=["pool", "interval"],
        )
        t = t.set_index(["pool", "interval"]).reindex(grid, fill_value=0.0).reset_index()
        t["agents"] = np.round(t["agents"].to_numpy()).astype(int)
        return t

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write every table as CSV and ``calibration.md`` (a summary) into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "volumes": self.volumes,
            "profile": self.profile,
            "handle_time": self.handle_time,
            "patience": self.patience,
            "journeys": self.journeys,
            "pools": self.pools,
            "agents_on_duty": self.agents_on_duty,
            "priority": self.priority,
            "self_service": self.self_service,
            "repeats": self.repeats,
        }
        for name, t in tables.items():
            _atomic_csv(t, out / f"{name}.csv")
        for ch, km in self.kaplan_meier.items():
            _atomic_csv(km, out / f"kaplan_meier_{_safe(ch)}.csv")
        _atomic_text(out / "calibration.md", self.to_markdown())
        return out

    def to_markdown(self) -> str:
        """A short human summary of the fits."""
        parts = [f"# Calibration of {self.scenario.name}", ""]
        for title, t in (
            ("Handle time (chosen family: lowest AIC)", self.handle_time),
            ("Patience", self.patience),
            ("Journeys", self.journeys),
            ("Pools", self.pools.drop(columns=["agents"], errors="ignore")),
            ("Priority classes", self.priority),
            ("Self-service (contacts that ended there)", self.self_service),
            ("Repeats (window-corrected)", self.repeats),
        ):
            parts += [f"## {title}", "", _md_table(t), ""]
        parts += ["## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(parts) + "\n"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _md_table(t: pd.DataFrame) -> str:
    if len(t) == 0:
        return "(none)"
    cols = list(t.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in t.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in r]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def _atomic_csv(t: pd.DataFrame, path: Path) -> None:
    _atomic_text(path, t.to_csv(index=False))


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def observed_arrivals(
    records: ContactRecords,
    interval: float,
    channels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Contacts reaching the agents per local date, interval and channel.

    Columns ``date, interval, channel, contacts``; counted at the time the contact
    joined the queue; ``channels`` renames (and selects) record types.
    """
    f = records.frame
    f = f[queued(f)]
    ch = f["channel"].astype(str)
    if channels is not None:
        ch = ch.map(dict(channels))
        f, ch = f[ch.notna()], ch[ch.notna()]
    date, secs = local_seconds(queue_time(f))
    slot = (secs // interval).astype(int)
    out = (
        pd.DataFrame({"date": date, "interval": slot, "channel": ch})
        .groupby(["date", "interval", "channel"])
        .size()
        .rename("contacts")
        .reset_index()
    )
    return out


def _open_hours(profile: np.ndarray, step: float) -> tuple[str, np.ndarray]:
    """Opening hours "HH:MM-HH:MM" spanning the intervals with >= OPEN_SHARE of the peak."""
    peak = profile.max() if profile.size else 0.0
    if peak <= 0:
        return "24h", np.ones_like(profile, dtype=bool)
    on = np.flatnonzero(profile >= OPEN_SHARE * peak)
    lo, hi = int(on[0]), int(on[-1]) + 1
    mask = np.zeros(len(profile), dtype=bool)
    mask[lo:hi] = True
    if lo == 0 and hi == len(profile):
        return "24h", mask

    def clock(i: int) -> str:
        s = i * step
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}"

    return f"{clock(lo)}-{clock(hi)}", mask


def _name_of(t: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_-]", "_", str(t)).lower()
    return n or "channel"


def calibrate(
    records: ContactRecords,
    interval: str | float = "30min",
    channels: Mapping[str, str] | None = None,
    *,
    days: Sequence[str] | None = None,
    name: str | None = None,
    target: Mapping[str, Any] | None = None,
    retrial_window: str | float = "1h",
    repeat_window: str | float = "24h",
    duty_gap: str | float = "10min",
    patience: str = "exponential",
    priority: Mapping[int, str | float] | str | None = None,
    repeats: bool = True,
    self_service: bool | str = "auto",
    progress: Progress | None = None,
    return_report: bool = False,
) -> Any:
    """Fit a valid scenario to contact records.

    Parameters
    ----------
    records : ContactRecords
        The records to fit (select the fitting period first, e.g. ``rec.between(...)``).
    interval : str or float
        Planning interval of the scenario ("30min" or seconds).
    channels : mapping, optional
        Record type -> scenario channel (several types may share a channel). Types
        not listed are left out (and counted in the notes). Default: every type, as
        a lower-case channel name.
    days : sequence of str, optional
        Weekdays to fit (``["sun", "mon", "tue", "wed", "thu"]``); default all.
    name : str, optional
        Scenario name.
    target : mapping, optional
        Service target of every channel; default ``{"service_level": 0.8, "within": "20s"}``
        (a management choice the records cannot tell; the observed service level is
        in :func:`inventory`).
    retrial_window : str or float
        An abandoned contact followed by the same customer within this time is a retrial.
    repeat_window : str or float
        An answered contact followed by the same customer within this time is a
        repeat; the probability is corrected for the repeats the window cuts off
        (:func:`channelopt.data.survival.repeat_fit`).
    duty_gap : str or float
        Longest idle time inside one spell on duty of an agent (agents-on-duty rule).
    patience : {"exponential", "best"}
        ``exponential``: the mean is the exponential MLE (total wait / abandonments,
        Brown et al. 2005), the patience Erlang A assumes. ``best``: the family with
        the lowest AIC among those the scenario supports (only where the scenario has
        ``patience_distribution``; otherwise the exponential mean is used).
    priority : None, "auto" or mapping
        Priority classes: ``priority`` value of the records -> head start (s or a
        duration string). Each such class of a channel becomes a channel of its own
        (``<channel>_priority``) with that ``head_start``, served by the same pools,
        which then select the longest-waiting contact. ``"auto"``: what the reader
        documents (``records.head_start``; the Anonymous Bank: ``{2: "90s"}``).
        ``None`` (default): no classes; the classes are reported in ``.priority``.
        Not the default because on the bank the split replays July less well
        (docs/data.md, "Priority classes in the replay").
    repeats : bool
        Write the repeats into the scenario (``resolution`` and ``journeys.repeats``).
    self_service : "auto" or bool
        Where contacts of a channel ended in self-service (outcome ``contained``;
        the bank's VRU-only calls), put a ``self_service`` front before it
        (``<channel>_self_service``): every contact arrives there, the contained
        share ends there (``containment``), the rest is handed off to the channel
        (and its priority classes). ``False``: no fronts.
    progress : callable, optional
        ``progress(done, total, message)`` per fitting step.
    return_report : bool
        Return the :class:`Calibration` (scenario and report) instead of the scenario.

    Returns
    -------
    Scenario or Calibration

    Notes
    -----
    The scenario's volume is the mean number of contacts per fitted day that reach
    the agents (answered or abandoned), less the expected retrials and repeats
    (which the engines generate from ``journeys``); with a self-service front the
    volume sits on the front and reaches the channel by its hand-off. A repeat is
    any contact of the same customer within ``repeat_window`` after an answered one:
    the records cannot tell a repeat about the same matter from a new matter (the
    bank's stock traders call daily), so ``resolution`` is a lower bound on
    first-contact resolution (docs/data.md).
    """
    from ..scenario import load_scenario
    from ..scenario.models import Channel

    step = parse_duration(interval)
    r_win = parse_duration(retrial_window)
    rep_win = parse_duration(repeat_window)
    gap = parse_duration(duty_gap)
    if patience not in ("exponential", "best"):
        raise ValueError(f"patience must be 'exponential' or 'best'; got {patience!r}")
    heads = _head_starts(records, priority)
    f = records.frame
    if days is not None:
        want = {DAY_NAMES.index(d[:3].lower()) for d in days}
        f = f[f["arrival"].dt.day_of_week.isin(want)]
    types = f["channel"].astype(str)
    mapping = dict(channels) if channels is not None else {t: _name_of(t) for t in types.unique()}
    notes: list[str] = []
    left_out = types[~types.isin(list(mapping))]
    if len(left_out):
        notes.append(
            f"{len(left_out):,} records of types {sorted(left_out.unique())} are not in "
            "`channels` and were left out"
        )
    f = f[types.isin(list(mapping))].copy()
    if len(f) == 0:
        raise DataError("no records to calibrate (after selecting days and channels)")
    f["channel"] = f["channel"].astype(str).map(mapping)
    f["base"] = f["channel"]
    f = split_classes(f, heads)
    names = list(f.loc[queued(f), "channel"].value_counts().index)
    if not names:
        raise DataError("no contacts reached the agents (answered or abandoned) to calibrate")
    pairs = f[["channel", "base"]].drop_duplicates()
    base_of = dict(zip(pairs["channel"], pairs["base"], strict=True))
    total_steps = 6
    tick = _ticker(progress, total_steps)

    # -- volumes, profile, opening hours -----------------------------------------------------
    sub = ContactRecords(f, source=records.source, tz=records.tz)
    arr = observed_arrivals(sub, step)
    n_days = int(local_seconds(f["arrival"])[0].nunique())
    per_day = round(86400 / step)
    counts = np.zeros((len(names), per_day))
    for k, ch in enumerate(names):
        a = arr[arr["channel"] == ch].groupby("interval")["contacts"].sum()
        counts[k, a.index.to_numpy()] = a.to_numpy() / n_days
    hours, open_mask = _open_hours(counts.sum(axis=0), step)
    outside = counts[:, ~open_mask].sum()
    if outside > 0:
        notes.append(
            f"opening hours {hours}: {outside:.1f} contacts per day arrive outside them "
            f"({outside / counts.sum():.2%}) and are not in the scenario"
        )
    wd = arr.assign(weekday=arr["date"].dt.day_of_week.map(dict(enumerate(DAY_NAMES))))
    dates_wd = wd.drop_duplicates("date")["weekday"].value_counts()
    volumes = wd.groupby(["channel", "weekday"], as_index=False)["contacts"].sum()
    volumes["days"] = volumes["weekday"].map(dates_wd).astype(int)
    volumes["contacts_per_day"] = volumes["contacts"] / volumes["days"]
    volumes = volumes[["channel", "weekday", "days", "contacts_per_day"]]
    prof_rows = []
    for k, ch in enumerate(names):
        c = np.where(open_mask, counts[k], 0.0)
        share = c / c.sum() if c.sum() > 0 else c
        for i in range(per_day):
            s = i * step
            prof_rows.append((ch, i, f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}", share[i]))
    profile = pd.DataFrame(prof_rows, columns=["channel", "interval", "start", "share"])
    tick("volumes and profiles")

    # -- journeys: retrials, repeats, hand-offs ----------------------------------------------
    nxt = next_contact(f)
    ident = f["customer_id"].notna()
    ab = (f["outcome"] == "abandoned") & ident
    ans = (f["outcome"] == "answered") & ident
    retry = ab & (nxt["gap"] <= r_win)
    rep = ans & (nxt["gap"] <= rep_win)
    p_retry = float(retry.sum() / ab.sum()) if ab.any() else 0.0
    d_retry = float(nxt.loc[retry, "gap"].mean()) if retry.any() else r_win / 2
    # a retrial in the same second (clock resolution) still has a positive delay
    d_retry = max(d_retry, 1.0)
    if p_retry >= 1.0:
        # the scenario rejects 1 (a contact would retry forever); say so
        notes.append("every identified abandoned contact retried: probability capped at 0.99")
        p_retry = 0.99
    jrows = []
    for ch in names:
        m = f["channel"] == ch
        jrows.append(
            {
                "channel": ch,
                "identified": float(ident[m].mean()),
                "retrial_probability": float(retry[m].sum() / ab[m].sum()) if ab[m].any() else 0.0,
                "retrial_delay_s": float(nxt.loc[retry & m, "gap"].mean())
                if (retry & m).any()
                else math.nan,
                "repeat_probability": float(rep[m].sum() / ans[m].sum()) if ans[m].any() else 0.0,
                "repeat_delay_s": float(nxt.loc[rep & m, "gap"].mean())
                if (rep & m).any()
                else math.nan,
                "handoff_rate": float(f.loc[m & (f["outcome"] == "answered"), "transferred_to"]
                                      .notna().mean()) if (m & (f["outcome"] == "answered")).any()
                else 0.0,
            }
        )  # fmt: skip
    journeys_t = pd.DataFrame(jrows)
    rep_rows, rep_to, rep_delay = _repeats(f, nxt, names, ans, rep_win)
    repeats_t = pd.DataFrame(rep_rows)
    write_repeats = repeats and math.isfinite(rep_delay) and bool(rep_to)
    if write_repeats:
        notes.append(
            f"repeats: an answered, identified contact followed by the same customer within "
            f"{rep_win:.0f} s; probability corrected for the delays beyond the window "
            f"(exponential delay, mean {rep_delay:.0f} s, fitted truncated at the window); "
            "written as `resolution` = 1 - probability and `journeys.repeats`. The records "
            "cannot tell a repeat about the same matter from a new one, so resolution is a "
            "lower bound on first-contact resolution"
        )
    elif repeats:
        notes.append("repeats: none seen (or their delay is not identified): not written")
    notes.append(
        f"retrials: {p_retry:.1%} of identified abandoned contacts call again within "
        f"{r_win:.0f} s (mean delay {d_retry:.0f} s, truncated at the window); "
        "contacts without a customer id are assumed to retry alike"
    )
    handoffs: dict[str, dict[str, float]] = {}
    tr = f[(f["outcome"] == "answered") & f["transferred_to"].notna()]
    for ch in names:
        n_ans = int(((f["channel"] == ch) & (f["outcome"] == "answered")).sum())
        row = tr[tr["channel"] == ch]["transferred_to"].astype(str).map(lambda t: mapping.get(t, t))
        row = row[row.isin(names) & (row != ch)].value_counts()
        if n_ans and len(row):
            handoffs[ch] = {k: float(v / n_ans) for k, v in row.items()}
    tick("journeys")

    # -- handle time -------------------------------------------------------------------------
    usable = f["usable"] if "usable" in f else pd.Series(True, index=f.index)
    ht_rows = []
    chosen_ht: dict[str, tuple[str, float, float]] = {}
    for ch in names:
        x = f.loc[(f["channel"] == ch) & (f["outcome"] == "answered") & usable, "handle_time"]
        x = x.dropna().to_numpy(dtype=float)
        x = x[x > 0]
        if len(x) < 2:
            raise DataError(f"channel {ch!r} has fewer than 2 usable handle times to fit")
        fits = fit_handle_time(x)
        t = fits_table(fits, float(x.mean()))
        t.insert(0, "channel", ch)
        t["chosen"] = [i == 0 for i in range(len(t))]
        ht_rows.append(t)
        # the mean of the scenario is the sample mean (unbiased whatever the family);
        # the family and cv come from the best fit
        chosen_ht[ch] = (fits[0].family, float(x.mean()), fits[0].cv)
    handle_time = pd.concat(ht_rows, ignore_index=True)
    tick("handle times")

    # -- patience ----------------------------------------------------------------------------
    pat_rows = []
    km_curves: dict[str, pd.DataFrame] = {}
    chosen_pat: dict[str, tuple[str, float, float]] = {}
    for ch in names:
        g = f[(f["channel"] == ch) & queued(f) & usable]
        w = g["wait"].fillna(0.0).to_numpy(dtype=float)
        a = (g["outcome"] == "abandoned").to_numpy()
        mean, se = exponential_patience(w, a)
        km = kaplan_meier(w, a)
        km_curves[ch] = km
        fits = fit_censored(w[w > 0], a[w > 0]) if a.any() else []
        best = fits[0] if fits else None
        pat_rows.append(
            {
                "channel": ch,
                "queued": len(g),
                "abandoned": int(a.sum()),
                "exponential_mean_s": mean,
                "exponential_se_s": se,
                "kaplan_meier_mean_s": km_mean(km),
                "longest_wait_s": float(w.max()) if len(w) else math.nan,
                "best_family": best.family if best else "",
                "best_family_mean_s": best.mean if best else math.nan,
                "best_family_cv": best.cv if best else math.nan,
            }
        )
        if best is not None and patience == "best":
            chosen_pat[ch] = (best.family, best.mean, best.cv)
        else:
            chosen_pat[ch] = ("exponential", mean, 1.0)
    patience_t = pd.DataFrame(pat_rows)
    patience_t["chosen"] = [chosen_pat[c][0] for c in patience_t["channel"]]
    notes.append(
        "patience: the scenario's mean is the exponential MLE (total waiting time of all "
        "queued contacts / abandonments; Brown et al. 2005), the patience Erlang A and the "
        "default simulation assume; Kaplan-Meier (restricted to the longest observed wait) "
        "and the best censored-likelihood family are reported beside it"
        if patience == "exponential"
        else "patience: the family with the lowest AIC under censoring is used"
    )
    tick("patience")

    # -- pools, skills, agents on duty -------------------------------------------------------
    bases = list(dict.fromkeys(base_of[n] for n in names))
    pool_of, pools_t = _pools(f.assign(channel=f["base"]), bases)
    classes_of = {b: [n for n in names if base_of[n] == b] for b in bases}
    pools_t["skills"] = [
        tuple(c for b in skills for c in classes_of.get(b, [b])) for skills in pools_t["skills"]
    ]
    duty = agents_on_duty(f, step, gap, pool_of)
    duty_open = duty[duty["interval"].isin(np.flatnonzero(open_mask))]
    all_dates = local_seconds(f["arrival"])[0].drop_duplicates()
    roster: dict[str, int] = {}
    for pool in pools_t["pool"]:
        d = duty_open[duty_open["pool"] == pool]
        mean_on = d["agents"].sum() / max(len(all_dates) * int(open_mask.sum()), 1)
        roster[pool] = max(round(mean_on), 1)
    pools_t["roster"] = pools_t["pool"].map(roster)
    tick("pools and agents on duty")

    # -- priority classes --------------------------------------------------------------------
    priority_t = _priority(f)
    if heads:
        split = ", ".join(f"priority {v}: head start {h:g} s" for v, h in heads.items())
        notes.append(
            f"priority classes ({split}) are channels of their own (`{PRIORITY_SUFFIX}`), "
            "served by the same pools, which select the longest-waiting contact "
            "(`skill_selection: longest_waiting`, `head_start`)"
        )
    elif len(priority_t) > 1:
        notes.append(
            "priority classes are reported but not split (pass `priority='auto'` for the "
            "head start the reader documents, or `priority={value: head_start}`)"
        )

    # -- the scenario ------------------------------------------------------------------------
    fields = Channel.model_fields
    tgt = dict(target) if target is not None else {"service_level": 0.8, "within": "20s"}
    retry_share = {ch: 0.0 for ch in names}
    if p_retry > 0:
        for ch in names:
            m = f["channel"] == ch
            n_ab = int((f["outcome"][m] == "abandoned").sum())
            n_q = int(queued(f[m]).sum())
            retry_share[ch] = p_retry * n_ab / n_q if n_q else 0.0
    repeat_in = {ch: 0.0 for ch in names}
    rep_prob = repeats_t.set_index("channel")["probability"] if write_repeats else None
    if write_repeats:
        for r in repeats_t.itertuples():
            # every answered contact may repeat (unidentified ones assumed alike)
            served = (f["channel"] == r.channel) & (f["outcome"] == "answered")
            answered_per_day = int(served.sum()) / n_days
            for to, share in rep_to.get(r.channel, {}).items():
                repeat_in[to] += answered_per_day * r.probability * share
    chans: dict[str, Any] = {}
    clipped = []
    for k, ch in enumerate(names):
        c = np.where(open_mask, counts[k], 0.0)
        fam, mean_ht, cv_ht = chosen_ht[ch]
        vol = float(c.sum()) * (1.0 - retry_share[ch]) - repeat_in[ch]
        if vol < 0:
            clipped.append(ch)
        doc: dict[str, Any] = {
            "kind": "live",
            "volume": round(max(vol, 0.0), 3),
            "profile": [round(float(v), 6) for v in c / c.sum()] if c.sum() > 0 else None,
            "aht": round(mean_ht, 3),
            "target": tgt,
        }
        if "handle_time" in fields:
            doc["handle_time"] = (
                {"distribution": fam}
                if fam == "exponential"
                else {"distribution": fam, "cv": round(cv_ht, 4)}
            )
        else:
            # round 1: aht_cv shapes a lognormal handle time in the simulation
            doc["aht_cv"] = round(cv_ht, 4)
        pfam, pmean, pcv = chosen_pat[ch]
        if math.isfinite(pmean):
            doc["patience"] = round(pmean, 3)
            if "patience_distribution" in fields and pfam != "exponential":
                doc["patience_distribution"] = {"distribution": pfam, "cv": round(pcv, 4)}
        if ch != base_of[ch]:  # a priority class
            doc["head_start"] = heads[_class_value(ch, base_of[ch], heads)]
        if rep_prob is not None and ch in rep_to:
            p_rep = float(rep_prob[ch])
            doc["resolution"] = round(1.0 - p_rep, 4)
        chans[ch] = {k2: v for k2, v in doc.items() if v is not None}
    if clipped:
        notes.append(
            f"channels {clipped}: expected retrials and repeats exceed the observed contacts; "
            "external volume set to 0"
        )
    fronts_t, fronts = _self_service(
        f, names, base_of, chans, open_mask, step, n_days, self_service
    )
    for front, doc_front in fronts.items():
        chans[front] = doc_front["channel"]
        for ch in doc_front["serves"]:
            chans[ch]["volume"] = 0.0  # every contact arrives through the front
            chans[ch].pop("profile", None)
    if fronts:
        notes.append(
            "self-service: contacts that ended without queueing (outcome `contained`; the "
            "bank's VRU-only calls) are contained in a self_service front per channel "
            f"(`{SELF_SERVICE_SUFFIX}`), which hands the rest off to the channel and its "
            "classes; the bank's records do not say whether a VRU-only caller was helped "
            "or gave up (its documentation calls the exit 'leaving the system'), so the "
            "containment is the share that ended there, not a measured resolution"
        )
    scenario_doc: dict[str, Any] = {
        "name": name or f"calibrated from {Path(str(records.source)).name}",
        "description": (
            f"Calibrated by channelopt from {len(f):,} records over {n_days} days"
            + (f" ({', '.join(days)})" if days else "")
        ),
        "interval": step,
        "open": hours,
        "channels": chans,
        "pools": {
            r.pool: {"skills": list(r.skills), "agents": int(r.roster)}
            | (
                {"skill_selection": "longest_waiting"}
                if any(s != base_of.get(s, s) for s in r.skills)
                else {}
            )
            for r in pools_t.itertuples()
        },
    }
    journeys_doc: dict[str, Any] = {}
    if p_retry > 0:
        journeys_doc["retrials"] = {"probability": round(p_retry, 4), "delay": round(d_retry, 1)}
    for front, doc_front in fronts.items():
        handoffs[front] = doc_front["handoffs"]
    if handoffs:
        journeys_doc["handoffs"] = handoffs
    if write_repeats:
        journeys_doc["repeats"] = {
            # repeats in the same second (clock resolution) still have a positive delay
            "delay": round(max(rep_delay, 1.0), 1),
            "delay_distribution": "exponential",
            "to": rep_to,
        }
    if journeys_doc:
        scenario_doc["journeys"] = journeys_doc
    sc = load_scenario(scenario_doc)
    tick("scenario")
    report = Calibration(
        scenario=sc,
        volumes=volumes,
        profile=profile,
        handle_time=handle_time,
        patience=patience_t,
        kaplan_meier=km_curves,
        journeys=journeys_t,
        pools=pools_t,
        agents_on_duty=duty,
        priority=priority_t,
        notes=notes,
        mapping=mapping,
        head_start=heads,
        self_service=fronts_t,
        repeats=repeats_t,
    )
    return report if return_report else sc


def _ticker(progress: Progress | None, total: int) -> Callable[[str], None]:
    state = {"done": 0}

    def tick(message: str) -> None:
        state["done"] += 1
        if progress is not None:
            progress(state["done"], total, message)

    return tick


def _pools(f: pd.DataFrame, names: list[str]) -> tuple[dict[str, str], pd.DataFrame]:
    """Agents grouped by skill set (channels >= SKILL_SHARE of their contacts)."""
    served = f[(f["outcome"] == "answered") & f["agent"].notna()]
    if len(served) == 0:
        t = pd.DataFrame(
            {"pool": ["agents"], "skills": [tuple(names)], "agents": [()], "headcount": [0]}
        )
        return {}, t
    share = pd.crosstab(served["agent"].astype(str), served["channel"], normalize="index")
    volume = f["channel"].value_counts()
    skillsets: dict[str, tuple[str, ...]] = {}
    for agent, row in share.iterrows():
        chosen = [c for c in row.index if row[c] >= SKILL_SHARE] or [row.idxmax()]
        skillsets[str(agent)] = tuple(sorted(chosen, key=lambda c: -volume.get(c, 0)))
    groups: dict[tuple[str, ...], list[str]] = {}
    for agent, s in skillsets.items():
        groups.setdefault(s, []).append(agent)
    # small groups join the largest group whose skills cover theirs, else the largest
    order = sorted(groups, key=lambda s: -len(groups[s]))
    big = [s for s in order if len(groups[s]) >= MIN_POOL_AGENTS] or order[:1]
    merged: dict[tuple[str, ...], list[str]] = {s: list(groups[s]) for s in big}
    extra: dict[tuple[str, ...], set[str]] = {s: set() for s in big}
    for s in order:
        if s in merged:
            continue
        home = next((b for b in big if set(s) <= set(b)), big[0])
        merged[home] += groups[s]
        extra[home] |= set(s) - set(home)
    rows: list[dict[str, Any]] = []
    pool_of: dict[str, str] = {}
    covered: set[str] = set()
    for s, agents in merged.items():
        skills = tuple(sorted(set(s) | extra[s], key=lambda c: -volume.get(c, 0)))
        pname = _safe("_".join(skills))[:60]
        covered |= set(skills)
        rows.append({"pool": pname, "skills": skills, "agents": tuple(sorted(agents)),
                     "headcount": len(agents)})  # fmt: skip
        for a in agents:
            pool_of[a] = pname
    missing = [c for c in names if c not in covered]
    if missing:  # a channel nobody served still needs a pool: the largest takes it
        rows[0]["skills"] = tuple(rows[0]["skills"]) + tuple(missing)
    return pool_of, pd.DataFrame(rows)


def _priority(f: pd.DataFrame) -> pd.DataFrame:
    cols = ["priority", "queued", "share", "average_wait_s", "abandonment"]
    if "priority" not in f or f["priority"].isna().all():
        return pd.DataFrame(columns=cols)
    q = f[queued(f)]
    rows = []
    for p, g in q.groupby("priority"):
        ans = g["outcome"] == "answered"
        rows.append(
            {
                "priority": p,
                "queued": len(g),
                "share": len(g) / len(q),
                "average_wait_s": float(g.loc[ans, "wait"].mean()) if ans.any() else math.nan,
                "abandonment": float((g["outcome"] == "abandoned").mean()),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _head_starts(
    records: ContactRecords, priority: Mapping[int, str | float] | str | None
) -> dict[int, float]:
    """``priority`` value -> head start (s) of the classes to split (see ``calibrate``)."""
    if priority is None:
        return {}
    if isinstance(priority, str):
        if priority != "auto":
            raise ValueError(f"priority must be 'auto', a mapping or None; got {priority!r}")
        source: Mapping[int, str | float] = getattr(records, "head_start", None) or {}
    else:
        source = priority
    out: dict[int, float] = {}
    for value, head in source.items():
        sec = parse_duration(head) if isinstance(head, str) else float(head)
        if not (0 < sec < math.inf):
            raise ValueError(
                f"priority[{value!r}]: expected a positive head start (a duration); got {head!r}"
            )
        out[int(value)] = sec
    if out and "priority" not in records.frame:
        return {}  # no classes in these records
    return out


def _suffix(value: int, heads: Mapping[int, float]) -> str:
    return PRIORITY_SUFFIX if len(heads) == 1 else f"{PRIORITY_SUFFIX}{value}"


def _class_value(channel: str, base: str, heads: Mapping[int, float]) -> int:
    return next(v for v in heads if base + _suffix(v, heads) == channel)


def split_classes(frame: pd.DataFrame, heads: Mapping[int, float]) -> pd.DataFrame:
    """``frame`` with each priority class of ``heads`` in a channel of its own.

    ``channel`` becomes ``<base><suffix>`` where ``priority`` is one of the
    classes (``base``: the column ``base`` when present, else ``channel``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Contact records with ``channel`` and, optionally, ``priority`` and ``base``.
    heads : mapping of int to float
        ``priority`` value -> head start (s) of the classes to split
        (:attr:`Calibration.head_start`); the suffix is ``_priority`` for a
        single class, ``_priority<value>`` for several.

    Returns
    -------
    pandas.DataFrame
        A copy with the new ``channel`` column (``frame`` itself when there is
        nothing to split).
    """
    if not heads or "priority" not in frame:
        return frame
    pr = pd.to_numeric(frame["priority"], errors="coerce").to_numpy()
    base = (frame["base"] if "base" in frame else frame["channel"]).astype(str)
    ch = frame["channel"].astype(str).to_numpy(dtype=object).copy()
    b = base.to_numpy(dtype=object)
    for value in heads:
        m = pr == value
        ch[m] = b[m] + _suffix(value, heads)
    return frame.assign(channel=ch)


def _floor(x: float, places: int = 6) -> float:
    """Round down, so that rounded shares never sum above 1."""
    k = 10**places
    return math.floor(x * k) / k


def _repeats(
    f: pd.DataFrame,
    nxt: pd.DataFrame,
    names: list[str],
    answered: pd.Series,
    window: float,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]], float]:
    """Per channel the window-corrected repeat fit; the ``repeats.to`` rows; the pooled delay.

    Only answered contacts that can be followed for a whole window (arriving at
    least ``window`` before the last record) are in the denominators; the delay
    is one exponential mean for every channel (the scenario has one), fitted to
    all seen gaps truncated at the window.
    """
    end = f["arrival"].max()
    follow = answered & (f["arrival"] <= end - pd.Timedelta(seconds=window))
    seen = follow & (nxt["gap"] <= window)
    pooled = repeat_fit(int(follow.sum()), nxt.loc[seen, "gap"].to_numpy(dtype=float), window)
    rows: list[dict[str, Any]] = []
    to: dict[str, dict[str, float]] = {}
    for ch in names:
        m = (f["channel"] == ch).to_numpy()
        g = nxt.loc[seen & m, "gap"].to_numpy(dtype=float)
        fit = repeat_fit(int((follow & m).sum()), g, window, delay=pooled.delay_s)
        p = fit.probability
        capped = math.isfinite(p) and p > 0.99
        if capped:
            p = 0.99  # the scenario refuses certain repeats (a contact would loop forever)
        nx = nxt.loc[seen & m, "next_channel"].astype(str)
        counts = nx[nx.isin(names)].value_counts()
        row = {str(k): _floor(v / len(g)) for k, v in counts.items()} if len(g) else {}
        if math.isfinite(p) and p > 0 and row:
            to[ch] = row
        rows.append(
            {
                "channel": ch,
                "followed": fit.contacts,
                "seen": fit.seen,
                "seen_share": fit.seen / fit.contacts if fit.contacts else math.nan,
                "probability": p,
                "se": fit.se,
                "capped": capped,
                "delay_s": fit.delay_s,
                "to": ", ".join(f"{k}: {v:.3f}" for k, v in row.items()),
            }
        )
    return rows, to, pooled.delay_s


def _self_service(
    f: pd.DataFrame,
    names: list[str],
    base_of: Mapping[str, str],
    chans: Mapping[str, Mapping[str, Any]],
    open_mask: np.ndarray,
    step: float,
    n_days: int,
    mode: bool | str,
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Self-service fronts of the channels whose contacts sometimes ended there.

    Per base channel ``b`` with contained contacts: volume = contained per day +
    the external volumes of ``b`` and its classes (already less retrials and
    repeats, which the engines send straight to the channel); containment =
    contained / volume; hand-offs = each class's share of the rest, so that the
    channels receive exactly their external volumes. The profile is that of every
    contact of ``b`` by arrival time (entry into self-service).
    """
    cols = ["channel", "serves", "entries_per_day", "contained_per_day", "containment",
            "handoffs"]  # fmt: skip
    if mode not in ("auto", True, False):
        raise ValueError(f"self_service must be 'auto', True or False; got {mode!r}")
    contained = (f["outcome"] == "contained").to_numpy()
    if mode is False or not contained.any():
        return pd.DataFrame(columns=cols), {}
    _, secs = local_seconds(f["arrival"])
    slot = (secs.to_numpy() // step).astype(int) % len(open_mask)
    in_open = open_mask[slot]
    reached = queued(f).to_numpy()
    rows: list[dict[str, Any]] = []
    fronts: dict[str, dict[str, Any]] = {}
    base = f["base"].astype(str).to_numpy()
    for b in dict.fromkeys(base_of[n] for n in names):
        serves = [n for n in names if base_of[n] == b]
        mb = base == b
        h = float((mb & contained & in_open).sum()) / n_days
        vols = {n: float(chans[n].get("volume", 0.0)) for n in serves}
        q = sum(vols.values())
        if h <= 0 or q <= 0:
            continue
        volume = h + q
        entries = mb & (contained | reached) & in_open
        prof = np.bincount(slot[entries], minlength=len(open_mask)).astype(float)
        prof = np.where(open_mask, prof, 0.0)
        name = f"{b}{SELF_SERVICE_SUFFIX}"
        handoffs = {n: _floor(vols[n] / q) for n in serves if vols[n] > 0}
        fronts[name] = {
            "channel": {
                "kind": "self_service",
                "volume": round(volume, 3),
                "profile": [round(float(v), 6) for v in prof / prof.sum()],
                "containment": round(h / volume, 4),
            },
            "serves": serves,
            "handoffs": handoffs,
        }
        rows.append(
            {
                "channel": name,
                "serves": ", ".join(serves),
                "entries_per_day": volume,
                "contained_per_day": h,
                "containment": h / volume,
                "handoffs": ", ".join(f"{k}: {v:.4f}" for k, v in handoffs.items()),
            }
        )
    return pd.DataFrame(rows, columns=cols), fronts
