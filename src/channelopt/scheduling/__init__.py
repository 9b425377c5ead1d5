"""Shift scheduling: shifts, breaks and days off that cover the staffing requirement.

:func:`schedule` turns per-interval requirements (by default the pooled
staffing of each day of the scenario's ``week``) into the shifts a centre can
work: how many agents start each shift template at each start time on each
day, where their breaks go, and which days they have off, at the lowest paid
cost (a MILP through :mod:`channelopt.solver`). The model, its choices and
every column are in ``docs/scheduling.md``.
"""

from __future__ import annotations

from ._model import BreakSpec, TemplateSpec, consecutive_off
from ._result import COVERAGE_COLUMNS, SHIFT_COLUMNS, SUMMARY_COLUMNS, Schedule
from ._schedule import DEFAULT_TEMPLATES, schedule

__all__ = [
    "COVERAGE_COLUMNS",
    "DEFAULT_TEMPLATES",
    "SHIFT_COLUMNS",
    "SUMMARY_COLUMNS",
    "BreakSpec",
    "Schedule",
    "TemplateSpec",
    "consecutive_off",
    "schedule",
]
