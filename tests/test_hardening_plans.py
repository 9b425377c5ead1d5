"""Bad plan files (issue 16): absurd, partial and fractional agents are bad input.

Each is a ``ScenarioError`` naming the field in Python and exit 2 (no traceback,
no "unexpected error") through the real ``channelopt evaluate`` command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from channelopt.errors import ScenarioError
from channelopt.scenario.plan import MAX_PLAN_AGENTS, Plan
from conftest import SCENARIOS

RETAIL = SCENARIOS / "retail_bank.yaml"
POOLS = ("phone", "generalists", "digital", "back_office")  # the retail bank's pools
EXE = str(Path(sys.executable).with_name("channelopt"))


def evaluate_cli(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    return subprocess.run(
        [EXE, "evaluate", str(RETAIL), str(plan)], capture_output=True, text=True, timeout=300
    )


def all_pools(**override: object) -> str:
    agents = {pool: 20 for pool in POOLS} | override
    return "starts: {}\nagents:\n" + "".join(f"  {k}: {v}\n" for k, v in agents.items())


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1e308", "at most 10,000,000 agents"),
        ("9" * 400, "beyond any number a field takes"),
        ("12.5", "write 12 or 13"),
        ("[20, 20.5, 21, 21]", "item 1 (period 1)"),
        ("-3", "whole number of agents >= 0"),
        (".inf", "whole number of agents >= 0"),
    ],
    ids=["1e308", "400-digits", "fractional", "fractional-in-list", "negative", "inf"],
)
def test_bad_agents_name_the_field(value: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Plan.from_yaml(all_pools(phone=value))
    paths = [p.path for p in info.value.problems]
    assert "agents.phone" in paths, info.value
    assert fragment in str(info.value)
    assert info.value.problems[0].line == 3  # the line of `phone:`


def test_limits_are_inclusive() -> None:
    plan = Plan(agents={"phone": MAX_PLAN_AGENTS, "digital": [0, 1.0, 2, 3]})
    assert plan.agents is not None and plan.agents["phone"] == MAX_PLAN_AGENTS
    with pytest.raises(ScenarioError, match="at most 10,000,000"):
        Plan(agents={"phone": MAX_PLAN_AGENTS + 1})


def test_partial_agents_are_refused_against_the_scenario(retail) -> None:
    plan = Plan(agents={"phone": 20, "digital": 30})
    with pytest.raises(ScenarioError) as info:
        plan.validate_against(retail)
    [problem] = info.value.problems
    assert problem.path == "agents"
    assert "not for generalists, back_office" in problem.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (all_pools(phone="1e308"), "agents.phone"),
        (all_pools(phone="12.5"), "write 12 or 13"),
        ("starts: {}\nagents: {phone: 20, digital: 30}\n", "but not for generalists"),
    ],
    ids=["1e308", "fractional", "partial"],
)
def test_cli_evaluate_exits_2(tmp_path: Path, text: str, fragment: str) -> None:
    proc = evaluate_cli(tmp_path, text)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr
    assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr
