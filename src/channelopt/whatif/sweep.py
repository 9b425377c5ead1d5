"""What-if sweeps: many changed scenarios through one engine, one tidy table.

See ``docs/whatif.md`` for the change syntax, the executors, the determinism
guarantee and every column of the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .changes import case_seed, change_columns, describe_changes, expand_changes, root_seed
from .executors import CaseStatus, Progress, run_tasks

if TYPE_CHECKING:  # pragma: no cover
    from ..planning import Plan
    from ..scenario import Scenario

__all__ = ["PROVENANCE_COLUMNS", "EvaluateMode", "sweep"]


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
    from .. import __version__

    return __version__


def content_hash(scenario: Any) -> str:
    """Content hash of a scenario (the one carried by its resolved arrays)."""
    value = getattr(scenario, "content_hash", None)
    if value is None:
        value = scenario.resolve(0).content_hash
    return str(value() if callable(value) else value)


@dataclass(frozen=True)
class _Job:
    """What every case of one sweep shares (sent to a worker once per chunk)."""

    scenario: Any
    mode: EvaluateMode
    period: int
    plan: Any
    replications: int
    options: dict[str, Any] = field(default_factory=dict)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(r) for r in frame.reset_index(drop=frame.index.name is None).to_dict("records")]


def _staff_rows(job: _Job, scenario: Any, seed: int) -> list[dict[str, Any]]:
    from ..staffing import staff

    return _records(staff(scenario, period=job.period, plan=job.plan).summary())


def _simulate_rows(job: _Job, scenario: Any, seed: int) -> list[dict[str, Any]]:
    from ..simulation import simulate

    options = dict(job.options)
    staffing = options.pop("staffing", None)
    if isinstance(staffing, str):
        if staffing != "required":
            raise ValueError(
                "The 'staffing' option of a simulate sweep must be None (today's roster), "
                f"'required' (staff each changed scenario to its targets) or a table; got "
                f"{staffing!r} instead."
            )
        from ..staffing import staff

        staffing = staff(scenario, period=job.period, plan=job.plan)
    result = simulate(
        scenario,
        staffing=staffing,
        replications=job.replications,
        seed=seed,
        period=job.period,
        plan=job.plan,
        **options,
    )
    return _records(result.summary())


def _plan_row(scenario: Any, plan: Any) -> dict[str, Any]:
    from ..planning import evaluate

    ev = evaluate(scenario, plan)
    return {
        "objective": float(ev.objective),
        "npv": float(ev.npv),
        "cost": float(ev.cost),
        "feasible": bool(ev.feasible),
        "violations": "; ".join(str(v) for v in ev.violations),
    }


def format_starts(plan: Any) -> str:
    """Initiative starts of a plan as text: ``"chatbot@1, crm@0"`` (``"none"`` when empty)."""
    starts = dict(plan.starts)
    if not starts:
        return "none"
    return ", ".join(f"{name}@{period}" for name, period in sorted(starts.items()))


def _evaluate_rows(job: _Job, scenario: Any, seed: int) -> list[dict[str, Any]]:
    plan = job.plan
    if plan is None:
        from ..planning import Plan

        plan = Plan(starts={})
    return [{"starts": format_starts(plan), **_plan_row(scenario, plan)}]


def _optimize_rows(job: _Job, scenario: Any, seed: int) -> list[dict[str, Any]]:
    from ..planning import optimize

    plan = optimize(scenario, **job.options)
    return [{"starts": format_starts(plan), **_plan_row(scenario, plan)}]


_ENGINES: dict[EvaluateMode, Callable[[_Job, Any, int], list[dict[str, Any]]]] = {
    EvaluateMode.STAFF: _staff_rows,
    EvaluateMode.SIMULATE: _simulate_rows,
    EvaluateMode.EVALUATE: _evaluate_rows,
    EvaluateMode.OPTIMIZE: _optimize_rows,
}


def _evaluate_case(job: _Job, item: tuple[Mapping[str, Any], int]) -> dict[str, Any]:
    """Run one case in a worker: apply the changes, run the engine, return plain rows."""
    change_set, seed = item
    scenario = job.scenario.with_changes(dict(change_set)) if change_set else job.scenario
    digest = content_hash(scenario)
    try:
        rows = _ENGINES[job.mode](job, scenario, seed)
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
        return EvaluateMode(evaluate)
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
        ``progress(done, total)`` in cases; may raise ``KeyboardInterrupt`` to stop.
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
        ``table.attrs`` holds ``interrupted`` (bool) and ``executor``.

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
    change_sets = expand_changes(changes)
    root = root_seed(seed)
    job = _Job(scenario, mode, period, plan, replications, dict(options))
    items = [(cs, case_seed(root, i)) for i, cs in enumerate(change_sets)]
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
    ordered_change_cols: list[str] = []
    for row in change_cols:
        ordered_change_cols += [c for c in row if c not in ordered_change_cols]
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
        engine_rows = value["rows"] if value is not None and not error else [{}]
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
    return table
