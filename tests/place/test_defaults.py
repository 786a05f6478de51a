"""The one home of the default-indicator rules: ``Place.default_indicator``, ``children_key``,
``people_key``, ``default_balance``, ``need_key`` and ``default_weight``."""

from __future__ import annotations

import ast
from pathlib import Path

import geopandas as gpd
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.place.config import Indicator
from geo.place.model import Place

ROOT = Path(__file__).resolve().parents[2]


def place_with(*specs: tuple[str, str] | tuple[str, str, dict]) -> Place:
    """A place with no areas whose catalogue holds ``(key, kind[, extra])`` in that order."""
    catalogue = {}
    for key, kind, *extra in specs:
        catalogue[key] = Indicator(
            key=key, label=key.title(), kind=kind, **(extra[0] if extra else {})
        )
    empty = gpd.GeoDataFrame(geometry=[], crs=27700)
    return Place("Test", "EPSG:27700", empty, empty, empty, catalogue)


WORSE = {"higher_is": "worse"}


def test_default_indicator_is_the_first_non_sensitive_need_indicator():
    place = place_with(
        ("population", "count"),
        ("lac", "count", {"higher_is": "worse", "sensitive": True}),
        ("readiness", "rate", {"higher_is": "better", "numerator": "a", "denominator": "b"}),
        ("imd_score", "mean", WORSE),
        ("idaci_score", "mean", WORSE),
    )
    assert place.default_indicator == "imd_score"
    assert place_with(("population", "count"), ("x", "mean")).default_indicator == "population"


def test_children_key_prefers_the_broadest_count():
    assert place_with(("children_0_4", "count"), ("children_0_17", "count")).children_key == (
        "children_0_17"
    )
    assert place_with(("children_0_4", "count"), ("children_0_15", "count")).children_key == (
        "children_0_15"
    )
    # any other children's count when none of the standard bands is there
    assert place_with(("population", "count"), ("children_5_10", "count")).children_key == (
        "children_5_10"
    )
    # a children_ key that is not a count is not a head count
    assert place_with(("children_0_17", "mean"), ("population", "count")).children_key is None


def test_people_key_and_default_balance_fall_back_to_population_then_the_first_key():
    assert place_with(("population", "count"), ("children_0_4", "count")).people_key == (
        "children_0_4"
    )
    only_pop = place_with(("imd_score", "mean", WORSE), ("population", "count"))
    assert only_pop.people_key == only_pop.default_balance == "population"
    neither = place_with(("imd_score", "mean", WORSE), ("households", "count"))
    assert neither.people_key is None and neither.default_balance == "imd_score"


def test_need_key_prefers_the_need_index_then_imd_then_idaci():
    assert place_with(("idaci_score", "mean"), ("imd_score", "mean")).need_key == "imd_score"
    assert (
        place_with(("imd_score", "mean"), ("need_index", "mean"), ("idaci_rate", "rate")).need_key
        == "need_index"
    )
    assert place_with(("population", "count"), ("x", "mean", WORSE)).need_key is None


def test_default_weight_prefers_under_fives_then_children_then_population():
    assert (
        place_with(("population", "count"), ("children_0_17", "count"), ("children_0_4", "count"))
    ).default_weight == "children_0_4"
    assert (
        place_with(("population", "count"), ("children_0_17", "count"))
    ).default_weight == "children_0_17"
    assert place_with(("imd_score", "mean"), ("population", "count")).default_weight == (
        "population"
    )
    assert place_with(("imd_score", "mean"), ("x", "count")).default_weight == "imd_score"


def test_an_empty_catalogue_is_said_not_a_stop_iteration():
    place = place_with()
    for attr in ("default_indicator", "default_balance", "default_weight"):
        with pytest.raises(InputError, match="has no indicators"):
            getattr(place, attr)
    assert place.children_key is None and place.need_key is None and place.people_key is None


def test_the_demo_defaults():
    demo = open_place("demo")
    assert demo.default_indicator == "imd_score"
    assert demo.children_key == "children_0_17" == demo.people_key == demo.default_balance
    assert demo.need_key == "imd_score" and demo.default_weight == "children_0_4"


RULES = {
    "default_indicator",
    "children_key",
    "child_key",
    "people_key",
    "need_key",
    "default_balance",
    "default_weight",
    "_children_key",
}


def test_no_module_keeps_its_own_default_rule():
    """No function named after a default rule, and no module-level list of children's or need
    keys, outside geo/place/model.py (the need-index preset's themes are its own definition)."""
    offenders = []
    for package in ("geo", "layers", "hubplan"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "geo/place/model.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.name in RULES:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} def {node.name}")
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple | ast.List):
                    strings = {
                        e.value
                        for e in node.value.elts
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    }
                    if (
                        len({"children_0_17", "children_0_15", "children_0_4"} & strings) >= 2
                        or {
                            "need_index",
                            "imd_score",
                        }
                        <= strings
                    ):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "default rules outside geo/place/model.py: " + ", ".join(offenders)
