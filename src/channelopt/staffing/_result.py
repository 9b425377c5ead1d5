"""The :class:`StaffingResult` and the tidy tables it holds (columns: ``docs/staffing.md``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._lazy import LazyTable
from ..provenance import VERSION, Provenance
from ..scenario.kinds import StaffingRule, kind_spec
from ..scenario.resolved import Resolved
from ..units import clock_labels
from ._deferred import DeferredKpis
from ._flows import FlowRates
from ._live import LiveKpis

__all__ = ["INTERVAL_COLUMNS", "POOL_COLUMNS", "SUMMARY_COLUMNS", "StaffingResult", "build_result"]

INTERVAL_COLUMNS = (
    "interval",
    "start",
    "start_s",
    "channel",
    "kind",
    "pool",
    "external",
    "offered",
    "load",
    "agents",
    "slots",
    "service_level",
    "average_wait",
    "abandonment",
    "occupancy",
    "within_deadline",
    "fte",
    "cost",
    "answered",
    "abandoned",
    "blocked",
    "lost",
    "handed_off",
    "repeats",
    "resolved",
    "unresolved",
    "contained",
    "gave_up",
    "wait_minutes",
)
POOL_COLUMNS = ("pool", "interval", "agents", "agents_lower_bound", "fte", "cost")
SUMMARY_COLUMNS = (
    "channel",
    "kind",
    "pool",
    "offered",
    "answered",
    "abandoned",
    "lost",
    "handed_off",
    "repeats",
    "contained",
    "peak_agents",
    "agent_hours",
    "service_level",
    "average_wait",
    "abandonment",
    "occupancy",
    "within_deadline",
    "fte_hours",
    "peak_fte",
    "cost",
)


class _Pending:
    """The interval table of :func:`build_result`, not built yet: its column arrays.

    ``intervals`` is built from these on first access (a sweep that only reads
    the summary never builds it); :meth:`blocks` gives the summary the same
    per-channel arrays the built table would.
    """

    def __init__(self, data: dict[str, np.ndarray], ni: int, C: int) -> None:
        self.data = data  # column -> (I * C,) channel-major, as the table holds them
        self.ni = ni
        self.C = C

    def table(self) -> pd.DataFrame:
        intervals = pd.DataFrame(self.data, columns=list(INTERVAL_COLUMNS))
        intervals["agents"] = intervals["agents"].astype(np.int64)
        intervals["slots"] = intervals["slots"].astype(np.int64)
        return intervals

    def blocks(self) -> dict[str, np.ndarray]:
        out = {}
        for name in _SUMMARY_INPUTS:
            values = self.data[name]
            if name in ("agents", "slots"):
                values = values.astype(np.int64)
            out[name] = values.reshape(self.C, self.ni)
        return out


def interval_columns(result: StaffingResult) -> dict[str, np.ndarray]:
    """The interval table's columns (channel-major arrays) without building the table
    where it is still pending: the values the table would hold (``agents`` and
    ``slots`` as float there; cast with ``astype(np.int64)`` as the table does)."""
    pending = result.__dict__.get("_intervals_table")
    if isinstance(pending, _Pending):
        return pending.data
    df = result.intervals
    return {name: df[name].to_numpy() for name in df.columns}


@dataclass(frozen=True, eq=False)
class StaffingResult:
    """Staffing of one period: per interval x channel, per pool x interval.

    Attributes
    ----------
    intervals : pandas.DataFrame
        One row per interval x channel (columns in ``docs/staffing.md``).
    pools : pandas.DataFrame
        One row per pool x interval: ``agents`` (sum of its channels: an upper
        bound on what the pool needs), ``agents_lower_bound``, ``fte``, ``cost``.
    residual : float
        Largest difference (contacts per interval) between the offered volume of
        the day's traffic equations and the per-interval fixed point at the end
        of the iteration; 0 when nothing abandons and retries.
    iterations : int
        Rounds of the retrial/abandonment fixed point across channels.
    period : int
        The period staffed.
    mode : str
        ``"required"`` (agents computed to meet the targets) or ``"evaluated"``
        (agents given by the caller).
    scenario_name, scenario_hash, version : str
        Provenance: scenario name and content hash, channelopt version.
    resolved : Resolved
        The plain-array period that was staffed.
    method : str
        ``"erlang"``, ``"pooled"`` or ``"simulation"``.
    exact : Mapping[str, bool]
        Channel -> True when its numbers come from an exact model of the
        simulation's rules; False where an approximation is used (see ``notes``).
    notes : Mapping[str, str]
        Reasons, keyed by channel name or ``"pool <name>"``: which channels are
        approximated and why, and whether a shared pool's sum is an optimistic
        or pessimistic bound. ``method="simulation"`` adds ``"method"`` (its
        replications, seed, cost against ``erlang`` and how the search ended)
        and, when Ctrl-C ended the search early, ``"interrupted"``.
    simulated : pandas.DataFrame or None
        ``method="simulation"``: the day-level KPIs per channel and target in
        the simulation at the returned staffing (``channel, measure, target,
        mean, ci_low, ci_high`` (95 %), ``bound`` (one-sided at the requested
        confidence), ``meets``, ``replications``); None otherwise.
    """

    if TYPE_CHECKING:
        intervals: pd.DataFrame
    else:
        intervals: pd.DataFrame = LazyTable(_Pending)  # required; built on first read
    pools: pd.DataFrame
    residual: float
    iterations: int
    period: int
    mode: str
    scenario_name: str
    scenario_hash: str
    version: str
    resolved: Resolved
    method: str = "erlang"
    exact: Mapping[str, bool] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    simulated: pd.DataFrame | None = None

    @property
    def provenance(self) -> dict[str, object]:
        """Scenario name and hash, channelopt version, method (one :class:`Provenance` record)."""
        return Provenance(
            scenario=self.scenario_name,
            content_hash=self.scenario_hash,
            method=self.method,
            channelopt_version=self.version,
            extra={"period": self.period},
        ).as_dict()

    def summary(self) -> pd.DataFrame:
        """One row per channel: the day's volumes, peak agents, weighted KPIs and cost.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``channel`` (in the scenario's order). Columns:
            ``kind, pool``; daily sums of ``offered, answered, abandoned,
            lost, handed_off, repeats, contained``; ``peak_agents``
            (max over intervals); ``agent_hours`` (agents x interval hours,
            summed); ``service_level`` (weighted by offered contacts),
            ``average_wait`` (s, weighted by answered contacts; deferred: mean
            delay to completion), ``abandonment`` (abandoned / offered),
            ``occupancy`` (carried work / agent time), ``within_deadline``
            (deferred, weighted by offered), ``fte_hours`` (paid hours per day:
            agent hours / (1 - shrinkage)), ``peak_fte`` and ``cost`` per day.
        """
        rows = self._summary_rows()
        if rows is None:  # rows not in the order build_result writes them
            return self._summary_grouped()
        # Indexed by channel: st.summary().loc["voice"] reads as it is meant.
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).set_index("channel")

    def _summary_rows(self) -> list[dict[str, object]] | None:
        """The rows of :meth:`summary` as dicts (``channel`` first); None when the
        interval table is not in the channel-major order ``build_result`` writes.

        What a sweep needs without building the DataFrame and reading it back.
        """
        hours = self.resolved.interval_s / 3600.0
        pending = self.__dict__.get("_intervals_table")
        if isinstance(pending, _Pending):  # the table is not built: read its arrays
            col, names, C = pending.blocks(), list(self.resolved.channels), pending.C
        else:
            blocks = _channel_blocks(self.intervals, self.resolved)
            if blocks is None:
                return None
            col, names, C = blocks
        rows = []
        for c in range(C):
            offered = _sum(col["offered"][c])
            answered = _sum(col["answered"][c])
            agents = col["agents"][c]
            agent_hours = _sum(agents * hours)
            work = _sum(col["occupancy"][c] * agents * hours)
            abandoned = _sum(col["abandoned"][c])
            fte = col["fte"][c]
            rows.append(
                {
                    "channel": names[c],
                    "kind": col["kind"][c][0],
                    "pool": col["pool"][c][0],
                    "offered": offered,
                    "answered": answered,
                    "abandoned": abandoned,
                    "lost": _sum(col["lost"][c]),
                    "handed_off": _sum(col["handed_off"][c]),
                    "repeats": _sum(col["repeats"][c]),
                    "contained": _sum(col["contained"][c]),
                    "peak_agents": int(agents.max()),
                    "agent_hours": agent_hours,
                    "service_level": _weighted(col["service_level"][c], col["offered"][c]),
                    "average_wait": _weighted(col["average_wait"][c], col["answered"][c]),
                    "abandonment": abandoned / offered if offered > 0 else 0.0,
                    "occupancy": work / agent_hours if agent_hours > 0 else 0.0,
                    "within_deadline": _weighted(col["within_deadline"][c], col["offered"][c]),
                    "fte_hours": _sum(fte * hours),
                    "peak_fte": np.nanmax(fte) if fte.size else math.nan,
                    "cost": _sum(col["cost"][c]),
                }
            )
        return rows

    def _summary_grouped(self) -> pd.DataFrame:
        """:meth:`summary` by a pandas groupby (any row order)."""
        df = self.intervals
        hours = self.resolved.interval_s / 3600.0
        rows = []
        for name, g in df.groupby("channel", sort=False):
            offered = g["offered"].sum()
            answered = g["answered"].sum()
            agent_hours = (g["agents"] * hours).sum()
            work = (g["occupancy"] * g["agents"] * hours).sum()

            def weighted(col: str, w: pd.Series, g: pd.DataFrame = g) -> float:
                ok = (w > 0) & g[col].notna()
                total = w[ok].sum()
                return float((g.loc[ok, col] * w[ok]).sum() / total) if total > 0 else math.nan

            rows.append(
                {
                    "channel": name,
                    "kind": g["kind"].iloc[0],
                    "pool": g["pool"].iloc[0],
                    "offered": offered,
                    "answered": answered,
                    "abandoned": g["abandoned"].sum(),
                    "lost": g["lost"].sum(),
                    "handed_off": g["handed_off"].sum(),
                    "repeats": g["repeats"].sum(),
                    "contained": g["contained"].sum(),
                    "peak_agents": int(g["agents"].max()),
                    "agent_hours": agent_hours,
                    "service_level": weighted("service_level", g["offered"]),
                    "average_wait": weighted("average_wait", g["answered"]),
                    "abandonment": g["abandoned"].sum() / offered if offered > 0 else 0.0,
                    "occupancy": work / agent_hours if agent_hours > 0 else 0.0,
                    "within_deadline": weighted("within_deadline", g["offered"]),
                    "fte_hours": (g["fte"] * hours).sum(),
                    "peak_fte": g["fte"].max(),
                    "cost": g["cost"].sum(),
                }
            )
        # Indexed by channel: st.summary().loc["voice"] reads as it is meant.
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).set_index("channel")

    def _facts(self) -> dict[str, object]:
        peak = self.pools.groupby("interval")["agents"].sum().max() if len(self.pools) else 0
        return {
            "scenario": self.scenario_name,
            "period": self.period,
            "channels": len(self.resolved.channels),
            "intervals": int(self.resolved.n_intervals),
            "peak_agents": int(peak) if peak == peak else peak,
            "cost_per_day": round(float(self.intervals["cost"].sum()), 2),
        }

    def __repr__(self) -> str:
        from .._display import short_repr

        return short_repr(
            "StaffingResult", self._facts(), ".summary(), .intervals, .pools, .agents()"
        )

    def _repr_html_(self) -> str:
        from .._display import html_repr

        return html_repr("StaffingResult", self._facts(), self.summary())

    def agents(self) -> pd.DataFrame:
        """Agents as a wide table: one row per interval, one column per channel."""
        return self.intervals.pivot(index="interval", columns="channel", values="agents")[
            list(self.resolved.channels)
        ]


_SUMMARY_INPUTS = (
    "kind",
    "pool",
    "offered",
    "answered",
    "abandoned",
    "lost",
    "handed_off",
    "repeats",
    "contained",
    "agents",
    "occupancy",
    "service_level",
    "average_wait",
    "within_deadline",
    "fte",
    "cost",
)


def _channel_blocks(
    df: pd.DataFrame, r: Resolved
) -> tuple[dict[str, np.ndarray], list[str], int] | None:
    """The summary's columns as (channels, intervals) arrays, when rows are channel-major.

    ``build_result`` writes one block of ``I`` rows per channel, in channel
    order; the same row subsets the groupby would take, without pandas per group.
    """
    C, ni = r.n_channels, r.n_intervals
    if len(df) != C * ni:
        return None
    channel = df["channel"].to_numpy()
    names = [str(v) for v in channel[::ni]] if ni else []
    if list(r.channels) != names or not (channel == np.repeat(np.asarray(names, object), ni)).all():
        return None
    col = {}
    for name in _SUMMARY_INPUTS:
        values = df[name].to_numpy()
        col[name] = values.reshape(C, ni)
    return col, names, C


def _sum(values: np.ndarray) -> float:
    """Sum skipping nan, as pandas' ``Series.sum`` does (same pairwise NumPy sum)."""
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        if nan.any():
            values = np.where(nan, 0.0, values)
    return values.sum()


def _weighted(values: np.ndarray, w: np.ndarray) -> float:
    """Mean of ``values`` weighted by ``w`` over entries with ``w > 0`` and a value."""
    ok = (w > 0) & ~np.isnan(values)
    total = _sum(w[ok])
    return float(_sum(values[ok] * w[ok]) / total) if total > 0 else math.nan


def build_result(
    r: Resolved,
    rates: FlowRates,
    x: np.ndarray,
    live: dict[int, LiveKpis],
    deferred: dict[int, tuple[np.ndarray, DeferredKpis]],
    residual: float,
    iterations: int,
    mode: str,
    split: np.ndarray,
    pool_lower: np.ndarray | None = None,
    owner: np.ndarray | None = None,
    *,
    pool_agents: np.ndarray | None = None,
    method: str = "erlang",
    exact: Mapping[str, bool] | None = None,
    notes: Mapping[str, str] | None = None,
) -> StaffingResult:
    """Assemble the tables from the per-channel arrays (vectorised; no per-row Python).

    ``owner``: the pool booking each channel (default: the first pool serving it);
    ``pool_agents`` (I, P): the agents the pools table reports (default: the sum of
    each pool's channel agents in ``split``).
    """
    ni, C = r.n_intervals, r.n_channels
    hours = r.interval_s / 3600.0
    if owner is None:
        owner = r.pool_of_channel()
    cols: dict[str, np.ndarray] = {
        k: np.zeros((ni, C))
        for k in INTERVAL_COLUMNS
        if k not in ("interval", "start", "start_s", "channel", "kind", "pool")
    }
    for k in ("service_level", "within_deadline", "average_wait"):
        cols[k][:] = np.nan
    cols["external"] = rates.external.copy()
    for c, kind in enumerate(r.kinds):
        xc = x[:, c]
        if not kind_spec(kind).staffed:
            cols["offered"][:, c] = xc
            cols["contained"][:, c] = xc * r.containment[c]
            cols["handed_off"][:, c] = xc * (1 - r.containment[c]) * rates.handoff_sum[c]
            cols["gave_up"][:, c] = xc * (1 - r.containment[c]) * (1 - rates.handoff_sum[c])
            cols["average_wait"][:, c] = 0.0
            continue
        if kind_spec(kind).staffing is StaffingRule.BACKLOG:
            agents, dk = deferred[c]
            cols["offered"][:, c] = xc
            cols["load"][:, c] = xc * (r.aht[c] + r.wrap_up[c]) / r.interval_s
            cols["agents"][:, c] = agents
            cols["slots"][:, c] = agents
            cols["within_deadline"][:, c] = dk.within_deadline
            cols["average_wait"][:, c] = dk.mean_delay
            work = dk.completed * (r.aht[c] + r.wrap_up[c]) / r.interval_s
            cols["occupancy"][:, c] = np.where(agents > 0, work / np.maximum(agents, 1), 0.0)
            answered = xc
            cols["wait_minutes"][:, c] = xc * dk.mean_delay / 60.0
        else:
            kp = live[c]
            slots_per_agent = int(r.concurrency[c]) if kind_spec(kind).multi_contact else 1
            cols["offered"][:, c] = xc
            # The load at the final flows (the KPIs were computed at the fixed point).
            cols["load"][:, c] = xc * kp.aht / r.interval_s
            cols["agents"][:, c] = kp.agents
            cols["slots"][:, c] = kp.agents * slots_per_agent
            cols["service_level"][:, c] = kp.service_level
            cols["average_wait"][:, c] = kp.average_wait
            cols["abandonment"][:, c] = kp.abandonment
            cols["occupancy"][:, c] = kp.occupancy
            abandoned = xc * kp.abandonment
            cols["abandoned"][:, c] = abandoned
            blocked_share = getattr(kp, "blocked", None)  # none in the frozen baseline
            blocked = None if blocked_share is None else xc * blocked_share
            if blocked is not None:
                cols["blocked"][:, c] = blocked
            out = live_outcomes(r, rates, c, xc, abandoned, blocked, kp.average_wait)
            answered = out["answered"]
            cols["lost"][:, c] = out["lost"]
            cols["wait_minutes"][:, c] = out["wait_minutes"]
        for k, v in answered_outcomes(rates, c, answered).items():
            cols[k][:, c] = v
    # FTE and cost from the pools the agents come from (split[t, p, c]).
    paid = split / (1.0 - r.pool_shrinkage[None, :, None])
    cols["fte"] = paid.sum(axis=1)
    cols["cost"] = (paid * (hours * r.pool_cost_per_hour)[None, :, None]).sum(axis=1)

    kinds = np.array([str(k) for k in r.kinds], dtype=object)
    pool_names = np.array([r.pools[p] if p >= 0 else "" for p in owner], dtype=object)
    data: dict[str, np.ndarray] = {
        "interval": np.tile(np.arange(ni), C),
        # a person reads "08:30"; code computes with start_s (seconds after midnight)
        "start": np.tile(np.array(clock_labels(ni, r.interval_s), dtype=object), C),
        "start_s": np.tile(np.arange(ni) * r.interval_s, C),
        "channel": np.repeat(np.array(r.channels, dtype=object), ni),
        "kind": np.repeat(kinds, ni),
        "pool": np.repeat(pool_names, ni),
    }
    for k, arr in cols.items():
        data[k] = arr.T.reshape(-1)
    # built on first read of .intervals (a staffing sweep only reads the summary)
    intervals = _Pending(data, ni, C)

    pools = _pool_table(r, cols, owner, split, pool_lower, pool_agents)
    return StaffingResult(
        intervals=intervals,  # a _Pending: the field builds the table on first read
        pools=pools,
        residual=float(residual),
        iterations=int(iterations),
        period=int(r.period),
        mode=mode,
        scenario_name=r.name,
        scenario_hash=r.content_hash,
        version=VERSION,
        resolved=r,
        method=method,
        exact={} if exact is None else exact,
        notes={} if notes is None else notes,
    )


def live_outcomes(
    r: Resolved,
    rates: FlowRates,
    c: int,
    offered: np.ndarray,
    abandoned: np.ndarray,
    blocked: np.ndarray | None,
    average_wait: np.ndarray,
) -> dict[str, np.ndarray]:
    """``answered``, ``lost`` and ``wait_minutes`` of live channel ``c`` per interval
    (contacts, contacts and minutes), from its offered, abandoned and (finite lines or
    queue) blocked contacts and its mean wait of answered contacts (s)."""
    p_ret = rates.retrial_probability
    if blocked is None:
        answered = offered - abandoned
        lost = abandoned * (1.0 - p_ret)
    else:  # finite lines / queue: blocked contacts retry like abandoned ones
        answered = offered - abandoned - blocked
        lost = (abandoned + blocked) * (1.0 - p_ret)
    if math.isfinite(r.patience[c]):
        # Little's law in the queue: abandonment rate = E[queue] / patience,
        # so the mean wait of all arrivals is P(abandon) x mean patience.
        wait_minutes = abandoned * r.patience[c] / 60.0
    else:
        # an unstable Erlang C interval (evaluated agents <= load) waits forever
        waits = answered > 0
        wait_minutes = np.where(waits, answered * np.where(waits, average_wait, 0.0) / 60.0, 0.0)
    return {"answered": answered, "lost": lost, "wait_minutes": wait_minutes}


def answered_outcomes(rates: FlowRates, c: int, answered: np.ndarray) -> dict[str, np.ndarray]:
    """What becomes of channel ``c``'s answered contacts per interval (contacts):
    ``answered``, ``handed_off``, ``repeats``, ``resolved`` and ``unresolved``."""
    return {
        "answered": answered,
        "handed_off": answered * rates.handoff_sum[c],
        "repeats": answered * rates.repeat_share[c] * rates.repeat_sum[c],
        "resolved": answered * rates.resolved_share[c],
        "unresolved": answered * rates.repeat_share[c] * (1.0 - rates.repeat_sum[c]),
    }


def _pool_table(
    r: Resolved,
    cols: dict[str, np.ndarray],
    owner: np.ndarray,
    split: np.ndarray,
    pool_lower: np.ndarray | None,
    pool_agents: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per pool x interval: sum of channel agents (or ``pool_agents``) and a lower
    bound on the pooled need.

    Lower bound per interval, over the pool's live and concurrent channels:
    ``max(max_c agents_c, ceil(sum_c carried_c))``. Any channel served by the
    pool sees at most the pool's agents (other work only takes agents away), so
    the pool needs at least each channel's own requirement; and it must carry
    the busy time of all of them (carried load = occupancy x agents). Deferred
    work can move to other intervals, so it does not enter the per-interval bound.
    """
    ni = r.n_intervals
    P = len(r.pools)
    hours = r.interval_s / 3600.0
    queues = np.array([kind_spec(k).queues for k in r.kinds], dtype=bool)
    agents = split.sum(axis=2).astype(float) if pool_agents is None else pool_agents  # (I, P)
    fte = agents / (1.0 - r.pool_shrinkage[None, :])
    cost = fte * hours * r.pool_cost_per_hour[None, :]
    if pool_lower is not None:
        lower = pool_lower
    else:
        lower = np.zeros((ni, P))
        for p in range(P):
            live = (owner == p) & queues
            if live.any():
                carried = (cols["occupancy"][:, live] * cols["agents"][:, live]).sum(axis=1)
                lower[:, p] = np.maximum(
                    cols["agents"][:, live].max(axis=1), np.ceil(carried - 1e-9)
                )
    return pd.DataFrame(
        {
            "pool": np.repeat(np.array(r.pools, dtype=object), ni),
            "interval": np.tile(np.arange(ni), P),
            "agents": agents.T.reshape(-1).astype(np.int64),
            "agents_lower_bound": lower.T.reshape(-1).astype(np.int64),
            "fte": fte.T.reshape(-1),
            "cost": cost.T.reshape(-1),
        },
        columns=list(POOL_COLUMNS),
    )
