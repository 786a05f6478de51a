"""The map page's offline "roads" basemap and dashboard exports drawn on the basemap on
screen (issue 14): the roads when they are shown, tiles only when online tiles are chosen."""

from __future__ import annotations

import dataclasses

import pytest

from geo.build.places import open_place
from hubplan.web import create_app


@pytest.fixture(scope="module")
def home():
    create_app()  # pages register once an app exists
    import importlib

    return importlib.import_module("hubplan.pages.home")


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def _roads(fig: dict, index: dict) -> list:
    return [fig["data"][i]["visible"] for i in index["roads"]]


def test_roads_basemap_toggles_the_road_traces(home, place):
    layers = home.default_layers(place)
    fig, index = home.build_figure(place, "imd_score", None, layers, "none", None, None)
    assert len(index["roads"]) == 2
    assert {fig["data"][i]["uid"] for i in index["roads"]} == {"roads-streets", "roads-major"}
    assert _roads(fig, index) == [False, False]
    # the road lines are sent only when roads are chosen (the page stays light)
    assert all(not fig["data"][i]["lon"] for i in index["roads"])
    fig, index = home.build_figure(place, "imd_score", None, layers, "roads", None, None)
    assert _roads(fig, index) == [True, True]
    assert all(len(fig["data"][i]["lon"]) > 100 for i in index["roads"])
    assert fig["layout"]["map"]["layers"] == []  # no tiles: works offline
    state = {"place": "demo", "indicator": "imd_score", "footprint": None, "layers": layers,
             "basemap": "none"}  # fmt: skip
    patch, *_ = home.update_view("imd_score", None, layers, "roads", index, state,
                                 trigger="home-basemap")  # fmt: skip
    ops = patch.to_plotly_json()["operations"]
    shown = {
        tuple(op["location"]): op["params"]["value"] for op in ops if op["operation"] == "Assign"
    }
    for i in index["roads"]:
        assert shown[("data", i, "visible")] is True
        assert len(shown[("data", i, "lon")]) > 100


def test_roads_offered_only_with_a_network(home, place):
    from layers.base import basemap_choices

    assert "roads" in basemap_choices(place)
    bare = dataclasses.replace(place, tables={})
    assert "roads" not in basemap_choices(bare)
    assert basemap_choices(bare)[0] == "none"


@pytest.mark.parametrize(
    ("basemap", "roads", "tiles"),
    [("none", False, False), ("roads", True, False), ("osm", False, True)],
)
def test_dashboard_export_uses_the_basemap_on_screen(home, monkeypatch, basemap, roads, tiles):
    from hubplan.pages import _export
    from layers import static

    seen = []

    def fake_bytes(fig, **_kw):
        seen.append(fig)
        return b"x"

    monkeypatch.setattr(static, "figure_to_bytes", fake_bytes)
    state = {"place": "demo", "indicator": "imd_score", "layers": ["areas", "footprints"],
             "basemap": basemap}  # fmt: skip
    data, message = _export.render_export("png", state, {})
    assert data is not None, message
    (fig,) = seen
    uids = {t.uid for t in fig.data}
    assert ({"roads-streets", "roads-major"} <= uids) is roads
    assert bool(fig.layout.map.layers) is tiles


def test_no_data_legend_entry_on_the_map_page(home, place):
    """Grey areas get a legend entry "No data (N areas)" that follows the indicator."""
    holed = dataclasses.replace(place, areas=place.areas.copy())
    holed.areas.loc[holed.areas.index[:5], "imd_score"] = float("nan")
    layers = home.default_layers(holed)
    fig, index = home.build_figure(holed, "imd_score", None, layers, "none", None, None)
    entry = fig["data"][index["nodata"]]
    assert entry["name"] == "No data (5 areas)" and entry["showlegend"] is True
    assert index["nodata"] in index["layers"]["areas"]  # hidden with the areas layer
    fig, index = home.build_figure(holed, "children_0_4", None, layers, "none", None, None)
    assert fig["data"][index["nodata"]]["showlegend"] is False
