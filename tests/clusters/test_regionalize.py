"""Designing footprints: contiguity and balance checked independently of the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.clusters.regionalize import balance_weights, regionalize
from geo.errors import InputError
from tests.support.graphs import non_contiguous, shapely_rook
from tests.support.grid_place import grid_place


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


@pytest.fixture(scope="module")
def demo_adj(demo):
    return shapely_rook(demo.areas)


def spread(place, assignment: pd.Series, column: str) -> float:
    """Largest |total / mean - 1| of a column summed per footprint (computed here)."""
    totals = place.areas[column].groupby(assignment.reindex(place.areas.index).to_numpy()).sum()
    return float((totals / totals.mean() - 1).abs().max())


@pytest.mark.parametrize("key", ["children_0_17", "population"])
def test_grow_is_contiguous_and_balanced_on_the_demo(demo, demo_adj, key):
    result = regionalize(demo, k=7, balance=key)
    a = result.assignment
    assert a.index.tolist() == demo.areas.index.astype(str).tolist()
    assert a.nunique() == 7 and a.notna().all()
    assert non_contiguous(a, demo_adj) == []
    assert spread(demo, a, key) <= 0.10
    # the current demo footprints are far from balanced, so this is a real improvement
    assert spread(demo, demo.areas["footprint"], key) > 0.2
    assert result.max_deviation() == pytest.approx(spread(demo, a, key))


def test_balance_on_a_mean_indicator_uses_the_weighted_load(demo, demo_adj):
    weights, basis = balance_weights(demo, "imd_score")
    expected = demo.areas["imd_score"] * demo.areas["population"]
    assert np.allclose(weights.to_numpy(), expected.to_numpy())
    assert "population" in basis
    result = regionalize(demo, k=5, balance="imd_score")
    load = (
        (demo.areas["imd_score"] * demo.areas["population"])
        .groupby(result.assignment.to_numpy())
        .sum()
    )
    assert float((load / load.mean() - 1).abs().max()) <= 0.10
    assert non_contiguous(result.assignment, demo_adj) == []


def test_balance_on_the_need_index(demo, demo_adj):
    from geo.indicators.need_index import apply_need_index, children_preset
    from geo.place._edit import copy_place

    place = apply_need_index(copy_place(demo), children_preset(demo.catalogue))
    ind = place.catalogue["need_index"]
    need = place.areas["need_index"]
    assert need.min() < 0  # z-scores: the load shifts them to start at zero
    load = (need - need.min()) * place.areas[ind.weight]
    weights, basis = balance_weights(place, "need_index")
    assert np.allclose(weights.to_numpy(), load.fillna(0).to_numpy())
    assert ind.weight in basis
    result = regionalize(place, k=7, balance="need_index")
    assert non_contiguous(result.assignment, demo_adj) == []
    totals = load.groupby(result.assignment.to_numpy()).sum()
    assert float((totals / totals.mean() - 1).abs().max()) <= 0.10


def test_rate_balances_its_numerator(demo):
    weights, basis = balance_weights(demo, "ae_rate")
    assert np.allclose(weights.to_numpy(), demo.areas["ae_attendances_0_4"].to_numpy(float))
    assert "numerator" in basis


def test_spopt_ward_refined_is_contiguous_and_balanced(demo, demo_adj):
    method = "ward"
    raw = regionalize(demo, k=6, balance="children_0_17", method=method, refine=False)
    refined = regionalize(demo, k=6, balance="children_0_17", method=method)
    for r in (raw, refined):
        assert r.assignment.nunique() == 6
        assert non_contiguous(r.assignment, demo_adj) == []
    assert spread(demo, refined.assignment, "children_0_17") <= 0.10
    assert spread(demo, refined.assignment, "children_0_17") < spread(
        demo, raw.assignment, "children_0_17"
    )


@pytest.mark.parametrize("method", ["skater", "azp"])
def test_spopt_methods_on_a_small_grid(method):
    # spopt's SKATER and AZP are slow in pure Python: a 6x6 grid keeps the test quick
    rng = np.random.default_rng(1)
    place = grid_place({"children": rng.integers(50, 400, size=(6, 6))})
    adj = shapely_rook(place.areas)
    raw = regionalize(place, k=4, balance="children", method=method, refine=False)
    refined = regionalize(place, k=4, balance="children", method=method)
    for r in (raw, refined):
        assert r.assignment.nunique() == 4
        assert non_contiguous(r.assignment, adj) == []
    assert spread(place, refined.assignment, "children") <= spread(
        place, raw.assignment, "children"
    )
    assert spread(place, refined.assignment, "children") <= 0.15


def test_respecting_groups_never_splits_one(demo, demo_adj):
    # the current footprints as the groups: 3 designed footprints made of whole footprints
    result = regionalize(demo, k=3, balance="children_0_17", respect="footprint")
    per_group = result.assignment.groupby(demo.areas["footprint"].to_numpy()).nunique()
    assert (per_group == 1).all()
    assert result.assignment.nunique() == 3
    assert non_contiguous(result.assignment, demo_adj) == []
    assert any("no group is split" in n for n in result.notes)


def test_island_is_attached_to_its_nearest_area_and_reported():
    import geopandas as gpd
    from shapely.geometry import box

    from tests.support.grid_place import SIDE, X0, Y0

    place = grid_place({"children": np.full((4, 4), 100.0)})
    island = gpd.GeoDataFrame(
        {"name": ["Island"], "footprint": ["East"], "children": [100.0]},
        geometry=[box(X0 + 6 * SIDE, Y0, X0 + 7 * SIDE, Y0 + SIDE)],  # 2 km east of r00c03
        index=pd.Index(["island"], name="code"),
        crs=27700,
    )
    place.areas = pd.concat([place.areas, island])
    result = regionalize(place, k=2, balance="children")
    assert any("island" in n and "r00c03" in n for n in result.notes)
    assert result.assignment["island"] == result.assignment["r00c03"]
    assert result.max_deviation() <= 0.10


def test_k_1_and_k_n(demo):
    assert regionalize(demo, k=1, balance="population").assignment.nunique() == 1
    n = len(demo.areas)
    assert regionalize(demo, k=n, balance="population").assignment.nunique() == n


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0, "balance": "population"}, "between 1 and the number of areas"),
        ({"k": 10_000, "balance": "population"}, "between 1 and the number of areas"),
        ({"k": 7, "balance": "no_such_key"}, "unknown balance key 'no_such_key'"),
        ({"k": 7, "balance": "population", "method": "magic"}, "unknown method 'magic'"),
        ({"k": 7, "balance": "population", "respect": "ward"}, "unknown column 'ward'"),
        (
            {"k": 8, "balance": "population", "respect": "footprint"},
            "more than the number of groups",
        ),
        ({"k": 2.5, "balance": "population"}, "whole number"),
    ],
)
def test_bad_input(demo, kwargs, message):
    with pytest.raises(InputError, match=message):
        regionalize(demo, **kwargs)


def test_deterministic(demo):
    a = regionalize(demo, k=7, balance="children_0_17", seed=3).assignment
    b = regionalize(demo, k=7, balance="children_0_17", seed=3).assignment
    assert a.equals(b)


# --------------------------------------------------------------------------- real Wigan


@pytest.fixture(scope="module")
def wigan(wigan_dir, tmp_path_factory):
    from geo.place.bundle import read_place
    from tests.support.bundles import wigan_bundle

    return read_place(wigan_bundle(wigan_dir, tmp_path_factory.mktemp("wigan")))


@pytest.mark.shared_data
def test_wigan_k7_children_within_10_percent(wigan):
    from geo.clusters.contiguity import rook_contiguity

    assert rook_contiguity(wigan.areas.geometry).islands == []
    adj = shapely_rook(wigan.areas)
    result = regionalize(wigan, k=7, balance="children_0_17")
    assert result.assignment.nunique() == 7
    assert non_contiguous(result.assignment, adj) == []
    assert spread(wigan, result.assignment, "children_0_17") <= 0.10


@pytest.mark.shared_data
def test_wigan_respecting_wards(wigan, wigan_dir, tmp_path):
    from tests.support.wigan import ward_footprints

    wards = ward_footprints(wigan_dir).set_index("lsoa_code")["ward"]
    result = regionalize(wigan, k=7, balance="children_0_17", respect=wards)
    per_ward = result.assignment.groupby(
        wards.reindex(result.assignment.index).to_numpy()
    ).nunique()
    assert (per_ward == 1).all()
    assert non_contiguous(result.assignment, shapely_rook(wigan.areas)) == []
    # whole wards are coarse units (25 of them), so balance is looser but still sensible
    assert spread(wigan, result.assignment, "children_0_17") <= 0.25
