"""Coverage per band, minutes-to-nearest indicators, and the Wigan road-distance validation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from shapely.geometry import Point

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.indicators.profile import profile_table
from geo.network.access import access_table, coverage, weighted_area_points, with_access_indicators
from geo.network.isochrones import isochrones
from geo.network.travel import area_point_method, area_points, is_approximate, nearest_minutes
from geo.place.config import load_config
from tests.support.osm import write_network_place
from tests.support.tiny import X0, Y0
from tests.support.wigan import write_wigan_config


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    return build_place(load_config(write_network_place(tmp_path_factory.mktemp("access"))))


def hub() -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(X0 + 500, Y0 + 500)], crs="EPSG:27700")


def test_coverage_by_point_counts_areas_whose_point_is_reached(place):
    got = coverage(place, hub(), minutes=[5, 10, 15]).set_index("minutes")
    # area points are the square centres: A01 (500,500) is the hub, A02 (1500,500) is 1000 m
    # (12.5 min) along Main Street; every other centre is more than 1200 m away by street
    assert got["population"].tolist() == [1100.0, 1100.0, 1100.0 + 1200.0]
    assert got["children"].tolist() == [210.0, 210.0, 430.0]
    assert got["areas"].tolist() == [1.0, 1.0, 2.0]
    total = sum(1000 + 100 * i for i in range(1, 13))
    assert got.loc[15.0, "population_share"] == pytest.approx(2300 / total, abs=1e-4)
    assert set(got["apportion"]) == {"point"} and not got["approximate"].any()
    assert "events" not in got  # sensitive counts are left out


def test_coverage_by_area_overlap(place):
    bands = isochrones(place, hub(), minutes=[5], buffer_m=50)
    got = coverage(place, hub(), minutes=[5], apportion="area", bands=bands)
    # the 5-minute band is 800 m of street buffered by 50 m, all inside A01 (1 km²)
    share = bands.geometry.iloc[0].area / 1e6
    assert 0.0855 < share < 0.0879  # 800 x 100 m plus two caps
    assert got["population"].iat[0] == pytest.approx(1100 * share, abs=0.1)
    with pytest.raises(InputError, match="unknown apportion method"):
        coverage(place, hub(), minutes=[5], apportion="centroid")


def test_minutes_to_kind_indicator_works_like_any_other(place):
    out = with_access_indicators(place, ["school"])
    assert "minutes_to_school" not in place.areas  # the shared place is not changed
    minutes = out.areas["minutes_to_school"]
    # A01/A02 centres are schools S1/S2; A03 (2500,500): 1000 m to S2 (S3 via the footway is 2000 m);
    # A04 (3500,500): S4 just outside the east edge, 500 m along + 500 m leg
    assert minutes[["A01", "A02"]].tolist() == pytest.approx([0, 0], abs=1e-3)
    assert minutes[["A03", "A04"]].tolist() == pytest.approx([12.5, 12.5], abs=1e-3)
    ind = out.catalogue["minutes_to_school"]
    assert (ind.kind, ind.weight, ind.unit, ind.higher_is) == (
        "mean",
        "population",
        "minutes",
        "worse",
    )
    assert "road network" in ind.description
    prof = profile_table(out).set_index("footprint")
    west = out.areas[out.areas["footprint"] == "West"]
    expected = np.average(west["minutes_to_school"], weights=west["population"])
    assert prof.loc["West", "minutes_to_school"] == pytest.approx(expected, rel=1e-6)
    drive = with_access_indicators(place, ["school"], mode="drive")
    assert "minutes_to_school_by_drive" in drive.catalogue
    with pytest.raises(InputError, match="unknown site kind 'clinic'"):
        with_access_indicators(place, ["clinic"])


def test_access_table(place):
    table = access_table(place, "school").set_index("code")
    assert table.loc["A04", "nearest_site_id"] == "S4"
    assert table.loc["A04", "nearest_site_name"] == "Outside"
    assert table.loc["A03", "minutes_to_school"] == pytest.approx(12.5, abs=1e-3)
    assert set(table["method"]) == {"network"}
    assert set(table["area_point"]) == {"representative"}


def test_weighted_area_points_mean_of_points_inside():
    areas = gpd.GeoDataFrame(
        {"geometry": [Point(0, 0).buffer(100), Point(1000, 0).buffer(100), Point(5000, 0).buffer(10)]},
        index=pd.Index(["A", "B", "C"], name="code"), crs=27700,
    )  # fmt: skip
    pts = gpd.GeoSeries([Point(10, 0), Point(30, 20), Point(1000, 50), Point(3000, 0)], crs=27700)
    got = weighted_area_points(areas, pts).set_index("code")
    assert got.loc["A", ["x", "y", "points"]].tolist() == [20.0, 10.0, 2]
    assert got.loc["B", ["x", "y"]].tolist() == [1000.0, 50.0]
    assert "C" not in got.index


@pytest.mark.shared_data
def test_wigan_crowfly_distance_to_primary_school_tracks_mhclg_road_distance(wigan_dir, tmp_path):
    config = write_wigan_config(wigan_dir, tmp_path)
    assert 'weight_points = "postcodes"' in config.read_text(encoding="utf-8")
    wigan = build_place(load_config(config))
    assert is_approximate(wigan)
    assert area_point_method(wigan) == "population-weighted"
    schools = wigan.sites[wigan.sites["phase"].astype(str).str.contains("Primary", na=False)]
    assert len(schools) >= 100
    speed = 4.8
    minutes, _ = nearest_minutes(wigan, area_points(wigan), schools.geometry, mode="walk")
    km = minutes * speed / 60  # crowfly x detour, back in km
    mhclg = wigan.areas["road_km_primary_school"]
    ok = mhclg.notna().to_numpy()
    assert ok.sum() == 200
    rho = spearmanr(km[ok], mhclg.to_numpy()[ok]).statistic
    print(f"Spearman(crowfly x 1.3 from population-weighted points, MHCLG road km) = {rho:.3f}")
    assert rho >= 0.7
    # the same from representative points is weaker: the weighting matters
    rep = wigan.areas.geometry.representative_point()
    km_rep = nearest_minutes(wigan, rep, schools.geometry, mode="walk")[0] * speed / 60
    assert spearmanr(km_rep[ok], mhclg.to_numpy()[ok]).statistic < rho
    # crowfly x detour is a reasonable scale for the road distance (median ratio near 1)
    assert 0.7 < np.median(km[ok] / mhclg.to_numpy()[ok]) < 1.5
