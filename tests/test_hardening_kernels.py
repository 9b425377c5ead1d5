"""Hardening of the queueing kernels (issue 16): every staffing search ends, answers
beyond the cap raise ``ValueError`` naming the target, and huge integers are
rejected with the argument named instead of an ``OverflowError``.

The hang cases run in a child process with a timeout: a Numba loop that does
not end cannot be interrupted from Python, so an in-process test would hang the
suite instead of failing it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import channelopt as co
from channelopt.queueing._search import MAX_AGENTS
from channelopt.queueing._validate import MAX_AGENTS as MAX_AGENTS_MESSAGE

# Each case: the call (as text, evaluated in the child) and a word its error must name.
_HANG_CASES = {
    "scalar max_occupancy": (
        "co.required_agents(load=10.0, aht=180.0, max_occupancy=1e-15)",
        "max_occupancy",
    ),
    "array max_occupancy": (
        "co.required_agents(load=[10.0], aht=180.0, max_occupancy=1e-15)",
        "max_occupancy",
    ),
    "service level and max_occupancy": (
        "co.required_agents(load=10.0, aht=180.0, service_level=0.8, target=20.0, "
        "max_occupancy=1e-16)",
        "max_occupancy",
    ),
    "Erlang A max_occupancy": (
        "co.required_agents(load=10.0, aht=180.0, max_occupancy=1e-16, patience=60.0)",
        "max_occupancy",
    ),
    "array targets": (
        "co.queueing.required_agents_array(load=[10.0, 20.0], aht=180.0, "
        "max_occupancy=[0.5, 1e-300])",
        "max_occupancy",
    ),
    "load beyond the cap": (
        "co.required_agents(load=1e16, aht=180.0, service_level=0.8, target=20.0)",
        "load",
    ),
    "Erlang A load beyond the cap": (
        "co.required_agents(load=1e300, aht=180.0, max_abandonment=0.5, patience=60.0)",
        "load",
    ),
}

_CHILD = """
import json, sys
import channelopt as co
import channelopt.queueing
out = {}
for name, call in json.loads(sys.argv[1]).items():
    try:
        out[name] = ["ok", repr(eval(call))]
    except Exception as exc:
        out[name] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def test_searches_end_and_name_the_target() -> None:
    calls = {name: call for name, (call, _) in _HANG_CASES.items()}
    # Before the fix the first case never returned; now all of them take well
    # under a second after the JIT cache is warm (the timeout leaves room for a
    # cold compile on a loaded machine).
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    for name, (_, word) in _HANG_CASES.items():
        kind, message = results[name]
        assert kind == "ValueError", (name, kind, message)
        assert word in message, (name, message)
        assert "1e+15" in message, (name, message)


def test_cap_is_below_two_to_the_53() -> None:
    # Above 2^53 a float step n - 1 == n and a stepping search would never end.
    assert MAX_AGENTS < 2.0**53
    assert MAX_AGENTS == MAX_AGENTS_MESSAGE


def test_answer_at_the_cap_is_given() -> None:
    # a / max_occupancy == 1e15 exactly: the answer is the cap itself, not an error.
    assert co.required_agents(load=10.0, aht=180.0, max_occupancy=1e-14) == 10**15
    assert co.required_agents(load=10.0, aht=180.0, max_occupancy=1e-14, patience=100.0) == 10**15


@given(
    load=st.floats(min_value=1e-3, max_value=1e6),
    max_occupancy=st.floats(min_value=1e-20, max_value=1.0, exclude_min=False),
)
def test_occupancy_only_matches_exact_arithmetic(load: float, max_occupancy: float) -> None:
    """Erlang C with only max_occupancy: the smallest stable n with load / n <= max_occ.

    Checked with exact rational arithmetic (independent of the kernel's float steps).
    """
    a = Fraction(load)
    m = Fraction(max_occupancy)
    stable = math.floor(a) + 1
    need = max(stable, math.ceil(a / m))
    if need > MAX_AGENTS:
        with pytest.raises(ValueError, match="max_occupancy"):
            co.required_agents(load=load, aht=180.0, max_occupancy=max_occupancy)
        return
    n = co.required_agents(load=load, aht=180.0, max_occupancy=max_occupancy)
    # load / n in floats may round across the bound by one ulp; accept the exact
    # answer or the one a float comparison gives.
    float_need = need
    while float_need > stable and load / (float_need - 1) <= max_occupancy:
        float_need -= 1
    while load / float_need > max_occupancy:
        float_need += 1
    assert n == float_need
    assert abs(n - need) <= 1


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: co.erlang_c(10**400, 4.0), "agents"),
        (lambda: co.erlang_c([10**400], 4.0), "agents"),
        (lambda: co.erlang_b(5, 10**400), "load"),
        (lambda: co.service_level(5, 2.0, 10**400, 20.0), "aht"),
        (lambda: co.required_agents(10.0, 180.0, max_wait=10**400), "max_wait"),
        (lambda: co.required_agents(10**400, 180.0, max_wait=10.0), "load"),
    ],
)
def test_huge_integers_raise_value_error_naming_the_argument(call, name) -> None:
    with pytest.raises(ValueError, match=f"'{name}' argument") as info:
        call()
    # the 401-digit number is shortened in the message
    assert len(str(info.value)) < 300


def test_huge_float_agents_are_a_value() -> None:
    # 1e300 agents for 4 Erlangs: nobody waits; the measure is a number, not an error.
    assert co.erlang_c(1e300, 4.0) == 0.0
