"""A sweep makes the base scenario's document once per job (issue 12, sweep speed).

``whatif.sweep._with_changes`` applies each case's changes to a cached copy of
the unchanged scenario's document; the changed scenarios, and so the sweep
table, must be exactly those of ``Scenario.with_changes`` (also for a path the
document leaves out and for a path that does not exist).
"""

from __future__ import annotations

import functools
import importlib

import pandas as pd

import channelopt as co
from conftest import SCENARIOS

sweep_module = importlib.import_module("channelopt.whatif.sweep")


def test_sweep_table_equals_the_one_from_scenario_with_changes(monkeypatch) -> None:
    sc = co.load_scenario(SCENARIOS / "retail_bank.yaml")
    chat = next(c for c in sc.channels if c != "voice")
    sets = [
        {f"channels.{chat}.volume": 1.1, "channels.voice.aht": 0.9},
        {"channels.nope.volume": 1.2},  # no such channel: the scenario's own error
        {"economics.discount_rate": {"set": 0.05}},
        {},
    ]
    engine = functools.partial(sweep_module._staff_rows, period=0, plan=None)
    cached = sweep_module.run_sweep(sc, sets, engine, executor="serial")
    monkeypatch.setattr(
        sweep_module, "_with_changes", lambda job, changes: job.scenario.with_changes(changes)
    )
    plain = sweep_module.run_sweep(sc, sets, engine, executor="serial")
    pd.testing.assert_frame_equal(cached, plain, check_exact=True)
    assert list(cached.drop_duplicates("case")["status"]) == ["ok", "error", "ok", "ok"]
    assert cached["content_hash"].nunique() == 3  # three different valid scenarios


def test_each_case_gets_its_own_copy_of_the_document() -> None:
    sc = co.load_scenario(SCENARIOS / "retail_bank.yaml")
    base = sweep_module._BaseDocument(sc)
    first = base.to_document(human=False)
    first["channels"]["voice"]["aht"] = -1.0  # a case changing its copy
    assert base.to_document(human=False) == sc.to_document(human=False)
