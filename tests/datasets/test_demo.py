"""The synthetic demo borough: deterministic, loadable, geometrically sound and realistic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.datasets import demo
from geo.place.config import load_config

FILES = (
    "areas.geojson",
    "indicators.csv",
    "footprints.csv",
    "schools.csv",
    "childrens_centres.csv",
    "family_hubs.csv",
    "place.toml",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo.write_demo_sources(out)
    return out


@pytest.fixture(scope="module")
def areas(folder: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / "areas.geojson").to_crs("EPSG:27700")


@pytest.fixture(scope="module")
def indicators(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "indicators.csv", dtype={"area_code": str})


def _adjacency(geoms: np.ndarray) -> list[set[int]]:
    """Areas sharing a stretch of boundary (touching at a corner does not count)."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    adj: list[set[int]] = [set() for _ in geoms]
    for i, j in zip(left[shared > 0], right[shared > 0], strict=True):
        adj[i].add(int(j))
        adj[j].add(int(i))
    return adj


def _connected(members: set[int], adj: list[set[int]]) -> bool:
    start = next(iter(members))
    seen, stack = {start}, [start]
    while stack:
        for j in adj[stack.pop()] & members:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen == members


def test_writes_every_file_and_returns_toml(tmp_path: Path) -> None:
    toml = demo.write_demo_sources(tmp_path / "new" / "demo")
    assert toml == tmp_path / "new" / "demo" / "place.toml"
    for name in FILES:
        assert (toml.parent / name).stat().st_size > 0, name


def test_deterministic_for_a_seed(tmp_path: Path, folder: Path) -> None:
    again = tmp_path / "again"
    demo.write_demo_sources(again)
    for name in FILES:
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
    other = tmp_path / "other"
    demo.write_demo_sources(other, seed=7)
    assert (other / "areas.geojson").read_bytes() != (folder / "areas.geojson").read_bytes()


def test_config_parses_and_says_synthetic(folder: Path) -> None:
    config = load_config(folder / "place.toml")
    assert config.name == demo.DEMO_NAME
    assert demo.SYNTHETIC_LABEL in config.name
    assert config.synthetic
    assert config.crs == "EPSG:27700"
    assert config.areas.code == "area_code"
    assert "synthetic" in config.areas.attribution.lower()
    cols = {c.key: c for src in config.indicators for c in src.columns}
    table = pd.read_csv(config.indicators[0].path, nrows=1)
    for ind in cols.values():
        assert "synthetic" in ind.attribution.lower()
        if ind.kind != "rate":
            assert ind.column in table.columns, ind.key
    assert cols["imd_score"].england == 21.7 and cols["imd_score"].weight == "population"
    assert cols["imd_decile"].national_decile and cols["imd_decile"].kind == "mean"
    assert cols["idaci_score"].weight == "children_0_15"
    assert cols["looked_after_children"].sensitive
    ae, gld, lac = cols["ae_rate"], cols["school_readiness"], cols["lac_rate"]
    assert (ae.numerator, ae.denominator, ae.per, ae.higher_is) == (
        "ae_attendances_0_4", "children_0_4", 1000, "worse",
    )  # fmt: skip
    assert (gld.numerator, gld.denominator, gld.per, gld.higher_is, gld.england) == (
        "gld_achieved", "gld_eligible", 100, "better", 67.2,
    )  # fmt: skip
    assert (lac.numerator, lac.denominator, lac.per, lac.england) == (
        "looked_after_children", "children_0_17", 10000, 70,
    )  # fmt: skip
    assert [s.kind for s in config.sites] == ["school", "childrens_centre", "family_hub"]
    assert config.sites[0].details == {"phase": "phase", "type": "type"}
    assert all("synthetic" in s.attribution.lower() for s in config.sites)
    assert config.footprints.label == "Service Delivery Footprint"
    assert config.network.source.endswith("streets.gpkg")


def test_synthetic_label_matches_place_module() -> None:
    if importlib.util.find_spec("geo.place.model") is None:
        pytest.skip("geo.place.model not written yet")
    from geo.place.model import SYNTHETIC_LABEL

    assert demo.SYNTHETIC_LABEL == SYNTHETIC_LABEL


def test_areas_are_valid_and_tile_the_borough(folder: Path, areas: gpd.GeoDataFrame) -> None:
    raw = gpd.read_file(folder / "areas.geojson")
    assert raw.crs.to_epsg() == 4326
    assert 180 <= len(areas) <= 250
    assert areas["area_code"].is_unique and areas["area_code"].str.fullmatch(r"D01\d{6}").all()
    assert areas["area_name"].str.fullmatch(r"[A-Z][a-z]+ \d{3}[A-Z]").all()
    assert (areas.geom_type == "Polygon").all()
    assert areas.is_valid.all() and not areas.is_empty.any()

    outline = demo._make_borough(20241121).outline
    union = areas.union_all()
    assert union.area == pytest.approx(outline.area, rel=1e-4)  # no gaps
    assert areas.area.sum() == pytest.approx(union.area, rel=1e-4)  # no overlaps
    assert shapely.symmetric_difference(union, outline).area < 1e-4 * outline.area
    x0, y0, x1, y1 = union.bounds
    assert x0 >= 395_000 and x1 <= 415_000 and y0 >= 385_000 and y1 <= 400_000
    assert x1 - x0 > 15_000 and y1 - y0 > 10_000
    # dense towns, sparse countryside: small areas in town centres, large ones outside
    km2 = areas.area / 1e6
    assert km2.max() > 10 * km2.min()


def test_population_and_age_bands(indicators: pd.DataFrame, areas: gpd.GeoDataFrame) -> None:
    ind = indicators
    assert set(ind["area_code"]) == set(areas["area_code"])
    assert ind["population"].mean() == pytest.approx(1_500, abs=100)
    assert ind["population"].between(900, 2_300).all()
    counts = [
        "population", "children_0_4", "children_5_10", "children_11_15", "children_16_17",
        "children_0_15", "children_0_17", "ae_attendances_0_4", "gld_achieved", "gld_eligible",
        "looked_after_children", "imd_decile",
    ]  # fmt: skip
    for col in counts:
        assert pd.api.types.is_integer_dtype(ind[col]), col
        assert (ind[col] >= 0).all(), col
    assert (
        ind["children_0_15"] == ind[["children_0_4", "children_5_10", "children_11_15"]].sum(axis=1)
    ).all()
    assert (ind["children_0_17"] == ind["children_0_15"] + ind["children_16_17"]).all()
    assert (ind["children_0_17"] < ind["population"]).all()
    share = ind["children_0_17"] / ind["population"]
    assert share.between(0.1, 0.4).all()
    # more children where deprived
    assert np.corrcoef(share, ind["imd_score"])[0, 1] > 0.3


def test_indicator_ranges(indicators: pd.DataFrame) -> None:
    ind = indicators
    ranges = {
        "imd_score": (2, 75), "income_score": (0, 0.5), "employment_score": (0, 0.4),
        "education_score": (0, 80), "health_score": (-2.5, 2.5), "crime_score": (-2, 2),
        "barriers_score": (5, 45), "living_env_score": (2, 60), "idaci_score": (0, 0.6),
        "imd_decile": (1, 10), "looked_after_children": (0, 15),
    }  # fmt: skip
    for col, (lo, hi) in ranges.items():
        assert ind[col].between(lo, hi).all(), col
    assert ind["imd_score"].skew() > 0.5
    assert ind["imd_decile"].nunique() >= 8
    # decile from the score: monotone, decile 1 well above ~34 and decile 10 low
    order = ind.sort_values("imd_score")
    assert order["imd_decile"].is_monotonic_decreasing
    assert ind.loc[ind["imd_decile"] == 1, "imd_score"].min() > 30
    for col in ("income_score", "employment_score", "education_score", "health_score",
                "crime_score", "living_env_score", "idaci_score", "looked_after_children"):  # fmt: skip
        assert np.corrcoef(ind[col], ind["imd_score"])[0, 1] > 0.5, col
    ae = ind["ae_attendances_0_4"] / ind["children_0_4"]
    assert ae.between(0.35, 1.05).all()
    gld = ind["gld_achieved"] / ind["gld_eligible"]
    assert gld.between(0.55, 0.80).all()
    assert np.corrcoef(gld, ind["imd_score"])[0, 1] < -0.3
    assert (ind["gld_eligible"] <= ind["children_0_4"]).all()


def test_deprivation_is_spatially_smooth(areas: gpd.GeoDataFrame, indicators: pd.DataFrame) -> None:
    imd = indicators.set_index("area_code")["imd_score"].reindex(areas["area_code"]).to_numpy()
    adj = _adjacency(areas.geometry.to_numpy())
    assert all(adj), "every area has a neighbour"
    neighbour_mean = np.array([imd[list(n)].mean() for n in adj])
    assert np.corrcoef(imd, neighbour_mean)[0, 1] > 0.3


def test_footprints_are_contiguous(folder: Path, areas: gpd.GeoDataFrame) -> None:
    fp = pd.read_csv(folder / "footprints.csv", dtype=str)
    assert list(fp.columns) == ["area_code", "footprint"]
    assert fp["area_code"].is_unique and set(fp["area_code"]) == set(areas["area_code"])
    assert 5 <= fp["footprint"].nunique() <= 8
    owner = fp.set_index("area_code")["footprint"].reindex(areas["area_code"]).to_numpy()
    adj = _adjacency(areas.geometry.to_numpy())
    for name in np.unique(owner):
        members = set(np.flatnonzero(owner == name).tolist())
        assert _connected(members, adj), f"footprint {name!r} is not contiguous"


def test_sites_inside_the_borough(folder: Path, areas: gpd.GeoDataFrame) -> None:
    borough = areas.union_all()
    schools = pd.read_csv(folder / "schools.csv")
    assert list(schools.columns) == ["urn", "name", "phase", "type", "easting", "northing"]
    assert 110 <= len(schools) <= 130
    assert schools["urn"].is_unique and schools["name"].is_unique
    phases = schools["phase"].value_counts()
    assert 85 <= phases["Primary"] <= 105 and 14 <= phases["Secondary"] <= 22
    assert set(phases.index) == {"Primary", "Secondary", "Special", "All-through"}
    assert set(schools["type"]) == {"Academy", "Maintained school", "Special school"}
    assert shapely.contains_xy(borough, schools["easting"], schools["northing"]).all()

    centres = pd.read_csv(folder / "childrens_centres.csv")
    hubs = pd.read_csv(folder / "family_hubs.csv")
    assert 8 <= len(centres) + len(hubs) <= 12 and len(hubs) >= 3
    for sites in (centres, hubs):
        assert list(sites.columns) == ["id", "name", "lon", "lat"]
        assert sites["id"].is_unique
        pts = gpd.GeoSeries(gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326")
        assert pts.to_crs("EPSG:27700").within(borough).all()


def test_other_seeds_are_sound(tmp_path: Path) -> None:
    for seed in (1, 2):
        folder = tmp_path / str(seed)
        demo.write_demo_sources(folder, seed=seed)
        config = load_config(folder / "place.toml")
        areas = gpd.read_file(config.areas.path)
        assert 180 <= len(areas) <= 250 and areas.is_valid.all()
        fp = pd.read_csv(folder / "footprints.csv")
        assert 5 <= fp["footprint"].nunique() <= 8


def test_demo_builds(folder: Path) -> None:
    if importlib.util.find_spec("geo.build.pipeline") is None:
        pytest.skip("geo.build.pipeline not written yet")
    from geo.build.pipeline import build_place

    place = build_place(load_config(folder / "place.toml"))
    assert place.synthetic
    assert len(place.areas) == len(pd.read_csv(folder / "footprints.csv"))
    assert len(place.footprint_names) == 7
    assert len(place.sites) > 120
    assert not [f for f in place.findings if f.level == "warning"]
    assert place.areas["school_readiness"].between(55, 80).all()
