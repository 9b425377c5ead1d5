"""The compiled pooled rounds (``staffing/_pooled_kernels.py``) against the NumPy form.

Issue 12's rule: a speed-up keeps staffing results bit for bit. The compiled
effective-capacity fixed point, with its memo of Erlang cells and the search's
duplicate rows solved once, must give exactly the NumPy form's numbers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import channelopt as co
from channelopt.staffing import _core, _pooled
from channelopt.staffing import _pooled_kernels as _pk
from multiskill import chat_centre_doc, multiskill_doc

KEYS = ("service_level", "average_wait", "abandonment", "occupancy", "effective_agents")


def _setup(seed: int, skills: int, pools: int):  # type: ignore[no-untyped-def]
    r = co.load_scenario(multiskill_doc(seed, skills, pools)).resolve(0)
    base = _core._staff(r, None, None)
    return r, base, _pooled._Channels(r, base)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    skills=st.integers(2, 6),
    pools=st.integers(2, 5),
    shift=st.lists(st.integers(-6, 6), min_size=5, max_size=5),
    repeats=st.integers(1, 3),
)
def test_compiled_rounds_equal_numpy_bit_for_bit(seed, skills, pools, shift, repeats) -> None:  # type: ignore[no-untyped-def]
    r, base, ch = _setup(seed, skills, pools)
    ni, P = r.n_intervals, len(r.pools)
    start = base.pools["agents"].to_numpy().reshape(P, ni).T.astype(float)
    agents = np.maximum(start + np.array(shift[:P], dtype=float)[None, :], 0.0)
    memo = _pooled._memo_for(ch, agents + 6.0, np.arange(ni))
    # the same memo across calls, and rows repeated as the local search repeats them
    for _ in range(2):
        got = _pooled.pooled_measures(ch, agents, memo=memo)
        want = _pooled.pooled_measures_numpy(ch, agents)
        for k in KEYS:
            np.testing.assert_array_equal(got[k], want[k])
    tiled = np.tile(ch.load, (repeats + 1, 1))
    flat = np.vstack([agents] * repeats + [start])
    cell = np.tile(np.arange(ni), repeats + 1)
    got = _pooled.pooled_measures(ch, flat, tiled, cell, memo)
    want = _pooled.pooled_measures_numpy(ch, flat, tiled)
    for k in KEYS:
        np.testing.assert_array_equal(got[k], want[k])


def test_the_check_tells_a_different_answer_apart() -> None:
    """Power: one agent fewer in one pool changes the compared numbers."""
    r, base, ch = _setup(3, 3, 3)
    ni, P = r.n_intervals, len(r.pools)
    agents = base.pools["agents"].to_numpy().reshape(P, ni).T.astype(float)
    fewer = agents.copy()
    fewer[:, 0] -= 1.0
    got = _pooled.pooled_measures(ch, fewer)
    want = _pooled.pooled_measures_numpy(ch, agents)
    busy = ch.load.sum(axis=1) > 0
    assert not np.array_equal(got["service_level"][busy], want["service_level"][busy])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    loads=st.lists(st.floats(0.05, 90.0), min_size=1, max_size=6),
    aht=st.floats(30.0, 900.0),
    patience=st.one_of(st.just(float("inf")), st.floats(10.0, 900.0)),
    t=st.floats(1.0, 120.0),
    lines=st.one_of(st.just(float("inf")), st.integers(1, 200).map(float)),
    qcap=st.one_of(st.just(float("inf")), st.integers(0, 80).map(float)),
)
def test_finite_point_memo_gives_the_same_bits(n, loads, aht, patience, t, lines, qcap) -> None:  # type: ignore[no-untyped-def]
    """The finite chain's waiting-time laws kept across loads (``_finite.finite_point_memo``,
    as the retrial fixed point uses them) change no bit of any measure."""
    import math

    from channelopt.queueing import _finite as fin

    if math.isinf(lines) and math.isinf(qcap):
        qcap = 30.0  # a finite system (the memo's use)
    key, tails = fin.new_tails_memo(int(min(lines, qcap, 4096.0)) + 1)
    for a in loads:
        for m in (n, max(n - 1, 0), n):  # the search's alternation of agent counts
            want = np.empty(fin.N_OUT)
            got = np.empty(fin.N_OUT)
            fin.finite_point(float(m), a, aht, patience, t, lines, qcap, fin.SL_ALL, want)
            fin.finite_point_memo(
                float(m), a, aht, patience, t, lines, qcap, fin.SL_ALL, got, key, tails
            )
            np.testing.assert_array_equal(got, want)


def test_memo_of_a_large_chat_centre_stays_small(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The memo of a 5,000-agent chat centre allocates at most 16 MiB (8.1 MiB measured;
    the dense table it replaced took 145 MiB, resident: docs/staffing.md, "Memory of
    the memo"), grows as it fills, and still gives the NumPy form's bits."""
    r = co.load_scenario(chat_centre_doc(8.6569)).resolve(0)
    base = _core._staff(r, None, None)
    ch = _pooled._Channels(r, base)
    memos = []
    make = _pooled.new_memo

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        memos.append(make(*args, **kwargs))
        return memos[-1]

    monkeypatch.setattr(_pooled, "new_memo", spy)
    agents, kp = _pooled._pooled_agents(r, base, ch)
    assert agents.sum(axis=1).max() >= 4_900  # as large as the docstring says
    (memo,) = memos
    arrays = getattr(memo, "arrays", memo)  # the dense memo was a bare tuple
    assert sum(a.nbytes for a in arrays) <= 16 * 2**20
    index, filled, _values, state = arrays
    assert filled.shape[0] > 2 * index.shape[0]  # grew past its first blocks
    assert 0 < state[0] < state[1]  # within the budget: every cell was kept
    want = _pooled.pooled_measures_numpy(ch, agents)
    for k in KEYS:
        np.testing.assert_array_equal(kp[k], want[k])


def test_memo_with_its_budget_spent_gives_the_same_bits() -> None:
    """A memo that may hold only 12 blocks (of the 224 these cells take) keeps those
    and computes the rest: the numbers are the NumPy form's, the arrays stay within
    the budget."""
    r, base, ch = _setup(5, 4, 4)
    ni, P = r.n_intervals, len(r.pools)
    agents = base.pools["agents"].to_numpy().reshape(P, ni).T.astype(float)
    slots = _pooled._memo_for(ch, agents, np.arange(ni)).arrays[0].shape[1] * _pk.BLOCK
    index_bytes = ni * ch.m * (slots // _pk.BLOCK) * 4
    budget = 8 * index_bytes  # the index's largest share: blocks stay BLOCK slots
    memo = _pk.new_memo(ni, ch.m, slots, budget=budget)
    for _ in range(2):
        got = _pooled.pooled_measures(ch, agents + 1.0, memo=memo)
        want = _pooled.pooled_measures_numpy(ch, agents + 1.0)
        for k in KEYS:
            np.testing.assert_array_equal(got[k], want[k])
    state = memo.arrays[3]
    assert state[0] == state[1] == (budget - index_bytes) // (_pk.BLOCK * 41) == 12
    assert memo.nbytes <= budget + state.nbytes
