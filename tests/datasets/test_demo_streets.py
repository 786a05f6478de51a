"""The synthetic demo street network: size, mix of streets, determinism, and the demo build."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest

from geo.datasets import demo
from geo.datasets._demo_streets import write_demo_streets
from geo.network.osm import read_network


@pytest.fixture(scope="module")
def streets(tmp_path_factory):
    borough = demo._make_borough(20241121)
    folder = tmp_path_factory.mktemp("streets")
    start = time.perf_counter()
    path = write_demo_streets(
        folder / "a.gpkg", outline=borough.outline, towns=borough.towns, seed=20241121
    )
    seconds = time.perf_counter() - start
    return borough, path, seconds


def test_size_and_mix(streets):
    borough, path, _ = streets
    nodes, edges = read_network(str(path), crs="EPSG:27700")
    assert len(nodes) >= 30_000
    counts = edges["highway"].value_counts()
    assert {"residential", "secondary", "primary", "unclassified", "footway", "bridleway"} <= set(
        counts.index
    )
    assert counts["residential"] > counts["secondary"] > counts["primary"]
    # towns are denser than the countryside: most nodes within 2.5 sigma of a town centre
    d = np.min(
        [np.hypot(nodes["x"] - t.x, nodes["y"] - t.y) / t.sigma for t in borough.towns], axis=0
    )
    assert (d < 2.5).mean() > 0.8
    assert nodes["x"].between(*borough.outline.bounds[::2]).all()


def test_deterministic(streets, tmp_path):
    borough, path, _ = streets
    again = write_demo_streets(
        tmp_path / "b.gpkg", outline=borough.outline, towns=borough.towns, seed=20241121
    )
    a = gpd.read_file(path, layer="edges")
    b = gpd.read_file(again, layer="edges")
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()


def test_demo_place_has_the_network_and_access_indicators(tmp_path):
    from geo.build.pipeline import build_place
    from geo.place.config import load_config

    config = load_config(demo.write_demo_sources(tmp_path))
    assert config.network.source.endswith("streets.gpkg")
    place = build_place(config)
    assert len(place.tables["network_nodes"]) >= 30_000
    assert not [f for f in place.findings if f.level == "warning"]
    dropped = [f.message for f in place.findings if "keeps the largest" in f.message]
    assert len(dropped) == 3 and all("0.0% dropped" in m for m in dropped)
    for key in ("minutes_to_family_hub", "minutes_to_childrens_centre"):
        assert place.catalogue[key].unit == "minutes"
        assert place.areas[key].notna().all() and (place.areas[key] >= 0).all()
