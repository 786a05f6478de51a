"""Closure and relocation impact: what happens to families if sites close, move or open.

:func:`closure_impact` compares today's hubs with a scenario (today's hubs minus ``close``,
plus ``open``: other sites or new lon/lat points) by travel time from each area's demand
point to its nearest hub: which areas lose or gain access within ``minutes``, how many
children (the ``weight``) live there, and how their travel time changes; broken down by
national deprivation decile and by footprint. Travel times come from
:func:`geo.network.travel.travel_time_matrix` (network shortest paths, or crow-fly x detour
where the place has no road network, which the result says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo.errors import InputError
from geo.network.travel import CROWFLY_NOTE, area_points, is_approximate, travel_time_matrix
from geo.place.model import Place
from geo.siting.problem import demand_weights, national_decile_key

HUB_KINDS = ("family_hub", "childrens_centre", "hub")
STATUSES = ("loses access", "gains access", "keeps access", "no access either way")


@dataclass
class ImpactResult:
    """The impact of a closure / relocation scenario against today's hubs.

    Attributes
    ----------
    areas
        One row per area: ``area``, ``name``, ``decile``, ``footprint``, ``weight``,
        ``minutes_before``, ``minutes_after``, ``change`` (minutes; ``NaN`` where either is
        unreachable), ``status`` (one of :data:`STATUSES`), ``hub_before``, ``hub_after``.
    by_decile, by_footprint
        Per group: ``areas``, ``weight``, ``weight_losing``, ``weight_gaining``,
        ``net_change`` (gaining minus losing), ``mean_minutes_before``,
        ``mean_minutes_after`` (weighted, reachable demand only).
    """

    place: str
    mode: str
    minutes: float
    weight_label: str
    today: list[str]
    closed: list[str]
    opened: list[str]
    areas: pd.DataFrame
    by_decile: pd.DataFrame
    by_footprint: pd.DataFrame
    summary: dict
    decile_label: str = "IMD decile"
    footprint_label: str = "Footprint"
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def label(self, site_id: str) -> str:
        """``Name (id)`` of a hub or opened site."""
        name = self.names.get(site_id)
        if not name or name == site_id:
            return site_id
        return name if site_id.startswith("new ") else f"{name} ({site_id})"


def today_hubs(place: Place, kinds: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Today's hubs: sites of ``kinds`` (default: family hubs, children's centres or hubs
    when the place has any, else every site), indexed by site id with ``name`` and ``kind``."""
    sites = place.sites.copy()
    sites["site_id"] = sites["site_id"].astype(str)
    if kinds is None:
        wanted = [k for k in HUB_KINDS if k in place.site_kinds] or list(place.site_kinds)
    else:
        wanted = [kinds] if isinstance(kinds, str) else list(kinds)
        unknown = [k for k in wanted if k not in place.site_kinds]
        if unknown:
            raise InputError(
                f"unknown site kind {unknown[0]!r}; this place has: "
                f"{', '.join(place.site_kinds) or 'no sites'}"
            )
    hubs = sites[sites["kind"].isin(wanted)].set_index("site_id")
    if hubs.empty:
        raise InputError(f"{place.name} has no sites of kind {', '.join(wanted)} to start from")
    return hubs


def parse_open(place: Place, spec: str) -> tuple[str, Point, str]:
    """``(id, point in the working CRS, name)`` for one ``--open`` value: a site id, or
    ``LON,LAT`` (a new site; it must fall within the place)."""
    text = spec.strip()
    ids = place.sites["site_id"].astype(str)
    if text in set(ids):
        row = place.sites[ids == text].iloc[0]
        return text, row.geometry, str(row["name"])
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            f"--open {spec!r} is neither a site id of {place.name} nor LON,LAT"
        ) from None
    pt = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(place.crs).iloc[0]
    if not place.areas.geometry.buffer(2_000).union_all().contains(pt):
        raise InputError(f"--open {spec!r}: the point {lon:g}, {lat:g} is outside {place.name}")
    return f"new {lon:.5f},{lat:.5f}", pt, f"New site at {lon:.5f}, {lat:.5f}"


def closure_impact(
    place: Place,
    *,
    close: Sequence[str],
    open_: Sequence[str] = (),
    mode: str = "walk",
    minutes: float = 15.0,
    weight: str | None = None,
    hubs: str | Sequence[str] | None = None,
) -> ImpactResult:
    """Compare ``today's hubs - close + open_`` with today's hubs.

    Parameters
    ----------
    close
        Ids of today's hubs that close (each must be one of today's hubs).
    open_
        Sites that open (site ids) or new points (``"LON,LAT"``).
    minutes
        The access threshold: an area "has access" when its demand point is within it.
    weight
        Indicator key counting the people affected (default children aged 0-4, else 0-17,
        else population).
    hubs
        Site kind(s) that are today's hubs (see :func:`today_hubs`).
    """
    if not (np.isfinite(minutes) and minutes > 0):
        raise InputError(f"minutes must be a positive number, got {minutes!r}")
    today = today_hubs(place, hubs)
    close = [c.strip() for c in close if c and c.strip()]
    if not close and not open_:
        raise InputError("give at least one hub to --close or a site to --open")
    unknown = [c for c in close if c not in today.index]
    if unknown:
        raise InputError(
            f"--close {unknown[0]!r} is not one of today's hubs "
            f"({', '.join(list(today.index)[:8])}{'…' if len(today) > 8 else ''})"
        )
    opened = [parse_open(place, s) for s in open_]
    open_ids = [o[0] for o in opened if o[0] not in today.index or o[0] in close]
    key = weight or next(
        (k for k in ("children_0_4", "children_0_17", "population") if k in place.catalogue), None
    )
    if key is None:
        raise InputError("no weight: give --weight (an indicator key counting people)")
    w, label, notes = demand_weights(place, key)
    w = w.reindex(place.areas.index).fillna(0.0)
    points = list(today.geometry) + [o[1] for o in opened]
    ids = list(today.index) + [o[0] for o in opened]
    names = dict(zip(today.index, today["name"].astype(str), strict=True))
    names |= {o[0]: o[2] for o in opened}
    demand = area_points(place)
    costs = travel_time_matrix(place, demand, gpd.GeoSeries(points, crs=place.crs), mode=mode)
    before_cols = np.arange(len(today))
    after_ids = [i for i in today.index if i not in set(close)] + open_ids
    after_cols = np.array([ids.index(i) for i in dict.fromkeys(after_ids)], dtype=int)
    before, hub_before = _nearest(costs, before_cols, ids)
    after, hub_after = _nearest(costs, after_cols, ids)
    reach_b, reach_a = before <= minutes, after <= minutes
    status = np.select(
        [reach_b & ~reach_a, ~reach_b & reach_a, reach_b & reach_a],
        STATUSES[:3],
        default=STATUSES[3],
    )
    decile_key = national_decile_key(place)
    decile = (
        pd.to_numeric(place.areas[decile_key], errors="coerce").round().astype("Int64")
        if decile_key
        else pd.Series(pd.NA, index=place.areas.index, dtype="Int64")
    )
    area_names = (
        place.areas["name"].astype(str) if "name" in place.areas else place.areas.index.astype(str)
    )
    change = np.where(np.isfinite(before) & np.isfinite(after), after - before, np.nan)
    areas = pd.DataFrame(
        {
            "area": place.areas.index.astype(str),
            "name": area_names.to_numpy(),
            "decile": decile.to_numpy(),
            "footprint": place.areas["footprint"].astype(object).to_numpy(),
            "weight": w.to_numpy(),
            "minutes_before": np.where(np.isfinite(before), before, np.nan),
            "minutes_after": np.where(np.isfinite(after), after, np.nan),
            "change": change,
            "status": status,
            "hub_before": [names.get(h, h) if h else None for h in hub_before],
            "hub_after": [names.get(h, h) if h else None for h in hub_after],
        }
    )
    if is_approximate(place):
        notes.append(f"travel times are {CROWFLY_NOTE}")
    if not decile_key:
        notes.append("this place has no national deprivation decile: no breakdown by decile")
    total = float(areas["weight"].sum())
    losing = float(areas.loc[areas["status"] == STATUSES[0], "weight"].sum())
    gaining = float(areas.loc[areas["status"] == STATUSES[1], "weight"].sum())
    summary = {
        "areas_losing": int((areas["status"] == STATUSES[0]).sum()),
        "areas_gaining": int((areas["status"] == STATUSES[1]).sum()),
        "weight_losing": losing,
        "weight_gaining": gaining,
        "net_change": gaining - losing,
        "total_weight": total,
        "share_with_access_before": float(areas.loc[reach_b, "weight"].sum() / total)
        if total > 0
        else None,
        "share_with_access_after": float(areas.loc[reach_a, "weight"].sum() / total)
        if total > 0
        else None,
        "mean_minutes_before": _wmean(areas["minutes_before"], areas["weight"]),
        "mean_minutes_after": _wmean(areas["minutes_after"], areas["weight"]),
        "largest_increase_minutes": float(np.nanmax(change)) if np.isfinite(change).any() else None,
    }
    return ImpactResult(
        place=place.name,
        mode=mode,
        minutes=float(minutes),
        weight_label=label,
        today=list(today.index),
        closed=close,
        opened=[o[0] for o in opened],
        areas=areas,
        by_decile=_groups(areas, "decile"),
        by_footprint=_groups(areas, "footprint"),
        summary=summary,
        decile_label=place.catalogue[decile_key].label if decile_key else "IMD decile",
        footprint_label=place.footprint_label,
        notes=notes,
        names=names,
    )


def _nearest(costs: np.ndarray, cols: np.ndarray, ids: list[str]):
    if len(cols) == 0:
        return np.full(costs.shape[0], np.inf), [None] * costs.shape[0]
    sub = costs[:, cols]
    k = sub.argmin(axis=1)
    best = sub[np.arange(len(sub)), k]
    hub = [ids[cols[j]] if np.isfinite(b) else None for j, b in zip(k, best, strict=True)]
    return best, hub


def _wmean(values: pd.Series, weights: pd.Series) -> float | None:
    ok = values.notna() & (weights > 0)
    total = float(weights[ok].sum())
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else None


def _groups(areas: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = []
    frame = areas[areas[key].notna()]
    for group, part in [*frame.groupby(key, sort=True), ("All", areas)]:
        losing = float(part.loc[part["status"] == STATUSES[0], "weight"].sum())
        gaining = float(part.loc[part["status"] == STATUSES[1], "weight"].sum())
        rows.append(
            {
                key: group if group == "All" else (int(group) if key == "decile" else str(group)),
                "areas": len(part),
                "weight": float(part["weight"].sum()),
                "areas_losing": int((part["status"] == STATUSES[0]).sum()),
                "weight_losing": losing,
                "weight_gaining": gaining,
                "net_change": gaining - losing,
                "mean_minutes_before": _wmean(part["minutes_before"], part["weight"]),
                "mean_minutes_after": _wmean(part["minutes_after"], part["weight"]),
            }
        )
    return pd.DataFrame(rows)
