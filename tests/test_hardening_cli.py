"""Bad option values of the command line (issue 16): exit 2 with a message, never
"unexpected error". Through the real command in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("channelopt"))
TINY = """
name: Tiny
interval: 1h
channels:
  voice: {kind: live, volume: 480, aht: 180s, target: {service_level: 0.8, within: 20s}}
pools:
  phone: {skills: [voice], agents: 10}
"""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["optimize", "{file}", "--time-limit", "0"], "seconds > 0"),
        (["optimize", "{file}", "--time-limit", "-5"], "seconds > 0"),
        (["run", "{file}", "--time-limit", "0"], "seconds > 0"),
        (["schedule", "{file}", "--time-limit", "0"], "seconds > 0"),
        (["staff", "{file}", "--method", "simulation", "--time-limit", "-1"], "seconds > 0"),
        (["simulate", "{file}", "--seed", "-1"], "--seed"),
        (["sweep", "{file}", "--set", "channels.voice.volume=1", "--seed", "-1"], "--seed"),
        (["run", "{file}", "--seed", "-1"], "--seed"),
    ],
    ids=[
        "optimize-0",
        "optimize-neg",
        "run-0",
        "schedule-0",
        "staff-neg",
        "simulate-seed",
        "sweep-seed",
        "run-seed",
    ],
)
def test_bad_option_values_exit_2(tmp_path: Path, args: list[str], fragment: str) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    argv = [a.format(file=path) for a in args]
    proc = subprocess.run([EXE, *argv], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in " ".join(proc.stderr.split())  # rich may wrap the usage box
    assert "unexpected" not in proc.stderr and "Traceback" not in proc.stderr
