"""Scenario accessors and money helpers shared by evaluation and the model.

Facts about a scenario (periods, lead and ramp, budgets, discount factors,
target mode) come from the model layer (:class:`~channelopt.scenario.Scenario`
and its parts); this module only adds the caller's budget override.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..scenario import Initiative, Scenario

__all__ = ["discount_factors", "fraction_in_force", "initial_fte"]


def _n_periods(scenario: Scenario) -> int:
    return int(scenario.n_periods)


def _initiative_names(scenario: Scenario) -> list[str]:
    return list(scenario.initiative_names)


def _initiative(scenario: Scenario, name: str) -> Initiative:
    return scenario.initiatives[name]


def _lead_ramp(ini: Initiative) -> tuple[int, int]:
    """(lead time, ramp) in periods; the ramp at least 1, as the ramp rule uses it."""
    return int(ini.lead_time), int(ini.ramp_periods)


def fraction_in_force(start: int | None, period: int, lead_time: int, ramp: int) -> float:
    """Fraction of an initiative's effect in force in ``period`` (DESIGN.md).

    A thin alias of :meth:`channelopt.scenario.Initiative.fraction`, the one
    implementation of the ramp rule.

    Parameters
    ----------
    start : int or None
        Start period (0-based); ``None`` means never started.
    period : int
        The period asked about.
    lead_time : int
        Periods between start and first effect.
    ramp : int
        Periods over which the effect grows linearly to full size (0 or 1: at once).

    Returns
    -------
    float
        ``min(1, (t - s - L + 1) / max(R, 1))`` for ``t >= s + L``, else 0.

    Examples
    --------
    >>> fraction_in_force(0, 2, lead_time=1, ramp=2)
    1.0
    >>> fraction_in_force(0, 1, lead_time=1, ramp=2)
    0.5
    """
    ini = Initiative.model_construct(lead_time=int(lead_time), ramp=int(ramp))
    return ini.fraction(start, period)


def discount_factors(scenario: Any) -> np.ndarray:
    """Discount factor of each period, shape (T,): ``Scenario.discount_factors()``.

    ``(1 + r) ** -(t x years per period)`` with the annual ``economics.discount_rate``
    and the years per period of ``periods.length``; period 0 has factor 1.
    """
    return np.asarray(scenario.discount_factors(), dtype=float)


def _budget(scenario: Scenario, budget: Any) -> tuple[float, np.ndarray]:
    """(total, per_period array) of the initiative budget; inf where unbounded.

    The scenario's :meth:`~channelopt.scenario.Scenario.budget_limits`, with
    ``budget`` (a number: the total; a mapping: ``total`` / ``per_period``)
    overriding them.
    """
    T = _n_periods(scenario)
    total, per = scenario.budget_limits()
    per = np.array(per, dtype=float)  # a copy: the override below may replace it
    if budget is not None:
        if isinstance(budget, Mapping):
            if budget.get("total") is not None:
                total = float(budget["total"])
            if budget.get("per_period") is not None:
                per = _per_period_array(budget["per_period"], T, "budget.per_period")
        else:
            try:
                total = float(budget)
            except (TypeError, ValueError):
                raise ValueError(
                    "The 'budget' parameter must be a number (total initiative budget), a "
                    f"mapping with 'total'/'per_period', or None; got {budget!r} instead."
                ) from None
            if total < 0 or math.isnan(total):
                raise ValueError(f"The 'budget' parameter must be >= 0; got {budget!r} instead.")
    return total, per


def _per_period_array(value: Any, T: int, what: str) -> np.ndarray:
    if isinstance(value, int | float):
        return np.full(T, float(value))
    arr = np.asarray(list(value), dtype=float)
    if arr.shape != (T,):
        raise ValueError(f"{what} must have one entry per period ({T}); got {list(value)!r}")
    return arr


def _target_mode(scenario: Scenario) -> tuple[bool, float]:
    """(soft targets?, money per service-level point missed: 0 when hard)."""
    return scenario.targets.soft, scenario.targets.penalty


def initial_fte(base: Any, days: float, hours_per_fte: float, open_hours: np.ndarray) -> np.ndarray:
    """FTE of today's roster per pool: ``agents`` on duty in every open interval.

    ``agents / (1 - shrinkage) x open hours per day x days / hours_per_fte``;
    nan where the roster is unknown.
    """
    agents = np.asarray(base.pool_agents, dtype=float)
    shrink = np.asarray(base.pool_shrinkage, dtype=float)
    return agents / (1.0 - shrink) * open_hours * days / hours_per_fte
