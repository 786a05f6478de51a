"""Town and suburb names for the maps (issue 14): OSM place nodes of the network file, or the
optional ``[labels]`` file of the config; stored as ``place_labels``; drawn offline on the
dashboard map and as annotations in exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

from geo.build.pipeline import build_place
from geo.errors import ConfigError, DataError, InputError
from geo.network.osm import read_place_labels
from geo.place.bundle import read_place, write_place
from geo.place.config import load_config, parse_config
from layers.labels import PLACE_LABELS_UID, place_label_points, place_labels
from tests.support.osm import write_network_place
from tests.support.tiny import X0, Y0, write_tiny_place

_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
LEEDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"


def _place_nodes(path: Path, nodes: list[tuple[int, float, float, dict[str, str]]]) -> None:
    """Add tagged nodes (id, easting offset, northing offset, tags) to an OSM XML file."""
    lines = []
    for nid, dx, dy, tags in nodes:
        lon, lat = _WGS84.transform(X0 + dx, Y0 + dy)
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(
            f'  <node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}">{tag_xml}</node>'
        )
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("\n", 2)[:2], text.split("\n", 2)[2]
    path.write_text("\n".join([*head, *lines, rest]), encoding="utf-8")


PLACE_NODES = [
    (900, 1000, 1000, {"place": "town", "name": "Testham"}),
    (901, 3000, 2500, {"place": "suburb", "name": "Millbrook"}),
    (902, 2000, 2000, {"place": "suburb"}),  # no name: left out
    (903, 2000, 1000, {"place": "county", "name": "Testshire"}),  # not a town: left out
    (904, 9000, 9000, {"place": "village", "name": "Outby"}),  # outside the place
    (905, 500, 2500, {"place": "hamlet", "name": "Little Nook"}),
]


def test_osm_place_nodes_become_labels(tmp_path):
    config = write_network_place(tmp_path)
    _place_nodes(tmp_path / "net.osm", PLACE_NODES)
    place = build_place(load_config(config))
    labels = place.tables["place_labels"]
    assert labels["name"].tolist() == ["Testham", "Millbrook", "Little Nook"]  # biggest first
    assert labels["kind"].tolist() == ["town", "suburb", "hamlet"]
    x, y = labels.geometry.iloc[0].x, labels.geometry.iloc[0].y
    assert abs(x - (X0 + 1000)) < 0.01 and abs(y - (Y0 + 1000)) < 0.01  # working CRS
    assert any("3 place names from net.osm" in f.message for f in place.findings)
    assert "OpenStreetMap" in place.attribution_text()  # ODbL travels with the names
    # stored in the bundle and read back
    write_place(place, tmp_path / "p.gpkg")
    back = read_place(tmp_path / "p.gpkg")
    assert back.tables["place_labels"]["name"].tolist() == ["Testham", "Millbrook", "Little Nook"]
    names = [p[0] for p in place_label_points(back)]
    assert names == ["Testham", "Millbrook", "Little Nook"]


def test_osm_without_place_nodes_says_so(tmp_path):
    place = build_place(load_config(write_network_place(tmp_path)))
    assert "place_labels" not in place.tables
    assert any(
        f.level == "warning" and "no named OSM place nodes" in f.message for f in place.findings
    )
    assert place_label_points(place) == []


def test_leeds_extract_is_read(tmp_path):
    pbf = LEEDS / "leeds_its_example.osm.pbf"
    if not pbf.is_file():
        pytest.skip(f"real OSM extract not found at {pbf}")
    labels = read_place_labels(str(pbf), crs="EPSG:27700")
    # The real extract (1.4 km around the ITS) holds highways only, no place nodes: an empty
    # table with the right columns, not an error. Its nodes are read (not a silent no-op):
    assert list(labels.columns) == ["name", "kind", "geometry"] and len(labels) == 0
    import osmium

    nodes = sum(1 for _ in osmium.FileProcessor(str(pbf), osmium.osm.NODE))
    assert nodes == 1678  # as SOURCES.md states


def test_unreadable_osm_is_one_clear_error(tmp_path):
    from geo.errors import NetworkError

    bad = tmp_path / "broken.osm"
    bad.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"broken\.osm"):
        read_place_labels(str(bad), crs="EPSG:27700")


def _labels_config(folder: Path, section: str, rows: pd.DataFrame | None = None) -> Path:
    config = write_tiny_place(folder)
    if rows is not None:
        rows.to_csv(folder / "labels.csv", index=False)
    text = config.read_text(encoding="utf-8")
    config.write_text(f"{text}\n[labels]\n{section}\n", encoding="utf-8")
    return config


def test_labels_file_in_the_config(tmp_path):
    rows = pd.DataFrame(
        {
            "town": ["Westford", "Eastbury", "Faraway"],
            "type": ["town", "suburb", "town"],
            "e": [X0 + 500, X0 + 3500, X0 + 50_000],
            "n": [Y0 + 1500, Y0 + 1500, Y0 + 1500],
        }
    )
    config = _labels_config(
        tmp_path,
        'path = "labels.csv"\nname = "town"\nkind = "type"\nx = "e"\ny = "n"\n'
        'crs = "EPSG:27700"\nattribution = "Names: Test Council, OGL v3.0"',
        rows,
    )
    place = build_place(load_config(config))
    labels = place.tables["place_labels"]
    assert labels["name"].tolist() == ["Westford", "Eastbury"]
    assert any("Faraway" in f.message and "outside" in f.message for f in place.findings)
    assert "Names: Test Council, OGL v3.0" in place.attribution_text()


def test_labels_file_as_geojson_with_lonlat(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    lon, lat = _WGS84.transform(X0 + 2000, Y0 + 1000)
    gpd.GeoDataFrame({"name": ["Middleton"]}, geometry=[Point(lon, lat)], crs=4326).to_file(
        tmp_path / "names.geojson", driver="GeoJSON"
    )
    place = build_place(load_config(_labels_config(tmp_path, 'path = "names.geojson"')))
    assert place.tables["place_labels"]["name"].tolist() == ["Middleton"]


@pytest.mark.parametrize(
    ("section", "rows", "error", "match"),
    [
        ('path = "labels.csv"', None, ConfigError, "'labels' needs coordinates"),
        ('path = "labels.csv"\nlon = "lon"\nlat = "lat"\ncolour = "red"', None, ConfigError,
         "colour"),
        ('path = "labels.csv"\nlon = "lon"\nlat = "lat"', pd.DataFrame({"name": ["A"], "lon": [1]}),
         InputError, "column 'lat'"),
        ('path = "labels.csv"\nlon = "lon"\nlat = "lat"',
         pd.DataFrame({"name": ["A", " "], "lon": [-2.0, -2.0], "lat": [53.0, 53.0]}),
         DataError, "empty name"),
        ('path = "labels.csv"\nlon = "lon"\nlat = "lat"',
         pd.DataFrame({"name": ["A"], "lon": [400000], "lat": [300000]}),
         DataError, "not degrees"),
    ],
)  # fmt: skip
def test_bad_labels_are_one_clear_error(tmp_path, section, rows, error, match):
    config = _labels_config(tmp_path, section, rows)
    with pytest.raises(error, match=match) as info:
        build_place(load_config(config))
    assert "labels" in str(info.value) or "place.toml" in str(info.value)


def test_labels_schema():
    from geo.place.schema import LabelsSchema, PlaceSchema

    assert PlaceSchema.model_fields["labels"].default is None
    cfg = parse_config(
        'name = "T"\n[areas]\npath = "a.geojson"\ncode = "c"\n'
        '[labels]\npath = "l.csv"\nlon = "x1"\nlat = "y1"\n',
        path=Path("/tmp/place.toml"),
    )
    assert cfg.labels is not None and cfg.labels.lon == "x1" and cfg.labels.name == "name"
    assert cfg.labels.path == Path("/tmp/l.csv")
    assert set(LabelsSchema.model_fields) >= {"path", "name", "kind", "lon", "lat", "x", "y"}


def test_demo_has_synthetic_town_labels():
    from geo.build.places import open_place

    demo = open_place("demo")
    labels = demo.tables["place_labels"]
    assert sorted(labels["name"]) == sorted(
        ["Ashby", "Brindlewick", "Calderholme", "Dunmere", "Elmsworth", "Farrowgate"]
    )
    assert "synthetic demo data" in demo.attribution_text().lower()
    trace = place_labels(demo)
    assert trace.uid == PLACE_LABELS_UID and trace.mode == "none"
    # a town named like a footprint is written once, by the footprint's label
    shown = sorted(set(labels["name"]) - set(demo.footprint_names))
    assert shown and sorted(trace.text) == shown


def test_exports_carry_the_names_as_annotations():
    from geo.build.places import open_place
    from layers.snapshot import snapshot_figure
    from layers.static import PLACE_NAME

    demo = open_place("demo")
    fig = snapshot_figure(demo)
    names = [a.text for a in fig.layout.annotations if a.name == PLACE_NAME]
    towns = set(demo.tables["place_labels"]["name"]) - set(demo.footprint_names)
    assert towns and sorted(names) == sorted(f"<i>{n}</i>" for n in towns)
