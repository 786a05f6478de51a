"""A saved scenario on a map (layers.scenario): hubs where they were saved, catchments that
are the saved assignment dissolved, and a note when the scenario's areas are not all there."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Point

from geo.build.places import open_place
from geo.errors import InputError
from geo.siting.plan import run_plan
from geo.siting.scenarios import Scenario, from_result
from layers.geometry import display_geometries
from layers.scenario import (
    CATCHMENTS_UID,
    HUBS_UID,
    catchment_outlines,
    empty_scenario_traces,
    scenario_traces,
)


@pytest.fixture(scope="module")
def demo_plan():
    place = open_place("demo")
    plan = run_plan(place, objective="coverage", hubs=4, minutes=15.0, curve_to=0)
    scenario = from_result(
        "Four hubs", plan.result, mode="walk", params=plan.params, candidates=plan.candidates
    )
    return place, plan, scenario


def _rings(lons: list) -> int:
    return 1 + sum(v is None for v in lons)


def test_hubs_and_catchments_of_a_saved_plan(demo_plan):
    place, plan, scenario = demo_plan
    traces, notes = scenario_traces(place, scenario)
    assert [t.uid for t in traces] == [CATCHMENTS_UID, HUBS_UID]
    hubs = traces[1]
    assert sorted(hubs.customdata) == sorted(plan.result.selected)
    pts = plan.candidates.loc[list(hubs.customdata)].geometry.to_crs(4326)
    assert list(hubs.lon) == pytest.approx(list(pts.x), abs=1e-5)
    assert list(hubs.lat) == pytest.approx(list(pts.y), abs=1e-5)
    lines = traces[0]
    assert _rings(list(lines.lon)) >= len(plan.result.selected)
    # every catchment outline vertex lies on the boundary of that hub's areas: take one hub,
    # check its own outline's first vertex is on the union of its areas
    area_hub = scenario.results["area_hub"]
    geoms = display_geometries(place, "areas")
    hub = sorted({h for h in area_hub.values() if h})[0]
    mine = shapely.union_all([geoms[c] for c, h in area_hub.items() if h == hub])
    assert mine.boundary.distance(Point(lines.lon[0], lines.lat[0])) < 1e-6
    assert "Scenario 'Four hubs': 4 proposed hub(s)" in notes[0]
    assert "hubs and catchments" in notes[0] and "not in" not in notes[0]


def test_areas_missing_from_the_place_are_said(demo_plan):
    place, _, scenario = demo_plan
    results = dict(scenario.results)
    results["area_hub"] = {**results["area_hub"], "E01999999": next(iter(scenario.hubs))}
    other = Scenario(
        name="Old areas", objective="coverage", hubs=scenario.hubs, results=results, minutes=15
    )
    _, _, missing = catchment_outlines(place, other)
    assert missing == 1
    _, notes = scenario_traces(place, other)
    assert "1 area(s) of the scenario are not in" in notes[0]


def test_hubs_by_site_id_without_points_and_none_found():
    place = open_place("demo")
    site = str(place.sites["site_id"].iloc[0])
    traces, notes = scenario_traces(place, Scenario(name="Ids", objective="median", hubs=[site]))
    assert [t.uid for t in traces] == [HUBS_UID] and list(traces[0].customdata) == [site]
    assert "hubs (as saved)" in notes[0]
    with pytest.raises(InputError, match="no hub locations"):
        scenario_traces(place, Scenario(name="None", objective="median", hubs=["nowhere"]))


def test_placeholders_share_the_uids_and_draw_nothing():
    empty = empty_scenario_traces()
    assert [t.uid for t in empty] == [CATCHMENTS_UID, HUBS_UID]
    assert all(len(t.lon) == 0 and t.showlegend is False for t in empty)
