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
import hashlib
import json
import math
import os
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr

from ..units import SECONDS_PER_DAY, format_duration, interval_grid, parse_opening_hours
from .fields import (
    Count,
    FrozenDict,
    Interval,
    Multiplier,
    Name,
    NonNegative,
    NonNegativeInt,
    Number,
    OpeningHours,
    Patience,
    Positive,
    PositiveDuration,
    Probability,
    Shrinkage,
    TargetMode,
    Text,
    Within,
)
from .resolved import ChannelKind
from .shifts import SHIFT_DURATION_FIELDS, ShiftTemplate, Week

if TYPE_CHECKING:
    from .resolved import Resolved

__all__ = [
    "Budget",
    "Channel",
    "Cost",
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
    "Scenario",
    "Shift",
    "Target",
    "Targets",
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
        options = [e.value for e in enum]  # type: ignore[attr-defined]
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


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, arbitrary_types_allowed=True
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
    volume: NonNegative | None = None  #: contacts per day
    arrivals: tuple[NonNegative, ...] | None = None  #: contacts per interval (instead of volume)
    profile: tuple[NonNegative, ...] | None = None  #: intraday shape (normalised)
    aht: PositiveDuration | None = None  #: mean handle time (s); None for self-service
    aht_cv: NonNegative = 1.0  #: coefficient of variation of handle time (simulation)
    patience: Patience = None  #: mean patience (s); None = infinitely patient
    target: Target = Field(default_factory=Target)
    resolution: Probability = 1.0  #: P(resolved | served, not handed off)
    forecast_error: NonNegative = 0.0  #: coefficient of variation of daily volume
    concurrency: Count = 1  #: concurrent channels: contacts an agent carries at once
    concurrency_stretch: NonNegative = 0.0
    deadline: PositiveDuration | None = None  #: deferred channels (s)
    containment: Probability | None = None  #: self-service: P(contained)
    open: OpeningHours | None = None  #: overrides the scenario's opening hours

    @property
    def staffed(self) -> bool:
        """Whether agents serve this channel (every kind but self-service)."""
        return self.kind is not ChannelKind.SELF_SERVICE


class Repeats(_Model):
    """Where unresolved contacts come back, and after how long."""

    delay: PositiveDuration = SECONDS_PER_DAY  #: mean exponential delay (s)
    to: Annotated[
        dict[Name, Annotated[dict[Name, Probability], AfterValidator(_readonly)]],
        AfterValidator(_readonly),
    ] = Field(default_factory=FrozenDict)


class Retrials(_Model):
    """Abandoned contacts that try again in the same channel."""

    probability: Probability = 0.0
    delay: PositiveDuration = 300.0  #: mean exponential delay (s)


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
    agents: NonNegativeInt | None = (
        None  #: today's roster on duty per open interval; None = unknown
    )
    max_agents: NonNegativeInt | None = None  #: headcount cap on duty; None = no cap
    cost_per_hour: NonNegative = 0.0  #: money per paid FTE hour
    shrinkage: Shrinkage = 0.0  #: fraction of paid time not on contacts
    hires_per_period: NonNegative | None = None  #: FTE; None = no cap
    attrition: Probability = 0.0  #: fraction of FTE lost per period


class Periods(_Model):
    """The planning horizon."""

    count: Count = 1
    length: Annotated[str, PlainValidator(_period_length)] = "quarter"
    days: Positive = float(PERIOD_DAYS["quarter"])  #: working days per period
    hours_per_fte: Positive = (
        PERIOD_DAYS["quarter"] * HOURS_PER_DAY
    )  #: paid hours per FTE per period
    growth: Annotated[dict[Name, tuple[Positive, ...]], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )

    @property
    def years(self) -> float:
        """Length of one period in years (from ``length``)."""
        return PERIOD_YEARS[self.length]


class Cost(_Model):
    """Money an initiative costs (currency of the scenario)."""

    upfront: NonNegative = 0.0  #: money when the initiative starts
    per_period: NonNegative = 0.0  #: money in every period from the start on


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
    value_per_period: Number = 0.0  #: money per period in force not captured by the model
    lead_time: NonNegativeInt = 0  #: periods between start and first effect
    ramp: NonNegativeInt = 0  #: periods to full effect (0 or 1: full at once)
    effects: tuple[Effect, ...] = ()
    requires: tuple[Name, ...] = ()
    excludes: tuple[Name, ...] = ()

    def fraction(self, start: int | None, period: int) -> float:
        """Fraction of the effects in force in ``period`` when started in ``start``."""
        if start is None:
            return 0.0
        done = period - start - self.lead_time + 1
        if done <= 0:
            return 0.0
        return min(1.0, done / max(self.ramp, 1))


class Economics(_Model):
    """Money per lost contact and per repeat; the annual discount rate."""

    value_per_lost_contact: NonNegative = 0.0
    value_per_repeat: NonNegative = 0.0
    discount_rate: NonNegative = 0.0  #: per year


class Experience(_Model):
    """Customer-effort points per minute waited, hand-off, repeat, abandonment; money per point."""

    wait_minute: NonNegative = 0.0
    handoff: NonNegative = 0.0
    repeat: NonNegative = 0.0
    abandoned: NonNegative = 0.0
    value_per_point: NonNegative = 0.0


class Budget(_Model):
    """Bounds on initiative spending (None = unlimited)."""

    total: NonNegative | None = None  #: None = unlimited
    per_period: tuple[NonNegative, ...] | None = None  #: None = unlimited


class Targets(_Model):
    """Whether service targets are hard constraints or priced per point missed."""

    mode: Mode = TargetMode.HARD
    penalty_per_point_below: NonNegative | None = None


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
    shifts: Annotated[dict[Name, ShiftTemplate], AfterValidator(_readonly)] | None = None
    week: Week | None = None  #: the planning week for scheduling (see scenario/shifts.py)

    _source: str | None = PrivateAttr(default=None)
    _hash: str | None = PrivateAttr(default=None)
    _base: Any = PrivateAttr(default=None)  # cached base arrivals (see resolve.py)

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
        return _dump_model(self, human)  # type: ignore[return-value]

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


#: fields holding durations (seconds inside, human strings in files), per model
_DURATION_FIELDS = {
    "Target": {"within", "max_wait"},
    "Channel": {"aht", "patience", "deadline"},
    "Repeats": {"delay"},
    "Retrials": {"delay"},
    "Scenario": {"interval"},
    **SHIFT_DURATION_FIELDS,
}


def _is_duration(model: type[BaseModel], name: str) -> bool:
    return name in _DURATION_FIELDS.get(model.__name__, ())


def _dump_value(value: Any, human: bool, duration: bool) -> Any:
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
    if isinstance(model, Channel) and model.kind is ChannelKind.CONCURRENT:
        return {"concurrency"}  # required for concurrent channels
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
