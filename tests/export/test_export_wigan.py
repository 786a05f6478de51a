"""Real data: snapshots and data exports of Wigan (built from ../shared/data/wigan at run time)."""

from __future__ import annotations

import html
import io
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.export import data as exports
from layers.snapshot import export_snapshot
from tests.support.wigan import write_wigan_config

pytestmark = pytest.mark.shared_data

OGL = "Open Government Licence"


@pytest.fixture(scope="module")
def wigan(tmp_path_factory, wigan_dir):
    folder = tmp_path_factory.mktemp("wigan")
    build_bundle(write_wigan_config(wigan_dir, folder), folder / "wigan.gpkg")
    return open_place(folder / "wigan.gpkg")


def test_wigan_data_exports(wigan, tmp_path):
    exports.export_data(wigan, "areas", tmp_path / "areas.gpkg")
    areas = gpd.read_file(tmp_path / "areas.gpkg", layer="areas")
    assert len(areas) == len(wigan.areas) == 200
    assert set(areas["code"]) == set(wigan.areas.index)
    assert areas.crs.equals(wigan.areas.crs)
    joined = areas.set_index("code")["imd_score"]
    assert np.allclose(
        joined.reindex(wigan.areas.index), wigan.areas["imd_score"].round(6), equal_nan=True
    )

    exports.export_data(wigan, "footprints", tmp_path / "fp.csv")
    text = (tmp_path / "fp.csv.attribution.txt").read_text()
    for line in wigan.attribution_text().splitlines():
        assert line in text
    assert OGL in text and "synthetic" not in text.lower()
    table = pd.read_csv(tmp_path / "fp.csv", comment="#")
    assert list(table["footprint"]) == [*wigan.footprint_names, "All areas"]
    assert (
        table.loc[table["footprint"] == "All areas", "population"].item()
        == wigan.areas["population"].sum()
    )


@pytest.mark.browser
def test_wigan_png_and_svg(wigan):
    png = export_snapshot(wigan, indicator="idaci_rate", layers=["areas", "footprints", "school"])
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == (1600, 1000)
        arr = np.asarray(img.convert("RGB")).astype(int)
    assert (np.abs(arr[120:800, 20:1260] - 255) > 12).any(axis=2).mean() > 0.3

    svg = export_snapshot(
        wigan,
        fmt="svg",
        indicator="imd_score",
        footprint="Footprint A",
        layers=["areas", "footprints"],
    ).decode()
    text = html.unescape(" ".join(re.findall(r">([^<>]+)<", svg)))
    assert f"{wigan.catalogue['imd_score'].label} — Footprint A, Wigan" in text
    assert "Licensed under the Open Government Licence v.3.0".lower() in text.lower()
    assert "Contains OS data © Crown copyright and database right" in text
    assert "synthetic demo data" not in text.lower()
