"""Saving a designed footprint set from the Clusters page (pages/clusters.save_design)."""

from __future__ import annotations

import importlib

import pytest

from geo.clusters.design import design_footprints
from geo.clusters.footprint_sets import footprint_sets
from geo.errors import InputError
from geo.place.bundle import read_place
from hubplan.web import create_app
from tests.support.bundles import demo_copy


@pytest.fixture(scope="module")
def clusters():
    create_app()  # pages register only after an app exists
    return importlib.import_module("hubplan.pages.clusters")


def test_save_design_writes_the_set_the_page_designed(clusters, tmp_path):
    path = demo_copy(tmp_path)
    place = read_place(path)
    lookup = {
        "k": 5,
        "balance": place.default_balance,
        "method": "grow",
        "set": clusters.NEW,
        "respect": None,
        "ready": True,
    }
    message, names = clusters.save_design(place, lookup, "  five  ")
    assert names == ["five"] and "Saved 'five' (5 footprints)" in message
    saved = footprint_sets(read_place(path))["five"]
    designed = design_footprints(place, k=5, balance=lookup["balance"], method="grow").assignment
    assert saved.to_dict() == designed.astype(str).to_dict()
    assert read_place(path).meta["last_edit"] == "footprint set five"


@pytest.mark.parametrize(
    ("lookup", "name", "message"),
    [
        (None, "x", "design footprints first"),
        ({"ready": True, "set": "old"}, "x", "'old' is already a saved set"),
        (
            {"ready": True, "k": 5, "balance": "population", "method": "grow"},
            "  ",
            "give the footprint set a name",
        ),
        (
            {"ready": True, "k": 5, "balance": "population", "method": "grow"},
            "current",
            "other than 'current'",
        ),
    ],
)
def test_nothing_is_saved_without_a_design_and_a_name(clusters, tmp_path, lookup, name, message):
    path = demo_copy(tmp_path)
    if lookup is not None and "set" not in lookup:
        lookup["set"] = clusters.NEW
    with pytest.raises(InputError, match=message):
        clusters.save_design(read_place(path), lookup, name)
    assert list(footprint_sets(read_place(path))) == ["current"]
