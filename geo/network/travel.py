"""Travel times between points of a place, by mode.

This module is the one entry point other engines (siting, clusters, access) use for travel
times. When the place carries a road network (``network_edges`` in its tables) times are
shortest paths on it (see :mod:`geo.network.routing`: points snap to the nearest street and the
off-network leg is travelled at the mode's speed). With no road network
(``[network] source = "crowfly"``) times are straight-line distance x ``detour`` at the mode's
speed, and are labelled approximate.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from geo.network.graph import mode_graph
from geo.network.modes import (
    ALL_MODES,
    CROWFLY_NOTE,
    MODES,
    TRANSIT,
    available_modes,
    check_mode,
    detour,
    speeds_kmh,
)
from geo.network.routing import seconds_matrix, seconds_to_nearest, snap
from geo.place.model import Place
from geo.transit import access as transit

__all__ = [
    "ALL_MODES",
    "CROWFLY_NOTE",
    "MODES",
    "TRANSIT",
    "area_point_method",
    "area_points",
    "available_modes",
    "check_mode",
    "crowfly_minutes",
    "detour",
    "is_approximate",
    "nearest_minutes",
    "speeds_kmh",
    "travel_time_matrix",
    "xy",
]


def crowfly_minutes(
    origins: np.ndarray, destinations: np.ndarray, *, speed_kmh: float, detour: float
) -> np.ndarray:
    """Minutes between every origin and destination (``(n, 2)`` and ``(m, 2)`` metres)."""
    metres = cdist(np.asarray(origins, float), np.asarray(destinations, float))
    return metres * detour / (speed_kmh * 1000.0 / 60.0)


def xy(points: gpd.GeoSeries) -> np.ndarray:
    """Point coordinates as an ``(n, 2)`` array."""
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def area_points(place: Place) -> gpd.GeoSeries:
    """One point per area, indexed by area code: population-weighted when the place has them.

    A place built with ``[network] weight_points = "postcodes"`` stores an ``area_points``
    table (the mean position of each area's postcodes, a population-weighted centre); other
    areas get a representative point (inside the polygon).
    """
    points = place.areas.geometry.representative_point()
    table = place.tables.get("area_points")
    if table is not None and len(table):
        weighted = pd.DataFrame(table).set_index("code")
        weighted.index = weighted.index.astype(str)
        weighted = weighted.reindex(points.index)
        ok = weighted["x"].notna().to_numpy()
        if ok.any():
            pts = points.to_numpy().copy()
            pts[ok] = gpd.points_from_xy(weighted["x"].to_numpy()[ok], weighted["y"].to_numpy()[ok])
            points = gpd.GeoSeries(pts, index=points.index, crs=points.crs)
    return points


def area_point_method(place: Place) -> str:
    """``population-weighted`` or ``representative`` (how :func:`area_points` places areas)."""
    table = place.tables.get("area_points")
    return "population-weighted" if table is not None and len(table) else "representative"


def is_approximate(place: Place) -> bool:
    """True when the place has no road network and times are crow-fly estimates."""
    edges = place.tables.get("network_edges")
    return (
        place.meta.get("network_source", "crowfly") == "crowfly" or edges is None or len(edges) == 0
    )


def travel_time_matrix(
    place: Place,
    origins: gpd.GeoSeries,
    destinations: gpd.GeoSeries,
    *,
    mode: str = "walk",
    limit_minutes: float | None = None,
) -> np.ndarray:
    """Minutes from each origin to each destination (``inf`` where unreachable or over the limit).

    Points must be in the place's working CRS. On a place with a road network this is the
    shortest path on the mode's network (bounded by ``limit_minutes``, which also makes it
    faster); otherwise crow-fly x detour (see :func:`is_approximate`). Mode ``transit`` gives
    the median over the departure window of walking plus public transport
    (:mod:`geo.transit.access`).
    """
    speed = check_mode(place, mode)
    if mode == TRANSIT:
        minutes = transit.summary(transit.travel_seconds(place, xy(origins), xy(destinations)))
        minutes = minutes["median"]
        if limit_minutes is not None:
            minutes = np.where(minutes <= limit_minutes, minutes, np.inf)
        return minutes
    if not is_approximate(place):
        graph = mode_graph(place, mode)
        limit_s = np.inf if limit_minutes is None else float(limit_minutes) * 60.0
        seconds = seconds_matrix(
            graph, snap(graph, xy(origins)), snap(graph, xy(destinations)), limit_s=limit_s
        )
        return seconds / 60.0
    minutes = crowfly_minutes(xy(origins), xy(destinations), speed_kmh=speed, detour=detour(place))
    if limit_minutes is not None:
        minutes = np.where(minutes <= limit_minutes, minutes, np.inf)
    return minutes


def nearest_minutes(
    place: Place,
    origins: gpd.GeoSeries,
    destinations: gpd.GeoSeries,
    *,
    mode: str = "walk",
    limit_minutes: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each origin to its nearest destination, and that destination's position.

    One multi-source search on a road network (travel towards the destinations), crow-fly x
    detour otherwise. Unreachable (or over ``limit_minutes``) gives ``inf`` and position -1.
    Mode ``transit``: the median over the window of the minutes to the first destination
    reached (see :func:`geo.transit.access.nearest`).
    """
    speed = check_mode(place, mode)
    if len(destinations) == 0:
        return np.full(len(origins), np.inf), np.full(len(origins), -1)
    if mode == TRANSIT:
        found = transit.nearest(transit.travel_seconds(place, xy(origins), xy(destinations)))
        minutes, nearest = found["median"], found["nearest"]
        if limit_minutes is not None:
            over = minutes > limit_minutes
            minutes, nearest = np.where(over, np.inf, minutes), np.where(over, -1, nearest)
        return minutes, nearest
    if not is_approximate(place):
        graph = mode_graph(place, mode)
        limit_s = np.inf if limit_minutes is None else float(limit_minutes) * 60.0
        seconds, nearest = seconds_to_nearest(
            graph, snap(graph, xy(origins)), snap(graph, xy(destinations)), limit_s=limit_s
        )
        return seconds / 60.0, nearest
    dist, nearest = cKDTree(xy(destinations)).query(xy(origins))
    minutes = dist * detour(place) / (speed * 1000.0 / 60.0)
    if limit_minutes is not None:
        over = minutes > limit_minutes
        minutes = np.where(over, np.inf, minutes)
        nearest = np.where(over, -1, nearest)
    return minutes, np.asarray(nearest)
