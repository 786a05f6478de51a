"""Download what you see, in a real browser (dash_duo, headless Chromium): the Compare grid is
reached with the keyboard, sorted from its heading, and its CSV follows that order; Access
gives its coverage table (CSV) and isochrones (GeoJSON); the Planner its results (CSV) and
chosen hubs (GeoJSON)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from geo.build.places import demo_bundle_path, open_place
from hubplan.web import create_app
from tests.support.grid import grid_column, grid_rows, header_texts

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _wait(fn, timeout: float = 90.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception:  # the page is still drawing
            pass
        time.sleep(0.4)
    raise AssertionError(f"condition never met (last value {last!r})")


def _wait_file(folder: Path, pattern: str, timeout: float = 60) -> Path:
    def done():
        hits = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        return hits[0] if hits and hits[0].stat().st_size > 0 else None

    path = _wait(done, timeout)
    time.sleep(0.3)  # let the browser finish writing
    return path


def _click(dash_duo, css: str) -> None:
    button = dash_duo.find_element(css)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def _active_in(dash_duo, css: str) -> bool:
    return dash_duo.driver.execute_script(
        "const g = document.querySelector(arguments[0]);"
        "return !!g && g.contains(document.activeElement);",
        css,
    )


def test_downloads_on_compare_access_and_planner(dash_duo, artefacts):
    path = demo_bundle_path()
    place = open_place(path)
    folder = Path(dash_duo.download_path)
    dash_duo.start_server(create_app(place=str(path)))

    # ---- Compare: keyboard to the grid, sort by a heading, download what is shown
    dash_duo.wait_for_page(f"{dash_duo.server_url}/compare?indicator=school_readiness", timeout=60)
    grid = "#compare-table"
    _wait(lambda: grid_rows(dash_duo, grid))
    headers = header_texts(dash_duo, grid)
    ind = place.catalogue["school_readiness"]
    assert f"{ind.label} ({ind.unit})" in headers and "Small areas" in headers
    assert grid_rows(dash_duo, grid, pinned=True)[0][1] == "All areas"
    region = dash_duo.find_element(".grid-region[aria-label$='compared by every indicator']")
    assert region.get_attribute("role") == "region"
    # the grid itself carries the region's name (assets/dashAgGridFunctions.js)
    named = region.find_element(By.CSS_SELECTOR, "[role='grid'], [role='treegrid']")
    assert named.get_attribute("aria-label") == region.get_attribute("aria-label")
    # Tab from the control before the grid until the focus is inside it (keyboard reachable)
    dash_duo.find_element("#compare-caption").click()
    actions = ActionChains(dash_duo.driver)
    for _ in range(40):
        if _active_in(dash_duo, grid):
            break
        actions.send_keys(Keys.TAB).perform()
    assert _active_in(dash_duo, grid), "the Compare grid is not reachable with Tab"
    # Sort by "Small areas" from the keyboard: its heading, then Enter (ascending)
    areas_header = dash_duo.find_element(f"{grid} .ag-header-cell[col-id='areas']")
    areas_header.send_keys(Keys.ENTER)
    _wait(lambda: areas_header.get_attribute("aria-sort") == "ascending")
    shown = [int(v.replace(",", "")) for v in grid_column(dash_duo, grid, "areas")]
    assert shown == sorted(shown) and len(shown) == len(place.footprint_names)
    _click(dash_duo, "#compare-dl-csv")
    dash_duo.wait_for_contains_text("#compare-dl-status", "CSV ready", timeout=30)
    frame = pd.read_csv(_wait_file(folder, "*compare*.csv"), encoding="utf-8-sig")
    assert frame["Small areas"].tolist()[:-1] == shown  # the file follows the sort on screen
    assert frame[place.footprint_label].tolist()[-1] == "All areas"
    meta = json.loads(_wait_file(folder, "*compare*.csv-metadata.json").read_text())
    assert meta["synthetic"] is True
    _click(dash_duo, "#compare-dl-xlsx")
    book = openpyxl.load_workbook(_wait_file(folder, "*compare*.xlsx"))
    assert book.sheetnames == ["Data", "About"]
    dash_duo.driver.save_screenshot(str(artefacts / "downloads_compare.png"))

    # ---- Access: the coverage table and the isochrones
    dash_duo.wait_for_page(f"{dash_duo.server_url}/access", timeout=60)
    _wait(lambda: "within 20 minutes" in dash_duo.find_element("#access-status").text)
    _wait(lambda: len(grid_rows(dash_duo, "#access-coverage")) == 4)
    _click(dash_duo, "#access-dl-csv")
    dash_duo.wait_for_contains_text("#access-dl-status", "CSV ready", timeout=30)
    cover = pd.read_csv(_wait_file(folder, "*access*coverage.csv"), encoding="utf-8-sig")
    assert cover["Within (minutes)"].tolist() == [5, 10, 15, 20]
    screen = grid_column(dash_duo, "#access-coverage", "population")
    assert [f"{v:,}" for v in cover["People reached (people)"]] == screen  # as on screen
    _click(dash_duo, "#access-dl-geojson")
    dash_duo.wait_for_contains_text("#access-dl-status", "GEOJSON ready", timeout=60)
    bands = json.loads(_wait_file(folder, "*isochrones.geojson").read_text())
    assert sorted(f["properties"]["minutes"] for f in bands["features"]) == [5, 10, 15, 20]
    assert bands["synthetic"] is True and "attribution" in bands

    # ---- Planner: results and the chosen hubs
    dash_duo.wait_for_page(f"{dash_duo.server_url}/planner", timeout=60)
    _wait(lambda: grid_rows(dash_duo, "#planner-hubs-table"), timeout=180)
    hubs_screen = grid_column(dash_duo, "#planner-hubs-table", "hub")
    _click(dash_duo, "#planner-hubs-dl-csv")
    dash_duo.wait_for_contains_text("#planner-hubs-dl-status", "CSV ready", timeout=30)
    hubs = pd.read_csv(_wait_file(folder, "*plan-hubs.csv"), encoding="utf-8-sig")
    assert hubs["Hub"].tolist() == hubs_screen
    assert set(hubs["Hub"]) <= set(place.sites["name"].astype(str))  # names, not ids
    _click(dash_duo, "#planner-points-dl-geojson")
    dash_duo.wait_for_contains_text("#planner-points-dl-status", "GEOJSON ready", timeout=30)
    points = json.loads(_wait_file(folder, "*hub-points.geojson").read_text())
    assert len(points["features"]) == len(hubs_screen)
    dash_duo.driver.save_screenshot(str(artefacts / "downloads_planner.png"))
    severe = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert severe == [], "\n".join(e["message"] for e in severe)
