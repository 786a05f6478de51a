"""A real OpenStreetMap extract clipped at a bounding box builds, and its walking times match
an independent osmnx computation on the same data (osmnx's own bounding-box truncation of the
complete file).

The shared Leeds extract (``../shared/data/osm``) is complete; it is clipped here the way
extract services clip: nodes outside a box are dropped, ways keep naming them.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import box

from geo.build.pipeline import build_place
from geo.network.osm import pbf_to_xml
from geo.network.travel import travel_time_matrix
from geo.place.config import load_config
from tests.conftest import require_shared_data

# Inside the extract (lon -1.5688..-1.5481, lat 53.8047..53.8124).
WEST, SOUTH, EAST, NORTH = -1.5650, 53.8060, -1.5510, 53.8110
WALK_KMH = 4.8
NOT_WALKABLE = {"motorway", "motorway_link", "construction", "proposed", "raceway", "bus_guideway"}


def _clip(full_xml: Path, out: Path) -> int:
    """Drop nodes outside the box (ways untouched); return how many ways now name missing nodes."""
    tree = ET.parse(full_xml)
    root = tree.getroot()
    kept = set()
    for node in list(root.findall("node")):
        lat, lon = float(node.get("lat")), float(node.get("lon"))
        if WEST <= lon <= EAST and SOUTH <= lat <= NORTH:
            kept.add(node.get("id"))
        else:
            root.remove(node)
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return sum(
        any(nd.get("ref") not in kept for nd in way.findall("nd")) for way in root.findall("way")
    )


def _walkable(data: dict) -> bool:
    """An independent, plain reading of OSM walking access."""

    def first(v):
        return v[0] if isinstance(v, list) else v

    highway, foot, access = (
        first(data.get("highway")),
        first(data.get("foot")),
        first(data.get("access")),
    )
    if highway is None or highway in NOT_WALKABLE or foot == "no":
        return False
    return not (access in ("no", "private") and foot not in ("yes", "designated", "permissive"))


@pytest.fixture(scope="module")
def clipped(tmp_path_factory):
    shared = require_shared_data().parent / "osm" / "leeds_its_example.osm.pbf"
    if not shared.exists():
        pytest.skip(f"{shared} not found")
    folder = tmp_path_factory.mktemp("clipped")
    full = folder / "full.osm"
    pbf_to_xml(shared, full)
    cut = _clip(full, folder / "clipped.osm")
    assert cut > 0, "the box must cut some ways for this test to mean anything"

    # The place: 4 x 3 grid of areas over the box, in British National Grid.
    outline = gpd.GeoSeries([box(WEST, SOUTH, EAST, NORTH)], crs=4326).to_crs(27700).iloc[0]
    xmin, ymin, xmax, ymax = outline.bounds
    dx, dy = (xmax - xmin) / 4, (ymax - ymin) / 3
    cells = [box(xmin + i * dx, ymin + j * dy, xmin + (i + 1) * dx, ymin + (j + 1) * dy)
             for j in range(3) for i in range(4)]  # fmt: skip
    codes = [f"L{k:02d}" for k in range(len(cells))]
    gpd.GeoDataFrame({"code": codes}, geometry=cells, crs=27700).to_file(folder / "areas.geojson")
    (folder / "place.toml").write_text(
        'name = "Leeds ITS clipped"\n[areas]\npath = "areas.geojson"\ncode = "code"\n'
        '[network]\nsource = "clipped.osm"\nsimplify = false\n',
        encoding="utf-8",
    )
    place = build_place(load_config(folder / "place.toml"))
    return place, full, cut


def test_clipped_extract_builds_and_reports_the_cut_ways(clipped):
    place, _, cut = clipped
    messages = [f.message for f in place.findings]
    reported = [m for m in messages if "a clipped extract" in m]
    assert len(reported) == 1, messages
    assert f"network: {cut:,} way(s) named nodes missing from clipped.osm" in reported[0]
    assert len(place.tables["network_edges"]) > 100


def test_walking_times_match_an_independent_osmnx_computation(clipped):
    import osmnx as ox

    place, full, _ = clipped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ox.graph_from_xml(full, bidirectional=True, simplify=False, retain_all=True)
        graph = ox.truncate.truncate_graph_bbox(graph, (WEST, SOUTH, EAST, NORTH))
    walk = nx.Graph()
    for u, v, data in graph.edges(data=True):
        if _walkable(data):
            length = float(data["length"])
            if not walk.has_edge(u, v) or walk[u][v]["length"] > length:
                walk.add_edge(u, v, length=length)
    largest = max(nx.connected_components(walk), key=len)

    rng = np.random.default_rng(13)
    ids = sorted(largest)
    origins = [ids[i] for i in rng.choice(len(ids), 6, replace=False)]
    targets = [ids[i] for i in rng.choice(len(ids), 25, replace=False)]
    expected = np.array(
        [[nx.shortest_path_length(walk, o, t, weight="length") for t in targets] for o in origins]
    ) / (WALK_KMH * 1000 / 60)

    def points(node_ids):
        lonlat = [(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in node_ids]
        return gpd.GeoSeries(gpd.points_from_xy(*zip(*lonlat, strict=True)), crs=4326).to_crs(
            place.crs
        )

    got = travel_time_matrix(place, points(origins), points(targets), mode="walk")
    assert np.isfinite(got).all()
    # Lengths: great circle (osmnx) vs British National Grid (scale factor ~0.9997 at Leeds).
    np.testing.assert_allclose(got, expected, rtol=0.005, atol=0.05)
    assert expected.max() > 5  # real walks, not neighbours
