"""A place's timetable in its bundle: two tables, written at build time and read back for routing.

``transit_stops``
    ``stop_id``, ``name``, ``lon``, ``lat`` and ``x``, ``y`` in the working CRS.
``transit_stop_times``
    One row per trip and stop: ``pattern``, ``trip`` (row in the pattern), ``pos`` (position
    in the pattern), ``stop`` (row of ``transit_stops``), ``arr``, ``dep`` (seconds after the
    service day's midnight), ``trip_id`` and ``board``, ``alight`` (the trip picks up / drops
    off there; bundles written before these columns mean everywhere).
``transit_transfers``
    The stop-to-stop rules of ``transfers.txt``: ``src``, ``dst`` (rows of ``transit_stops``),
    ``kind`` (``transfer_type``) and ``min_s`` (``min_transfer_time``).

The options of ``[network.transit]`` travel in :attr:`Place.meta` (``transit_*`` keys).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.errors import InputError
from geo.place.model import Place
from geo.transit.config import parse_window
from geo.transit.feed import Pattern, Timetable, TransferRules

STOPS = "transit_stops"
STOP_TIMES = "transit_stop_times"
TRANSFERS = "transit_transfers"
TRANSIT = "transit"


def timetable_tables(table: Timetable, *, crs: str) -> dict[str, pd.DataFrame]:
    """The two bundle tables of ``table`` (stops projected to ``crs``)."""
    to_xy = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_xy.transform(table.lonlat[:, 0], table.lonlat[:, 1])
    stops = pd.DataFrame(
        {
            "stop_id": table.stop_ids.astype(str),
            "name": table.stop_names.astype(str),
            "lon": table.lonlat[:, 0],
            "lat": table.lonlat[:, 1],
            "x": np.asarray(x, float),
            "y": np.asarray(y, float),
        }
    )
    frames = []
    for i, p in enumerate(table.patterns):
        n, k = p.dep.shape
        frames.append(
            pd.DataFrame(
                {
                    "pattern": np.full(n * k, i, np.int64),
                    "trip": np.repeat(np.arange(n), k),
                    "pos": np.tile(np.arange(k), n),
                    "stop": np.tile(p.stops, n),
                    "arr": p.arr.ravel(),
                    "dep": p.dep.ravel(),
                    "trip_id": np.repeat(np.asarray(p.trip_ids, dtype=object), k),
                    "board": np.tile(np.ones(k, bool) if p.board is None else p.board, n),
                    "alight": np.tile(np.ones(k, bool) if p.alight is None else p.alight, n),
                }
            )
        )
    times = pd.concat(frames, ignore_index=True)
    rules = table.transfers
    transfers = pd.DataFrame(
        {"src": rules.src, "dst": rules.dst, "kind": rules.kind, "min_s": rules.min_s}
    )
    out = {STOPS: stops, STOP_TIMES: times}
    if len(transfers):  # an empty table is left out
        out[TRANSFERS] = transfers
    return out


def has_transit(place: Place) -> bool:
    """True when the place carries a timetable (``[network.transit]`` at build time)."""
    stops = place.tables.get(STOPS)
    return stops is not None and len(stops) > 0 and STOP_TIMES in place.tables


def require_transit(place: Place) -> None:
    """Raise a one-line :class:`InputError` unless the place has a timetable."""
    if not has_transit(place):
        raise InputError(
            "the place has no public transport timetable: add a [network.transit] table "
            "(gtfs, date, window) to its config and rebuild it"
        )


_cache: dict[int, tuple[weakref.ref, Timetable]] = {}
_lock = threading.Lock()


def place_timetable(place: Place) -> Timetable:
    """The place's :class:`Timetable` rebuilt from its tables, once per place object."""
    require_transit(place)
    with _lock:
        hit = _cache.get(id(place))
        if hit is not None and hit[0]() is place:
            return hit[1]
    stops = place.tables[STOPS]
    times = pd.DataFrame(place.tables[STOP_TIMES]).sort_values(["pattern", "trip", "pos"])
    patterns = []
    for _, g in times.groupby("pattern", sort=True):
        n, k = int(g["trip"].max()) + 1, int(g["pos"].max()) + 1
        if len(g) != n * k:
            raise InputError(f"the bundle's {STOP_TIMES} table is damaged (pattern rows missing)")
        flags = {}
        for col in ("board", "alight"):
            if col in g.columns:
                allowed = g[col].to_numpy()[:k].astype(bool)
                flags[col] = None if allowed.all() else allowed
        patterns.append(
            Pattern(
                stops=g["stop"].to_numpy(np.int64)[:k],
                arr=g["arr"].to_numpy(float).reshape(n, k),
                dep=g["dep"].to_numpy(float).reshape(n, k),
                trip_ids=tuple(g["trip_id"].astype(str).to_numpy()[::k]),
                **flags,
            )
        )
    rules = place.tables.get(TRANSFERS)
    transfers = TransferRules.none()
    if rules is not None and len(rules):
        rules = pd.DataFrame(rules)
        transfers = TransferRules(
            src=rules["src"].to_numpy(np.int64),
            dst=rules["dst"].to_numpy(np.int64),
            kind=rules["kind"].to_numpy(np.int64),
            min_s=rules["min_s"].to_numpy(float),
        )
    table = Timetable(
        date=dt.date.fromisoformat(place.meta.get("transit_date", "1970-01-01")),
        stop_ids=stops["stop_id"].astype(str).to_numpy(),
        stop_names=stops["name"].astype(str).to_numpy(),
        lonlat=stops[["lon", "lat"]].to_numpy(float),
        patterns=tuple(patterns),
        transfers=transfers,
    )
    with _lock:
        for key in [k for k, (ref, _) in _cache.items() if ref() is None]:
            del _cache[key]
        _cache[id(place)] = (weakref.ref(place), table)
    return table


def stop_xy(place: Place) -> np.ndarray:
    """``(stops, 2)`` stop coordinates in the working CRS."""
    return pd.DataFrame(place.tables[STOPS])[["x", "y"]].to_numpy(float)


def departures(place: Place) -> np.ndarray:
    """Departure times of the place's window (seconds after midnight), one each minute."""
    start, end = parse_window(place.meta.get("transit_window", "07:00-09:00"))
    return np.arange(start, end, 60, dtype=float)


def max_walk_m(place: Place) -> float:
    return float(place.meta.get("transit_max_walk_m", 1000))


def board_slack_s(place: Place) -> float:
    return float(place.meta.get("transit_board_slack_s", 0))


def transit_method(place: Place) -> str:
    """How transit minutes were measured, for tables and exports."""
    walk = "walking network" if place.tables.get("network_edges") is not None else "crow-fly"
    return (
        f"public transport + walking ({walk}): median of departures each minute "
        f"{place.meta.get('transit_window', '')} on {place.meta.get('transit_date', '')}, "
        f"walks up to {max_walk_m(place):g} m"
    )
