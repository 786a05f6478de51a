"""A deterministic synthetic bus network for the demo borough (synthetic demo data), as GTFS.

Not a real timetable. Made from the demo's own streets (:mod:`geo.datasets._demo_streets`):

* inter-town routes between the towns the A-roads join (the same spanning tree plus the two
  shortest extra links), each following the quickest bus path on the streets;
* two cross-town routes per town (roughly west-east and south-north through its centre);
* stops about every 350 m along each route (shared where routes share a street node);
* weekday headways of 10 to 30 minutes by town size from 06:00, doubled after 19:00 until
  23:00 (``frequencies.txt`` with exact times), Saturday 1.5 times and Sunday twice as long
  (08:00-18:00). The calendar runs through 2026.

Written as a GTFS zip with ``agency``, ``stops``, ``routes``, ``trips``, ``stop_times``,
``calendar`` and ``frequencies``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from scipy.spatial import cKDTree

CRS = "EPSG:27700"
AGENCY = "Demoborough Buses (synthetic demo data)"
START_DATE, END_DATE = "20260101", "20261231"
STOP_SPACING_M = 350.0
DWELL_S = 20
BUS_HIGHWAYS = ("primary", "secondary", "tertiary", "unclassified", "residential")
_KMH = {"30 mph": 48.3, "50 mph": 80.5, "national": 96.6}
_BUS_FACTOR = 0.6  # buses run well below the limit: junctions, traffic, pulling in
_SERVICES = {  # service: (days, headway multiplier, first departure, end of day, evening start)
    "WEEKDAY": (("monday", "tuesday", "wednesday", "thursday", "friday"), 1.0, 6, 19, 23),
    "SATURDAY": (("saturday",), 1.5, 7, 19, 23),
    "SUNDAY": (("sunday",), 2.0, 8, 18, 18),
}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _graph(streets: Path):
    nodes = pyogrio.read_dataframe(streets, layer="nodes")
    edges = pyogrio.read_dataframe(streets, layer="edges")
    xy = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    index = pd.Index(nodes["osmid"].to_numpy())
    ok = edges["highway"].isin(BUS_HIGHWAYS).to_numpy()
    u = index.get_indexer(edges["u"].to_numpy()[ok])
    v = index.get_indexer(edges["v"].to_numpy()[ok])
    kmh = edges["maxspeed"].map(_KMH).fillna(48.3).to_numpy(float)[ok]
    length = edges.geometry.length.to_numpy()[ok]
    sec = np.maximum(length / (kmh * _BUS_FACTOR / 3.6), 0.1)
    n = len(xy)
    matrix = csr_matrix(
        (np.concatenate([sec, sec]), (np.concatenate([u, v]), np.concatenate([v, u]))), (n, n)
    )
    usable = np.zeros(n, bool)
    usable[u] = usable[v] = True
    return matrix, xy, usable


def _path(pred: np.ndarray, a: int, b: int) -> list[int]:
    out = [b]
    while out[-1] != a:
        p = int(pred[out[-1]])
        if p < 0:
            return []
        out.append(p)
    return out[::-1]


def _town_pairs(centres: np.ndarray) -> list[tuple[int, int]]:
    """The A-road links of :func:`write_demo_streets`: spanning tree plus two shortest extras."""
    d = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    pairs = {
        tuple(sorted(p))
        for p in zip(*np.nonzero(minimum_spanning_tree(d).toarray() > 0), strict=True)
    }
    extra = sorted(
        (d[i, j], i, j)
        for i in range(len(centres))
        for j in range(i + 1, len(centres))
        if (i, j) not in pairs
    )
    pairs |= {(i, j) for _, i, j in extra[:2]}
    return sorted((int(i), int(j)) for i, j in pairs)


def _stops_along(path: list[int], xy: np.ndarray, keep: set[int]) -> list[int]:
    """Nodes of ``path`` to stop at: both ends, every ~350 m, and the nodes in ``keep``."""
    seg = np.hypot(*np.diff(xy[path], axis=0).T)
    out, since = [path[0]], 0.0
    for node, step in zip(path[1:], seg, strict=True):
        since += step
        if since >= STOP_SPACING_M or node in keep or node == path[-1]:
            out.append(node)
            since = 0.0
    return out


def _hms(s: float) -> str:
    s = int(np.rint(s))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def write_demo_buses(path: Path, *, streets: Path, towns: Sequence) -> Path:
    """Write the demo bus network as a GTFS zip at ``path``; the same inputs give the same bytes."""
    out_path = Path(path)
    matrix, xy, usable = _graph(streets)
    tree = cKDTree(xy[usable])
    usable_ids = np.flatnonzero(usable)

    def node_at(p) -> int:
        return int(usable_ids[tree.query(p)[1]])

    centres = np.array([[t.x, t.y] for t in towns], float)
    hub_nodes = [node_at(c) for c in centres]
    routes = []  # (route_id, name, headway_min, node path)
    for i, j in _town_pairs(centres):
        share = towns[i].share + towns[j].share
        headway = int(5 * round((30 - 20 * min(1.0, share / 0.5)) / 5))
        routes.append(
            (f"X{i}{j}", f"{towns[i].name} - {towns[j].name}", headway, hub_nodes[i], hub_nodes[j])
        )
    for i, t in enumerate(towns):
        headway = 10 if t.share >= 0.2 else 15 if t.share >= 0.12 else 20
        reach = 1.6 * t.sigma
        for k, (dx, dy) in enumerate(((1.0, 0.0), (0.0, 1.0))):
            a = node_at(centres[i] - [dx * reach, dy * reach])
            b = node_at(centres[i] + [dx * reach, dy * reach])
            routes.append(
                (f"T{i}{k}", f"{t.name} {'west-east' if k == 0 else 'south-north'}", headway, a, b)
            )
    sources = sorted({r[3] for r in routes} | {r[4] for r in routes} | set(hub_nodes))
    where = {s: i for i, s in enumerate(sources)}
    _, pred = dijkstra(matrix, directed=False, indices=sources, return_predecessors=True)
    pred = np.asarray(pred)
    hubs = set(hub_nodes)
    trips, stop_times, frequencies, used_stops, route_rows = [], [], [], set(), []
    for n, (rid, name, headway, a, b) in enumerate(routes):
        route_rows.append((rid, name))
        for direction, (s, e) in enumerate(((a, b), (b, a))):
            path = _path(pred[where[s]], s, e) if a != b else []
            if len(path) < 2:
                continue
            via = [path[0]]
            if rid.startswith("T"):  # cross-town routes pass the centre
                c = hub_nodes[int(rid[1])]
                first, second = _path(pred[where[c]], c, s)[::-1], _path(pred[where[c]], c, e)
                if first and second:
                    path = first + second[1:]
                via = [c]
            stops = _stops_along(path, xy, hubs | set(via))
            # running times along the path from the edge seconds
            pos = {node: k for k, node in enumerate(path)}
            leg = np.array([matrix[path[k], path[k + 1]] for k in range(len(path) - 1)])
            cum = np.concatenate([[0.0], np.cumsum(leg)])
            clock = cum[[pos[x] for x in stops]] + DWELL_S * np.arange(len(stops))
            for service, (_, mult, first_h, evening_h, last_h) in _SERVICES.items():
                trip_id = f"{rid}_{direction}_{service}"
                trips.append((rid, service, trip_id, direction))
                for k, (stop, t) in enumerate(zip(stops, clock, strict=True)):
                    stop_times.append(
                        (
                            trip_id,
                            _hms(t),
                            _hms(t + (DWELL_S if 0 < k < len(stops) - 1 else 0)),
                            f"N{stop}",
                            k + 1,
                        )
                    )
                    used_stops.add(stop)
                day_h = min(60, int(np.rint(headway * mult)))
                offset = (n * 7 + direction * 4) % day_h
                frequencies.append(
                    (
                        trip_id,
                        _hms(first_h * 3600 + offset * 60),
                        _hms(evening_h * 3600),
                        day_h * 60,
                    )
                )
                if last_h > evening_h:
                    frequencies.append(
                        (
                            trip_id,
                            _hms(evening_h * 3600 + offset * 60),
                            _hms(last_h * 3600),
                            min(60, 2 * day_h) * 60,
                        )
                    )
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    ids = sorted(used_stops)
    lon, lat = to_ll.transform(xy[ids, 0], xy[ids, 1])
    tables = {
        "agency": pd.DataFrame({"agency_id": ["DB"], "agency_name": [AGENCY], "agency_url": ["https://example.invalid/"], "agency_timezone": ["Europe/London"]}),
        "stops": pd.DataFrame({"stop_id": [f"N{i}" for i in ids], "stop_name": [f"Stop {k + 1} (synthetic)" for k in range(len(ids))], "stop_lat": np.round(lat, 6), "stop_lon": np.round(lon, 6)}),
        "routes": pd.DataFrame({"route_id": [r[0] for r in route_rows], "agency_id": "DB", "route_short_name": [r[0] for r in route_rows], "route_long_name": [r[1] for r in route_rows], "route_type": 3}),
        "trips": pd.DataFrame(trips, columns=["route_id", "service_id", "trip_id", "direction_id"]),
        "stop_times": pd.DataFrame(stop_times, columns=["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]),
        "calendar": pd.DataFrame([(s, *(int(d in days) for d in _DAYS), START_DATE, END_DATE) for s, (days, *_rest) in _SERVICES.items()], columns=["service_id", *_DAYS, "start_date", "end_date"]),
        "frequencies": pd.DataFrame([(*f, 1) for f in frequencies], columns=["trip_id", "start_time", "end_time", "headway_secs", "exact_times"]),
    }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, frame in tables.items():
            info = zipfile.ZipInfo(f"{name}.txt", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, frame.to_csv(index=False, lineterminator="\n"))
    out_path.write_bytes(buffer.getvalue())
    return out_path
