"""Place labels: plurals before a bracket, and the place name (not the file name) in lists."""

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


def test_place_name_is_the_place_name_not_the_file(tmp_path):
    import shutil

    from geo.build.places import demo_bundle_path, place_name

    copy = tmp_path / "some-file-name.gpkg"
    shutil.copyfile(demo_bundle_path(), copy)
    assert place_name(copy) == "Demoborough (synthetic demo data)"
    (tmp_path / "not-a-bundle.gpkg").write_text("x")
    assert place_name(tmp_path / "not-a-bundle.gpkg") == "not-a-bundle"
