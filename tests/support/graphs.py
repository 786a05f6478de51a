"""Independent checks for partitions: rook adjacency straight from shapely, and a plain BFS.

Deliberately does not use ``geo.clusters.contiguity`` so tests of the engines check them against a
separate implementation.
"""

from __future__ import annotations

from collections import deque

import geopandas as gpd
import pandas as pd
import shapely


def shapely_rook(areas: gpd.GeoDataFrame, *, min_shared: float = 1.0) -> dict[str, set[str]]:
    """Neighbours by code: polygons whose boundaries share a line longer than ``min_shared``."""
    codes = [str(c) for c in areas.index]
    geoms = list(areas.geometry)
    tree = shapely.STRtree(geoms)
    adj: dict[str, set[str]] = {c: set() for c in codes}
    for i, g in enumerate(geoms):
        for j in tree.query(g):
            if j <= i:
                continue
            shared = g.boundary.intersection(geoms[j].boundary).length
            if shared > min_shared:
                adj[codes[i]].add(codes[j])
                adj[codes[j]].add(codes[i])
    return adj


def connected(members: set[str], adj: dict[str, set[str]]) -> bool:
    """BFS: is ``members`` one connected piece under ``adj``?"""
    if not members:
        return False
    start = next(iter(members))
    seen = {start}
    queue = deque([start])
    while queue:
        for v in adj[queue.popleft()]:
            if v in members and v not in seen:
                seen.add(v)
                queue.append(v)
    return seen == members


def non_contiguous(assignment: pd.Series, adj: dict[str, set[str]]) -> list[str]:
    """Footprints of ``assignment`` (code -> name) that are not one connected piece."""
    bad = []
    for name, codes in assignment.groupby(assignment).groups.items():
        if not connected({str(c) for c in codes}, adj):
            bad.append(str(name))
    return bad
