"""A small builder of :class:`Resolved` periods for the staffing tests (no tests here).

The staffing tests build their inputs directly against the ``Resolved``
contract, so they do not depend on the scenario loader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from channelopt.scenario import ChannelKind, Resolved

TARGET_KEYS = (
    "service_level",
    "within",
    "max_wait",
    "max_abandonment",
    "max_occupancy",
    "within_deadline",
)


def make_resolved(
    channels: Sequence[dict[str, Any]],
    *,
    interval_s: float = 1800.0,
    n_intervals: int = 48,
    handoff: Any = None,
    repeat_to: Any = None,
    repeat_delay: float = 7200.0,
    retrial_probability: float = 0.0,
    retrial_delay: float = 600.0,
    pools: Sequence[tuple[str, Sequence[int], float, float]] | None = None,
    name: str = "test",
) -> Resolved:
    """Build a Resolved from one dict per channel.

    Channel keys: ``name``, ``kind`` (default live), ``arrivals`` (number or
    per-interval list, contacts per interval), ``open`` (bool mask; default all
    open), ``aht``, ``patience``, ``resolution``, ``containment``,
    ``concurrency``, ``stretch``, ``deadline`` and ``target`` (dict with the
    keys of :data:`TARGET_KEYS`). Pools are ``(name, skills, cost_per_hour,
    shrinkage)``; by default one dedicated pool per staffed channel at 30 per
    hour and 30 % shrinkage.
    """
    C, ni = len(channels), n_intervals
    names = tuple(ch["name"] for ch in channels)
    kinds = tuple(ChannelKind(ch.get("kind", "live")) for ch in channels)
    arrivals = np.zeros((ni, C))
    open_mask = np.ones((ni, C), dtype=bool)
    for c, ch in enumerate(channels):
        open_mask[:, c] = ch.get("open", True)
        arrivals[:, c] = ch.get("arrivals", 0.0)
        arrivals[~open_mask[:, c], c] = 0.0

    def col(key: str, default: float) -> np.ndarray:
        return np.array([float(ch.get(key, default)) for ch in channels])

    def target(key: str) -> np.ndarray:
        return np.array([float(ch.get("target", {}).get(key, math.nan)) for ch in channels])

    if pools is None:
        pools = [(names[c], (c,), 30.0, 0.3) for c in range(C) if kinds[c] != "self_service"]
    P = len(pools)
    return Resolved(
        name=name,
        content_hash="0" * 16,
        period=0,
        channels=names,
        kinds=kinds,
        interval_s=float(interval_s),
        arrivals=arrivals,
        open_mask=open_mask,
        aht=col("aht", 0.0),
        aht_cv=col("aht_cv", 1.0),
        patience=col("patience", math.inf),
        resolution=col("resolution", 1.0),
        containment=col("containment", 0.0),
        concurrency=np.array([int(ch.get("concurrency", 1)) for ch in channels]),
        concurrency_stretch=col("stretch", 0.0),
        deadline=col("deadline", math.inf),
        forecast_error=col("forecast_error", 0.0),
        target_service_level=target("service_level"),
        target_within=target("within"),
        target_max_wait=target("max_wait"),
        target_max_abandonment=target("max_abandonment"),
        target_max_occupancy=target("max_occupancy"),
        target_within_deadline=target("within_deadline"),
        handoff=np.zeros((C, C)) if handoff is None else np.asarray(handoff, dtype=float),
        repeat_to=np.zeros((C, C)) if repeat_to is None else np.asarray(repeat_to, dtype=float),
        repeat_delay=float(repeat_delay),
        retrial_probability=float(retrial_probability),
        retrial_delay=float(retrial_delay),
        pools=tuple(p[0] for p in pools),
        pool_skills=tuple(tuple(p[1]) for p in pools),
        pool_agents=np.full(P, math.nan),
        pool_max_agents=np.full(P, math.inf),
        pool_cost_per_hour=np.array([float(p[2]) for p in pools]),
        pool_shrinkage=np.array([float(p[3]) for p in pools]),
        pool_hires_per_period=np.full(P, math.inf),
        pool_attrition=np.zeros(P),
    )
