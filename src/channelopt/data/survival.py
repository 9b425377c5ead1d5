"""Estimators of patience (censored waits) and handle-time distributions.

Patience is observed only for contacts that abandon; a contact served after
waiting ``w`` tells us only that its patience exceeded ``w`` (right-censored).
Two estimators, as in Brown et al. (2005, JASA 100:36-50, section 5):

* ``exponential_patience``: the maximum-likelihood mean of an exponential
  patience under censoring, total waiting time of all queued contacts divided
  by the number of abandonments (the hazard-rate estimator of Erlang A);
* ``kaplan_meier``: the product-limit survival curve of patience, free of any
  family, whose area up to the last observation is a (restricted) mean.

``fit_censored`` fits the families the scenario supports by censored maximum
likelihood; ``fit_handle_time`` picks a handle-time family by AIC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "Fit",
    "RepeatFit",
    "exponential_patience",
    "fit_censored",
    "fit_handle_time",
    "kaplan_meier",
    "repeat_fit",
    "truncated_exponential_mean",
]

#: families both engines sample (DESIGN.md "Keys for how real centres work") that have
#: a likelihood: the parameter-free constant / empirical ones are not compared
FAMILIES = ("exponential", "lognormal", "gamma")
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


@dataclass(frozen=True)
class Fit:
    """One fitted distribution.

    Attributes
    ----------
    family : str
        ``exponential``, ``lognormal`` or ``gamma``.
    mean : float
        Mean (s).
    cv : float
        Coefficient of variation (1 for the exponential).
    loglik : float
        Maximised log-likelihood.
    aic : float
        ``2 k - 2 loglik`` (k = 1 for the exponential, 2 otherwise).
    n : int
        Observations used (events plus censored).
    standard_error : float
        Standard error of the mean (s), from the observed information (exponential)
        or the delta method (others); NaN where not available.
    """

    family: str
    mean: float
    cv: float
    loglik: float
    aic: float
    n: int
    standard_error: float = float("nan")
    extra: dict[str, float] = field(default_factory=dict)


def exponential_patience(wait: np.ndarray, abandoned: np.ndarray) -> tuple[float, float]:
    """Mean exponential patience (s) and its standard error from censored waits.

    Parameters
    ----------
    wait : array of float
        Time in queue (s) of every contact that queued (served and abandoned).
    abandoned : array of bool
        True where the contact abandoned (its wait is its patience); False where it
        was served (its patience exceeded its wait: censored).

    Returns
    -------
    (mean, standard_error) : tuple of float
        ``sum(wait) / sum(abandoned)`` (Brown et al. 2005) and ``mean / sqrt(events)``
        (inverse observed information). ``inf`` when nobody abandoned.
    """
    w = np.asarray(wait, dtype=float)
    a = np.asarray(abandoned, dtype=bool)
    events = int(a.sum())
    if events == 0:
        return math.inf, math.nan
    mean = float(w.sum() / events)
    return mean, mean / math.sqrt(events)


def kaplan_meier(wait: np.ndarray, abandoned: np.ndarray) -> pd.DataFrame:
    """Product-limit estimate of the patience survival function P(patience > t).

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (s, the distinct abandonment times), ``at_risk``,
        ``events``, ``survival`` and ``standard_error`` (Greenwood).
    """
    w = np.asarray(wait, dtype=float)
    a = np.asarray(abandoned, dtype=bool)
    order = np.argsort(w, kind="stable")
    w, a = w[order], a[order]
    times, first = np.unique(w, return_index=True)
    n = len(w)
    at_risk = n - first
    events = np.add.reduceat(a.astype(np.int64), first) if n else np.array([], dtype=np.int64)
    keep = events > 0
    times, at_risk, events = times[keep], at_risk[keep], events[keep]
    surv = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.cumsum(events / (at_risk * np.maximum(at_risk - events, 1)))
    return pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "survival": surv,
            "standard_error": surv * np.sqrt(terms),
        }
    )


def km_mean(curve: pd.DataFrame, horizon: float | None = None) -> float:
    """Area under a Kaplan-Meier curve up to ``horizon`` (default: its last time), in s."""
    if len(curve) == 0:
        return math.inf
    t = np.concatenate([[0.0], curve["time"].to_numpy()])
    s = np.concatenate([[1.0], curve["survival"].to_numpy()])
    end = float(t[-1] if horizon is None else horizon)
    t_clip = np.minimum(t, end)
    widths = np.diff(np.append(t_clip, end))
    return float(np.sum(s * widths))


def _lognormal_cv(sigma: float) -> float:
    return math.sqrt(math.expm1(sigma * sigma))


def fit_censored(
    x: np.ndarray, event: np.ndarray | None = None, families: tuple[str, ...] = FAMILIES
) -> list[Fit]:
    """Maximum-likelihood fits of ``families``, right-censored where ``event`` is False.

    Parameters
    ----------
    x : array of float
        Observations (s). Non-positive values are nudged to 0.5 s (a one-second clock
        cannot tell them apart from zero).
    event : array of bool, optional
        True for a complete observation; False for a censored one (default: all
        complete).
    families : tuple of str
        Among ``exponential``, ``lognormal``, ``gamma``.

    Returns
    -------
    list of Fit
        Sorted by AIC, best first.
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.5)
    ev = np.ones(len(x), dtype=bool) if event is None else np.asarray(event, dtype=bool)
    n_ev = int(ev.sum())
    out: list[Fit] = []
    if n_ev == 0 or len(x) == 0:
        return out
    xe, xc = x[ev], x[~ev]
    lx_e = np.log(xe)
    if "exponential" in families:
        rate = n_ev / x.sum()
        ll = n_ev * math.log(rate) - rate * x.sum()
        mean = 1 / rate
        out.append(Fit("exponential", mean, 1.0, ll, 2 - 2 * ll, len(x), mean / math.sqrt(n_ev)))
    if "lognormal" in families:
        lxc = np.log(xc)

        def nll_ln(p: np.ndarray) -> float:
            mu, log_s = p
            s = math.exp(log_s)
            # the normal log density and log survival of log x, written with
            # scipy.special (stats.norm's per-call overhead dominates the optimiser)
            z = (lx_e - mu) / s
            ll = np.sum(-0.5 * z * z - lx_e) - n_ev * (log_s + _HALF_LOG_2PI)
            if len(xc):
                ll += np.sum(special.log_ndtr(-(lxc - mu) / s))
            return -float(ll)

        s0 = max(float(np.std(lx_e)), 0.1)
        r = optimize.minimize(nll_ln, [float(np.mean(lx_e)), math.log(s0)], method="Nelder-Mead",
                              options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})  # fmt: skip
        mu, s = r.x[0], math.exp(r.x[1])
        ll = -float(r.fun)
        out.append(Fit("lognormal", math.exp(mu + s * s / 2), _lognormal_cv(s), ll, 4 - 2 * ll,
                       len(x), extra={"mu": mu, "sigma": s}))  # fmt: skip
    if "gamma" in families:
        lxe_sum = float(lx_e.sum())

        def nll_g(p: np.ndarray) -> float:
            k, theta = math.exp(p[0]), math.exp(p[1])
            ll = (k - 1) * lxe_sum - xe.sum() / theta - n_ev * (special.gammaln(k) + k * p[1])
            if len(xc):
                ll += np.sum(np.log(np.maximum(special.gammaincc(k, xc / theta), 1e-300)))
            return -float(ll)

        m, v = float(np.mean(x)), float(np.var(x)) or 1.0
        k0 = max(m * m / v, 0.05)
        r = optimize.minimize(nll_g, [math.log(k0), math.log(m / k0)], method="Nelder-Mead",
                              options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})  # fmt: skip
        k, theta = math.exp(r.x[0]), math.exp(r.x[1])
        ll = -float(r.fun)
        out.append(Fit("gamma", k * theta, 1 / math.sqrt(k), ll, 4 - 2 * ll, len(x),
                       extra={"shape": k, "scale": theta}))  # fmt: skip
    return sorted(out, key=lambda f: f.aic)


def fit_handle_time(x: np.ndarray, families: tuple[str, ...] = FAMILIES) -> list[Fit]:
    """Handle-time families fitted by maximum likelihood, best (lowest AIC) first.

    Handle times are complete observations (no censoring); the mean of each fit is
    reported beside the sample mean so a family that misses the mean is visible.
    """
    return fit_censored(np.asarray(x, dtype=float), None, families)


def fits_table(fits: list[Fit], sample_mean: float | None = None) -> pd.DataFrame:
    """The fits as a table: family, mean_s, cv, loglik, aic, delta_aic (0 = chosen)."""
    if not fits:
        return pd.DataFrame(columns=["family", "mean_s", "cv", "loglik", "aic", "delta_aic"])
    best = fits[0].aic
    rows = [
        {
            "family": f.family,
            "mean_s": f.mean,
            "cv": f.cv,
            "loglik": f.loglik,
            "aic": f.aic,
            "delta_aic": f.aic - best,
        }
        for f in fits
    ]
    t = pd.DataFrame(rows)
    if sample_mean is not None:
        t["sample_mean_s"] = sample_mean
    return t


@dataclass(frozen=True)
class RepeatFit:
    """Repeat probability and delay from gaps seen within a window (see :func:`repeat_fit`).

    Attributes
    ----------
    contacts : int
        Contacts that could be followed for the whole window (the denominator).
    seen : int
        Of those, followed by the same customer within the window.
    delay_s : float
        Mean of the exponential delay (maximum likelihood, truncated at the window).
    within_window : float
        P(an exponential delay of that mean is within the window).
    probability, se : float
        Repeat probability ``seen / contacts / within_window`` and its standard error
        (binomial and delay uncertainty by the delta method).
    """

    contacts: int
    seen: int
    delay_s: float
    within_window: float
    probability: float
    se: float


def truncated_exponential_mean(gaps: np.ndarray, window: float) -> float:
    """Maximum-likelihood mean of an exponential seen only below ``window``.

    Solves ``mean(gaps) = d - window / (exp(window / d) - 1)`` (the mean of an
    exponential with mean ``d`` truncated at ``window``). That right side grows
    from 0 to ``window / 2`` with ``d``; when the sample mean reaches
    ``window / 2`` the gaps look uniform and the mean is not identified: ``inf``.

    Parameters
    ----------
    gaps : array_like of float
        Delays seen (s), each below ``window``.
    window : float
        The truncation point (s).

    Returns
    -------
    float
        The mean delay (s); ``nan`` without gaps, ``inf`` when not identified.
    """
    g = np.asarray(gaps, dtype=float)
    if len(g) == 0:
        return math.nan
    m = float(g.mean())
    if m <= 0:
        return max(m, 1e-9)
    if m >= 0.5 * window * (1 - 1e-9):
        return math.inf

    def excess(d: float) -> float:
        r = window / d
        # beyond r = 700 the truncation term is below 1e-300 of the window
        return d - (window / math.expm1(r) if r < 700.0 else 0.0) - m

    lo, hi = m * 1e-3 + 1e-12, window
    while excess(hi) < 0:
        hi *= 4.0
        if hi > window * 1e12:
            return math.inf
    return float(optimize.brentq(excess, lo, hi, xtol=1e-10 * window))


def repeat_fit(
    n_contacts: int, gaps: np.ndarray, window: float, delay: float | None = None
) -> RepeatFit:
    """Repeat probability corrected for the delays the window cuts off.

    A contact repeats with probability ``p`` after an exponential delay of mean
    ``d``; only repeats within ``window`` are seen (contacts too close to the end
    of the records to be followed for a whole window must be left out of
    ``n_contacts`` by the caller). ``d`` is the truncated-exponential MLE of the
    seen gaps (or ``delay`` when given, e.g. pooled over channels), and
    ``p = seen / n_contacts / (1 - exp(-window / d))``.

    Parameters
    ----------
    n_contacts : int
        Contacts followed for a whole window (the denominator).
    gaps : array_like of float
        Delays (s) from those contacts to the repeats seen within the window.
    window : float
        The repeat window (s).
    delay : float, optional
        Mean delay (s) to use instead of fitting it to ``gaps``.

    Returns
    -------
    RepeatFit
        The probability with its standard error, the delay (s) and the share
        of delays within the window; ``nan`` fields when ``n_contacts`` is 0.
    """
    g = np.asarray(gaps, dtype=float)
    seen = len(g)
    d = truncated_exponential_mean(g, window) if delay is None else float(delay)
    if n_contacts <= 0:
        return RepeatFit(0, 0, d, math.nan, math.nan, math.nan)
    q = seen / n_contacts
    if not math.isfinite(d) or seen == 0:
        # no repeats, or delays not identified: the seen share, without correction
        return RepeatFit(n_contacts, seen, d, 1.0, q, math.sqrt(q * (1 - q) / n_contacts))
    lam = 1.0 / d
    e = math.exp(-lam * window)
    within = 1.0 - e
    p = q / within
    var_q = q * (1 - q) / n_contacts
    # Fisher information of the rate per truncated observation
    info = 1.0 / lam**2 - window**2 * e / within**2
    var_lam = 1.0 / (seen * info) if info > 0 else 0.0
    dp_dlam = -q * window * e / within**2
    se = math.sqrt(var_q / within**2 + dp_dlam**2 * var_lam)
    return RepeatFit(n_contacts, seen, d, within, p, se)
