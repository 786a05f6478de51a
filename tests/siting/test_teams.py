"""Team placement: largest-remainder rounding adds up exactly and follows need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.siting.teams import allocate, catchment_need, footprint_need, largest_remainder


def test_largest_remainder_by_hand():
    # quotas 10 * (5, 3, 2) / 10 = 5, 3, 2 exactly
    assert list(largest_remainder(10, pd.Series([5.0, 3.0, 2.0]))) == [5, 3, 2]
    # quotas 7 * (0.45, 0.35, 0.2) = 3.15, 2.45, 1.4 -> floors 3, 2, 1 (6); one left -> 2.45
    out = largest_remainder(7, pd.Series([45.0, 35.0, 20.0], index=["a", "b", "c"]))
    assert out.to_dict() == {"a": 3, "b": 3, "c": 1}
    # tie on remainder: more need first
    assert largest_remainder(1, pd.Series([1.0, 1.0], index=["x", "y"])).to_dict() == {
        "x": 1,
        "y": 0,
    }


@pytest.mark.parametrize("seed", range(25))
def test_sums_exactly_and_stays_within_one_of_quota(seed):
    rng = np.random.default_rng(seed)
    need = pd.Series(rng.uniform(0, 1000, int(rng.integers(1, 12))))
    total = int(rng.integers(0, 200))
    out = largest_remainder(total, need)
    assert out.sum() == total
    quota = total * need / need.sum()
    assert ((out - np.floor(quota)).between(0, 1)).all()


def test_minimum_per_recipient_and_fte_steps():
    out = largest_remainder(10, pd.Series([100.0, 0.0, 0.0]), minimum=2)
    assert list(out) == [6, 2, 2]
    table = allocate(pd.Series([3.0, 1.0], index=["h1", "h2"]), total=10.5, step=0.5)
    assert table["allocated"].sum() == pytest.approx(10.5)
    assert list(table["allocated"]) == [
        8.0,
        2.5,
    ]  # quotas 7.875 and 2.625 in 0.5 steps: 15.75 -> 16, 5.25 -> 5
    with pytest.raises(InputError, match="multiples of the step"):
        allocate(pd.Series([1.0]), total=10.25, step=0.5)
    with pytest.raises(InputError, match="minimum of 5"):
        largest_remainder(4, pd.Series([1.0, 1.0]), minimum=5)
    with pytest.raises(InputError, match="negative"):
        largest_remainder(4, pd.Series([1.0, -1.0]))


def test_catchment_and_footprint_need():
    assignment = pd.DataFrame({"demand": ["a", "b", "c", "d"], "hub": ["H1", "H1", "H2", None]})
    need = pd.Series({"a": 1.0, "b": 2.0, "c": 4.0, "d": 8.0})
    assert catchment_need(assignment, need, ["H1", "H2", "H3"]).to_dict() == {
        "H1": 3.0,
        "H2": 4.0,
        "H3": 0.0,
    }

    class P:  # the two attributes footprint_need uses
        areas = pd.DataFrame({"footprint": ("N", "N", "S", None)}, index=("a", "b", "c", "d"))
        footprint_names = ("N", "S")

    assert footprint_need(P(), need).to_dict() == {"N": 3.0, "S": 4.0}
