"""Isochrone bands on a hand-written network with known lengths (walk 4.8 km/h = 80 m/min)."""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.network.isochrones import check_minutes, isochrones
from geo.place.config import load_config
from tests.support.osm import write_network_place
from tests.support.tiny import X0, Y0


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    return build_place(load_config(write_network_place(tmp_path_factory.mktemp("iso"))))


def at(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def hub(x: float = 500, y: float = 500) -> gpd.GeoSeries:
    return gpd.GeoSeries([at(x, y)], crs="EPSG:27700", index=["H"])


@pytest.fixture(scope="module")
def bands(place):
    return isochrones(place, hub(), mode="walk", minutes=[5, 10, 15, 30], buffer_m=50)


def test_point_600m_along_inside_10_minutes_and_land_500m_off_outside(bands):
    ten = bands.set_index("minutes").geometry.loc[10.0]
    assert ten.contains(at(1100, 500))  # 600 m along the road < 800 m
    assert not ten.contains(at(1400, 500))  # 900 m along: beyond 800 m + 50 m buffer
    assert not ten.contains(at(900, 1000))  # 400 m along but 500 m off the road
    assert not ten.contains(at(900, 0))


def test_partial_edge_is_cut_exactly_where_time_runs_out(bands):
    by = bands.set_index("minutes").geometry
    # 10 minutes: 800 m east of the hub (x = 1300) plus the 50 m buffer; west end of the
    # street is x = 0, reached in full
    minx, miny, maxx, maxy = by.loc[10.0].bounds
    assert maxx == pytest.approx(X0 + 1350, abs=0.01)
    assert minx == pytest.approx(X0 - 50, abs=0.01)
    assert (miny, maxy) == pytest.approx((Y0 + 450, Y0 + 550), abs=0.01)
    assert by.loc[5.0].bounds[0] == pytest.approx(X0 + 500 - 400 - 50, abs=0.01)
    # 30 minutes = 2400 m: 1500 m to the footway junction, then 900 of its 1000 m north
    assert by.loc[30.0].bounds[3] == pytest.approx(Y0 + 500 + 900 + 50, abs=0.01)


def test_bands_are_nested_and_not_hulls(bands):
    geoms = bands.geometry.to_numpy()
    for small, big in itertools.pairwise(geoms):
        assert shapely.difference(small, big).area < 1e-6 * small.area
        assert big.area > small.area
    thirty = geoms[-1]
    # between Main Street and the footway is land with no street: a hull would cover it
    assert not thirty.contains(at(1500, 1000))
    assert shapely.convex_hull(thirty).contains(at(1500, 1000))
    # area is the buffered street length: 800 m + 1 km... below 2 x 50 m x total length
    assert thirty.area <= 100 * (2400 + 500 + 900) + np.pi * 50**2


def test_bands_output_columns(bands):
    assert bands["minutes"].tolist() == [5.0, 10.0, 15.0, 30.0]
    assert set(bands["method"]) == {"network"} and not bands["approximate"].any()
    assert bands.crs == "EPSG:27700"
    assert bands.attrs["snap_m"] == [pytest.approx(0.0, abs=1e-3)]  # lon/lat round trip
    assert bands.attrs["warnings"] == []


def test_several_hubs_union(place):
    two = isochrones(place, gpd.GeoSeries([at(500, 500), at(3500, 500)], crs=27700), minutes=[5])
    one = isochrones(place, hub(), minutes=[5])
    assert two.geometry.iloc[0].area == pytest.approx(2 * one.geometry.iloc[0].area, rel=1e-6)


def test_off_network_leg_is_included_and_far_hub_warns(place):
    near = isochrones(place, hub(500, 700), minutes=[5])  # 200 m from Main Street
    geom = near.geometry.iloc[0]
    assert geom.contains(at(500, 650))  # along the leg
    # 5 minutes = 400 m: 200 m leg + 200 m each way along the street
    assert geom.bounds[2] == pytest.approx(X0 + 700 + 50, abs=0.01)
    far = isochrones(place, hub(1500, 3200), minutes=[5, 30])
    assert far.attrs["warnings"] == [
        "hub H is 1,200 m from the nearest walk route; times start with that leg"
    ]
    # 15 minutes of the 30 are spent walking the 1,200 m leg
    assert far.geometry.iloc[0].bounds[1] > Y0 + 3200 - 400 - 51


def test_drive_respects_one_way_and_mode(place):
    drive = isochrones(place, hub(), mode="drive", minutes=[1, 3])
    walk = isochrones(place, hub(), mode="walk", minutes=[1, 3])
    assert drive.geometry.iloc[1].area > walk.geometry.iloc[1].area
    # the footway (x = 2000, north of Main Street) is not driven
    assert not drive.geometry.iloc[1].contains(at(2000, 1000))


@pytest.mark.parametrize(
    ("minutes", "pattern"),
    [("0,5", "must be positive, got 0"), ("10,5", "must be increasing, got 10 then 5"),
     ("5,5", "must be increasing"), ("-3", "must be positive"), ("ten", "must be numbers"), ("", "at least one")],
)  # fmt: skip
def test_bad_minutes(minutes, pattern):
    with pytest.raises(InputError, match=pattern):
        check_minutes(minutes)


def test_unknown_mode_and_bad_buffer(place):
    with pytest.raises(InputError, match="unknown mode 'boat'"):
        isochrones(place, hub(), mode="boat", minutes=[5])
    with pytest.raises(InputError, match="buffer width must be positive"):
        isochrones(place, hub(), minutes=[5], buffer_m=0)


def test_crowfly_bands_are_circles_marked_approximate(place):
    crowfly = dataclasses.replace(
        place, tables={}, meta={**place.meta, "network_source": "crowfly"}
    )
    bands = isochrones(crowfly, hub(2000, 1500), minutes=[5, 10])
    radius = 80 * 5 / 1.3
    assert bands["approximate"].all() and set(bands["method"]) == {"crowfly"}
    assert bands.geometry.iloc[0].area == pytest.approx(np.pi * radius**2, rel=0.01)


def test_buffer_lines_equals_the_union_of_buffers():
    """The fast block-based buffer gives the same polygon as buffering every line (random streets)."""
    from geo.network.isochrones import QUAD_SEGS, buffer_lines

    rng = np.random.default_rng(3)
    # a jittered grid with missing links, dead ends, a crossing without a node and a far stub
    lines = []
    for i in range(8):
        for j in range(8):
            p = np.array([i * 90.0, j * 90.0]) + rng.normal(0, 8, 2)
            if rng.random() < 0.85:
                lines.append(
                    shapely.LineString([p, p + np.array([90 + rng.normal(0, 8), rng.normal(0, 8)])])
                )
            if rng.random() < 0.85:
                lines.append(
                    shapely.LineString([p, p + np.array([rng.normal(0, 8), 90 + rng.normal(0, 8)])])
                )
    lines += [
        shapely.LineString([(-50, 300), (800, 320)]),
        shapely.LineString([(2000, 0), (2100, 50)]),
    ]
    # a large block (holds an inner part at every width) with a cul-de-sac reaching into it,
    # and a long thin block (wide bounding box, too narrow for an inner part at 50 m)
    lines += [
        shapely.LineString([(3000, 0), (3400, 0), (3400, 400), (3000, 400), (3000, 0)]),
        shapely.LineString([(3000, 200), (3250, 210)]),
        shapely.LineString([(4000, 0), (4900, 0), (4900, 60), (4000, 60), (4000, 0)]),
    ]
    lines = np.array(lines, dtype=object)
    for width in (20.0, 50.0, 120.0):
        fast = buffer_lines(lines, width)
        slow = shapely.union_all(shapely.buffer(lines, width, quad_segs=QUAD_SEGS))
        assert fast.is_valid
        assert shapely.symmetric_difference(fast, slow).area < 1e-6 * slow.area
        # never further apart than the arc approximation of a round buffer
        assert shapely.hausdorff_distance(fast.boundary, slow.boundary) < width * (
            1 - np.cos(np.pi / 4 / QUAD_SEGS)
        )
        # land far from any street stays out, for every width
        assert not fast.contains(Point(1500, 1500))
