"""Hand-built :class:`Resolved` objects for the simulation tests (no YAML loader needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from channelopt.scenario.resolved import ChannelKind, Resolved


def make_resolved(
    channels: Sequence[tuple[str, str]],
    *,
    per_interval: Sequence[float] | np.ndarray,
    aht: Sequence[float],
    interval_s: float = 3600.0,
    aht_cv: Sequence[float] | None = None,
    patience: Sequence[float] | None = None,
    resolution: Sequence[float] | None = None,
    containment: Sequence[float] | None = None,
    concurrency: Sequence[int] | None = None,
    stretch: Sequence[float] | None = None,
    deadline: Sequence[float] | None = None,
    within: Sequence[float] | None = None,
    open_mask: np.ndarray | None = None,
    handoff: np.ndarray | None = None,
    repeat_to: np.ndarray | None = None,
    repeat_delay: float = 3600.0,
    retrial_probability: float = 0.0,
    retrial_delay: float = 600.0,
    pools: Sequence[tuple[str, Sequence[int], float]] | None = None,
    effort: tuple[float, float, float, float] = (1.0, 5.0, 10.0, 25.0),
    name: str = "test",
) -> Resolved:
    """A Resolved with C channels; ``per_interval`` is external arrivals per interval.

    ``per_interval`` is either one value per channel (same in every interval) or
    an array (I, C). ``pools``: (name, channel indices, agents); default one
    dedicated pool per staffed channel with nan agents.
    """
    n_c = len(channels)
    n_i = int(round(86_400.0 / interval_s))
    arr = np.asarray(per_interval, dtype=float)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n_i, n_c)).copy()
    if open_mask is None:
        open_mask = np.ones((n_i, n_c), dtype=bool)
    kinds = tuple(ChannelKind(k) for _, k in channels)

    def vec(v, default):
        return np.asarray(v if v is not None else [default] * n_c, dtype=float)

    if pools is None:
        pools = [(n, [c], np.nan) for c, (n, k) in enumerate(channels) if k != "self_service"]
    return Resolved(
        name=name,
        content_hash="0123456789abcdef",
        period=0,
        channels=tuple(n for n, _ in channels),
        kinds=kinds,
        interval_s=float(interval_s),
        arrivals=arr * open_mask,
        open_mask=np.asarray(open_mask, dtype=bool),
        aht=vec(aht, 0.0),
        aht_cv=vec(aht_cv, 1.0),
        patience=vec(patience, np.inf),
        resolution=vec(resolution, 1.0),
        containment=vec(containment, 0.0),
        concurrency=np.asarray(concurrency or [1] * n_c, dtype=np.int64),
        concurrency_stretch=vec(stretch, 0.0),
        deadline=vec(deadline, np.inf),
        forecast_error=np.zeros(n_c),
        target_service_level=np.full(n_c, 0.8),
        target_within=vec(within, 20.0),
        target_max_wait=np.full(n_c, np.nan),
        target_max_abandonment=np.full(n_c, np.nan),
        target_max_occupancy=np.full(n_c, np.nan),
        target_within_deadline=np.full(n_c, np.nan),
        handoff=np.zeros((n_c, n_c)) if handoff is None else np.asarray(handoff, float),
        repeat_to=np.zeros((n_c, n_c)) if repeat_to is None else np.asarray(repeat_to, float),
        repeat_delay=float(repeat_delay),
        retrial_probability=float(retrial_probability),
        retrial_delay=float(retrial_delay),
        pools=tuple(p[0] for p in pools),
        pool_skills=tuple(tuple(p[1]) for p in pools),
        pool_agents=np.asarray([p[2] for p in pools], dtype=float),
        pool_max_agents=np.full(len(pools), np.inf),
        pool_cost_per_hour=np.full(len(pools), 30.0),
        pool_shrinkage=np.full(len(pools), 0.3),
        pool_hires_per_period=np.full(len(pools), np.inf),
        pool_attrition=np.zeros(len(pools)),
        effort_wait_minute=effort[0],
        effort_handoff=effort[1],
        effort_repeat=effort[2],
        effort_abandoned=effort[3],
    )


def voice(agents: int, load: float, aht: float = 300.0, patience: float = np.inf, **kw) -> Resolved:
    """One voice channel, constant rate, ``agents`` on duty all day."""
    rate_per_hour = load / aht * 3600.0
    return make_resolved(
        [("voice", "live")],
        per_interval=[rate_per_hour],
        aht=[aht],
        patience=[patience],
        pools=[("agents", [0], agents)],
        **kw,
    )
