"""forecast: a model beside the seasonal-naive baseline, checked on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from bank_data import bank, us_bank
from channelopt.data.forecast import daily_counts, forecast, mape

WEEKDAYS = ["sun", "mon", "tue", "wed", "thu"]


def test_mape_by_hand() -> None:
    assert mape([100, 200, 0], [110, 150, 5]) == pytest.approx((10 + 25) / 2)


def synthetic_counts(weeks: int, seed: int = 0) -> pd.DataFrame:
    # Mon-Fri, a weekly pattern and Poisson noise; hourly counts 08:00-18:00
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2024-01-01", periods=weeks * 5)
    rows = []
    for d in days:
        level = [1200, 1000, 950, 1000, 1100][d.day_of_week]
        shape = np.array([1, 2, 3, 3, 2, 2, 3, 3, 2, 1], dtype=float)
        lam = level * shape / shape.sum()
        for h, x in enumerate(rng.poisson(lam)):
            rows.append((d + pd.Timedelta(hours=8 + h), x))
    return pd.DataFrame(rows, columns=["start", "contacts"])


def test_forecast_of_a_stationary_weekly_pattern() -> None:
    counts = synthetic_counts(20)
    fc = forecast(counts, "2w", interval="1h")
    d = fc.daily
    assert len(d) == 10 and set(d["weekday"]) == {"mon", "tue", "wed", "thu", "fri"}
    truth = d["date"].dt.day_of_week.map(dict(enumerate([1200, 1000, 950, 1000, 1100])))
    # within 3 Poisson standard deviations of the true daily mean, and inside the interval
    assert np.all(np.abs(d["forecast"] - truth) < 3 * np.sqrt(truth) + 30)
    assert np.all((d["lower"] < truth) & (truth < d["upper"]))
    prof = fc.profile.set_index("interval")["share"]
    assert prof.sum() == pytest.approx(1.0)
    assert prof[10] == pytest.approx(3 / 22, abs=0.01)  # 10:00, share 3 of 22
    iv = fc.intervals.groupby("date")["forecast"].sum()
    assert np.allclose(iv.to_numpy(), d.set_index("date")["forecast"].to_numpy())
    assert fc.selection["chosen"].sum() == 1


def test_forecast_errors() -> None:
    with pytest.raises(co.DataError, match="two weeks"):
        forecast(synthetic_counts(1), "1w")
    with pytest.raises(co.DataError, match="ContactRecords or counts"):
        forecast(pd.DataFrame({"x": [1]}), "1w")


def test_bank_july_model_beats_seasonal_naive() -> None:
    rec = bank()
    fc = forecast(rec.between("1999-01-01", "1999-07-01"), "31d", days=WEEKDAYS)
    ev = fc.evaluate(daily_counts(rec.between("1999-07-01", "1999-08-01"))).iloc[0]
    assert ev["days"] == 21
    assert ev["mape_model"] < ev["mape_baseline"]


def test_us_bank_september_model_beats_seasonal_naive() -> None:
    c = us_bank()
    tz = "America/New_York"
    fit = c[c["start"] < pd.Timestamp("2003-09-01", tz=tz)]
    check = c[
        c["start"] >= pd.Timestamp("2003-09-01", tz=tz)
    ]  # us_bank() ends before the held-out weeks
    fc = forecast(fit, "4w")
    ev = fc.evaluate(daily_counts(check)).iloc[0]
    assert ev["days"] == 19  # Labor Day (1 September) is not in the data
    assert ev["mape_model"] < ev["mape_baseline"]
    assert ev["coverage"] >= 0.8
