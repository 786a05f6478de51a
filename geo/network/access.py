"""Hub accessibility: who is reached within each band, and minutes to the nearest site.

Coverage apportions area counts in one of two stated ways:

``point`` (default)
    An area counts in full in a band when its point (population-weighted where the place has
    one, else representative; see :func:`geo.network.travel.area_points`) is within the band's time
    of the nearest hub, by the same routing as the travel matrices (off-network leg included).
``area``
    Each area counts in proportion to the share of its polygon inside the band polygon.

``minutes_to_<kind>`` (walking; ``minutes_to_<kind>_by_<mode>`` otherwise) is an ordinary
``mean`` indicator weighted by population, so choropleths and profiles handle it like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.network.isochrones import check_minutes, isochrones
from geo.network.travel import (
    CROWFLY_NOTE,
    TRANSIT,
    area_point_method,
    area_points,
    check_mode,
    is_approximate,
    nearest_minutes,
    xy,
)
from geo.place.config import Indicator
from geo.place.model import Place
from geo.transit import access as transit
from geo.transit.store import transit_method

APPORTION = ("point", "area")


def weighted_area_points(areas: gpd.GeoDataFrame, points: gpd.GeoSeries) -> pd.DataFrame:
    """Mean position of the ``points`` inside each area (e.g. postcodes: a population-weighted centre).

    Returns ``code``, ``x``, ``y``, ``points`` for the areas holding at least one point.
    """
    pts = gpd.GeoDataFrame(geometry=points.to_crs(areas.crs).reset_index(drop=True))
    joined = gpd.sjoin(pts, areas[["geometry"]].reset_index(names="code"), predicate="within")
    joined["x"] = joined.geometry.x
    joined["y"] = joined.geometry.y
    out = (
        joined.groupby("code")
        .agg(x=("x", "mean"), y=("y", "mean"), points=("x", "size"))
        .reset_index()
    )
    out["code"] = out["code"].astype(str)
    # A mean of points in a crescent-shaped area can fall outside it: use the nearest point then.
    inside = gpd.GeoSeries(gpd.points_from_xy(out["x"], out["y"]), crs=areas.crs).within(
        areas.geometry.reindex(out["code"]).reset_index(drop=True)
    )
    if (~inside).any():
        for i in np.flatnonzero(~inside.to_numpy()):
            mine = joined[joined["code"] == out.at[i, "code"]]
            d = np.hypot(mine["x"] - out.at[i, "x"], mine["y"] - out.at[i, "y"])
            best = mine.iloc[int(np.argmin(d.to_numpy()))]
            out.loc[i, ["x", "y"]] = [best["x"], best["y"]]
    return out


def count_keys(place: Place) -> list[str]:
    """Keys of the place's ``count`` indicators (population, children, ...), sensitive ones left out."""
    return [
        k for k, ind in place.catalogue.items()
        if ind.kind == "count" and not ind.sensitive and k in place.areas
    ]  # fmt: skip


def sites_of_kind(place: Place, kind: str) -> gpd.GeoDataFrame:
    """The place's sites of ``kind`` (raise naming the known kinds when there are none)."""
    if kind not in place.site_kinds:
        raise InputError(
            f"unknown site kind {kind!r}; known: {', '.join(place.site_kinds) or 'none'}"
        )
    return place.sites[place.sites["kind"] == kind]


def nearest_site(
    place: Place, sites: gpd.GeoDataFrame, *, mode: str = "walk"
) -> tuple[pd.Series, pd.Series]:
    """Minutes from every area's point to the nearest of ``sites``, and that site's ``site_id``."""
    points = area_points(place)
    minutes, nearest = nearest_minutes(place, points, sites.geometry, mode=mode)
    ids = sites["site_id"].astype(str).to_numpy()
    site = np.where(nearest >= 0, ids[np.clip(nearest, 0, None)], None)
    return (
        pd.Series(minutes, index=points.index, name="minutes"),
        pd.Series(site, index=points.index, name="site_id", dtype="object"),
    )


def access_key(kind: str, mode: str) -> str:
    return f"minutes_to_{kind}" if mode == "walk" else f"minutes_to_{kind}_by_{mode}"


def with_access_indicators(
    place: Place, kinds: Sequence[str] | None = None, *, mode: str = "walk"
) -> Place:
    """A copy of ``place`` with ``minutes_to_<kind>`` indicators added (all site kinds by default).

    The source place is not changed (places from :func:`geo.build.places.open_place` are shared).
    """
    check_mode(place, mode)
    kinds = list(place.site_kinds if kinds is None else kinds)
    areas = place.areas.copy()
    catalogue = dict(place.catalogue)
    approx = is_approximate(place)
    for kind in kinds:
        minutes, _ = nearest_site(place, sites_of_kind(place, kind), mode=mode)
        key = access_key(kind, mode)
        areas[key] = minutes.replace(np.inf, np.nan).round(2)
        note = f" ({CROWFLY_NOTE})" if approx else " on the road network"
        label = f"Minutes to the nearest {kind.replace('_', ' ')} ({mode})"
        catalogue[key] = Indicator(
            key=key, label=label, kind="mean", unit="minutes",
            weight="population" if "population" in catalogue else None, higher_is="worse",
            source="hubplan routing", vintage="computed",
            description=(
                f"{label}: from each area's {area_point_method(place)} point to the nearest site "
                f"of kind {kind!r}{note}."
            ),
        )  # fmt: skip
    return dataclasses.replace(place, areas=areas, catalogue=catalogue)


def with_minutes_to(
    place: Place, hubs: gpd.GeoSeries, *, key: str, label: str, mode: str = "walk"
) -> Place:
    """A copy of ``place`` with indicator ``key``: minutes from each area to the nearest of ``hubs``."""
    minutes, _ = nearest_minutes(place, area_points(place), hubs, mode=mode)
    areas = place.areas.copy()
    areas[key] = np.where(np.isfinite(minutes), np.round(minutes, 2), np.nan)
    note = f" ({CROWFLY_NOTE})" if is_approximate(place) else " on the road network"
    catalogue = dict(place.catalogue)
    catalogue[key] = Indicator(
        key=key, label=label, kind="mean", unit="minutes",
        weight="population" if "population" in catalogue else None, higher_is="worse",
        source="hubplan routing", vintage="computed",
        description=f"{label}: from each area's {area_point_method(place)} point{note}.",
    )  # fmt: skip
    return dataclasses.replace(place, areas=areas, catalogue=catalogue)


def coverage(
    place: Place,
    hubs: gpd.GeoSeries,
    *,
    mode: str = "walk",
    minutes: Sequence[float] = (5, 10, 15, 20),
    apportion: str = "point",
    bands: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Counts reached within each band of the nearest hub (cumulative).

    Parameters
    ----------
    place, hubs, mode, minutes
        As for :func:`geo.network.isochrones.isochrones`.
    apportion : {"point", "area"}
        How areas are counted (see the module docstring).
    bands : geopandas.GeoDataFrame, optional
        Isochrones already computed for these hubs (used by ``apportion="area"``).

    Returns
    -------
    pandas.DataFrame
        One row per band: ``minutes``, ``areas`` (areas counted, fractional for ``area``), one
        column per count indicator, ``<key>_share`` for population and children, ``apportion``
        and ``approximate``.
    """
    check_mode(place, mode)
    limits = check_minutes(minutes)
    if apportion not in APPORTION:
        raise InputError(f"unknown apportion method {apportion!r}; use point or area")
    keys = count_keys(place)
    values = place.areas[keys].astype(float).fillna(0.0)
    if apportion == "point":
        reached, _ = nearest_minutes(
            place, area_points(place), hubs, mode=mode, limit_minutes=limits[-1]
        )
        weights = [(reached <= m).astype(float) for m in limits]
    else:
        if bands is None:
            bands = isochrones(place, hubs, mode=mode, minutes=limits)
        area = place.areas.geometry.area.to_numpy()
        weights = [
            place.areas.geometry.intersection(geom).area.to_numpy() / np.where(area > 0, area, 1)
            for geom in bands.geometry
        ]
    rows = []
    for m, w in zip(limits, weights, strict=True):
        row = {"minutes": m, "areas": float(np.round(w.sum(), 3))}
        for key in keys:
            total = float(values[key].sum())
            row[key] = float(np.round((values[key].to_numpy() * w).sum(), 1))
            if key == "population" or key.startswith("children"):
                row[f"{key}_share"] = round(row[key] / total, 4) if total else None
        rows.append(row)
    out = pd.DataFrame(rows)
    out["apportion"] = apportion
    out["approximate"] = is_approximate(place)
    return out


def access_table(place: Place, kind: str, *, mode: str = "walk") -> pd.DataFrame:
    """Per area: minutes to the nearest site of ``kind`` (by ``mode``), which site, and counts.

    Mode ``transit`` gives the median over the departure window plus ``<key>_p10`` and
    ``<key>_p90`` columns (10th and 90th percentiles over the departures).
    """
    sites = sites_of_kind(place, kind)
    spread = {}
    if mode == TRANSIT:
        check_mode(place, mode)
        points = area_points(place)
        found = transit.nearest(transit.travel_seconds(place, xy(points), xy(sites.geometry)))
        ids = sites["site_id"].astype(str).to_numpy()
        nearest = found["nearest"]
        minutes = pd.Series(found["median"], index=points.index, name="minutes")
        site = pd.Series(
            np.where(nearest >= 0, ids[np.clip(nearest, 0, None)], None),
            index=points.index, name="site_id", dtype="object",
        )  # fmt: skip
        key = access_key(kind, mode)
        spread = {
            f"{key}_{q}": np.round(np.where(np.isfinite(found[q]), found[q], np.nan), 2)
            for q in ("p10", "p90")
        }
    else:
        minutes, site = nearest_site(place, sites, mode=mode)
    names = dict(zip(sites["site_id"].astype(str), sites["name"].astype(str), strict=True))
    keys = [k for k in ("population", "children_0_4", "children_0_17") if k in place.areas]
    out = pd.DataFrame(
        {
            "code": place.areas.index,
            "name": place.areas["name"].to_numpy(),
            "footprint": place.areas["footprint"].to_numpy(),
            access_key(kind, mode): minutes.replace(np.inf, np.nan).round(2).to_numpy(),
            **spread,
            "nearest_site_id": site.to_numpy(),
            "nearest_site_name": site.map(names).to_numpy(),
            **{k: place.areas[k].to_numpy() for k in keys},
        }
    )
    out["mode"] = mode
    out["method"] = "crowfly (approximate)" if is_approximate(place) else "network"
    if mode == TRANSIT:
        out["method"] = transit_method(place)
    out["area_point"] = area_point_method(place)
    return out
