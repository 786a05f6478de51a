"""Composite need index: numbers against plain-pandas recomputation, presets, saving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.need_index import (
    NeedIndexSpec,
    apply_need_index,
    children_preset,
    compute_need_index,
    parse_weights,
    save_need_index,
    saved_specs,
    standardise,
)
from geo.indicators.profile import profile_table
from geo.place._edit import copy_place
from geo.place.bundle import read_place
from tests.support.bundles import demo_copy, wigan_bundle


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def by_hand(
    areas: pd.DataFrame, directions: dict[str, str | None], weights: dict[str, float], method: str
) -> pd.Series:
    total = sum(weights.values())
    out = pd.Series(0.0, index=areas.index)
    for key, w in weights.items():
        x = areas[key].astype(float)
        if directions[key] == "better":
            x = -x
        if method == "z":
            s = (x - x.mean()) / np.sqrt(((x - x.mean()) ** 2).mean())
        else:
            s = x.rank(pct=True)
        out = out + w / total * s
    return out


@pytest.mark.parametrize("method", ["z", "rank"])
def test_index_matches_recomputation(demo, method):
    weights = {"idaci_score": 3.0, "school_readiness": 1.0, "children_0_17": 1.0}
    spec = NeedIndexSpec(weights=weights, method=method)
    ind, values = compute_need_index(demo, spec)
    dirs = {k: demo.catalogue[k].higher_is for k in weights}
    assert dirs["school_readiness"] == "better"
    expected = by_hand(pd.DataFrame(demo.areas), dirs, weights, method)
    pd.testing.assert_series_equal(values, expected, check_names=False, rtol=1e-10)
    assert ind.kind == "mean" and ind.higher_is == "worse" and ind.weight == "children_0_17"
    assert "School readiness" in ind.description and "reversed" in ind.description


def test_direction_reverses_better_indicators(demo):
    _, worse = compute_need_index(demo, NeedIndexSpec(weights={"school_readiness": 1}))
    readiness = demo.areas["school_readiness"]
    # Higher readiness is better, so the area with the highest readiness has the least need.
    assert worse.idxmin() == readiness.idxmax()
    assert worse.idxmax() == readiness.idxmin()


def test_standardise_constant_and_missing():
    s = standardise(pd.Series([2.0, 2.0, np.nan]), method="z")
    assert s.iloc[:2].tolist() == [0.0, 0.0] and np.isnan(s.iloc[2])
    r = standardise(pd.Series([1.0, 3.0, 2.0, np.nan]), method="rank", higher_is="better")
    assert r.iloc[:3].tolist() == pytest.approx([1.0, 1 / 3, 2 / 3])


def test_area_missing_a_component_has_no_index(demo):
    place = copy_place(demo)
    code = place.areas.index[0]
    place.areas.loc[code, "health_score"] = np.nan
    _, values = compute_need_index(place, children_preset(place.catalogue))
    assert np.isnan(values[code]) and values.drop(code).notna().all()


def test_children_preset_adapts_to_the_place(demo):
    spec = children_preset(demo.catalogue)
    assert spec.weights == {
        "idaci_score": 0.4,
        "children_0_17": 0.2,
        "education_score": 0.2,
        "health_score": 0.2,
    }
    small = {
        k: v
        for k, v in demo.catalogue.items()
        if k in ("income_score", "children_0_4", "population")
    }
    spec = children_preset(small)
    assert spec.weights == {"income_score": 0.4, "children_0_4": 0.2}
    with pytest.raises(InputError, match="at least two themes"):
        children_preset({"population": demo.catalogue["population"]})


@pytest.mark.parametrize(
    ("weights", "method", "message"),
    [
        ({"nope": 1}, "z", "unknown indicator 'nope'"),
        ({"idaci_score": -1}, "z", "zero or positive"),
        ({"idaci_score": 0}, "z", "add up to 0"),
        ({"idaci_score": 1}, "median", "unknown standardisation method"),
        ({"need_index": 1}, "z", "unknown indicator|cannot include itself"),
    ],
)
def test_bad_specs(demo, weights, method, message):
    with pytest.raises(InputError, match=message):
        compute_need_index(demo, NeedIndexSpec(weights=weights, method=method))


def test_key_clash_with_ordinary_indicator(demo):
    with pytest.raises(InputError, match="already exists"):
        compute_need_index(demo, NeedIndexSpec(weights={"idaci_score": 1}, key="population"))


def test_parse_weights():
    assert parse_weights("a=1, b=2.5") == {"a": 1.0, "b": 2.5}
    for bad in ("a", "a=x", "=2", ""):
        with pytest.raises(InputError):
            parse_weights(bad)


def test_save_into_bundle_round_trips(tmp_path):
    path = demo_copy(tmp_path)
    spec = children_preset(read_place(path).catalogue)
    saved = save_need_index(path, spec)
    again = read_place(path)
    assert "need_index" in again.catalogue
    np.testing.assert_allclose(again.areas["need_index"], saved.areas["need_index"], rtol=1e-12)
    assert saved_specs(again)["need_index"].weights == spec.weights
    assert again.meta["last_edit"] == "need index need_index"
    # Footprint value: mean weighted by children_0_17, recomputed with plain pandas.
    areas = pd.DataFrame(again.areas)
    w = areas["children_0_17"]
    expected = (areas["need_index"] * w).groupby(areas["footprint"]).sum() / w.groupby(
        areas["footprint"]
    ).sum()
    table = profile_table(again).set_index("footprint")
    for fp, value in expected.items():
        assert table.loc[fp, "need_index"] == pytest.approx(value, rel=1e-10)
    # Re-saving with other weights replaces the definition, keeps one column.
    save_need_index(
        path, NeedIndexSpec(weights={"idaci_score": 1, "health_score": 1}, method="rank")
    )
    third = read_place(path)
    specs = saved_specs(third)
    assert specs["need_index"].weights == {"idaci_score": 1, "health_score": 1}
    assert specs["need_index"].method == "rank"
    assert list(third.areas.columns).count("need_index") == 1
    assert not list(tmp_path.glob(".*.tmp*"))


def test_failed_save_leaves_bundle_untouched(tmp_path):
    path = demo_copy(tmp_path)
    before = path.read_bytes()
    with pytest.raises(InputError):
        save_need_index(path, NeedIndexSpec(weights={"nope": 1}))
    assert path.read_bytes() == before


@pytest.mark.shared_data
def test_wigan_preset_and_index(wigan_dir, tmp_path):
    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    spec = children_preset(place.catalogue)
    assert set(spec.weights) == {
        "idaci_rate",
        "children_0_17",
        "cyp_education_score",
        "health_score",
    }
    changed = apply_need_index(copy_place(place), spec)
    dirs = {k: place.catalogue[k].higher_is for k in spec.weights}
    expected = by_hand(pd.DataFrame(place.areas), dirs, spec.weights, "z")
    ok = pd.DataFrame(place.areas)[list(spec.weights)].notna().all(axis=1)
    np.testing.assert_allclose(changed.areas["need_index"][ok], expected[ok], rtol=1e-10)
    assert changed.areas["need_index"][~ok].isna().all()
    # The index rises with IDACI: the most income-deprived area has above-average need.
    assert changed.areas.loc[place.areas["idaci_rate"].idxmax(), "need_index"] > 0
