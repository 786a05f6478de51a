"""One isochrones-to-GeoJSON path: ``hubplan isochrones`` and ``hubplan export-data --what
isochrones`` both write ``geo.export.data.isochrones_data`` through ``write_export``."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import shape

from geo.build.places import open_place
from geo.export import data as exports
from hubplan.cli.main import main


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def test_the_cli_and_export_data_write_the_same_bands(demo, tmp_path, capsys):
    hubs = demo.sites[demo.sites["kind"] == "family_hub"]["site_id"].astype(str).tolist()
    cli = tmp_path / "cli.geojson"
    argv = ["isochrones", "demo", *[f"--from={h}" for h in hubs], "--minutes", "5,10"]
    assert main([*argv, "--out", str(cli)]) == 0, capsys.readouterr().err
    exported = tmp_path / "export.geojson"
    main(["export-data", "demo", "--what", "isochrones", "--minutes", "5,10",
          "--out", str(exported)])  # fmt: skip
    capsys.readouterr()
    a, b = json.loads(cli.read_text()), json.loads(exported.read_text())
    for payload in (a, b):
        # every GeoJSON export carries the place, its synthetic flag and attribution in the file
        assert payload["synthetic"] is True and payload["place"] == demo.name
        assert "synthetic demo data" in payload["attribution"].lower()
        assert any("Bands are cumulative" in n for n in payload["notes"])
        assert [f["properties"]["minutes"] for f in payload["features"]] == [5, 10]
    for fa, fb in zip(a["features"], b["features"], strict=True):
        ga, gb = shape(fa["geometry"]), shape(fb["geometry"])
        assert shapely.equals_exact(ga, gb, tolerance=1e-7)
        common = {"minutes", "mode", "method", "approximate", "buffer_m", "area_km2"}
        assert {k: fa["properties"][k] for k in common} == {k: fb["properties"][k] for k in common}
    # the CLI lists its hubs and adds what each band reaches; export-data counts its hubs
    assert a["features"][0]["properties"]["hubs"] == hubs
    assert b["features"][0]["properties"]["hubs"] == len(hubs)
    assert (
        a["features"][1]["properties"]["population"] > a["features"][0]["properties"]["population"]
    )
    assert "population" not in b["features"][0]["properties"]
    # both get the attribution sidecar
    assert (tmp_path / "cli.geojson.attribution.txt").exists()
    assert (tmp_path / "export.geojson.attribution.txt").exists()


def test_isochrones_data_with_coverage_and_crowfly_notes(tmp_path):
    from tests.support.bundles import demo_copy

    light = open_place(str(demo_copy(tmp_path)))  # no road network: crow-fly bands
    data = exports.isochrones_data(light, kinds=["family_hub"], minutes="10", apportion="area")
    row = data.frame.iloc[0]
    assert bool(row["approximate"]) and "straight-line distance" in row["note"]
    assert row["apportion"] == "area" and 0 < row["population"] <= light.areas["population"].sum()
    assert data.columns["population"] == "Resident population reached"
    assert any("Approximate" in n for n in data.notes)
    assert data.members["approximate"] is True
