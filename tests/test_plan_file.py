"""Plans and plan files: construction, equality, YAML round trip, checks against a scenario."""

from __future__ import annotations

import numpy as np
import pytest

from channelopt.errors import ScenarioError
from channelopt.scenario import Plan, load_plan


def test_construct_and_equality():
    a = Plan(starts={"chatbot": 1, "crm": 0}, name="bot first")
    b = Plan({"crm": 0, "chatbot": 1}, None, "bot first")
    assert a == b and hash(a) == hash(b)
    assert a != Plan(starts={"crm": 0}, name="bot first")
    assert a.starts == {"crm": 0, "chatbot": 1} and a.agents is None and a.name == "bot first"
    assert Plan() == Plan(starts={}) and Plan().starts == {}
    assert Plan(starts={"crm": None}) == Plan()  # None = not started


def test_frozen_and_read_only():
    plan = Plan(starts={"crm": 0}, agents={"phone": [1, 2]})
    with pytest.raises(AttributeError, match="frozen"):
        plan.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.starts["crm"] = 3  # type: ignore[index]


@pytest.mark.parametrize(
    "plan",
    [
        Plan(),
        Plan(starts={"crm": 0, "chatbot": 2}),
        Plan(starts={"crm": 0}, agents={"phone": [55, 60, 62, 70], "back_office": 12}, name="x"),
        Plan(name="yes"),  # a YAML 1.1 boolean word stays text
    ],
)
def test_yaml_round_trip(plan, tmp_path):
    assert Plan.from_yaml(plan.to_yaml()) == plan
    path = tmp_path / "plan.yaml"
    plan.save(path)
    assert load_plan(path) == plan == Plan.load(path)


def test_file_format_by_hand():
    text = """\
name: bot first
starts: {crm_unification: 0, nlu_chatbot: 1}
agents:
  phone: [55, 60, 60, 65]
  back_office: 12
"""
    plan = Plan.from_yaml(text)
    assert plan.starts == {"crm_unification": 0, "nlu_chatbot": 1}
    np.testing.assert_array_equal(plan.agents_for("phone", 4), [55, 60, 60, 65])
    np.testing.assert_array_equal(plan.agents_for("back_office", 4), [12, 12, 12, 12])
    assert plan.agents_for("digital", 4) is None


@pytest.mark.parametrize(
    ("kwargs", "path", "fragment"),
    [
        ({"starts": {"crm": -1}}, "starts.crm", "start period >= 0"),
        ({"starts": {"crm": 1.5}}, "starts.crm", "start period >= 0"),
        ({"starts": {"crm": True}}, "starts.crm", "start period >= 0"),
        ({"agents": {"phone": "many"}}, "agents.phone", "agents >= 0"),
        ({"agents": {"phone": [1, -2]}}, "agents.phone", "agent numbers >= 0"),
        ({"starts": [1, 2]}, "starts", "expected a mapping"),
    ],
)
def test_bad_plans_raise_scenario_error(kwargs, path, fragment):
    with pytest.raises(ScenarioError) as info:
        Plan(**kwargs)
    assert any(p.path == path and fragment in p.message for p in info.value.problems)


def test_plan_file_errors_have_lines():
    text = "name: x\nstarst: {crm: 0}\nstarts: {crm: -2}\n"
    with pytest.raises(ScenarioError) as info:
        Plan.from_yaml(text, "p.yaml")
    by_path = {p.path: p for p in info.value.problems}
    assert "did you mean 'starts'?" in by_path["starst"].message and by_path["starst"].line == 2
    assert by_path["starts.crm"].line == 3
    with pytest.raises(ScenarioError, match="duplicate key"):
        Plan.from_yaml("starts: {}\nstarts: {}\n")


def test_validate_against_scenario(retail):
    # agents, when given, are given for every pool (a partial plan is refused: issue 16)
    good = Plan(
        starts={"crm_unification": 0},
        agents={"phone": [50, 55, 60, 60], "digital": 20, "generalists": 40, "back_office": 10},
    )
    assert good.validate_against(retail) is good
    bad = Plan(starts={"crm_unifcation": 0, "nlu_chatbot": 4}, agents={"phone": [1, 2], "fones": 3})
    with pytest.raises(ScenarioError) as info:
        bad.validate_against(retail)
    messages = {p.path: p.message for p in info.value.problems}
    assert "did you mean 'crm_unification'?" in messages["starts.crm_unifcation"]
    assert "outside [0, 4)" in messages["starts.nlu_chatbot"]
    assert "expected 4 values" in messages["agents.phone"]
    assert "unknown pool 'fones'" in messages["agents.fones"]


def test_plan_drives_resolve(retail):
    plan = Plan(starts={"crm_unification": 0})
    assert retail.resolve(2, plan).fractions == retail.resolve(2, {"crm_unification": 0}).fractions
    # requires/excludes are feasibility questions answered by check_starts
    assert retail.check_starts(Plan(starts={"nlu_chatbot": 0})) == [
        "'nlu_chatbot' requires 'crm_unification', which is not started"
    ]


def test_plan_pickles_for_process_workers() -> None:
    import pickle

    plan = Plan(starts={"a": 1}, agents={"phone": [10, 12]}, name="x")
    back = pickle.loads(pickle.dumps(plan))
    assert back == plan and back.agents["phone"] == (10.0, 12.0) and back.name == "x"
