"""Footprint labels in the plural: the ``s`` goes before a closing bracket, never after it."""

from __future__ import annotations

import pytest

from geo.place.model import plural


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Test footprint (wards grouped)", "Test footprints (wards grouped)"),
        ("Service Delivery Footprint", "Service Delivery Footprints"),
        ("Footprint", "Footprints"),
        ("Locality", "Localities"),
        ("Areas", "Areas"),
        ("Start Well area (2024)", "Start Well areas (2024)"),
    ],
)
def test_plural(label, expected):
    assert plural(label) == expected
