"""The footprint-design workflow (``geo.clusters.design``) the Clusters page and
``hubplan cluster`` share, and its figures (``layers.clusters.design_figures``)."""

from __future__ import annotations

import dataclasses

import pytest

from geo.clusters.design import (
    DESIGNED,
    check_set_name,
    design_footprints,
    save_design,
)
from geo.clusters.footprint_sets import CURRENT, footprint_sets
from geo.errors import InputError
from geo.place.bundle import read_place
from layers.clusters import design_figures
from tests.support.bundles import demo_copy


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return demo_copy(tmp_path_factory.mktemp("design"))


@pytest.fixture(scope="module")
def design(bundle):
    return design_footprints(read_place(bundle), k=5)


def test_a_new_design_is_balanced_and_compared_with_today(design):
    place = design.place
    assert design.designed and design.label == DESIGNED
    assert design.balance == place.default_balance == "children_0_17"
    assert set(design.assignment.index) == set(place.areas.index.astype(str))
    assert design.assignment.nunique() == 5 == design.result.k
    assert design.notes[0].startswith("Designed 5 footprints in ")
    summary = design.summary_rows()
    assert [r["set"] for r in summary] == [CURRENT, DESIGNED]
    assert summary[0]["footprints"] == len(place.footprint_names) and summary[1]["footprints"] == 5
    assert summary[1]["max_deviation_pct"] <= 10.0
    rows = design.footprint_rows()
    assert len(rows) == len(place.footprint_names) + 5
    designed = [r for r in rows if r["set"] == DESIGNED]
    total = place.areas["children_0_17"].sum()
    assert sum(r["total"] for r in designed) == pytest.approx(total, abs=1.0)
    changed = design.changed_rows()
    assert changed and all(r["from"] != r["to"] for r in changed)
    assert summary[1]["areas_changed"] == len(changed)
    lookup = design.lookup()
    assert list(lookup.columns) == ["code", "footprint"] and len(lookup) == len(place.areas)


def test_the_same_settings_give_the_same_design(design):
    again = design_footprints(design.place, k=5, balance="children_0_17", method="grow")
    assert again.assignment.to_dict() == design.assignment.to_dict()


def test_save_then_compare_with_the_saved_set(design, bundle):
    place = design.place
    saved, message = save_design(place, design, "  five ")
    assert "Saved 'five' (5 footprints)" in message and saved.path.name in message
    assert footprint_sets(read_place(bundle))["five"].to_dict() == (
        design.assignment.astype(str).to_dict()
    )
    again = design_footprints(saved, k=0, saved_set="five")
    assert not again.designed and again.label == "five" and again.result is None
    assert again.assignment.to_dict() == design.assignment.astype(str).to_dict()
    assert again.summary_rows()[1]["set"] == "five"
    with pytest.raises(InputError, match="'five' is already a saved set"):
        save_design(saved, again, "copy")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "give the footprint set a name"), ("  ", "give the footprint set a name"),
     ("current", "other than 'current'")],
)  # fmt: skip
def test_bad_set_names_are_refused(design, name, message):
    with pytest.raises(InputError, match=message):
        save_design(design.place, design, name)


def test_a_place_without_a_bundle_cannot_save(design):
    loose = dataclasses.replace(design.place, path=None)
    with pytest.raises(InputError, match="no bundle file to save into"):
        check_set_name(loose, "x")


def test_unknown_saved_set_or_balance_is_said(design):
    with pytest.raises(InputError, match="no saved footprint set 'nope'"):
        design_footprints(design.place, k=5, saved_set="nope")
    with pytest.raises(InputError, match="unknown indicator 'nope'"):
        design_footprints(design.place, k=5, saved_set=CURRENT, balance="nope")


def test_design_figures_show_both_sets_and_the_changed_areas(design):
    figs = design_figures(design)
    current_uids = [t.uid for t in figs.current_map.data]
    designed_uids = [t.uid for t in figs.designed_map.data]
    assert "cur-fill" in current_uids and "new-fill" in designed_uids
    changed = [t for t in figs.designed_map.data if t.uid == "fpset-changed"]
    assert len(changed) == 1
    assert sorted(changed[0].locations) == sorted(r["code"] for r in design.changed_rows())
    assert len(figs.balance.data) >= 1 and len(figs.compactness.data) >= 1
