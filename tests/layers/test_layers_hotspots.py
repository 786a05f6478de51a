"""Hot-spot traces state the method and colour each class."""

from __future__ import annotations

import numpy as np

from geo.clusters.hotspots import COLD, HOT, NOT_SIGNIFICANT, hotspots
from layers.hotspots import CLASS_COLOURS, default_hotspots, hotspot_trace, overlay_traces
from tests.support.grid_place import grid_place


def planted():
    rng = np.random.default_rng(3)
    v = rng.normal(10, 1, size=(12, 12))
    v[2:6, 2:6] += 6
    v[7:11, 7:11] -= 6
    return grid_place({"need_index": v}, means=("need_index",))


def test_trace_classes_colours_and_method():
    place = planted()
    result = hotspots(place, indicator="need_index", permutations=999)
    trace = hotspot_trace(place, result)
    ticks = list(trace.colorbar.ticktext)
    assert ticks[:3] == [HOT, COLD, NOT_SIGNIFICANT]
    # each area's z picks the colour of its class
    scale = trace.colorscale
    n = len(ticks)
    for code, z in zip(trace.locations, trace.z, strict=True):
        cls = result.table.loc[code, "cls"]
        assert ticks[z] == cls
        assert scale[2 * z][1] == CLASS_COLOURS[cls]
    assert trace.zmin == -0.5 and trace.zmax == n - 0.5
    assert "Getis-Ord Gi*" in trace.name and "FDR 5%" in trace.name
    assert "Getis-Ord Gi*" in trace.hovertemplate
    sig = hotspot_trace(place, result, significant_only=True)
    assert len(sig.locations) == int((result.table["cls"] != NOT_SIGNIFICANT).sum()) > 0


def test_overlay_uses_the_need_index_and_caches():
    place = planted()
    traces = overlay_traces(place)
    assert len(traces) == 1 and "need index" in traces[0].name
    assert default_hotspots(place) is default_hotspots(place)
    assert overlay_traces(grid_place({"population": np.ones((3, 3))})) == []
