"""Public transport isochrones: the land from which a hub is reached within each band.

Direction is area -> hub, as for the other transit figures: a regular grid of points covers
the place, each point's minutes to the nearest hub (walking plus public transport, median over
the departure window, see :func:`geo.transit.access.nearest`) are computed at once, and a band
is the union of the grid cells within its minutes, clipped to the place. Bands are cumulative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.place.model import Place
from geo.transit.access import nearest, travel_seconds

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


def transit_bands(
    place: Place, hubs_xy: np.ndarray, *, minutes: Sequence[float], cell_m: float = DEFAULT_CELL_M
) -> tuple[list[shapely.Geometry], np.ndarray, np.ndarray]:
    """Band polygons (smallest first), the grid points and their median minutes to a hub."""
    xy = grid_points(place, cell_m=cell_m)
    found = nearest(travel_seconds(place, xy, hubs_xy))
    median = found["median"]
    half = cell_m / 2
    cells = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    area = place.boundary
    polys = []
    for m in minutes:
        inside = cells[median <= m]
        geom = shapely.coverage_union_all(inside) if len(inside) else shapely.Polygon()
        polys.append(shapely.intersection(geom, area) if not geom.is_empty else geom)
    return polys, xy, median
