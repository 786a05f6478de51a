"""Real data: build Wigan from ../shared/data/wigan and check facts recomputed independently.

The footprints are test footprints made from the ONS ward lookup (see tests/support/wigan.py).
Expected values are recomputed here straight from the source CSVs with plain pandas, not with
the project's aggregation code.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo.indicators.profile import profile_table
from geo.place.bundle import read_place
from tests.support.wigan import write_wigan_config

pytestmark = pytest.mark.shared_data
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wigan(tmp_path_factory, wigan_dir):
    folder = tmp_path_factory.mktemp("wigan")
    cfg = write_wigan_config(wigan_dir, folder)
    out = folder / "wigan.gpkg"
    proc = subprocess.run(
        [sys.executable, "-m", "hubplan", "build", str(cfg), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    prof = subprocess.run(
        [sys.executable, "-m", "hubplan", "profile", str(out), "--format", "csv", "--keys"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert prof.returncode == 0, prof.stderr
    printed = pd.read_csv(io.StringIO(prof.stdout)).set_index("footprint")
    place = read_place(out)
    # Full precision from the same bundle (the CSV rounds to each unit's precision); the printed
    # table must agree with it to that precision.
    profile = profile_table(place).set_index("footprint")
    assert list(printed.index) == list(profile.index)
    assert (printed["areas"] == profile["areas"]).all()
    assert printed["imd_score"].to_numpy() == pytest.approx(
        profile["imd_score"].to_numpy(dtype=float), abs=0.005 + 1e-9
    )
    lookup = pd.read_csv(folder / "wigan_footprints.csv", dtype=str).set_index("lsoa_code")[
        "service_footprint"
    ]
    return {"place": place, "profile": profile, "lookup": lookup, "dir": wigan_dir}


def test_two_hundred_areas_and_seven_footprints(wigan):
    place = wigan["place"]
    assert len(place.areas) == 200
    assert place.areas.index.str.match(r"^E0100\d{4}$").all()
    assert len(place.footprints) == 7
    assert wigan["profile"].loc["All areas", "areas"] == 200
    assert wigan["profile"].drop("All areas")["areas"].sum() == 200
    # Areas tile the borough: total area matches SOURCES.md (188.17 km²).
    assert place.areas.geometry.area.sum() / 1e6 == pytest.approx(188.17, abs=0.5)


def test_footprint_sums_equal_sums_of_areas(wigan):
    pop = pd.read_csv(
        wigan["dir"] / "wigan_population_mid2020_lsoa2011_syoa.csv",
        dtype={"LSOA11CD": str},
        usecols=["LSOA11CD", "total_population", "aged_0_4", "aged_0_17"],
    )
    pop["fp"] = pop["LSOA11CD"].map(wigan["lookup"])
    expected = pop.groupby("fp")[["total_population", "aged_0_4", "aged_0_17"]].sum()
    prof = wigan["profile"]
    for fp, row in expected.iterrows():
        assert prof.loc[fp, "population"] == row["total_population"]
        assert prof.loc[fp, "children_0_4"] == row["aged_0_4"]
        assert prof.loc[fp, "children_0_17"] == row["aged_0_17"]
    assert prof.loc["All areas", "population"] == pop["total_population"].sum() == 330712


def test_weighted_means_recomputed_independently(wigan):
    d = wigan["dir"]
    iod = pd.read_csv(d / "wigan_iod2019_lsoa2011.csv", dtype={"LSOA11CD": str})
    pop = pd.read_csv(d / "wigan_population_mid2020_lsoa2011_syoa.csv", dtype={"LSOA11CD": str})
    df = iod.merge(pop[["LSOA11CD", "total_population", "aged_0_15"]], on="LSOA11CD")
    df["fp"] = df["LSOA11CD"].map(wigan["lookup"])
    prof = wigan["profile"]
    for fp, grp in df.groupby("fp"):
        w = grp["total_population"]
        assert prof.loc[fp, "imd_score"] == pytest.approx(
            (grp["imd_score_derived"] * w).sum() / w.sum(), rel=1e-9
        )
        ok = grp["idaci_rate_approx"].notna()
        wc = grp.loc[ok, "aged_0_15"]
        expected = (grp.loc[ok, "idaci_rate_approx"] * wc).sum() / wc.sum()
        assert prof.loc[fp, "idaci_rate"] == pytest.approx(expected, rel=1e-9)
    census = pd.read_csv(
        d / "wigan_census2021_household_deprivation_lsoa2021.csv", dtype={"LSOA21CD": str}
    )
    rate = 100 * census["hh_overcrowded_bedrooms"].sum() / census["hh_total"].sum()
    assert prof.loc["All areas", "overcrowding_rate"] == pytest.approx(rate, rel=1e-12)


def test_schools_placed_by_postcode_counted_per_footprint(wigan):
    place = wigan["place"]
    assert len(place.sites) == 135
    assert not place.sites["outside"].any()
    # Independent count: the pack's own point-in-polygon LSOA for each school's postcode.
    schools = pd.read_csv(wigan["dir"] / "wigan_schools_ks2_ks4_ks5_2019.csv", dtype=str)
    expected = schools["lsoa21cd_pip"].map(wigan["lookup"]).value_counts()
    prof = wigan["profile"]
    for fp, n in expected.items():
        assert prof.loc[fp, "sites_school"] == n
    assert prof.loc["All areas", "sites_school"] == 135
    s = place.sites.set_index("site_id")
    assert s.loc["106399", "phase"] == "Primary"
    assert (s["area_code"] == schools.set_index("URN")["lsoa21cd_pip"].reindex(s.index)).all()


def test_attributions_carried(wigan):
    texts = " ".join(a.text for a in wigan["place"].attributions)
    assert "Office for National Statistics" in texts and "Open Government Licence" in texts
    assert "Department for Education" in texts and "Royal Mail" in texts
    assert not wigan["place"].synthetic
