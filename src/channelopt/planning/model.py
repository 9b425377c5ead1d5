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
  evaluation (:func:`~channelopt.planning.evaluate.measure_starts`) and a
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

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InfeasibleError, SolverError
from . import _pulp
from .evaluate import (
    PlanEvaluation,
    _budget,
    _initiative,
    _lead_ramp,
    _n_periods,
    _scenario_key,
    _target_mode,
    discount_factors,
    evaluate,
    fraction_in_force,
    initial_fte,
    measure_period,
    measure_starts,
)

__all__ = ["OptimizationResult", "marginal_values", "optimize"]

Progress = Callable[[str, float], None]


@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """What :func:`optimize` found, with ``return_result=True``.

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


def plan_timeline(scenario: Any, plan: Any) -> pd.DataFrame:
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
        lead, ramp = _lead_ramp(_initiative(scenario, name))
        cells = []
        for t in range(T):
            f = fraction_in_force(s, t, lead, ramp)
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


# ----------------------------------------------------------------------------
# structure of the scenario: which initiatives touch which channels
# ----------------------------------------------------------------------------
def _touched(base: Any, other: Any) -> set[int]:
    """Channels whose parameters differ between two resolved periods."""
    out: set[int] = set()
    for c in range(base.n_channels):
        same = (
            np.allclose(base.arrivals[:, c], other.arrivals[:, c], rtol=1e-12, atol=1e-12)
            and math.isclose(base.aht[c], other.aht[c], rel_tol=1e-12)
            and (base.patience[c] == other.patience[c])
            and math.isclose(base.resolution[c], other.resolution[c], rel_tol=1e-12)
            and math.isclose(base.containment[c], other.containment[c], rel_tol=1e-12)
            and np.allclose(base.handoff[c], other.handoff[c], rtol=1e-12, atol=1e-14)
            and np.allclose(base.repeat_to[c], other.repeat_to[c], rtol=1e-12, atol=1e-14)
        )
        if not same:
            out.add(c)
    return out


def workload_proxy(resolved: Any) -> np.ndarray:
    """Daily workload per channel from the traffic equations, shape (C,).

    See :func:`traffic_proxy`, which also returns the daily volumes.
    """
    return traffic_proxy(resolved)[1]


def traffic_proxy(resolved: Any) -> tuple[np.ndarray, np.ndarray]:
    """Daily volumes and workloads per channel from the traffic equations, shapes (C,).

    Daily volumes ``v`` solve ``v = e + P^T v`` with ``e`` the external
    arrivals and ``P[i, j]`` the probability that a contact of channel i comes
    next to channel j (hand-off, or repeat after an unresolved service; for
    self-service channels hand-offs of the contacts not contained). Workload =
    ``v x aht / concurrency`` (Erlang-seconds per day) for staffed channels and
    ``v`` for self-service. Retrials are left out (a factor close to 1).
    """
    e = np.asarray(resolved.arrivals, dtype=float).sum(axis=0)
    H = np.asarray(resolved.handoff, dtype=float)
    R = np.asarray(resolved.repeat_to, dtype=float)
    staffed = np.asarray(resolved.staffed())
    P = np.empty_like(H)
    for i in range(len(e)):
        if staffed[i]:
            rest = max(0.0, 1.0 - H[i].sum())
            P[i] = H[i] + rest * (1.0 - resolved.resolution[i]) * R[i]
        else:
            P[i] = (1.0 - resolved.containment[i]) * H[i]
    v = np.linalg.solve(np.eye(len(e)) - P.T, e)
    aht = np.asarray(resolved.aht, dtype=float)
    conc = np.maximum(np.asarray(resolved.concurrency, dtype=float), 1.0)
    return v, np.where(staffed, v * aht / conc, v)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass
class _Structure:
    names: list[str]
    T: int
    base: Any
    touched: dict[str, set[int]]
    log_delta: dict[str, np.ndarray]  # initiative -> (C,) log workload change at full effect
    log_volume: dict[str, np.ndarray]  # initiative -> (C,) log daily-volume change at full effect
    groups: list[list[int]]  # channel indices
    group_pools: list[list[int]]
    group_inits: list[list[str]]
    resolves: int = 0
    calibrated: bool = False


def _structure(scenario: Any, names: list[str], T: int) -> _Structure:
    base = scenario.resolve(0, {})
    C = base.n_channels
    touched: dict[str, set[int]] = {}
    log_delta: dict[str, np.ndarray] = {}
    log_volume: dict[str, np.ndarray] = {}
    base_cache: dict[int, Any] = {0: base}
    n_resolves = 1
    for k in names:
        lead, ramp = _lead_ramp(_initiative(scenario, k))
        if lead > T - 1:
            touched[k] = set()  # never in force within the horizon
            log_delta[k] = np.zeros(C)
            log_volume[k] = np.zeros(C)
            continue
        t_ref = min(T - 1, lead + ramp - 1)
        if t_ref not in base_cache:
            base_cache[t_ref] = scenario.resolve(t_ref, {})
            n_resolves += 1
        b = base_cache[t_ref]
        r = scenario.resolve(t_ref, {k: 0})
        n_resolves += 1
        touched[k] = _touched(b, r)
        (v0, w0), (v1, w1) = traffic_proxy(b), traffic_proxy(r)
        f = fraction_in_force(0, t_ref, lead, ramp)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where((w0 > 0) & (w1 > 0), np.log(w1 / w0), 0.0)
            dv = np.where((v0 > 0) & (v1 > 0), np.log(v1 / v0), 0.0)
        # Log-space effects scale with the fraction in force; measured at f, stated at f = 1.
        log_delta[k] = d / f
        log_volume[k] = dv / f
    uf = _UnionFind(C)
    H, R = np.asarray(base.handoff), np.asarray(base.repeat_to)
    for i in range(C):
        for j in range(C):
            if H[i, j] > 0 or R[i, j] > 0:
                uf.union(i, j)
    for skills in base.pool_skills:
        for c in skills[1:]:
            uf.union(skills[0], c)
    for k in names:
        ch = sorted(touched[k])
        for c in ch[1:]:
            uf.union(ch[0], c)
    roots: dict[int, list[int]] = {}
    for c in range(C):
        roots.setdefault(uf.find(c), []).append(c)
    groups = list(roots.values())
    group_pools = [
        [p for p, sk in enumerate(base.pool_skills) if sk and uf.find(sk[0]) == uf.find(g[0])]
        for g in groups
    ]
    group_inits = [[k for k in names if touched[k] & set(g)] for g in groups]
    return _Structure(
        names, T, base, touched, log_delta, log_volume, groups, group_pools, group_inits, n_resolves
    )


# ----------------------------------------------------------------------------
# model building
# ----------------------------------------------------------------------------
@dataclass
class _Built:
    model: _pulp.Model
    x: dict[tuple[str, int], Any]
    slacks: dict[str, tuple[Any, str, float]]  # label -> (var, description, limit)
    modes: dict[str, str]
    staffing_calls: int
    base_money: float  # discounted operating money of doing nothing (for the estimate)


def _levels(lead: int, ramp: int, t: int) -> dict[float, list[int]]:
    """Fraction in force in period t -> start periods giving it (fractions > 0 only)."""
    out: dict[float, list[int]] = {}
    for s in range(t + 1):
        f = fraction_in_force(s, t, lead, ramp)
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


def _hull_cuts(u: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Lines (intercept, slope) of the lower convex hull of points (u, y)."""
    order = np.argsort(u)
    pts = [(float(u[i]), float(y[i])) for i in order]
    hull: list[tuple[float, float]] = []
    for p in pts:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    if len(hull) == 1:
        return [(hull[0][1], 0.0)]
    cuts = []
    for (x1, y1), (x2, y2) in itertools.pairwise(hull):
        slope = (y2 - y1) / (x2 - x1)
        cuts.append((y1 - slope * x1, slope))
    return cuts


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
    names, T, base = st.names, st.T, st.base
    key = _scenario_key(scenario)
    df_t = discount_factors(scenario)
    soft, penalty = _target_mode(scenario)
    ctx = {
        "days": float(scenario.periods.days),
        "hours_per_fte": float(scenario.periods.hours_per_fte),
        "cost_h": np.asarray(base.pool_cost_per_hour, dtype=float),
        "v_lost": float(scenario.economics.value_per_lost_contact or 0.0),
        "v_rep": float(scenario.economics.value_per_repeat or 0.0),
        "vpp": float(base.value_per_point),
        "soft": soft,
        "penalty": penalty,
        "key": key,
        "calibrate": calibrate,
    }
    total_budget, per_budget = _budget(scenario, budget)
    cap = np.asarray(base.pool_max_agents, dtype=float).copy()
    hires = np.asarray(base.pool_hires_per_period, dtype=float)
    attrition = np.asarray(base.pool_attrition, dtype=float)

    model = _pulp.Model("channelopt_plan")
    lin = _pulp.lin
    x: dict[tuple[str, int], Any] = {}
    for i, k in enumerate(names):
        for s in range(T):
            x[k, s] = model.binary(f"x_{i}_{s}")
        model.add(lin(x[k, s] for s in range(T)) <= 1, f"one_start_{i}")

    # requires: B may start in s only if A started by s - lead(A); excludes: not both.
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

    slacks: dict[str, tuple[Any, str, float]] = {}
    objective_terms: list[Any] = []
    slack_terms: list[Any] = []

    def limited(expr: Any, limit: float, label: str, what: str, scale: float) -> None:
        if not math.isfinite(limit):
            return
        if elastic:
            sv = model.continuous(f"slack_{len(slacks)}", 0.0)
            slacks[label] = (sv, what, limit)
            slack_terms.append(sv * (1.0 / max(scale, 1.0)))
            model.add(expr - sv <= limit, label)
        else:
            model.add(expr <= limit, label)

    # money of the starts themselves (exact)
    spend_total = []
    spend_t: list[list[Any]] = [[] for _ in range(T)]
    for k in names:
        ini = _initiative(scenario, k)
        lead, ramp = _lead_ramp(ini)
        up, run, val = float(ini.cost.upfront), float(ini.cost.per_period), ini.value_per_period
        for s in range(T):
            coef = -df_t[s] * up
            for t in range(s, T):
                coef += df_t[t] * (float(val) * fraction_in_force(s, t, lead, ramp) - run)
                if run:
                    spend_t[t].append(run * x[k, s])
            if up:
                spend_t[s].append(up * x[k, s])
            if up + run * (T - s):
                spend_total.append((up + run * (T - s)) * x[k, s])
            if coef:
                objective_terms.append(coef * x[k, s])
    scale = max(1.0, total_budget if math.isfinite(total_budget) else 1.0)
    limited(lin(spend_total), total_budget, "budget_total", "budget.total", scale)
    for t in range(T):
        limited(lin(spend_t[t]), per_budget[t], f"budget_t{t}", f"budget.per_period[{t}]", scale)

    # fraction in force of k in period t, linear in x
    def frac_expr(k: str, t: int) -> Any:
        lead, ramp = _lead_ramp(_initiative(scenario, k))
        return lin(
            fraction_in_force(s, t, lead, ramp) * x[k, s]
            for s in range(t + 1)
            if fraction_in_force(s, t, lead, ramp) > 0
        )

    # operating money, headcount, FTE per group and period
    pool_peak_terms: dict[tuple[int, int], list[Any]] = {}
    pool_fte_terms: dict[tuple[int, int], list[Any]] = {}
    modes: dict[str, str] = {}
    calls = 0
    base_money = 0.0
    n_groups = len(st.groups)
    for g, (chans, pools, inits) in enumerate(
        zip(st.groups, st.group_pools, st.group_inits, strict=True)
    ):
        label = "+".join(base.channels[c] for c in chans)
        level_sets = []
        for t in range(T):
            lv = {}
            for k in inits:
                lead, ramp = _lead_ramp(_initiative(scenario, k))
                levels = _levels(lead, ramp, t)
                if levels:
                    lv[k] = levels
            level_sets.append(lv)
        per_period = [math.prod(len(v) + 1 for v in lv.values()) for lv in level_sets]
        # Each configuration costs one staffing call: bound the worst period and the total.
        small = max(per_period, default=1) <= max_configs and sum(per_period) <= 3 * max_configs
        use_exact = mode == "exact" or (mode == "auto" and small)
        modes[label] = "exact" if use_exact else "log-space"
        if use_exact:
            for t in range(T):
                lv = level_sets[t]
                ks = list(lv)
                choices = [[0.0, *lv[k].keys()] for k in ks]
                configs = list(itertools.product(*choices))
                y = []
                zero_money = None
                data = []
                for ci, conf in enumerate(configs):
                    starts = {k: lv[k][f][0] for k, f in zip(ks, conf, strict=True) if f > 0}
                    m = measure_starts(scenario, starts, t, key=key)
                    calls += 1
                    money, peak, fte = _period_money(m, chans, pools, ctx)
                    if ci == 0:
                        zero_money = money
                    data.append((money, peak, fte))
                    y.append(model.binary(f"y_{g}_{t}_{ci}") if len(configs) > 1 else None)
                assert zero_money is not None
                base_money += df_t[t] * zero_money
                if len(configs) == 1:
                    money, peak, fte = data[0]
                    for j, p in enumerate(pools):
                        pool_peak_terms.setdefault((p, t), []).append(float(peak[j]))
                        pool_fte_terms.setdefault((p, t), []).append(float(fte[j]))
                    continue
                model.add(lin(y) == 1, f"config_{g}_{t}")
                for j_k, k in enumerate(ks):
                    for f, ss in lv[k].items():
                        chosen = [y[ci] for ci, conf in enumerate(configs) if conf[j_k] == f]
                        model.add(
                            lin(chosen) == lin(x[k, s] for s in ss), f"link_{g}_{t}_{j_k}_{f}"
                        )
                objective_terms.extend(
                    -df_t[t] * (d[0] - zero_money) * y[ci]
                    for ci, d in enumerate(data)
                    if d[0] != zero_money
                )
                for j, p in enumerate(pools):
                    pool_peak_terms.setdefault((p, t), []).append(
                        lin(float(d[1][j]) * y[ci] for ci, d in enumerate(data))
                    )
                    pool_fte_terms.setdefault((p, t), []).append(
                        lin(float(d[2][j]) * y[ci] for ci, d in enumerate(data))
                    )
        else:
            money0 = _log_space_group(
                scenario,
                st,
                g,
                chans,
                pools,
                inits,
                model,
                ctx,
                df_t,
                frac_expr,
                objective_terms,
                pool_peak_terms,
                pool_fte_terms,
            )
            calls += money0[1]
            base_money += money0[0]
        if progress is not None:
            progress(f"modelled channels {label}", 0.1 + 0.6 * (g + 1) / max(n_groups, 1))

    # headcount caps and hiring per pool and period
    days, hpf = ctx["days"], ctx["hours_per_fte"]
    open_hours = _pool_open_hours(base)
    fte0 = initial_fte(base, days, hpf, open_hours)
    for p, pool in enumerate(base.pools):
        for t in range(T):
            limit = cap[p] + (cap_delta or {}).get((pool, t), 0.0)
            limit += (tighten or {}).get(("headcount", pool, t), 0.0)
            terms = pool_peak_terms.get((p, t))
            if terms is not None:
                limited(
                    lin(terms),
                    limit,
                    f"headcount_{p}_t{t}",
                    f"service targets in period {t} need {{need:.0f}} agents on duty in pool "
                    f"{pool}; max_agents is {limit:.0f}",
                    max(limit, 1.0),
                )
            if math.isfinite(hires[p]):
                now = pool_fte_terms.get((p, t))
                if now is None:
                    continue
                if t == 0:
                    before: Any = 0.0 if math.isnan(fte0[p]) else (1 - attrition[p]) * fte0[p]
                    if math.isnan(fte0[p]):
                        continue
                else:
                    before = (1 - attrition[p]) * lin(pool_fte_terms[(p, t - 1)])
                hire_limit = float(hires[p]) + (tighten or {}).get(("hiring", pool, t), 0.0)
                limited(
                    lin(now) - before,
                    hire_limit,
                    f"hiring_{p}_t{t}",
                    f"period {t} needs {{need:.1f}} FTE of hires in pool {pool} after "
                    f"attrition; hires_per_period is {hires[p]:g}",
                    max(float(hires[p]), 1.0),
                )

    if elastic:
        model.set_objective(-lin(slack_terms))
    else:
        model.set_objective(lin(objective_terms))
    return _Built(model, x, slacks, modes, calls, base_money)


def _pool_open_hours(base: Any) -> np.ndarray:
    interval_h = base.interval_s / 3600.0
    om = np.asarray(base.open_mask, dtype=bool)
    return np.array(
        [
            float(om[:, list(sk)].any(axis=1).sum()) * interval_h if sk else 0.0
            for sk in base.pool_skills
        ]
    )


def _samples(
    scenario: Any, st: _Structure, ctx: dict[str, Any]
) -> tuple[np.ndarray, list[Any], int]:
    """Staffing of period 0 with every arrival scaled by ``exp(u)`` on a grid of u (cached).

    Periods differ only by growth, so period t's curves are period 0's shifted by
    the log change of each channel's base workload and volume (see
    :func:`_offsets`); one grid serves every period. The grid spans the log
    changes the initiatives can reach on any channel (all at full effect) plus
    the growth offsets, clipped to [-3, 2], and includes u = 0.
    """
    if "samples" in ctx:
        return (*ctx["samples"], 0)
    lo = np.zeros(st.base.n_channels)
    hi = np.zeros(st.base.n_channels)
    for d in (*st.log_delta.values(), *st.log_volume.values()):
        lo += np.minimum(d, 0.0)
        hi += np.maximum(d, 0.0)
    offsets = [_offsets(scenario, st, t, ctx) for t in range(st.T)]
    off_lo = min(float(min(o[0].min(), o[1].min())) for o in offsets)
    off_hi = max(float(max(o[0].max(), o[1].max())) for o in offsets)
    u_lo = max(-3.0, float(lo.min()) + min(off_lo, 0.0) - 0.05)
    u_hi = min(2.0, float(hi.max()) + max(off_hi, 0.0) + 0.05)
    grid = np.unique(np.concatenate([np.linspace(u_lo, u_hi, ctx.get("n_samples", 11)), [0.0]]))
    r0 = st.base
    samples = []
    for u in grid:
        if u == 0.0:
            samples.append(measure_starts(scenario, {}, 0, key=ctx["key"]))
            continue
        scaled = dataclasses.replace(r0, arrivals=np.asarray(r0.arrivals) * math.exp(u))
        samples.append(measure_period(scaled))
    ctx["samples"] = (grid, samples)
    return grid, samples, len(grid)


def _offsets(
    scenario: Any, st: _Structure, t: int, ctx: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(workload, volume) log change per channel of period t against period 0, no initiative."""
    cache = ctx.setdefault("offsets", {})
    if t not in cache:
        v0, w0 = traffic_proxy(st.base)
        vt, wt = traffic_proxy(st.base if t == 0 else scenario.resolve(t, {}))
        with np.errstate(divide="ignore", invalid="ignore"):
            ow = np.where((w0 > 0) & (wt > 0), np.log(wt / w0), 0.0)
            ov = np.where((v0 > 0) & (vt > 0), np.log(vt / v0), 0.0)
        cache[t] = (ow, ov)
    return cache[t]


def _invert(curve: np.ndarray, grid: np.ndarray, change: float) -> float | None:
    """The u at which a nondecreasing sampled curve (zero at u = 0) has risen by ``change``."""
    y = np.maximum.accumulate(curve)
    if y[-1] - y[0] <= 1e-9 * max(1.0, abs(y[-1])):
        return None  # flat: the curve carries no information about u
    # Plateaus (whole agents) make y only nondecreasing; keep the first point of each level.
    keep = np.concatenate([[True], np.diff(y) > 0])
    return float(np.interp(change, y[keep], grid[keep]))


def _calibrate(scenario: Any, st: _Structure, ctx: dict[str, Any]) -> int:
    """Replace the traffic-proxy log changes by ones that reproduce exact single-initiative runs.

    For each initiative, the period in which it first reaches full effect (or the
    last period) is staffed exactly with the initiative alone; per channel, the
    change of agent hours and of contact money is mapped back through the
    sampled curves to the log workload and log volume that give the same
    change. This captures what the proxy cannot see (patience, deferred
    deadlines, integer staffing) for one staffing call per initiative.
    """
    grid, samples, calls = _samples(scenario, st, ctx)
    i0 = int(np.flatnonzero(grid == 0.0)[0])
    days = ctx["days"]
    C = st.base.n_channels

    def other(m: Any, c: int) -> float:
        out = days * (
            ctx["v_lost"] * m.lost[c]
            + ctx["v_rep"] * m.repeats[c]
            + ctx["vpp"] * m.effort_points[c]
        )
        return out + (ctx["penalty"] * m.sl_points_below[c] if ctx["soft"] else 0.0)

    hours_0 = np.array([[days * m.paid_hours[c] for m in samples] for c in range(C)])
    other_0 = np.array([[other(m, c) for m in samples] for c in range(C)])
    for k in st.names:
        if not st.touched[k]:
            continue
        lead, ramp = _lead_ramp(_initiative(scenario, k))
        if lead > st.T - 1:
            continue
        t_ref = min(st.T - 1, lead + ramp - 1)
        f = fraction_in_force(0, t_ref, lead, ramp)
        mb = measure_starts(scenario, {}, t_ref, key=ctx["key"])
        mk = measure_starts(scenario, {k: 0}, t_ref, key=ctx["key"])
        calls += 1
        off_w, off_v = _offsets(scenario, st, t_ref, ctx)
        for c in range(C):
            h = np.interp(grid + off_w[c], grid, hours_0[c])
            u = _invert(h - h[i0], grid, days * (mk.paid_hours[c] - mb.paid_hours[c]))
            if u is not None:
                st.log_delta[k][c] = u / f
            o = np.interp(grid + off_v[c], grid, other_0[c])
            uv = _invert(o - o[i0], grid, other(mk, c) - other(mb, c))
            if uv is not None:
                st.log_volume[k][c] = uv / f
    st.calibrated = True
    return calls


def _log_space_group(
    scenario: Any,
    st: _Structure,
    g: int,
    chans: list[int],
    pools: list[int],
    inits: list[str],
    model: _pulp.Model,
    ctx: dict[str, Any],
    df_t: np.ndarray,
    frac_expr: Callable[[str, int], Any],
    objective_terms: list[Any],
    pool_peak_terms: dict[tuple[int, int], list[Any]],
    pool_fte_terms: dict[tuple[int, int], list[Any]],
) -> tuple[float, int]:
    """Convex piecewise-linear operating money of a group in log-workload space.

    Variables are changes against doing nothing (``u = 0``), so the objective
    carries no constant and the solver's relative gap is a gap on the
    improvement.
    """
    lin = _pulp.lin
    T = st.T
    days, hpf = ctx["days"], ctx["hours_per_fte"]
    cost_h = ctx["cost_h"]
    base = st.base
    pool_of = base.pool_of_channel()
    calls = 0
    base_money = 0.0
    if ctx.get("calibrate") and not st.calibrated:
        calls += _calibrate(scenario, st, ctx)
    deltas = {k: st.log_delta[k] for k in inits}
    vdeltas = {k: st.log_volume[k] for k in inits}
    for t in range(T):
        grid, samples, n_new = _samples(scenario, st, ctx)
        calls += n_new
        i0 = int(np.flatnonzero(grid == 0.0)[0])
        m0 = samples[i0]
        off_w, off_v = _offsets(scenario, st, t, ctx)
        for c in chans:
            # Agent hours follow the workload; contact counts (lost, repeats, effort) the volume.
            u_var = model.continuous(f"u_{c}_{t}", None)
            model.add(
                u_var
                == lin(float(deltas[k][c]) * frac_expr(k, t) for k in inits if deltas[k][c] != 0.0),
                f"logload_{c}_{t}",
            )
            uv_var = model.continuous(f"uv_{c}_{t}", None)
            model.add(
                uv_var
                == lin(
                    float(vdeltas[k][c]) * frac_expr(k, t) for k in inits if vdeltas[k][c] != 0.0
                ),
                f"logvolume_{c}_{t}",
            )
            p = int(pool_of[c])
            ch_cost = float(cost_h[p]) if p >= 0 else 0.0
            # money other than agent cost (lost, repeats, effort, penalty) per period vs u
            other_0 = np.array(
                [
                    days
                    * (
                        ctx["v_lost"] * m.lost[c]
                        + ctx["v_rep"] * m.repeats[c]
                        + ctx["vpp"] * m.effort_points[c]
                    )
                    + (ctx["penalty"] * m.sl_points_below[c] if ctx["soft"] else 0.0)
                    for m in samples
                ]
            )
            hours_0 = np.array([days * m.paid_hours[c] for m in samples])
            peak_0 = np.array([m.peak_agents[c] for m in samples])
            # Period t is period 0 shifted by its growth offsets (log space).
            other = np.interp(grid + off_v[c], grid, other_0)
            hours = np.interp(grid + off_w[c], grid, hours_0)
            peak = np.interp(grid + off_w[c], grid, peak_0)
            base_money += df_t[t] * float(other[i0] + ch_cost * hours[i0])
            dM = model.continuous(f"dm_{c}_{t}", None)
            dH = model.continuous(f"dh_{c}_{t}", -float(hours[i0]))
            A = model.continuous(f"a_{c}_{t}", 0.0)
            for j, (a, b) in enumerate(_hull_cuts(grid, other - other[i0])):
                model.add(a + b * uv_var <= dM, f"cut_m_{c}_{t}_{j}")
            for j, (a, b) in enumerate(_hull_cuts(grid, hours - hours[i0])):
                model.add(a + b * u_var <= dH, f"cut_h_{c}_{t}_{j}")
            for j, (a, b) in enumerate(_hull_cuts(grid, peak)):
                model.add(a + b * u_var <= A, f"cut_a_{c}_{t}_{j}")
            objective_terms.append(-df_t[t] * (dM + ch_cost * dH))
            if p >= 0 and p in pools:
                # The pool's peak is at most the sum of its channels' peaks; scale by the
                # ratio measured without initiatives so the cap is not spuriously tight.
                skills = list(base.pool_skills[p])
                total_peak = float(m0.peak_agents[skills].sum())
                ratio = float(m0.pool_peak_agents[p]) / total_peak if total_peak > 0 else 1.0
                pool_peak_terms.setdefault((p, t), []).append(ratio * A)
                pool_fte_terms.setdefault((p, t), []).append((dH + float(hours[i0])) * (1.0 / hpf))
    return base_money, calls


# ----------------------------------------------------------------------------
# optimize
# ----------------------------------------------------------------------------
def _progress(progress: Progress | None, message: str, fraction: float) -> None:
    if progress is not None:
        progress(message, fraction)


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


def optimize(
    scenario: Any,
    budget: Any = None,
    solver: str = "highs",
    time_limit: float | None = None,
    *,
    gap: float = 0.01,
    progress: Progress | None = None,
    return_result: bool = False,
    mode: str = "auto",
    max_configs: int = 64,
    polish: int | None = None,
    calibrate: bool | None = None,
    _cap_delta: Mapping[tuple[str, int], float] | None = None,
) -> Any:
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
        Called as ``progress(message, fraction_done)``.
    return_result : bool, default False
        Return an :class:`OptimizationResult` (plan, exact evaluation, the
        model's estimate, gap, times) instead of the plan alone.
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
        raises the exact objective and keeps the plan feasible. Default: 40 for
        portfolios of at most 12 initiatives, else 0.
    calibrate : bool, optional
        Log-space mode: staff each initiative alone once and calibrate its log
        workload and volume changes to reproduce that exact run (one staffing
        call per initiative). Default off: on the bundled and test scenarios it
        helped as often as it hurt (``docs/perf/planning.md``).

    Returns
    -------
    Plan or OptimizationResult

    Raises
    ------
    InfeasibleError
        When no plan meets the caps; ``conflicts`` names each constraint
        group that must be relaxed and by how much.
    SolverError
        When the solver fails or stops without a solution.
    """
    _validate(solver, gap, time_limit)
    if mode not in ("auto", "exact", "log-space"):
        raise ValueError(
            "The 'mode' parameter of optimize must be 'auto', 'exact' or 'log-space'; "
            f"got {mode!r} instead."
        )
    from ..scenario import Plan

    t0 = time.perf_counter()
    names = list(scenario.initiatives.keys())
    T = _n_periods(scenario)
    _progress(progress, "analysing initiatives", 0.0)
    st = _structure(scenario, names, T)
    tighten: dict[tuple[str, str, int], float] = {}
    t_build = t_solve = t_eval = 0.0
    cpu = {"build": 0.0, "solve": 0.0, "evaluate": 0.0}
    baseline = None
    for _round in range(4):
        t0, c0 = time.perf_counter(), time.process_time()
        built = _build(
            scenario,
            st,
            budget=budget,
            max_configs=max_configs,
            mode=mode,
            elastic=False,
            cap_delta=_cap_delta,
            tighten=tighten,
            progress=progress,
            calibrate=bool(calibrate),
        )
        t_build += time.perf_counter() - t0
        cpu["build"] += time.process_time() - c0
        c0 = time.process_time()
        _progress(progress, "solving", 0.7)
        info = built.model.solve(solver, time_limit=time_limit, gap_rel=gap, gap_abs=1e-6)
        t_solve += info.seconds
        cpu["solve"] += time.process_time() - c0
        if info.status == "infeasible":
            raise _diagnose(scenario, st, budget, max_configs, mode, _cap_delta, solver, time_limit)
        if info.status == "unbounded":  # pragma: no cover - every variable is bounded
            raise SolverError("the planning model is unbounded; please report this scenario")
        starts = {k: s for (k, s), v in built.x.items() if built.model.value(v) > 0.5}
        plan = Plan(starts=starts, agents=None, name="optimized")
        _progress(progress, "re-measuring the plan", 0.85)
        t1, c1 = time.perf_counter(), time.process_time()
        ev = evaluate(scenario, plan, budget=budget)
        if baseline is None:
            baseline = evaluate(
                scenario, Plan(starts={}, agents=None, name="do nothing"), budget=budget
            )
        t_eval += time.perf_counter() - t1
        cpu["evaluate"] += time.process_time() - c1
        # The log-space model approximates headcount and FTE; when the exact re-measurement
        # breaks a cap the model's limit is tightened by the excess and the model solved again.
        broken = [
            v for v in ev.violations if v.kind in ("headcount", "hiring") and v.period is not None
        ]
        if not broken or all(m == "exact" for m in built.modes.values()):
            break
        for v in broken:
            k = (v.kind, v.subject, int(v.period))  # type: ignore[arg-type]
            tighten[k] = tighten.get(k, 0.0) - v.excess * 1.05 - 0.5
    polished = 0
    if polish is None:
        polish = 40 if len(names) <= 12 else 0
    if polish > 0 and any(m != "exact" for m in built.modes.values()):
        _progress(progress, "polishing the plan with exact evaluations", 0.9)
        c1 = time.process_time()
        t1 = time.perf_counter()
        plan, ev, polished = _polish(scenario, plan, ev, budget, polish)
        t_eval += time.perf_counter() - t1
        cpu["evaluate"] += time.process_time() - c1
    _progress(progress, "done", 1.0)
    if not return_result:
        return plan
    model_objective = info.objective
    if dict(plan.starts) != starts:
        # Polish changed the plan: the estimate must be the model's value of the plan returned.
        for (k, s), var in built.x.items():
            i = names.index(k)
            built.model.add(var == (1 if plan.starts.get(k) == s else 0), f"fixed_{i}_{s}")
        fixed = built.model.solve(solver, time_limit=time_limit, gap_rel=1e-9)
        model_objective = fixed.objective if fixed.has_solution else float("nan")
    estimate = baseline.objective + model_objective
    bound_gap = float("nan")
    if math.isfinite(info.bound):
        # The objective is the improvement over doing nothing: this is the gap on it.
        excess = info.bound - info.objective
        bound_gap = 0.0 if excess <= 1e-6 else excess / max(abs(info.objective), 1e-9)
    return OptimizationResult(
        plan=plan,
        evaluation=ev,
        estimate=estimate,
        baseline=baseline.objective,
        gap=bound_gap,
        status=info.status,
        modes=built.modes,
        seconds={
            "build": t_build,
            "solve": t_solve,
            "evaluate": t_eval,
            **{f"{k}_cpu": v for k, v in cpu.items()},
        },
        size={
            "variables": built.model.n_variables,
            "constraints": built.model.n_constraints,
            "staffing_calls": built.staffing_calls,
            "polish_evaluations": polished,
            "initiatives": len(names),
            "periods": T,
        },
        solver=solver,
    )


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
    from .evaluate import _dependants

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


# ----------------------------------------------------------------------------
# marginal values
# ----------------------------------------------------------------------------
def _usage(ev: PlanEvaluation, limit: str, t: int | None, subject: str) -> float:
    """How much of a limit the evaluated plan uses (money or agents on duty)."""
    if limit == "budget.total":
        return float(ev.money["initiative_spending"].sum())
    if limit == "budget.per_period":
        return float(ev.money["initiative_spending"].iloc[int(t or 0)])
    rows = ev.pools[(ev.pools["pool"] == subject) & (ev.pools["period"] == t)]
    return float(rows["peak_agents"].iloc[0])


def marginal_values(
    scenario: Any,
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
        ``progress(message, fraction_done)``.

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
    ref = optimize(scenario, budget, solver, gap=gap, return_result=True)
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
    for i, (limit, t, subject, value, b, cap_delta) in enumerate(cases):
        if progress is not None:
            progress(f"relaxing {limit} {subject} {'' if t is None else t}", i / max(len(cases), 1))
        if isinstance(b, dict):
            b = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in b.items()}
            if b.get("per_period") is not None and all(math.isinf(v) for v in b["per_period"]):
                b["per_period"] = None
        step = agent_step if cap_delta else budget_step
        used = _usage(ref.evaluation, limit, t, subject)
        binding = used >= value - 1e-6 * max(1.0, abs(value))
        if binding:
            res = optimize(scenario, b, solver, gap=gap, return_result=True, _cap_delta=cap_delta)
            relaxed = res.evaluation.objective
        else:
            # A limit with slack at the optimum does not move it: no re-solve needed.
            relaxed = obj
        rows.append(
            {
                "limit": limit,
                "period": t,
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
