"""Live and concurrent channels: agents per interval and the KPIs they reach.

One channel at a time, vectorised over its intervals. For a candidate number of
agents ``n`` per interval the offered volume includes the retrials that the
interval's own abandonment sends back into the same interval; that part is
solved as a fixed point (a contraction: each round multiplies the error by at
most the retrial probability), the rest of the volume is held at the caller's
current estimate of the day's flows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ChannelSpec", "LiveKpis", "evaluate_live", "staff_live"]

_FIXED_POINT_TOL = 1e-10
_FIXED_POINT_CAP = 200
_TARGET_TOL = 1e-9


def _queueing():  # imported lazily so ``import channelopt.staffing`` stays cheap
    from .. import queueing

    return queueing


@dataclass(frozen=True)
class ChannelSpec:
    """The numbers of one live or concurrent channel the staffing search needs."""

    name: str
    aht: float  # s; for concurrent channels the chat duration at full concurrency
    patience: float  # s, inf = Erlang C
    concurrency: int
    stretch: float
    service_level: float  # nan when absent
    within: float  # s, nan when absent
    max_wait: float
    max_abandonment: float
    max_occupancy: float
    same_interval_retrial: (
        float  # p * w0: share of abandoned contacts retrying in the same interval
    )
    interval_s: float

    @property
    def has_target(self) -> bool:
        return not all(
            math.isnan(v)
            for v in (self.service_level, self.max_wait, self.max_abandonment, self.max_occupancy)
        )

    def impossible(self) -> str | None:
        """Why no number of agents meets the targets when load > 0 (None: possible).

        The same cases :func:`channelopt.queueing.required_agents` rejects.
        """
        erlang_a = math.isfinite(self.patience)
        if self.service_level >= 1.0 and (math.isfinite(self.within) or erlang_a):
            return (
                f"service_level {self.service_level:g} within {self.within:g} s: some contacts "
                "always wait longer (or abandon), at any number of agents"
            )
        if self.max_wait == 0.0:
            return "max_wait 0: some answered contacts always wait"
        if erlang_a and self.max_abandonment == 0.0:
            return "max_abandonment 0 with a finite patience: any contact that waits may abandon"
        if self.max_occupancy == 0.0:
            return "max_occupancy 0: agents are busy whenever contacts arrive"
        if not math.isnan(self.service_level) and math.isnan(self.within):
            return "service_level needs 'within', the threshold in seconds"
        return None

    def effective_aht(self, arrivals: np.ndarray, agents: np.ndarray) -> np.ndarray:
        """Chat duration in seconds at the expected number of chats per agent.

        With stretch ``s`` a chat lasts ``g(j) aht``, ``g(j) = (1 + s (j - 1)) /
        (1 + s (k - 1))``, while its agent carries ``j`` chats. The expected chats
        per agent solve ``j = rho g(j)`` with ``rho = lambda aht / n`` (chats per
        agent if every chat took ``aht``), which is linear:
        ``j = rho (1 - s) / (1 + s (k - 1) - rho s)``; ``j`` is clipped to
        ``[1, k]`` (a chat's own agent carries at least that chat) and set to
        ``k`` when the equation has no positive solution (saturation).
        Exact (``aht``) when ``s == 0``.
        """
        k, s = self.concurrency, self.stretch
        if s == 0.0 or k <= 1:
            return np.full(np.shape(arrivals), self.aht)
        full = 1.0 + s * (k - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(agents > 0, arrivals / self.interval_s * self.aht / agents, np.inf)
            den = full - rho * s
            j = np.where(den > 0, rho * (1.0 - s) / den, k)
        j = np.clip(np.nan_to_num(j, nan=k, posinf=k), 1.0, k)
        return self.aht * (1.0 + s * (j - 1.0)) / full


@dataclass(frozen=True)
class LiveKpis:
    """Per-interval outcome of a live or concurrent channel at given agents."""

    agents: np.ndarray  # int, agents (slots / concurrency for concurrent channels)
    offered: np.ndarray  # contacts incl. same-interval retrials
    load: np.ndarray  # Erlangs (in slots)
    aht: np.ndarray  # effective handle time used, s
    service_level: np.ndarray
    average_wait: np.ndarray  # s, answered contacts
    abandonment: np.ndarray
    occupancy: np.ndarray
    meets: np.ndarray  # bool: every target holds


def evaluate_live(
    spec: ChannelSpec, base: np.ndarray, agents: np.ndarray, x0: np.ndarray | None = None
) -> LiveKpis:
    """KPIs of ``agents`` per interval given the offered volume ``base``.

    ``base`` excludes the retrials that each interval's own abandonment sends
    back into it; those are added by the fixed point
    ``x = base + q abandonment(n, x) x`` with ``q`` = ``spec.same_interval_retrial``,
    started from ``x0`` when given (the previous round's offered volume).
    """
    q = _queueing()
    base = np.asarray(base, dtype=float)
    agents = np.asarray(agents, dtype=np.int64)
    slots = agents * spec.concurrency
    x = base.copy() if x0 is None else np.maximum(np.asarray(x0, dtype=float), base)
    finite = math.isfinite(spec.patience)
    aht = spec.effective_aht(x, agents)
    ab = np.zeros_like(x)
    for _ in range(_FIXED_POINT_CAP):
        aht = spec.effective_aht(x, agents)
        load = x * aht / spec.interval_s
        if not finite:
            break
        ab = _abandonment(q, slots, load, aht, spec.patience)
        new = base + spec.same_interval_retrial * ab * x
        done = np.max(np.abs(new - x), initial=0.0) <= _FIXED_POINT_TOL * max(1.0, x.max(initial=0))
        x = new
        if done or spec.same_interval_retrial == 0.0:
            aht = spec.effective_aht(x, agents)
            break
    load = x * aht / spec.interval_s
    ab = np.zeros_like(x)
    busy = load > 0
    sl = np.where(np.isnan(spec.within), np.nan, 1.0) * np.ones_like(x)
    wait = np.zeros_like(x)
    occ = np.zeros_like(x)
    if busy.any():
        within = 0.0 if math.isnan(spec.within) else spec.within
        m = q.measures(
            slots[busy], load[busy], np.broadcast_to(aht, x.shape)[busy], within, spec.patience
        )
        if not math.isnan(spec.within):
            sl[busy] = m.service_level
        wait[busy] = m.average_wait
        occ[busy] = m.occupancy
        ab = np.zeros_like(x)
        ab[busy] = m.abandonment if finite else 0.0
    meets = np.ones(x.shape, dtype=bool)
    tol = _TARGET_TOL
    if not math.isnan(spec.service_level):
        meets &= sl >= spec.service_level - tol
    if not math.isnan(spec.max_wait):
        meets &= wait <= spec.max_wait * (1 + tol) + tol
    if not math.isnan(spec.max_abandonment):
        meets &= ab <= spec.max_abandonment + tol
    if not math.isnan(spec.max_occupancy):
        meets &= occ <= spec.max_occupancy + tol
    if not finite or not spec.has_target:
        # Erlang C needs a stable queue, and a channel without targets is staffed
        # to stability: fewer offered Erlangs than slots.
        meets &= (~busy) | (load < slots)
    return LiveKpis(agents, x, load, aht, sl, wait, ab, occ, meets)


def _abandonment(q, slots, load, aht, patience):
    busy = load > 0
    return np.where(busy, _masked(q.abandonment, busy, slots, load, aht, patience), 0.0)


def _masked(fn, mask, slots, load, aht, *rest):
    """Call a kernel on the cells in ``mask`` only (others get 0)."""
    out = np.zeros(np.shape(load))
    if mask.any():
        args = [slots[mask], load[mask], np.broadcast_to(aht, np.shape(load))[mask], *rest]
        out[mask] = fn(*args)
    return out


def _bounds(spec: ChannelSpec, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A proven lower bound on the agents, and a square-root-staffing first guess.

    The least work an interval can bring is ``base`` at the shortest chat
    duration (one chat per agent), without retrials. Erlang C needs more slots
    than that load (stability); Erlang A is stable with any number, so its
    bound is 0. The guess ``load + sqrt(load)`` is where 80/20-like targets
    usually land; the search moves from there (it need not be a bound).
    """
    k, s = spec.concurrency, spec.stretch
    aht_min = spec.aht * (1.0 / (1.0 + s * (k - 1)) if s > 0 and k > 1 else 1.0)
    load = base * aht_min / spec.interval_s
    busy = load > 0
    stable = np.where(busy, np.floor(load).astype(np.int64) + 1, 0)
    # Erlang A with a target may go below the load; Erlang C (and a channel with
    # no target, staffed to stability) needs more slots than Erlangs.
    erlang_a = math.isfinite(spec.patience) and spec.has_target
    lower = np.zeros_like(stable) if erlang_a else stable
    guess = np.where(busy, np.ceil(load + np.sqrt(load)).astype(np.int64), 0)
    return -(-lower // k), np.maximum(-(-guess // k), -(-lower // k))


def staff_live(
    spec: ChannelSpec,
    base: np.ndarray,
    floor: np.ndarray | None = None,
    x0: np.ndarray | None = None,
    guess: np.ndarray | None = None,
) -> LiveKpis:
    """Smallest agents per interval meeting every target, and the KPIs they reach.

    Parameters
    ----------
    spec : ChannelSpec
        The channel.
    base : ndarray, shape (I,)
        Offered contacts per interval, without the same-interval retrials.
    floor : ndarray, optional
        Never return fewer agents than this (used to stop oscillation).
    x0 : ndarray, optional
        Starting guess for the offered volume (speeds up the fixed point).
    guess : ndarray, optional
        Likely answer (the previous round's agents): checked first with its
        neighbour below, so a settled round costs two evaluations.

    Returns
    -------
    LiveKpis
        At the smallest ``n`` such that the targets hold at the load that ``n``
        itself produces (retrials included). The search probes ``guess`` (or a
        square-root-staffing estimate) and the value below it, gallops up while
        the targets fail and bisects down to a proven lower bound; it relies on
        the targets holding at every n above the answer, as ``required_agents``
        does. Without retrials and stretch the answer is exactly
        ``queueing.required_agents`` (tested); the search evaluates all targets
        at once with ``queueing.measures``, which is faster here than
        ``required_agents`` for Erlang A wait and abandonment targets.
    """
    base = np.asarray(base, dtype=float)
    why = spec.impossible()
    if why is not None and np.any(base > 0):
        raise ValueError(f"channel {spec.name!r}: the targets cannot be met: {why}")
    x0 = base if x0 is None else np.asarray(x0, dtype=float)
    lo, estimate = _bounds(spec, base)
    if floor is not None:
        lo = np.maximum(lo, floor)
    start = np.maximum(lo, estimate if guess is None else guess)
    known_fail = lo - 1  # largest value known to fail (lo - 1: below the lower bound)
    known_pass = np.full_like(lo, -1)  # smallest value known to pass (-1: none yet)

    def probe(idx: np.ndarray, cand: np.ndarray) -> None:
        ok = evaluate_live(spec, base[idx], cand, x0[idx]).meets
        known_pass[idx[ok]] = cand[ok]
        known_fail[idx[~ok]] = cand[~ok]

    everyone = np.arange(lo.size)
    probe(everyone, start[everyone])
    below = np.flatnonzero((known_pass > lo) & (known_pass - 1 > known_fail))
    if below.size:
        probe(below, known_pass[below] - 1)
    step = np.ones_like(lo)
    while True:  # gallop up where nothing passes yet
        idx = np.flatnonzero(known_pass < 0)
        if not idx.size:
            break
        cand = known_fail[idx] + step[idx]
        if (cand > 10**7).any():
            raise ValueError(
                f"channel {spec.name!r}: no number of agents meets its targets; "
                "check the targets against the patience and handle time"
            )
        step[idx] *= 2
        probe(idx, cand)
    while True:  # bisect between the last failure and the first success
        idx = np.flatnonzero(known_pass - known_fail > 1)
        if not idx.size:
            break
        probe(idx, (known_pass[idx] + known_fail[idx]) // 2)
    return evaluate_live(spec, base, known_pass, x0)
