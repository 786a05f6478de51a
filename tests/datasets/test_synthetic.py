"""The synthetic England-size benchmark place builds through the normal pipeline."""

from __future__ import annotations

import pytest

from benchmarks.synthetic import BOX, write_synthetic_sources
from geo.build.pipeline import build_place
from geo.place.config import load_config


def test_small_synthetic_place_builds(tmp_path):
    toml = write_synthetic_sources(tmp_path, n_areas=660, seed=3)
    config = load_config(toml)
    assert config.synthetic and config.crs == "EPSG:27700"
    place = build_place(config)
    assert len(place.areas) == 660
    assert place.areas.index.is_unique
    x0, y0, x1, y1 = BOX
    # the Voronoi cells tile the box exactly
    assert place.areas.geometry.area.sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-6)
    assert len(place.footprints) == 6  # one per ~110 areas
    assert set(place.site_kinds) == {"school", "family_hub"}
    assert (place.sites["kind"] == "school").sum() == 660 // 9
    a = place.areas
    assert (
        a["children_0_17"]
        == a[["children_0_4", "children_5_10", "children_11_15", "children_16_17"]].sum(axis=1)
    ).all()
    assert a["imd_decile"].between(1, 10).all()
    assert "synthetic demo data" in place.attribution_text()
    # same seed, same place
    again = write_synthetic_sources(tmp_path / "again", n_areas=660, seed=3)
    assert (tmp_path / "indicators.csv").read_bytes() == (
        again.parent / "indicators.csv"
    ).read_bytes()


def test_too_few_areas(tmp_path):
    with pytest.raises(ValueError, match="at least 10"):
        write_synthetic_sources(tmp_path, n_areas=3)
