"""``Scenario.resolve``: growth and initiative effects applied once, as plain arrays.

The semantics (docs/semantics.md) follow DESIGN.md "Effects of initiatives":

* fraction in force of an initiative started in ``s`` with lead time ``L`` and
  ramp ``R`` in period ``t >= s + L``: ``min(1, (t - s - L + 1) / max(R, 1))``;
  a multiplier ``m`` applies as ``1 + fraction x (m - 1)``; several effects on
  the same parameter multiply;
* external volume = base daily pattern x growth[t] x volume multipliers;
* shifts then move ``fraction in force x shift fraction`` of the source's
  external volume (after its volume multipliers, before any other shift) to the
  target; the moved contacts keep the source's intraday pattern; where the
  target is closed they carry over to its next open interval;
* ``aht``, ``patience``, ``resolution``, ``containment`` multiply; hand-off
  factors multiply one hand-off probability; probabilities are capped at 1 and
  each cap is reported in ``Resolved.caps``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, ScenarioError
from .choices import AgentSelection, DistributionFamily, OnTimeout, SkillSelection
from .resolved import DistributionSpec, Resolved
from .validate import open_mask, routing_matrix, spectral_radius

if TYPE_CHECKING:
    from .models import Scenario

__all__ = ["base_arrivals", "check_starts", "default_profile", "fractions_in_force", "resolve"]

#: default intraday shape (docs/scenario-format.md): morning peak at 10:30, afternoon at 14:30
_MORNING, _AFTERNOON, _WIDTH = 10.5, 14.5, 1.25


def default_profile(interval_s: float) -> np.ndarray:
    """Weights of the default double-peaked business day at each interval's midpoint.

    ``w(h) = 0.35 + exp(-((h - 10.5) / 1.25)^2 / 2) + 0.7 exp(-((h - 14.5) / 1.25)^2 / 2)``
    for hours ``h`` in 07:00-21:00 and ``0.08`` outside (night). The loader
    keeps the channel's open intervals and normalises.
    """
    n = round(86_400.0 / interval_s)
    h = (np.arange(n) + 0.5) * interval_s / 3600.0
    day = (
        0.35
        + np.exp(-0.5 * ((h - _MORNING) / _WIDTH) ** 2)
        + 0.7 * np.exp(-0.5 * ((h - _AFTERNOON) / _WIDTH) ** 2)
    )
    return np.where((h >= 7.0) & (h < 21.0), day, 0.08)


def carry_over(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Move what falls in closed intervals to the next open interval (round the day)."""
    out = np.where(mask, values, 0.0).astype(float)
    if mask.all() or not mask.any():
        return out
    n = len(mask)
    for i in np.flatnonzero(~mask & (values != 0)):
        j = (i + 1) % n
        while not mask[j]:
            j = (j + 1) % n
        out[j] += values[i]
    return out


def _spread(values: tuple[float, ...], mask: np.ndarray) -> np.ndarray:
    """Per-interval values given over all intervals or over the open ones only."""
    arr = np.asarray(values, dtype=float)
    if len(arr) == len(mask):
        return carry_over(arr, mask)
    out = np.zeros(len(mask))
    out[mask] = arr
    return out


def base_arrivals(scenario: Scenario, channel: str) -> tuple[np.ndarray, np.ndarray]:
    """(external arrivals per interval on a base day, open mask) of one channel.

    From ``volume`` x normalised ``profile`` (default :func:`default_profile`)
    or from explicit ``arrivals``; what falls in closed intervals carries over
    to the next open interval.
    """
    ch = scenario.channels[channel]
    mask = open_mask(ch.open or scenario.open, scenario.interval)
    if ch.arrivals is not None:
        return _spread(ch.arrivals, mask), mask
    if ch.profile is not None:
        weights = _spread(ch.profile, mask)
    else:
        weights = np.where(mask, default_profile(scenario.interval), 0.0)
    total = weights.sum()
    return (ch.volume or 0.0) * weights / total, mask


def _cached_base(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    cache = scenario.__pydantic_private__
    if cache is not None and cache.get("_base") is not None:
        return cache["_base"]
    pairs = [base_arrivals(scenario, name) for name in scenario.channels]
    base = np.stack([p[0] for p in pairs], axis=1)
    mask = np.stack([p[1] for p in pairs], axis=1)
    base.setflags(write=False)
    mask.setflags(write=False)
    if cache is not None:
        cache["_base"] = (base, mask)
    return base, mask


def _distribution(dist: Any, mean: float, aht_cv: float | None = None) -> DistributionSpec:
    """The spec of a channel's ``handle_time``/``patience_distribution`` with mean ``mean``."""
    f = DistributionFamily
    if dist is None:
        if aht_cv is not None and aht_cv != 1.0:  # `aht_cv` is an alias of lognormal cv
            return DistributionSpec.build(f.LOGNORMAL, mean, cv=aht_cv)
        return DistributionSpec.build(f.EXPONENTIAL, mean)
    shape: tuple[float, ...] = ()
    if dist.distribution is f.UNIFORM:
        shape = (dist.min, dist.max)
    elif dist.distribution is f.TRIANGULAR:
        shape = (dist.min, dist.mode, dist.max)
    return DistributionSpec.build(
        dist.distribution, mean, cv=dist.cv, shape=shape, samples=dist.samples
    )


def static_arrays(scenario: Scenario) -> dict[str, Any]:
    """What ``resolve`` returns that does not depend on the period or the initiatives.

    Computed once per scenario and cached on it (``resolve`` is called thousands
    of times by the optimiser); the arrays are read-only and shared.
    """
    cache = scenario.__pydantic_private__
    if cache is not None and cache.get("_static") is not None:
        return cache["_static"]
    names = scenario.channel_names
    index = {n: i for i, n in enumerate(names)}
    chans = [scenario.channels[n] for n in names]
    pools = scenario.pool_names
    pool_index = {n: i for i, n in enumerate(pools)}
    pool_models = [scenario.pools[p] for p in pools]

    def ro(values: Any, dtype: Any = float) -> np.ndarray:
        out = np.array(values, dtype=dtype)
        out.setflags(write=False)
        return out

    handle = tuple(
        _distribution(ch.handle_time, ch.aht, ch.aht_cv)
        if ch.staffed and ch.aht is not None
        else DistributionSpec(DistributionFamily.CONSTANT, 0.0, 0.0)
        for ch in chans
    )
    patience = tuple(
        _distribution(ch.patience_distribution, ch.patience)
        if ch.patience is not None
        else DistributionSpec(DistributionFamily.EXPONENTIAL, math.inf, 1.0)
        for ch in chans
    )
    timeout_code, timeout_target = [], []
    for ch in chans:
        if isinstance(ch.on_timeout, OnTimeout):
            timeout_code.append(ch.on_timeout.code)
            timeout_target.append(-1)
        else:
            timeout_code.append(OnTimeout.TO.code)
            timeout_target.append(index[ch.on_timeout.to])
    routes: list[tuple[tuple[int, float], ...]] = []
    for c, ch in enumerate(chans):
        if ch.routing is not None:
            routes.append(tuple((pool_index[r.pool], float(r.after)) for r in ch.routing))
        else:
            routes.append(
                tuple((q, 0.0) for q, p in enumerate(pool_models) if names[c] in p.skills)
            )
    factor = np.ones((len(pools), len(names)))
    for q, p in enumerate(pool_models):
        for name, value in p.handle_time_factor.items():
            factor[q, index[name]] = value
    factor.setflags(write=False)
    out: dict[str, Any] = {
        "handle_time": handle,
        "patience_distribution": patience,
        "handle_time_family": ro([d.code for d in handle], np.int64),
        "patience_family": ro([d.code for d in patience], np.int64),
        "aht_cv": ro([d.cv if ch.staffed else 0.0 for d, ch in zip(handle, chans, strict=True)]),
        "wrap_up": ro([ch.wrap_up for ch in chans]),
        "balking": ro([ch.balking for ch in chans]),
        "max_wait": ro([math.inf if ch.max_wait is None else ch.max_wait for ch in chans]),
        "on_timeout": ro(timeout_code, np.int64),
        "on_timeout_target": ro(timeout_target, np.int64),
        "lines": ro([math.inf if ch.lines is None else ch.lines for ch in chans]),
        "queue_capacity": ro(
            [math.inf if ch.queue_capacity is None else ch.queue_capacity for ch in chans]
        ),
        "at_close": ro([ch.at_close.code for ch in chans], np.int64),
        "head_start": ro([ch.head_start for ch in chans]),
        "routing": tuple(routes),
        "pool_skill_selection": ro(
            [SkillSelection(p.skill_selection).code for p in pool_models], np.int64
        ),
        "pool_agent_selection": ro(
            [AgentSelection(p.agent_selection).code for p in pool_models], np.int64
        ),
        "pool_handle_time_factor": factor,
        "repeat_delay_distribution": scenario.journeys.repeats.delay_distribution,
        "retrial_delay_distribution": scenario.journeys.retrials.delay_distribution,
        "busyness_cv": float(scenario.busyness.cv),
        "closed_hours": scenario.closed_hours,
    }
    if cache is not None:
        cache["_static"] = out
    return out


def _starts_of(active: Any) -> tuple[dict[str, int | None], bool]:
    """(starts, full): ``full`` means every named initiative is fully in force."""
    if active is None:
        return {}, False
    starts = getattr(active, "starts", None)
    if starts is not None and not isinstance(active, Mapping):
        active = starts
    if isinstance(active, Mapping):
        return dict(active), False
    if isinstance(active, str):
        return {active: None}, True
    if isinstance(active, Iterable):
        return {name: None for name in active}, True
    raise ScenarioError(
        [
            Problem(
                "active",
                "expected a mapping initiative -> start period, a Plan, an iterable of "
                f"initiative names or None, got {type(active).__name__}",
                active,
            )
        ]
    )


def fractions_in_force(scenario: Scenario, period: int, active: Any) -> dict[str, float]:
    """Initiative -> fraction of its effects in force in ``period`` (only those > 0).

    Raises
    ------
    ScenarioError
        Unknown initiative names or starts outside ``[0, periods.count)``.
    """
    starts, full = _starts_of(active)
    problems = []
    out: dict[str, float] = {}
    count = scenario.n_periods
    for name, start in starts.items():
        if name not in scenario.initiatives:
            problems.append(
                Problem(
                    f"active.{name}",
                    f"unknown initiative {name!r} (known: {', '.join(scenario.initiatives)})",
                    name,
                )
            )
            continue
        if full:
            out[name] = 1.0
            continue
        if start is None:
            continue
        if (
            isinstance(start, bool)
            or not isinstance(start, int | np.integer)
            or not 0 <= start < count
        ):
            problems.append(
                Problem(
                    f"active.{name}",
                    f"expected a start period in [0, {count}) (0-based), got {start!r}",
                    start,
                )
            )
            continue
        fraction = scenario.initiatives[name].fraction(int(start), period)
        if fraction > 0:
            out[name] = fraction
    if problems:
        raise ScenarioError(problems, "resolve")
    return out


def check_starts(scenario: Scenario, starts: Mapping[str, int | None]) -> list[str]:
    """Violations of ``requires``/``excludes``, unknown names and starts out of range.

    ``starts`` is a mapping initiative -> start period (``None`` = not started)
    or an object with such a ``starts`` mapping (a ``Plan``).
    """
    if not isinstance(starts, Mapping) and isinstance(getattr(starts, "starts", None), Mapping):
        starts = starts.starts
    out: list[str] = []
    count = scenario.n_periods
    started: dict[str, int] = {}
    for name, start in starts.items():
        if name not in scenario.initiatives:
            out.append(
                f"unknown initiative {name!r} (known: {', '.join(scenario.initiatives) or 'none'})"
            )
        elif start is None:
            continue
        elif (
            isinstance(start, bool)
            or not isinstance(start, int | np.integer)
            or not 0 <= start < count
        ):
            out.append(f"{name!r} starts in period {start!r}, outside [0, {count})")
        else:
            started[name] = int(start)
    for name, start in started.items():
        ini = scenario.initiatives[name]
        for req in ini.requires:
            if req not in started:
                out.append(f"{name!r} requires {req!r}, which is not started")
            elif started[req] + scenario.initiatives[req].lead_time > start:
                ready = started[req] + scenario.initiatives[req].lead_time
                out.append(
                    f"{name!r} starts in period {start} but requires {req!r}, in force only from "
                    f"period {ready} (start {started[req]} + lead time "
                    f"{scenario.initiatives[req].lead_time})"
                )
        for other in ini.excludes:
            if other in started:
                out.append(f"{name!r} and {other!r} exclude each other but both are started")
    # one message per excluded pair
    seen: set[frozenset[str]] = set()
    unique = []
    for msg in out:
        if msg.endswith("exclude each other but both are started"):
            pair = frozenset(msg.split("'")[1::2][:2])
            if pair in seen:
                continue
            seen.add(pair)
        unique.append(msg)
    return unique


def _scale(fractions: dict[str, float], multiplier: float, name: str) -> float:
    return 1.0 + fractions[name] * (multiplier - 1.0)


def resolve(scenario: Scenario, period: int = 0, active: Any = None) -> Resolved:
    """See :meth:`channelopt.scenario.Scenario.resolve`."""
    count = scenario.n_periods
    if (
        isinstance(period, bool)
        or not isinstance(period, int | np.integer)
        or not 0 <= period < count
    ):
        raise ScenarioError(
            [
                Problem(
                    "period", f"expected a period in [0, {count}) (0-based), got {period!r}", period
                )
            ],
            "resolve",
        )
    period = int(period)
    fractions = fractions_in_force(scenario, period, active)
    names = scenario.channel_names
    index = {n: i for i, n in enumerate(names)}
    c = len(names)
    chans = [scenario.channels[n] for n in names]
    kinds = tuple(ch.kind for ch in chans)
    caps: list[str] = []

    base, mask = _cached_base(scenario)
    growth = np.array(
        [scenario.periods.growth[n][period] if n in scenario.periods.growth else 1.0 for n in names]
    )
    mult = {key: np.ones(c) for key in ("volume", "aht", "patience", "resolution", "containment")}
    shifts: list[tuple[int, int, float, str]] = []
    handoff = np.zeros((c, c))
    repeat_to = np.zeros((c, c))
    for src, row in scenario.journeys.handoffs.items():
        for dst, p in row.items():
            handoff[index[src], index[dst]] = p
    for src, row in scenario.journeys.repeats.to.items():
        for dst, p in row.items():
            repeat_to[index[src], index[dst]] = p
    for name in fractions:
        for effect in scenario.initiatives[name].effects:
            if effect.channel is not None:
                i = index[effect.channel]
                for key, m in effect.multipliers().items():
                    with np.errstate(over="ignore"):  # overflow is reported below
                        mult[key][i] *= _scale(fractions, m, name)
            elif effect.shift is not None:
                s = effect.shift
                shifts.append((index[s.from_], index[s.to], fractions[name] * s.fraction, name))
            elif effect.handoff is not None:
                h = effect.handoff
                handoff[index[h.from_], index[h.to]] *= _scale(fractions, h.factor, name)

    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        external = base * (growth * mult["volume"])[None, :]
        before = external.copy()
        out_share = np.zeros(c)
        for s_i, _d_i, share, _name in shifts:
            out_share[s_i] += share
        for o in np.flatnonzero(out_share > 1.0 + 1e-12):
            caps.append(
                f"shifts out of {names[o]!r} sum to {out_share[o]:.4g} of its external volume; "
                "scaled down to move all of it"
            )
        for s_i, d_i, share, _name in shifts:
            share = share / max(1.0, out_share[s_i])
            moved = before[:, s_i] * share
            external[:, s_i] -= moved
            external[:, d_i] += carry_over(moved, mask[:, d_i])
        external[external < 0] = 0.0  # rounding only: shares of one source sum to at most 1

    with np.errstate(over="ignore"):  # overflow is reported below
        aht = np.array([ch.aht if ch.aht is not None else 0.0 for ch in chans]) * mult["aht"]
        patience = np.array([ch.patience if ch.patience is not None else math.inf for ch in chans])
        patience = patience * mult["patience"]
    resolution = np.array([ch.resolution for ch in chans]) * mult["resolution"]
    containment = np.array([ch.containment or 0.0 for ch in chans]) * mult["containment"]
    for label, arr in (("resolution", resolution), ("containment", containment)):
        for k in np.flatnonzero(arr > 1.0):
            caps.append(f"{label} of {names[k]!r} capped at 1 (effects give {arr[k]:.4g})")
        np.minimum(arr, 1.0, out=arr)
    for i, j in zip(*np.nonzero(handoff > 1.0), strict=True):
        caps.append(
            f"hand-off {names[i]!r} -> {names[j]!r} capped at 1 (effects give {handoff[i, j]:.4g})"
        )
    np.minimum(handoff, 1.0, out=handoff)
    for i in range(c):
        total = handoff[i].sum()
        if total > 1.0 + 1e-12:
            caps.append(
                f"hand-offs out of {names[i]!r} sum to {total:.4g} with effects; scaled to sum to 1"
            )
            handoff[i] /= total

    rho = spectral_radius(
        routing_matrix([k.value for k in kinds], handoff, repeat_to, resolution, containment)
    )
    if rho >= 1.0:
        raise ScenarioError(
            [
                Problem(
                    "journeys",
                    f"in period {period} with {sorted(fractions)} in force the routing has "
                    f"spectral radius {rho:.4g} >= 1: contacts would loop forever",
                    rho,
                )
            ],
            "resolve",
        )

    overflow = [
        names[i]
        for i in range(c)
        if not (np.isfinite(external[:, i]).all() and math.isfinite(aht[i]))
    ]
    if overflow:
        raise ScenarioError(
            [
                Problem(
                    f"channels.{name}",
                    f"volume or handle time overflows in period {period} (growth x effects "
                    "give a number too large to represent); check the magnitudes",
                )
                for name in overflow
            ],
            "resolve",
        )

    def target(key: str, scale: float = 1.0) -> np.ndarray:
        vals = [getattr(ch.target, key) for ch in chans]
        return np.array([math.nan if v is None else v * scale for v in vals], dtype=float)

    pools = scenario.pool_names
    pool_models = [scenario.pools[p] for p in pools]
    static = static_arrays(scenario)
    handle, patience_dist = static["handle_time"], static["patience_distribution"]
    if (mult["aht"] != 1.0).any():
        handle = tuple(d.scaled(float(m)) for d, m in zip(handle, mult["aht"], strict=True))
    if (mult["patience"] != 1.0).any():
        patience_dist = tuple(
            d.scaled(float(m)) for d, m in zip(patience_dist, mult["patience"], strict=True)
        )
    extra = {**static, "handle_time": handle, "patience_distribution": patience_dist}
    aht_cv = extra.pop("aht_cv")  # scaling keeps the shape: family codes and cv are static
    nan_or = lambda v, default: default if v is None else float(v)  # noqa: E731
    journeys = scenario.journeys
    ex = scenario.experience
    return Resolved(
        name=scenario.name,
        content_hash=scenario.content_hash,
        period=period,
        channels=names,
        kinds=kinds,
        interval_s=float(scenario.interval),
        arrivals=external,
        open_mask=mask.copy(),
        aht=aht,
        aht_cv=aht_cv,
        patience=patience,
        resolution=resolution,
        containment=containment,
        concurrency=np.array([ch.concurrency for ch in chans], dtype=np.int64),
        concurrency_stretch=np.array([ch.concurrency_stretch for ch in chans]),
        deadline=np.array([ch.deadline if ch.deadline is not None else math.inf for ch in chans]),
        forecast_error=np.array([ch.forecast_error for ch in chans]),
        target_service_level=target("service_level"),
        target_within=target("within"),
        target_max_wait=target("max_wait"),
        target_max_abandonment=target("max_abandonment"),
        target_max_occupancy=target("max_occupancy"),
        target_within_deadline=target("within_deadline"),
        handoff=handoff,
        repeat_to=repeat_to,
        repeat_delay=float(journeys.repeats.delay),
        retrial_probability=float(journeys.retrials.probability),
        retrial_delay=float(journeys.retrials.delay),
        pools=pools,
        pool_skills=tuple(tuple(index[s] for s in p.skills) for p in pool_models),
        pool_agents=np.array([nan_or(p.agents, math.nan) for p in pool_models]),
        pool_max_agents=np.array([nan_or(p.max_agents, math.inf) for p in pool_models]),
        pool_cost_per_hour=np.array([p.cost_per_hour for p in pool_models]),
        pool_shrinkage=np.array([p.shrinkage for p in pool_models]),
        pool_hires_per_period=np.array([nan_or(p.hires_per_period, math.inf) for p in pool_models]),
        pool_attrition=np.array([p.attrition for p in pool_models]),
        effort_wait_minute=float(ex.wait_minute),
        effort_handoff=float(ex.handoff),
        effort_repeat=float(ex.repeat),
        effort_abandoned=float(ex.abandoned),
        value_per_point=float(ex.value_per_point),
        fractions=dict(fractions),
        caps=tuple(f"period {period}: {note}" for note in caps),
        **extra,
    )
