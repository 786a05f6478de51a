"""Place bundles: round trip, atomic writes, and clear errors for broken files."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.indicators.profile import profile_table
from geo.place.bundle import read_place, write_place
from geo.place.config import load_config
from tests.support.tiny import write_tiny_place


@pytest.fixture
def tiny(tmp_path):
    return build_place(load_config(write_tiny_place(tmp_path / "src")))


def test_round_trip_keeps_everything(tiny, tmp_path):
    tiny.tables["extra_table"] = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = write_place(tiny, tmp_path / "tiny.gpkg")
    back = read_place(path)
    assert back.name == "Tiny" and back.crs == tiny.crs and not back.synthetic
    assert list(back.catalogue) == list(tiny.catalogue)
    assert back.catalogue == tiny.catalogue
    pd.testing.assert_frame_equal(
        back.areas.drop(columns="geometry"), tiny.areas.drop(columns="geometry"), check_dtype=False
    )
    assert back.areas.geometry.geom_equals_exact(tiny.areas.geometry, tolerance=1e-6).all()
    assert list(back.sites["site_id"]) == list(tiny.sites["site_id"])
    assert back.sites["outside"].tolist() == tiny.sites["outside"].tolist()
    assert back.findings == tiny.findings
    assert back.attributions == tiny.attributions
    assert "[areas]" in back.config_text
    pd.testing.assert_frame_equal(profile_table(back), profile_table(tiny), check_dtype=False)
    assert back.tables["extra_table"]["b"].tolist() == ["x", "y"]


def test_truncated_bundle_is_named(tiny, tmp_path):
    path = write_place(tiny, tmp_path / "tiny.gpkg")
    data = path.read_bytes()
    bad = tmp_path / "truncated.gpkg"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match=r"truncated\.gpkg: .*(corrupt|truncated|not a complete)"):
        read_place(bad)


def test_garbage_and_foreign_files(tmp_path):
    junk = tmp_path / "junk.gpkg"
    junk.write_text("hello")
    with pytest.raises(InputError, match=r"junk\.gpkg: is not a place bundle"):
        read_place(junk)
    with pytest.raises(InputError, match=r"nothere\.gpkg: place bundle not found"):
        read_place(tmp_path / "nothere.gpkg")


def test_wrong_extension_refused(tiny, tmp_path):
    with pytest.raises(InputError, match=r"extension \.gpkg"):
        write_place(tiny, tmp_path / "tiny.sqlite")


def test_unwritable_folder(tiny, tmp_path):
    with pytest.raises(InputError, match="folder does not exist"):
        write_place(tiny, tmp_path / "no" / "such" / "tiny.gpkg")


def test_failed_write_keeps_previous_bundle(tiny, tmp_path):
    path = write_place(tiny, tmp_path / "tiny.gpkg")
    before = path.read_bytes()
    tiny.tables["areas"] = pd.DataFrame({"a": [1]})  # reserved name -> the writer fails mid-way
    with pytest.raises(ValueError, match="reserved"):
        write_place(tiny, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "tiny.gpkg"]
