"""Display geometry: simplified once per place, EPSG:4326, ids = area codes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.build.places import open_place
from layers.geometry import (
    DISPLAY_TOLERANCE_M,
    display_geojson,
    display_geometries,
    polygon_lines,
    safe_uid,
    simplify_coverage,
)


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def vertex_count(geoms) -> int:
    return int(shapely.get_num_coordinates(np.asarray(geoms)).sum())


def test_feature_ids_are_the_area_codes(place):
    gj = display_geojson(place, "areas")
    assert [f["id"] for f in gj["features"]] == [str(c) for c in place.areas.index]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in gj["features"])


def test_footprint_feature_ids_are_the_names(place):
    gj = display_geojson(place, "footprints")
    assert sorted(f["id"] for f in gj["features"]) == place.footprint_names


def test_coordinates_are_lon_lat(place):
    bounds = display_geometries(place, "areas").total_bounds
    lon_lat = place.areas.to_crs(4326).total_bounds
    assert bounds == pytest.approx(lon_lat, abs=1e-3)


def test_simplification_drops_vertices_and_stays_within_tolerance(place):
    # Displacement is bounded by a small multiple of the tolerance (Visvalingam-Whyatt).
    simple = simplify_coverage(place.areas.geometry, tolerance_m=DISPLAY_TOLERANCE_M)
    assert vertex_count(simple) < vertex_count(place.areas.geometry)
    dist = shapely.hausdorff_distance(simple.to_numpy(), place.areas.geometry.to_numpy())
    assert float(np.max(dist)) < 5 * DISPLAY_TOLERANCE_M


def test_simplified_areas_still_tile_without_gaps_or_overlaps(place):
    simple = simplify_coverage(place.areas.geometry, tolerance_m=50.0)
    union = simple.union_all()
    assert union.area == pytest.approx(simple.area.sum(), rel=1e-6)  # no overlaps
    assert union.area == pytest.approx(place.areas.geometry.union_all().area, rel=2e-3)
    assert simple.is_valid.all()


def test_zero_tolerance_keeps_geometry():
    squares = gpd.GeoSeries([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], crs=27700)
    assert simplify_coverage(squares, tolerance_m=0).equals(squares)


def test_cached_per_place_object(place):
    a = display_geojson(place, "areas")
    assert display_geojson(place, "areas") is a
    assert display_geojson(place, "areas", tolerance_m=5.0) is not a


def test_unknown_layer_is_an_error(place):
    with pytest.raises(ValueError, match="unknown display layer"):
        display_geometries(place, "roads")


def test_polygon_lines_separates_rings_with_none():
    poly = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 1)]])
    lons, lats = polygon_lines(shapely.MultiPolygon([poly]))
    assert lons.count(None) == 2 and lats.count(None) == 2
    assert lons[:5] == [0.0, 4.0, 4.0, 0.0, 0.0]


def test_safe_uid_is_a_css_class():
    assert safe_uid("footprint", 3, "Ashby North: Lower") == "footprint-3-Ashby_North_Lower"
