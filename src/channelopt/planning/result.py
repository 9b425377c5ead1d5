"""What the optimiser returns, and the plan timeline for display."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._common import _initiative, _n_periods
from .evaluate import PlanEvaluation

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["OptimizationResult", "plan_timeline"]


@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """How :func:`optimize` found its plan: the returned plan's ``.optimization``.

    Attributes
    ----------
    plan : Plan
        The chosen plan.
    evaluation : PlanEvaluation
        Its exact re-measurement.
    estimate : float
        The model's own estimate of the objective (money).
    baseline : float
        Exact objective of doing nothing (no initiative), money.
    gap : float
        Relative gap on the improvement over doing nothing that the solver
        proved (nan when not reported).
    status : str
        ``optimal`` (within the requested gap) or ``feasible`` (time limit).
    modes : dict
        Group of channels -> ``"exact"`` or ``"log-space"``.
    seconds : dict
        ``build``, ``solve``, ``evaluate`` wall times and ``build_cpu``,
        ``solve_cpu``, ``evaluate_cpu`` CPU times of this process (s).
    size : dict
        ``variables``, ``constraints``, ``staffing_calls``.
    solver : str
        ``highs`` or ``cbc``.
    refinement : SimulationRefinement or None
        ``refine="simulation"``: the candidates re-measured by simulation and
        the kept plan's repaired staffing (``planning._simrefine``).
    """

    plan: Any
    evaluation: PlanEvaluation
    estimate: float
    baseline: float
    gap: float
    status: str
    modes: dict[str, str]
    seconds: dict[str, float]
    size: dict[str, int]
    solver: str
    binding: dict[str, float] = field(default_factory=dict)
    refinement: Any = None

    def _facts(self) -> dict[str, object]:
        starts = dict(getattr(self.plan, "starts", {}) or {})
        return {
            "plan": ", ".join(f"{k}@{v}" for k, v in sorted(starts.items(), key=lambda kv: kv[1]))
            or "do nothing",
            "improvement": round(float(self.improvement), 2),
            "estimate": round(float(self.estimate), 2),
            "status": self.status,
            "solver": self.solver,
        }

    def __repr__(self) -> str:
        from .._display import short_repr

        return short_repr("OptimizationResult", self._facts(), ".plan, .evaluation, .timeline()")

    def _repr_html_(self) -> str:
        from .._display import html_repr

        return html_repr("OptimizationResult", self._facts(), self.timeline())

    @property
    def improvement(self) -> float:
        """Exact objective minus the do-nothing objective (money)."""
        return self.evaluation.objective - self.baseline

    def timeline(self) -> pd.DataFrame:
        """Plan as plain data for display: one row per initiative, one column per period.

        Cells: ``"start"`` in the start period, ``"lead"`` during the lead
        time, the fraction in force (``"50%"``, ``"100%"``) after; ``""`` before.
        """
        return plan_timeline(self.evaluation._scenario, self.plan)


def plan_timeline(scenario: Scenario, plan: Any) -> pd.DataFrame:
    """Initiative x period table of a plan (strings), for the command line.

    Parameters
    ----------
    scenario : Scenario
    plan : Plan

    Returns
    -------
    DataFrame
        Index: initiative (started ones, by start period); columns: period numbers.
    """
    T = _n_periods(scenario)
    starts = dict(getattr(plan, "starts", plan) or {})
    rows = {}
    for name in sorted(starts, key=lambda n: (starts[n], n)):
        s = int(starts[name])
        ini = _initiative(scenario, name)
        cells = []
        for t in range(T):
            f = ini.fraction(s, t)
            if t < s:
                cells.append("")
            elif f > 0:
                cells.append(f"{f:.0%}")
            elif t == s:
                cells.append("start")
            else:
                cells.append("lead")
        rows[name] = cells
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(range(T)))
