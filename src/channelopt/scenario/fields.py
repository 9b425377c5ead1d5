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
    "CV",
    "DURATION",
    "FTE",
    "MAX_AGENTS",
    "MAX_CV",
    "MAX_DURATION",
    "MAX_MONEY",
    "MAX_MULTIPLIER",
    "MAX_PERIODS",
    "MAX_VOLUME",
    "MIN_DURATION",
    "Agents",
    "Concurrency",
    "Count",
    "Days",
    "FrozenDict",
    "Growth",
    "Hours",
    "Interval",
    "Lines",
    "Money",
    "Multiplier",
    "Name",
    "NonNegative",
    "NonNegativeDuration",
    "NonNegativeInt",
    "Number",
    "OpeningHours",
    "Patience",
    "PeriodCount",
    "PeriodOffset",
    "Places",
    "Points",
    "Positive",
    "PositiveDuration",
    "Probability",
    "Rate",
    "Shrinkage",
    "SignedMoney",
    "Stretch",
    "TargetMode",
    "Text",
    "Volume",
    "Weight",
    "Within",
]


class FrozenDict(dict):
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
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer with {_digits(value)} digits"
    return f"{type(value).__name__} {value!r}"[:200]


def _show(value: Any) -> str:
    """``repr`` of a value for a message, huge integers by their number of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer with {_digits(value)} digits"
    return repr(value)[:120]


def _digits(value: int) -> int:
    # len(str(...)) of a huge int is slow and limited (sys.int_info); the bit length is not
    return max(1, int(abs(value).bit_length() * 0.30103) + 1)


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
    try:
        out = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise ValueError(
            f"expected a finite number, got an integer with {_digits(int(value))} digits"
        ) from None
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
        value = int(value)  # finite here: inf.is_integer() is False
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
    except OverflowError:
        raise ValueError(
            f"expected a duration such as '6min', got an integer with {_digits(value)} digits"
        ) from None
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


# --- plausible ranges (docs/scenario-format.md, "Ranges") ---------------------------------
#
# Every numeric field has a documented range far beyond any real centre and far below
# what overflows floats downstream: a value outside is a typo or an attack, and the
# loader names the field and the range instead of failing later with an overflow.

#: longest duration a scenario accepts (s): a year
MAX_DURATION = 365 * SECONDS_PER_DAY
#: shortest positive duration (s): 1 ms (a 1e-320 s handle time would overflow every rate)
MIN_DURATION = 0.001
#: most contacts per day (or per interval) of one channel
MAX_VOLUME = 1e8
#: most agents (roster, cap, hires per period, lines, queue places)
MAX_AGENTS = 10_000_000
#: most planning periods, and the longest lead time or ramp in periods
MAX_PERIODS = 10_000
#: largest amount of money in any money field
MAX_MONEY = 1e15
#: largest multiplier (effects, growth, handle-time factors)
MAX_MULTIPLIER = 1e6
#: largest coefficient of variation
MAX_CV = 100.0


def _g(x: float) -> str:
    """A bound as people write it: 1e8 rather than 100000000.0."""
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:g}"
    mantissa, exp = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exp)}"


def _ranged(
    base: Any,
    low: float,
    high: float,
    what: str,
    *,
    low_open: bool = False,
) -> PlainValidator:
    """``base`` (a validator) followed by the range ``[low, high]`` (``(low, high]``)."""
    left = "(" if low_open else "["
    rng = f"{left}{_g(low)}, {_g(high)}]"

    def check(value: Any) -> Any:
        out = base(value)
        if out is None:
            return out
        if (out <= low if low_open else out < low) or out > high:
            raise ValueError(f"expected {what} in {rng}, got {_show(value)}")
        return out

    return PlainValidator(check)


def _duration_in(low_positive: bool, what: str) -> PlainValidator:
    """Durations that are 0 (unless ``low_positive``) or in [1 ms, 365 d]; ``inf`` passes
    through for the base validator to decide."""
    floor = "0 or " if not low_positive else ""
    rng = f"{floor}between 1ms and 365d"

    def check(base: Any) -> Any:
        def inner(value: Any) -> Any:
            out = base(value)
            if out is None or math.isinf(out) or (out == 0 and not low_positive):
                return out
            if not MIN_DURATION <= out <= MAX_DURATION:
                raise ValueError(f"expected {what} {rng}, got {_show(value)}")
            return out

        return PlainValidator(inner)

    return check  # type: ignore[return-value]


Number = Annotated[float, PlainValidator(_number)]
NonNegative = Annotated[float, PlainValidator(_non_negative)]
Positive = Annotated[float, PlainValidator(_positive)]
Probability = Annotated[float, PlainValidator(_probability)]
Shrinkage = Annotated[float, PlainValidator(_shrinkage)]
Multiplier = Annotated[
    float, _ranged(_number, 1 / MAX_MULTIPLIER, MAX_MULTIPLIER, "a multiplier (1 = no change)")
]
NonNegativeInt = Annotated[int, PlainValidator(_non_negative_int)]
Count = Annotated[int, PlainValidator(_count)]
PositiveDuration = Annotated[
    float, _duration_in(True, "a positive duration")(_positive_duration), DURATION
]
Within = Annotated[float, _duration_in(False, "a duration")(_within), DURATION]
NonNegativeDuration = Annotated[float, _duration_in(False, "a duration")(_within), DURATION]
Patience = Annotated[float | None, _duration_in(True, "a patience (or 'inf')")(_patience), DURATION]
Interval = Annotated[float, PlainValidator(_interval), DURATION]
OpeningHours = Annotated[str, PlainValidator(_opening_hours)]
Name = Annotated[str, PlainValidator(_name)]
Text = Annotated[str, PlainValidator(_text)]

# ranged numbers, by what they measure
Volume = Annotated[float, _ranged(_non_negative, 0.0, MAX_VOLUME, "contacts")]
Weight = Annotated[float, _ranged(_non_negative, 0.0, 1e12, "a weight")]
CV = Annotated[float, _ranged(_non_negative, 0.0, MAX_CV, "a coefficient of variation")]
Stretch = Annotated[float, _ranged(_non_negative, 0.0, 100.0, "a stretch factor")]
Money = Annotated[float, _ranged(_non_negative, 0.0, MAX_MONEY, "an amount of money")]
SignedMoney = Annotated[float, _ranged(_number, -MAX_MONEY, MAX_MONEY, "an amount of money")]
Rate = Annotated[float, _ranged(_non_negative, 0.0, 10.0, "an annual rate (1 = 100 %)")]
Points = Annotated[float, _ranged(_non_negative, 0.0, 1e6, "effort points")]
Growth = Annotated[float, _ranged(_number, 1 / MAX_MULTIPLIER, MAX_MULTIPLIER, "a growth factor")]
FTE = Annotated[float, _ranged(_non_negative, 0.0, float(MAX_AGENTS), "FTE")]
Days = Annotated[float, _ranged(_number, 0.001, 366.0, "working days")]
Hours = Annotated[float, _ranged(_number, 0.001, 366.0 * 24, "hours")]
Agents = Annotated[int, _ranged(_non_negative_int, 0, MAX_AGENTS, "a whole number of agents")]
PeriodCount = Annotated[int, _ranged(_count, 1, MAX_PERIODS, "a whole number of periods")]
PeriodOffset = Annotated[
    int, _ranged(_non_negative_int, 0, MAX_PERIODS, "a whole number of periods")
]
Concurrency = Annotated[int, _ranged(_count, 1, 1000, "a whole number of contacts")]
Lines = Annotated[int, _ranged(_count, 1, MAX_AGENTS, "a whole number of lines")]
Places = Annotated[int, _ranged(_non_negative_int, 0, MAX_AGENTS, "a whole number of places")]
