"""Building places: findings the build carries on from, and bad input it refuses."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from geo.build.pipeline import build_bundle, build_place
from geo.errors import InputError
from geo.place.config import load_config
from tests.support.tiny import TOML, X0, Y0, grid, write_tiny_place


def _build(folder, toml=None):
    return build_place(load_config(write_tiny_place(folder, toml=toml)))


def _messages(place):
    return "\n".join(f.message for f in place.findings)


def test_tiny_builds_with_expected_shape(tmp_path):
    place = _build(tmp_path)
    assert len(place.areas) == 12
    assert sorted(place.footprints["footprint"]) == ["East", "West"]
    assert place.areas.crs.to_epsg() == 27700
    assert set(place.sites["site_id"]) == {"S1", "S2", "S3", "S4"}
    s4 = place.sites.set_index("site_id").loc["S4"]
    assert bool(s4["outside"]) and s4["distance_outside_m"] == pytest.approx(500, abs=1)
    assert "outside the areas, kept and flagged" in _messages(place)
    assert place.sites.set_index("site_id").loc["S3", "area_code"] == "A07"
    # rate computed per area: events / children * 1000
    a05 = place.areas.loc["A05"]
    assert a05["event_rate"] == pytest.approx(1000 * (5 % 4) / (200 + 50))


def test_missing_file(tmp_path):
    cfg = write_tiny_place(tmp_path)
    (tmp_path / "ind.csv").unlink()
    with pytest.raises(InputError, match=r"ind\.csv: file not found"):
        build_place(load_config(cfg))


def test_missing_column_is_named(tmp_path):
    with pytest.raises(
        InputError, match=r"ind\.csv: column 'kidz' \(for indicator 'children'\) not found"
    ):
        _build(tmp_path, TOML.replace('column = "kids"', 'column = "kidz"'))


def test_duplicate_area_codes(tmp_path):
    cfg = write_tiny_place(tmp_path)
    g = grid()
    g.loc[3, "code"] = "A01"
    g.to_crs(4326).to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    with pytest.raises(
        InputError, match=r"areas\.geojson: duplicate area codes in column 'code': 'A01'"
    ):
        build_place(load_config(cfg))


def test_bng_metres_in_lonlat_columns(tmp_path):
    toml = TOML.replace('x = "e"\ny = "n"\ncrs = "EPSG:27700"', 'lon = "e"\nlat = "n"')
    with pytest.raises(
        InputError, match=r"sites\.csv: columns 'e'/'n' hold values like .* British National Grid"
    ):
        _build(tmp_path, toml)


def test_swapped_lonlat(tmp_path):
    cfg = write_tiny_place(
        tmp_path,
        toml=TOML.replace('x = "e"\ny = "n"\ncrs = "EPSG:27700"', 'lon = "lo"\nlat = "la"'),
    )
    s = pd.read_csv(tmp_path / "sites.csv")
    pts = gpd.GeoSeries(gpd.points_from_xy(s["e"], s["n"]), crs=27700).to_crs(4326)
    s["lo"], s["la"] = pts.y, pts.x  # swapped on purpose
    s.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(InputError, match="look swapped"):
        build_place(load_config(cfg))


def test_sites_far_outside_are_named(tmp_path):
    cfg = write_tiny_place(tmp_path)
    s = pd.read_csv(tmp_path / "sites.csv")
    s.loc[1, "e"] = X0 + 60_000
    s.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(
        InputError, match=r"sites\.csv: 1 site\(s\) lie more than 10 km outside .*'S2' \(56 km\)"
    ):
        build_place(load_config(cfg))


@pytest.mark.parametrize(
    ("filename", "content", "pattern"),
    [
        ("ind.csv", "", "the file is empty"),
        ("ind.csv", 'area,pop\n"A01,1\n', "cannot read as CSV|column 'kids'"),
        ("areas.geojson", "{not json", "cannot read geo file"),
    ],
)
def test_unreadable_files(tmp_path, filename, content, pattern):
    cfg = write_tiny_place(tmp_path)
    (tmp_path / filename).write_text(content)
    with pytest.raises(InputError, match=pattern) as info:
        build_place(load_config(cfg))
    assert filename in str(info.value)


def test_non_numeric_value_is_named(tmp_path):
    cfg = write_tiny_place(tmp_path)
    df = pd.read_csv(tmp_path / "ind.csv")
    df["pop"] = df["pop"].astype(object)
    df.loc[2, "pop"] = "lots"
    df.to_csv(tmp_path / "ind.csv", index=False)
    with pytest.raises(
        InputError, match=r"column 'pop' has 1 non-numeric value\(s\), e\.g\. 'lots'"
    ):
        build_place(load_config(cfg))


def test_unmatched_codes_and_missing_values_are_reported(tmp_path):
    cfg = write_tiny_place(tmp_path)
    df = pd.read_csv(tmp_path / "ind.csv")
    df = pd.concat(
        [
            df.iloc[2:],
            pd.DataFrame({"area": ["Z99"], "pop": [5], "kids": [1], "score": [1.0], "events": [0]}),
        ]
    )
    df.to_csv(tmp_path / "ind.csv", index=False)
    place = build_place(load_config(cfg))
    msgs = _messages(place)
    assert "1 code(s) match no area and were ignored: 'Z99'" in msgs
    assert (
        "indicator 'population' has no value for 2 area(s), kept as missing: 'A01', 'A02'" in msgs
    )
    assert pd.isna(place.areas.loc["A01", "population"])
    assert len(place.areas) == 12


def test_invalid_geometry_is_repaired(tmp_path):
    cfg = write_tiny_place(tmp_path)
    g = grid()
    x, y = X0, Y0
    bowtie = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000), (x, y)])
    g.loc[0, "geometry"] = bowtie
    g.to_crs(4326).to_file(tmp_path / "areas.geojson", driver="GeoJSON")
    place = build_place(load_config(cfg))
    assert "repaired 1 invalid area geometry: 'A01'" in _messages(place)
    assert place.areas.geometry.is_valid.all()
    assert place.areas.loc["A01", "geometry"].area == pytest.approx(500_000, rel=0.01)


def test_footprint_lookup_missing_areas_are_listed(tmp_path):
    cfg = write_tiny_place(tmp_path)
    fp = pd.read_csv(tmp_path / "fp.csv")
    fp[~fp["area"].isin(["A03", "A12"])].to_csv(tmp_path / "fp.csv", index=False)
    place = build_place(load_config(cfg))
    assert "2 area(s) are in no footprint: A03, A12" in _messages(place)


def test_footprints_from_polygons_by_largest_overlap(tmp_path):
    toml = TOML.replace(
        'path = "fp.csv"\ncode = "area"\nname = "fp"', 'path = "fp.geojson"\nname = "zone"'
    )
    cfg = write_tiny_place(tmp_path, toml=toml)
    # A zone boundary at x = X0 + 1600: column 1 is mostly (60%) west.
    west = Polygon(
        [(X0 - 10, Y0 - 10), (X0 + 1600, Y0 - 10), (X0 + 1600, Y0 + 3010), (X0 - 10, Y0 + 3010)]
    )
    east = Polygon(
        [(X0 + 1600, Y0 - 10), (X0 + 4010, Y0 - 10), (X0 + 4010, Y0 + 3010), (X0 + 1600, Y0 + 3010)]
    )
    gpd.GeoDataFrame({"zone": ["W", "E"]}, geometry=[west, east], crs=27700).to_file(
        tmp_path / "fp.geojson"
    )
    place = build_place(load_config(cfg))
    fp = place.areas["footprint"]
    assert fp["A02"] == "W" and fp["A03"] == "E" and fp["A01"] == "W" and fp["A04"] == "E"


def test_postcodes_resolve_offline_and_unknown_are_reported(tmp_path):
    toml = (
        TOML.replace(
            'x = "e"\ny = "n"\ncrs = "EPSG:27700"',
            'postcode = "pc"',
        )
        + '\n[postcodes]\npath = "pc.csv"\npostcode = "postcode"\nx = "east"\ny = "north"\n'
    )
    cfg = write_tiny_place(tmp_path, toml=toml)
    s = pd.read_csv(tmp_path / "sites.csv")
    s["pc"] = ["ab1 2cd", " AB12CD", "AB3  4EF", "ZZ9 9ZZ"]
    s.drop(columns=["e", "n"]).to_csv(tmp_path / "sites.csv", index=False)
    pd.DataFrame(
        {
            "postcode": ["AB1 2CD", "AB3 4EF"],
            "east": [X0 + 100, X0 + 3900],
            "north": [Y0 + 100, Y0 + 2900],
        }
    ).to_csv(tmp_path / "pc.csv", index=False)
    place = build_place(load_config(cfg))
    sites = place.sites.set_index("site_id")
    assert list(sites.index) == ["S1", "S2", "S3"]
    assert sites.loc["S1", "area_code"] == "A01" and sites.loc["S2", "area_code"] == "A01"
    assert sites.loc["S3", "area_code"] == "A12"
    assert "1 postcode(s) not found in pc.csv, sites dropped: 'ZZ9 9ZZ'" in _messages(place)


def test_failed_build_leaves_no_file_and_keeps_the_old_one(tmp_path):
    cfg = write_tiny_place(tmp_path / "src")
    out = tmp_path / "place.gpkg"
    build_bundle(cfg, out)
    before = out.read_bytes()
    (tmp_path / "src" / "ind.csv").write_text("area,pop\n")
    with pytest.raises(InputError):
        build_bundle(cfg, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["place.gpkg", "src"]


def test_xlsx_indicator_table(tmp_path):
    toml = TOML.replace('path = "ind.csv"', 'path = "ind.xlsx"\nsheet = "data"')
    cfg = write_tiny_place(tmp_path, toml=toml)
    df = pd.read_csv(tmp_path / "ind.csv")
    with pd.ExcelWriter(tmp_path / "ind.xlsx") as xl:
        pd.DataFrame({"notes": ["cover sheet"]}).to_excel(xl, sheet_name="cover", index=False)
        df.to_excel(xl, sheet_name="data", index=False)
    place = build_place(load_config(cfg))
    assert place.areas.loc["A07", "population"] == 1700


def test_sites_from_geo_file_and_id_clash_across_kinds(tmp_path):
    toml = TOML + '\n[[sites]]\npath = "hubs.geojson"\nkind = "hub"\nid = "sid"\nname = "sname"\n'
    cfg = write_tiny_place(tmp_path, toml=toml)
    hubs = gpd.GeoDataFrame(
        {"sid": ["S1", "H2"], "sname": ["Hub one", "Hub two"]},
        geometry=gpd.points_from_xy([X0 + 3500, X0 + 3500], [Y0 + 2500, Y0 + 500]),
        crs=27700,
    ).to_crs(4326)
    hubs.to_file(tmp_path / "hubs.geojson")
    place = build_place(load_config(cfg))
    ids = set(place.sites["site_id"])
    assert {"school:S1", "hub:S1", "H2", "S2"} <= ids
    assert place.sites.set_index("site_id").loc["hub:S1", "area_code"] == "A12"
