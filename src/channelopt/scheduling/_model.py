"""The shift-scheduling MILP of one pool over a cyclic week, on plain arrays.

Variables (all integer):

* ``x[t, d, s]``: agents on template ``t`` whose shift starts at start ``s`` of
  the start window that opens on day ``d``;
* ``b[t, k, d, u]``: agents of those shifts taking break ``k`` at interval ``u``
  (implicit break placement, Bechtold & Jacobs 1990: breaks are counted per
  start time, not per shift; the forward and backward constraints below are
  Hall's condition for a matching of shifts to break times, exact because every
  start has the same break window offsets);
* ``z[t, p]``: agents on template ``t`` working the days of pattern ``p``
  (``days_per_week`` of the week's days), the headcount.

Constraints: cover the requirement after shrinkage in every interval of the
week (agents on shift minus agents on break, times ``1 - shrinkage``); agents
starting on day ``d`` equal the agents whose pattern works ``d``; the share of
a template in the headcount; per-start minimum (semi-continuous, with a
binary) and maximum. Objective: paid hours x cost per hour, plus a stated
penalty for over-cover and for days off that are not consecutive.

The week is cyclic (Sunday night runs into Monday morning): intervals are
numbered ``day * T + i`` modulo ``7 T``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import SolverError
from ..solver import ArraySolution, solve_arrays

__all__ = ["BreakSpec", "PoolModel", "PoolSolution", "TemplateSpec", "relative_gap", "solve_pool"]

DAYS = 7


@dataclass(frozen=True)
class BreakSpec:
    """A break in interval units: length (s) and the first / last start offset (intervals)."""

    length: float  #: s
    first: int  #: earliest start, intervals after the shift start
    last: int  #: latest start, intervals after the shift start
    paid: bool = True


@dataclass(frozen=True)
class TemplateSpec:
    """A shift template in interval units.

    ``starts`` are interval offsets from the start of the day on which the
    start window opens; offsets ``>= T`` fall after midnight (a window such as
    ``22:00-02:00``).
    """

    name: str
    length: float  #: s, breaks included
    paid: float  #: s
    starts: tuple[int, ...]
    breaks: tuple[BreakSpec, ...] = ()
    days_per_week: int = 5
    max_share: float = 1.0
    min_agents: int | None = None
    max_agents: int | None = None


@dataclass
class PoolModel:
    """The assembled arrays and the index maps needed to read a solution back."""

    c: np.ndarray
    a: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    #: (template index, day, start offset) of each x column, in column order
    x_index: list[tuple[int, int, int]]
    #: (template index, break index, day) -> (first column, break positions relative to the day)
    b_index: dict[tuple[int, int, int], tuple[int, np.ndarray]]
    #: (template index, pattern days) of each z column
    z_index: list[tuple[int, tuple[int, ...]]]
    #: columns of the x variables (``x_index`` order) and of the z variables (``z_index`` order)
    x_cols: np.ndarray
    z_cols: np.ndarray
    #: coverage matrix (7T x columns): agents on the floor per interval
    floor: sp.csr_matrix
    cost_scale: float
    #: (template, break, day, forward slack columns (starts 0..S-2), backward slack columns
    #: (starts 1..S-1)) of the Hall chains; see :func:`fill_slacks`
    slack_index: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=list
    )


@dataclass
class PoolSolution:
    """Agents per variable group and the solve's quality."""

    x: dict[tuple[int, int, int], int]
    breaks: dict[tuple[int, int, int], dict[int, int]]
    patterns: dict[tuple[int, tuple[int, ...]], int]
    on_floor: np.ndarray  #: (7T,) agents on the floor (breaks excluded)
    objective: float
    bound: float
    lp_bound: float
    gap: float
    status: str
    cpu_seconds: float
    lp_cpu_seconds: float
    variables: int
    constraints: int
    extra: dict[str, float] = field(default_factory=dict)


def relative_gap(objective: float, bound: float) -> float:
    """The relative gap ``(objective - bound) / |objective|`` (at least 0); nan for no bound.

    Parameters
    ----------
    objective : float
        Objective of the schedule found.
    bound : float
        A proven lower bound of the objective; ``nan`` when none is known (column
        generation stopped before it converged, or the solver stopped without one).

    Returns
    -------
    float
        The gap, or ``nan`` when ``bound`` (or ``objective``) is ``nan``.

    Notes
    -----
    Written out because Python's ``max(0.0, nan)`` is ``0.0``: an unknown bound
    would otherwise read as a proven optimum.
    """
    if math.isnan(bound) or math.isnan(objective):
        return math.nan
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def consecutive_off(days: tuple[int, ...]) -> bool:
    """Whether the days off of a pattern (the complement in the 7-day week) are one block."""
    off = [d for d in range(DAYS) if d not in days]
    if len(off) <= 1:
        return True
    # cyclic: the off days form one run when exactly one "start of run" exists
    starts = sum(1 for d in off if (d - 1) % DAYS not in off)
    return starts == 1


def patterns(work_days: tuple[int, ...], n: int) -> list[tuple[int, ...]]:
    """Every set of ``n`` working days from ``work_days``."""
    return [tuple(p) for p in itertools.combinations(sorted(work_days), n)]


def _profile(length: float, interval: float) -> np.ndarray:
    """Fraction of each interval from the start covered by a span of ``length`` seconds."""
    n = math.ceil(length / interval - 1e-9)
    j = np.arange(n, dtype=float)
    return np.clip((length - j * interval) / interval, 0.0, 1.0)


def _round_up_to_grain(need: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Round the requirement up to what integer agents can reach (a valid, tighter LP).

    Agents on the floor are integers times the coverage coefficients; when every
    coefficient is a multiple of ``1/q`` (q = 1 without partial intervals, 2 with
    15-minute breaks in 30-minute intervals), so is the floor, and a requirement
    of 10.67 agents really needs 11 (or 11.0 with q = 2). Rounding the right-hand
    side up tightens the LP relaxation without cutting off any integer schedule.
    ``coefficients`` are those of the coverage matrix (its non-zeros).
    """
    data = np.abs(coefficients)
    for q in range(1, 13):
        if np.allclose(data * q, np.rint(data * q), atol=1e-9):
            return np.ceil(need * q - 1e-7) / q
    return need


def build_pool_model(
    cover: np.ndarray,
    templates: list[TemplateSpec],
    work_days: tuple[int, ...],
    interval: float,
    cost_per_hour: float,
    shrinkage: float,
    *,
    over_cover_penalty: float,
    split_days_off_penalty: float,
) -> PoolModel:
    """Assemble the MILP of one pool (see the module docstring).

    ``cover`` (shape ``(7, T)``) is the requirement on the floor after
    shrinkage: required agents / (1 - shrinkage).
    """
    n_days, T = cover.shape
    G = n_days * T  # cyclic: the last day runs into the first
    # money per paid hour in the objective; a pool without a cost still minimises hours
    scale = cost_per_hour if cost_per_hour > 0 else 1.0
    c: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    integer: list[bool] = []
    # coverage (floor) entries
    f_rows: list[np.ndarray] = []
    f_cols: list[np.ndarray] = []
    f_vals: list[np.ndarray] = []
    # other constraint entries
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rlo: list[float] = []
    rhi: list[float] = []

    def new_col(cost: float, lo: float = 0.0, hi: float = math.inf, integ: bool = True) -> int:
        c.append(cost)
        lower.append(lo)
        upper.append(hi)
        integer.append(integ)
        return len(c) - 1

    def new_row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(rlo)
        for col, v in entries:
            rows.append(r)
            cols.append(col)
            vals.append(v)
        rlo.append(lo)
        rhi.append(hi)

    x_index: list[tuple[int, int, int]] = []
    b_index: dict[tuple[int, int, int], tuple[int, np.ndarray]] = {}
    z_index: list[tuple[int, tuple[int, ...]]] = []
    slack_index: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []
    x_cols: dict[tuple[int, int], list[int]] = {}
    z_cols: dict[int, list[int]] = {}
    x_col_list: list[int] = []
    on_floor_share = 1.0 - shrinkage

    for ti, tpl in enumerate(templates):
        prof = _profile(tpl.length, interval)
        span = np.arange(prof.size)
        floor_hours = (tpl.length - sum(b.length for b in tpl.breaks)) / 3600.0
        x_cost = (
            scale * tpl.paid / 3600.0 + over_cover_penalty * scale * on_floor_share * floor_hours
        )
        starts = np.array(sorted(tpl.starts), dtype=int)
        for d in work_days:
            cols_d = []
            for s in starts:
                hi = math.inf if tpl.max_agents is None else float(tpl.max_agents)
                col = new_col(x_cost, 0.0, hi)
                x_index.append((ti, d, int(s)))
                x_col_list.append(col)
                cols_d.append(col)
                g = (d * T + s + span) % G
                f_rows.append(g)
                f_cols.append(np.full(g.size, col))
                f_vals.append(prof)
                if tpl.min_agents:
                    # semi-continuous: 0 or at least min_agents (y = 1 when the start is used)
                    big = float(tpl.max_agents) if tpl.max_agents is not None else 1e4
                    y = new_col(0.0, 0.0, 1.0)
                    new_row([(col, 1.0), (y, -float(tpl.min_agents))], 0.0, math.inf)
                    new_row([(col, 1.0), (y, -big)], -math.inf, 0.0)
            x_cols[(ti, d)] = cols_d
            # breaks: implicit placement per (template, break, day)
            for ki, brk in enumerate(tpl.breaks):
                positions = np.arange(starts[0] + brk.first, starts[-1] + brk.last + 1)
                bprof = _profile(brk.length, interval)
                first_col = len(c)
                for u in positions:
                    col = new_col(0.0)
                    g = (d * T + u + np.arange(bprof.size)) % G
                    f_rows.append(g)
                    f_cols.append(np.full(g.size, col))
                    f_vals.append(-bprof)
                b_index[(ti, ki, d)] = (first_col, positions)
                bcols = np.arange(first_col, first_col + positions.size)
                # every shift takes this break exactly once
                new_row([(cc, 1.0) for cc in cols_d] + [(int(bc), -1.0) for bc in bcols], 0.0, 0.0)
                # Hall's condition for matching shifts to break times (Bechtold & Jacobs
                # 1990); with equal totals, prefixes and suffixes of the start order suffice.
                # Written as chains with a slack per prefix (suffix), so that each row holds
                # a handful of entries instead of the whole prefix: the same polytope with
                # O(S) instead of O(S^2) non-zeros (the LP is several times faster).
                # forward: shifts starting at or before s_j break no later than s_j + last,
                #   x_j + f_j - f_{j-1} = (breaks in (s_{j-1} + last, s_j + last]), f >= 0
                fwd: list[int] = []
                prev, done = -1, int(positions[0]) - 1
                for j in range(len(starts) - 1):
                    reach = int(starts[j] + brk.last)
                    f = new_col(0.0, integ=False)
                    fwd.append(f)
                    ents = [(cols_d[j], 1.0), (f, 1.0)] + ([(prev, -1.0)] if prev >= 0 else [])
                    ents += [
                        (int(bc), -1.0) for bc in bcols[(positions > done) & (positions <= reach)]
                    ]
                    new_row(ents, 0.0, 0.0)
                    prev, done = f, reach
                # backward: shifts starting at or after s_j break no earlier than s_j + first,
                #   x_j + g_j - g_{j+1} = (breaks in [s_j + first, s_{j+1} + first)), g >= 0
                bwd: list[int] = []
                prev, upto = -1, int(positions[-1]) + 1
                for j in range(len(starts) - 1, 0, -1):
                    reach = int(starts[j] + brk.first)
                    back = new_col(0.0, integ=False)
                    bwd.append(back)
                    ents = [(cols_d[j], 1.0), (back, 1.0)]
                    ents += [(prev, -1.0)] if prev >= 0 else []
                    ents += [
                        (int(bc), -1.0) for bc in bcols[(positions >= reach) & (positions < upto)]
                    ]
                    new_row(ents, 0.0, 0.0)
                    prev, upto = back, reach
                slack_index.append((ti, ki, d, tuple(fwd), tuple(bwd[::-1])))
        # weekly patterns: headcount and days off
        week_pay = scale * tpl.paid / 3600.0 * tpl.days_per_week
        zc = []
        for pat in patterns(work_days, tpl.days_per_week):
            split = not consecutive_off(pat)
            hi = 0.0 if (split and math.isinf(split_days_off_penalty)) else math.inf
            pen = 0.0 if not split or math.isinf(split_days_off_penalty) else split_days_off_penalty
            col = new_col(pen * week_pay, 0.0, hi)
            z_index.append((ti, pat))
            zc.append(col)
        z_cols[ti] = zc
        for d in work_days:
            ents = [(cc, 1.0) for cc in x_cols[(ti, d)]]
            ents += [(zc[i], -1.0) for i, (_, pat) in enumerate(z_index[-len(zc) :]) if d in pat]
            new_row(ents, 0.0, 0.0)
    # largest share of the pool's headcount per template
    all_z = [col for zc in z_cols.values() for col in zc]
    for ti, tpl in enumerate(templates):
        if tpl.max_share < 1.0:
            own = set(z_cols[ti])
            ents = [(col, (1.0 if col in own else 0.0) - tpl.max_share) for col in all_z]
            new_row(ents, -math.inf, 0.0)

    n = len(c)
    floor = sp.csr_matrix(
        (
            np.concatenate(f_vals) if f_vals else np.empty(0),
            (
                np.concatenate(f_rows) if f_rows else np.empty(0, int),
                np.concatenate(f_cols) if f_cols else np.empty(0, int),
            ),
        ),
        shape=(G, n),
    )
    need = _round_up_to_grain(cover.reshape(-1), floor.data)
    active = np.flatnonzero(need > 1e-9)
    other = sp.csr_matrix((vals, (rows, cols)), shape=(len(rlo), n))
    a = sp.vstack([floor[active], other], format="csr")
    row_lower = np.concatenate([need[active] - 1e-9, np.asarray(rlo, float)])
    row_upper = np.concatenate([np.full(active.size, math.inf), np.asarray(rhi, float)])
    return PoolModel(
        c=np.asarray(c, float),
        a=a,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=np.asarray(lower, float),
        col_upper=np.asarray(upper, float),
        integer=np.asarray(integer, bool),
        x_index=x_index,
        b_index=b_index,
        z_index=z_index,
        x_cols=np.asarray(x_col_list, dtype=int),
        z_cols=np.asarray(all_z, dtype=int),
        floor=floor,
        cost_scale=scale,
        slack_index=slack_index,
    )


def fill_slacks(model: PoolModel, templates: list[TemplateSpec], v: np.ndarray) -> None:
    """Set the Hall-chain slacks of ``v`` (in place) from its shift and break counts.

    The slack of start ``j`` is the break capacity left over by the prefix (suffix)
    of shifts; negative values mean the breaks cannot be matched to the shifts.
    """
    col_of = {key: int(j) for key, j in zip(model.x_index, model.x_cols, strict=True)}
    for ti, ki, d, fwd, bwd in model.slack_index:
        tpl, brk = templates[ti], templates[ti].breaks[ki]
        starts = sorted(tpl.starts)
        first, positions = model.b_index[(ti, ki, d)]
        b = v[first : first + positions.size]
        x = np.array([v[col_of[(ti, d, s)]] for s in starts])
        for j, col in enumerate(fwd):
            v[col] = b[positions <= starts[j] + brk.last].sum() - x[: j + 1].sum()
        for j, col in enumerate(bwd, start=1):
            v[col] = b[positions >= starts[j] + brk.first].sum() - x[j:].sum()


def greedy_start(
    model: PoolModel,
    cover: np.ndarray,
    templates: list[TemplateSpec],
    work_days: tuple[int, ...],
) -> np.ndarray | None:
    """A feasible schedule built greedily, to give the MILP a first incumbent (or None).

    Only templates without share or per-start limits are used. Day by day, the
    earliest interval still short is covered by agents on the latest start that
    reaches it outside every break window (so any break placement keeps the
    cover); breaks are taken at the start of their windows; the day counts are
    raised until whole weekly patterns fit them and split among patterns by
    largest remaining count. Checked against every constraint before use.
    """
    free = [i for i, t in enumerate(templates)
            if t.max_share >= 1.0 and not t.min_agents and t.max_agents is None]  # fmt: skip
    if not free:
        return None
    n_days, T = cover.shape
    G = n_days * T
    need = _round_up_to_grain(cover.reshape(-1), model.floor.data).reshape(n_days, T)
    v = np.zeros(model.c.size)
    col_of = {key: int(j) for key, j in zip(model.x_index, model.x_cols, strict=True)}
    # sure cover of one agent of (template, start): 1 outside the break windows of the shift
    sure: dict[tuple[int, int], np.ndarray] = {}
    for ti in free:
        tpl = templates[ti]
        span = math.ceil(tpl.length / (86400.0 / T) - 1e-9)
        for s in tpl.starts:
            prof = np.ones(span)
            for b in tpl.breaks:
                prof[b.first : b.last + math.ceil(b.length / (86400.0 / T) - 1e-9)] = 0.0
            sure[(ti, s)] = prof
    got = np.zeros(G)
    counts = {(ti, d): 0 for ti in free for d in work_days}
    for d in work_days:
        for _ in range(10 * T):
            short = [g for g in range(d * T, (d + 1) * T) if need.reshape(-1)[g] > got[g] + 1e-9]
            if not short:
                break
            g = short[0]
            best = None
            for (ti, s), prof in sure.items():
                off = g - (d * T + s)
                if 0 <= off < prof.size and prof[off] > 0 and (best is None or s > best[1]):
                    best = (ti, s)
            if best is None:
                return None
            ti, s = best
            k = math.ceil(need.reshape(-1)[g] - got[g] - 1e-9)
            prof = sure[best]
            idx = (d * T + s + np.arange(prof.size)) % G
            got[idx] += k * prof
            v[col_of[(ti, d, s)]] += k
            counts[(ti, d)] += k
        else:
            return None
    # weekly patterns: raise day counts so that whole patterns fit, then decompose
    z_of = {key: int(j) for key, j in zip(model.z_index, model.z_cols, strict=True)}
    for ti in free:
        n = templates[ti].days_per_week
        c = np.array([counts[(ti, d)] for d in work_days], dtype=int)
        if c.sum() == 0:
            continue
        heads = max(int(c.max()), math.ceil(c.sum() / n))
        extra = n * heads - int(c.sum())
        for j in np.argsort(c):
            add = min(extra, heads - c[j])
            c[j] += add
            extra -= add
            if add:
                d = work_days[j]
                v[col_of[(ti, d, templates[ti].starts[0])]] += add
        left = c.copy()
        for _ in range(heads):
            days = tuple(sorted(work_days[j] for j in np.argsort(-left, kind="stable")[:n]))
            key = (ti, days)
            if key not in z_of or model.col_upper[z_of[key]] < 1:
                return None
            v[z_of[key]] += 1
            for dd in days:
                left[work_days.index(dd)] -= 1
        if left.any():
            return None
    # breaks at the earliest position of their windows
    for (ti, ki, d), (first, positions) in model.b_index.items():
        if ti not in free:
            continue
        brk = templates[ti].breaks[ki]
        for s in templates[ti].starts:
            k = v[col_of[(ti, d, s)]]
            if k:
                v[first + int(np.searchsorted(positions, s + brk.first))] += k
    fill_slacks(model, templates, v)
    # every constraint, checked (the start is only a hint to the solver)
    if np.any(v < model.col_lower - 1e-9):
        return None
    ax = model.a @ v
    ok = np.all(ax >= model.row_lower - 1e-6) and np.all(ax <= model.row_upper + 1e-6)
    return v if ok else None


def solve_pool(
    model: PoolModel,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    gap: float = 0.01,
    lp_bound: bool = True,
    start: np.ndarray | None = None,
) -> PoolSolution | None:
    """Solve the MILP (and its LP relaxation for the LP bound); None when infeasible."""
    args = (model.c, model.a, model.row_lower, model.row_upper, model.col_lower,
            model.col_upper, model.integer)  # fmt: skip
    lp: ArraySolution | None = None
    if lp_bound:
        try:
            lp = solve_arrays(*args, solver=solver, time_limit=time_limit, relax=True)
        except SolverError:
            lp = None  # no LP bound within the time limit: reported as nan
        if lp is not None and lp.status == "infeasible":
            return None
    mip = solve_arrays(*args, solver=solver, time_limit=time_limit, gap_rel=gap, start=start)
    if mip.status == "infeasible":
        return None
    v = np.maximum(np.rint(mip.x), 0.0)
    x = {key: int(v[j]) for key, j in zip(model.x_index, model.x_cols, strict=True) if v[j] > 0}
    breaks: dict[tuple[int, int, int], dict[int, int]] = {}
    for key, (first, positions) in model.b_index.items():
        counts = v[first : first + positions.size]
        breaks[key] = {int(u): int(k) for u, k in zip(positions, counts, strict=True) if k > 0}
    pats = {key: int(v[j]) for key, j in zip(model.z_index, model.z_cols, strict=True) if v[j] > 0}
    on_floor = model.floor @ v
    objective = float(model.c @ v)
    lp_value = lp.objective if lp is not None else float("nan")
    # the best proven lower bound: the MIP's dual bound, never weaker than the LP bound
    bound = float(np.nanmax([mip.bound, lp_value])) if lp is not None else mip.bound
    gap_value = relative_gap(objective, bound)  # nan when neither the LP nor the MIP gave one
    return PoolSolution(
        x=x,
        breaks=breaks,
        patterns=pats,
        on_floor=np.asarray(on_floor, float),
        objective=objective,
        bound=float(bound),
        lp_bound=float(lp_value),
        gap=float(gap_value),
        status=mip.status,
        cpu_seconds=mip.cpu_seconds,
        lp_cpu_seconds=lp.cpu_seconds if lp is not None else 0.0,
        variables=int(model.c.size),
        constraints=int(model.a.shape[0]),
    )
