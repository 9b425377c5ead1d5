"""``channelopt schedule`` and the coverage figure: files, exit codes, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import channelopt as co
from channelopt.cli import app
from channelopt.reporting.schedule_figures import coverage_figure

DOC = {
    "name": "cli schedule <test>",
    "interval": "1h",
    "open": "08:00-16:00",
    "channels": {
        "voice": {
            "kind": "live",
            "volume": 400,
            "aht": "5min",
            "target": {"service_level": 0.8, "within": "20s"},
        }
    },
    "pools": {"p": {"skills": ["voice"], "cost_per_hour": 20, "shrinkage": 0.2}},
    "week": {"days": ["mon", "tue", "wed", "thu", "fri"], "volume": {"mon": 1.3}},
    "shifts": {
        "day": {
            "length": "8h",
            "starts": "08:00-08:00",
            "breaks": [{"length": "1h", "window": ["3h", "5h"], "paid": False}],
        },
        "half": {"length": "4h", "starts": "08:00-12:00", "days_per_week": 3, "max_share": 0.5},
    },
}


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "sc.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_schedule_command_writes_tables_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["schedule", str(_write(tmp_path, DOC)), "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("shifts.csv", "coverage.csv", "patterns.csv", "summary.csv", "coverage.svg"):
        assert (out / name).stat().st_size > 0
    cov = pd.read_csv(out / "coverage.csv")
    assert (cov["scheduled"] >= cov["required"] - 1e-9).all()
    assert set(cov["day"]) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    # the same numbers as the library
    sched = co.schedule(co.load_scenario(DOC))
    summ = pd.read_csv(out / "summary.csv").set_index("pool")
    assert summ.loc["p", "paid_hours"] == pytest.approx(sched.summary().loc["p", "paid_hours"])
    svg = (out / "coverage.svg").read_text()
    assert "cli schedule &lt;test&gt;" in svg  # the scenario name is escaped in the SVG


def test_schedule_command_bad_input_exits_2(tmp_path: Path) -> None:
    bad = {**DOC, "shifts": {"day": {"length": "30h"}}}
    res = CliRunner().invoke(app, ["schedule", str(_write(tmp_path, bad))])
    assert res.exit_code == 2
    assert "shifts.day.length" in res.output and "at most 24h" in res.output
    # templates that cannot reach the open hours: exit 2, naming the interval
    late = {**DOC, "shifts": {"day": {"length": "2h", "starts": "08:00-09:00"}}}
    res = CliRunner().invoke(app, ["schedule", str(_write(tmp_path, late))])
    assert res.exit_code == 2
    assert "no shift template can cover it" in res.output
    res = CliRunner().invoke(app, ["schedule", str(_write(tmp_path, DOC)), "--period", "3"])
    assert res.exit_code == 2 and "--period" in res.output


def test_coverage_figure_draws_every_working_day() -> None:
    sched = co.schedule(co.load_scenario(DOC))
    fig = coverage_figure(sched)
    assert len(fig.axes) == 5
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["mon", "tue", "wed", "thu", "fri"]
    with pytest.raises(KeyError, match="not in the schedule"):
        coverage_figure(sched, pool="nope")


def test_schedule_command_says_unknown_when_pricing_stopped(tmp_path: Path, monkeypatch) -> None:
    # pricing stopped after one round (the round cap, as a time limit would): no LP bound,
    # so no gap. The title once read "gap 100.00%, LP bound 0" (the NaN-skipping sum)
    from channelopt.scheduling import _columns

    monkeypatch.setattr(_columns, "MAX_ROUNDS", 1)
    res = CliRunner().invoke(app, ["schedule", str(_write(tmp_path, DOC))])
    assert res.exit_code == 0, res.output
    assert "gap unknown, LP bound unknown" in res.output, res.output
    assert "nan" not in res.output.lower() and "100.00%" not in res.output
