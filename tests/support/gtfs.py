"""Hand-made GTFS feeds for the transit tests, and the brute-force answer they are checked against.

A :class:`Spec` describes a small feed in Python (stops, trips with their own times, calendars,
frequencies). :func:`write_feed` writes it as GTFS text files (a folder or a zip);
:func:`oracle_arrivals` answers queries on the *same Spec* without reading the files: it works
out which trips run on the day by itself (weekday, date range, exceptions, frequencies,
previous-day trips after midnight, ``pickup_type``/``drop_off_type`` and ``transfers.txt``),
builds a time-expanded graph with networkx and runs Dijkstra for each departure. It shares no
code with :mod:`geo.transit`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass
class Trip:
    trip_id: str
    service: str
    stops: list[str]
    times: list[int]  # seconds after midnight at each stop (arrival = departure + dwell)
    dwell: int = 0
    headway: tuple[int, int, int] | None = None  # (start, end, headway_secs) -> frequencies.txt
    pickup: list[int] | None = None  # pickup_type per stop (1: no pickup)
    dropoff: list[int] | None = None  # drop_off_type per stop (1: no drop off)


@dataclass
class Spec:
    stops: dict[str, tuple[float, float]]  # stop_id -> (lon, lat)
    trips: list[Trip]
    calendar: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    exceptions: list[tuple[str, str, int]] = field(default_factory=list)  # service, date, type
    # transfers.txt rows: from_stop_id, to_stop_id, transfer_type, min_transfer_time (or None)
    transfers: list[tuple[str, str, int, int | None]] = field(default_factory=list)


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def write_feed(spec: Spec, path: Path, *, as_zip: bool = True, drop: tuple[str, ...] = ()) -> Path:
    """Write ``spec`` as a GTFS feed (files in ``drop`` are left out)."""
    files: dict[str, list[str]] = {
        "agency.txt": ["agency_id,agency_name,agency_url,agency_timezone",
                       "A,Test buses,https://example.org,Europe/London"],
        "stops.txt": ["stop_id,stop_name,stop_lat,stop_lon"]
        + [f"{s},Stop {s},{lat},{lon}" for s, (lon, lat) in spec.stops.items()],
        "routes.txt": ["route_id,agency_id,route_short_name,route_type"]
        + [f"R{t.trip_id},A,{t.trip_id},3" for t in spec.trips],
        "trips.txt": ["route_id,service_id,trip_id"]
        + [f"R{t.trip_id},{t.service},{t.trip_id}" for t in spec.trips],
        "stop_times.txt": ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"],
    }  # fmt: skip
    flags = any(t.pickup or t.dropoff for t in spec.trips)
    if flags:
        files["stop_times.txt"][0] += ",pickup_type,drop_off_type"
    for t in spec.trips:
        for i, (s, time) in enumerate(zip(t.stops, t.times, strict=True)):
            row = f"{t.trip_id},{_hms(time)},{_hms(time + t.dwell)},{s},{i + 1}"
            if flags:  # an empty field means 0 (regular)
                pick = "" if not t.pickup else str(t.pickup[i])
                drop = "" if not t.dropoff else str(t.dropoff[i])
                row += f",{pick},{drop}"
            files["stop_times.txt"].append(row)
    if spec.transfers:
        files["transfers.txt"] = ["from_stop_id,to_stop_id,transfer_type,min_transfer_time"] + [
            f"{a},{b},{kind},{'' if m is None else m}" for a, b, kind, m in spec.transfers
        ]
    if spec.calendar:
        rows = ["service_id," + ",".join(DAYS) + ",start_date,end_date"]
        for sid, (start, end, days) in spec.calendar.items():
            flags = ",".join("1" if d in days else "0" for d in DAYS)
            rows.append(f"{sid},{flags},{start},{end}")
        files["calendar.txt"] = rows
    if spec.exceptions:
        files["calendar_dates.txt"] = ["service_id,date,exception_type"] + [
            f"{s},{d},{e}" for s, d, e in spec.exceptions
        ]
    freq = [t for t in spec.trips if t.headway]
    if freq:
        files["frequencies.txt"] = ["trip_id,start_time,end_time,headway_secs,exact_times"] + [
            f"{t.trip_id},{_hms(t.headway[0])},{_hms(t.headway[1])},{t.headway[2]},1" for t in freq
        ]
    files = {k: v for k, v in files.items() if k not in drop}
    if as_zip:
        path = path.with_suffix(".zip")
        with zipfile.ZipFile(path, "w") as zf:
            for name, rows in files.items():
                zf.writestr(name, "\n".join(rows) + "\n")
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, rows in files.items():
            (path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _runs(spec: Spec, service: str, day: dt.date) -> bool:
    ymd = day.strftime("%Y%m%d")
    for s, d, e in spec.exceptions:
        if s == service and d == ymd:
            return e == 1
    if service in spec.calendar:
        start, end, days = spec.calendar[service]
        return start <= ymd <= end and DAYS[day.weekday()] in days
    return False


def trips_on(spec: Spec, day: dt.date) -> list[tuple[list[str], list[int], list[int], Trip]]:
    """(stops, arrivals, departures, trip) of every trip running on ``day``, seconds after its
    midnight."""
    out = []
    for offset, when in ((0, day), (-86_400, day - dt.timedelta(days=1))):
        for t in spec.trips:
            if not _runs(spec, t.service, when):
                continue
            shift = [0]
            if t.headway:  # GTFS: start_time is the first *departure* from the first stop
                first_dep = t.times[0] + t.dwell
                shift = [s - first_dep for s in range(t.headway[0], t.headway[1], t.headway[2])]
            for s0 in shift:
                arr = [x + s0 + offset for x in t.times]
                out.append((t.stops, arr, [a + t.dwell for a in arr], t))
    return out


def oracle_arrivals(
    spec: Spec,
    day: dt.date,
    *,
    stop_ids: list[str],
    access: np.ndarray,
    transfers: list[tuple[int, int, float]],
    egress: list[tuple[int, int, float]],
    direct: np.ndarray,
    departures: list[int],
    slack: float = 0.0,
) -> np.ndarray:
    """Earliest arrivals ``(departures, origins, destinations)`` by Dijkstra on a time-expanded graph.

    ``access`` is ``(stops, origins)`` seconds, indices follow ``stop_ids``.
    """
    index = {s: i for i, s in enumerate(stop_ids)}
    g = nx.DiGraph()
    boards: dict[int, list[float]] = {}
    events = []
    for k, (stops, arr, dep, trip) in enumerate(trips_on(spec, day)):
        for i, s in enumerate(stops):
            p = index[s]
            can_board = not trip.pickup or trip.pickup[i] != 1
            can_alight = not trip.dropoff or trip.dropoff[i] != 1
            if i + 1 < len(stops):
                if can_board:
                    boards.setdefault(p, []).append(dep[i] - slack)
                    g.add_edge(("board", p, dep[i] - slack), ("dep", k, i), weight=slack)
                g.add_edge(("dep", k, i), ("arr", k, i + 1), weight=arr[i + 1] - dep[i])
            if i > 0:
                if i + 1 < len(stops):  # staying on board
                    g.add_edge(("arr", k, i), ("dep", k, i), weight=dep[i] - arr[i])
                if can_alight:
                    events.append((("arr", k, i), p, arr[i]))
    for p, times in boards.items():
        times = sorted(set(times))
        boards[p] = times
        for a, b in itertools.pairwise(times):
            g.add_edge(("board", p, a), ("board", p, b), weight=b - a)

    def first_board(p: int, t: float):
        times = boards.get(p, [])
        i = int(np.searchsorted(times, t, side="left"))
        return (("board", p, times[i]), times[i] - t) if i < len(times) else (None, 0)

    # transfers.txt: 3 forbids, 2 needs min_transfer_time (a walk takes at least that, and is
    # added when missing); 0 and 1 change nothing. From a stop to itself: changing vehicles there.
    walks = {(a, b): float(w) for a, b, w in transfers}
    change = dict.fromkeys(range(len(stop_ids)), 0.0)
    for a, b, kind, minimum in spec.transfers:
        if a not in index or b not in index or kind not in (2, 3):
            continue
        pa, pb = index[a], index[b]
        if pa == pb:
            change[pa] = np.inf if kind == 3 else float(minimum)
        elif kind == 3:
            walks.pop((pa, pb), None)
        else:
            walks[(pa, pb)] = max(walks.get((pa, pb), 0.0), float(minimum))
    walk_from: dict[int, list[tuple[int, float]]] = {}
    for (a, b), w in walks.items():
        walk_from.setdefault(a, []).append((b, w))
    egress_from: dict[int, list[tuple[int, float]]] = {}
    for a, j, w in egress:
        egress_from.setdefault(a, []).append((j, w))
    for node, p, t in events:
        for q, w in [(p, change[p]), *walk_from.get(p, [])]:
            if not np.isfinite(w):
                continue
            target, wait = first_board(q, t + w)
            if target is not None:
                g.add_edge(node, target, weight=w + wait)
        for j, w in egress_from.get(p, []):
            g.add_edge(node, ("dest", j), weight=w)
    n_origins, n_dest = direct.shape
    out = np.full((len(departures), n_origins, n_dest), np.inf)
    for d, t in enumerate(departures):
        for o in range(n_origins):
            h = g
            h.add_node("origin")
            added = []
            for p in range(len(stop_ids)):
                if np.isfinite(access[p, o]):
                    target, wait = first_board(p, t + access[p, o])
                    if target is not None:
                        h.add_edge("origin", target, weight=access[p, o] + wait)
                        added.append(target)
            for j in range(n_dest):
                if np.isfinite(direct[o, j]):
                    h.add_edge("origin", ("dest", j), weight=direct[o, j])
            dist = nx.single_source_dijkstra_path_length(h, "origin", weight="weight")
            for j in range(n_dest):
                out[d, o, j] = t + dist.get(("dest", j), np.inf)
            h.remove_node("origin")
    return out
