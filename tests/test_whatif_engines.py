"""sweep() and compare() on the bundled scenarios, through the real engines.

What is checked here is the orchestration: that each case ran the right engine
on the right changed scenario, that money follows closed forms from the
scenario file, that the table does not depend on the executor, that a failing
case does not stop the others, and that common random numbers make identical
plans identical. The engines' own numbers are tested in their own suites.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import channelopt as co
from channelopt.whatif.sweep import PROVENANCE_COLUMNS

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def bank() -> co.Scenario:
    return co.load_scenario(SCENARIOS / "retail_bank.yaml")


@pytest.fixture(scope="module")
def small_bank(bank: co.Scenario) -> co.Scenario:
    """The bank at a tenth of its volume and roster: cheap to simulate."""
    volumes = {f"channels.{name}.volume": 0.1 for name in ("voice", "chat", "email", "bot")}
    roster = {"pools.phone.agents": {"set": 6}, "pools.generalists.agents": {"set": 5}}
    roster |= {"pools.digital.agents": {"set": 3}, "pools.back_office.agents": {"set": 2}}
    return bank.with_changes(volumes | roster)


def _total_spending(scenario: co.Scenario, starts: dict[str, int]) -> float:
    """Initiative spending from the file: upfront once, running cost from the start on."""
    n = scenario.n_periods
    total = 0.0
    for name, start in starts.items():
        cost = scenario.initiatives[name].cost
        total += cost.upfront + cost.per_period * (n - start)
    return total


def test_staff_sweep_rows_are_the_staffing_of_each_changed_scenario(bank) -> None:
    grid = {"channels.chat.volume": [1.0, 1.3], "channels.voice.aht": [{"set": "5min"}]}
    table = co.sweep(bank, grid, evaluate="staff", executor="serial", seed=0)
    assert table["case"].nunique() == 2 and (table["status"] == "ok").all()
    assert len(table) == 2 * len(bank.channel_names)
    for case, change_set in enumerate(co.whatif.expand_changes(grid)):
        changed = bank.with_changes(change_set)
        expected = co.staff(changed).summary().reset_index()
        rows = table[table["case"] == case].reset_index(drop=True)
        got = rows[list(expected.columns)].astype(expected.dtypes.to_dict())
        pd.testing.assert_frame_equal(got, expected, check_categorical=False)
        assert (rows["content_hash"] == changed.content_hash).all()
    assert list(table.columns[-len(PROVENANCE_COLUMNS) :]) == list(PROVENANCE_COLUMNS)
    assert (table["channels.voice.aht (set)"] == "5min").all()


def test_a_failing_case_does_not_stop_the_sweep(bank) -> None:
    changes = [
        {"channels.chat.volume": 1.1},
        {"channels.chat.volume": -1},  # a negative volume: the changed scenario is invalid
        {"channels.nowhere.volume": 2},  # an unknown channel
        {},
    ]
    table = co.sweep(bank, changes, evaluate="staff", executor="serial")
    status = table.groupby("case")["status"].first()
    assert status.tolist() == ["ok", "error", "error", "ok"]
    errors = table.groupby("case")["error"].first()
    assert errors[1].startswith("ScenarioError") and "channels.chat.volume" in errors[1]
    assert "nowhere" in errors[2]
    assert (table.loc[table["status"] == "error", "peak_agents"].isna()).all()


def test_ctrl_c_keeps_the_finished_rows_of_a_real_sweep(bank) -> None:
    grid = {"channels.chat.volume": [0.9, 1.0, 1.1, 1.2]}

    def stop_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    table = co.sweep(bank, grid, executor="serial", progress=stop_after_two)
    assert table.attrs["interrupted"] is True
    status = table.groupby("case")["status"].first()
    assert status.tolist() == ["ok", "ok", "interrupted", "interrupted"]
    full = co.sweep(bank, grid, executor="serial")
    pd.testing.assert_frame_equal(
        table[table["case"] < 2].reset_index(drop=True),
        full[full["case"] < 2].reset_index(drop=True),
        check_dtype=False,  # NaN rows of the unfinished cases make integer columns float
    )


def test_simulate_sweep_is_the_same_on_every_executor(small_bank) -> None:
    distributed = pytest.importorskip(
        "distributed",
        reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
    )
    grid = {"channels.chat.volume": [1.0, 1.5], "channels.voice.patience": [1.0, 2.0]}
    # a plan in force, so that plans cross process boundaries too
    plan = co.Plan(starts={"voice_callback": 0})
    kwargs = {"evaluate": "simulate", "replications": 2, "seed": 11, "plan": plan}
    serial = co.sweep(small_bank, grid, executor="serial", **kwargs)
    assert (serial["status"] == "ok").all(), serial["error"].unique()
    assert {"service_level", "service_level_low", "service_level_high"} <= set(serial.columns)
    processes = co.sweep(small_bank, grid, executor="processes", chunk_size=1, **kwargs)
    pd.testing.assert_frame_equal(serial, processes)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = co.sweep(small_bank, grid, executor=client, **kwargs)
    assert (dask["status"] == "ok").all(), dask["error"].unique()
    pd.testing.assert_frame_equal(serial, dask)


def test_evaluate_sweep_money_follows_the_file(bank) -> None:
    starts = {"crm_unification": 0, "voice_callback": 1}
    plan = co.Plan(starts=starts)
    upfront = "initiatives.crm_unification.cost.upfront"
    table = co.sweep(bank, {upfront: [1.0, 2.0]}, evaluate="evaluate", plan=plan, executor="serial")
    assert (table["status"] == "ok").all(), table["error"].tolist()
    spending = table["initiative_spending"].to_numpy()
    assert spending[0] == pytest.approx(_total_spending(bank, starts))
    # doubling the upfront cost adds exactly one more upfront cost
    extra = bank.initiatives["crm_unification"].cost.upfront
    assert spending[1] - spending[0] == pytest.approx(extra)
    np.testing.assert_allclose(table["cost"], table["agent_cost"] + table["initiative_spending"])
    assert (table["starts"] == "crm_unification@0, voice_callback@1").all()


def test_optimize_sweep_without_budget_funds_nothing(bank) -> None:
    # Every initiative costs money: with a zero budget the optimiser can start none.
    n = bank.n_periods
    broke = {"budget.total": {"set": 0}, "budget.per_period": {"set": [0] * n}}
    table = co.sweep(bank, [broke], evaluate="optimize", executor="serial")
    assert table["status"].tolist() == ["ok"], table["error"].tolist()
    assert table["starts"].iloc[0] == "none"
    assert table["initiative_spending"].iloc[0] == 0.0
    # and it is the doing-nothing plan, measured exactly
    nothing = co.evaluate(bank.with_changes(broke), co.Plan(starts={}))
    assert table["objective"].iloc[0] == pytest.approx(nothing.objective)


def test_compare_two_plans_side_by_side(bank) -> None:
    plans = {"do nothing": co.Plan(starts={}), "CRM first": co.Plan(starts={"crm_unification": 0})}
    result = co.compare(bank, plans)
    table = result.table.set_index("plan")
    assert list(table.index) == ["do nothing", "CRM first"]
    assert table.loc["do nothing", "initiative_spending"] == 0.0
    assert table.loc["CRM first", "initiative_spending"] == pytest.approx(
        _total_spending(bank, {"crm_unification": 0})
    )
    for label, plan in plans.items():  # each row is the exact evaluation of its plan
        ev = co.evaluate(bank, plan)
        assert table.loc[label, "objective"] == pytest.approx(ev.objective)
        assert table.loc[label, "npv"] == pytest.approx(ev.npv)
        assert table.loc[label, "feasible"] == ev.feasible
    summary = result.summary()
    assert list(summary.columns) == ["do nothing", "CRM first"]
    assert {"objective", "npv", "cost", "service_level", "abandonment"} <= set(summary.index)
    assert len(result.channels) == 2 * bank.n_periods * len(bank.channel_names)
    assert result.simulation.empty
    # usable where the one-row-per-plan table is expected
    assert len(result) == 2 and list(result["plan"]) == ["do nothing", "CRM first"]
    assert list(result.columns) == list(result.table.columns)


def test_compare_simulated_identical_plans_meet_identical_futures(small_bank) -> None:
    plan = co.Plan(starts={"voice_callback": 0})
    result = co.compare(small_bank, {"A": plan, "B": plan}, simulate=True, replications=3, seed=5)
    table = result.table.set_index("plan")
    sim_cols = [c for c in table.columns if c.startswith(("simulated_", "miss_"))]
    assert sim_cols
    # common random numbers: the same draws and seeds for every plan
    pd.testing.assert_series_equal(
        table.loc["A", sim_cols], table.loc["B", sim_cols], check_names=False
    )
    assert table.loc["A", "forecast_draws"] == 3
    low, mid, high = (table.loc["A", f"simulated_service_level{s}"] for s in ("_low", "", "_high"))
    assert 0.0 <= low <= mid <= high <= 1.0


def test_compare_understaffed_plan_always_misses(small_bank) -> None:
    # One agent per pool for a day of hundreds of calls and chats: every draw misses.
    agents = dict.fromkeys(small_bank.pool_names, 1)
    starved = co.Plan(starts={}, agents=agents)
    result = co.compare(small_bank, {"starved": starved}, simulate=True, replications=2, seed=0)
    row = result.table.iloc[0]
    assert row["miss_probability"] == 1.0
    assert row["miss_probability_high"] == 1.0
    assert 0.0 < row["miss_probability_low"] < 1.0  # Wilson with 2 draws: honest width
    assert row["simulated_service_level"] < 0.5


@pytest.mark.parametrize(
    ("plans", "kwargs", "match"),
    [
        ({}, {}, "is empty"),
        ({"A": {"crm_unification": 0}}, {}, r"plans\['A'\] must be a channelopt Plan"),
        ({"A": co.Plan(starts={})}, {"replications": 0}, "'replications' parameter"),
        ({"A": co.Plan(starts={})}, {"period": 99}, r"'period' parameter .* \[0, 3\]"),
        ("plan.yaml", {}, "'plans' parameter"),
    ],
)
def test_compare_rejects_bad_arguments(bank, plans, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        co.compare(bank, plans, **kwargs)


def test_compare_takes_a_list_of_plans(bank) -> None:
    plans = [co.Plan(starts={}), co.Plan(starts={"voice_callback": 0}, name="callback")]
    result = co.compare(bank, plans)
    assert result.table["plan"].tolist() == ["plan 1", "callback"]


def test_compare_is_the_same_serially_and_on_processes(small_bank) -> None:
    plans = {"nothing": co.Plan(starts={}), "callback": co.Plan(starts={"voice_callback": 0})}
    kwargs = {"simulate": True, "replications": 2, "seed": 9}
    serial = co.compare(small_bank, plans, executor="serial", **kwargs)
    processes = co.compare(small_bank, plans, executor="processes", **kwargs)
    pd.testing.assert_frame_equal(serial.table, processes.table)
    pd.testing.assert_frame_equal(serial.simulation, processes.simulation)
