"""Optional overlays: placeholders until a provider exists; built-in cluster outlines."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from geo.build.places import open_place
from layers import overlays


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def test_cluster_table_by_area_code_is_drawn(place):
    clusters = pd.DataFrame(
        {
            "code": place.areas.index,
            "cluster": ["C1" if i % 2 else "C2" for i in range(len(place.areas))],
        }
    )
    with_clusters = dataclasses.replace(place, tables={"clusters": clusters})
    traces = overlays.cluster_outlines(with_clusters)
    assert sorted(t.name for t in traces) == ["C1", "C2"]
    assert overlays.cluster_outlines(dataclasses.replace(place, tables={})) == []


def test_placeholder_without_a_provider(place, monkeypatch):
    monkeypatch.setitem(
        overlays.OVERLAYS,
        "no_such_overlay",
        overlays.Overlay("no_such_overlay", "Nothing", "not available yet"),
    )
    assert overlays.overlay_traces(place, "no_such_overlay") == []


def test_overlay_uids_are_namespaced(place, monkeypatch):
    import plotly.graph_objects as go

    monkeypatch.setitem(
        overlays.OVERLAYS,
        "demo_overlay",
        overlays.Overlay(
            "demo_overlay",
            "Demo",
            "n/a",
            lambda p: [go.Scattermap(lon=[0], lat=[0]) for _ in range(2)],
        ),
    )
    traces = overlays.overlay_traces(place, "demo_overlay")
    assert [t.uid for t in traces] == ["overlay-demo_overlay-0", "overlay-demo_overlay-1"]


def test_registered_provider_is_used_and_failures_are_contained(place, monkeypatch):
    import plotly.graph_objects as go

    monkeypatch.setitem(overlays.OVERLAYS, "hotspots", overlays.OVERLAYS["hotspots"])
    overlays.register_overlay("hotspots", lambda p: [go.Scattermap(lon=[0], lat=[0])])
    assert len(overlays.overlay_traces(place, "hotspots")) == 1

    def broken(p):
        raise RuntimeError("engine failed")

    overlays.register_overlay("hotspots", broken)
    assert overlays.overlay_traces(place, "hotspots") == []
