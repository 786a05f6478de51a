"""School clusters: nearest hub (checked by distance here) or footprint; cluster summaries."""

from __future__ import annotations

import numpy as np
import pytest

from geo.build.places import open_place
from geo.clusters.school_clusters import school_clusters
from geo.errors import InputError


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def test_by_hub_picks_the_nearest_hub(demo):
    from geo.network.travel import is_approximate, travel_time_matrix

    result = school_clusters(demo, by="hub")
    hubs = demo.sites[demo.sites["kind"] == "family_hub"]
    schools = demo.sites[demo.sites["kind"] == "school"]
    assert len(result.schools) == len(schools)
    minutes = travel_time_matrix(demo, schools.geometry, hubs.geometry, mode="walk")
    nearest = np.argmin(minutes, axis=1)
    assert result.schools["cluster"].tolist() == hubs["name"].to_numpy()[nearest].tolist()
    assert result.schools["minutes"].to_numpy() == pytest.approx(minutes.min(axis=1))
    if is_approximate(demo):
        assert "approximate" in result.method_text
    else:
        assert "road network" in result.method_text
    # most schools are in the cluster of the hub closest as the crow flies, too
    hx, hy = hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy()
    sx, sy = schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy()
    crow = np.argmin(np.hypot(sx[:, None] - hx[None], sy[:, None] - hy[None]), axis=1)
    assert (crow == nearest).mean() > 0.8


def test_summary_adds_up(demo):
    result = school_clusters(demo, by="hub")
    s = result.summary
    assert s["schools"].sum() == len(result.schools)
    phase_cols = [c for c in s.columns if c.startswith("phase: ")]
    assert set(phase_cols) == {f"phase: {p}" for p in result.schools["phase"].unique()}
    assert (s[phase_cols].sum(axis=1) == s["schools"]).all()
    assert s["areas"].sum() == len(demo.areas)
    assert s["children_0_17"].sum() == pytest.approx(demo.areas["children_0_17"].sum())
    assert result.need_key == "imd_score" and "imd_score" in s.columns
    # need is population-weighted mean IMD of the cluster's areas, recomputed here
    row = s.iloc[0]
    codes = result.areas[result.areas == row["cluster"]].index
    a = demo.areas.loc[codes]
    expected = (a["imd_score"] * a["population"]).sum() / a["population"].sum()
    assert row["imd_score"] == pytest.approx(expected)


def test_by_footprint(demo):
    result = school_clusters(demo, by="footprint")
    schools = demo.sites[demo.sites["kind"] == "school"]
    assert result.schools["cluster"].tolist() == schools["footprint"].astype(str).tolist()
    assert np.isnan(result.schools["minutes"]).all()
    assert sorted(result.summary["cluster"]) == demo.footprint_names


def test_chosen_hubs(demo):
    secondaries = demo.sites[
        (demo.sites["kind"] == "school") & (demo.sites["phase"] == "Secondary")
    ]
    ids = secondaries["site_id"].astype(str).tolist()[:4]
    result = school_clusters(demo, by="hub", hub_ids=ids)
    assert result.summary["cluster"].nunique() == 4
    own = result.schools[result.schools["site_id"].isin(ids)]
    assert (own["minutes"] < 2).all()  # a hub school is (next to) its own hub
    assert own["cluster"].nunique() == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "ward"}, "unknown clustering"),
        ({"school_kind": "college"}, "no sites of kind 'college'"),
        ({"hub_kind": "castle"}, "no sites of kind 'castle'"),
        ({"hub_ids": ["nope"]}, "unknown hub site id"),
        ({"need": "nope"}, "unknown indicator"),
    ],
)
def test_bad_input(demo, kwargs, message):
    with pytest.raises(InputError, match=message):
        school_clusters(demo, **kwargs)


@pytest.mark.shared_data
def test_wigan_clusters(wigan_dir, tmp_path):
    from geo.place.bundle import read_place
    from tests.support.bundles import wigan_bundle

    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    by_fp = school_clusters(place, by="footprint")
    assert by_fp.summary["schools"].sum() == (place.sites["kind"] == "school").sum()
    with pytest.raises(InputError, match="no family_hub or childrens_centre"):
        school_clusters(place, by="hub")
    secondary = place.sites[place.sites["phase"].astype(str).str.contains("Secondary", na=False)]
    by_hub = school_clusters(place, by="hub", hub_ids=secondary["site_id"].astype(str).tolist())
    assert by_hub.summary["cluster"].nunique() <= len(secondary)
    assert by_hub.summary["children_0_17"].sum() == pytest.approx(
        place.areas["children_0_17"].sum()
    )
