"""What-if sweeps: many changed scenarios through one engine, one tidy table.

See ``docs/whatif.md`` for the change syntax, the executors, the determinism
guarantee and every column of the table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..provenance import VERSION
from .changes import (
    MULTIPLY_SUFFIX,
    SET_SUFFIX,
    case_seed,
    change_columns,
    describe_changes,
    expand_changes,
    root_seed,
)
from .executors import CaseStatus, Progress, run_tasks

if TYPE_CHECKING:  # pragma: no cover
    from ..planning import Plan
    from ..scenario import Scenario

__all__ = [
    "PROVENANCE_COLUMNS",
    "EvaluateMode",
    "format_starts",
    "plan_measures",
    "queue_channels",
    "run_sweep",
    "simulation_wide",
    "sweep",
]


class EvaluateMode(StrEnum):
    """What a sweep computes for each changed scenario."""

    STAFF = "staff"  #: :func:`channelopt.staff`, one row per case and channel
    SIMULATE = "simulate"  #: :func:`channelopt.simulate`, one row per case and channel
    EVALUATE = "evaluate"  #: :func:`channelopt.evaluate` of ``plan``, one row per case
    OPTIMIZE = "optimize"  #: :func:`channelopt.optimize`, then evaluate, one row per case


#: Provenance columns at the end of every sweep table.
PROVENANCE_COLUMNS = ("scenario", "content_hash", "channelopt_version", "seed", "case_seed")

# Keyword options each mode passes on to its engine (everything else is an error).
_MODE_OPTIONS: dict[EvaluateMode, frozenset[str]] = {
    EvaluateMode.STAFF: frozenset(),
    EvaluateMode.SIMULATE: frozenset({"days", "warmup_days", "staffing"}),
    EvaluateMode.EVALUATE: frozenset(),
    EvaluateMode.OPTIMIZE: frozenset({"budget", "solver", "time_limit"}),
}


def _version() -> str:
    return VERSION


def content_hash(scenario: Any) -> str:
    """Content hash of a scenario (the one carried by its resolved arrays)."""
    value = getattr(scenario, "content_hash", None)
    if value is None:
        value = scenario.resolve(0).content_hash
    return str(value() if callable(value) else value)


class _BaseDocument:
    """The base scenario as ``apply_changes`` reads it, its document made once per job.

    Every case of a sweep starts from the same document of the unchanged
    scenario; making it (``Scenario.to_document``, a walk over the models) cost
    about as much as validating the changed one. Here it is made once and each
    case gets a fresh copy (a JSON round trip: the document holds only numbers,
    text, lists and dicts). Anything else is the scenario's own.
    """

    def __init__(self, scenario: Any) -> None:
        self._scenario = scenario
        self._text: str | None = None

    def to_document(self, *, human: bool = True) -> dict[str, Any]:
        if human:
            return dict(self._scenario.to_document(human=True))
        if self._text is None:
            self._text = json.dumps(self._scenario.to_document(human=False), allow_nan=True)
        return dict(json.loads(self._text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario, name)


def _with_changes(job: _Job, change_set: Mapping[str, Any]) -> Any:
    """``job.scenario.with_changes(change_set)``, from the job's cached base document."""
    from ..scenario import Scenario
    from ..scenario.changes import with_changes

    scenario = job.scenario
    if type(scenario) is not Scenario:  # a stand-in (tests) or a subclass: its own method
        return scenario.with_changes(change_set)
    base = job.__dict__.get("_base")
    if base is None:
        base = _BaseDocument(scenario)
        object.__setattr__(job, "_base", base)
    try:
        return with_changes(base, change_set)  # type: ignore[arg-type]  # a stand-in
    except Exception:
        # A path the document leaves out (defaults) is read from the models, which
        # only the scenario itself has; errors are worded by it too.
        return scenario.with_changes(change_set)


@dataclass(frozen=True)
class _Job:
    """What every case of one sweep shares (sent to a worker once per chunk).

    ``engine(scenario, seed) -> list of row dicts`` is a module-level function
    or a :func:`functools.partial` of one, so it pickles by reference.
    """

    scenario: Any
    engine: Callable[[Any, int], list[dict[str, Any]]]


def _plain(value: Any) -> Any:
    # Enum members (channel kinds) become their plain values, so the table
    # writes to CSV and Parquet as text.
    return value.value if isinstance(value, Enum) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    # column by column (Series.tolist gives Python scalars, as to_dict does) and zipped:
    # several times cheaper than to_dict("records") on a table of a few rows
    names = list(frame.columns)
    if len(set(names)) != len(names):  # duplicate labels: let pandas sort them out
        return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
    columns = [frame[name].tolist() for name in names]
    return [
        {k: _plain(v) for k, v in zip(names, row, strict=True)}
        for row in zip(*columns, strict=True)
    ]


def _scalar(value: Any) -> Any:
    # NumPy scalars as the Python numbers a DataFrame round trip would give
    value = value.item() if isinstance(value, np.generic) else value
    return _plain(value)


_FRACTIONS = frozenset({"service_level", "abandonment", "occupancy"})


def simulation_wide(summary: pd.DataFrame) -> pd.DataFrame:
    """The long ``SimulationResult.summary()`` as one row per channel.

    Each measure ``m`` becomes three columns: ``m`` (mean across
    replications), ``m_low`` and ``m_high`` (95 % confidence interval). The
    intervals of fractions (service level, abandonment, occupancy) are
    clipped to [0, 1], which the fraction cannot leave.
    """
    if summary.index.name == "channel" and "channel" not in summary.columns:
        summary = summary.reset_index()  # SimulationResult.summary() is indexed by channel
    frames = []
    for channel, group in summary.groupby("channel", sort=False, observed=True):
        row: dict[str, Any] = {"channel": str(channel)}
        for _, r in group.iterrows():
            measure = str(r["measure"])
            row[measure] = r["mean"]
            low, high = r["ci_low"], r["ci_high"]
            if measure in _FRACTIONS:
                low, high = (float(np.clip(x, 0.0, 1.0)) for x in (low, high))  # NaN stays
            row[f"{measure}_low"] = low
            row[f"{measure}_high"] = high
        row["replications"] = int(group["replications"].max())
        frames.append(row)
    return pd.DataFrame(frames)


def _staff_rows(scenario: Any, seed: int, *, period: int, plan: Any) -> list[dict[str, Any]]:
    from ..staffing import staff

    result = staff(scenario, period=period, plan=plan)
    rows = result._summary_rows()  # the summary's rows, without a DataFrame round trip
    if rows is None:
        return _records(result.summary())
    return [{k: _scalar(v) for k, v in row.items()} for row in rows]


def _simulate_rows(
    scenario: Any,
    seed: int,
    *,
    period: int,
    plan: Any,
    replications: int,
    staffing: Any = None,
    **options: Any,
) -> list[dict[str, Any]]:
    from ..simulation import simulate

    if isinstance(staffing, str):
        if staffing != "required":
            raise ValueError(
                "The 'staffing' option of a simulate sweep must be None (today's roster), "
                f"'required' (staff each changed scenario to its targets) or a table; got "
                f"{staffing!r} instead."
            )
        from ..staffing import staff

        staffing = staff(scenario, period=period, plan=plan)
    result = simulate(
        scenario,
        staffing=staffing,
        replications=replications,
        seed=seed,
        period=period,
        plan=plan,
        **options,
    )
    return _records(simulation_wide(result.summary()))


def queue_channels(scenario: Any) -> list[str]:
    """Names of the live and concurrent channels: the ones with a service level and abandonment."""
    from ..scenario.kinds import kind_spec

    resolved = scenario.resolve(0)
    return [
        name
        for name, kind in zip(resolved.channels, resolved.kinds, strict=True)
        if kind_spec(kind).queues
    ]


def plan_measures(evaluation: Any, scenario: Any) -> dict[str, Any]:
    """One row of plan-level figures from a :class:`~channelopt.PlanEvaluation`.

    Money is summed over the horizon, undiscounted, except ``npv`` and
    ``objective`` (present values). ``service_level`` and ``abandonment``
    (abandoned / offered) are weighted by offered contacts over every period
    and every live or concurrent channel (deferred and self-service channels
    have no service level in this sense).
    """
    money = evaluation.money
    periods = evaluation.periods
    queues = periods[periods["channel"].isin(queue_channels(scenario))]
    offered = queues["offered"].to_numpy(dtype=float)
    sl = queues["service_level"].to_numpy(dtype=float)
    known = np.isfinite(sl) & (offered > 0)
    weight = offered[known].sum()
    agent_cost = float(money["agent_cost"].sum())
    spending = float(money["initiative_spending"].sum())
    return {
        "objective": float(evaluation.objective),
        "npv": float(evaluation.npv),
        "agent_cost": agent_cost,
        "initiative_spending": spending,
        "cost": agent_cost + spending,
        "service_level": float(np.dot(sl[known], offered[known]) / weight) if weight else np.nan,
        "abandonment": float(queues["abandoned"].sum() / offered.sum()) if offered.sum() else 0.0,
        "effort_points": float(evaluation.effort_points),
        "feasible": bool(evaluation.feasible),
        "violations": "; ".join(str(v) for v in evaluation.violations),
    }


def format_starts(plan: Any) -> str:
    """Initiative starts of a plan as text: ``"chatbot@1, crm@0"`` (``"none"`` when empty)."""
    starts = dict(plan.starts)
    if not starts:
        return "none"
    return ", ".join(f"{name}@{period}" for name, period in sorted(starts.items()))


def _evaluate_rows(scenario: Any, seed: int, *, plan: Any) -> list[dict[str, Any]]:
    from ..planning import Plan, evaluate

    if plan is None:
        plan = Plan(starts={})
    return [{"starts": format_starts(plan), **plan_measures(evaluate(scenario, plan), scenario)}]


def _optimize_rows(scenario: Any, seed: int, **options: Any) -> list[dict[str, Any]]:
    from ..planning import evaluate, optimize

    plan = optimize(scenario, **options)
    return [{"starts": format_starts(plan), **plan_measures(evaluate(scenario, plan), scenario)}]


def _evaluate_case(job: _Job, item: tuple[Mapping[str, Any], int]) -> dict[str, Any]:
    """Run one case in a worker: apply the changes, run the engine, return plain rows."""
    change_set, seed = item
    scenario = _with_changes(job, dict(change_set)) if change_set else job.scenario
    digest = content_hash(scenario)
    try:
        rows = job.engine(scenario, seed)
    except Exception as exc:  # keep the hash of a valid changed scenario in the error row
        message = str(exc)
        return {
            "content_hash": digest,
            "rows": [],
            "error": f"{type(exc).__name__}: {message}" if message else type(exc).__name__,
        }
    return {"content_hash": digest, "rows": rows, "error": ""}


def _check_mode(evaluate: object) -> EvaluateMode:
    try:
        # Any user value is looked up; a non-member (of any type) raises ValueError.
        return EvaluateMode(evaluate)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(
            "The 'evaluate' parameter of sweep must be one of "
            f"{', '.join(repr(m.value) for m in EvaluateMode)}; got {evaluate!r} instead."
        ) from None


def sweep(
    scenario: Scenario,
    changes: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    evaluate: str = "staff",
    executor: Any = "processes",
    seed: int | np.random.Generator | None = 0,
    *,
    replications: int = 10,
    period: int = 0,
    plan: Plan | None = None,
    progress: Progress | None = None,
    chunk_size: int | None = None,
    max_workers: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run one engine on many changed scenarios and return one tidy table.

    Each case is ``scenario.with_changes(change_set)`` followed by the engine
    chosen by ``evaluate``. A case that fails (an invalid change, an
    infeasible plan) records its error in its row and the others finish;
    Ctrl-C returns the rows finished so far, the others marked ``interrupted``.

    Parameters
    ----------
    scenario : Scenario
        The base scenario.
    changes : dict or list of dict
        A grid ``{path: [change, ...]}`` (every combination is a case, the last
        path varying fastest) or a list of change sets ``[{path: change}, ...]``.
        A bare number multiplies the field; ``{"set": x}`` replaces it.
    evaluate : {"staff", "simulate", "evaluate", "optimize"}
        The engine run on every case: :func:`channelopt.staff` (period
        ``period``), :func:`channelopt.simulate`, :func:`channelopt.evaluate`
        of ``plan`` (default: doing nothing) or :func:`channelopt.optimize`
        followed by :func:`channelopt.evaluate`.
    executor : {"serial", "processes"}, Executor, dask.distributed.Client or str
        Where the cases run; a ``"tcp://host:8786"`` string is a Dask
        scheduler. The table does not depend on the executor.
    seed : int, numpy.random.Generator or None
        Root seed. Case ``i`` gets seed :func:`~channelopt.whatif.changes.case_seed`
        ``(seed, i)``, whatever executor runs it. None draws a root seed from
        fresh entropy and records it in the ``seed`` column.
    replications : int
        Replications per case when ``evaluate="simulate"``.
    period : int
        Period resolved for ``"staff"`` and ``"simulate"`` (0-based).
    plan : Plan, optional
        Initiatives in force (``"staff"``, ``"simulate"``) or the plan evaluated
        (``"evaluate"``; default doing nothing).
    progress : callable, optional
        ``progress(done, total, message)`` in cases (a two-argument callback gets
        ``(done, total)``); may raise ``KeyboardInterrupt`` to stop.
    chunk_size, max_workers : int, optional
        Passed to :func:`~channelopt.whatif.executors.run_tasks`.
    **options
        Engine options: ``days``, ``warmup_days`` and ``staffing`` (None for
        today's roster, ``"required"`` to staff each case to its targets) for
        ``"simulate"``; ``budget``, ``solver`` and ``time_limit`` for ``"optimize"``.

    Returns
    -------
    pandas.DataFrame
        Columns, in order: ``case``; one column per changed path
        (``"<path> (x)"`` for multipliers, ``"<path> (set)"`` for replaced
        values; NaN = unchanged in that case); ``changes`` (the change set as
        text); the engine's columns (see ``docs/whatif.md``); ``status``
        (``ok``, ``error``, ``interrupted``) and ``error``; provenance
        ``scenario``, ``content_hash`` (of the changed scenario),
        ``channelopt_version``, ``seed`` (root) and ``case_seed``.
        ``table.attrs`` holds ``interrupted`` (bool), ``executor`` and
        ``failed_cases`` (cases with ``status == "error"``; the command line
        exits 1 when it is not 0).

    Raises
    ------
    ValueError
        A bad ``changes``, ``evaluate``, ``seed``, ``replications`` or option
        (errors of single cases go into their rows instead).

    Examples
    --------
    >>> import channelopt as co  # doctest: +SKIP
    >>> sc = co.load_scenario("scenarios/retail_bank.yaml")  # doctest: +SKIP
    >>> co.sweep(sc, {"channels.chat.volume": [1.0, 1.3]}, executor="serial")  # doctest: +SKIP
    """
    mode = _check_mode(evaluate)
    unknown = sorted(set(options) - _MODE_OPTIONS[mode])
    if unknown:
        allowed = ", ".join(sorted(_MODE_OPTIONS[mode])) or "none"
        raise ValueError(
            f"sweep(evaluate={mode.value!r}) got unexpected option(s) {', '.join(unknown)}; "
            f"options for this mode: {allowed}."
        )
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(
            "The 'replications' parameter of sweep must be a positive int; "
            f"got {replications!r} instead."
        )
    if isinstance(period, bool) or not isinstance(period, int) or period < 0:
        raise ValueError(
            f"The 'period' parameter of sweep must be an int >= 0; got {period!r} instead."
        )
    if mode is EvaluateMode.STAFF:
        engine = functools.partial(_staff_rows, period=period, plan=plan)
    elif mode is EvaluateMode.SIMULATE:
        engine = functools.partial(
            _simulate_rows, period=period, plan=plan, replications=replications, **options
        )
    elif mode is EvaluateMode.EVALUATE:
        engine = functools.partial(_evaluate_rows, plan=plan)
    else:
        engine = functools.partial(_optimize_rows, **options)
    return run_sweep(
        scenario,
        expand_changes(changes),
        engine,
        executor=executor,
        seed=seed,
        progress=progress,
        chunk_size=chunk_size,
        max_workers=max_workers,
    )


def run_sweep(
    scenario: Any,
    change_sets: Sequence[Mapping[str, Any]],
    engine: Callable[[Any, int], list[dict[str, Any]]],
    *,
    executor: Any = "processes",
    seed: int | np.random.Generator | None = 0,
    progress: Progress | None = None,
    chunk_size: int | None = None,
    max_workers: int | None = None,
) -> pd.DataFrame:
    """The machinery of :func:`sweep` with any engine.

    ``engine(changed_scenario, case_seed) -> list of row dicts`` must be a
    module-level function (or a :func:`functools.partial` of one) for process
    and Dask executors. The table has the columns of :func:`sweep`, with the
    engine's row keys in place of the engine columns.
    """
    root = root_seed(seed)
    job = _Job(scenario, engine)
    items = [(dict(cs), case_seed(root, i)) for i, cs in enumerate(change_sets)]
    run = run_tasks(
        _evaluate_case,
        items,
        shared=job,
        executor=executor,
        chunk_size=chunk_size,
        max_workers=max_workers,
        progress=progress,
    )

    change_cols = change_columns(change_sets)
    # One column per path in the order the paths first appear; a path both
    # multiplied and set (in different cases) gets its "(x)" column first.
    paths: list[str] = []
    for change_set in change_sets:
        paths += [p for p in change_set if p not in paths]
    present = {c for row in change_cols for c in row}
    ordered_change_cols = [
        path + suffix
        for path in paths
        for suffix in (MULTIPLY_SUFFIX, SET_SUFFIX)
        if path + suffix in present
    ]
    provenance = {"scenario": getattr(scenario, "name", ""), "channelopt_version": _version()}
    rows: list[dict[str, Any]] = []
    engine_cols: list[str] = []
    for case, (outcome, (change_set, cseed)) in enumerate(zip(run.outcomes, items, strict=True)):
        head = {"case": case, **change_cols[case], "changes": describe_changes(change_set)}
        tail = {**provenance, "seed": root, "case_seed": cseed}
        value = outcome.value if outcome.status is CaseStatus.OK else None
        error = value["error"] if value is not None else outcome.error
        status = CaseStatus.ERROR if error else outcome.status
        digest = value["content_hash"] if value is not None else None
        # every case has at least one row, even when its engine returned none
        engine_rows = (value["rows"] if value is not None and not error else None) or [{}]
        for engine_row in engine_rows:
            engine_cols += [c for c in engine_row if c not in engine_cols]
            rows.append(
                {
                    **head,
                    **engine_row,
                    "status": str(status),
                    "error": error,
                    **tail,
                    "content_hash": digest,
                }
            )
    columns = [
        "case",
        *ordered_change_cols,
        "changes",
        *engine_cols,
        "status",
        "error",
        *PROVENANCE_COLUMNS,
    ]
    table = pd.DataFrame(rows, columns=columns)
    table["case_seed"] = table["case_seed"].astype("uint64")
    table.attrs["interrupted"] = run.interrupted
    table.attrs["executor"] = run.executor
    # cases that ended with an error (a failing change, or lost on the cluster after
    # every resubmission): a caller checks this instead of scanning the rows
    table.attrs["failed_cases"] = int(table.loc[table["status"] == "error", "case"].nunique())
    return table
