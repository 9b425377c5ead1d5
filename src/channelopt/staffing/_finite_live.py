"""Live and concurrent channels with finite ``lines`` or ``queue_capacity``.

The channel is the birth-death chain M/M/n/N(+M) of
:mod:`channelopt.queueing._finite` (``N = min(lines, slots + queue_capacity)``,
``slots = agents x concurrency``), the exact model of the simulation's rules
for exponential handle times and patience: a contact that finds all lines
busy, or the queue at its capacity, is blocked. Blocked contacts retry like
abandoned ones (``journeys.retrials``): the part that retries within its own
interval is solved here as the fixed point ``x = base + q (P(abandon) +
P(blocked)) x`` (a contraction, error shrinking by ``q`` per round), the rest
goes through the traffic equations with the other retrials (``_core``).

One compiled call per channel and round of the cross-channel fixed point, as
for the unlimited channels (:mod:`channelopt.staffing._live_kernels`), with
the same outputs (``O_*``) plus the blocked fraction.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..queueing import _finite as _f
from ._live import ChannelSpec, LiveKpis
from ._live_kernels import targets_hold

__all__ = ["capped_note", "evaluate_finite", "is_finite", "staff_finite"]

# Rows of the output array: those of ``_live_kernels`` (O_X .. O_MEETS), then blocking.
O_X, O_LOAD, O_AHT, O_SL, O_WAIT, O_AB, O_OCC, O_MEETS, O_BLOCK = range(9)
N_OUT = 9
_FIXED_POINT_TOL = 1e-12
_FIXED_POINT_CAP = 500
#: Agents are confirmed at this many counts above the answer (targets must keep holding).
_CONFIRM = 3


def is_finite(spec: ChannelSpec) -> bool:
    """True when the channel has finite ``lines`` or ``queue_capacity``."""
    return math.isfinite(spec.lines) or math.isfinite(spec.queue_capacity)


@numba.njit(cache=True, error_model="numpy")
def _cell(prm: np.ndarray, n: int, x: float, m: np.ndarray, out: np.ndarray, j: int, memo) -> None:
    """Measures of one interval at ``n`` agents and ``x`` offered contacts into ``out[:, j]``."""
    aht, patience, conc = prm[0], prm[1], int(prm[2])
    within, interval_s = prm[5], prm[10]
    lines, qcap = prm[12], prm[13]
    within_nan = math.isnan(within)
    sl = math.nan if within_nan else 1.0
    wait = 0.0
    ab = 0.0
    occ = 0.0
    block = 0.0
    if x > 0:
        load = x * aht / interval_s
        t = 0.0 if within_nan else within
        _f.finite_point_memo(
            float(n * conc), load, aht, patience, t, lines, qcap, _f.SL_ALL, m, memo[0], memo[1]
        )
        if not within_nan:
            sl = m[_f.SERVICE]
        wait = m[_f.ASA]
        ab = m[_f.ABANDON] if math.isfinite(patience) else 0.0
        occ = m[_f.OCCUPANCY]
        block = m[_f.BLOCK]
    out[O_LOAD, j] = x * aht / interval_s
    out[O_AHT, j] = aht
    out[O_SL, j] = sl
    out[O_WAIT, j] = wait
    out[O_AB, j] = ab
    out[O_OCC, j] = occ
    out[O_BLOCK, j] = block


@numba.njit(cache=True)
def _memo(prm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The waiting-time-law memo of one channel: queue positions up to the lines or the
    queue capacity (at most 4,096; beyond that nothing is kept)."""
    return _f.new_tails_memo(int(min(prm[12], prm[13], 4096.0)) + 1)


@numba.njit(cache=True, error_model="numpy")
def _point(prm: np.ndarray, base: float, n: int, x0: float, out: np.ndarray, j: int, memo) -> None:
    """One interval at ``n`` agents, with its same-interval retrials solved, and the verdict.
    ``memo``: the waiting-time laws of the last agent count (``_finite.new_tails_memo``),
    the same at every load the fixed point tries."""
    m = np.empty(_f.N_OUT)
    x = max(x0, base) if not (math.isnan(x0) or math.isnan(base)) else math.nan
    _cell(prm, n, x, m, out, j, memo)
    q = prm[9]
    if q > 0.0:
        for _ in range(_FIXED_POINT_CAP):
            new = base + q * (out[O_AB, j] + out[O_BLOCK, j]) * x
            done = abs(new - x) <= _FIXED_POINT_TOL * max(1.0, x)
            x = new
            _cell(prm, n, x, m, out, j, memo)
            if done:
                break
    ok = targets_hold(prm[4], prm[6], prm[7], prm[8], out, j)
    out[O_X, j] = x
    out[O_MEETS, j] = 1.0 if ok else 0.0


@numba.njit(cache=True, error_model="numpy")
def evaluate_cells(prm, base, agents, x0):
    """Outcome of ``agents`` in every interval, shape ``(N_OUT, I)``."""
    n = base.shape[0]
    out = np.empty((N_OUT, n))
    memo = _memo(prm)
    for i in range(n):
        _point(prm, base[i], agents[i], x0[i], out, i, memo)
    return out


@numba.njit(cache=True, error_model="numpy")
def _meets(prm, base, n, x0, tmp, memo) -> bool:
    _point(prm, base, n, x0, tmp, 0, memo)
    return tmp[O_MEETS, 0] != 0.0


@numba.njit(cache=True, error_model="numpy")
def staff_cells(prm, base, floor, has_floor, x0, guess, has_guess, limit):
    """Smallest agents per interval meeting the targets, confirmed at the next counts.

    Doubling from ``ceil(load / concurrency)``, bisection down to the floor, then
    the answer must hold at the next ``_CONFIRM`` counts too (otherwise the
    search restarts above the failure), as ``queueing.required_agents_finite``.
    A ``guess`` (the previous round's answer) that meets the targets while one
    agent fewer does not is taken at once (it was confirmed when first found).
    Where ``limit`` agents (every line staffed, or 10**7) do not meet the
    targets, the interval gets ``limit`` agents (its ``O_MEETS`` stays 0).
    Returns ``(agents, out, True)``; ``out`` is the outcome at ``agents`` (kept from the
    search where a guess held, else evaluated once more).
    """
    n_int = base.shape[0]
    agents = np.zeros(n_int, dtype=np.int64)
    out = np.empty((N_OUT, n_int))
    tmp = np.empty((N_OUT, 1))
    memo = _memo(prm)
    conc = int(prm[2])
    for i in range(n_int):
        lo = floor[i] if has_floor else 0
        if not base[i] > 0.0:
            agents[i] = lo
            _point(prm, base[i], lo, x0[i], out, i, memo)
            continue
        if has_guess:
            g = max(guess[i], lo)
            if g > 0 and _meets(prm, base[i], g, x0[i], tmp, memo):
                out[:, i] = tmp[:, 0]  # the outcome at g, should g be the answer
                if g == lo or not _meets(prm, base[i], g - 1, x0[i], tmp, memo):
                    agents[i] = g
                    continue
        load = base[i] * prm[0] / prm[10]
        hi = max(lo, max(1, math.ceil(load / conc)))
        capped = False
        while not _meets(prm, base[i], hi, x0[i], tmp, memo):
            if hi >= limit:
                capped = True  # the lines cannot carry the targets: staff every line
                break
            lo = hi + 1
            hi = min(2 * hi, limit)
        if capped:
            agents[i] = limit
            _point(prm, base[i], limit, x0[i], out, i, memo)
            continue
        while True:
            while lo < hi:
                mid = (lo + hi) // 2
                if _meets(prm, base[i], mid, x0[i], tmp, memo):
                    hi = mid
                else:
                    lo = mid + 1
            bad = -1
            for k in range(hi + 1, hi + 1 + _CONFIRM):
                if not _meets(prm, base[i], k, x0[i], tmp, memo):
                    bad = k
                    break
            if bad < 0:
                break
            lo = bad + 1
            hi = bad + 1
            while not _meets(prm, base[i], hi, x0[i], tmp, memo) and hi < limit:
                hi += 1
        agents[i] = hi
        _point(prm, base[i], hi, x0[i], out, i, memo)
    return agents, out, True


def _params(spec: ChannelSpec) -> np.ndarray:
    return np.concatenate([spec.params(), [spec.lines, spec.queue_capacity]])


def _kpis(agents: np.ndarray, out: np.ndarray) -> LiveKpis:
    return LiveKpis(
        agents,
        out[O_X],
        out[O_LOAD],
        out[O_AHT],
        out[O_SL],
        out[O_WAIT],
        out[O_AB],
        out[O_OCC],
        out[O_MEETS] != 0.0,
        out[O_BLOCK],
    )


def evaluate_finite(
    spec: ChannelSpec, base: np.ndarray, agents: np.ndarray, x0: np.ndarray | None = None
) -> LiveKpis:
    """KPIs of ``agents`` per interval for a channel with finite lines or queue.

    As :func:`channelopt.staffing._live.evaluate_live`, with blocking: the
    same-interval retrials include the blocked contacts that retry, and
    ``LiveKpis.blocked`` holds the blocked fraction of the offered contacts.
    """
    base = np.ascontiguousarray(base, dtype=float)
    agents = np.ascontiguousarray(agents, dtype=np.int64)
    x0 = base if x0 is None else np.ascontiguousarray(x0, dtype=float)
    return _kpis(agents, evaluate_cells(_params(spec), base, agents, x0))


def staff_finite(
    spec: ChannelSpec,
    base: np.ndarray,
    floor: np.ndarray | None = None,
    x0: np.ndarray | None = None,
    guess: np.ndarray | None = None,
) -> LiveKpis:
    """Smallest agents per interval meeting every target, with blocking (see module doc).

    Signature of :func:`channelopt.staffing._live.staff_live`. Targets:
    ``service_level`` over all attempts (blocked contacts are not answered
    within the target), ``max_wait`` on answered contacts,
    ``max_abandonment`` on abandoned contacts (blocked ones are counted
    apart, in ``blocked``), ``max_occupancy``.

    Where no number of agents up to the lines meets the targets, the
    interval gets every line staffed and ``meets`` False there
    (:func:`capped_note` says so in the result): a plan evaluated on such a
    period shows the target violation instead of failing.

    Raises
    ------
    ValueError
        When the targets are impossible at any staffing (``spec.impossible()``).
    """
    base = np.ascontiguousarray(base, dtype=float)
    why = spec.impossible()
    if why is not None and np.any(base > 0):
        raise ValueError(f"channel {spec.name!r}: the targets cannot be met: {why}")
    x0 = base if x0 is None else np.ascontiguousarray(x0, dtype=float)
    lines = spec.lines
    # more agents than lines / concurrency can never be reached by a contact
    limit = int(min(math.ceil(lines / spec.concurrency), 10**7)) if math.isfinite(lines) else 10**7
    has_floor = floor is not None
    fl = np.ascontiguousarray(floor, dtype=np.int64) if has_floor else np.zeros(0, dtype=np.int64)
    has_guess = guess is not None
    gs = np.ascontiguousarray(guess, dtype=np.int64) if has_guess else np.zeros(0, dtype=np.int64)
    agents, out, _ok = staff_cells(
        _params(spec), base, fl, has_floor, x0, gs, has_guess, max(limit, 1)
    )
    return _kpis(agents, out)


def capped_note(spec: ChannelSpec, kp: LiveKpis, base: np.ndarray) -> str | None:
    """The note for intervals whose targets no number of agents meets within the lines."""
    miss = int(((~kp.meets) & (np.asarray(base) > 0)).sum())
    if not miss:
        return None
    return (
        f"{spec.lines:g} lines cannot carry the targets in {miss} interval(s) at any number of "
        "agents: staffed at the lines there, targets missed (blocked contacts count against "
        "the service level)"
    )
