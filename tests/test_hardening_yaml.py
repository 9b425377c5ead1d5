"""Hostile scenario and plan files (issue 16): bounded size, aliases, nesting, bytes.

Every case must end as a ``ScenarioError`` naming where the document went wrong
(line and column where the reader knows them), and the command exits 2 without
a traceback. The memory-hungry cases run ``channelopt validate`` in a child
process under an address-space limit, so a regression fails the test instead
of exhausting the machine.
"""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from channelopt.errors import ScenarioError
from channelopt.scenario import load_scenario
from channelopt.scenario._yaml import (
    MAX_ALIASES,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_VALUES,
    dump_yaml,
    load_yaml,
)
from channelopt.scenario.plan import Plan, load_plan
from conftest import make_minimal_doc

CLI = [str(Path(sys.executable).with_name("channelopt"))]
# Address space for the child: the command needs about 60 MB resident (NumPy and
# pandas map more than they touch); the billion-laughs file took > 3 GB before.
_MEMORY_LIMIT = 1 << 30


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))


def run_cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, memory-limited, with a hang guard."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        env={**os.environ, "COLUMNS": "200"},
    )


def billion_laughs(levels: int = 10, fan_out: int = 10) -> str:
    """The classic: each level a list of ``fan_out`` aliases of the level below."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def only_problem(exc: pytest.ExceptionInfo[ScenarioError]) -> str:
    assert len(exc.value.problems) == 1, exc.value
    return exc.value.problems[0].message


# --------------------------------------------------------------------------- aliases
def test_billion_laughs_stops_with_line_and_column() -> None:
    text = billion_laughs()
    assert len(text) < 700  # the attack file of the issue was 621 bytes
    with pytest.raises(ScenarioError) as exc:
        load_scenario(text)
    message = only_problem(exc)
    assert f"more than {MAX_VALUES:,} values" in message
    # 100,000 values are crossed at the first alias of level 5 (10^5 = 100,000 + 1 node).
    assert "line 5, column" in message
    assert exc.value.problems[0].line == 5


def test_billion_laughs_cli_exits_2_within_memory(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "values once its aliases are expanded" in proc.stderr
    assert "line 5, column" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_alias_count_limit() -> None:
    base = "s: &s x\nl: [" + ", ".join(["*s"] * MAX_ALIASES) + "]\n"
    assert len(load_yaml(base).data["l"]) == MAX_ALIASES  # exactly the limit: fine
    more = "s: &s x\nl: [" + ", ".join(["*s"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ScenarioError) as exc:
        load_yaml(more)
    message = only_problem(exc)
    assert f"more than {MAX_ALIASES:,} aliases" in message
    assert "line 2, column" in message


def test_alias_inside_its_own_anchor() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario("name: x\nloop: &a [1, *a]\n")
    message = only_problem(exc)
    assert "alias *a refers to a list or mapping that contains it" in message
    assert "line 2, column 14" in message  # the star of *a


def test_ordinary_aliases_and_merge_keys_still_load(minimal_doc: dict[str, Any]) -> None:
    text = dump_yaml(minimal_doc)
    text = text.replace("  voice:\n    kind: live", "  voice: &v\n    kind: live", 1)
    text += "x_unused: *v\n"
    with pytest.raises(ScenarioError) as exc:  # the extra key is unknown: still reported
        load_scenario(text)
    assert exc.value.paths == ("x_unused",)
    doc = load_yaml("base: &b {a: 1, b: 2}\nderived:\n  <<: *b\n  b: 3\n").data
    assert doc["derived"] == {"a": 1, "b": 3}


# --------------------------------------------------------------------------- size
def test_values_limit_just_below_and_above(monkeypatch: pytest.MonkeyPatch) -> None:
    # The rule, at a small limit (100,000 values take ~10 s to read on a loaded machine).
    import channelopt.scenario._yaml as reader

    limit = 1_000
    monkeypatch.setattr(reader, "MAX_VALUES", limit)
    # the root mapping, its key and the list count too: 3 values besides the items
    ok = "x: [" + ", ".join(["1"] * (limit - 3)) + "]\n"
    assert len(load_yaml(ok).data["x"]) == limit - 3
    too_many = "x: [" + ", ".join(["1"] * (limit - 2)) + "]\n"
    with pytest.raises(ScenarioError, match="more than 1,000 values"):
        load_yaml(too_many)
    # aliases count as what they expand to: 10 aliases of a 100-item list = 1,000+
    expanded = "a: &a [" + ", ".join(["1"] * 98) + "]\nb: [" + ", ".join(["*a"] * 10) + "]\n"
    with pytest.raises(ScenarioError, match="line 2, column"):
        load_yaml(expanded)


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "larger than 1,048,576 bytes" in only_problem(exc)
    with pytest.raises(ScenarioError, match="larger than 1,048,576 bytes"):
        load_plan(path)
    # the same text handed over directly (not as a file) is bounded too
    with pytest.raises(ScenarioError, match="more than the 1,048,576"):
        load_scenario(path.read_text())


def test_validate_dev_zero_stops() -> None:
    if not Path("/dev/zero").exists():  # pragma: no cover - not Linux
        pytest.skip(
            "this system has no /dev/zero, the endless input this check feeds the CLI "
            "(Linux and other Unix systems have it)"
        )
    proc = run_cli("validate", "/dev/zero", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "larger than 1,048,576 bytes" in proc.stderr


def test_million_item_list_is_refused_quickly(tmp_path: Path) -> None:
    # The 2 MB file took 114 s and 880 MB to be told "unknown key".
    path = tmp_path / "list.yaml"
    path.write_text("name: x\nitems: [" + ",".join(["1"] * 500_000) + "]\n")
    assert path.stat().st_size < MAX_BYTES
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "more than 100,000 values" in proc.stderr


# --------------------------------------------------------------------------- nesting and bytes
@pytest.mark.parametrize("style", ["flow", "block", "mapping"])
def test_deep_nesting_is_a_scenario_error(style: str) -> None:
    depth = 5_000
    if style == "flow":
        text = "x: " + "[" * depth + "]" * depth + "\n"
    elif style == "block":
        text = "x:\n" + "".join(" " * i + "-\n" for i in range(1, 200))
    else:
        text = "x: " + "{a: " * depth + "1" + "}" * depth + "\n"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(text)
    message = only_problem(exc)
    assert f"nested more than {MAX_DEPTH} levels deep" in message
    assert "line " in message and "column " in message


def test_nesting_at_the_limit_reads() -> None:
    # root mapping (1) + list levels (MAX_DEPTH - 2) + the scalar inside (1)
    n = MAX_DEPTH - 2
    doc = load_yaml("x: " + "[" * n + "1" + "]" * n + "\n").data
    for _ in range(n + 1):
        doc = doc["x"] if isinstance(doc, dict) else doc[0]
    assert doc == 1
    with pytest.raises(ScenarioError, match=f"more than {MAX_DEPTH} levels"):
        load_yaml("x: " + "[" * (n + 1) + "1" + "]" * (n + 1) + "\n")


def test_nul_byte_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: x\nchannels: {}\ninterval: 30\x00min\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    message = only_problem(exc)
    assert "#x0000 at line 3, column 13" in message
    proc = run_cli("validate", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: x\nchannels: {}\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "not UTF-8" in only_problem(exc)
    assert exc.value.problems[0].line == 3


# --------------------------------------------------------------------------- huge numbers
def _numeric_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _numeric_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _numeric_paths(v, (*prefix, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        out.append(prefix)
    return out


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize("value", [10**400, -(10**400), 10**5000], ids=["e400", "-e400", "e5000"])
def test_huge_integers_in_every_numeric_field_name_the_field(value: int) -> None:
    doc = make_minimal_doc()
    paths = _numeric_paths(doc)
    assert len(paths) > 20
    for path in paths:
        dotted = ".".join(map(str, path))
        with pytest.raises(ScenarioError) as exc:  # from Python (a mapping)
            load_scenario(_set(doc, path, value))
        assert exc.value.paths == (dotted,), exc.value
        assert "beyond any number a field takes" in str(exc.value)
    # from a file: the reader keeps the digits a string and names the field and line
    path = paths[0]
    text = dump_yaml(_set(doc, path, 7)).replace(": 7\n", ": " + "9" * 401 + "\n", 1)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(text)
    assert ".".join(map(str, path)) in exc.value.paths
    assert "integer of 401 digits at line" in str(exc.value)


# --------------------------------------------------------------------------- plans
def test_plan_files_are_bounded_like_scenarios(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("starts: {}\n" + billion_laughs().replace("a0:", "x0:", 1))
    with pytest.raises(ScenarioError, match="values once its aliases are expanded"):
        load_plan(path)
    with pytest.raises(ScenarioError, match="nested more than 50"):
        Plan.from_yaml("starts: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(ScenarioError, match="#x0000"):
        Plan.from_yaml("starts: {a: 1}\x00\n")
