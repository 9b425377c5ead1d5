"""Special functions for the Erlang kernels, compiled with Numba.

Everything here works on ratios to the Poisson-type density

    d(s, x) = exp(-x) x**s / Gamma(s + 1)        (s > 0, x > 0 real)

instead of on the incomplete gamma functions themselves, because the Erlang
formulas only ever need ``P(s, x) / d(s, x)`` and ``Q(s, x) / d(s, x)``: the
ratio of the smaller tail to ``d`` is of moderate size even when both the tail
and ``d`` underflow, so the kernels never form powers of the load or
factorials. ``P`` and ``Q`` are the regularised lower and upper incomplete gamma
functions; ``P + Q = 1`` so ``P/d + Q/d = 1/d``.

The smaller tail ratio is computed by

* the power series ``P/d = sum_k prod_{i<=k} x / (s + i)`` when ``x < s``,
* the Legendre continued fraction for ``Q/d`` when ``x >= s``,
* Temme's uniform asymptotic expansion (DLMF 8.12) when ``s`` is large and
  ``x`` is near ``s``: there the series and the fraction need O(sqrt(s)) terms,
  the expansion needs a fixed number, which makes every kernel O(1) in the
  number of agents.

``log d`` uses Loader's saddle-point form (``stirlerr`` + ``bd0``), accurate to
a few ulps in relative terms even for s, x ~ 1e7, where the naive
``-x + s log x - lgamma(s + 1)`` loses digits to cancellation.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._temme_table import TEMME_COEFFS, TEMME_DEGREE, TEMME_TERMS

_LN_SQRT_2PI = 0.91893853320467274178032973640562
_SQRT_PI = 1.7724538509055160272981674833411
_SQRT_2PI = 2.5066282746310005024157652848110
_INV_SQRT_PI = 0.56418958354775628694807945156077
_INV_SQRT2 = 0.70710678118654752440084436210485

# Temme's expansion is used for s >= _TEMME_MIN_S and |x/s - 1| <= _TEMME_MAX_SIGMA.
# Outside that box the series (x < s) or the continued fraction (x > s)
# converge geometrically with ratio at most 1/(1 + _TEMME_MAX_SIGMA), or s is small.
_TEMME_MIN_S = 20.0
_TEMME_MAX_SIGMA = 0.4

_COEFFS = np.ascontiguousarray(TEMME_COEFFS, dtype=np.float64)
# Horner degree per row needed for |eta| <= each class bound: the neglected tail
# sum_{m > deg} |c_km| eta^m s^-k stays below 1e-18 for s >= 20. Small |eta| is
# the staffing regime (n ~ a + beta sqrt(a)), where this cuts the work ~3x.
_ETA_CLASSES = np.array([0.015, 0.03, 0.06, 0.12, 0.25, 0.5])


def _degrees() -> np.ndarray:
    out = np.zeros((_ETA_CLASSES.size, TEMME_TERMS), dtype=np.int64)
    powers = np.arange(TEMME_DEGREE + 1)
    for c, bound in enumerate(_ETA_CLASSES):
        for k in range(TEMME_TERMS):
            terms = np.abs(_COEFFS[k]) * bound**powers * _TEMME_MIN_S ** (-k)
            tail = np.cumsum(terms[::-1])[::-1]  # tail[m] = sum_{j >= m}
            deg = TEMME_DEGREE
            while deg > 0 and tail[deg] < 1e-18:
                deg -= 1
            out[c, k] = deg
    return out


_DEGREES = _degrees()
# Bounds of |c_k(eta)| per class of |eta|, to stop the sum over k early.
_BOUNDS = np.ascontiguousarray(
    np.sum(
        np.abs(_COEFFS)[None, :, :] * _ETA_CLASSES[:, None, None] ** np.arange(TEMME_DEGREE + 1),
        axis=2,
    )
)

_MAX_ITER = 1_000_000


@numba.njit(cache=True, error_model="numpy")
def stirlerr(n: float) -> float:
    """log Gamma*(n) = lgamma(n) - (n - 1/2) log n + n - log sqrt(2 pi), for n > 0."""
    if n <= 15.0:
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - _LN_SQRT_2PI
    nn = n * n
    s0 = 1.0 / 12.0
    s1 = 1.0 / 360.0
    s2 = 1.0 / 1260.0
    s3 = 1.0 / 1680.0
    s4 = 1.0 / 1188.0
    if n > 500.0:
        return (s0 - s1 / nn) / n
    if n > 80.0:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35.0:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


@numba.njit(cache=True, error_model="numpy")
def bd0(s: float, x: float) -> float:
    """Deviance term s log(s/x) + x - s >= 0, without cancellation near s == x."""
    if abs(s - x) < 0.1 * (s + x):
        v = (s - x) / (s + x)
        total = (s - x) * v
        ej = 2.0 * s * v
        v2 = v * v
        j = 1
        while j < 1000:
            ej *= v2
            nxt = total + ej / (2 * j + 1)
            if nxt == total:
                return nxt
            total = nxt
            j += 1
        return total
    return s * math.log(s / x) + x - s


@numba.njit(cache=True, error_model="numpy")
def log_density(s: float, x: float) -> float:
    """log d(s, x) = log(exp(-x) x**s / Gamma(s + 1)) for s >= 0, x > 0."""
    if s == 0.0:
        return -x
    return -stirlerr(s) - bd0(s, x) - 0.5 * math.log(2.0 * math.pi * s)


@numba.njit(cache=True, error_model="numpy")
def _lower_series(s: float, x: float) -> float:
    """P(s, x) / d(s, x) = sum_k prod_{i=1..k} x / (s + i); for x < s + 1."""
    total = 1.0
    term = 1.0
    i = 1.0
    while i < _MAX_ITER:
        term *= x / (s + i)
        total += term
        if term < 1e-17 * total:
            break
        i += 1.0
    return total


@numba.njit(cache=True, error_model="numpy")
def _upper_fraction(s: float, x: float) -> float:
    """Q(s, x) / d(s, x) by the Legendre continued fraction (modified Lentz); x >= s."""
    tiny = 1e-300
    b = x + 1.0 - s
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    i = 1.0
    while i < _MAX_ITER:
        an = -i * (i - s)
        b += 2.0
        d = an * d + b
        if abs(d) < tiny:
            d = tiny
        c = b + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
        i += 1.0
    return s * h


@numba.njit(cache=True, error_model="numpy")
def erfcx(w: float) -> float:
    """Scaled complementary error function exp(w**2) erfc(w), for w >= 0."""
    if w < 8.0:
        # erfc is accurate to a few ulps; exp(w*w) adds at most ~w**2 ulps (< 1.5e-14).
        return math.exp(w * w) * math.erfc(w)
    # Laplace continued fraction, evaluated backwards; 40 levels reach full
    # double precision for w >= 8.
    f = w
    k = 40
    while k >= 1:
        f = w + 0.5 * k / f
        k -= 1
    return _INV_SQRT_PI / f


@numba.njit(cache=True, error_model="numpy")
def _log1pmx(sigma: float) -> float:
    """log(1 + sigma) - sigma, accurate for small |sigma|."""
    if abs(sigma) < 0.01:
        # -sigma^2/2 + sigma^3/3 - ...; eight terms reach 1e-18 relative at |sigma| < 0.01.
        term = sigma
        total = 0.0
        k = 2
        while k < 12:
            term *= -sigma
            total += term / k
            k += 1
        return total
    return math.log1p(sigma) - sigma


@numba.njit(cache=True, error_model="numpy")
def _temme_small_tail(s: float, x: float) -> tuple[float, float]:
    """Smaller tail over d(s, x) by Temme's uniform expansion (DLMF 8.12.3-8.12.10).

    Returns (P/d when x < s or Q/d when x >= s, log d(s, x)); log d comes for
    free from the same eta: log d = -s eta^2/2 - log sqrt(2 pi s) - log Gamma*(s).
    """
    sigma = (x - s) / s
    phi = -_log1pmx(sigma)  # lambda - 1 - log(lambda) >= 0
    eta = math.sqrt(2.0 * phi)
    if x < s:
        eta = -eta
    # sum_k c_k(eta) s^-k; c_k are Taylor polynomials in eta (Horner).
    ae = abs(eta)
    cls = 0
    while cls < _ETA_CLASSES.size - 1 and ae > _ETA_CLASSES[cls]:
        cls += 1
    total = 0.0
    inv_s = 1.0 / s
    pw = 1.0
    for k in range(TEMME_TERMS):
        row = _COEFFS[k]
        deg = _DEGREES[cls, k]
        acc = row[deg]
        for m in range(deg - 1, -1, -1):
            acc = acc * eta + row[m]
        total += acc * pw
        pw *= inv_s
        if k + 1 < TEMME_TERMS and _BOUNDS[cls, k + 1] * pw < 1e-17:
            break
    lgs = stirlerr(s)
    gstar = math.exp(lgs)
    rs = math.sqrt(s)
    w = abs(eta) * rs * _INV_SQRT2
    head = 0.5 * _SQRT_2PI * rs * erfcx(w)
    logd = -s * phi - 0.5 * math.log(2.0 * math.pi * s) - lgs
    if x < s:
        return gstar * (head - total), logd
    return gstar * (head + total), logd


@numba.njit(cache=True, error_model="numpy")
def small_tail_logd(s: float, x: float) -> tuple[float, float]:
    """(smaller tail ratio, log d(s, x)): P/d if x < s, else Q/d.

    Parameters are s > 0 and x > 0. The ratio is finite and of moderate size
    (at most about sqrt(s) + s / |x - s|) whatever the size of d.
    """
    if s >= _TEMME_MIN_S and abs(x - s) <= _TEMME_MAX_SIGMA * s:
        return _temme_small_tail(s, x)
    if math.isnan(x) or math.isnan(s):
        return math.nan, math.nan  # never loop on nan
    if x < s:
        return _lower_series(s, x), log_density(s, x)
    logd = log_density(s, x)
    if x < 1.0:
        # The continued fraction crawls for x < 1; there s <= x < 1, d is not
        # small, and Q/d = 1/d - P/d loses at most log10(P/Q) digits (only for
        # patience far below the handle time).
        return math.exp(-logd) - _lower_series(s, x), logd
    return _upper_fraction(s, x), logd


@numba.njit(cache=True, error_model="numpy")
def small_tail(s: float, x: float) -> float:
    """The smaller tail ratio: P(s, x)/d(s, x) if x < s, else Q(s, x)/d(s, x)."""
    if s >= _TEMME_MIN_S and abs(x - s) <= _TEMME_MAX_SIGMA * s:
        return _temme_small_tail(s, x)[0]
    if math.isnan(x) or math.isnan(s):
        return math.nan
    if x < s:
        return _lower_series(s, x)
    if x < 1.0:
        return small_tail_logd(s, x)[0]
    return _upper_fraction(s, x)


@numba.njit(cache=True, error_model="numpy")
def lower_ratio_and_inverse(s: float, x: float) -> tuple[float, float]:
    """(P/d, d/P) for s > 0, x > 0, without overflow in the one that is small.

    P/d can be astronomically large when x >> s (then d underflows); d/P is
    then returned accurately and P/d may be inf.
    """
    if x < s:
        lo = small_tail(s, x)
        return lo, 1.0 / lo
    up, logd = small_tail_logd(s, x)
    d = math.exp(logd)
    # P/d = 1/d - Q/d = (1 - d Q/d) / d, and d Q/d = Q <= ~0.6 here: no cancellation.
    q = d * up
    one_minus_q = 1.0 - q
    inv = d / one_minus_q
    lo = math.exp(-logd + math.log(one_minus_q)) if logd < -700.0 else one_minus_q / d
    return lo, inv


@numba.njit(cache=True, error_model="numpy")
def log_lower_ratio(s: float, x: float) -> float:
    """log(P(s, x) / d(s, x)) for s > 0, x > 0; finite even when P/d overflows."""
    if x < s:
        return math.log(small_tail(s, x))
    up, logd = small_tail_logd(s, x)
    return -logd + math.log1p(-math.exp(logd) * up)


@numba.njit(cache=True, error_model="numpy")
def digamma_difference(z: float, k: float) -> float:
    """psi(z + k) - psi(z) for z > 0, k >= 0, accurate also when k << z."""
    if k == 0.0:
        return 0.0
    total = 0.0
    # Shift z up so the asymptotic series is accurate (z >= 12).
    while z < 12.0:
        total += 1.0 / z - 1.0 / (z + k)
        z += 1.0
    zk = z + k
    total += math.log1p(k / z)
    total += 0.5 * k / (z * zk)
    # + sum B_2j / (2j) (z^-2j - zk^-2j), Bernoulli numbers B_2..B_12
    b = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0)
    iz2 = 1.0 / (z * z)
    izk2 = 1.0 / (zk * zk)
    pz = 1.0
    pzk = 1.0
    for j in range(6):
        pz *= iz2
        pzk *= izk2
        total += b[j] / (2.0 * (j + 1)) * (pz - pzk)
    return total
