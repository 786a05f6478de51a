"""Saved footprint sets on the map page (issue 15): ``?set=NAME`` draws the map, its footprint
list, panel, callbacks and exports through the set; links switch between the sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.clusters.footprint_sets import save_footprint_set
from geo.place.bundle import read_place
from tests.support.bundles import demo_copy


def halves(place) -> pd.Series:
    y = place.areas.geometry.centroid.y
    return pd.Series(np.where(y >= y.median(), "North half", "South half"), index=place.areas.index)


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    save_footprint_set(path, "halves", halves(read_place(path)))
    return path


@pytest.fixture
def home():
    from hubplan.web import create_app

    create_app()
    import importlib

    return importlib.import_module("hubplan.pages.home")


def test_map_page_through_a_saved_set(saved, home, monkeypatch):
    from tests.hubplan.test_pages_profiles import find

    page = home.layout(place="demo-copy", set="halves")
    assert find(page, "home-footprint").options == ["North half", "South half"]
    state = find(page, "home-state").data
    assert state["set"] == "halves"
    fig = find(page, "home-map").figure
    outlines = [t for t in fig["data"] if (t.get("uid") or "").startswith("fpline")]
    labels = next(t for t in fig["data"] if t.get("uid") == "footprint-labels")
    assert sorted(labels["text"]) == ["North half", "South half"]
    assert len(outlines) == 2
    links = find(page, "home-sets")
    assert links is not None and "halves" in str(links.to_plotly_json())

    # the callbacks open the place through the set: a footprint of the set has a panel
    index = find(page, "home-index").data
    _fig, panel, *_rest, new_state = home.update_view(
        state["indicator"], "South half", state["layers"], "none", index, state,
        trigger="home-footprint",
    )  # fmt: skip
    assert "South half" in str(panel) and new_state["set"] == "halves"
    assert "set=halves" in str(panel)  # the profile link keeps the set

    # the export draws the set's footprints
    from hubplan.pages import _export
    from layers import static

    seen = []
    monkeypatch.setattr(static, "figure_to_bytes", lambda fig, **kw: seen.append(fig) or b"x")
    data, message = _export.render_export("png", new_state, {})
    assert data is not None, message
    names = {a.text for a in seen[0].layout.annotations}
    assert "<b>South half</b>" in names  # zoomed to it, named as the set names it
    assert not {"<b>Ashby North</b>", "<b>Dunmere</b>"} & names  # not the current footprints


def test_unknown_set_is_a_notice_and_current_footprints(saved, home):
    from tests.hubplan.test_pages_profiles import find

    page = home.layout(place="demo-copy", set="nope")
    assert "nope" in str(find(page, "home-notice").to_plotly_json())
    assert "set" not in find(page, "home-state").data
    assert "North half" not in find(page, "home-footprint").options
