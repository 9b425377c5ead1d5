"""One period of a plan staffed and reduced to plain numbers, with a cache.

The evaluation and the optimiser's exact mode both price staffing through
:func:`measure_starts`, so the model and the evaluation cannot drift apart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..scenario.kinds import kind_spec
from ._common import _initiative

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["PeriodMeasure", "clear_cache", "measure_period", "measure_starts"]


@dataclass(frozen=True, eq=False)
class PeriodMeasure:
    """Staffing outcome of one period on one day, as plain per-channel/per-pool arrays.

    Counts are per day (expected values). Shapes: C channels, P pools.
    """

    period: int
    channels: tuple[str, ...]
    pools: tuple[str, ...]
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    lost: np.ndarray
    handed_off: np.ndarray
    repeats: np.ndarray
    contained: np.ndarray
    wait_minutes: np.ndarray
    service_level: np.ndarray  # offered-weighted over the day; nan when no offered contacts
    average_wait: np.ndarray  # answered-weighted (s)
    abandonment: np.ndarray
    peak_agents: np.ndarray  # per channel, agents (slots / concurrency) at the peak interval
    paid_hours: np.ndarray  # per channel, FTE hours on one day
    pool_peak_agents: np.ndarray  # (P,)
    pool_peak_lower_bound: np.ndarray  # (P,)
    pool_paid_hours: np.ndarray  # (P,) FTE hours on one day
    pool_open_hours: np.ndarray  # (P,) hours on one day in which some skill channel is open
    effort_points: np.ndarray  # per channel per day
    sl_points_below: np.ndarray  # per channel: 100 x (target - achieved day SL), >= 0
    target_misses: tuple[str, ...]  # interval-level misses (when agents were given)
    residual: float = 0.0


_CACHE: OrderedDict[tuple, PeriodMeasure] = OrderedDict()


_CACHE_SIZE = 8192


def _cache_get(key: tuple) -> PeriodMeasure | None:
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
    return hit


def _cache_put(key: tuple, value: PeriodMeasure) -> None:
    _CACHE[key] = value
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


def clear_cache() -> None:
    """Forget every cached period measurement."""
    _CACHE.clear()


def _col(df: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    if name in df.columns:
        return df[name].to_numpy(dtype=float)
    return np.full(len(df), default)


def measure_period(resolved: Any, agents: np.ndarray | None = None) -> PeriodMeasure:
    """Staff one resolved period and reduce it to per-channel/per-pool daily numbers.

    Parameters
    ----------
    resolved : Resolved
        One period of the scenario (``Scenario.resolve``).
    agents : ndarray of shape (P,), optional
        Agents on duty per pool in every open interval; ``None`` staffs every
        channel to its targets.

    Returns
    -------
    PeriodMeasure
    """
    from ..staffing import staff_resolved

    result = staff_resolved(resolved, agents=agents)
    return _reduce(resolved, result, given=agents is not None)


def _reduce(resolved: Any, result: Any, *, given: bool) -> PeriodMeasure:
    C = resolved.n_channels
    channels = resolved.channels
    df = result.intervals
    interval_h = resolved.interval_s / 3600.0
    idx = df["channel"].map({c: i for i, c in enumerate(channels)}).to_numpy()

    def per_channel(values: np.ndarray) -> np.ndarray:
        out = np.zeros(C)
        np.add.at(out, idx, np.nan_to_num(values, nan=0.0, posinf=0.0))
        return out

    offered = _col(df, "offered")
    abandonment = np.nan_to_num(_col(df, "abandonment"), nan=0.0)
    abandoned = _col(df, "abandoned", np.nan)
    abandoned = np.where(np.isnan(abandoned), offered * abandonment, abandoned)
    contained = _col(df, "contained")
    staffed = np.asarray(resolved.staffed())
    wait = _col(df, "average_wait")
    if "answered" in df.columns:
        answered_i = _col(df, "answered")
    else:  # pragma: no cover - older staffing tables
        answered_i = np.clip(offered - abandoned - contained, 0.0, None)
    # Self-service contacts are not "answered" by agents.
    answered_i = np.where(staffed[idx], answered_i, 0.0)
    if "wait_minutes" in df.columns:
        wait_minutes_i = np.nan_to_num(_col(df, "wait_minutes"), nan=0.0)
    else:  # pragma: no cover - older staffing tables
        wait_minutes_i = np.where(answered_i > 0, answered_i * wait / 60.0, 0.0)
    sl = _col(df, "service_level", np.nan)

    off_c = per_channel(offered)
    ans_c = per_channel(answered_i)
    # Service level is offered-weighted over the intervals that have one; a
    # channel without a service-level measure (deferred, self-service) is NaN,
    # not 0, so averages over channels do not count it as a miss.
    sl_weight = per_channel(np.where(np.isnan(sl), 0.0, offered))
    with np.errstate(invalid="ignore", divide="ignore"):
        sl_c = per_channel(np.where(np.isnan(sl), 0.0, sl * offered)) / sl_weight
        wait_c = per_channel(np.where(answered_i > 0, answered_i * wait, 0.0)) / ans_c
    sl_c = np.where(sl_weight > 0, sl_c, np.nan)
    wait_c = np.where(ans_c > 0, wait_c, 0.0)
    aband_c = per_channel(abandoned)
    with np.errstate(invalid="ignore", divide="ignore"):
        abandonment_c = np.where(off_c > 0, aband_c / off_c, 0.0)
    # An unstable queue (load above agents, infinitely patient customers) waits
    # without bound: keep that infinity so the plan's effort and objective say
    # so, instead of mapping it to zero.
    wait_min_c = np.zeros(C)
    with np.errstate(over="ignore", invalid="ignore"):
        np.add.at(wait_min_c, idx, np.nan_to_num(wait_minutes_i, nan=0.0, posinf=np.inf))
    handed_c = per_channel(_col(df, "handed_off"))
    repeats_c = per_channel(_col(df, "repeats"))
    lost_c = per_channel(_col(df, "lost"))

    agents_i = np.nan_to_num(_col(df, "agents"), nan=0.0)
    peak_c = np.zeros(C)
    np.maximum.at(peak_c, idx, agents_i)
    paid_c = per_channel(_col(df, "fte") * interval_h)

    # Wait effort counts time spent holding in a queue (live and concurrent
    # channels). An email's time to response is its deadline's business, not
    # minutes of a customer's effort: counted per minute it would swamp every
    # other weight (docs/semantics.md, "Customer effort").
    queue_wait = np.array([kind_spec(k).queues for k in resolved.kinds], dtype=float)
    effort = (
        resolved.effort_wait_minute * np.where(queue_wait > 0, wait_min_c, 0.0)
        + resolved.effort_handoff * handed_c
        + resolved.effort_repeat * repeats_c
        + resolved.effort_abandoned * aband_c
    )

    target_sl = np.asarray(resolved.target_service_level, dtype=float)
    below = np.where(
        np.isnan(target_sl) | np.isnan(sl_c), 0.0, np.maximum(0.0, target_sl - sl_c) * 100.0
    )

    misses: list[str] = []
    if given:
        misses = _interval_misses(resolved, df, idx)

    P = len(resolved.pools)
    pdf = result.pools
    pool_idx = pdf["pool"].map({p: i for i, p in enumerate(resolved.pools)}).to_numpy()
    pool_peak = np.zeros(P)
    np.maximum.at(pool_peak, pool_idx, np.nan_to_num(_col(pdf, "agents"), nan=0.0))
    pool_lb = np.zeros(P)
    np.maximum.at(
        pool_lb, pool_idx, np.nan_to_num(_col(pdf, "agents_lower_bound", np.nan), nan=0.0)
    )
    pool_paid = np.zeros(P)
    np.add.at(pool_paid, pool_idx, np.nan_to_num(_col(pdf, "fte"), nan=0.0) * interval_h)
    open_mask = np.asarray(resolved.open_mask, dtype=bool)
    pool_open = np.array(
        [
            float(open_mask[:, list(skills)].any(axis=1).sum()) * interval_h if skills else 0.0
            for skills in resolved.pool_skills
        ]
    )
    return PeriodMeasure(
        period=int(resolved.period),
        channels=tuple(channels),
        pools=tuple(resolved.pools),
        offered=off_c,
        answered=ans_c,
        abandoned=aband_c,
        lost=lost_c,
        handed_off=handed_c,
        repeats=repeats_c,
        contained=per_channel(contained),
        wait_minutes=wait_min_c,
        service_level=sl_c,
        average_wait=wait_c,
        abandonment=abandonment_c,
        peak_agents=peak_c,
        paid_hours=paid_c,
        pool_peak_agents=pool_peak,
        pool_peak_lower_bound=pool_lb,
        pool_paid_hours=pool_paid,
        pool_open_hours=pool_open,
        effort_points=effort,
        sl_points_below=below,
        target_misses=tuple(misses),
        residual=float(getattr(result, "residual", 0.0) or 0.0),
    )


def _interval_misses(resolved: Any, df: pd.DataFrame, idx: np.ndarray) -> list[str]:
    """Interval-level target misses of given agents (hard targets hold in every interval)."""
    out: list[str] = []
    offered = _col(df, "offered")
    checks = (
        ("service level", "service_level", resolved.target_service_level, +1),
        ("average wait", "average_wait", resolved.target_max_wait, -1),
        ("abandonment", "abandonment", resolved.target_max_abandonment, -1),
        ("occupancy", "occupancy", resolved.target_max_occupancy, -1),
    )
    intervals = _col(df, "interval") if "interval" in df.columns else np.arange(len(df))
    for label, column, target, sign in checks:
        if column not in df.columns:
            continue
        goal = np.asarray(target, dtype=float)[idx]
        got = df[column].to_numpy(dtype=float)
        active = ~np.isnan(goal) & (offered > 0)
        ok = got >= goal - 1e-9 if sign > 0 else got <= goal + 1e-9
        bad = active & ~ok
        for ch in np.unique(idx[bad]):
            rows = np.flatnonzero(bad & (idx == ch))
            worst = rows[np.argmin(got[rows])] if sign > 0 else rows[np.argmax(got[rows])]
            out.append(
                f"{label} target {goal[worst]:g} missed in channel "
                f"{resolved.channels[ch]} in {len(rows)} interval(s) (worst: {got[worst]:.4g} "
                f"in interval {int(intervals[worst])})"
            )
    return out


def _scenario_key(scenario: Any) -> str:
    """The scenario's content hash (the planning cache key)."""
    return str(scenario.content_hash)


def _fractions(scenario: Any, starts: Mapping[str, int], period: int) -> dict[str, float]:
    out = {}
    for name, s in starts.items():
        if s is None:
            continue
        f = _initiative(scenario, name).fraction(int(s), period)
        if f > 0:
            out[name] = f
    return out


def _signature(fractions: Mapping[str, float]) -> tuple:
    return tuple(sorted((k, round(v, 12)) for k, v in fractions.items()))


def measure_starts(
    scenario: Scenario,
    starts: Mapping[str, int],
    period: int,
    agents: np.ndarray | None = None,
    *,
    key: str | None = None,
) -> PeriodMeasure:
    """Cached :func:`measure_period` of ``scenario.resolve(period, starts)``.

    The cache key is (scenario content hash, period, fractions in force,
    agents): two plans with the same fractions in a period share its staffing.
    """
    key = key or _scenario_key(scenario)
    fr = _fractions(scenario, starts, period)
    agents_key = None if agents is None else tuple(np.round(np.asarray(agents, float), 9))
    ck = (key, int(period), _signature(fr), agents_key)
    hit = _cache_get(ck)
    if hit is not None:
        return hit
    active = {k: int(v) for k, v in starts.items() if k in fr}
    resolved = scenario.resolve(period, active)
    out = measure_period(resolved, agents)
    _cache_put(ck, out)
    return out
