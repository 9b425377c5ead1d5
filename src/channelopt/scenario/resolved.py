"""The plain-array view of one period of a scenario that every engine uses.

:meth:`channelopt.Scenario.resolve` applies growth and the effects of the
initiatives in force exactly once and returns a :class:`Resolved`. The engines
(staffing, simulation, planning) never read the pydantic models field by field;
they read these arrays. Channel order is the order of ``channels`` in the file;
pool order is the order of ``pools`` (or of the staffed channels for the
dedicated pools created when ``pools`` is omitted).

All times are seconds. Absent optional values are ``nan`` (targets) or ``inf``
(patience, deadline), never ``None``, so that Numba kernels can take them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .choices import (
    AgentSelection,
    AtClose,
    ClosedHours,
    DelayDistribution,
    DistributionFamily,
    OnTimeout,
    SkillSelection,
)
from .kinds import ChannelKind, KindSpec, kind_spec

__all__ = ["ChannelKind", "DistributionSpec", "Resolved"]


_BOOL_TRAITS = ("staffed", "queues", "abandons", "multi_contact", "has_deadline", "contains")


def _readonly_array(values: Any, dtype: Any = float) -> np.ndarray:
    out = np.array(values, dtype=dtype)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class DistributionSpec:
    """A handle-time or patience distribution as numbers (no sampling code here).

    Attributes
    ----------
    family : DistributionFamily
        The shape; ``family.code`` is its stable integer code.
    mean : float
        Mean in seconds (``inf`` for infinite patience).
    cv : float
        Coefficient of variation (standard deviation / mean).
    params : tuple of float
        By family, in seconds unless stated: exponential and constant ``()``;
        lognormal ``(mu, sigma)`` of the natural log of the value in seconds;
        gamma ``(shape k, scale theta)``; uniform ``(low, high)``; triangular
        ``(low, mode, high)``; empirical ``()`` (see ``samples``).
    samples : ndarray or None
        Empirical only: the values (s), scaled so that their mean is ``mean``;
        draw one uniformly at random.
    """

    family: DistributionFamily
    mean: float
    cv: float
    params: tuple[float, ...] = ()
    samples: np.ndarray | None = None

    @property
    def code(self) -> int:
        """Stable integer code of the family (:attr:`DistributionFamily.code`)."""
        return self.family.code

    @classmethod
    def build(
        cls,
        family: DistributionFamily | str,
        mean: float,
        *,
        cv: float | None = None,
        shape: tuple[float, ...] = (),
        samples: Any = None,
    ) -> DistributionSpec:
        """The distribution of ``family`` with mean ``mean`` (s).

        ``cv`` for lognormal and gamma; ``shape`` for uniform ``(min, max)`` and
        triangular ``(min, mode, max)`` and ``samples`` for empirical, both as
        written in the file: they are scaled so that their mean is ``mean``.
        """
        family = DistributionFamily(family)
        f = DistributionFamily
        if family is f.EXPONENTIAL or not math.isfinite(mean):
            return cls(f.EXPONENTIAL if not math.isfinite(mean) else family, float(mean), 1.0)
        if family is f.CONSTANT:
            return cls(family, float(mean), 0.0)
        if family in (f.LOGNORMAL, f.GAMMA):
            c = 1.0 if cv is None else float(cv)
            if family is f.LOGNORMAL:
                sigma = math.sqrt(math.log1p(c * c))
                return cls(family, float(mean), c, (math.log(mean) - 0.5 * sigma * sigma, sigma))
            if c == 0:
                return cls(f.CONSTANT, float(mean), 0.0)
            return cls(family, float(mean), c, (1.0 / (c * c), mean * c * c))
        if family is f.EMPIRICAL:
            raw = np.asarray(samples, dtype=float)
            arr = raw * (mean / raw.mean())
            std = float(arr.std())
            return cls(family, float(mean), std / mean, (), _readonly_array(arr))
        k = mean / (sum(shape) / len(shape))
        vals = tuple(float(v * k) for v in shape)
        if family is f.UNIFORM:
            lo, hi = vals
            return cls(family, float(mean), (hi - lo) / (math.sqrt(3.0) * (lo + hi)), vals)
        lo, mode, hi = vals  # triangular
        var = (lo * lo + mode * mode + hi * hi - lo * mode - lo * hi - mode * hi) / 18.0
        return cls(family, float(mean), math.sqrt(max(var, 0.0)) / mean, vals)

    def scaled(self, factor: float) -> DistributionSpec:
        """The same shape with every value (and the mean) multiplied by ``factor`` > 0."""
        if factor == 1.0:
            return self
        f = DistributionFamily
        mean = self.mean * factor
        params: tuple[float, ...]
        if self.family is f.LOGNORMAL:
            params = (self.params[0] + math.log(factor), self.params[1])
        elif self.family is f.GAMMA:
            params = (self.params[0], self.params[1] * factor)
        else:
            params = tuple(v * factor for v in self.params)
        samples = None if self.samples is None else _readonly_array(self.samples * factor)
        return DistributionSpec(self.family, mean, self.cv, params, samples)


@dataclass(frozen=True, eq=False)
class Resolved:
    """One period of a scenario as plain arrays (read-only).

    Shapes: ``C`` channels, ``I`` intervals per day, ``P`` pools.

    Attributes
    ----------
    name : str
        Scenario name.
    content_hash : str
        SHA-256 (hex, first 16 chars) of the canonical scenario content.
    period : int
        The period resolved (0-based).
    channels : tuple of str
        Channel names, length C.
    kinds : tuple of ChannelKind
        Kind per channel.
    interval_s : float
        Interval length in seconds.
    arrivals : ndarray, shape (I, C)
        **External** arrivals (contacts per interval) on a day of this period:
        base volume x growth x volume effects, after shifts, zero outside the
        channel's opening hours. Hand-offs, repeats and retrials are not included.
    open_mask : ndarray of bool, shape (I, C)
        Whether the channel is open in each interval (an interval is open when
        it overlaps the opening hours).
    aht : ndarray, shape (C,)
        Mean handle time in seconds (for concurrent channels: the chat duration
        at full ``concurrency``). ``0`` for self-service channels.
    aht_cv : ndarray, shape (C,)
        Coefficient of variation of handle time (simulation only).
    patience : ndarray, shape (C,)
        Mean (exponential) patience in seconds; ``inf`` = infinitely patient.
    resolution : ndarray, shape (C,)
        P(resolved) for a contact served and not handed off.
    containment : ndarray, shape (C,)
        P(contained) for self-service channels; 0 for others.
    concurrency : ndarray of int, shape (C,)
        Contacts an agent carries at once (1 except for concurrent channels).
    concurrency_stretch : ndarray, shape (C,)
        Stretch ``s``: a chat lasts ``(1 + s (k-1)) / (1 + s (concurrency-1))``
        x aht while its agent carries ``k`` chats.
    deadline : ndarray, shape (C,)
        Deadline in seconds for deferred channels; ``inf`` for others.
    forecast_error : ndarray, shape (C,)
        Coefficient of variation of daily volume.
    target_service_level, target_within : ndarray, shape (C,)
        Service-level target (fraction) and its threshold in seconds; nan if absent.
    target_max_wait : ndarray, shape (C,)
        Bound on average wait of answered contacts (s); nan if absent.
    target_max_abandonment, target_max_occupancy : ndarray, shape (C,)
        Fractions; nan if absent.
    target_within_deadline : ndarray, shape (C,)
        Deferred channels: fraction to be completed within ``deadline``; nan if absent.
    handoff : ndarray, shape (C, C)
        ``handoff[i, j]``: probability that a contact finishing service in
        channel i (for self-service: not contained) is handed off to channel j.
        Rows sum to at most 1.
    repeat_to : ndarray, shape (C, C)
        ``repeat_to[i, j]``: probability that an unresolved contact of channel i
        comes back in channel j. Rows sum to at most 1; the rest ends unresolved.
    repeat_delay : float
        Mean (exponential) delay of a repeat in seconds.
    retrial_probability : float
        P(an abandoned contact retries in the same channel).
    retrial_delay : float
        Mean (exponential) retrial delay in seconds.
    pools : tuple of str
        Pool names, length P.
    pool_skills : tuple of tuple of int
        Channel indices each pool serves, in routing-priority order.
    pool_agents : ndarray, shape (P,)
        Today's roster (agents on duty in every open interval); nan when unknown.
    pool_max_agents : ndarray, shape (P,)
        Headcount cap in agents on duty; inf when absent.
    pool_cost_per_hour : ndarray, shape (P,)
        Cost of one paid FTE hour.
    pool_shrinkage : ndarray, shape (P,)
        Fraction of paid time not available for contacts.
    pool_hires_per_period : ndarray, shape (P,)
        Hiring cap in FTE per period; inf when absent.
    pool_attrition : ndarray, shape (P,)
        Fraction of FTE lost per period.
    effort_wait_minute, effort_handoff, effort_repeat, effort_abandoned : float
        Customer-effort points per minute waited, hand-off, repeat, abandonment.
    value_per_point : float
        Money per effort point.
    fractions : dict of str to float
        Initiative -> fraction of its effect in force in this period (only > 0).
    caps : tuple of str
        Human-readable notes of probabilities capped at 1 by effects.

    The keys "for how real centres work" (all with defaults that keep the
    behaviour above when a file does not use them; ``Resolved`` objects built
    by hand may leave them out and get those defaults):

    handle_time : tuple of DistributionSpec, length C
        Handle-time distribution per channel, mean ``aht[c]`` (exponential by
        default; self-service: constant 0).
    handle_time_family : ndarray of int, shape (C,)
        ``handle_time[c].code`` (:class:`DistributionFamily` codes).
    patience_distribution : tuple of DistributionSpec, length C
        Patience distribution per channel, mean ``patience[c]`` (``inf``: never abandons).
    patience_family : ndarray of int, shape (C,)
        ``patience_distribution[c].code``.
    wrap_up : ndarray, shape (C,)
        After-contact work in seconds (the agent stays busy, the customer is gone).
    balking : ndarray, shape (C,)
        P(an arriving contact leaves at once when it would have to wait).
    max_wait : ndarray, shape (C,)
        Seconds after which the system ends a wait (``timed_out``); inf = never.
    on_timeout : ndarray of int, shape (C,)
        :class:`OnTimeout` code of what follows a timeout (lost, retry, to).
    on_timeout_target : ndarray of int, shape (C,)
        Channel index a timed-out contact moves to (``on_timeout`` = to); -1 otherwise.
    lines : ndarray, shape (C,)
        Trunk lines (waiting + in service); inf = unlimited.
    queue_capacity : ndarray, shape (C,)
        Most contacts waiting; inf = unlimited.
    at_close : ndarray of int, shape (C,)
        :class:`AtClose` code (0 serve, 1 clear: waiting contacts are disconnected).
    head_start : ndarray, shape (C,)
        Seconds a contact counts as older under ``skill_selection: longest_waiting``
        (priority classes); 0 = none.
    routing : tuple of tuple of (int, float), length C
        Per channel the pools that may take its contacts in preference order, as
        ``(pool index, after seconds)``: the pool becomes eligible once the
        contact has waited ``after``. Default: every pool whose skills list the
        channel, in pool order, after 0. Empty for self-service channels.
    pool_skill_selection, pool_agent_selection : ndarray of int, shape (P,)
        :class:`SkillSelection` and :class:`AgentSelection` codes per pool.
    pool_handle_time_factor : ndarray, shape (P, C)
        Factor on the handle time of channel c when pool p serves it (1 by default).
    repeat_delay_distribution, retrial_delay_distribution : DelayDistribution
        Shape of the repeat and retrial delays (``.code`` for the integer).
    busyness_cv : float
        cv of the day-level volume factor shared by every channel (gamma, mean 1).
    closed_hours : ClosedHours
        What happens to flows that reach a closed channel (``.code`` for the integer).
    week_arrivals : ndarray, shape (7, I, C), optional
        External arrivals per day of a planning week (Monday first) when the
        period is simulated as a week (:func:`channelopt.scenario.week.resolve_with_week`);
        ``None`` (default): every day has ``arrivals``.
    week_open_mask : ndarray of bool, shape (7, I, C), optional
        Open intervals per day of that week (all closed on a day off).
    """

    name: str
    content_hash: str
    period: int
    channels: tuple[str, ...]
    kinds: tuple[ChannelKind, ...]
    interval_s: float
    arrivals: np.ndarray
    open_mask: np.ndarray
    aht: np.ndarray
    aht_cv: np.ndarray
    patience: np.ndarray
    resolution: np.ndarray
    containment: np.ndarray
    concurrency: np.ndarray
    concurrency_stretch: np.ndarray
    deadline: np.ndarray
    forecast_error: np.ndarray
    target_service_level: np.ndarray
    target_within: np.ndarray
    target_max_wait: np.ndarray
    target_max_abandonment: np.ndarray
    target_max_occupancy: np.ndarray
    target_within_deadline: np.ndarray
    handoff: np.ndarray
    repeat_to: np.ndarray
    repeat_delay: float
    retrial_probability: float
    retrial_delay: float
    pools: tuple[str, ...]
    pool_skills: tuple[tuple[int, ...], ...]
    pool_agents: np.ndarray
    pool_max_agents: np.ndarray
    pool_cost_per_hour: np.ndarray
    pool_shrinkage: np.ndarray
    pool_hires_per_period: np.ndarray
    pool_attrition: np.ndarray
    effort_wait_minute: float = 0.0
    effort_handoff: float = 0.0
    effort_repeat: float = 0.0
    effort_abandoned: float = 0.0
    value_per_point: float = 0.0
    fractions: dict[str, float] = field(default_factory=dict)
    caps: tuple[str, ...] = ()
    handle_time: tuple[DistributionSpec, ...] = None  # type: ignore[assignment]
    handle_time_family: np.ndarray = None  # type: ignore[assignment]
    patience_distribution: tuple[DistributionSpec, ...] = None  # type: ignore[assignment]
    patience_family: np.ndarray = None  # type: ignore[assignment]
    wrap_up: np.ndarray = None  # type: ignore[assignment]
    balking: np.ndarray = None  # type: ignore[assignment]
    max_wait: np.ndarray = None  # type: ignore[assignment]
    on_timeout: np.ndarray = None  # type: ignore[assignment]
    on_timeout_target: np.ndarray = None  # type: ignore[assignment]
    lines: np.ndarray = None  # type: ignore[assignment]
    queue_capacity: np.ndarray = None  # type: ignore[assignment]
    at_close: np.ndarray = None  # type: ignore[assignment]
    head_start: np.ndarray = None  # type: ignore[assignment]
    routing: tuple[tuple[tuple[int, float], ...], ...] = None  # type: ignore[assignment]
    pool_skill_selection: np.ndarray = None  # type: ignore[assignment]
    pool_agent_selection: np.ndarray = None  # type: ignore[assignment]
    pool_handle_time_factor: np.ndarray = None  # type: ignore[assignment]
    repeat_delay_distribution: DelayDistribution = DelayDistribution.EXPONENTIAL
    retrial_delay_distribution: DelayDistribution = DelayDistribution.EXPONENTIAL
    busyness_cv: float = 0.0
    closed_hours: ClosedHours = ClosedHours.SPREAD
    week_arrivals: np.ndarray | None = None
    week_open_mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._fill_defaults()
        # Engines share this object; freeze the arrays so nobody edits it in place.
        for value in vars(self).values():
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value.setflags(write=False)

    def _fill_defaults(self) -> None:
        """Defaults of the round-2 keys for objects built by hand without them."""
        c, p = len(self.channels), len(self.pools)
        staffed = [kind_spec(k).staffed for k in self.kinds]
        put = object.__setattr__
        if self.handle_time is None:
            f = DistributionFamily
            put(
                self,
                "handle_time",
                tuple(
                    DistributionSpec.build(
                        f.EXPONENTIAL if cv == 1 else f.LOGNORMAL, float(m), cv=float(cv)
                    )
                    if s and m > 0
                    else DistributionSpec(f.CONSTANT, float(m), 0.0)
                    for m, cv, s in zip(self.aht, self.aht_cv, staffed, strict=True)
                ),
            )
        if self.patience_distribution is None:
            put(
                self,
                "patience_distribution",
                tuple(
                    DistributionSpec(DistributionFamily.EXPONENTIAL, float(m), 1.0)
                    for m in self.patience
                ),
            )
        if self.handle_time_family is None:
            put(self, "handle_time_family", np.array([d.code for d in self.handle_time]))
        if self.patience_family is None:
            put(self, "patience_family", np.array([d.code for d in self.patience_distribution]))
        for name, value, dtype in (
            ("wrap_up", 0.0, float),
            ("balking", 0.0, float),
            ("max_wait", math.inf, float),
            ("on_timeout", OnTimeout.LOST.code, np.int64),
            ("on_timeout_target", -1, np.int64),
            ("lines", math.inf, float),
            ("queue_capacity", math.inf, float),
            ("at_close", AtClose.SERVE.code, np.int64),
            ("head_start", 0.0, float),
        ):
            if getattr(self, name) is None:
                put(self, name, np.full(c, value, dtype=dtype))
        if self.routing is None:
            routes: list[list[tuple[int, float]]] = [[] for _ in range(c)]
            for q, skills in enumerate(self.pool_skills):
                for ch in skills:
                    routes[ch].append((q, 0.0))
            put(self, "routing", tuple(tuple(r) for r in routes))
        if self.pool_skill_selection is None:
            put(self, "pool_skill_selection", np.full(p, SkillSelection.PRIORITY.code))
        if self.pool_agent_selection is None:
            put(self, "pool_agent_selection", np.full(p, AgentSelection.LONGEST_IDLE.code))
        if self.pool_handle_time_factor is None:
            put(self, "pool_handle_time_factor", np.ones((p, c)))

    @property
    def n_intervals(self) -> int:
        """Intervals per day (I)."""
        return int(self.arrivals.shape[0])

    @property
    def n_channels(self) -> int:
        """Number of channels (C)."""
        return len(self.channels)

    def channel_index(self, name: str) -> int:
        """Index of channel ``name`` (raises ``KeyError`` with the known names)."""
        try:
            return self.channels.index(name)
        except ValueError:
            raise KeyError(f"unknown channel {name!r}; known: {', '.join(self.channels)}") from None

    @property
    def traits(self) -> tuple[KindSpec, ...]:
        """The channel-kind registry entry of each channel (:mod:`channelopt.scenario.kinds`)."""
        return tuple(kind_spec(k) for k in self.kinds)

    def trait_mask(self, trait: str) -> np.ndarray:
        """Boolean mask over channels of a boolean kind trait.

        ``trait`` is one of ``staffed``, ``queues``, ``abandons``,
        ``multi_contact``, ``has_deadline``, ``contains`` (see
        :class:`channelopt.scenario.kinds.KindSpec`); e.g.
        ``r.trait_mask("queues")`` marks live and concurrent channels.
        """
        if trait not in _BOOL_TRAITS:
            raise ValueError(f"unknown kind trait {trait!r}; known: {', '.join(_BOOL_TRAITS)}")
        return np.array([getattr(kind_spec(k), trait) for k in self.kinds], dtype=bool)

    def kind_codes(self) -> np.ndarray:
        """The simulation handler code (``KindSpec.sim_code``) of each channel, int64."""
        return np.array([kind_spec(k).sim_code for k in self.kinds], dtype=np.int64)

    def staffed(self) -> np.ndarray:
        """Boolean mask of channels served by agents (all but self-service)."""
        return self.trait_mask("staffed")

    def routed_at_once(self) -> np.ndarray:
        """Boolean ``(P, C)``: pool p may take channel c's contacts as soon as they arrive.

        True where ``routing`` lists the pool with ``after`` 0 (the default routing lists
        every pool serving the channel that way); False for a pool reached only as an
        overflow after a delay, and for pools that do not serve the channel.
        """
        out = np.zeros((len(self.pools), self.n_channels), dtype=bool)
        for c, route in enumerate(self.routing):
            for p, after in route:
                if after <= 0:
                    out[p, c] = True
        return out

    def first_routed_pool(self) -> np.ndarray:
        """For each channel, the pool its ``routing`` offers contacts to first (-1 if none):
        explicit ``routing``, else the first pool in ``pools`` serving it."""
        first = np.array([route[0][0] if route else -1 for route in self.routing], dtype=np.int64)
        return np.where(first >= 0, first, self.pool_of_channel())

    def pool_of_channel(self) -> np.ndarray:
        """For each channel, the index of the first pool that serves it (-1 if none)."""
        out = np.full(self.n_channels, -1, dtype=np.int64)
        for p, skills in enumerate(self.pool_skills):
            for c in skills:
                if out[c] < 0:
                    out[c] = p
        return out
