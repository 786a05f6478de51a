"""The planner page in a real browser (dash_duo, headless Chromium): run, click, save, compare."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from geo.build.places import demo_bundle_path, open_place
from geo.siting.scenarios import ScenarioStore
from hubplan.web import create_app
from tests.support.grid import grid_rows


def _text(dash_duo, selector: str) -> str:
    return dash_duo.find_element(selector).text


def _wait_text(dash_duo, selector: str, needle: str, timeout: float = 60) -> str:
    end = time.time() + timeout
    while time.time() < end:
        try:
            text = _text(dash_duo, selector)
            if needle in text:
                return text
        except Exception:
            pass
        time.sleep(0.3)
    raise AssertionError(
        f"{selector!r} never showed {needle!r}; last: {_text(dash_duo, selector)!r}"
    )


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    return Path(shutil.copy(demo_bundle_path(), tmp_path / "demo-planner.gpkg"))


def test_planner_runs_clicks_saves_and_compares(dash_duo, demo_copy, artefacts, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    app = create_app(place=str(demo_copy))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/planner", timeout=60)
    method = _wait_text(dash_duo, "#planner-method", "exact (HiGHS")
    assert "optimality gap 0.00%" in method
    summary = _text(dash_duo, "#planner-summary")
    assert "7 hubs" in summary and "within 15 minutes" in summary
    rows = grid_rows(dash_duo, "#planner-hubs-table")
    assert len(rows) == 7  # one per hub
    assert "Synthetic demo data" in _text(dash_duo, ".synthetic-banner")
    equity = _text(dash_duo, "#planner-equity")
    assert "All" in equity
    teams = _text(dash_duo, "#planner-teams")
    assert "Staff (FTE)" in teams

    # a click on an area adds a candidate site there (the map's clickData, as MapLibre sends it)
    place = open_place(demo_copy)
    code = str(place.areas.index[10])
    before = dash_duo.driver.execute_script(
        "return document.querySelector('#planner-map .js-plotly-plot').data.find(t => t.uid === 'siting-candidates').customdata.length;"
    )
    dash_duo.driver.execute_script(
        "window.dash_clientside.set_props('planner-map', {clickData: {points: [{location: arguments[0]}]}});",
        code,
    )
    end = time.time() + 60
    after = before
    while time.time() < end and after == before:
        time.sleep(0.5)
        after = dash_duo.driver.execute_script(
            "return document.querySelector('#planner-map .js-plotly-plot').data.find(t => t.uid === 'siting-candidates').customdata.length;"
        )
    assert after == before + 1

    # save, then save again under the same name: the page asks before overwriting
    name = dash_duo.find_element("#planner-name")
    name.send_keys("Seven hubs")
    dash_duo.find_element("#planner-save").click()
    _wait_text(dash_duo, "#planner-save-status", "Saved scenario 'Seven hubs'")
    dash_duo.find_element("#planner-save").click()
    alert = WebDriverWait(dash_duo.driver, 20).until(ec.alert_is_present())
    assert "already exists" in alert.text
    alert.accept()
    _wait_text(dash_duo, "#planner-save-status", "Overwrote scenario 'Seven hubs'")
    dash_duo.clear_input(name)
    name.send_keys("Also seven")
    dash_duo.find_element("#planner-save").click()
    _wait_text(dash_duo, "#planner-save-status", "Saved scenario 'Also seven'")
    assert set(
        ScenarioStore(path=demo_copy.with_name("demo-planner.scenarios.sqlite")).names(place.name)
    ) == {"Seven hubs", "Also seven"}

    dash_duo.select_dcc_dropdown("#planner-a", value="Seven hubs")
    dash_duo.select_dcc_dropdown("#planner-b", value="Also seven")
    dash_duo.find_element("#planner-compare").click()
    body = _wait_text(dash_duo, "#planner-comparison", "Map of the differences")
    assert "A = Seven hubs; B = Also seven" in body and "covered share" in body
    dash_duo.wait_for_element("#planner-diff-map .js-plotly-plot", timeout=30)
    dash_duo.driver.find_element(By.ID, "planner-map").location_once_scrolled_into_view  # noqa: B018
    time.sleep(1.5)
    dash_duo.driver.save_screenshot(str(artefacts / "planner.png"))
    assert not [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]


def test_planner_settings_from_the_url():
    import importlib

    create_app()
    planner = importlib.import_module("hubplan.pages.planner")
    place = open_place("demo")
    settings, notices = planner.planner_settings(
        place,
        {
            "objective": "median",
            "hubs": "5",
            "minutes": "10",
            "target": "80",
            "mode": "cycle",
            "candidates": "grid",
            "existing": "",
            "staff": "12.5",
        },
    )
    assert settings == {
        "objective": "median",
        "hubs": 5,
        "minutes": 10,
        "target": 80,
        "mode": "cycle",
        "weight": place.default_weight,
        "candidates": "grid",
        "existing": [],
        "staff": 12.5,
    }
    assert notices.items == []
    bad, notices = planner.planner_settings(
        place,
        {
            "objective": "best",
            "hubs": "2.5",
            "minutes": "-3",
            "target": "500",
            "mode": "rocket",
            "existing": "family_hub,castle",
            "staff": "lots",
        },
    )
    default, _ = planner.planner_settings(place, {})
    assert bad == {**default, "existing": ["family_hub"]}
    text = " ".join(notices.items)
    for word in ("'best'", "'2.5'", "'-3'", "'500'", "'rocket'", "castle", "'lots'"):
        assert word in text


def test_planner_url_restores_and_follows_the_settings(dash_duo, demo_copy, monkeypatch):
    from urllib.parse import parse_qs, urlparse

    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    dash_duo.start_server(create_app(place=str(demo_copy)))
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/planner?objective=coverage&hubs=5&minutes=10"
        "&mode=walk&existing=",
        timeout=60,
    )
    summary = _wait_text(dash_duo, "#planner-summary", "5 hubs")
    assert "within 10 minutes" in summary

    def query():
        return {
            k: v[0]
            for k, v in parse_qs(
                urlparse(dash_duo.driver.current_url).query, keep_blank_values=True
            ).items()
        }

    end = time.time() + 15
    while query().get("hubs") != "5" and time.time() < end:
        time.sleep(0.2)
    assert query()["hubs"] == "5" and query()["minutes"] == "10" and query()["existing"] == ""
    box = dash_duo.find_element("#planner-minutes")
    box.clear()
    box.send_keys("12")
    end = time.time() + 15
    while query().get("minutes") != "12" and time.time() < end:
        time.sleep(0.2)
    assert query()["minutes"] == "12" and query()["objective"] == "coverage"
