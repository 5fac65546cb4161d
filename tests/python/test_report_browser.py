"""The report (`make report`, empathy/report.py) and the dbt docs site opened in a real browser: Debian's headless
Chromium driven by Playwright (no browser download: executable_path). Each page must load without a script error,
every chart of the report must have rendered (an SVG with drawn paths and a visible size), and the docs site must
show its project tree. Screenshots are written to target/screenshots/ for a person to look at.

`make browser` installs Chromium (Debian's package); the tests fail, not skip, without it, so CI cannot pass by
leaving the browser out."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from empathy.report import CHARTS, build_report

from conftest import PROJECT_DIR

CHROMIUM = os.environ.get("EMPATHY_CHROMIUM", "/usr/bin/chromium")
# Flags that keep Chromium off the network it cannot reach here (Google's hosts, component updates) and run it as
# root without a display.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = PROJECT_DIR / "target" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).is_file(), f"no Chromium at {CHROMIUM}: run `make browser` (Debian's chromium package)"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, width: int = 1280):
    """A new page at ``url``; returns (page, script errors, console errors)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, console = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.goto(url, wait_until="load")
    return page, errors, console


def test_report_renders_every_chart_in_chromium(browser, demo_db: Path, tmp_path: Path) -> None:
    path = build_report(demo_db, tmp_path / "report")
    page, errors, console = _open(browser, path.as_uri())
    try:
        charts = page.locator("div.chart[data-chart]")
        assert charts.count() == len(CHARTS), "every chart of the report is drawn on the demo warehouse"
        for i in range(charts.count()):
            chart = charts.nth(i)
            name = chart.get_attribute("data-chart")
            box = chart.locator("svg").first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, (name, box)
            assert chart.locator("svg path").count() > 10, f"{name}: the SVG holds drawn paths"
        assert page.locator("p.missing").count() == 0
        assert page.locator("p.source code").count() >= len(CHARTS), "every chart names the model it reads"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
        page.screenshot(path=str(SCREENSHOTS / "report_first_screen.png"))
        assert errors == [] and console == [], (errors, console)
    finally:
        page.close()


def test_report_without_the_optional_marts_says_what_is_missing(browser, tmp_path: Path) -> None:
    """A warehouse with none of the marts still gives a page: every section says why it is not drawn."""
    import duckdb
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    path = build_report(empty, tmp_path / "report")
    page, errors, console = _open(browser, path.as_uri())
    try:
        assert page.locator("p.missing").count() == len(CHARTS)
        assert page.locator("div.chart").count() == 0
        assert errors == [] and console == []
    finally:
        page.close()


def test_dbt_docs_site_loads_in_chromium(browser, demo_db: Path, tmp_path: Path) -> None:
    """`dbt docs generate --static` on a copy of the demo warehouse gives one self-contained page; it loads in
    Chromium without a script error and shows the project's models."""
    db = tmp_path / "docs.duckdb"
    shutil.copy(demo_db, db)
    env = {**os.environ, "EMPATHY_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run([str(dbt), "docs", "generate", "--static"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    site = tmp_path / "target" / "static_index.html"
    assert site.is_file()
    page, errors, console = _open(browser, site.as_uri() + "#!/model/model.empathy_warehouse.mart_agent_scorecards")
    try:
        page.get_by_text("mart_agent_scorecards").filter(visible=True).first.wait_for(timeout=60_000)
        page.get_by_text("empathy_warehouse").filter(visible=True).first.wait_for(timeout=10_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dbt_docs.png"))
        assert errors == [], errors
    finally:
        page.close()
