"""Transit on the demo borough out of the box: its synthetic buses, the CLI, the indicators."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from geo.build.places import demo_bundle_path
from geo.datasets import demo
from geo.datasets._demo_buses import write_demo_buses
from geo.datasets._demo_streets import write_demo_streets
from geo.network.travel import area_points, travel_time_matrix
from geo.place.bundle import read_place
from geo.transit.feed import read_timetable
from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def bundle():
    return demo_bundle_path()


@pytest.fixture(scope="module")
def place(bundle):
    return read_place(bundle)


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_buses_are_deterministic_with_town_headways(tmp_path):
    borough = demo._make_borough(20241121)
    streets = write_demo_streets(
        tmp_path / "s.gpkg", outline=borough.outline, towns=borough.towns, seed=20241121
    )
    a = write_demo_buses(tmp_path / "a.zip", streets=streets, towns=borough.towns)
    b = write_demo_buses(tmp_path / "b.zip", streets=streets, towns=borough.towns)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        freq = pd.read_csv(zf.open("frequencies.txt"))
        agency = pd.read_csv(zf.open("agency.txt"))
    assert "synthetic demo data" in agency["agency_name"].iat[0]
    weekday = freq[freq["trip_id"].str.endswith("WEEKDAY")]
    day = weekday[weekday["start_time"] < "19:00:00"]["headway_secs"] / 60
    evening = weekday[weekday["start_time"] >= "19:00:00"]["headway_secs"] / 60
    assert day.between(10, 30).all() and day.min() == 10 and day.max() >= 20
    assert (evening > day.min()).all()  # fewer trips in the evening
    table = read_timetable([a], dt.date(2026, 3, 10))
    assert len(table.patterns) >= 2 * (len(borough.towns) + len(borough.towns) - 1)
    by_hour = np.bincount(
        (np.concatenate([p.dep[:, 0] for p in table.patterns]) // 3600).astype(int)
    )
    assert by_hour[8] >= 1.5 * by_hour[21] > 0


def test_demo_has_transit_and_it_beats_walking_somewhere(place):
    assert place.meta["transit_date"] == "2026-03-10" and "transit_stops" in place.tables
    hubs = place.sites[place.sites["kind"] == "family_hub"].geometry
    points = area_points(place)
    pt = travel_time_matrix(place, points, hubs, mode="transit")
    walk = travel_time_matrix(place, points, hubs, mode="walk")
    assert np.all(pt <= walk + 1e-6)
    assert np.mean(pt.min(axis=1) < walk.min(axis=1) - 5) > 0.2
    assert any("synthetic" in a.text and "Bus" in a.text for a in place.attributions)


def test_demo_jts_indicators_are_in_the_catalogue(place):
    for key in ("pt_minutes_to_family_hub", "pt_minutes_to_school",
                "pt_family_hub_within_30", "pt_family_hub_within_45"):  # fmt: skip
        assert key in place.catalogue and key in place.areas
    a = place.areas
    assert (a["pt_family_hub_within_30"] <= a["pt_family_hub_within_45"]).all()
    reached = a["pt_minutes_to_family_hub"] <= 30
    assert ((a["pt_family_hub_within_30"] >= 1) == reached).all()
    assert a["pt_minutes_to_school"].median() < a["pt_minutes_to_family_hub"].median()
    key = "pt_minutes_to_family_hub"
    assert (a[f"{key}_p10"] <= a[key] + 1e-9).all() and (a[key] <= a[f"{key}_p90"] + 1e-9).all()
    assert (a[f"{key}_p10"] < a[f"{key}_p90"]).mean() > 0.5  # waiting matters
    assert "90th percentile" in place.catalogue[f"{key}_p90"].label
    assert place.catalogue[f"{key}_p90"].higher_is is None  # context: not rated
    assert "pt_minutes_to_school_p10" not in place.catalogue  # hubs only


def test_cli_access_transit_writes_median_and_percentiles(bundle, tmp_path, capsys):
    out = tmp_path / "pt.csv"
    code, _, err = run(
        ["access", bundle, "--to", "family_hub", "--mode", "transit", "--out", out, "--keys"],
        capsys,
    )
    assert code == 0, err
    meta = json.loads(out.with_name("pt.csv-metadata.json").read_text(encoding="utf-8"))
    assert "synthetic demo data" in meta["dc:title"]
    assert "median of departures each minute 07:00-09:00 on 2026-03-10" in " ".join(
        meta["rdfs:comment"]
    )
    table = pd.read_csv(out)
    key = "minutes_to_family_hub_by_transit"
    assert {key, f"{key}_p10", f"{key}_p90"} <= set(table.columns)
    assert (table[f"{key}_p10"] <= table[key]).all() and (table[key] <= table[f"{key}_p90"]).all()


def test_cli_isochrones_transit_four_nested_bands(bundle, place, tmp_path, capsys):
    hub = place.sites[place.sites["kind"] == "family_hub"]["site_id"].iat[0]
    out = tmp_path / "iso.geojson"
    code, stdout, err = run(
        ["isochrones", bundle, "--from", hub, "--mode", "transit", "--minutes", "15,30,45,60",
         "--out", out], capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "4 band(s) by transit (transit-grid)" in stdout
    bands = [shape(f["geometry"]) for f in json.loads(out.read_text())["features"]]
    areas = [b.area for b in bands]
    assert areas == sorted(areas) and areas[0] > 0
    assert all(shapely.covers(bands[i + 1].buffer(1), bands[i]) for i in range(3))


def test_cli_transit_without_timetable_is_one_line(tmp_path, capsys):
    from geo.build.pipeline import build_bundle

    out = tmp_path / "tiny.gpkg"
    build_bundle(write_tiny_place(tmp_path), out)
    code, _, err = run(["access", out, "--to", "school", "--mode", "transit"], capsys)
    assert code == 2
    assert "needs a public transport timetable" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_access_page_offers_and_draws_transit(bundle):
    from hubplan.web import create_app

    create_app(place=str(bundle))
    from hubplan.pages import access as page
    from hubplan.pages import planner

    place = read_place(bundle)
    settings, notices = planner.planner_settings(place, {"mode": "transit"})
    assert settings["mode"] == "transit" and not notices.items
    fig, rows, _, status = page.update("family_hub", "transit", "15,30", [], {"place": str(bundle)})
    assert status.startswith("4 hub(s) (0 dropped), transit:"), status
    assert rows and fig is not None


def test_siting_on_the_transit_matrix(bundle, tmp_path, capsys):
    out = tmp_path / "site.json"
    args = ["site", bundle, "--hubs", "2", "--minutes", "30", "--mode", "transit",
            "--candidates", "childrens_centre", "--out", out]  # fmt: skip
    code, _, err = run(args, capsys)
    assert code == 0, err
    result = json.loads(out.read_text())
    assert result["mode"] == "transit" and len(result["selected"]) == 2
    # the objective is computed on the transit matrix: check one coverage figure by hand
    place = read_place(bundle)
    sites = place.sites.set_index("site_id").loc[result["selected"]].geometry
    minutes = travel_time_matrix(place, area_points(place), sites, mode="transit").min(axis=1)
    weight = place.areas["children_0_4"].to_numpy(float)
    assert result["covered_share"] == pytest.approx(weight[minutes <= 30].sum() / weight.sum())
