"""Footprint outlines, the click layer and the highlight."""

from __future__ import annotations

import pytest

from geo.build.places import open_place
from layers.footprints import footprint_fill, footprint_highlight, footprint_outlines


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def test_footprint_outlines_and_highlight(place):
    traces = footprint_outlines(place, highlight=place.footprint_names[0])
    names = [t.name for t in traces[:-1]]
    assert sorted(names) == place.footprint_names
    assert len({t.line.color for t in traces[:-1]}) == min(len(names), 8)
    assert traces[-1].line.width > traces[0].line.width
    assert list(traces[-1].lon)  # the highlight has coordinates
    assert not list(footprint_highlight(place, None).lon)
    assert not list(footprint_highlight(place, "No such footprint").lon)


def test_fill_is_clickable_but_invisible(place):
    fill = footprint_fill(place)
    assert sorted(fill.locations) == place.footprint_names
    assert all("0.01)" in c for _, c in fill.colorscale)
    assert fill.showscale is False


def test_many_footprints_share_one_legend_line_and_keep_their_names(place, monkeypatch):
    import layers.footprints as fp

    traces = footprint_outlines(place)
    assert all(t.showlegend is not False for t in traces)  # 7 footprints: one line each
    assert [t.meta for t in traces] == [t.name for t in traces]
    monkeypatch.setattr(fp, "LEGEND_MAX_FOOTPRINTS", len(place.footprint_names) - 1)
    many = footprint_outlines(place)
    assert [t.showlegend for t in many] == [True] + [False] * (len(many) - 1)
    assert many[0].name == f"{place.footprint_label}s ({len(many)})"
    assert sorted(t.meta for t in many) == sorted(place.footprint_names)  # clicks still name them
