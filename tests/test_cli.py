"""Tests of the ``channelopt`` command: exit codes, output, files, lazy imports.

Commands run in-process through typer's CliRunner (fast), except where the
point is the real process: the console script, and which modules
``validate`` imports.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import channelopt as co
from channelopt.cli import app
from channelopt.cli._sweep import parse_set

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BANK = ROOT / "scenarios" / "retail_bank.yaml"

FLAT48 = "[" + ", ".join(["1"] * 48) + "]"
TINY = f"""
name: Tiny
interval: 30min
channels:
  voice:
    kind: live
    volume: 4800
    profile: {FLAT48}
    aht: 180s
    target: {{service_level: 0.8, within: 20s}}
"""

BAD = """
name: Broken
interval: 30min
channels:
  voice:
    kind: live
    volume: -5
    aht: 6 parsecs
    resolution: 1.5
    target: {service_level: 0.8, within: 20s}
"""

# A small feasible portfolio: two initiatives, two periods (fast to optimise).
SMALL = """
name: Small centre
interval: 1h
open: "08:00-20:00"
channels:
  voice: {kind: live, volume: 2400, aht: 5min, patience: 3min, resolution: 0.9,
          target: {service_level: 0.8, within: 20s}}
  bot: {kind: self_service, volume: 1000, containment: 0.3}
journeys:
  handoffs: {bot: {voice: 0.5}}
pools:
  phone: {skills: [voice], agents: 30, max_agents: 300, cost_per_hour: 30, shrinkage: 0.3,
          hires_per_period: 500}
periods: {count: 2, length: quarter, days: 63, hours_per_fte: 480}
initiatives:
  better_bot: {cost: {upfront: 10000}, effects: [{channel: bot, containment: 1.5}]}
  callback: {cost: {upfront: 5000, per_period: 1000}, effects: [{channel: voice, patience: 2.0}]}
budget: {total: 100000}
"""

runner = CliRunner()


def invoke(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


# ----------------------------------------------------------------------------- basics


def test_version_and_help() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"channelopt {co.__version__}"
    result = invoke("--help")
    assert result.exit_code == 0
    for command in (
        "validate",
        "staff",
        "simulate",
        "optimize",
        "evaluate",
        "compare",
        "sweep",
        "report",
        "run",
    ):
        assert command in result.stdout


def test_console_script_runs_as_a_process(tiny: Path) -> None:
    exe = Path(sys.executable).with_name("channelopt")
    out = subprocess.run([str(exe), "validate", str(tiny)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "voice" in out.stdout


def test_unknown_option_is_bad_input() -> None:
    result = runner.invoke(app, ["validate", "--no-such-option", str(BANK)])
    assert result.exit_code == 2


# ----------------------------------------------------------------------------- validate


def test_validate_shows_hand_computed_numbers(tiny: Path) -> None:
    # 4,800 contacts a day, flat over 48 half-hours: 100 per interval;
    # 100 / 1800 s x 180 s = 10 Erlangs at the peak.
    result = invoke("validate", tiny)
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if "voice" in ln)
    cells = re.split(r"\s{2,}", line.strip())  # piped: plain columns, two spaces apart
    assert cells[:5] == ["voice", "live", "4,800", "100.0", "10.0"]
    assert "80% in 20s" in line


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_validate_every_bundled_scenario(path: Path) -> None:
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    raw = yaml.safe_load(path.read_text())
    for name, channel in raw["channels"].items():
        assert name in result.stdout
        assert channel["kind"] in result.stdout


def test_validate_bad_file_lists_every_problem_without_traceback(bad: Path, tiny: Path) -> None:
    result = runner.invoke(app, ["validate", str(tiny), str(bad)])
    assert result.exit_code == 2
    err = result.stderr
    for path in ("channels.voice.volume", "channels.voice.aht", "channels.voice.resolution"):
        assert path in err
    assert "Traceback" not in result.output + err
    assert "1 of 2 files invalid" in err
    assert "Tiny" in result.stdout  # the good file is still shown


def test_validate_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_validate_does_not_import_the_engines() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from channelopt.cli import main
        sys.argv = ["channelopt", "validate", {str(BANK)!r}]
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        heavy = [m for m in ("numba", "simpy", "pulp", "matplotlib", "highspy")
                 if m in sys.modules]
        print("heavy:", heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "heavy: []"


def test_quiet_prints_nothing(tiny: Path) -> None:
    result = invoke("--quiet", "validate", tiny)
    assert result.exit_code == 0
    assert result.stdout == ""


# ----------------------------------------------------------------------------- staff


def test_staff_prints_summary_and_writes_the_engines_table(tmp_path: Path) -> None:
    out = tmp_path / "staff.csv"
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text("starts: {voice_callback: 0}\n")
    result = invoke("staff", BANK, "--period", "1", "--plan", plan_file, "--csv", out)
    assert result.exit_code == 0, result.output
    assert "staffing, period 1" in result.stdout
    written = pd.read_csv(out)
    sc = co.load_scenario(BANK)
    expected = co.staff(sc, period=1, plan=co.Plan(starts={"voice_callback": 0})).intervals
    without = co.staff(sc, period=1).intervals
    assert len(written) == len(expected)
    assert written["agents"].sum() == pytest.approx(expected["agents"].sum())
    # the plan is in force: callbacks (patience x 1.8) change the voice requirement
    assert expected["agents"].sum() != without["agents"].sum()


def test_staff_bad_period_is_bad_input() -> None:
    result = runner.invoke(app, ["staff", str(BANK), "--period", "99"])
    assert result.exit_code == 2
    assert "--period must be between 0 and" in result.stderr


# ----------------------------------------------------------------------------- simulate


def test_simulate_writes_tables(tmp_path: Path) -> None:
    result = invoke(
        "simulate", BANK, "--replications", "2", "--seed", "7", "--csv", tmp_path / "sim"
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "sim").iterdir())
    assert names == ["intervals.csv", "journeys.csv", "summary.csv"]
    intervals = pd.read_csv(tmp_path / "sim" / "intervals.csv")
    assert sorted(intervals["replication"].unique()) == [0, 1]


def test_simulate_in_parallel_equals_serial(small: Path, tmp_path: Path) -> None:
    for mode in ("parallel", "serial"):
        extra = ["--serial"] if mode == "serial" else []
        result = invoke(
            "simulate", small, "-r", "3", "--seed", "11", "--csv", tmp_path / mode, *extra
        )
        assert result.exit_code == 0, result.output
    for name in ("intervals.csv", "journeys.csv"):
        parallel = pd.read_csv(tmp_path / "parallel" / name)
        serial = pd.read_csv(tmp_path / "serial" / name)
        pd.testing.assert_frame_equal(parallel, serial)


def test_ctrl_c_exits_130_without_partial_files(small: Path, tmp_path: Path, monkeypatch) -> None:
    import channelopt.staffing as staffing

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(staffing, "staff", interrupted)
    result = runner.invoke(app, ["run", str(small), "-o", str(tmp_path / "out")])
    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


# ----------------------------------------------------------------------------- plans


def _brute_force_best(scenario: co.Scenario) -> float:
    """Best exact objective over every start combination of the small portfolio."""
    import itertools

    names = list(scenario.initiatives)
    options = [None, *range(scenario.n_periods)]
    best = -float("inf")
    for combo in itertools.product(options, repeat=len(names)):
        starts = {n: s for n, s in zip(names, combo, strict=True) if s is not None}
        ev = co.evaluate(scenario, co.Plan(starts=starts))
        if ev.feasible:
            best = max(best, ev.objective)
    return best


def test_optimize_evaluate_compare_round_trip(small: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    result = invoke("optimize", small, "-o", plan_file)
    assert result.exit_code == 0, result.output
    assert "timeline" in result.stdout
    assert "estimate beside the exact evaluation" in result.stdout
    sc = co.load_scenario(small)
    plan = co.Plan.load(plan_file)
    ev = co.evaluate(sc, plan)
    assert ev.feasible
    # The written plan is as good as the best of all 9 start combinations (1 % gap on
    # the improvement over doing nothing is the optimiser's contract).
    nothing = co.evaluate(sc, co.Plan(starts={})).objective
    best = _brute_force_best(sc)
    assert ev.objective - nothing >= 0.99 * (best - nothing) - 1e-6
    result = invoke("evaluate", small, plan_file)
    assert result.exit_code == 0, result.output
    assert "feasible: no budget" in result.stdout
    result = invoke("compare", small, plan_file, "--csv", tmp_path / "cmp.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp.csv")
    assert len(table) == 2  # do nothing + the plan
    assert table["objective"].iloc[1] == pytest.approx(ev.objective)


def test_bad_solver_and_missing_plan_are_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["optimize", str(BANK), "--solver", "gurobi"])
    assert result.exit_code == 2
    assert "--solver" in result.stderr
    result = runner.invoke(app, ["evaluate", str(BANK), str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_plan_naming_an_unknown_initiative_is_bad_input(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text("starts: {teleporter: 0}\n")
    result = runner.invoke(app, ["evaluate", str(BANK), str(plan_file)])
    assert result.exit_code == 2
    assert "teleporter" in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- sweep


def test_parse_set() -> None:
    assert parse_set(["a.b=0.9,1.2", "c.d:=100,5min"]) == {
        "a.b": [0.9, 1.2],
        "c.d": [{"set": 100}, {"set": "5min"}],
    }


@pytest.mark.parametrize("option", ["channels.chat.volume", "x=1,,2", "x=fast", "=1"])
def test_bad_set_is_bad_input(option: str) -> None:
    result = runner.invoke(app, ["sweep", str(BANK), "--set", option, "--serial"])
    assert result.exit_code == 2
    assert "--set" in result.stderr


def test_sweep_scheduler_must_be_an_address() -> None:
    result = runner.invoke(
        app, ["sweep", str(BANK), "--set", "channels.chat.volume=1.1", "--scheduler", "localhost"]
    )
    assert result.exit_code == 2
    assert "tcp://host:8786" in result.stderr


def test_sweep_on_a_dask_scheduler_equals_serial(small: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip(
        "distributed",
        reason="dask[distributed] is an optional extra: pip install -e '.[dask]' to run this test",
    )
    grid = ["--set", "channels.voice.volume=0.9,1.1", "--set", "pools.phone.agents:=30,40"]
    result = invoke("sweep", small, *grid, "--serial", "--csv", tmp_path / "serial.csv")
    assert result.exit_code == 0, result.output
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = invoke(
            "sweep",
            small,
            *grid,
            "--scheduler",
            cluster.scheduler_address,
            "--csv",
            tmp_path / "dask.csv",
        )
    assert result.exit_code == 0, result.output
    serial = pd.read_csv(tmp_path / "serial.csv")
    on_dask = pd.read_csv(tmp_path / "dask.csv")
    assert len(serial) == 4 * 2  # 4 cases x 2 channels
    pd.testing.assert_frame_equal(serial, on_dask)


def test_sweep_grid_serial(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    result = invoke(
        "sweep", BANK, "--set", "channels.chat.volume=0.9,1.2", "--serial", "--csv", out
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert set(table["case"]) == {0, 1}
    assert (table["status"] == "ok").all()


# ----------------------------------------------------------------------------- report, run


def test_report_command(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    plan_file = tmp_path / "callback.yaml"
    plan_file.write_text("name: callback first\nstarts: {callback: 1}\n")
    result = invoke("report", small, "-o", out, "--optimize", "--plan", plan_file)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    # staffing, service level, journeys; per plan a timeline and a business case;
    # the comparison
    assert text.count("<svg") == 5 + 2 * 2 + 1
    assert "Plan: optimised" in text
    assert "Plan: callback first" in text  # named by the file's name: field


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_run_every_bundled_scenario(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", path, "-o", out, "--replications", "2", "--seed", "1", "--no-pareto")
    assert result.exit_code == 0, result.output
    files = {p.name for p in out.iterdir()}
    for name in (
        "report.html",
        "staffing_intervals.csv",
        "staffing_summary.csv",
        "simulation_summary.csv",
        "simulation_journeys.csv",
        "comparison.csv",
        "plan_do_nothing.yaml",
    ):
        assert name in files
    assert not [n for n in files if n.startswith(".")]  # no staging leftovers
    sc = co.load_scenario(path)
    report = (out / "report.html").read_text()
    # the analytic staffing against its simulation, one row per channel and measure
    agreement = pd.read_csv(out / "model_agreement.csv")
    assert {"name", "measure", "analytic", "simulated", "agree"} <= set(agreement.columns)
    assert "Model agreement: analytic against simulated" in report
    if sc.shifts is not None:  # the week of shifts, with the requirement it covers
        coverage = pd.read_csv(out / "schedule_coverage.csv")
        assert (coverage["scheduled"] >= coverage["required"] - 1e-9).all()
        assert {"schedule_summary.csv", "schedule_shifts.csv"} <= files
        assert 'aria-label="Requirement against scheduled agents, by pool and day"' in report
    else:
        assert "has no `shifts` key" in report
    comparison = pd.read_csv(out / "comparison.csv")
    nothing = co.evaluate(sc, co.Plan(starts={}))
    assert comparison.loc[0, "plan"] == "do nothing"
    assert comparison.loc[0, "objective"] == pytest.approx(nothing.objective, rel=1e-9)
    if "plan_optimised.yaml" in files:
        plan = co.Plan.load(out / "plan_optimised.yaml")
        assert co.evaluate(sc, plan).objective == pytest.approx(
            comparison.loc[1, "objective"], rel=1e-9
        )
    else:  # no feasible plan: the report says why, the run still succeeds
        assert "No optimised plan" in (out / "report.html").read_text()
        assert "No optimised plan" in result.stderr
    assert "wrote" in result.stdout and str(out) in result.stdout


def test_run_fast_skips_simulations_and_schedule(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", small, "-o", out, "--fast", "--no-pareto")
    assert result.exit_code == 0, result.output
    files = {p.name for p in out.iterdir()}
    assert not files & {"simulation_summary.csv", "risk.csv", "model_agreement.csv"}
    assert not [n for n in files if n.startswith("schedule_")]
    report = (out / "report.html").read_text()
    assert 'id="schedule"' not in report
    assert "No risk figure" in report


def test_run_with_pareto_and_parquet(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", small, "-o", out, "--replications", "2", "--parquet")
    assert result.exit_code == 0, result.output
    files = {p.name for p in out.iterdir()}
    assert {"pareto.parquet", "comparison.parquet", "plan_optimised.yaml", "report.html"} <= files
    assert not [n for n in files if n.endswith(".csv")]
    frontier = pd.read_parquet(out / "pareto.parquet")
    # non-dominated: more spending never comes with a lower objective
    ordered = frontier.sort_values("spend")
    assert (ordered["objective"].diff().dropna() > 0).all()
    assert "Pareto frontier" in (out / "report.html").read_text()


def test_run_failure_leaves_no_partial_files(small: Path, tmp_path: Path, monkeypatch) -> None:
    import channelopt.reporting as reporting

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reporting, "report", boom)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(
        app, ["run", str(small), "-o", str(out), "--replications", "1", "--no-pareto"]
    )
    assert result.exit_code == 1
    assert "disk on fire" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    debug = runner.invoke(
        app,
        [
            "--debug",
            "run",
            str(small),
            "-o",
            str(out),
            "--replications",
            "1",
            "--no-pareto",
            "--no-simulate",
        ],
    )
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr


def test_run_output_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = runner.invoke(app, ["run", str(BANK), "-o", str(target)])
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


# ----------------------------------------------------------------------------- hostile text

# Rich markup, a terminal hyperlink, a formula and a raw escape sequence in a name.
HOSTILE_NAME = "[/bold] [red]x [link=https://example.invalid]y[/link] =1+2 \x1b[31mESC"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    doc = yaml.safe_load(SMALL)
    doc["name"] = HOSTILE_NAME
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("command", ["validate", "staff"])
def test_user_text_is_printed_as_plain_text(hostile: Path, command: str) -> None:
    result = runner.invoke(app, [command, str(hostile)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output  # no escape sequence reaches the terminal
    assert "\\x1b[31mESC" in result.stdout  # shown, escaped
    # markup stays characters: the closing tag and the link are printed as written
    assert "[/bold] [red]x [link=https://example.invalid]y[/link] =1+2" in result.stdout


def test_user_text_on_a_terminal_is_not_markup(hostile: Path) -> None:
    """Rich's own rendering (a terminal) also shows markup characters as text."""
    import io

    from rich.console import Console

    from channelopt.cli._common import State, frame_table

    buffer = io.StringIO()
    state = State(out=Console(file=buffer, force_terminal=True, width=300, color_system=None))
    frame = pd.DataFrame({"plan": [HOSTILE_NAME], "objective": [1.0]})
    state.print(frame_table(frame, HOSTILE_NAME), HOSTILE_NAME)
    text = buffer.getvalue()
    assert "\x1b" not in text
    assert text.count("[link=https://example.invalid]y[/link]") == 3  # title, cell, line
    assert "\x1b]8;" not in text  # no OSC 8 hyperlink


def _text_cells(path: Path) -> list[str]:
    import csv

    with path.open(newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    out = []
    for c in cells:
        try:
            float(c)
        except ValueError:
            out.append(c)
    return out


def test_csv_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    """OWASP CSV injection: names and plan file names like ``=1+2.yaml`` are quoted."""
    doc = yaml.safe_load(SMALL)
    doc["name"] = "@SUM(A1:A9)"
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    named = tmp_path / "named.yaml"
    named.write_text('name: "=HYPERLINK(\\"http://x\\")"\nstarts: {callback: 0}\n')
    unnamed = tmp_path / "=1+2.yaml"  # no name: the file stem labels the plan
    unnamed.write_text("starts: {}\n")
    tab = tmp_path / "tab.yaml"
    tab.write_text('name: "\\t-2+3"\nstarts: {}\n')
    out = tmp_path / "compare.csv"
    result = invoke("compare", scenario, named, unnamed, tab, "--csv", out)
    assert result.exit_code == 0, result.output
    cells = _text_cells(out)
    assert '\'=HYPERLINK("http://x")' in cells
    assert "'=1+2" in cells
    assert "'\t-2+3" in cells
    assert "'@SUM(A1:A9)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # the same for a sweep table (scenario name column, error texts)
    out = tmp_path / "sweep.csv"
    result = invoke(
        "sweep", scenario, "--set", "channels.voice.volume=1.0", "--serial", "--csv", out
    )
    assert result.exit_code == 0, result.output
    cells = _text_cells(out)
    assert "'@SUM(A1:A9)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_protect_csv_values() -> None:
    from channelopt.cli._common import protect_csv

    assert protect_csv("=1+2") == "'=1+2"
    assert protect_csv("-x") == "'-x"
    assert protect_csv("\rA") == "'\rA"
    assert protect_csv("voice") == "voice"
    assert protect_csv(-3.5) == -3.5  # numbers stay numbers
    assert protect_csv("") == ""


# ----------------------------------------------------------------------------- piped tables


def test_piped_tables_are_plain_aligned_and_whole() -> None:
    """A table wider than any terminal is written whole: no box drawing, no cut word."""
    from channelopt.cli._common import frame_table, plain_table

    columns = {f"measure_number_{i}_occupancy": [0.5 + i / 100, 0.25] for i in range(30)}
    frame = pd.DataFrame({"channel": ["voice", "chat"], **columns})
    text = plain_table(frame_table(frame, "wide"))
    lines = text.splitlines()
    assert lines[0] == "wide"
    header, rule, *rows = lines[1:]
    for i in range(30):
        assert f"measure number {i} occupancy" in header
    assert set(rule) == {"-", " "}
    assert rows[0].split() == ["voice", *[f"{0.5 + i / 100:.1%}" for i in range(30)]]
    assert rows[1].split() == ["chat", *["25.0%"] * 30]
    # aligned: every value ends where its header ends (numbers right-aligned)
    assert len({len(line) for line in (header, rule, *rows)}) == 1


def test_staff_output_in_a_pipe_is_plain_text() -> None:
    result = invoke("staff", BANK)
    assert result.exit_code == 0, result.output
    assert not set("│┃━─┏┡") & set(result.stdout)
    header = next(line for line in result.stdout.splitlines() if line.startswith("channel"))
    for word in ("abandonment", "occupancy", "service level", "peak agents"):
        assert word in header


# ----------------------------------------------------------------------------- sweep paths


def test_sweep_misspelt_path_exits_2_with_did_you_mean() -> None:
    result = runner.invoke(app, ["sweep", str(BANK), "--set", "channels.chat.volumes=1.1"])
    assert result.exit_code == 2
    assert "did you mean 'channels.chat.volume'?" in result.stderr
    result = runner.invoke(app, ["sweep", str(BANK), "--set", "chanels.chat.volume=1.1"])
    assert result.exit_code == 2
    assert "did you mean 'channels.chat.volume'?" in result.stderr


def test_sweep_value_the_scenario_cannot_take_exits_2(small: Path) -> None:
    result = runner.invoke(app, ["sweep", str(small), "--set", "pools.phone.agents:=30,400"])
    assert result.exit_code == 2
    assert "max_agents" in result.stderr and "pools.phone.agents:=400" in result.stderr


def test_quiet_silences_the_solver_banner(small: Path) -> None:
    """HiGHS prints its banner from C to descriptor 1: only a real process shows it."""
    exe = Path(sys.executable).with_name("channelopt")
    out = subprocess.run([str(exe), "-q", "optimize", str(small)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
    code = (
        "import channelopt as co, sys; sc = co.load_scenario(sys.argv[1]); "
        "print(sorted(co.optimize(sc).starts))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(small)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "HiGHS" not in out.stdout + out.stderr
    assert out.stdout.startswith("[")
