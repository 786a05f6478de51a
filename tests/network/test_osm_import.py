"""Reading network sources: hand-written OSM XML (plain, bz2, pbf), GraphML, GeoPackage, osm-online."""

from __future__ import annotations

import bz2

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely

from geo.errors import InputError
from geo.network import osm as osm_import
from geo.network.osm import read_network
from tests.support.osm import write_test_osm
from tests.support.tiny import X0, Y0

CRS = "EPSG:27700"


def _lengths(edges) -> list[float]:
    return sorted(np.round(edges["length_m"].to_numpy(), 2).tolist())


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory):
    return write_test_osm(tmp_path_factory.mktemp("osm") / "net.osm")


def test_unsimplified_osm_keeps_every_node_and_exact_lengths(osm_file):
    nodes, edges = read_network(str(osm_file), crs=CRS, options={"simplify": False})
    # building outline and its nodes are gone; 13 highway nodes remain
    assert len(nodes) == 13
    assert "building" not in set(edges["highway"])
    # Main Street 500+500+1000+1000+1000, High Road 3000+1000, Mill Lane 1500, footway 1000,
    # one-way 500, isolated 200: one row per segment, not per direction.
    assert _lengths(edges) == [
        200.0,
        500.0,
        500.0,
        500.0,
        1000.0,
        1000.0,
        1000.0,
        1000.0,
        1000.0,
        1500.0,
        3000.0,
    ]
    oneway = edges[edges["oneway"]]
    assert len(oneway) == 1 and oneway["length_m"].iat[0] == pytest.approx(500.0, abs=0.01)
    first = edges[(edges["highway"] == "primary")].geometry.iloc[0]
    assert first.coords[0][1] == pytest.approx(Y0 + 2000, abs=0.01)


def test_simplified_osm_merges_non_junction_nodes(osm_file):
    _nodes, edges = read_network(str(osm_file), crs=CRS)
    main = edges[edges["highway"] == "residential"]
    # Main Street: nodes at x = 500 and 1000 are not junctions, so 0..2000 becomes one edge
    assert 2000.0 in _lengths(main)
    assert shapely.get_num_coordinates(main.geometry).max() == 4


def test_bz2_and_pbf_give_the_same_network(osm_file, tmp_path):
    plain = _lengths(read_network(str(osm_file), crs=CRS)[1])
    packed = tmp_path / "net.osm.bz2"
    packed.write_bytes(bz2.compress(osm_file.read_bytes()))
    assert _lengths(read_network(str(packed), crs=CRS)[1]) == plain
    import osmium

    pbf = tmp_path / "net.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_file)):
            writer.add(obj)
    assert pbf.read_bytes()[:4] != b"<?xm"
    assert _lengths(read_network(str(pbf), crs=CRS)[1]) == pytest.approx(plain, abs=0.01)


def test_graphml_and_geopackage_exports_of_osmnx(osm_file, tmp_path):
    graph = ox.graph_from_xml(osm_file, simplify=False, retain_all=True)
    ox.save_graphml(graph, tmp_path / "net.graphml")
    ox.save_graph_geopackage(graph, tmp_path / "net.gpkg")
    expected = _lengths(read_network(str(osm_file), crs=CRS, options={"simplify": False})[1])
    assert _lengths(read_network(str(tmp_path / "net.graphml"), crs=CRS)[1]) == pytest.approx(
        expected, abs=0.01
    )
    assert _lengths(read_network(str(tmp_path / "net.gpkg"), crs=CRS)[1]) == pytest.approx(
        expected, abs=0.01
    )


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("bad.osm", "<osm><node id='1' lat='53' lon='-2'></osm", "cannot read OpenStreetMap XML"),
        ("empty.osm", "", "cannot read OpenStreetMap"),
        ("nohighway.osm", None, "no highways"),
        ("net.shp.txt", "x", "unsupported network source"),
        ("missing.osm", "MISSING", "network file not found"),
    ],
)
def test_bad_sources_name_the_problem(tmp_path, name, content, pattern):
    path = tmp_path / name
    if content is None:
        write_test_osm(path, ways=[(1, [20, 21, 22, 20], {"building": "yes"})])
    elif content != "MISSING":
        path.write_text(content)
    with pytest.raises(InputError, match=pattern) as err:
        read_network(str(path), crs=CRS)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_osm_online_downloads_once_then_uses_the_cache(osm_file, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE", str(tmp_path / "cache"))
    calls = []

    def fake_graph_from_polygon(polygon, **kwargs):
        calls.append((polygon, kwargs))
        return ox.graph_from_xml(osm_file, simplify=False, retain_all=True)

    monkeypatch.setattr(ox, "graph_from_polygon", fake_graph_from_polygon)
    boundary = shapely.box(X0, Y0, X0 + 4000, Y0 + 3000)
    _nodes, edges = read_network(
        "osm-online", crs=CRS, boundary=boundary, options={"buffer_m": 500}
    )
    assert len(calls) == 1
    polygon, kwargs = calls[0]
    assert kwargs["network_type"] == "all"
    # the requested polygon (WGS84) covers the boundary plus the buffer
    lon0, lat0, lon1, lat1 = polygon.bounds
    assert -2.1 < lon0 < lon1 < -1.9 and 52.5 < lat0 < lat1 < 52.7
    cached = osm_import.online_cache_path(boundary, buffer_m=500.0)
    assert cached.exists()
    again = read_network("osm-online", crs=CRS, boundary=boundary, options={"buffer_m": 500})
    assert len(calls) == 1
    assert _lengths(again[1]) == pytest.approx(_lengths(edges), abs=0.01)


def test_osm_online_failure_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE", str(tmp_path / "cache"))

    def offline(polygon, **kwargs):
        raise ConnectionError("no internet")

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    with pytest.raises(
        InputError, match=r"downloading the OpenStreetMap network failed.*ConnectionError"
    ):
        read_network("osm-online", crs=CRS, boundary=shapely.box(X0, Y0, X0 + 10, Y0 + 10))


def test_graph_tables_drop_reverse_copies_only():
    graph = nx.MultiDiGraph(crs=CRS)
    graph.add_node(1, x=X0, y=Y0)
    graph.add_node(2, x=X0 + 100, y=Y0)
    graph.add_edge(1, 2, highway="residential", oneway=False, reversed=False)
    graph.add_edge(2, 1, highway="residential", oneway=False, reversed=True)
    graph.add_edge(2, 1, highway="service", oneway=True, reversed=False)  # a separate one-way
    _, edges = osm_import.graph_tables(graph, crs=CRS, path="g")
    assert sorted(edges["highway"]) == ["residential", "service"]
    assert edges.set_index("highway").loc["service", "oneway"]
