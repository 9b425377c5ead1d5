"""The validated scenario and plan files, and their plain-array view.

The only module of channelopt that reads or writes YAML. ``load_scenario``
reads and validates a scenario file (docs/scenario-format.md);
``Scenario.resolve`` turns one period into the plain arrays of
:class:`Resolved` that every engine uses (docs/semantics.md); ``Plan`` is an
initiative schedule with optional agents per pool and period.
"""

from __future__ import annotations

from .fields import TargetMode
from .io import load_scenario
from .models import (
    Budget,
    Channel,
    Cost,
    Economics,
    Effect,
    Experience,
    HandoffFactor,
    Initiative,
    Journeys,
    Periods,
    Pool,
    Repeats,
    Retrials,
    Scenario,
    Shift,
    Target,
    Targets,
)
from .plan import Plan, load_plan
from .resolved import ChannelKind, Resolved

__all__ = [
    "Budget",
    "Channel",
    "ChannelKind",
    "Cost",
    "Economics",
    "Effect",
    "Experience",
    "HandoffFactor",
    "Initiative",
    "Journeys",
    "Periods",
    "Plan",
    "Pool",
    "Repeats",
    "Resolved",
    "Retrials",
    "Scenario",
    "Shift",
    "Target",
    "TargetMode",
    "Targets",
    "load_plan",
    "load_scenario",
]
