"""Erlang B, C and A queueing measures and staffing, compiled with Numba.

Every function accepts Python scalars or NumPy arrays and broadcasts like a
ufunc; scalar in, scalar out (a Python ``float``, or ``int`` for
:func:`required_agents`). Times are seconds, ``load`` is offered load in Erlangs
(arrival rate per second x mean handle time in seconds).

Definitions (docs/queueing.md says the same):

* ``patience=inf`` is Erlang C (M/M/n). A finite ``patience`` is the mean of an
  exponential patience: Erlang A (M/M/n+M), stable for any load.
* Under Erlang C with ``load >= agents`` the system is unstable:
  :func:`erlang_c` and :func:`wait_probability` are 1, :func:`service_level`
  0, :func:`average_wait` inf (and :func:`occupancy` 1).
* :func:`service_level` is taken over **all** arrivals: contacts served
  immediately count as within target, contacts that abandon count as not
  within target, whenever they leave.
* :func:`average_wait` is the mean wait of **answered** contacts (ASA).
* ``agents == 0``: service level 0, wait inf, abandonment 1 (Erlang A),
  occupancy 1. ``load == 0``: no waiting, service level 1, abandonment 0,
  occupancy 0, :func:`required_agents` 0 (``load == 0`` wins over
  ``agents == 0``: with no arrivals there is nothing to measure).
* The kernels assume exponential handle times; a scenario's ``aht_cv`` only
  affects the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _kernels as _k
from . import _search as _s
from ._chat_api import stretched_chat
from ._finite_api import (
    SL_DEFINITIONS,
    ErlangX,
    FiniteMeasures,
    blocking,
    erlang_x,
    finite_measures,
    required_agents_finite,
)
from ._validate import (
    _agents,
    _aht,
    _as_float,
    _bad,
    _beyond_cap,
    _check_targets,
    _flatten,
    _is_scalar,
    _load,
    _opt,
    _patience,
    _scalar,
    _target,
)

__all__ = [
    "SL_DEFINITIONS",
    "ErlangX",
    "FiniteMeasures",
    "Measures",
    "abandonment",
    "average_wait",
    "blocking",
    "erlang_b",
    "erlang_c",
    "erlang_x",
    "finite_measures",
    "measures",
    "occupancy",
    "required_agents",
    "required_agents_array",
    "required_agents_finite",
    "service_level",
    "stretched_chat",
    "wait_probability",
]

_INF = math.inf


class Measures(NamedTuple):
    """All queueing measures at once (arrays of the broadcast shape, or floats)."""

    wait_probability: Any
    service_level: Any
    average_wait: Any
    abandonment: Any
    occupancy: Any


def _column(out: Any, j: int, shape: tuple[int, ...], scalar: bool) -> Any:
    """Measure j of an _evaluate result: a float for scalar input, else an array."""
    if scalar:
        return float(out[j])
    return np.ascontiguousarray(out[:, j]).reshape(shape)


def _agents_load(
    func: str,
    scalar_kernel: Callable[[float, float], float],
    array_kernel: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
    agents: Any,
    load: Any,
) -> Any:
    """Validate, broadcast and evaluate a measure of (agents, load) only (Erlang B, C)."""
    if _is_scalar(agents) and _is_scalar(load):
        return scalar_kernel(_scalar(func, "agents", agents), _scalar(func, "load", load))
    n = _agents(func, agents)
    a = _load(func, load)
    shape = np.broadcast_shapes(n.shape, a.shape)
    out = np.empty(math.prod(shape))
    n_flat, a_flat = _flatten((n, a), shape)
    array_kernel(n_flat, a_flat, out)
    if n.ndim == 0 and a.ndim == 0:
        return float(out[0])
    return out.reshape(shape)


def _evaluate(
    func: str, agents: Any, load: Any, aht: Any, target: Any, patience: Any, need_asa: bool
) -> tuple[np.ndarray, tuple[int, ...], bool]:
    if all(_is_scalar(v) for v in (agents, load, aht, target, patience)):
        one = _s.measures_tuple(
            _scalar(func, "agents", agents),
            _scalar(func, "load", load),
            _scalar(func, "aht", aht),
            _scalar(func, "patience", patience),
            _scalar(func, "target", target),
            need_asa,
        )
        return one, (), True  # type: ignore[return-value]
    n = _agents(func, agents)
    a = _load(func, load)
    h = _aht(func, aht)
    p = _patience(func, patience)
    t = _target(func, target)
    scalar = all(x.ndim == 0 for x in (n, a, h, p, t))
    shape = np.broadcast_shapes(n.shape, a.shape, h.shape, p.shape, t.shape)
    flat = _flatten((n, a, h, p, t), shape)
    out = np.empty((math.prod(shape), 5))
    _s.measures_array(flat[0], flat[1], flat[2], flat[3], flat[4], need_asa, out)
    return out, shape, scalar


# --------------------------------------------------------------------------- public API
def erlang_b(agents: Any, load: Any) -> Any:
    """Erlang B blocking probability of M/M/n/n (loss system).

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load a >= 0 in Erlangs.

    Returns
    -------
    float or ndarray
        B(n, a) = (a^n / n!) / sum_{k<=n} a^k / k!, computed without powers or
        factorials (recursion for n <= 30, Poisson-ratio form with Temme's
        expansion above). 1 when ``agents == 0`` and ``load > 0``; 0 when
        ``load == 0``. Values below the smallest normal double (1e-308) may
        be returned as 0.

    Examples
    --------
    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    """
    return _agents_load("erlang_b", _s.erlang_b_scalar, _s.erlang_b_array, agents, load)


def erlang_c(agents: Any, load: Any) -> Any:
    """Erlang C probability of waiting in M/M/n; 1 when ``load >= agents``.

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load a >= 0 in Erlangs.

    Returns
    -------
    float or ndarray
        C(n, a) = n B / (n - a (1 - B)) for a < n; 1 when a >= n > 0 or
        ``agents == 0 < load``; 0 when ``load == 0``.

    Examples
    --------
    >>> round(erlang_c(14, 10.0), 4)
    0.1741
    """
    return _agents_load("erlang_c", _s.erlang_c_scalar, _s.erlang_c_array, agents, load)


def measures(agents: Any, load: Any, aht: Any, target: Any = 0.0, patience: Any = _INF) -> Measures:
    """Every measure at once, sharing the work (one Erlang B per point).

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    target : float or array_like, default 0
        Service-level threshold in seconds (>= 0).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf selects Erlang C.

    Returns
    -------
    Measures
        ``wait_probability``, ``service_level`` (within ``target``),
        ``average_wait`` (s, answered contacts), ``abandonment`` and
        ``occupancy``, each a float (scalar input) or an array of the
        broadcast shape. Definitions as in the module docstring.

    Examples
    --------
    >>> m = measures(14, 10.0, 180.0, target=20.0)
    >>> round(m.service_level, 4), round(m.wait_probability, 4)
    (0.8884, 0.1741)
    """
    out, shape, scalar = _evaluate("measures", agents, load, aht, target, patience, True)
    cols = [_column(out, j, shape, scalar) for j in range(5)]
    return Measures(*cols)


def wait_probability(agents: Any, load: Any, aht: Any, patience: Any = _INF) -> Any:
    """Probability that an arriving contact waits (P(wait > 0)).

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf is Erlang C (then 1 when
        ``load >= agents``), finite is Erlang A.

    Returns
    -------
    float or ndarray
        P(wait > 0), a probability.

    Examples
    --------
    >>> round(wait_probability(14, 10.0, 180.0), 4)
    0.1741
    """
    out, shape, scalar = _evaluate("wait_probability", agents, load, aht, 0.0, patience, False)
    return _column(out, _k.WAIT, shape, scalar)


def service_level(agents: Any, load: Any, aht: Any, target: Any, patience: Any = _INF) -> Any:
    """Fraction of ALL arrivals whose service starts within ``target`` seconds.

    Contacts served immediately count as within target; contacts that abandon
    count as not within target, whenever they leave.

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    target : float or array_like
        Threshold in seconds (>= 0; inf allowed).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf is Erlang C.

    Returns
    -------
    float or ndarray
        Service level in [0, 1]; 0 when Erlang C is unstable (``load >= agents``)
        or ``agents == 0``.

    Examples
    --------
    >>> round(service_level(14, 10.0, 180.0, 20.0), 4)
    0.8884
    """
    out, shape, scalar = _evaluate("service_level", agents, load, aht, target, patience, False)
    return _column(out, _k.SERVICE, shape, scalar)


def average_wait(agents: Any, load: Any, aht: Any, patience: Any = _INF) -> Any:
    """Average speed of answer: mean wait in seconds of ANSWERED contacts.

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf is Erlang C.

    Returns
    -------
    float or ndarray
        Mean wait in seconds of contacts that are answered; inf when Erlang C
        is unstable or ``agents == 0``; 0 when ``load == 0``.

    Examples
    --------
    >>> round(average_wait(14, 10.0, 180.0), 2)
    7.84
    """
    out, shape, scalar = _evaluate("average_wait", agents, load, aht, 0.0, patience, True)
    return _column(out, _k.ASA, shape, scalar)


def abandonment(agents: Any, load: Any, aht: Any, patience: Any) -> Any:
    """Fraction of arrivals that abandon (Erlang A); 0 when ``patience`` is inf.

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    patience : float or array_like
        Mean exponential patience in seconds (> 0, inf allowed).

    Returns
    -------
    float or ndarray
        P(abandon) in [0, 1]; 1 when ``agents == 0 < load`` and patience is finite.

    Examples
    --------
    >>> round(abandonment(14, 10.0, 180.0, 300.0), 4)
    0.014
    """
    out, shape, scalar = _evaluate("abandonment", agents, load, aht, 0.0, patience, False)
    return _column(out, _k.ABANDON, shape, scalar)


def occupancy(agents: Any, load: Any, aht: Any, patience: Any = _INF) -> Any:
    """Busy fraction of agents: carried load / agents.

    Parameters
    ----------
    agents : int or array_like of int
        Number of agents n >= 0.
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf is Erlang C.

    Returns
    -------
    float or ndarray
        Carried load / agents: load / agents for stable Erlang C, 1 when
        unstable or ``agents == 0 < load``, load x (1 - abandonment) / agents
        for Erlang A; 0 when ``load == 0``.

    Examples
    --------
    >>> round(occupancy(14, 10.0, 180.0), 4)
    0.7143
    """
    out, shape, scalar = _evaluate("occupancy", agents, load, aht, 0.0, patience, False)
    return _column(out, _k.OCCUPANCY, shape, scalar)


# --------------------------------------------------------------------------- staffing
def required_agents_array(
    load: Any,
    aht: Any,
    *,
    service_level: Any = None,
    target: Any = None,
    max_wait: Any = None,
    max_abandonment: Any = None,
    max_occupancy: Any = None,
    patience: Any = _INF,
    func: str = "required_agents_array",
) -> np.ndarray:
    """Array form of :func:`required_agents`: always returns an int64 array.

    Targets may be arrays broadcast with ``load``; a ``nan`` element means that
    target is absent for that element. This is the entry point the staffing
    layer uses on whole (interval x channel) grids.

    Returns
    -------
    ndarray of int64
        Smallest agents meeting every target at n and at every larger n, of
        the broadcast shape (0-d for scalar input).
    """
    a = _load(func, load)
    h = _aht(func, aht)
    p = _patience(func, patience)
    sl = _opt(func, "service_level", service_level, 0.0, 1.0, "a fraction in [0, 1] (nan: absent)")
    t = _opt(func, "target", target, 0.0, _INF, "a threshold in seconds >= 0 (nan: absent)")
    mw = _opt(func, "max_wait", max_wait, 0.0, _INF, "a wait in seconds >= 0 (nan: absent)")
    mab = _opt(
        func, "max_abandonment", max_abandonment, 0.0, 1.0, "a fraction in [0, 1] (nan: absent)"
    )
    mocc = _opt(
        func, "max_occupancy", max_occupancy, 0.0, 1.0, "a fraction in [0, 1] (nan: absent)"
    )
    arrays = (a, h, p, sl, t, mw, mab, mocc)
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    _check_targets(func, a, p, sl, t, mw, mab, mocc, shape)
    flat = _flatten(arrays, shape)
    out = np.empty(math.prod(shape))
    fa, fh, fp, fsl, ft, fmw, fmab, fmocc = flat
    _s.required_array(fa, fh, fp, fsl, ft, fmw, fmab, fmocc, out)
    bad = np.isnan(out)
    if np.any(bad):
        i = int(np.argmax(bad))
        where = "" if out.size == 1 else f" (element {np.unravel_index(i, shape)})"
        cell = [float(x[0 if x.size == 1 else i]) for x in flat]
        raise _beyond_cap(func, where, cell[0], *cell[3:])
    return out.astype(np.int64).reshape(shape)


def required_agents(
    load: Any,
    aht: Any,
    *,
    service_level: Any = None,
    target: Any = None,
    max_wait: Any = None,
    max_abandonment: Any = None,
    max_occupancy: Any = None,
    patience: Any = _INF,
) -> Any:
    """Smallest number of agents meeting every target at n and at every larger n.

    Parameters
    ----------
    load : float or array_like
        Offered load in Erlangs (>= 0).
    aht : float or array_like
        Mean handle time in seconds (> 0).
    service_level : float or array_like, optional
        Minimum :func:`service_level` (fraction of all arrivals answered within
        ``target``); needs ``target``.
    target : float or array_like, optional
        Service-level threshold in seconds.
    max_wait : float or array_like, optional
        Maximum :func:`average_wait` (seconds, answered contacts).
    max_abandonment : float or array_like, optional
        Maximum :func:`abandonment` (fraction of arrivals).
    max_occupancy : float or array_like, optional
        Maximum :func:`occupancy` (fraction).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf is Erlang C, where only
        stable staffing (agents > load) is ever accepted.

    Returns
    -------
    int or ndarray of int64
        The required agents; 0 when ``load == 0``. With finite patience the
        answer may lie below ``ceil(load)``. Array targets broadcast; a nan
        element means "no such target" for that element.

    Raises
    ------
    ValueError
        Invalid input, no target, ``target`` without ``service_level``, or a
        target no number of agents can meet (service level 1 with a finite
        threshold, ``max_wait`` 0, ``max_abandonment`` 0 with finite
        patience, ``max_occupancy`` 0), each with the reason.

    Examples
    --------
    >>> required_agents(10.0, 180.0, service_level=0.8, target=20.0)
    14
    >>> required_agents(10.0, 180.0, service_level=0.8, target=20.0, patience=120.0)
    12
    """
    options = (service_level, target, max_wait, max_abandonment, max_occupancy)
    if all(_is_scalar(v) for v in (load, aht, patience)) and all(
        v is None or _is_scalar(v) for v in options
    ):
        return _required_scalar(
            load, aht, service_level, target, max_wait, max_abandonment, max_occupancy, patience
        )
    out = required_agents_array(
        load,
        aht,
        service_level=service_level,
        target=target,
        max_wait=max_wait,
        max_abandonment=max_abandonment,
        max_occupancy=max_occupancy,
        patience=patience,
        func="required_agents",
    )
    if out.ndim == 0:
        return int(out)
    return out


def _required_scalar(
    load: Any,
    aht: Any,
    service_level: Any,
    target: Any,
    max_wait: Any,
    max_abandonment: Any,
    max_occupancy: Any,
    patience: Any,
) -> int:
    """required_agents for Python scalars: same checks and messages, no arrays."""
    func = "required_agents"
    a = _scalar(func, "load", load)
    h = _scalar(func, "aht", aht)
    p = _scalar(func, "patience", patience)
    nan = math.nan

    def opt(name: str, value: Any, hi: float, expected: str) -> float:
        if value is None:
            return nan
        x = _as_float(func, name, value, expected)
        if not math.isnan(x) and not (0.0 <= x <= hi):
            raise _bad(func, name, expected, x)
        return x

    sl = opt("service_level", service_level, 1.0, "a fraction in [0, 1] (nan: absent)")
    t = opt("target", target, _INF, "a threshold in seconds >= 0 (nan: absent)")
    mw = opt("max_wait", max_wait, _INF, "a wait in seconds >= 0 (nan: absent)")
    mab = opt("max_abandonment", max_abandonment, 1.0, "a fraction in [0, 1] (nan: absent)")
    mocc = opt("max_occupancy", max_occupancy, 1.0, "a fraction in [0, 1] (nan: absent)")
    if (
        math.isnan(sl) == math.isnan(t)
        and not (sl >= 1.0 or mw == 0.0 or mab == 0.0 or mocc == 0.0)
        and not (math.isnan(sl) and math.isnan(mw) and math.isnan(mab) and math.isnan(mocc))
    ):
        pass  # nothing suspect: skip the array checks
    else:
        _check_targets(
            func,
            np.asarray(a),
            np.asarray(p),
            np.asarray(sl),
            np.asarray(t),
            np.asarray(mw),
            np.asarray(mab),
            np.asarray(mocc),
            (),
        )
    n = _s.required_scalar(a, h, p, sl, t, mw, mab, mocc)
    if math.isnan(n):
        raise _beyond_cap(func, "", a, sl, t, mw, mab, mocc)
    return int(n)
