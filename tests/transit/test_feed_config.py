"""Reading and checking feeds and the [network.transit] options: every refusal names the file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geo.errors import ConfigError, DataError
from geo.place.config import parse_config
from geo.transit.config import parse_transit
from geo.transit.feed import read_timetable
from tests.support.gtfs import Spec, Trip, write_feed

DAY = dt.date(2026, 3, 10)
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _spec(**kw):
    trips = [
        Trip("t1", "WK", ["a", "b"], [25_200, 25_800]),
        Trip("t2", "WK", ["b", "a"], [26_000, 26_700]),
    ]
    return Spec({"a": (-2.6, 53.5), "b": (-2.5, 53.5)}, trips,
                calendar=kw.pop("calendar", {"WK": ("20260101", "20260630", WEEK)}), **kw)  # fmt: skip


def test_reads_zip_and_folder_alike(tmp_path):
    a = read_timetable([write_feed(_spec(), tmp_path / "z")], DAY)
    b = read_timetable([write_feed(_spec(), tmp_path / "d", as_zip=False)], DAY)
    assert a.n_trips == b.n_trips == 2 and len(a.patterns) == 2
    assert sorted(a.stop_ids) == ["a", "b"]
    np.testing.assert_array_equal(a.patterns[0].dep, b.patterns[0].dep)


def test_date_outside_the_calendar_names_the_feed_and_its_range(tmp_path):
    feed = write_feed(_spec(), tmp_path / "buses")
    with pytest.raises(
        DataError, match=r"buses\.zip.*2026-07-01 is outside.*2026-01-01 to 2026-06-30"
    ):
        read_timetable([feed], dt.date(2026, 7, 1))


def test_one_feed_out_of_date_among_several_is_refused(tmp_path):
    good = write_feed(_spec(), tmp_path / "good")
    old = write_feed(_spec(calendar={"WK": ("20240101", "20241231", WEEK)}), tmp_path / "old")
    with pytest.raises(DataError, match=r"old\.zip.*outside this feed's calendar"):
        read_timetable([good, old], DAY)


def test_no_service_on_the_day_is_refused(tmp_path):
    feed = write_feed(_spec(), tmp_path / "weekdays")
    with pytest.raises(DataError, match=r"weekdays\.zip.*no service on 2026-03-14 \(Saturday\)"):
        read_timetable([feed], dt.date(2026, 3, 14))


def test_removed_by_calendar_dates_means_no_service(tmp_path):
    feed = write_feed(_spec(exceptions=[("WK", "20260310", 2)]), tmp_path / "f")
    with pytest.raises(DataError, match="no service on 2026-03-10"):
        read_timetable([feed], DAY)


@pytest.mark.parametrize("drop", ["stops.txt", "stop_times.txt", "trips.txt", "routes.txt"])
def test_missing_required_file_is_named(tmp_path, drop):
    feed = write_feed(_spec(), tmp_path / "f", drop=(drop,))
    with pytest.raises(DataError, match=rf"f\.zip: GTFS feed has no {drop}"):
        read_timetable([feed], DAY)


def test_missing_field_and_unknown_stop_are_named(tmp_path):
    folder = write_feed(_spec(), tmp_path / "f", as_zip=False)
    text = (folder / "stops.txt").read_text().replace("stop_lat", "latitude")
    (folder / "stops.txt").write_text(text)
    with pytest.raises(DataError, match=r"stops\.txt lacks required field\(s\) \['stop_lat'\]"):
        read_timetable([folder], DAY)
    folder = write_feed(_spec(), tmp_path / "g", as_zip=False)
    with open(folder / "stop_times.txt", "a") as fh:
        fh.write("t1,07:20:00,07:20:00,zz,3\n")
    with pytest.raises(DataError, match=r"stop_id 'zz' that is not in stops\.txt"):
        read_timetable([folder], DAY)


def test_missing_feed_and_not_a_zip(tmp_path):
    with pytest.raises(DataError, match="GTFS feed not found"):
        read_timetable([tmp_path / "nope.zip"], DAY)
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(DataError, match="neither a zip file nor a folder"):
        read_timetable([tmp_path / "bad.zip"], DAY)


def test_transit_options_parse_and_resolve_paths(tmp_path):
    cfg = parse_transit(
        {"gtfs": ["feeds/a.zip", "b"], "date": "2026-03-10", "window": "07:00-09:00",
         "max_walk_m": 800, "board_slack_s": 30},
        file=tmp_path / "place.toml",
    )  # fmt: skip
    assert cfg.gtfs == ((tmp_path / "feeds/a.zip").resolve(), (tmp_path / "b").resolve())
    assert cfg.departures()[:2] == [25_200, 25_260] and len(cfg.departures()) == 120
    assert (cfg.max_walk_m, cfg.board_slack_s, cfg.window) == (800.0, 30.0, "07:00-09:00")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"date": "2026-03-10"}, "network.transit.gtfs"),
        ({"gtfs": "f.zip", "date": "10/03/2026"}, "'network.transit.date' = '10/03/2026'"),
        ({"gtfs": "f.zip", "date": "2026-03-10", "window": "9-7"}, "network.transit.window"),
        ({"gtfs": "f.zip", "date": "2026-03-10", "window": "09:00-07:00"}, "end must come after"),
        ({"gtfs": "f.zip", "date": "2026-03-10", "max_walk_m": 0}, "max_walk_m' = 0"),
        ({"gtfs": "f.zip", "date": "2026-03-10", "board_slack_s": -5}, "board_slack_s' = -5"),
        ({"gtfs": "f.zip", "date": "2026-03-10", "speed": 3}, "unknown key"),
    ],
)
def test_bad_transit_options_are_named(tmp_path, options, message):
    with pytest.raises(ConfigError, match=message):
        parse_transit(options, file=tmp_path / "place.toml")


def test_place_config_parses_network_transit(tmp_path):
    text = """
name = "T"
[areas]
path = "a.geojson"
code = "code"
[network]
source = "crowfly"
[network.transit]
gtfs = "feed.zip"
date = 2026-03-10
window = "07:30-08:00"
"""
    cfg = parse_config(text, path=tmp_path / "place.toml")
    assert cfg.network.transit.date == DAY
    assert cfg.network.transit.gtfs == ((tmp_path / "feed.zip").resolve(),)
    assert "transit" not in cfg.network.options
    with pytest.raises(ConfigError, match=r"place\.toml: 'network\.transit\.window'"):
        parse_config(text.replace("07:30-08:00", "late"), path=tmp_path / "place.toml")
