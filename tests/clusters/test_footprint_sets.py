"""Footprint lookups load back through a place config; sets save in the bundle; comparison."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.build.pipeline import build_place
from geo.build.places import open_place
from geo.clusters.footprint_sets import (
    CURRENT,
    add_footprint_set,
    compare_footprint_sets,
    footprint_sets,
    read_lookup,
    save_footprint_set,
    write_lookup,
)
from geo.clusters.regionalize import regionalize
from geo.datasets.demo import write_demo_sources
from geo.errors import InputError
from geo.place.bundle import read_place
from geo.place.config import load_config
from tests.support.bundles import demo_copy


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


@pytest.fixture(scope="module")
def designed(demo):
    return regionalize(demo, k=6, balance="children_0_17").assignment


def test_lookup_loads_back_through_a_place_config(tmp_path, designed):
    toml = write_demo_sources(tmp_path)
    write_lookup(designed, tmp_path / "designed.csv")
    text = toml.read_text(encoding="utf-8").replace(
        'path = "footprints.csv"\ncode = "area_code"', 'path = "designed.csv"\ncode = "code"'
    )
    assert 'path = "designed.csv"' in text
    toml.write_text(text, encoding="utf-8")
    place = build_place(load_config(toml))
    got = place.areas["footprint"].astype(str)
    assert got.to_dict() == designed.to_dict()
    assert len(place.footprints) == 6
    assert not [f for f in place.findings if "footprint" in f.message]


def test_lookup_header_and_atomic_target(tmp_path, designed):
    path = write_lookup(designed, tmp_path / "lk.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,footprint"
    assert len(lines) == len(designed) + 1
    assert not list(tmp_path.glob(".lk.csv.*"))  # no temp file left behind
    with pytest.raises(InputError, match=r"\.csv"):
        write_lookup(designed, tmp_path / "lk.txt")


def test_read_lookup_lists_missing_areas(tmp_path, demo, designed):
    path = write_lookup(designed.iloc[3:], tmp_path / "short.csv")
    with pytest.raises(InputError) as err:
        read_lookup(path, demo.areas.index)
    message = str(err.value)
    assert "misses 3 area(s)" in message
    for code in designed.index[:3]:
        assert code in message
    assert read_lookup(write_lookup(designed, tmp_path / "ok.csv"), demo.areas.index).equals(
        designed
    )


def test_save_set_in_bundle_round_trips(tmp_path, designed):
    path = demo_copy(tmp_path)
    save_footprint_set(path, "six", designed.str.replace("Designed", "D"))
    save_footprint_set(path, "six", designed)  # replacing keeps one copy
    place = read_place(path)
    sets = footprint_sets(place)
    assert list(sets) == [CURRENT, "six"]
    assert sets["six"].to_dict() == designed.to_dict()
    table = place.tables["footprint_sets"]
    assert list(table.columns) == ["set", "code", "footprint"]
    assert len(table) == len(designed)
    # the current footprints are untouched
    assert sets[CURRENT].equals(open_place("demo").areas["footprint"].rename("footprint"))


def test_several_sets_listed_in_name_order(demo, designed):
    from geo.place._edit import copy_place

    place = copy_place(demo)
    add_footprint_set(place, "b set", designed)
    add_footprint_set(place, "a set", designed.str.replace("Designed", "D"))
    sets = footprint_sets(place)
    assert list(sets) == [CURRENT, "a set", "b set"]
    assert sets["a set"].iloc[0].startswith("D ")


def test_add_set_refuses_gaps_and_reserved_name(demo, designed):
    from geo.place._edit import copy_place

    place = copy_place(demo)
    with pytest.raises(InputError, match="misses 2 area"):
        add_footprint_set(place, "gappy", designed.iloc[2:])
    with pytest.raises(InputError, match="name other than"):
        add_footprint_set(place, CURRENT, designed)


def test_compare_balance_compactness_and_changed_areas(demo, designed):
    current = demo.areas["footprint"]
    cmp = compare_footprint_sets(demo, current, designed, balance="children_0_17")
    table = cmp.table
    assert set(table["set"]) == {CURRENT, "designed"}
    # totals recomputed here from the areas
    for name, rows in table.groupby("set"):
        a = current if name == CURRENT else designed
        expected = demo.areas["children_0_17"].groupby(a.to_numpy()).sum()
        got = rows.set_index("footprint")["total"]
        assert got.sort_index().to_numpy() == pytest.approx(expected.sort_index().to_numpy())
        assert rows["pct_of_mean"].mean() == pytest.approx(100.0)
        assert ((rows["polsby_popper"] > 0) & (rows["polsby_popper"] <= 1)).all()
        assert ((rows["convex_hull_ratio"] > 0) & (rows["convex_hull_ratio"] <= 1)).all()
    summary = cmp.summary.set_index("set")
    assert summary.loc["designed", "max_deviation_pct"] < summary.loc[CURRENT, "max_deviation_pct"]
    changed = cmp.changed
    assert 0 < len(changed) < len(demo.areas)
    assert summary.loc["designed", "areas_changed"] == len(changed)
    assert (changed["from"].to_numpy() == current.reindex(changed["code"]).to_numpy()).all()
    assert (changed["to"].to_numpy() == designed.reindex(changed["code"]).to_numpy()).all()


def test_compare_identical_sets_changes_nothing(demo):
    renamed = demo.areas["footprint"].map(lambda s: f"New {s}")
    cmp = compare_footprint_sets(demo, demo.areas["footprint"], renamed, balance="population")
    assert cmp.changed.empty  # renaming is matched, not counted as change
    a, b = (t.reset_index(drop=True) for _, t in cmp.table.groupby("set"))
    assert a["total"].sort_values().to_numpy() == pytest.approx(b["total"].sort_values().to_numpy())


def test_unknown_balance_key(demo):
    with pytest.raises(InputError, match="unknown balance key"):
        compare_footprint_sets(
            demo, demo.areas["footprint"], demo.areas["footprint"], balance="nope"
        )
    pd.testing.assert_index_equal(demo.areas.index, open_place("demo").areas.index)
