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

import numba

# the jitted helpers' NumPy: libm() swaps only `np` (Numba cannot type its stand-in)
import numpy as _jnp
import numpy as np

__all__ = ["ChannelSpec", "LiveKpis", "evaluate_live", "staff_live"]

_FIXED_POINT_TOL = 1e-10
_FIXED_POINT_CAP = 200
_TARGET_TOL = 1e-9


def _queueing():  # imported lazily so ``import channelopt.staffing`` stays cheap
    from channelopt import queueing

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
    base = np.asarray(base, dtype=float)
    agents = np.asarray(agents, dtype=np.int64)
    x = base.copy() if x0 is None else np.maximum(np.asarray(x0, dtype=float), base)
    q = spec.same_interval_retrial
    m = _measures(spec, agents, x)
    if q > 0.0:
        for _ in range(_FIXED_POINT_CAP):
            new = base + q * m.abandonment * x
            done = np.max(np.abs(new - x), initial=0.0) <= _FIXED_POINT_TOL * max(
                1.0, float(x.max(initial=0.0))
            )
            x = new
            m = _measures(spec, agents, x)
            if done:
                break
    slots = agents * spec.concurrency
    busy = x > 0
    meets = np.ones(x.shape, dtype=bool)
    tol = _TARGET_TOL
    if not math.isnan(spec.service_level):
        meets &= m.service_level >= spec.service_level - tol
    if not math.isnan(spec.max_wait):
        meets &= m.average_wait <= spec.max_wait * (1 + tol) + tol
    if not math.isnan(spec.max_abandonment):
        meets &= m.abandonment <= spec.max_abandonment + tol
    if not math.isnan(spec.max_occupancy):
        meets &= m.occupancy <= spec.max_occupancy + tol
    if not math.isfinite(spec.patience) or not spec.has_target:
        # Erlang C needs a stable queue, and a channel without targets is staffed
        # to stability: fewer Erlangs (at the full chat duration) than slots.
        meets &= (~busy) | (x * spec.aht / spec.interval_s < slots)
    return LiveKpis(
        agents,
        x,
        m.load,
        m.aht,
        m.service_level,
        m.average_wait,
        m.abandonment,
        m.occupancy,
        meets,
    )


@dataclass(frozen=True)
class _Measures:
    load: np.ndarray
    aht: np.ndarray
    service_level: np.ndarray
    average_wait: np.ndarray
    abandonment: np.ndarray
    occupancy: np.ndarray


def _measures(spec: ChannelSpec, agents: np.ndarray, x: np.ndarray) -> _Measures:
    """Queueing measures of each interval at ``agents`` and offered contacts ``x``."""
    qm = _queueing()
    shape = x.shape
    busy = x > 0
    aht = np.full(shape, spec.aht)
    sl = np.full(shape, np.nan if math.isnan(spec.within) else 1.0)
    wait = np.zeros(shape)
    ab = np.zeros(shape)
    occ = np.zeros(shape)
    if busy.any():
        within = 0.0 if math.isnan(spec.within) else spec.within
        slots = agents[busy] * spec.concurrency
        load = x[busy] * spec.aht / spec.interval_s
        m = qm.measures(slots, load, spec.aht, within, spec.patience)
        if spec.stretch > 0.0 and spec.concurrency > 1:
            m, aht[busy] = _stretched(spec, agents[busy], x[busy] / spec.interval_s, m)
        if not math.isnan(spec.within):
            sl[busy] = m.service_level
        wait[busy] = m.average_wait
        ab[busy] = m.abandonment if math.isfinite(spec.patience) else 0.0
        occ[busy] = m.occupancy
    return _Measures(x * aht / spec.interval_s, aht, sl, wait, ab, occ)


def _stretched(spec: ChannelSpec, agents: np.ndarray, lam: np.ndarray, ref):  # type: ignore[no-untyped-def]
    """Measures of a concurrent channel whose chats stretch with the agent's load.

    Model (documented in docs/staffing.md): the number of chats ``m`` in the
    channel is a birth-death process. Below ``N = n k`` slots the chats are
    spread as evenly as possible over the ``n`` agents (``m = q n + r``: ``r``
    agents carry ``q + 1`` chats, the others ``q``), and an agent carrying ``j``
    chats completes them at total rate ``j / (g(j) aht)``, ``g(j) = (1 + s (j -
    1)) / (1 + s (k - 1))``. At ``N`` and above every agent is full, chats last
    ``aht`` and the queue (with abandonment) behaves exactly like the reference
    M/M/N(+M) queue with handle time ``aht``. So every measure conditional on
    waiting is the reference's (``ref``, from ``queueing.measures``); only the
    probability of waiting changes, through the states below ``N``:

    ``P(wait) = T / (R_s + T)`` with ``R_s = sum_{m<N} pi(m) / pi(N)`` and
    ``T = sum_{q>=0} pi(N + q) / pi(N)``, the latter taken from the reference
    (``T = P_ref (R_ref) / (1 - P_ref)``). Exact for one agent and for ``s = 0``.
    """
    k, s, a_ht = spec.concurrency, spec.stretch, spec.aht
    slots = agents * k
    out_aht = np.full(agents.shape, a_ht)
    pw_ref = np.asarray(ref.wait_probability, dtype=float)
    sl_ref = np.asarray(ref.service_level, dtype=float)
    ab_ref = np.asarray(ref.abandonment, dtype=float)
    asa_ref = np.asarray(ref.average_wait, dtype=float)
    ok = slots > 0
    if not ok.any():
        return ref, out_aht
    log_r_s, log_r_ref, log_mean_below = _stretch_sums(
        agents[ok].astype(np.int64), k, s, lam[ok].astype(np.float64), a_ht
    )
    lam = lam[ok][:, None]
    p_ref = pw_ref[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_t = np.log(p_ref) + log_r_ref - np.log1p(-p_ref)
        pw = np.where(p_ref >= 1.0, 1.0, 1.0 / (1.0 + np.exp(log_r_s - log_t)))
        pw = np.where(p_ref <= 0.0, 0.0, pw)
        scale = np.where(p_ref > 0, pw / p_ref, 0.0)
        sl = 1.0 - pw + scale * (sl_ref[ok] - (1.0 - p_ref))
        ab = scale * ab_ref[ok]
        wait = np.where(pw > 0, scale * asa_ref[ok] * (1.0 - ab_ref[ok]) / (1.0 - ab), 0.0)
        # chats in service: below N from the distribution, N when waiting
        mean_below = np.exp(log_mean_below)
        in_service = (1.0 - pw) * mean_below + pw * slots[ok]
        carried = lam[:, 0] * (1.0 - ab)
        eff = np.where(carried > 0, in_service / carried, a_ht)
    res = {
        "wait_probability": pw_ref.copy(),
        "service_level": sl_ref.copy(),
        "average_wait": asa_ref.copy(),
        "abandonment": ab_ref.copy(),
        "occupancy": np.asarray(ref.occupancy, dtype=float).copy(),
    }
    res["wait_probability"][ok] = pw
    res["service_level"][ok] = np.clip(sl, 0.0, 1.0)
    res["average_wait"][ok] = wait
    res["abandonment"][ok] = np.clip(ab, 0.0, 1.0)
    res["occupancy"][ok] = np.clip(in_service / slots[ok], 0.0, 1.0)
    out_aht[ok] = eff
    return _queueing().Measures(**res), out_aht


@numba.njit(cache=True)
def _log_sum_add(mx: float, acc: float, v: float) -> tuple[float, float]:
    """Add exp(v) to the running sum exp(mx) * acc; returns the new (mx, acc)."""
    if v > mx:
        return v, acc * math.exp(mx - v) + 1.0
    return mx, acc + math.exp(v - mx)


@numba.njit(cache=True)
def _stretch_sums(agents, k, s, lam, aht):  # type: ignore[no-untyped-def]
    """Per cell: log R_s, log R_ref and log E[m | m < N] of the chat birth-death chain.

    ``R = sum_{m<N} pi(m) / pi(N)``, where ``log pi(m) / pi(N) = sum_{i=m+1..N}
    (log mu(i) - log lambda)``; stretched rates ``mu_s`` (chats spread evenly)
    and reference rates ``mu_ref(i) = i / aht``. Running log-sum-exp, so no
    factorials or powers of the load.
    """
    n_cells = agents.shape[0]
    out_s = _jnp.empty(n_cells)
    out_ref = _jnp.empty(n_cells)
    out_mean = _jnp.empty(n_cells)
    full = 1.0 + s * (k - 1)
    for c in range(n_cells):
        n = agents[c]
        big_n = n * k
        log_lam = math.log(lam[c]) if lam[c] > 0 else -math.inf
        l_s = 0.0
        l_ref = 0.0
        mx_s = -math.inf
        acc_s = 0.0
        mx_ref = -math.inf
        acc_ref = 0.0
        mx_m = -math.inf
        acc_m = 0.0
        for m in range(big_n - 1, -1, -1):
            i = m + 1  # L(m) = L(m + 1) + log mu(m + 1) - log lambda
            q = i // n
            r = i - q * n
            rate = r * (q + 1) * full / (1.0 + s * q)
            if q > 0:
                rate += (n - r) * q * full / (1.0 + s * (q - 1))
            l_s += math.log(rate / aht) - log_lam
            l_ref += math.log(i / aht) - log_lam
            mx_s, acc_s = _log_sum_add(mx_s, acc_s, l_s)
            mx_ref, acc_ref = _log_sum_add(mx_ref, acc_ref, l_ref)
            if m > 0:
                mx_m, acc_m = _log_sum_add(mx_m, acc_m, l_s + math.log(m))
        out_s[c] = mx_s + math.log(acc_s)
        out_ref[c] = mx_ref + math.log(acc_ref)
        log_mean = mx_m + math.log(acc_m) if acc_m > 0 else -math.inf
        out_mean[c] = log_mean - out_s[c]
    return out_s, out_ref, out_mean


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
