"""The shared grid and download helpers (hubplan/pages/_grid.py) and the grid's JS formatter."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.build.places import open_place
from geo.errors import InputError
from geo.export import tabular
from geo.export.data import ExportData
from hubplan.pages import _grid

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = [
    tabular.Column("name", "Footprint"),
    tabular.Column("children", "Children aged 0-4", "children", "count"),
    tabular.Column("rate", "Good level of development", "%", "number"),
    tabular.Column("score", "IMD score", "score", "number"),
]
FRAME = pd.DataFrame(
    {
        "name": ["North [A]", "South", "=cmd"],
        "children": [1234.4, 56.0, None],
        "rate": [61.234, "*", 70.0],
        "score": [12.3456, 3.0, float("nan")],
    }
)


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def decode(download: dict) -> bytes:
    return base64.b64decode(download["content"])


def test_column_defs_label_units_and_format_numbers_by_unit():
    defs = _grid.column_defs(COLUMNS, links=["name"], highlight="rate")
    by = {d["field"]: d for d in defs}
    assert [d["headerName"] for d in defs] == [
        "Footprint",
        "Children aged 0-4 (children)",
        "Good level of development (%)",
        "IMD score (score)",
    ]
    assert by["children"]["valueFormatter"] == {"function": "hubNumber(params.value, 0)"}
    assert by["rate"]["valueFormatter"] == {"function": "hubNumber(params.value, 1)"}
    assert by["score"]["valueFormatter"] == {"function": "hubNumber(params.value, 2)"}
    assert by["children"]["filter"] == "agNumberColumnFilter"
    assert by["children"]["type"] == "rightAligned"
    assert by["name"]["filter"] == "agTextColumnFilter" and "valueFormatter" not in by["name"]
    assert by["name"]["cellRenderer"] == "markdown" and by["name"]["linkTarget"] == "_self"
    assert by["rate"]["cellClass"] == "grid-highlight" and "cellClass" not in by["score"]
    # the definitions carry their columns, so a download rebuilds the same headings
    assert _grid.columns_from_defs(defs) == COLUMNS


def test_rows_are_rounded_as_the_downloads_round_them():
    rows = _grid.grid_rows(FRAME, COLUMNS, links={"name": ["/profile/North", None, "/x"]})
    assert rows[0] == {
        "name": "[North \\[A\\]](/profile/North)",
        "children": 1234,
        "rate": 61.2,
        "score": 12.35,
    }
    assert rows[1]["rate"] == "*" and rows[1]["name"] == "South"  # suppressed, no link
    assert rows[2]["children"] is None and rows[2]["score"] is None
    assert rows[2]["name"] == "['=cmd](/x)"  # a formula is never passed on
    # a link cell goes back to its text for a download
    frame = _grid.shown_frame(rows, COLUMNS)
    assert frame["name"].tolist() == ["North [A]", "South", "'=cmd"]


def test_grid_is_a_named_region_with_sorting_filtering_and_pinned_rows():
    region = _grid.grid(
        "g", FRAME, COLUMNS, label="Footprints compared", pinned_bottom=[{"name": "All areas"}]
    )
    assert region.role == "region" and getattr(region, "aria-label") == "Footprints compared"
    table = region.children
    assert table.id == "g" and len(table.rowData) == 3
    assert table.defaultColDef["sortable"] and table.defaultColDef["filter"]
    assert table.dashGridOptions["pinnedBottomRowData"] == [{"name": "All areas"}]
    assert table.dashGridOptions["domLayout"] == "autoHeight"
    assert table.dashGridOptions["ensureDomOrder"] is True
    scrolled = _grid.grid("h", FRAME, COLUMNS, label="x", height=300).children
    assert "domLayout" not in scrolled.dashGridOptions and scrolled.style["height"] == "300px"


def test_download_bar_names_every_button():
    bar = _grid.download_bar("cmp", what="the Compare table", geojson="the bands")
    buttons = [c for c in bar.children if getattr(c, "n_clicks", None) == 0]
    assert [b.id for b in buttons] == ["cmp-dl-csv", "cmp-dl-xlsx", "cmp-dl-geojson"]
    assert [getattr(b, "aria-label") for b in buttons] == [
        "Download the Compare table as CSV",
        "Download the Compare table as XLSX",
        "Download the bands as GeoJSON",
    ]
    assert len(_grid.download_bar("x", what="t").children) == 6  # no GeoJSON without geometry


@pytest.mark.parametrize(
    ("trigger", "fmt"),
    [("cmp-dl-csv", "csv"), ("a-b-dl-xlsx", "xlsx"), ("access-dl-geojson", "geojson")],
)
def test_trigger_format(trigger, fmt):
    assert _grid.trigger_format(trigger) == fmt


def test_trigger_format_refuses_other_ids():
    with pytest.raises(InputError, match="not a download button"):
        _grid.trigger_format("cmp-run")


def test_filename_stem_is_safe():
    assert _grid.filename_stem("demo", "compare", "a b/c") == "demo-compare-a_b_c"
    assert _grid.filename_stem("", "") == "table"


def test_grid_download_csv_opens_with_pandas_and_has_its_metadata(place):
    rows = _grid.grid_rows(FRAME, COLUMNS)
    defs = _grid.column_defs(COLUMNS)
    shown = [rows[1], rows[0]]  # the user sorted the grid: the file follows
    data, meta = _grid.grid_download(
        "csv",
        place,
        shown,
        defs,
        title="Demo: compared",
        stem="demo-compare",
        pinned=[{"name": "All areas", "children": 1290, "rate": 62.0, "score": 8.0}],
        disclosure="Disclosure control: counts under 5 suppressed.",
    )
    assert data["filename"] == "demo-compare.csv"
    raw = decode(data)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == [c.header for c in COLUMNS]  # header on row 1
    assert frame["Footprint"].tolist() == ["South", "North [A]", "All areas"]
    assert frame["Good level of development (%)"].tolist() == ["*", "61.2", "62.0"]
    assert meta["filename"] == "demo-compare.csv-metadata.json"
    doc = json.loads(decode(meta))
    assert doc["synthetic"] is True and "synthetic demo data" in json.dumps(doc).lower()
    assert doc["disclosure"].startswith("Disclosure control")
    assert any("2 row(s) as shown on screen" in line for line in doc["rdfs:comment"])


def test_grid_download_xlsx_has_data_and_about_sheets(place):
    rows = _grid.grid_rows(FRAME, COLUMNS)
    data, meta = _grid.grid_download(
        "xlsx", place, rows, _grid.column_defs(COLUMNS), title="Demo: t", stem="t"
    )
    assert meta is None and data["filename"] == "t.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(decode(data)))
    assert book.sheetnames == ["Data", "About"]
    sheet = book["Data"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert sheet["B2"].value == 1234 and sheet["B2"].number_format == "#,##0"
    assert sheet["C2"].value == 61.2 and sheet["C2"].number_format == "#,##0.0"
    assert sheet["A4"].value == "'=cmd" and sheet["A4"].data_type == "s"
    about = "\n".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    assert "synthetic demo data" in about.lower()


def test_an_empty_grid_is_refused_with_a_message(place):
    with pytest.raises(InputError, match="the table is empty"):
        _grid.grid_download("csv", place, [], _grid.column_defs(COLUMNS), title="t", stem="t")
    with pytest.raises(InputError, match="unknown table format"):
        _grid.table_download("pdf", place, FRAME, COLUMNS, title="t", stem="t")


def test_geojson_download_carries_attribution(place):
    points = gpd.GeoDataFrame(
        {"name": ["Hub 1"], "weight": [12.0]},
        geometry=[Point(-1.9, 53.4)],
        crs=4326,
    ).to_crs(place.crs)
    data, side = _grid.geojson_download(
        place, ExportData("hubs", points, "Demo: hubs", ("A note.",)), stem="demo-hubs"
    )
    assert data["filename"] == "demo-hubs.geojson"
    doc = json.loads(decode(data))
    assert doc["type"] == "FeatureCollection" and doc["synthetic"] is True
    assert doc["attribution"] and doc["notes"] == ["A note."]
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(-1.9) and lat == pytest.approx(53.4)  # WGS 84, RFC 7946
    assert side["filename"] == "demo-hubs.geojson.attribution.txt"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the grid's JS")
def test_the_grid_functions_format_and_sort_like_the_downloads():
    script = (ROOT / "assets" / "dashAgGridFunctions.js").read_text()
    probe = """
    const f = window.dashAgGridFunctions;
    const out = {
      counts: f.hubNumber(1234567.4, 0),
      rate: f.hubNumber(61.26, 1),
      small: f.hubNumber(0.5, 3),
      star: f.hubNumber("*", 1),
      missing: f.hubNumber(null, 1),
      asc: [3, null, "*", 1, 20].sort((a, b) => f.hubCompare(a, b, null, null, false)),
      desc: [3, null, "*", 1, 20].sort((a, b) => -f.hubCompare(a, b, null, null, true)),
    };
    console.log(JSON.stringify(out));
    """
    run = subprocess.run(
        ["node", "-e", "var window = {};\n" + script + probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(run.stdout)
    assert out["counts"] == "1,234,567" and out["rate"] == "61.3"
    assert out["small"] == "0.500" and out["star"] == "*" and out["missing"] == ""
    assert out["asc"] == [1, 3, 20, "*", None]  # numbers, then text, missing last
    assert out["desc"] == [20, 3, 1, "*", None]  # AG Grid reverses; missing stays last
