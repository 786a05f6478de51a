"""Indicators published for another geography: reading, apportioning, tobler, and DWP on Wigan."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.build.pipeline import build_place
from geo.errors import InputError
from geo.indicators.apportion import (
    apportion_counts,
    parse_number,
    read_published_table,
)
from geo.indicators.profile import profile_table
from geo.place.bundle import read_place
from geo.place.config import load_config
from tests.support.bundles import wigan_bundle

DWP = "wigan_dwp_children_low_income_ahc_ward_fye2025_as_published.csv"


def test_parse_number_as_published():
    assert parse_number("1,056") == 1056.0
    assert parse_number("34.3%") == pytest.approx(34.3)
    assert np.isnan(parse_number("..")) and np.isnan(parse_number(""))
    with pytest.raises(ValueError):
        parse_number("lots")


def test_apportion_counts_preserves_unit_totals():
    unit = pd.Series(["W1", "W1", "W1", "W2", "W2", None], index=list("abcdef"))
    weight = pd.Series([10, 30, 60, 0, 0, 5], index=list("abcdef"))
    counts = pd.DataFrame({"n": [100.0, 40.0]}, index=["W1", "W2"])
    out, notes = apportion_counts(counts, unit, weight)
    assert out.loc[["a", "b", "c"], "n"].tolist() == pytest.approx([10, 30, 60])
    assert out.loc[["d", "e"], "n"].tolist() == pytest.approx([20, 20])  # equal split, said so
    assert np.isnan(out.loc["f", "n"])
    assert notes and "W2" in notes[0]


def write_grid_place(folder, *, extra: str) -> object:
    """4 square areas (2 per ward) with a children count, plus an ward source ``extra``."""
    folder.mkdir(parents=True, exist_ok=True)
    areas = gpd.GeoDataFrame(
        {"code": ["A1", "A2", "A3", "A4"]},
        geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
        crs=27700,
    )
    areas.to_file(folder / "areas.geojson")
    pd.DataFrame({"code": ["A1", "A2", "A3", "A4"], "kids": [100, 300, 50, 50]}).to_csv(
        folder / "kids.csv", index=False
    )
    wards = gpd.GeoDataFrame(
        {"wd": ["W1", "W2"]},
        geometry=[box(0, 0, 2000, 1000), box(2000, 0, 4000, 1000)],
        crs=27700,
    )
    wards.to_file(folder / "wards.geojson")
    pd.DataFrame({"lsoa": ["A1", "A2", "A3", "A4"], "ward": ["W1", "W1", "W2", "W2"]}).to_csv(
        folder / "lookup.csv", index=False
    )
    (folder / "ward_table.csv").write_text(
        "Title row\n,,\nWard,Area Code,Number,Percent [note 1]\n"
        'One,W1,"1,000",25.0%\nTwo,W2,40,10.0%\n',
        encoding="utf-8",
    )
    (folder / "p.toml").write_text(
        f"""
name = "Grid"
[areas]
path = "areas.geojson"
code = "code"
[[indicators]]
path = "kids.csv"
code = "code"
  [[indicators.columns]]
  key = "kids"
  kind = "count"
{extra}
""",
        encoding="utf-8",
    )
    return build_place(load_config(folder / "p.toml"))


WARD_SOURCE = """
[[indicators]]
path = "ward_table.csv"
code = "Area Code"
geography = "ward"
{join}
  [[indicators.columns]]
  key = "poor"
  column = "Number"
  kind = "count"
  [[indicators.columns]]
  key = "poor_base"
  column = "Percent"
  from_percent = "poor"
  kind = "count"
  [[indicators.columns]]
  key = "poor_rate"
  kind = "rate"
  numerator = "poor"
  denominator = "poor_base"
  higher_is = "worse"
"""


def test_lookup_apportioning_by_weight(tmp_path):
    join = 'lookup = "lookup.csv"\nlookup_area = "lsoa"\nlookup_code = "ward"\napportion = "kids"'
    place = write_grid_place(tmp_path, extra=WARD_SOURCE.format(join=join))
    a = place.areas
    assert a["poor"].tolist() == pytest.approx([250, 750, 20, 20])
    assert a["poor_base"].sum() == pytest.approx(1000 / 0.25 + 40 / 0.10)
    assert a["poor_rate"].tolist() == pytest.approx([25, 25, 10, 10])
    t = profile_table(place).set_index("footprint")
    assert t.at["All areas", "poor_rate"] == pytest.approx(100 * 1040 / 4400)
    method = place.catalogue["poor"].method
    assert "ward" in method and "kids" in method and "lookup.csv" in method
    assert "numerator and denominator" in place.catalogue["poor_rate"].method


def test_polygons_with_tobler_areal_weighting(tmp_path):
    join = 'geography_code = "wd"\napportion = "area"'
    extra = WARD_SOURCE.format(join=join).replace(
        'geography = "ward"', 'geography = "wards.geojson"'
    )
    place = write_grid_place(tmp_path, extra=extra)
    assert place.areas["poor"].tolist() == pytest.approx([500, 500, 20, 20])
    assert "tobler" in place.catalogue["poor"].method


def test_polygons_best_fit_by_weight(tmp_path):
    join = 'geography_code = "wd"\napportion = "kids"'
    extra = WARD_SOURCE.format(join=join).replace(
        'geography = "ward"', 'geography = "wards.geojson"'
    )
    place = write_grid_place(tmp_path, extra=extra)
    assert place.areas["poor"].tolist() == pytest.approx([250, 750, 20, 20])


@pytest.mark.parametrize(
    ("join", "message"),
    [
        ('lookup = "lookup.csv"\nlookup_area = "lsoa"\nlookup_code = "ward"', "apportion"),
        ('lookup = "lookup.csv"\nlookup_area = "lsoa"\nlookup_code = "ward"\napportion = "area"',
         "polygons"),
        ('lookup = "lookup.csv"\nlookup_area = "nope"\nlookup_code = "ward"\napportion = "kids"',
         "'nope'"),
        ('lookup = "lookup.csv"\nlookup_area = "lsoa"\nlookup_code = "ward"\napportion = "poor"',
         "apportion = 'poor'"),
    ],
)  # fmt: skip
def test_bad_other_geography_config_names_the_problem(tmp_path, join, message):
    with pytest.raises(InputError, match=message):
        write_grid_place(tmp_path, extra=WARD_SOURCE.format(join=join))


def test_bad_value_names_file_and_column(tmp_path):
    join = 'lookup = "lookup.csv"\nlookup_area = "lsoa"\nlookup_code = "ward"\napportion = "kids"'
    write_grid_place(tmp_path, extra=WARD_SOURCE.format(join=join))
    (tmp_path / "ward_table.csv").write_text(
        "Ward,Area Code,Number,Percent\nOne,W1,lots,25%\nTwo,W2,40,10%\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        build_place(load_config(tmp_path / "p.toml"))
    assert "ward_table.csv" in str(err.value) and "'Number'" in str(err.value)


@pytest.mark.shared_data
def test_dwp_ward_table_read_as_published(wigan_dir):
    t = read_published_table(wigan_dir / DWP, code="Area Code")
    assert t.header_row == 10
    assert len(t.frame) == 25
    assert t.duplicates == {"Area Code": ["Area Code", "Area Code (2)"]}
    assert "Number of children FYE 2025" in t.frame.columns
    assert "Percentage of children FYE 2025 (%)" in t.frame.columns
    assert t.frame.loc[0, "Number of children FYE 2024"] == "1,056"


@pytest.mark.shared_data
def test_dwp_apportioned_on_wigan(wigan_dir, tmp_path):
    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    published = read_published_table(wigan_dir / DWP, code="Area Code").frame
    ward_counts = published.set_index("Area Code (2)")["Number of children FYE 2025"].map(
        parse_number
    )
    lookup = pd.read_csv(wigan_dir / "wigan_lookup_oa21_lsoa21_msoa21_ward.csv", dtype=str)
    ward_of = lookup.drop_duplicates("LSOA21CD").set_index("LSOA21CD")["WD24CD_bestfit"]
    a = pd.DataFrame(place.areas).drop(columns="geometry")
    by_ward = a["clif_children"].groupby(a.index.map(ward_of)).sum()
    # each ward's total is preserved: the sum over its LSOAs equals the published count
    assert len(by_ward) == 25
    pd.testing.assert_series_equal(
        by_ward.sort_index(),
        ward_counts.sort_index(),
        check_names=False,
        check_index_type=False,
        rtol=1e-9,
    )
    borough = profile_table(place).set_index("footprint").at["All areas", "clif_children"]
    assert borough == pytest.approx(15_827)
    assert abs(borough - 15_816) / 15_816 < 0.001  # DWP's own Wigan figure
    rate = profile_table(place).set_index("footprint").at["All areas", "clif_rate"]
    assert rate == pytest.approx(24.9, abs=0.3)  # DWP: Wigan 24.9% in FYE 2025
    assert "apportioned" in place.catalogue["clif_children"].method
    assert any("'Area Code' appears 2 times" in f.message for f in place.findings)
