"""The frozen pydantic models of a scenario file.

One model per block of the file (docs/scenario-format.md lists every key).
Models check single fields (types, units, ranges); rules that involve several
fields live in :mod:`channelopt.scenario.validate`, which runs on the raw
document so that every problem of a file is reported at once. Build scenarios
with :func:`channelopt.scenario.load_scenario`, which runs both; calling
``Scenario.model_validate`` directly skips the cross-field rules.

Every model is frozen with ``extra="forbid"`` (a typo is an error), lists are
tuples and mappings are read-only ``MappingProxyType`` views.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import os
import typing
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr

from ..units import SECONDS_PER_DAY, format_duration, interval_grid, parse_opening_hours
from .choices import (
    AgentSelection,
    AtClose,
    ClosedHours,
    DelayDistribution,
    DistributionFamily,
    OnTimeout,
    SkillSelection,
)
from .fields import (
    CV,
    DURATION,
    FTE,
    Agents,
    Concurrency,
    Days,
    FrozenDict,
    Growth,
    Hours,
    Interval,
    Lines,
    Money,
    Multiplier,
    Name,
    NonNegativeDuration,
    OpeningHours,
    Patience,
    PeriodCount,
    PeriodOffset,
    Places,
    Points,
    PositiveDuration,
    Probability,
    Rate,
    Shrinkage,
    SignedMoney,
    Stretch,
    TargetMode,
    Text,
    Volume,
    Weight,
    Within,
)
from .kinds import ChannelKind, kind_spec
from .shifts import ShiftTemplate, Week

if TYPE_CHECKING:
    from .resolved import Resolved

__all__ = [
    "Budget",
    "Busyness",
    "Channel",
    "Cost",
    "Distribution",
    "Economics",
    "Effect",
    "Experience",
    "HandoffFactor",
    "Initiative",
    "Journeys",
    "Periods",
    "Pool",
    "Repeats",
    "Retrials",
    "Route",
    "Scenario",
    "Shift",
    "Target",
    "Targets",
    "TimeoutTo",
]

#: working days per period for each ``periods.length`` label (default of ``periods.days``)
PERIOD_DAYS = {"day": 1, "week": 5, "month": 21, "quarter": 63, "half": 126, "year": 252}
#: years per period for each label (used to turn the annual ``discount_rate`` into a factor)
PERIOD_YEARS = {
    "day": 1 / 252,
    "week": 1 / 52,
    "month": 1 / 12,
    "quarter": 0.25,
    "half": 0.5,
    "year": 1.0,
}
#: default paid hours per FTE per working day (``hours_per_fte`` = days x this)
HOURS_PER_DAY = 7.6


def _readonly(value: dict[str, Any]) -> Mapping[str, Any]:
    return FrozenDict(value)


def _enum_validator(enum: type[Enum]) -> PlainValidator:
    def check(value: Any) -> Any:
        options = [e.value for e in enum]
        if isinstance(value, enum):
            return value
        if isinstance(value, str) and value in options:
            return enum(value)
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"expected one of {', '.join(options)}, got {value!r}{hint}")

    return PlainValidator(check)


def _period_length(value: Any) -> str:
    if isinstance(value, str) and value in PERIOD_DAYS:
        return value
    close = difflib.get_close_matches(str(value), list(PERIOD_DAYS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"expected one of {', '.join(PERIOD_DAYS)}, got {value!r}{hint}")


Kind = Annotated[ChannelKind, _enum_validator(ChannelKind)]
Mode = Annotated[TargetMode, _enum_validator(TargetMode)]
Family = Annotated[DistributionFamily, _enum_validator(DistributionFamily)]
AtCloseChoice = Annotated[AtClose, _enum_validator(AtClose)]
SkillChoice = Annotated[SkillSelection, _enum_validator(SkillSelection)]
AgentChoice = Annotated[AgentSelection, _enum_validator(AgentSelection)]
DelayChoice = Annotated[DelayDistribution, _enum_validator(DelayDistribution)]
ClosedChoice = Annotated[ClosedHours, _enum_validator(ClosedHours)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, arbitrary_types_allowed=True
    )


class Distribution(_Model):
    """Shape of a handle-time or patience distribution; its mean is ``aht`` or ``patience``.

    Which parameters each ``distribution`` takes is checked by the loader
    (docs/scenario-format.md, "Distributions"). For ``uniform``, ``triangular``
    and ``empirical`` the shape's own mean must agree with ``aht``/``patience``
    within 1 %; the engines then scale the shape so that its mean is exactly
    the (possibly effect-scaled) ``aht``/``patience``.
    """

    distribution: Family = DistributionFamily.EXPONENTIAL
    cv: CV | None = None  #: coefficient of variation (lognormal, gamma)
    min: NonNegativeDuration | None = None  #: uniform, triangular (s)
    mode: NonNegativeDuration | None = None  #: triangular (s)
    max: NonNegativeDuration | None = None  #: uniform, triangular (s)
    samples: tuple[NonNegativeDuration, ...] | None = None  #: empirical (s)


class TimeoutTo(_Model):
    """``on_timeout: {to: channel}``: a timed-out contact moves to ``to``."""

    to: Name


def _on_timeout(value: Any) -> OnTimeout | TimeoutTo:
    if isinstance(value, OnTimeout | TimeoutTo):
        return value
    if isinstance(value, str) and value in (OnTimeout.LOST.value, OnTimeout.RETRY.value):
        return OnTimeout(value)
    if isinstance(value, Mapping):
        return TimeoutTo.model_validate(value)
    close = difflib.get_close_matches(str(value), ["lost", "retry"], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"expected 'lost', 'retry' or {{to: <channel>}}, got {value!r}{hint}")


class Route(_Model):
    """One step of a channel's ``routing``: a pool, eligible once the contact waited ``after``."""

    pool: Name
    after: NonNegativeDuration = 0.0  #: s; 0 = at once


def _route(value: Any) -> Route:
    if isinstance(value, Route):
        return value
    if isinstance(value, str):
        return Route(pool=value)
    if isinstance(value, Mapping):
        return Route.model_validate(value)
    raise ValueError(
        f"expected a pool name or {{pool: <name>, after: <duration>}}, got {value!r}"[:200]
    )


class Target(_Model):
    """Service targets of one channel (all optional; staffed channels need at least one)."""

    service_level: Probability | None = None  #: fraction answered within ``within``
    within: Within | None = None  #: service-level threshold (s)
    max_wait: PositiveDuration | None = None  #: bound on average wait of answered contacts (s)
    max_abandonment: Probability | None = None  #: fraction of arrivals
    max_occupancy: Probability | None = None  #: busy fraction of agents
    within_deadline: Probability | None = None  #: deferred: fraction done within ``deadline``


class Channel(_Model):
    """One channel. Which keys fit which ``kind`` is listed in docs/scenario-format.md."""

    kind: Kind
    volume: Volume | None = None  #: contacts per day
    arrivals: tuple[Volume, ...] | None = None  #: contacts per interval (instead of volume)
    profile: tuple[Weight, ...] | None = None  #: intraday shape (normalised)
    aht: PositiveDuration | None = None  #: mean handle time (s); None for self-service
    aht_cv: CV = 1.0  #: coefficient of variation of handle time (simulation)
    patience: Patience = None  #: mean patience (s); None = infinitely patient
    target: Target = Field(default_factory=Target)
    resolution: Probability = 1.0  #: P(resolved | served, not handed off)
    forecast_error: CV = 0.0  #: coefficient of variation of daily volume
    concurrency: Concurrency = 1  #: concurrent channels: contacts an agent carries at once
    concurrency_stretch: Stretch = 0.0
    deadline: PositiveDuration | None = None  #: deferred channels (s)
    containment: Probability | None = None  #: self-service: P(contained)
    open: OpeningHours | None = None  #: overrides the scenario's opening hours
    handle_time: Distribution | None = None  #: shape of handle time; None: from ``aht_cv``
    wrap_up: NonNegativeDuration = 0.0  #: after-contact work (s): agent busy, customer gone
    patience_distribution: Distribution | None = None  #: shape of patience; None: exponential
    balking: Probability = 0.0  #: P(leaves at once when it would have to wait)
    max_wait: PositiveDuration | None = None  #: the system ends a wait this long (s)
    on_timeout: Annotated[OnTimeout | TimeoutTo, PlainValidator(_on_timeout)] = OnTimeout.LOST
    lines: Lines | None = None  #: trunk lines: waiting + in service; None = unlimited
    queue_capacity: Places | None = None  #: most contacts waiting; None = unlimited
    at_close: AtCloseChoice = AtClose.SERVE
    routing: tuple[Annotated[Route, PlainValidator(_route)], ...] | None = None
    #: s; under ``skill_selection: longest_waiting`` a contact counts as this much older
    #: (priority classes: the bank's priority customers get ``90s``)
    head_start: NonNegativeDuration = 0.0

    @property
    def staffed(self) -> bool:
        """Whether agents serve this channel (every kind but self-service)."""
        return kind_spec(self.kind).staffed


class Repeats(_Model):
    """Where unresolved contacts come back, and after how long."""

    delay: PositiveDuration = SECONDS_PER_DAY  #: mean delay (s)
    delay_distribution: DelayChoice = DelayDistribution.EXPONENTIAL
    to: Annotated[
        dict[Name, Annotated[dict[Name, Probability], AfterValidator(_readonly)]],
        AfterValidator(_readonly),
    ] = Field(default_factory=FrozenDict)


class Retrials(_Model):
    """Abandoned contacts that try again in the same channel."""

    probability: Probability = 0.0
    delay: PositiveDuration = 300.0  #: mean delay (s)
    delay_distribution: DelayChoice = DelayDistribution.EXPONENTIAL


class Journeys(_Model):
    """Hand-offs, repeats and retrials between channels."""

    handoffs: Annotated[
        dict[Name, Annotated[dict[Name, Probability], AfterValidator(_readonly)]],
        AfterValidator(_readonly),
    ] = Field(default_factory=FrozenDict)
    repeats: Repeats = Field(default_factory=Repeats)
    retrials: Retrials = Field(default_factory=Retrials)


class Pool(_Model):
    """A group of agents sharing skills; ``skills`` order is routing priority."""

    skills: tuple[Name, ...]
    agents: Agents | None = None  #: today's roster on duty per open interval; None = unknown
    max_agents: Agents | None = None  #: headcount cap on duty; None = no cap
    cost_per_hour: Money = 0.0  #: money per paid FTE hour
    shrinkage: Shrinkage = 0.0  #: fraction of paid time not on contacts
    hires_per_period: FTE | None = None  #: FTE; None = no cap
    attrition: Probability = 0.0  #: fraction of FTE lost per period
    skill_selection: SkillChoice = SkillSelection.PRIORITY
    agent_selection: AgentChoice = AgentSelection.LONGEST_IDLE
    handle_time_factor: Annotated[dict[Name, Multiplier], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )  #: channel -> factor on its handle time when this pool serves it


class Periods(_Model):
    """The planning horizon."""

    count: PeriodCount = 1
    length: Annotated[str, PlainValidator(_period_length)] = "quarter"
    days: Days = float(PERIOD_DAYS["quarter"])  #: working days per period
    hours_per_fte: Hours = PERIOD_DAYS["quarter"] * HOURS_PER_DAY  #: paid hours per FTE per period
    growth: Annotated[dict[Name, tuple[Growth, ...]], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )

    @property
    def years(self) -> float:
        """Length of one period in years (from ``length``)."""
        return PERIOD_YEARS[self.length]


class Cost(_Model):
    """Money an initiative costs (currency of the scenario)."""

    upfront: Money = 0.0  #: money when the initiative starts
    per_period: Money = 0.0  #: money in every period from the start on


class Shift(_Model):
    """Move ``fraction`` of the external volume of ``from_`` (file key ``from``) to ``to``."""

    from_: Name = Field(alias="from")
    to: Name
    fraction: Probability


class HandoffFactor(_Model):
    """Multiply the hand-off probability ``from_`` -> ``to`` by ``factor``."""

    from_: Name = Field(alias="from")
    to: Name
    factor: Multiplier


class Effect(_Model):
    """One effect: channel multipliers, a shift of external volume, or a hand-off factor."""

    channel: Name | None = None
    volume: Multiplier | None = None
    aht: Multiplier | None = None
    patience: Multiplier | None = None
    resolution: Multiplier | None = None
    containment: Multiplier | None = None
    shift: Shift | None = None
    handoff: HandoffFactor | None = None

    def multipliers(self) -> dict[str, float]:
        """The channel multipliers given, by parameter name."""
        names = ("volume", "aht", "patience", "resolution", "containment")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class Initiative(_Model):
    """Something that can be funded: costs, timing, effects and dependencies."""

    cost: Cost = Field(default_factory=Cost)
    value_per_period: SignedMoney = 0.0  #: money per period in force not captured by the model
    lead_time: PeriodOffset = 0  #: periods between start and first effect
    ramp: PeriodOffset = 0  #: periods to full effect (0 or 1: full at once)
    effects: tuple[Effect, ...] = ()
    requires: tuple[Name, ...] = ()
    excludes: tuple[Name, ...] = ()

    @property
    def ramp_periods(self) -> int:
        """Periods over which the effects grow to full size (``ramp``, at least 1)."""
        return max(self.ramp, 1)

    def first_period(self, start: int) -> int:
        """First period in which the effects are in force when started in ``start``."""
        return start + self.lead_time

    def fractions(self, start: int | None, count: int) -> np.ndarray:
        """Fraction in force in each period ``0 .. count-1`` when started in ``start``.

        The vector form of :meth:`fraction`: ``min(1, (t - s - L + 1) / max(R, 1))``
        for ``t >= s + L``, else 0; all zeros when ``start`` is None.
        """
        t = np.arange(count, dtype=float)
        if start is None:
            return np.zeros(count)
        done = t - start - self.lead_time + 1
        return np.clip(done / self.ramp_periods, 0.0, 1.0)

    def fraction(self, start: int | None, period: int) -> float:
        """Fraction of the effects in force in ``period`` when started in ``start``."""
        if start is None:
            return 0.0
        done = period - start - self.lead_time + 1
        if done <= 0:
            return 0.0
        return min(1.0, done / max(self.ramp, 1))


class Economics(_Model):
    """Money per lost contact and per repeat; the annual discount rate; the currency."""

    #: label of every amount (reports write "EUR 1.2m"); empty: amounts without a label
    currency: str = Field(default="", max_length=12, pattern=r"^[^\x00-\x1f\x7f]*$")
    value_per_lost_contact: Money = 0.0
    value_per_repeat: Money = 0.0
    discount_rate: Rate = 0.0  #: per year


class Experience(_Model):
    """Customer-effort points per minute waited, hand-off, repeat, abandonment; money per point."""

    wait_minute: Points = 0.0
    handoff: Points = 0.0
    repeat: Points = 0.0
    abandoned: Points = 0.0
    value_per_point: Money = 0.0


class Budget(_Model):
    """Bounds on initiative spending (None = unlimited)."""

    total: Money | None = None  #: None = unlimited
    per_period: tuple[Money, ...] | None = None  #: None = unlimited

    def limits(self, count: int) -> tuple[float, np.ndarray]:
        """(total, per-period array of length ``count``); ``inf`` where unbounded."""
        total = math.inf if self.total is None else float(self.total)
        if self.per_period is None:
            return total, np.full(count, math.inf)
        return total, np.asarray(self.per_period, dtype=float)


class Targets(_Model):
    """Whether service targets are hard constraints or priced per point missed."""

    mode: Mode = TargetMode.HARD
    penalty_per_point_below: Money | None = None

    @property
    def soft(self) -> bool:
        """Whether targets are priced (``mode: soft``) rather than constraints."""
        return self.mode is TargetMode.SOFT

    @property
    def penalty(self) -> float:
        """Money per service-level point missed, per channel and period (0 when hard)."""
        if not self.soft or self.penalty_per_point_below is None:
            return 0.0
        return float(self.penalty_per_point_below)


class Busyness(_Model):
    """One day-level volume factor shared by every channel (gamma, mean 1)."""

    cv: CV = 0.0  #: coefficient of variation of the factor; 0 = none


class Scenario(_Model):
    """A validated, frozen contact-centre scenario.

    Load one with :func:`channelopt.scenario.load_scenario`; attributes mirror
    the keys of the file (docs/scenario-format.md), times are in seconds.

    Examples
    --------
    >>> import channelopt as co
    >>> sc = co.load_scenario("scenarios/retail_bank.yaml")
    >>> sc.interval
    1800.0
    >>> r = sc.resolve(period=0)
    >>> r.arrivals.shape[0]
    48
    """

    name: Text
    description: Text = ""
    interval: Interval = 1800.0
    open: OpeningHours = "24h"
    channels: Annotated[dict[Name, Channel], AfterValidator(_readonly)]
    journeys: Journeys = Field(default_factory=Journeys)
    pools: Annotated[dict[Name, Pool], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )
    periods: Periods = Field(default_factory=Periods)
    initiatives: Annotated[dict[Name, Initiative], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )
    economics: Economics = Field(default_factory=Economics)
    experience: Experience = Field(default_factory=Experience)
    budget: Budget = Field(default_factory=Budget)
    targets: Targets = Field(default_factory=Targets)
    busyness: Busyness = Field(default_factory=Busyness)
    closed_hours: ClosedChoice = ClosedHours.SPREAD
    shifts: Annotated[dict[Name, ShiftTemplate], AfterValidator(_readonly)] | None = None
    week: Week | None = None  #: the planning week for scheduling (see scenario/shifts.py)

    _source: str | None = PrivateAttr(default=None)
    _hash: str | None = PrivateAttr(default=None)
    _base: Any = PrivateAttr(default=None)  # cached base arrivals (see resolve.py)
    _static: Any = PrivateAttr(default=None)  # cached period-independent arrays (resolve.py)
    _facts: Any = PrivateAttr(default=None)  # cached planning facts (fraction_table, costs)

    # --- identity -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__  # content only, not the source path

    def __hash__(self) -> int:
        return hash(self.content_hash)

    def __repr__(self) -> str:
        return (
            f"Scenario(name={self.name!r}, channels={list(self.channels)}, "
            f"periods={self.n_periods}, initiatives={len(self.initiatives)})"
        )

    __str__ = __repr__

    @property
    def source(self) -> str | None:
        """Path of the file the scenario was loaded from, or None."""
        return self._source

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical content (times in seconds), first 16 hex characters."""
        if self._hash is None:
            text = json.dumps(self.to_document(human=False), separators=(",", ":"), allow_nan=True)
            self._hash = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._hash

    # --- convenience ----------------------------------------------------------------------

    @property
    def n_periods(self) -> int:
        """Number of planning periods."""
        return self.periods.count

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Channel names in file order (the channel order of :class:`Resolved`)."""
        return tuple(self.channels)

    @property
    def pool_names(self) -> tuple[str, ...]:
        """Pool names in file order."""
        return tuple(self.pools)

    @property
    def intervals_per_day(self) -> int:
        """Planning intervals per day (48 for 30 minutes)."""
        return interval_grid(self.interval)

    def opening_hours(self, channel: str) -> tuple[float, float]:
        """(open, close) of ``channel`` in s after midnight (close < open: across midnight)."""
        hours = self.channels[channel].open or self.open
        return parse_opening_hours(hours)

    def discount_factors(self) -> np.ndarray:
        """Discount factor of each period: ``(1 + discount_rate) ** -(t x years per period)``.

        Money of period ``t`` (0-based) is discounted to the start of period 0;
        ``discount_rate`` is an annual rate.
        """
        t = np.arange(self.n_periods, dtype=float)
        return (1.0 + self.economics.discount_rate) ** (-t * self.periods.years)

    # --- facts for planning -----------------------------------------------------------------

    @property
    def initiative_names(self) -> tuple[str, ...]:
        """Initiative names in file order (the initiative order of the planning arrays)."""
        return tuple(self.initiatives)

    def budget_limits(self) -> tuple[float, np.ndarray]:
        """(total, per-period array, shape (T,)) bounding initiative spending; ``inf`` = none."""
        return self.budget.limits(self.n_periods)

    def initiative_costs(self) -> dict[str, np.ndarray]:
        """Per initiative (file order), read-only arrays of shape (N,).

        Keys ``upfront`` (money when started), ``per_period`` (money in every
        period from the start on), ``value_per_period`` (money per period while in
        force, not captured by the model), ``lead_time`` and ``ramp`` (periods;
        ``ramp`` at least 1, as the ramp rule uses it).
        """
        cached = self._cache("costs")
        if cached is not None:
            return cached
        inis = list(self.initiatives.values())
        out = {
            "upfront": np.array([i.cost.upfront for i in inis], dtype=float),
            "per_period": np.array([i.cost.per_period for i in inis], dtype=float),
            "value_per_period": np.array([i.value_per_period for i in inis], dtype=float),
            "lead_time": np.array([i.lead_time for i in inis], dtype=np.int64),
            "ramp": np.array([i.ramp_periods for i in inis], dtype=np.int64),
        }
        for arr in out.values():
            arr.setflags(write=False)
        return self._store("costs", out)

    def fraction_table(self) -> np.ndarray:
        """Fraction in force, shape (N, T, T): ``[i, s, t]`` for initiative i started in s.

        The ramp rule of :meth:`Initiative.fraction` for every start and period at
        once (read-only, computed once per scenario).
        """
        cached = self._cache("fractions")
        if cached is not None:
            return cached
        T = self.n_periods
        costs = self.initiative_costs()
        s = np.arange(T, dtype=float)[None, :, None]
        t = np.arange(T, dtype=float)[None, None, :]
        lead = costs["lead_time"].astype(float)[:, None, None]
        ramp = costs["ramp"].astype(float)[:, None, None]
        table = np.clip((t - s - lead + 1.0) / ramp, 0.0, 1.0)
        table.setflags(write=False)
        return self._store("fractions", table)

    def _cache(self, key: str) -> Any:
        facts = self._facts
        return None if facts is None else facts.get(key)

    def _store(self, key: str, value: Any) -> Any:
        if self._facts is None:
            self._facts = {}
        self._facts[key] = value
        return value

    # --- behaviour (implemented in sibling modules) ----------------------------------------

    def resolve(self, period: int = 0, active: Any = None) -> Resolved:
        """The plain-array view of one period with growth and initiative effects applied.

        Parameters
        ----------
        period : int
            0-based period in ``[0, periods.count)``.
        active : mapping, Plan, iterable of str, or None
            Initiatives in force: a mapping initiative -> start period (0-based;
            lead time and ramp apply), an object with a ``starts`` mapping (a
            ``Plan``), an iterable of names meaning "fully in force", or None.

        Returns
        -------
        Resolved
            Arrays per interval and channel; see :class:`channelopt.scenario.Resolved`.

        Raises
        ------
        ScenarioError
            Unknown initiative names, starts or a period outside the horizon.
        """
        from .resolve import resolve

        return resolve(self, period, active)

    def check_starts(self, starts: Mapping[str, int | None] | Any) -> list[str]:
        """Rule violations of a set of initiative starts (empty when feasible).

        Checks unknown names, starts outside ``[0, periods.count)``, ``requires``
        (``start(A) + lead_time(A) <= start(B)`` when B requires A) and ``excludes``.
        A ``None`` start means "not started".
        """
        from .resolve import check_starts

        return check_starts(self, starts)

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A new, re-validated scenario with ``changes`` applied (the original is unchanged).

        ``changes`` maps a dotted path into the document (``channels.chat.volume``,
        ``periods.growth.chat.2``) to a bare number (multiplies the value; for a
        list every element; durations are scaled) or ``{"set": value}`` (replaces
        or adds the value).
        """
        from .changes import with_changes

        return with_changes(self, changes)

    def to_document(self, *, human: bool = True) -> dict[str, Any]:
        """The scenario as plain data (what :meth:`to_yaml` writes).

        Keys equal to their default are left out. With ``human`` durations are
        strings such as ``"6min"``, otherwise seconds.
        """
        return _dump_model(self, human)

    def to_yaml(self) -> str:
        """The scenario as YAML text that :func:`load_scenario` reads back equal."""
        from ._yaml import dump_yaml

        return dump_yaml(self.to_document(human=True))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_yaml` to ``path`` atomically (temporary file, then rename)."""
        from .io import atomic_write

        atomic_write(Path(path), self.to_yaml())

    @classmethod
    def from_yaml(cls, text: str, source: str | None = None) -> Scenario:
        """Load a scenario from YAML text (see :func:`load_scenario`)."""
        from .io import scenario_from_text

        return scenario_from_text(text, source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Load a scenario file (see :func:`load_scenario`)."""
        from .io import load_scenario

        return load_scenario(Path(path))


def _has_marker(annotation: Any, marker: str) -> bool:
    """Whether ``marker`` sits in the metadata of ``annotation`` or of a type inside it."""
    if typing.get_origin(annotation) is Annotated and marker in annotation.__metadata__:
        return True
    return any(_has_marker(arg, marker) for arg in typing.get_args(annotation))


@functools.cache
def _is_duration(model: type[BaseModel], name: str) -> bool:
    """Whether field ``name`` of ``model`` holds durations (its type carries ``DURATION``).

    The marker on the field types of :mod:`channelopt.scenario.fields` is the one
    place that says which fields are durations: the writer turns them back into
    strings such as ``"6min"`` and :meth:`Scenario.with_changes` scales them.
    """
    info = model.model_fields.get(name)
    if info is None:
        return False
    return DURATION in info.metadata or _has_marker(info.annotation, DURATION)


def _dump_value(value: Any, human: bool, duration: bool) -> Any:
    if isinstance(value, Route) and value.after == 0:
        return value.pool  # the short form of the file
    if isinstance(value, BaseModel):
        return _dump_model(value, human)
    if isinstance(value, Mapping):
        return {k: _dump_value(v, human, duration) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_dump_value(v, human, duration) for v in value]
    if isinstance(value, Enum):
        return value.value
    if duration and human and isinstance(value, float):
        return format_duration(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _always_written(model: BaseModel) -> set[str]:
    """Fields written even when equal to their default, because reading them back
    without them would mean something else (a required key, a derived default)."""
    if isinstance(model, Channel) and "concurrency" in kind_spec(model.kind).required:
        return {"concurrency"}  # a required key is written even at its default
    if isinstance(model, Periods):
        return {"days", "hours_per_fte"}  # their defaults follow `length` and `days`
    return set()


def _dump_model(model: BaseModel, human: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cls = type(model)
    keep = _always_written(model)
    for name, info in cls.model_fields.items():
        value = getattr(model, name)
        default = info.get_default(call_default_factory=True)
        if value is None or (value == default and name not in keep):
            continue
        key = info.alias or name
        out[key] = _dump_value(value, human, _is_duration(cls, name))
    return out


def iter_effects(scenario: Scenario) -> Iterable[tuple[str, int, Effect]]:
    """(initiative, index, effect) for every effect of every initiative, in file order."""
    for name, initiative in scenario.initiatives.items():
        for i, effect in enumerate(initiative.effects):
            yield name, i, effect


def is_finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
