"""The simulation size guard (issue 16): a run too large for memory or time is refused
before it starts, with the estimate, the limit and what to change.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import channelopt as co
from channelopt.simulation import SimulationTooLargeError
from channelopt.simulation._limits import MAX_CONTACTS, MEMORY_ENV, estimate_size

EXE = str(Path(sys.executable).with_name("channelopt"))

CENTRE = """
name: Centre
interval: 1h
channels:
  voice: {{kind: live, volume: {voice}, aht: 180s, patience: 120s,
          target: {{service_level: 0.8, within: 20s}}}}
  chat: {{kind: concurrent, volume: {chat}, aht: 600s, concurrency: 2,
         target: {{service_level: 0.8, within: 60s}}}}
journeys:
  handoffs: {{chat: {{voice: 0.2}}}}
  retrials: {{probability: 0.3, delay: 10min}}
pools:
  phone: {{skills: [voice], agents: {agents}}}
  web: {{skills: [chat], agents: {agents}}}
"""


def centre(voice: float, chat: float, agents: int) -> str:
    return CENTRE.format(voice=voice, chat=chat, agents=agents)


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_a_huge_centre_is_refused_at_once(tmp_path: Path) -> None:
    # 1e8 contacts a day per channel (the largest volume a scenario takes, see
    # docs/scenario-format.md); with hand-offs and retrials over 3e8 attempts a day
    path = tmp_path / "huge.yaml"
    path.write_text(centre(1e8, 1e8, 10_000_000))
    proc = subprocess.run(
        [EXE, "simulate", str(path), "-r", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,  # the run grew past 3 GB before the guard
    )
    assert proc.returncode == 2, proc.stderr
    assert "would need about" in proc.stderr and "contact attempts" in proc.stderr
    assert "CHANNELOPT_SIMULATION_MEMORY_GB" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_estimate_bounds_the_attempts_the_engine_makes() -> None:
    """The estimate (before) against the engine's own count of offered contacts (after):
    an upper bound, and not a wild one."""
    sc = co.load_scenario(centre(2400, 1200, 40))
    res = co.simulate(sc, replications=2, seed=3, days=1, warmup_days=0)
    offered_per_day = res.intervals["offered"].sum() / 2
    size = estimate_size(sc.resolve(0), days=1, replications=2, workers=1)
    assert offered_per_day <= size.contacts_per_day <= 3 * offered_per_day
    assert size.total_contacts == pytest.approx(2 * size.contacts_per_day)


def test_memory_limit_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = co.load_scenario(centre(2400, 1200, 40))
    monkeypatch.setenv(MEMORY_ENV, "0.0001")  # 100 kB: even this small run is too large
    with pytest.raises(SimulationTooLargeError, match="would need about"):
        co.simulate(sc, replications=2, seed=0, days=1)
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(SimulationTooLargeError, match="must be a number of GB"):
        co.simulate(sc, replications=2, seed=0, days=1)
    monkeypatch.delenv(MEMORY_ENV)
    assert co.simulate(sc, replications=1, seed=0, days=1, warmup_days=0).replications == 1


def test_contact_limit_counts_days_and_replications() -> None:
    # 10 million attempts a day (ignoring journeys) x 21 days > 200 million
    sc = co.load_scenario(centre(5e6, 2.5e6, 100_000))
    size = estimate_size(sc.resolve(0), days=21, replications=1, workers=1)
    assert size.total_contacts > MAX_CONTACTS
    with pytest.raises(SimulationTooLargeError, match="200,000,000 attempts"):
        co.simulate(sc, replications=1, seed=0, days=20, warmup_days=1)


def test_guard_is_the_same_on_processes() -> None:
    sc = co.load_scenario(centre(1e8, 1e8, 10_000_000))
    for executor in ("serial", "processes"):
        with pytest.raises(SimulationTooLargeError):
            co.simulate(sc, replications=4, seed=0, executor=executor)
    assert os.environ.get(MEMORY_ENV) is None
