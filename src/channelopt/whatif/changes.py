"""Change sets: expanding a grid, per-case seeds and the readable change columns of a sweep.

A *change set* maps a dotted field path of the scenario to a change, exactly
as :meth:`channelopt.Scenario.with_changes` takes it: a bare number multiplies
the field, ``{"set": x}`` replaces it. A sweep takes either a *grid* (path ->
list of changes; every combination is a case) or a list of change sets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from numbers import Number
from typing import Any

import numpy as np

__all__ = [
    "MULTIPLY_SUFFIX",
    "SET_SUFFIX",
    "case_seed",
    "change_columns",
    "describe_changes",
    "expand_changes",
    "root_seed",
]

#: Suffix of a change column holding multipliers: ``"channels.chat.volume (x)"``.
MULTIPLY_SUFFIX = " (x)"
#: Suffix of a change column holding replacement values: ``"pools.generalists.agents (set)"``.
SET_SUFFIX = " (set)"


def _check_path(path: object, where: str) -> str:
    if not isinstance(path, str) or not path or path.strip() != path or ".." in path:
        raise ValueError(
            f"{where}: a change path must be a dotted field path such as "
            f"'channels.chat.volume'; got {path!r} instead."
        )
    return path


def expand_changes(
    changes: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The list of change sets, one per case.

    Parameters
    ----------
    changes : dict or list of dict
        A grid ``{path: [change, ...]}``: the cartesian product of the lists,
        the last path varying fastest (a value that is not a list is one
        change); or a list of change sets ``[{path: change, ...}, ...]`` taken
        as is (an empty change set is the unchanged scenario).

    Returns
    -------
    list of dict
        One change set per case, in case order.

    Raises
    ------
    ValueError
        An empty grid list, a path that is not a dotted string, or an argument
        that is neither a mapping nor a list of mappings.

    Examples
    --------
    >>> expand_changes({"channels.chat.volume": [1.0, 1.3], "pools.a.agents": [{"set": 9}]})
    [{'channels.chat.volume': 1.0, 'pools.a.agents': {'set': 9}}, \
{'channels.chat.volume': 1.3, 'pools.a.agents': {'set': 9}}]
    """
    if isinstance(changes, Mapping):
        paths = [_check_path(p, "changes") for p in changes]
        axes = []
        for path in paths:
            values = changes[path]
            if isinstance(values, (list, tuple)):
                if not values:
                    raise ValueError(
                        f"changes[{path!r}]: a grid axis needs at least one value; got an "
                        "empty list."
                    )
                axes.append(list(values))
            else:
                axes.append([values])
        return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*axes)]
    if isinstance(changes, (list, tuple)):
        out = []
        for i, change_set in enumerate(changes):
            if not isinstance(change_set, Mapping):
                raise ValueError(
                    f"changes[{i}]: a list of change sets must hold mappings "
                    f"{{path: change}}; got {change_set!r} instead."
                )
            for path in change_set:
                _check_path(path, f"changes[{i}]")
            out.append(dict(change_set))
        return out
    raise ValueError(
        "The 'changes' parameter of sweep must be a grid {path: [change, ...]} or a list of "
        f"change sets [{{path: change}}, ...]; got {type(changes).__name__} {changes!r} instead."
    )


def _split(change: Any) -> tuple[str, Any]:
    """``("set", x)`` for ``{"set": x}``, ``("x", m)`` for a bare multiplier."""
    if isinstance(change, Mapping) and set(change) == {"set"}:
        return "set", change["set"]
    return "x", change


def change_columns(change_sets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One dict of change columns per case.

    A path changed by a multiplier appears as ``"<path> (x)"`` holding the
    multiplier; a path replaced appears as ``"<path> (set)"`` holding the new
    value. A path not changed in a case is missing from that case's dict (NaN
    in the table: unchanged).
    """
    rows = []
    for change_set in change_sets:
        row = {}
        for path, change in change_set.items():
            how, value = _split(change)
            row[path + (SET_SUFFIX if how == "set" else MULTIPLY_SUFFIX)] = value
        rows.append(row)
    return rows


def _format_value(value: Any) -> str:
    if isinstance(value, Number) and not isinstance(value, bool):
        number = float(value)  # type: ignore[arg-type]
        if math.isfinite(number) and number == int(number) and abs(number) < 1e15:
            return str(int(number))
        return f"{number:g}"
    return str(value)


def describe_changes(change_set: Mapping[str, Any]) -> str:
    """A compact text of one change set: ``"channels.chat.volume x1.3, pools.a.agents = 140"``.

    The empty change set is ``"baseline"``.

    Examples
    --------
    >>> describe_changes({"channels.chat.volume": 1.3, "pools.a.agents": {"set": 140}})
    'channels.chat.volume x1.3, pools.a.agents = 140'
    """
    if not change_set:
        return "baseline"
    parts = []
    for path, change in change_set.items():
        how, value = _split(change)
        sign = " = " if how == "set" else " x"
        parts.append(f"{path}{sign}{_format_value(value)}")
    return ", ".join(parts)


def root_seed(seed: int | np.random.Generator | np.random.SeedSequence | None) -> int:
    """The integer root seed of a run (drawn once from fresh entropy when ``seed`` is None).

    The root seed is written in every row, so a run started with ``seed=None``
    can be repeated exactly.
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise ValueError(
        "The 'seed' parameter must be a non-negative int, a numpy Generator, a SeedSequence or "
        f"None; got {seed!r} instead."
    )


def case_seed(seed: int, case: int) -> int:
    """The seed of case ``case`` of a run with root seed ``seed``.

    The same as child ``case`` of ``numpy.random.SeedSequence(seed).spawn(n)``
    (for any ``n > case``), reduced to one 64-bit integer: it depends on the
    root seed and the case index only, never on the worker that runs the case
    or the order in which cases finish.

    Examples
    --------
    >>> case_seed(0, 3) == case_seed(0, 3) != case_seed(0, 4)
    True
    """
    child = np.random.SeedSequence(seed, spawn_key=(case,))
    return int(child.generate_state(1, np.uint64)[0])
