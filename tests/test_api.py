"""The public API: ``channelopt.__all__`` equals docs/api.md, and every name resolves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import channelopt as co

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"

# names fixed by DESIGN.md ("Top-level API"): they must never disappear
DESIGN_NAMES = {
    "load_scenario", "Scenario", "erlang_b", "erlang_c", "wait_probability", "service_level",
    "average_wait", "abandonment", "occupancy", "required_agents", "staff", "StaffingResult",
    "simulate", "SimulationResult", "Plan", "PlanEvaluation", "evaluate", "optimize", "pareto",
    "sweep", "compare", "report", "ChannelOptError", "ScenarioError", "InfeasibleError",
    "SolverError",
}  # fmt: skip


def documented_names() -> set[str]:
    # first cell of every table row: | `name` | ...
    return set(re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", API_PAGE.read_text(), re.M))


def test_all_is_sorted_and_equals_the_api_page() -> None:
    assert list(co.__all__) == sorted(co.__all__)
    assert set(co.__all__) == documented_names()


def test_design_names_are_public() -> None:
    assert set(co.__all__) >= DESIGN_NAMES


def test_every_public_name_resolves() -> None:
    for name in co.__all__:
        assert getattr(co, name) is not None, name


def test_error_hierarchy() -> None:
    for err in (co.ScenarioError, co.InfeasibleError, co.SolverError):
        assert issubclass(err, co.ChannelOptError)


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        co.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_lazy() -> None:
    code = (
        "import sys, channelopt as co; co.load_scenario;"
        "print(sorted(m for m in ('numba', 'simpy', 'pulp', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_table_matches_all() -> None:
    assert set(co._LAZY) | {"__version__"} == set(co.__all__)


def test_one_progress_signature_everywhere() -> None:
    """staff, simulate, optimize, sweep and compare call progress(done, total, message);
    a callback written for the old two-argument form still works."""
    from channelopt._display import progress_caller

    sc = co.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "retail_bank.yaml")
    for name, run in [
        ("staff", lambda p: co.staff(sc, progress=p)),
        ("simulate", lambda p: co.simulate(sc, replications=2, executor="serial", progress=p)),
        ("optimize", lambda p: co.optimize(sc, progress=p)),
        (
            "sweep",
            lambda p: co.sweep(
                sc, {"channels.chat.volume": [1.0, 1.1]}, executor="serial", progress=p
            ),
        ),
    ]:
        calls: list[tuple[object, ...]] = []
        run(lambda *a, calls=calls: calls.append(a))
        assert calls, name
        for done, total, message in calls:
            assert isinstance(done, int) and isinstance(total, int) and 0 <= done <= total, name
            assert isinstance(message, str), name
        assert calls[-1][0] <= calls[-1][1]
    two: list[tuple[int, int]] = []
    progress_caller(lambda d, t: two.append((d, t)))(1, 2, "ignored")
    assert two == [(1, 2)]
