"""Student-t quantiles for confidence intervals (SciPy is not a dependency of this layer)."""

from __future__ import annotations

import math

__all__ = ["t_quantile"]


_TINY = 1e-300


def _lentz_step(aa: float, c: float, d: float) -> tuple[float, float]:
    """One term ``aa`` of the modified Lentz recurrence: the new (c, d)."""
    d = 1.0 + aa * d
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    c = 1.0 + aa / c
    c = c if abs(c) > _TINY else _TINY
    return c, d


def _betacf(a: float, b: float, x: float) -> float:
    # continued fraction of the incomplete beta function (modified Lentz)
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        c, d = _lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), c, d)
        h *= d * c
        c, d = _lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), c, d)
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _betainc(0.5 * df, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t distribution.

    Parameters
    ----------
    p : float
        Probability in (0, 1).
    df : float
        Degrees of freedom (> 0).

    Returns
    -------
    float
        ``t`` with ``P(T <= t) = p`` (bisection on the CDF to 1e-12).

    Examples
    --------
    >>> round(t_quantile(0.975, 9), 4)
    2.2622
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must lie in (0, 1); got {p!r}")
    if not df > 0:
        raise ValueError(f"t_quantile: df must be > 0; got {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while _t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)
