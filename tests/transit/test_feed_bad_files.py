"""GTFS feeds that are wrong in ways real feeds are (a further set, kept apart): each is refused
in one line naming the feed and the value, or read right.

The feed is a small hand-made one over the tiny place (tests/support/gtfs.py), edited file by
file as a council's supplier might have got it wrong.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pyproj import Transformer

from hubplan.cli.main import main
from tests.support.gtfs import Spec, Trip, write_feed
from tests.support.tiny import TOML, X0, Y0, write_tiny_place

H = 3600
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
TRANSIT = """
[network]
source = "crowfly"
[network.transit]
gtfs = ["FEED"]
date = "2026-03-10"
window = "07:00-08:00"
max_walk_m = 900
hub_kind = "school"
"""


def _spec() -> Spec:
    to_ll = Transformer.from_crs(27700, 4326, always_xy=True)
    xy = {
        "west": (X0 + 300, Y0 + 400),
        "mid": (X0 + 2000, Y0 + 1500),
        "east": (X0 + 3700, Y0 + 2600),
    }
    stops = {s: to_ll.transform(*p) for s, p in xy.items()}
    trips = [
        Trip(f"e{i}", "WK", ["west", "mid", "east"], [t, t + 240, t + 480])
        for i, t in enumerate(range(7 * H, 8 * H + 1800, 720))
    ]
    return Spec(stops, trips, calendar={"WK": ("20260101", "20261231", WEEK)})


def _edit(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(feed: Path) -> None:
        path = feed / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    return apply


def _rezip(feed: Path, *, nest: bool) -> Path:
    """Zip the feed folder; with ``nest`` the zip holds only that zip (as some portals give)."""
    inner = feed.parent / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        for p in feed.iterdir():
            zf.write(p, p.name)
    shutil.rmtree(feed)
    if not nest:
        return inner
    outer = feed.parent / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "inner.zip")
    inner.unlink()
    return outer


def _build(tmp_path: Path, change: Callable[[Path], Path | None], capsys) -> tuple[int, str, Path]:
    src = tmp_path / "src"
    src.mkdir(parents=True)
    feed = write_feed(_spec(), src / "bus", as_zip=False)
    given = change(feed) or feed
    cfg = write_tiny_place(src, toml=TOML + TRANSIT.replace("FEED", given.name))
    out = tmp_path / "out" / "place.gpkg"
    out.parent.mkdir()
    capsys.readouterr()
    code = main(["build", str(cfg), "--out", str(out)])
    return code, capsys.readouterr().err, given


def _into_subfolder(feed: Path) -> None:
    (feed / "gtfs").mkdir()
    for p in feed.glob("*.txt"):
        p.rename(feed / "gtfs" / p.name)


# case -> (edit of the feed folder, expected fragment of the one error line)
REFUSED: dict[str, tuple[Callable[[Path], Path | None], str]] = {
    "a time without seconds": (
        _edit("stop_times.txt", lambda s: s.replace("07:04:00,07:04:00", "07:04,07:04")),
        "trip 'e0' has arrival_time '07:04' (expected H:MM:SS",
    ),
    "a time that is not a time": (
        _edit("stop_times.txt", lambda s: s.replace("07:04:00,07:04:00", "7h04,7h04")),
        "trip 'e0' has arrival_time '7h04'",
    ),
    "minutes past 59": (
        _edit("stop_times.txt", lambda s: s.replace("07:04:00,07:04:00", "07:99:00,07:99:00")),
        "trip 'e0' has arrival_time '07:99:00'",
    ),
    "a trip_id listed twice": (
        _edit("trips.txt", lambda s: s + s.splitlines()[1] + "\n"),
        "GTFS trips.txt lists trip_id 'e0' more than once",
    ),
    "a zip inside the zip": (
        lambda feed: _rezip(feed, nest=True),
        "GTFS feed holds another zip ('inner.zip') and no .txt files",
    ),
    "the files in a subfolder": (
        _into_subfolder,
        "GTFS feed has its files in a subfolder ('gtfs/",
    ),
    "no stop_times.txt": (
        lambda feed: (feed / "stop_times.txt").unlink(),
        "GTFS feed has no stop_times.txt",
    ),
    "a calendar with no active day": (
        _edit("calendar.txt", lambda s: s.replace("1,1,1,1,1,0,0", "0,0,0,0,0,0,0")),
        "GTFS feed has no service on 2026-03-10 (Tuesday)",
    ),
    "a date outside the calendar": (
        _edit("calendar.txt", lambda s: s.replace("20260101,20261231", "20250101,20251231")),
        "outside this feed's calendar (2025-01-01 to 2025-12-31)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_feed_is_one_line_exit_2_naming_it(case, tmp_path, capsys):
    change, expected = REFUSED[case]
    code, err, feed = _build(tmp_path, change, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"hubplan: error: {feed}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert list((tmp_path / "out").iterdir()) == []


def _info(err: str) -> str:
    return next(line for line in err.splitlines() if "transit: " in line and " trips in " in line)


@pytest.mark.parametrize(
    "change",
    [
        _edit("stop_times.txt", lambda s: s.replace(",07:00:00,07:00:00,", ",7:0:0,7:0:0,")),
        _edit("stop_times.txt", lambda s: "\n".join(reversed(s.strip().splitlines()[1:]))
              .join([s.splitlines()[0] + "\n", "\n"])),
        lambda feed: [p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n"))
                      for p in feed.iterdir()] and None,
        lambda feed: _rezip(feed, nest=False),
    ],
    ids=["H:M:S", "rows out of order", "BOM and CRLF", "plain zip"],
)  # fmt: skip
def test_odd_but_legal_feeds_read_the_same(change, tmp_path, capsys):
    code, err, _ = _build(tmp_path / "a", lambda feed: None, capsys)
    assert code == 0, err
    code, odd, _ = _build(tmp_path / "b", change, capsys)
    assert code == 0, odd
    assert _info(odd) == _info(err)


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_ids_that_pandas_calls_missing_are_kept(zipped, tmp_path, capsys):
    """GTFS ids are any text: stops 'NA' and 'null' stay two stops named so (gtfs-kit reads
    both as missing, which made them one stop '<NA>')."""
    from geo.place.bundle import read_place
    from geo.transit.store import STOPS

    def rename(feed: Path) -> Path | None:
        for p in feed.iterdir():
            text = p.read_text(encoding="utf-8")
            p.write_text(text.replace("mid", "NA").replace("east", "null"), encoding="utf-8")
        return _rezip(feed, nest=False) if zipped else None

    code, err, _ = _build(tmp_path / "a", lambda feed: None, capsys)
    assert code == 0, err
    code, odd, _ = _build(tmp_path / "b", rename, capsys)
    assert code == 0, odd
    assert _info(odd) == _info(err)
    stops = read_place(tmp_path / "b" / "out" / "place.gpkg").tables[STOPS]
    assert sorted(stops["stop_id"]) == ["NA", "null", "west"]
    assert sorted(stops["name"]) == ["Stop NA", "Stop null", "Stop west"]


def test_times_past_midnight_are_read(tmp_path, capsys):
    late = _edit("stop_times.txt", lambda s: s + "e0,24:30:00,24:30:00,east,4\n")
    code, err, _ = _build(tmp_path, late, capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _edit("stop_times.txt", lambda s: s + "ghost,07:10:00,07:10:00,mid,1\n"),
            "bus: 1 stop_times.txt row(s) of 1 trip_id(s) not in trips.txt ('ghost') ignored",
        ),
        (
            _edit("trips.txt", lambda s: s.replace("WK,e1", "SAT,e1", 1)),
            "bus: 1 trip(s) have a service_id in neither calendar.txt nor calendar_dates.txt "
            "('SAT'): they never run",
        ),
    ],
    ids=["stop times of an unknown trip", "a trip of an unknown service"],
)
def test_rows_that_never_run_are_a_warning_not_silence(change, expected, tmp_path, capsys):
    code, err, _ = _build(tmp_path, change, capsys)
    assert code == 0, err
    assert expected in err, err
