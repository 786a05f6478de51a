"""The small-area choropleth and the shared map figure."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from layers.areas import area_choropleth, choropleth_values
from layers.base import BASEMAPS, basemap_layers, fit_view, format_value, map_figure
from layers.footprints import footprint_fill, footprint_outlines
from layers.palettes import NO_DATA
from layers.sites import site_markers


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def test_values_and_locations_match_the_areas(place):
    trace = area_choropleth(place, "imd_score")
    assert list(trace.locations) == [str(c) for c in place.areas.index]
    assert np.allclose(trace.z, place.areas["imd_score"].to_numpy(), atol=1e-6)
    assert trace.featureidkey == "id"
    assert {f["id"] for f in trace.geojson["features"]} == set(trace.locations)


def test_hover_names_area_code_footprint_and_value(place):
    trace = area_choropleth(place, "school_readiness")
    code = place.areas.index[3]
    i = list(trace.locations).index(code)
    name, footprint, label = trace.customdata[i]
    assert name == place.areas.at[code, "name"]
    assert footprint == place.areas.at[code, "footprint"]
    assert label == place.footprint_label
    ind = place.catalogue["school_readiness"]
    assert (
        trace.text[i]
        == f"{ind.label}: {format_value(place.areas.at[code, 'school_readiness'], ind)}"
    )
    for token in ("%{customdata[0]}", "%{location}", "%{customdata[1]}", "%{text}"):
        assert token in trace.hovertemplate


def test_colourbar_titled_with_label_unit_and_direction(place):
    trace = area_choropleth(place, "lac_rate")
    title = trace.colorbar.title.text
    ind = place.catalogue["lac_rate"]
    plain = " ".join(re.sub(r"<[^>]+>", " ", title).split())  # the title is wrapped
    assert ind.label in plain and ind.unit in plain and "darker = worse" in plain
    # outside the map (right of it), so it never covers the data (issue 14)
    assert trace.colorbar.x >= 1.0 and trace.colorbar.xanchor == "left"
    assert max(len(re.sub(r"<[^>]+>", "", line)) for line in title.split("<br>")) <= 24


def test_better_indicator_is_reversed(place):
    worse = choropleth_values(place, "imd_score")["colorscale"]
    better = choropleth_values(place, "school_readiness")["colorscale"]
    assert [c for _, c in worse] == [c for _, c in better][::-1]


def test_missing_values_are_grey_and_say_no_data(place):
    copy = place.areas.copy()
    copy.loc[copy.index[:3], "imd_score"] = np.nan
    fake = type(place)(**{**place.__dict__, "areas": copy})
    props = choropleth_values(fake, "imd_score")
    assert props["z"][0] == props["zmin"] < np.nanmin(copy["imd_score"])
    assert props["colorscale"][0][1] == NO_DATA
    assert props["text"][0].endswith("no data")
    assert not any(isinstance(z, float) and math.isnan(z) for z in props["z"])


def test_unknown_indicator_is_an_input_error(place):
    with pytest.raises(InputError, match="unknown indicator 'nope'"):
        area_choropleth(place, "nope")


def test_map_figure_is_offline_safe_and_has_no_mapbox_traces(place):
    fig = map_figure(
        place,
        [
            footprint_fill(place),
            area_choropleth(place, "imd_score"),
            *footprint_outlines(place),
            *site_markers(place),
        ],
    )
    assert fig.layout.map.style == "white-bg"
    assert {t.type for t in fig.data} <= {"choroplethmap", "scattermap"}
    assert not any("mapbox" in t.type for t in fig.data)
    assert fig.data[0].uid == "boundary"
    # The whole place fits: its centre is the view centre.
    minx, miny, maxx, maxy = place.areas.to_crs(4326).total_bounds
    assert fig.layout.map.center.lon == pytest.approx((minx + maxx) / 2, abs=0.01)
    assert fig.layout.map.center.lat == pytest.approx((miny + maxy) / 2, abs=0.01)
    assert len(fig.to_json()) < 1_500_000


def test_tile_basemaps_are_raster_layers_below_the_data(place):
    for key in ("osm", "carto"):
        fig = map_figure(place, [area_choropleth(place, "imd_score")], basemap=key)
        assert fig.layout.map.style == "white-bg"  # a failing tile source cannot blank the map
        (layer,) = fig.layout.map.layers
        assert layer.sourcetype == "raster" and layer.below == "traces"
        assert layer.source[0] == BASEMAPS[key][1] and layer.sourceattribution
    assert basemap_layers("none") == [] and basemap_layers(None) == []


def test_fit_view_zooms_in_for_smaller_extents():
    _, wide = fit_view((-3.0, 53.0, -2.0, 54.0))
    _, narrow = fit_view((-2.6, 53.4, -2.5, 53.5))
    assert narrow == pytest.approx(wide + math.log2(10), abs=0.2)


def test_format_value():
    from geo.place.config import Indicator

    count = Indicator(key="c", label="C", kind="count", unit="children")
    rate = Indicator(key="r", label="R", kind="rate", unit="%")
    assert format_value(12345.4, count) == "12,345 children"
    assert format_value(63.456, rate) == "63.5%"
    assert format_value(float("nan"), rate) == "no data"
    assert format_value(0.12345) == "0.123"
    per = Indicator(key="p", label="P", kind="rate", unit="per 1,000")
    assert format_value(123.4, per) == "123 per 1,000"  # the same figures as profiles and reports
    from geo.indicators.footprint_profile import format_value as profile_format

    assert profile_format(123.4, "per 1,000", kind="rate") == "123"
    assert profile_format(63.456, "%", kind="rate") == "63.5%"


def test_sensitive_small_counts_are_suppressed(place):
    from layers.areas import suppressed_mask

    counts = place.areas["looked_after_children"]
    mask = suppressed_mask(place, "looked_after_children")
    assert mask.any() and (counts[mask] < 5).all() and (counts[~mask].dropna() >= 5).all()
    props = choropleth_values(place, "looked_after_children")
    hidden = np.flatnonzero(mask)
    assert all("suppressed" in props["text"][i] for i in hidden)
    assert all(props["z"][i] == props["zmin"] for i in hidden)
    assert props["zmin"] < counts[~mask].min()
    # A rate built on a sensitive count is hidden wherever the count is.
    assert (suppressed_mask(place, "lac_rate") == mask).all()
    assert not suppressed_mask(place, "imd_score").any()
