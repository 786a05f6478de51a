"""Shared-boundary contiguity: rook (not queen), islands attached and reported, speed-safe."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.build.places import open_place
from geo.clusters.contiguity import components, is_contiguous, rook_contiguity
from geo.errors import InputError
from tests.support.graphs import shapely_rook


def squares(cells: dict[str, tuple[int, int]], side: float = 1000.0) -> gpd.GeoSeries:
    """Unit squares at grid positions (column, row), indexed by code, EPSG:27700."""
    geoms = [box(400_000 + c * side, 300_000 + r * side, 400_000 + (c + 1) * side, 300_000 + (r + 1) * side)
             for c, r in cells.values()]  # fmt: skip
    return gpd.GeoSeries(geoms, index=list(cells), crs=27700)


def test_rook_not_queen_on_a_grid():
    # 3x3 grid: the centre touches 4 by edges and 4 by corners only
    cells = {f"c{c}{r}": (c, r) for r in range(3) for c in range(3)}
    con = rook_contiguity(squares(cells))
    nb = con.to_dict()
    assert sorted(nb["c11"]) == ["c01", "c10", "c12", "c21"]
    assert sorted(nb["c00"]) == ["c01", "c10"]
    assert con.islands == [] and con.links == []
    # shared boundary length is stored (1 km)
    i, j = con.codes.get_loc("c00"), con.codes.get_loc("c10")
    assert con.matrix[i, j] == pytest.approx(1000.0)


def test_islands_are_attached_to_the_nearest_area_and_reported():
    cells = {"a": (0, 0), "b": (1, 0), "c": (0, 1), "far": (5, 0), "corner": (2, 1)}
    con = rook_contiguity(squares(cells))
    # "corner" only touches "b" at a point: an island under rook contiguity
    assert sorted(con.islands) == ["corner", "far"]
    linked = {a: b for a, b, _ in con.links}
    assert linked["corner"] == "b"
    assert linked["far"] == "corner"  # 2 km away; "b" is 3 km away
    assert con.to_dict()["far"] == ["corner"]
    # the graph is connected after the links
    assert len(components(list(range(con.n)), con)) == 1
    text = "\n".join(con.report())
    assert "far" in text and "attached to nearest area" in text


def test_cut_off_group_is_linked():
    cells = {"a": (0, 0), "b": (1, 0), "x": (4, 0), "y": (5, 0)}
    con = rook_contiguity(squares(cells))
    assert con.islands == []
    assert len(con.links) == 1
    a, b, dist = con.links[0]
    assert {a, b} == {"b", "x"} and dist == pytest.approx(2000.0)
    assert is_contiguous(list(range(4)), con)


def test_matches_an_independent_shapely_adjacency_on_the_demo():
    place = open_place("demo")
    con = rook_contiguity(place.areas.geometry)
    ours = {k: set(v) for k, v in con.to_dict().items()}
    assert ours == shapely_rook(place.areas)
    assert con.islands == []


def test_bad_input():
    with pytest.raises(InputError, match="no areas"):
        rook_contiguity(gpd.GeoSeries([], crs=27700))
    with pytest.raises(InputError, match="projected"):
        rook_contiguity(gpd.GeoSeries([box(0, 0, 1, 1)], index=["a"], crs=4326))
