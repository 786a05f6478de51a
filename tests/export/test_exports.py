"""Data exports (geo.export.data): disclosure control, formula escaping, sidecars, atomic writes.

The tiny place (tests/support/tiny.py) is hand-checkable: area ``A<n>`` has ``events = n % 4``
(a sensitive count), footprints ``West`` (columns 0-1) and ``East`` (columns 2-3).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo.build.pipeline import build_bundle
from geo.build.places import demo_bundle_path, open_place
from geo.errors import InputError
from geo.export import data as exports
from geo.place.bundle import read_place
from geo.siting.scenarios import Scenario, ScenarioStore
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    cfg = write_tiny_place(folder)
    return build_bundle(cfg, folder / "tiny.gpkg")


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def _read_csv(path) -> pd.DataFrame:
    """The CSV as text cells, read with pandas' defaults otherwise (header on row 1)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_area_counts_below_threshold_are_suppressed(tiny, tmp_path):
    out = tmp_path / "areas.csv"
    exports.export_data(tiny, "areas", out, threshold=2, keys=True)
    table = _read_csv(out).set_index("code")
    assert len(table) == 12
    for n in range(1, 13):
        events = n % 4
        cell = table.loc[f"A{n:02d}", "events"]
        # Below 2 -> "*"; the rate built on the count is hidden with it.
        if events < 2:
            assert cell == "*"
            assert table.loc[f"A{n:02d}", "event_rate"] == "*"
        else:
            assert int(cell) == events
            assert table.loc[f"A{n:02d}", "event_rate"] != "*"
    # Non-sensitive counts are never touched.
    assert (table["population"] != "*").all()


def test_footprint_export_suppresses_with_total_row(tiny, tmp_path):
    out = tmp_path / "fp.csv"
    # Each footprint has 9 events; threshold 10 hides both but keeps the total (18).
    exports.export_data(tiny, "footprints", out, threshold=10, keys=True)
    table = _read_csv(out).set_index("footprint")
    assert list(table.index) == ["East", "West", "All areas"]
    assert table.loc["East", "events"] == "*" and table.loc["West", "events"] == "*"
    assert table.loc["All areas", "events"] == "18"
    assert table.loc["West", "population"] == str(sum(1000 + 100 * n for n in (1, 2, 5, 6, 9, 10)))


def test_csv_formula_cells_escaped(tiny, tmp_path):
    areas = tiny.areas.copy()
    areas["name"] = areas["name"].astype(object)
    areas.loc["A01", "name"] = '=HYPERLINK("http://x","y")'
    areas.loc["A02", "name"] = "+cmd|' /C calc'!A0"
    areas.loc["A03", "name"] = "@SUM(1)"
    areas.loc["A04", "name"] = "-2+3"
    evil = dataclasses.replace(tiny, areas=areas)
    out = tmp_path / "evil.csv"
    exports.export_data(evil, "areas", out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["A01"] == '\'=HYPERLINK("http://x","y")'
    assert names["A02"] == "'+cmd|' /C calc'!A0"
    assert names["A03"] == "'@SUM(1)"
    assert names["A04"] == "'-2+3"
    assert names["A05"] == "Area 5"
    # No cell anywhere starts a formula.
    assert not [c for r in rows for c in r if c[:1] in ("=", "+", "@")]


def test_csv_sidecar_carries_attributions_and_header_is_row_one(tiny, tmp_path):
    out = tmp_path / "areas.csv"
    paths = exports.export_data(tiny, "areas", out)
    sidecar = tmp_path / "areas.csv-metadata.json"
    assert paths == [out.resolve(), sidecar.resolve()]
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    assert meta["url"] == "areas.csv"
    for line in tiny.attribution_text().splitlines():
        assert line in meta["dc:source"]
    assert any("Disclosure control" in c for c in meta["rdfs:comment"])
    assert any("Tiny areas (test)" in line for line in meta["dc:source"])
    assert meta["dc:title"] == "Tiny: small areas with indicators"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfSmall area code,Small area name,")
    assert b"# " not in raw.split(b"\r\n")[0]
    exports.export_data(tiny, "areas", tmp_path / "keys.csv", keys=True)
    assert (tmp_path / "keys.csv").read_bytes().startswith(b"\xef\xbb\xbfcode,name,footprint")


def test_demo_exports_say_synthetic(demo, tmp_path):
    out = tmp_path / "fp.geojson"
    exports.export_data(demo, "footprints", out)
    assert "synthetic demo data" in (tmp_path / "fp.geojson.attribution.txt").read_text().lower()
    csv_out = tmp_path / "sites.csv"
    exports.export_data(demo, "sites", csv_out)
    meta = (tmp_path / "sites.csv-metadata.json").read_text(encoding="utf-8")
    assert "synthetic demo data" in meta.lower()


def test_geojson_and_gpkg_readable_with_right_rows(demo, tmp_path):
    exports.export_data(demo, "areas", tmp_path / "a.geojson")
    exports.export_data(demo, "footprints", tmp_path / "f.gpkg")
    areas = gpd.read_file(tmp_path / "a.geojson")
    assert len(areas) == len(demo.areas) == 215
    assert areas.crs.to_epsg() == 4326
    assert set(areas["code"]) == set(demo.areas.index)
    # Sensitive counts: "*" exactly where the true value is below 5, and numbers elsewhere.
    truth = demo.areas["looked_after_children"].reindex(areas["code"]).to_numpy()
    shown = areas["looked_after_children"].to_numpy()
    assert all((s == "*") == (t < 5) for s, t in zip(shown, truth, strict=True))
    assert all(float(s) == t for s, t in zip(shown, truth, strict=True) if s != "*")
    # Non-sensitive columns stay numeric.
    assert pd.api.types.is_numeric_dtype(areas["population"])

    fps = gpd.read_file(tmp_path / "f.gpkg", layer="footprints")
    assert list(fps["footprint"]) == [*demo.footprint_names, "All areas"]
    assert fps.crs.equals(demo.areas.crs)
    assert fps.geometry.notna().all()
    assert "attribution" in pyogrio.list_layers(tmp_path / "f.gpkg")[:, 0]


def test_indicator_and_footprint_selection(demo, tmp_path):
    out = tmp_path / "dun.csv"
    exports.export_data(
        demo, "areas", out, indicators=["imd_score"], footprint="Dunmere", keys=True
    )
    table = _read_csv(out)
    assert list(table.columns) == ["code", "name", "footprint", "imd_score"]
    assert set(table["footprint"]) == {"Dunmere"}
    assert len(table) == int((demo.areas["footprint"] == "Dunmere").sum())


@pytest.mark.parametrize(
    ("what", "options", "message"),
    [
        ("areas", {"indicators": ["nope"]}, "unknown indicator 'nope'"),
        ("footprints", {"footprint": "Nowhere"}, "unknown service delivery footprint 'Nowhere'"),
        ("sites", {"kinds": ["castle"]}, "unknown site kind(s) castle"),
        ("everything", {}, "unknown export 'everything'"),
    ],
)
def test_bad_input_raises_and_writes_nothing(demo, tmp_path, what, options, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        exports.export_data(demo, what, tmp_path / "x.csv", **options)
    assert list(tmp_path.iterdir()) == []


def test_unsupported_extension_and_missing_folder(demo, tmp_path):
    with pytest.raises(InputError, match=r"unsupported extension '\.txt'"):
        exports.export_data(demo, "areas", tmp_path / "x.txt")
    with pytest.raises(InputError, match="folder does not exist"):
        exports.export_data(demo, "areas", tmp_path / "missing" / "x.csv")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(demo, tmp_path, monkeypatch):
    out = tmp_path / "areas.gpkg"
    out.write_bytes(b"old")

    def broken(df, path, **kw):
        Path(path).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", broken)
    with pytest.raises(OSError, match="disk full"):
        exports.export_data(demo, "areas", out)
    # The old file is untouched, no sidecar, no temp files.
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["areas.gpkg"]


def test_isochrones_export(demo, tmp_path):
    out = tmp_path / "iso.geojson"
    exports.export_data(demo, "isochrones", out, kinds=["family_hub"], minutes="5,10,15")
    bands = gpd.read_file(out)
    assert list(bands["minutes"]) == [5, 10, 15]
    assert (bands["hubs"] == 4).all()
    # Cumulative bands: each contains the one before (up to coordinate rounding).
    proj = bands.to_crs(27700)
    for small, big in zip(proj.geometry[:-1], proj.geometry[1:], strict=True):
        assert small.difference(big.buffer(1)).area < 1.0
    assert "Bands are cumulative" in (tmp_path / "iso.geojson.attribution.txt").read_text()
    with pytest.raises(InputError, match="unknown site id"):
        exports.export_data(demo, "isochrones", tmp_path / "x.csv", sites=["NOPE"])


@pytest.fixture
def demo_with_scenario(tmp_path):
    bundle = tmp_path / "demo.gpkg"
    shutil.copy(demo_bundle_path(), bundle)
    place = read_place(bundle)
    hubs = place.sites[place.sites["kind"] == "family_hub"]
    codes = [str(c) for c in place.areas.index]
    first_hub = str(hubs["site_id"].iloc[0])
    results = {
        "objective": "coverage",
        "covered_share": 0.75,
        "weight": "looked_after_children",
        "area_minutes": {c: float(i % 30) for i, c in enumerate(codes)},
        "area_covered": {c: i % 30 <= 15 for i, c in enumerate(codes)},
        "area_hub": dict.fromkeys(codes, first_hub),
        "hub_points": [
            {"hub": str(h), "name": f"=Hub {h}", "lon": -1.9, "lat": 53.45} for h in hubs["site_id"]
        ],
        "notes": ["solved exactly"],
    }
    scen = Scenario(
        name="Plan A",
        objective="coverage",
        hubs=[str(h) for h in hubs["site_id"]],
        mode="walk",
        minutes=15,
        results=results,
    )
    ScenarioStore.for_bundle(bundle).save(place.name, scen)
    return place


def test_scenario_export(demo_with_scenario, tmp_path):
    place = demo_with_scenario
    out = tmp_path / "plan.csv"
    exports.export_data(place, "scenario", out, name="Plan A", keys=True)
    table = _read_csv(out).set_index("code")
    assert len(table) == 215
    assert table["hub_name"].str.startswith("'=Hub").all()  # escaped
    lac = place.areas["looked_after_children"]
    small = lac[lac < 5].index
    assert (table.loc[small, "looked_after_children"] == "*").all()
    text = (tmp_path / "plan.csv-metadata.json").read_text(encoding="utf-8")
    assert "Scenario 'Plan A': coverage with 4 hub(s), mode walk, limit 15 min" in text
    gj = gpd.read_file(
        exports.export_data(place, "scenario", tmp_path / "plan.geojson", name="Plan A")[0]
    )
    assert len(gj) == 215 and gj["covered"].dtype == bool
    with pytest.raises(InputError, match="no scenario called 'Plan B'"):
        exports.export_data(place, "scenario", tmp_path / "b.csv", name="Plan B")
    assert not (tmp_path / "b.csv").exists()
