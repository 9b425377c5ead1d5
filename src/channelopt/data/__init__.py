"""Contact records: reading, cleaning, inventory, calibration, forecasting, actuals.

``read_contacts`` turns an ACD/chat/CRM export (CSV, Parquet, a DataFrame, or the
real data sets' own formats) into canonical, time-zone-aware records with a
quality log; ``inventory`` is the discovery view; ``calibrate`` fits a scenario;
``forecast`` predicts daily volumes and intraday profiles beside a seasonal-naive
baseline; ``actuals`` compares planned with actual. docs/data.md describes each
estimator and its assumptions.
"""

from __future__ import annotations

from ._records import CANONICAL, OUTCOMES, ContactRecords, QualityLog
from .actuals import Actuals, actuals
from .calibrate import Calibration, calibrate, observed_arrivals
from .forecast import Forecast, daily_counts, forecast, mape
from .inventory import Inventory, inventory
from .readers import read_contacts, read_counts
from .replay import replay

__all__ = [
    "CANONICAL",
    "OUTCOMES",
    "Actuals",
    "Calibration",
    "ContactRecords",
    "Forecast",
    "Inventory",
    "QualityLog",
    "actuals",
    "calibrate",
    "daily_counts",
    "forecast",
    "inventory",
    "mape",
    "observed_arrivals",
    "read_contacts",
    "read_counts",
    "replay",
]
