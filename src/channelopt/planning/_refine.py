"""Exact local moves that polish a plan found by the log-space model."""

from __future__ import annotations

from typing import Any

from ._common import _n_periods
from .evaluate import PlanEvaluation, _dependants, evaluate


def _polish(
    scenario: Any, plan: Any, ev: PlanEvaluation, budget: Any, limit: int
) -> tuple[Any, PlanEvaluation, int]:
    """Improve a plan by single exact moves while the exact objective rises.

    A safeguard for the log-space approximation. Moves, in order: drop a
    started initiative (with the started initiatives that require it), then
    start one a period earlier or later. Each candidate is measured with
    :func:`evaluate` (cached staffing) and accepted only when it is feasible and
    better; the first improving move is taken and the search restarts, until no
    move helps or ``limit`` evaluations are spent.
    """
    from ..scenario import Plan

    T = _n_periods(scenario)
    used = 0

    def candidates(starts: dict[str, int]) -> list[dict[str, int]]:
        out = []
        for name in sorted(starts, key=lambda n: (-starts[n], n)):
            drop = _dependants(scenario, name, starts)
            out.append({k: v for k, v in starts.items() if k not in drop})
        for name in sorted(starts):
            for step in (-1, 1):
                s = starts[name] + step
                if 0 <= s < T:
                    moved = dict(starts)
                    moved[name] = s
                    if not scenario.check_starts(moved):
                        out.append(moved)
        return out

    improved = True
    while improved and used < limit:
        improved = False
        for cand_starts in candidates(dict(plan.starts)):
            if used >= limit:
                break
            cand = Plan(starts=cand_starts, agents=None, name=plan.name)
            cev = evaluate(scenario, cand, budget=budget)
            used += 1
            if cev.feasible and cev.objective > ev.objective + 1e-6 * max(1.0, abs(ev.objective)):
                plan, ev, improved = cand, cev, True
                break
    return plan, ev, used
