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
def _fill(
    out: np.ndarray, wait: float, service: float, asa: float, abandon: float, occupancy: float
) -> None:
    """Write the five measures into out[WAIT..OCCUPANCY]."""
    out[WAIT] = wait
    out[SERVICE] = service
    out[ASA] = asa
    out[ABANDON] = abandon
    out[OCCUPANCY] = occupancy


@numba.njit(cache=True, error_model="numpy")
def measures_c_from_u(n: float, a: float, h: float, t: float, u: float, out: np.ndarray) -> None:
    """Erlang C measures at n agents, given U(n, a); writes out[WAIT..OCCUPANCY]."""
    if a == 0.0:
        _fill(out, 0.0, 1.0, 0.0, 0.0, 0.0)
        return
    if n == 0.0 or a >= n:
        _fill(out, 1.0, 0.0, _INF, 0.0, 1.0)
        return
    x = (1.0 - a / n) * u
    c = 1.0 / (1.0 + x)
    no_wait = 1.0 / (1.0 + 1.0 / x)  # 1 - C without cancellation (x may be inf)
    out[WAIT] = c
    # SL = (1 - C) + C (1 - exp(-(n - a) t / h)): two non-negative terms.
    # (the sum can round one ulp above 1: clamp, a probability stays a probability)
    out[SERVICE] = min(1.0, no_wait + c * -math.expm1(-(n - a) * t / h))
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
            _fill(out, 0.0, 1.0, 0.0 if need_asa else math.nan, 0.0, a / n)
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
        _fill(out, 0.0, 1.0, 0.0, 0.0, 0.0)
        return
    if n == 0.0:
        _fill(out, 1.0, 0.0, _INF, 0.0 if math.isinf(p) else 1.0, 1.0)
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
