"""Display geometry: reprojected to EPSG:4326 once per place and simplified for the browser.

Small areas and footprints are simplified together as a coverage
(:func:`shapely.coverage_simplify`, Visvalingam-Whyatt) in the place's projected working CRS,
so neighbouring polygons keep shared edges (no slivers or gaps) and the tolerance is in
metres. Coordinates are rounded to 5 decimal places of a degree (about 1 m).
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.place.model import Place

DISPLAY_TOLERANCE_M = 20.0
"""Default simplification tolerance (metres, working CRS) for geometry sent to the browser."""
COORD_DECIMALS = 5

_cache: dict[tuple[int, str, float], tuple[weakref.ref, Any]] = {}
_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def _cached(place: Place, key: str, tolerance_m: float, build):
    ck = (id(place), key, float(tolerance_m))
    with _lock:
        hit = _cache.get(ck)
        if hit is not None and hit[0]() is place:
            return hit[1]
    value = build()
    with _lock:
        # Drop entries whose place has gone (ids can be reused).
        for k in [k for k, (ref, _) in _cache.items() if ref() is None]:
            del _cache[k]
        _cache[ck] = (weakref.ref(place), value)
    return value


def simplify_coverage(geoms: gpd.GeoSeries, *, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify polygons that tile an area together, keeping shared edges shared.

    Falls back to per-polygon topology-preserving simplification when the polygons are not a
    valid coverage (overlaps). A tolerance of 0 returns the input unchanged.
    """
    if tolerance_m <= 0 or len(geoms) == 0:
        return geoms
    arr = geoms.to_numpy()
    try:
        out = shapely.coverage_simplify(arr, tolerance_m)
    except Exception:  # GEOS rejects invalid coverages
        out = shapely.simplify(arr, tolerance_m, preserve_topology=True)
    bad = shapely.is_empty(out) | ~shapely.is_valid(out)
    if bad.any():
        out[bad] = shapely.simplify(arr[bad], tolerance_m, preserve_topology=True)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def to_display(geoms: gpd.GeoSeries, *, tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoSeries:
    """Simplify (coverage-aware) in the working CRS, then reproject to EPSG:4326 and round."""
    simple = simplify_coverage(geoms, tolerance_m=tolerance_m).to_crs(4326)
    rounded = shapely.transform(simple.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=simple.index, crs=4326)


def display_geometries(
    place: Place, layer: str = "areas", *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> gpd.GeoSeries:
    """EPSG:4326 display geometries of ``areas`` (by area code) or ``footprints`` (by name).

    Cached per place object; treat the result as read-only.
    """
    if layer == "areas":
        return _cached(
            place,
            "geoms:areas",
            tolerance_m,
            lambda: to_display(place.areas.geometry, tolerance_m=tolerance_m),
        )
    if layer == "footprints":

        def build() -> gpd.GeoSeries:
            fps = place.footprints.set_index("footprint").geometry
            return to_display(fps, tolerance_m=tolerance_m)

        return _cached(place, "geoms:footprints", tolerance_m, build)
    raise ValueError(f"unknown display layer {layer!r} (use 'areas' or 'footprints')")


def display_geojson(
    place: Place, layer: str = "areas", *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> dict:
    """A GeoJSON FeatureCollection of display geometries, each feature's ``id`` the area code
    (``layer="areas"``) or footprint name (``layer="footprints"``). Cached; do not modify."""

    def build() -> dict:
        geoms = display_geometries(place, layer, tolerance_m=tolerance_m)
        features = [
            {
                "type": "Feature",
                "id": str(key),
                "properties": {},
                "geometry": shapely.geometry.mapping(geom),
            }
            for key, geom in geoms.items()
            if geom is not None and not geom.is_empty
        ]
        return {"type": "FeatureCollection", "features": features}

    return _cached(place, f"geojson:{layer}", tolerance_m, build)


def geojson_subset(
    place: Place, ids: list[str], layer: str = "areas", *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> dict:
    """The features of :func:`display_geojson` whose ``id`` is in ``ids`` (in that order): a
    trace drawing only some areas sends only their geometry."""
    full = display_geojson(place, layer, tolerance_m=tolerance_m)
    by_id = _cached(
        place, f"geojson-index:{layer}", tolerance_m, lambda: {f["id"]: f for f in full["features"]}
    )
    return {"type": "FeatureCollection", "features": [by_id[i] for i in ids if i in by_id]}


def safe_uid(*parts: object) -> str:
    """A trace ``uid`` plotly.js can use as a CSS class: letters, digits, ``-`` and ``_``."""
    return "-".join(re.sub(r"[^A-Za-z0-9_-]+", "_", str(p)) for p in parts)


def polygon_lines(geom) -> tuple[list[float | None], list[float | None]]:
    """Lon and lat lists of every ring of a (multi)polygon, rings separated by ``None``."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    if geom is None or geom.is_empty:
        return lons, lats
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            lons += [*xy[:, 0].tolist(), None]
            lats += [*xy[:, 1].tolist(), None]
    return lons, lats


def display_boundary(place: Place, *, tolerance_m: float = DISPLAY_TOLERANCE_M):
    """The place's outer boundary (union of display areas), EPSG:4326. Cached."""

    def build():
        return display_geometries(place, "areas", tolerance_m=tolerance_m).union_all()

    return _cached(place, "boundary", tolerance_m, build)
