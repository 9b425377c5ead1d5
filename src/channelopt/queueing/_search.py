"""Private Numba kernels: the staffing search, array loops and scalar entry points.

Built on the measures of :mod:`._kernels`; whether n meets the targets is
always decided with the same formulas as the public measure functions.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._kernels import (
    ABANDON,
    ASA,
    OCCUPANCY,
    SERVICE,
    erlang_b_pair,
    erlang_c_from_u,
    measures,
    measures_c_from_u,
)

_INF = math.inf
_SQRT_HALF_PI = 1.2533141373155002512078826424055
_INV_SQRT2 = 0.70710678118654752440084436210485
# Halfin-Whitt R(1) = Phi(1)/phi(1), log(1 + R(1)) and the Newton slope at beta = 1.
_R1 = _SQRT_HALF_PI * math.exp(0.5) * math.erfc(-_INV_SQRT2)
_LOG_Q1 = math.log(1.0 + _R1)
_DF1 = -(2.0 * _R1 + 1.0) / (1.0 + _R1)
#: The largest staffing answer any search returns (1e15 agents). Beyond it the
#: searches return nan, which the public wrappers turn into a ValueError naming
#: the target. Floats are exact integers only up to 2^53 (about 9.007e15), where
#: ``n - 1 == n``; a cap below that keeps every ``n += 1`` / ``n -= 1`` step real,
#: so every loop here ends.
MAX_AGENTS = 1e15


# --------------------------------------------------------------------------- staffing search
@numba.njit(cache=True, error_model="numpy")
def _meets(m: np.ndarray, sl: float, max_wait: float, max_ab: float, max_occ: float) -> bool:
    # nan targets are absent; comparisons with nan are False, hence the form.
    if not math.isnan(sl) and not (m[SERVICE] >= sl):
        return False
    if not math.isnan(max_wait) and not (m[ASA] <= max_wait):
        return False
    if not math.isnan(max_ab) and not (m[ABANDON] <= max_ab):
        return False
    return math.isnan(max_occ) or m[OCCUPANCY] <= max_occ


@numba.njit(cache=True, error_model="numpy")
def _hw_beta(a: float, h: float, sl: float, t: float, max_wait: float) -> float:
    """Square-root staffing coefficient beta (n ~ a + beta sqrt(a)) from Halfin-Whitt.

    C(beta) ~ 1 / (1 + beta R(beta)), R = Phi/phi; solve C e^{-beta theta} = 1 - sl with
    theta = sqrt(a) t / h (and C / (beta sqrt(a)) = max_wait / h) by a few Newton steps
    in beta. Only a starting point: the exact search corrects it.
    """
    beta = 0.0
    sa = math.sqrt(a)
    if not math.isnan(sl):
        theta = sa * t / h
        target = math.log(max(1.0 - sl, 1e-300))
        # Two Newton steps from beta = 1 land within ~0.02 (about one agent at
        # 2,000 Erlangs). The first step's R(1), log(1 + R(1)) are constants.
        f = -_LOG_Q1 - theta - target
        df = _DF1 - theta
        b = 1.0 - f / df
        if b < 1e-3:
            b = 0.5
        beta = b
    if not math.isnan(max_wait) and max_wait > 0.0:
        w = max_wait / h * sa  # C(beta)/beta <= w
        b = 1.0
        for _ in range(3):
            rr = _SQRT_HALF_PI * math.exp(0.5 * b * b) * math.erfc(-b * _INV_SQRT2)
            q = 1.0 + b * rr
            f = -math.log(q) - math.log(b) - math.log(w)
            df = -(rr + b + b * b * rr) / q - 1.0 / b
            nb = b - f / df
            if nb < 1e-3:
                nb = 0.5 * b
            b = nb
        beta = max(beta, b)
    return beta


@numba.njit(cache=True, error_model="numpy")
def required_c(a: float, h: float, sl: float, t: float, max_wait: float, max_occ: float) -> float:
    """Smallest stable n (n > a) meeting the Erlang C targets (nan = absent).

    Starts from the square-root staffing estimate, evaluates Erlang B there in
    O(1), then steps with the O(1) recursions U_{k+1} = (k+1)/a (1 + U_k) and
    U_{k-1} = U_k a / k - 1, so the cost does not grow with the answer.
    """
    if a == 0.0:
        return 0.0
    if not a < MAX_AGENTS:
        return math.nan  # stability alone needs more than the cap
    n_min = np.floor(a) + 1.0
    if not math.isnan(max_occ):
        k = np.ceil(a / max_occ)
        if not k <= MAX_AGENTS:
            return math.nan  # a tiny max_occupancy: a / max_occ agents are needed
        # ceil(a / max_occ) may be off by one in rounding: settle it exactly (at most
        # a couple of steps each way; k stays far below 2^53, so each step moves).
        while k > 1.0 and a / (k - 1.0) <= max_occ:
            k -= 1.0
        while a / k > max_occ:
            k += 1.0
        n_min = max(n_min, k)
    if math.isnan(sl) and math.isnan(max_wait):
        return n_min
    beta = _hw_beta(a, h, sl, t, max_wait)
    # The Halfin-Whitt estimate falls about one agent short: start one above it.
    n = max(n_min, np.floor(a + beta * math.sqrt(a)) + 1.0)
    _b, u = erlang_b_pair(n, a)
    if _c_ok(n, a, h, t, u, sl, max_wait):
        steps = 0
        while n > n_min:
            if steps >= 64:
                return _bisect_c(a, h, sl, t, max_wait, n_min, n)
            u_down = u * a / n - 1.0
            if not _c_ok(n - 1.0, a, h, t, u_down, sl, max_wait):
                return n
            n -= 1.0
            u = u_down
            steps += 1
        return n
    steps = 0
    while True:
        if steps >= 64:
            return _gallop_c(a, h, sl, t, max_wait, n + 1.0)
        n += 1.0
        u = (n / a) * (1.0 + u)
        if _c_ok(n, a, h, t, u, sl, max_wait):
            return n
        steps += 1


@numba.njit(cache=True, error_model="numpy")
def _c_ok(n: float, a: float, h: float, t: float, u: float, sl: float, max_wait: float) -> bool:
    """Erlang C targets at stable n > a, given U(n, a); same formulas as measures_c_from_u."""
    x = (1.0 - a / n) * u
    c = 1.0 / (1.0 + x)
    if not math.isnan(sl):
        level = 1.0 / (1.0 + 1.0 / x) + c * -math.expm1(-(n - a) * t / h)
        if not (level >= sl):
            return False
    return math.isnan(max_wait) or c * h / (n - a) <= max_wait


@numba.njit(cache=True, error_model="numpy")
def _meets_c_at(
    n: float, a: float, h: float, sl: float, t: float, max_wait: float, m: np.ndarray
) -> bool:
    _b, u = erlang_b_pair(n, a)
    measures_c_from_u(n, a, h, t, u, m)
    return _meets(m, sl, max_wait, math.nan, math.nan)


@numba.njit(cache=True, error_model="numpy")
def _bisect_c(
    a: float, h: float, sl: float, t: float, max_wait: float, lo: float, hi: float
) -> float:
    """Smallest n in [lo, hi] meeting the targets, hi known to meet them."""
    m = np.empty(5)
    if _meets_c_at(lo, a, h, sl, t, max_wait, m):
        return lo
    while hi - lo > 1.0:
        mid = np.floor(0.5 * (lo + hi))
        if _meets_c_at(mid, a, h, sl, t, max_wait, m):
            hi = mid
        else:
            lo = mid
    return hi


@numba.njit(cache=True, error_model="numpy")
def _gallop_c(a: float, h: float, sl: float, t: float, max_wait: float, start: float) -> float:
    m = np.empty(5)
    lo = start - 1.0
    step = 64.0
    hi = start
    while not _meets_c_at(hi, a, h, sl, t, max_wait, m):
        if hi >= MAX_AGENTS:
            return math.nan
        lo = hi
        hi = min(hi + step, MAX_AGENTS)  # the cap itself is tried last
        step *= 2.0
    return _bisect_c(a, h, sl, t, max_wait, lo + 1.0, hi)


@numba.njit(cache=True, error_model="numpy")
def _meets_a_at(
    n: float,
    a: float,
    h: float,
    p: float,
    sl: float,
    t: float,
    max_wait: float,
    max_ab: float,
    max_occ: float,
    m: np.ndarray,
) -> bool:
    measures(n, a, h, p, t, not math.isnan(max_wait), m)
    return _meets(m, sl, max_wait, max_ab, max_occ)


@numba.njit(cache=True, error_model="numpy")
def _log_or_ninf(v: float) -> float:
    return math.log(v) if v > 0.0 else -_INF


@numba.njit(cache=True, error_model="numpy")
def _deficit(m: np.ndarray, sl: float, max_wait: float, max_ab: float, max_occ: float) -> float:
    """Largest log-ratio of a measure to its bound (<= 0 about when all targets hold).

    Only steers the search; whether n meets the targets is always decided by _meets.
    """
    g = -_INF
    if not math.isnan(sl):
        g = max(g, _log_or_ninf(1.0 - m[SERVICE]) - _log_or_ninf(1.0 - sl))
    if not math.isnan(max_wait):
        g = max(g, _log_or_ninf(m[ASA]) - _log_or_ninf(max_wait))
    if not math.isnan(max_ab):
        g = max(g, _log_or_ninf(m[ABANDON]) - _log_or_ninf(max_ab))
    if not math.isnan(max_occ):
        g = max(g, _log_or_ninf(m[OCCUPANCY]) - _log_or_ninf(max_occ))
    return g


@numba.njit(cache=True, error_model="numpy")
def required_a(
    a: float,
    h: float,
    p: float,
    sl: float,
    t: float,
    max_wait: float,
    max_ab: float,
    max_occ: float,
) -> float:
    """Smallest n >= 0 meeting the Erlang A targets (nan = absent).

    Every measure is monotone in n. The search starts from the Erlang C
    estimate and steers by secant steps on the log-deficit g(n) (log of each
    measure over its bound, smooth in n) until the answer is bracketed
    [lo fails, hi meets], then by regula falsi with the Illinois rule, and
    bisects if that stalls. A typical query takes about 5 exact evaluations,
    whatever the answer.
    """
    if a == 0.0:
        return 0.0
    if not a < MAX_AGENTS:
        return math.nan  # beyond the documented cap (see MAX_AGENTS)
    if math.isnan(t):
        t = 0.0  # no service-level target: the threshold is unused
    m = np.empty(5)
    need_asa = not math.isnan(max_wait)
    if not math.isnan(sl) or need_asa:
        beta = _hw_beta(a, h, sl, t, max_wait)
        n0 = np.floor(a + beta * math.sqrt(a))
    else:
        n0 = np.floor(a)
    if n0 < 0.0:
        n0 = 0.0
    n0 = min(n0, MAX_AGENTS)
    lo = -1.0  # largest n known to fail (-1: none yet)
    hi = _INF  # smallest n known to meet
    g_lo = math.nan
    g_hi = math.nan
    side = 0  # which end moved last (+1: hi, -1: lo), for the Illinois rule
    prev_n = math.nan
    prev_g = math.nan
    cur = n0
    stalls = 0
    for _ in range(400):
        measures(cur, a, h, p, t, need_asa, m)
        g = _deficit(m, sl, max_wait, max_ab, max_occ)
        width = hi - lo
        if _meets(m, sl, max_wait, max_ab, max_occ):
            hi = cur
            g_hi = g
            if side == 1:
                g_lo *= 0.5  # Illinois: keep regula falsi from stalling on one side
            side = 1
        else:
            lo = cur
            g_lo = g
            if side == -1:
                g_hi *= 0.5
            side = -1
        if hi - lo <= 1.0:
            return hi
        if hi == 0.0:
            return 0.0
        if lo >= 0.0 and not math.isinf(hi):
            # bracketed: regula falsi on the bracket ends, bisection when it stalls
            if hi - lo > 0.5 * width and not math.isinf(width):
                stalls += 1
            if stalls < 3 and math.isfinite(g_lo) and math.isfinite(g_hi) and g_lo > g_hi:
                guess = np.ceil(lo + g_lo * (hi - lo) / (g_lo - g_hi))
                guess = min(max(guess, lo + 1.0), hi - 1.0)
            else:
                guess = np.floor(0.5 * (lo + hi))
        else:
            # one-sided: secant through the last two points, step at most 64x the last
            guess = math.nan
            if math.isfinite(g) and math.isfinite(prev_g) and g != prev_g:
                r = cur - g * (cur - prev_n) / (g - prev_g)
                if math.isfinite(r) and abs(r) < MAX_AGENTS:
                    guess = np.ceil(r)
            span = 1.0 if math.isnan(prev_n) else max(1.0, abs(cur - prev_n))
            if math.isinf(hi):
                if math.isnan(prev_n):
                    guess = lo + max(2.0, np.ceil(0.25 * math.sqrt(lo + 1.0)))
                elif math.isnan(guess) or guess <= lo:
                    guess = lo + 2.0 * span
                guess = min(guess, lo + 64.0 * span)
                if guess > MAX_AGENTS:
                    if lo >= MAX_AGENTS:
                        return math.nan  # fails at the cap: no answer within it
                    guess = MAX_AGENTS  # try the cap itself before giving up
            else:
                # From above, the secant of the convex deficit stops short: aim one
                # lower; once it points at hi itself, test hi - 1 (the decisive check).
                # The first probe goes sqrt(n)/4 down, for a slope over a useful range.
                if math.isnan(prev_n):
                    guess = hi - max(2.0, np.ceil(0.25 * math.sqrt(hi)))
                elif math.isnan(guess):
                    guess = hi - 2.0 * span
                elif guess >= hi:
                    guess = hi - 1.0
                else:
                    guess -= 1.0
                guess = max(guess, hi - 64.0 * span, 0.0)
        prev_n = cur
        prev_g = g
        cur = guess
    return math.nan


# --------------------------------------------------------------------------- scalar entry points
@numba.njit(cache=True, error_model="numpy")
def measures_tuple(
    n: float, a: float, h: float, p: float, t: float, need_asa: bool
) -> tuple[float, float, float, float, float]:
    m = np.empty(5)
    measures(n, a, h, p, t, need_asa, m)
    return m[0], m[1], m[2], m[3], m[4]


@numba.njit(cache=True, error_model="numpy")
def erlang_b_scalar(n: float, a: float) -> float:
    return erlang_b_pair(n, a)[0]


@numba.njit(cache=True, error_model="numpy")
def erlang_c_scalar(n: float, a: float) -> float:
    if a == 0.0:
        return 0.0
    if a >= n:
        return 1.0
    return erlang_c_from_u(n, a, erlang_b_pair(n, a)[1])


@numba.njit(cache=True, error_model="numpy")
def required_scalar(
    a: float,
    h: float,
    p: float,
    sl: float,
    t: float,
    max_wait: float,
    max_ab: float,
    max_occ: float,
) -> float:
    if math.isinf(p):
        n = required_c(a, h, sl, t, max_wait, max_occ)
    else:
        n = required_a(a, h, p, sl, t, max_wait, max_ab, max_occ)
    # Every search ends (each is bounded); an answer above the cap is not given.
    return n if n <= MAX_AGENTS else math.nan


# --------------------------------------------------------------------------- array loops
# Inputs are 1-d; an input of length 1 applies to every cell (no broadcast copy).
# Each cell goes through the scalar entry point above, so both forms agree exactly.
@numba.njit(cache=True, error_model="numpy")
def _at(x: np.ndarray, i: int) -> float:
    return x[0] if x.shape[0] == 1 else x[i]


@numba.njit(cache=True, error_model="numpy")
def measures_array(
    n: np.ndarray,
    a: np.ndarray,
    h: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    need_asa: bool,
    out: np.ndarray,
) -> None:
    """Fill out[i, :] with the five measures of cell i."""
    m = np.empty(5)
    for i in range(out.shape[0]):
        measures(_at(n, i), _at(a, i), _at(h, i), _at(p, i), _at(t, i), need_asa, m)
        for j in range(5):
            out[i, j] = m[j]


@numba.njit(cache=True, error_model="numpy")
def erlang_b_array(n: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    for i in range(out.shape[0]):
        out[i] = erlang_b_scalar(_at(n, i), _at(a, i))


@numba.njit(cache=True, error_model="numpy")
def erlang_c_array(n: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    for i in range(out.shape[0]):
        out[i] = erlang_c_scalar(_at(n, i), _at(a, i))


@numba.njit(cache=True, error_model="numpy")
def required_array(
    a: np.ndarray,
    h: np.ndarray,
    p: np.ndarray,
    sl: np.ndarray,
    t: np.ndarray,
    max_wait: np.ndarray,
    max_ab: np.ndarray,
    max_occ: np.ndarray,
    out: np.ndarray,
) -> None:
    """Staffing of every cell; nan targets are absent, nan out = unreachable."""
    for i in range(out.shape[0]):
        out[i] = required_scalar(
            _at(a, i),
            _at(h, i),
            _at(p, i),
            _at(sl, i),
            _at(t, i),
            _at(max_wait, i),
            _at(max_ab, i),
            _at(max_occ, i),
        )
