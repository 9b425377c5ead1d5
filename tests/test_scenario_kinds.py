"""The channel-kind registry: tables generated from it, traits, and no kind strings elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from channelopt.scenario import load_scenario
from channelopt.scenario.kinds import (
    CHANNEL_KEYS,
    KINDS,
    ChannelKind,
    FlowBehaviour,
    StaffingRule,
    kind_spec,
)
from channelopt.scenario.models import Channel
from channelopt.scenario.validate import (
    EFFECTS_FOR_KIND,
    NOT_FOR_KIND,
    REQUIRED_FOR_KIND,
    TARGETS_FOR_KIND,
)
from conftest import make_minimal_doc

SRC = Path(__file__).resolve().parents[1] / "src" / "channelopt"
KIND_WORDS = {k.value for k in ChannelKind}


def test_every_kind_has_one_entry_and_codes_are_distinct():
    assert set(KINDS) == set(ChannelKind)
    assert sorted(s.sim_code for s in KINDS.values()) == list(range(len(ChannelKind)))
    assert kind_spec("deferred") is KINDS[ChannelKind.DEFERRED]
    with pytest.raises(KeyError, match="unknown channel kind 'fax'"):
        kind_spec("fax")


def test_channel_keys_are_the_model_fields():
    assert set(CHANNEL_KEYS) == set(Channel.model_fields)


def test_tables_match_the_rules_of_the_format():
    # the tables written out by hand before the registry existed (docs/scenario-format.md)
    assert set(NOT_FOR_KIND["live"]) == {
        "concurrency",
        "concurrency_stretch",
        "deadline",
        "containment",
    }
    assert set(NOT_FOR_KIND["concurrent"]) == {"deadline", "containment"}
    queue = {"balking", "max_wait", "on_timeout", "lines", "queue_capacity", "at_close", "routing",
             "head_start"}  # fmt: skip
    assert (
        set(NOT_FOR_KIND["deferred"])
        == {
            "patience",
            "patience_distribution",
            "concurrency",
            "concurrency_stretch",
            "containment",
        }
        | queue
    )
    assert (
        set(NOT_FOR_KIND["self_service"])
        == {
            "aht",
            "aht_cv",
            "handle_time",
            "wrap_up",
            "patience",
            "patience_distribution",
            "target",
            "resolution",
            "concurrency",
            "concurrency_stretch",
            "deadline",
        }
        | queue
    )
    assert REQUIRED_FOR_KIND == {
        "live": ("aht",),
        "concurrent": ("aht", "concurrency"),
        "deferred": ("aht", "deadline"),
        "self_service": ("containment",),
    }
    assert set(TARGETS_FOR_KIND) == {"live", "concurrent", "deferred"}
    assert TARGETS_FOR_KIND["deferred"] == ("within_deadline", "max_occupancy")
    assert EFFECTS_FOR_KIND["self_service"] == ("volume", "containment")
    assert NOT_FOR_KIND["deferred"]["patience"] == (
        "deferred contacts wait in a backlog and never abandon"
    )


def test_traits():
    live, conc, dfr, bot = (KINDS[k] for k in ChannelKind)
    assert (live.queues, conc.queues, dfr.queues, bot.queues) == (True, True, False, False)
    assert (live.abandons, dfr.abandons, bot.abandons) == (True, False, False)
    assert [s.staffing for s in (live, conc, dfr, bot)] == [
        StaffingRule.AGENTS,
        StaffingRule.SLOTS,
        StaffingRule.BACKLOG,
        StaffingRule.NONE,
    ]
    assert bot.flow is FlowBehaviour.CONTAINED and live.flow is FlowBehaviour.SERVED
    assert not bot.staffed and conc.multi_contact and dfr.has_deadline and bot.contains


def test_resolved_trait_masks():
    r = load_scenario(make_minimal_doc()).resolve(0)
    assert r.channels == ("voice", "chat", "email", "bot")
    assert r.trait_mask("queues").tolist() == [True, True, False, False]
    assert r.staffed().tolist() == [True, True, True, False]
    assert r.trait_mask("contains").tolist() == [False, False, False, True]
    assert np.array_equal(r.kind_codes(), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="unknown kind trait"):
        r.trait_mask("fast")


# --- no module outside the registry compares kind strings --------------------------------


def _kind_literals(node: ast.AST) -> list[str]:
    """Kind words among the string constants of ``node`` (also inside tuples, lists, sets)."""
    if isinstance(node, ast.Constant) and node.value in KIND_WORDS:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [w for e in node.elts for w in _kind_literals(e)]
    return []


def kind_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, word) of every comparison with a kind string in ``source``.

    Flags ``x == "live"``, ``k in ("live", "concurrent")``, ``case "deferred":`` and
    module-level tuples/sets made only of kind words (compared against later).
    """
    out = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                out += [(node.lineno, w) for w in _kind_literals(operand)]
        elif isinstance(node, ast.MatchValue):
            out += [(node.lineno, w) for w in _kind_literals(node.value)]
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
            node.value, ast.Tuple | ast.List | ast.Set
        ):
            words = _kind_literals(node.value)
            if words and len(words) == len(node.value.elts):
                out += [(node.lineno, w) for w in words]
    return out


def test_the_scan_finds_what_it_should():
    bad = (
        'x = k == "live"\n'
        'y = k in ("live", "concurrent")\n'
        '_Q = ("deferred", "self_service")\n'
        'match k:\n    case "live":\n        pass\n'
    )
    assert [w for _, w in kind_comparisons(bad)] == [
        "live",
        "live",
        "concurrent",
        "live",
        "deferred",
        "self_service",
    ]
    fine = 'doc = {"kind": "live"}\nname = "live_calls"\nif k.queues:\n    pass\n'
    assert kind_comparisons(fine) == []


def test_no_module_outside_the_registry_compares_kind_strings():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "scenario" / "kinds.py":
            continue
        for line, word in kind_comparisons(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(SRC)}:{line}: {word!r}")
    assert found == [], "compare registry traits (scenario/kinds.py) instead:\n" + "\n".join(found)
