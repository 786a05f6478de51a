"""Mode "transit" on a built place: the tiny place (crow-fly walking) with a hand-made feed.

Travel minutes through :func:`geo.network.travel.travel_time_matrix` must be the median over
the window of the brute-force answer, with walking legs recomputed here by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geo.build.pipeline import build_bundle, build_place
from geo.errors import InputError
from geo.network.access import access_table
from geo.network.travel import area_points, nearest_minutes, travel_time_matrix, xy
from geo.place.bundle import read_place, write_place
from geo.place.config import load_config
from tests.support.gtfs import Spec, Trip, oracle_arrivals, write_feed
from tests.support.tiny import TOML, X0, Y0, write_tiny_place

DAY = dt.date(2026, 3, 10)
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
H = 3600
STOPS_XY = {
    "west": (X0 + 300, Y0 + 400),
    "mid": (X0 + 2000, Y0 + 1500),
    "east": (X0 + 3700, Y0 + 2600),
}
WALK_MS = 4.8 / 3.6
DETOUR = 1.3
MAX_WALK = 900.0
TRANSIT = f"""
[network]
source = "crowfly"
[network.transit]
gtfs = ["bus"]
date = "2026-03-10"
window = "07:00-08:00"
max_walk_m = {MAX_WALK}
board_slack_s = 20
hub_kind = "school"
"""


def _spec() -> Spec:
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    stops = {s: to_ll.transform(*p) for s, p in STOPS_XY.items()}
    trips = [Trip(f"e{i}", "WK", ["west", "mid", "east"], [t, t + 240, t + 480])
             for i, t in enumerate(range(7 * H, 8 * H + 1800, 720))]  # fmt: skip
    trips += [Trip(f"w{i}", "WK", ["east", "mid", "west"], [t, t + 240, t + 480])
              for i, t in enumerate(range(7 * H + 300, 8 * H + 1800, 900))]  # fmt: skip
    return Spec(stops, trips, calendar={"WK": ("20260101", "20261231", WEEK)})


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_transit")
    write_feed(_spec(), folder / "bus", as_zip=False)
    return build_place(load_config(write_tiny_place(folder, toml=TOML + TRANSIT)))


def _walk(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    return d * DETOUR / WALK_MS


def _brute(origins: np.ndarray, dests: np.ndarray, stop_ids: list[str]) -> np.ndarray:
    return np.median(_brute_seconds(origins, dests, stop_ids), axis=0) / 60.0


def _brute_seconds(origins: np.ndarray, dests: np.ndarray, stop_ids: list[str]) -> np.ndarray:
    """Brute-force travel seconds ``(departures, origins, destinations)``."""
    stops = np.array([STOPS_XY[s] for s in stop_ids])
    limit = MAX_WALK / WALK_MS
    access = _walk(origins, stops).T
    access[access > limit] = np.inf
    transfers = [(i, j, w) for (i, j), w in np.ndenumerate(_walk(stops, stops))
                 if i != j and w <= limit]  # fmt: skip
    egress = [(i, j, w) for (i, j), w in np.ndenumerate(_walk(stops, dests)) if w <= limit]
    deps = list(range(7 * H, 8 * H, 60))
    arrive = oracle_arrivals(
        _spec(), DAY, stop_ids=stop_ids, access=access, transfers=transfers, egress=egress,
        direct=_walk(origins, dests), departures=deps, slack=20.0,
    )  # fmt: skip
    return arrive - np.array(deps)[:, None, None]


def test_transit_matrix_is_the_median_of_the_brute_force_answer(place):
    points = area_points(place)
    sites = place.sites.geometry
    got = travel_time_matrix(place, points, sites, mode="transit")
    stop_ids = list(place.tables["transit_stops"]["stop_id"])
    want = _brute(xy(points), xy(sites), stop_ids)
    np.testing.assert_allclose(got, want, atol=1e-3)  # stops went through lon/lat: mm apart
    walk = travel_time_matrix(place, points, sites, mode="walk")
    assert np.all(got <= walk + 1e-9) and np.any(got < walk - 5)  # the bus helps somewhere


def test_nearest_and_access_table_give_median_and_percentiles(place):
    minutes, nearest = nearest_minutes(
        place, area_points(place), place.sites.geometry, mode="transit"
    )
    assert np.isfinite(minutes).all() and (nearest >= 0).all()
    table = access_table(place, "school", mode="transit")
    key = "minutes_to_school_by_transit"
    assert list(table.columns[3:6]) == [key, f"{key}_p10", f"{key}_p90"]
    assert (table[f"{key}_p10"] <= table[key] + 1e-9).all()
    assert (table[key] <= table[f"{key}_p90"] + 1e-9).all()
    np.testing.assert_allclose(table[key], np.round(minutes, 2))
    assert "median of departures each minute 07:00-08:00 on 2026-03-10" in table["method"].iat[0]


def test_per_area_indicators_have_median_p10_and_p90_of_the_brute_force(place, tmp_path, capsys):
    from hubplan.cli.main import main

    ids = list(place.tables["transit_stops"]["stop_id"])
    schools = place.sites[place.sites["kind"] == "school"].geometry
    first = _brute_seconds(xy(area_points(place)), xy(schools), ids).min(axis=2) / 60.0
    key = "pt_minutes_to_school"
    for suffix, q in (("", 50), ("_p10", 10), ("_p90", 90)):
        want = np.round(np.percentile(first, q, axis=0), 2)
        np.testing.assert_allclose(place.areas[key + suffix].to_numpy(), want, atol=0.011)
        assert place.catalogue[key + suffix].unit == "minutes"
    assert (place.areas[f"{key}_p10"] < place.areas[f"{key}_p90"]).any()  # the wait matters
    assert place.catalogue[f"{key}_p10"].label == (
        "Minutes to the nearest school by public transport and walking, 10th percentile of "
        "departures"
    )
    bundle = tmp_path / "tiny.gpkg"
    write_place(place, bundle)
    out = tmp_path / "areas.csv"
    code = main(["export-data", str(bundle), "--what", "areas", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    header = pd.read_csv(out, encoding="utf-8-sig", nrows=0).columns
    for nth in ("10th", "90th"):
        label = f"by public transport and walking, {nth} percentile of departures (minutes)"
        assert any(label in h for h in header), "|".join(header)
    table = pd.read_csv(out, encoding="utf-8-sig")
    col = next(h for h in header if "10th percentile" in h and "school" in h)
    np.testing.assert_allclose(table[col], place.areas[f"{key}_p10"].to_numpy(), atol=0.051)


def test_bundle_round_trip_keeps_the_timetable(place, tmp_path):
    folder = tmp_path / "p"
    write_feed(_spec(), folder / "bus", as_zip=False)
    toml = write_tiny_place(folder, toml=TOML + TRANSIT)
    built = build_bundle(toml, tmp_path / "out.gpkg")
    again = read_place(tmp_path / "out.gpkg")
    a = travel_time_matrix(built, area_points(built), built.sites.geometry, mode="transit")
    b = travel_time_matrix(again, area_points(again), again.sites.geometry, mode="transit")
    np.testing.assert_allclose(a, b)
    assert any(x.source == "timetables" for x in again.attributions)


def test_bundle_keeps_pickup_drop_off_and_transfer_rules(tmp_path):
    from geo.transit.store import place_timetable

    spec = _spec()
    spec.trips[0].pickup = [0, 1, 0]
    spec.trips[0].dropoff = [0, 1, 0]
    spec.transfers = [("mid", "mid", 2, 300), ("west", "mid", 3, None)]
    write_feed(spec, tmp_path / "bus", as_zip=False)
    toml = write_tiny_place(tmp_path, toml=TOML + TRANSIT)
    built = build_bundle(toml, tmp_path / "out.gpkg")
    again = read_place(tmp_path / "out.gpkg")
    one, two = place_timetable(built), place_timetable(again)
    assert len(two.transfers) == 2 and list(two.transfers.kind) == list(one.transfers.kind)
    assert np.array_equal(two.transfers.min_s, one.transfers.min_s, equal_nan=True)
    flagged = [p for p in two.patterns if p.board is not None]
    assert len(flagged) == 1 and flagged[0].trip_ids == ("e0",)
    assert flagged[0].board.tolist() == [True, False, True] == flagged[0].alight.tolist()
    a = travel_time_matrix(built, area_points(built), built.sites.geometry, mode="transit")
    b = travel_time_matrix(again, area_points(again), again.sites.geometry, mode="transit")
    np.testing.assert_allclose(a, b)
    # the isochrones' reverse search follows the same rules as the forward one
    from geo.transit.access import travel_seconds
    from geo.transit.isochrones import grid_points, nearest_hub_seconds

    pts, hubs = grid_points(again, cell_m=300.0), xy(again.sites.geometry)[:2]
    fast = nearest_hub_seconds(again, pts, hubs)
    np.testing.assert_allclose(fast, travel_seconds(again, pts, hubs).seconds.min(axis=2))


def test_no_timetable_means_a_clear_error(tmp_path):
    plain = build_place(load_config(write_tiny_place(tmp_path)))
    with pytest.raises(InputError, match=r"mode 'transit' needs a public transport timetable"):
        travel_time_matrix(plain, area_points(plain), plain.sites.geometry, mode="transit")


def test_build_refuses_a_date_outside_the_feed_naming_it(tmp_path):
    write_feed(_spec(), tmp_path / "bus", as_zip=False)
    toml = write_tiny_place(tmp_path, toml=TOML + TRANSIT.replace("2026-03-10", "2027-03-10"))
    with pytest.raises(InputError, match=r"bus: the service date 2027-03-10 is outside"):
        build_place(load_config(toml))


@pytest.mark.parametrize(
    ("date", "said"),
    [
        ("2027-03-10", r"bus: the service date 2027-03-10 is outside this feed's calendar "
                       r"\(2026-01-01 to 2026-12-31\)"),
        ("2026-03-14", r"bus: GTFS feed has no service on 2026-03-14 \(Saturday\)"),
    ],
)  # fmt: skip
def test_cli_build_refuses_a_bad_service_date_in_one_line(tmp_path, capsys, date, said):
    import re

    from hubplan.cli.main import main

    write_feed(_spec(), tmp_path / "bus", as_zip=False)
    toml = write_tiny_place(tmp_path, toml=TOML + TRANSIT.replace("2026-03-10", date))
    code = main(["build", str(toml), "--out", str(tmp_path / "out.gpkg")])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(said, lines[0]), lines[0]
    assert not (tmp_path / "out.gpkg").exists()


def test_far_stops_are_listed_in_a_warning(tmp_path):
    spec = _spec()
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    spec.stops["lonely"] = to_ll.transform(X0 + 9000, Y0 + 9000)
    spec.trips.append(Trip("x", "WK", ["east", "lonely"], [7 * H, 7 * H + 900]))
    write_feed(spec, tmp_path / "bus", as_zip=False)
    built = build_place(load_config(write_tiny_place(tmp_path, toml=TOML + TRANSIT)))
    warnings = [
        f.message for f in built.findings if f.level == "warning" and "transit" in f.message
    ]
    assert warnings and "lonely (Stop lonely)" in warnings[0] and "900 m" in warnings[0]


def test_stop_profiles_give_the_same_nearest_hub_times_as_routing_each_point(place):
    from geo.transit.access import nearest, travel_seconds
    from geo.transit.isochrones import grid_points, nearest_hub_seconds

    pts = grid_points(place, cell_m=200.0)
    hubs = xy(place.sites.geometry)[:2]
    fast = nearest_hub_seconds(place, pts, hubs)
    full = travel_seconds(place, pts, hubs).seconds.min(axis=2)
    np.testing.assert_allclose(fast, full, atol=1e-6)
    assert np.isfinite(nearest(travel_seconds(place, pts, hubs))["median"]).all()


def test_on_a_road_network_walking_legs_use_the_streets(tmp_path):
    from geo.network.graph import mode_graph
    from geo.network.routing import seconds_matrix, snap
    from tests.support.osm import write_network_place

    spec = _spec()
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    spec.stops["far"] = to_ll.transform(X0 + 3500, Y0 + 9000)  # 6 km north of every street
    spec.trips.append(Trip("x", "WK", ["east", "far"], [7 * H, 7 * H + 900]))
    write_feed(spec, tmp_path / "bus", as_zip=False)
    transit = TRANSIT.replace('[network]\nsource = "crowfly"\n', "")
    built = build_place(
        load_config(write_network_place(tmp_path, network='source = "net.osm"\n' + transit))
    )
    far = [f.message for f in built.findings if "cannot be walked to" in f.message]
    assert far and "far (Stop far)" in far[0] and "the walking network" in far[0]
    points, sites = area_points(built), built.sites.geometry
    got = travel_time_matrix(built, points, sites, mode="transit")
    # the brute force with walking legs on the same streets
    graph = mode_graph(built, "walk")
    ids = list(built.tables["transit_stops"]["stop_id"])
    stops = built.tables["transit_stops"][["x", "y"]].to_numpy(float)
    o, s, d = snap(graph, xy(points)), snap(graph, stops), snap(graph, xy(sites))
    limit = MAX_WALK / WALK_MS
    access = seconds_matrix(graph, o, s, limit_s=limit).T
    between = seconds_matrix(graph, s, s, limit_s=limit)
    egress = seconds_matrix(graph, s, d, limit_s=limit)
    transfers = [(i, j, w) for (i, j), w in np.ndenumerate(between) if i != j and np.isfinite(w)]
    eg = [(i, j, w) for (i, j), w in np.ndenumerate(egress) if np.isfinite(w)]
    deps = list(range(7 * H, 8 * H, 60))
    arrive = oracle_arrivals(
        spec, DAY, stop_ids=ids, access=access, transfers=transfers, egress=eg,
        direct=seconds_matrix(graph, o, d), departures=deps, slack=20.0,
    )  # fmt: skip
    want = np.median(arrive - np.array(deps)[:, None, None], axis=0) / 60.0
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert np.any(got < travel_time_matrix(built, points, sites, mode="walk") - 1)
