"""The Pareto frontier of plans over the initiative budget."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pandas as pd

from .._display import progress_caller
from .model import _optimize

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["pareto"]


def pareto(
    scenario: Scenario,
    budgets: Iterable[float],
    solver: str = "highs",
    time_limit: float | None = None,
    *,
    gap: float = 0.01,
    progress: Callable[..., object] | None = None,
) -> pd.DataFrame:
    """Non-dominated plans over the total initiative budget.

    One plan is optimised per budget (``budget.total`` replaced, the
    per-period budgets kept) and re-measured exactly. A plan is dominated when
    another plan spends no more on initiatives and reaches at least the same
    objective, one of them strictly; dominated plans and repeats of the same
    plan (a budget that does not bind) are dropped.

    Parameters
    ----------
    scenario : Scenario
    budgets : iterable of float
        Total initiative budgets to try (money).
    solver, time_limit, gap : see :func:`optimize`
    progress : callable, optional
        ``progress(done, total, message)``: budgets done out of all.

    Returns
    -------
    DataFrame
        One row per non-dominated plan, by spending: ``budget`` (the smallest
        budget that gave the plan), ``spending`` (initiative spending,
        undiscounted), ``objective``, ``npv``, ``effort_points``,
        ``agent_cost`` (undiscounted), ``initiatives`` (started, by start
        period), ``starts`` (dict), ``feasible``, ``plan`` (the Plan).
    """
    budgets = sorted(float(b) for b in budgets)
    if not budgets:
        raise ValueError("The 'budgets' parameter of pareto must hold at least one budget; got [].")
    for b in budgets:
        if b < 0:
            raise ValueError(f"The 'budgets' parameter of pareto must be >= 0; got {b!r}.")
    rows = []
    seen: set[tuple] = set()
    for i, b in enumerate(budgets):
        if progress is not None:
            progress_caller(progress)(i, len(budgets), f"budget {b:,.0f}")
        res = _optimize(scenario, b, solver, time_limit, gap=gap)
        sig = tuple(sorted(res.plan.starts.items()))
        if sig in seen:
            continue
        seen.add(sig)
        ev = res.evaluation
        rows.append(
            {
                "budget": b,
                "spending": float(ev.money["initiative_spending"].sum()),
                "objective": ev.objective,
                "npv": ev.npv,
                "effort_points": ev.effort_points,
                "agent_cost": float(ev.money["agent_cost"].sum()),
                "initiatives": ", ".join(
                    sorted(res.plan.starts, key=lambda n: (res.plan.starts[n], n))
                ),
                "starts": dict(res.plan.starts),
                "feasible": ev.feasible,
                "plan": res.plan,
            }
        )
    if progress is not None:
        progress_caller(progress)(len(budgets), len(budgets), "done")
    table = pd.DataFrame(rows).sort_values(["spending", "objective"], ascending=[True, False])
    keep = []
    best = float("-inf")
    for _, row in table.iterrows():
        # Sorted by spending: a row survives when it beats every cheaper plan.
        if row["objective"] > best + 1e-9:
            keep.append(True)
            best = row["objective"]
        else:
            keep.append(False)
    return table[keep].reset_index(drop=True)
