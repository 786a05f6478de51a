"""Real-browser test of the Clusters page (dash_duo, headless Chromium): current vs designed
footprints side by side, a new design on request, school clusters and hot spots with the
method stated. Saves a screenshot into the ``artefacts`` folder."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from selenium.webdriver.common.keys import Keys

from geo.build.places import open_place
from hubplan.web import create_app
from tests.support.grid import grid_rows

MAP_CANVAS = "canvas.maplibregl-canvas"


def _wait_file(folder: Path, name: str, timeout: float = 60) -> Path:
    """The downloaded file ``name`` once the browser has finished writing it."""
    end = time.time() + timeout
    path = folder / name
    while time.time() < end:
        if path.is_file() and path.stat().st_size > 0:
            time.sleep(0.3)
            return path
        time.sleep(0.3)
    raise AssertionError(f"{name} was not downloaded (folder: {sorted(folder.iterdir())})")


def _rows(dash_duo, table_id: str) -> list[list[str]]:
    return grid_rows(dash_duo, f"#{table_id}")


def test_clusters_page(dash_duo, artefacts):
    place = open_place("demo")
    n_current = len(place.footprint_names)
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/clusters?place=demo&k=6", timeout=40)
    dash_duo.wait_for_element("#cl-summary [role='gridcell']", timeout=40)
    summary = _rows(dash_duo, "cl-summary")
    assert [r[0] for r in summary] == ["current", "designed"]
    assert summary[0][1] == str(n_current) and summary[1][1] == "6"
    assert float(summary[1][2]) <= 10.0  # designed: every footprint within ±10% of the mean
    assert float(summary[0][2]) > float(summary[1][2])
    # both maps, the two charts and the hot-spot and school-cluster maps draw
    dash_duo.wait_for_element(f"#cl-map-current {MAP_CANVAS}", timeout=40)
    dash_duo.wait_for_element(f"#cl-map-designed {MAP_CANVAS}", timeout=40)
    dash_duo.wait_for_element("#cl-compact-fig .main-svg", timeout=30)
    dash_duo.wait_for_contains_text("#cl-hs-text", "Getis-Ord Gi*", timeout=40)
    assert "Benjamini-Hochberg" in dash_duo.find_element("#cl-hs-text").text
    dash_duo.wait_for_contains_text("#cl-sc-text", "nearest family_hub", timeout=40)
    assert len(_rows(dash_duo, "cl-sc-table")) == len(
        place.sites[place.sites["kind"] == "family_hub"]
    )
    changed = _rows(dash_duo, "cl-changed")
    assert changed and all(r[2] != r[3] for r in changed)

    # a new design: K = 4
    k_input = dash_duo.find_element("#cl-k")
    k_input.send_keys(Keys.CONTROL, "a")
    k_input.send_keys("4")
    dash_duo.find_element("#cl-run").click()
    dash_duo.wait_for_contains_text("#cl-status", "Designed 4 footprints", timeout=40)
    summary = _rows(dash_duo, "cl-summary")
    assert summary[1][1] == "4"
    # the lookup downloads as plain CSV (header on row 1) with its CSVW metadata sidecar
    button = dash_duo.find_element("#cl-download-btn")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    folder = Path(dash_duo.download_path)
    lookup = pd.read_csv(_wait_file(folder, "demo_designed_footprints.csv"), dtype=str)
    assert list(lookup.columns) == ["code", "footprint"] and len(lookup) == len(place.areas)
    assert lookup["footprint"].nunique() == 4
    sidecar = _wait_file(folder, "demo_designed_footprints.csv-metadata.json")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and "Designed 4 footprints" in " ".join(meta["rdfs:comment"])
    assert "synthetic demo data" in dash_duo.find_element(".attribution-footer").text.lower()
    assert dash_duo.find_element(".synthetic-banner").is_displayed()
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    dash_duo.driver.save_screenshot(str(artefacts / "clusters_demo.png"))
    hs = dash_duo.find_element("#cl-hs-map")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView()", hs)
    dash_duo.driver.save_screenshot(str(artefacts / "clusters_demo_hotspots.png"))
    assert dash_duo.get_logs() == [], dash_duo.get_logs()
