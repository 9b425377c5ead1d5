"""The ``shifts`` and ``week`` keys: shift templates and the planning week for scheduling.

The models check single fields; :func:`shift_rules` checks what needs several
fields (a template longer than the day, break windows outside their shift,
``days_per_week`` beyond the week's days, pools no template serves) on the raw
document, so that every problem of a file is reported at once with its path,
value and what was expected (docs/scenario-format.md, "Shifts and week").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator

from ..errors import Problem
from ..units import SECONDS_PER_DAY, format_duration, parse_clock, parse_duration
from .fields import (
    DURATION,
    FrozenDict,
    Name,
    NonNegativeInt,
    OpeningHours,
    Positive,
    PositiveDuration,
    Probability,
)
from .kinds import KINDS

__all__ = [
    "DAY_NAMES",
    "Break",
    "ShiftTemplate",
    "Week",
    "parse_start_window",
    "shift_rules",
]

#: kind names served by no agents (from the channel-kind registry; unknown kinds count as staffed
#: here, the kind itself is reported by the scenario model)
_UNSTAFFED = frozenset(k.value for k, spec in KINDS.items() if not spec.staffed)

#: the days of a week, in order (``week.days`` uses these names)
DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, arbitrary_types_allowed=True
    )


def _readonly(value: dict[str, Any]) -> Mapping[str, Any]:
    return FrozenDict(value)


def _offset(value: Any) -> float:
    try:
        out = parse_duration(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None
    if not (0.0 <= out < math.inf):
        raise ValueError(f"expected a duration >= 0 from the shift start, got {value!r}")
    return out


def _window(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(
            f"expected a window [earliest start, latest end] from the shift start such as "
            f"[3h, 5h], got {value!r}"
        )
    lo, hi = _offset(value[0]), _offset(value[1])
    if hi <= lo:
        raise ValueError(f"a break window must end after it starts, got {list(value)!r}")
    return lo, hi


def _days_per_week(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
        raise ValueError(f"expected a whole number of working days from 1 to 7, got {value!r}")
    return value


def _day(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in DAY_NAMES:
        raise ValueError(f"expected a day name ({', '.join(DAY_NAMES)}), got {value!r}")
    return value.lower()


def _days(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"expected a non-empty list of day names, got {value!r}")
    out = tuple(_day(v) for v in value)
    if len(set(out)) != len(out):
        raise ValueError(f"each day may appear once, got {list(value)!r}")
    return tuple(d for d in DAY_NAMES if d in out)  # calendar order


def parse_start_window(value: str) -> tuple[float, float]:
    """``"07:00-12:00"`` -> (first, last) start in s after midnight; last < first wraps midnight.

    ``"24h"`` (or ``"00:00-24:00"``) means any time of the day.
    """
    text = str(value).strip().lower()
    if text in {"24h", "always", "any"}:
        return 0.0, SECONDS_PER_DAY
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(
            f"expected start times 'HH:MM-HH:MM' (first and last start), got {value!r}"
        )
    return parse_clock(parts[0]), parse_clock(parts[1])


def _start_window(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected start times as a string 'HH:MM-HH:MM', got {value!r}")
    parse_start_window(value)
    return value.strip()


Offset = Annotated[float, PlainValidator(_offset), DURATION]
Window = Annotated[tuple[float, float], PlainValidator(_window), DURATION]
DaysPerWeek = Annotated[int, PlainValidator(_days_per_week)]
Day = Annotated[str, PlainValidator(_day)]
Days = Annotated[tuple[str, ...], PlainValidator(_days)]
StartWindow = Annotated[str, PlainValidator(_start_window)]


class Break(_Model):
    """One break of a shift template: its length, window and whether it is paid."""

    length: PositiveDuration  #: s
    window: Window  #: (earliest start, latest end) after the shift start (s)
    paid: bool = True  #: paid breaks count in the paid hours; unpaid ones do not


class ShiftTemplate(_Model):
    """A kind of shift agents can work (docs/scenario-format.md, "Shifts and week")."""

    length: PositiveDuration  #: from start to end, breaks included (s)
    paid: PositiveDuration | None = None  #: paid time (s); default: length - unpaid breaks
    starts: StartWindow | None = None  #: "HH:MM-HH:MM": first and last start; None: any time
    step: PositiveDuration | None = None  #: between start times (s); default: the interval
    breaks: tuple[Break, ...] = ()
    days_per_week: DaysPerWeek = 5  #: working days per agent and week
    pools: tuple[Name, ...] | None = None  #: pools whose agents may work it; None: every pool
    max_share: Probability = 1.0  #: largest share of a pool's agents on this template
    min_agents: NonNegativeInt | None = None  #: per start used: at least this many agents
    max_agents: NonNegativeInt | None = None  #: per start: at most this many agents

    @property
    def paid_seconds(self) -> float:
        """Paid time of one shift (s): ``paid`` or the length less unpaid breaks."""
        if self.paid is not None:
            return self.paid
        return self.length - sum(b.length for b in self.breaks if not b.paid)

    def serves(self, pool: str) -> bool:
        """Whether agents of ``pool`` may work this template."""
        return self.pools is None or pool in self.pools


class Week(_Model):
    """The planning week for scheduling: working days, volume factor and hours per day."""

    days: Days = DAY_NAMES  #: days the centre works (calendar order)
    volume: Annotated[dict[Day, Positive], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )  #: day -> factor on every channel's daily volume (default 1)
    open: Annotated[dict[Day, OpeningHours], AfterValidator(_readonly)] = Field(
        default_factory=FrozenDict
    )  #: day -> opening hours of every channel that day (default: as the scenario)

    def factor(self, day: str) -> float:
        """Volume factor of ``day`` (1 when not given)."""
        return float(self.volume.get(day, 1.0))


# --- rules between fields (on the raw document) ------------------------------------------


def _dur(x: Any) -> float | None:
    try:
        out = parse_duration(x)
    except (TypeError, ValueError):
        return None
    return out if 0 <= out < math.inf else None


def _fmt(seconds: float) -> str:
    return format_duration(seconds)


def _pools_of(doc: Mapping[str, Any]) -> list[str]:
    """Pool names of the document: ``pools`` keys, or one dedicated pool per staffed channel."""
    pools = doc.get("pools")
    if isinstance(pools, Mapping) and pools:
        return [p for p in pools if isinstance(p, str)]
    channels = doc.get("channels")
    if not isinstance(channels, Mapping):
        return []
    return [
        name
        for name, ch in channels.items()
        if isinstance(name, str) and isinstance(ch, Mapping) and ch.get("kind") not in _UNSTAFFED
    ]


def shift_rules(doc: Mapping[str, Any]) -> list[Problem]:
    """Every cross-field problem of the ``shifts`` and ``week`` keys of a raw document."""
    out: list[Problem] = []
    week = doc.get("week")
    week_days = list(DAY_NAMES)
    if isinstance(week, Mapping):
        days = week.get("days")
        if isinstance(days, list | tuple) and all(isinstance(d, str) for d in days):
            week_days = [str(d).lower() for d in days]
        for key in ("volume", "open"):
            block = week.get(key)
            if isinstance(block, Mapping):
                for day in block:
                    if (
                        isinstance(day, str)
                        and day.lower() in DAY_NAMES
                        and (day.lower() not in week_days)
                    ):
                        out.append(
                            Problem(
                                f"week.{key}.{day}",
                                f"day {day!r} is not one of week.days ({', '.join(week_days)})",
                                block[day],
                            )
                        )
    shifts = doc.get("shifts")
    if shifts is None:
        return out
    if not isinstance(shifts, Mapping) or not shifts:
        if isinstance(shifts, Mapping):
            out.append(Problem("shifts", "expected at least one shift template", {}))
        return out
    interval = _dur(doc.get("interval", "30min")) or 1800.0
    pools = _pools_of(doc)
    served: set[str] = set()
    for name, tpl in shifts.items():
        path = f"shifts.{name}"
        if not isinstance(tpl, Mapping):
            continue
        length = _dur(tpl.get("length"))
        if length is not None and length > SECONDS_PER_DAY:
            out.append(
                Problem(
                    f"{path}.length",
                    f"a shift template cannot be longer than a day; expected at most 24h, "
                    f"got {_fmt(length)}",
                    tpl.get("length"),
                )
            )
        paid = _dur(tpl.get("paid"))
        if paid is not None and length is not None and paid > length + 1e-9:
            out.append(
                Problem(
                    f"{path}.paid",
                    f"paid time {_fmt(paid)} is longer than the shift ({_fmt(length)}); "
                    "expected at most the length",
                    tpl.get("paid"),
                )
            )
        step = _dur(tpl.get("step"))
        if step is not None and step > 0:
            k = step / interval
            if abs(k - round(k)) > 1e-9:
                out.append(
                    Problem(
                        f"{path}.step",
                        f"expected a whole multiple of the interval ({_fmt(interval)}), "
                        f"got {_fmt(step)}",
                        tpl.get("step"),
                    )
                )
        starts = tpl.get("starts")
        if isinstance(starts, str):
            first: float | None
            last: float | None
            try:
                first, last = parse_start_window(starts)
            except ValueError:
                first = last = None  # the model reports it
            for clock in (first, last):
                if clock is not None and abs(clock / interval - round(clock / interval)) > 1e-9:
                    out.append(
                        Problem(
                            f"{path}.starts",
                            f"start times must lie on the interval grid ({_fmt(interval)}), "
                            f"got {starts!r}",
                            starts,
                        )
                    )
                    break
        dpw = tpl.get("days_per_week", 5)
        if (
            isinstance(dpw, int)
            and not isinstance(dpw, bool)
            and 1 <= dpw <= 7
            and dpw > len(week_days)
        ):
            out.append(
                Problem(
                    f"{path}.days_per_week",
                    f"expected at most the {len(week_days)} days of week.days "
                    f"({', '.join(week_days)}), got {dpw}",
                    dpw,
                )
            )
        lo_a, hi_a = tpl.get("min_agents"), tpl.get("max_agents")
        if isinstance(lo_a, int) and isinstance(hi_a, int) and hi_a < lo_a:
            out.append(
                Problem(
                    f"{path}.max_agents",
                    f"expected max_agents >= min_agents ({lo_a}), got {hi_a}",
                    hi_a,
                )
            )
        out.extend(_break_rules(path, tpl.get("breaks"), length, interval))
        tpl_pools = tpl.get("pools")
        if tpl_pools is None:
            served.update(pools)
        elif isinstance(tpl_pools, list | tuple):
            for i, p in enumerate(tpl_pools):
                if isinstance(p, str) and p not in pools:
                    out.append(
                        Problem(
                            f"{path}.pools.{i}",
                            f"unknown pool {p!r}; expected one of {', '.join(pools) or 'none'}",
                            p,
                        )
                    )
                elif isinstance(p, str):
                    served.add(p)
    for p in pools:
        if p not in served:
            out.append(
                Problem(
                    "shifts",
                    f"pool {p!r} is served by no shift template; expected every pool in some "
                    "template's `pools` (a template without `pools` serves every pool)",
                    p,
                )
            )
    return out


def _break_rules(path: str, breaks: Any, length: float | None, interval: float) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(breaks, list | tuple):
        return out
    spans: list[tuple[float, float, int]] = []
    total = 0.0
    for i, brk in enumerate(breaks):
        if not isinstance(brk, Mapping):
            continue
        bpath = f"{path}.breaks.{i}"
        blen = _dur(brk.get("length"))
        window = brk.get("window")
        if not (isinstance(window, list | tuple) and len(window) == 2):
            continue
        lo, hi = _dur(window[0]), _dur(window[1])
        if lo is None or hi is None or hi <= lo:
            continue  # the model reports it
        shown = f"[{_fmt(lo)}, {_fmt(hi)}]"
        if length is not None and hi > length + 1e-9:
            out.append(
                Problem(
                    f"{bpath}.window",
                    f"break window {shown} ends after the shift ({_fmt(length)}); expected a "
                    f"window inside [0, {_fmt(length)}]",
                    list(window),
                )
            )
        if blen is not None:
            total += blen
            if blen > hi - lo + 1e-9:
                out.append(
                    Problem(
                        f"{bpath}.window",
                        f"break window {shown} is shorter than the break ({_fmt(blen)}); "
                        "expected a window at least as long as the break",
                        list(window),
                    )
                )
            elif math.floor((hi - blen) / interval + 1e-9) < math.ceil(lo / interval - 1e-9):
                out.append(
                    Problem(
                        f"{bpath}.window",
                        f"break window {shown} holds no break start on the interval grid "
                        f"({_fmt(interval)}); expected a window that fits the break after a "
                        "whole number of intervals",
                        list(window),
                    )
                )
        spans.append((lo, hi, i))
    spans.sort()
    for (_lo1, hi1, i1), (lo2, _hi2, i2) in itertools.pairwise(spans):
        if lo2 < hi1 - 1e-9:
            out.append(
                Problem(
                    f"{path}.breaks.{i2}.window",
                    f"break windows overlap (breaks {i1} and {i2}); expected disjoint windows "
                    "so that breaks never collide",
                    None,
                )
            )
    if length is not None and total >= length - 1e-9 and total > 0:
        out.append(
            Problem(
                f"{path}.breaks",
                f"breaks add up to {_fmt(total)}, the whole shift ({_fmt(length)}); expected "
                "less than the length",
                None,
            )
        )
    return out
