"""Mutated scenario documents load or raise ScenarioError, never anything else.

Hypothesis drops, retypes and renames keys and perturbs numbers of valid
documents (the bundled scenarios and a small one), and edits the YAML text.
Whatever loads must also resolve and round-trip through YAML.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelopt.errors import ScenarioError
from channelopt.scenario import load_scenario
from channelopt.scenario._yaml import dump_yaml, load_yaml
from conftest import BUNDLED, SCENARIOS, make_minimal_doc

DOCS = [load_yaml((SCENARIOS / f"{n}.yaml").read_text()).data for n in BUNDLED]
DOCS.append(make_minimal_doc())


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def get_parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["6min", "8:00", "08:00-20:00", "live", "yes", "24h", "-1s", "1e400", "voice"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=6), scalars, max_size=3),
)


@st.composite
def mutation(draw, doc):
    all_paths = paths(doc)
    path = draw(st.sampled_from(all_paths))
    op = draw(st.sampled_from(["drop", "retype", "rename", "perturb", "perturb"]))
    return path, op, draw(values), draw(st.floats(-3, 3)), draw(st.text(min_size=1, max_size=10))


def apply(doc: dict, path: tuple, op: str, value: Any, factor: float, name: str) -> None:
    try:
        parent = get_parent(doc, path)
        key = path[-1]
        current = parent[key]
    except (KeyError, IndexError, TypeError):
        return  # an earlier mutation removed it
    if op == "drop":
        del parent[key]
    elif op == "retype":
        parent[key] = value
    elif op == "rename" and isinstance(parent, dict):
        parent[name] = parent.pop(key)
    elif op == "perturb" and isinstance(current, int | float) and not isinstance(current, bool):
        parent[key] = current * factor if factor else -current
    elif op == "perturb":
        parent[key] = value


def check_loads_or_scenario_error(doc: Any) -> None:
    try:
        sc = load_scenario(doc)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError carries at least one problem"
        for p in exc.problems:
            assert isinstance(p.path, str) and p.message
        return
    # what loads is usable: it resolves (or names why not) and round-trips
    try:
        r = sc.resolve(0)
        assert all(math.isfinite(x) for x in r.arrivals.ravel())
    except ScenarioError:
        pass
    assert load_scenario(sc.to_yaml()) == sc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), which=st.integers(0, len(DOCS) - 1))
def test_mutated_documents_load_or_raise_scenario_error(data, which):
    doc = copy.deepcopy(DOCS[which])
    for _ in range(data.draw(st.integers(1, 3))):
        apply(doc, *data.draw(mutation(doc)))
    check_loads_or_scenario_error(doc)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_mutated_yaml_text_loads_or_raises_scenario_error(data):
    text = dump_yaml(make_minimal_doc())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 3))
        edits = ["", ":", "-", " ", "\n", "{", "]", "'", "&a", "*a", "!!x"]
        insert = data.draw(st.sampled_from(edits))
        text = text[:i] + insert + text[i + cut :]
    check_loads_or_scenario_error(text)


@pytest.mark.parametrize("doc", [[], "plain text\nsecond line", 3, {"channels": []}, {1: 2}])
def test_odd_documents(doc):
    with pytest.raises(ScenarioError):
        load_scenario(doc if not isinstance(doc, int) else "3\n")
