"""Contracting degree-2 chains: same times as the full graph on awkward shapes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.network._contraction import contract
from geo.network.graph import ModeGraph
from geo.network.routing import seconds_matrix, seconds_matrix_full, seconds_to_nearest, snap


def graph(xy, u, v, *, fwd=None, bwd=None) -> ModeGraph:
    xy, u, v = np.asarray(xy, float), np.asarray(u), np.asarray(v)
    fwd = np.ones(len(u), bool) if fwd is None else np.asarray(fwd)
    bwd = np.ones(len(u), bool) if bwd is None else np.asarray(bwd)
    nodes = pd.DataFrame({"node_id": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1]})
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "length_m": np.hypot(*(xy[u] - xy[v]).T), "walk": True, "cycle": True,
         "drive_fwd": fwd, "drive_bwd": bwd, "drive_kmh": 36.0},
        geometry=shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)), crs=27700,
    )  # fmt: skip
    return ModeGraph.from_tables(nodes, edges, mode="drive", speed_kmh=36)


def check_same(g: ModeGraph, pts: np.ndarray) -> None:
    s = snap(g, pts)
    full = seconds_matrix_full(g, s, s)
    fast = seconds_matrix(g, s, s)
    assert np.array_equal(np.isinf(full), np.isinf(fast))
    assert np.allclose(full[np.isfinite(full)], fast[np.isfinite(fast)], atol=1e-6)
    near, _ = seconds_to_nearest(g, s, snap(g, pts[:2]))
    assert np.allclose(near, full[:, :2].min(axis=1), atol=1e-6)


def test_square_loop_with_no_junction():
    """A ring of degree-2 nodes only: one node becomes core, times unchanged."""
    xy = [(0, 0), (100, 0), (100, 100), (0, 100)]
    g = graph(xy, [0, 1, 2, 3], [1, 2, 3, 0])
    core = contract(g.edge_u, g.edge_v, g.sec_fwd, g.sec_bwd, g.n)
    assert core.m == 1
    check_same(g, np.array([(50, 0), (100, 60), (10, 100), (0, 30), (100, 100)], float))


def test_one_way_chain_and_parallel_streets():
    # a T: junction 1, a long one-way chain 1-4-5-6 back to a junction at 3, and a parallel pair 0-1
    xy = [(0, 0), (100, 0), (200, 0), (300, 0), (100, 100), (200, 150), (300, 100)]
    u = [0, 0, 1, 2, 1, 4, 5, 6]
    v = [1, 1, 2, 3, 4, 5, 6, 3]
    fwd = [True, True, True, True, True, True, True, True]
    bwd = [True, False, True, True, False, False, False, False]
    g = graph(xy, u, v, fwd=fwd, bwd=bwd)
    core = contract(g.edge_u, g.edge_v, g.sec_fwd, g.sec_bwd, g.n)
    assert core.m < g.n
    pts = np.array([(150, 120), (250, 130), (20, 0), (300, 50), (150, 0), (290, 5)], float)
    check_same(g, pts)
    # against the one-way chain: from (250, 130) back to (150, 120) goes round by the main road
    s = snap(g, pts[:2])
    sec = seconds_matrix(g, s, s)
    assert sec[1, 0] > sec[0, 1]


@pytest.mark.parametrize("seed", range(5))
def test_random_grids(seed):
    rng = np.random.default_rng(seed)
    n = 6
    xy = np.array(
        [
            (i * 100 + rng.normal(0, 5), j * 100 + rng.normal(0, 5))
            for i in range(n)
            for j in range(n)
        ]
    )
    u, v = [], []
    for i in range(n):
        for j in range(n):
            k = i * n + j
            if j + 1 < n and rng.random() < 0.7:
                u.append(k)
                v.append(k + 1)
            if i + 1 < n and rng.random() < 0.7:
                u.append(k)
                v.append(k + n)
    m = len(u)
    g = graph(xy, u, v, fwd=rng.random(m) < 0.9, bwd=rng.random(m) < 0.6)
    check_same(g, rng.uniform(0, 500, (12, 2)))
