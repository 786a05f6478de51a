"""Site markers: one trace per kind, distinct styles, informative hover."""

from __future__ import annotations

import pytest

from geo.build.places import open_place
from layers.sites import kind_label, site_markers


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def test_one_trace_per_kind_with_distinct_colours(place):
    traces = site_markers(place)
    assert len(traces) == len(place.site_kinds)
    assert len({t.marker.color for t in traces}) == len(traces)
    counts = place.sites["kind"].value_counts()
    for t in traces:
        kind = next(k for k in place.site_kinds if t.name.startswith(kind_label(k)))
        assert len(t.lon) == counts[kind]
        assert t.name == f"{kind_label(kind)} ({counts[kind]})"


def test_school_hover_shows_name_kind_phase_and_type(place):
    (schools,) = [t for t in site_markers(place, ["school"])]
    row = place.sites[place.sites["kind"] == "school"].iloc[0]
    text = schools.text[0]
    assert row["name"] in text and "School" in text
    assert f"Phase: {row['phase']}" in text and f"Type: {row['type']}" in text


def test_kinds_filter(place):
    traces = site_markers(place, ["family_hub", "no_such_kind"])
    assert [t.uid for t in traces] == ["sites-family_hub"]


def test_kind_label():
    assert kind_label("childrens_centre") == "Children's centre"
    assert kind_label("youth_club") == "Youth club"
