"""Footprint-set and school-cluster traces."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from geo.build.places import open_place
from geo.clusters.footprint_sets import compare_footprint_sets
from geo.clusters.regionalize import regionalize
from geo.clusters.school_clusters import school_clusters
from layers.clusters import (
    balance_figure,
    changed_areas_trace,
    compactness_figure,
    footprint_set_fill,
    footprint_set_outlines,
    overlay_traces,
    school_cluster_traces,
)


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


@pytest.fixture(scope="module")
def designed(demo):
    return regionalize(demo, k=5, balance="children_0_17").assignment


def test_fill_colours_each_footprint_once(demo, designed):
    trace = footprint_set_fill(demo, designed, title="Designed")
    assert isinstance(trace, go.Choroplethmap)
    assert list(trace.locations) == list(demo.areas.index)
    # every area of one footprint has the same z, different footprints different z
    z = dict(zip(trace.locations, trace.z, strict=True))
    by_fp = {}
    for code, name in designed.items():
        by_fp.setdefault(name, set()).add(z[code])
    assert all(len(v) == 1 for v in by_fp.values())
    assert len({next(iter(v)) for v in by_fp.values()}) == 5
    assert trace.customdata[0][1] == designed.iloc[0]


def test_outlines_and_changed(demo, designed):
    outlines = footprint_set_outlines(demo, designed, title="Designed")
    assert sorted(t.name for t in outlines) == sorted(designed.unique())
    assert all(-3 < min(x for x in t.lon if x is not None) < -1 for t in outlines)  # WGS84
    cmp = compare_footprint_sets(demo, demo.areas["footprint"], designed, balance="children_0_17")
    changed = changed_areas_trace(demo, cmp.changed["code"].tolist())
    assert len(changed.locations) == len(cmp.changed)
    assert f"({len(cmp.changed)})" in changed.name
    bal = balance_figure(cmp)
    assert [t.name for t in bal.data] == ["current", "designed"]
    assert sum(len(t.x) for t in bal.data) == 7 + 5
    comp = compactness_figure(cmp)
    assert "Polsby-Popper" in comp.layout.title.text


def test_school_cluster_traces(demo):
    result = school_clusters(demo, by="hub")
    traces = school_cluster_traces(demo, result)
    names = [t.name for t in traces]
    assert names[0] == "School cluster"
    assert f"Schools by cluster ({len(result.schools)})" in names
    assert any(n.startswith("Cluster hubs") for n in names)
    schools = next(t for t in traces if t.name.startswith("Schools"))
    # schools of the same cluster share a colour
    colour = {}
    for c, col in zip(result.schools["cluster"], schools.marker.color, strict=True):
        assert colour.setdefault(c, col) == col


def test_overlay_prefers_saved_sets(demo, designed):
    from geo.clusters.footprint_sets import add_footprint_set
    from geo.place._edit import copy_place

    traces = overlay_traces(demo)  # no saved set: school clusters around the family hubs
    assert any(t.name.startswith("Schools by cluster") for t in traces)
    place = add_footprint_set(copy_place(demo), "five", designed)
    traces = overlay_traces(place)
    assert len(traces) == 5 and all(isinstance(t, go.Scattermap) for t in traces)
    assert traces[0].legendgrouptitle.text == "Designed footprints (five)"
