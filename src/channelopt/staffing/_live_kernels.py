"""Compiled staffing search and same-interval retrial fixed point of one channel.

These kernels do, inside Numba over a whole channel-day, exactly what the
vectorised NumPy code of :mod:`channelopt.staffing._live` did before (and what
``benchmarks/_baseline_staffing`` keeps as the reference): the same probes in
the same groups, the same operations in the same order, so the results are
bit-identical (``tests/test_staffing_identical.py``). Only the per-call Python
overhead is gone: a channel costs one compiled call per round of the
cross-channel fixed point instead of 10-40 NumPy round trips.

Two details are kept on purpose because they change the numbers:

* the same-interval retrial fixed point of a probe group stops when the
  *largest* change over the group is small, so every cell of a group iterates
  as often as the slowest one (as the vectorised code did);
* measures are taken at ``float(agents * concurrency)`` slots and
  ``x * aht / interval_s`` Erlangs, in that order of operations.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.typed import Dict

from ..queueing._kernels import ABANDON, ASA, OCCUPANCY, SERVICE, WAIT
from ..queueing._kernels import measures as _kernel_measures

__all__ = ["evaluate_cells", "new_cache", "staff_cells"]

# Parameters of one channel, packed in a float array so one signature serves all:
P_AHT, P_PATIENCE, P_CONC, P_STRETCH, P_SL, P_WITHIN = 0, 1, 2, 3, 4, 5
P_MAX_WAIT, P_MAX_AB, P_MAX_OCC, P_Q, P_INTERVAL, P_HAS_TARGET = 6, 7, 8, 9, 10, 11
N_PARAMS = 12

# Outputs per cell (rows of the ``out`` array).
O_X, O_LOAD, O_AHT, O_SL, O_WAIT, O_AB, O_OCC, O_MEETS = 0, 1, 2, 3, 4, 5, 6, 7
N_OUT = 8

_FIXED_POINT_TOL = 1e-10
_FIXED_POINT_CAP = 200
_TARGET_TOL = 1e-9
#: Gallop limit: more agents than this means no number meets the targets.
_AGENT_LIMIT = 10**7


@numba.njit(cache=True)
def _log_sum_add(mx: float, acc: float, v: float) -> tuple[float, float]:
    """Add exp(v) to the running sum exp(mx) * acc; returns the new (mx, acc)."""
    if v > mx:
        return v, acc * math.exp(mx - v) + 1.0
    return mx, acc + math.exp(v - mx)


@numba.njit(cache=True, error_model="numpy")
def _stretch_terms(n: int, k: int, s: float, aht: float) -> np.ndarray:
    """The load-free logarithms of the chat chain at ``n`` agents, row per ``m``.

    ``[0, m] = log(mu_s(m + 1) / ...)``: ``log(rate / aht)``, ``[1, m] =
    log((m + 1) / aht)``, ``[2, m] = log(m)``: computed exactly as the sums
    below used to compute them inline, so caching them per ``n`` changes no bit.
    """
    big_n = n * k
    full = 1.0 + s * (k - 1)
    out = np.empty((3, big_n))
    for m in range(big_n - 1, -1, -1):
        i = m + 1
        q = i // n
        r = i - q * n
        rate = r * (q + 1) * full / (1.0 + s * q)
        if q > 0:
            rate += (n - r) * q * full / (1.0 + s * (q - 1))
        out[0, m] = math.log(rate / aht)
        out[1, m] = math.log(i / aht)
        out[2, m] = math.log(m) if m > 0 else 0.0
    return out


@numba.njit(cache=True, error_model="numpy")
def _stretch_sums_one(terms: np.ndarray, lam: float) -> tuple[float, float, float]:
    """Log R_s, log R_ref and log E[m | m < N] of one cell (see ``evaluate_live``).

    ``R = sum_{m<N} pi(m) / pi(N)``, where ``log pi(m) / pi(N) = sum_{i=m+1..N}
    (log mu(i) - log lambda)``, with stretched rates ``mu_s`` (chats spread
    evenly) and reference rates ``mu_ref(i) = i / aht``; a running
    log-sum-exp, so no factorials or powers of the load. ``terms`` from
    :func:`_stretch_terms`.
    """
    big_n = terms.shape[1]
    log_lam = math.log(lam) if lam > 0 else -math.inf
    l_s = 0.0
    l_ref = 0.0
    mx_s = -math.inf
    acc_s = 0.0
    mx_ref = -math.inf
    acc_ref = 0.0
    mx_m = -math.inf
    acc_m = 0.0
    for m in range(big_n - 1, -1, -1):
        l_s += terms[0, m] - log_lam
        l_ref += terms[1, m] - log_lam
        mx_s, acc_s = _log_sum_add(mx_s, acc_s, l_s)
        mx_ref, acc_ref = _log_sum_add(mx_ref, acc_ref, l_ref)
        if m > 0:
            mx_m, acc_m = _log_sum_add(mx_m, acc_m, l_s + terms[2, m])
    out_s = mx_s + math.log(acc_s)
    out_ref = mx_ref + math.log(acc_ref)
    log_mean = mx_m + math.log(acc_m) if acc_m > 0 else -math.inf
    return out_s, out_ref, log_mean - out_s


@numba.njit(cache=True)
def new_cache():
    return Dict.empty(key_type=types.int64, value_type=types.float64[:, :])


@numba.njit(cache=True, error_model="numpy")
def _terms(cache, prm: np.ndarray, n: int) -> np.ndarray:
    if n in cache:
        return cache[n]
    t = _stretch_terms(n, int(prm[P_CONC]), prm[P_STRETCH], prm[P_AHT])
    cache[n] = t
    return t


@numba.njit(cache=True, error_model="numpy")
def _clip01(v: float) -> float:
    # like np.clip(v, 0, 1): nan stays nan
    if v < 0.0:
        return 0.0
    if v > 1.0:
        return 1.0
    return v


@numba.njit(cache=True, error_model="numpy")
def _cell(prm: np.ndarray, n: int, x: float, m: np.ndarray, out: np.ndarray, j: int, cache) -> None:
    """Measures of one interval at ``n`` agents and ``x`` offered contacts into ``out[:, j]``."""
    aht = prm[P_AHT]
    patience = prm[P_PATIENCE]
    conc = int(prm[P_CONC])
    within = prm[P_WITHIN]
    interval_s = prm[P_INTERVAL]
    within_nan = math.isnan(within)
    aht_c = aht
    sl = math.nan if within_nan else 1.0
    wait = 0.0
    ab = 0.0
    occ = 0.0
    if x > 0:
        slots = n * conc
        load = x * aht / interval_s
        _kernel_measures(float(slots), load, aht, patience, 0.0 if within_nan else within, True, m)
        pw_r = m[WAIT]
        sl_r = m[SERVICE]
        asa_r = m[ASA]
        ab_r = m[ABANDON]
        occ_r = m[OCCUPANCY]
        stretch = prm[P_STRETCH]
        if stretch > 0.0 and conc > 1 and slots > 0:
            lam = x / interval_s
            log_r_s, log_r_ref, log_mean_below = _stretch_sums_one(_terms(cache, prm, n), lam)
            p_ref = pw_r
            if p_ref >= 1.0:
                pw = 1.0
            elif p_ref <= 0.0:
                pw = 0.0
            else:
                log_t = math.log(p_ref) + log_r_ref - math.log1p(-p_ref)
                pw = 1.0 / (1.0 + math.exp(log_r_s - log_t))
            scale = pw / p_ref if p_ref > 0 else 0.0
            sl_s = 1.0 - pw + scale * (sl_r - (1.0 - p_ref))
            ab_s = scale * ab_r
            wait_s = scale * asa_r * (1.0 - ab_r) / (1.0 - ab_s) if pw > 0 else 0.0
            mean_below = math.exp(log_mean_below)
            in_service = (1.0 - pw) * mean_below + pw * slots
            carried = lam * (1.0 - ab_s)
            aht_c = in_service / carried if carried > 0 else aht
            sl_r = _clip01(sl_s)
            asa_r = wait_s
            ab_r = _clip01(ab_s)
            occ_r = _clip01(in_service / slots)
        if not within_nan:
            sl = sl_r
        wait = asa_r
        ab = ab_r if math.isfinite(patience) else 0.0
        occ = occ_r
    out[O_LOAD, j] = x * aht_c / interval_s
    out[O_AHT, j] = aht_c
    out[O_SL, j] = sl
    out[O_WAIT, j] = wait
    out[O_AB, j] = ab
    out[O_OCC, j] = occ


@numba.njit(cache=True, error_model="numpy")
def _group(
    prm: np.ndarray,
    base: np.ndarray,
    agents: np.ndarray,
    x0: np.ndarray,
    idx: np.ndarray,
    out: np.ndarray,
    cache,
) -> None:
    """Evaluate the cells ``idx`` together, as one vectorised ``evaluate_live`` call did.

    ``out[:, i]`` receives cell ``idx[i]``'s outcome (columns ``O_*``). The
    retrial fixed point stops for the whole group at once.
    """
    g = idx.shape[0]
    m = np.empty(5)
    xs = np.empty(g)
    for i in range(g):
        c = idx[i]
        a, b = x0[c], base[c]
        xs[i] = math.nan if math.isnan(a) or math.isnan(b) else (a if a >= b else b)
        _cell(prm, agents[i], xs[i], m, out, i, cache)
    q = prm[P_Q]
    if q > 0.0:
        new = np.empty(g)
        for _ in range(_FIXED_POINT_CAP):
            # np.max(|new - x|) and x.max() of the vectorised code, nan included
            err = 0.0
            err_nan = False
            xmax = 0.0
            x_nan = False
            for i in range(g):
                new[i] = base[idx[i]] + q * out[O_AB, i] * xs[i]
                d = abs(new[i] - xs[i])
                if math.isnan(d):
                    err_nan = True
                elif d > err:
                    err = d
                if math.isnan(xs[i]):
                    x_nan = True
                elif xs[i] > xmax:
                    xmax = xs[i]
            scale = 1.0 if x_nan or not xmax > 1.0 else xmax
            done = (not err_nan) and err <= _FIXED_POINT_TOL * scale
            for i in range(g):
                xs[i] = new[i]
                _cell(prm, agents[i], xs[i], m, out, i, cache)
            if done:
                break
    sl_t = prm[P_SL]
    wait_t = prm[P_MAX_WAIT]
    ab_t = prm[P_MAX_AB]
    occ_t = prm[P_MAX_OCC]
    conc = int(prm[P_CONC])
    stability = (not math.isfinite(prm[P_PATIENCE])) or prm[P_HAS_TARGET] == 0.0
    for i in range(g):
        ok = targets_hold(sl_t, wait_t, ab_t, occ_t, out, i)
        if stability:
            x = xs[i]
            ok = ok and (
                (not x > 0) or (x * prm[P_AHT] / prm[P_INTERVAL] < float(agents[i] * conc))
            )
        out[O_X, i] = xs[i]
        out[O_MEETS, i] = 1.0 if ok else 0.0


@numba.njit(cache=True)
def targets_hold(sl_t, wait_t, ab_t, occ_t, out, j) -> bool:
    """Whether column ``j`` of ``out`` (rows ``O_*``) meets the targets (nan: none): service
    level (fraction) at least ``sl_t``, average wait (s) at most ``wait_t``, abandonment and
    occupancy (fractions) at most ``ab_t`` and ``occ_t``, each within ``_TARGET_TOL``."""
    tol = _TARGET_TOL
    ok = True
    if not math.isnan(sl_t):
        ok = ok and out[O_SL, j] >= sl_t - tol
    if not math.isnan(wait_t):
        ok = ok and out[O_WAIT, j] <= wait_t * (1 + tol) + tol
    if not math.isnan(ab_t):
        ok = ok and out[O_AB, j] <= ab_t + tol
    if not math.isnan(occ_t):
        ok = ok and out[O_OCC, j] <= occ_t + tol
    return ok


@numba.njit(cache=True, error_model="numpy")
def evaluate_cells(prm, base, agents, x0, cache):
    """Outcome of ``agents`` in every interval (one group), shape ``(N_OUT, I)``.

    ``cache`` (from :func:`new_cache`) keeps the stretched-chat terms per
    number of agents; one per channel, reused across calls.
    """
    n = base.shape[0]
    out = np.empty((N_OUT, n))
    _group(prm, base, agents, x0, np.arange(n), out, cache)
    return out


@numba.njit(cache=True, error_model="numpy")
def _probe(
    prm: np.ndarray,
    base: np.ndarray,
    x0: np.ndarray,
    idx: np.ndarray,
    cand: np.ndarray,
    known_pass: np.ndarray,
    known_fail: np.ndarray,
    cache,
) -> None:
    out = np.empty((N_OUT, idx.shape[0]))
    _group(prm, base, cand, x0, idx, out, cache)
    for i in range(idx.shape[0]):
        if out[O_MEETS, i] != 0.0:
            known_pass[idx[i]] = cand[i]
        else:
            known_fail[idx[i]] = cand[i]


@numba.njit(cache=True, error_model="numpy")
def _bounds(prm: np.ndarray, base: np.ndarray, lo: np.ndarray, estimate: np.ndarray) -> None:
    """``_live._bounds``: proven lower bound and square-root-staffing guess per interval."""
    k = int(prm[P_CONC])
    s = prm[P_STRETCH]
    aht_min = prm[P_AHT] * (1.0 / (1.0 + s * (k - 1)) if s > 0 and k > 1 else 1.0)
    erlang_a = math.isfinite(prm[P_PATIENCE]) and prm[P_HAS_TARGET] != 0.0
    for i in range(base.shape[0]):
        load = base[i] * aht_min / prm[P_INTERVAL]
        busy = load > 0
        stable = np.int64(math.floor(load)) + 1 if busy else np.int64(0)
        lower = np.int64(0) if erlang_a else stable
        guess = np.int64(math.ceil(load + math.sqrt(load))) if busy else np.int64(0)
        lo[i] = -(-lower // k)
        estimate[i] = max(-(-guess // k), lo[i])


@numba.njit(cache=True, error_model="numpy")
def staff_cells(
    prm: np.ndarray,
    base: np.ndarray,
    floor: np.ndarray,
    has_floor: bool,
    x0: np.ndarray,
    guess: np.ndarray,
    has_guess: bool,
    cache,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Smallest agents per interval meeting the targets (``_live.staff_live``'s search).

    Returns ``(agents, out, ok)``: ``out`` as :func:`evaluate_cells` at those
    agents; ``ok`` False when the gallop passed ``_AGENT_LIMIT`` agents.
    """
    n = base.shape[0]
    lo = np.empty(n, dtype=np.int64)
    estimate = np.empty(n, dtype=np.int64)
    _bounds(prm, base, lo, estimate)
    if has_floor:
        for i in range(n):
            lo[i] = max(lo[i], floor[i])
    start = np.empty(n, dtype=np.int64)
    for i in range(n):
        start[i] = max(lo[i], guess[i] if has_guess else estimate[i])
    known_fail = lo - 1
    known_pass = np.full(n, -1, dtype=np.int64)
    _probe(prm, base, x0, np.arange(n), start, known_pass, known_fail, cache)
    below = np.flatnonzero((known_pass > lo) & (known_pass - 1 > known_fail))
    if below.size:
        _probe(prm, base, x0, below, known_pass[below] - 1, known_pass, known_fail, cache)
    step = np.ones(n, dtype=np.int64)
    while True:  # gallop up where nothing passes yet
        idx = np.flatnonzero(known_pass < 0)
        if not idx.size:
            break
        cand = known_fail[idx] + step[idx]
        for i in range(cand.shape[0]):
            if cand[i] > _AGENT_LIMIT:
                return known_pass, np.empty((N_OUT, 0)), False
        for i in range(idx.shape[0]):
            step[idx[i]] *= 2
        _probe(prm, base, x0, idx, cand, known_pass, known_fail, cache)
    while True:  # bisect between the last failure and the first success
        idx = np.flatnonzero(known_pass - known_fail > 1)
        if not idx.size:
            break
        cand = (known_pass[idx] + known_fail[idx]) // 2
        _probe(prm, base, x0, idx, cand, known_pass, known_fail, cache)
    return known_pass, evaluate_cells(prm, base, known_pass, x0, cache), True


@numba.njit(cache=True, error_model="numpy")
def replay_cells(prm, agents, x, cache):
    """Measures of independent cells ``(agents[i], x[i])`` in one call, shape ``(N_OUT, n)``.

    The bare kernel work of a staffing run (``benchmarks/``: the cells a
    ``staff()`` call evaluated, replayed without the search around them).
    """
    n = x.shape[0]
    out = np.empty((N_OUT, n))
    m = np.empty(5)
    for i in range(n):
        _cell(prm, agents[i], x[i], m, out, i, cache)
    return out
