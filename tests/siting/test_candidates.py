"""Candidate hubs from sites, dropped points, files and a grid (tiny hand-checkable place)."""

from __future__ import annotations

import pytest

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.place.config import load_config
from geo.siting import candidates as cand
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    return build_place(load_config(write_tiny_place(folder)))


def test_sites_points_and_combine(tiny):
    sites = cand.from_sites(tiny, "all")
    assert list(sites.index) == list(tiny.sites["site_id"])
    assert set(sites["source"]) == {"site"}
    with pytest.raises(InputError, match="unknown site kind 'hub'"):
        cand.from_sites(tiny, "hub")
    pts = cand.from_points(tiny, [(400_500.0, 300_500.0)], crs="EPSG:27700")
    assert list(pts.index) == ["new-1"] and pts.geometry.iloc[0].x == pytest.approx(400_500)
    both = cand.combine(sites, pts, sites)
    assert len(both) == len(sites) + 1


def test_grid_over_populated_areas(tiny):
    grid = cand.grid(tiny, spacing_m=500)
    # 4 x 3 km at 500 m: 8 x 6 points at cell centres, all inside populated areas
    assert len(grid) == 48
    assert grid.index[0] == "grid-1" and set(grid["source"]) == {"grid"}
    assert len(cand.resolve(tiny, "grid:1000")) == 12
    with pytest.raises(InputError, match="positive number of metres"):
        cand.grid(tiny, spacing_m=-5)
    with pytest.raises(InputError, match="not a number of metres"):
        cand.resolve(tiny, "grid:abc")


def test_file_candidates(tiny, tmp_path):
    good = tmp_path / "c.csv"
    good.write_text("id,name,x,y\nc1,One,401500,301500\nc2,Two,402500,300500\n")
    got = cand.resolve(tiny, str(good))
    assert list(got.index) == ["c1", "c2"] and list(got["name"]) == ["One", "Two"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\nc1,One\n")
    with pytest.raises(InputError, match="needs coordinate columns"):
        cand.from_file(tiny, bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("id,x,y\nc1,401500,301500\nc1,401500,301500\n")
    with pytest.raises(InputError, match="'c1' appears more than once"):
        cand.from_file(tiny, dup)
    far = tmp_path / "far.csv"
    far.write_text("id,lon,lat\nc1,-3.0,57.0\n")
    with pytest.raises(InputError, match="more than 20 km"):
        cand.from_file(tiny, far)
    with pytest.raises(InputError, match="not a site kind"):
        cand.resolve(tiny, "nonsense")
