"""The mixed-integer program that picks initiatives, their start periods and staffing.

Decision variables: ``x[k, s]`` = 1 when initiative k starts in period s (at
most one start each). Everything the starts change linearly (costs, budgets,
``value_per_period``, the fraction of each effect in force, ``requires`` and
``excludes``) is written exactly. The operating money of a period (agent cost,
lost contacts, repeats, effort, soft-target penalty) and the pools' headcount
and FTE are nonlinear in the effects; they are modelled per **group** of
channels coupled by hand-offs, repeats, shared pools or a common initiative:

* **exact mode** (few initiatives touch the group): every configuration of
  fractions in force of those initiatives is staffed once with the exact
  evaluation (:func:`~channelopt.planning.measure.measure_starts`) and a
  binary picks one configuration per group and period, linked to the start
  decisions. The model's objective then equals :func:`evaluate`'s.
* **log-space mode** (many initiatives): each channel's workload is written
  in log space, ``u = u0 + sum_k f_k d_k`` (linear in the starts; ``d_k`` is
  the log change of the channel's daily workload by initiative k alone,
  from the traffic equations), and its operating money, FTE hours and peak
  agents as convex piecewise-linear functions of ``u`` (tangent/secant cuts of
  the staffing curve sampled by scaling the period's arrivals). The chosen
  plan is re-measured with :func:`evaluate`; the estimate is reported beside.

The MILP objective is the **improvement over doing nothing** (constants
removed), so the solver's relative gap is a gap on the improvement.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._display import progress_caller
from ..errors import InfeasibleError, SolverError
from ..scenario.plan import Plan
from ..solver import _pulp
from ._common import (
    _budget,
    _initiative,
    _lead_ramp,
    _n_periods,
    _target_mode,
    discount_factors,
    initial_fte,
)
from ._logspace import _log_space_group
from ._refine import _polish
from ._structure import _Structure, _structure
from .evaluate import PlanEvaluation, ViolationKind, evaluate
from .measure import _scenario_key, measure_starts
from .result import OptimizationResult, plan_timeline

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["OptimizationResult", "optimize", "plan_timeline"]

#: progress(done, total, message) with total 100 (percent); see channelopt._display
Progress = Callable[..., object]


@dataclass
class _Built:
    model: _pulp.Model
    x: dict[tuple[str, int], Any]
    slacks: dict[str, tuple[Any, str, float]]  # label -> (var, description, limit)
    modes: dict[str, str]
    staffing_calls: int
    base_money: float  # discounted operating money of doing nothing (for the estimate)


def _levels(ini: Any, t: int) -> dict[float, list[int]]:
    """Fraction in force in period t -> start periods giving it (fractions > 0 only)."""
    out: dict[float, list[int]] = {}
    for s in range(t + 1):
        f = ini.fraction(s, t)
        if f > 0:
            out.setdefault(round(f, 12), []).append(s)
    return out


def _period_money(
    m: Any, chans: list[int], pools: list[int], ctx: dict[str, Any]
) -> tuple[float, np.ndarray, np.ndarray]:
    """(operating money of one period, pool peak agents, pool FTE) for a group."""
    days = ctx["days"]
    money = days * float(np.dot(m.pool_paid_hours[pools], ctx["cost_h"][pools])) if pools else 0.0
    money += days * ctx["v_lost"] * float(m.lost[chans].sum())
    money += days * ctx["v_rep"] * float(m.repeats[chans].sum())
    money += days * ctx["vpp"] * float(m.effort_points[chans].sum())
    if ctx["soft"]:
        money += ctx["penalty"] * float(m.sl_points_below[chans].sum())
    fte = days * m.pool_paid_hours[pools] / ctx["hours_per_fte"]
    return money, m.pool_peak_agents[pools], fte


class _Limits:
    """Adds ``expr <= limit`` constraints; elastic: with a priced slack, for diagnosis."""

    def __init__(self, model: _pulp.Model, elastic: bool) -> None:
        self.model = model
        self.elastic = elastic
        self.slacks: dict[str, tuple[Any, str, float]] = {}
        self.slack_terms: list[Any] = []

    def add(self, expr: Any, limit: float, label: str, what: str, scale: float) -> None:
        if not math.isfinite(limit):
            return
        if self.elastic:
            sv = self.model.continuous(f"slack_{len(self.slacks)}", 0.0)
            self.slacks[label] = (sv, what, limit)
            self.slack_terms.append(sv * (1.0 / max(scale, 1.0)))
            self.model.add(expr - sv <= limit, label)
        else:
            self.model.add(expr <= limit, label)


@dataclass
class _Terms:
    """Expressions collected while the model is built."""

    objective: list[Any]
    pool_peak: dict[tuple[int, int], list[Any]]  # (pool, period) -> agents on duty at the peak
    pool_fte: dict[tuple[int, int], list[Any]]  # (pool, period) -> FTE
    calls: int = 0  # staffing calls spent
    base_money: float = 0.0  # discounted operating money of doing nothing


def _money_context(scenario: Any, base: Any, calibrate: bool) -> dict[str, Any]:
    """The money and time constants every group's operating money needs."""
    soft, penalty = _target_mode(scenario)
    return {
        "days": float(scenario.periods.days),
        "hours_per_fte": float(scenario.periods.hours_per_fte),
        "cost_h": np.asarray(base.pool_cost_per_hour, dtype=float),
        "v_lost": float(scenario.economics.value_per_lost_contact),
        "v_rep": float(scenario.economics.value_per_repeat),
        "vpp": float(base.value_per_point),
        "soft": soft,
        "penalty": penalty,
        "key": _scenario_key(scenario),
        "calibrate": calibrate,
    }


def _start_variables(model: _pulp.Model, names: list[str], T: int) -> dict[tuple[str, int], Any]:
    """Binary ``x[k, s]``: initiative k starts in period s; at most one start each."""
    x: dict[tuple[str, int], Any] = {}
    for i, k in enumerate(names):
        for s in range(T):
            x[k, s] = model.binary(f"x_{i}_{s}")
        model.add(_pulp.lin(x[k, s] for s in range(T)) <= 1, f"one_start_{i}")
    return x


def _add_rules(
    model: _pulp.Model, scenario: Any, names: list[str], x: dict[tuple[str, int], Any], T: int
) -> None:
    """requires: B may start in s only if A started by s - lead(A); excludes: not both."""
    lin = _pulp.lin
    index = {k: i for i, k in enumerate(names)}
    for k in names:
        ini = _initiative(scenario, k)
        for req in ini.requires or ():
            lead_a, _ = _lead_ramp(_initiative(scenario, req))
            for s in range(T):
                earlier = [x[req, s2] for s2 in range(0, s - lead_a + 1)]
                model.add(x[k, s] <= lin(earlier), f"requires_{index[k]}_{index[req]}_{s}")
    # excludes may be declared on either side (or both): one constraint per unordered pair
    pairs = {
        tuple(sorted((index[k], index[ex])))
        for k in names
        for ex in (_initiative(scenario, k).excludes or ())
        if ex in index
    }
    for a, b in sorted(pairs):
        both = [x[names[a], s] for s in range(T)] + [x[names[b], s] for s in range(T)]
        model.add(lin(both) <= 1, f"excludes_{a}_{b}")


def _add_initiative_money(
    scenario: Any,
    names: list[str],
    x: dict[tuple[str, int], Any],
    T: int,
    df_t: np.ndarray,
    budget: Any,
    limits: _Limits,
    terms: _Terms,
) -> None:
    """Costs and ``value_per_period`` of the starts (exact), and the budgets on them."""
    # Rows as (variable, coefficient) pairs, each made into one expression at the end
    # (_pulp.lin_coefs): no PuLP expression per term.
    coefs = _pulp.lin_coefs
    total_budget, per_budget = _budget(scenario, budget)
    spend_total: list[tuple[Any, float]] = []
    spend_t: list[list[tuple[Any, float]]] = [[] for _ in range(T)]
    objective: list[tuple[Any, float]] = []
    for k in names:
        ini = _initiative(scenario, k)
        up, run, val = float(ini.cost.upfront), float(ini.cost.per_period), ini.value_per_period
        for s in range(T):
            coef = -df_t[s] * up
            for t in range(s, T):
                coef += df_t[t] * (float(val) * ini.fraction(s, t) - run)
                if run:
                    spend_t[t].append((x[k, s], run))
            if up:
                spend_t[s].append((x[k, s], up))
            if up + run * (T - s):
                spend_total.append((x[k, s], up + run * (T - s)))
            if coef:
                objective.append((x[k, s], coef))
    terms.objective.append(coefs(objective))
    scale = max(1.0, total_budget if math.isfinite(total_budget) else 1.0)
    limits.add(coefs(spend_total), total_budget, "budget_total", "budget.total", scale)
    for t in range(T):
        limits.add(
            coefs(spend_t[t]), per_budget[t], f"budget_t{t}", f"budget.per_period[{t}]", scale
        )


def _level_sets(scenario: Any, inits: list[str], T: int) -> list[dict[str, dict[float, list[int]]]]:
    """Per period: initiative -> fraction in force -> the start periods giving it."""
    out = []
    for t in range(T):
        lv = {}
        for k in inits:
            levels = _levels(_initiative(scenario, k), t)
            if levels:
                lv[k] = levels
        out.append(lv)
    return out


def _add_exact_group(
    scenario: Any,
    model: _pulp.Model,
    x: dict[tuple[str, int], Any],
    g: int,
    chans: list[int],
    pools: list[int],
    level_sets: list[dict[str, dict[float, list[int]]]],
    ctx: dict[str, Any],
    df_t: np.ndarray,
    terms: _Terms,
) -> None:
    """Exact mode: one binary per configuration of fractions in force, staffed exactly."""
    lin = _pulp.lin
    for t, lv in enumerate(level_sets):
        ks = list(lv)
        choices = [[0.0, *lv[k].keys()] for k in ks]
        configs = list(itertools.product(*choices))
        y: list[Any] = []  # solver 0/1 variables (None when there is one configuration)
        data = []
        for conf in configs:
            starts = {k: lv[k][f][0] for k, f in zip(ks, conf, strict=True) if f > 0}
            m = measure_starts(scenario, starts, t, key=ctx["key"])
            terms.calls += 1
            data.append(_period_money(m, chans, pools, ctx))
            y.append(model.binary(f"y_{g}_{t}_{len(y)}") if len(configs) > 1 else None)
        zero_money = data[0][0]  # the first configuration starts nothing
        terms.base_money += df_t[t] * zero_money
        if len(configs) == 1:
            _, peak, fte = data[0]
            for j, p in enumerate(pools):
                terms.pool_peak.setdefault((p, t), []).append(float(peak[j]))
                terms.pool_fte.setdefault((p, t), []).append(float(fte[j]))
            continue
        model.add(lin(y) == 1, f"config_{g}_{t}")
        for j_k, k in enumerate(ks):
            for f, ss in lv[k].items():
                chosen = [y[ci] for ci, conf in enumerate(configs) if conf[j_k] == f]
                model.add(lin(chosen) == lin(x[k, s] for s in ss), f"link_{g}_{t}_{j_k}_{f}")
        terms.objective.extend(
            -df_t[t] * (d[0] - zero_money) * y[ci]
            for ci, d in enumerate(data)
            if d[0] != zero_money
        )
        for j, p in enumerate(pools):
            terms.pool_peak.setdefault((p, t), []).append(
                lin(float(d[1][j]) * y[ci] for ci, d in enumerate(data))
            )
            terms.pool_fte.setdefault((p, t), []).append(
                lin(float(d[2][j]) * y[ci] for ci, d in enumerate(data))
            )


def _add_pool_limits(
    base: Any,
    T: int,
    ctx: dict[str, Any],
    terms: _Terms,
    limits: _Limits,
    cap_delta: Mapping[tuple[str, int], float] | None,
    tighten: Mapping[tuple[str, str, int], float] | None,
) -> None:
    """Headcount caps (``max_agents``) and hiring limits per pool and period."""
    lin = _pulp.lin
    cap = np.asarray(base.pool_max_agents, dtype=float)
    hires = np.asarray(base.pool_hires_per_period, dtype=float)
    attrition = np.asarray(base.pool_attrition, dtype=float)
    fte0 = initial_fte(base, ctx["days"], ctx["hours_per_fte"], _pool_open_hours(base))
    for p, pool in enumerate(base.pools):
        for t in range(T):
            limit = cap[p] + (cap_delta or {}).get((pool, t), 0.0)
            limit += (tighten or {}).get(("headcount", pool, t), 0.0)
            peak = terms.pool_peak.get((p, t))
            if peak is not None:
                limits.add(
                    lin(peak),
                    limit,
                    f"headcount_{p}_t{t}",
                    f"service targets in period {t} need {{need:.0f}} agents on duty in pool "
                    f"{pool}; max_agents is {limit:.0f}",
                    max(limit, 1.0),
                )
            now = terms.pool_fte.get((p, t))
            if not math.isfinite(hires[p]) or now is None:
                continue
            if t == 0:
                if math.isnan(fte0[p]):
                    continue  # today's roster unknown: nothing to hire against
                before: Any = (1 - attrition[p]) * fte0[p]
            else:
                before = (1 - attrition[p]) * lin(terms.pool_fte[(p, t - 1)])
            hire_limit = float(hires[p]) + (tighten or {}).get(("hiring", pool, t), 0.0)
            limits.add(
                lin(now) - before,
                hire_limit,
                f"hiring_{p}_t{t}",
                f"period {t} needs {{need:.1f}} FTE of hires in pool {pool} after "
                f"attrition; hires_per_period is {hires[p]:g}",
                max(float(hires[p]), 1.0),
            )


def _build(
    scenario: Any,
    st: _Structure,
    *,
    budget: Any,
    max_configs: int,
    mode: str,
    elastic: bool,
    cap_delta: Mapping[tuple[str, int], float] | None,
    progress: Progress | None,
    tighten: Mapping[tuple[str, str, int], float] | None = None,
    calibrate: bool = False,
) -> _Built:
    """The MILP: start variables, rules, initiative money and budgets, each group's
    operating money (exact or log space), then the pools' headcount and hiring limits."""
    names, T, base = st.names, st.T, st.base
    df_t = discount_factors(scenario)
    ctx = _money_context(scenario, base, calibrate)
    if SHARE_SAMPLES:  # samples and offsets of an earlier round (same scenario and groups)
        ctx.update(st.memo)
    model = _pulp.Model("channelopt_plan")
    x = _start_variables(model, names, T)
    _add_rules(model, scenario, names, x, T)
    limits = _Limits(model, elastic)
    terms = _Terms(objective=[], pool_peak={}, pool_fte={})
    _add_initiative_money(scenario, names, x, T, df_t, budget, limits, terms)

    # fraction in force of k in period t, linear in x: (variable, fraction) pairs, once each
    frac_cache: dict[tuple[str, int], list[tuple[Any, float]]] = {}

    def frac_terms(k: str, t: int) -> list[tuple[Any, float]]:
        out = frac_cache.get((k, t))
        if out is None:
            ini = _initiative(scenario, k)
            fr = [(s, ini.fraction(s, t)) for s in range(t + 1)]
            out = frac_cache[k, t] = [(x[k, s], f) for s, f in fr if f > 0]
        return out

    modes: dict[str, str] = {}
    n_groups = len(st.groups)
    for g, (chans, pools, inits) in enumerate(
        zip(st.groups, st.group_pools, st.group_inits, strict=True)
    ):
        label = "+".join(base.channels[c] for c in chans)
        level_sets = _level_sets(scenario, inits, T)
        per_period = [math.prod(len(v) + 1 for v in lv.values()) for lv in level_sets]
        # Each configuration costs one staffing call: bound the worst period and the total.
        small = max(per_period, default=1) <= max_configs and sum(per_period) <= 3 * max_configs
        use_exact = mode == "exact" or (mode == "auto" and small)
        modes[label] = "exact" if use_exact else "log-space"
        if use_exact:
            _add_exact_group(scenario, model, x, g, chans, pools, level_sets, ctx, df_t, terms)
        else:
            money0, calls = _log_space_group(
                scenario,
                st,
                g,
                chans,
                pools,
                inits,
                model,
                ctx,
                df_t,
                frac_terms,
                terms.objective,
                terms.pool_peak,
                terms.pool_fte,
            )
            terms.calls += calls
            terms.base_money += money0
        if progress is not None:
            _progress(
                progress, f"modelled channels {label}", 0.1 + 0.6 * (g + 1) / max(n_groups, 1)
            )

    st.memo.update({k: ctx[k] for k in ("samples", "offsets") if k in ctx})
    _add_pool_limits(base, T, ctx, terms, limits, cap_delta, tighten)
    if elastic:
        model.set_objective(-_pulp.lin(limits.slack_terms))
    else:
        model.set_objective(_pulp.lin(terms.objective))
    return _Built(model, x, limits.slacks, modes, terms.calls, terms.base_money)


def _pool_open_hours(base: Any) -> np.ndarray:
    interval_h = base.interval_s / 3600.0
    om = np.asarray(base.open_mask, dtype=bool)
    return np.array(
        [
            float(om[:, list(sk)].any(axis=1).sum()) * interval_h if sk else 0.0
            for sk in base.pool_skills
        ]
    )


def _progress(progress: Progress | None, message: str, fraction: float) -> None:
    # The one progress signature: progress(done, total, message), in percent here.
    if progress is not None:
        progress_caller(progress)(round(100 * fraction), 100, message)


def _validate(solver: str, gap: float, time_limit: float | None) -> None:
    if solver not in ("highs", "cbc"):
        raise ValueError(
            f"The 'solver' parameter of optimize must be 'highs' or 'cbc'; got {solver!r} instead."
        )
    if not (isinstance(gap, int | float) and 0 <= gap < 1):
        raise ValueError(
            f"The 'gap' parameter of optimize must be a number in [0, 1); got {gap!r} instead."
        )
    if time_limit is not None and not (time_limit > 0):
        raise ValueError(
            "The 'time_limit' parameter of optimize must be a positive number of seconds or "
            f"None; got {time_limit!r} instead."
        )


#: Cap-repair rounds reuse the log-space staffing samples of the first round (same
#: scenario, same groups: same samples); False re-staffs them every round, as
#: before round 2 (``benchmarks/_baseline_staffing`` turns it off for the baseline).
SHARE_SAMPLES = True
#: A re-solve after a cap repair starts HiGHS from the last solution (a MIP start:
#: HiGHS completes or discards it).
WARM_START = True

#: At most this many solves: the first, and re-solves after the exact
#: re-measurement broke a headcount or hiring cap the log-space model thought it met.
CAP_ROUNDS = 4
#: A broken cap is tightened by this multiple of its excess ...
CAP_TIGHTEN_FACTOR = 1.05
#: ... plus this margin (agents or FTE), so a re-solve does not land on the edge again.
CAP_TIGHTEN_MARGIN = 0.5
#: Exact evaluations the polish may spend by default (small portfolios only).
POLISH_EVALUATIONS = 40
#: Portfolios up to this many initiatives are polished by default.
POLISH_MAX_INITIATIVES = 12


def optimize(
    scenario: Scenario,
    budget: Any = None,
    solver: str = "highs",
    time_limit: float | None = None,
    *,
    gap: float = 0.01,
    progress: Progress | None = None,
    mode: str = "auto",
    max_configs: int = 64,
    polish: int | None = None,
    calibrate: bool | None = None,
    staffing: str = "requirement",
    refine: str | None = None,
    replications: int = 10,
    seed: int = 0,
) -> Plan:
    """Choose which initiatives to start and when, to maximise the objective.

    Parameters
    ----------
    scenario : Scenario
        The scenario (initiatives, pools, budgets, targets, economics).
    budget : float or mapping, optional
        Initiative budget: a number overrides ``budget.total``; a mapping may
        give ``total`` and ``per_period`` (money). Default: the scenario's.
    solver : {"highs", "cbc"}, default "highs"
        HiGHS in-process (highspy) or CBC.
    time_limit : float, optional
        Solver time limit in seconds; the best plan found is returned
        (``status == "feasible"``).
    gap : float, default 0.01
        Relative optimality gap on the **improvement over doing nothing**.
    progress : callable, optional
        Called as ``progress(done, total, message)`` with ``done`` out of
        ``total = 100`` (percent).
    mode : {"auto", "exact", "log-space"}
        How staffing enters the model (see the module docstring); ``auto``
        uses exact configurations for groups with at most ``max_configs``
        configurations in every period and ``3 x max_configs`` over the horizon
        (each configuration is one staffing call).
    max_configs : int, default 64
        Largest number of configurations per group and period modelled exactly.
    polish : int, optional
        When some group is modelled in log space, at most this many exact
        evaluations are spent on single moves (drop a started initiative with
        those that require it; start one a period earlier or later) while that
        raises the exact objective and keeps the plan feasible. Default:
        :data:`POLISH_EVALUATIONS` (40) for portfolios of at most
        :data:`POLISH_MAX_INITIATIVES` (12) initiatives, else 0 (larger
        portfolios would spend more on the moves than they gain).
    calibrate : bool, optional
        Log-space mode: staff each initiative alone once and calibrate its log
        workload and volume changes to reproduce that exact run (one staffing
        call per initiative). Default off: on the bundled and test scenarios it
        helped as often as it hurt (``docs/perf/planning.md``).

    staffing : {"requirement", "schedule"}, default "requirement"
        How agent hours are priced (see Notes).
    refine : {None, "simulation"}, default None
        ``"simulation"``: the plan and its runners-up re-measured by
        simulation, the best kept by its simulated objective, its staffing
        repaired until every target holds there (``planning._simrefine``;
        docs/planning.md); ``plan.optimization.refinement`` holds what was measured.
    replications, seed : int
        Of the refining simulations (period t uses ``seed + t``).

    Returns
    -------
    Plan
        The chosen plan. Its :attr:`Plan.optimization` is the
        :class:`OptimizationResult` of this call: the exact evaluation, the
        model's own estimate (money), the proven gap, the status and timings.

    Notes
    -----
    Steps: analyse which initiatives touch which channels; build and solve
    the model (:func:`_build`); re-measure the plan exactly (:func:`evaluate`);
    when the log-space approximation broke a headcount or hiring cap, tighten
    that cap by :data:`CAP_TIGHTEN_FACTOR` x the excess +
    :data:`CAP_TIGHTEN_MARGIN` and solve again, at most :data:`CAP_ROUNDS`
    solves; then polish with exact single moves.

    Raises
    ------
    InfeasibleError
        When no plan meets the caps; ``conflicts`` names each constraint
        group that must be relaxed and by how much.
    SolverError
        When the solver fails or stops without a solution.

    Notes
    -----
    ``staffing="schedule"`` prices agent hours as a schedule pays them: each
    pool's cost per hour is scaled by the ratio of scheduled paid hours to
    FTE hours of doing nothing (a schedule of each period's week), the model
    is solved with those prices, and the chosen plan is re-measured with
    ``evaluate(..., staffing="schedule")`` (the result's ``evaluation``).
    """
    if refine is not None:
        from ._simrefine import check_refine

        check_refine(refine, replications, staffing)
    if staffing != "requirement":
        from ._scheduled import optimize_scheduled

        return optimize_scheduled(
            scenario, staffing, budget=budget, solver=solver, time_limit=time_limit, gap=gap,
            progress=progress, mode=mode, max_configs=max_configs, polish=polish,
            calibrate=calibrate,
        )  # fmt: skip
    result = _optimize(
        scenario,
        budget,
        solver,
        time_limit,
        gap=gap,
        progress=progress,
        mode=mode,
        max_configs=max_configs,
        polish=polish,
        calibrate=calibrate,
    )
    if refine is not None:
        from ._simrefine import refine_by_simulation

        result = refine_by_simulation(
            scenario, result, refine, budget=budget, replications=replications, seed=seed,
            progress=progress,
        )  # fmt: skip
    return result.plan._with_optimization(result)


@dataclass
class _Solved:
    """The last model solved, its plan and that plan's exact evaluation."""

    built: _Built
    info: Any
    starts: dict[str, int]
    plan: Any
    evaluation: PlanEvaluation
    baseline: PlanEvaluation
    wall: dict[str, float]
    cpu: dict[str, float]


def _optimize(
    scenario: Any,
    budget: Any,
    solver: str,
    time_limit: float | None,
    *,
    gap: float = 0.01,
    progress: Progress | None = None,
    mode: str = "auto",
    max_configs: int = 64,
    polish: int | None = None,
    calibrate: bool | None = None,
    cap_delta: Mapping[tuple[str, int], float] | None = None,
    estimate: bool = True,
) -> OptimizationResult:
    """:func:`optimize`, with headcount caps moved by ``cap_delta`` ((pool, period) ->
    agents; the marginal value of headcount); ``estimate=False`` skips the re-solve
    that prices a polished plan in the model (``estimate`` is then nan)."""
    _validate(solver, gap, time_limit)
    if mode not in ("auto", "exact", "log-space"):
        raise ValueError(
            "The 'mode' parameter of optimize must be 'auto', 'exact' or 'log-space'; "
            f"got {mode!r} instead."
        )
    names = list(scenario.initiatives.keys())
    T = _n_periods(scenario)
    _progress(progress, "analysing initiatives", 0.0)
    st = _structure(scenario, names, T)
    solved = _solve_with_cap_repair(
        scenario,
        st,
        budget,
        solver,
        time_limit,
        gap,
        progress,
        mode,
        max_configs,
        bool(calibrate),
        cap_delta,
    )
    plan, ev, polished = solved.plan, solved.evaluation, 0
    if polish is None:
        polish = POLISH_EVALUATIONS if len(names) <= POLISH_MAX_INITIATIVES else 0
    if polish > 0 and any(m != "exact" for m in solved.built.modes.values()):
        _progress(progress, "polishing the plan with exact evaluations", 0.9)
        c1, t1 = time.process_time(), time.perf_counter()
        plan, ev, polished = _polish(scenario, plan, ev, budget, polish)
        solved.wall["evaluate"] += time.perf_counter() - t1
        solved.cpu["evaluate"] += time.process_time() - c1
    _progress(progress, "done", 1.0)
    model_objective = solved.info.objective
    if dict(plan.starts) != solved.starts:
        model_objective = (
            _model_value(solved.built, names, plan, solver, time_limit) if estimate else math.nan
        )
    return OptimizationResult(
        plan=plan,
        evaluation=ev,
        estimate=solved.baseline.objective + model_objective,
        baseline=solved.baseline.objective,
        gap=_improvement_gap(solved.info),
        status=solved.info.status,
        modes=solved.built.modes,
        seconds={**solved.wall, **{f"{k}_cpu": v for k, v in solved.cpu.items()}},
        size={
            "variables": solved.built.model.n_variables,
            "constraints": solved.built.model.n_constraints,
            "staffing_calls": solved.built.staffing_calls,
            "polish_evaluations": polished,
            "initiatives": len(names),
            "periods": T,
        },
        solver=solver,
    )


def _solve_with_cap_repair(
    scenario: Any,
    st: _Structure,
    budget: Any,
    solver: str,
    time_limit: float | None,
    gap: float,
    progress: Progress | None,
    mode: str,
    max_configs: int,
    calibrate: bool,
    cap_delta: Mapping[tuple[str, int], float] | None,
) -> _Solved:
    """Build, solve and re-measure; re-solve with tightened caps while the exact
    re-measurement breaks a headcount or hiring cap (log-space groups only)."""
    tighten: dict[tuple[str, str, int], float] = {}
    wall = {"build": 0.0, "solve": 0.0, "evaluate": 0.0}
    cpu = {"build": 0.0, "solve": 0.0, "evaluate": 0.0}
    baseline = None
    start: dict[str, float] | None = None
    for _round in range(CAP_ROUNDS):
        t0, c0 = time.perf_counter(), time.process_time()
        built = _build(
            scenario,
            st,
            budget=budget,
            max_configs=max_configs,
            mode=mode,
            elastic=False,
            cap_delta=cap_delta,
            tighten=tighten,
            progress=progress,
            calibrate=calibrate,
        )
        wall["build"] += time.perf_counter() - t0
        cpu["build"] += time.process_time() - c0
        c0 = time.process_time()
        _progress(progress, "solving", 0.7)
        info = built.model.solve(
            solver, time_limit=time_limit, gap_rel=gap, gap_abs=1e-6, start=start
        )
        wall["solve"] += info.seconds
        cpu["solve"] += time.process_time() - c0
        if info.status == "infeasible":
            raise _diagnose(scenario, st, budget, max_configs, mode, cap_delta, solver, time_limit)
        if info.status == "unbounded":  # pragma: no cover - every variable is bounded
            raise SolverError("the planning model is unbounded; please report this scenario")
        starts = {k: s for (k, s), v in built.x.items() if built.model.value(v) > 0.5}
        plan = Plan(starts=starts, agents=None, name="optimised")
        _progress(progress, "re-measuring the plan", 0.85)
        t1, c1 = time.perf_counter(), time.process_time()
        ev = evaluate(scenario, plan, budget=budget)
        if baseline is None:
            baseline = evaluate(
                scenario, Plan(starts={}, agents=None, name="do nothing"), budget=budget
            )
        wall["evaluate"] += time.perf_counter() - t1
        cpu["evaluate"] += time.process_time() - c1
        # The log-space model approximates headcount and FTE; when the exact re-measurement
        # breaks a cap the model's limit is tightened by the excess and the model solved again.
        broken = [
            v
            for v in ev.violations
            if v.kind in (ViolationKind.HEADCOUNT, ViolationKind.HIRING) and v.period is not None
        ]
        if not broken or all(m == "exact" for m in built.modes.values()):
            break
        start = built.model.solution() if WARM_START else None
        for v in broken:
            k = (str(v.kind), v.subject, int(v.period))  # type: ignore[arg-type]
            tighten[k] = tighten.get(k, 0.0) - v.excess * CAP_TIGHTEN_FACTOR - CAP_TIGHTEN_MARGIN
    assert baseline is not None
    return _Solved(built, info, starts, plan, ev, baseline, wall, cpu)


def _model_value(
    built: _Built, names: list[str], plan: Any, solver: str, time_limit: float | None
) -> float:
    """The model's objective at ``plan`` (the starts fixed), for the estimate."""
    for (k, s), var in built.x.items():
        i = names.index(k)
        built.model.add(var == (1 if plan.starts.get(k) == s else 0), f"fixed_{i}_{s}")
    fixed = built.model.solve(solver, time_limit=time_limit, gap_rel=1e-9)
    return fixed.objective if fixed.has_solution else float("nan")


def _improvement_gap(info: Any) -> float:
    """The solver's proven gap on the improvement over doing nothing (nan: no bound)."""
    if not math.isfinite(info.bound):
        return float("nan")
    excess = info.bound - info.objective
    return 0.0 if excess <= 1e-6 else excess / max(abs(info.objective), 1e-9)


def _diagnose(
    scenario: Any,
    st: _Structure,
    budget: Any,
    max_configs: int,
    mode: str,
    cap_delta: Mapping[tuple[str, int], float] | None,
    solver: str,
    time_limit: float | None,
) -> InfeasibleError:
    """Re-solve with elastic slack on every limit and name the limits that must give."""
    built = _build(
        scenario,
        st,
        budget=budget,
        max_configs=max_configs,
        mode=mode,
        elastic=True,
        cap_delta=cap_delta,
        progress=None,
    )
    info = built.model.solve(solver, time_limit=time_limit, gap_rel=1e-6)
    conflicts = []
    if info.has_solution:
        for _label, (var, what, limit) in built.slacks.items():
            excess = built.model.value(var)
            if excess > 1e-6:
                conflicts.append(what.format(need=limit + excess))
    if not conflicts:
        conflicts.append("the requires/excludes rules admit no plan (unexpected; please report)")
    return InfeasibleError("no plan meets every limit of the scenario", conflicts)
