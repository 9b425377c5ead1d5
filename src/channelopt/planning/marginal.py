"""Marginal value of budget and headcount by finite differences of re-optimisation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._display import progress_caller
from ._common import _budget, _n_periods
from .evaluate import PlanEvaluation
from .model import Progress, _optimize

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["marginal_values"]


def _usage(ev: PlanEvaluation, limit: str, t: int | None, subject: str) -> float:
    """How much of a limit the evaluated plan uses (money or agents on duty)."""
    if limit == "budget.total":
        return float(ev.money["initiative_spending"].sum())
    if limit == "budget.per_period":
        return float(ev.money["initiative_spending"].iloc[int(t or 0)])
    rows = ev.pools[(ev.pools["pool"] == subject) & (ev.pools["period"] == t)]
    return float(rows["peak_agents"].iloc[0])


def marginal_values(
    scenario: Scenario,
    budget: Any = None,
    solver: str = "highs",
    *,
    budget_step: float | None = None,
    agent_step: float = 1.0,
    gap: float = 1e-4,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Marginal value of budget and headcount, by finite differences of re-optimisation.

    For the total budget, each period's budget and each pool's ``max_agents``
    in each period, the limit is relaxed by one step, the portfolio
    re-optimised and re-evaluated exactly; the marginal value is the change of
    the exact objective per unit (money per money of budget, money per agent).
    Limits that are unbounded are skipped.

    Parameters
    ----------
    scenario : Scenario
    budget : float or mapping, optional
        As in :func:`optimize`.
    solver : {"highs", "cbc"}
    budget_step : float, optional
        Step of budget (money); default 5 % of the total budget, else 5 % of the
        largest per-period budget, else 100,000.
    agent_step : float, default 1
        Step of headcount (agents on duty).
    gap : float, default 1e-4
        Optimality gap used for every solve (small, so differences are not noise).
    progress : callable, optional
        ``progress(done, total, message)``: cases done out of all.

    Returns
    -------
    DataFrame
        Columns ``limit, period, subject, value, used, binding, step,
        objective, objective_relaxed, marginal_value`` (one row per limit).
        ``used`` is what the optimal plan uses of the limit (exact); a limit
        that is not binding has marginal value 0 without a re-solve.
    """
    from ..scenario import Plan  # noqa: F401 - keeps the layer import explicit

    T = _n_periods(scenario)
    total, per = _budget(scenario, budget)
    if budget_step is None:
        if math.isfinite(total):
            budget_step = 0.05 * total
        elif np.isfinite(per).any():
            budget_step = 0.05 * float(np.nanmax(np.where(np.isfinite(per), per, np.nan)))
        else:
            budget_step = 100_000.0
        budget_step = max(budget_step, 1.0)
    ref = _optimize(scenario, budget, solver, None, gap=gap)
    obj = ref.evaluation.objective
    rows = []
    cases: list[tuple[str, int | None, str, float, Any, Any]] = []
    if math.isfinite(total):
        cases.append(
            (
                "budget.total",
                None,
                "",
                total,
                {"total": total + budget_step, "per_period": list(per)},
                None,
            )
        )
    for t in range(T):
        if math.isfinite(per[t]):
            new = list(per)
            new[t] = per[t] + budget_step
            cases.append(
                (
                    "budget.per_period",
                    t,
                    "",
                    float(per[t]),
                    {"total": total, "per_period": new},
                    None,
                )
            )
    base = scenario.resolve(0, {})
    for p, pool in enumerate(base.pools):
        capv = float(base.pool_max_agents[p])
        if math.isfinite(capv):
            for t in range(T):
                cases.append(("max_agents", t, pool, capv, budget, {(pool, t): agent_step}))
    for i, (limit, period, subject, value, b, cap_delta) in enumerate(cases):
        if progress is not None:
            progress_caller(progress)(
                i, len(cases), f"relaxing {limit} {subject} {'' if period is None else period}"
            )
        if isinstance(b, dict):
            b = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in b.items()}
            if b.get("per_period") is not None and all(math.isinf(v) for v in b["per_period"]):
                b["per_period"] = None
        step = agent_step if cap_delta else budget_step
        used = _usage(ref.evaluation, limit, period, subject)
        binding = used >= value - 1e-6 * max(1.0, abs(value))
        if binding:
            res = _optimize(scenario, b, solver, None, gap=gap, cap_delta=cap_delta)
            relaxed = res.evaluation.objective
        else:
            # A limit with slack at the optimum does not move it: no re-solve needed.
            relaxed = obj
        rows.append(
            {
                "limit": limit,
                "period": period,
                "subject": subject,
                "value": value,
                "used": used,
                "binding": binding,
                "step": step,
                "objective": obj,
                "objective_relaxed": relaxed,
                "marginal_value": (relaxed - obj) / step,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "limit",
            "period",
            "subject",
            "value",
            "used",
            "binding",
            "step",
            "objective",
            "objective_relaxed",
            "marginal_value",
        ],
    )
