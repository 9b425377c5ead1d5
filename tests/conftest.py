"""Shared fixtures: the bundled scenarios, loaded once per test session.

``retail``, ``telecom`` and ``retailer`` are the frozen scenarios of
``scenarios/retail_bank.yaml``, ``scenarios/telecom.yaml`` and
``scenarios/online_retailer.yaml``; ``minimal_doc`` is a small valid scenario
document (a fresh dict per test) to mutate in tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

# CI (CI=true) replays a fixed set of hypothesis examples, so a submission does
# not fail on a case no one has seen; runs elsewhere keep exploring new ones
# (what they find is fixed and pinned as an explicit test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (the seed contract sweeps) run only when ``-m`` selects them."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(
        reason=(
            "slow (seed sweeps 1-99 and memory checks, about an hour on 2 cores): "
            "run with make test-seeds or make test-slow"
        )
    )
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BUNDLED = ("retail_bank", "telecom", "online_retailer")


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    """The folder of the bundled scenario files."""
    return SCENARIOS


@pytest.fixture(scope="session")
def retail():
    """The bundled retail bank scenario."""
    from channelopt.scenario import load_scenario

    return load_scenario(SCENARIOS / "retail_bank.yaml")


@pytest.fixture(scope="session")
def telecom():
    """The bundled telecom operator scenario."""
    from channelopt.scenario import load_scenario

    return load_scenario(SCENARIOS / "telecom.yaml")


@pytest.fixture(scope="session")
def retailer():
    """The bundled online retailer scenario."""
    from channelopt.scenario import load_scenario

    return load_scenario(SCENARIOS / "online_retailer.yaml")


def make_minimal_doc() -> dict[str, Any]:
    """A small valid scenario document: one live, one concurrent, one deferred, one bot."""
    return {
        "name": "minimal",
        "interval": "1h",
        "open": "08:00-20:00",
        "channels": {
            "voice": {
                "kind": "live",
                "volume": 1200,
                "aht": "5min",
                "patience": "2min",
                "target": {"service_level": 0.8, "within": "20s"},
                "resolution": 0.8,
            },
            "chat": {
                "kind": "concurrent",
                "volume": 600,
                "aht": "10min",
                "concurrency": 2,
                "target": {"service_level": 0.8, "within": "1min"},
                "resolution": 0.7,
            },
            "email": {
                "kind": "deferred",
                "volume": 300,
                "aht": "6min",
                "deadline": "24h",
                "target": {"within_deadline": 0.9},
            },
            "bot": {"kind": "self_service", "volume": 1000, "containment": 0.5},
        },
        "journeys": {
            "handoffs": {"bot": {"chat": 0.3, "voice": 0.2}, "chat": {"voice": 0.1}},
            "repeats": {"delay": "1d", "to": {"voice": {"voice": 0.5, "chat": 0.2}}},
            "retrials": {"probability": 0.5, "delay": "10min"},
        },
        "pools": {
            "phone": {"skills": ["voice", "chat"], "agents": 20, "max_agents": 40},
            "back": {"skills": ["email"], "agents": 5},
        },
        "periods": {"count": 3, "growth": {"chat": [1.0, 1.1, 1.2]}},
        "initiatives": {
            "crm": {
                "cost": {"upfront": 1000},
                "lead_time": 1,
                "ramp": 2,
                "effects": [{"channel": "voice", "aht": 0.9}],
            },
            "bot_upgrade": {
                "requires": ["crm"],
                "excludes": ["vendor_bot"],
                "effects": [{"channel": "bot", "containment": 1.2}],
            },
            "vendor_bot": {"effects": [{"shift": {"from": "chat", "to": "bot", "fraction": 0.1}}]},
        },
    }


@pytest.fixture()
def minimal_doc() -> dict[str, Any]:
    """A fresh small valid scenario document (see :func:`make_minimal_doc`)."""
    return make_minimal_doc()
