"""channelopt: plan an omni-channel contact centre as one system.

Three engines share one scenario model: Numba-compiled Erlang kernels for
staffing (:mod:`channelopt.queueing`, :mod:`channelopt.staffing`), a SimPy
discrete-event simulation of contacts and journeys (:mod:`channelopt.simulation`)
and a PuLP mixed-integer program for the initiative portfolio
(:mod:`channelopt.planning`). :mod:`channelopt.whatif` runs sweeps and
comparisons; :mod:`channelopt.reporting` draws them.

Names are imported lazily (PEP 562) so that ``import channelopt`` and the
``channelopt validate`` command stay fast: Numba, SimPy and PuLP load only when
their engine is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .provenance import VERSION

__version__ = VERSION

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "ChannelOptError": "errors",
    "DataError": "errors",
    "InfeasibleError": "errors",
    "ScenarioError": "errors",
    "SolverError": "errors",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "Plan": "planning",
    "PlanEvaluation": "planning",
    "evaluate": "planning",
    "optimize": "planning",
    "pareto": "planning",
    "erlang_b": "queueing",
    "erlang_c": "queueing",
    "wait_probability": "queueing",
    "service_level": "queueing",
    "average_wait": "queueing",
    "abandonment": "queueing",
    "occupancy": "queueing",
    "required_agents": "queueing",
    "staff": "staffing",
    "StaffingResult": "staffing",
    "schedule": "scheduling",
    "Schedule": "scheduling",
    "simulate": "simulation",
    "SimulationResult": "simulation",
    "sweep": "whatif",
    "compare": "whatif",
    "report": "reporting",
    "read_contacts": "data",
    "ContactRecords": "data",
    "inventory": "data",
    "calibrate": "data",
    "forecast": "data",
    "actuals": "data",
}

__all__ = [
    "ChannelOptError",
    "ContactRecords",
    "DataError",
    "InfeasibleError",
    "Plan",
    "PlanEvaluation",
    "Scenario",
    "ScenarioError",
    "Schedule",
    "SimulationResult",
    "SolverError",
    "StaffingResult",
    "__version__",
    "abandonment",
    "actuals",
    "average_wait",
    "calibrate",
    "compare",
    "erlang_b",
    "erlang_c",
    "evaluate",
    "forecast",
    "inventory",
    "load_scenario",
    "occupancy",
    "optimize",
    "pareto",
    "read_contacts",
    "report",
    "required_agents",
    "schedule",
    "service_level",
    "simulate",
    "staff",
    "sweep",
    "wait_probability",
]

if TYPE_CHECKING:  # pragma: no cover
    from .data import ContactRecords, actuals, calibrate, forecast, inventory, read_contacts
    from .errors import ChannelOptError, DataError, InfeasibleError, ScenarioError, SolverError
    from .planning import Plan, PlanEvaluation, evaluate, optimize, pareto
    from .queueing import (
        abandonment,
        average_wait,
        erlang_b,
        erlang_c,
        occupancy,
        required_agents,
        service_level,
        wait_probability,
    )
    from .reporting import report
    from .scenario import Scenario, load_scenario
    from .scheduling import Schedule, schedule
    from .simulation import SimulationResult, simulate
    from .staffing import StaffingResult, staff
    from .whatif import compare, sweep


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'channelopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
