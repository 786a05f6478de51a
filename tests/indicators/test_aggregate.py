"""Aggregation by kind, checked against hand computation on the tiny place."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geo.build.pipeline import build_place
from geo.indicators.aggregate import aggregate
from geo.indicators.profile import profile_table
from geo.place.config import Indicator, load_config
from tests.support.tiny import write_tiny_place

WEST = [1, 2, 5, 6, 9, 10]
EAST = [3, 4, 7, 8, 11, 12]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    cfg = write_tiny_place(tmp_path_factory.mktemp("tiny"))
    return build_place(load_config(cfg))


def _by_hand(ns):
    pop = [1000 + 100 * n for n in ns]
    kids = [200 + 10 * n for n in ns]
    events = [n % 4 for n in ns]
    return {
        "population": sum(pop),
        "children": sum(kids),
        "score": sum(n * p for n, p in zip(ns, pop, strict=True)) / sum(pop),
        "events": sum(events),
        "event_rate": 1000 * sum(events) / sum(kids),
    }


def test_profile_matches_hand_computation(tiny):
    table = profile_table(tiny).set_index("footprint")
    assert list(table.index) == ["East", "West", "All areas"]
    for name, ns in (("West", WEST), ("East", EAST), ("All areas", WEST + EAST)):
        expected = _by_hand(ns)
        for key, value in expected.items():
            assert table.loc[name, key] == pytest.approx(value, rel=1e-12), (name, key)
        assert table.loc[name, "areas"] == len(ns)


def test_sites_counted_per_footprint(tiny):
    table = profile_table(tiny).set_index("footprint")
    # S1 in A01, S2 in A02 (West); S3 in A07 (East); S4 is outside every area.
    assert table.loc["West", "sites_school"] == 2
    assert table.loc["East", "sites_school"] == 1
    assert table.loc["All areas", "sites_school"] == 3


def test_area_level_rate_and_zero_denominator():
    cat = {
        "num": Indicator(key="num", label="n", kind="count"),
        "den": Indicator(key="den", label="d", kind="count"),
        "r": Indicator(
            key="r", label="r", kind="rate", numerator="num", denominator="den", per=100
        ),
    }
    values = pd.DataFrame(
        {"num": [1.0, 2.0, 3.0], "den": [0.0, 0.0, 10.0], "r": [math.nan] * 3},
        index=["a", "b", "c"],
    )
    groups = pd.Series(["g1", "g1", "g2"], index=values.index)
    out = aggregate(values, cat, groups)
    assert math.isnan(out.loc["g1", "r"])  # 3 / 0 -> missing, not a crash
    assert out.loc["g2", "r"] == pytest.approx(30.0)


def test_missing_values_are_skipped_with_their_weights():
    cat = {
        "w": Indicator(key="w", label="w", kind="count"),
        "m": Indicator(key="m", label="m", kind="mean", weight="w"),
        "u": Indicator(key="u", label="u", kind="mean"),
    }
    values = pd.DataFrame(
        {"w": [1.0, 3.0, math.nan], "m": [10.0, math.nan, 50.0], "u": [1.0, 2.0, math.nan]},
        index=list("abc"),
    )
    out = aggregate(values, cat, pd.Series("g", index=values.index))
    assert out.loc["g", "m"] == pytest.approx(10.0)  # b has no value, c has no weight
    assert out.loc["g", "u"] == pytest.approx(1.5)
    assert out.loc["g", "w"] == pytest.approx(4.0)


def test_group_with_no_values_is_nan():
    cat = {"c": Indicator(key="c", label="c", kind="count")}
    values = pd.DataFrame({"c": [math.nan, 1.0]}, index=["a", "b"])
    out = aggregate(values, cat, pd.Series(["x", "y"], index=values.index))
    assert math.isnan(out.loc["x", "c"])
    assert out.loc["y", "c"] == 1.0
