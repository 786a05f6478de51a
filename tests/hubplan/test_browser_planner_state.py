"""The planner in a real browser: a stale result keeps Save disabled until Run; a URL with
added and removed sites reopens the plan with them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from geo.build.places import demo_bundle_path
from hubplan.web import create_app
from tests.support.grid import grid_rows


def _wait(fn, timeout: float = 90.0):
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


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    return Path(shutil.copy(demo_bundle_path(), tmp_path / "demo-stale.gpkg"))


def test_stale_then_save_stays_disabled_until_run(dash_duo, demo_copy, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    dash_duo.start_server(create_app(place=str(demo_copy)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/planner", timeout=60)
    _wait(lambda: "exact (HiGHS" in dash_duo.find_element("#planner-method").text)
    save = dash_duo.find_element("#planner-save")
    _wait(lambda: save.get_attribute("disabled") is None)
    box = dash_duo.find_element("#planner-hubs")
    box.clear()
    box.send_keys("4")
    stale = _wait(
        lambda: (
            dash_duo.find_element("#planner-stale").is_displayed()
            and dash_duo.find_element("#planner-stale").text
        )
    )
    assert "hubs 7 → 4" in stale and "Press Run" in stale
    assert save.get_attribute("disabled") is not None
    dash_duo.find_element("#planner-name").send_keys("Stale")
    save.click()  # disabled: nothing is saved
    time.sleep(1.0)
    assert "Saved" not in dash_duo.find_element("#planner-save-status").text
    dash_duo.find_element("#planner-run").click()
    _wait(lambda: "4 hubs" in dash_duo.find_element("#planner-summary").text)
    _wait(lambda: not dash_duo.find_element("#planner-stale").is_displayed())
    _wait(lambda: save.get_attribute("disabled") is None)
    save.click()
    _wait(lambda: "Saved scenario 'Stale'" in dash_duo.find_element("#planner-save-status").text)


def test_url_round_trip_with_added_and_removed_sites(dash_duo, demo_copy):
    dash_duo.start_server(create_app(place=str(demo_copy)))
    url = (
        f"{dash_duo.server_url}/planner?objective=coverage&hubs=6&minutes=15"
        "&candidates=all&added=-1.95,53.42&removed=990005"
    )
    dash_duo.wait_for_page(url=url, timeout=60)
    _wait(lambda: "6 hubs" in dash_duo.find_element("#planner-summary").text)

    def query():
        return {k: v[0] for k, v in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}

    _wait(lambda: query().get("added") == "-1.95,53.42" and query().get("removed") == "990005")
    ids = dash_duo.driver.execute_script(
        "return document.querySelector('#planner-map .js-plotly-plot').data"
        ".filter(t => t.uid && t.uid.startsWith('siting-')).map(t => [t.uid, t.customdata]);"
    )
    by_uid = dict((u, list(c or [])) for u, c in ids)
    assert "990005" in by_uid["siting-removed"]
    everything = [c for cs in by_uid.values() for c in cs]
    assert "new-1" in everything


def test_open_a_saved_scenario_in_the_planner(dash_duo, demo_copy, monkeypatch):
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
        existing=["family_hub"],
        added=[(-1.95, 53.42)],
        curve_to=0,
    )
    params = {**plan.params, "target": 0.6, "staff": 30}
    scenario = from_result(
        "Five for ten", plan.result, mode="walk", params=params, candidates=plan.candidates
    )
    ScenarioStore.for_bundle(demo_copy).save(place.name, scenario)
    dash_duo.start_server(create_app(place=str(demo_copy)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/planner", timeout=60)
    _wait(lambda: "7 hubs" in dash_duo.find_element("#planner-summary").text)
    dash_duo.select_dcc_dropdown("#planner-a", value="Five for ten")
    link = _wait(
        lambda: (
            dash_duo.find_element("#planner-open").get_attribute("href")
            and "hubs=5" in dash_duo.find_element("#planner-open").get_attribute("href")
            and dash_duo.find_element("#planner-open")
        )
    )
    dash_duo.driver.get(link.get_attribute("href"))
    summary = _wait(
        lambda: (
            "5 hubs" in dash_duo.find_element("#planner-summary").text
            and dash_duo.find_element("#planner-summary").text
        )
    )
    assert "within 10 minutes" in summary
    rows = _wait(lambda: grid_rows(dash_duo, "#planner-hubs-table"))
    names = {r[0] for r in rows}
    expected = set(plan.result.per_hub["name"])
    assert len(rows) == 5
    assert all(any(n.startswith(e[:20]) for n in names) for e in expected), (names, expected)
