"""The "Export map" / "Copy link" controls (pages/_export.py).

Unit tests call the export function directly; one browser test clicks the real buttons in a
small app holding a map page's state stores, downloads the PNG and SVG, and copies the link.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hubplan.pages._export import render_export, snapshot_layers

STATE = {
    "place": "demo",
    "indicator": "imd_score",
    "footprint": "Dunmere",
    "layers": ["areas", "footprints", "sites-family_hub"],
    "basemap": "osm",
}


def test_page_layers_map_to_snapshot_layers():
    assert snapshot_layers(["areas", "sites-school", "clusters"]) == ["areas", "school", "clusters"]
    assert snapshot_layers(None) == []


def test_unknown_place_or_format_is_a_message_not_a_crash():
    data, message = render_export("gif", STATE, None)
    assert data is None and "Unknown export format" in message
    data, message = render_export("png", {**STATE, "place": "atlantis"}, None)
    assert data is None and "Unknown place 'atlantis'" in message


def _wait_file(folder: Path, suffix: str, timeout: float = 60) -> Path:
    end = time.time() + timeout
    while time.time() < end:
        done = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
        if done and done[0].stat().st_size > 0:
            time.sleep(0.2)
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_home_page_has_the_export_controls():
    import importlib

    from hubplan.web import create_app

    create_app()  # pages register only after an app exists
    layout = importlib.import_module("hubplan.pages.home").layout(place="demo")
    ids = set()

    def walk(node):
        if hasattr(node, "id") and isinstance(getattr(node, "id", None), str):
            ids.add(node.id)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                walk(child)

    walk(layout)
    assert {
        "home-export-button",
        "home-export-format",
        "home-export-download",
        "home-copy-link",
    } <= ids


def test_page_language_and_copy_link_is_a_button():
    from dash import html

    from hubplan.pages._export import export_controls
    from hubplan.web import create_app

    app = create_app()
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert '<html lang="en-GB">' in page

    def find(node, wanted):
        if getattr(node, "id", None) == wanted:
            return node
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                hit = find(child, wanted)
                if hit is not None:
                    return hit
        return None

    button = find(export_controls("home"), "home-copy-link")
    assert isinstance(button, html.Button) and button.type == "button"
    assert "Copy link" in button.children


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_export_button_downloads_snapshot_and_copy_link(dash_duo, artefacts):
    from hubplan.web import create_app
    from layers.static import ensure_server

    # Start the shared export server before the test server. dash.testing stops its threaded
    # server by raising SystemExit in *every* thread created after it started (KillerThread),
    # which would kill kaleido's pipe threads if the export server started in a request
    # thread, and its close at exit would then wait forever. A real server has no such
    # killer: tests/test_app_shutdown.py starts the export lazily in ``python app.py``
    # and checks the process exits cleanly.
    ensure_server()

    dash_duo.start_server(create_app())
    dash_duo.driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            "origin": dash_duo.server_url,
        },
    )
    dash_duo.wait_for_page(
        f"{dash_duo.server_url}/?place=demo&indicator=imd_score&footprint=Dunmere"
        "&layers=areas,footprints,sites-family_hub"
    )
    dash_duo.wait_for_element("#home-export-button", timeout=40)
    folder = Path(dash_duo.download_path)

    button = dash_duo.find_element("#home-export-button")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    dash_duo.wait_for_contains_text("#home-export-status", "Exported", timeout=90)
    png = _wait_file(folder, ".png")
    assert png.name == "demo-Dunmere-imd_score.png"
    with Image.open(png) as img:
        assert img.size == (1600, 1000)
        arr = np.asarray(img.convert("RGB")).astype(int)
    assert (np.abs(arr[120:800, 20:1260] - 255) > 12).any(axis=2).mean() > 0.3

    dash_duo.find_element("#home-export-format input[value='svg']").click()
    button.click()
    svg = _wait_file(folder, ".svg")
    text = svg.read_text()
    assert "Dunmere, Demoborough (synthetic demo data)" in text
    assert "synthetic demo data generated by hubplan" in text.lower()
    assert "family hub sites" in text and "school sites" not in text

    dash_duo.find_element("#home-copy-link").click()
    time.sleep(0.5)
    copied = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, e => done('ERR ' + e));"
    )
    assert copied == dash_duo.driver.current_url
    assert "footprint=Dunmere" in copied and "indicator=imd_score" in copied
    dash_duo.wait_for_text_to_equal("#home-export-status", "Link to this view copied.")
    dash_duo.driver.save_screenshot(str(artefacts / "export_home_controls.png"))
    Image.open(io.BytesIO(png.read_bytes())).save(artefacts / "export_download.png")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_values_table_downloads_csv_with_metadata_and_xlsx(dash_duo):
    import csv
    import json

    import openpyxl

    from geo.build.places import open_place
    from hubplan.web import create_app

    place = open_place("demo")
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?place=demo&indicator=imd_score")
    dash_duo.wait_for_element(".values-details summary", timeout=40).click()
    folder = Path(dash_duo.download_path)
    button = dash_duo.find_element("#home-values-dl-csv")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    dash_duo.wait_for_contains_text("#home-values-dl-status", "CSV ready", timeout=30)
    data = _wait_file(folder, ".csv")
    meta = _wait_file(folder, "-metadata.json")
    with data.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(place.areas)
    assert "Small area code" in rows[0]
    doc = json.loads(meta.read_text(encoding="utf-8"))
    assert doc["url"] == data.name and doc["synthetic"] is True
    dash_duo.find_element("#home-values-dl-xlsx").click()
    book = openpyxl.load_workbook(_wait_file(folder, ".xlsx"))
    assert book.sheetnames == ["Data", "About"]
    assert dash_duo.get_logs() == []
