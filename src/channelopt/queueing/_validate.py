"""Input validation and target checks of the public queueing functions.

One message template for every bad argument: ``The 'x' argument of f must be
...; got ... instead.`` Array inputs report the first offending element and
its index; scalars take a fast path with the same rules and messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

_INF = math.inf


#: The largest staffing answer (agents) the searches give; see ``_search.MAX_AGENTS``.
#: Kept here as a plain float so that messages need not import the Numba module.
MAX_AGENTS = 1e15


def _shown(value: Any) -> str:
    """repr of a bad value, shortened: a 400-digit integer is not read by anyone."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:25]}...{text[-10:]} ({len(text)} characters)"


def _bad(func: str, name: str, expected: str, value: Any) -> ValueError:
    return ValueError(
        f"The {name!r} argument of {func} must be {expected}; got {_shown(value)} instead."
    )


def _as_float(func: str, name: str, value: Any, expected: str) -> float:
    """float(value), with an integer too large for a double (``10**400``) a ValueError
    naming the argument instead of Python's bare OverflowError."""
    try:
        return float(value)
    except OverflowError:
        raise _bad(func, name, f"{expected} (at most about 1.8e308)", value) from None


def _first_bad(arr: np.ndarray, mask: np.ndarray) -> Any:
    idx = np.argwhere(mask)[0]
    value = arr[tuple(idx)].item()
    if arr.ndim == 0:
        return value
    return f"{value!r} at index {tuple(int(i) for i in idx)}"


def _to_float(func: str, name: str, value: Any) -> np.ndarray:
    if value is None:
        raise _bad(func, name, "a number or an array of numbers", value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad(func, name, "a number or an array of numbers", value) from None
    except OverflowError:  # a Python int beyond the double range, such as 10**400
        raise _bad(
            func, name, "a number or an array of numbers of at most about 1.8e308", value
        ) from None
    return arr


def _check(func: str, name: str, arr: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if np.any(bad):
        raise _bad(func, name, expected, _first_bad(arr, bad))


def _agents(func: str, value: Any) -> np.ndarray:
    arr = _to_float(func, "agents", value)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    _check(func, "agents", arr, bad, "an integer >= 0")
    return arr


def _load(func: str, value: Any) -> np.ndarray:
    arr = _to_float(func, "load", value)
    _check(func, "load", arr, ~np.isfinite(arr) | (arr < 0), "a finite number of Erlangs >= 0")
    return arr


def _aht(func: str, value: Any) -> np.ndarray:
    arr = _to_float(func, "aht", value)
    _check(func, "aht", arr, ~np.isfinite(arr) | (arr <= 0), "a finite handle time in seconds > 0")
    return arr


def _patience(func: str, value: Any, *, allow_inf: bool = True) -> np.ndarray:
    arr = _to_float(func, "patience", value)
    bad = np.isnan(arr) | (arr <= 0)
    if not allow_inf:
        bad |= np.isinf(arr)
    expected = "a mean patience in seconds > 0" + (
        " (inf: infinitely patient)" if allow_inf else ", finite"
    )
    _check(func, "patience", arr, bad, expected)
    return arr


def _target(func: str, value: Any) -> np.ndarray:
    arr = _to_float(func, "target", value)
    _check(func, "target", arr, np.isnan(arr) | (arr < 0), "a threshold in seconds >= 0")
    return arr


# Scalar fast path: plain Python checks with the same rules and messages, then a
# direct call of a scalar kernel (a few microseconds instead of ~100 for the
# array machinery). The staffing layer calls these in loops.
_SCALAR_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "agents": (
        lambda x: not math.isfinite(x) or x < 0 or x != math.floor(x),
        "an integer >= 0",
    ),
    "load": (lambda x: not math.isfinite(x) or x < 0, "a finite number of Erlangs >= 0"),
    "aht": (lambda x: not math.isfinite(x) or x <= 0, "a finite handle time in seconds > 0"),
    "patience": (
        lambda x: math.isnan(x) or x <= 0,
        "a mean patience in seconds > 0 (inf: infinitely patient)",
    ),
    "target": (lambda x: math.isnan(x) or x < 0, "a threshold in seconds >= 0"),
}
_SCALAR_TYPES = (int, float, np.integer, np.floating)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, _SCALAR_TYPES) and not isinstance(value, bool)


def _scalar(func: str, name: str, value: Any) -> float:
    bad, expected = _SCALAR_RULES[name]
    x = _as_float(func, name, value, expected)
    if bad(x):
        raise _bad(func, name, expected, x)
    return x


def _opt(func: str, name: str, value: Any, lo: float, hi: float, expected: str) -> np.ndarray:
    """Optional target: None -> nan (absent); nan elements are absent too."""
    if value is None:
        return np.asarray(np.nan)
    arr = _to_float(func, name, value)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(arr) & ((arr < lo) | (arr > hi))
    _check(func, name, arr, bad, expected)
    return arr


def _unreachable(func: str, where: str, why: str) -> ValueError:
    return ValueError(f"{func}: the targets cannot be met by any number of agents{where}: {why}")


def _beyond_cap(
    func: str,
    where: str,
    load: float,
    service_level: float = math.nan,
    target: float = math.nan,
    max_wait: float = math.nan,
    max_abandonment: float = math.nan,
    max_occupancy: float = math.nan,
) -> ValueError:
    """The error for a search that found no answer up to :data:`MAX_AGENTS`, naming
    the target that needs more agents (or the load, when stability alone does)."""
    nan = math.isnan
    if load >= MAX_AGENTS:
        why = (
            f"a load of {load!r} Erlangs is at or above {MAX_AGENTS:.0e}, the largest "
            "load (and answer, in agents) required_agents handles"
        )
    elif not nan(max_occupancy) and load / max_occupancy > MAX_AGENTS:
        why = (
            f"max_occupancy {max_occupancy!r} at load {load!r} Erlangs needs "
            f"load / max_occupancy = {load / max_occupancy:.3g} agents, more than "
            f"{MAX_AGENTS:.0e}, the largest answer required_agents gives; "
            "raise max_occupancy"
        )
    else:
        given = [
            f"{name} {value!r}"
            for name, value in (
                ("service_level", service_level),
                ("target", target),
                ("max_wait", max_wait),
                ("max_abandonment", max_abandonment),
                ("max_occupancy", max_occupancy),
            )
            if not nan(value)
        ]
        why = (
            f"{', '.join(given)} still not met at {MAX_AGENTS:.0e} agents "
            f"(the largest answer required_agents gives) for load {load!r} Erlangs"
        )
    return _unreachable(func, where, why)


def _check_targets(
    func: str,
    a: np.ndarray,
    p: np.ndarray,
    sl: np.ndarray,
    t: np.ndarray,
    mw: np.ndarray,
    mab: np.ndarray,
    mocc: np.ndarray,
    shape: tuple[int, ...],
) -> None:
    """Reject absent, inconsistent and unreachable targets (before any search).

    Masks are formed on the target arrays first (often scalars) and combined
    with ``load > 0`` only when something is suspect, so a large grid of loads
    with scalar targets costs nothing here.
    """

    def where(mask: np.ndarray) -> str:
        if math.prod(shape) <= 1 or mask.shape != shape:
            return ""
        return f" (element {np.unravel_index(int(np.argmax(mask)), shape)})"

    def busy(mask: np.ndarray) -> np.ndarray:
        return mask & (a > 0) if mask.any() else mask

    def unreachable_if(mask: np.ndarray, why: str) -> None:
        if np.any(mask):
            raise _unreachable(func, where(mask), why)

    has_sl = ~np.isnan(sl)
    some = has_sl | ~np.isnan(mw) | ~np.isnan(mab) | ~np.isnan(mocc)
    if not np.all(some):
        raise ValueError(
            f"{func} needs at least one target: service_level with target, max_wait, "
            f"max_abandonment or max_occupancy{where(~some)}."
        )
    m = has_sl & np.isnan(t)
    if np.any(m):
        raise ValueError(f"{func}: service_level needs target, the threshold in seconds{where(m)}.")
    m = ~has_sl & ~np.isnan(t)
    if np.any(m):
        raise ValueError(f"{func}: target (seconds) is given without service_level{where(m)}.")
    erlang_a = np.isfinite(p)
    with np.errstate(invalid="ignore"):
        m = busy(has_sl & (sl >= 1.0) & (np.isfinite(t) | erlang_a))
    unreachable_if(
        m,
        "a service level of 1 needs every contact answered within target; with load > 0 "
        "some contacts always wait longer (or abandon), at any number of agents",
    )
    unreachable_if(
        busy(mw == 0.0),
        "max_wait 0 is impossible with load > 0: some answered contacts always wait",
    )
    unreachable_if(
        busy(erlang_a & (mab == 0.0)),
        "max_abandonment 0 is impossible with finite patience and load > 0: "
        "some contacts always wait, and any that wait may abandon",
    )
    unreachable_if(busy(mocc == 0.0), "max_occupancy 0 is impossible with load > 0")


def _flatten(arrays: tuple[np.ndarray, ...], shape: tuple[int, ...]) -> list[np.ndarray]:
    """1-d float64 views for the kernels: an input of one element stays one element
    (the kernels read element 0 for every cell) instead of being broadcast and copied."""
    out = []
    for x in arrays:
        if x.size == 1:
            out.append(np.ascontiguousarray(x.reshape(1), dtype=np.float64))
        elif x.shape == shape:
            out.append(np.ascontiguousarray(x.ravel(), dtype=np.float64))
        else:
            out.append(np.ascontiguousarray(np.broadcast_to(x, shape).ravel(), dtype=np.float64))
    return out
