"""Read and check GTFS feeds (with gtfs-kit) into the timetable of one service day.

:func:`read_timetable` reads each feed with :func:`gtfs_kit.read_feed`, checks the files and
fields the router needs, picks the trips running on the day (``calendar.txt`` with
``calendar_dates.txt`` exceptions, :func:`gtfs_kit.get_active_services`), materialises
``frequencies.txt`` (:func:`gtfs_kit.expand_frequencies`: one trip every ``headway_secs`` from
``start_time``, before ``end_time``; headway-based rows are treated as scheduled departures),
and keeps times past 24:00 as seconds after the day's midnight. Trips of the previous service
day still running after midnight are kept too, 24 hours earlier. ``pickup_type`` and
``drop_off_type`` 1 (no pickup, no drop off) forbid boarding or alighting at that stop of the
trip (other values allow it); ``transfers.txt`` rules between stops (a station's rule
applies to each of its stops) are kept as :class:`TransferRules` (see
:func:`geo.transit.raptor.apply_rules` for how they change the walks).

The trips are grouped into *patterns* (the same stops in the same order, no overtaking) as
the RAPTOR router needs them.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import DataError

DAY_S = 86_400
REQUIRED = {
    "agency": ("agency_name",),
    "stops": ("stop_id", "stop_lat", "stop_lon"),
    "routes": ("route_id", "route_type"),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "stop_id", "stop_sequence"),
}
OPTIONAL = {
    "calendar": (
        "service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", "start_date", "end_date",
    ),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "frequencies": ("trip_id", "start_time", "end_time", "headway_secs"),
    "transfers": ("from_stop_id", "to_stop_id", "transfer_type"),
}  # fmt: skip
NOT_AVAILABLE = 1  # pickup_type / drop_off_type: no pickup / no drop off


@dataclass(frozen=True)
class Pattern:
    """Trips serving the same stops in the same order, none overtaking another.

    Attributes
    ----------
    stops
        Stop indices (into :attr:`Timetable.stop_ids`) in the order served.
    arr, dep
        ``(trips, len(stops))`` seconds after the service day's midnight, trips sorted so
        that every column is non-decreasing.
    trip_ids
        The trips, in row order.
    board, alight
        ``(len(stops),)`` booleans: whether the pattern's trips pick up / drop off at each
        stop (``pickup_type`` / ``drop_off_type`` other than 1); None means everywhere.
    """

    stops: np.ndarray
    arr: np.ndarray
    dep: np.ndarray
    trip_ids: tuple[str, ...]
    board: np.ndarray | None = None
    alight: np.ndarray | None = None


@dataclass(frozen=True)
class TransferRules:
    """Stop-to-stop rows of ``transfers.txt`` (trip- and route-specific rows are not kept).

    Attributes
    ----------
    src, dst
        Stop indices (``src == dst``: changing vehicles at one stop).
    kind
        ``transfer_type``: 0 recommended, 1 timed, 2 needs ``min_transfer_time``, 3 not possible.
    min_s
        ``min_transfer_time`` in seconds (NaN where not given).
    """

    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    min_s: np.ndarray

    @classmethod
    def none(cls) -> TransferRules:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Timetable:
    """The public transport of one service day, merged from one or more feeds."""

    date: dt.date
    stop_ids: np.ndarray
    stop_names: np.ndarray
    lonlat: np.ndarray
    patterns: tuple[Pattern, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    transfers: TransferRules = field(default_factory=TransferRules.none)

    @property
    def n_stops(self) -> int:
        return len(self.stop_ids)

    @property
    def n_trips(self) -> int:
        return sum(len(p.trip_ids) for p in self.patterns)


def _seconds(values: pd.Series) -> np.ndarray:
    """``H:MM:SS`` strings (hours may pass 23) as seconds; NaN where missing or malformed."""
    text = values.astype("string").str.strip()
    parts = text.str.extract(r"^(\d+):(\d{1,2}):(\d{1,2})$")
    nums = parts.apply(pd.to_numeric, errors="coerce").to_numpy(float)
    nums[(nums[:, 1] > 59) | (nums[:, 2] > 59)] = np.nan  # 07:99:00 is malformed
    return nums[:, 0] * 3600 + nums[:, 1] * 60 + nums[:, 2]


def _check_times(st: pd.DataFrame, path: Path) -> None:
    """Refuse a stop time that is given but not ``H:MM:SS`` (empty means a non-timepoint)."""
    for column in ("arrival_time", "departure_time"):
        if column not in st:
            continue
        text = st[column].astype("string").str.strip()
        bad = (text.notna() & (text != "")).to_numpy(bool) & np.isnan(_seconds(st[column]))
        if bad.any():
            row = st[bad].iloc[0]
            raise DataError(
                f"GTFS stop_times.txt: trip {str(row['trip_id'])!r} has {column} "
                f"{str(row[column])!r} (expected H:MM:SS, minutes and seconds below 60)",
                path=path,
            )


def _check_layout(path: Path) -> None:
    """Refuse a feed whose ``.txt`` files are not at its top level (a zip in a zip, a folder)."""
    if path.is_file():
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    else:
        names = [str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()]
    if any("/" not in n and n.lower().endswith(".txt") for n in names):
        return
    inner = [n for n in names if n.lower().endswith(".zip")]
    nested = [n for n in names if n.lower().endswith("stops.txt")]
    if inner:
        raise DataError(
            f"GTFS feed holds another zip ({inner[0]!r}) and no .txt files: give that zip "
            "as the feed",
            path=path,
        )
    if nested:
        raise DataError(
            f"GTFS feed has its files in a subfolder ({nested[0]!r}): the .txt files must be "
            "at the top level",
            path=path,
        )


def _read(path: Path):
    import gtfs_kit  # heavy import (folium); only when a feed is read

    if not path.exists():
        raise DataError("GTFS feed not found", path=path)
    if path.is_file() and not zipfile.is_zipfile(path):
        raise DataError("GTFS feed is neither a zip file nor a folder", path=path)
    _check_layout(path)
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
        _restore_text(feed, path)
    except (ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise DataError(f"GTFS feed cannot be read: {exc}", path=path) from None
    return feed


def _restore_text(feed, path: Path) -> None:
    """Put back text fields that pandas read as missing.

    gtfs-kit reads every field with pandas' words for "missing" ("NA", "null", "nan", "None",
    "N/A", ...), so a ``stop_id`` of ``NA`` came back empty, and two stops ``NA`` and ``null``
    became one. GTFS ids and names are any text, so where a text field is missing the file's
    own text is read again (only then: most feeds never need it); only an empty field is
    missing.
    """
    for table in (*REQUIRED, *OPTIONAL):
        frame = getattr(feed, table, None)
        if not isinstance(frame, pd.DataFrame):
            continue
        text = [
            c
            for c in frame.columns
            if (pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object)
            and frame[c].isna().any()
        ]
        if not text:
            continue
        raw = _raw_text(path, table, columns=text)
        if len(raw) != len(frame):
            raise DataError(
                f"GTFS {table}.txt reads as {len(frame)} rows and as text as {len(raw)}",
                path=path,
            )
        for c in text:
            if c in raw.columns:
                given = raw[c].str.strip()
                frame[c] = pd.Series(
                    given.where(given != "").to_numpy(), index=frame.index, dtype=frame[c].dtype
                )


def _raw_text(path: Path, table: str, *, columns: list[str]) -> pd.DataFrame:
    """``columns`` of the feed's ``table``.txt as text, as written (empty fields as "")."""
    wanted = set(columns)

    def read(source) -> pd.DataFrame:
        return pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            usecols=lambda name: str(name).strip() in wanted,
        )

    if path.is_file():
        with zipfile.ZipFile(path) as zf, zf.open(f"{table}.txt") as f:
            raw = read(f)
    else:
        raw = read(path / f"{table}.txt")
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def check_feed(feed, path: Path) -> None:
    """Refuse a feed missing a required file or field, naming the first one missing."""
    for table, columns in {**REQUIRED, **OPTIONAL}.items():
        frame = getattr(feed, table, None)
        if frame is None:
            if table in REQUIRED:
                raise DataError(f"GTFS feed has no {table}.txt (or it is empty)", path=path)
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"GTFS {table}.txt lacks required field(s) {missing}", path=path)
    twice = feed.trips["trip_id"][feed.trips["trip_id"].duplicated()]
    if len(twice):
        raise DataError(
            f"GTFS trips.txt lists trip_id {str(twice.iat[0])!r} more than once "
            f"({twice.nunique()} trip_id(s) repeated)",
            path=path,
        )
    if feed.calendar is None and feed.calendar_dates is None:
        raise DataError("GTFS feed has neither calendar.txt nor calendar_dates.txt", path=path)
    st = feed.stop_times
    if "arrival_time" not in st.columns and "departure_time" not in st.columns:
        raise DataError(
            "GTFS stop_times.txt has neither arrival_time nor departure_time", path=path
        )
    unknown = ~st["stop_id"].isin(feed.stops["stop_id"])
    if unknown.any():
        raise DataError(
            f"GTFS stop_times.txt names stop_id {st['stop_id'][unknown].iat[0]!r} "
            "that is not in stops.txt",
            path=path,
        )
    bad = feed.stops[["stop_lat", "stop_lon"]].apply(pd.to_numeric, errors="coerce")
    used = feed.stops["stop_id"].isin(st["stop_id"]).to_numpy()
    bad_rows = used & (
        bad.isna().any(axis=1).to_numpy()
        | ~bad["stop_lat"].between(-90, 90).to_numpy()
        | ~bad["stop_lon"].between(-180, 180).to_numpy()
    )
    if bad_rows.any():
        stop = feed.stops["stop_id"].to_numpy()[bad_rows][0]
        raise DataError(f"GTFS stops.txt: stop {stop!r} has no valid stop_lat/stop_lon", path=path)


def _ignored_rows(feed, path: Path) -> list[str]:
    """Notes on rows that can never run, which routing leaves out: stop times of a trip that
    trips.txt does not list, and trips whose service_id no calendar file defines."""
    notes = []
    st_trips = feed.stop_times["trip_id"].astype(str)
    orphan = st_trips[~st_trips.isin(feed.trips["trip_id"].astype(str))]
    if len(orphan):
        shown = ", ".join(repr(t) for t in orphan.unique()[:3])
        notes.append(
            f"{path.name}: {len(orphan)} stop_times.txt row(s) of {orphan.nunique()} trip_id(s) "
            f"not in trips.txt ({shown}) ignored"
        )
    services: set[str] = set()
    for table in (feed.calendar, feed.calendar_dates):
        if table is not None and "service_id" in table:
            services |= set(table["service_id"].astype(str))
    trips = feed.trips
    never = trips[~trips["service_id"].astype(str).isin(services)]
    if len(never):
        shown = ", ".join(repr(t) for t in never["service_id"].astype(str).unique()[:3])
        notes.append(
            f"{path.name}: {len(never)} trip(s) have a service_id in neither calendar.txt nor "
            f"calendar_dates.txt ({shown}): they never run"
        )
    return notes


def date_range(feed) -> tuple[dt.date, dt.date] | None:
    """First and last date of the feed's service calendar (both files), or None."""
    dates = []
    if feed.calendar is not None and len(feed.calendar):
        dates += [feed.calendar["start_date"].min(), feed.calendar["end_date"].max()]
    if feed.calendar_dates is not None and len(feed.calendar_dates):
        dates += [feed.calendar_dates["date"].min(), feed.calendar_dates["date"].max()]
    dates = [str(d) for d in dates if isinstance(d, str) and d]
    try:
        parsed = [dt.datetime.strptime(d, "%Y%m%d").date() for d in dates]
    except ValueError:
        return None
    return (min(parsed), max(parsed)) if parsed else None


def _trip_times(feed, services: list[str], path: Path) -> pd.DataFrame:
    """Stop times (``trip_id``, ``stop_id``, ``arr``, ``dep``) of trips of ``services``."""
    import gtfs_kit

    trips = feed.trips[feed.trips["service_id"].isin(services)]
    sub = feed.copy()
    sub.trips = trips
    sub.stop_times = feed.stop_times[feed.stop_times["trip_id"].isin(trips["trip_id"])]
    if feed.frequencies is not None:
        freq = feed.frequencies[feed.frequencies["trip_id"].isin(trips["trip_id"])]
        for col in ("start_time", "end_time"):
            if np.isnan(_seconds(freq[col])).any():
                raise DataError(f"GTFS frequencies.txt has a bad {col}", path=path)
        sub.frequencies = freq if len(freq) else None
        if sub.frequencies is not None:
            sub = gtfs_kit.expand_frequencies(sub)
    st = sub.stop_times
    _check_times(st, path)
    arr = _seconds(st["arrival_time"]) if "arrival_time" in st else np.full(len(st), np.nan)
    dep = _seconds(st["departure_time"]) if "departure_time" in st else np.full(len(st), np.nan)
    arr = np.where(np.isnan(arr), dep, arr)
    dep = np.where(np.isnan(dep), arr, dep)
    out = pd.DataFrame(
        {
            "trip_id": st["trip_id"].astype(str).to_numpy(),
            "stop_id": st["stop_id"].astype(str).to_numpy(),
            "seq": pd.to_numeric(st["stop_sequence"], errors="coerce").to_numpy(float),
            "arr": arr,
            "dep": dep,
            "board": _available(st, "pickup_type", path),
            "alight": _available(st, "drop_off_type", path),
        }
    )
    if out["seq"].isna().any():
        raise DataError("GTFS stop_times.txt has a stop_sequence that is not a number", path=path)
    out = out.sort_values(["trip_id", "seq"], kind="stable").reset_index(drop=True)
    if out["arr"].isna().any():  # non-timepoints: interpolate within the trip by position
        out[["arr", "dep"]] = out.groupby("trip_id")[["arr", "dep"]].transform(
            lambda s: s.interpolate(limit_area="inside")
        )
        if out["arr"].isna().any():
            trip = out["trip_id"][out["arr"].isna()].iat[0]
            raise DataError(
                f"GTFS stop_times.txt: trip {trip!r} lacks a time at its first or last stop",
                path=path,
            )
    back = out.groupby("trip_id")["dep"].diff() < 0
    back |= out["dep"] < out["arr"]
    if back.any():
        trip = out["trip_id"][back].iat[0]
        raise DataError(f"GTFS stop_times.txt: trip {trip!r} goes back in time", path=path)
    return out


def _available(st: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """False where ``column`` (``pickup_type`` or ``drop_off_type``) is 1; empty means 0."""
    if column not in st.columns:
        return np.ones(len(st), bool)
    value = pd.to_numeric(st[column], errors="coerce").astype(float)
    bad = st[column].notna() & (value.isna() | ~value.isin([0, 1, 2, 3]))
    if bad.any():
        raise DataError(
            f"GTFS stop_times.txt has {column} {str(st[column][bad].iat[0])!r} "
            "(expected 0, 1, 2 or 3)",
            path=path,
        )
    return (value != NOT_AVAILABLE).to_numpy(bool)


def _transfer_rows(feed, path: Path) -> tuple[pd.DataFrame, int]:
    """Stop-to-stop rows of ``transfers.txt`` and how many trip/route-specific rows were left."""
    tr = getattr(feed, "transfers", None)
    empty = pd.DataFrame(
        {
            "from": pd.Series([], dtype=object),
            "to": pd.Series([], dtype=object),
            "kind": pd.Series([], dtype=np.int64),
            "min_s": pd.Series([], dtype=float),
        }
    )
    if tr is None or tr.empty:
        return empty, 0
    specific = np.zeros(len(tr), bool)
    for col in ("from_trip_id", "to_trip_id", "from_route_id", "to_route_id"):
        if col in tr.columns:
            specific |= tr[col].notna().to_numpy() & (tr[col].astype(str).str.strip() != "")
    kind = pd.to_numeric(tr["transfer_type"], errors="coerce").astype(float).fillna(0)
    wrong = ~kind.isin([0, 1, 2, 3]).to_numpy() & ~specific  # 4 and 5 are trip-to-trip
    if wrong.any():
        bad = str(tr["transfer_type"][wrong].iat[0])
        raise DataError(
            f"GTFS transfers.txt has transfer_type {bad!r} (expected 0, 1, 2 or 3)", path=path
        )
    if "min_transfer_time" in tr.columns:
        min_s = pd.to_numeric(tr["min_transfer_time"], errors="coerce").astype(float)
        if ((min_s < 0).to_numpy() & ~specific).any():
            raise DataError("GTFS transfers.txt has a negative min_transfer_time", path=path)
    else:
        min_s = pd.Series(np.nan, index=tr.index)
    need = ((kind == 2) & min_s.isna()).to_numpy() & ~specific
    if need.any():
        raise DataError(
            "GTFS transfers.txt: transfer_type 2 from stop "
            f"{tr['from_stop_id'][need].iat[0]!r} lacks its min_transfer_time",
            path=path,
        )
    rows = pd.DataFrame(
        {
            "from": tr["from_stop_id"].astype(str).to_numpy(),
            "to": tr["to_stop_id"].astype(str).to_numpy(),
            "kind": kind.to_numpy(np.int64),
            "min_s": min_s.to_numpy(float),
        }
    )[~specific]
    known = pd.Index(feed.stops["stop_id"].astype(str))
    for end in ("from", "to"):
        unknown = ~rows[end].isin(known)
        if unknown.any():
            raise DataError(
                f"GTFS transfers.txt names {end}_stop_id {rows[end][unknown].iat[0]!r} "
                "that is not in stops.txt",
                path=path,
            )
    return _stations_to_stops(rows, feed.stops), int(specific.sum())


def _stations_to_stops(rows: pd.DataFrame, stops: pd.DataFrame) -> pd.DataFrame:
    """Rules naming a station (``parent_station`` of stops) apply to each of its stops; a rule
    naming the stops themselves wins over the station's."""
    rows = rows.assign(station=False).reset_index(drop=True)
    if "parent_station" in stops.columns:
        parent = stops[stops["parent_station"].notna()]
        children = (
            parent.assign(parent_station=parent["parent_station"].astype(str))
            .groupby("parent_station")["stop_id"]
            .agg(lambda ids: [str(i) for i in ids])
        )
        for end in ("from", "to"):
            wide = rows[end].isin(children.index)
            if wide.any():
                rows.loc[wide, "station"] = True
                rows[end] = [children[v] if w else v for v, w in zip(rows[end], wide, strict=True)]
                rows = rows.explode(end, ignore_index=True)
    rows = rows.sort_values("station", ascending=False, kind="stable")
    rows = rows.drop_duplicates(["from", "to"], keep="last").drop(columns="station")
    return rows.reset_index(drop=True)


def _services(feed, day: dt.date) -> list[str]:
    import gtfs_kit

    return [str(s) for s in gtfs_kit.get_active_services(feed, day.strftime("%Y%m%d"))]


def read_feed_day(
    path: Path, day: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """One feed's stops, stop times for ``day`` (with the previous day's trips after midnight),
    stop-to-stop ``transfers.txt`` rows (``from``, ``to``, ``kind``, ``min_s``) and notes.

    Raises
    ------
    DataError
        The feed is unreadable or lacks a required file or field; ``day`` is outside its
        calendar (naming the feed's date range); or nothing runs on ``day``.
    """
    path = Path(path)
    feed = _read(path)
    check_feed(feed, path)
    notes = list(_ignored_rows(feed, path))
    span = date_range(feed)
    if span is None:
        raise DataError("GTFS calendar has no valid dates (YYYYMMDD)", path=path)
    if not span[0] <= day <= span[1]:
        raise DataError(
            f"the service date {day.isoformat()} is outside this feed's calendar "
            f"({span[0].isoformat()} to {span[1].isoformat()})",
            path=path,
        )
    services = _services(feed, day)
    times = _trip_times(feed, services, path) if services else None
    if times is None or times.empty:
        raise DataError(f"GTFS feed has no service on {day.isoformat()} ({day:%A})", path=path)
    before = _services(feed, day - dt.timedelta(days=1))
    if before:
        late = _trip_times(feed, before, path)
        late = late[late.groupby("trip_id")["arr"].transform("max") >= DAY_S].copy()
        late[["arr", "dep"]] -= DAY_S
        late["trip_id"] = late["trip_id"] + "@previous-day"
        times = pd.concat([times, late], ignore_index=True)
    stops = feed.stops[feed.stops["stop_id"].isin(times["stop_id"])]
    stops = pd.DataFrame(
        {
            "stop_id": stops["stop_id"].astype(str).to_numpy(),
            "name": stops["stop_name"].astype(str).to_numpy()
            if "stop_name" in stops
            else stops["stop_id"].astype(str).to_numpy(),
            "lon": pd.to_numeric(stops["stop_lon"]).to_numpy(float),
            "lat": pd.to_numeric(stops["stop_lat"]).to_numpy(float),
        }
    )
    rules, specific = _transfer_rows(feed, path)
    if specific:
        notes.append(
            f"{path.name}: {specific} trip- or route-specific transfers.txt row(s) not applied "
            "(only stop-to-stop rules are)"
        )
    served = rules["from"].isin(stops["stop_id"]) & rules["to"].isin(stops["stop_id"])
    return stops, times, rules[served].reset_index(drop=True), tuple(notes)


def _patterns(times: pd.DataFrame, stop_index: pd.Index) -> list[Pattern]:
    """Group trips by stop sequence; split a group where one trip would overtake another."""
    times = times.assign(stop=stop_index.get_indexer(pd.Index(times["stop_id"])))
    out: list[Pattern] = []
    groups: dict[tuple, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for trip, g in times.groupby("trip_id", sort=True):
        key = (
            tuple(g["stop"].to_numpy().tolist()),
            tuple(g["board"].to_numpy(bool).tolist()),
            tuple(g["alight"].to_numpy(bool).tolist()),
        )
        groups.setdefault(key, []).append((str(trip), g["arr"].to_numpy(), g["dep"].to_numpy()))
    for key, trips in groups.items():
        trips.sort(key=lambda t: (t[2][0], t[1][-1], t[0]))
        lanes: list[list[tuple[str, np.ndarray, np.ndarray]]] = []
        for run in trips:
            for lane in lanes:
                last = lane[-1]
                if (run[1] >= last[1]).all() and (run[2] >= last[2]).all():
                    lane.append(run)
                    break
            else:
                lanes.append([run])
        for lane in lanes:
            board, alight = np.asarray(key[1], bool), np.asarray(key[2], bool)
            out.append(
                Pattern(
                    stops=np.asarray(key[0], np.int64),
                    arr=np.vstack([t[1] for t in lane]).astype(float),
                    dep=np.vstack([t[2] for t in lane]).astype(float),
                    trip_ids=tuple(t[0] for t in lane),
                    board=None if board.all() else board,
                    alight=None if alight.all() else alight,
                )
            )
    return out


def read_timetable(paths: list[Path] | tuple[Path, ...], day: dt.date) -> Timetable:
    """Merge the feeds' service on ``day`` into one :class:`Timetable`.

    With more than one feed, stop and trip ids are prefixed by the feed's file name so that
    feeds cannot clash.
    """
    all_stops, all_times, all_rules = [], [], []
    notes: list[str] = []
    for path in paths:
        stops, times, rules, said = read_feed_day(Path(path), day)
        if len(paths) > 1:
            prefix = f"{Path(path).name}:"
            stops["stop_id"] = prefix + stops["stop_id"]
            times["stop_id"] = prefix + times["stop_id"]
            times["trip_id"] = prefix + times["trip_id"]
            rules["from"] = prefix + rules["from"]
            rules["to"] = prefix + rules["to"]
        all_stops.append(stops)
        all_times.append(times)
        all_rules.append(rules)
        notes += said
    stops = pd.concat(all_stops, ignore_index=True).drop_duplicates("stop_id")
    times = pd.concat(all_times, ignore_index=True)
    rules = pd.concat(all_rules, ignore_index=True).drop_duplicates(["from", "to"], keep="last")
    index = pd.Index(stops["stop_id"])
    patterns = _patterns(times, index)
    return Timetable(
        date=day,
        stop_ids=stops["stop_id"].to_numpy(str),
        stop_names=stops["name"].to_numpy(str),
        lonlat=stops[["lon", "lat"]].to_numpy(float),
        patterns=tuple(patterns),
        notes=tuple(notes),
        transfers=TransferRules(
            src=index.get_indexer(pd.Index(rules["from"])).astype(np.int64),
            dst=index.get_indexer(pd.Index(rules["to"])).astype(np.int64),
            kind=rules["kind"].to_numpy(np.int64),
            min_s=rules["min_s"].to_numpy(float),
        ),
    )
