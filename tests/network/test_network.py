"""Network tables: mode flags, drive speeds, largest components, bundle round trip, cached graphs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.network.graph import (
    MPH,
    drive_speeds,
    has_network,
    mode_flags,
    mode_graph,
    parse_maxspeed,
)
from geo.place.bundle import read_place, write_place
from geo.place.config import load_config
from tests.support.osm import write_network_place


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    folder = tmp_path_factory.mktemp("net")
    return build_place(
        load_config(write_network_place(folder, network='source = "net.osm"\nsimplify = false'))
    )


@pytest.mark.parametrize(
    ("tag", "highway", "kmh"),
    [
        ("30 mph", "residential", 30 * MPH),
        ("50", "primary", 50.0),
        ("48 km/h", "primary", 48.0),
        ("national", "unclassified", 60 * MPH),
        ("national", "trunk", 70 * MPH),
        ("GB:nsl_single", "primary", 60 * MPH),
        (["30 mph", "40 mph"], "primary", 30 * MPH),
        ("20 mph;30 mph", "primary", 20 * MPH),
        ("signals", "primary", None),
        ("", "primary", None),
        (None, "primary", None),
        ("-5", "primary", None),
    ],
)
def test_parse_maxspeed(tag, highway, kmh):
    got = parse_maxspeed(tag, highway)
    assert got == (pytest.approx(kmh) if kmh is not None else None)


def test_drive_speeds_use_maxspeed_then_highway_default_with_urban_factor():
    hw = pd.Series(["residential", "residential", "primary", "motorway", "service"])
    ms = pd.Series(["30 mph", None, "60 mph", None, None])
    got = drive_speeds(hw, ms, urban_factor=0.5)
    # 40 mph or less counts as built-up: the factor applies
    assert got == pytest.approx(
        [30 * MPH * 0.5, 20 * MPH * 0.5, 60 * MPH, 70 * MPH, 10 * MPH * 0.5]
    )


def test_mode_flags_follow_highway_access_and_oneway():
    raw = pd.DataFrame(
        {
            "highway": [
                "motorway",
                "footway",
                "residential",
                "residential",
                "cycleway",
                "steps",
                "service",
            ],
            "maxspeed": [None] * 7,
            "oneway": [True, False, True, False, False, False, False],
            "access": [None, None, None, None, None, None, "private"],
            "foot": [None, None, None, "no", None, None, None],
            "bicycle": [None, "yes", None, None, None, None, None],
        }
    )
    f = mode_flags(raw)
    assert f["walk"].tolist() == [False, True, True, False, True, True, False]
    assert f["cycle"].tolist() == [False, True, True, True, True, False, False]
    assert f["drive_fwd"].tolist() == [True, False, True, True, False, False, False]
    assert f["drive_bwd"].tolist() == [False, False, False, True, False, False, False]


def test_largest_component_kept_and_share_reported(place):
    edges = place.tables["network_edges"]
    isolated = edges["length_m"].round(1) == 200.0
    assert not edges.loc[isolated, ["walk", "cycle", "drive_fwd", "drive_bwd"]].any(axis=None)
    dead_end = (
        edges["length_m"].round(1).eq(500.0)
        & edges["highway"].eq("residential")
        & ~edges["drive_bwd"]
    )
    # the one-way dead end has no way back: dropped for driving, kept for walking
    assert dead_end.sum() == 1
    assert not edges.loc[dead_end, "drive_fwd"].any() and edges.loc[dead_end, "walk"].all()
    walk_total = 4000 + 4000 + 1500 + 1000 + 500 + 200
    messages = [f.message for f in place.findings if "walk keeps" in f.message]
    assert messages == [
        f"network: walk keeps the largest connected component: {walk_total / 1000:.1f} km usable, "
        f"{200 / walk_total:.1%} dropped (1 smaller component(s))"
    ]
    drive = next(f.message for f in place.findings if "drive keeps" in f.message)
    assert f"{700 / (walk_total - 1000):.1%} dropped" in drive


def test_tables_round_trip_through_the_bundle(place, tmp_path):
    path = write_place(place, tmp_path / "p.gpkg")
    back = read_place(path)
    assert has_network(back)
    a, b = place.tables["network_edges"], back.tables["network_edges"]
    assert len(a) == len(b)
    assert np.allclose(a["length_m"], b["length_m"])
    assert b["walk"].astype(bool).tolist() == a["walk"].tolist()
    assert b.geometry.geom_equals_exact(a.geometry, 1e-6).all()
    g1, g2 = mode_graph(place, "drive"), mode_graph(back, "drive")
    assert (g1.matrix != g2.matrix).nnz == 0


def test_mode_graph_is_cached_per_place_and_checks_the_mode(place):
    assert mode_graph(place, "walk") is mode_graph(place, "walk")
    assert mode_graph(place, "walk") is not mode_graph(place, "cycle")
    with pytest.raises(InputError, match="unknown mode 'hover'"):
        mode_graph(place, "hover")
