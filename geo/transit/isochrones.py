"""Public transport isochrones: the land from which a hub is reached within each band.

Direction is area -> hub, as for the other transit figures. A regular grid of points covers
the place; a band is the union of the grid cells whose median minutes to the nearest hub
(walking plus public transport, median over each departure minute of the window) are within
its limit, clipped to the place. Bands are cumulative.

Many origins and one destination set: rather than route from every grid point, the router
runs once from the *stops* (:func:`stop_profiles`). For each stop, the earliest arrival at a
hub when ready to board there at time ``tau`` only changes at that stop's departures (minus the
boarding slack), so range RAPTOR from every stop over its own departure times gives that
step function exactly. A grid point leaving at ``t`` then arrives at
``min(t + walk, min over stops p of F_p(t + access_p))``: the same answer as routing from
the point itself (tested against it), at the cost of one search per stop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.place.model import Place
from geo.transit.access import _pairs, _transfers, walk_seconds, walk_speed_ms
from geo.transit.raptor import Legs, earliest_arrivals
from geo.transit.store import board_slack_s, departures, max_walk_m, place_timetable, stop_xy

DEFAULT_CELL_M = 250.0
_OFF = 1e7


def grid_points(place: Place, *, cell_m: float = DEFAULT_CELL_M) -> np.ndarray:
    """Centres of the ``cell_m`` grid cells whose centre lies in the place (``(n, 2)``)."""
    area = place.boundary
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(x0 + cell_m / 2, x1, cell_m)
    ys = np.arange(y0 + cell_m / 2, y1, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    shapely.prepare(area)
    return xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]


def stop_profiles(place: Place, hubs_xy: np.ndarray, *, until_s: float):
    """Each stop's earliest arrival at the nearest hub, as a step function of the ready time.

    Returns flat arrays sorted by (stop, time): ``stop``, ``tau`` (ready-by times: a
    departure minus the boarding slack) and ``arrive`` (earliest arrival at a hub when ready at
    that stop at ``tau``; the same for every ready time after the previous ``tau``).
    Ready times from the window's start up to ``until_s`` are covered.
    """
    table = place_timetable(place)
    n = table.n_stops
    slack = board_slack_s(place)
    start = float(departures(place)[0])
    stops, taus = [], []
    for p in table.patterns:
        stops.append(np.broadcast_to(p.stops[:-1], p.dep[:, :-1].shape).ravel())
        taus.append((p.dep[:, :-1] - slack).ravel())
    stop = np.concatenate(stops)
    tau = np.concatenate(taus)
    keep = tau >= start
    stop, tau = stop[keep], tau[keep]
    order = np.lexsort((tau, stop))
    stop, tau = stop[order], tau[order]
    first = np.r_[True, (stop[1:] != stop[:-1]) | (tau[1:] != tau[:-1])]
    stop, tau = stop[first], tau[first]
    # per stop, everything up to until_s plus the first ready time after it
    new_stop = np.r_[True, stop[1:] != stop[:-1]]
    after = tau > until_s
    first_after = after & (new_stop | ~np.r_[False, after[:-1]])
    keep = ~after | first_after
    stop, tau = stop[keep], tau[keep]
    counts = np.bincount(stop, minlength=n)
    k = int(counts.max()) if len(stop) else 0
    if k == 0:
        return stop, tau, np.full(0, np.inf)
    begin = np.cumsum(counts) - counts
    rank = np.arange(len(stop)) - begin[stop]
    grid = np.full((k, n), np.nan)
    grid[rank + (k - counts[stop]), stop] = tau  # each column ends with its latest time
    lowest = np.where(counts > 0, grid[k - counts.clip(1), np.arange(n)], start)
    grid = np.where(np.isnan(grid), lowest[None, :], grid)  # pad: repeat the earliest
    limit_s = max_walk_m(place) / walk_speed_ms(place)
    egress = _pairs(walk_seconds(place, stop_xy(place), hubs_xy, limit_s=limit_s))
    access = np.full((n, n), np.inf)
    np.fill_diagonal(access, 0.0)
    legs = Legs(access, _transfers(place, limit_s), egress, np.full((n, len(hubs_xy)), np.inf))
    arrive = earliest_arrivals(table.patterns, n, legs, grid, board_slack_s=slack).min(axis=2)
    return stop, tau, arrive[rank + (k - counts[stop]), stop]


def nearest_hub_seconds(place: Place, origins_xy: np.ndarray, hubs_xy: np.ndarray) -> np.ndarray:
    """``(departures, origins)`` travel seconds to the nearest hub, via :func:`stop_profiles`."""
    deps = departures(place)
    limit_s = max_walk_m(place) / walk_speed_ms(place)
    direct = walk_seconds(place, origins_xy, hubs_xy).min(axis=1)
    out = deps[:, None] + direct[None, :]
    access = walk_seconds(place, origins_xy, stop_xy(place), limit_s=limit_s)
    o, p = np.nonzero(np.isfinite(access))
    stop, tau, arrive = stop_profiles(place, hubs_xy, until_s=float(deps[-1]) + limit_s)
    if len(o) == 0 or len(stop) == 0:
        return out - deps[:, None]
    keys = stop * _OFF + tau
    ends = np.searchsorted(stop, np.arange(stop_xy(place).shape[0]), side="right")
    a = access[o, p]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    for i, t in enumerate(deps):
        pos = np.searchsorted(keys, p * _OFF + t + a, side="left")
        ok = pos < ends[p]
        val = np.where(ok, arrive[np.minimum(pos, len(arrive) - 1)], np.inf)
        best = np.minimum.reduceat(val, starts)
        rows = o[starts]
        out[i, rows] = np.minimum(out[i, rows], best)
    return out - deps[:, None]


def _quantile_minutes(seconds: np.ndarray, q: float) -> np.ndarray:
    finite = np.where(np.isfinite(seconds), seconds, 1e12)
    value = np.quantile(finite, q, axis=0)
    return np.where(value >= 1e9, np.inf, value / 60.0)


def transit_bands(
    place: Place, hubs_xy: np.ndarray, *, minutes: Sequence[float], cell_m: float = DEFAULT_CELL_M
) -> tuple[list[shapely.Geometry], np.ndarray, np.ndarray]:
    """Band polygons (smallest first), the grid points and their median minutes to a hub."""
    xy = grid_points(place, cell_m=cell_m)
    median = _quantile_minutes(nearest_hub_seconds(place, xy, np.asarray(hubs_xy, float)), 0.5)
    half = cell_m / 2
    cells = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    area = place.boundary
    polys = []
    for m in minutes:
        inside = cells[median <= m]
        geom = shapely.coverage_union_all(inside) if len(inside) else shapely.Polygon()
        polys.append(shapely.intersection(geom, area) if not geom.is_empty else geom)
    return polys, xy, median
