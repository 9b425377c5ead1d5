"""Log-space staffing curves for groups touched by many initiatives (see model.py)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..solver import _pulp
from ._common import _initiative, _lead_ramp
from ._structure import _Structure, traffic_proxy
from .measure import measure_period, measure_starts


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
        ini = _initiative(scenario, k)
        lead, ramp = _lead_ramp(ini)
        if lead > st.T - 1:
            continue
        t_ref = min(st.T - 1, lead + ramp - 1)
        f = ini.fraction(0, t_ref)
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
    frac_terms: Callable[[str, int], list[tuple[Any, float]]],
    objective_terms: list[Any],
    pool_peak_terms: dict[tuple[int, int], list[Any]],
    pool_fte_terms: dict[tuple[int, int], list[Any]],
) -> tuple[float, int]:
    """Convex piecewise-linear operating money of a group in log-workload space.

    Variables are changes against doing nothing (``u = 0``), so the objective
    carries no constant and the solver's relative gap is a gap on the
    improvement.
    """
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
            # u = sum_k d_k f_k(t) with f_k(t) = sum_s fraction(s, t) x[k, s]: the row's
            # coefficients d_k * fraction go straight into one dict (no expression per term)
            u_var = model.continuous(f"u_{c}_{t}", None)
            model.add(
                u_var
                == _pulp.lin_coefs(
                    (var, f * float(deltas[k][c]))
                    for k in inits
                    if deltas[k][c] != 0.0
                    for var, f in frac_terms(k, t)
                ),
                f"logload_{c}_{t}",
            )
            uv_var = model.continuous(f"uv_{c}_{t}", None)
            model.add(
                uv_var
                == _pulp.lin_coefs(
                    (var, f * float(vdeltas[k][c]))
                    for k in inits
                    if vdeltas[k][c] != 0.0
                    for var, f in frac_terms(k, t)
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
