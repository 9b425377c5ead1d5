"""Plans, their exact evaluation, the portfolio MILP and the Pareto frontier.

Models are built and solved through :mod:`channelopt.solver` (the one PuLP adapter).
"""

from __future__ import annotations

from ..scenario import Plan
from .evaluate import (
    PlanEvaluation,
    Violation,
    ViolationKind,
    clear_cache,
    discount_factors,
    evaluate,
)
from .marginal import marginal_values
from .model import OptimizationResult, optimize, plan_timeline
from .pareto import pareto

__all__ = [
    "OptimizationResult",
    "Plan",
    "PlanEvaluation",
    "Violation",
    "ViolationKind",
    "clear_cache",
    "discount_factors",
    "evaluate",
    "marginal_values",
    "optimize",
    "pareto",
    "plan_timeline",
]
