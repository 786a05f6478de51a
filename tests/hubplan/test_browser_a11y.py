"""Accessibility audit in the real browser (issue 14): axe-core 4.12 (the copy bundled with
``axe-playwright-python``; only its axe.min.js is used) runs on every page of the demo; no violation of any impact (minor,
moderate, serious or critical).

Each page's violations (every impact) are written to ``artefacts/a11y_<page>.json``, and what
axe leaves for a person to review ("incomplete") to ``artefacts/a11y_<page>_review.json``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from geo.build.places import open_place
from hubplan.web import create_app

# The package's folder, found without importing it (its module imports Playwright, unused here).
_AXE_SPEC = importlib.util.find_spec("axe_playwright_python")
if _AXE_SPEC is None or not _AXE_SPEC.submodule_search_locations:
    pytest.skip("axe-playwright-python (test extra) is not installed", allow_module_level=True)
AXE_JS = Path(next(iter(_AXE_SPEC.submodule_search_locations))) / "axe.min.js"

# Nothing is left out: every table is a dash-ag-grid grid, audited like the rest of the page.
EXCLUDE: list[list[str]] = []

RUN_AXE = """
const done = arguments[arguments.length - 1];
const exclude = arguments[0];
const brief = list => list.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.html + ' :: ' +
                                 n.failureSummary)}));
// every rule of the bundled axe-core (WCAG 2 A/AA, 2.1 AA and best practice)
axe.run({include: [['body']], exclude: exclude})
  .then(r => done({violations: brief(r.violations), incomplete: brief(r.incomplete)}))
  .catch(e => done({error: String(e)}));
"""


def audit(dash_duo, artefacts: Path, name: str) -> list[dict]:
    """Run axe-core on the page; return its violations (every impact)."""
    driver = dash_duo.driver
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(AXE_JS.read_text(encoding="utf-8"))
    driver.set_script_timeout(120)
    result = driver.execute_async_script(RUN_AXE, EXCLUDE)
    assert "error" not in result, result
    found = result["violations"]
    (artefacts / f"a11y_{name}.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    # what axe could not decide alone (e.g. contrast over a map): for a person to review
    (artefacts / f"a11y_{name}_review.json").write_text(
        json.dumps(result["incomplete"], indent=1), encoding="utf-8"
    )
    return found


def test_every_page_passes_the_axe_audit(dash_duo, artefacts):
    place = open_place("demo")
    footprint = place.footprint_names[0]
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app())
    pages = [
        ("map", f"/?place=demo&footprint={quote(footprint)}", "#home-map canvas.maplibregl-canvas"),
        ("profiles", "/profile?place=demo", "h1"),
        ("profile", f"/profile/{quote(footprint)}?place=demo", ".js-plotly-plot"),
        ("compare", "/compare?place=demo", ".js-plotly-plot"),
        ("access", "/access?place=demo", "#access-map canvas.maplibregl-canvas"),
        ("planner", "/planner?place=demo", "#planner-map canvas.maplibregl-canvas"),
        ("clusters", "/clusters?place=demo&k=6", "#cl-map-designed canvas.maplibregl-canvas"),
        ("indicators", "/indicators?place=demo", "h1"),
    ]
    problems = {}
    for name, path, ready in pages:
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}", timeout=60)
        dash_duo.wait_for_element(ready, timeout=60)
        dash_duo.driver.execute_script(
            "return new Promise(r => setTimeout(r, 800))"
        )  # let callbacks settle
        # the tab's title names the page and the place (and the footprint where there is one)
        title = dash_duo.driver.title
        assert place.name in title and title.endswith("Locality & Hub Planner"), (name, title)
        if name in ("map", "profile"):
            assert footprint in title, title
        # every chart and map has a text alternative: a <figure> caption, or (the map page's
        # map) a named region with a description
        bare = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('.js-plotly-plot')].filter(p => {"
            " const cap = p.closest('figure') && p.closest('figure').querySelector('figcaption');"
            " const desc = p.closest('[aria-describedby]');"
            " return !(cap && cap.textContent.trim()) && !desc;"
            "}).map(p => (p.closest('[id]') || {}).id)"
        )
        assert not bare, (name, bare)
        bad = audit(dash_duo, artefacts, name)
        if bad:
            problems[name] = bad
    assert not problems, json.dumps(problems, indent=1)


ACTIVE = """
const a = document.activeElement;
return a ? {id: a.id, tag: a.tagName, cls: String(a.className),
            hidden: !!a.closest('[aria-hidden="true"]'),
            expanded: a.getAttribute('aria-expanded'),
            option: a.closest(".dash-dropdown-option") ? a.value : null} : null;
"""


def test_dropdowns_work_from_the_keyboard(dash_duo, artefacts):
    """Tab reaches each dropdown's own button, never an element hidden from screen readers
    (assets/a11y.js moves Dash's aria-hidden focus target out of the tab order); Enter and
    ArrowDown open the list, Escape closes it, Tab and Shift+Tab move on and back. The page
    with a dropdown open passes the axe audit too."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = dash_duo.driver
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?place=demo", timeout=60)
    dash_duo.wait_for_element("#home-indicator", timeout=60)
    dash_duo.wait_for_element("#home-layers input", timeout=60)

    def active() -> dict:
        return driver.execute_script(ACTIVE)

    def press(*keys: str) -> None:
        ActionChains(driver).send_keys(*keys).perform()

    def wait_for(condition, what: str) -> dict:
        end = time.time() + 15
        while time.time() < end:
            now = active()
            if condition(now):
                return now
            time.sleep(0.1)
        raise AssertionError(f"{what}; focus is on {active()}")

    driver.execute_script("document.activeElement && document.activeElement.blur()")
    visited = []
    for _ in range(80):
        press(Keys.TAB)
        now = active()
        visited.append(now)
        assert not now["hidden"], f"Tab landed on an aria-hidden element: {now}"
        assert "dash-dropdown-focus-target" not in now["cls"], now
        if now["id"] == "home-indicator":
            break
    else:
        raise AssertionError(f"Tab never reached the indicator dropdown: {visited}")
    # the place switcher (a dropdown too) comes first, and was reached as its own button
    assert any(v["tag"] == "BUTTON" and "dash-dropdown" in v["cls"] for v in visited[:-1])
    assert active()["expanded"] == "false"

    press(Keys.ENTER)
    wait_for(lambda a: a["option"] is not None, "Enter did not open the list")
    time.sleep(0.5)  # let a11y.js name the popup
    open_problems = audit(dash_duo, artefacts, "map_dropdown_open")
    assert not open_problems, json.dumps(open_problems, indent=1)
    press(Keys.ESCAPE)
    wait_for(lambda a: a["id"] == "home-indicator" and a["expanded"] == "false", "Escape")
    press(Keys.ARROW_DOWN)
    wait_for(lambda a: a["option"] is not None, "ArrowDown did not open the list")
    first = active()["option"]
    press(Keys.ARROW_DOWN)
    wait_for(lambda a: a["option"] not in (None, first), "ArrowDown did not move in the list")
    press(Keys.ESCAPE)
    wait_for(lambda a: a["id"] == "home-indicator" and a["expanded"] == "false", "Escape")

    press(Keys.TAB)
    after = wait_for(lambda a: a["id"] != "home-indicator", "Tab did not leave the dropdown")
    assert not after["hidden"] and "dash-dropdown-focus-target" not in after["cls"], after
    # Dash puts the focus target back in the tab order on blur; a11y.js takes it out again
    assert driver.execute_script(
        "return [...document.querySelectorAll('input.dash-dropdown-focus-target')]"
        ".every(i => i.tabIndex === -1)"
    )
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    wait_for(lambda a: a["id"] == "home-indicator", "Shift+Tab did not come back")
