"""Staffing a resolved period: the traffic/abandonment fixed point and the result tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .._display import progress_caller
from ..errors import InfeasibleError
from ..scenario.kinds import StaffingRule, kind_spec
from ..scenario.resolved import Resolved
from ._chat_live import exact_chat, needs_exact_chat
from ._classes import class_groups, merged_spec, split_kpis
from ._deferred import deferred_kpis, staff_deferred
from ._finite_live import capped_note, evaluate_finite, is_finite, staff_finite
from ._flows import FlowRates, flow_rates, solve
from ._live import ChannelSpec, LiveKpis, evaluate_live, staff_live
from ._pools import _exactness, _live_slack, _pool_notes, booking_pools
from ._result import StaffingResult, build_result, interval_columns

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["flows", "staff", "staff_resolved"]

#: Cap on the rounds of the retrial/abandonment fixed point across channels.
MAX_ITERATIONS = 50
#: After this many rounds agents may only grow, so integer staffing cannot cycle.
_MONOTONE_AFTER = 10
_TOL = 1e-9
#: Rounds granted to the fixed point after it switches stretched chats to the exact chain.
_EXACT_ROUNDS = 10
#: Stretched chats re-sized with the exact chat-count chain (``_chat_live``). Switched
#: off only by the speed guards in ``benchmarks/``, which time the balanced search.
EXACT_CHAT = True

#: progress(done, total, message); a two-argument callback gets (done, total)
Progress = Callable[..., object]


def flows(resolved: Resolved, abandonment: np.ndarray | None = None) -> np.ndarray:
    """Offered contacts per interval and channel (the traffic equations).

    Parameters
    ----------
    resolved : Resolved
        One period of a scenario.
    abandonment : ndarray, shape (I, C), optional
        Fraction of the contacts offered to each channel and interval that
        abandon (default: none). Deferred and self-service entries are ignored.

    Returns
    -------
    ndarray, shape (I, C)
        Contacts offered per interval: external arrivals plus hand-offs (same
        interval), repeats and retrials (spread over the following intervals by
        their exponential delays, wrapping round midnight), with whatever
        reaches a closed channel carried to its next open interval. Solved
        exactly as one linear system over the day.

    Examples
    --------
    >>> import channelopt as co
    >>> sc = co.load_scenario({
    ...     "name": "demo", "interval": "30min",
    ...     "channels": {"voice": {"kind": "live", "arrivals": [100] * 48, "aht": "3min",
    ...                            "target": {"service_level": 0.8, "within": "20s"}}}})
    >>> flows(sc.resolve(0))[:2]
    array([[100.],
           [100.]])
    """
    _check_resolved(resolved)
    ni, C = resolved.n_intervals, resolved.n_channels
    ab = np.zeros((ni, C)) if abandonment is None else np.asarray(abandonment, dtype=float)
    if ab.shape != (ni, C):
        raise ValueError(
            f"abandonment must have shape (intervals, channels) = {(ni, C)}, got {ab.shape}"
        )
    if not np.all((ab >= 0) & (ab <= 1)):
        raise ValueError("abandonment fractions must lie in [0, 1]")
    ab = _only_queues(resolved, ab)
    return solve(resolved, flow_rates(resolved), ab)


def _only_queues(resolved: Resolved, ab: np.ndarray) -> np.ndarray:
    queues = np.array([kind_spec(k).queues for k in resolved.kinds], dtype=bool)
    return np.where(queues[None, :], ab, 0.0)


def _check_resolved(resolved: Any) -> None:
    if not isinstance(resolved, Resolved):
        raise TypeError(
            f"expected a channelopt Resolved (from Scenario.resolve), got {type(resolved).__name__}"
        )


def _specs(resolved: Resolved, rates: FlowRates) -> dict[int, ChannelSpec]:
    r = resolved
    w0 = float(rates.k_retrial[0, 0])
    out = {}
    for c, kind in enumerate(r.kinds):
        if not kind_spec(kind).queues:
            continue
        patience = float(r.patience[c])
        out[c] = ChannelSpec(
            name=r.channels[c],
            # the agent's holding time: handling plus after-contact work (wrap-up)
            aht=float(r.aht[c] + r.wrap_up[c]),
            patience=patience,
            concurrency=int(r.concurrency[c]) if kind_spec(kind).multi_contact else 1,
            stretch=float(r.concurrency_stretch[c]) if kind_spec(kind).multi_contact else 0.0,
            service_level=float(r.target_service_level[c]),
            within=float(r.target_within[c]),
            max_wait=float(r.target_max_wait[c]),
            max_abandonment=float(r.target_max_abandonment[c]),
            max_occupancy=float(r.target_max_occupancy[c]),
            # abandoned and blocked contacts retry; without either nothing does
            same_interval_retrial=rates.retrial_probability * w0 if _loses(r, c) else 0,
            interval_s=float(r.interval_s),
            lines=float(r.lines[c]),
            queue_capacity=float(r.queue_capacity[c]),
        )
    return out


def _loses(r: Resolved, c: int) -> bool:
    """Channel ``c`` can lose contacts that then retry (patience, lines or a queue cap)."""
    return any(math.isfinite(float(v[c])) for v in (r.patience, r.lines, r.queue_capacity))


def _agents_split(
    resolved: Resolved,
    required: np.ndarray,
    load: np.ndarray,
    agents: Any,
    channel_agents: Any,
) -> np.ndarray:
    """Whole agents per interval, pool and channel, shape (I, P, C), from the caller's spec.

    Pool agents go to the pool's open skills: specialist pools (fewer skills)
    first, each filling what its channels still lack of their requirement in
    proportion to that shortfall; agents left over are spread in proportion to
    the requirement (or the load when nothing is required). Channel agents
    are booked to the channel's first pool (for FTE and cost).
    """
    r = resolved
    ni, C, P = r.n_intervals, r.n_channels, len(r.pools)
    staffed = r.staffed()
    split = np.zeros((ni, P, C), dtype=np.int64)
    if channel_agents is not None:
        out = np.zeros((ni, C))
        if isinstance(channel_agents, Mapping):
            for name, value in channel_agents.items():
                c = r.channel_index(name)
                out[:, c] = _per_interval(value, ni, f"channel_agents[{name!r}]")
        else:
            arr = np.asarray(channel_agents, dtype=float)
            if arr.shape != (ni, C):
                raise ValueError(
                    f"channel_agents must be a mapping channel -> agents or an array of shape "
                    f"(intervals, channels) = {(ni, C)}, got shape {arr.shape}"
                )
            out[:] = arr
        _check_agents(out, "channel_agents")
        out = np.rint(out * r.open_mask * staffed[None, :]).astype(np.int64)
        owner = booking_pools(r)
        for c in range(C):
            if owner[c] >= 0:
                split[:, owner[c], c] = out[:, c]
        return split
    pool_agents = np.zeros((ni, P))
    if isinstance(agents, Mapping):
        for name, value in agents.items():
            if name not in r.pools:
                raise KeyError(f"unknown pool {name!r} in agents; known: {', '.join(r.pools)}")
            pool_agents[:, r.pools.index(name)] = _per_interval(value, ni, f"agents[{name!r}]")
    else:
        arr = np.asarray(agents, dtype=float)
        if arr.shape == (P,):
            arr = np.broadcast_to(arr, (ni, P))
        if arr.shape != (ni, P):
            raise ValueError(
                f"agents must be a mapping pool -> agents, an array of shape (pools,) = ({P},) "
                f"or (intervals, pools) = {(ni, P)}, got shape {arr.shape}"
            )
        pool_agents[:] = arr
    _check_agents(pool_agents, "agents")
    order = sorted(range(P), key=lambda p: (len(r.pool_skills[p]), p))
    skills = [[c for c in r.pool_skills[p] if staffed[c]] for p in range(P)]
    # an interval where every pool rounds to no agent gets none (a day open 08:00-22:00
    # has 20 such half hours in 48)
    for t in np.flatnonzero((pool_agents > 0.5).any(axis=1)):
        short = required[t].astype(float).copy()
        for p in order:
            total = round(float(pool_agents[t, p]))
            members = [c for c in skills[p] if r.open_mask[t, c]]
            if total <= 0 or not members:
                continue
            need = short[members]
            fill = min(total, int(need.sum()))
            if fill > 0:
                part = _largest_remainder(fill, need)
                split[t, p, members] += part
                short[members] -= part
            left = total - fill
            if left > 0:
                weights = required[t, members].astype(float)
                if weights.sum() <= 0:
                    weights = load[t, members].astype(float)
                if weights.sum() <= 0:
                    weights = np.ones(len(members))
                split[t, p, members] += _largest_remainder(left, weights)
    return split


def _per_interval(value: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(
            f"{what} must be a number or {n} values (one per interval), got {arr.shape}"
        )
    return arr


def _check_agents(arr: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~(np.isfinite(arr) & (arr >= 0))][0]
        raise ValueError(f"{what} must be finite and >= 0, got {float(bad):g}")
    return arr


def _largest_remainder(n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` whole agents in proportion to ``weights`` (Hamilton's method)."""
    share = n * weights / weights.sum()
    base = np.floor(share).astype(np.int64)
    left = n - base.sum()
    if left > 0:
        order = np.argsort(-(share - base), kind="stable")
        base[order[:left]] += 1
    return base


METHODS = ("erlang", "pooled", "simulation")


def _check_method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(
            f"The 'method' argument of staff must be one of {', '.join(map(repr, METHODS))}; "
            f"got {method!r} instead."
        )
    return str(method)


def staff_resolved(
    resolved: Resolved,
    *,
    agents: Any = None,
    channel_agents: Any = None,
    progress: Progress | None = None,
    method: str = "erlang",
    **options: Any,
) -> StaffingResult:
    """Staff one resolved period: agents per interval and channel, and their KPIs.

    Parameters
    ----------
    resolved : Resolved
        One period of a scenario (``Scenario.resolve(period, plan)``).
    agents : mapping or ndarray, optional
        Evaluate these agents instead of computing the requirement: per pool,
        as a mapping ``pool -> number or per-interval list``, an array of shape
        ``(P,)`` (the same in every interval) or ``(I, P)``. Each pool's agents
        go to its open skills: specialist pools (fewer skills) first, each
        filling what its channels still lack of their requirement in
        proportion to that shortfall, any surplus in proportion to the
        requirement (whole agents, largest remainder).
    channel_agents : mapping or ndarray, optional
        Evaluate these agents per channel (``channel -> number or list``, or an
        array of shape ``(I, C)``). Takes precedence over ``agents``.
    progress : callable, optional
        Called as ``progress(done, total, message)`` after each round of the
        fixed point (a callback taking two arguments gets ``(done, total)``).
    method : {"erlang", "pooled", "simulation"}
        How requirements are found (see :func:`staff`); ignored when
        ``agents`` or ``channel_agents`` are given (evaluation).
    **options
        ``method="simulation"`` only: ``replications``, ``seed``,
        ``time_limit``, ``confidence``.

    Returns
    -------
    StaffingResult
        Tables per interval x channel and per pool x interval, the fixed-point
        residual (contacts per interval) and iteration count.

    Raises
    ------
    TypeError
        When ``resolved`` is not a :class:`~channelopt.scenario.Resolved`.
    ValueError
        For malformed ``agents``.
    KeyError
        For an unknown pool or channel name in ``agents`` / ``channel_agents``.
    InfeasibleError
        For a channel whose targets no number of agents can meet (the message
        names the channel and says why).

    Examples
    --------
    >>> import channelopt as co
    >>> sc = co.load_scenario({
    ...     "name": "demo", "interval": "30min",
    ...     "channels": {"voice": {"kind": "live", "arrivals": [100] * 48, "aht": "3min",
    ...                            "target": {"service_level": 0.8, "within": "20s"}}}})
    >>> resolved = sc.resolve(0)
    >>> fewer = staff_resolved(resolved, channel_agents={"voice": 13})
    >>> round(float(fewer.intervals["service_level"].iloc[0]), 4)
    0.7956
    """
    _check_resolved(resolved)
    method = _check_method(method)
    if method == "simulation" and agents is None and channel_agents is None:
        from ._simopt import staff_simulation

        return staff_simulation(resolved, staff_resolved, progress=progress, **options)
    if options:
        raise TypeError(
            f"staff_resolved got options {', '.join(sorted(options))} that only "
            "method='simulation' takes"
        )
    required = _staff(resolved, None, None if method == "simulation" else progress)
    if agents is None and channel_agents is None:
        if method == "pooled":
            from ._pooled import staff_pooled

            # the evaluation of the pooled agents reuses this requirement (not recomputed)
            def evaluated(r: Resolved, agents: Any) -> StaffingResult:
                # the pools table reports the search's pool agents as they are (the
                # split over channels only places them)
                pool_agents = np.asarray(agents, dtype=float)
                return _evaluate_against(r, required, agents, None, None, pool_agents)

            return staff_pooled(resolved, required, evaluated)
        return required
    return _evaluate_against(resolved, required, agents, channel_agents, progress)


def _evaluate_against(
    resolved: Resolved,
    required: StaffingResult,
    agents: Any,
    channel_agents: Any,
    progress: Progress | None,
    pool_agents: np.ndarray | None = None,
) -> StaffingResult:
    """Given agents evaluated, split over channels by ``required`` (the required staffing);
    ``pool_agents`` (I, P), when given, is what the pools table reports."""
    # the requirement's columns, without building its table where it is pending
    req = interval_columns(required)
    ni, C = resolved.n_intervals, resolved.n_channels
    req_agents = np.asarray(req["agents"]).astype(np.int64).reshape(C, ni).T
    req_load = np.asarray(req["load"], dtype=float).reshape(C, ni).T
    split = _agents_split(resolved, req_agents, req_load, agents, channel_agents)
    lower = required.pools["agents_lower_bound"].to_numpy().reshape(len(resolved.pools), ni).T
    return _staff(
        resolved, split, progress, mode="evaluated", pool_lower=lower, pool_agents=pool_agents
    )


def _staff(
    resolved: Resolved,
    split: np.ndarray | None,
    progress: Progress | None,
    mode: str = "required",
    pool_lower: np.ndarray | None = None,
    pool_agents: np.ndarray | None = None,
) -> StaffingResult:
    r = resolved
    fixed = None if split is None else split.sum(axis=1)
    ni, C = r.n_intervals, r.n_channels
    rates = flow_rates(r)
    specs = _specs(r, rates)
    p = rates.retrial_probability
    ab = np.zeros((ni, C))
    n = np.zeros((ni, C), dtype=np.int64)
    kpis: dict[int, LiveKpis] = {}
    residual = 0.0
    iterations = 0
    needs_loop = any(_loses(r, c) for c in specs)
    groups = class_groups(r)  # priority classes sharing one queue (_classes.py)
    in_group = {c for g in groups for c in g}
    cap = MAX_ITERATIONS if needs_loop else 1
    # stretched chats: balanced model until the loop settles, then the exact chain
    stretched = {
        c for c, sp in specs.items() if EXACT_CHAT and needs_exact_chat(sp) and not is_finite(sp)
    }
    exact_phase = not needs_loop
    # finite lines with stretch: the finite chain's note says how it is treated
    kept_balanced = {sp.name: 0 for sp in specs.values() if needs_exact_chat(sp) and is_finite(sp)}
    x = None
    it = 0
    while it < cap:
        it += 1
        iterations = it
        x = solve(r, rates, ab, x)
        new_ab = np.zeros_like(ab)
        new_n = n.copy()
        residual = 0.0
        for c, spec in specs.items():
            if c in in_group:
                continue  # priority classes: staffed together below
            base = x[:, c] - spec.same_interval_retrial * ab[:, c] * x[:, c]
            base = np.maximum(base, 0.0)
            finite = is_finite(spec)  # lines / queue_capacity: M/M/n/N(+M) with blocking
            if fixed is not None:
                kp = (evaluate_finite if finite else evaluate_live)(
                    spec, base, fixed[:, c], x[:, c]
                )
            else:
                floor = n[:, c] if it > _MONOTONE_AFTER else None
                search = staff_finite if finite else staff_live
                try:
                    kp = search(spec, base, floor, x[:, c], n[:, c] if it > 1 else None)
                except ValueError as exc:
                    raise InfeasibleError(
                        str(exc), conflicts=(f"channels.{spec.name}.target",)
                    ) from exc
            if exact_phase and c in stretched:
                kp, kept_balanced[spec.name] = exact_chat(spec, base, kp, search=fixed is None)
            kpis[c] = kp
            # blocked contacts retry like abandoned ones (the traffic equations' retrials)
            blocked = getattr(kp, "blocked", None)  # the frozen baseline's LiveKpis has none
            new_ab[:, c] = kp.abandonment if blocked is None else kp.abandonment + blocked
            new_n[:, c] = kp.agents
            residual = max(residual, float(np.max(np.abs(kp.offered - x[:, c]), initial=0.0)))
        for group in groups:
            for c, kp in _staff_group(specs, group, x, ab, n, fixed, it).items():
                kpis[c] = kp
                new_ab[:, c] = kp.abandonment
                new_n[:, c] = kp.agents
                residual = max(residual, float(np.max(np.abs(kp.offered - x[:, c]), initial=0.0)))
        scale = max(1.0, float(x.max(initial=0.0)))
        converged = residual <= _TOL * scale and np.array_equal(new_n, n) and it > 1
        ab, n = new_ab, new_n
        if progress is not None:
            progress_caller(progress)(it, cap, f"fixed point round {it}")
        if converged or not needs_loop:
            if exact_phase or not stretched:
                break
            exact_phase = True
            cap = max(cap, it + _EXACT_ROUNDS)
    # Final flows at the final abandonment, and the KPIs there.
    x = solve(r, rates, ab, x)
    if p > 0 and needs_loop:
        residual = max(
            residual,
            max(
                (float(np.max(np.abs(kpis[c].offered - x[:, c]), initial=0.0)) for c in specs),
                default=0.0,
            ),
        )
    owner = booking_pools(r)
    deferred = {}
    notes: dict[str, str] = {}
    if fixed is None:
        for c, spec in specs.items():
            if is_finite(spec):
                capped = capped_note(spec, kpis[c], x[:, c])
                if capped:
                    notes[spec.name] = capped
    for c, kind in enumerate(r.kinds):
        if kind_spec(kind).staffing is not StaffingRule.BACKLOG:
            continue
        target = float(r.target_within_deadline[c])
        if math.isnan(target):
            target = 1.0
        slack, note = _live_slack(r, c, int(owner[c]), kpis)
        if note:
            notes[r.channels[c]] = note
        if fixed is not None:
            staffed_c = fixed[:, c]
        else:
            try:
                staffed_c = staff_deferred(
                    x[:, c],
                    r.open_mask[:, c],
                    float(r.aht[c] + r.wrap_up[c]),
                    r.interval_s,
                    float(r.deadline[c]),
                    target,
                    float(r.target_max_occupancy[c]),
                    offset=slack,
                )
            except ValueError as exc:
                raise InfeasibleError(
                    f"channel {r.channels[c]!r}: {exc}", conflicts=(f"channels.{r.channels[c]}",)
                ) from exc
        capacity = np.maximum(np.asarray(staffed_c, dtype=float) + slack, 0.0)
        work_s = float(r.aht[c] + r.wrap_up[c])  # agent time per item, wrap-up included
        dk = deferred_kpis(x[:, c], capacity, work_s, r.interval_s, float(r.deadline[c]))
        deferred[c] = (np.asarray(staffed_c, dtype=np.int64), dk)
    notes.update(_pool_notes(r, owner))
    if split is None:
        split = np.zeros((ni, len(r.pools), C), dtype=np.int64)
        for c in range(C):
            if owner[c] < 0:
                continue
            if c in kpis:
                split[:, owner[c], c] = kpis[c].agents
            elif c in deferred:
                split[:, owner[c], c] = deferred[c][0]
    # method, exact and notes passed in (not dataclasses.replace, which reads every field
    # and would build the interval table the result leaves unbuilt until it is read)
    return build_result(
        r, rates, x, kpis, deferred, residual, iterations, mode, split, pool_lower, owner=owner,
        pool_agents=pool_agents, method="erlang", exact=_exactness(r, notes, kept_balanced),
        notes=notes,
    )  # fmt: skip


def _staff_group(
    specs: dict[int, ChannelSpec],
    group: list[int],
    x: np.ndarray,
    ab: np.ndarray,
    n: np.ndarray,
    fixed: np.ndarray | None,
    it: int,
) -> dict[int, LiveKpis]:
    """KPIs of the priority classes ``group`` staffed as one FIFO queue (``_classes.py``)."""
    base = np.zeros(x.shape[0])
    for c in group:
        base += np.maximum(x[:, c] - specs[c].same_interval_retrial * ab[:, c] * x[:, c], 0.0)
    x_g = x[:, group].sum(axis=1)
    class_specs = merged_spec(specs, group, x)
    if fixed is not None:
        agents = fixed[:, group].sum(axis=1)
    else:
        floor = n[:, group].sum(axis=1) if it > _MONOTONE_AFTER else None
        guess = n[:, group].sum(axis=1) if it > 1 else None
        agents = np.zeros(x.shape[0], dtype=np.int64)
        for s in class_specs:  # every class's target must hold on the shared queue
            try:
                kp = staff_live(s, base, floor, x_g, guess)
            except ValueError as exc:
                raise InfeasibleError(str(exc), conflicts=(f"channels.{s.name}.target",)) from exc
            agents = np.maximum(agents, kp.agents)
    kps = [evaluate_live(s, base, agents, x_g) for s in class_specs]
    out = dict(zip(group, split_kpis(kps[0], [k.meets for k in kps], x, group), strict=True))
    if fixed is not None:  # evaluated as given: keep the caller's agents per class
        out = {c: replace(kp, agents=np.asarray(fixed[:, c])) for c, kp in out.items()}
    return out


def staff(
    scenario: Scenario,
    period: int = 0,
    plan: Any = None,
    method: str = "erlang",
    *,
    progress: Progress | None = None,
    **options: Any,
) -> StaffingResult:
    """Agents per interval and channel for one period of a scenario.

    Parameters
    ----------
    scenario : Scenario or Resolved
        A loaded scenario (``channelopt.load_scenario``), or an already resolved
        period (then ``period`` and ``plan`` are ignored).
    period : int, default 0
        Period to staff (0-based).
    plan : Plan, optional
        Initiatives in force (``plan.starts``: initiative -> start period),
        passed to ``scenario.resolve(period, plan)``. When the plan fixes agents
        per pool (``plan.agents``: pool -> number or per-period list), those
        agents are evaluated instead of the requirement.
    method : {"erlang", "pooled", "simulation"}, default "erlang"
        ``"erlang"``: each channel sized on its own (Erlang C/A, concurrency,
        fluid deadlines), booked to the pool that gives it the most time; a
        pool's agents are the sum of its channels'. ``"pooled"``: pools that
        share skills sized together per interval by a decomposition by
        priority with effective capacity (``docs/staffing.md``).
        ``"simulation"``: the cheapest pool agents per interval such that
        every target holds in the simulation at ``confidence``.
    progress : callable, optional
        ``progress(done, total, message)`` after each round of the fixed point
        (a callback taking two arguments gets ``(done, total)``).
    **options
        ``method="simulation"``: ``replications`` (default 20), ``seed``
        (default 0), ``time_limit`` (CPU seconds, default none),
        ``confidence`` (default 0.95). A ``KeyboardInterrupt`` (Ctrl-C) during
        its search ends it like the time limit: the result holds the cheapest
        staffing checked so far whose targets all held (else the last one
        checked) and ``notes["interrupted"]``; before any staffing was
        checked, the interrupt propagates.

    Returns
    -------
    StaffingResult
        See :class:`StaffingResult` and ``docs/staffing.md``.

    Examples
    --------
    100 calls per half hour, 3 minutes each, 80 % answered within 20 s:

    >>> import channelopt as co
    >>> sc = co.load_scenario({
    ...     "name": "demo", "interval": "30min",
    ...     "channels": {"voice": {"kind": "live", "arrivals": [100] * 48, "aht": "3min",
    ...                            "target": {"service_level": 0.8, "within": "20s"}}}})
    >>> result = staff(sc)
    >>> row = result.summary().iloc[0]
    >>> int(row["peak_agents"]), round(float(row["service_level"]), 4)
    (14, 0.8884)
    """
    method = _check_method(method)
    if isinstance(scenario, Resolved):
        return staff_resolved(scenario, progress=progress, method=method, **options)
    if not hasattr(scenario, "resolve"):
        raise TypeError(
            f"staff() expects a channelopt Scenario or Resolved, got {type(scenario).__name__}"
        )
    if isinstance(period, bool) or not isinstance(period, int | np.integer) or period < 0:
        raise ValueError(f"period must be an integer >= 0, got {period!r}")
    resolved = scenario.resolve(int(period), plan)
    agents = _plan_agents(plan, int(period))
    return staff_resolved(resolved, agents=agents, progress=progress, method=method, **options)


def _plan_agents(plan: Any, period: int) -> dict[str, Any] | None:
    raw = getattr(plan, "agents", None)
    if raw is None:
        return None
    out = {}
    for pool, value in dict(raw).items():
        if isinstance(value, int | float | np.integer | np.floating):
            out[pool] = float(value)
        else:
            seq = list(value)
            if period >= len(seq):
                raise ValueError(
                    f"plan.agents[{pool!r}] has {len(seq)} periods; period {period} requested"
                )
            out[pool] = seq[period]
    return out
