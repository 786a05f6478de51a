"""Public transport isochrones: the land from which a hub is reached within each band.

Direction is area -> hub, as for the other transit figures. A regular grid of points covers
the place; a band is the union of the grid cells whose median minutes to the nearest hub
(walking plus public transport, median over each departure minute of the window) are within
its limit, clipped to the place. Bands are cumulative.

Many origins and one destination set: rather than route from every grid point, the router
runs once backwards from the hubs (:func:`stop_profiles`). For each stop, the earliest arrival
at a hub when ready to board there at time ``tau`` is a step function of ``tau``; a reverse
RAPTOR over every possible arrival time at a hub (one column each,
:func:`geo.transit.raptor.arrival_profiles`) gives it exactly for all stops at once. A grid
point leaving at ``t`` then arrives at ``min(t + walk, min over stops p of F_p(t + access_p))``:
the same answer as routing from the point itself (tested against it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.place.model import Place
from geo.transit.access import _pairs, _transfers, walk_seconds, walk_speed_ms
from geo.transit.raptor import arrival_profiles
from geo.transit.store import board_slack_s, departures, max_walk_m, place_timetable, stop_xy

DEFAULT_CELL_M = 250.0


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


def stop_profiles(
    place: Place, hubs_xy: np.ndarray, *, end_s: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each stop's earliest arrival at the nearest hub, as a step function of the ready time.

    Returns flat arrays sorted by (stop, time): ``stop``, ``tau`` and ``arrive`` (earliest
    arrival at a hub when ready to board at that stop at any time after the stop's previous
    ``tau`` and up to ``tau``), for ready times from the window's start on. One reverse search
    from the hubs (:func:`geo.transit.raptor.arrival_profiles`).
    """
    table = place_timetable(place)
    limit_s = max_walk_m(place) / walk_speed_ms(place)
    egress = _pairs(walk_seconds(place, stop_xy(place), hubs_xy, limit_s=limit_s))
    between, same = _transfers(place, limit_s)
    return arrival_profiles(
        table.patterns,
        table.n_stops,
        transfer=between,
        same_stop=same,
        egress=egress,
        start_s=float(departures(place)[0]),
        end_s=end_s,
        board_slack_s=board_slack_s(place),
    )


def nearest_hub_seconds(
    place: Place, origins_xy: np.ndarray, hubs_xy: np.ndarray, *, horizon_s: float = np.inf
) -> np.ndarray:
    """``(departures, origins)`` travel seconds to the nearest hub, via :func:`stop_profiles`.

    With a finite ``horizon_s`` the search stops at arrivals ``horizon_s`` after the window's
    last departure: a time up to ``horizon_s`` is exact; a longer one may be reported
    longer than it is (or ``inf``), never shorter.
    """
    deps = departures(place)
    limit_s = max_walk_m(place) / walk_speed_ms(place)
    direct = walk_seconds(place, origins_xy, hubs_xy).min(axis=1)
    out = deps[:, None] + direct[None, :]
    access = walk_seconds(place, origins_xy, stop_xy(place), limit_s=limit_s)
    o, p = np.nonzero(np.isfinite(access))
    stop, tau, arrive = stop_profiles(place, hubs_xy, end_s=float(deps[-1]) + horizon_s)
    if len(o) == 0 or len(stop) == 0:
        return out - deps[:, None]
    # (stop, time) as one exact integer key: the stop, then the rank of the time
    times = np.unique(tau)
    span = len(times) + 1
    keys = stop * span + np.searchsorted(times, tau)
    ends = np.searchsorted(stop, np.arange(stop_xy(place).shape[0]), side="right")
    a = access[o, p]
    starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
    for i, t in enumerate(deps):
        # the first time at the stop no earlier than the ready time t + a
        pos = np.searchsorted(keys, p * span + np.searchsorted(times, t + a), side="left")
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
    """Band polygons (smallest first), the grid points and their median minutes to a hub.

    The search looks ahead twice the largest band (plus a minute): a median is the mean of at
    most two middle departures, so a median within the largest band only involves journeys
    within twice it, which are exact. Medians beyond the largest band are only known to be
    beyond it (they may be reported longer, or ``inf``).
    """
    xy = grid_points(place, cell_m=cell_m)
    horizon_s = 2 * 60.0 * max(minutes, default=0.0) + 60.0
    seconds = nearest_hub_seconds(place, xy, np.asarray(hubs_xy, float), horizon_s=horizon_s)
    median = _quantile_minutes(seconds, 0.5)
    half = cell_m / 2
    cells = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    area = place.boundary
    polys = []
    for m in minutes:
        inside = cells[median <= m]
        geom = shapely.coverage_union_all(inside) if len(inside) else shapely.Polygon()
        polys.append(shapely.intersection(geom, area) if not geom.is_empty else geom)
    return polys, xy, median
