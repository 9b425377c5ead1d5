"""Matplotlib figures of channelopt results, each returned as a :class:`~matplotlib.figure.Figure`.

The figures are drawn on ``matplotlib.figure.Figure`` objects directly (the
Agg canvas), never through ``pyplot``: the library does not touch pyplot's
global state, opens no windows and leaks no figures. Save one with
``fig.savefig("staffing.png")``, or show it in a notebook by evaluating it.

Each figure function takes tidy tables (documented per function) or the
engines' result objects, which :mod:`channelopt.reporting.tables` turns into
those tables. Channels keep one colour across every figure of a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = [
    "business_case_figure",
    "channel_colors",
    "comparison_figure",
    "journey_flows_figure",
    "pareto_figure",
    "plan_timeline_figure",
    "service_level_figure",
    "staffing_figure",
]

# Colour-blind-safe qualitative palette (Okabe-Ito, without black).
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
)
_INK = "#222222"
_MUTED = "#777777"
_GRID = "#e6e6e6"


def channel_colors(channels: Sequence[str]) -> dict[str, str]:
    """One colour per channel, stable in the order given (the scenario's order)."""
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    # FigureCanvasAgg is attached so the figure can be saved and shown anywhere
    # without pyplot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    return fig


def _style(ax: Any, *, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(colors=_INK, labelsize=8.5)
    ax.xaxis.label.set_color(_INK)
    ax.yaxis.label.set_color(_INK)
    if grid_axis:
        ax.grid(axis=grid_axis, color=_GRID, linewidth=0.8)
        ax.set_axisbelow(True)


def _title(fig: Figure, title: str, subtitle: str | None = None) -> None:
    fig.suptitle(title, x=0.01, ha="left", fontsize=12.5, fontweight="bold", color=_INK)
    if subtitle:
        # Subtitle as the figure's text under the title (constrained layout
        # keeps it clear of the axes).
        fig.text(0.01, 1.0, subtitle, ha="left", va="bottom", fontsize=8.5, color=_MUTED)


def _clock_ticks(ax: Any, n_intervals: int, interval_s: float) -> None:
    """Label an interval axis with clock times (every 2 hours when they fit)."""
    per_hour = 3600.0 / interval_s
    step_h = 2 if n_intervals * interval_s > 12 * 3600 else 1
    ticks = np.arange(0, n_intervals + 1e-9, max(per_hour * step_h, 1.0))
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [
            f"{int(t * interval_s // 3600) % 24:02d}:{int(t * interval_s % 3600 // 60):02d}"
            for t in ticks
        ]
    )
    ax.set_xlim(0, n_intervals)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The {what} table needs columns {list(columns)}; missing {missing}; "
            f"got columns {list(frame.columns)}."
        )


# --------------------------------------------------------------------------- staffing


def staffing_figure(
    table: pd.DataFrame,
    *,
    interval_s: float = 1800.0,
    channels: Sequence[str] | None = None,
    title: str = "Staffing by interval and channel",
    subtitle: str | None = None,
) -> Figure:
    """Offered contacts and required agents per interval, by channel.

    Parameters
    ----------
    table : DataFrame
        One row per interval x channel with columns ``interval`` (0-based),
        ``channel``, ``offered`` (contacts per interval) and ``agents``
        (required agents on duty); from :func:`channelopt.reporting.tables.staffing_table`.
        Self-service channels (no agents) appear in the top panel only.
    interval_s : float, default 1800
        Interval length in seconds (for the clock-time axis).
    channels : sequence of str, optional
        Channel order and colours (default: order of appearance).
    title, subtitle : str
        Figure title and an optional line under it.

    Returns
    -------
    matplotlib.figure.Figure
        Top: offered contacts per interval (lines). Bottom: required agents,
        stacked by channel (steps), so the top edge is the total.
    """
    _require(table, ["interval", "channel", "offered", "agents"], "staffing")
    order = list(channels) if channels is not None else list(dict.fromkeys(table["channel"]))
    colors = channel_colors(order)
    n = int(table["interval"].max()) + 1 if len(table) else 0
    fig = _figure(9.0, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.3])
    x = np.arange(n + 1)
    stack = np.zeros(n)
    for ch in order:
        rows = table[table["channel"] == ch].sort_values("interval")
        if rows.empty:
            continue
        offered = np.zeros(n)
        offered[rows["interval"].to_numpy(int)] = rows["offered"].to_numpy(float)
        top.step(x, np.r_[offered, offered[-1:]], where="post", color=colors[ch], lw=1.6, label=ch)
        agents = np.zeros(n)
        agents[rows["interval"].to_numpy(int)] = np.nan_to_num(rows["agents"].to_numpy(float))
        if agents.sum() > 0:
            lower = stack.copy()
            stack = stack + agents
            bottom.fill_between(
                x,
                np.r_[lower, lower[-1:]],
                np.r_[stack, stack[-1:]],
                step="post",
                color=colors[ch],
                alpha=0.85,
                lw=0,
                label=ch,
            )
    top.set_ylabel("offered contacts\nper interval")
    bottom.set_ylabel("required agents\non duty (stacked)")
    bottom.set_xlabel("time of day")
    for ax in (top, bottom):
        _style(ax)
        ax.set_ylim(bottom=0)
    if n:
        _clock_ticks(bottom, n, interval_s)
        peak = int(np.argmax(stack)) if stack.size else 0
        if stack.size and stack[peak] > 0:
            bottom.annotate(
                f"peak {stack[peak]:,.0f} agents",
                xy=(peak + 0.5, stack[peak]),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color=_INK,
            )
    # Above the axes, never over the data.
    top.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=min(len(order), 6),
        fontsize=8,
        frameon=False,
    )
    _title(fig, title, subtitle)
    return fig


def interval_kpi_figure(
    intervals: pd.DataFrame,
    *,
    interval_s: float = 1800.0,
    channels: Sequence[str] | None = None,
    targets: dict[str, str] | None = None,
    title: str = "Service level and occupancy by interval",
) -> Figure:
    """Service level and occupancy per interval of every staffed channel.

    Parameters
    ----------
    intervals : DataFrame
        ``StaffingResult.intervals``: ``interval, channel, kind, offered,
        service_level, occupancy`` (fractions).
    interval_s : float
        Interval length in seconds (clock-time axis).
    channels : sequence of str, optional
        Channel order and colours.
    targets : dict, optional
        Unused text per channel, kept for captions.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Top: service level per interval (intervals without contacts left out).
        Bottom: occupancy per interval.
    """
    _require(
        intervals, ["interval", "channel", "offered", "service_level", "occupancy"], "intervals"
    )
    order = list(channels) if channels is not None else list(dict.fromkeys(intervals["channel"]))
    colors = channel_colors(order)
    n = int(intervals["interval"].max()) + 1 if len(intervals) else 0
    fig = _figure(9.0, 5.2)
    top, bottom = fig.subplots(2, 1, sharex=True)
    kinds = intervals["kind"].astype(str) if "kind" in intervals else None
    for ch in order:
        rows = intervals[intervals["channel"] == ch].sort_values("interval")
        if kinds is not None:
            rows = rows[kinds.loc[rows.index].isin(["live", "concurrent"])]
        rows = rows[rows["offered"] > 0]
        if rows.empty:
            continue
        x = rows["interval"].to_numpy(float) + 0.5
        top.plot(x, rows["service_level"].to_numpy(float), color=colors[ch], lw=1.5, label=ch)
        bottom.plot(x, rows["occupancy"].to_numpy(float), color=colors[ch], lw=1.5, label=ch)
    top.set_ylabel("service level\n(share within target)")
    bottom.set_ylabel("occupancy\n(share of time busy)")
    bottom.set_xlabel("time of day")
    for ax in (top, bottom):
        _style(ax)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_fmt))
    if n:
        _clock_ticks(bottom, n, interval_s)
    handles, _labels = top.get_legend_handles_labels()
    if handles:
        top.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=min(len(handles), 6),
            fontsize=8,
            frameon=False,
        )
    _title(fig, title)
    return fig


def roster_figure(
    pools: pd.DataFrame,
    roster: dict[str, float],
    *,
    interval_s: float = 1800.0,
    title: str = "Required agents against the roster, by pool",
) -> Figure:
    """Per pool: agents the requirement needs per interval against the rostered agents.

    Parameters
    ----------
    pools : DataFrame
        ``StaffingResult.pools``: ``pool, interval, agents`` (agents on duty).
    roster : dict
        Rostered agents on duty per pool (``pools.<name>.agents``).
    interval_s : float
        Interval length in seconds (clock-time axis).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per pool (up to three per row).
    """
    _require(pools, ["pool", "interval", "agents"], "pools")
    names = list(dict.fromkeys(pools["pool"]))
    cols = min(3, max(len(names), 1))
    rows_n = math.ceil(len(names) / cols) if names else 1
    fig = _figure(9.0, 2.4 * rows_n + 0.8)
    axes = np.atleast_1d(fig.subplots(rows_n, cols, squeeze=False)).ravel()
    n = int(pools["interval"].max()) + 1 if len(pools) else 0
    for ax, name in zip(axes, names, strict=False):
        g = pools[pools["pool"] == name].sort_values("interval")
        need = np.zeros(n)
        need[g["interval"].to_numpy(int)] = g["agents"].to_numpy(float)
        x = np.arange(n + 1)
        ax.step(x, np.r_[need, need[-1:]], where="post", color=PALETTE[0], lw=1.6, label="required")
        have = float(roster.get(name, math.nan))
        if math.isfinite(have):
            ax.axhline(have, color="#D55E00", ls="--", lw=1.3, label="rostered agents")
        roster_text = f" (roster {have:,.0f})" if math.isfinite(have) else ""
        ax.set_title(f"{name}{roster_text}", fontsize=9.5, loc="left", color=_INK)
        ax.set_ylabel("agents on duty")
        ax.set_xlabel("time of day")
        _style(ax)
        ax.set_ylim(
            bottom=0,
            top=max(float(need.max()) if n else 0, have if math.isfinite(have) else 0, 1) * 1.15,
        )
        if n:
            _clock_ticks(ax, n, interval_s)
            ax.tick_params(axis="x", labelsize=7, labelrotation=45)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if names:
        fig.legend(
            *axes[0].get_legend_handles_labels(),
            fontsize=8,
            frameon=False,
            loc="outside upper right",
            ncols=2,
        )
    _title(fig, title)
    return fig


# --------------------------------------------------------------------------- service level


def service_level_figure(
    curves: pd.DataFrame,
    *,
    channels: Sequence[str] | None = None,
    title: str = "Service level against agents (peak interval)",
    subtitle: str | None = None,
) -> Figure:
    """Service level (and abandonment) against agents at each channel's peak interval.

    Parameters
    ----------
    curves : DataFrame
        Columns ``channel``, ``agents``, ``service_level`` and optionally
        ``abandonment``, ``target_service_level`` and ``required`` (the
        staffing layer's answer), one row per channel x agent count; from
        :func:`channelopt.reporting.tables.service_level_curves` (Erlang C/A
        kernels of :mod:`channelopt.queueing`).
    channels : sequence of str, optional
        Order of the panels and colours.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per channel: service level (solid) and abandonment (dashed)
        against agents, the target as a dotted line and the required agents
        marked.
    """
    _require(curves, ["channel", "agents", "service_level"], "service-level curves")
    order = list(channels) if channels is not None else list(dict.fromkeys(curves["channel"]))
    order = [c for c in order if (curves["channel"] == c).any()]
    colors = channel_colors(list(channels) if channels is not None else order)
    k = max(len(order), 1)
    cols = min(k, 3)
    rows = math.ceil(k / cols)
    fig = _figure(3.3 * cols + 0.6, 2.8 * rows + 0.6)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, ch in zip(axes, order, strict=False):
        d = curves[curves["channel"] == ch].sort_values("agents")
        color = colors[ch]
        ax.plot(d["agents"], d["service_level"], color=color, lw=2, label="service level")
        if "abandonment" in d and d["abandonment"].fillna(0).max() > 0:
            ax.plot(
                d["agents"], d["abandonment"], color=color, lw=1.2, ls="--", label="abandonment"
            )
        target = d["target_service_level"].dropna() if "target_service_level" in d else None
        if target is not None and len(target):
            ax.axhline(float(target.iloc[0]), color=_MUTED, lw=1, ls=":", label="target")
        required = d["required"].dropna() if "required" in d else None
        if required is not None and len(required):
            n_req = float(required.iloc[0])
            at = d.loc[d["agents"] == n_req, "service_level"]
            ax.axvline(n_req, color=_MUTED, lw=0.8)
            label = f"{n_req:.0f} agents"
            if len(at):
                label += f"\n{float(at.iloc[0]):.0%}"
            ax.annotate(
                label,
                xy=(n_req, 0.04),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=7.5,
                color=_INK,
            )
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(_percent)
        ax.set_title(ch, loc="left", fontsize=10, color=_INK)
        ax.set_xlabel("agents on duty")
        _style(ax, grid_axis="both")
    for ax in axes[len(order) :]:
        ax.set_visible(False)
    if len(order):
        axes[0].set_ylabel("fraction of contacts")
        # Outside the axes: the curves fill the panel.
        fig.legend(
            *axes[0].get_legend_handles_labels(),
            fontsize=7.5,
            frameon=False,
            loc="outside upper right",
            ncols=3,
        )
    _title(fig, title, subtitle)
    return fig


def _percent_fmt(value: float, _pos: int) -> str:
    return f"{value:.0%}"


_percent = FuncFormatter(_percent_fmt)


# --------------------------------------------------------------------------- journeys


OUTCOME_COLORS = {
    "resolved": "#009E73",
    "contained": "#56B4E9",
    "unresolved": "#E69F00",
    "lost": "#D55E00",
}


def journey_flows_figure(
    flows: pd.DataFrame,
    *,
    channels: Sequence[str] | None = None,
    title: str = "Journey flows between channels",
    subtitle: str | None = None,
) -> Figure:
    """Where contacts go next: transfers between channels and how contacts end.

    Parameters
    ----------
    flows : DataFrame
        Columns ``source``, ``target``, ``kind`` and ``contacts`` (per day).
        ``kind`` is ``arrival`` (``source`` is ``"external"``), ``handoff``,
        ``repeat`` or ``retrial`` for moves between channels, or an outcome
        ``resolved``, ``contained``, ``unresolved``, ``lost`` (``target`` is the
        outcome); from :func:`channelopt.reporting.tables.journey_flows`.
    channels : sequence of str, optional
        Channel order.

    Returns
    -------
    matplotlib.figure.Figure
        Left: a from/to matrix of hand-offs and repeats per day (numbers in
        the cells). Right: per channel, how the contacts it handled ended or
        moved on (stacked shares).
    """
    _require(flows, ["source", "target", "kind", "contacts"], "journey flows")
    order = list(channels) if channels is not None else _channels_in(flows)
    k = len(order)
    index = {c: i for i, c in enumerate(order)}
    fig = _figure(10.0, max(3.2, 0.55 * k + 2.2))
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    moves = flows[flows["kind"].isin(["handoff", "repeat"])]
    matrix = np.zeros((k, k))
    for row in moves.itertuples(index=False):
        if row.source in index and row.target in index:
            matrix[index[row.source], index[row.target]] += float(row.contacts)
    vmax = matrix.max() if matrix.size and matrix.max() > 0 else 1.0
    left.imshow(matrix, cmap="Blues", vmin=0, vmax=vmax * 1.15, aspect="auto")
    for i in range(k):
        for j in range(k):
            v = matrix[i, j]
            if v > 0:
                left.text(
                    j,
                    i,
                    _short(v),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.6 * vmax else _INK,
                )
    left.set_xticks(range(k), order, rotation=30, ha="right")
    left.set_yticks(range(k), order)
    left.set_xlabel("to channel")
    left.set_ylabel("from channel")
    left.set_title("hand-offs and repeats per day", loc="left", fontsize=10, color=_INK)
    left.tick_params(labelsize=8.5, length=0)
    for spine in left.spines.values():
        spine.set_visible(False)

    # Right panel: what happens to the contacts each channel handled.
    segments = [
        ("resolved", "resolved"),
        ("contained", "contained"),
        ("handoff", "handed off"),
        ("repeat", "came back (repeat)"),
        ("retrial", "retried"),
        ("unresolved", "ended unresolved"),
        ("lost", "lost (abandoned)"),
    ]
    seg_colors = {
        "resolved": OUTCOME_COLORS["resolved"],
        "contained": OUTCOME_COLORS["contained"],
        "handoff": "#0072B2",
        "repeat": "#CC79A7",
        "retrial": "#F0E442",
        "unresolved": OUTCOME_COLORS["unresolved"],
        "lost": OUTCOME_COLORS["lost"],
    }
    out = flows[flows["kind"] != "arrival"]
    totals = out.groupby("source")["contacts"].sum()
    y = np.arange(k)
    left_edge = np.zeros(k)
    for kind, label in segments:
        part = out[out["kind"] == kind].groupby("source")["contacts"].sum()
        share = np.array(
            [
                float(part.get(c, 0.0)) / float(totals.get(c, 0.0)) if totals.get(c, 0.0) else 0.0
                for c in order
            ]
        )
        if share.sum() <= 0:
            continue
        right.barh(y, share, left=left_edge, color=seg_colors[kind], label=label, height=0.6)
        for i, s in enumerate(share):
            if s >= 0.08:
                right.text(
                    left_edge[i] + s / 2,
                    i,
                    f"{s:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if kind in ("handoff", "lost", "resolved") else _INK,
                )
        left_edge += share
    right.set_yticks(y, [f"{c}\n{_short(float(totals.get(c, 0.0)))}/day" for c in order])
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.xaxis.set_major_formatter(_percent)
    right.set_title("what happens to each channel's contacts", loc="left", fontsize=10, color=_INK)
    _style(right, grid_axis="x")
    right.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, fontsize=7.5, frameon=False
    )
    _title(fig, title, subtitle)
    return fig


def _channels_in(flows: pd.DataFrame) -> list[str]:
    outcomes = {"external", "resolved", "contained", "unresolved", "lost"}
    names = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    return [n for n in names if n not in outcomes]


def _short(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f}m"
    if abs(v) >= 10_000:
        return f"{v / 1000:,.0f}k"
    if abs(v) >= 1000:
        return f"{v / 1000:,.1f}k"
    return f"{v:,.0f}"


# --------------------------------------------------------------------------- plans


def plan_timeline_figure(
    timeline: pd.DataFrame,
    spend: pd.DataFrame | None = None,
    *,
    n_periods: int | None = None,
    budget_per_period: Sequence[float] | None = None,
    title: str = "Plan timeline",
    subtitle: str | None = None,
) -> Figure:
    """Gantt chart of a plan's initiatives with the spend per period beneath.

    Parameters
    ----------
    timeline : DataFrame
        One row per started initiative: ``initiative``, ``start``,
        ``lead_time``, ``ramp`` (periods); from
        :func:`channelopt.reporting.tables.plan_timeline`.
    spend : DataFrame, optional
        One row per period: ``period`` and money columns to stack, e.g.
        ``initiative_cost`` and ``agent_cost``; ``budget`` (optional) is drawn
        as a line, not stacked.
    n_periods : int, optional
        Planning horizon (default: from the data).
    budget_per_period : sequence of float, optional
        Initiative budget per period, drawn as steps on the spend panel.

    Returns
    -------
    matplotlib.figure.Figure
        Bars from start: hatched while in lead time, shaded while ramping up,
        solid once in full effect.
    """
    _require(timeline, ["initiative", "start", "lead_time", "ramp"], "plan timeline")
    horizon = int(n_periods or 0)
    if not horizon:
        horizon = int(max([1, *(timeline["start"] + 1)], default=1))
        if spend is not None and len(spend):
            horizon = max(horizon, int(spend["period"].max()) + 1)
    rows = timeline.sort_values(["start", "initiative"]).reset_index(drop=True)
    k = len(rows)
    has_spend = spend is not None and len(spend) > 0
    height = max(1.2, 0.42 * k + 1.0) + (2.4 if has_spend else 0.0)
    fig = _figure(9.0, height)
    if has_spend:
        gantt, money = fig.subplots(
            2, 1, sharex=True, height_ratios=[max(0.6, 0.42 * k + 0.4), 2.2]
        )
    else:
        gantt, money = fig.subplots(1, 1), None
    color = "#0072B2"
    for i, row in rows.iterrows():
        start, lead, ramp = (
            float(row["start"]),
            float(row["lead_time"]),
            max(float(row["ramp"]), 0.0),
        )
        lead_end = min(start + lead, horizon)
        if lead_end > start:
            gantt.barh(
                i,
                lead_end - start,
                left=start,
                height=0.55,
                color="white",
                edgecolor=color,
                hatch="////",
                lw=0.8,
            )
        # Fraction in force in period t >= start + lead is min(1, (t - start - lead + 1) / ramp):
        # periods with a fraction below 1 are drawn lighter, one shade per period.
        full_from = min(lead_end + max(ramp - 1.0, 0.0), horizon)
        for p in range(int(lead_end), math.ceil(full_from)):
            frac = min(1.0, (p - lead_end + 1) / ramp)
            gantt.barh(i, 1, left=p, height=0.55, color=color, alpha=0.2 + 0.6 * frac, lw=0)
        if horizon > full_from:
            gantt.barh(i, horizon - full_from, left=full_from, height=0.55, color=color, lw=0)
    gantt.set_yticks(range(k), list(rows["initiative"]))
    gantt.invert_yaxis()
    gantt.set_xlim(0, horizon)
    _style(gantt, grid_axis="")
    for p in range(1, horizon):  # period boundaries
        gantt.axvline(p, color=_GRID, lw=0.8, zorder=0)
    gantt.tick_params(axis="y", length=0)
    if not k:
        gantt.set_ylim(-0.5, 0.5)
        gantt.text(
            horizon / 2,
            0,
            "no initiative started (do nothing)",
            ha="center",
            va="center",
            color=_MUTED,
            fontsize=9,
        )
        gantt.set_yticks([])
    legend = [
        Patch(facecolor="white", edgecolor=color, hatch="////", label="lead time (no effect yet)"),
        Patch(facecolor=color, alpha=0.45, label="ramping up"),
        Patch(facecolor=color, label="in full effect"),
    ]
    if k:
        gantt.legend(
            handles=legend,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=3,
            fontsize=7.5,
            frameon=False,
        )
    if money is not None and spend is not None:
        stack_cols = [c for c in spend.columns if c not in ("period", "budget")]
        bottom = np.zeros(len(spend))
        periods = spend["period"].to_numpy(float)
        money_colors = ["#0072B2", "#999999", "#E69F00", "#009E73", "#CC79A7"]
        for j, col in enumerate(stack_cols):
            vals = spend[col].fillna(0).to_numpy(float)
            money.bar(
                periods + 0.5,
                vals,
                bottom=bottom,
                width=0.7,
                color=money_colors[j % 5],
                label=col.replace("_", " "),
            )
            bottom += vals
        for p, total in zip(periods, bottom, strict=True):
            if total <= 0:
                continue
            money.text(
                p + 0.5, total, _money(total), ha="center", va="bottom", fontsize=7.5, color=_INK
            )
        budget = budget_per_period
        if budget is None and "budget" in spend:
            budget = list(spend["budget"])
        if budget is not None and len(budget):
            b = np.asarray(budget, float)
            xs = np.arange(len(b) + 1)
            money.step(
                xs,
                np.r_[b, b[-1:]],
                where="post",
                color="#D55E00",
                lw=1.4,
                ls="--",
                label="initiative budget",
            )
        if not bottom.any() and budget is None:
            money.set_ylim(0, 1)
            money.set_yticks([])
            money.text(
                horizon / 2,
                0.5,
                "no initiative spending",
                ha="center",
                va="center",
                color=_MUTED,
                fontsize=9,
            )
        money.set_ylabel("spend per period")
        money.set_xlabel("period")
        money.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _money(v)))
        money.legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        _style(money)
        money.set_xticks(np.arange(horizon) + 0.5, [str(p) for p in range(horizon)])
        # The shared axis hides the Gantt's tick labels; a reader needs them on both.
        gantt.tick_params(axis="x", labelbottom=True)
        gantt.set_xlabel("period (start of each initiative)")
    else:
        gantt.set_xticks(np.arange(horizon) + 0.5, [str(p) for p in range(horizon)])
        gantt.set_xlabel("period")
    _title(fig, title, subtitle)
    return fig


def _signed_money(v: float) -> str:
    return ("+" if v > 0 else "") + _money(v)


def _money_axis(values: Any) -> FuncFormatter:
    """Money tick labels precise enough to tell ticks apart on a narrow range."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size and np.abs(v).max() > 0 and np.ptp(v) < 0.05 * np.abs(v).max():
        return FuncFormatter(lambda x, _p: f"{x:,.0f}")
    return FuncFormatter(lambda x, _p: _money(x))


def _money(v: float) -> str:
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:,.1f}bn"
    if a >= 1e6:
        return f"{v / 1e6:,.2f}m"
    if a >= 1e3:
        return f"{v / 1e3:,.0f}k"
    return f"{v:,.0f}"


def business_case_figure(
    cases: pd.DataFrame,
    *,
    title: str = "Business case per initiative",
    subtitle: str | None = None,
) -> Figure:
    """Cost against value per initiative, with net value and payback.

    Parameters
    ----------
    cases : DataFrame
        One row per initiative: ``initiative``, ``cost`` and ``value``
        (present values, positive numbers), optionally ``payback_period``
        (periods; NaN when the initiative does not pay back in the horizon);
        from :func:`channelopt.reporting.tables.business_cases`.

    Returns
    -------
    matplotlib.figure.Figure
        Cost to the left of zero, value to the right, net value as a marker.
    """
    _require(cases, ["initiative", "cost", "value"], "business case")
    d = cases.copy()
    d["net"] = d["value"] - d["cost"]
    d = d.sort_values("net", ascending=True).reset_index(drop=True)
    k = len(d)
    fig = _figure(8.5, max(2.4, 0.45 * k + 1.4))
    ax = fig.subplots()
    y = np.arange(k)
    ax.barh(
        y, -d["cost"].to_numpy(float), color="#D55E00", height=0.6, label="cost (upfront + running)"
    )
    ax.barh(
        y,
        d["value"].to_numpy(float),
        color="#009E73",
        height=0.6,
        label="value (direct + operating saving)",
    )
    ax.scatter(d["net"], y, color=_INK, marker="D", s=22, zorder=3, label="net value")
    span = float(max(d["cost"].max(), d["value"].max(), 1.0)) if k else 1.0
    # Costs are usually much smaller than values: size each side to its own data.
    left = max(float(d["cost"].max()) if k else 0.0, float(-d["net"].min()) if k else 0.0)
    left = max(left, 0.1 * span)
    for i, row in d.iterrows():
        pay = row.get("payback_period", np.nan)
        text = f"net {_money(float(row['net']))}"
        if pay is not None and not (isinstance(pay, float) and math.isnan(pay)):
            text += f", pays back in period {int(pay)}"
        elif "payback_period" in d:
            text += ", no payback in horizon"
        ax.text(span * 1.04, i, text, va="center", fontsize=7.5, color=_INK)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_yticks(y, list(d["initiative"]))
    ax.set_xlim(-left * 1.1, span * 1.65)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _money(v)))
    ax.set_xlabel("money over the horizon (undiscounted)")
    ax.legend(fontsize=7.5, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3)
    _style(ax, grid_axis="x")
    ax.tick_params(axis="y", length=0)
    _title(fig, title, subtitle)
    return fig


def pareto_figure(
    frontier: pd.DataFrame,
    *,
    title: str = "Pareto frontier: value against budget",
    subtitle: str | None = None,
) -> Figure:
    """The non-dominated plans over budget.

    Parameters
    ----------
    frontier : DataFrame
        One row per plan: ``budget`` (the budget asked for), ``objective`` and
        optionally ``spend`` (what the plan spends on initiatives) and
        ``initiatives`` (text label of the plan); from
        :func:`channelopt.reporting.tables.pareto_table`.

    Returns
    -------
    matplotlib.figure.Figure
        Objective against initiative spend (or budget), a step line through
        the frontier, each point labelled with the initiatives it adds.
    """
    _require(frontier, ["budget", "objective"], "Pareto frontier")
    d = frontier.sort_values("budget").reset_index(drop=True)
    xcol = "spend" if "spend" in d and d["spend"].notna().all() else "budget"
    fig = _figure(8.5, 4.6)
    ax = fig.subplots()
    ax.step(d[xcol], d["objective"], where="post", color="#0072B2", lw=1.4, alpha=0.6)
    ax.scatter(d[xcol], d["objective"], color="#0072B2", s=36, zorder=3)
    if "initiatives" in d:
        previous: set[str] = set()
        for _, row in d.iterrows():
            names = [n for n in str(row["initiatives"] or "").split(", ") if n]
            added = [n for n in names if n not in previous]
            previous = set(names)
            label = ("+ " + ", ".join(added)) if added else ("do nothing" if not names else "")
            if label:
                ax.annotate(
                    label,
                    xy=(row[xcol], row["objective"]),
                    xytext=(6, -10),
                    textcoords="offset points",
                    fontsize=7.5,
                    color=_INK,
                )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _money(v)))
    ax.yaxis.set_major_formatter(_money_axis(d["objective"]))
    ax.set_xlabel("initiative spend" if xcol == "spend" else "initiative budget")
    ax.set_ylabel("objective (NPV - value of effort)")
    _style(ax, grid_axis="both")
    _title(fig, title, subtitle)
    return fig


# --------------------------------------------------------------------------- comparison

#: Metrics drawn by :func:`comparison_figure`: column, label, kind of number.
COMPARISON_METRICS: tuple[tuple[str, str, str], ...] = (
    ("objective", "objective", "money"),
    ("npv", "net present value", "money"),
    ("total_cost", "total cost", "money"),
    ("cost", "total cost", "money"),
    ("service_level", "service level", "fraction"),
    ("abandonment", "abandonment", "fraction"),
    ("simulated_service_level", "simulated service level", "fraction"),
    ("simulated_abandonment", "simulated abandonment", "fraction"),
    ("effort", "effort points", "number"),
    ("miss_probability", "P(miss targets)", "fraction"),
)


def comparison_figure(
    table: pd.DataFrame,
    *,
    metrics: Sequence[tuple[str, str, str]] = COMPARISON_METRICS,
    relative: bool = True,
    title: str = "Plans side by side",
    subtitle: str | None = None,
) -> Figure:
    """Key figures of several plans, one small panel per metric.

    Parameters
    ----------
    table : DataFrame
        One row per plan with a ``plan`` column and any of the metric columns
        (``objective``, ``npv``, ``total_cost`` or ``cost``, ``service_level``,
        ``abandonment``, ``simulated_service_level``, ``simulated_abandonment``,
        ``effort``, ``miss_probability``); a metric ``m`` may
        carry a 95 % interval in ``m_low`` and ``m_high``; from
        :func:`channelopt.reporting.tables.comparison_table`.
    relative : bool, default True
        Draw money metrics as the difference from the first plan (usually
        "do nothing"): totals are dominated by the agent cost every plan pays,
        so the differences are what a committee compares.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars per plan, with 95 % intervals when given. Metrics that
        are zero for every plan are left out.
    """
    _require(table, ["plan"], "comparison")
    shown = [
        m
        for m in metrics
        if m[0] in table and table[m[0]].notna().any() and (table[m[0]].fillna(0) != 0).any()
    ]
    baseline_name = str(table["plan"].iloc[0]) if relative and len(table) > 1 else None
    k = max(len(shown), 1)
    cols = min(k, 3)
    nrows = math.ceil(k / cols)
    n_plans = len(table)
    fig = _figure(3.3 * cols + 0.8, (0.32 * n_plans + 1.3) * nrows + 0.5)
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
    plans = [str(p) for p in table["plan"]]
    y = np.arange(n_plans)
    colors = [PALETTE[i % len(PALETTE)] for i in range(n_plans)]
    for ax, (col, label, kind) in zip(axes, shown, strict=False):
        vals = table[col].to_numpy(float)
        shift = 0.0
        if baseline_name is not None and kind == "money":
            shift = float(vals[0])
            vals = vals - shift
            label = f"{label} vs {baseline_name}"
        ax.barh(y, vals, color=colors, height=0.6)
        lo, hi = f"{col}_low", f"{col}_high"
        if lo in table and hi in table and table[lo].notna().any():
            low_v = table[lo].to_numpy(float) - shift
            high_v = table[hi].to_numpy(float) - shift
            err = np.vstack([vals - low_v, high_v - vals])
            ax.errorbar(
                vals,
                y,
                xerr=np.clip(np.nan_to_num(err), 0, None),
                fmt="none",
                ecolor=_INK,
                capsize=3,
                lw=1,
            )
        fmt = {
            "money": _signed_money if shift else _money,
            "fraction": lambda v: f"{v:.1%}",
            "number": _short,
        }[kind]
        ends = table[hi].to_numpy(float) - shift if hi in table else vals
        for i, v in enumerate(vals):
            if not math.isnan(v):
                # Label past the end of the bar (and of its interval) so they do not overlap.
                at = v if math.isnan(ends[i]) or v < 0 else max(v, ends[i])
                ax.text(
                    at,
                    i,
                    " " + fmt(v),
                    va="center",
                    ha="left" if v >= 0 else "right",
                    fontsize=7.5,
                    color=_INK,
                )
        ax.set_title(label, loc="left", fontsize=10, color=_INK)
        ax.set_yticks(y, plans if ax in axes[::cols] else [""] * n_plans)
        ax.invert_yaxis()
        if kind == "fraction":
            ax.xaxis.set_major_formatter(_percent)
        elif kind == "money":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _money(v)))
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _short(v)))
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.margins(x=0.25)
        _style(ax, grid_axis="x")
        ax.tick_params(axis="y", length=0)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    _title(fig, title, subtitle)
    return fig
