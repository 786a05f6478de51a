"""Write a place config for the real Wigan data in ``../shared/data/wigan`` (at run time).

Nothing from the shared folder is copied into the project: the config points at the files
where they are, and the one file it writes (a footprint lookup made from the ONS ward lookup)
goes into a folder the caller chooses (a temp dir in tests, ``data/places`` for the app,
which git ignores).

The test footprints group Wigan's 25 current wards (2024 best fit) into 7 footprints by the
angle of each ward's centre around the borough's centre: contiguous wedges, like the real
Service Delivery Footprints. They are not the council's actual footprints.

Run ``python -m tests.support.wigan OUT.gpkg`` to build the Wigan bundle for the dashboard.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

N_FOOTPRINTS = 7
ONS = "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. Contains OS data © Crown copyright and database right."
MHCLG = "Source: MHCLG English Indices of Deprivation, licensed under the Open Government Licence v.3.0."
DFE = "Source: Department for Education school performance tables 2018/19, licensed under the Open Government Licence v.3.0."
DWP = "Source: Department for Work and Pensions, Children in low income families: local area statistics, licensed under the Open Government Licence v.3.0."
OS = "Contains OS data © Crown copyright and database right. Contains Royal Mail data © Royal Mail copyright and database right. Contains National Statistics data © Crown copyright and database right (Code-Point Open, OGL v3.0)."


def ward_footprints(shared: Path) -> pd.DataFrame:
    """LSOA21 code -> test footprint (``lsoa_code``, ``service_footprint``, ``ward``)."""
    lookup = pd.read_csv(shared / "wigan_lookup_oa21_lsoa21_msoa21_ward.csv", dtype=str)
    lsoa_ward = lookup.drop_duplicates("LSOA21CD")[["LSOA21CD", "WD24CD_bestfit", "WD24NM_bestfit"]]
    areas = gpd.read_file(shared / "wigan_lsoa2021.geojson")[["LSOA21CD", "geometry"]].to_crs(27700)
    areas = areas.merge(lsoa_ward, on="LSOA21CD")
    wards = areas.dissolve("WD24CD_bestfit")
    centre = areas.union_all().centroid
    cent = wards.geometry.centroid
    angle = np.arctan2(cent.y - centre.y, cent.x - centre.x)
    order = np.argsort(angle.to_numpy(), kind="stable")
    group = np.empty(len(wards), dtype=int)
    group[order] = np.arange(len(wards)) * N_FOOTPRINTS // len(wards)
    names = [f"Footprint {chr(ord('A') + i)}" for i in range(N_FOOTPRINTS)]
    ward_group = pd.Series([names[g] for g in group], index=wards.index)
    return pd.DataFrame(
        {
            "lsoa_code": lsoa_ward["LSOA21CD"].to_numpy(),
            "service_footprint": lsoa_ward["WD24CD_bestfit"].map(ward_group).to_numpy(),
            "ward": lsoa_ward["WD24NM_bestfit"].to_numpy(),
        }
    )


def write_wigan_config(shared: Path, folder: Path) -> Path:
    """Write ``wigan.toml`` (+ ``wigan_footprints.csv``) into ``folder``; return the TOML path."""
    shared = Path(shared).resolve()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ward_footprints(shared).to_csv(folder / "wigan_footprints.csv", index=False)
    s = shared.as_posix()
    toml = f'''
name = "Wigan"
crs = "EPSG:27700"

[areas]
path = "{s}/wigan_lsoa2021.geojson"
code = "LSOA21CD"
name = "LSOA21NM"
source = "ONS LSOA (Dec 2021) boundaries"
attribution = "{ONS}"

[[indicators]]
path = "{s}/wigan_population_mid2020_lsoa2011_syoa.csv"
code = "LSOA11CD"
source = "ONS mid-2020 LSOA population estimates"
vintage = "mid-2020"
attribution = "{ONS}"
  [[indicators.columns]]
  key = "population"
  column = "total_population"
  label = "Population"
  kind = "count"
  unit = "people"
  [[indicators.columns]]
  key = "children_0_4"
  column = "aged_0_4"
  label = "Children aged 0-4"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "children_5_10"
  column = "aged_5_10"
  label = "Children aged 5-10"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "children_11_15"
  column = "aged_11_15"
  label = "Children aged 11-15"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "children_16_17"
  column = "aged_16_17"
  label = "Young people aged 16-17"
  kind = "count"
  unit = "young people"
  [[indicators.columns]]
  key = "children_0_15"
  column = "aged_0_15"
  label = "Children aged 0-15"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "children_0_17"
  column = "aged_0_17"
  label = "Children aged 0-17"
  kind = "count"
  unit = "children"

[[indicators]]
path = "{s}/wigan_iod2019_lsoa2011.csv"
code = "LSOA11CD"
source = "MHCLG English Indices of Deprivation 2019"
vintage = "2019"
attribution = "{MHCLG}"
  [[indicators.columns]]
  key = "imd_score"
  column = "imd_score_derived"
  label = "IMD 2019 score"
  kind = "mean"
  weight = "population"
  higher_is = "worse"
  england = 21.67
  description = "Rebuilt from the official domain ranks (see SOURCES.md caveat 2)."
  [[indicators.columns]]
  key = "imd_decile"
  column = "imd_decile"
  label = "IMD 2019 national decile"
  kind = "mean"
  weight = "population"
  higher_is = "better"
  national_decile = true
  [[indicators.columns]]
  key = "idaci_rate"
  column = "idaci_rate_approx"
  label = "IDACI 2019 rate (approx.)"
  kind = "mean"
  weight = "children_0_15"
  unit = "proportion"
  higher_is = "worse"
  [[indicators.columns]]
  key = "pop_children_0_15_2015"
  column = "pop_children_0_15_mid2015"
  label = "Children aged 0-15 (IoD denominator, mid-2015)"
  kind = "count"
  unit = "children"

[[indicators]]
path = "{s}/wigan_iod2019_underlying_indicators_lsoa2011.csv"
code = "LSOA11CD"
source = "MHCLG IoD2019 underlying indicators"
vintage = "2019"
attribution = "{MHCLG}"
  [[indicators.columns]]
  key = "road_km_primary_school"
  column = "road_distance_to_a_primary_school_indicator_km"
  label = "Road distance to a primary school (MHCLG)"
  kind = "mean"
  weight = "population"
  unit = "km"
  higher_is = "worse"

[[indicators]]
path = "{s}/wigan_iod2025_lsoa2021.csv"
code = "LSOA21CD"
source = "MHCLG English Indices of Deprivation 2025"
vintage = "2025"
attribution = "{MHCLG}"
  [[indicators.columns]]
  key = "imd25_score"
  column = "imd_score"
  label = "IMD 2025 score"
  kind = "mean"
  weight = "population"
  higher_is = "worse"
  [[indicators.columns]]
  key = "imd25_decile"
  column = "imd_decile"
  label = "IMD 2025 national decile"
  kind = "mean"
  weight = "population"
  higher_is = "better"
  national_decile = true
  [[indicators.columns]]
  key = "cyp_education_score"
  column = "children_and_young_people_score"
  label = "Children and young people sub-domain score (2025)"
  kind = "mean"
  weight = "children_0_17"
  higher_is = "worse"
  [[indicators.columns]]
  key = "health_score"
  column = "health_score"
  label = "Health deprivation and disability score (2025)"
  kind = "mean"
  weight = "population"
  higher_is = "worse"

[[indicators]]
path = "{s}/wigan_census2021_household_deprivation_lsoa2021.csv"
code = "LSOA21CD"
source = "ONS Census 2021 (TS011, TS052)"
vintage = "2021"
attribution = "{ONS}"
  [[indicators.columns]]
  key = "households"
  column = "hh_total"
  label = "Households"
  kind = "count"
  unit = "households"
  [[indicators.columns]]
  key = "hh_overcrowded"
  column = "hh_overcrowded_bedrooms"
  label = "Overcrowded households (bedrooms)"
  kind = "count"
  unit = "households"
  [[indicators.columns]]
  key = "overcrowding_rate"
  label = "Overcrowded households"
  kind = "rate"
  numerator = "hh_overcrowded"
  denominator = "households"
  per = 100
  unit = "%"
  higher_is = "worse"
  england = 4.4

[[indicators]]
path = "{s}/wigan_dwp_children_low_income_ahc_ward_fye2025_as_published.csv"
code = "Area Code"
geography = "ward"
lookup = "{s}/wigan_lookup_oa21_lsoa21_msoa21_ward.csv"
lookup_area = "LSOA21CD"
lookup_code = "WD24CD_bestfit"
apportion = "children_0_15"
source = "DWP Children in low income families, ward table 4 (FYE 2025)"
vintage = "FYE 2025"
attribution = "{DWP}"
  [[indicators.columns]]
  key = "clif_children"
  column = "Number of children FYE 2025"
  label = "Children (0-15) in relative low income families, after housing costs"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "clif_base"
  column = "Percentage of children FYE 2025 (%)"
  from_percent = "clif_children"
  label = "Children aged 0-15 (DWP denominator)"
  kind = "count"
  unit = "children"
  [[indicators.columns]]
  key = "clif_rate"
  label = "Children in relative low income families (after housing costs)"
  kind = "rate"
  numerator = "clif_children"
  denominator = "clif_base"
  per = 100
  unit = "%"
  higher_is = "worse"

[[sites]]
path = "{s}/wigan_schools_ks2_ks4_ks5_2019.csv"
kind = "school"
id = "URN"
name = "SCHNAME"
postcode = "PCODE"
source = "DfE school performance tables 2018/19"
attribution = "{DFE}"
details = {{ phase = "PHASES", type = "SCHTYPE", ofsted = "OFSTEDRATING", ofsted_inspection_date = "INSPECTIONDT" }}

[postcodes]
path = "{s}/wigan_postcodes_codepoint_open.csv"
postcode = "postcode"
x = "easting"
y = "northing"
crs = "EPSG:27700"
attribution = "{OS}"

[footprints]
path = "wigan_footprints.csv"
code = "lsoa_code"
name = "service_footprint"
label = "Test footprint (wards grouped)"

[network]
source = "crowfly"
weight_points = "postcodes"   # areas represented by the mean of their postcodes (population-weighted)
'''
    path = folder / "wigan.toml"
    path.write_text(toml.lstrip(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    from geo.build.pipeline import build_bundle

    repo = Path(__file__).resolve().parents[2]
    out = Path(sys.argv[1] if len(sys.argv) > 1 else repo / "data" / "places" / "wigan.gpkg")
    shared_dir = (
        Path(sys.argv[2]) if len(sys.argv) > 2 else repo.parent / "shared" / "data" / "wigan"
    )
    cfg = write_wigan_config(shared_dir, out.parent / "wigan-config")
    place = build_bundle(cfg, out)
    print(f"built {out}: {len(place.areas)} areas, {len(place.sites)} sites")
