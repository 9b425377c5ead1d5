"""``schedule()``: from per-interval requirements to the shifts a centre can work."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np

from ..errors import InfeasibleError, SolverError
from ..provenance import VERSION
from ..scenario import Scenario
from ..scenario.shifts import DAY_NAMES, ShiftTemplate, Week, parse_start_window
from ..units import SECONDS_PER_DAY, format_duration
from ._columns import PreparedPool, prepare_pool_columns
from ._model import DAYS, BreakSpec, TemplateSpec, build_pool_model, solve_pool
from ._requirements import requirement_array, resolve_week
from ._result import PoolResult, Schedule

__all__ = ["DEFAULT_TEMPLATES", "schedule"]

Progress = Callable[[int, int, str], None]

#: templates used when the scenario has no ``shifts`` key (docs/scheduling.md)
DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "standard": {
        "length": "8.5h",
        "paid": "8h",
        "breaks": [{"length": "30min", "window": ["3h", "5.5h"], "paid": False}],
        "days_per_week": 5,
    }
}


def _clock(seconds: float) -> str:
    s = round(seconds) % int(SECONDS_PER_DAY)
    return f"{s // 3600:02d}:{(s % 3600) // 60:02d}"


def _templates(scenario: Scenario, templates: Any) -> dict[str, ShiftTemplate]:
    raw = templates if templates is not None else scenario.shifts
    if raw is None:
        raw = DEFAULT_TEMPLATES
    if not isinstance(raw, Mapping) or not raw:
        raise TypeError("templates must be a non-empty mapping name -> shift template")
    out = {}
    for name, tpl in raw.items():
        out[str(name)] = (
            tpl if isinstance(tpl, ShiftTemplate) else ShiftTemplate.model_validate(dict(tpl))
        )
    return out


def _spec(name: str, tpl: ShiftTemplate, interval: float, one_day: bool) -> TemplateSpec:
    T = round(SECONDS_PER_DAY / interval)
    step = max(1, round((tpl.step or interval) / interval))
    if tpl.starts is None:
        first, last, full = 0.0, SECONDS_PER_DAY, True
    else:
        first, last = parse_start_window(tpl.starts)
        full = (first, last) == (0.0, SECONDS_PER_DAY)
        if last < first:
            last += SECONDS_PER_DAY  # the window runs past midnight
    k0 = round(first / interval)
    if full:
        starts = tuple(range(k0, k0 + T, step))
    else:
        starts = tuple(range(k0, round(last / interval) + 1, step))
    breaks = tuple(
        BreakSpec(
            length=b.length,
            first=math.ceil(b.window[0] / interval - 1e-9),
            last=math.floor((b.window[1] - b.length) / interval + 1e-9),
            paid=b.paid,
        )
        for b in sorted(tpl.breaks, key=lambda b: b.window[0])
    )
    return TemplateSpec(
        name=name,
        length=tpl.length,
        paid=tpl.paid_seconds,
        starts=starts,
        breaks=breaks,
        days_per_week=1 if one_day else tpl.days_per_week,
        max_share=tpl.max_share,
        min_agents=tpl.min_agents,
        max_agents=tpl.max_agents,
    )


def _reach(spec: TemplateSpec, interval: float) -> str:
    first = spec.starts[0] * interval
    last_end = spec.starts[-1] * interval + spec.length
    return f"{spec.name} (starts {_clock(first)}-{_clock(spec.starts[-1] * interval)}, " + (
        f"covers {_clock(first)}-{_clock(last_end)})"
    )


def _check_coverable(
    pool: str,
    cover: np.ndarray,
    specs: list[TemplateSpec],
    work_days: tuple[int, ...],
    interval: float,
    day_names: tuple[str, ...],
    all_specs: list[TemplateSpec],
) -> None:
    """Raise InfeasibleError for the first interval that no shift of the pool can reach."""
    n_days, T = cover.shape
    G = n_days * T
    reach = np.zeros(G, dtype=bool)
    for spec in specs:
        span = math.ceil(spec.length / interval - 1e-9)
        for d in work_days:
            for s in spec.starts:
                g = (d * T + s + np.arange(span)) % G
                reach[g] = True
    bad = np.flatnonzero((cover.reshape(-1) > 1e-9) & ~reach)
    if bad.size == 0:
        return
    g = int(bad[0])
    day, i = divmod(g, T)
    where = f"{_clock(i * interval)}-{_clock((i + 1) * interval)}"
    serving = [_reach(s, interval) for s in specs] or ["none"]
    others = [s.name for s in all_specs if s not in specs]
    extra = f"; templates for other pools: {', '.join(others)}" if others else ""
    raise InfeasibleError(
        f"pool {pool!r} needs agents on {day_names[day]} at {where} (interval {i}) and no shift "
        f"template can cover it ({bad.size} such intervals in the week). Templates that could "
        f"have covered it if their start window or length reached it: {'; '.join(serving)}"
        f"{extra}. Widen a template's `starts`, add a template, or add the pool to a "
        "template's `pools`.",
        conflicts=[f"{pool}/{day_names[day]}/{where}"],
    )


def _raise_limits(pool: str, specs: list[TemplateSpec]) -> NoReturn:
    shares = [f"{s.name}: max_share {s.max_share:g}" for s in specs if s.max_share < 1]
    caps = [f"{s.name}: max_agents {s.max_agents}" for s in specs if s.max_agents]
    mins = [f"{s.name}: min_agents {s.min_agents}" for s in specs if s.min_agents]
    raise InfeasibleError(
        f"no schedule of pool {pool!r} covers its requirement within the templates' "
        "limits; relax one of these",
        conflicts=shares + caps + mins or [f"templates of {pool!r}"],
    )


def schedule(
    scenario: Scenario,
    requirements: Any = None,
    *,
    week: Any = True,
    period: int = 0,
    plan: Any = None,
    time_limit: float | None = None,
    solver: str = "highs",
    gap: float = 0.01,
    templates: Mapping[str, Any] | None = None,
    over_cover_penalty: float = 0.01,
    split_days_off_penalty: float = 0.05,
    staffing_method: str | None = None,
    progress: Progress | None = None,
) -> Schedule:
    """Shifts, breaks and days off that cover the requirement at the lowest paid cost.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its ``shifts`` (templates) and ``week`` keys are used
        (docs/scenario-format.md, "Shifts and week"). Without ``shifts`` the
        :data:`DEFAULT_TEMPLATES` apply (8.5 h with a 30 min unpaid break).
    requirements : None, StaffingResult, mapping or DataFrame, optional
        Agents required on contacts per pool and interval. ``None``: staff
        every working day of the week (volumes by the day factors, open
        hours by day) with the staffing layer (``method="pooled"`` where
        available). A ``StaffingResult`` applies to every working day; a
        mapping day -> StaffingResult gives each day; a DataFrame has columns
        ``pool, interval, agents`` and optionally ``day`` (name or 0-based).
    week : True, False, Week or mapping, default True
        ``True``: the scenario's ``week`` (7 equal days when absent); a
        ``Week`` or mapping overrides it; ``False``: one day on its own (every
        agent works one shift; no days off).
    period : int, default 0
        Period of the scenario to staff (growth and initiatives of that period).
    plan : Plan, optional
        Initiatives in force when staffing.
    time_limit : float, optional
        CPU seconds of solver time in total (shared by the pools); stopping
        early returns the best schedule found with its gap.
    solver : {"highs", "cbc"}, default "highs"
    gap : float, default 0.01
        Relative optimality gap at which the search stops. HiGHS: the gap of
        the whole schedule (all pools' objectives against the sum of their LP
        bounds), shared out among the pools largest first; CBC: per pool.
    templates : mapping, optional
        Shift templates instead of the scenario's (name -> ShiftTemplate or
        a mapping like a ``shifts`` entry).
    over_cover_penalty : float, default 0.01
        Money per agent-hour on contacts beyond the requirement, as a fraction
        of the pool's cost per hour (a tie-breaker among equally paid schedules).
    split_days_off_penalty : float, default 0.05
        Money per agent whose days off are not consecutive, as a fraction of
        that agent's weekly pay; ``math.inf`` forbids split days off.
    staffing_method : str, optional
        ``method`` of :func:`channelopt.staff` for the default requirement
        (default ``"pooled"``).
    progress : callable, optional
        ``progress(done, total, message)`` after each pool.

    Returns
    -------
    Schedule
        ``.shifts``, ``.coverage``, ``.summary()``, ``.staffing_table()``, the
        LP bound and the gap (docs/scheduling.md).

    Raises
    ------
    InfeasibleError
        An interval needs agents that no template can reach (naming pool, day,
        interval and the templates that could have covered it), or the
        templates' shares and per-start limits cannot cover the requirement.
    SolverError
        The solver failed or stopped without any schedule.

    Examples
    --------
    >>> import channelopt as co                                  # doctest: +SKIP
    >>> sc = co.load_scenario("scenarios/retail_bank.yaml")      # doctest: +SKIP
    >>> sched = co.schedule(sc)                                  # doctest: +SKIP
    >>> sched.summary()[["paid_hours", "efficiency", "agents_needed"]]  # doctest: +SKIP
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"schedule() needs a Scenario, got {type(scenario).__name__}")
    for name, value, low in (
        ("gap", gap, 0.0),
        ("over_cover_penalty", over_cover_penalty, 0.0),
        ("split_days_off_penalty", split_days_off_penalty, 0.0),
    ):
        if not (isinstance(value, int | float) and value >= low) or math.isnan(value):
            raise ValueError(f"{name} must be a number >= {low:g}, got {value!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    interval = scenario.interval
    one_day = week is False
    wk = Week(days=("mon",)) if one_day else resolve_week(scenario, week)
    n_days = 1 if one_day else DAYS
    day_names = ("day",) if one_day else DAY_NAMES
    work_days = (0,) if one_day else tuple(DAY_NAMES.index(d) for d in wk.days)
    tpls = _templates(scenario, templates)
    pools = scenario.pool_names
    specs_all = [_spec(n, t, interval, one_day) for n, t in tpls.items()]
    for n, t in tpls.items():
        if not one_day and t.days_per_week > len(work_days):
            raise ValueError(
                f"shifts.{n}.days_per_week: expected at most the {len(work_days)} days of the "
                f"week ({', '.join(wk.days)}), got {t.days_per_week}"
            )
        if t.length > SECONDS_PER_DAY:
            raise ValueError(
                f"shifts.{n}.length: expected at most 24h, got {format_duration(t.length)}"
            )
    req_week = wk if not one_day else Week(days=("mon",))
    required, source = requirement_array(
        scenario,
        requirements,
        req_week,
        period=period,
        plan=plan,
        pools=pools,
        n_days=n_days,
        day_names=day_names if not one_day else ("mon",),
        staffing_method_override=staffing_method,
    )
    results: dict[str, PoolResult] = {}
    remaining = time_limit
    # HiGHS: column generation for every pool first (their LP bounds), then the integer
    # schedules against one gap for the whole week (see _finish_week)
    prepared: dict[str, tuple[PreparedPool, list[TemplateSpec], np.ndarray]] = {}
    for done, pool in enumerate(pools):
        p = scenario.pools[pool]
        names = [n for n, t in tpls.items() if t.serves(pool)]
        specs = [s for s in specs_all if s.name in names]
        need = required[pool]
        cover = need / (1.0 - p.shrinkage)
        if not np.any(need > 1e-9):
            results[pool] = PoolResult.empty(pool, p, specs, need, interval)
            continue
        if not specs:
            raise InfeasibleError(
                f"pool {pool!r} needs agents but no shift template serves it; add {pool!r} "
                "to a template's `pools` (a template without `pools` serves every pool)",
                conflicts=[pool],
            )
        _check_coverable(pool, cover, specs, work_days, interval, day_names, specs_all)
        left = len(pools) - done
        limit = None if remaining is None else max(remaining / left, 1e-3)
        # the pool's problem, as both formulations take it
        args = (cover, specs, work_days, interval, p.cost_per_hour, p.shrinkage)
        over, split = over_cover_penalty, split_days_off_penalty
        if solver == "highs":
            # explicit shifts by column generation (docs/scheduling.md, "The model"); at
            # most 60 % of the pool's share of the time, the rest is for the integer part
            prep = prepare_pool_columns(
                *args, over_cover_penalty=over, split_days_off_penalty=split, gap=gap,
                time_limit=None if limit is None else 0.6 * limit,
            )  # fmt: skip
            if prep is None:
                _raise_limits(pool, specs)
            prepared[pool] = (prep, specs, need)
            if remaining is not None:
                remaining = max(remaining - prep.lp_cpu_seconds, 1e-3)
            continue
        # CBC through PuLP: the compact implicit-break model in one piece
        model = build_pool_model(*args, over_cover_penalty=over, split_days_off_penalty=split)
        sol = solve_pool(model, solver=solver, time_limit=limit, gap=gap)
        if sol is None:
            _raise_limits(pool, specs)
        if remaining is not None:
            remaining = max(remaining - sol.cpu_seconds - sol.lp_cpu_seconds, 1e-3)
        results[pool] = PoolResult.from_solution(pool, p, specs, need, interval, sol)
        if progress is not None:
            progress(done + 1, len(pools), f"scheduled pool {pool}")
    if prepared:
        bounds = {pool: prep.bound for pool, (prep, _, _) in prepared.items()}
        # largest pools first: what they leave of the week's gap goes to the smaller ones
        order = sorted(prepared, key=lambda q: -bounds[q] if math.isfinite(bounds[q]) else 0.0)
        known = all(math.isfinite(b) for b in bounds.values())
        # objective allowed for the whole week: its LP bound / (1 - gap)
        slack = sum(bounds.values()) * gap / (1.0 - gap) if known and gap < 1.0 else math.nan
        for k, pool in enumerate(order):
            prep, specs, need = prepared[pool]
            rest = sum(bounds[q] for q in order[k:])
            stop = accept = None
            if math.isfinite(slack):
                share = max(slack, 0.0) * bounds[pool] / max(rest, 1e-9)
                # a pool before the last aims at 60 % of its share (any schedule within the
                # whole share is accepted): large pools get close to their LP bound cheaply,
                # and what they leave goes to the small pools, whose integrality costs more
                last = k == len(order) - 1
                stop = bounds[pool] + (share if last else 0.6 * share)
                accept = bounds[pool] + share
            budget = None if remaining is None else max(remaining / (len(order) - k), 1e-3)
            try:
                sol = prep.finish(stop, budget, accept)
            except SolverError as exc:
                if budget is None:
                    raise
                # the solver's message quotes the pool's internal share of the time: name
                # the user's own limit instead
                raise SolverError(
                    f"no schedule for pool {pool!r} within time_limit={time_limit!r} CPU "
                    f"seconds (the earlier pools left it {budget:.3g} s); raise time_limit"
                ) from exc
            if sol is None:
                _raise_limits(pool, specs)
            if math.isfinite(slack):
                slack -= sol.objective - bounds[pool]
            if remaining is not None:
                remaining = max(remaining - sol.cpu_seconds, 1e-3)
            results[pool] = PoolResult.from_solution(
                pool, scenario.pools[pool], specs, need, interval, sol
            )
            if progress is not None:
                progress(len(pools) - len(order) + k + 1, len(pools), f"scheduled pool {pool}")
    results_list = [results[pool] for pool in pools]
    return Schedule.build(
        results_list,
        interval=interval,
        day_names=day_names,
        work_days=work_days,
        period=period,
        source=source,
        scenario_name=scenario.name,
        scenario_hash=scenario.content_hash,
        version=VERSION,
        solver=solver,
        week=None if one_day else wk,
        target_gap=gap if prepared else None,
    )
