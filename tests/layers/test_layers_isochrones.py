"""Isochrone traces: one filled trace per band, largest first, nested colours, hover counts."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.build.pipeline import build_place
from geo.network.access import coverage
from geo.network.isochrones import isochrones
from geo.place.config import load_config
from layers.isochrones import BAND_COLOURS, band_colour, hub_markers, isochrone_traces
from tests.support.osm import write_network_place
from tests.support.tiny import X0, Y0


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    return build_place(load_config(write_network_place(tmp_path_factory.mktemp("layer"))))


def test_traces_largest_first_with_counts(place):
    hubs = gpd.GeoSeries([Point(X0 + 500, Y0 + 500)], crs=27700, index=["S1"])
    bands = isochrones(place, hubs, minutes=[5, 10, 15])
    cover = coverage(place, hubs, minutes=[5, 10, 15])
    traces = isochrone_traces(bands, cover)
    assert [t.uid for t in traces] == ["isochrone-15", "isochrone-10", "isochrone-5"]
    assert [t.name for t in traces] == ["≤ 15 min", "≤ 10 min", "≤ 5 min"]
    colours = [t.colorscale[0][1] for t in traces]
    assert colours[-1] == BAND_COLOURS[0] and len(set(colours)) == 3  # nearest darkest
    assert "Within 15 min by walk" in traces[0].hovertemplate
    total = place.areas["population"].sum()
    assert f"People reached: 2,300 ({2300 / total:.0%})" in traces[0].hovertemplate
    # geometry in WGS84, closing the exact 10-minute cut (X0 + 1350 m east)
    lon = max(
        c[0] for ring in traces[1].geojson["features"][0]["geometry"]["coordinates"] for c in ring
    )
    assert -2.0 < lon < -1.9
    quiet = isochrone_traces(bands, None, clickthrough=True)
    assert all(t.hoverinfo == "skip" for t in quiet)
    marker = hub_markers(place, hubs, ["Hub one"])
    assert list(marker.customdata) == ["S1"] and list(marker.text) == ["Hub one"]


def test_approximate_bands_say_so(place):
    import dataclasses

    crowfly = dataclasses.replace(
        place, tables={}, meta={**place.meta, "network_source": "crowfly"}
    )
    bands = isochrones(crowfly, gpd.GeoSeries([Point(X0 + 500, Y0 + 500)], crs=27700), minutes=[10])
    trace = isochrone_traces(bands, pd.DataFrame())[0]
    assert "(approximate)" in trace.hovertemplate and trace.name.endswith("(approx.)")


def test_band_colour_spreads_over_the_scale():
    assert band_colour(0, 1) == BAND_COLOURS[1]
    assert [band_colour(i, 2) for i in range(2)] == [BAND_COLOURS[0], BAND_COLOURS[-1]]


def test_overlay_for_the_map_page(place):
    import dataclasses

    from layers.isochrones import overlay_traces
    from layers.overlays import overlay_traces as page_overlay

    # the tiny place has only schools: the bands start from them (as on Wigan, issue 14)
    schools = overlay_traces(place)
    assert len(schools) == 4 and schools[0].name.startswith("≤ 20 min walk to schools")
    bare = dataclasses.replace(place, sites=place.sites.iloc[0:0])
    assert overlay_traces(bare) == []  # no sites at all: no overlay

    sites = place.sites.copy()
    sites.loc[sites["site_id"] == "S1", "kind"] = "family_hub"
    hubbed = dataclasses.replace(place, sites=sites)
    traces = page_overlay(hubbed, "isochrones")
    assert len(traces) == 4 and all(t.hoverinfo == "skip" for t in traces)
    assert traces[0].name == "≤ 20 min walk to family hubs"
    again = overlay_traces(hubbed)
    assert [t.uid for t in again] == ["isochrone-20", "isochrone-15", "isochrone-10", "isochrone-5"]
