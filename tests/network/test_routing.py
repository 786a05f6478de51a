"""Travel times on the network: exact hand-computed times, snapping legs, directions, crowfly fallback."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point

from geo.build.pipeline import build_place
from geo.network.graph import MPH, mode_graph
from geo.network.routing import seconds_matrix, seconds_to_nearest, snap
from geo.network.travel import is_approximate, nearest_minutes, travel_time_matrix
from geo.place.config import load_config
from tests.support.osm import write_network_place
from tests.support.tiny import X0, Y0

WALK_M_PER_MIN = 4800 / 60


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    return build_place(load_config(write_network_place(tmp_path_factory.mktemp("routing"))))


def pts(*xy: tuple[float, float]) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in xy], crs="EPSG:27700")


def test_walk_times_along_the_street_and_off_network_leg(place):
    assert not is_approximate(place)
    hub = pts((500, 500))
    dest = pts((1100, 500), (1100, 600), (2000, 1500), (0, 500))
    got = travel_time_matrix(place, hub, dest, mode="walk")[0]
    # 600 m along; 600 m + 100 m leg; 1500 m + 1000 m footway; 500 m west
    assert got == pytest.approx(np.array([600, 700, 2500, 500]) / WALK_M_PER_MIN, abs=1e-3)


def test_same_segment_and_limit(place):
    got = travel_time_matrix(place, pts((1200, 500)), pts((1800, 500), (1300, 500)), mode="walk")
    assert got[0] == pytest.approx([600 / WALK_M_PER_MIN, 100 / WALK_M_PER_MIN], abs=1e-3)
    limited = travel_time_matrix(
        place, pts((1200, 500)), pts((1800, 500), (1300, 500)), mode="walk", limit_minutes=5
    )
    assert np.isinf(limited[0, 0]) and limited[0, 1] == pytest.approx(
        100 / WALK_M_PER_MIN, abs=1e-3
    )


def test_drive_uses_edge_speeds_and_avoids_footways(place):
    got = travel_time_matrix(place, pts((0, 500)), pts((3000, 2000), (2000, 1500)), mode="drive")[0]
    residential = 20 * MPH * 0.7 / 3.6  # m/s: 20 mph default x urban factor
    lane = 30 * MPH * 0.7 / 3.6
    assert got[0] == pytest.approx((3000 / residential + 1500 / lane) / 60, rel=1e-6)
    # the footway's end snaps to the nearest drivable street, High Road 500 m north (not Main
    # Street 1000 m south): round by Mill Lane, back 1000 m at 60 mph, then the 500 m leg at
    # the drive mode's configured speed (30 km/h)
    primary = 60 * MPH / 3.6
    expected = 3000 / residential + 1500 / lane + 1000 / primary + 500 / (30 / 3.6)
    assert got[1] == pytest.approx(expected / 60, rel=1e-6)


def test_matrix_orientation_and_nearest_agree(place):
    rng = np.random.default_rng(4)
    a = pts(*rng.uniform((0, 0), (4000, 3000), (7, 2)))
    b = pts(*rng.uniform((0, 0), (4000, 3000), (3, 2)))
    for mode in ("walk", "drive"):
        ab = travel_time_matrix(place, a, b, mode=mode)  # runs from b on the reversed graph
        ba = travel_time_matrix(place, b, a, mode=mode)
        g = mode_graph(place, mode)
        forward = seconds_matrix(g, snap(g, np.c_[a.x, a.y]), snap(g, np.c_[b.x, b.y])) / 60
        # fewer destinations -> reversed search; forced forward search must agree
        many = seconds_matrix(g, snap(g, np.c_[a.x, a.y][:1]), snap(g, np.c_[b.x, b.y])) / 60
        assert np.allclose(forward[:1], many)
        assert np.allclose(ab, forward)
        if mode == "walk":
            assert np.allclose(ab, ba.T)
        near, which = nearest_minutes(place, a, b, mode=mode)
        assert np.allclose(near, ab.min(axis=1))
        assert (which == ab.argmin(axis=1)).all()


def test_matches_networkx_on_node_to_node_routes(place):
    g = mode_graph(place, "walk")
    graph = nx.Graph()
    for u, v, s in zip(g.edge_u, g.edge_v, g.sec_fwd, strict=True):
        if not graph.has_edge(u, v) or graph[u][v]["w"] > s:
            graph.add_edge(int(u), int(v), w=float(s))
    nodes = sorted(graph.nodes)
    xy = g.node_xy[nodes]
    s = snap(g, xy)
    ours = seconds_matrix(g, s, s)
    for i, u in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(graph, u, weight="w")
        assert ours[i] == pytest.approx([lengths[v] for v in nodes], abs=1e-4)


def test_seconds_to_nearest_returns_which_target(place):
    g = mode_graph(place, "walk")
    targets = snap(g, np.array([[X0 + 500, Y0 + 500], [X0 + 3000, Y0 + 500]]))
    origins = snap(g, np.array([[X0 + 1000, Y0 + 500], [X0 + 2800, Y0 + 500]]))
    sec, which = seconds_to_nearest(g, origins, targets)
    assert which.tolist() == [0, 1]
    assert sec * 4.8 / 3.6 == pytest.approx([500, 200], abs=1e-3)


def test_crowfly_fallback_without_network(place):
    crowfly = dataclasses.replace(
        place, tables={}, meta={**place.meta, "network_source": "crowfly"}
    )
    assert is_approximate(crowfly)
    got = travel_time_matrix(crowfly, pts((0, 0)), pts((3000, 4000)), mode="walk")
    assert got[0, 0] == pytest.approx(5000 * 1.3 / WALK_M_PER_MIN)


def _random_graph(rng, n=60, k=110):
    """A random street graph with one-way streets, parallel edges, loops and long chains."""
    xy = rng.uniform(0, 3000, (n, 2))
    u = rng.integers(0, n, k)
    v = rng.integers(0, n, k)
    # long chains of degree-2 nodes
    chain = np.arange(n, n + 40)
    xy = np.vstack([xy, rng.uniform(0, 3000, (40, 2))])
    u = np.concatenate([u, [0], chain[:-1], [chain[-1]]])
    v = np.concatenate([v, [chain[0]], chain[1:], [5]])
    length = np.hypot(*(xy[u] - xy[v]).T) + 1.0
    fwd = rng.random(len(u)) < 0.9
    bwd = rng.random(len(u)) < 0.7
    fwd |= ~bwd
    return xy, u, v, length, fwd, bwd


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_contracted_matrix_equals_full_graph(seed):
    """The contracted graph gives the same times as the full graph (random one-way graphs)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geo.network.graph import ModeGraph
    from geo.network.routing import seconds_matrix_full

    rng = np.random.default_rng(seed)
    xy, u, v, length, fwd, bwd = _random_graph(rng)
    nodes = pd.DataFrame({"node_id": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1]})
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "length_m": length, "walk": True, "cycle": True, "drive_fwd": fwd,
         "drive_bwd": bwd, "drive_kmh": rng.uniform(10, 60, len(u))},
        geometry=shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)), crs=27700,
    )  # fmt: skip
    edges = edges[edges["u"] != edges["v"]].reset_index(drop=True)
    g = ModeGraph.from_tables(nodes, edges, mode="drive", speed_kmh=30)
    pts = rng.uniform(0, 3000, (25, 2))
    a, b = snap(g, pts[:12]), snap(g, pts[12:])
    # also points exactly on chain segments, several per segment
    on = np.array(
        [
            shapely.get_coordinates(shapely.line_interpolate_point(g.geoms[i], f, normalized=True))[
                0
            ]
            for i in rng.integers(0, len(g.geoms), 10)
            for f in (0.2, 0.7)
        ]
    )
    c = snap(g, on)
    for src, dst in ((a, b), (b, a), (c, c), (a, c), (c, b)):
        full = seconds_matrix_full(g, src, dst)
        fast = seconds_matrix(g, src, dst)
        assert np.array_equal(np.isinf(full), np.isinf(fast))
        assert np.allclose(full[np.isfinite(full)], fast[np.isfinite(fast)], rtol=1e-9, atol=1e-4)
        near, which = seconds_to_nearest(g, src, dst)
        assert np.allclose(near, full.min(axis=1), atol=1e-4, equal_nan=True) or np.array_equal(
            np.isinf(near), np.isinf(full.min(axis=1))
        )
        ok = np.isfinite(near)
        assert np.allclose(near[ok], full.min(axis=1)[ok], atol=1e-4)
        assert np.allclose(full[np.flatnonzero(ok), which[ok]], near[ok], atol=1e-4)
        limited = seconds_matrix(g, src, dst, limit_s=300)
        assert np.array_equal(np.isfinite(limited), full <= 300)
