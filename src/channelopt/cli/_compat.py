"""Small adapters between the command line and the engines' result objects.

The command line only needs a few things from each result (a tidy table, a
plan's starts, a plan file); these helpers name them in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import BadInputError

if TYPE_CHECKING:  # pragma: no cover
    from channelopt.scenario import Resolved, Scenario

__all__ = ["add_plans", "load_plan", "plan_yaml", "resolve_base", "save_plan"]


def resolve_base(scenario: Scenario) -> Resolved:
    """Period 0 of the scenario with no initiative in force."""
    return scenario.resolve(0)


def load_plan(path: Path | str, scenario: Scenario) -> Any:
    """Read a plan YAML file (validated against the scenario)."""
    from channelopt.errors import ScenarioError
    from channelopt.scenario import Plan

    p = Path(path)
    if not p.exists():
        raise BadInputError(f"plan file {str(p)!r} does not exist")
    if p.is_dir():
        raise BadInputError(f"plan file {str(p)!r} is a directory; expected a YAML file")
    plan = Plan.load(p)
    problems = plan.problems_against(scenario)
    if problems:
        raise ScenarioError(problems, f"{p} (against scenario {scenario.name!r})")
    return plan


def add_plans(plans: dict[str, Any], paths: Iterable[Path], scenario: Scenario) -> None:
    """Load each plan file into ``plans``, named by the plan's name or the file stem
    (the full path when that name is taken)."""
    for path in paths:
        plan = load_plan(path, scenario)
        name = plan.name or path.stem
        plans[name if name not in plans else str(path)] = plan


def plan_yaml(plan: Any) -> str:
    """The YAML text of a plan."""
    return str(plan.to_yaml())


def save_plan(plan: Any, path: Path) -> Path:
    """Write a plan as YAML atomically."""
    from channelopt.reporting._atomic import atomic_write_text

    return atomic_write_text(path, plan_yaml(plan))
