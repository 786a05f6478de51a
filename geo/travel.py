"""Travel times between points of a place, by mode.

This module is the one entry point other engines (siting, clusters, access) use for travel
times. With no road network (``[network] source = "crowfly"``) times are straight-line
distance x ``detour`` at the mode's speed, and are labelled approximate.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from scipy.spatial.distance import cdist

from geo.config import DEFAULT_SPEEDS_KMH
from geo.errors import InputError
from geo.place import Place

MODES = ("walk", "cycle", "drive")
CROWFLY_NOTE = "approximate: straight-line distance x detour factor (no road network)"


def speeds_kmh(place: Place) -> dict[str, float]:
    """Mode speeds from the place's config (``network_speeds_kmh`` meta), else defaults."""
    speeds = dict(DEFAULT_SPEEDS_KMH)
    raw = place.meta.get("network_speeds_kmh", "")
    for part in filter(None, raw.split(",")):
        mode, _, value = part.partition("=")
        speeds[mode.strip()] = float(value)
    return speeds


def detour(place: Place) -> float:
    return float(place.meta.get("network_detour", 1.3))


def check_mode(place: Place, mode: str) -> float:
    """Return the mode's speed in km/h or raise naming the unknown mode."""
    speeds = speeds_kmh(place)
    if mode not in speeds:
        raise InputError(f"unknown mode {mode!r}; use one of {', '.join(speeds)}")
    return speeds[mode]


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
    """One representative point per area (inside the polygon), indexed by area code."""
    return place.areas.geometry.representative_point()


def is_approximate(place: Place) -> bool:
    """True when the place has no road network and times are crow-fly estimates."""
    return place.meta.get("network_source", "crowfly") == "crowfly" or "network_edges" not in place.tables


def travel_time_matrix(
    place: Place,
    origins: gpd.GeoSeries,
    destinations: gpd.GeoSeries,
    *,
    mode: str = "walk",
    limit_minutes: float | None = None,
) -> np.ndarray:
    """Minutes from each origin to each destination (``inf`` where unreachable or over the limit).

    Points must be in the place's working CRS.
    """
    speed = check_mode(place, mode)
    minutes = crowfly_minutes(xy(origins), xy(destinations), speed_kmh=speed, detour=detour(place))
    if limit_minutes is not None:
        minutes = np.where(minutes <= limit_minutes, minutes, np.inf)
    return minutes
