"""Hand-built :class:`Resolved` objects and queueing references for the simulation tests.

No tests here: the YAML loader is not needed to exercise the engine, and the
Erlang C and Erlang A references are computed independently of channelopt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats
from scipy.linalg import expm

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
    **extra: object,
) -> Resolved:
    """A Resolved with C channels; ``per_interval`` is external arrivals per interval.

    ``per_interval`` is either one value per channel (same in every interval) or
    an array (I, C). ``pools``: (name, channel indices, agents); default one
    dedicated pool per staffed channel with nan agents. ``extra``: further
    :class:`Resolved` fields (the round-2 keys), passed through as given.
    """
    n_c = len(channels)
    n_i = round(86_400.0 / interval_s)
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
        **extra,
    )


def voice(agents: int, load: float, aht: float = 300.0, patience: float = np.inf, **kw) -> Resolved:
    """One voice channel, constant rate, ``agents`` on duty all day."""
    interval_s = kw.pop("interval_s", 3600.0)
    return make_resolved(
        [("voice", "live")],
        interval_s=interval_s,
        per_interval=[load / aht * interval_s],
        aht=[aht],
        patience=[patience],
        pools=[("agents", [0], agents)],
        **kw,
    )


# ----------------------------------------------------------------------------
# Independent queueing references (closed forms and a birth-death chain; no
# channelopt code involved).


def mean_half_width(values, alpha: float) -> tuple[float, float]:
    """Mean of independent values (replications or batches) and the half-width of its
    two-sided Student-t interval at level ``alpha`` (NaN values are dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    t = stats.t.ppf(1 - alpha / 2, len(x) - 1)
    return float(x.mean()), float(t * x.std(ddof=1) / math.sqrt(len(x)))


def erlang_c_reference(n: int, load: float, aht: float, target: float) -> dict[str, float]:
    """M/M/n: P(wait), service level within ``target`` and mean wait, closed forms."""
    b = 1.0
    for k in range(1, n + 1):  # Erlang B by the stable recursion
        b = load * b / (k + load * b)
    c = n * b / (n - load * (1.0 - b))
    rate_gap = (n - load) / aht  # n mu - lambda
    return {
        "wait_probability": c,
        "service_level": 1.0 - c * math.exp(-rate_gap * target),
        "average_wait": c / rate_gap,
    }


def erlang_a_reference(
    n: int, load: float, aht: float, patience: float, target: float
) -> dict[str, float]:
    """M/M/n+M from the stationary birth-death chain (PASTA) and a phase-type wait.

    A contact that finds ``j`` others queued starts service after passing
    stages with rates ``n mu + i theta`` (i = j..0) while its own patience
    (rate theta) runs; served within ``target`` has probability
    ``prod(r_i / (r_i + theta)) * P(sum Exp(r_i + theta) <= target)``.
    """
    lam, mu, theta = load / aht, 1.0 / aht, 1.0 / patience
    depth = int(n + 20 * math.sqrt(n) + 100)  # the tail beyond is below 1e-30 here
    k = np.arange(depth + 1)
    death = np.where(k <= n, k * mu, n * mu + (k - n) * theta)
    logp = np.zeros(depth + 1)
    logp[1:] = np.cumsum(np.log(lam) - np.log(death[1:]))
    p = np.exp(logp - logp.max())
    p /= p.sum()
    queued = np.maximum(k - n, 0)
    wait_probability = float(p[k >= n].sum())
    abandonment = float((p * queued * theta).sum() / lam)
    # phase-type: states j = number ahead (0..J), absorbing "served" (index J+1)
    jmax = int(depth - n)
    rates = n * mu + np.arange(jmax + 1) * theta  # leaving state i
    q = np.zeros((jmax + 2, jmax + 2))
    for i in range(jmax + 1):
        q[i, i] = -(rates[i] + theta)
        if i == 0:
            q[0, jmax + 1] = rates[0]
        else:
            q[i, i - 1] = rates[i]
    served_by = expm(q * target)[: jmax + 1, jmax + 1]
    sl = float(p[k < n].sum() + (p[n : n + jmax + 1] * served_by).sum())
    return {"wait_probability": wait_probability, "abandonment": abandonment, "service_level": sl}


def birth_death(births: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Stationary law of a birth-death chain on 0..K (rates k -> k+1 and k -> k-1).

    Computed in log space from detailed balance; ``births[K]`` and
    ``deaths[0]`` are ignored.
    """
    births = np.asarray(births, dtype=float)
    deaths = np.asarray(deaths, dtype=float)
    logp = np.zeros(len(births))
    with np.errstate(divide="ignore"):
        logp[1:] = np.cumsum(np.log(births[:-1]) - np.log(deaths[1:]))
    p = np.exp(logp - logp.max())
    return p / p.sum()


def finite_queue_reference(
    n: int, capacity: int, load: float, aht: float, patience: float = math.inf, balk: float = 0.0
) -> dict[str, float]:
    """M/M/n/N+M with balking, exact (birth-death chain, PASTA).

    ``capacity`` = N, contacts in the system (waiting + in service; ``lines``,
    or ``n + queue_capacity``); an arrival finding all agents busy joins with
    probability ``1 - balk``. Returns the fractions of offered contacts that
    are blocked, balk and abandon, and the mean wait of answered contacts.
    """
    lam, mu = load / aht, 1.0 / aht
    theta = 0.0 if math.isinf(patience) else 1.0 / patience
    k = np.arange(capacity + 1)
    births = np.where(k < n, lam, lam * (1.0 - balk))
    deaths = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    p = birth_death(births, deaths)
    queued = np.maximum(k - n, 0)
    blocked = float(p[capacity])
    balked = float(balk * p[(k >= n) & (k < capacity)].sum())
    abandoned = float((p * queued).sum() * theta / lam)
    answered = 1.0 - blocked - balked - abandoned
    # mean wait of answered contacts: a contact joining behind ``ahead`` others
    # passes stages i = ahead..0, leaving stage i at rate n mu + i theta (progress)
    # or theta (its own patience). Competing exponentials: it is served with
    # probability prod (n mu + i theta) / out_i, and given that, it waited
    # sum 1 / out_i (a sojourn does not depend on which clock fired).
    joined = p * np.where(k < n, 1.0, 1.0 - balk)
    joined[capacity] = 0.0
    wait_served = 0.0
    for j in range(n, capacity):
        ahead = j - n
        outs = [n * mu + i * theta + theta for i in range(ahead + 1)]
        served = math.prod((o - theta) / o for o in outs)
        wait_served += joined[j] * lam * served * sum(1.0 / o for o in outs)
    average_wait = wait_served / (lam * answered)
    return {
        "blocked": blocked,
        "balked": balked,
        "abandoned": abandoned,
        "average_wait": average_wait,
    }


def pollaczek_khinchine_wait(load: float, aht: float, cv: float) -> float:
    """M/G/1 mean wait in queue: rho E[S] (1 + cv^2) / (2 (1 - rho))."""
    return load * aht * (1.0 + cv * cv) / (2.0 * (1.0 - load))
