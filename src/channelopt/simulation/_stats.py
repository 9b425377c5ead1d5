"""The one interval helper of channelopt: a mean and its Student-t confidence interval."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["mean_interval", "t_quantile"]


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t distribution (``scipy.stats.t.ppf``).

    Examples
    --------
    >>> round(t_quantile(0.975, 9), 4)
    2.2622
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must lie in (0, 1); got {p!r}")
    if not df > 0:
        raise ValueError(f"t_quantile: df must be > 0; got {df!r}")
    return float(stats.t.ppf(p, df))


def mean_interval(
    values: np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """Mean of independent values and its two-sided t confidence interval.

    Parameters
    ----------
    values : array_like
        Independent observations (replications or batch means); non-finite
        values are the caller's to drop.
    confidence : float
        Two-sided level in (0, 1).

    Returns
    -------
    (mean, low, high, std)
        ``std`` is the sample standard deviation (ddof 1). With fewer than two
        values the interval and ``std`` are ``nan``; with none the mean is too.

    Examples
    --------
    >>> [round(v, 3) for v in mean_interval([1.0, 2.0, 3.0])]
    [2.0, -0.484, 4.484, 1.0]
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    nan = float("nan")
    if n == 0:
        return nan, nan, nan, nan
    mean = float(x.mean())
    if n < 2:
        return mean, nan, nan, nan
    std = float(x.std(ddof=1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
    return mean, mean - half, mean + half, std
