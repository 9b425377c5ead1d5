"""``Scenario.with_changes``: edit the document by dotted paths, then re-validate.

A change maps a dotted path into the scenario document to either

* a bare number: multiply the value there (durations are scaled in seconds;
  a list is multiplied element by element, e.g. ``periods.growth.chat``), or
* ``{"set": value}``: replace the value (or add the key if the mapping above
  exists), with any value a scenario file accepts.

Paths use the keys of the file; list items are addressed by index
(``periods.growth.chat.2``, ``initiatives.crm.effects.0.aht``). The result is
loaded through the same two validation passes as a file, so an invalid change
raises :class:`~channelopt.errors.ScenarioError` naming the field, and the
original scenario is never modified.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import Problem, ScenarioError
from ..units import parse_duration

if TYPE_CHECKING:
    from .models import Scenario

__all__ = ["with_changes"]


def _model_value(scenario: Scenario, parts: list[str]) -> Any:
    """The current value at ``parts`` read from the models (defaults included)."""
    value: Any = scenario
    for part in parts:
        if isinstance(value, BaseModel):
            fields = {(f.alias or n): n for n, f in type(value).model_fields.items()}
            if part not in fields:
                raise KeyError(part)
            value = getattr(value, fields[part])
        elif isinstance(value, Mapping):
            value = value[part]
        elif isinstance(value, tuple | list):
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value


def _multiply(value: Any, factor: float, path: str) -> Any:
    if isinstance(value, bool) or value is None:
        raise ScenarioError(
            [Problem(path, f"cannot multiply {value!r}; use {{'set': value}}", value)]
        )
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise ScenarioError(
                [Problem(path, f"cannot multiply the text {value!r}; use {{'set': value}}", value)]
            ) from None
        return seconds * factor
    if isinstance(value, list | tuple):
        return [_multiply(v, factor, f"{path}.{i}") for i, v in enumerate(value)]
    raise ScenarioError(
        [
            Problem(
                path, "cannot multiply a mapping; change its fields one by one or use {'set': ...}"
            )
        ]
    )


def _check_change(path: str, change: Any) -> tuple[str, Any]:
    if isinstance(change, Mapping):
        if set(change) != {"set"}:
            raise ScenarioError(
                [
                    Problem(
                        path,
                        f"expected a number (multiplier) or {{'set': value}}, got {dict(change)!r}",
                        change,
                    )
                ],
                "with_changes",
            )
        return "set", copy.deepcopy(change["set"])
    if isinstance(change, bool) or not isinstance(change, int | float) or not math.isfinite(change):
        raise ScenarioError(
            [
                Problem(
                    path,
                    f"expected a number (multiplier) or {{'set': value}}, got {change!r}",
                    change,
                )
            ],
            "with_changes",
        )
    return "multiply", float(change)


def apply_changes(scenario: Scenario, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario document with ``changes`` applied (not validated)."""
    doc = scenario.to_document(human=False)
    for path, change in changes.items():
        if not isinstance(path, str) or not path:
            raise ScenarioError(
                [Problem(str(path), "expected a dotted path such as 'channels.chat.volume'", path)],
                "with_changes",
            )
        op, arg = _check_change(path, change)
        parts = path.split(".")
        parent: Any = doc
        for i, part in enumerate(parts[:-1]):
            try:
                if isinstance(parent, dict):
                    if part not in parent:
                        # a block left out because it holds only defaults: materialise it
                        current = _model_value(scenario, parts[: i + 1])
                        if isinstance(current, BaseModel | Mapping):
                            parent[part] = {}
                        else:
                            raise KeyError(part)
                    parent = parent[part]
                elif isinstance(parent, list):
                    parent = parent[int(part)]
                else:
                    raise KeyError(part)
            except (KeyError, IndexError, ValueError):
                raise ScenarioError(
                    [
                        Problem(
                            path, f"no field {'.'.join(parts[: i + 1])!r} in the scenario", change
                        )
                    ],
                    "with_changes",
                ) from None
        last = parts[-1]
        if isinstance(parent, list):
            try:
                index = int(last)
                _ = parent[index]  # raises IndexError for a bad index
            except (ValueError, IndexError):
                raise ScenarioError(
                    [Problem(path, f"no item {last!r} in a list of {len(parent)}", change)],
                    "with_changes",
                ) from None
            parent[index] = arg if op == "set" else _multiply(parent[index], arg, path)
        elif isinstance(parent, dict):
            if op == "set":
                parent[last] = arg
            else:
                if last in parent:
                    current = parent[last]
                else:
                    try:
                        current = _model_value(scenario, parts)
                    except (KeyError, IndexError, ValueError):
                        raise ScenarioError(
                            [
                                Problem(
                                    path,
                                    "no such field in the scenario; use {'set': value} to add it",
                                    change,
                                )
                            ],
                            "with_changes",
                        ) from None
                    if hasattr(current, "value"):  # an enum
                        current = current.value
                parent[last] = _multiply(current, arg, path)
        else:
            raise ScenarioError(
                [Problem(path, "no such field in the scenario", change)], "with_changes"
            )
    return doc


def with_changes(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """See :meth:`channelopt.scenario.Scenario.with_changes`."""
    from .io import scenario_from_data

    if not isinstance(changes, Mapping):
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"expected a mapping of dotted paths to changes, got {type(changes).__name__}",
                    changes,
                )
            ],
            "with_changes",
        )
    doc = apply_changes(scenario, changes)
    out = scenario_from_data(doc, source="with_changes")
    out._source = scenario.source
    return out
