"""Public finite-system and Erlang X functions (M/M/n/N, M/M/n/N+M, retrials).

See :mod:`channelopt.queueing._finite` for the model and the algorithms and
docs/queueing.md ("Finite systems and Erlang X") for the definitions.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import _finite as _f
from ._validate import _aht, _bad, _flatten, _load, _patience, _target, _to_float

__all__ = [
    "SL_DEFINITIONS",
    "ErlangX",
    "FiniteMeasures",
    "blocking",
    "erlang_x",
    "finite_measures",
    "required_agents_finite",
]

_INF = math.inf

#: The three service-level definitions accepted as ``sl_definition=``.
SL_DEFINITIONS = {
    "all": _f.SL_ALL,
    "answered": _f.SL_ANSWERED,
    "exclude_early_abandons": _f.SL_LATE_ABANDONS,
}


class FiniteMeasures(NamedTuple):
    """Measures of M/M/n/N(+M), each a float (scalar input) or an array.

    All fractions are of ALL arrivals (attempts), except ``service_level``
    under ``sl_definition="answered"`` / ``"exclude_early_abandons"`` and
    ``average_wait`` (answered contacts).
    """

    blocking: Any
    wait_probability: Any
    service_level: Any
    average_wait: Any
    abandonment: Any
    occupancy: Any
    answered: Any


class ErlangX(NamedTuple):
    """Erlang X: the measures at the fixed point of the offered load.

    ``offered_load`` is fresh load plus retrials (Erlangs); the measures are
    per attempt at that load; ``lost`` is the fraction of FRESH contacts that
    end abandoned or blocked without retrying.
    """

    blocking: Any
    wait_probability: Any
    service_level: Any
    average_wait: Any
    abandonment: Any
    occupancy: Any
    answered: Any
    offered_load: Any
    lost: Any


_COLS = (
    _f.BLOCK,
    _f.WAIT,
    _f.SERVICE,
    _f.ASA,
    _f.ABANDON,
    _f.OCCUPANCY,
    _f.ANSWERED,
)


def _frac_agents(func: str, value: Any) -> np.ndarray:
    arr = _to_float(func, "agents", value)
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        raise _bad(func, "agents", "a number of agents >= 0 (fractions allowed)", _first(arr, bad))
    return arr


def _first(arr: np.ndarray, bad: np.ndarray) -> Any:
    idx = np.argwhere(bad)[0]
    v = arr[tuple(idx)].item()
    return v if arr.ndim == 0 else f"{v!r} at index {tuple(int(i) for i in idx)}"


def _count(func: str, name: str, value: Any) -> np.ndarray:
    """lines / queue_capacity: whole numbers >= 0, or inf (no limit)."""
    arr = _to_float(func, name, value)
    with np.errstate(invalid="ignore"):
        bad = np.isnan(arr) | (arr < 0) | (np.isfinite(arr) & (arr != np.floor(arr)))
    if np.any(bad):
        raise _bad(func, name, "a whole number >= 0 or inf (no limit)", _first(arr, bad))
    return arr


def _probability(func: str, name: str, value: Any) -> np.ndarray:
    arr = _to_float(func, name, value)
    bad = ~((arr >= 0) & (arr < 1))
    if np.any(bad):
        raise _bad(func, name, "a probability in [0, 1)", _first(arr, bad))
    return arr


def _sl_code(func: str, value: str) -> int:
    if value not in SL_DEFINITIONS:
        raise _bad(func, "sl_definition", "one of " + ", ".join(map(repr, SL_DEFINITIONS)), value)
    return SL_DEFINITIONS[value]


def _run(
    func: str,
    agents: Any,
    load: Any,
    aht: Any,
    target: Any,
    patience: Any,
    lines: Any,
    queue_capacity: Any,
    sl_definition: str,
    retrial: tuple[Any, Any] | None = None,
) -> tuple[np.ndarray, tuple[int, ...], bool]:
    n = _frac_agents(func, agents)
    a = _load(func, load)
    h = _aht(func, aht)
    p = _patience(func, patience)
    t = _target(func, target)
    ln = _count(func, "lines", lines)
    qc = _count(func, "queue_capacity", queue_capacity)
    code = _sl_code(func, sl_definition)
    arrays = [n, a, h, p, t, ln, qc]
    if retrial is not None:
        rab = _probability(func, "retrial_probability", retrial[0])
        rbl = _probability(
            func,
            "blocked_retrial_probability",
            retrial[0] if retrial[1] is None else retrial[1],
        )
        arrays += [rab, rbl]
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    scalar = all(x.ndim == 0 for x in arrays)
    m = math.prod(shape)
    fn, fa, fh, fp, ft, fln, fqc = _flatten((n, a, h, p, t, ln, qc), shape)
    if retrial is None:
        out = np.empty((m, _f.N_OUT))
        _f.finite_array(fn, fa, fh, fp, ft, fln, fqc, code, out)
    else:
        r = _flatten((arrays[7], arrays[8]), shape)
        out = np.empty((m, _f.N_OUT + 2))
        _f.erlang_x_array(fn, fa, fh, fp, ft, fln, fqc, r[0], r[1], code, out)
    return out, shape, scalar


def _col(out: np.ndarray, j: int, shape: tuple[int, ...], scalar: bool) -> Any:
    if scalar:
        return float(out[0, j])
    return np.ascontiguousarray(out[:, j]).reshape(shape)


def finite_measures(
    agents: Any,
    load: Any,
    aht: Any,
    target: Any = 0.0,
    patience: Any = _INF,
    *,
    lines: Any = _INF,
    queue_capacity: Any = _INF,
    sl_definition: str = "all",
) -> FiniteMeasures:
    """Exact measures of M/M/n/N (patience inf) and M/M/n/N+M from the birth-death chain.

    Parameters
    ----------
    agents : float or array_like
        Agents n >= 0. A fractional n is the linear interpolation of every
        measure between floor(n) and ceil(n) agents (how Erlang X calculators
        read "3.5 agents"); integers are exact.
    load : float or array_like
        Offered load in Erlangs (>= 0): arrival rate (1/s) x ``aht``.
    aht : float or array_like
        Mean handle time in seconds (> 0), exponential.
    target : float or array_like, default 0
        Service-level threshold in seconds (>= 0, inf allowed).
    patience : float or array_like, default inf
        Mean exponential patience in seconds; inf: nobody abandons.
    lines : float or array_like, default inf
        Trunk lines N: contacts waiting plus in service never exceed N; an
        arrival finding N contacts is blocked. Whole number >= 0 or inf.
    queue_capacity : float or array_like, default inf
        At most this many contacts wait (whole number >= 0 or inf); 0 is the
        Erlang B loss system. With both limits the smaller system applies:
        N = min(lines, agents + queue_capacity).
    sl_definition : {"all", "answered", "exclude_early_abandons"}
        ``"all"``: answered within target / all arrivals (blocked and
        abandoned contacts count as missed; the definition of
        :func:`service_level`). ``"answered"``: answered within target /
        answered. ``"exclude_early_abandons"``: answered within target /
        (arrivals - blocked - abandoned before the target).

    Returns
    -------
    FiniteMeasures
        ``blocking`` (fraction of arrivals blocked), ``wait_probability``
        (admitted and waiting, over all arrivals), ``service_level``,
        ``average_wait`` (s, answered contacts; inf when nobody is answered
        or the system is unstable), ``abandonment`` (over all arrivals),
        ``occupancy`` (busy fraction of the agents), ``answered`` (fraction
        of arrivals answered). Without limits and patience, Erlang C (unstable
        when load >= agents: wait 1, service level 0, wait inf).

    Examples
    --------
    Ten agents, 8 Erlangs, 3-minute calls, at most 5 waiting:

    >>> m = finite_measures(10, 8.0, 180.0, 20.0, queue_capacity=5)
    >>> round(m.blocking, 6), round(m.service_level, 4)
    (0.030038, 0.7531)
    >>> round(finite_measures(10, 5.0, 180.0, queue_capacity=0).blocking, 6)  # Erlang B
    0.018385
    """
    out, shape, scalar = _run(
        "finite_measures", agents, load, aht, target, patience, lines, queue_capacity, sl_definition
    )
    return FiniteMeasures(*(_col(out, j, shape, scalar) for j in _COLS))


def blocking(
    agents: Any,
    load: Any,
    aht: Any,
    patience: Any = _INF,
    *,
    lines: Any = _INF,
    queue_capacity: Any = _INF,
) -> Any:
    """Fraction of arrivals blocked by ``lines`` / ``queue_capacity`` (M/M/n/N(+M)).

    Parameters as in :func:`finite_measures`. 0 without limits.

    Examples
    --------
    >>> round(blocking(10, 5.0, 180.0, queue_capacity=0), 6)  # Erlang B(10, 5)
    0.018385
    """
    out, shape, scalar = _run(
        "blocking", agents, load, aht, 0.0, patience, lines, queue_capacity, "all"
    )
    return _col(out, _f.BLOCK, shape, scalar)


def erlang_x(
    agents: Any,
    load: Any,
    aht: Any,
    target: Any = 0.0,
    patience: Any = _INF,
    *,
    lines: Any = _INF,
    queue_capacity: Any = _INF,
    retrial_probability: Any = 0.0,
    blocked_retrial_probability: Any = None,
    sl_definition: str = "all",
) -> ErlangX:
    """Erlang X: M/M/n/N+M with retrials of abandoned and blocked contacts.

    A contact that abandons retries with ``retrial_probability``, one that is
    blocked with ``blocked_retrial_probability`` (default: the same). In the
    stationary model retrials join the offered load: the load ``a`` solves
    ``a = load + a (retrial_probability x abandonment(a) +
    blocked_retrial_probability x blocking(a))``, found by fixed-point
    iteration from ``load`` (monotone; the error shrinks at least by the retry
    probability each round). The retrial *delay* does not change a stationary
    interval; the staffing layer spreads retrials over later intervals by
    their delay.

    Parameters
    ----------
    agents, load, aht, target, patience, lines, queue_capacity, sl_definition
        As in :func:`finite_measures` (``load`` is the FRESH load).
    retrial_probability : float or array_like, default 0
        P(an abandoned contact tries again), in [0, 1).
    blocked_retrial_probability : float or array_like, optional
        P(a blocked contact tries again), in [0, 1); default
        ``retrial_probability``.

    Returns
    -------
    ErlangX
        The measures per attempt at the fixed point, ``offered_load``
        (Erlangs, retrials included) and ``lost`` (fraction of fresh contacts
        that finally abandon or are blocked).

    Examples
    --------
    >>> x = erlang_x(10, 8.0, 180.0, 20.0, patience=120.0, retrial_probability=0.5)
    >>> round(x.offered_load, 4) > 8.0, round(x.lost, 4) < round(x.abandonment, 4)
    (True, True)
    """
    out, shape, scalar = _run(
        "erlang_x",
        agents,
        load,
        aht,
        target,
        patience,
        lines,
        queue_capacity,
        sl_definition,
        retrial=(retrial_probability, blocked_retrial_probability),
    )
    cols = [_col(out, j, shape, scalar) for j in _COLS]
    cols += [_col(out, _f.N_OUT, shape, scalar), _col(out, _f.N_OUT + 1, shape, scalar)]
    return ErlangX(*cols)


def required_agents_finite(
    load: float,
    aht: float,
    *,
    service_level: float | None = None,
    target: float | None = None,
    max_wait: float | None = None,
    max_abandonment: float | None = None,
    max_occupancy: float | None = None,
    max_blocking: float | None = None,
    patience: float = _INF,
    lines: float = _INF,
    queue_capacity: float = _INF,
    retrial_probability: float = 0.0,
    blocked_retrial_probability: float | None = None,
    sl_definition: str = "all",
) -> int:
    """Smallest whole number of agents meeting every target under :func:`erlang_x`.

    Scalars only. Targets as in :func:`~channelopt.queueing.required_agents`
    plus ``max_blocking`` (fraction of attempts blocked). Found by doubling,
    then bisection on the (monotone) targets, then confirmed at the next five
    agent counts; ``lines`` caps the useful agents, so a target that needs
    more agents than lines raises.

    Raises
    ------
    ValueError
        No target given, or the targets cannot be met (with the reason).

    Examples
    --------
    >>> required_agents_finite(10.0, 180.0, service_level=0.8, target=20.0)  # Erlang C
    14
    >>> required_agents_finite(10.0, 180.0, service_level=0.8, target=20.0, queue_capacity=3)
    12
    """
    func = "required_agents_finite"
    targets = (service_level, max_wait, max_abandonment, max_occupancy, max_blocking)
    if all(v is None for v in targets):
        raise ValueError(
            f"{func} needs at least one target: service_level with target, max_wait, "
            "max_abandonment, max_occupancy or max_blocking."
        )
    if (service_level is None) != (target is None):
        raise ValueError(f"{func}: service_level and target (seconds) go together.")
    if float(load) == 0.0:
        return 0

    def ok(n: int) -> bool:
        m = erlang_x(
            n,
            load,
            aht,
            0.0 if target is None else target,
            patience,
            lines=lines,
            queue_capacity=queue_capacity,
            retrial_probability=retrial_probability,
            blocked_retrial_probability=blocked_retrial_probability,
            sl_definition=sl_definition,
        )
        eps = 1e-12
        return (
            (service_level is None or m.service_level >= service_level - eps)
            and (max_wait is None or m.average_wait <= max_wait + eps)
            and (max_abandonment is None or m.abandonment <= max_abandonment + eps)
            and (max_occupancy is None or m.occupancy <= max_occupancy + eps)
            and (max_blocking is None or m.blocking <= max_blocking + eps)
        )

    limit = int(min(float(lines), 1e7)) if math.isfinite(float(lines)) else 10**7
    hi = max(1, math.ceil(float(load)))
    while not ok(hi):
        if hi >= limit:
            raise ValueError(
                f"{func}: the targets cannot be met by any number of agents "
                f"(not met at {limit} agents for load {float(load)!r} Erlangs"
                + (f" with {float(lines):g} lines)" if math.isfinite(float(lines)) else ")")
            )
        hi = min(2 * hi, limit)
    lo = 0
    while True:
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid + 1
        bad = next((k for k in range(hi + 1, hi + 6) if not ok(k)), None)
        if bad is None:
            return hi
        lo = hi = bad + 1
        while not ok(hi):
            if hi >= limit:
                raise ValueError(f"{func}: the targets cannot be met by any number of agents")
            hi += 1
