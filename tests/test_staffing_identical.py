"""The compiled staffing path gives bit-identical results to the pre-round-2 path.

``benchmarks/_baseline_staffing`` runs ``staff()`` with a frozen copy of the
search as it was before the speed work (NumPy-vectorised search and fixed
point) and the original pandas ``summary()``. Every table, the summary, the
residual and the iteration count must be equal to the last bit, on the
bundled scenarios (every period, required and evaluated agents) and on
hypothesis-generated periods with every channel kind, retrials, hand-offs,
repeats, stretch, closed hours and shared pools.

The frozen copy runs under ``baseline.libm()``: its stretched-chat model calls
NumPy's array ``exp`` / ``log`` / ``log1p``, which on AVX-512 machines are
NumPy's own SIMD routines and differ from the C library's in the last bit
(so the old path's numbers depended on the CPU). With the C library's
functions swapped in, the comparison is exact; against the unmodified copy the
agents are identical and every number agrees to 1e-12 (relative), which
``test_unmodified_baseline_agrees_to_the_last_bits`` checks.
"""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import channelopt as co
from channelopt.errors import InfeasibleError
from channelopt.staffing import staff_resolved
from conftest import BUNDLED, SCENARIOS
from test_staffing_support import make_resolved

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _baseline_staffing as baseline


@pytest.fixture(autouse=True)
def _libm_baseline():  # type: ignore[no-untyped-def]
    with baseline.libm():
        yield


def assert_identical(new: object, old: object) -> None:
    """Every table equal to the last bit (nan == nan), and the loop's bookkeeping."""
    for name in ("intervals", "pools", "summary"):
        if name == "summary":
            a, b = new.summary(), old._summary_grouped()
        else:
            a, b = getattr(new, name), getattr(old, name)
        assert list(a.columns) == list(b.columns)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        for col in a.columns:
            x, y = a[col].to_numpy(), b[col].to_numpy()
            if x.dtype.kind == "f":
                # bit patterns, so -0.0 / 0.0 and one-ulp differences are caught
                assert np.array_equal(x.view(np.int64), y.view(np.int64)), col
    assert new.residual == old.residual or (math.isnan(new.residual) and math.isnan(old.residual))
    assert new.iterations == old.iterations
    assert new.mode == old.mode


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_every_period(name: str) -> None:
    sc = co.load_scenario(SCENARIOS / f"{name}.yaml")
    for period in range(sc.periods.count):
        resolved = sc.resolve(period)
        assert_identical(staff_resolved(resolved), baseline.staff_resolved(resolved))


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_evaluated_agents(name: str) -> None:
    sc = co.load_scenario(SCENARIOS / f"{name}.yaml")
    resolved = sc.resolve(0)
    need = staff_resolved(resolved).pools
    for factor in (0.85, 1.1):
        agents = {
            pool: np.floor(factor * g["agents"].to_numpy()).tolist()
            for pool, g in need.groupby("pool", sort=False)
        }
        assert_identical(
            staff_resolved(resolved, agents=agents),
            baseline.staff_resolved(resolved, agents=agents),
        )


def _channel(draw: st.DrawFn, c: int, n: int, kind: str) -> dict:
    level = draw(st.floats(0.5, 300.0))
    shape = draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n))
    ch: dict = {"name": f"c{c}", "kind": kind, "arrivals": [level * s for s in shape]}
    if draw(st.booleans()):
        first = draw(st.integers(0, n // 2))
        ch["open"] = [first <= t < first + n // 2 + 1 for t in range(n)]
    if kind == "self_service":
        ch["containment"] = draw(st.floats(0.0, 0.9))
        return ch
    ch["aht"] = draw(st.floats(60.0, 900.0))
    ch["resolution"] = draw(st.floats(0.3, 1.0))
    if kind == "deferred":
        ch["deadline"] = draw(st.sampled_from([3600.0, 14400.0, 86400.0]))
        ch["target"] = {"within_deadline": draw(st.sampled_from([0.8, 0.95]))}
        return ch
    if draw(st.booleans()):
        ch["patience"] = draw(st.floats(20.0, 600.0))
    if kind == "concurrent":
        ch["concurrency"] = draw(st.integers(1, 4))
        ch["stretch"] = draw(st.sampled_from([0.0, 0.1, 0.3]))
    target: dict = {}
    if draw(st.booleans()):
        target["service_level"] = draw(st.floats(0.5, 0.95))
        target["within"] = draw(st.sampled_from([0.0, 20.0, 60.0]))
    if draw(st.booleans()):
        target["max_wait"] = draw(st.floats(5.0, 120.0))
    if "patience" in ch and draw(st.booleans()):
        target["max_abandonment"] = draw(st.floats(0.02, 0.2))
    if draw(st.booleans()):
        target["max_occupancy"] = draw(st.floats(0.7, 0.95))
    ch["target"] = target
    return ch


@st.composite
def periods(draw: st.DrawFn) -> tuple:
    n = draw(st.sampled_from([6, 12]))
    kinds = draw(
        st.lists(
            st.sampled_from(["live", "concurrent", "deferred", "self_service"]),
            min_size=1,
            max_size=4,
        )
    )
    C = len(kinds)
    channels = [_channel(draw, c, n, k) for c, k in enumerate(kinds)]
    share = st.floats(0.0, 0.25)
    handoff = np.array([[draw(share) if i != j else 0.0 for j in range(C)] for i in range(C)])
    repeat_to = np.array([[draw(share) for _ in range(C)] for _ in range(C)])
    staffed = [c for c, k in enumerate(kinds) if k != "self_service"]
    pools = [(f"p{c}", (c,), 30.0, 0.3) for c in staffed]
    if len(staffed) > 1 and draw(st.booleans()):
        pools.append(("shared", tuple(staffed), 35.0, 0.35))
    resolved = make_resolved(
        channels,
        interval_s=86400.0 / n,
        n_intervals=n,
        handoff=handoff,
        repeat_to=repeat_to,
        repeat_delay=draw(st.sampled_from([1800.0, 14400.0])),
        retrial_probability=draw(st.sampled_from([0.0, 0.3, 0.7])),
        retrial_delay=draw(st.sampled_from([300.0, 3600.0])),
        pools=pools,
    )
    factor = draw(st.sampled_from([None, 0.8, 1.2]))
    return resolved, factor


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periods())
def test_generated_periods(case: tuple) -> None:
    resolved, factor = case
    try:
        old = baseline.staff_resolved(resolved)
    except InfeasibleError as exc:
        with pytest.raises(InfeasibleError) as new_exc:
            staff_resolved(resolved)
        assert str(new_exc.value) == str(exc)
        return
    assert_identical(staff_resolved(resolved), old)
    if factor is not None:
        agents = {
            pool: np.floor(factor * g["agents"].to_numpy()).tolist()
            for pool, g in old.pools.groupby("pool", sort=False)
        }
        assert_identical(
            staff_resolved(resolved, agents=agents),
            baseline.staff_resolved(resolved, agents=agents),
        )


def test_unmodified_baseline_agrees_to_the_last_bits() -> None:
    """Against NumPy's SIMD transcendentals: same agents, numbers equal to 1e-12."""
    sc = co.load_scenario(SCENARIOS / "retail_bank.yaml")
    resolved = sc.resolve(0)
    new = staff_resolved(resolved)
    with contextlib.ExitStack():
        saved = baseline._live.np
        baseline._live.np = np  # the plain NumPy module, whatever the fixture set
        try:
            old = baseline.staff_resolved(resolved)
        finally:
            baseline._live.np = saved
    for name in ("intervals", "pools"):
        a, b = getattr(new, name), getattr(old, name)
        for col in a.columns:
            x, y = a[col].to_numpy(), b[col].to_numpy()
            if x.dtype.kind == "f":
                np.testing.assert_allclose(x, y, rtol=1e-12, atol=0, err_msg=col)
            else:
                assert (x == y).all(), col
    assert new.iterations == old.iterations


# --------------------------------------------------------------- deferred search: compiled total
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 48),
    seed=st.integers(0, 2**32 - 1),
    aht=st.sampled_from([60.0, 300.0, 480.0, 3600.0]),
    deadline=st.sampled_from([1800.0, 4 * 3600.0, 24 * 3600.0, 72 * 3600.0, math.inf]),
    closed=st.floats(0.0, 0.6),
)
def test_compiled_deferred_total_agrees_with_deferred_kpis(
    n: int, seed: int, aht: float, deadline: float, closed: float
) -> None:
    """The staffing search decides with the compiled day total; it must agree with the
    NumPy ``deferred_kpis`` to a few ulps (far inside the 1e-9 margin at which the
    search asks ``deferred_kpis`` itself), stable or not. (That the staffing is the
    same to the last bit is checked above: the frozen path decides with
    ``deferred_kpis`` alone.)"""
    from channelopt.staffing._deferred import deferred_kpis
    from channelopt.staffing._deferred_kernels import total_within

    rng = np.random.default_rng(seed)
    interval = 86400.0 / n
    arrivals = rng.uniform(0.0, 50.0, n) * (rng.random(n) > 0.2)
    if arrivals.sum() <= 0:
        arrivals[0] = 1.0
    agents = np.floor(rng.uniform(0.0, 4.0, n)) * (rng.random(n) >= closed)
    exact = deferred_kpis(arrivals, agents, aht, interval, deadline)
    fast = total_within(arrivals, agents, aht, interval, deadline, float(arrivals.sum()))
    if math.isnan(fast):  # capacity within 1e-9 of the arrivals: the search asks NumPy
        return
    if not exact.stable:
        assert fast == -1.0
    else:
        assert fast == pytest.approx(exact.total_within, rel=0, abs=1e-12)
