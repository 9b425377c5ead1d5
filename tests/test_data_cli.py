"""The data commands: inventory, calibrate, forecast; exit codes and files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import channelopt as co
from channelopt.cli import app
from test_data_calibrate import synthetic_records
from test_data_readers import LINES, write_bank

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def records_csv(tmp_path: Path) -> Path:
    f = synthetic_records(seed=1, days=15).frame
    out = f[["arrival", "queue_start", "queue_end", "outcome", "service_start", "service_end",
             "customer_id", "agent", "channel"]].copy()  # fmt: skip
    for c in ("arrival", "queue_start", "queue_end", "service_start", "service_end"):
        out[c] = out[c].dt.tz_localize(None)
    path = tmp_path / "calls.csv.gz"
    out.to_csv(path, index=False)
    return path


def test_inventory_command(tmp_path: Path) -> None:
    path = write_bank(tmp_path / "m.txt.gz", LINES)
    r = run("inventory", str(path), "--csv", str(tmp_path / "inv"))
    assert r.exit_code == 0, r.output
    assert "phantom" in r.output and "PS" in r.output
    channels = pd.read_csv(tmp_path / "inv" / "channels.csv")
    assert set(channels["channel"]) == {"PS", "NW"}


def test_bad_records_exit_2_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = LINES[0].replace(" 96 AGENT", " x6 AGENT")
    path = write_bank(tmp_path / "bad.txt", [LINES[1], bad], gz=False)
    r = run("inventory", str(path))
    assert r.exit_code == 2
    assert "bad.txt, line 3, field 'q_time'" in r.output
    r = run("calibrate", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.yaml"))
    assert r.exit_code == 2 and not (tmp_path / "x.yaml").exists()


def test_calibrate_command_writes_a_valid_scenario_and_report(tmp_path: Path) -> None:
    path = records_csv(tmp_path)
    out = tmp_path / "out" / "sc.yaml"
    r = run("calibrate", str(path), "-o", str(out), "--report", str(tmp_path / "rep"),
            "--tz", "Europe/London")  # fmt: skip
    assert r.exit_code == 0, r.output
    sc = co.load_scenario(out)
    assert sc.channels["voice"].aht == pd.read_csv(tmp_path / "rep" / "handle_time.csv")[
        "sample_mean_s"
    ].iloc[0].round(3)
    assert (tmp_path / "rep" / "calibration.md").exists()


def test_forecast_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2024-01-01", periods=60)
    times = [d + pd.Timedelta(hours=h) for d in days for h in range(8, 18)]
    counts = pd.DataFrame({"DateTime": [t.strftime("%Y-%m-%d %H:%M:%S") for t in times],
                           "Calls": rng.poisson(100, len(times)).astype(float)})  # fmt: skip
    path = tmp_path / "counts.csv"
    counts.to_csv(path, index=False)
    r = run("forecast", str(path), "--format", "us_bank", "--horizon", "2w",
            "--csv", str(tmp_path / "fc.csv"))  # fmt: skip
    assert r.exit_code == 0, r.output
    fc = pd.read_csv(tmp_path / "fc.csv")
    assert len(fc) == 10 and {"forecast", "lower", "upper", "baseline"} <= set(fc.columns)
    assert np.all(np.abs(fc["forecast"] - 1000) < 150)  # 10 hours x 100 calls


def test_calibrate_options_for_classes_repeats_and_self_service(tmp_path: Path) -> None:
    path = records_csv(tmp_path)
    out = tmp_path / "sc.yaml"
    r = run("calibrate", str(path), "-o", str(out), "--no-repeats", "--no-self-service")
    assert r.exit_code == 0, r.output
    sc = co.load_scenario(out)
    assert not sc.journeys.repeats.to and sc.channels["voice"].resolution == 1.0
    r = run("calibrate", str(path), "-o", str(out))  # repeats by default
    assert r.exit_code == 0, r.output
    assert co.load_scenario(out).channels["voice"].resolution < 1.0
    for bad in ("2=soon", "x=90s", "2=-5s"):
        r = run("calibrate", str(path), "-o", str(tmp_path / "no.yaml"), "--priority", bad)
        assert r.exit_code == 2 and "--priority" in r.output, (bad, r.output)
        assert not (tmp_path / "no.yaml").exists()
