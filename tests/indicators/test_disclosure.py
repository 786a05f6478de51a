"""Disclosure control: threshold, secondary suppression, rates, rounding and the note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.indicators.disclosure import SUPPRESSED, apply_disclosure
from geo.place.config import Indicator

CAT = {
    "kids": Indicator(key="kids", label="Children", kind="count"),
    "lac": Indicator(key="lac", label="Looked after children", kind="count", sensitive=True),
    "lac_rate": Indicator(
        key="lac_rate",
        label="LAC rate",
        kind="rate",
        numerator="lac",
        denominator="kids",
        per=10000,
    ),
    "score": Indicator(key="score", label="Score", kind="mean"),
}


def table(lac: list[float], *, total: bool = True) -> pd.DataFrame:
    n = len(lac)
    kids = [1000.0 + 100 * i for i in range(n)]
    rows = pd.DataFrame(
        {
            "footprint": [f"F{i}" for i in range(n)],
            "kids": kids,
            "lac": lac,
            "lac_rate": [10000 * a / k for a, k in zip(lac, kids, strict=True)],
            "score": np.arange(n, dtype=float),
        }
    )
    if total:
        rows.loc[len(rows)] = ["All areas", sum(kids), sum(lac), 10000 * sum(lac) / sum(kids), 1.0]
    return rows


def test_counts_below_threshold_and_their_rates_are_suppressed():
    res = apply_disclosure(table([3, 10, 0, 7, 4]), CAT)
    lac = res.table["lac"].tolist()
    assert lac == [SUPPRESSED, 10, SUPPRESSED, 7, SUPPRESSED, 24]
    assert res.table["lac_rate"].tolist()[0] == SUPPRESSED
    assert res.table["lac_rate"].tolist()[1] == pytest.approx(10000 * 10 / 1100)
    assert res.suppressed == 3 and res.secondary == 0 and res.applied
    # Non-sensitive columns untouched.
    assert res.table["kids"].tolist() == table([3, 10, 0, 7, 4])["kids"].tolist()
    assert "suppression was applied to 3 cell(s)" in res.note and "below 5" in res.note


def test_secondary_suppression_protects_against_subtraction():
    res = apply_disclosure(table([3, 10, 20, 7]), CAT)
    lac = res.table["lac"].tolist()
    # 3 alone would be 40 - (10 + 20 + 7): the smallest other group (7) is hidden too.
    assert lac == [SUPPRESSED, 10, 20, SUPPRESSED, 40]
    assert res.secondary == 1 and "secondary" in res.note
    assert res.table["lac_rate"].tolist()[3] == SUPPRESSED


def test_no_secondary_without_total_row():
    res = apply_disclosure(table([3, 10, 20], total=False), CAT)
    assert res.table["lac"].tolist() == [SUPPRESSED, 10, 20] and res.secondary == 0


def test_threshold_and_rounding():
    res = apply_disclosure(table([12, 18, 7, 23]), CAT, threshold=10, round_to=5)
    # 7 < 10 is hidden; 12 too (the smallest other group); the rest rounded to the nearest 5.
    assert res.table["lac"].tolist() == [SUPPRESSED, 20.0, SUPPRESSED, 25.0, 60.0]
    assert "rounded to the nearest 5" in res.note
    off = apply_disclosure(table([1, 2, 3]), CAT, threshold=0)
    assert off.suppressed == 0 and not off.applied and "no cells needed suppressing" in off.note


def test_nothing_sensitive_means_no_note():
    cat = {k: v for k, v in CAT.items() if k != "lac_rate"} | {
        "lac": Indicator(key="lac", label="x", kind="count")
    }
    res = apply_disclosure(table([1, 2]), cat)
    assert res.note == "" and res.columns == ()


@pytest.mark.parametrize("kwargs", [{"threshold": -1}, {"round_to": 0}, {"round_to": 2.5}])
def test_bad_options(kwargs):
    with pytest.raises(InputError):
        apply_disclosure(table([1, 2]), CAT, **kwargs)
