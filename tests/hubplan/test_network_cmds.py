"""``hubplan isochrones`` and ``hubplan access`` on the test network, on the demo, and with bad input."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from geo.build.pipeline import build_bundle
from geo.build.places import demo_bundle_path
from hubplan.cli.main import main
from tests.support.osm import write_network_place, write_test_osm
from tests.support.tiny import X0, Y0

TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-net")
    out = folder / "tiny.gpkg"
    build_bundle(write_network_place(folder), out)
    return out


@pytest.fixture(scope="module")
def demo_bundle():
    return demo_bundle_path()  # built once per code version, shared with other tests


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_isochrones_geojson_from_site(tiny, tmp_path, capsys):
    out = tmp_path / "iso.geojson"
    code, stdout, err = run(
        ["isochrones", tiny, "--from", "S1", "--minutes", "5,10,15", "--out", out], capsys
    )
    assert code == 0, err
    assert "3 band(s) by walk (network)" in stdout
    data = json.loads(out.read_text())
    assert [f["properties"]["minutes"] for f in data["features"]] == [5, 10, 15]
    props = data["features"][2]["properties"]
    assert props["population"] == 2300 and props["children"] == 430 and props["hubs"] == ["S1"]
    assert (
        props["apportion"] == "point" and props["method"] == "network" and props["buffer_m"] == 50
    )
    assert "Tiny areas (test)" in data["attribution"]
    ten = shapely.transform(
        shape(data["features"][1]["geometry"]),
        lambda lonlat: np.column_stack(TO_BNG.transform(lonlat[:, 0], lonlat[:, 1])),
    )
    assert ten.bounds[2] == pytest.approx(X0 + 1350, abs=0.05)  # WGS84 GeoJSON, exact cut kept


def test_isochrones_from_lonlat_far_from_roads_warns(tiny, tmp_path, capsys):
    lon, lat = TO_LONLAT.transform(X0 + 1500, Y0 + 3200)
    out = tmp_path / "far.geojson"
    code, _, err = run(
        ["isochrones", tiny, f"--from={lon},{lat}", "--minutes", "20", "--out", out], capsys
    )
    assert code == 0
    assert err.startswith("hubplan: warning: hub ") and "1,200 m from the nearest walk route" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--minutes", "10,5"], "minutes must be increasing, got 10 then 5"),
        (["--minutes", "0"], "minutes must be positive"),
        (["--mode", "boat"], "unknown mode 'boat'"),
        (["--from", "NOPE"], "'NOPE' is neither a site id"),
        (["--out", "x.csv"], "unsupported extension '.csv'"),
    ],
)
def test_isochrones_bad_input_one_line_exit_2(tiny, tmp_path, capsys, args, pattern):
    base = {
        "--from": "S1",
        "--minutes": "5",
        "--mode": "walk",
        "--out": str(tmp_path / "o.geojson"),
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value if flag != "--out" else str(tmp_path / value)
    code, _, err = run(["isochrones", tiny, *[x for kv in base.items() for x in kv]], capsys)
    assert code == 2
    assert err.startswith("hubplan: error:") and pattern in err and err.count("\n") == 1
    assert not (tmp_path / "o.geojson").exists()


def test_access_csv(tiny, tmp_path, capsys):
    out = tmp_path / "acc.csv"
    code, _, err = run(["access", tiny, "--to", "school", "--mode", "walk", "--out", out], capsys)
    assert code == 0, err
    meta = json.loads((tmp_path / "acc.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["dc:title"].startswith("Tiny")
    assert "shortest paths on the road network" in " ".join(meta["rdfs:comment"])
    table = pd.read_csv(out).set_index("Area code")
    minutes = "Minutes to the nearest school by walk (minutes)"
    assert table.loc["A03", minutes] == pytest.approx(12.5, abs=0.05)
    code, text, err = run(["access", tiny, "--to", "school", "--keys"], capsys)
    assert code == 0 and "shortest paths on the road network" in err
    table = pd.read_csv(io.StringIO(text)).set_index("code")
    assert table.loc["A03", "minutes_to_school"] == pytest.approx(12.5, abs=0.05)
    code, _, err = run(["access", tiny, "--to", "clinic"], capsys)
    assert code == 2 and "unknown site kind 'clinic'" in err


def test_build_with_bad_osm_is_one_line(tmp_path, capsys):
    config = write_network_place(tmp_path, osm=False)
    (tmp_path / "net.osm").write_text("<osm><way id='1'>")
    code, _, err = run(["build", config, "--out", tmp_path / "p.gpkg"], capsys)
    assert code == 2 and "cannot read OpenStreetMap XML" in err and "net.osm" in err
    assert err.count("\n") == 1 and not (tmp_path / "p.gpkg").exists()


def test_a_mode_the_network_lacks_is_one_line_naming_the_network(tmp_path, capsys):
    config = write_network_place(tmp_path, osm=False)  # footways only: walkable, not cyclable
    write_test_osm(tmp_path / "net.osm", ways=[(1, [1, 2, 3, 4, 5, 6], {"highway": "footway"})])
    out = tmp_path / "p.gpkg"
    code, _, err = run(["build", config, "--out", out], capsys)
    assert code == 0 and "network: no edges usable for cycle" in err, err
    code, _, err = run(["access", out, "--to", "school", "--mode", "cycle"], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert "no edges usable for cycle (read from net.osm when the place was built)" in err
    code, _, err = run(["access", out, "--to", "school", "--mode", "walk"], capsys)
    assert code == 0, err


def test_demo_isochrones_and_access(demo_bundle, tmp_path, capsys):
    out = tmp_path / "demo.geojson"
    code, _, err = run(
        [
            "isochrones",
            demo_bundle,
            "--from",
            "FH01",
            "--mode",
            "walk",
            "--minutes",
            "5,10,15,20",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["synthetic"] and "synthetic demo data" in data["attribution"].lower()
    pops = [f["properties"]["population"] for f in data["features"]]
    assert pops == sorted(pops) and pops[-1] > 0
    code, _, err = run(
        [
            "access",
            demo_bundle,
            "--to",
            "family_hub",
            "--mode",
            "cycle",
            "--out",
            tmp_path / "a.csv",
            "--keys",
        ],
        capsys,
    )
    assert code == 0, err
    table = pd.read_csv(tmp_path / "a.csv")
    assert len(table) == 215 and table["minutes_to_family_hub_by_cycle"].notna().all()
    assert table["nearest_site_id"].str.startswith("FH").all()


def test_help(capsys):
    for cmd in ("isochrones", "access"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: hubplan" in capsys.readouterr().out
