"""Shared page state: opening places safely and reading the query string."""

from __future__ import annotations

import pytest

from geo.build.places import open_place
from hubplan.pages import _state
from hubplan.pages._state import (
    build_search,
    open_place_safe,
    page_href,
    parse_choice,
    parse_footprint,
    parse_indicator,
    parse_layers,
    parse_view,
)


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty data/places folder, with the demo as the default place."""
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    monkeypatch.setitem(_state._fallback_default, "spec", "demo")
    return tmp_path


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def test_default_and_known_place(places, demo):
    place, notice = open_place_safe(None)
    assert notice is None and place is demo
    place, notice = open_place_safe("demo")
    assert notice is None and place is demo


def test_unknown_place_falls_back_with_a_notice(places, demo):
    place, notice = open_place_safe("atlantis")
    assert place is demo
    assert "Unknown place 'atlantis'" in notice


def test_a_url_cannot_open_arbitrary_files(places, demo, tmp_path):
    elsewhere = tmp_path.parent / "secret.gpkg"
    place, notice = open_place_safe(str(elsewhere))
    assert place is demo and "Unknown place" in notice


def test_broken_bundle_names_the_file(places, demo):
    bad = places / "broken.gpkg"
    bad.write_bytes(b"this is not a geopackage")
    keys = [c["value"] for c in _state.place_choices()]
    assert keys == ["demo", "broken"]
    place, notice = open_place_safe("broken")
    assert place is demo
    assert "Could not open place file broken.gpkg" in notice and str(places) not in notice


def test_broken_default_place_falls_back_to_the_demo(places, demo, monkeypatch):
    bad = places / "broken.gpkg"
    bad.write_bytes(b"nope")
    monkeypatch.setitem(_state._fallback_default, "spec", str(bad))
    place, notice = open_place_safe(None)
    assert place is demo and "default place file" in notice and "broken.gpkg" in notice


def test_default_place_comes_from_the_serving_app(places):
    from flask import Flask

    server = Flask("x")
    _state.set_default_place("/some/where/wigan.gpkg", server)
    with server.app_context():
        assert _state.default_place_spec() == "/some/where/wigan.gpkg"
        assert "wigan" in [c["value"] for c in _state.place_choices()]
    _state.set_default_place("demo")


def test_parse_indicator(demo):
    assert parse_indicator(demo, "lac_rate") == ("lac_rate", None)
    key, notice = parse_indicator(demo, "bogus")
    assert key == demo.default_indicator == "imd_score"
    assert "Unknown indicator 'bogus'" in notice
    assert parse_indicator(demo, None) == ("imd_score", None)
    assert parse_indicator(demo, ["ae_rate", "lac_rate"]) == ("ae_rate", None)


def test_parse_footprint(demo):
    name = demo.footprint_names[1]
    assert parse_footprint(demo, name) == (name, None)
    assert parse_footprint(demo, "") == (None, None)
    fp, notice = parse_footprint(demo, "Nowhere")
    assert fp is None and "'Nowhere'" in notice


def test_parse_layers():
    allowed = ["areas", "footprints", "sites-school"]
    assert parse_layers(None, allowed, ["areas"]) == (["areas"], None)
    assert parse_layers("", allowed, ["areas"]) == ([], None)
    assert parse_layers("sites-school,areas", allowed, []) == (["areas", "sites-school"], None)
    keep, notice = parse_layers(["areas,zzz", "footprints"], allowed, [])
    assert keep == ["areas", "footprints"] and "'zzz'" in notice


def test_parse_view_and_choice():
    assert parse_view("53.5", "-2.6", "11") == ({"lat": 53.5, "lon": -2.6}, 11.0, None)
    centre, zoom, notice = parse_view("999", "x", "3")
    assert centre is None and zoom == 3.0 and "lat" in notice and "lon" in notice
    assert parse_view(None, None, None) == (None, None, None)
    assert parse_choice("osm", ["none", "osm"], "none", what="basemap") == ("osm", None)
    value, notice = parse_choice("mapbox", ["none", "osm"], "none", what="basemap")
    assert value == "none" and "Unknown basemap 'mapbox'" in notice


def test_build_search_and_page_href():
    assert build_search({"place": "demo", "layers": ["a", "b"], "zoom": 10.5, "x": None}) == (
        "?place=demo&layers=a,b&zoom=10.5"
    )
    assert build_search({}) == ""
    assert page_href("/profile/Ashby North", "demo") == "/profile/Ashby%20North?place=demo"


def test_current_place_key(places, demo, tmp_path_factory):
    from geo.build.pipeline import build_bundle
    from tests.support.tiny import write_tiny_place

    assert _state.current_place_key(demo) == "demo"
    build_bundle(write_tiny_place(tmp_path_factory.mktemp("tiny")), places / "tiny.gpkg")
    tiny = open_place(places / "tiny.gpkg")
    assert _state.current_place_key(tiny) == "tiny"
    place, notice = open_place_safe("tiny")
    assert notice is None and place is tiny
