"""Private Numba kernels: Erlang B/C/A measures and the staffing search.

All functions here take scalars (agents as a float holding an integer), assume
validated input and never raise. Notation: ``n`` agents, ``a`` offered load in
Erlangs, ``h`` mean handle time (s), ``p`` mean patience (s), ``t`` service-level
threshold (s).

Erlang B is carried as ``U = 1/B - 1`` (the odds of finding a free agent): for
the Erlang A formulas ``p_n = 1 / (U + J)`` is then a sum of positive terms,
and ``U`` itself never needs a subtraction. See docs/queueing.md for the
derivations.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._special import (
    digamma_difference,
    log_density,
    log_lower_ratio,
    lower_ratio_and_inverse,
    small_tail,
    small_tail_logd,
)

_INF = math.inf
_SMALL_N = 30.0  # below this the O(n) recursion is cheaper than the O(1) ratio
_SQRT_HALF_PI = 1.2533141373155002512078826424055
_INV_SQRT2 = 0.70710678118654752440084436210485
# Halfin-Whitt R(1) = Phi(1)/phi(1), log(1 + R(1)) and the Newton slope at beta = 1.
_R1 = _SQRT_HALF_PI * math.exp(0.5) * math.erfc(-_INV_SQRT2)
_LOG_Q1 = math.log(1.0 + _R1)
_DF1 = -(2.0 * _R1 + 1.0) / (1.0 + _R1)

# Gauss-Legendre rule on [-1, 1] for the short-interval fallback of _log_within.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)

# Measures returned by the evaluation kernels, in this order.
WAIT, SERVICE, ASA, ABANDON, OCCUPANCY = 0, 1, 2, 3, 4


# --------------------------------------------------------------------------- Erlang B
@numba.njit(cache=True, error_model="numpy")
def erlang_b_pair(n: float, a: float) -> tuple[float, float]:
    """(B, U) with B = Erlang B(n, a) and U = 1/B - 1, for n >= 0, a >= 0.

    B keeps its relative accuracy down to the smallest normal double; U may be
    inf when B underflows.
    """
    if a == 0.0:
        return 0.0, _INF
    if n == 0.0:
        return 1.0, 0.0
    if n <= _SMALL_N:
        # Stable recursions: B_k = a B / (k + a B) and U_k = (k / a) (1 + U_{k-1}).
        b = 1.0
        u = 0.0
        k = 1.0
        while k <= n:
            b = a * b / (k + a * b)
            u = (k / a) * (1.0 + u)
            k += 1.0
        return b, u
    if a >= n:
        # U = cdf(n-1)/pmf(n) = Q(n, a)/d(n, a), the smaller tail: computed directly.
        u = small_tail(n, a)
        return 1.0 / (1.0 + u), u
    # a < n: P(n, a)/d(n, a) is the smaller tail; tail = P(X >= n + 1) = d (L - 1).
    lo, logd = small_tail_logd(n, a)
    d = math.exp(logd)
    tail = d * (lo - 1.0)
    b = d / (1.0 - tail)
    head = 1.0 - tail - d  # cdf(n - 1) >= ~0.4 here: no cancellation
    u = math.exp(-logd + math.log(head)) if logd < -700.0 else head / d
    return b, u


@numba.njit(cache=True, error_model="numpy")
def erlang_c_from_u(n: float, a: float, u: float) -> float:
    """Erlang C from U = 1/B - 1: C = 1 / (1 + (1 - a/n) U); 1 when a >= n."""
    if a >= n:
        return 1.0
    return 1.0 / (1.0 + (1.0 - a / n) * u)


# --------------------------------------------------------------------------- Erlang C measures
@numba.njit(cache=True, error_model="numpy")
def measures_c_from_u(n: float, a: float, h: float, t: float, u: float, out: np.ndarray) -> None:
    """Erlang C measures at n agents, given U(n, a); writes out[WAIT..OCCUPANCY]."""
    if a == 0.0:
        out[WAIT] = 0.0
        out[SERVICE] = 1.0
        out[ASA] = 0.0
        out[ABANDON] = 0.0
        out[OCCUPANCY] = 0.0
        return
    if n == 0.0 or a >= n:
        out[WAIT] = 1.0
        out[SERVICE] = 0.0
        out[ASA] = _INF
        out[ABANDON] = 0.0
        out[OCCUPANCY] = 1.0
        return
    x = (1.0 - a / n) * u
    c = 1.0 / (1.0 + x)
    no_wait = 1.0 / (1.0 + 1.0 / x)  # 1 - C without cancellation (x may be inf)
    out[WAIT] = c
    # SL = (1 - C) + C (1 - exp(-(n - a) t / h)): two non-negative terms.
    out[SERVICE] = no_wait + c * -math.expm1(-(n - a) * t / h)
    out[ASA] = c * h / (n - a)
    out[ABANDON] = 0.0
    out[OCCUPANCY] = a / n


# --------------------------------------------------------------------------- Erlang A measures
@numba.njit(cache=True, error_model="numpy")
def _abandon_series(x: float, y: float) -> float:
    """F = sum_{k>=1} k t_k / y with t_k = prod_{i<=k} y / (x + i); for y < x."""
    total = 0.0
    tk = 1.0
    k = 1.0
    prev = 0.0
    while k < 1e7:
        tk *= y / (x + k)
        term = k * tk
        total += term
        # k t_k rises, then falls geometrically: stop once it falls below rounding
        if term < prev and term < 1e-17 * total:
            break
        prev = term
        k += 1.0
    return total / y


@numba.njit(cache=True, error_model="numpy")
def _mean_h(x: float, y: float) -> float:
    """sum_k t_k h_k / sum_k t_k over k >= 0, h_k = sum_{i<=k} 1/(x + i).

    The weights t_k = y^k Gamma(x+1)/Gamma(x+k+1) peak at k* = max(0, floor(y - x));
    the sums run outwards from the peak until the weights are negligible, so the
    cost is O(sqrt(y) + y / (x - y)) whatever the size of k*.
    """
    ks = np.floor(y - x)
    if ks < 0.0:
        ks = 0.0
    spread = math.sqrt(y)  # t_k is a Poisson(y) law in x + k
    if spread > 3000.0 and ks > 12.0 * spread:
        # Huge, heavily overloaded queues (y > 1e7): the weights are a smooth bell
        # of width sqrt(y) far from k = 0, so a trapezoid sum with stride
        # sqrt(y)/32 over +-12 sqrt(y) is exact to rounding and O(1) in y.
        stride = np.floor(spread / 32.0)
        log_w0 = log_density(x + ks, y)
        num = 0.0
        den = 0.0
        for j in range(-384, 385):
            k = ks + j * stride
            w = math.exp(log_density(x + k, y) - log_w0)
            num += w * digamma_difference(x + 1.0, k)
            den += w
        return num / den
    hs = digamma_difference(x + 1.0, ks)
    num = hs
    den = 1.0
    # downwards
    w = 1.0
    hk = hs
    k = ks
    while k > 0.0:
        w *= (x + k) / y
        hk -= 1.0 / (x + k)
        k -= 1.0
        num += w * hk
        den += w
        if w < 1e-18 * den:
            break
    # upwards
    w = 1.0
    hk = hs
    k = ks
    while k < ks + 1e7:
        k += 1.0
        w *= y / (x + k)
        hk += 1.0 / (x + k)
        num += w * hk
        den += w
        if w * hk < 1e-18 * num and y < x + k:
            break
    return num / den


@numba.njit(cache=True, error_model="numpy")
def _log_within(x: float, y: float, c: float) -> float:
    """log K, K = x int_0^c exp(-(x+1) s + y (1 - e^-s)) ds (contacts served after
    waiting at most t = c p, relative to p_n; c = t / p).

    K = x/(x+1) [L(x+1, y) - e^E L(x+1, yu)] = x/(x+1) [e^E V(x+1, yu) - V(x+1, y)]
    with u = e^-c, E = y (1 - u) - (x+1) c, L = P/d and V = Q/d. The form whose
    subtraction removes less than half is used (the upper tails when the whole
    interval [yu, y] lies right of the mode, else the lower ones); when even
    that would cancel, the interval is short on the scale of the integrand and
    a 24-point Gauss-Legendre rule on [0, c] is exact to rounding.
    """
    if c == 0.0:
        return -_INF
    s1 = x + 1.0
    lx = math.log(x / s1)
    if math.isinf(c):
        return lx + log_lower_ratio(s1, y)
    yu = y * math.exp(-c)
    e = y * -math.expm1(-c) - s1 * c
    if yu >= s1:
        big = e + math.log(small_tail(s1, yu))
        small = math.log(small_tail(s1, y))
    else:
        big = log_lower_ratio(s1, y)
        small = e + log_lower_ratio(s1, yu)
    ratio = math.exp(small - big)
    if ratio < 0.5:
        return lx + big + math.log1p(-ratio)
    half = 0.5 * c
    phimax = -_INF
    for i in range(_GL_X.shape[0]):
        si = half * (1.0 + _GL_X[i])
        phi = -s1 * si - y * math.expm1(-si)
        if phi > phimax:
            phimax = phi
    total = 0.0
    for i in range(_GL_X.shape[0]):
        si = half * (1.0 + _GL_X[i])
        phi = -s1 * si - y * math.expm1(-si)
        total += _GL_W[i] * math.exp(phi - phimax)
    return math.log(x) + phimax + math.log(total * half)


@numba.njit(cache=True, error_model="numpy")
def measures_a_from_u(
    n: float, a: float, h: float, p: float, t: float, u: float, need_asa: bool, out: np.ndarray
) -> None:
    """Erlang A (M/M/n+M) measures at n >= 1 agents and a > 0, given U(n, a).

    x = n p / h, y = a p / h, rho = a / n, J = P(x, y)/d(x, y) =
    sum_j prod_{i<=j} y/(x + i), p_n = 1/(U + J) (all agents busy, none waiting):
    P(wait) = J p_n; P(ab) = F p_n with F = J + (1 - J)/rho;
    P(served) = (U + (J - 1)/rho) p_n; 1 - SL = (F + G) p_n with
    G = x/(x+1) e^{y (1 - e^{-t/p}) - (x+1) t/p} L(x+1, y e^{-t/p}) (served after
    waiting longer than t), or SL = (U + K) p_n (see _log_within) when SL < 1/2.
    When y >= x, J may overflow: numerators and denominators are divided by J.
    """
    r = p / h
    x = n * r
    y = a * r
    inv_rho = n / a
    jj, inv_j = lower_ratio_and_inverse(x, y)
    gt = t / p
    if math.isinf(t):
        log_g = -_INF
    else:
        log_g = (
            math.log(x / (x + 1.0))
            + y * -math.expm1(-gt)
            - (x + 1.0) * gt
            + log_lower_ratio(x + 1.0, y * math.exp(-gt))
        )
    if y < x:
        # J is of moderate size here (about sqrt(x) + x / (x - y) at most).
        if math.isinf(u):
            # B underflowed: nobody waits (to double precision).
            out[WAIT] = 0.0
            out[SERVICE] = 1.0
            out[ABANDON] = 0.0
            out[OCCUPANCY] = a / n
            out[ASA] = 0.0 if need_asa else math.nan
            return
        f = jj + (1.0 - jj) * inv_rho
        if f < 1e-3 * jj:
            # J (1 - 1/rho) + 1/rho cancels when patience is long: sum the series instead.
            f = _abandon_series(x, y)
        denom = u + jj
        out[WAIT] = jj / denom
        out[ABANDON] = f / denom
        served = u + (jj - 1.0) * inv_rho
        out[OCCUPANCY] = a * (served / denom) / n
        one_minus_sl = (f + math.exp(log_g)) / denom
        if math.isinf(t):
            out[SERVICE] = served / denom  # every answered contact is within target
        elif one_minus_sl <= 0.5:
            out[SERVICE] = 1.0 - one_minus_sl
        else:
            out[SERVICE] = (u + math.exp(_log_within(x, y, gt))) / denom
        if need_asa:
            # E[W; served] = p_n (p / rho) sum_k t_k h_k; divide by P(served).
            out[ASA] = p * inv_rho * _mean_h(x, y) * jj / served
        else:
            out[ASA] = math.nan
        return
    uj = u * inv_j
    denom_j = uj + 1.0
    out[WAIT] = 1.0 / denom_j
    f_j = (1.0 - inv_rho) + inv_j * inv_rho
    out[ABANDON] = f_j / denom_j
    served_j = uj + (1.0 - inv_j) * inv_rho
    out[OCCUPANCY] = a * (served_j / denom_j) / n
    log_j = log_lower_ratio(x, y)
    one_minus_sl = (f_j + math.exp(log_g - log_j)) / denom_j
    if math.isinf(t):
        out[SERVICE] = served_j / denom_j
    elif one_minus_sl <= 0.5:
        out[SERVICE] = 1.0 - one_minus_sl
    else:
        out[SERVICE] = (uj + math.exp(_log_within(x, y, gt) - log_j)) / denom_j
    if need_asa:
        out[ASA] = p * inv_rho * _mean_h(x, y) / served_j
    else:
        out[ASA] = math.nan


@numba.njit(cache=True, error_model="numpy")
def measures(
    n: float, a: float, h: float, p: float, t: float, need_asa: bool, out: np.ndarray
) -> None:
    """All five measures at one point; patience p = inf selects Erlang C."""
    if a == 0.0:
        out[WAIT] = 0.0
        out[SERVICE] = 1.0
        out[ASA] = 0.0
        out[ABANDON] = 0.0
        out[OCCUPANCY] = 0.0
        return
    if n == 0.0:
        out[WAIT] = 1.0
        out[SERVICE] = 0.0
        out[ASA] = _INF
        out[ABANDON] = 0.0 if math.isinf(p) else 1.0
        out[OCCUPANCY] = 1.0
        return
    if math.isinf(p):
        if a >= n:
            measures_c_from_u(n, a, h, t, 0.0, out)
            return
        _b, u = erlang_b_pair(n, a)
        measures_c_from_u(n, a, h, t, u, out)
        return
    _b, u = erlang_b_pair(n, a)
    measures_a_from_u(n, a, h, p, t, u, need_asa, out)
    # fractions stay in [0, 1] despite the last-ulp rounding of the formulas
    for j in (WAIT, SERVICE, ABANDON, OCCUPANCY):
        out[j] = min(max(out[j], 0.0), 1.0)


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
    n_min = np.floor(a) + 1.0
    if not math.isnan(max_occ):
        k = np.ceil(a / max_occ)
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
        lo = hi
        hi = hi + step
        step *= 2.0
        if hi > 1e15:
            return math.nan
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
                if math.isfinite(r) and abs(r) < 1e15:
                    guess = np.ceil(r)
            span = 1.0 if math.isnan(prev_n) else max(1.0, abs(cur - prev_n))
            if math.isinf(hi):
                if math.isnan(prev_n):
                    guess = lo + max(2.0, np.ceil(0.25 * math.sqrt(lo + 1.0)))
                elif math.isnan(guess) or guess <= lo:
                    guess = lo + 2.0 * span
                guess = min(guess, lo + 64.0 * span)
                if guess > 1e15:
                    return math.nan
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


# --------------------------------------------------------------------------- array loops
# Inputs are 1-d; an input of length 1 applies to every cell (no broadcast copy).
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
        out[i] = erlang_b_pair(_at(n, i), _at(a, i))[0]


@numba.njit(cache=True, error_model="numpy")
def erlang_c_array(n: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    for i in range(out.shape[0]):
        ni = _at(n, i)
        ai = _at(a, i)
        if ai == 0.0:
            out[i] = 0.0
        elif ai >= ni:
            out[i] = 1.0
        else:
            out[i] = erlang_c_from_u(ni, ai, erlang_b_pair(ni, ai)[1])


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
        pi = _at(p, i)
        if math.isinf(pi):
            out[i] = required_c(
                _at(a, i), _at(h, i), _at(sl, i), _at(t, i), _at(max_wait, i), _at(max_occ, i)
            )
        else:
            out[i] = required_a(
                _at(a, i),
                _at(h, i),
                pi,
                _at(sl, i),
                _at(t, i),
                _at(max_wait, i),
                _at(max_ab, i),
                _at(max_occ, i),
            )


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
        return required_c(a, h, sl, t, max_wait, max_occ)
    return required_a(a, h, p, sl, t, max_wait, max_ab, max_occ)
