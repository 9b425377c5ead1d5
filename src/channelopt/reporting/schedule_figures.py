"""The coverage figure of a :class:`~channelopt.scheduling.Schedule`.

Per pool (one row of panels) and working day (one panel each): the
requirement (agents on contacts) as a step line against the agents on
contacts the schedule provides (``on_floor x (1 - shrinkage)``) as a filled
area. Over-cover is the gap between them; a schedule never shows the line
above the area (``under`` is 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._format import format_gap
from .figures import PALETTE, _clock_ticks, _figure, _style, _title

__all__ = ["coverage_figure"]


def coverage_figure(
    schedule: Any,
    pool: str | None = None,
    *,
    title: str = "Coverage: requirement against scheduled agents",
) -> Figure:
    """Requirement against scheduled agents per interval, by pool and day.

    Parameters
    ----------
    schedule : Schedule
        A result of :func:`channelopt.schedule`.
    pool : str, optional
        Draw only this pool (default: every pool with a requirement).
    title : str
        Figure title (the report names it "Requirement against scheduled
        agents, by pool and day").

    Returns
    -------
    matplotlib.figure.Figure
        Rows: pools; columns: the schedule's working days. The x axis is the
        clock time of the interval, the y axis agents on contacts.

    Raises
    ------
    KeyError
        When ``pool`` is not a pool of the schedule.
    """
    cov = schedule.coverage
    pools = list(schedule.pools)
    if pool is not None:
        if pool not in pools:
            raise KeyError(f"pool {pool!r} is not in the schedule; expected one of {pools}")
        pools = [pool]
    else:
        busy = cov.groupby("pool")["required"].sum()
        pools = [p for p in pools if busy.get(p, 0.0) > 0] or pools[:1]
    days = list(schedule.work_days)
    T = int(cov["interval"].max()) + 1 if len(cov) else 1
    fig = _figure(min(2.4 * len(days) + 1.0, 16.0), 1.9 * len(pools) + 1.0)
    axes = fig.subplots(len(pools), len(days), squeeze=False, sharey="row")
    x = np.arange(T + 1)
    for r, p in enumerate(pools):
        sub = cov[cov["pool"] == p]
        for c, d in enumerate(days):
            ax = axes[r][c]
            day = sub[sub["day"] == d].sort_values("interval")
            req = np.zeros(T)
            got = np.zeros(T)
            req[day["interval"].to_numpy(int)] = day["required"].to_numpy(float)
            got[day["interval"].to_numpy(int)] = day["scheduled"].to_numpy(float)
            ax.fill_between(x, np.append(got, got[-1]), step="post", color=PALETTE[0],
                            alpha=0.35, linewidth=0, label="scheduled")  # fmt: skip
            ax.step(x, np.append(req, req[-1]), where="post", color=PALETTE[5],
                    linewidth=1.2, label="required")  # fmt: skip
            _style(ax)
            _clock_ticks(ax, T, schedule.interval)
            ax.tick_params(axis="x", labelrotation=90, labelsize=7)
            if r == 0:
                ax.set_title(schedule.days[d], fontsize=9.5)
            if c == 0:
                ax.set_ylabel(f"{p}\nagents on contacts", fontsize=8.5)
            if r == len(pools) - 1:
                ax.set_xlabel("time of day", fontsize=8)
    # above the panels, never over the data
    fig.legend(
        *axes[0][0].get_legend_handles_labels(),
        fontsize=8,
        frameon=False,
        loc="outside upper right",
        ncols=2,
    )
    _title(
        fig,
        title,
        f"{schedule.scenario_name}; efficiency {schedule.efficiency:.0%}, "
        f"{sum(schedule.agents_needed.values())} agents to hire, gap {format_gap(schedule.gap)}",
    )
    return fig
