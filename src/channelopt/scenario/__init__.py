"""The validated scenario and plan files, and their plain-array view.

The only module of channelopt that reads or writes YAML. ``load_scenario``
reads and validates a scenario file (docs/scenario-format.md);
``Scenario.resolve`` turns one period into the plain arrays of
:class:`Resolved` that every engine uses (docs/semantics.md); ``Plan`` is an
initiative schedule with optional agents per pool and period.
"""

from __future__ import annotations

from .choices import (
    AgentSelection,
    AtClose,
    ClosedHours,
    DelayDistribution,
    DistributionFamily,
    OnTimeout,
    SkillSelection,
)
from .fields import TargetMode
from .io import load_scenario
from .models import (
    Budget,
    Busyness,
    Channel,
    Cost,
    Distribution,
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
    Route,
    Scenario,
    Shift,
    Target,
    Targets,
    TimeoutTo,
)
from .plan import Plan, load_plan
from .resolved import ChannelKind, DistributionSpec, Resolved

__all__ = [
    "AgentSelection",
    "AtClose",
    "Budget",
    "Busyness",
    "Channel",
    "ChannelKind",
    "ClosedHours",
    "Cost",
    "DelayDistribution",
    "Distribution",
    "DistributionFamily",
    "DistributionSpec",
    "Economics",
    "Effect",
    "Experience",
    "HandoffFactor",
    "Initiative",
    "Journeys",
    "OnTimeout",
    "Periods",
    "Plan",
    "Pool",
    "Repeats",
    "Resolved",
    "Retrials",
    "Route",
    "Scenario",
    "Shift",
    "SkillSelection",
    "Target",
    "TargetMode",
    "Targets",
    "TimeoutTo",
    "load_plan",
    "load_scenario",
]
