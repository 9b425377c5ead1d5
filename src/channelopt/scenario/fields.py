"""Scalar field types of the scenario model: numbers, probabilities, durations, names.

Each type is an ``Annotated`` alias with a plain validator that raises
``ValueError`` with a message in the house style (what was expected, the value).
Pydantic's own coercion is bypassed on purpose: ``"12"`` is not a number in a
scenario file and ``true`` is not 1, so a typo cannot slip through as a value.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import PlainValidator

from ..units import SECONDS_PER_DAY, interval_grid, parse_duration, parse_opening_hours
from ._yaml import SEXAGESIMAL

__all__ = [
    "DURATION",
    "Count",
    "FrozenDict",
    "Interval",
    "Multiplier",
    "Name",
    "NonNegative",
    "NonNegativeDuration",
    "NonNegativeInt",
    "Number",
    "OpeningHours",
    "Patience",
    "Positive",
    "PositiveDuration",
    "Probability",
    "Shrinkage",
    "TargetMode",
    "Text",
    "Within",
]


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict: the mappings of a scenario (picklable, unlike MappingProxyType)."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("scenario mappings are read-only; use Scenario.with_changes")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


#: metadata marker: the field is a duration (seconds inside, human string in files)
DURATION = "duration"

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


class TargetMode(StrEnum):
    """Whether service targets are constraints or priced in the objective."""

    HARD = "hard"  #: every target must hold in every period
    SOFT = "soft"  #: missed points cost ``penalty_per_point_below`` each


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = ""
        if isinstance(value, str):
            stripped = value.replace(",", "").replace("_", "").strip()
            try:
                float(stripped)
                hint = " (write it without quotes or thousands separators)"
            except ValueError:
                pass
        raise ValueError(f"expected a number, got {_describe(value)}{hint}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"expected a finite number, got {value!r}")
    return out


def _non_negative(value: Any) -> float:
    out = _number(value)
    if out < 0:
        raise ValueError(f"expected a number >= 0, got {value!r}")
    return out


def _positive(value: Any) -> float:
    out = _number(value)
    if out <= 0:
        raise ValueError(f"expected a number > 0, got {value!r}")
    return out


def _probability(value: Any) -> float:
    out = _number(value)
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"expected a probability in [0, 1], got {value!r}")
    return out


def _shrinkage(value: Any) -> float:
    out = _number(value)
    if not 0.0 <= out < 1.0:
        raise ValueError(
            f"expected a fraction in [0, 1) (1 would leave no working time), got {value!r}"
        )
    return out


def _integer(value: Any, low: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number >= {low}, got {_describe(value)}")
    if value < low:
        raise ValueError(f"expected a whole number >= {low}, got {value!r}")
    return value


def _non_negative_int(value: Any) -> int:
    return _integer(value, 0)


def _count(value: Any) -> int:
    return _integer(value, 1)


def _duration(value: Any) -> float:
    if isinstance(value, str) and SEXAGESIMAL.match(value.strip()):
        raise ValueError(
            f"{value!r} looks like a clock time, not a duration (YAML 1.1 would even read it as "
            "a base-60 number); write a duration with a unit such as '6min', '90s' or '1.5h'"
        )
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _positive_duration(value: Any) -> float:
    out = _duration(value)
    if not (0 < out < math.inf):
        raise ValueError(f"expected a positive, finite duration such as '6min', got {value!r}")
    return out


def _within(value: Any) -> float:
    out = _duration(value)
    if not (0 <= out < math.inf):
        raise ValueError(f"expected a duration >= 0 such as '20s', got {value!r}")
    return out


def _patience(value: Any) -> float | None:
    out = _duration(value)
    if math.isinf(out) and out > 0:
        return None  # "inf": infinitely patient, the same as omitting the key
    if not out > 0:
        raise ValueError(f"expected a positive duration such as '3min' (or omit it), got {value!r}")
    return out


def _interval(value: Any) -> float:
    out = _positive_duration(value)
    if out < 60.0:
        # also keeps the grid small: 1440 intervals a day at most
        raise ValueError(f"an interval must be at least 1min, got {value!r}")
    try:
        interval_grid(out)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if out > SECONDS_PER_DAY:
        raise ValueError(f"an interval cannot be longer than a day, got {value!r}")
    return out


def _opening_hours(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"expected opening hours as a string 'HH:MM-HH:MM' or '24h', got {_describe(value)}"
        )
    try:
        parse_opening_hours(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(
            "expected a name made of letters, digits, '_' or '-' (no spaces or dots), "
            f"got {_describe(value)}"
        )
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_describe(value)}")
    return value


def _multiplier(value: Any) -> float:
    out = _number(value)
    if out <= 0:
        raise ValueError(f"expected a multiplier > 0 (1 = no change), got {value!r}")
    return out


Number = Annotated[float, PlainValidator(_number)]
NonNegative = Annotated[float, PlainValidator(_non_negative)]
Positive = Annotated[float, PlainValidator(_positive)]
Probability = Annotated[float, PlainValidator(_probability)]
Shrinkage = Annotated[float, PlainValidator(_shrinkage)]
Multiplier = Annotated[float, PlainValidator(_multiplier)]
NonNegativeInt = Annotated[int, PlainValidator(_non_negative_int)]
Count = Annotated[int, PlainValidator(_count)]
PositiveDuration = Annotated[float, PlainValidator(_positive_duration), DURATION]
Within = Annotated[float, PlainValidator(_within), DURATION]
NonNegativeDuration = Annotated[float, PlainValidator(_within), DURATION]
Patience = Annotated[float | None, PlainValidator(_patience), DURATION]
Interval = Annotated[float, PlainValidator(_interval), DURATION]
OpeningHours = Annotated[str, PlainValidator(_opening_hours)]
Name = Annotated[str, PlainValidator(_name)]
Text = Annotated[str, PlainValidator(_text)]
