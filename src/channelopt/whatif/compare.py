"""Plans side by side: exact evaluation, and optionally simulation under forecast error.

See ``docs/whatif.md`` ("Comparing plans") for every column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._display import progress_caller
from ..provenance import VERSION
from ..simulation import mean_interval, volume_factors
from .changes import case_seed, root_seed
from .executors import CaseStatus, Outcome, Progress, run_tasks
from .sweep import (
    content_hash,
    format_starts,
    plan_measures,
    queue_channels,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..planning import Plan
    from ..scenario import Scenario

__all__ = ["Comparison", "compare", "forecast_multipliers", "wilson_interval"]

# KPIs compared per plan in Comparison.summary(), in display order.
_SUMMARY_ROWS = (
    "starts",
    "objective",
    "npv",
    "cost",
    "agent_cost",
    "initiative_spending",
    "service_level",
    "abandonment",
    "effort_points",
    "feasible",
    "violations",
    "simulated_service_level",
    "simulated_service_level_low",
    "simulated_service_level_high",
    "simulated_abandonment",
    "simulated_abandonment_low",
    "simulated_abandonment_high",
    "miss_probability",
    "miss_probability_low",
    "miss_probability_high",
)

_Z95 = 1.959963984540054  # standard normal 97.5 % quantile


def forecast_multipliers(cv: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one daily volume multiplier per channel: gamma with mean 1 and CV ``cv``.

    The project's one forecast-error distribution,
    :func:`channelopt.simulation.volume_factors` (the simulation draws its
    daily factors with the same function). A channel with ``cv == 0`` gets
    exactly 1 and consumes no random numbers.

    Parameters
    ----------
    cv : ndarray, shape (C,)
        Coefficient of variation of daily volume per channel (``forecast_error``).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    ndarray, shape (C,)
        Multipliers (dimensionless, > 0).
    """
    return volume_factors(np.asarray(cv, dtype=float), rng)


def wilson_interval(successes: int, trials: int) -> tuple[float, float]:
    """95 % Wilson score interval of a binomial proportion (valid also at 0 and ``trials``)."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    z2 = _Z95 * _Z95
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = _Z95 * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    # At 0 and ``trials`` the bound is exactly 0 or 1; do not leave it to rounding.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def _clip01(interval: tuple[float, float, float]) -> tuple[float, float, float]:
    """A t interval of a fraction, clipped to [0, 1] (the fraction cannot leave it)."""
    mean, low, high = interval
    return (mean, max(0.0, low), min(1.0, high)) if math.isfinite(low) else interval


def _mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval across replications (nan width with one value)."""
    values = np.asarray(values, dtype=float)
    mean, low, high, _ = mean_interval(values[np.isfinite(values)], 0.95)
    return (mean, low, high)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Plans side by side (see :func:`compare`).

    Attributes
    ----------
    table : DataFrame
        One row per plan (``plan`` label first); columns in ``docs/whatif.md``.
    channels : DataFrame
        One row per plan x period x channel: the exact KPIs of
        :attr:`channelopt.PlanEvaluation.periods` with a ``plan`` column.
    simulation : DataFrame
        One row per plan x channel, simulated in period ``period``: means and
        95 % intervals of service level and abandonment at the forecast, and
        the probability of missing the channel's targets under forecast error.
        Empty when ``simulate=False``.
    plans : mapping of str to Plan
        The plans compared, by label.
    evaluations : mapping of str to PlanEvaluation
        The exact evaluation of every plan that could be evaluated.
    provenance : dict
        Scenario name and content hash, channelopt version, seed, period and
        replications.

    Notes
    -----
    Attributes not listed here are those of :attr:`table`: ``cmp["npv"]``,
    ``cmp.loc[...]``, ``len(cmp)`` and ``cmp.to_csv(path)`` act on the
    one-row-per-plan table.
    """

    table: pd.DataFrame
    channels: pd.DataFrame
    simulation: pd.DataFrame
    plans: Mapping[str, Any]
    evaluations: Mapping[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Anything not defined here is looked up on the one-row-per-plan table,
        # so a Comparison works where that DataFrame is expected
        # (cmp["objective"], cmp.loc[...], cmp.columns, cmp.to_csv(...)).
        if name.startswith("__") or name == "table":
            raise AttributeError(name)
        return getattr(self.table, name)

    def __getitem__(self, key: Any) -> Any:
        return self.table[key]

    def __len__(self) -> int:
        return len(self.table)

    def summary(self) -> pd.DataFrame:
        """The comparison as a committee reads it: one row per measure, one column per plan."""
        rows = [c for c in _SUMMARY_ROWS if c in self.table.columns]
        return self.table.set_index("plan")[rows].T.rename_axis("measure")


def _labelled(plans: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    if isinstance(plans, Mapping):
        out = {}
        for label, plan in plans.items():
            if not isinstance(label, str) or not label:
                raise ValueError(
                    f"The 'plans' parameter of compare: labels must be non-empty strings; "
                    f"got {label!r}."
                )
            out[label] = plan
    elif isinstance(plans, Sequence) and not isinstance(plans, str):
        out = {}
        for i, plan in enumerate(plans):
            label = str(getattr(plan, "name", "") or f"plan {i + 1}")
            if label in out:
                label = f"{label} ({i + 1})"
            out[label] = plan
    else:
        raise ValueError(
            "The 'plans' parameter of compare must be a mapping label -> Plan or a list of "
            f"plans; got {type(plans).__name__} instead."
        )
    if not out:
        raise ValueError("The 'plans' parameter of compare is empty; give at least one plan.")
    for label, plan in out.items():
        if not hasattr(plan, "starts"):
            raise ValueError(
                f"plans[{label!r}] must be a channelopt Plan (with .starts); got "
                f"{type(plan).__name__} {plan!r} instead."
            )
    return out


@dataclass(frozen=True)
class _Shared:
    scenario: Any
    plans: tuple[Any, ...]
    period: int
    replications: int
    root: int


def _misses(kpis: pd.DataFrame, resolved: Any) -> dict[str, bool]:
    """Which channels miss one of their targets (live and concurrent channels only)."""
    from ..scenario.kinds import kind_spec

    out = {}
    by_channel = kpis.set_index("channel")
    for c, name in enumerate(resolved.channels):
        if not kind_spec(resolved.kinds[c]).queues:
            continue
        if name not in by_channel.index:
            continue
        row = by_channel.loc[name]
        missed = False
        sl_target = float(resolved.target_service_level[c])
        if math.isfinite(sl_target) and row["offered"] > 0:
            missed |= bool(row["service_level"] < sl_target)
        ab_target = float(resolved.target_max_abandonment[c])
        if math.isfinite(ab_target) and row["offered"] > 0:
            missed |= bool(row["abandonment"] > ab_target)
        wait_target = float(resolved.target_max_wait[c])
        if math.isfinite(wait_target) and math.isfinite(row["average_wait"]):
            missed |= bool(row["average_wait"] > wait_target)
        out[name] = missed
    return out


def _volume_changes(scenario: Any, multipliers: np.ndarray, names: Sequence[str]) -> dict:
    changes = {}
    for name, m in zip(names, multipliers, strict=True):
        if m != 1.0:
            channel = scenario.channels[name]
            field_name = "volume" if getattr(channel, "volume", None) is not None else "arrivals"
            changes[f"channels.{name}.{field_name}"] = float(m)
    return changes


def _task(shared: _Shared, item: tuple[str, int, int]) -> Any:
    """One unit of compare work: evaluate a plan, simulate it at the forecast, or one draw."""
    kind, p, r = item
    scenario, plan = shared.scenario, shared.plans[p]
    if kind == "evaluate":
        from ..planning import evaluate

        return evaluate(scenario, plan)
    from ..simulation import simulate
    from ..staffing import staff

    # The plan's staffing is decided on the forecast; reality then differs.
    staffing = staff(scenario, period=shared.period, plan=plan)
    if kind == "nominal":
        result = simulate(
            scenario,
            staffing=staffing,
            replications=shared.replications,
            seed=case_seed(shared.root, 0),
            period=shared.period,
            plan=plan,
        )
        return result.per_replication()
    # kind == "forecast": replication r under a drawn daily volume. The draw and
    # the simulation seed depend on r only, so every plan meets the same
    # futures (common random numbers: the difference between plans is sharper).
    resolved = scenario.resolve(shared.period, plan)
    rng = np.random.default_rng(case_seed(shared.root, 1 + r))
    multipliers = forecast_multipliers(resolved.forecast_error, rng)
    changed = scenario.with_changes(_volume_changes(scenario, multipliers, resolved.channels))
    result = simulate(
        changed,
        staffing=staffing,
        replications=1,
        seed=int(rng.integers(0, 2**63)),
        period=shared.period,
        plan=plan,
    )
    return _misses(result.per_replication(), resolved)


def compare(
    scenario: Scenario,
    plans: Mapping[str, Plan] | Sequence[Plan],
    *,
    simulate: bool = False,
    replications: int = 20,
    seed: int | np.random.Generator | None = 0,
    executor: Any = "serial",
    period: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Put plans side by side: money, service, effort, feasibility and, if asked, risk.

    Every plan is measured exactly with :func:`channelopt.evaluate`. With
    ``simulate=True`` each plan is also simulated in period ``period`` with the
    staffing it plans (:func:`channelopt.staff` of the scenario under the
    plan): ``replications`` replications at the forecast give 95 % intervals,
    and ``replications`` draws of the forecast error give the probability that
    the plan misses its targets.

    Forecast error: per draw, every channel's daily external volume is
    multiplied by a gamma factor with mean 1 and coefficient of variation
    ``forecast_error`` (:func:`forecast_multipliers`); the plan keeps the
    staffing it planned for the forecast. A draw *misses* when some live or
    concurrent channel misses its service-level, abandonment or average-wait
    target over the simulated day(s). The same draws and simulation seeds are
    used for every plan (common random numbers).

    Parameters
    ----------
    scenario : Scenario
        The scenario the plans are for.
    plans : mapping of str to Plan, or list of Plan
        Plans by label (a list is labelled by ``plan.name`` or ``plan 1, 2, ...``).
    simulate : bool
        Also simulate (slower).
    replications : int
        Replications at the forecast, and draws of the forecast error, per plan
        (the t intervals need two; with one they are NaN).
    seed : int, numpy.random.Generator or None
        Root seed; the result does not depend on the executor.
    executor : {"serial", "processes"}, Executor, dask.distributed.Client or str
        Where the simulations run (see :mod:`channelopt.whatif.executors`); the
        exact evaluations, a fraction of the work, run in this process.
    period : int, optional
        Period simulated; default the last period, when the initiatives started
        earliest are in force.
    progress : callable, optional
        ``progress(done, total)`` in tasks (evaluations and simulations).

    Returns
    -------
    Comparison
        ``.table`` (one row per plan), ``.channels``, ``.simulation`` and ``.summary()``.

    Raises
    ------
    ValueError
        Bad ``plans``, ``replications`` or ``period``.
    """
    labelled = _labelled(plans)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(
            "The 'replications' parameter of compare must be a positive int; "
            f"got {replications!r} instead."
        )
    n_periods = int(getattr(scenario, "n_periods", 1))
    if period is None:
        period = n_periods - 1
    if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period < n_periods:
        raise ValueError(
            f"The 'period' parameter of compare must be an int in [0, {n_periods - 1}]; "
            f"got {period!r} instead."
        )
    root = root_seed(seed)
    labels = list(labelled)
    # Plan objects do not pickle: workers get plain data and rebuild them.
    shared = _Shared(scenario, tuple(labelled.values()), period, replications, root)
    evaluations_items = [("evaluate", p, 0) for p in range(len(labels))]
    sim_items: list[tuple[str, int, int]] = []
    if simulate:
        sim_items += [("nominal", p, 0) for p in range(len(labels))]
        sim_items += [("forecast", p, r) for p in range(len(labels)) for r in range(replications)]
    total = len(evaluations_items) + len(sim_items)

    def offset(start: int) -> Progress | None:
        if progress is None:
            return None
        report = progress_caller(progress)
        return lambda done, _total, message="": report(start + done, total, message)

    # The exact evaluations are cheap and their results (PlanEvaluation) are
    # not meant to travel between processes: they run here. The simulations
    # go to the executor.
    run = run_tasks(_task, evaluations_items, shared=shared, executor="serial", progress=offset(0))
    interrupted = run.interrupted
    outcomes = dict(zip(evaluations_items, run.outcomes, strict=True))
    if sim_items and not interrupted:
        sims = run_tasks(
            _task,
            sim_items,
            shared=shared,
            executor=executor,
            progress=offset(len(evaluations_items)),
        )
        interrupted = sims.interrupted
        outcomes |= dict(zip(sim_items, sims.outcomes, strict=True))
    else:
        outcomes |= dict.fromkeys(sim_items, Outcome(CaseStatus.INTERRUPTED))

    provenance = {
        "scenario": getattr(scenario, "name", ""),
        "content_hash": content_hash(scenario),
        "channelopt_version": _version(),
        "seed": root,
        "period": period if simulate else None,
        "replications": replications if simulate else None,
    }
    rows, channel_frames, sim_rows = [], [], []
    evaluations = {}
    queues = queue_channels(scenario)
    for p, label in enumerate(labels):
        plan = labelled[label]
        row: dict[str, Any] = {"plan": label, "starts": format_starts(plan)}
        errors = []
        ev = outcomes[("evaluate", p, 0)]
        if ev.status is CaseStatus.OK:
            evaluations[label] = ev.value
            row.update(plan_measures(ev.value, scenario))
            channel_frames.append(ev.value.periods.assign(plan=label))
        else:
            errors.append(ev.error or str(ev.status))
        if simulate:
            sim_row, channel_sim, sim_errors = _simulated(outcomes, p, label, replications, queues)
            row.update(sim_row)
            sim_rows += channel_sim
            errors += sim_errors
        row["status"] = str(CaseStatus.ERROR if errors else CaseStatus.OK)
        if interrupted and errors and all(e == str(CaseStatus.INTERRUPTED) for e in errors):
            row["status"] = str(CaseStatus.INTERRUPTED)
        row["error"] = "; ".join(dict.fromkeys(errors))
        skip = {"period"} if simulate else {"period", "replications"}
        rows.append({**row, **{k: v for k, v in provenance.items() if k not in skip}})
    channels = pd.concat(channel_frames, ignore_index=True) if channel_frames else pd.DataFrame()
    if not channels.empty:
        channels = channels[["plan", *[c for c in channels.columns if c != "plan"]]]
    return Comparison(
        table=pd.DataFrame(rows),
        channels=channels,
        simulation=pd.DataFrame(sim_rows),
        plans=dict(labelled),
        evaluations=evaluations,
        provenance=provenance,
    )


def _simulated(
    outcomes: Mapping[tuple[str, int, int], Any],
    p: int,
    label: str,
    replications: int,
    queues: Sequence[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    row: dict[str, Any] = {}
    channel_rows: list[dict[str, Any]] = []
    errors: list[str] = []
    nominal = outcomes[("nominal", p, 0)]
    draws = [outcomes[("forecast", p, r)] for r in range(replications)]
    per_channel_miss: dict[str, list[bool]] = {}
    plan_miss: list[bool] = []
    for draw in draws:
        if draw.status is CaseStatus.OK:
            plan_miss.append(any(draw.value.values()))
            for name, missed in draw.value.items():
                per_channel_miss.setdefault(name, []).append(missed)
        else:
            errors.append(draw.error or str(draw.status))
    n_miss, n_draws = sum(plan_miss), len(plan_miss)
    low, high = wilson_interval(n_miss, n_draws)
    if nominal.status is CaseStatus.OK:
        kpis = nominal.value
        kpis = kpis.assign(channel=kpis["channel"].astype(str))
        # Plan level per replication: offered-weighted over the live and
        # concurrent channels (the ones with a service level).
        staffed = kpis[kpis["channel"].isin(queues)]
        has_sl = staffed["service_level"].notna()
        by_rep = (
            staffed.assign(
                within=(staffed["service_level"] * staffed["offered"]).where(has_sl, 0.0),
                sl_offered=staffed["offered"].where(has_sl, 0.0),
            )
            .groupby("replication")[["within", "sl_offered", "abandoned", "offered"]]
            .sum()
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            sl = _clip01(_mean_interval((by_rep["within"] / by_rep["sl_offered"]).to_numpy()))
            ab = _clip01(_mean_interval((by_rep["abandoned"] / by_rep["offered"]).to_numpy()))
        row.update(
            {
                "simulated_service_level": sl[0],
                "simulated_service_level_low": sl[1],
                "simulated_service_level_high": sl[2],
                "simulated_abandonment": ab[0],
                "simulated_abandonment_low": ab[1],
                "simulated_abandonment_high": ab[2],
            }
        )
        for name, group in kpis.groupby("channel", sort=False):
            c_sl = _clip01(_mean_interval(group["service_level"].to_numpy()))
            c_ab = _clip01(_mean_interval(group["abandonment"].to_numpy()))
            c_wait = _mean_interval(group["average_wait"].to_numpy())
            misses = per_channel_miss.get(str(name), [])
            c_low, c_high = wilson_interval(sum(misses), len(misses))
            channel_rows.append(
                {
                    "plan": label,
                    "channel": name,
                    "offered": float(group["offered"].mean()),
                    "service_level": c_sl[0],
                    "service_level_low": c_sl[1],
                    "service_level_high": c_sl[2],
                    "abandonment": c_ab[0],
                    "abandonment_low": c_ab[1],
                    "abandonment_high": c_ab[2],
                    "average_wait": c_wait[0],
                    "average_wait_low": c_wait[1],
                    "average_wait_high": c_wait[2],
                    "miss_probability": sum(misses) / len(misses) if misses else math.nan,
                    "miss_probability_low": c_low,
                    "miss_probability_high": c_high,
                }
            )
    else:
        errors.append(nominal.error or str(nominal.status))
    row.update(
        {
            "miss_probability": n_miss / n_draws if n_draws else math.nan,
            "miss_probability_low": low,
            "miss_probability_high": high,
            "forecast_draws": n_draws,
        }
    )
    return row, channel_rows, errors


def _version() -> str:
    return VERSION
