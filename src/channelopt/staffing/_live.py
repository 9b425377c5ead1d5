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


def _kernels():  # imported lazily so ``import channelopt.staffing`` stays cheap
    from . import _live_kernels

    return _live_kernels


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
    lines: float = math.inf  # contacts waiting or in service (``_finite_live``)
    queue_capacity: float = math.inf  # contacts waiting

    def params(self) -> np.ndarray:
        """The numbers the compiled kernels read (``_live_kernels.P_*`` order)."""
        cached = self.__dict__.get("_params")
        if cached is not None:
            return cached
        out = np.array(
            [
                self.aht,
                self.patience,
                self.concurrency,
                self.stretch,
                self.service_level,
                self.within,
                self.max_wait,
                self.max_abandonment,
                self.max_occupancy,
                self.same_interval_retrial,
                self.interval_s,
                1.0 if self.has_target else 0.0,
            ]
        )
        object.__setattr__(self, "_params", out)  # frozen: computed once, kept
        return out

    def term_cache(self) -> object:
        """The channel's compiled cache of stretched-chat terms (one per spec, reused)."""
        cached = self.__dict__.get("_terms")
        if cached is None:
            cached = _kernels().new_cache()
            object.__setattr__(self, "_terms", cached)
        return cached

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
    blocked: np.ndarray | None = None  # fraction blocked (finite lines / queue); None: 0


def _kpis(agents: np.ndarray, out: np.ndarray) -> LiveKpis:
    k = _kernels()
    return LiveKpis(
        agents,
        out[k.O_X],
        out[k.O_LOAD],
        out[k.O_AHT],
        out[k.O_SL],
        out[k.O_WAIT],
        out[k.O_AB],
        out[k.O_OCC],
        out[k.O_MEETS] != 0.0,
    )


def evaluate_live(
    spec: ChannelSpec, base: np.ndarray, agents: np.ndarray, x0: np.ndarray | None = None
) -> LiveKpis:
    """KPIs of ``agents`` per interval given the offered volume ``base``.

    ``base`` excludes the retrials that each interval's own abandonment sends
    back into it; those are added by the fixed point
    ``x = base + q abandonment(n, x) x`` with ``q`` = ``spec.same_interval_retrial``,
    started from ``x0`` when given (the previous round's offered volume). The
    fixed point stops when the largest change over the intervals is below
    1e-10 of the largest volume (200 rounds at most); it runs compiled
    (:mod:`channelopt.staffing._live_kernels`).

    Concurrent channels with ``stretch > 0`` (chats last longer when an agent
    carries fewer of them). Model (documented in docs/staffing.md): the number of chats ``m`` in the
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
    base = np.ascontiguousarray(base, dtype=float)
    agents = np.ascontiguousarray(agents, dtype=np.int64)
    x0 = base if x0 is None else np.ascontiguousarray(x0, dtype=float)
    return _kpis(
        agents, _kernels().evaluate_cells(spec.params(), base, agents, x0, spec.term_cache())
    )


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
        square-root-staffing estimate, ``ceil(load + sqrt(load))`` slots at the
        shortest chat duration) and the value below it, gallops up while the
        targets fail and bisects down to a proven lower bound (Erlang C and a
        channel without targets need more slots than Erlangs; Erlang A with a
        target has bound 0); it relies on the targets holding at every n above
        the answer, as ``required_agents`` does. Without retrials and stretch
        the answer is exactly ``queueing.required_agents`` (tested). The whole
        search runs in one compiled call (:mod:`channelopt.staffing._live_kernels`).

    Raises
    ------
    ValueError
        When the targets cannot be met (the message names the channel and why).
    """
    base = np.ascontiguousarray(base, dtype=float)
    why = spec.impossible()
    if why is not None and np.any(base > 0):
        raise ValueError(f"channel {spec.name!r}: the targets cannot be met: {why}")
    x0 = base if x0 is None else np.ascontiguousarray(x0, dtype=float)
    empty = np.zeros(0, dtype=np.int64)
    has_floor = floor is not None
    has_guess = guess is not None
    agents, out, ok = _kernels().staff_cells(
        spec.params(),
        base,
        np.ascontiguousarray(floor, dtype=np.int64) if has_floor else empty,
        has_floor,
        x0,
        np.ascontiguousarray(guess, dtype=np.int64) if has_guess else empty,
        has_guess,
        spec.term_cache(),
    )
    if not ok:
        raise ValueError(
            f"channel {spec.name!r}: no number of agents meets its targets; "
            "check the targets against the patience and handle time"
        )
    return _kpis(agents, out)
