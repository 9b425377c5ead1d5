"""The HTML report as a reader sees it: rendered by headless Chromium at 1280 px.

Chromium comes from the Debian package ``chromium`` (the Makefile and
``.ci/run`` install it when absent) and is driven through Playwright's Python
package with that executable (Playwright's own browser download is never
used). The checks: the page loads with no console error and no page error, no
request leaves the file, every figure is visible and inside the page width,
nothing overflows horizontally (no column hidden behind a scrollbar), and the
decision summary is in the first screen.

Screenshots go to ``build/report-screenshots/`` (``SCREENSHOTS`` below;
``CHANNELOPT_SCREENSHOTS`` overrides it): ``first-screen.png`` (1280 x 800)
and ``full-page.png``.

Without Chromium or Playwright the test is skipped on a developer's machine
and FAILS under CI (``CI`` set), where ``.ci/run`` installs Chromium.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

import channelopt as co

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("CHANNELOPT_SCREENSHOTS", ROOT / "build" / "report-screenshots"))
WIDTH, HEIGHT = 1280, 800
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = []
    if exe is None:
        missing.append("the chromium executable (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (pip install -e '.[dev]')")
    if missing:
        message = "report browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run must install it", pytrace=False)
        pytest.skip(message)
    assert exe is not None
    return exe


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled retail bank as `run` reports it: optimised plan, doing nothing, the risk
    simulation, the day's simulation with the model-agreement table, and the week's schedule
    (its widest figure: four pools x six days)."""
    import matplotlib

    matplotlib.use("Agg")
    from channelopt.whatif import compare

    sc = co.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    result = co.optimize(sc).optimization
    plans = {"do nothing": co.Plan(starts={}, name="do nothing"), "optimised": result.plan}
    risk = compare(sc, plans, simulate=True, replications=3, seed=0)
    staffing = co.staff(sc)
    simulation = co.simulate(sc, staffing, replications=2, seed=0)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    co.report(
        sc,
        plans,
        path,
        optimization=result,
        evaluations={"optimised": result.evaluation},
        comparison=risk,
        staffing=staffing,
        simulation=simulation,
        schedule=co.schedule(sc, period=0),
    )
    return path


def test_report_in_headless_chromium(report_file: Path) -> None:
    exe = _chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = report_file.resolve().as_uri()
    console: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile,  # a fresh --user-data-dir
            executable_path=exe,
            headless=True,
            args=FLAGS,
            viewport={"width": WIDTH, "height": HEIGHT},
        )
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: console.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            page.screenshot(path=str(SCREENSHOTS / "first-screen.png"))
            page.screenshot(path=str(SCREENSHOTS / "full-page.png"), full_page=True)
            facts: dict[str, Any] = page.evaluate(_MEASURE)
        finally:
            context.close()

    assert console == [], f"console errors: {console}"
    assert [r for r in requests if r != url] == [], "the report must not load anything"
    assert facts["figures"] >= 5
    assert facts["invisible"] == [], f"figures not visible: {facts['invisible']}"
    assert facts["scrollWidth"] <= facts["clientWidth"], "the page scrolls sideways"
    assert facts["overflowing"] == [], f"elements wider than the page: {facts['overflowing']}"
    assert facts["clipped"] == [], f"content hidden behind scrollbars: {facts['clipped']}"
    decision = facts["decision"]
    assert decision is not None, "no decision summary"
    assert decision["top"] >= 0 and decision["bottom"] <= HEIGHT, (
        f"the decision summary must be in the first screen (0-{HEIGHT} px); got {decision}"
    )
    assert "Fund " in decision["text"] and "net value" in decision["text"]
    assert facts["schedule"] and facts["agreement"], "the schedule and model agreement are shown"


# Runs in the page; returns plain data.
_MEASURE = """
() => {
  const W = document.documentElement.clientWidth;
  const main = document.querySelector('main').getBoundingClientRect();
  const describe = (el) => {
    const r = el.getBoundingClientRect();
    const cap = el.closest('figure, .table-wrap');
    const label = (cap && cap.querySelector('caption, figcaption'))
      ? cap.querySelector('caption, figcaption').textContent.slice(0, 60) : el.tagName;
    return `${label} [${Math.round(r.left)}-${Math.round(r.right)} px]`;
  };
  const figures = [...document.querySelectorAll('figure svg')];
  const invisible = figures.filter((svg) => {
    const r = svg.getBoundingClientRect();
    const s = getComputedStyle(svg);
    return r.width < 200 || r.height < 100 || s.visibility !== 'visible' || s.display === 'none'
      || r.left < 0 || r.right > W;
  }).map(describe);
  const overflowing = [...document.querySelectorAll('main *')]
    .filter((el) => el.getBoundingClientRect().right > main.right + 1)
    .map(describe);
  const clipped = [...document.querySelectorAll('main *')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1
      && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX))
    .map(describe);
  const d = document.getElementById('decision-summary');
  const dr = d ? d.getBoundingClientRect() : null;
  return {
    figures: figures.length, invisible, overflowing, clipped,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: W,
    decision: d ? {top: dr.top, bottom: dr.bottom, text: d.textContent} : null,
    schedule: !!document.querySelector(
      'svg[aria-label="Requirement against scheduled agents, by pool and day"]'),
    agreement: document.body.textContent.includes('Model agreement: analytic against simulated'),
  };
}
"""
