"""``forecast``: daily volumes and intraday profiles, always beside a seasonal-naive baseline.

The daily model is chosen per channel by rolling-origin MAPE on the history
(never on the period forecast) among four ETS models of statsmodels (exponential
smoothing state-space models, Hyndman et al. 2008: additive or multiplicative
error and weekly season over the working days, with or without a damped trend;
prediction intervals from the model) and the weekday mean of the last four
weeks (intervals from its one-step errors). The baseline is seasonal naive:
each day of the horizon repeats the same weekday of the last observed week.
docs/data.md gives the measured errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..units import parse_duration
from ._measures import DAY_NAMES, local_seconds
from ._records import ContactRecords

__all__ = ["Forecast", "daily_counts", "forecast", "mape"]

Progress = Callable[[int, int, str], object]

#: a day below this share of the median of its weekday is a holiday (not a pattern)
HOLIDAY_SHARE = 0.5
#: weeks of history behind the intraday profile
PROFILE_WEEKS = 8


def mape(actual: Any, predicted: Any) -> float:
    """Mean absolute percentage error (in %), over days with a positive actual."""
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ok = a > 0
    return float(np.mean(np.abs(p[ok] - a[ok]) / a[ok]) * 100.0)


@dataclass(frozen=True)
class Forecast:
    """A forecast of daily volumes and intraday profiles.

    Attributes
    ----------
    daily : DataFrame
        channel, date, weekday, forecast, lower, upper (prediction interval at
        ``level``), baseline (seasonal naive).
    profile : DataFrame
        channel, interval, start, share: the mean intraday shape of the last
        ``PROFILE_WEEKS`` weeks of working days.
    intervals : DataFrame
        channel, date, interval, forecast: daily forecast x profile.
    history : DataFrame
        channel, date, contacts, holiday (days replaced before fitting), fitted.
    level : float
        Coverage of the prediction intervals.
    method : str
        The model, in words.
    selection : DataFrame
        channel, model, cv_mape, chosen: the rolling-origin comparison of the
        candidate models on the history.
    """

    daily: pd.DataFrame
    profile: pd.DataFrame
    intervals: pd.DataFrame
    history: pd.DataFrame
    level: float
    method: str
    selection: pd.DataFrame | None = None

    def evaluate(self, actual: Any) -> pd.DataFrame:
        """MAPE (%) of the model and of the baseline against actual daily volumes.

        ``actual``: ContactRecords, counts (``start, contacts[, channel]``) or a
        frame of ``channel, date, contacts``. Per channel: days, mape_model,
        mape_baseline, coverage (share of actual days inside the interval).
        """
        act = actual if _is_daily(actual) else daily_counts(actual, channels=None)
        m = self.daily.merge(act, on=["channel", "date"], how="inner")
        rows = []
        for ch, g in m.groupby("channel"):
            rows.append(
                {
                    "channel": ch,
                    "days": len(g),
                    "mape_model": mape(g["contacts"], g["forecast"]),
                    "mape_baseline": mape(g["contacts"], g["baseline"]),
                    "coverage": float(
                        ((g["contacts"] >= g["lower"]) & (g["contacts"] <= g["upper"])).mean()
                    ),
                }
            )
        return pd.DataFrame(rows)


def _is_daily(x: Any) -> bool:
    return isinstance(x, pd.DataFrame) and {"channel", "date", "contacts"} <= set(x.columns)


def daily_counts(records_or_counts: Any, channels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Contacts per channel and local date (``channel, date, contacts``).

    Records count every contact attempt at its arrival; ``channels`` renames and
    selects types (default: one channel ``all``). Counts (``start, contacts`` and an
    optional ``channel``) are summed per day.
    """
    if isinstance(records_or_counts, ContactRecords):
        f = records_or_counts.frame
        ch = f["channel"].astype(str)
        ch = ch.map(dict(channels)) if channels is not None else pd.Series("all", index=f.index)
        date, _ = local_seconds(f["arrival"])
        t = pd.DataFrame({"channel": ch, "date": date, "contacts": 1.0}).dropna()
    elif isinstance(records_or_counts, pd.DataFrame) and {"start", "contacts"} <= set(
        records_or_counts.columns
    ):
        c = records_or_counts
        start = pd.to_datetime(c["start"])
        if start.dt.tz is not None:
            start = start.dt.tz_localize(None)
        ch = (
            c["channel"].astype(str)
            if "channel" in c and channels is None
            else pd.Series("all", index=c.index)
        )
        t = pd.DataFrame({"channel": ch, "date": start.dt.normalize(), "contacts": c["contacts"]})
    else:
        raise DataError(
            "forecast needs ContactRecords or counts with columns start, contacts "
            f"(got {type(records_or_counts).__name__})"
        )
    return t.groupby(["channel", "date"], as_index=False)["contacts"].sum()


def _profile(records_or_counts: Any, step: float, channels: Any, dates: set) -> pd.DataFrame:
    if isinstance(records_or_counts, ContactRecords):
        f = records_or_counts.frame
        date, secs = local_seconds(f["arrival"])
        ch = f["channel"].astype(str)
        ch = ch.map(dict(channels)) if channels is not None else pd.Series("all", index=f.index)
        t = pd.DataFrame({"channel": ch, "date": date, "slot": (secs // step).astype(int),
                          "contacts": 1.0})  # fmt: skip
    else:
        c = records_or_counts
        start = pd.to_datetime(c["start"])
        if start.dt.tz is not None:
            start = start.dt.tz_localize(None)
        secs = (start - start.dt.normalize()).dt.total_seconds()
        ch = c["channel"].astype(str) if "channel" in c else pd.Series("all", index=c.index)
        slot = (secs // step).astype(int)
        t = pd.DataFrame(
            {"channel": ch, "date": start.dt.normalize(), "slot": slot, "contacts": c["contacts"]}
        )
    t = t[t["date"].isin(dates)].dropna()
    g = t.groupby(["channel", "slot"])["contacts"].sum()
    share = g / g.groupby(level=0).transform("sum")
    out = share.rename("share").reset_index().rename(columns={"slot": "interval"})
    out["start"] = out["interval"].map(
        lambda i: f"{int(i * step // 3600):02d}:{int(i * step % 3600 // 60):02d}"
    )
    return out[["channel", "interval", "start", "share"]]


def forecast(
    records_or_counts: Any,
    horizon: str | float = "4w",
    *,
    days: Sequence[str] | None = None,
    channels: Mapping[str, str] | None = None,
    interval: str | float = "30min",
    level: float = 0.95,
    progress: Progress | None = None,
) -> Forecast:
    """Forecast daily volumes (with prediction intervals) and the intraday profile.

    Parameters
    ----------
    records_or_counts : ContactRecords or DataFrame
        Records, or interval counts with columns ``start, contacts`` (and optionally
        ``channel``), e.g. from :func:`channelopt.data.read_counts`.
    horizon : str or float
        Calendar time after the last observed day ("4w", "28d" or seconds).
    days : sequence of str, optional
        Working days to model (``["sun", ..., "thu"]``); default: every weekday with
        contacts on at least half of its dates.
    channels : mapping, optional
        Record type -> channel (records only); default one channel ``all``.
    interval : str or float
        Interval of the intraday profile.
    level : float
        Coverage of the prediction intervals (0.95).
    progress : callable, optional
        ``progress(done, total, message)`` per channel.

    Returns
    -------
    Forecast
        ``.daily`` with the model's forecast, interval and the seasonal-naive
        baseline side by side; ``.profile``; ``.intervals``; ``.evaluate(actual)``.

    Notes
    -----
    Days below ``HOLIDAY_SHARE`` of the median of their weekday are holidays: they are
    replaced by the same weekday of the previous week before fitting (reported in
    ``history.holiday``) so that one closed day does not bend the trend and season.
    """
    h_s = parse_duration(horizon)
    step = parse_duration(interval)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    daily = daily_counts(records_or_counts, channels)
    if len(daily) == 0:
        raise DataError("no contacts to forecast")
    all_dates = pd.date_range(daily["date"].min(), daily["date"].max(), freq="D")
    if days is None:
        present = pd.Series(daily["date"].unique())
        frac = (
            present.dt.day_of_week.value_counts() / pd.Series(all_dates.day_of_week).value_counts()
        )
        wd = sorted(int(d) for d in frac[frac >= 0.5].index)
    else:
        wd = sorted({DAY_NAMES.index(d[:3].lower()) for d in days})
    season = len(wd)
    work = all_dates[all_dates.day_of_week.isin(wd)]
    last = all_dates[-1]
    future = pd.date_range(last + pd.Timedelta(days=1), last + pd.Timedelta(seconds=h_s), freq="D")
    future = future[future.day_of_week.isin(wd)]
    daily_rows, hist_rows = [], []
    selection: list[pd.DataFrame] = []
    channels_seen = list(daily["channel"].unique())
    for k, ch in enumerate(channels_seen):
        y = (
            daily[daily["channel"] == ch]
            .set_index("date")["contacts"]
            .reindex(work, fill_value=0.0)
        )
        med = y.groupby(y.index.day_of_week).transform("median")
        holiday = y < HOLIDAY_SHARE * med
        y_fit = y.copy()
        for h in np.flatnonzero(holiday.to_numpy()):
            # the same weekday one week earlier (or later at the start of the series)
            j = h - season if h >= season else h + season
            y_fit.iloc[h] = y_fit.iloc[j] if 0 <= j < len(y_fit) else med.iloc[h]
        if len(y_fit) < 2 * season + 2:
            raise DataError(
                f"channel {ch!r}: {len(y_fit)} working days; forecasting needs at least "
                f"{2 * season + 2} (two weeks)"
            )
        values = y_fit.to_numpy(dtype=float)
        spec, cv_table = _select(values, season, len(future))
        frame, fitted = _fit_predict(values, season, spec, len(future), level)
        selection.append(cv_table.assign(channel=ch))
        last_week = values[-season:]
        pos = np.arange(len(future)) % season
        for i, date in enumerate(future):
            daily_rows.append(
                {
                    "channel": ch,
                    "date": date,
                    "weekday": DAY_NAMES[date.day_of_week],
                    "forecast": max(float(frame["mean"].iloc[i]), 0.0),
                    "lower": max(float(frame["pi_lower"].iloc[i]), 0.0),
                    "upper": max(float(frame["pi_upper"].iloc[i]), 0.0),
                    "baseline": float(last_week[pos[i]]),
                }
            )
        hist_rows.append(
            pd.DataFrame(
                {
                    "channel": ch,
                    "date": work,
                    "contacts": y.to_numpy(),
                    "holiday": holiday.to_numpy(),
                    "fitted": fitted,
                }
            )
        )
        if progress is not None:
            progress(k + 1, len(channels_seen), str(ch))
    out = pd.DataFrame(daily_rows)
    recent = set(work[-PROFILE_WEEKS * season :])
    profile = _profile(records_or_counts, step, channels, recent)
    iv = out[["channel", "date", "forecast"]].merge(profile, on="channel")
    iv["forecast"] = iv["forecast"] * iv["share"]
    intervals = iv[["channel", "date", "interval", "forecast"]]
    sel = pd.concat(selection, ignore_index=True)
    chosen = sel[sel["chosen"]]
    method = (
        "chosen per channel among four ETS models (statsmodels) and the weekday mean of "
        "the last 4 weeks by rolling-origin MAPE on the history ("
        + ", ".join(f"{r.channel}: {r.model}" for r in chosen.itertuples())
        + f"); season of {season} working days, "
        f"{math.floor(level * 100)} % prediction intervals; baseline: seasonal naive"
    )
    return Forecast(out, profile, intervals, pd.concat(hist_rows, ignore_index=True), level,
                    method, sel)  # fmt: skip


#: candidate ETS models: (name, error, trend, damped, seasonal)
CANDIDATES = (
    ("ETS(A,Ad,A)", "add", "add", True, "add"),
    ("ETS(A,N,A)", "add", None, False, "add"),
    ("ETS(M,Ad,M)", "mul", "add", True, "mul"),
    ("ETS(M,N,M)", "mul", None, False, "mul"),
)
WEEKDAY_MEAN = ("weekday mean of the last 4 weeks", None, None, False, None)
#: the weekday mean of the last MEAN_WEEKS weeks: a smoother benchmark than one week
MEAN_WEEKS = 4
#: rolling origins used to choose among the candidates
ORIGINS = 4


def _weekday_mean(values: np.ndarray, season: int, steps: int) -> np.ndarray:
    k = min(MEAN_WEEKS, len(values) // season)
    tail = values[len(values) - k * season :].reshape(k, season)
    return np.resize(tail.mean(axis=0), steps)


def _weekday_mean_interval(
    values: np.ndarray, season: int, steps: int, level: float
) -> tuple[pd.DataFrame, np.ndarray]:
    from scipy import stats

    mean = _weekday_mean(values, season, steps)
    # one-step errors of the same rule over the history give the spread
    k = MEAN_WEEKS * season
    fitted = np.full(len(values), np.nan)
    for i in range(k, len(values)):
        fitted[i] = values[i - k : i][(np.arange(k) % season) == ((i - k) % season)].mean()
    sd = float(np.nanstd(values - fitted, ddof=1)) if np.isfinite(fitted).sum() > 2 else 0.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    frame = pd.DataFrame({"mean": mean, "pi_lower": mean - z * sd, "pi_upper": mean + z * sd})
    return frame, fitted


def _fit(values: np.ndarray, season: int, spec: tuple) -> Any:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    _, error, trend, damped, seasonal = spec
    y = pd.Series(np.maximum(values, 1.0) if error == "mul" else values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        # a Series: statsmodels' prediction summary needs an index
        model = ETSModel(y, error=error, trend=trend, damped_trend=damped, seasonal=seasonal,
                         seasonal_periods=season)  # fmt: skip
        return model.fit(disp=False, maxiter=2000)


def _fit_predict(
    values: np.ndarray, season: int, spec: tuple, steps: int, level: float
) -> tuple[pd.DataFrame, np.ndarray]:
    if spec[0] == WEEKDAY_MEAN[0]:
        return _weekday_mean_interval(values, season, steps, level)
    fit = _fit(values, season, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = fit.get_prediction(start=len(values), end=len(values) + steps - 1)
        frame = pred.summary_frame(alpha=1 - level)
    return frame, np.asarray(fit.fittedvalues, dtype=float)


def _select(values: np.ndarray, season: int, steps: int) -> tuple[tuple, pd.DataFrame]:
    """The candidate with the lowest MAPE over ``ORIGINS`` rolling origins of the history.

    Origins are one week apart, each forecasting ``min(steps, 2 seasons)`` working
    days; only the history is used (never the period being forecast).
    """
    h = max(1, min(steps, 2 * season))
    rows = []
    for spec in (*CANDIDATES, WEEKDAY_MEAN):
        errs = []
        for o in range(ORIGINS):
            end = len(values) - h - o * season
            if end < 3 * season:
                continue
            try:
                if spec[0] == WEEKDAY_MEAN[0]:
                    fc = _weekday_mean(values[:end], season, h)
                else:
                    fit = _fit(values[:end], season, spec)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fc = np.asarray(fit.forecast(h), dtype=float)
            except Exception:  # a candidate that cannot be fitted is not chosen
                errs.append(math.inf)
                continue
            errs.append(mape(values[end : end + h], fc))
        rows.append({"model": spec[0], "cv_mape": float(np.mean(errs)) if errs else math.inf})
    t = pd.DataFrame(rows)
    best = int(np.argmin(t["cv_mape"].to_numpy()))
    t["chosen"] = np.arange(len(t)) == best
    return (*CANDIDATES, WEEKDAY_MEAN)[best], t
