"""The result of a simulation: tidy tables, a summary with confidence intervals, provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._lazy import LazyTable
from ..provenance import Provenance
from ..scenario.kinds import kind_spec
from ..scenario.resolved import Resolved
from ..units import clock_labels
from ._engine import ReplicationOutput
from ._stats import mean_interval

__all__ = [
    "INTERVAL_COLUMNS",
    "JOURNEY_COLUMNS",
    "POOL_COLUMNS",
    "PendingJourneys",
    "SimulationResult",
    "build_tables",
]

INTERVAL_COLUMNS = (
    "replication",
    "day",
    "interval",
    "channel",
    "offered",
    "answered",
    "answered_within_target",
    "abandoned",
    "blocked",
    "balked",
    "timed_out",
    "disconnected",
    "lost",
    "contained",
    "handed_off",
    "service_level",
    "average_wait",
    "abandonment",
    "occupancy",
    # extra columns, after the fixed ones
    "gave_up",
    "completed",
    "total_wait",
    "busy_time",
    "agent_time",
    "start",
)

POOL_COLUMNS = (
    "replication",
    "day",
    "interval",
    "pool",
    "channel",
    "agents",
    "busy_time",
    "wrap_up_time",
    "occupancy",
)

JOURNEY_COLUMNS = (
    "replication",
    "journey",
    "day",
    "arrival",
    "first_channel",
    "channels_visited",
    "contacts",
    "handoffs",
    "repeats",
    "retrials",
    "abandonments",
    "total_wait",
    "queue_wait",
    "time_to_resolution",
    "resolved",
    "finished",
    "effort_points",
)

_COUNTS = (
    "offered",
    "answered",
    "abandoned",
    "blocked",
    "balked",
    "timed_out",
    "disconnected",
    "lost",
    "contained",
    "handed_off",
)
_RATES = ("service_level", "average_wait", "abandonment", "occupancy")


class PendingJourneys:
    """The journeys table of :func:`build_tables`, not built yet: the raw records.

    :attr:`SimulationResult.journeys` builds it on first read. Simulation-based
    staffing runs thousands of short simulations and reads only ``.intervals``:
    the journeys table was about a third of the cost of the tables (2.8 of 9.4
    million machine instructions on the guard's day of 13,000 contacts). The
    table is built once and shared by copies of the result.
    """

    __slots__ = ("_records", "_res", "_table", "_warmup_days")

    def __init__(
        self, res: Resolved, records: list[dict[str, np.ndarray]], warmup_days: int
    ) -> None:
        self._res = res
        self._records = records  # per replication, emptied as its rows are built
        self._warmup_days = warmup_days
        self._table: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        """The journeys table (built on the first call)."""
        if self._table is None:
            self._table = _journey_table(self._res, self._records, self._warmup_days)
            self._records = []
        return self._table


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What a simulation measured, per interval and per journey, with provenance.

    Attributes
    ----------
    intervals : pandas.DataFrame
        One row per replication x reported day x interval x channel; columns
        ``replication, day, interval, channel, offered, answered,
        answered_within_target, abandoned, blocked, balked, timed_out,
        disconnected, lost, contained, handed_off, service_level,
        average_wait, abandonment, occupancy`` followed by ``gave_up,
        completed, total_wait, busy_time, agent_time, start`` (``start``: the
        interval's clock time, ``"08:30"``; see
        ``docs/simulation.md``). Times in seconds; ``busy_time`` includes
        wrap-up.
    journeys : pandas.DataFrame
        One row per customer journey that started on a reported day (built
        when first read: a caller that never reads it does not pay for it).
    scenario_name, content_hash, version : str
        Provenance: scenario name and content hash, channelopt version.
    seed : int or None
        The ``seed=`` argument (``None`` when fresh entropy was used; then
        ``entropy`` reproduces the run).
    entropy : int
        Entropy of the root ``SeedSequence``.
    replications, days, warmup_days, period : int
        The run's settings.
    staffing : pandas.DataFrame
        Agents simulated per interval and pool (columns ``pool, interval, agents``).
    conservation : pandas.DataFrame
        Per replication, the contact balances checked at the end of the run.
    pools : pandas.DataFrame
        One row per replication x reported day x interval x pool x channel the
        pool serves: ``agents`` (mean agents on duty in the interval),
        ``busy_time`` (agent-seconds serving the channel, a chat counting
        1/concurrency), ``wrap_up_time`` (agent-seconds of after-contact work),
        ``occupancy`` ((busy + wrap-up) / time on duty of the pool).
    """

    intervals: pd.DataFrame
    if TYPE_CHECKING:
        journeys: pd.DataFrame
    else:
        journeys: pd.DataFrame = LazyTable(PendingJourneys)  # required; built on first read
    scenario_name: str
    content_hash: str
    version: str
    seed: int | None
    entropy: int
    replications: int
    days: int
    warmup_days: int
    period: int
    staffing: pd.DataFrame
    conservation: pd.DataFrame
    channels: tuple[str, ...] = field(default=())
    pools: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=POOL_COLUMNS))

    @property
    def provenance(self) -> dict[str, Any]:
        """Scenario name and hash, channelopt version, seed and run settings."""
        return Provenance(
            scenario=self.scenario_name,
            content_hash=self.content_hash,
            seed=self.seed,
            method="simulation",
            channelopt_version=self.version,
            extra={
                "entropy": self.entropy,
                "replications": self.replications,
                "days": self.days,
                "warmup_days": self.warmup_days,
                "period": self.period,
            },
        ).as_dict()

    def _facts(self) -> dict[str, object]:
        return {
            "scenario": self.scenario_name,
            "period": self.period,
            "replications": self.replications,
            "days": self.days,
            "seed": self.seed,
            "journeys": len(self.journeys),
        }

    def __repr__(self) -> str:
        from .._display import short_repr

        return short_repr("SimulationResult", self._facts(), ".summary(), .intervals, .journeys")

    def _repr_html_(self) -> str:
        from .._display import html_repr

        return html_repr("SimulationResult", self._facts(), self.summary())

    def per_replication(self) -> pd.DataFrame:
        """Per replication and channel: counts per day and the rates over all reported days.

        Rates are ratios of sums (``service_level`` = answered within target /
        offered; ``average_wait`` = total wait / answered; ``abandonment`` =
        abandoned / offered; ``occupancy`` = busy time / agent time).
        """
        df = self.intervals
        sums = df.groupby(["replication", "channel"], observed=True, sort=True)[
            [*_COUNTS, "answered_within_target", "total_wait", "busy_time", "agent_time"]
        ].sum()
        has_sl = df.groupby(["replication", "channel"], observed=True, sort=True)[
            "service_level"
        ].apply(lambda s: bool(s.notna().any()))
        out = pd.DataFrame(index=sums.index)
        for name in _COUNTS:
            out[name] = sums[name] / self.days
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = sums["answered_within_target"] / sums["offered"]
            out["service_level"] = sl.where(has_sl)
            out["average_wait"] = sums["total_wait"] / sums["answered"]
            out["abandonment"] = sums["abandoned"] / sums["offered"]
            out["occupancy"] = sums["busy_time"] / sums["agent_time"]
        return out.reset_index()

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per channel and measure: mean across replications and a t confidence interval.

        Parameters
        ----------
        confidence : float
            Two-sided confidence level of the interval (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``channel`` (in the scenario's order; one row per
            measure), columns ``measure, mean, ci_low, ci_high, std,
            replications``: ``res.summary().loc["voice"]`` is the voice
            channel. Measures: ``offered, answered, abandoned, lost,
            contained, handed_off`` (contacts per day), ``service_level``,
            ``average_wait`` (s), ``abandonment``, ``occupancy``. With one
            replication the interval is ``nan``. ``reset_index()`` gives the
            long table with ``channel`` as a column.
        """
        _check_confidence(confidence)
        # Indexed by channel, like StaffingResult.summary(): .loc["voice"] reads as meant.
        return _summary_table(
            self.per_replication(), "channel", (*_COUNTS, *_RATES), confidence, list(self.channels)
        )

    def pool_summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per pool and measure: mean across replications and a t confidence interval.

        Parameters
        ----------
        confidence : float
            Two-sided confidence level of the interval (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``pool`` (in the scenario's order; one row per
            measure), columns ``measure, mean, ci_low, ci_high, std,
            replications``. Measures per day of a replication:
            ``agent_hours`` (hours on duty), ``busy_hours`` (hours serving
            contacts, wrap-up included; a chat counts ``1 / concurrency``),
            ``peak_agents`` (largest mean number of agents on duty in an
            interval) and ``occupancy`` (busy hours / agent hours).
        """
        _check_confidence(confidence)
        df = self.pools
        if df.empty:
            return pd.DataFrame(columns=["pool", *_SUMMARY_COLUMNS]).set_index("pool")
        work = df.assign(_busy=df["busy_time"] + df["wrap_up_time"])
        # one row per replication x day x interval x pool (agents repeat per channel)
        keys = ["replication", "day", "interval", "pool"]
        per_interval = work.groupby(keys, observed=True, sort=False).agg(
            agents=("agents", "first"), busy=("_busy", "sum")
        )
        per_interval = per_interval.reset_index()
        interval_h = self._interval_hours()
        g = per_interval.groupby(["replication", "pool"], observed=True, sort=True)
        per = pd.DataFrame(
            {
                "agent_hours": g["agents"].sum() * interval_h / self.days,
                "busy_hours": g["busy"].sum() / 3600.0 / self.days,
                "peak_agents": g["agents"].max(),
            }
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            per["occupancy"] = per["busy_hours"] / per["agent_hours"]
        categories = list(df["pool"].cat.categories) if hasattr(df["pool"], "cat") else None
        measures = ("agent_hours", "busy_hours", "peak_agents", "occupancy")
        return _summary_table(per.reset_index(), "pool", measures, confidence, categories)

    def _interval_hours(self) -> float:
        """Length of one interval in hours (24 h over the intervals of a day in the table)."""
        n = int(self.intervals["interval"].max()) + 1 if len(self.intervals) else 1
        return 24.0 / max(n, 1)


#: Columns of ``SimulationResult.summary()`` and ``pool_summary()`` (after the index).
_SUMMARY_COLUMNS = ("measure", "mean", "ci_low", "ci_high", "std", "replications")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"The 'confidence' parameter must lie in (0, 1); got {confidence!r}")


def _summary_table(
    per: pd.DataFrame,
    key: str,
    measures: tuple[str, ...],
    confidence: float,
    categories: list[str] | None,
) -> pd.DataFrame:
    """Per ``key`` value and measure: mean and t interval over the rows of ``per`` (one per
    replication), indexed by ``key`` in the order of ``categories``."""
    rows = [
        (name, measure, *_interval(grp[measure], confidence))
        for name, grp in per.groupby(key, observed=True, sort=False)
        for measure in measures
    ]
    out = pd.DataFrame(rows, columns=[key, *_SUMMARY_COLUMNS])
    out[key] = pd.Categorical(out[key], categories=categories)
    return out.sort_values([key], kind="stable").set_index(key)


def _interval(values: pd.Series, confidence: float) -> tuple[float, float, float, float, int]:
    """``mean, ci_low, ci_high, std, n`` of the finite values (one per replication)."""
    x = values.to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    mean, lo, hi, std = mean_interval(x, confidence)
    return mean, lo, hi, std, len(x)


def build_tables(
    res: Resolved, outputs: list[ReplicationOutput], warmup_days: int, days: int
) -> tuple[pd.DataFrame, PendingJourneys, pd.DataFrame, pd.DataFrame]:
    """Raw replication outputs as the intervals, journeys, conservation and pools tables.

    The journeys table is returned pending (:class:`PendingJourneys`), built when
    ``SimulationResult.journeys`` is first read; the outputs' journey records
    move into it.
    """
    n_i, n_c = res.n_intervals, res.n_channels
    # a channel's occupancy is that of the pool its contacts are offered to first: with
    # explicit routing the first pool listing the channel may take it only as an overflow
    first_pool = res.first_routed_pool()
    traits = [kind_spec(k) for k in res.kinds]
    has_target = np.array(
        [
            (traits[c].queues and np.isfinite(res.target_within[c]))
            or (traits[c].has_deadline and np.isfinite(res.deadline[c]))
            for c in range(n_c)
        ]
    )
    lo = warmup_days * n_i
    frames, cons, pframes = [], [], []
    n_p = len(res.pools)
    serves = np.zeros((n_p, n_c), dtype=bool)
    for p, skills in enumerate(res.pool_skills):
        serves[p, list(skills)] = True
    pool_cat = _categories(tuple(res.pools))
    # the interval's clock time, "08:30", for reading (categorical: one string per interval)
    clock_cat = _clock_categories(n_i, float(res.interval_s))
    cat = _categories(tuple(res.channels))
    for r, out in enumerate(outputs):
        cnt = {k: v[lo:] for k, v in out.counters.items() if v.ndim == 2 and k != "duty"}
        g = cnt["offered"].shape[0]
        pool_idx = np.where(first_pool >= 0, first_pool, 0)
        pool_busy = out.counters["busy"][lo:] + out.counters["wrap"][lo:]  # (g, P, C)
        pool_duty = out.counters["duty"][lo:]  # (g, P)
        busy = np.where(first_pool >= 0, pool_busy.sum(axis=2)[:, pool_idx], np.nan)
        duty = np.where(first_pool >= 0, pool_duty[:, pool_idx], np.nan)
        pframes.append(_pool_frame(res, r, out, lo, serves, pool_cat, cat))
        offered = cnt["offered"]
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = np.where(has_target, cnt["answered_within_target"] / offered, np.nan)
            sl = np.where(offered > 0, sl, np.nan)
            aw = np.where(cnt["answered"] > 0, cnt["total_wait"] / cnt["answered"], np.nan)
            ab = np.where(offered > 0, cnt["abandoned"] / offered, np.nan)
            occ = np.where(duty > 0, busy / duty, np.nan)
        gi = np.repeat(np.arange(g), n_c)
        frame = {
            "replication": np.full(g * n_c, r, dtype=np.int64),
            "day": gi // n_i,
            "interval": gi % n_i,
            "channel": pd.Categorical.from_codes(np.tile(np.arange(n_c), g), dtype=cat),
        }
        for name in INTERVAL_COLUMNS[4:]:
            if name in cnt:
                frame[name] = cnt[name].ravel()
        frame.update(
            service_level=sl.ravel(),
            average_wait=aw.ravel(),
            abandonment=ab.ravel(),
            occupancy=occ.ravel(),
            busy_time=busy.ravel(),
            agent_time=duty.ravel(),
            start=pd.Categorical.from_codes(frame["interval"], dtype=clock_cat),
        )
        frames.append(pd.DataFrame({k: frame[k] for k in INTERVAL_COLUMNS}, copy=False))

        cons.append({"replication": r, **out.conservation})
    intervals = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    journeys = PendingJourneys(res, [out.journeys for out in outputs], warmup_days)
    for out in outputs:
        out.journeys = {}  # the pending table holds them now
    pools = pframes[0] if len(pframes) == 1 else pd.concat(pframes, ignore_index=True)
    # One int64 block (every balance is an int): pandas reads a list of dicts key by
    # key and infers each column's type, a fifth of the tables' cost on a one-day run.
    keys = list(cons[0])
    conservation = pd.DataFrame(
        np.array([[row[k] for k in keys] for row in cons], dtype=np.int64), columns=keys
    )
    return intervals, journeys, conservation, pools


def _journey_table(
    res: Resolved, records: list[dict[str, np.ndarray]], warmup_days: int
) -> pd.DataFrame:
    """The ``.journeys`` rows of every replication (its records emptied one by one)."""
    n_c = res.n_channels
    lo = warmup_days * res.n_intervals
    cat = _categories(tuple(res.channels))
    label_cache: dict[int, str] = {}
    jframes = []
    for r in range(len(records)):
        j = records[r]
        # journeys are numbered in arrival order: the reported ones are a suffix (views)
        first = int(np.searchsorted(j["start"], lo * res.interval_s, side="left"))
        start = j["start"][first:]
        day = (np.floor(start / 86_400.0) - warmup_days).astype(np.int32)
        mask = j["mask"][first:]
        codes, inverse = np.unique(mask, return_inverse=True)
        for m in codes:
            if int(m) not in label_cache:
                label_cache[int(m)] = ", ".join(
                    res.channels[c] for c in range(n_c) if int(m) >> c & 1
                )
        visited = pd.Categorical.from_codes(
            inverse.astype(np.int32), categories=[label_cache[int(m)] for m in codes]
        )
        end = j["end"][first:]
        resolved = j["resolved"][first:]
        wait = j["total_wait"][first:]
        queue_wait = j["queue_wait"][first:]
        handoffs = j["handoffs"][first:]
        repeats = j["repeats"][first:]
        abandons = j["abandonments"][first:]
        effort = (
            res.effort_wait_minute * queue_wait / 60.0
            + res.effort_handoff * handoffs
            + res.effort_repeat * repeats
            + res.effort_abandoned * abandons
        )
        jframes.append(
            pd.DataFrame(
                {
                    "replication": np.full(len(start), r, dtype=np.int32),
                    "journey": np.arange(len(start), dtype=np.int64),
                    "day": day,
                    "arrival": start - (day + warmup_days) * 86_400.0,
                    "first_channel": pd.Categorical.from_codes(
                        j["first_channel"][first:].astype(np.int32), dtype=cat
                    ),
                    "channels_visited": visited,
                    "contacts": j["contacts"][first:],
                    "handoffs": handoffs,
                    "repeats": repeats,
                    "retrials": j["retrials"][first:],
                    "abandonments": abandons,
                    "total_wait": wait,
                    "queue_wait": queue_wait,
                    "time_to_resolution": np.where(resolved, end - start, np.nan),
                    "resolved": resolved,
                    "finished": np.isfinite(end),
                    "effort_points": effort,
                },
                copy=False,
            )
        )
        records[r] = {}  # release the raw arrays as soon as they are in a frame
    journeys = jframes[0] if len(jframes) == 1 else pd.concat(jframes, ignore_index=True)
    if len(jframes) > 1:  # concat of differing categories falls back to object
        journeys["channels_visited"] = journeys["channels_visited"].astype("category")
    return journeys


@lru_cache(maxsize=64)
def _categories(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical dtype of ``names``, built once (pandas validates the categories on
    every construction: about a fifth of the tables' cost on a one-day run)."""
    return pd.CategoricalDtype(list(names))


@lru_cache(maxsize=64)
def _clock_categories(n_intervals: int, interval_s: float) -> pd.CategoricalDtype:
    """The categorical dtype of the intervals' clock times (formatting them anew on every
    run cost about as much as building the dtype)."""
    return _categories(tuple(clock_labels(n_intervals, interval_s)))


def _pool_frame(
    res: Resolved,
    r: int,
    out: ReplicationOutput,
    lo: int,
    serves: np.ndarray,
    pool_cat: pd.CategoricalDtype,
    channel_cat: pd.CategoricalDtype,
) -> pd.DataFrame:
    """The ``.pools`` rows of one replication (pool x channel pairs the pool serves)."""
    busy = out.counters["busy"][lo:]
    wrap = out.counters["wrap"][lo:]
    duty = out.counters["duty"][lo:]
    g = busy.shape[0]
    n_i = res.n_intervals
    pp, cc = np.nonzero(serves)
    k = len(pp)
    gi = np.repeat(np.arange(g), k)
    b = busy[:, pp, cc].ravel()
    w = wrap[:, pp, cc].ravel()
    d = duty[:, pp].ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(d > 0, (b + w) / d, np.nan)
    return pd.DataFrame(
        {
            "replication": np.full(g * k, r, dtype=np.int64),
            "day": gi // n_i,
            "interval": gi % n_i,
            "pool": pd.Categorical.from_codes(np.tile(pp, g), dtype=pool_cat),
            "channel": pd.Categorical.from_codes(np.tile(cc, g), dtype=channel_cat),
            "agents": d / res.interval_s,
            "busy_time": b,
            "wrap_up_time": w,
            "occupancy": occ,
        },
        copy=False,
    )
