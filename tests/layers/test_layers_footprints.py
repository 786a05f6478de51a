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


def _delta_e(a: str, b: str) -> float:
    from coloraide import Color

    return Color(a).delta_e(b, method="2000")


def test_demo_footprint_colours_are_delta_e_20_apart(place):
    import itertools

    colours = [t.line.color for t in footprint_outlines(place)]
    assert len(colours) == len(place.footprint_names)
    for a, b in itertools.combinations(colours, 2):
        assert _delta_e(a, b) >= 20, (a, b)


def test_many_footprints_neighbours_differ():
    import numpy as np

    from layers.footprints import footprint_neighbours, outline_colours
    from tests.support.grid_place import grid_place

    place = grid_place({"people": np.ones((6, 6))})
    areas = place.areas.copy()
    # Twelve footprints of 3 squares each (rows of a 6 x 6 grid cut in halves).
    areas["footprint"] = [f"R{i // 3:02d}" for i in range(len(areas))]
    fps = areas.dissolve("footprint").reset_index()[["footprint", "geometry"]]
    import dataclasses

    many = dataclasses.replace(place, areas=areas, footprints=fps)
    neighbours = footprint_neighbours(many)
    assert "R01" in neighbours["R00"] and "R02" in neighbours["R00"]  # beside and below
    assert "R11" not in neighbours["R00"]
    colours = outline_colours(many)
    for a, others in neighbours.items():
        for b in others:
            assert _delta_e(colours[a], colours[b]) >= 20, (a, b)


def test_selected_footprint_has_a_legend_entry_and_a_view(place):
    from layers.footprints import footprint_view

    name = place.footprint_names[0]
    trace = footprint_highlight(place, name)
    assert trace.showlegend is True and name in trace.name
    assert footprint_highlight(place, None).showlegend is False
    centre, zoom = footprint_view(place, name)
    whole = footprint_view(place, None)
    assert whole is None and footprint_view(place, "Nowhere") is None
    bounds = place.footprints.set_index("footprint").to_crs(4326).loc[name].geometry.bounds
    assert bounds[0] < centre["lon"] < bounds[2] and bounds[1] < centre["lat"] < bounds[3]
    from layers.base import place_view

    assert zoom > place_view(place)[1]
