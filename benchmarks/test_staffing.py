"""Benchmarks of the staffing layer (issue 3, staffing part).

* ``staff`` on every bundled scenario, one period and all periods; iterations,
  residual, peak agents and daily cost go into ``extra_info``.
* A larger generated day (96 intervals x 10 channels) with hand-offs, repeats
  and retrials.
* Guards (same-run ratios, ``make test``): the iterative traffic solve against
  a dense solve of the same linear system, and the staffing search against a
  plain upward scan from zero agents.

Run: ``.venv/bin/python -m pytest benchmarks/test_staffing.py --benchmark-only -s``
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import _baseline_staffing as baseline
import channelopt as co
from channelopt.scenario import ChannelKind, Resolved
from channelopt.staffing import flows, staff
from channelopt.staffing._flows import FlowRates, solve
from channelopt.staffing._live import ChannelSpec, evaluate_live, staff_live
from conftest import assert_ratio, paired_ratio

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def _info(benchmark, result) -> None:  # type: ignore[no-untyped-def]
    s = result.summary()
    benchmark.extra_info.update(
        {
            "iterations": result.iterations,
            "residual_contacts": result.residual,
            "peak_agents": int(s["peak_agents"].sum()),
            "cost_per_day": float(s["cost"].sum()),
            "intervals": result.resolved.n_intervals,
            "channels": result.resolved.n_channels,
        }
    )


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_staff_one_period(benchmark, path: Path) -> None:  # type: ignore[no-untyped-def]
    resolved = co.load_scenario(path).resolve(0)
    staff(resolved)  # JIT warm-up
    result = benchmark(staff, resolved)
    _info(benchmark, result)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_staff_every_period(benchmark, path: Path) -> None:  # type: ignore[no-untyped-def]
    sc = co.load_scenario(path)
    periods = [sc.resolve(p) for p in range(sc.periods.count)]
    staff(periods[0])

    def run() -> list:
        return [staff(r) for r in periods]

    results = benchmark(run)
    benchmark.extra_info["periods"] = len(periods)
    benchmark.extra_info["max_iterations"] = max(r.iterations for r in results)
    benchmark.extra_info["max_residual_contacts"] = max(r.residual for r in results)


def generated_day(n_channels: int = 10, n_intervals: int = 96, seed: int = 0) -> Resolved:
    """A seeded day: live, concurrent, deferred and self-service channels, all journeys."""
    rng = np.random.default_rng(seed)
    kinds = [
        ChannelKind.LIVE,
        ChannelKind.CONCURRENT,
        ChannelKind.DEFERRED,
        ChannelKind.SELF_SERVICE,
    ]
    kinds = tuple(kinds[c % 4] for c in range(n_channels))
    t = np.arange(n_intervals)
    profile = 1.0 + np.sin(np.pi * t / n_intervals) ** 2
    open_mask = np.zeros((n_intervals, n_channels), dtype=bool)
    open_mask[n_intervals // 4 : n_intervals * 5 // 6] = True
    open_mask[:, [c for c in range(n_channels) if kinds[c] is ChannelKind.SELF_SERVICE]] = True
    arrivals = rng.uniform(20, 200, n_channels) * profile[:, None] * open_mask
    handoff = rng.uniform(0, 0.1, (n_channels, n_channels)) * (rng.random((n_channels,) * 2) < 0.3)
    repeat_to = rng.uniform(0, 0.3, (n_channels, n_channels)) * (
        rng.random((n_channels,) * 2) < 0.3
    )
    np.fill_diagonal(handoff, 0.0)
    staffed = [c for c in range(n_channels) if kinds[c] is not ChannelKind.SELF_SERVICE]
    live = np.array([k in (ChannelKind.LIVE, ChannelKind.CONCURRENT) for k in kinds])
    nan = np.full(n_channels, math.nan)
    interval_s = 86400.0 / n_intervals
    return Resolved(
        name=f"generated {n_channels}x{n_intervals} seed {seed}",
        content_hash="0" * 16,
        period=0,
        channels=tuple(f"c{c}" for c in range(n_channels)),
        kinds=kinds,
        interval_s=interval_s,
        arrivals=arrivals,
        open_mask=open_mask,
        aht=np.where(
            [k is ChannelKind.SELF_SERVICE for k in kinds], 0.0, rng.uniform(180, 600, n_channels)
        ),
        aht_cv=np.ones(n_channels),
        patience=np.where(live, rng.uniform(60, 300, n_channels), math.inf),
        resolution=np.full(n_channels, 0.75),
        containment=np.where([k is ChannelKind.SELF_SERVICE for k in kinds], 0.4, 0.0),
        concurrency=np.where([k is ChannelKind.CONCURRENT for k in kinds], 2, 1),
        concurrency_stretch=np.where([k is ChannelKind.CONCURRENT for k in kinds], 0.2, 0.0),
        deadline=np.where([k is ChannelKind.DEFERRED for k in kinds], 86400.0, math.inf),
        forecast_error=np.zeros(n_channels),
        target_service_level=np.where(live, 0.8, math.nan),
        target_within=np.where(live, 30.0, math.nan),
        target_max_wait=nan,
        target_max_abandonment=np.where(live, 0.08, math.nan),
        target_max_occupancy=nan,
        target_within_deadline=np.where([k is ChannelKind.DEFERRED for k in kinds], 0.95, math.nan),
        handoff=handoff,
        repeat_to=repeat_to,
        repeat_delay=4 * 3600.0,
        retrial_probability=0.4,
        retrial_delay=900.0,
        pools=tuple(f"p{c}" for c in staffed),
        pool_skills=tuple((c,) for c in staffed),
        pool_agents=np.full(len(staffed), math.nan),
        pool_max_agents=np.full(len(staffed), math.inf),
        pool_cost_per_hour=np.full(len(staffed), 30.0),
        pool_shrinkage=np.full(len(staffed), 0.3),
        pool_hires_per_period=np.full(len(staffed), math.inf),
        pool_attrition=np.zeros(len(staffed)),
    )


def test_staff_generated_day_96x10(benchmark) -> None:  # type: ignore[no-untyped-def]
    resolved = generated_day()
    staff(resolved)
    result = benchmark(staff, resolved)
    _info(benchmark, result)


def _dense_reference(r: Resolved, rates: FlowRates, abandon: np.ndarray) -> np.ndarray:
    """Baseline: build the (I C) x (I C) routing matrix with einsum and solve it densely."""
    ni, C = r.n_intervals, r.n_channels
    served = 1.0 - abandon
    leave = np.where(rates.self_service[None, :], rates.not_contained[None, :], served)
    at_once = np.einsum("sc,cj->jcs", leave, r.handoff)
    rep = served * rates.repeat_share[None, :]
    routed = np.einsum("jcs,ts->jtcs", at_once, np.eye(ni))
    routed += np.einsum("ts,sc,cj->jtcs", rates.k_repeat, rep, r.repeat_to)
    diag = np.einsum("ts,sc->cts", rates.k_retrial, rates.retrial_probability * abandon)
    idx = np.arange(C)
    routed[idx, :, idx, :] += diag
    routed = np.einsum("jut,jtcs->jucs", rates.carry, routed)
    A = np.eye(C * ni) - routed.reshape(C * ni, C * ni)
    x = np.linalg.solve(A, rates.external.T.reshape(-1))
    return x.reshape(C, ni).T


@pytest.mark.guard
def test_guard_iterative_traffic_solve_beats_dense() -> None:
    r = generated_day()
    rates = FlowRates(r)
    rng = np.random.default_rng(1)
    ab = rng.uniform(0, 0.2, (r.n_intervals, r.n_channels))
    ab[:, [k not in (ChannelKind.LIVE, ChannelKind.CONCURRENT) for k in r.kinds]] = 0.0
    np.testing.assert_allclose(
        solve(r, rates, ab), _dense_reference(r, rates, ab), rtol=1e-9, atol=1e-9
    )
    assert_ratio(
        lambda: solve(r, rates, ab),
        lambda: _dense_reference(r, rates, ab),
        at_least=10.0,
        label="traffic equations, 96 intervals x 10 channels: iterative vs dense",
    )


def _plain_scan(spec: ChannelSpec, base: np.ndarray) -> np.ndarray:
    """Baseline: every interval steps up from zero agents, one evaluation per step."""
    n = np.zeros(base.shape, dtype=np.int64)
    todo = np.ones(base.shape, dtype=bool)
    while todo.any():
        idx = np.flatnonzero(todo)
        ok = evaluate_live(spec, base[idx], n[idx]).meets
        n[idx[~ok]] += 1
        todo[idx[ok]] = False
    return n


@pytest.mark.guard
def test_guard_staffing_search_beats_a_plain_scan() -> None:
    spec = ChannelSpec(
        name="voice",
        aht=360.0,
        patience=180.0,
        concurrency=1,
        stretch=0.0,
        service_level=0.8,
        within=20.0,
        max_wait=math.nan,
        max_abandonment=0.06,
        max_occupancy=math.nan,
        same_interval_retrial=0.2,
        interval_s=1800.0,
    )
    base = np.linspace(50.0, 800.0, 48)  # 10 to 160 Erlangs
    np.testing.assert_array_equal(staff_live(spec, base).agents, _plain_scan(spec, base))
    assert_ratio(
        lambda: staff_live(spec, base),
        lambda: _plain_scan(spec, base),
        at_least=5.0,
        label="staffing search, 48 intervals, 10-160 Erlangs: gallop/bisect vs scan from 0",
    )


def test_flows_only(benchmark) -> None:  # type: ignore[no-untyped-def]
    resolved = generated_day()
    benchmark(flows, resolved)


# --------------------------------------------------------------------------- round 2: speed
def _scenario_period(name: str) -> Resolved:
    return co.load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / f"{name}.yaml"
    ).resolve(0)


def _recorded_cells(resolved: Resolved) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every (agents, offered) cell a ``staff()`` call evaluates, per channel.

    Recorded from the frozen baseline, which evaluates exactly the same cells as
    the compiled path (same probes, same groups: ``tests/test_staffing_identical.py``).
    """
    cells: dict[str, tuple[ChannelSpec, list, list]] = {}
    record = baseline._live._measures

    def spy(spec, agents, x):  # type: ignore[no-untyped-def]
        entry = cells.setdefault(spec.name, (spec, [], []))
        entry[1].append(np.array(agents, dtype=np.int64))
        entry[2].append(np.array(x, dtype=float))
        return record(spec, agents, x)

    baseline._live._measures = spy
    try:
        baseline.staff_resolved(resolved)
    finally:
        baseline._live._measures = record
    out = []
    for spec, agents, x in cells.values():
        live_spec = ChannelSpec(**{f: getattr(spec, f) for f in spec.__dataclass_fields__})
        out.append((live_spec.params(), np.concatenate(agents), np.concatenate(x)))
    return out


def _recorded_compiled_calls(resolved: Resolved) -> list[tuple]:
    """The compiled whole-interval calls ``staff()`` makes besides the live cells: the
    finite M/M/n/N(+M) chain's search and evaluation (``_finite_live``) and the exact
    chat-count chain (``_chat_live._cells``), with their arguments, to replay as made."""
    from channelopt.staffing import _chat_live, _finite_live

    calls: list[tuple] = []
    targets = [
        (_finite_live, "staff_cells"),
        (_finite_live, "evaluate_cells"),
        (_chat_live, "_cells"),
    ]
    originals = [getattr(mod, name) for mod, name in targets]

    def spying(fn):  # type: ignore[no-untyped-def]
        def spy(*args):  # type: ignore[no-untyped-def]
            calls.append((fn, tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)))
            return fn(*args)

        return spy

    for (mod, name), fn in zip(targets, originals, strict=True):
        setattr(mod, name, spying(fn))
    try:
        staff(resolved)
    finally:
        for (mod, name), fn in zip(targets, originals, strict=True):
            setattr(mod, name, fn)
    return calls


#: staff() CPU / CPU of its compiled work replayed: the live cells in one compiled call per
#: channel, plus the finite-line and exact chat-chain calls (whole intervals each) as made.
#: Target 2 (issue 12). Session 4 (exact chat chain on, chains in the replay, median of
#: alternating pairs; load 4-7): online_retailer 1.6-1.84x, retail_bank 1.07-1.32x,
#: telecom 1.2-1.35x (one best-of run under a burst of load gave online_retailer 2.85x).
#: The limits leave room for a loaded machine: 2 (the target) where the margin is wide.
#: Until session 4 the replay held the live cells only and the guard ran with the chat
#: chain off: retail_bank's 5.6x there was the finite chain's compiled work.
KERNEL_SHARE_LIMIT = {"retail_bank": 2.0, "telecom": 2.0, "online_retailer": 2.5}


@pytest.fixture
def balanced_chat(monkeypatch):  # type: ignore[no-untyped-def]
    """Without the exact chat-count chain (issue 11), in both paths: these guards time the
    balanced search and its replay; the chain's own cost is in docs/staffing.md."""
    from channelopt.staffing import _core

    monkeypatch.setattr(_core, "EXACT_CHAT", False)


@pytest.mark.guard
@pytest.mark.parametrize("name", sorted(KERNEL_SHARE_LIMIT))
def test_guard_staff_costs_little_more_than_its_kernel_work(name: str) -> None:
    from channelopt.staffing import _live_kernels as kernels

    resolved = _scenario_period(name)
    cells = _recorded_cells(resolved)
    chains = _recorded_compiled_calls(resolved)

    def replay() -> None:
        for prm, agents, x in cells:
            kernels.replay_cells(prm, agents, x, kernels.new_cache())
        for fn, args in chains:
            fn(*args)

    ratio = paired_ratio(replay, lambda: staff(resolved))
    print(
        f"{name}: kernel replay ({sum(len(c[2]) for c in cells)} live cells, "
        f"{len(chains)} chain calls) vs staff(): {ratio:.2f}x"
    )
    print(f"{name}: staff() costs {ratio:.2f}x its kernel work")
    # (until session 3 this asserted the replay's side, which held whatever staff() cost)
    assert ratio <= KERNEL_SHARE_LIMIT[name], (
        f"{name}: staff() costs {ratio:.2f}x its kernel work; the guard allows "
        f"{KERNEL_SHARE_LIMIT[name]}x"
    )


@pytest.mark.guard
@pytest.mark.parametrize("name", ["retail_bank", "telecom"])
def test_guard_staff_beats_the_frozen_baseline(name: str, balanced_chat) -> None:  # type: ignore[no-untyped-def]
    """The compiled path against the pre-round-2 path (benchmarks/_baseline_staffing)."""
    resolved = _scenario_period(name)
    assert_ratio(
        lambda: staff(resolved),
        lambda: baseline.staff_resolved(resolved),
        at_least=1.3,
        label=f"{name}: staff() compiled vs frozen NumPy path",
    )
