"""Minutes by public transport (walking plus timetabled services) on a place.

Walking legs run on the place's walking network (:func:`geo.network.graph.mode_graph` with
``"walk"``; points and stops snap to the nearest street as sites do, see
:mod:`geo.network.routing`), or crow-fly x detour when the place has no network. Legs to, from
and between stops are limited to ``max_walk_m`` (``[network.transit]``); walking the whole way
has no limit, so a place is never further by "transit" than on foot.

Times are from each origin to each destination, leaving the origin at each minute of the
window; :func:`travel_seconds` gives every departure, :func:`summary` the median and the 10th
and 90th percentiles over them.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from geo.network.graph import has_network, mode_graph
from geo.network.modes import detour, speeds_kmh
from geo.network.routing import seconds_matrix, snap
from geo.place.model import Place
from geo.transit.raptor import Legs, apply_rules, earliest_arrivals
from geo.transit.store import (
    board_slack_s,
    departures,
    max_walk_m,
    place_timetable,
    require_transit,
    stop_xy,
)

QUANTILES = {"median": 0.5, "p10": 0.1, "p90": 0.9}
_BIG = 1e12


def walk_speed_ms(place: Place) -> float:
    return speeds_kmh(place)["walk"] / 3.6


def walk_seconds(place: Place, a: np.ndarray, b: np.ndarray, *, limit_s: float = np.inf):
    """Walking seconds between ``(n, 2)`` and ``(m, 2)`` points (``inf`` beyond ``limit_s``)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    if len(a) == 0 or len(b) == 0:
        return np.full((len(a), len(b)), np.inf)
    if has_network(place):
        graph = mode_graph(place, "walk")
        return seconds_matrix(graph, snap(graph, a), snap(graph, b), limit_s=limit_s)
    sec = cdist(a, b) * detour(place) / walk_speed_ms(place)
    return np.where(sec <= limit_s, sec, np.inf)


def _pairs(sec: np.ndarray, *, skip_diagonal: bool = False):
    rows, cols = np.nonzero(np.isfinite(sec))
    if skip_diagonal:
        keep = rows != cols
        rows, cols = rows[keep], cols[keep]
    return rows.astype(np.int64), cols.astype(np.int64), sec[rows, cols].astype(float)


_transfer_cache: dict[int, tuple[weakref.ref, tuple]] = {}
_lock = threading.Lock()


def _transfers(place: Place, limit_s: float):
    """Walking pairs between distinct stops within the limit, after ``transfers.txt`` rules,
    and the per-stop change times (see :func:`geo.transit.raptor.apply_rules`), once per place object."""
    with _lock:
        hit = _transfer_cache.get(id(place))
        if hit is not None and hit[0]() is place and hit[1][0] == limit_s:
            return hit[1][1]
    xy = stop_xy(place)
    pairs = _pairs(walk_seconds(place, xy, xy, limit_s=limit_s), skip_diagonal=True)
    table = place_timetable(place)
    found = apply_rules(pairs, table.transfers, table.n_stops)
    with _lock:
        for key in [k for k, (ref, _) in _transfer_cache.items() if ref() is None]:
            del _transfer_cache[key]
        _transfer_cache[id(place)] = (weakref.ref(place), (limit_s, found))
    return found


@dataclass(frozen=True)
class TransitTimes:
    """Travel seconds for every departure of the window.

    Attributes
    ----------
    seconds
        ``(departures, origins, destinations)`` from leaving the origin to arriving
        (``inf`` where a destination cannot be reached).
    departures
        Departure times, seconds after midnight.
    """

    seconds: np.ndarray
    departures: np.ndarray


_recent: list[tuple[weakref.ref, bytes, TransitTimes]] = []
_RECENT = 4  # a page asks for the same areas -> hubs times several times in one update


def travel_seconds(
    place: Place, origins_xy: np.ndarray, destinations_xy: np.ndarray
) -> TransitTimes:
    """Travel seconds by walking and public transport, for every departure minute of the window.

    The last few answers are kept per place object (read-only arrays), keyed by the points.
    """
    require_transit(place)
    origins_xy = np.ascontiguousarray(origins_xy, float).reshape(-1, 2)
    destinations_xy = np.ascontiguousarray(destinations_xy, float).reshape(-1, 2)
    key = (
        origins_xy.tobytes() + b"|" + destinations_xy.tobytes() + b"|"
        + "|".join(f"{k}={v}" for k, v in sorted(place.meta.items()) if k.startswith("transit")).encode()
    )  # fmt: skip
    with _lock:
        for ref, k, hit in _recent:
            if ref() is place and k == key:
                return hit
    times = _travel_seconds(place, origins_xy, destinations_xy)
    times.seconds.setflags(write=False)
    with _lock:
        _recent[:] = [
            r for r in _recent if r[0]() is not None and not (r[0]() is place and r[1] == key)
        ]
        _recent.append((weakref.ref(place), key, times))
        del _recent[:-_RECENT]
    return times


def _travel_seconds(
    place: Place, origins_xy: np.ndarray, destinations_xy: np.ndarray
) -> TransitTimes:
    table = place_timetable(place)
    limit_s = max_walk_m(place) / walk_speed_ms(place)
    stops = stop_xy(place)
    deps = departures(place)
    direct = walk_seconds(place, origins_xy, destinations_xy)
    access = walk_seconds(place, origins_xy, stops, limit_s=limit_s).T
    egress = _pairs(walk_seconds(place, stops, destinations_xy, limit_s=limit_s))
    out = np.repeat(direct[None], len(deps), axis=0)
    useful = np.isfinite(access).any(axis=0)  # origins with no stop in reach: walking only
    if useful.any() and len(egress[0]):
        between, same = _transfers(place, limit_s)
        legs = Legs(access[:, useful], between, egress, direct[useful], same_stop=same)
        arrive = earliest_arrivals(
            table.patterns, table.n_stops, legs, deps, board_slack_s=board_slack_s(place)
        )
        out[:, useful] = arrive - deps[:, None, None]
    return TransitTimes(seconds=out, departures=deps)


def _quantile(seconds: np.ndarray, q: float) -> np.ndarray:
    """Quantile over departures (axis 0) in minutes; ``inf`` stays ``inf``."""
    finite = np.where(np.isfinite(seconds), seconds, _BIG)
    value = np.quantile(finite, q, axis=0)
    return np.where(value >= 1e9, np.inf, value / 60.0)


def summary(times: TransitTimes) -> dict[str, np.ndarray]:
    """Median, 10th and 90th percentile minutes over the departures (``(origins, destinations)``)."""
    return {name: _quantile(times.seconds, q) for name, q in QUANTILES.items()}


def nearest(times: TransitTimes) -> dict[str, np.ndarray]:
    """Per origin: minutes to the nearest destination (median, p10, p90 over departures) and which.

    For each departure the nearest destination is the first reached; ``median`` is the median
    of those minutes (as Journey Time Statistics average over departures). ``nearest`` is the
    destination with the lowest median of its own (-1 when none is reached).
    """
    _n_dep, n_orig, n_dest = times.seconds.shape
    if n_dest == 0:
        empty = np.full(n_orig, np.inf)
        return {"median": empty, "p10": empty, "p90": empty, "nearest": np.full(n_orig, -1)}
    first = times.seconds.min(axis=2)
    out = {name: _quantile(first, q) for name, q in QUANTILES.items()}
    med = _quantile(times.seconds, 0.5)
    pick = np.argmin(med, axis=1)
    out["nearest"] = np.where(np.isfinite(out["median"]), pick, -1)
    return out
