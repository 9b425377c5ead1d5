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
from .inventory import Inventory, inventory
from .readers import read_contacts, read_counts

__all__ = [
    "CANONICAL",
    "OUTCOMES",
    "ContactRecords",
    "Inventory",
    "QualityLog",
    "inventory",
    "read_contacts",
    "read_counts",
]
