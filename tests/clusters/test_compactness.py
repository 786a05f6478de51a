"""Compactness measures against shapes with known values."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

from geo.clusters.compactness import convex_hull_ratio, polsby_popper


def test_known_shapes():
    shapes = gpd.GeoSeries(
        [Point(0, 0).buffer(1000, quad_segs=256), box(0, 0, 1000, 1000), box(0, 0, 10000, 100),
         Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])],
        index=["disc", "square", "strip", "ell"], crs=27700,
    )  # fmt: skip
    pp = polsby_popper(shapes)
    assert pp.index.tolist() == shapes.index.tolist()
    assert pp["disc"] == pytest.approx(1.0, abs=1e-3)
    assert pp["square"] == pytest.approx(math.pi / 4)
    assert pp["strip"] == pytest.approx(4 * math.pi * 1e6 / (2 * 10100) ** 2)
    hull = convex_hull_ratio(shapes)
    assert hull["square"] == pytest.approx(1.0)
    assert hull["ell"] == pytest.approx(3 / 3.5)
