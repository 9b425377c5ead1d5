"""The statistics behind compare(): forecast-error draws, Wilson and Student intervals.

Checked against SciPy and closed forms, and for every seed 0-99 where random.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from channelopt.whatif.compare import _mean_interval, forecast_multipliers, wilson_interval


@given(st.integers(0, 200), st.integers(1, 200))
def test_wilson_interval_equals_scipy(successes: int, trials: int) -> None:
    successes = min(successes, trials)
    expected = stats.binomtest(successes, trials).proportion_ci(method="wilson")
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_wilson_interval_without_trials_is_nan() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40))
def test_mean_interval_equals_scipy_t_interval(values: list[float]) -> None:
    x = np.array(values)
    mean, low, high = _mean_interval(x)
    assert mean == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
    if x.std(ddof=1) > 0:
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert low == pytest.approx(lo, rel=1e-9, abs=1e-9)
        assert high == pytest.approx(hi, rel=1e-9, abs=1e-9)


def test_forecast_multipliers_are_gamma_with_mean_one_and_the_given_cv() -> None:
    # For every seed 0-99, 2,000 draws per channel pass a Kolmogorov-Smirnov test
    # against scipy's gamma with shape 1/cv^2 and scale cv^2 (mean 1, sd cv). 200
    # checks at level 1e-4 each (Bonferroni: the test fails by chance below 2 %).
    # Power: the same test rejects the mean 5 % off for every seed (checked below).
    cv = np.array([0.0, 0.1, 0.3])
    n = 2000
    alpha = 1e-4
    for seed in range(100):
        rng = np.random.default_rng(seed)
        draws = np.array([forecast_multipliers(cv, rng) for _ in range(n)])
        assert (draws[:, 0] == 1.0).all()
        for c in (1, 2):
            k = 1.0 / cv[c] ** 2
            assert stats.kstest(draws[:, c], stats.gamma(k, scale=1.0 / k).cdf).pvalue > alpha
            off = stats.gamma(k, scale=1.05 / k).cdf
            assert stats.kstest(draws[:, c], off).pvalue < alpha


def test_forecast_multipliers_are_the_simulation_distribution() -> None:
    from channelopt.simulation import volume_factors

    cv = np.array([0.2, 0.0, 0.5])
    a = forecast_multipliers(cv, np.random.default_rng(3))
    b = volume_factors(cv, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_miss_rules_follow_the_targets() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from channelopt.scenario import ChannelKind
    from channelopt.whatif.compare import _misses

    nan = math.nan
    resolved = SimpleNamespace(
        channels=("voice", "chat", "email", "bot", "quiet"),
        kinds=(ChannelKind.LIVE, ChannelKind.CONCURRENT, ChannelKind.DEFERRED,
               ChannelKind.SELF_SERVICE, ChannelKind.LIVE),
        target_service_level=np.array([0.8, nan, nan, nan, 0.8]),
        target_max_abandonment=np.array([0.05, 0.1, nan, nan, nan]),
        target_max_wait=np.array([nan, 30.0, nan, nan, nan]),
    )  # fmt: skip
    kpis = pd.DataFrame(
        {
            "channel": ["voice", "chat", "email", "bot", "quiet"],
            "offered": [100.0, 50.0, 20.0, 80.0, 0.0],
            "service_level": [0.81, nan, 0.2, nan, nan],
            "abandonment": [0.049, 0.05, 0.0, 0.0, nan],
            "average_wait": [10.0, 31.0, 9000.0, nan, nan],
        }
    )
    # voice meets 80 % and 5 %; chat breaks its 30 s wait; email and bot have no
    # queue targets here; a channel without contacts cannot miss.
    assert _misses(kpis, resolved) == {"voice": False, "chat": True, "quiet": False}
    kpis.loc[0, "service_level"] = 0.79
    assert _misses(kpis, resolved)["voice"] is True
    kpis.loc[0, ["service_level", "abandonment"]] = [0.9, 0.051]
    assert _misses(kpis, resolved)["voice"] is True
