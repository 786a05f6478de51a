"""Download what you see, page by page: every file opens with pandas (header on row 1),
openpyxl or as GeoJSON, and carries its attribution and the synthetic label on the demo."""

from __future__ import annotations

import base64
import importlib
import io
import json

import openpyxl
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.siting.plan import run_plan
from geo.siting.scenarios import ScenarioStore, from_result
from hubplan.web import create_app
from tests.support.bundles import demo_copy

STATE = {"place": "demo"}


@pytest.fixture(scope="module")
def pages():
    create_app()
    return {
        name: importlib.import_module(f"hubplan.pages.{name}")
        for name in ("compare", "access", "planner", "clusters")
    }


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def decode(download: dict) -> bytes:
    return base64.b64decode(download["content"])


def read_csv(download: dict) -> pd.DataFrame:
    raw = decode(download)
    assert raw.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)


def read_xlsx(download: dict) -> openpyxl.Workbook:
    book = openpyxl.load_workbook(io.BytesIO(decode(download)))
    assert book.sheetnames == ["Data", "About"]
    about = " ".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    assert "synthetic demo data" in about.lower()
    return book


def sidecar(download: dict) -> dict:
    doc = json.loads(decode(download))
    assert doc["synthetic"] is True and doc["dc:source"]
    return doc


def test_compare_downloads_the_table_as_sorted_on_screen(pages, place):
    compare = pages["compare"]
    rows, note = compare.ranked_rows(place, "school_readiness")
    grid = compare.compare_grid(place, *compare.ranked_table(place, "school_readiness")[:3], "x")
    defs = grid.children.columnDefs
    shown = sorted(rows[:-1], key=lambda r: r["areas"])  # the user sorted by small areas
    data, meta, status = compare.download(
        1, 0, shown, rows[:-1], defs, "school_readiness", STATE, trigger="compare-dl-csv"
    )
    assert status == "CSV ready."
    frame = read_csv(data)
    label = place.footprint_label
    expected = [r["footprint"].split("]")[0].lstrip("[") for r in shown] + ["All areas"]
    assert frame[label].tolist() == expected  # plain names (no links), All areas last
    assert frame["Small areas"].tolist() == [r["areas"] for r in [*shown, rows[-1]]]
    ind = place.catalogue["school_readiness"]
    assert f"{ind.label} ({ind.unit})" in frame.columns
    doc = sidecar(meta)
    assert "Disclosure control" in doc["disclosure"] and note
    data, meta, _ = compare.download(
        0, 1, None, rows[:-1], defs, "school_readiness", STATE, trigger="compare-dl-xlsx"
    )
    book = read_xlsx(data)
    assert book["Data"].max_row == len(rows) + 1 and meta is compare.dash.no_update


def test_access_downloads_coverage_and_isochrones(pages, place):
    access = pages["access"]
    _fig, rows, defs, _status = access.update("family_hub", "walk", "5,10,15", [], STATE)
    args = (rows, defs, "family_hub", "walk", "5,10,15", [], STATE)
    data, meta, status = access.download(1, 0, 0, None, *args, trigger="access-dl-csv")
    frame = read_csv(data)
    assert status == "CSV ready." and frame["Within (minutes)"].tolist() == [5, 10, 15]
    assert frame["People reached (people)"].is_monotonic_increasing
    assert (frame["People reached, share (%)"] <= 100).all()
    doc = sidecar(meta)
    assert any("cumulative" in line for line in doc["rdfs:comment"])
    data, _, _ = access.download(0, 1, 0, None, *args, trigger="access-dl-xlsx")
    assert read_xlsx(data)["Data"].max_row == 4
    data, side, status = access.download(0, 0, 1, None, *args, trigger="access-dl-geojson")
    doc = json.loads(decode(data))
    assert data["filename"].endswith("-isochrones.geojson") and status == "GEOJSON ready."
    assert [f["properties"]["minutes"] for f in doc["features"]] == [5, 10, 15]
    assert doc["synthetic"] is True and doc["attribution"]
    assert side["filename"].endswith(".attribution.txt")
    # Nothing to download without hubs: a message, never a traceback
    _, _, status = access.download(0, 0, 1, None, [], [], None, "walk", "5", [], STATE,
                                   trigger="access-dl-geojson")  # fmt: skip
    assert status == "No download: no hubs chosen: nothing to download yet"


@pytest.fixture(scope="module")
def planned(pages):
    planner = pages["planner"]
    out = planner.run(
        1, [], [], "coverage", 3, 15, None, "walk", "children_0_4", "school", [],
        20, STATE,
    )  # fmt: skip
    assert isinstance(out[-1], dict), out[1]  # the plan ran
    return out


def test_planner_downloads_results_and_hub_points(pages, place, planned):
    planner = pages["planner"]
    hub_rows, hub_defs, payload = planned[2], planned[3], planned[-1]
    names = set(place.sites["name"].astype(str))
    download = planner.DOWNLOADS["planner-hubs"]
    data, meta, status = download(
        1, 0, None, hub_rows, hub_defs, STATE, payload, trigger="planner-hubs-dl-csv"
    )
    frame = read_csv(data)
    assert status == "CSV ready." and len(frame) == len(hub_rows)
    assert set(frame["Hub"]) <= names  # names, not ids
    assert "Average journey (minutes)" in frame.columns
    assert any(line.startswith("Plan: ") for line in sidecar(meta)["rdfs:comment"])
    for prefix, index in (("planner-equity", 5), ("planner-bands", 7), ("planner-teams", 9)):
        data, _, status = planner.DOWNLOADS[prefix](
            0, 1, None, planned[index], planned[index + 1], STATE, payload,
            trigger=f"{prefix}-dl-xlsx",
        )  # fmt: skip
        assert status == "XLSX ready.", prefix
        assert read_xlsx(data)["Data"].max_row == len(planned[index]) + 1
    # the chosen hubs with their locations
    data, meta, _ = planner.download_points(
        1, 0, 0, STATE, payload, trigger="planner-points-dl-csv"
    )
    points = read_csv(data)
    assert len(points) == len(payload["hubs"]) and set(points["Hub name"]) <= names
    assert points["Longitude (degrees)"].between(-180, 180).all()
    data, side, _ = planner.download_points(
        0, 0, 1, STATE, payload, trigger="planner-points-dl-geojson"
    )
    doc = json.loads(decode(data))
    assert {f["geometry"]["type"] for f in doc["features"]} == {"Point"}
    assert doc["synthetic"] is True and side is not None
    # before any run: a message
    _, _, status = download(1, 0, None, [], [], STATE, None, trigger="planner-hubs-dl-csv")
    assert status.startswith("No download: ")


def test_planner_downloads_a_scenario_comparison(pages, tmp_path, monkeypatch):
    planner = pages["planner"]
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    place = open_place(path)
    store = ScenarioStore.for_bundle(path)
    for name, hubs in (("three", 3), ("five", 5)):
        plan = run_plan(
            place, objective="coverage", hubs=hubs, minutes=15.0, mode="walk",
            weight="children_0_4", candidates="school",
        )  # fmt: skip
        store.save(
            place.name,
            from_result(name, plan.result, mode="walk", candidates=plan.candidates),
        )
    state = {"place": str(path)}
    data, meta, status = planner.download_comparison(
        1, 0, "three", "five", state, trigger="planner-cmp-dl-csv"
    )
    frame = read_csv(data)
    assert status == "CSV ready."
    assert list(frame.columns) == ["Table", "Item", "Scenario A", "Scenario B", "B minus A"]
    hubs = frame[(frame["Table"] == "Summary (B minus A)") & (frame["Item"] == "hubs")].iloc[0]
    assert (hubs["Scenario A"], hubs["Scenario B"], hubs["B minus A"]) == ("3", "5", "2")
    assert "Hubs" in set(frame["Table"]) and "A = three; B = five." in sidecar(meta)["rdfs:comment"]
    data, _, _ = planner.download_comparison(
        0, 1, "three", "five", state, trigger="planner-cmp-dl-xlsx"
    )
    assert read_xlsx(data)["Data"].max_row == len(frame) + 1
    _, _, status = planner.download_comparison(
        1, 0, None, "five", state, trigger="planner-cmp-dl-csv"
    )
    assert status == "No download: choose two saved scenarios to compare"


def test_clusters_tables_download(pages, place):
    clusters = pages["clusters"]
    out = clusters.on_design(1, clusters.NEW, 4, "population", "grow", None, STATE)
    summary_rows = out[0]
    page = clusters.layout(place="demo", k="4")
    from tests.hubplan.test_pages_profiles import find

    defs = find(page, "cl-summary").columnDefs
    data, meta, status = clusters.DOWNLOADS["cl-summary"](
        1, 0, None, summary_rows, defs, STATE, trigger="cl-summary-dl-csv"
    )
    frame = read_csv(data)
    assert frame["Set"].tolist() == ["current", "designed"] and status == "CSV ready."
    assert frame["Footprints"].tolist()[1] == 4
    assert "Largest deviation from the mean (%)" in frame.columns
    sidecar(meta)
    _, rows, sc_defs, _ = clusters.on_school_clusters("footprint", STATE)
    data, _, _ = clusters.DOWNLOADS["cl-sc-table"](
        0, 1, None, rows, sc_defs, STATE, trigger="cl-sc-table-dl-xlsx"
    )
    assert read_xlsx(data)["Data"].max_row == len(rows) + 1


@pytest.mark.shared_data
def test_wigan_downloads_open_and_carry_ogl(pages, wigan_dir, tmp_path, monkeypatch):
    from tests.support.bundles import wigan_bundle

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = wigan_bundle(wigan_dir, tmp_path)
    place = open_place(path)
    state = {"place": str(path)}
    compare = pages["compare"]
    key = place.default_indicator
    rows, _ = compare.ranked_rows(place, key)
    defs = compare.compare_grid(place, *compare.ranked_table(place, key)[:3], key).children
    data, meta, status = compare.download(
        1, 0, None, rows[:-1], defs.columnDefs, key, state, trigger="compare-dl-csv"
    )
    frame = read_csv(data)
    assert len(frame) == len(place.footprint_names) + 1 and status == "CSV ready."
    doc = json.loads(decode(meta))
    assert doc["synthetic"] is False
    assert any("Open Government Licence" in lic["name"] for lic in doc["dc:license"])
    # the map's values grid over HTTP-free calls: a block, then the download of a filter
    from hubplan.pages._values_table import download_frame, rows_block

    block, count, _ = rows_block(place, key, {"startRow": 0, "endRow": 100})
    assert len(block) == min(100, len(place.areas)) and count == len(place.areas)
    fp = place.footprint_names[0]
    model = {"footprint": {"filterType": "text", "type": "equals", "filter": fp}}
    shown, note = download_frame(place, key, request={"filterModel": model})
    assert len(shown) == int((place.areas["footprint"] == fp).sum()) and "filter" in note
