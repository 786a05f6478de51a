"""Real data: snapshots and data exports of Wigan (built from ../shared/data/wigan at run time)."""

from __future__ import annotations

import csv
import html
import io
import json
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
    text = (tmp_path / "fp.csv-metadata.json").read_text(encoding="utf-8")
    for line in wigan.attribution_text().splitlines():
        assert json.dumps(line, ensure_ascii=False) in text
    assert OGL in text and "synthetic demo data" not in text.lower()
    assert json.loads(text)["synthetic"] is False
    assert "open-government-licence/version/3" in text
    table = pd.read_csv(tmp_path / "fp.csv")
    label = wigan.footprint_label
    assert list(table[label]) == [*wigan.footprint_names, "All areas"]
    pop = f"{wigan.catalogue['population'].label} ({wigan.catalogue['population'].unit})"
    assert pd.api.types.is_integer_dtype(table[pop])
    assert table.loc[table[label] == "All areas", pop].item() == wigan.areas["population"].sum()
    with (tmp_path / "fp.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r[label] for r in rows] == [*wigan.footprint_names, "All areas"]


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
