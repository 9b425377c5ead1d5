"""Random variates of the simulation: duration distributions, delays and volume factors.

Everything random that the engine draws goes through this module, so that
each family is written once:

* :func:`sampler` turns a distribution (``DistributionSpec`` of the scenario:
  family, mean, parameters, samples) into a vectorised draw ``f(rng, n)``;
* :class:`Buffer` serves scalar draws from such a function in batches (one
  NumPy call per 16,384 values instead of one per contact);
* :func:`volume_factors` is **the** forecast-error and busyness distribution
  of the project: gamma with mean 1 and a given coefficient of variation.
  ``whatif.compare`` draws its forecast errors with it too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Buffer", "Draw", "sampler", "volume_factors"]

Draw = Callable[[np.random.Generator, int], np.ndarray]

_BATCH = 16_384


class Buffer:
    """Scalar variates served from batches of one vectorised draw.

    Parameters
    ----------
    draw : callable
        ``draw(n)`` returns ``n`` variates (a bound generator method or a
        :func:`sampler` bound to a generator).

    Attributes
    ----------
    next : callable
        ``next()`` returns the next variate: the ``__next__`` of an endless
        chain of batches, a C call (no Python frame per draw; calling the
        buffer itself costs one more call and is kept for convenience).
    """

    __slots__ = ("next",)

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        batches = map(lambda _: draw(_BATCH).tolist(), itertools.repeat(None))
        self.next: Callable[[], float] = itertools.chain.from_iterable(batches).__next__

    def __call__(self) -> float:
        return self.next()


def _family(spec: Any) -> str:
    return str(getattr(spec, "family", "exponential"))


def sampler(spec: Any) -> Draw:
    """A vectorised draw ``f(rng, n)`` of the distribution ``spec`` (values in seconds).

    Parameters
    ----------
    spec : DistributionSpec
        ``family`` (exponential, lognormal, gamma, uniform, constant,
        triangular, empirical), ``mean`` (s; ``inf`` draws ``inf``), ``params``
        as documented on :class:`channelopt.scenario.resolved.DistributionSpec`
        and ``samples`` for the empirical family.

    Returns
    -------
    callable
        ``f(rng, n) -> ndarray`` of ``n`` values.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> f = sampler(SimpleNamespace(family="constant", mean=30.0, params=(), samples=None))
    >>> f(np.random.default_rng(0), 3).tolist()
    [30.0, 30.0, 30.0]
    """
    mean = float(spec.mean)
    family = _family(spec)
    params = tuple(float(x) for x in getattr(spec, "params", ()) or ())
    if not math.isfinite(mean):
        return lambda rng, n: np.full(n, math.inf)
    if family == "exponential":
        return lambda rng, n: mean * rng.standard_exponential(n)
    if family == "constant" or mean == 0.0:
        return lambda rng, n: np.full(n, mean)
    if family == "lognormal":
        mu, sigma = params
        return lambda rng, n: np.exp(mu + sigma * rng.standard_normal(n))
    if family == "gamma":
        shape, scale = params
        return lambda rng, n: rng.gamma(shape, scale, n)
    if family == "uniform":
        lo, hi = params
        return lambda rng, n: rng.uniform(lo, hi, n)
    if family == "triangular":
        lo, mode, hi = params
        if hi <= lo:
            return lambda rng, n: np.full(n, mode)
        return lambda rng, n: rng.triangular(lo, mode, hi, n)
    if family == "empirical":
        values = np.asarray(spec.samples, dtype=float)
        return lambda rng, n: values[rng.integers(0, len(values), n)]
    raise ValueError(f"unknown distribution family {family!r}")


def volume_factors(cv: Any, rng: np.random.Generator) -> np.ndarray:
    """Multipliers of a day's volume: gamma with mean 1 and coefficient of variation ``cv``.

    The one forecast-error (and busyness) distribution of channelopt: the
    simulation draws each day's factors with it, and ``whatif.compare`` its
    forecast errors. Gamma rather than lognormal because it is the conjugate
    shape of a Poisson rate (a gamma-mixed Poisson day is negative binomial),
    the usual model of over-dispersed daily contact volumes.

    Parameters
    ----------
    cv : float or ndarray
        Coefficient of variation per entry (>= 0). An entry with ``cv == 0``
        gets exactly 1 and consumes no random numbers.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray
        Multipliers (dimensionless, > 0), the shape of ``cv``.

    Examples
    --------
    >>> volume_factors(np.array([0.0, 0.0]), np.random.default_rng(0)).tolist()
    [1.0, 1.0]
    """
    cv = np.atleast_1d(np.asarray(cv, dtype=float))
    out = np.ones_like(cv)
    pos = cv > 0
    if pos.any():
        shape = 1.0 / cv[pos] ** 2
        out[pos] = rng.gamma(shape, 1.0 / shape)
    return out
