"""Loading scenarios from files, text and mappings; atomic writes.

Loading runs two passes and reports the problems of both together: the frozen
models check every field on its own (types, units, ranges, unknown keys), and
:mod:`channelopt.scenario.validate` checks the rules between fields on the raw
document. A scenario is built only when both passes find nothing, so a file is
never half-loaded, and bad input never raises anything but ``ScenarioError``.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import os
import sys
import tempfile
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ScenarioError
from ._yaml import MAX_DEPTH, Document, load_yaml, read_text_limited
from .models import HOURS_PER_DAY, PERIOD_DAYS, Scenario
from .resolved import ChannelKind
from .validate import validate_document

__all__ = ["atomic_write", "load_scenario", "scenario_from_data", "scenario_from_text"]

#: Start of the problem reported when a check failed in an unforeseen way.
UNCHECKED = "the document could not be checked"


def load_scenario(source: str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source : str, path-like or mapping
        A path to a YAML file (``str`` or ``Path``), YAML text (a ``str`` that
        contains a line break and is not an existing file), or the document as a
        mapping (times as strings such as ``"6min"`` or seconds).

    Returns
    -------
    Scenario
        The frozen, fully validated scenario.

    Raises
    ------
    ScenarioError
        Carrying every problem found (path, message, value, line); also when
        the file cannot be read.

    Examples
    --------
    >>> sc = load_scenario("scenarios/retail_bank.yaml")
    >>> sc.channels["voice"].kind.value
    'live'
    """
    if isinstance(source, Mapping):
        return scenario_from_data(source)
    if isinstance(source, str) and "\n" in source and not _is_file(source):
        return scenario_from_text(source)
    if not isinstance(source, str | os.PathLike):
        raise ScenarioError(
            [
                Problem(
                    "",
                    "expected a path to a YAML file, YAML text or a mapping, got "
                    f"{type(source).__name__}",
                    source,
                )
            ]
        )
    path = Path(source)
    text = read_text_limited(path, "scenario")
    scenario = scenario_from_text(text, str(path))
    scenario._source = str(path)
    return scenario


def _is_file(text: str) -> bool:
    try:
        return len(text) < 4096 and Path(text).is_file()
    except (OSError, ValueError):
        return False


def scenario_from_text(text: str, source: str | None = None) -> Scenario:
    """Load a scenario from YAML text; see :func:`load_scenario`."""
    doc = load_yaml(text, source)
    return scenario_from_data(doc.data, document=doc, source=source)


def scenario_from_data(
    data: Any, *, document: Document | None = None, source: str | None = None
) -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`.

    Parameters
    ----------
    data : mapping
        The document.
    document : Document, optional
        Line numbers and reader problems (duplicate keys) of the text it came from.
    source : str, optional
        File name or label for messages.
    """
    problems: list[Problem] = list(document.problems) if document else []
    if not isinstance(data, Mapping):
        what = "an empty document" if data is None else f"{type(data).__name__} {data!r}"[:80]
        problems.append(
            Problem(
                "",
                f"expected a mapping of scenario keys (name, channels, ...), got {what}",
                data,
                1,
            )
        )
        raise ScenarioError(problems, source)
    outside = _outside_limits(data)
    if outside:
        raise ScenarioError(_finish(problems + outside, document), source)
    scenario: Scenario | None = None
    try:
        data = normalise(data)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            problems.extend(translate(exc, Scenario))
        try:
            problems.extend(validate_document(data))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError):
            # The cross-field rules read the raw document defensively; should one still
            # trip over a badly typed value, the field pass has already named that value.
            if not problems:
                raise
    except (ArithmeticError, RecursionError, MemoryError, TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        # The promise of load_scenario: bad input raises ScenarioError, nothing else.
        # A value the checks above did not foresee (an integer too large for a
        # float, ...) still ends here, with what went wrong; the fuzz tests look
        # for this message, so a gap in the checks is found, not hidden.
        problems.append(
            Problem(
                "",
                f"{UNCHECKED}: {type(exc).__name__}: {str(exc)[:200]}; a value is far outside "
                "what any field takes (see docs/limits.md)",
            )
        )
        scenario = None
    if problems:
        raise ScenarioError(_finish(problems, document), source)
    assert scenario is not None
    return scenario


def _outside_limits(data: Any) -> list[Problem]:
    """Values no check can handle, found before any check runs: integers beyond the
    range of a double (``10**400`` from Python; the YAML reader stops them in files)
    and nesting deeper than :data:`MAX_DEPTH` (or a mapping that contains itself)."""
    out: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            out.append(Problem(path, f"document nested more than {MAX_DEPTH} levels deep"))
            break
        if isinstance(value, Mapping):
            stack.extend(
                (v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in value.items()
            )
        elif isinstance(value, list | tuple):
            stack.extend(
                (v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(value)
            )
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX:
            # str() of an int over 4,300 digits raises ValueError: never call it there
            text = str(value) if abs(value) < 10**4000 else ""
            digits = f"{len(text.lstrip('-'))}" if text else "over 4,000"
            out.append(
                Problem(
                    path,
                    f"integer of {digits} digits is beyond any number a field takes "
                    "(at most about 1.8e308)",
                    f"{text[:20]}..." if text else None,
                )
            )
    return out


_FLOAT_MAX = sys.float_info.max


def _finish(problems: list[Problem], document: Document | None) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) in seen:
            continue
        seen.add((p.path, p.message))
        if p.line is None and document is not None:
            p = Problem(p.path, p.message, p.value, document.line_of(p.path))
        out.append(p)
    return out


def normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the defaults that depend on other keys, on a copy of the raw document.

    * ``pools`` omitted: one dedicated pool per staffed channel, named after it.
    * ``periods.days`` omitted: from ``periods.length`` (quarter 63 working days,
      month 21, ...); ``periods.hours_per_fte`` omitted: days x 7.6 h.
    * ``budget.per_period`` given as one number: that number in every period.

    Keys whose value is ``null`` are dropped first: ``null`` means "left out".
    """
    out = _drop_nulls(copy.deepcopy(dict(data)))
    channels = out.get("channels")
    if "pools" not in out and isinstance(channels, Mapping):
        out["pools"] = {
            name: {"skills": [name]}
            for name, ch in channels.items()
            if not (isinstance(ch, Mapping) and ch.get("kind") == ChannelKind.SELF_SERVICE.value)
        }
    periods = out.get("periods")
    if isinstance(periods, dict):
        length = periods.get("length", "quarter")
        if "days" not in periods and isinstance(length, str) and length in PERIOD_DAYS:
            periods["days"] = PERIOD_DAYS[length]
        days = periods.get("days")
        if "hours_per_fte" not in periods and _is_number(days) and days > 0:
            periods["hours_per_fte"] = round(days * HOURS_PER_DAY, 6)
    budget = out.get("budget")
    count = periods.get("count", 1) if isinstance(periods, dict) else 1
    if (
        isinstance(budget, dict)
        and _is_number(budget.get("per_period"))
        and isinstance(count, int)
        and not isinstance(count, bool)
        and 1 <= count <= 10_000
    ):
        budget["per_period"] = [budget["per_period"]] * count
    return out


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]  # a null list item stays an error
    return value


def _is_number(x: object) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool)


# --- pydantic errors -> problems ------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
            if len(args) != 1:
                return tp
        else:
            return tp


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that sits at ``loc`` below ``root`` (None if not a model)."""
    tp: Any = root
    i = 0
    while i < len(loc):
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fields = {(f.alias or n): f for n, f in tp.model_fields.items()}
            field = fields.get(str(loc[i]))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (dict, Mapping):
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (tuple, list):
            tp = typing.get_args(tp)[0]
        else:
            return None
        i += 1
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if x != "[key]")


def translate(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into problems in the house style."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        if kind == "extra_forbidden":
            model = _model_at(root, loc[:-1])
            allowed = [f.alias or n for n, f in model.model_fields.items()] if model else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            expected = f" (expected one of: {', '.join(allowed)})" if allowed and not close else ""
            message = f"unknown key {loc[-1]!r}{hint}{expected}"
        elif kind == "missing":
            message = f"required key {loc[-1]!r} is missing"
            value = None
        elif kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
            message = f"expected a mapping (key: value), got {type(value).__name__} {value!r}"[:200]
        elif kind in ("tuple_type", "list_type", "iterable_type"):
            message = f"expected a list, got {type(value).__name__} {value!r}"[:200]
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = err["msg"]
        if isinstance(value, dict | list) and kind not in ("model_type", "dict_type"):
            value = None if kind == "missing" else value
        out.append(Problem(_path(loc), message, value))
    return out


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
