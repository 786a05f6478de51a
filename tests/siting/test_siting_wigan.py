"""Real data: site hubs for Wigan (crow-fly walk times) and check the plan independently."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geo.build.pipeline import build_bundle
from tests.support.wigan import write_wigan_config

pytestmark = pytest.mark.shared_data
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wigan(tmp_path_factory, wigan_dir):
    folder = tmp_path_factory.mktemp("wigan_siting")
    bundle = folder / "wigan.gpkg"
    place = build_bundle(write_wigan_config(wigan_dir, folder), bundle)
    return place, bundle


def test_site_seven_hubs_among_schools(wigan, tmp_path):
    place, bundle = wigan
    out = tmp_path / "wigan.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubplan",
            "site",
            str(bundle),
            "--hubs",
            "7",
            "--objective",
            "coverage",
            "--minutes",
            "15",
            "--mode",
            "walk",
            "--weight",
            "children_0_4",
            "--candidates",
            "school",
            "--teams",
            "21",
            "--save",
            "seven schools",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    schools = place.sites[place.sites["kind"] == "school"].set_index("site_id")
    assert len(res["selected"]) == 7 and set(res["selected"]) <= set(schools.index)
    assert res["method"].startswith("exact") and res["status"] == "optimal"
    # recompute coverage of the chosen schools from first principles: walk 4.8 km/h, detour 1.3,
    # from each area's demand point (population-weighted where the bundle has them)
    from geo.network.travel import area_points, is_approximate

    assert is_approximate(place)
    pts = area_points(place)
    chosen = schools.loc[res["selected"]].geometry
    metres = np.hypot(
        pts.x.to_numpy()[:, None] - chosen.x.to_numpy()[None, :],
        pts.y.to_numpy()[:, None] - chosen.y.to_numpy()[None, :],
    )
    minutes = metres.min(axis=1) * float(place.meta.get("network_detour", 1.3)) / (4800 / 60)
    kids = place.areas["children_0_4"].fillna(0).to_numpy()
    assert res["covered_weight"] == pytest.approx(kids[minutes <= 15].sum())
    assert res["total_weight"] == pytest.approx(kids.sum())
    # the optimum covers at least as much as an arbitrary plan (the first seven schools)
    first = schools.geometry.iloc[:7]
    m2 = np.hypot(
        pts.x.to_numpy()[:, None] - first.x.to_numpy()[None, :],
        pts.y.to_numpy()[:, None] - first.y.to_numpy()[None, :],
    )
    assert res["covered_weight"] >= kids[m2.min(axis=1) * 1.3 / 80 <= 15].sum()
    deciles = [row for row in res["equity"] if row["group"] != "All"]
    assert {row["group"] for row in deciles} <= set(range(1, 11)) and len(deciles) >= 5
    assert sum(row["covered_weight"] for row in deciles) == pytest.approx(res["covered_weight"])
    assert sum(t["allocated"] for t in res["teams"]) == 21
    assert (bundle.parent / "wigan.scenarios.sqlite").exists()
