"""``optimize(..., refine="simulation")``: the plan and its runners-up re-measured by simulation.

Steps (docs/planning.md, "Refining by simulation"):

1. **Runners-up.** The single moves around the optimiser's plan (drop a
   started initiative with those that require it; start one a period earlier
   or later; start one not chosen in the period that suits it best) are
   evaluated exactly; the feasible ones whose analytic objective lies within
   ``within`` (a fraction of the improvement over doing nothing) of the
   chosen plan's, best first, at most ``runners_up`` of them, join the plan.
2. **Re-measured.** Every candidate's staffing (``staff``, period by period)
   is simulated with the same seeds (common random numbers, so the
   comparison is not blurred by sampling noise). Its simulated objective is
   the analytic objective with the lost contacts replaced by the simulated
   ones (discounted, at ``value_per_lost_contact``); effort points and
   repeats stay analytic.
3. **The best kept**, by simulated objective.
4. **Repaired.** Per period, agents are added where a channel misses a
   day-level target in the simulation at ``confidence`` (one-sided), as
   ``staff(method="simulation")``'s repair does, until every target holds
   or ``rounds`` repairs are spent; the extra agent cost and the repaired
   staffing's simulated lost contacts enter the simulated objective.

The chosen plan's starts are returned (a :class:`Plan` fixes at most one
number of agents per pool and period, so the repaired per-interval staffing
is returned beside it, in :attr:`OptimizationResult.refinement`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .._display import progress_caller
from ._common import _n_periods
from .evaluate import PlanEvaluation, _dependants, evaluate

__all__ = ["SimulationRefinement", "check_refine", "refine_by_simulation"]

REFINE_METHODS = ("simulation",)


@dataclass(frozen=True, eq=False)
class SimulationRefinement:
    """What ``refine="simulation"`` measured (``OptimizationResult.refinement``).

    Attributes
    ----------
    candidates : DataFrame
        One row per plan re-measured: ``plan`` (starts as text), ``analytic_objective``,
        ``simulated_lost`` (contacts over the horizon), ``simulated_objective``
        (money), ``chosen``.
    staffing : dict of int to StaffingResult
        Period -> the chosen plan's repaired staffing (pool agents per interval,
        evaluated analytically at those agents); ``.simulated`` holds the
        day-level KPIs the simulation measured there.
    objective : float
        The chosen plan's simulated objective after the repair (money).
    extra_agent_cost : float
        Discounted agent cost the repair added over the horizon (money).
    targets_met : bool
        Every day-level target holds in the simulation in every period.
    replications, seed : int
        Of the simulations (period t uses seed + t).
    notes : list of str
        What could not be done (a period whose targets the repair did not reach).
    """

    candidates: pd.DataFrame
    staffing: dict[int, Any]
    objective: float
    extra_agent_cost: float
    targets_met: bool
    replications: int
    seed: int
    notes: list[str] = field(default_factory=list)


def _label(starts: dict[str, int]) -> str:
    return ", ".join(f"{k}@{v}" for k, v in sorted(starts.items(), key=lambda kv: (kv[1], kv[0])))


def _neighbours(scenario: Any, starts: dict[str, int], T: int) -> list[dict[str, int]]:
    out: list[dict[str, int]] = []
    for name in sorted(starts):
        drop = _dependants(scenario, name, starts)
        out.append({k: v for k, v in starts.items() if k not in drop})
        for step in (-1, 1):
            s = starts[name] + step
            if 0 <= s < T:
                out.append({**starts, name: s})
    for name in scenario.initiatives:
        if name not in starts:
            out.extend({**starts, name: s} for s in range(T))
    seen, unique = set(), []
    for cand in out:
        key = tuple(sorted(cand.items()))
        if key not in seen and not scenario.check_starts(cand):
            seen.add(key)
            unique.append(cand)
    return unique


def _simulate_plan(
    scenario: Any,
    plan: Any,
    ev: PlanEvaluation,
    *,
    replications: int,
    seed: int,
    confidence: float,
    rounds: int,
    tick: Any,
    staffed: dict[int, Any] | None = None,
    runs: dict[tuple[bytes, bytes, int], Any] | None = None,
) -> tuple[float, float, dict[int, Any], list[str], bool, float]:
    """(simulated objective, simulated lost contacts, staffing per period, notes,
    targets met, extra agent cost) of ``plan``; ``rounds=0``: measure only.

    ``staffed`` (period -> the plan's ``staff`` result) and ``runs`` ((resolved
    period's fingerprint, agents, seed) -> the first simulation, as
    :class:`Repaired`) are read and filled: with common random numbers a
    simulation is a function of the resolved period, the agents and the seed, so
    one already made (the chosen plan's, measured before its repair; a
    runner-up whose period is the same system with the same agents) is not
    made again."""
    from ..staffing import staff
    from ..staffing._simopt import repair_in_simulation

    days = float(scenario.periods.days)
    v_lost = float(scenario.economics.value_per_lost_contact)
    money = ev.money.set_index("period")
    objective = float(ev.objective)
    lost_total = 0.0
    extra_total = 0.0
    staffing: dict[int, Any] = {}
    notes: list[str] = []
    met = True
    for t in range(_n_periods(scenario)):
        st = staffed.get(t) if staffed is not None else None
        if st is None:
            st = staff(scenario, t, plan)
            if staffed is not None:
                staffed[t] = st
        r = st.resolved
        ni, P = r.n_intervals, len(r.pools)
        y0 = st.pools["agents"].to_numpy().reshape(P, ni).T.astype(float)
        key = (_fingerprint(r), np.rint(y0).astype(np.int64).tobytes(), seed + t)
        known = runs.get(key) if runs is not None else None
        fix = repair_in_simulation(
            r,
            y0,
            replications=replications,
            seed=seed + t,
            confidence=confidence,
            rounds=rounds,
            first=known.first if known is not None else None,
        )
        if runs is not None and known is None:
            runs[key] = fix
        tick(f"period {t}: simulated")
        df = float(money.loc[t, "discount_factor"])
        cost = (r.pool_cost_per_hour / (1.0 - r.pool_shrinkage)) * (r.interval_s / 3600.0)
        extra = df * days * float(((fix.agents - y0) * cost[None, :]).sum())
        lost = days * fix.lost_per_day
        objective += df * v_lost * (float(money.loc[t, "lost_contacts"]) - lost) - extra
        lost_total += lost
        extra_total += extra
        met = met and fix.ok
        if not fix.ok:
            notes.append(f"period {t}: a target still misses in simulation after {rounds} repairs")
        if rounds > 0:
            from ..staffing import staff_resolved

            repaired = staff_resolved(r, agents=np.rint(fix.agents).astype(np.int64))
            staffing[t] = replace(repaired, method="simulation", simulated=fix.table)
    return objective, lost_total, staffing, notes, met, extra_total


def _fingerprint(resolved: Any) -> bytes:
    """A digest of every field of a resolved period (what a simulation depends on).

    Arrays are hashed by their bytes wherever they sit (nested in a distribution's
    dataclass, a tuple): a ``repr`` would print an array to 8 digits, so two
    periods whose empirical samples differ beyond that would share a digest and
    one would be handed the other's simulation.
    """
    h = hashlib.blake2b(digest_size=20)
    _feed(h, resolved)
    return h.digest()


def _feed(h: Any, value: Any) -> None:
    """Add ``value`` to the digest ``h``: arrays by bytes, containers item by item."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        h.update(f"array{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"{type(value).__qualname__}(".encode())
        for f in dataclasses.fields(value):
            h.update(f.name.encode())
            _feed(h, getattr(value, f.name))
        h.update(b")")
    elif isinstance(value, (tuple, list, np.ndarray)):  # an ndarray here holds objects
        h.update(f"{type(value).__name__}{len(value)}[".encode())
        for item in value:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(value, dict):
        h.update(f"dict{len(value)}{{".encode())
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
        h.update(b"}")
    else:
        h.update(f"{type(value).__name__}:{value!r};".encode())


def check_refine(refine: Any, replications: Any, staffing: str = "requirement") -> None:
    """Raise ``ValueError`` for a bad ``refine`` / ``replications`` before any work."""
    if refine not in REFINE_METHODS:
        raise ValueError(
            f"The 'refine' argument of optimize must be None or 'simulation'; got {refine!r}"
        )
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise ValueError(
            f"The 'replications' argument of optimize must be an integer >= 2; got {replications!r}"
        )
    if staffing != "requirement":
        raise ValueError(
            "refine='simulation' re-measures the requirement staffing; it cannot be combined "
            f"with staffing={staffing!r}"
        )


def refine_by_simulation(
    scenario: Any,
    result: Any,
    refine: str,
    *,
    budget: Any = None,
    replications: int = 10,
    seed: int = 0,
    runners_up: int = 2,
    within: float = 0.05,
    confidence: float = 0.95,
    rounds: int = 6,
    progress: Any = None,
) -> Any:
    """Re-measure ``result.plan`` and its runners-up by simulation; keep and repair the best.

    Parameters
    ----------
    scenario : Scenario
    result : OptimizationResult
        What the analytic optimiser found.
    refine : {"simulation"}
    budget : optional
        As in :func:`optimize`.
    replications, seed : int
        Simulated days per period and candidate; period t uses ``seed + t``
        for every candidate (common random numbers).
    runners_up : int, default 2
        At most this many other plans re-measured.
    within : float, default 0.05
        Runners-up lie within this fraction of the chosen plan's improvement
        over doing nothing (analytic objective; at least 1 money unit).
    confidence : float, default 0.95
        One-sided confidence at which the repaired staffing meets each target.
    rounds : int, default 6
        Repairs per period at most.
    progress : callable, optional
        ``progress(done, total, message)`` after each simulated period.

    Returns
    -------
    OptimizationResult
        With ``plan`` and ``evaluation`` of the plan kept and ``refinement``
        (:class:`SimulationRefinement`).
    """
    check_refine(refine, replications)
    from ..scenario import Plan

    T = _n_periods(scenario)
    chosen = result.plan
    ev0 = result.evaluation
    starts0 = dict(chosen.starts)
    slack = within * max(abs(float(result.improvement)), 1.0)
    scored = []
    for cand in _neighbours(scenario, starts0, T):
        cev = evaluate(scenario, Plan(starts=cand), budget=budget)
        if cev.feasible and cev.objective >= ev0.objective - slack:
            scored.append((cev.objective, _label(cand), cand, cev))
    scored.sort(key=lambda s: (-s[0], s[1]))
    plans = [(chosen, ev0)] + [(Plan(starts=s[2]), s[3]) for s in scored[: max(runners_up, 0)]]
    total = T * (len(plans) + 1)
    done = 0

    def tick(message: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress_caller(progress)(min(done, total), total, message)

    rows = []
    staffed: list[dict[int, Any]] = [{} for _ in plans]
    runs: dict[tuple[bytes, bytes, int], Any] = {}
    for i, (plan, ev) in enumerate(plans):
        obj, lost, _st, _notes, _met, _extra = _simulate_plan(
            scenario,
            plan,
            ev,
            replications=replications,
            seed=seed,
            confidence=confidence,
            rounds=0,
            tick=tick,
            staffed=staffed[i],
            runs=runs,
        )
        rows.append(
            {
                "plan": _label(dict(plan.starts)) or "do nothing",
                "analytic_objective": float(ev.objective),
                "simulated_lost": lost,
                "simulated_objective": obj,
                "chosen": False,
            }
        )
    best = max(range(len(plans)), key=lambda i: (rows[i]["simulated_objective"], -i))
    rows[best]["chosen"] = True
    plan, ev = plans[best]
    obj, _lost, staffing, notes, met, extra = _simulate_plan(
        scenario,
        plan,
        ev,
        replications=replications,
        seed=seed,
        confidence=confidence,
        rounds=rounds,
        tick=tick,
        staffed=staffed[best],
        runs=runs,  # the first run of each period is not made again
    )
    refinement = SimulationRefinement(
        candidates=pd.DataFrame(rows),
        staffing=staffing,
        objective=obj,
        extra_agent_cost=extra,
        targets_met=met,
        replications=replications,
        seed=seed,
        notes=notes,
    )
    return replace(result, plan=plan, evaluation=ev, refinement=refinement)
