"""Sweep machinery: change sets, the table layout, broken cases, Ctrl-C, determinism.

These tests drive :func:`channelopt.whatif.sweep.run_sweep` with a toy scenario
and a toy engine (module level, so worker processes can unpickle them), so
they check the machinery independently of the engines. The engines themselves
are exercised through :func:`channelopt.sweep` in ``test_whatif_engines.py``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelopt.errors import InfeasibleError, Problem, ScenarioError
from channelopt.whatif.changes import case_seed, change_columns, describe_changes, expand_changes
from channelopt.whatif.sweep import PROVENANCE_COLUMNS, run_sweep, sweep


@dataclass(frozen=True)
class ToyScenario:
    """Two numeric fields; ``with_changes`` multiplies or sets, and validates like the real one."""

    name: str = "toy"
    values: dict[str, float] = field(
        default_factory=lambda: {"channels.voice.volume": 100.0, "channels.chat.volume": 50.0}
    )

    def with_changes(self, changes: dict) -> ToyScenario:
        new = dict(self.values)
        problems = []
        for path, change in changes.items():
            if path not in new:
                problems.append(Problem(path, "unknown field", change))
                continue
            new[path] = change["set"] if isinstance(change, dict) else new[path] * change
            if new[path] < 0:
                problems.append(Problem(path, f"expected a number >= 0; got {new[path]}"))
        if problems:
            raise ScenarioError(problems)
        return ToyScenario(self.name, new)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(repr(sorted(self.values.items())).encode()).hexdigest()[:16]


def toy_engine(scenario: ToyScenario, seed: int) -> list[dict]:
    """Per channel: the volume, and a seeded random draw (so determinism means something)."""
    rng = np.random.default_rng(seed)
    total = sum(scenario.values.values())
    if total > 1000:
        raise InfeasibleError("toy: total volume above 1000")
    return [
        {"channel": ch, "volume": scenario.values[f"channels.{ch}.volume"], "draw": rng.random()}
        for ch in ("voice", "chat")
    ]


GRID = {"channels.voice.volume": [1.0, 1.5, {"set": 10.0}], "channels.chat.volume": [0.5, 2.0]}


def test_grid_is_the_cartesian_product_last_path_fastest() -> None:
    sets = expand_changes(GRID)
    assert len(sets) == 6
    assert [s["channels.chat.volume"] for s in sets] == [0.5, 2.0] * 3
    assert [s["channels.voice.volume"] for s in sets[::2]] == [1.0, 1.5, {"set": 10.0}]
    # a scalar grid value is one change
    assert expand_changes({"a.b": 2}) == [{"a.b": 2}]


def test_table_layout_and_values() -> None:
    table = run_sweep(ToyScenario(), expand_changes(GRID), toy_engine, executor="serial", seed=5)
    assert len(table) == 12  # 6 cases x 2 channels
    assert list(table.columns) == [
        "case",
        "channels.voice.volume (x)",
        "channels.voice.volume (set)",
        "channels.chat.volume (x)",
        "changes",
        "channel",
        "volume",
        "draw",
        "status",
        "error",
        *PROVENANCE_COLUMNS,
    ]
    assert (table["status"] == "ok").all() and (table["error"] == "").all()
    voice = table[table["channel"] == "voice"].set_index("case")
    chat = table[table["channel"] == "chat"].set_index("case")
    # the engine saw the changed scenario: volume = base x multiplier, or the set value
    np.testing.assert_allclose(voice["volume"], [100, 100, 150, 150, 10, 10])
    np.testing.assert_allclose(chat["volume"], [25, 100, 25, 100, 25, 100])
    # a multiplier column is NaN where the path was set instead, and vice versa
    assert math.isnan(voice.loc[4, "channels.voice.volume (x)"])
    assert voice.loc[4, "channels.voice.volume (set)"] == 10.0
    assert voice.loc[4, "changes"] == "channels.voice.volume = 10, channels.chat.volume x0.5"
    # provenance: hash of the changed scenario, root seed and the per-case seed
    assert voice.loc[0, "content_hash"] == ToyScenario().with_changes(GRID_CASE0).content_hash
    assert voice.loc[0, "content_hash"] != voice.loc[1, "content_hash"]
    assert (table["seed"] == 5).all() and (table["scenario"] == "toy").all()
    assert [int(s) for s in voice["case_seed"]] == [case_seed(5, i) for i in range(6)]
    # the draw is the one the seed of that case gives
    assert voice.loc[3, "draw"] == np.random.default_rng(case_seed(5, 3)).random()


GRID_CASE0 = {"channels.voice.volume": 1.0, "channels.chat.volume": 0.5}


def test_list_of_change_sets_gives_the_same_rows_as_the_grid() -> None:
    sets = expand_changes(GRID)
    from_grid = run_sweep(ToyScenario(), sets, toy_engine, executor="serial", seed=1)
    from_list = run_sweep(
        ToyScenario(), list(reversed(sets)), toy_engine, executor="serial", seed=1
    )
    # same change set -> same volumes (seeds follow the case index, so draws differ)
    a = from_grid.sort_values(["changes", "channel"])["volume"].to_numpy()
    b = from_list.sort_values(["changes", "channel"])["volume"].to_numpy()
    np.testing.assert_array_equal(a, b)


def test_a_broken_case_records_its_error_and_the_rest_finish() -> None:
    sets = [
        {"channels.voice.volume": 1.1},
        {"channels.voice.volum": 1.1},  # typo: rejected by the scenario
        {"channels.voice.volume": {"set": -5.0}},  # invalid value
        {"channels.voice.volume": 20.0},  # valid scenario, infeasible for the engine
        {},
    ]
    table = run_sweep(ToyScenario(), sets, toy_engine, executor="serial")
    by_case = table.groupby("case")["status"].agg(list).to_dict()
    assert by_case == {0: ["ok", "ok"], 1: ["error"], 2: ["error"], 3: ["error"], 4: ["ok", "ok"]}
    errors = table.drop_duplicates("case").set_index("case")["error"]
    assert errors[1].startswith("ScenarioError") and "channels.voice.volum" in errors[1]
    assert "expected a number >= 0" in errors[2] and "-5" in errors[2]
    assert errors[3] == "InfeasibleError: toy: total volume above 1000"
    # the infeasible case had a valid changed scenario: its hash is kept, the invalid ones have none
    hashes = table.drop_duplicates("case").set_index("case")["content_hash"]
    assert hashes[3] == ToyScenario().with_changes(sets[3]).content_hash
    assert hashes[1] is None or pd.isna(hashes[1])
    assert table.set_index("case").loc[4, "changes"].tolist() == ["baseline", "baseline"]


class _StopAfter:
    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self, done: int, total: int) -> None:
        if done >= self.k:
            raise KeyboardInterrupt


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_ctrl_c_returns_the_finished_rows(executor: str) -> None:
    sets = expand_changes({"channels.chat.volume": [1.0 + i / 10 for i in range(12)]})
    table = run_sweep(
        ToyScenario(), sets, toy_engine, executor=executor, chunk_size=1, progress=_StopAfter(3)
    )
    assert table.attrs["interrupted"] is True
    cases = table.drop_duplicates("case").set_index("case")
    assert list(cases.index) == list(range(12))  # every case has a row
    done = cases.index[cases["status"] == "ok"]
    assert len(done) >= 3
    if executor == "serial":
        assert set(cases["status"]) == {"ok", "interrupted"}
    else:
        # workers may finish every queued case before the interrupt reaches them
        # (the toy engine takes microseconds); none may be lost or mislabelled
        assert set(cases["status"]) <= {"ok", "interrupted"}
    full = run_sweep(ToyScenario(), sets, toy_engine, executor="serial")
    finished = table[table["case"].isin(done)].reset_index(drop=True)
    expected = full[full["case"].isin(done)].reset_index(drop=True)
    pd.testing.assert_frame_equal(finished, expected)


def test_same_seed_same_table_on_every_executor() -> None:
    distributed = pytest.importorskip(
        "distributed",
        reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
    )
    sets = expand_changes(GRID) * 3
    serial = run_sweep(ToyScenario(), sets, toy_engine, executor="serial", seed=42)
    processes = run_sweep(
        ToyScenario(), sets, toy_engine, executor="processes", seed=42, chunk_size=5
    )
    pd.testing.assert_frame_equal(serial, processes)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = run_sweep(ToyScenario(), sets, toy_engine, executor=client, seed=42, chunk_size=3)
    pd.testing.assert_frame_equal(serial, dask)
    other_seed = run_sweep(ToyScenario(), sets, toy_engine, executor="serial", seed=43)
    assert not np.array_equal(serial["draw"], other_seed["draw"])


def test_seed_none_is_recorded_and_reproducible() -> None:
    sets = expand_changes(GRID)
    first = run_sweep(ToyScenario(), sets, toy_engine, executor="serial", seed=None)
    root = int(first["seed"].iloc[0])
    again = run_sweep(ToyScenario(), sets, toy_engine, executor="serial", seed=root)
    pd.testing.assert_frame_equal(first, again)


def test_describe_changes() -> None:
    assert describe_changes({}) == "baseline"
    assert describe_changes({"a.b": 1.25, "c.d": {"set": "08:00-20:00"}}) == (
        "a.b x1.25, c.d = 08:00-20:00"
    )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"channels.chat.volume": []}, "at least one value"),
        (["channels.chat.volume"], r"changes\[0\]"),
        ({"": [1.0]}, "dotted field path"),
        (3, "'changes' parameter"),
    ],
)
def test_bad_changes_are_named(changes: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        expand_changes(changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"evaluate": "stuff"}, "'evaluate' parameter"),
        ({"evaluate": "staff", "days": 2}, "unexpected option"),
        ({"evaluate": "simulate", "replications": 0}, "'replications' parameter"),
        ({"evaluate": "staff", "period": -1}, "'period' parameter"),
        ({"evaluate": "staff", "seed": -3}, "'seed' parameter"),
    ],
)
def test_bad_sweep_arguments_are_named(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sweep(ToyScenario(), {"channels.chat.volume": [1.0]}, executor="serial", **kwargs)


_paths = st.lists(
    st.from_regex(r"[a-z]{1,6}\.[a-z]{1,6}", fullmatch=True), min_size=1, max_size=3, unique=True
)
_change = st.one_of(
    st.floats(0.1, 10, allow_nan=False), st.builds(lambda v: {"set": v}, st.integers(0, 500))
)


@given(_paths.flatmap(lambda ps: st.tuples(st.just(ps), st.lists(
    st.lists(_change, min_size=1, max_size=3), min_size=len(ps), max_size=len(ps)))))  # fmt: skip
def test_grid_properties(paths_and_axes) -> None:
    paths, axes = paths_and_axes
    grid = dict(zip(paths, axes, strict=True))
    sets = expand_changes(grid)
    assert len(sets) == math.prod(len(a) for a in axes)
    # every combination exactly once, in lexicographic order of the axis indices
    import itertools

    assert sets == [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*axes)]
    # the change columns say the same as the change sets, one column per path and kind
    for change_set, columns in zip(sets, change_columns(sets), strict=True):
        assert len(columns) == len(paths)
        for path, change in change_set.items():
            if isinstance(change, dict):
                assert columns[path + " (set)"] == change["set"]
            else:
                assert columns[path + " (x)"] == change
        assert describe_changes(change_set).count(", ") == len(paths) - 1


@given(st.integers(0, 2**32), st.integers(0, 10_000))
def test_case_seed_is_a_pure_function_of_seed_and_index(seed: int, case: int) -> None:
    assert case_seed(seed, case) == case_seed(seed, case)
    assert 0 <= case_seed(seed, case) < 2**64
    assert case_seed(seed, case) != case_seed(seed, case + 1)
