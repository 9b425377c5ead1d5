"""Light summaries of a scenario (no pandas, no matplotlib) for ``validate`` and the report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from channelopt.scenario import Resolved

__all__ = ["channel_overview", "describe_targets"]


def describe_targets(resolved: Resolved, c: int) -> str:
    """The targets of channel ``c`` of a ``Resolved`` as short human text."""
    from channelopt.scenario.kinds import kind_spec
    from channelopt.units import format_duration

    r = resolved
    parts: list[str] = []
    sl, within = float(r.target_service_level[c]), float(r.target_within[c])
    if not math.isnan(sl):
        parts.append(f"{sl:.0%} in {format_duration(within)}")
    wait = float(r.target_max_wait[c])
    if not math.isnan(wait):
        parts.append(f"ASA <= {format_duration(wait)}")
    ab = float(r.target_max_abandonment[c])
    if not math.isnan(ab):
        parts.append(f"abandon <= {ab:.0%}")
    occ = float(r.target_max_occupancy[c])
    if not math.isnan(occ):
        parts.append(f"occupancy <= {occ:.0%}")
    dl = float(r.target_within_deadline[c])
    if not math.isnan(dl):
        parts.append(f"{dl:.0%} within {format_duration(float(r.deadline[c]))}")
    if kind_spec(r.kinds[c]).contains:
        parts.append(f"contains {float(r.containment[c]):.0%}")
    return ", ".join(parts) or "-"


def channel_overview(resolved: Resolved) -> list[dict[str, Any]]:
    """One row per channel: kind, daily volume, peak arrivals, peak load, targets.

    Volumes are external arrivals (period 0, no initiative in force); the
    offered load adds hand-offs, repeats and retrials, which ``staff``
    computes. Peak load in Erlangs = peak arrivals / interval length x AHT.
    """
    r = resolved
    rows: list[dict[str, object]] = []
    arrivals = r.arrivals
    for c, name in enumerate(r.channels):
        col = arrivals[:, c]
        peak = float(col.max()) if len(col) else 0.0
        aht = float(r.aht[c])
        load = peak / float(r.interval_s) * aht
        rows.append(
            {
                "channel": name,
                "kind": str(r.kinds[c]),
                "daily_volume": float(col.sum()),
                "peak_arrivals": peak,
                "peak_interval": int(col.argmax()) if len(col) else 0,
                "peak_load": load if aht > 0 else math.nan,
                "aht_s": aht,
                "targets": describe_targets(r, c),
            }
        )
    return rows
