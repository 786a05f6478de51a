"""Closure and relocation impact: who loses or gains access, checked from first principles."""

from __future__ import annotations

import numpy as np
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.network.travel import area_points, travel_time_matrix
from geo.siting.impact import STATUSES, closure_impact, today_hubs


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def test_closing_a_family_hub_matches_a_direct_computation(demo):
    hubs = today_hubs(demo)
    assert set(hubs["kind"]) == {"family_hub", "childrens_centre"}
    closing = hubs.index[0]
    impact = closure_impact(demo, close=[closing], mode="walk", minutes=15)
    minutes = travel_time_matrix(demo, area_points(demo), hubs.geometry, mode="walk")
    before = minutes.min(axis=1)
    after = np.delete(minutes, 0, axis=1).min(axis=1)
    kids = demo.areas["children_0_4"].fillna(0).to_numpy()
    lose = (before <= 15) & (after > 15)
    areas = impact.areas.set_index("area")
    assert list(areas.index[areas["status"] == STATUSES[0]]) == list(demo.areas.index[lose])
    assert impact.summary["weight_losing"] == pytest.approx(kids[lose].sum())
    assert impact.summary["weight_gaining"] == 0 and impact.summary["areas_gaining"] == 0
    assert (areas["change"].dropna() >= -1e-9).all()  # closing never shortens a journey
    assert impact.summary["weight_losing"] > 0  # the demo's hub serves someone
    deciles = impact.by_decile.set_index("decile")
    assert deciles.loc["All", "weight_losing"] == pytest.approx(kids[lose].sum())
    assert deciles.drop("All")["weight_losing"].sum() == pytest.approx(
        areas.loc[areas["decile"].notna() & lose, "weight"].sum()
    )
    footprints = impact.by_footprint.set_index("footprint")
    assert footprints.drop("All")["weight"].sum() == pytest.approx(kids.sum())


def test_relocation_gains_and_loses(demo):
    hubs = today_hubs(demo)
    closing = hubs.index[0]
    school = demo.sites.loc[demo.sites["kind"] == "school", "site_id"].astype(str).iloc[0]
    impact = closure_impact(demo, close=[closing], open_=[school], mode="walk", minutes=15)
    assert impact.opened == [school]
    gained = impact.areas[impact.areas["status"] == STATUSES[1]]
    assert (gained["minutes_after"] <= 15).all() and (gained["minutes_before"] > 15).all()
    s = impact.summary
    assert s["net_change"] == pytest.approx(s["weight_gaining"] - s["weight_losing"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"close": ["nope"]}, "--close 'nope' is not one of today's hubs"),
        ({"close": [], "open_": []}, "give at least one hub to --close"),
        ({"close": ["FH01"], "open_": ["abc"]}, "is neither a site id"),
        ({"close": ["FH01"], "hubs": "castle"}, "unknown site kind 'castle'"),
        ({"close": ["FH01"], "minutes": -1}, "minutes must be a positive number"),
    ],
)
def test_bad_input_is_one_clear_line(demo, kwargs, message):
    with pytest.raises(InputError, match=message):
        closure_impact(demo, **kwargs)


def test_open_point_outside_the_place_is_refused(demo):
    hub = today_hubs(demo).index[0]
    with pytest.raises(InputError, match="is outside"):
        closure_impact(demo, close=[hub], open_=["0.5,51.0"])
