"""Range RAPTOR against a brute-force time-expanded search (networkx) on hand-made feeds.

Each feed is written as GTFS files, read back through gtfs-kit (:func:`read_timetable`) and
routed; the oracle (tests/support/gtfs.py) works from the same hand-made description without
reading the files. Answers must agree exactly (the issue asks for within a minute).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from geo.transit.feed import read_timetable
from geo.transit.raptor import Legs, apply_rules, earliest_arrivals
from tests.support.gtfs import Spec, Trip, oracle_arrivals, write_feed

DAY = dt.date(2026, 3, 10)  # a Tuesday
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
CAL = {"WK": ("20260101", "20261231", WEEK)}
H = 3600


def _legs(stop_ids, *, access, transfers, egress, direct):
    """Legs from dicts keyed by stop id: access {stop: [sec per origin]}, transfers/egress lists."""
    idx = {s: i for i, s in enumerate(stop_ids)}
    n_origins = np.asarray(direct).shape[0]
    acc = np.full((len(stop_ids), n_origins), np.inf)
    for s, secs in access.items():
        if s in idx:
            acc[idx[s]] = secs
    tr = [(idx[a], idx[b], w) for a, b, w in transfers if a in idx and b in idx]
    eg = [(idx[s], j, w) for s, j, w in egress if s in idx]

    def arrays(pairs):
        if not pairs:
            return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        a, b, w = zip(*pairs, strict=True)
        return (np.array(a), np.array(b), np.array(w, float))

    legs = Legs(acc, arrays(tr), arrays(eg), np.asarray(direct, float))
    return legs, tr, eg


def _both(tmp_path, spec, *, access, transfers=(), egress, direct, departures, slack=0.0):
    feed = write_feed(spec, tmp_path / "feed")
    table = read_timetable([feed], DAY)
    ids = list(table.stop_ids)
    legs, tr, eg = _legs(ids, access=access, transfers=transfers, egress=egress, direct=direct)
    between, same = apply_rules(legs.transfer, table.transfers, table.n_stops)  # transfers.txt
    ruled = dataclasses.replace(legs, transfer=between, same_stop=same)
    got = earliest_arrivals(table.patterns, table.n_stops, ruled, departures, board_slack_s=slack)
    want = oracle_arrivals(
        spec, DAY, stop_ids=ids, access=legs.access, transfers=tr, egress=eg,
        direct=legs.direct, departures=departures, slack=slack,
    )  # fmt: skip
    return got, want


def _every(start, end, step):
    return list(range(start, end, step))


def test_transfer_between_two_routes(tmp_path):
    trips = [Trip(f"A{i}", "WK", ["a1", "a2", "a3"], [t, t + 300, t + 600])
             for i, t in enumerate(_every(7 * H, 9 * H, 900))]  # fmt: skip
    trips += [Trip(f"B{i}", "WK", ["b1", "b2"], [t, t + 420], dwell=30)
              for i, t in enumerate(_every(7 * H + 120, 9 * H + 1800, 600))]  # fmt: skip
    stops = {s: (-2.6 + i * 0.01, 53.5) for i, s in enumerate(["a1", "a2", "a3", "b1", "b2"])}
    spec = Spec(stops, trips, calendar=CAL)
    got, want = _both(
        tmp_path, spec,
        access={"a1": [120.0, 400.0], "a2": [np.inf, 200.0]},
        transfers=[("a3", "b1", 150.0), ("b1", "a3", 150.0)],
        egress=[("b2", 0, 90.0), ("a3", 1, 60.0)],
        direct=[[4000.0, 3000.0], [np.inf, 5000.0]],
        departures=_every(7 * H, 9 * H, 60), slack=30.0,
    )  # fmt: skip
    np.testing.assert_allclose(got, want)
    # the answer uses the transfer: faster than walking, and not possible on route A alone
    assert np.all(got[:60, 0, 0] - np.arange(7 * H, 8 * H, 60) < 4000)


def test_service_ending_mid_window_then_walking_wins(tmp_path):
    trips = [Trip(f"L{i}", "WK", ["s1", "s2"], [t, t + 600])
             for i, t in enumerate(_every(7 * H, 7 * H + 2400, 600))]  # last at 07:30  # fmt: skip
    spec = Spec({"s1": (-2.6, 53.5), "s2": (-2.5, 53.5)}, trips, calendar=CAL)
    deps = _every(7 * H, 9 * H, 60)
    got, want = _both(
        tmp_path, spec, access={"s1": [180.0]}, egress=[("s2", 0, 120.0)],
        direct=[[2700.0]], departures=deps,
    )  # fmt: skip
    np.testing.assert_allclose(got, want)
    travel = got[:, 0, 0] - np.array(deps)
    assert travel[0] < 2700 and np.all(travel[deps.index(7 * H + 1800) :] == 2700)


def test_trip_past_midnight_and_previous_day_trip(tmp_path):
    trips = [
        Trip("late", "WK", ["n1", "n2", "n3"], [23 * H + 50 * 60, 24 * H + 5 * 60, 24 * H + 20 * 60]),
        Trip("owl", "WK", ["n1", "n3"], [24 * H + 40 * 60, 25 * H]),  # runs 00:40 the next day
    ]  # fmt: skip
    stops = {"n1": (-2.6, 53.5), "n2": (-2.55, 53.5), "n3": (-2.5, 53.5)}
    spec = Spec(stops, trips, calendar=CAL)
    for deps in (_every(23 * H + 30 * 60, 24 * H + 30 * 60, 60), _every(0, 3600, 60)):
        got, want = _both(
            tmp_path, spec, access={"n1": [60.0]}, egress=[("n3", 0, 60.0)],
            direct=[[9000.0]], departures=deps,
        )  # fmt: skip
        np.testing.assert_allclose(got, want)
        assert np.isfinite(got).all() and (got[:, 0, 0] - np.array(deps) < 9000).any()


def test_calendar_dates_exceptions(tmp_path):
    trips = [
        Trip("weekday", "WK", ["c1", "c2"], [7 * H + 600, 7 * H + 1200]),
        Trip("removed", "GONE", ["c1", "c2"], [7 * H + 300, 7 * H + 900]),
        Trip("added", "EXTRA", ["c1", "c2"], [7 * H + 1500, 7 * H + 1800]),
        Trip("sunday", "SUN", ["c1", "c2"], [7 * H + 60, 7 * H + 400]),
    ]
    calendar = {**CAL, "GONE": ("20260101", "20261231", WEEK),
                "SUN": ("20260101", "20261231", ("sunday",))}  # fmt: skip
    exceptions = [("GONE", "20260310", 2), ("EXTRA", "20260310", 1), ("EXTRA", "20260311", 1)]
    spec = Spec({"c1": (-2.6, 53.5), "c2": (-2.5, 53.5)}, trips, calendar, exceptions)
    deps = _every(7 * H, 8 * H, 60)
    got, want = _both(
        tmp_path, spec, access={"c1": [0.0]}, egress=[("c2", 0, 0.0)],
        direct=[[np.inf]], departures=deps,
    )  # fmt: skip
    np.testing.assert_allclose(got, want)
    assert got[0, 0, 0] == 7 * H + 1200  # the removed 07:05 and the Sunday trip do not run
    assert got[deps.index(7 * H + 1260), 0, 0] == 7 * H + 1800  # the added trip runs


def test_frequency_based_route(tmp_path):
    trips = [Trip("f", "WK", ["f1", "f2", "f3"], [0, 400, 900], dwell=20,
                  headway=(7 * H, 8 * H, 600))]  # fmt: skip
    spec = Spec({"f1": (-2.6, 53.5), "f2": (-2.55, 53.5), "f3": (-2.5, 53.5)}, trips, CAL)
    deps = _every(7 * H, 9 * H, 60)
    got, want = _both(
        tmp_path, spec, access={"f1": [100.0, 30.0], "f2": [np.inf, 500.0]},
        egress=[("f3", 0, 45.0), ("f2", 1, 10.0)], direct=[[3000.0, 2000.0], [2500.0, 2600.0]],
        departures=deps, slack=15.0,
    )  # fmt: skip
    np.testing.assert_allclose(got, want)
    travel = got[:, 0, 0] - np.array(deps)
    assert travel.min() < 1200 and travel[-1] == 3000  # frequent service, then none after 08:00


@pytest.mark.parametrize("seed", range(6))
def test_random_networks_match_brute_force(tmp_path, seed):
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(9)]
    trips = []
    for r in range(5):
        route = list(rng.choice(names, size=int(rng.integers(2, 6)), replace=False))
        hops = rng.integers(60, 600, size=len(route) - 1)
        for k, t in enumerate(
            _every(int(6.5 * H + rng.integers(0, 900)), 9 * H, int(rng.integers(300, 1500)))
        ):
            jitter = rng.integers(-30, 30, size=len(hops)) if k % 3 == 0 else 0
            times = np.concatenate([[t], t + np.cumsum(np.maximum(hops + jitter, 30))])
            trips.append(
                Trip(
                    f"r{r}t{k}",
                    "WK",
                    route,
                    [int(x) for x in times],
                    dwell=int(rng.integers(0, 40)),
                )
            )
    spec = Spec({s: (-2.6 + i * 0.01, 53.5) for i, s in enumerate(names)}, trips, calendar=CAL)
    n_origins, n_dest = 3, 3
    access = {s: np.where(rng.random(n_origins) < 0.4, rng.uniform(30, 900, n_origins), np.inf)
              for s in names}  # fmt: skip
    transfers = [(a, b, float(rng.uniform(30, 600))) for a in names for b in names
                 if a != b and rng.random() < 0.15]  # fmt: skip
    egress = [(s, j, float(rng.uniform(0, 600))) for s in names for j in range(n_dest)
              if rng.random() < 0.3]  # fmt: skip
    direct = rng.uniform(2000, 9000, (n_origins, n_dest))
    got, want = _both(
        tmp_path, spec, access=access, transfers=transfers, egress=egress, direct=direct,
        departures=_every(7 * H, 8 * H, 60), slack=float(rng.choice([0.0, 20.0])),
    )  # fmt: skip
    np.testing.assert_allclose(got, want)


def _from_profiles(profiles, access, direct, departures):
    """Earliest arrival at the nearest destination ``(departures, origins)`` from stop profiles."""
    stop, tau, arrive = profiles
    out = np.array(departures, float)[:, None] + np.asarray(direct, float).min(axis=1)[None, :]
    for o in range(access.shape[1]):
        for p in np.flatnonzero(np.isfinite(access[:, o])):
            mine = stop == p
            for i, t in enumerate(departures):
                later = arrive[mine][tau[mine] >= t + access[p, o]]
                if len(later):
                    out[i, o] = min(out[i, o], later[0])
    return out


@pytest.mark.parametrize("seed", range(6))
def test_reverse_profiles_match_brute_force(tmp_path, seed, monkeypatch):
    """The stop profiles of one reverse search give every origin's earliest arrival."""
    from geo.transit import raptor
    from geo.transit.raptor import arrival_profiles

    if seed % 2:  # deadlines in blocks of 7 columns, as a large place's would be
        monkeypatch.setattr(raptor, "_CELLS", 7 * 10)

    rng = np.random.default_rng(100 + seed)
    names = [f"s{i}" for i in range(10)]
    trips = []
    for r in range(6):
        route = list(rng.choice(names, size=int(rng.integers(2, 7)), replace=False))
        hops = rng.integers(0, 500, size=len(route) - 1)  # zero-minute hops too
        start = int(6.5 * H + rng.integers(0, 900))
        for k, t in enumerate(_every(start, 10 * H, int(rng.integers(300, 1500)))):
            times = np.concatenate([[t], t + np.cumsum(hops + (k % 2) * 30)])
            trips.append(Trip(f"r{r}t{k}", "WK", route, [int(x) for x in times],
                              dwell=int(rng.choice([0, 30]))))  # fmt: skip
    spec = Spec({s: (-2.6 + i * 0.01, 53.5) for i, s in enumerate(names)}, trips, calendar=CAL)
    n_origins, n_dest = 4, 2
    access = {s: np.where(rng.random(n_origins) < 0.4, rng.integers(0, 900, n_origins), np.inf)
              for s in names}  # fmt: skip
    transfers = [(a, b, float(rng.integers(30, 600))) for a in names for b in names
                 if a != b and rng.random() < 0.2]  # fmt: skip
    egress = [(s, j, float(rng.integers(0, 600))) for s in names for j in range(n_dest)
              if rng.random() < 0.3]  # fmt: skip
    direct = rng.uniform(3000, 9000, (n_origins, n_dest))
    deps = _every(7 * H, 8 * H, 60)
    slack = float(rng.choice([0.0, 20.0]))
    feed = write_feed(spec, tmp_path / "feed")
    table = read_timetable([feed], DAY)
    legs, tr, eg = _legs(list(table.stop_ids), access=access, transfers=transfers,
                         egress=egress, direct=direct)  # fmt: skip
    want = oracle_arrivals(
        spec, DAY, stop_ids=list(table.stop_ids), access=legs.access, transfers=tr, egress=eg,
        direct=legs.direct, departures=deps, slack=slack,
    ).min(axis=2)  # fmt: skip
    profiles = arrival_profiles(
        table.patterns, table.n_stops, transfer=legs.transfer, egress=legs.egress,
        start_s=7 * H, board_slack_s=slack,
    )  # fmt: skip
    got = _from_profiles(profiles, legs.access, legs.direct, deps)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert (got < deps[0] + legs.direct.min(axis=1)[None, :]).any()  # some use the buses
    # a horizon: arrivals up to it stay exact, later ones are not found (never earlier)
    end = 8 * H + 1200
    cut = arrival_profiles(
        table.patterns, table.n_stops, transfer=legs.transfer, egress=legs.egress,
        start_s=7 * H, end_s=end, board_slack_s=slack,
    )  # fmt: skip
    short = _from_profiles(cut, legs.access, legs.direct, deps)
    assert np.array_equal(short[want <= end], got[want <= end])
    assert np.all(short >= got - 1e-9)


# --------------------------------------------------------------------------- pickup, drop off and
# transfers.txt: each hand-made feed is routed with and without the rule, both against the oracle


def _two_lines(**rules):
    """Line A a1 -> x -> a3 every 10 min from 07:00; line B x -> b2 and b1 -> b2 every 10 min
    from 07:06 (x is shared); line C b1 -> b2 from 07:15 (b1 is a walk from a3). One origin at a1, one destination at b2."""
    a = [Trip(f"A{i}", "WK", ["a1", "x", "a3"], [t, t + 300, t + 600], **rules.get("A", {}))
         for i, t in enumerate(_every(7 * H, 9 * H, 600))]  # fmt: skip
    b = [Trip(f"B{i}", "WK", ["x", "b2"], [t, t + 600], **rules.get("B", {}))
         for i, t in enumerate(_every(7 * H + 360, 9 * H + 1800, 600))]  # fmt: skip
    c = [Trip(f"C{i}", "WK", ["b1", "b2"], [t, t + 120])
         for i, t in enumerate(_every(7 * H + 900, 9 * H + 1800, 600))]  # fmt: skip
    stops = {s: (-2.6 + i * 0.01, 53.5) for i, s in enumerate(["a1", "x", "a3", "b1", "b2"])}
    return Spec(stops, a + b + c, calendar=CAL, transfers=rules.get("transfers", []))


def _route(tmp_path, spec, name):
    deps = _every(7 * H, 8 * H, 60)
    (tmp_path / name).mkdir()
    got, want = _both(
        tmp_path / name, spec, access={"a1": [0.0]}, transfers=[("a3", "b1", 60.0)],
        egress=[("b2", 0, 0.0), ("x", 1, 0.0)], direct=[[9000.0, 9000.0]], departures=deps,
    )  # fmt: skip
    np.testing.assert_allclose(got, want)
    return got[:, 0, :] - np.array(deps)[:, None]


@pytest.mark.parametrize(
    ("rules", "effect"),
    [
        ({"transfers": [("x", "x", 3, None)]}, "later"),  # no change of vehicle at x
        ({"transfers": [("x", "x", 2, 420)]}, "later"),  # 7 minutes to change at x
        ({"transfers": [("x", "x", 2, 0)]}, "same"),
        ({"transfers": [("x", "x", 0, None), ("a3", "b1", 1, None)]}, "same"),
        ({"transfers": [("a3", "b1", 3, None), ("x", "x", 3, None)]}, "later"),
        ({"transfers": [("x", "x", 3, None), ("a3", "b1", 2, 360)]}, "later2"),
        ({"A": {"pickup": [0, 0, 0]}, "B": {"pickup": [1, 0]}}, "later"),  # no pickup at x
        ({"A": {"dropoff": [0, 1, 0]}}, "later"),  # A does not drop off at x
    ],
)
def test_transfer_rules_and_pickup_drop_off_match_brute_force(tmp_path, rules, effect):
    plain = _route(tmp_path, _two_lines(), "plain")
    ruled = _route(tmp_path, _two_lines(**rules), "ruled")
    to_b2 = ruled[:, 0]
    if effect == "same":
        np.testing.assert_array_equal(ruled, plain)
    else:
        assert np.all(to_b2 >= plain[:, 0]) and np.any(to_b2 > plain[:, 0])
    if effect == "later2":  # not even the walk to b1 in time for C: 07:10 + 6 min misses 07:15
        assert to_b2[0] == 1620


def test_no_drop_off_means_the_stop_is_not_reached_by_that_trip(tmp_path):
    spec = _two_lines(A={"dropoff": [0, 1, 0]})
    minutes = _route(tmp_path, spec, "d")[:, 1]
    assert np.all(minutes == 9000.0)  # x is only reached on foot: A passes but does not stop


def test_reverse_profiles_honour_the_rules(tmp_path):
    from geo.transit.raptor import arrival_profiles

    spec = _two_lines(transfers=[("x", "x", 2, 420), ("a3", "b1", 2, 240)],
                      B={"pickup": [0, 0]}, A={"pickup": [0, 1, 0], "dropoff": [0, 0, 0]})  # fmt: skip
    feed = write_feed(spec, tmp_path / "feed")
    table = read_timetable([feed], DAY)
    ids = list(table.stop_ids)
    legs, tr, eg = _legs(ids, access={"a1": [0.0], "x": [120.0]}, transfers=[("a3", "b1", 60.0)],
                         egress=[("b2", 0, 0.0)], direct=[[9000.0]])  # fmt: skip
    between, same = apply_rules(legs.transfer, table.transfers, table.n_stops)
    deps = _every(7 * H, 8 * H, 60)
    want = oracle_arrivals(
        spec, DAY, stop_ids=ids, access=legs.access, transfers=tr, egress=eg,
        direct=legs.direct, departures=deps,
    ).min(axis=2)  # fmt: skip
    profiles = arrival_profiles(table.patterns, table.n_stops, transfer=between,
                                egress=legs.egress, start_s=7 * H, same_stop=same)  # fmt: skip
    np.testing.assert_allclose(_from_profiles(profiles, legs.access, legs.direct, deps), want)


def test_bad_pickup_type_and_transfer_rows_are_refused_naming_the_file(tmp_path):
    from geo.errors import DataError

    bad = _two_lines(A={"pickup": [0, 7, 0]})
    with pytest.raises(DataError, match=r"pickup_type '?7"):
        read_timetable([write_feed(bad, tmp_path / "p")], DAY)
    no_time = _two_lines(transfers=[("x", "x", 2, None)])
    with pytest.raises(DataError, match="min_transfer_time") as err:
        read_timetable([write_feed(no_time, tmp_path / "t")], DAY)
    assert "t.zip" in str(err.value)


@pytest.mark.parametrize("seed", range(5))
def test_random_rules_and_flags_match_brute_force_both_ways(tmp_path, seed):
    """Random pickup/drop-off flags and transfers.txt rules: forward and reverse routers."""
    from geo.transit.raptor import arrival_profiles

    rng = np.random.default_rng(500 + seed)
    names = [f"s{i}" for i in range(8)]
    trips = []
    for r in range(5):
        route = list(rng.choice(names, size=int(rng.integers(2, 6)), replace=False))
        hops = rng.integers(60, 500, size=len(route) - 1)
        start = int(6.8 * H + rng.integers(0, 900))
        for k, t in enumerate(_every(start, 9 * H, int(rng.integers(300, 1200)))):
            times = np.concatenate([[t], t + np.cumsum(hops)])
            flags = {}
            if rng.random() < 0.5:
                flags["pickup"] = [int(x) for x in rng.choice([0, 1, 2], size=len(route))]
            if rng.random() < 0.5:
                flags["dropoff"] = [int(x) for x in rng.choice([0, 1, 3], size=len(route))]
            trips.append(Trip(f"r{r}t{k}", "WK", route, [int(x) for x in times], **flags))
    rules = [(a, b, int(rng.choice([0, 1, 2, 3])), int(rng.integers(0, 400)))
             for a in names for b in names if rng.random() < 0.12]  # fmt: skip
    stops = {s: (-2.6 + i * 0.01, 53.5) for i, s in enumerate(names)}
    spec = Spec(stops, trips, calendar=CAL, transfers=rules)
    access = {s: np.where(rng.random(3) < 0.4, rng.integers(0, 900, 3), np.inf) for s in names}
    transfers = [(a, b, float(rng.integers(30, 600))) for a in names for b in names
                 if a != b and rng.random() < 0.2]  # fmt: skip
    egress = [(s, 0, float(rng.integers(0, 600))) for s in names if rng.random() < 0.4]
    deps = _every(7 * H, 8 * H, 60)
    got, want = _both(tmp_path, spec, access=access, transfers=transfers, egress=egress,
                      direct=[[8000.0], [8000.0], [8000.0]], departures=deps)  # fmt: skip
    np.testing.assert_allclose(got, want)
    table = read_timetable([tmp_path / "feed.zip"], DAY)
    legs, _, _ = _legs(list(table.stop_ids), access=access, transfers=transfers,
                       egress=egress, direct=[[8000.0], [8000.0], [8000.0]])  # fmt: skip
    between, same = apply_rules(legs.transfer, table.transfers, table.n_stops)
    profiles = arrival_profiles(table.patterns, table.n_stops, transfer=between,
                                egress=legs.egress, start_s=7 * H, same_stop=same)  # fmt: skip
    got_back = _from_profiles(profiles, legs.access, legs.direct, deps)
    np.testing.assert_allclose(got_back, want.min(axis=2))


def test_station_rules_apply_to_its_stops_and_unknown_stops_are_refused(tmp_path):
    from geo.errors import DataError

    trips = [Trip("A", "WK", ["x1", "a3"], [7 * H, 7 * H + 300]),
             Trip("B", "WK", ["x2", "b2"], [7 * H + 600, 7 * H + 900])]  # fmt: skip
    stops = {"x1": (-2.6, 53.5), "x2": (-2.6001, 53.5), "a3": (-2.59, 53.5), "b2": (-2.58, 53.5)}
    rules = [("X", "X", 2, 300), ("x1", "x2", 3, None)]
    folder = write_feed(Spec(stops, trips, CAL, transfers=rules), tmp_path / "f", as_zip=False)
    lines = (folder / "stops.txt").read_text().splitlines()
    rows = [lines[0] + ",location_type,parent_station"]
    rows += [line + (",0,X" if line.split(",")[0] in ("x1", "x2") else ",0,") for line in lines[1:]]
    rows.append("X,Station X,53.5,-2.60005,1,")
    (folder / "stops.txt").write_text("\n".join(rows) + "\n")
    table = read_timetable([folder], DAY)
    ids = list(table.stop_ids)
    got = {
        (ids[a], ids[b]): (int(k), m)
        for a, b, k, m in zip(*(getattr(table.transfers, f) for f in ("src", "dst", "kind", "min_s")),
                              strict=True)
    }  # fmt: skip
    assert got.pop(("x1", "x2"))[0] == 3  # the stops' own rule wins over the station's
    assert got == {("x1", "x1"): (2, 300.0), ("x2", "x1"): (2, 300.0), ("x2", "x2"): (2, 300.0)}
    bad = write_feed(
        Spec(stops, trips, CAL, transfers=[("x1", "nowhere", 0, None)]), tmp_path / "b"
    )
    with pytest.raises(DataError, match=r"to_stop_id 'nowhere' that is not in stops\.txt"):
        read_timetable([bad], DAY)
