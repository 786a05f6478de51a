"""Footprint profile data checked against plain-pandas recomputation (demo and real Wigan)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.footprint_profile import (
    access_summary,
    age_band_keys,
    footprint_profile,
    spine_data,
)
from geo.indicators.intervals import byar, compare, wilson
from geo.indicators.profile import profile_table
from geo.place._edit import copy_place
from geo.place.bundle import read_place
from tests.support.bundles import wigan_bundle


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


@pytest.fixture(scope="module")
def wigan(wigan_dir, tmp_path_factory):
    return read_place(wigan_bundle(wigan_dir, tmp_path_factory.mktemp("wigan")))


def footprint_values(place) -> pd.DataFrame:
    """Every indicator by footprint, recomputed here with plain pandas from the areas."""
    a = pd.DataFrame(place.areas).drop(columns="geometry")
    g = a["footprint"]
    out = {}
    for key, ind in place.catalogue.items():
        if ind.kind == "count":
            out[key] = a[key].groupby(g).sum()
        elif ind.kind == "rate":
            ok = a[ind.numerator].notna() & a[ind.denominator].notna()
            out[key] = (
                ind.per
                * a[ind.numerator][ok].groupby(g[ok]).sum()
                / a[ind.denominator][ok].groupby(g[ok]).sum()
            )
        else:
            w = a[ind.weight] if ind.weight else pd.Series(1.0, index=a.index)
            ok = a[key].notna() & w.notna()
            out[key] = (a[key] * w)[ok].groupby(g[ok]).sum() / w[ok].groupby(g[ok]).sum()
    return pd.DataFrame(out)


def check_spine(place, footprint):
    spine = spine_data(place, footprint).set_index("key")
    expected = footprint_values(place)
    for key, ind in place.catalogue.items():
        row = spine.loc[key]
        col = expected[key]
        assert row["value"] == pytest.approx(col[footprint], rel=1e-9), key
        lo, hi = col.min(), col.max()
        worst, best = (hi, lo) if ind.higher_is == "worse" else (lo, hi)
        assert row["worst"] == pytest.approx(worst, rel=1e-9) and row["best"] == pytest.approx(
            best, rel=1e-9
        )
        assert row["median"] == pytest.approx(col.median(), rel=1e-9)
        # Worse side always left: the worst footprint is never right of the best one.
        if np.isfinite(row["pos_worst"]):
            assert row["pos_worst"] <= row["pos_best"] + 1e-12
        rank_worst_first = col.rank(ascending=ind.higher_is == "better", method="min")
        assert row["rank"] == rank_worst_first[footprint], key
        if ind.england is not None:
            assert row["pos_england"] == 0.5
    return spine


def test_spine_matches_recomputation_demo(demo):
    for fp in demo.footprint_names:
        check_spine(demo, fp)


def test_spine_rate_comparison_uses_confidence_intervals(demo):
    fp = demo.footprint_names[0]
    spine = spine_data(demo, fp).set_index("key")
    a = pd.DataFrame(demo.areas)
    mine = a[a["footprint"] == fp]
    n, d = mine["gld_achieved"].sum(), mine["gld_eligible"].sum()
    ci = stats.binomtest(int(n), int(d)).proportion_ci(method="wilson")
    assert spine.loc["school_readiness", "ci_low"] == pytest.approx(100 * ci.low, rel=1e-9)
    assert spine.loc["school_readiness", "ci_high"] == pytest.approx(100 * ci.high, rel=1e-9)
    borough = 100 * a["gld_achieved"].sum() / a["gld_eligible"].sum()
    expected = (
        "similar"
        if ci.low * 100 <= borough <= ci.high * 100
        else ("worse" if ci.high * 100 < borough else "better")
    )
    assert spine.loc["school_readiness", "vs_borough"] == expected
    assert spine.loc["imd_score", "vs_borough"] == "not compared"


def test_intervals_against_exact_references():
    lo, hi = byar(10, 1000, per=1000)
    exact = (stats.chi2.ppf(0.025, 20) / 2, stats.chi2.ppf(0.975, 22) / 2)
    assert lo == pytest.approx(exact[0], rel=0.01) and hi == pytest.approx(exact[1], rel=0.01)
    assert wilson(50, 100) == pytest.approx((40.383, 59.617), abs=1e-3)
    assert np.isnan(wilson(1, 0)[0]) and np.isnan(byar(1, 0)[0])
    assert compare(1, 2, 3, higher_is="worse") == "better"
    assert compare(4, 5, 3, higher_is="worse") == "worse"
    assert compare(4, 5, 3, higher_is="better") == "better"
    assert compare(1, 5, 3, higher_is="worse") == "similar"
    assert compare(1, 5, 3, higher_is=None) == "not compared"


def test_zero_denominator_gives_missing_not_a_crash(demo):
    place = copy_place(demo)
    fp = place.footprint_names[2]
    inside = place.areas["footprint"] == fp
    place.areas.loc[inside, ["gld_achieved", "gld_eligible"]] = 0.0
    profile = footprint_profile(place, fp)
    row = profile.spine.set_index("key").loc["school_readiness"]
    assert np.isnan(row["value"]) and row["display"] == "-" and row["vs_borough"] == "not compared"
    assert np.isnan(profile_table(place).set_index("footprint").loc[fp, "school_readiness"])


def test_deprived_children_age_bands_sites_demo(demo):
    a = pd.DataFrame(demo.areas)
    t = profile_table(demo).set_index("footprint")
    for fp in demo.footprint_names:
        p = footprint_profile(demo, fp)
        mine = a[a["footprint"] == fp]
        dep = p.deprived.set_index("key").loc["imd_decile"]
        assert dep["children"] == mine.loc[mine["imd_decile"].isin([1, 2]), "children_0_17"].sum()
        assert dep["share"] == pytest.approx(dep["children"] / mine["children_0_17"].sum())
        assert dep["borough_children"] == a.loc[a["imd_decile"].isin([1, 2]), "children_0_17"].sum()
        assert p.age_bands["band"].tolist() == ["0-4", "5-10", "11-15", "16-17", "18+"]
        assert p.age_bands["count"].sum() == mine["population"].sum()
        assert p.age_bands["share"].sum() == pytest.approx(1.0)
        sites = demo.sites[demo.sites["area_code"].map(a["footprint"]) == fp]
        assert len(p.sites) == len(sites)
        head = p.headline.set_index("key")["value"]
        assert head["population"] == t.loc[fp, "population"]
        assert head["children_0_17"] == t.loc[fp, "children_0_17"]
        for kind in demo.site_kinds:
            assert head[f"sites_{kind}"] == t.loc[fp, f"sites_{kind}"]
        assert p.synthetic and "Synthetic" in p.notes[0]


def test_age_band_keys_pick_a_partition(demo):
    assert [k for k, _, _ in age_band_keys(demo)] == [
        "children_0_4",
        "children_5_10",
        "children_11_15",
        "children_16_17",
    ]


def test_access_summary_recomputed(demo):
    from geo.network.access import access_table

    fp = demo.footprint_names[0]
    acc = access_summary(demo, fp)
    assert acc["hub_kind"] == "family_hub"
    table = access_table(demo, "family_hub")
    mine = table[table["footprint"] == fp]
    within = mine.loc[mine["minutes_to_family_hub"] <= 15, "children_0_17"].sum()
    assert acc["within"] == pytest.approx(within) and acc["children"] == mine["children_0_17"].sum()
    # Without the precomputed column the same answer comes from the travel engine.
    bare = copy_place(demo)
    bare.areas = bare.areas.drop(
        columns=[c for c in bare.areas.columns if c.startswith("minutes_to_")]
    )
    again = access_summary(bare, fp)
    assert again["within"] == pytest.approx(within, rel=0.02)


def test_access_summary_crowfly_by_hand(demo):
    place = copy_place(demo)
    place.tables = {k: v for k, v in place.tables.items() if not k.startswith("network")}
    place.areas = place.areas.drop(
        columns=[c for c in place.areas.columns if c.startswith("minutes_to_")]
    )
    place.meta["network_source"] = "crowfly"
    fp = place.footprint_names[0]
    acc = access_summary(place, fp)
    assert acc["approximate"]
    from geo.network.travel import area_points

    areas = place.areas[place.areas["footprint"] == fp]
    pts = area_points(place).loc[areas.index]
    hubs = place.sites[place.sites["kind"] == "family_hub"].geometry
    metres = np.array([[p.distance(h) for h in hubs] for p in pts]).min(axis=1)
    minutes = metres * float(place.meta.get("network_detour", 1.3)) / (4.8 * 1000 / 60)
    assert acc["within"] == areas["children_0_17"][minutes <= 15].sum()


def test_disclosure_reaches_the_profile(demo):
    fp = demo.footprint_names[0]
    p = footprint_profile(demo, fp, threshold=10_000)
    row = p.spine.set_index("key").loc["looked_after_children"]
    assert row["suppressed"] and row["display"] == "*" and np.isnan(row["value"])
    assert p.spine.set_index("key").loc["lac_rate", "display"] == "*"
    assert "suppression was applied" in p.disclosure_note


def test_unknown_footprint(demo):
    with pytest.raises(InputError, match=r"unknown .* 'Nowhere'; known: "):
        footprint_profile(demo, "Nowhere")


@pytest.mark.shared_data
def test_wigan_profile_matches_recomputation(wigan):
    a = pd.DataFrame(wigan.areas)
    for fp in wigan.footprint_names:
        check_spine(wigan, fp)
        p = footprint_profile(wigan, fp)
        mine = a[a["footprint"] == fp]
        dep = p.deprived.set_index("key")
        for key in ("imd_decile", "imd25_decile"):
            expected = mine.loc[mine[key].round().isin([1, 2]), "children_0_17"].sum()
            assert dep.loc[key, "children"] == expected
        assert p.age_bands["count"].sum() == pytest.approx(mine["population"].sum())
        assert p.access is None  # Wigan's test config has schools only, no hubs
        assert len(p.sites) == int((wigan.sites["area_code"].map(a["footprint"]) == fp).sum())
        assert "Contains OS data" in p.attributions
