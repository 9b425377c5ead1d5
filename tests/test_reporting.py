"""Tests of channelopt.reporting: tables, figures and the self-contained HTML report.

Numbers are checked against hand-worked routing (journey flows), the published
Erlang C worked example (service-level curves) and DESIGN.md's ramp formula
(timeline); the HTML file is checked the way a browser without network sees it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import channelopt as co
from channelopt.reporting import figures
from channelopt.reporting import tables as tb
from channelopt.reporting._atomic import atomic_path, atomic_write_text, staged_directory
from channelopt.reporting._format import format_cell, is_fraction_column
from channelopt.reporting._report import FIGURE_TITLES
from channelopt.reporting.html import HtmlPage, figure_svg, frame_html
from channelopt.reporting.schedule_figures import coverage_figure

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

FLAT48 = "[" + ", ".join(["1"] * 48) + "]"

# One voice queue fed by a bot: daily totals can be worked by hand.
TINY = f"""
name: Tiny
interval: 30min
channels:
  voice:
    kind: live
    volume: 4800
    profile: {FLAT48}
    aht: 180s
    resolution: 0.8
    target: {{service_level: 0.8, within: 20s}}
  bot:
    kind: self_service
    volume: 1000
    containment: 0.4
journeys:
  handoffs: {{bot: {{voice: 0.5}}}}
  repeats: {{delay: 2h, to: {{voice: {{voice: 0.5}}}}}}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> co.Scenario:
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY)
    return co.load_scenario(path)


def _title(fig: Figure) -> str:
    return fig.get_suptitle()


# ----------------------------------------------------------------------------- tables


def test_journey_flows_match_hand_worked_routing(tiny: co.Scenario) -> None:
    # Bot: 1000 external, 40 % contained, half of the rest handed to voice.
    # Voice: offered O = 4800 + 300 + O x (1 - 0.8) x 0.5  =>  O = 5100 / 0.9.
    flows = tb.journey_flows(tiny.resolve(0))
    got = {(r.source, r.target, r.kind): r.contacts for r in flows.itertuples()}
    offered_voice = 5100 / 0.9
    assert got[("bot", "contained", "contained")] == pytest.approx(400)
    assert got[("bot", "voice", "handoff")] == pytest.approx(300)
    assert got[("bot", "unresolved", "unresolved")] == pytest.approx(300)
    assert got[("voice", "resolved", "resolved")] == pytest.approx(0.8 * offered_voice)
    assert got[("voice", "voice", "repeat")] == pytest.approx(0.1 * offered_voice)
    assert got[("voice", "unresolved", "unresolved")] == pytest.approx(0.1 * offered_voice)
    assert got[("external", "voice", "arrival")] == pytest.approx(4800)


def test_journey_flows_conserve_each_channels_contacts(tiny: co.Scenario) -> None:
    # Inflow (arrivals, hand-offs, repeats into a channel) equals outflow.
    flows = tb.journey_flows(tiny.resolve(0))
    moves = flows[flows["kind"].isin(["arrival", "handoff", "repeat", "retrial"])]
    for ch in ("voice", "bot"):
        inflow = moves.loc[moves["target"] == ch, "contacts"].sum()
        outflow = flows.loc[(flows["source"] == ch), "contacts"].sum()
        assert inflow == pytest.approx(outflow)


@st.composite
def _routing(draw: st.DrawFn) -> SimpleNamespace:
    """A random routing over 2-4 channels, one of them self-service, that terminates."""
    n = draw(st.integers(2, 4))
    prob = st.floats(0.0, 1.0, allow_nan=False)
    kinds = ["self_service"] + [
        draw(st.sampled_from(["live", "concurrent", "deferred"])) for _ in range(n - 1)
    ]

    def row(total: float) -> list[float]:
        raw = np.array([draw(prob) for _ in range(n)])
        return list(raw / raw.sum() * total) if raw.sum() > 0 else [0.0] * n

    handoff = np.array([row(draw(st.floats(0.0, 0.9))) for _ in range(n)])
    repeat_to = np.array([row(draw(st.floats(0.0, 0.9))) for _ in range(n)])
    arrivals = np.array([[draw(st.floats(0.0, 500.0)) for _ in range(n)] for _ in range(3)])
    return SimpleNamespace(
        channels=tuple(f"c{i}" for i in range(n)),
        n_channels=n,
        kinds=tuple(kinds),
        arrivals=arrivals,
        handoff=handoff,
        repeat_to=repeat_to,
        containment=np.array([draw(prob) if k == "self_service" else 0.0 for k in kinds]),
        resolution=np.array([draw(st.floats(0.1, 1.0)) for _ in kinds]),
        retrial_probability=draw(prob),
    )


@settings(max_examples=60, deadline=None)
@given(_routing())
def test_journey_flows_every_journey_ends_once(routing: SimpleNamespace) -> None:
    # Each external contact starts one journey, and each journey ends in exactly one
    # outcome (resolved, contained, unresolved, lost): outcomes add up to the arrivals.
    flows = tb.journey_flows(routing)  # type: ignore[arg-type]
    outcomes = flows[flows["kind"].isin(["resolved", "contained", "unresolved", "lost"])]
    total = routing.arrivals.sum()
    assert outcomes["contacts"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    moves = flows[flows["kind"].isin(["arrival", "handoff", "repeat", "retrial"])]
    for ch in routing.channels:
        inflow = moves.loc[moves["target"] == ch, "contacts"].sum()
        outflow = flows.loc[flows["source"] == ch, "contacts"].sum()
        assert inflow == pytest.approx(outflow, rel=1e-9, abs=1e-6)
    assert (flows["contacts"] > 0).all()


def test_service_level_curve_reproduces_published_erlang_c_example(tiny: co.Scenario) -> None:
    # 100 calls per 30 min, AHT 180 s, 80/20: 14 agents reach 88.84 % (published example).
    curves = tb.service_level_curves(tiny.resolve(0))
    voice = curves[curves["channel"] == "voice"].set_index("agents")
    assert voice["required"].iloc[0] == 14
    assert voice.loc[14, "service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert voice.loc[13, "service_level"] < 0.8
    assert (np.diff(voice["service_level"].to_numpy()) >= 0).all()
    assert voice["load"].iloc[0] == pytest.approx(10.0)


def test_timeline_cells_follow_the_ramp_formula(tiny: co.Scenario) -> None:
    # DESIGN.md: fraction in period t = min(1, (t - s - L + 1) / R) from t >= s + L.
    scenario = SimpleNamespace(
        n_periods=5, initiatives={"crm": SimpleNamespace(lead_time=1, ramp=2)}
    )
    cells = tb.plan_timeline_cells(scenario, {"crm": 1})  # type: ignore[arg-type]
    assert list(cells.iloc[0]) == ["crm", "", "start (lead)", "ramp 50%", "full", "full"]


def test_expected_vs_simulated_pairs_measures_and_flags_the_interval() -> None:
    staffing = pd.DataFrame(
        {
            "channel": ["voice", "bot"],
            "offered": [100.0, 50.0],
            "abandoned": [5.0, 0.0],
            "contained": [0.0, 20.0],
        }
    )
    simulated = pd.DataFrame(
        {
            "channel": ["voice", "voice", "bot", "bot", "voice"],
            "measure": ["offered", "abandoned", "contained", "abandoned", "service_level"],
            "mean": [98.0, 9.0, 21.0, 0.0, 0.8],
            "ci_low": [95.0, 8.0, 19.0, 0.0, 0.7],
            "ci_high": [101.0, 10.0, 23.0, 0.0, 0.9],
        }
    )
    table = tb.expected_vs_simulated(staffing, simulated)
    got = {(r.channel, r.measure): (r.expected, r.simulated, r.inside) for r in table.itertuples()}
    assert got == {
        ("voice", "offered"): (100.0, 98.0, True),
        ("voice", "abandoned"): (5.0, 9.0, False),
        ("bot", "contained"): (20.0, 21.0, True),
    }


def test_format_cell_uses_percent_only_for_fraction_columns() -> None:
    assert format_cell(0.8884, "service_level") == "88.8%"
    assert format_cell(0.05, "abandonment_high") == "5.0%"
    assert format_cell(3.0, "answered_within_target") == "3"
    assert format_cell(1234567.8, "cost") == "1,234,568"
    assert format_cell(float("nan"), "cost") == ""
    assert format_cell(("bot", "voice"), "channels") == "bot > voice"
    assert not is_fraction_column("resolved")
    assert is_fraction_column("miss_probability")


# ----------------------------------------------------------------------------- figures


def _synthetic() -> dict[str, Figure]:
    """Every figure from small hand-made tables (no engine involved)."""
    rows = [
        {"interval": i, "channel": ch, "offered": 10.0 + i, "agents": a * (1 + i % 3)}
        for i in range(8)
        for ch, a in (("voice", 3.0), ("chat", 1.0), ("bot", 0.0))
    ]
    staffing = pd.DataFrame(rows)
    curves = pd.DataFrame(
        {
            "channel": ["voice"] * 5,
            "agents": range(10, 15),
            "service_level": [0.2, 0.5, 0.7, 0.8, 0.9],
            "abandonment": [0.2, 0.1, 0.05, 0.02, 0.01],
            "target_service_level": 0.8,
            "required": 13,
        }
    )
    flows = pd.DataFrame(
        [
            ("external", "bot", "arrival", 100.0),
            ("bot", "voice", "handoff", 30.0),
            ("bot", "contained", "contained", 70.0),
            ("voice", "resolved", "resolved", 25.0),
            ("voice", "lost", "lost", 5.0),
        ],
        columns=["source", "target", "kind", "contacts"],
    )
    timeline = pd.DataFrame(
        {"initiative": ["crm", "bot"], "start": [0, 1], "lead_time": [1, 0], "ramp": [1, 3]}
    )
    spend = pd.DataFrame(
        {"period": [0, 1, 2, 3], "upfront_cost": [5e5, 2e5, 0, 0], "budget": [8e5, 6e5, 6e5, 6e5]}
    )
    cases = pd.DataFrame(
        {
            "initiative": ["crm", "bot"],
            "cost": [4e5, 2e5],
            "value": [3e5, 9e5],
            "payback_period": [np.nan, 2],
        }
    )
    frontier = pd.DataFrame(
        {
            "budget": [0, 1e6],
            "objective": [-5e6, -4e6],
            "spend": [0, 8e5],
            "initiatives": ["", "crm, bot"],
        }
    )
    comparison = pd.DataFrame(
        {
            "plan": ["do nothing", "A"],
            "objective": [-5e6, -4e6],
            "service_level": [0.7, 0.82],
            "service_level_low": [0.68, 0.8],
            "service_level_high": [0.72, 0.84],
        }
    )
    return {
        FIGURE_TITLES["staffing"]: figures.staffing_figure(staffing, interval_s=3600),
        FIGURE_TITLES["service_level"]: figures.service_level_figure(curves),
        FIGURE_TITLES["journeys"]: figures.journey_flows_figure(flows),
        FIGURE_TITLES["timeline"]: figures.plan_timeline_figure(timeline, spend, n_periods=4),
        FIGURE_TITLES["business_case"]: figures.business_case_figure(cases),
        FIGURE_TITLES["pareto"]: figures.pareto_figure(frontier),
        FIGURE_TITLES["comparison"]: figures.comparison_figure(comparison),
        FIGURE_TITLES["intervals"]: figures.interval_kpi_figure(
            staffing.assign(service_level=0.8, occupancy=0.7), interval_s=3600
        ),
        FIGURE_TITLES["roster"]: figures.roster_figure(
            staffing.rename(columns={"channel": "pool"}), {"voice": 5.0}, interval_s=3600
        ),
        FIGURE_TITLES["schedule"]: coverage_figure(
            SimpleNamespace(  # the attributes of a Schedule the figure reads
                coverage=pd.DataFrame(
                    {
                        "pool": "team",
                        "day": np.repeat([0, 1], 24),
                        "interval": np.tile(np.arange(24), 2),
                        "required": np.tile(np.r_[np.zeros(8), np.full(8, 4.0), np.zeros(8)], 2),
                        "scheduled": np.tile(np.r_[np.zeros(8), np.full(8, 5.0), np.zeros(8)], 2),
                    }
                ),
                pools=("team",),
                work_days=(0, 1),
                days=("mon", "tue"),
                interval=3600.0,
                scenario_name="synthetic",
                efficiency=0.8,
                agents_needed={"team": 5},
                gap=0.0,
            ),
            title=FIGURE_TITLES["schedule"],
        ),
    }


def test_every_figure_is_a_figure_with_its_title() -> None:
    made = _synthetic()
    assert set(made) == set(FIGURE_TITLES.values())
    for title, fig in made.items():
        assert isinstance(fig, Figure)
        assert _title(fig) == title
        assert fig.axes, title


def test_figures_do_not_touch_pyplot() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_reporting import _synthetic
        figs = _synthetic()
        for f in figs.values():
            f.savefig(__import__("io").BytesIO(), format="png")
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        print("ok", len(figs))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ok {len(FIGURE_TITLES)}"


def test_figure_functions_name_missing_columns() -> None:
    with pytest.raises(ValueError, match=r"missing \['agents'\]"):
        figures.staffing_figure(pd.DataFrame({"interval": [0], "channel": ["v"], "offered": [1]}))


def test_empty_plan_timeline_still_draws() -> None:
    empty = pd.DataFrame(columns=["initiative", "start", "lead_time", "ramp"])
    fig = figures.plan_timeline_figure(empty, n_periods=3)
    assert "no initiative started" in " ".join(t.get_text() for t in fig.axes[0].texts)


# ----------------------------------------------------------------------------- HTML


def test_inline_svg_ids_are_unique_and_urls_are_gone() -> None:
    made = list(_synthetic().values())
    svgs = [figure_svg(f, prefix=f"f{i}-") for i, f in enumerate(made)]
    doc = "".join(svgs)
    ids = re.findall(r'\bid="([^"]+)"', doc)
    assert len(ids) == len(set(ids))
    # every internal reference points at an id that exists
    refs = re.findall(r'href="#([^"]+)"', doc) + re.findall(r"url\(#([^)]+)\)", doc)
    assert set(refs) <= set(ids)
    assert "<!DOCTYPE" not in doc and "<?xml" not in doc
    assert not re.search(r"(src|href)=\"https?://", doc)


def test_frame_html_escapes_text() -> None:
    html = frame_html(pd.DataFrame({"plan": ["<script>alert(1)</script>"], "cost": [1.0]}))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def _assert_self_contained(text: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text, re.I)
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()
    assert "@import" not in text
    assert "<img" not in text.lower()


def test_report_without_plans(tiny: co.Scenario, tmp_path: Path) -> None:
    path = co.report(tiny, path=tmp_path / "r.html")
    text = path.read_text()
    _assert_self_contained(text)
    assert text.count("<svg") == 5  # staffing, by interval, roster, service level, journeys
    for key in ("staffing", "service_level", "journeys"):
        assert f'aria-label="{FIGURE_TITLES[key]}"' in text
    assert "Tiny" in text


@pytest.mark.parametrize("scenario_path", SCENARIOS, ids=lambda p: p.stem)
def test_report_with_plans_has_every_figure(scenario_path: Path, tmp_path: Path) -> None:
    sc = co.load_scenario(scenario_path)
    first = sorted((n for n, ini in sc.initiatives.items() if not ini.requires), key=str)[:1]
    plans = {"do nothing": co.Plan(starts={}), "one initiative": co.Plan(starts={first[0]: 0})}
    # A frontier in pareto()'s format from exact evaluations (the optimiser has its own tests).
    evaluations = {name: co.evaluate(sc, plan) for name, plan in plans.items()}
    frontier = pd.DataFrame(
        {
            "budget": [0.0, 1e6],
            "spending": [ev.money["initiative_spending"].sum() for ev in evaluations.values()],
            "objective": [ev.objective for ev in evaluations.values()],
            "initiatives": [list(p.starts) for p in plans.values()],
        }
    )
    calls: list[tuple[int, int]] = []
    path = co.report(
        sc,
        plans,
        tmp_path / "report.html",
        evaluations=evaluations,
        frontier=frontier,
        progress=lambda d, t: calls.append((d, t)),
    )
    text = path.read_text()
    _assert_self_contained(text)
    # staffing, service level, journeys; per plan a timeline; the plan with an
    # initiative a business case; the comparison and the Pareto frontier.
    assert text.count("<svg") == 5 + 2 + 1 + 1 + 1
    for key in ("staffing", "service_level", "journeys", "comparison", "pareto"):
        assert f'aria-label="{FIGURE_TITLES[key]}' in text
    for name in plans:
        assert f'aria-label="{FIGURE_TITLES["timeline"]}: {name}"' in text
    assert f'aria-label="{FIGURE_TITLES["business_case"]}: one initiative"' in text
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_report_takes_a_simulated_comparison(tiny: co.Scenario, tmp_path: Path) -> None:
    plans = {"do nothing": co.Plan(starts={}), "same again": co.Plan(starts={})}
    comparison = co.compare(tiny, plans, simulate=True, replications=2, seed=5)
    text = co.report(tiny, plans, tmp_path / "c.html", comparison=comparison).read_text()
    _assert_self_contained(text)
    assert f'aria-label="{FIGURE_TITLES["comparison"]}"' in text
    assert "simulated service level" in text  # the table carries the simulated columns


def _shift_scenario(name: str = "Shifts") -> co.Scenario:
    """One queue open 08:00-16:00 on a three-day week; one 8-hour shift from 08:00."""
    return co.load_scenario(
        {
            "name": name,
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
            "pools": {"team": {"skills": ["voice"], "cost_per_hour": 20.0, "shrinkage": 0.2}},
            "week": {"days": ["mon", "tue", "wed"], "volume": {"wed": 0.5}},
            "shifts": {"day": {"length": "8h", "starts": "08:00-08:00", "days_per_week": 3}},
        }
    )


def test_report_shows_the_schedule_by_pool_and_day(tiny: co.Scenario, tmp_path: Path) -> None:
    sc = _shift_scenario("Shifts <b>&amp;</b>")
    sched = co.schedule(sc)
    by_day = tb.schedule_by_day(sched)
    assert list(by_day.columns) == ["mon", "tue", "wed"]
    assert list(by_day.index) == ["team"]
    # Independent of the coverage table: every shift is 8 h on the floor from 08:00 with
    # no break, so a day's scheduled agent-hours on contacts are its shifts x 8 h x (1 -
    # shrinkage); the required ones are the day's pooled requirement (day factor applied).
    for d, name in enumerate(sched.days[:3]):
        shifts = int(sched.shifts.loc[sched.shifts["day"] == d, "agents"].sum())
        req = co.staff(sc.with_changes({"channels.voice.volume": 0.5 if name == "wed" else 1.0}))
        required = float(req.pools["agents"].sum())  # 1-hour intervals: agents = agent-hours
        got, need = by_day.loc["team", name].split(" (")[0].split(" / ")
        assert float(got.replace(",", "")) == pytest.approx(shifts * 8 * 0.8, abs=0.5)
        assert float(need.replace(",", "")) == pytest.approx(required, abs=0.5)
        assert float(got.replace(",", "")) >= float(need.replace(",", ""))
    text = co.report(sc, path=tmp_path / "s.html", schedule=sched).read_text()
    _assert_self_contained(text)
    assert f'aria-label="{FIGURE_TITLES["schedule"]}"' in text
    assert 'id="schedule"' in text and "paid hours per week" in text
    assert "<b>&amp;</b>" not in text and "&lt;b&gt;" in text  # the user's name, escaped
    # Without shift templates the report says why there is no schedule, and invents none.
    text = co.report(tiny, path=tmp_path / "n.html", schedule=True).read_text()
    assert "has no `shifts` key" in text


def test_report_shows_model_agreement_with_a_flag_and_a_sentence(
    tiny: co.Scenario, tmp_path: Path
) -> None:
    from channelopt.staffing import model_agreement

    st = co.staff(tiny)
    sim = co.simulate(tiny, st, replications=3, seed=2)
    path = co.report(tiny, path=tmp_path / "a.html", staffing=st, simulation=sim)
    text = path.read_text()
    assert "Model agreement: analytic against simulated" in text
    table = model_agreement(tiny, st, simulation=sim)
    assert len(table) and set(table["name"]) == {"voice"}
    shown = tb.agreement_table(table)
    assert list(shown["agree"]) == ["yes" if a else "NO" for a in table["agree"]]
    # a disagreement is flagged with its sentence; user text is escaped
    wrong = table.assign(
        name="<script>x</script>", agree=False, sentence="The <b>model</b> is optimistic."
    )
    text = co.report(
        tiny, path=tmp_path / "w.html", staffing=st, simulation=sim, agreement=wrong
    ).read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "The &lt;b&gt;model&lt;/b&gt; is optimistic." in text
    assert f"0 of {len(wrong)} analytic figures" in text
    assert shown.loc[0, "analytic"].endswith("%")


def test_report_write_is_atomic(tiny: co.Scenario, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous report")

    def boom(*args: object, **kwargs: object) -> Figure:
        raise RuntimeError("figure failed")

    monkeypatch.setattr(figures, "journey_flows_figure", boom)
    with pytest.raises(RuntimeError, match="figure failed"):
        co.report(tiny, path=target)
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_html_page_renders_a_complete_document() -> None:
    page = HtmlPage("T & co", "sub")
    page.section("One", "one")
    page.cards([("a", "1")])
    page.problems(["budget: too much"])
    text = page.render()
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>T &amp; co</title>" in text
    assert '<a href="#one">One</a>' in text
    assert text.rstrip().endswith("</html>")


# ----------------------------------------------------------------------------- atomic writes


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_path_leaves_destination_untouched_on_failure(tmp_path: Path, exc: type) -> None:
    dest = tmp_path / "table.csv"
    dest.write_text("old")
    with pytest.raises(exc), atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise exc()
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_atomic_write_replaces_and_staged_directory_publishes_all_or_nothing(
    tmp_path: Path,
) -> None:
    atomic_write_text(tmp_path / "a.txt", "new")
    assert (tmp_path / "a.txt").read_text() == "new"
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), staged_directory(out) as stage:
        (stage / "one.csv").write_text("1")
        raise RuntimeError
    assert list(out.iterdir()) == []
    with staged_directory(out) as stage:
        (stage / "one.csv").write_text("1")
        (stage / "two.csv").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == ["one.csv", "two.csv"]
