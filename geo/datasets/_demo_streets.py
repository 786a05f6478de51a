"""A deterministic synthetic street network for the demo borough (synthetic demo data).

Realistic enough to benchmark routing on (tens of thousands of nodes), not a real place:

* each town gets a slightly irregular street grid (rotated, jittered, some links missing,
  some streets bent through a middle node), with every eighth street a 30 mph secondary road;
* footpaths cut diagonally across some town blocks;
* A-roads (primary, 30 mph in towns and 50 mph outside) join the towns along a spanning tree
  plus a few extra links, with junctions to the nearby town streets;
* a coarse web of rural lanes (national speed limit), some of them bridleways, joins it all.

Written as a GeoPackage in the layout of :func:`osmnx.save_graph_geopackage`: layer ``nodes``
(``osmid``, point) and layer ``edges`` (``u``, ``v``, ``highway``, ``maxspeed``, ``oneway``,
``name``, LineString), EPSG:27700.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import cKDTree

CRS = "EPSG:27700"
TOWN_SPACING_M = 82.0
TOWN_EXTENT_SIGMAS = 2.1
RURAL_SPACING_M = 750.0
A_ROAD_STEP_M = 110.0
LANE_STEP_M = 180.0


class _Builder:
    def __init__(self) -> None:
        self.xy: list[np.ndarray] = []
        self.n = 0
        self.edges: list[tuple[np.ndarray, np.ndarray, str, list[str] | str, str]] = []

    def nodes(self, xy: np.ndarray) -> np.ndarray:
        ids = np.arange(self.n, self.n + len(xy))
        self.xy.append(np.asarray(xy, float))
        self.n += len(xy)
        return ids

    def link(self, u, v, *, highway, maxspeed="", name="") -> None:
        u, v = np.atleast_1d(np.asarray(u, np.int64)), np.atleast_1d(np.asarray(v, np.int64))
        self.edges.append((u, v, highway, maxspeed, name))

    def path(
        self, points: np.ndarray, *, start: int | None = None, end: int | None = None, **tags
    ) -> np.ndarray:
        """Nodes along ``points`` (ends may reuse existing nodes) joined in a chain."""
        inner = self.nodes(points[1:-1] if len(points) > 2 else np.empty((0, 2)))
        first = self.nodes(points[:1])[0] if start is None else start
        last = self.nodes(points[-1:])[0] if end is None else end
        chain = np.concatenate([[first], inner, [last]])
        self.link(chain[:-1], chain[1:], **tags)
        return chain


def _town_grid(
    b: _Builder, rng: np.random.Generator, towns: Sequence, outline, owner_fn
) -> np.ndarray:
    """Street grids for every town; returns the ids of all town nodes."""
    ids_all = []
    for ti, t in enumerate(towns):
        extent = TOWN_EXTENT_SIGMAS * t.sigma
        k = int(extent // TOWN_SPACING_M) + 1
        theta = rng.uniform(0, np.pi / 2)
        i, j = np.meshgrid(np.arange(-k, k + 1), np.arange(-k, k + 1), indexing="ij")
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        local = np.column_stack([i.ravel(), j.ravel()]) * TOWN_SPACING_M
        xy = local @ rot.T + [t.x, t.y]
        xy += rng.normal(0, 9.0, xy.shape)
        # Organic edge: the town's reach wobbles with direction.
        ang = np.arctan2(xy[:, 1] - t.y, xy[:, 0] - t.x)
        wobble = (
            1
            + 0.18 * np.sin(3 * ang + rng.uniform(0, 6.3))
            + 0.1 * np.cos(5 * ang + rng.uniform(0, 6.3))
        )
        r = np.hypot(xy[:, 0] - t.x, xy[:, 1] - t.y)
        keep = (r <= extent * wobble) & shapely.contains_xy(outline, xy[:, 0], xy[:, 1])
        keep &= owner_fn(xy) == ti
        grid_id = np.full(len(xy), -1)
        grid_id[keep] = b.nodes(xy[keep])
        ids_all.append(grid_id[keep])
        gid = grid_id.reshape(i.shape)
        for axis in (0, 1):
            a = gid[:-1, :] if axis == 0 else gid[:, :-1]
            c = gid[1:, :] if axis == 0 else gid[:, 1:]
            line = (j[:-1, :] if axis == 0 else i[:, :-1]) % 8 == 0
            ok = (a >= 0) & (c >= 0)
            drop = rng.random(a.shape) < 0.09
            ok &= ~drop | line
            u, v, main = a[ok], c[ok], line[ok]
            bend = (rng.random(len(u)) < 0.45) & ~main
            for flag, hw, ms in ((main, "secondary", "30 mph"), (~main & ~bend, "residential", "")):
                b.link(u[flag], v[flag], highway=hw, maxspeed=ms)
            # bent streets: a middle node pushed sideways
            bu, bv = u[bend], v[bend]
            all_xy = np.concatenate(b.xy)
            p, q = all_xy[bu], all_xy[bv]
            mid = (p + q) / 2
            normal = (q - p)[:, ::-1] * [1, -1] / TOWN_SPACING_M
            mid += normal * rng.normal(0, 8.0, (len(mid), 1))
            m = b.nodes(mid)
            b.link(np.concatenate([bu, m]), np.concatenate([m, bv]), highway="residential")
        # footpaths across some blocks
        a, c = gid[:-1, :-1], gid[1:, 1:]
        ok = (a >= 0) & (c >= 0) & (rng.random(a.shape) < 0.05)
        b.link(a[ok], c[ok], highway="footway")
    return np.concatenate(ids_all)


def _curve(
    p: np.ndarray, q: np.ndarray, rng: np.random.Generator, step: float, amp: float
) -> np.ndarray:
    n = max(2, int(np.hypot(*(q - p)) // step) + 1)
    s = np.linspace(0, 1, n)[:, None]
    pts = p + (q - p) * s
    normal = (q - p)[::-1] * [1, -1] / max(np.hypot(*(q - p)), 1)
    bow = (
        np.sin(np.pi * s) * rng.uniform(-amp, amp)
        + np.sin(3 * np.pi * s) * rng.uniform(-amp, amp) / 3
    )
    return pts + normal * bow


def write_demo_streets(path: Path, *, outline, towns: Sequence, seed: int) -> Path:
    """Write the demo street network for ``outline`` and ``towns`` (objects with x, y, sigma).

    Returns ``path``. The same inputs always give the same network.
    """
    rng = np.random.default_rng([seed, 2])
    b = _Builder()
    centres = np.array([[t.x, t.y] for t in towns], float)
    sigmas = np.array([t.sigma for t in towns], float)

    def owner(xy: np.ndarray) -> np.ndarray:
        d = np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1])
        return np.argmin(d / sigmas, axis=1)

    town_ids = _town_grid(b, rng, towns, outline, owner)
    town_xy = np.concatenate(b.xy)[town_ids]
    town_tree = cKDTree(town_xy)

    # A-roads: spanning tree between towns plus the two shortest extra links.
    d = np.hypot(
        centres[:, None, 0] - centres[None, :, 0], centres[:, None, 1] - centres[None, :, 1]
    )
    mst = minimum_spanning_tree(d).toarray() > 0
    pairs = {tuple(sorted(p)) for p in zip(*np.nonzero(mst), strict=True)}
    extra = sorted(
        (d[i, j], i, j)
        for i in range(len(towns))
        for j in range(i + 1, len(towns))
        if (i, j) not in pairs
    )
    pairs |= {(i, j) for _, i, j in extra[:2]}
    a_chains = []
    for n, (i, j) in enumerate(sorted(pairs)):
        pts = _curve(centres[i], centres[j], rng, A_ROAD_STEP_M, 600.0)
        inside = (
            np.min(
                np.hypot(pts[:, None, 0] - centres[:, 0], pts[:, None, 1] - centres[:, 1]) / sigmas,
                axis=1,
            )
            < 1.6
        )
        town = inside[:-1] | inside[1:]
        limits = np.where(town, "30 mph", "50 mph").tolist()
        chain = b.path(pts, highway="primary", maxspeed=limits, name=f"A{570 + n}")
        a_chains.append(chain)
    a_ids = np.concatenate(a_chains)
    a_xy = np.concatenate(b.xy)[a_ids]
    dist, near = town_tree.query(a_xy)
    ok = dist < 70
    b.link(a_ids[ok], town_ids[near[ok]], highway="tertiary", maxspeed="30 mph")

    # Rural lanes: a jittered coarse web outside the towns.
    x0, y0, x1, y1 = outline.bounds
    gx, gy = np.meshgrid(
        np.arange(x0, x1 + 1, RURAL_SPACING_M),
        np.arange(y0, y1 + 1, RURAL_SPACING_M),
        indexing="ij",
    )
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-200, 200, (gx.size, 2))
    town_dist = np.min(
        np.hypot(xy[:, None, 0] - centres[:, 0], xy[:, None, 1] - centres[:, 1]) / sigmas, axis=1
    )
    keep = shapely.contains_xy(outline, xy[:, 0], xy[:, 1]) & (
        town_dist > TOWN_EXTENT_SIGMAS * 0.95
    )
    rid = np.full(len(xy), -1)
    rid[keep] = b.nodes(xy[keep])
    grid = rid.reshape(gx.shape)
    all_xy = np.concatenate(b.xy)
    for a, c in ((grid[:-1, :], grid[1:, :]), (grid[:, :-1], grid[:, 1:])):
        ok = (a >= 0) & (c >= 0) & (rng.random(a.shape) < 0.85)
        for u, v in zip(a[ok], c[ok], strict=True):
            kind = rng.random()
            hw, ms = ("bridleway", "") if kind < 0.15 else ("unclassified", "national")
            b.path(
                _curve(all_xy[u], all_xy[v], rng, LANE_STEP_M, 60.0),
                start=u,
                end=v,
                highway=hw,
                maxspeed=ms,
            )
    # Lanes into the towns and onto the A-roads.
    rural = rid[rid >= 0]
    all_xy = np.concatenate(b.xy)
    dist, near = town_tree.query(all_xy[rural])
    ok = dist < RURAL_SPACING_M * 1.2
    for u, v in zip(rural[ok], town_ids[near[ok]], strict=True):
        b.path(
            _curve(all_xy[u], all_xy[v], rng, LANE_STEP_M, 40.0),
            start=u,
            end=v,
            highway="unclassified",
            maxspeed="national",
        )
    dist, near = cKDTree(a_xy).query(all_xy[rural])
    ok = dist < 450
    b.link(rural[ok], a_ids[near[ok]], highway="unclassified", maxspeed="national")

    xy = np.round(np.concatenate(b.xy), 1)
    counts = [len(e[0]) for e in b.edges]

    def column(i: int) -> np.ndarray:
        return np.concatenate([
            np.asarray(e[i], dtype=object) if isinstance(e[i], list) else np.full(c, e[i], dtype=object)
            for e, c in zip(b.edges, counts, strict=True)
        ])  # fmt: skip

    edges = pd.DataFrame({
        "u": np.concatenate([e[0] for e in b.edges]), "v": np.concatenate([e[1] for e in b.edges]),
        "highway": column(2), "maxspeed": column(3), "name": column(4),
    })  # fmt: skip
    edges = edges[edges["u"].to_numpy() != edges["v"].to_numpy()]
    edges = edges.drop_duplicates(["u", "v"]).reset_index(drop=True)
    lines = shapely.linestrings(
        np.stack([xy[edges["u"].to_numpy()], xy[edges["v"].to_numpy()]], axis=1)
    )
    nodes = gpd.GeoDataFrame(
        {"osmid": np.arange(len(xy), dtype="int64") + 1}, geometry=shapely.points(xy), crs=CRS
    )
    edges = gpd.GeoDataFrame(
        {
            "u": edges["u"].to_numpy(np.int64) + 1,
            "v": edges["v"].to_numpy(np.int64) + 1,
            "highway": edges["highway"].astype(str).to_numpy(),
            "maxspeed": edges["maxspeed"].astype(str).to_numpy(),
            "oneway": np.zeros(len(edges), bool),
            "name": edges["name"].astype(str).to_numpy(),
        },
        geometry=lines,
        crs=CRS,
    )
    path = Path(path)
    path.unlink(missing_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for layer, frame in (("nodes", nodes), ("edges", edges)):
            pyogrio.write_dataframe(
                frame, path, layer=layer, driver="GPKG", layer_options={"SPATIAL_INDEX": "NO"}
            )
    return path
