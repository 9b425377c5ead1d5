"""The shift-scheduling MILP of one pool by column generation (the HiGHS path).

The implicit break model of :mod:`._model` (Bechtold & Jacobs) is exact and
compact, but its forward/backward break rows make both the LP and HiGHS's
primal heuristics slow on large weeks (336 intervals, tens of templates with
three breaks: no schedule within minutes). Here each column is one *explicit*
shift: template ``t``, day ``d``, start ``s`` and one start time per break.
There are too many such shifts to list, so they are generated (Dantzig-Wolfe
column generation): the LP over the columns so far gives a price per covered
interval (the row duals); the cheapest shift of each start then takes every
break where the floor is worth least, which is exact because the breaks of a
shift lie in windows that do not overlap, so each break is chosen on its own.
Shifts with a negative reduced cost join the LP until none is left; the LP
optimum is then the LP bound of the full model (the same bound as the
implicit model: explicit and implicit breaks have the same LP relaxation,
the break assignment being a transportation problem).

The integer schedule (:class:`PreparedPool` ``finish``): the LP schedule
rounded and repaired (:mod:`._rounding`); if that is not yet within the target,
RENS (the MILP with every integer column between the floor and the ceiling of
its LP value) from that start; if still short, the MILP over every generated
shift. Each is a restriction of the full problem, so its own bound is not
used: the gap is always stated against the LP bound. A restriction can also
be infeasible when the pool is not: pricing stopped by a time limit may not
have generated the break times a schedule needs; after a converged pricing,
rounding shifts up never loses cover, so only a binding ``max_agents`` per
start could. So when there is no rounded schedule and the MILP over the
generated shifts is infeasible, the pool falls back to the implicit model of
every shift (:func:`._model.build_pool_model`), whose infeasibility is a proof.

Days off use, per template, the patterns with consecutive days off plus one
*split group* (implicit days off: ``c[d] <= H``, ``sum c = days_per_week x H``,
which holds exactly when the day counts split into ``H`` agents' patterns)
whose headcount pays ``split_days_off_penalty``. That has the optimum of the
all-patterns model (an optimal schedule's split agents form such a group;
any group splits into at most ``H`` split patterns) without its symmetric
pattern columns. The group is then split into patterns with as few split
days off as possible.

Rows: cover every interval (``>= requirement``, rounded up to the reachable
grain); a start's shifts equal its agents ``x[t,d,s]``; the agents starting
on a day equal those whose pattern works it; template shares; per-start
minimum (semi-continuous) and maximum.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from numpy.lib.stride_tricks import sliding_window_view

from ..solver import ColumnModel, solve_arrays
from ._model import (
    PoolSolution,
    TemplateSpec,
    _profile,
    _round_up_to_grain,
    build_pool_model,
    consecutive_off,
    patterns,
    relative_gap,
    solve_pool,
)
from ._rounding import cover_days, drop_redundant, repair_cover

__all__ = ["PreparedPool", "prepare_pool_columns", "solve_pool_columns"]

#: most pricing rounds (each adds the improving shift of every start; the issue's
#: benchmark week converges in about 10)
MAX_ROUNDS = 400


@dataclass
class _Shift:
    """A generated column: template, day, start and the break offsets (from day start)."""

    ti: int
    d: int
    s: int
    breaks: tuple[int, ...]


def _coefficients(templates: list[TemplateSpec], interval: float) -> np.ndarray:
    """Every coverage coefficient a shift or break of ``templates`` can have (per interval)."""
    vals = [_profile(t.length, interval) for t in templates]
    vals += [_profile(b.length, interval) for t in templates for b in t.breaks]
    return np.concatenate(vals) if vals else np.ones(1)


def _split_patterns(
    counts: dict[int, int], work_days: tuple[int, ...], n: int
) -> list[tuple[tuple[int, ...], int]]:
    """Patterns of ``n`` days carrying the day counts, with as few split days off as possible."""
    pats = patterns(work_days, n)
    if not pats or not any(counts.values()):
        return []
    days = list(work_days)
    a = sp.csr_matrix(np.array([[1.0 if d in p else 0.0 for p in pats] for d in days]))
    rhs = np.array([float(counts.get(d, 0)) for d in days])
    cost = np.array([0.0 if consecutive_off(p) else 1.0 for p in pats])
    sol = solve_arrays(
        cost, a, rhs, rhs, np.zeros(len(pats)), np.full(len(pats), math.inf),
        np.ones(len(pats), bool), gap_rel=0.0,
    )  # fmt: skip
    if sol.status == "infeasible":  # pragma: no cover - the group rows guarantee a split
        raise RuntimeError("split group does not decompose into weekly patterns")
    return [(p, round(v)) for p, v in zip(pats, sol.x, strict=True) if round(v) > 0]


@dataclass
class PreparedPool:
    """A pool after column generation: its LP bound and how to get the integer schedule."""

    bound: float  #: LP bound (money); nan when column generation did not converge
    lp_cpu_seconds: float
    #: ``finish(stop, budget, accept=None)``: the schedule, stopped once its objective is
    #: ``<= stop`` (None: HiGHS's own gap) or after ``budget`` CPU seconds; the last-resort
    #: MILP only when above ``accept``; None when infeasible
    finish: Callable[..., PoolSolution | None]


def solve_pool_columns(
    cover: np.ndarray,
    templates: list[TemplateSpec],
    work_days: tuple[int, ...],
    interval: float,
    cost_per_hour: float,
    shrinkage: float,
    *,
    over_cover_penalty: float,
    split_days_off_penalty: float,
    gap: float = 0.01,
    time_limit: float | None = None,
) -> PoolSolution | None:
    """Solve one pool's schedule (see the module docstring); None when infeasible.

    ``cover`` (shape ``(n_days, T)``) is the requirement on the floor after
    shrinkage. ``time_limit`` is CPU seconds for this pool (pricing and MILP);
    the schedule is returned as soon as it is within ``gap`` of the LP bound.
    """
    c0 = time.process_time()
    prep = prepare_pool_columns(
        cover, templates, work_days, interval, cost_per_hour, shrinkage,
        over_cover_penalty=over_cover_penalty, split_days_off_penalty=split_days_off_penalty,
        gap=gap, time_limit=None if time_limit is None else 0.6 * time_limit,
    )  # fmt: skip
    if prep is None:
        return None
    stop = prep.bound / (1.0 - gap) if math.isfinite(prep.bound) and gap < 1.0 else None
    budget = None if time_limit is None else time_limit - (time.process_time() - c0)
    return prep.finish(stop, None if budget is None else max(budget, 1e-3))


def prepare_pool_columns(
    cover: np.ndarray,
    templates: list[TemplateSpec],
    work_days: tuple[int, ...],
    interval: float,
    cost_per_hour: float,
    shrinkage: float,
    *,
    over_cover_penalty: float,
    split_days_off_penalty: float,
    gap: float = 0.01,
    time_limit: float | None = None,
) -> PreparedPool | None:
    """Column generation for one pool (the LP bound); None when infeasible.

    ``time_limit``: CPU seconds for pricing (stopping early leaves no bound).
    ``gap`` is the target the returned ``finish`` reports its status against.
    """
    c_start = time.process_time()
    n_days, T = cover.shape
    G = n_days * T
    scale = cost_per_hour if cost_per_hour > 0 else 1.0
    on_share = 1.0 - shrinkage
    need = _round_up_to_grain(cover.reshape(-1).astype(float), _coefficients(templates, interval))
    active = np.flatnonzero(need > 1e-9)
    cov_row = np.full(G, -1, dtype=int)
    cov_row[active] = np.arange(active.size)
    n_rows = active.size
    row_lo: list[float] = list(need[active] - 1e-9)
    row_hi: list[float] = [math.inf] * active.size

    def rows(k: int, lo: float, hi: float) -> int:
        nonlocal n_rows
        first = n_rows
        n_rows += k
        row_lo.extend([lo] * k)
        row_hi.extend([hi] * k)
        return first

    profiles = [_profile(t.length, interval) for t in templates]
    bprofiles = [[_profile(b.length, interval) for b in t.breaks] for t in templates]
    starts = [np.array(sorted(t.starts), dtype=int) for t in templates]
    # rows: one per start (its shifts = its agents), one per template and day (link)
    start_row: dict[tuple[int, int, int], int] = {}
    for ti, _t in enumerate(templates):
        for d in work_days:
            first = rows(len(starts[ti]), 0.0, 0.0)
            for j, s in enumerate(starts[ti]):
                start_row[(ti, d, int(s))] = first + j
    link_row = {(ti, d): rows(1, 0.0, 0.0) for ti in range(len(templates)) for d in work_days}
    # split group: c[t,d] - H[t] <= 0; sum_d c[t,d] - n H[t] = 0
    group_day = {
        (ti, d): rows(1, -math.inf, 0.0) for ti in range(len(templates)) for d in work_days
    }
    group_sum = {ti: rows(1, 0.0, 0.0) for ti in range(len(templates))}
    share_row = {ti: rows(1, -math.inf, 0.0) for ti, t in enumerate(templates) if t.max_share < 1}
    min_rows = {
        (ti, d, int(s)): rows(2, 0.0, 0.0)
        for ti, t in enumerate(templates)
        if t.min_agents
        for d in work_days
        for s in starts[ti]
    }
    for first in min_rows.values():  # x - min w >= 0; x - big w <= 0
        row_lo[first], row_hi[first] = 0.0, math.inf
        row_lo[first + 1], row_hi[first + 1] = -math.inf, 0.0

    # fixed columns: x, consecutive patterns, split-group counts and headcount, binaries
    cols_c: list[float] = []
    cols_lo: list[float] = []
    cols_hi: list[float] = []
    cols_int: list[bool] = []
    ent_r: list[int] = []
    ent_c: list[int] = []
    ent_v: list[float] = []

    def col(cost: float, hi: float, entries: list[tuple[int, float]], integ: bool = True) -> int:
        j = len(cols_c)
        cols_c.append(cost)
        cols_lo.append(0.0)
        cols_hi.append(hi)
        cols_int.append(integ)
        for r, v in entries:
            ent_r.append(r)
            ent_c.append(j)
            ent_v.append(v)
        return j

    def share_entries(ti: int) -> list[tuple[int, float]]:
        # headcount of template ti in every share row: own minus the row's share
        return [(r, (1.0 if tj == ti else 0.0) - templates[tj].max_share)
                for tj, r in share_row.items()]  # fmt: skip

    x_col: dict[tuple[int, int, int], int] = {}
    z_col: dict[tuple[int, tuple[int, ...]], int] = {}
    h_col: dict[int, int] = {}
    g_col: dict[tuple[int, int], int] = {}
    week_pay: dict[int, float] = {}
    x_costs: list[float] = []
    for ti, t in enumerate(templates):
        floor_hours = (t.length - sum(b.length for b in t.breaks)) / 3600.0
        x_cost = scale * t.paid / 3600.0 + over_cover_penalty * scale * on_share * floor_hours
        x_costs.append(x_cost)
        hi = math.inf if t.max_agents is None else float(t.max_agents)
        for d in work_days:
            for s in starts[ti]:
                key = (ti, d, int(s))
                ents = [(start_row[key], 1.0), (link_row[(ti, d)], 1.0)]
                if key in min_rows:
                    ents += [(min_rows[key], 1.0), (min_rows[key] + 1, 1.0)]
                x_col[key] = col(x_cost, hi, ents)
                if key in min_rows:
                    big = float(t.max_agents) if t.max_agents is not None else 1e4
                    col(0.0, 1.0, [(min_rows[key], -float(t.min_agents or 0)),
                                   (min_rows[key] + 1, -big)])  # fmt: skip
        n = t.days_per_week
        week_pay[ti] = scale * t.paid / 3600.0 * n
        for p in patterns(work_days, n):
            if consecutive_off(p):
                ents = [(link_row[(ti, d)], -1.0) for d in p] + share_entries(ti)
                z_col[(ti, p)] = col(0.0, math.inf, ents)
        forbid = math.isinf(split_days_off_penalty)
        pen = 0.0 if forbid else split_days_off_penalty * week_pay[ti]
        ents = [(group_day[(ti, d)], -1.0) for d in work_days]
        ents += [(group_sum[ti], -float(n)), *share_entries(ti)]
        h_col[ti] = col(pen, 0.0 if forbid else math.inf, ents)
        for d in work_days:
            ents = [(link_row[(ti, d)], -1.0), (group_day[(ti, d)], 1.0), (group_sum[ti], 1.0)]
            g_col[(ti, d)] = col(0.0, math.inf, ents)
    # artificial cover (a first LP that is always feasible, before the shifts that can
    # cover every interval are generated): far dearer than any shift, off in the MILP
    big = 1e4 * max(max(x_costs, default=1.0), scale)
    artificial = [col(big, math.inf, [(r, 1.0)], integ=False) for r in range(active.size)]
    n_fixed = len(cols_c)

    # shift columns: coverage (on the floor) and -1 in their start's row
    shifts: list[_Shift] = []
    seen: set[tuple[int, int, int, tuple[int, ...]]] = set()
    floor_cols: list[np.ndarray] = []  # per shift: dense coverage over the G intervals

    def coverage(sh: _Shift) -> np.ndarray:
        v = np.zeros(G)
        base = sh.d * T + sh.s
        prof = profiles[sh.ti]
        np.add.at(v, (base + np.arange(prof.size)) % G, prof)
        for u, bp in zip(sh.breaks, bprofiles[sh.ti], strict=True):
            np.add.at(v, (sh.d * T + u + np.arange(bp.size)) % G, -bp)
        return v

    def shift_matrix(new: list[_Shift]) -> sp.csc_matrix:
        r_idx: list[np.ndarray] = []
        c_idx: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for j, sh in enumerate(new):
            v = coverage(sh)
            floor_cols.append(v)
            nz = np.flatnonzero((np.abs(v) > 1e-12) & (cov_row >= 0))
            r_idx.append(cov_row[nz])
            c_idx.append(np.full(nz.size, j))
            vals.append(v[nz])
            r_idx.append(np.array([start_row[(sh.ti, sh.d, sh.s)]]))
            c_idx.append(np.array([j]))
            vals.append(np.array([-1.0]))
        return sp.csc_matrix(
            (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
            shape=(n_rows, len(new)),
        )

    def add(new: list[_Shift]) -> list[_Shift]:
        fresh = []
        for sh in new:
            key = (sh.ti, sh.d, sh.s, sh.breaks)
            if key not in seen:
                seen.add(key)
                fresh.append(sh)
        shifts.extend(fresh)
        return fresh

    # first columns: every start with its breaks in the middle of their windows
    first_shifts = add(
        [
            _Shift(ti, d, int(s), tuple(int(s) + (b.first + b.last) // 2 for b in t.breaks))
            for ti, t in enumerate(templates)
            for d in work_days
            for s in starts[ti]
        ]
    )
    a_fixed = sp.csc_matrix((ent_v, (ent_r, ent_c)), shape=(n_rows, n_fixed))
    blocks = [a_fixed, shift_matrix(first_shifts)]
    a0 = sp.hstack(blocks, format="csc")
    n_first = len(first_shifts)
    model = ColumnModel(
        np.concatenate([np.asarray(cols_c), np.zeros(n_first)]),
        a0,
        np.asarray(row_lo),
        np.asarray(row_hi),
        np.zeros(n_fixed + n_first),
        np.concatenate([np.asarray(cols_hi), np.full(n_first, math.inf)]),
        np.concatenate([np.asarray(cols_int, bool), np.ones(n_first, bool)]),
    )

    def price(duals: np.ndarray, below: list[float]) -> list[_Shift]:
        """The cheapest shift of every start whose reduced cost is below ``below[t]``."""
        pi = np.zeros(G)
        pi[active] = duals[: active.size]
        new: list[_Shift] = []
        for ti, t in enumerate(templates):
            if not t.breaks:
                continue  # one shift per start, already a column
            prof = profiles[ti]
            ext = np.concatenate([pi, pi[: prof.size]])
            worth = np.correlate(ext, prof, mode="valid")[:G]  # floor value of a shift at q
            best_off: list[np.ndarray] = []
            best_val: list[np.ndarray] = []
            for b, bp in zip(t.breaks, bprofiles[ti], strict=True):
                ext_b = np.concatenate([pi, pi[: bp.size]])
                bval = np.correlate(ext_b, bp, mode="valid")[:G]
                width = b.last - b.first + 1
                win = sliding_window_view(np.concatenate([bval, bval[:width]]), width)
                best_off.append(np.argmin(win, axis=1))
                best_val.append(np.min(win, axis=1))
            for d in work_days:
                q0 = (d * T + starts[ti]) % G
                sigma = duals[[start_row[(ti, d, int(s))] for s in starts[ti]]]
                rc = sigma - worth[q0]
                offs = []
                for b, bo, bv in zip(t.breaks, best_off, best_val, strict=True):
                    w0 = (q0 + b.first) % G
                    rc = rc + bv[w0]
                    offs.append(starts[ti] + b.first + bo[w0])
                for jj in np.flatnonzero(rc < below[ti]).tolist():
                    brk = tuple(int(o[jj]) for o in offs)
                    new.append(_Shift(ti, d, int(starts[ti][jj]), brk))
        return new

    # column generation: price every start's cheapest shift from the duals
    tol = 1e-7 * scale
    lp_value = math.nan
    lp_x = np.zeros(0)
    converged = False
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 - the count is reported
        if time_limit is not None and time.process_time() - c_start > time_limit:
            break  # leave the rest of the time to the integer schedule
        status, lp_value, lp_x, duals = model.solve_lp()
        if status == "infeasible":
            return None
        if status != "optimal":
            break
        fresh = add(price(duals, [-tol] * len(templates)))
        if not fresh:
            converged = True
            break
        k = len(fresh)
        blocks.append(shift_matrix(fresh))
        model.add_columns(np.zeros(k), np.zeros(k), np.full(k, math.inf), blocks[-1],
                          np.ones(k, bool))  # fmt: skip
    if converged and np.any(lp_x[artificial] > 1e-6):
        return None  # even the LP needs artificial cover: no schedule covers the requirement
    model.set_upper(np.asarray(artificial, dtype=int), 0.0)
    lp_cpu = time.process_time() - c_start
    bound = lp_value if converged else math.nan
    n_cols = model.n_cols
    c_all = np.concatenate([np.asarray(cols_c), np.zeros(n_cols - n_fixed)])

    def finish(
        stop: float | None, budget: float | None, accept: float | None = None
    ) -> PoolSolution | None:
        """The integer schedule, stopped once its objective is ``<= stop`` or after ``budget``.

        ``budget`` is CPU seconds for the integer part (rounding and MILP). The
        last resort (the MILP over every generated shift) runs only when RENS
        ends above ``accept`` (default ``stop``).
        """
        enough = stop if accept is None else accept
        c_mip = time.process_time()
        start = None
        if converged:
            start = _rounded_start(
                lp_x, sp.hstack(blocks, format="csr"), np.asarray(row_lo), np.asarray(row_hi),
                c_all, n_fixed, shifts, floor_cols, need, active, templates, work_days,
                x_costs, week_pay, split_days_off_penalty, x_col, z_col, h_col, g_col,
                min_rows, col_hi,
            )  # fmt: skip
        start_obj = math.inf if start is None else float(c_all @ start)
        mip_gap = math.nan
        if start is not None and stop is not None and start_obj <= stop:
            v = start  # the rounded LP schedule is already within the gap
        else:
            if start is not None:
                # RENS (Berthold 2014): the MILP with every integer column between the floor
                # and the ceiling of its LP value (widened to hold the start). A few hundred
                # free columns instead of thousands: HiGHS finds schedules within a fraction
                # of a percent of the LP bound in seconds, where the full restricted MILP
                # spends a minute in root cut separation first.
                idx = np.flatnonzero(is_int)
                lo = np.minimum(np.floor(lp_x[idx] + 1e-6), start[idx])
                hi = np.maximum(np.ceil(lp_x[idx] - 1e-6), start[idx])
                model.set_bounds(idx, lo, np.minimum(hi, col_hi[idx]))
            left = None if budget is None else max(budget - (time.process_time() - c_mip), 1e-3)
            # CPU seconds by the callback; HiGHS's own (wall-clock) limit as a safety net,
            # since the callback is not reached in every phase of the search
            wall = None if left is None else 3.0 * left
            # HiGHS's own gap is against the bound of the restricted problem (at least the
            # LP bound, so it may understate the true gap): a quarter of the target
            mip = model.solve_mip(gap_rel=gap / 4 if start is not None else gap, cpu_limit=left,
                                  time_limit=wall, stop_at=stop, start=start)  # fmt: skip
            if mip.status == "infeasible" and start is None:
                # no integer schedule of the generated shifts is no proof that the pool has
                # none: a stopped pricing may lack the break times a schedule needs, and a
                # template's max_agents can keep the LP's shifts from being rounded up
                left = None if budget is None else budget - (time.process_time() - c_mip)
                return full_model(None if left is None else max(left, 1e-3), c_mip)
            mip_gap = mip.gap
            if mip.status != "infeasible" and (start is None or c_all @ mip.x < start_obj):
                v = np.maximum(np.rint(mip.x), 0.0)
            else:
                assert start is not None  # an infeasible MILP without a start returned above
                v = start
            left = None if budget is None else budget - (time.process_time() - c_mip)
            if (
                start is not None
                and (enough is None or c_all @ v > enough)
                and (left is None or budget is None or left > 0.05 * budget)
            ):
                # RENS fell short: the MILP over every generated shift, from its schedule
                model.set_bounds(np.flatnonzero(is_int), np.zeros(int(is_int.sum())),
                                 col_hi[is_int])  # fmt: skip
                wall = None if left is None else 3.0 * left
                mip = model.solve_mip(gap_rel=gap / 4, cpu_limit=left, time_limit=wall,
                                      stop_at=stop, start=v)  # fmt: skip
                if mip.status != "infeasible" and c_all @ mip.x < c_all @ v:
                    v = np.maximum(np.rint(mip.x), 0.0)
                    mip_gap = mip.gap
        mip_cpu = time.process_time() - c_mip
        return _solution(v, mip_cpu, mip_gap, start_obj)

    def full_model(left: float | None, c_mip: float) -> PoolSolution | None:
        """The schedule of the implicit-break model over every shift; None when it has none.

        The fallback when no integer schedule uses only the generated shifts: the
        compact model of :mod:`._model` (the CBC path's) covers every start and
        break placement of the templates, so its infeasibility is a proof.
        ``left`` is seconds for HiGHS (its own, wall-clock limit); a stop without
        a schedule raises :class:`~channelopt.errors.SolverError`.
        """
        full = build_pool_model(
            cover, templates, work_days, interval, cost_per_hour, shrinkage,
            over_cover_penalty=over_cover_penalty, split_days_off_penalty=split_days_off_penalty,
        )  # fmt: skip
        sol = solve_pool(full, solver="highs", time_limit=left, gap=gap, lp_bound=False)
        if sol is None:
            return None
        # the gap against the column generation's LP bound, like every other pool's; when
        # the pricing stopped early, the full MILP's own dual bound (nan if it has none)
        full_bound = bound if converged else sol.bound
        gap_value = relative_gap(sol.objective, full_bound)
        return replace(
            sol,
            bound=float(full_bound),
            lp_bound=float(bound),
            gap=float(gap_value),
            status="optimal" if gap_value <= gap + 1e-9 else "feasible",
            cpu_seconds=time.process_time() - c_mip,
            lp_cpu_seconds=lp_cpu,
            extra={
                "shifts_generated": float(len(shifts)),
                "mip_gap": float(sol.gap),
                "start_objective": math.inf,
                "rounds": float(rounds),
                "converged": float(converged),
                "full_model": 1.0,
            },
        )

    def _solution(v: np.ndarray, mip_cpu: float, mip_gap: float, start_obj: float) -> PoolSolution:
        x = {key: int(v[j]) for key, j in x_col.items() if v[j] > 0}
        breaks: dict[tuple[int, int, int], dict[int, int]] = {}
        on_floor = np.zeros(G)
        for j, sh in enumerate(shifts):
            k = int(v[n_fixed + j])
            if k <= 0:
                continue
            on_floor += k * floor_cols[j]
            for ki, u in enumerate(sh.breaks):
                slot = breaks.setdefault((sh.ti, ki, sh.d), {})
                slot[u] = slot.get(u, 0) + k
        pats: dict[tuple[int, tuple[int, ...]], int] = {}
        for zkey, j in z_col.items():
            if v[j] > 0:
                pats[zkey] = pats.get(zkey, 0) + int(v[j])
        for ti, t in enumerate(templates):
            group = {d: int(v[g_col[(ti, d)]]) for d in work_days}
            for p, k in _split_patterns(group, work_days, t.days_per_week):
                pats[(ti, p)] = pats.get((ti, p), 0) + k
        objective = float(np.dot(np.asarray(cols_c), v[:n_fixed]))
        objective -= sum(cols_c[h_col[ti]] * v[h_col[ti]] for ti in h_col)  # the group's bound
        if not math.isinf(split_days_off_penalty):
            objective += sum(
                split_days_off_penalty * week_pay[ti] * k
                for (ti, p), k in pats.items()
                if not consecutive_off(p)
            )
        gap_value = relative_gap(objective, bound)  # nan when pricing did not converge
        status = "optimal" if converged and gap_value <= gap + 1e-9 else "feasible"
        return PoolSolution(
            x=x,
            breaks=breaks,
            patterns=pats,
            on_floor=on_floor,
            objective=objective,
            bound=float(bound),
            lp_bound=float(bound),
            gap=float(gap_value),
            status=status,
            cpu_seconds=mip_cpu,
            lp_cpu_seconds=lp_cpu,
            variables=int(model.n_cols),
            constraints=int(model.n_rows),
            extra={
                "shifts_generated": float(len(shifts)),
                "mip_gap": float(mip_gap),
                "start_objective": float(start_obj),
                "rounds": float(rounds),
                "converged": float(converged),
                "full_model": 0.0,
            },
        )

    is_int = np.concatenate([np.asarray(cols_int, bool), np.ones(n_cols - n_fixed, bool)])
    col_hi = np.concatenate([np.asarray(cols_hi), np.full(n_cols - n_fixed, math.inf)])
    return PreparedPool(bound=float(bound), lp_cpu_seconds=lp_cpu, finish=finish)


def _rounded_start(
    lp_x: np.ndarray,
    a: sp.csr_matrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    c_all: np.ndarray,
    n_fixed: int,
    shifts: list[_Shift],
    floor_cols: list[np.ndarray],
    need: np.ndarray,
    active: np.ndarray,
    templates: list[TemplateSpec],
    work_days: tuple[int, ...],
    x_costs: list[float],
    week_pay: dict[int, float],
    split_pen: float,
    x_col: dict[tuple[int, int, int], int],
    z_col: dict[tuple[int, tuple[int, ...]], int],
    h_col: dict[int, int],
    g_col: dict[tuple[int, int], int],
    min_rows: dict[tuple[int, int, int], int],
    col_hi: np.ndarray,
) -> np.ndarray | None:
    """A feasible integer schedule (all columns) from the LP solution, or None.

    See :mod:`._rounding`: round down, repair the cover, drop redundant shifts,
    fit weekly patterns (extra shifts where the patterns need them), drop whole
    agents the cover no longer needs; the result is checked against every row.
    """
    n_sh = len(shifts)
    F = np.asarray(floor_cols)[:, active]
    req = need[active]
    lp = lp_x[n_fixed : n_fixed + n_sh]
    sh_ti = np.array([sh.ti for sh in shifts])
    sh_d = np.array([sh.d for sh in shifts])
    cost = np.array([x_costs[t] for t in sh_ti])
    group_of: dict[tuple[int, int], np.ndarray] = {}
    for key in {(int(t), int(d)) for t, d in zip(sh_ti, sh_d, strict=True)}:
        group_of[key] = np.flatnonzero((sh_ti == key[0]) & (sh_d == key[1]))
    pat_info = []
    for ti, t in enumerate(templates):
        n = t.days_per_week
        pats = [p for p in patterns(work_days, n)
                if consecutive_off(p) or not math.isinf(split_pen)]  # fmt: skip
        pc = np.array([n * x_costs[ti] + (0.0 if consecutive_off(p) else split_pen * week_pay[ti])
                       for p in pats])  # fmt: skip
        pat_info.append((pats, pc))
    try:
        y = repair_cover(np.floor(lp + 1e-6), F, req, cost, lp)
    except ValueError:
        return None
    best, best_obj = None, math.inf
    for _ in range(3):
        order = np.lexsort((-cost, lp - y))
        y = drop_redundant(y, F, req, order[y[order] > 0])
        spare = F.T @ y - req
        pats_used: dict[tuple[int, tuple[int, ...]], int] = {}
        for ti in range(len(templates)):
            counts = np.array([y[group_of[(ti, d)]].sum() if (ti, d) in group_of else 0.0
                               for d in work_days])  # fmt: skip
            pats, pc = pat_info[ti]
            z = cover_days(counts, pats, work_days, pc)
            for p, k in zip(pats, z, strict=True):
                if k > 0:
                    pats_used[(ti, p)] = int(k)
            have = np.array([sum(k for p, k in zip(pats, z, strict=True) if d in p)
                             for d in work_days])  # fmt: skip
            for di, d in enumerate(work_days):
                idx = group_of.get((ti, d))
                for _e in range(int(have[di] - counts[di])):
                    if idx is None:
                        return None  # no generated shift of this template on that day
                    # the extra shift goes where the floor has the least spare cover
                    score = (F[idx] * np.maximum(0.0, 1.0 - spare)).sum(axis=1)
                    j = int(idx[np.argmax(score)])
                    y[j] += 1
                    spare += F[j]
        # whole agents (one shift on each day of their pattern) the cover no longer needs
        for (ti, p), k in sorted(pats_used.items(), key=lambda kv: -x_costs[kv[0][0]]):
            for _k in range(k):
                trial = spare.copy()
                picks = []
                for d in p:
                    idx = group_of.get((ti, d))
                    if idx is None:
                        break
                    idx = idx[y[idx] > 0]
                    fits = np.all(trial[None, :] - F[idx] >= -1e-7, axis=1)
                    if not fits.any():
                        break
                    j = int(idx[np.argmax(fits)])
                    trial -= F[j]
                    picks.append(j)
                if len(picks) < len(p):
                    break
                y[np.asarray(picks)] -= 1
                spare = trial
                pats_used[(ti, p)] -= 1
        v = np.zeros(a.shape[1])
        v[n_fixed:] = y
        for j, sh in enumerate(shifts):
            if y[j] > 0:
                v[x_col[(sh.ti, sh.d, sh.s)]] += y[j]
        for start_key in min_rows:
            if v[x_col[start_key]] > 0:
                v[x_col[start_key] + 1] = 1.0  # the start's "used" binary
        for (ti, p), k in pats_used.items():
            if k <= 0:
                continue
            if (ti, p) in z_col:
                v[z_col[(ti, p)]] += k
            else:  # split days off: the template's split group
                v[h_col[ti]] += k
                for d in p:
                    v[g_col[(ti, d)]] += k
        ax = a @ v
        ok = np.all(ax >= row_lo - 1e-6) and np.all(ax <= row_hi + 1e-6)
        ok = ok and np.all(v <= col_hi + 1e-6)  # column bounds too: max_agents per start
        obj = float(c_all @ v)
        if ok and obj < best_obj:
            best, best_obj = v, obj
    return best
