"""geo/numbers.py: the one rule every view formats figures by."""

from __future__ import annotations

import math

import pytest

from geo.numbers import format_number


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (12345.4, {"kind": "count"}, "12,345"),
        (7.6, {"kind": "count"}, "8"),
        (1234.56, {}, "1,235"),
        (100.0, {}, "100"),
        (63.456, {}, "63.5"),
        (63.456, {"unit": "%"}, "63.5%"),
        (4.2678, {}, "4.27"),
        (0.12345, {}, "0.123"),
        (-12.34, {}, "-12.3"),
        (0.0, {"unit": "%"}, "0%"),
        (0.0004, {}, "0.000"),
        ("*", {}, "*"),
        (None, {}, "-"),
        (math.nan, {"missing": "no data"}, "no data"),
        (math.inf, {}, "-"),
        ("n/a", {"unit": "%"}, "n/a"),
        (object(), {}, "-"),
    ],
)
def test_format_number(value, kwargs, text):
    assert format_number(value, **kwargs) == text


def test_other_units_are_left_to_the_caller():
    assert format_number(12.0, unit="per 1,000") == "12.0"
