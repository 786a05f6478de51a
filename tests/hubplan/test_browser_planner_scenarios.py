"""The planner in a real browser: the impact pack downloads (PDF and CSV) from "Impact
against today", and a saved scenario opens from ``?scenario=NAME`` with its settings and
result, its name staying in the URL until a setting changes; the Map page draws a saved
scenario from the URL and switches it from its Scenario dropdown."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from geo.build.places import demo_bundle_path
from hubplan.web import create_app
from tests.support.grid import grid_column


def _wait(fn, timeout: float = 120.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as exc:  # the element may be re-rendering
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"condition not met; last: {last!r}")


def _file(folder: Path, name: str) -> Path:
    def done():
        path = folder / name
        return path if path.exists() and path.stat().st_size > 0 else None

    return _wait(done, 120)


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    return Path(shutil.copy(demo_bundle_path(), tmp_path / "demo-scen.gpkg"))


def test_impact_pack_downloads_pdf_and_csv(dash_duo, demo_copy):
    dash_duo.start_server(create_app(place=str(demo_copy)))
    url = (
        f"{dash_duo.server_url}/planner?objective=coverage&hubs=7&minutes=15"
        "&candidates=school&existing=family_hub&removed=FH01"
    )
    dash_duo.wait_for_page(url=url, timeout=60)
    _wait(lambda: "exact (HiGHS" in dash_duo.find_element("#planner-method").text)
    button = dash_duo.find_element("#planner-impact")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    summary = _wait(
        lambda: (
            "lose access" in dash_duo.find_element("#planner-impact-summary").text
            and dash_duo.find_element("#planner-impact-summary").text
        )
    )
    assert summary.startswith("Closing 1 and opening")
    folder = Path(dash_duo.download_path)
    pdf = _file(folder, "impact-pack.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    table = pd.read_csv(_file(folder, "impact-areas.csv"))  # plain CSV, header on row 1
    assert table.columns[0] == "Small area code" and len(table) > 0
    meta = _file(folder, "impact-areas.csv-metadata.json").read_text()
    assert "synthetic demo data" in meta.lower()
    # the job is over: Impact can be pressed again, Cancel is off
    _wait(lambda: button.get_attribute("disabled") is None)
    assert dash_duo.find_element("#planner-impact-cancel").get_attribute("disabled") is not None
    assert dash_duo.get_logs() == [], dash_duo.get_logs()


def test_a_scenario_opens_from_its_name_in_the_url(dash_duo, demo_copy, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    from geo.build.places import open_place
    from geo.siting.plan import run_plan
    from geo.siting.scenarios import ScenarioStore, from_result

    place = open_place(demo_copy)
    plan = run_plan(
        place,
        objective="median",
        hubs=5,
        minutes=10.0,
        candidates="school",
        existing=[],
        added=[(-1.95, 53.42)],
        curve_to=0,
    )
    scenario = from_result(
        "Five for ten", plan.result, mode="walk", params=plan.params, candidates=plan.candidates
    )
    ScenarioStore.for_bundle(demo_copy).save(place.name, scenario)
    dash_duo.start_server(create_app(place=str(demo_copy)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/planner?scenario=Five+for+ten", timeout=60)
    summary = _wait(
        lambda: (
            "5 hubs" in dash_duo.find_element("#planner-summary").text
            and dash_duo.find_element("#planner-summary").text
        )
    )
    assert "within 10 minutes" in summary

    def query():
        return parse_qs(urlparse(dash_duo.driver.current_url).query, keep_blank_values=True)

    q = _wait(lambda: query().get("scenario") == ["Five for ten"] and query())
    assert q["hubs"] == ["5"] and q["existing"] == [""] and q["added"] == ["-1.95,53.42"]
    names = set(_wait(lambda: grid_column(dash_duo, "#planner-hubs-table", "hub")))
    assert len(names) == 5
    assert all(any(n.startswith(e[:20]) for n in names) for e in plan.result.per_hub["name"])
    assert not dash_duo.find_element("#planner-stale").is_displayed()
    # a setting changes: the plan on screen is no longer the scenario, nor is the URL
    box = dash_duo.find_element("#planner-hubs")
    box.clear()
    box.send_keys("4")
    _wait(lambda: "scenario" not in query() and query().get("hubs") == ["4"])
    assert dash_duo.get_logs() == [], dash_duo.get_logs()


def test_the_map_page_shows_and_switches_a_scenario(dash_duo, demo_copy, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    from geo.build.places import open_place
    from geo.siting.plan import run_plan
    from geo.siting.scenarios import ScenarioStore, from_result

    place = open_place(demo_copy)
    plan = run_plan(place, objective="coverage", hubs=4, minutes=15.0, curve_to=0)
    scenario = from_result(
        "Four", plan.result, mode="walk", params=plan.params, candidates=plan.candidates
    )
    store = ScenarioStore.for_bundle(demo_copy)
    store.save(place.name, scenario)
    three = run_plan(place, objective="coverage", hubs=3, minutes=15.0, curve_to=0)
    store.save(
        place.name,
        from_result(
            "Three", three.result, mode="walk", params=three.params, candidates=three.candidates
        ),
    )
    dash_duo.start_server(create_app(place=str(demo_copy)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?scenario=Four", timeout=60)

    def drawn(uid: str) -> int:
        return dash_duo.driver.execute_script(
            "var t = document.querySelector('#home-map .js-plotly-plot').data"
            f".filter(t => t.uid === '{uid}')[0]; return t ? (t.lon || []).length : -1;"
        )

    _wait(lambda: drawn("scenario-hubs") == 4)
    assert drawn("scenario-catchments") > 4
    assert "4 proposed hub(s)" in dash_duo.find_element("#home-scenario-note").text
    assert "scenario=Four" in dash_duo.driver.current_url
    dash_duo.select_dcc_dropdown("#home-scenario", value="Three")
    _wait(lambda: drawn("scenario-hubs") == 3)
    _wait(lambda: "scenario=Three" in dash_duo.driver.current_url)
    assert "3 proposed hub(s)" in dash_duo.find_element("#home-scenario-note").text
    assert dash_duo.get_logs() == [], dash_duo.get_logs()
