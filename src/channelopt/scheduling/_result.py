"""The :class:`Schedule` result and its tidy tables (columns: docs/scheduling.md)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..provenance import Provenance
from ..units import SECONDS_PER_DAY
from ._model import DAYS, PoolSolution, TemplateSpec, consecutive_off, relative_gap

__all__ = ["COVERAGE_COLUMNS", "SHIFT_COLUMNS", "SUMMARY_COLUMNS", "PoolResult", "Schedule"]

SHIFT_COLUMNS = ("pool", "day", "template", "start", "end", "agents", "breaks", "paid_hours")
COVERAGE_COLUMNS = (
    "pool", "day", "interval", "start", "required", "on_floor", "scheduled", "over", "under",
)  # fmt: skip
PATTERN_COLUMNS = ("pool", "template", "days", "agents", "consecutive_days_off")
SUMMARY_COLUMNS = (
    "paid_hours",
    "cost",
    "required_hours",
    "efficiency",
    "agents_needed",
    "shifts",
    "objective",
    "lp_bound",
    "gap",
    "status",
)
#: tolerance below which over / under cover is rounding noise (agents)
_EPS = 1e-6


def _clock(seconds: float) -> str:
    s = round(seconds) % int(SECONDS_PER_DAY)
    return f"{s // 3600:02d}:{(s % 3600) // 60:02d}"


def _assign_breaks(
    starts: list[tuple[int, int]], positions: dict[int, int], first: int, last: int
) -> list[list[int]]:
    """Earliest-deadline matching of agents to break times (exact for sliding windows).

    ``starts``: (start offset, agents) sorted by start; ``positions``: break start
    offset -> agents on break there. Returns, per start, the break offset of each agent.
    """
    avail = sorted(positions.items())
    ptr = 0
    left = [k for _, k in avail]
    out: list[list[int]] = []
    for s, n in starts:
        got: list[int] = []
        for _ in range(n):
            # a break time before this start's window can never serve a later start either
            while ptr < len(avail) and (left[ptr] == 0 or avail[ptr][0] < s + first):
                ptr += 1
            if ptr >= len(avail) or avail[ptr][0] > s + last:
                raise RuntimeError("break matching failed: the solution violates Hall's condition")
            got.append(avail[ptr][0])
            left[ptr] -= 1
        out.append(got)
    return out


@dataclass
class PoolResult:
    """The schedule of one pool (tables and numbers), before assembly."""

    pool: str
    shifts: pd.DataFrame
    coverage: pd.DataFrame
    patterns: pd.DataFrame
    numbers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(
        cls, pool: str, p: Any, specs: list[TemplateSpec], need: np.ndarray, interval: float
    ) -> PoolResult:
        n_days, T = need.shape
        on_floor = np.zeros(n_days * T)
        cov = _coverage(pool, need, on_floor, p.shrinkage, interval)
        # nothing required: the empty schedule is optimal and every cost is >= 0, so 0 is
        # a proven bound (not an unknown one) and the gap is exactly 0
        numbers = {
            "paid_hours": 0.0, "cost": 0.0, "required_hours": 0.0, "efficiency": float("nan"),
            "agents_needed": 0, "shifts": 0, "objective": 0.0, "lp_bound": 0.0, "bound": 0.0,
            "gap": 0.0, "status": "optimal", "cpu_seconds": 0.0, "variables": 0,
            "constraints": 0,
        }  # fmt: skip
        return cls(pool, _empty(SHIFT_COLUMNS), cov, _empty(PATTERN_COLUMNS), numbers)

    @classmethod
    def from_solution(
        cls,
        pool: str,
        p: Any,
        specs: list[TemplateSpec],
        need: np.ndarray,
        interval: float,
        sol: PoolSolution,
    ) -> PoolResult:
        n_days, T = need.shape
        rows = []
        by_td: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for (ti, d, s), n in sol.x.items():
            by_td.setdefault((ti, d), []).append((s, n))
        for (ti, d), starts in sorted(by_td.items()):
            spec = specs[ti]
            starts.sort()
            per_break = [
                _assign_breaks(starts, sol.breaks.get((ti, ki, d), {}), b.first, b.last)
                for ki, b in enumerate(spec.breaks)
            ]
            for j, (s, n) in enumerate(starts):
                groups: dict[tuple[int, ...], int] = {}
                for a in range(n):
                    key = tuple(per_break[ki][j][a] for ki in range(len(spec.breaks)))
                    groups[key] = groups.get(key, 0) + 1
                start_s = (d * T + s) * interval
                day = int(start_s // SECONDS_PER_DAY) % n_days
                for key, k in sorted(groups.items()):
                    text = ", ".join(
                        f"{_clock((d * T + u) * interval)}-"
                        f"{_clock((d * T + u) * interval + b.length)}"
                        + ("" if b.paid else " unpaid")
                        for u, b in zip(key, spec.breaks, strict=True)
                    )
                    rows.append(
                        {
                            "pool": pool,
                            "day": day,
                            "template": spec.name,
                            "start": _clock(start_s),
                            "end": _clock(start_s + spec.length),
                            "agents": int(k),
                            "breaks": text,
                            "paid_hours": spec.paid / 3600.0,
                        }
                    )
        shifts = pd.DataFrame(rows, columns=list(SHIFT_COLUMNS))
        cov = _coverage(pool, need, sol.on_floor, p.shrinkage, interval)
        prow = [
            {
                "pool": pool,
                "template": specs[ti].name,
                "days": tuple(pat),
                "agents": int(n),
                "consecutive_days_off": consecutive_off(pat) if n_days == DAYS else True,
            }
            for (ti, pat), n in sorted(sol.patterns.items())
        ]
        patterns = pd.DataFrame(prow, columns=list(PATTERN_COLUMNS))
        paid_hours = float((shifts["agents"] * shifts["paid_hours"]).sum())
        required_hours = float((need / (1.0 - p.shrinkage)).sum() * interval / 3600.0)
        numbers = {
            "paid_hours": paid_hours,
            "cost": paid_hours * p.cost_per_hour,
            "required_hours": required_hours,
            "efficiency": required_hours / paid_hours if paid_hours > 0 else float("nan"),
            "agents_needed": int(patterns["agents"].sum()),
            "shifts": int(shifts["agents"].sum()),
            # objective and bounds in money (cost per hour 1 when the pool has no cost)
            "objective": sol.objective,
            "lp_bound": sol.lp_bound,
            "bound": sol.bound,
            "gap": sol.gap,
            "status": sol.status,
            "cpu_seconds": sol.cpu_seconds + sol.lp_cpu_seconds,
            "variables": sol.variables,
            "constraints": sol.constraints,
        }
        return cls(pool, shifts, cov, patterns, numbers)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


def _coverage(
    pool: str, need: np.ndarray, on_floor: np.ndarray, shrinkage: float, interval: float
) -> pd.DataFrame:
    n_days, T = need.shape
    floor = np.asarray(on_floor, float).reshape(n_days, T)
    floor = np.where(np.abs(floor) < _EPS, 0.0, floor)
    scheduled = floor * (1.0 - shrinkage)
    over = np.clip(scheduled - need, 0.0, None)
    under = np.clip(need - scheduled, 0.0, None)
    over[over < _EPS] = 0.0
    under[under < _EPS] = 0.0
    day, i = np.divmod(np.arange(n_days * T), T)
    return pd.DataFrame(
        {
            "pool": pool,
            "day": day,
            "interval": i,
            "start": [_clock(k * interval) for k in i],
            "required": need.reshape(-1),
            "on_floor": floor.reshape(-1),
            "scheduled": scheduled.reshape(-1),
            "over": over.reshape(-1),
            "under": under.reshape(-1),
        }
    )


@dataclass(frozen=True, eq=False)
class Schedule:
    """A week (or a day) of shifts per pool that covers the staffing requirement.

    Attributes
    ----------
    shifts : pandas.DataFrame
        One row per pool x day x template x start x break placement: ``pool,
        day, template, start`` (clock time ``"HH:MM"`` on ``day``), ``end``,
        ``agents``, ``breaks`` (``"HH:MM-HH:MM"`` each, ``unpaid`` marked),
        ``paid_hours`` (per shift).
    coverage : pandas.DataFrame
        One row per pool x day x interval: ``required`` (agents on contacts),
        ``on_floor`` (agents on shift and not on break), ``scheduled``
        (``on_floor x (1 - shrinkage)``: agents on contacts), ``over``,
        ``under`` (``under`` is 0 in every returned schedule).
    patterns : pandas.DataFrame
        Weekly patterns: ``pool, template, days`` (working day indices),
        ``agents``, ``consecutive_days_off``.
    objective, lp_bound, bound, gap : float
        The MILP objective (money per week: paid cost plus the stated
        penalties), its LP-relaxation bound, the best proven bound and the
        relative gap ``(objective - bound) / objective``, over all pools.
        ``bound``, ``lp_bound`` and ``gap`` are ``nan`` (unknown, never 0)
        when any pool has no bound (a time limit stopped its pricing before
        the LP converged); ``status`` is then ``"feasible"``.
    status : str
        ``"optimal"`` when the schedule is within the requested gap (HiGHS:
        the whole week's gap; CBC: every pool's), ``"feasible"`` otherwise
        (a time limit, or no schedule that close to the LP bound was found).
    cpu_seconds : float
        CPU time of the solves (s).
    interval : float
        Interval length (s).
    days : tuple of str
        Day names (``mon`` .. ``sun``; ``("day",)`` for ``week=False``); the
        ``day`` columns index into it.
    work_days : tuple of int
        Days on which shifts start.
    source : str
        Where the requirement came from.
    period : int
    scenario_name, scenario_hash, version, solver : str
        Provenance.
    week : Week or None
        The planning week scheduled (days, volume factors, opening hours);
        ``None`` for ``week=False``. ``simulate(scenario, staffing=schedule)``
        simulates this week.
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    patterns: pd.DataFrame
    objective: float
    lp_bound: float
    bound: float
    gap: float
    status: str
    cpu_seconds: float
    interval: float
    days: tuple[str, ...]
    work_days: tuple[int, ...]
    source: str
    period: int
    scenario_name: str
    scenario_hash: str
    version: str
    solver: str
    _numbers: pd.DataFrame
    week: Any = None

    @classmethod
    def build(
        cls,
        results: list[PoolResult],
        *,
        interval: float,
        day_names: tuple[str, ...],
        work_days: tuple[int, ...],
        period: int,
        source: str,
        scenario_name: str,
        scenario_hash: str,
        version: str,
        solver: str,
        week: Any = None,
        target_gap: float | None = None,
    ) -> Schedule:
        def cat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
            frames = [f for f in frames if len(f)]
            if not frames:
                return _empty(columns)
            return pd.concat(frames, ignore_index=True)

        numbers = pd.DataFrame([r.numbers for r in results], index=[r.pool for r in results])
        numbers.index.name = "pool"
        objective = float(numbers["objective"].sum())
        # a pool without a bound (pricing stopped before it converged) leaves the week's
        # bound unknown: pandas' default sum would skip it and understate the bound (0
        # when no pool has one), so the gap would look proven
        lp_bound = float(numbers["lp_bound"].sum(skipna=False))
        bound = float(numbers["bound"].sum(skipna=False))
        gap = relative_gap(objective, bound)
        status = "optimal" if (numbers["status"] == "optimal").all() else "feasible"
        if target_gap is not None:
            # one gap for the whole week (HiGHS path): a pool may use more than the target
            # when the others use less; an unknown gap (nan) is never "optimal"
            status = "optimal" if gap <= target_gap + 1e-9 else "feasible"
        return cls(
            shifts=cat([r.shifts for r in results], SHIFT_COLUMNS),
            coverage=cat([r.coverage for r in results], COVERAGE_COLUMNS),
            patterns=cat([r.patterns for r in results], PATTERN_COLUMNS),
            objective=objective,
            lp_bound=lp_bound,
            bound=bound,
            gap=gap,
            status=status,
            cpu_seconds=float(numbers["cpu_seconds"].sum()),
            interval=interval,
            days=day_names,
            work_days=work_days,
            source=source,
            period=period,
            scenario_name=scenario_name,
            scenario_hash=scenario_hash,
            version=version,
            solver=solver,
            _numbers=numbers,
            week=week,
        )

    @property
    def provenance(self) -> dict[str, object]:
        """Scenario name and hash, channelopt version, method (one :class:`Provenance` record)."""
        return Provenance(
            scenario=self.scenario_name,
            content_hash=self.scenario_hash,
            method="schedule",
            channelopt_version=self.version,
            extra={"period": self.period, "solver": self.solver, "requirement": self.source},
        ).as_dict()

    @property
    def pools(self) -> tuple[str, ...]:
        """Pool names in scenario order."""
        return tuple(self._numbers.index)

    def summary(self) -> pd.DataFrame:
        """One row per pool: the week's paid hours, cost, efficiency and headcount.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``pool``: ``paid_hours`` (h per week), ``cost`` (money
            per week: paid hours x cost per hour), ``required_hours`` (h on the
            floor the requirement needs: required agents / (1 - shrinkage) x
            interval hours), ``efficiency`` (required hours / paid hours),
            ``agents_needed`` (headcount working the week's patterns: the
            agents to hire), ``shifts`` (shifts worked in the week),
            ``objective``, ``lp_bound`` and ``gap`` of the pool's MILP,
            ``status``.
        """
        return self._numbers[list(SUMMARY_COLUMNS)].copy()

    def coverage_summary(self) -> pd.DataFrame:
        """Requirement against schedule per pool and day, in agent-hours and peaks.

        Returns
        -------
        pandas.DataFrame
            One row per pool x day on which shifts start or agents are
            required or scheduled: ``pool``, ``day`` (index into :attr:`days`),
            ``day_name``, ``required_hours``, ``scheduled_hours``,
            ``over_hours``, ``under_hours`` (agent-hours on contacts: the
            coverage columns times the interval length), ``peak_required``,
            ``peak_scheduled`` (agents on contacts in the busiest interval),
            ``cover`` (scheduled / required hours; nan when nothing is
            required). ``under_hours`` is 0 in every returned schedule.
        """
        cov = self.coverage
        columns = ["pool", "day", "day_name", "required_hours", "scheduled_hours", "over_hours",
                   "under_hours", "peak_required", "peak_scheduled", "cover"]  # fmt: skip
        if not len(cov):
            return _empty(tuple(columns))
        hours = self.interval / 3600.0
        g = cov.groupby(["pool", "day"], sort=False)
        out = pd.DataFrame(
            {
                "required_hours": g["required"].sum() * hours,
                "scheduled_hours": g["scheduled"].sum() * hours,
                "over_hours": g["over"].sum() * hours,
                "under_hours": g["under"].sum() * hours,
                "peak_required": g["required"].max(),
                "peak_scheduled": g["scheduled"].max(),
            }
        ).reset_index()
        keep = (
            out["day"].isin(self.work_days)
            | (out["required_hours"] > _EPS)
            | (out["scheduled_hours"] > _EPS)
        )
        out = out[keep].reset_index(drop=True)
        out["day"] = out["day"].astype(int)
        out.insert(2, "day_name", [self.days[d] for d in out["day"]])
        req = out["required_hours"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cover"] = np.where(req > _EPS, out["scheduled_hours"] / req, np.nan)
        return out[columns]

    @property
    def agents_needed(self) -> dict[str, int]:
        """Headcount per pool (the agents working the week's patterns)."""
        return {p: int(v) for p, v in self._numbers["agents_needed"].items()}

    @property
    def paid_hours(self) -> float:
        """Paid hours of the whole schedule (h per week)."""
        return float(self._numbers["paid_hours"].sum())

    @property
    def cost(self) -> float:
        """Paid cost of the whole schedule (money per week)."""
        return float(self._numbers["cost"].sum())

    @property
    def efficiency(self) -> float:
        """Required hours / paid hours over all pools."""
        paid = self.paid_hours
        return float(self._numbers["required_hours"].sum()) / paid if paid > 0 else math.nan

    def staffing_table(self) -> pd.DataFrame:
        """Agents on contacts per pool, day and interval, for ``simulate`` and ``evaluate``.

        Returns
        -------
        pandas.DataFrame
            Columns ``pool, day, interval, agents, on_floor``: ``on_floor`` is
            agents on shift and not on break; ``agents`` is ``on_floor x (1 -
            shrinkage)`` rounded down to whole agents (shrinkage is absence,
            training and other time off contacts that the schedule does not
            place; breaks are placed and so already excluded). Because the
            schedule covers ``required <= on_floor x (1 - shrinkage)`` and the
            requirement is in whole agents, ``agents >= required`` everywhere.
        """
        cov = self.coverage
        agents = np.floor(cov["scheduled"].to_numpy(float) + 1e-6).astype(int)
        return pd.DataFrame(
            {
                "pool": cov["pool"].to_numpy(),
                "day": cov["day"].to_numpy(),
                "interval": cov["interval"].to_numpy(),
                "agents": agents,
                "on_floor": cov["on_floor"].to_numpy(float),
            }
        )

    def __repr__(self) -> str:
        return (
            f"Schedule(scenario={self.scenario_name!r}, pools={list(self.pools)}, "
            f"days={len(self.work_days)}, paid_hours={self.paid_hours:.1f}, "
            f"cost={self.cost:.2f}, efficiency={self.efficiency:.3f}, "
            f"agents_needed={sum(self.agents_needed.values())}, gap={self.gap:.4f})"
        )

    def _repr_html_(self) -> str:
        table = self.summary().to_html(float_format=lambda v: f"{v:,.2f}")
        return f"<p>{html.escape(repr(self))}</p>{table}"
