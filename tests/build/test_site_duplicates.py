"""Likely duplicate sites are reported; ``dedupe = true`` keeps the newer record."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.build.pipeline import build_place
from geo.build.sites import likely_duplicates
from geo.place.config import load_config
from tests.conftest import require_shared_data


def _sites(rows):
    return gpd.GeoDataFrame(
        {
            "site_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
        },
        geometry=[Point(r[3], 0) for r in rows],
        crs=27700,
    )


def test_same_kind_close_similar_names_are_likely_duplicates():
    sites = _sites([
        ("1", "Rose Bridge Academy", "school", 0),
        ("2", "Dean Trust Rose Bridge", "school", 40),
        ("3", "St Mary's Catholic Infant School", "school", 10),
        ("4", "St Mary's Catholic Junior School", "school", 20),  # two schools on one site
        ("5", "Rose Bridge Academy", "school", 5_000),  # same name, far away
        ("6", "Rose Bridge", "childrens_centre", 30),  # another kind
    ])  # fmt: skip
    assert [(i, j) for i, j, _ in likely_duplicates(sites)] == [(0, 1)]


def test_predecessor_links_pair_records_wherever_they_are():
    sites = _sites([("100", "Old Name School", "school", 0), ("200", "New Name", "school", 9_000)])
    pairs = likely_duplicates(sites, predecessor=pd.Series([None, "100"]))
    assert pairs == [(0, 1, "'200' replaced '100'")]


def test_wigan_predecessor_and_academy_records_are_reported_and_deduped(tmp_path):
    from tests.support.wigan import write_wigan_config

    cfg = write_wigan_config(require_shared_data(), tmp_path)
    place = build_place(load_config(cfg))
    warned = [f.message for f in place.findings if "likely duplicate school" in f.message]
    assert len(warned) == 1 and "2 likely duplicate school record(s)" in warned[0]
    for urn in ("106445", "144609", "141746", "146797"):
        assert f"'{urn}'" in warned[0]
    assert {"106445", "144609", "141746", "146797"} <= set(place.sites["site_id"])

    cfg.write_text(cfg.read_text().replace('kind = "school"', 'kind = "school"\ndedupe = true'))
    deduped = build_place(load_config(cfg))
    assert len(deduped.sites) == len(place.sites) - 2
    ids = set(deduped.sites["site_id"])
    assert {"144609", "146797"} <= ids and not {"106445", "141746"} & ids  # newer URNs kept
