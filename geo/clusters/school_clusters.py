"""School clusters (Wakefield style): group schools around hubs or by footprint.

``by="hub"`` puts each school in the cluster of its nearest hub by travel time (from
:func:`geo.network.travel.travel_time_matrix`, so road routing when the place has a network, else
the approximate crow-fly estimate), and each area in the cluster of the hub nearest its
representative point, so clusters can be profiled. ``by="footprint"`` uses the footprint
the school sits in. Each cluster is summarised: areas, children, need and schools by phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.indicators.aggregate import aggregate
from geo.network.travel import CROWFLY_NOTE, area_points, is_approximate, travel_time_matrix
from geo.place.model import Place

BY = ("hub", "footprint")
UNASSIGNED = "(no hub reachable)"


@dataclass(frozen=True)
class SchoolClusters:
    """Schools grouped into clusters, with a summary per cluster.

    Attributes
    ----------
    schools
        One row per school: ``site_id``, ``name``, ``phase``, ``cluster``, ``minutes`` (to its
        hub; NaN when clustered by footprint), ``x``, ``y`` (working CRS).
    areas
        Cluster by area code.
    summary
        One row per cluster: ``cluster``, ``areas``, ``schools``, one ``phase: <phase>``
        column per phase, the children and need indicators aggregated by kind.
    method_text
        One sentence saying how schools were grouped.
    """

    by: str
    schools: pd.DataFrame
    areas: pd.Series
    summary: pd.DataFrame
    method_text: str
    children_key: str | None
    need_key: str | None
    hubs: pd.DataFrame


def school_clusters(
    place: Place,
    *,
    by: str = "hub",
    school_kind: str = "school",
    hub_kind: str | None = None,
    hub_ids: list[str] | None = None,
    mode: str = "walk",
    children: str | None = None,
    need: str | None = None,
) -> SchoolClusters:
    """Assign each school to a cluster and summarise the clusters.

    Parameters
    ----------
    place : Place
        The place (not changed).
    by : str
        ``"hub"`` (nearest hub by travel time) or ``"footprint"``.
    school_kind : str
        Site kind of the schools.
    hub_kind : str, optional
        Site kind of the hubs (default ``family_hub``, else ``childrens_centre``).
    hub_ids : list of str, optional
        Only these sites (by ``site_id``) are hubs.
    mode : str
        Travel mode for ``by="hub"``.
    children, need : str, optional
        Indicator keys summarised per cluster (defaults: :attr:`Place.people_key`, the
        broadest children's count else population, and :attr:`Place.need_key`).
    """
    if by not in BY:
        raise InputError(f"unknown clustering {by!r}; use hub or footprint")
    sites = place.sites
    schools = sites[sites["kind"] == school_kind] if len(sites) else sites
    if schools.empty:
        kinds = ", ".join(place.site_kinds) or "none"
        raise InputError(f"the place has no sites of kind {school_kind!r} (kinds: {kinds})")
    children = children or place.people_key
    need = need or place.need_key
    for key in (children, need):
        if key is not None:
            place.indicator(key)
    hubs = sites.iloc[0:0]
    if by == "hub":
        hubs = _hubs(place, hub_kind=hub_kind, hub_ids=hub_ids)
        names = _hub_names(hubs)
        minutes = travel_time_matrix(place, schools.geometry, hubs.geometry, mode=mode)
        nearest = _nearest(minutes)
        school_cluster = np.array(
            [names[j] if j >= 0 else UNASSIGNED for j in nearest], dtype=object
        )
        school_minutes = np.array(
            [minutes[i, j] if j >= 0 else np.nan for i, j in enumerate(nearest)], dtype=float
        )
        area_min = travel_time_matrix(place, area_points(place), hubs.geometry, mode=mode)
        area_near = _nearest(area_min)
        area_cluster = pd.Series(
            [names[j] if j >= 0 else UNASSIGNED for j in area_near],
            index=place.areas.index,
            dtype=object,
        )
        how = (
            "travel time estimate, " + CROWFLY_NOTE
            if is_approximate(place)
            else "travel time on the road network"
        )
        text = (
            f"Each {school_kind} joins the cluster of its nearest {hubs['kind'].iloc[0]} by {mode} "
            f"({how}); each area joins the cluster of the hub nearest its centre."
        )
    else:
        school_cluster = (
            schools["footprint"].astype(object).fillna("(outside every footprint)").to_numpy()
        )
        school_minutes = np.full(len(schools), np.nan)
        area_cluster = place.areas["footprint"].astype(object)
        text = f"Each {school_kind} is in the cluster of the {place.footprint_label.lower()} it sits in."
    phase = (
        schools["phase"].astype(object).fillna("Unknown").replace("", "Unknown")
        if "phase" in schools.columns
        else pd.Series(school_kind, index=schools.index)
    )
    table = pd.DataFrame(
        {
            "site_id": schools["site_id"].astype(str).to_numpy(),
            "name": schools["name"].astype(str).to_numpy(),
            "phase": phase.astype(str).to_numpy(),
            "cluster": school_cluster,
            "minutes": school_minutes,
            "x": schools.geometry.x.to_numpy(),
            "y": schools.geometry.y.to_numpy(),
        }
    )
    summary = _summary(place, table, area_cluster, children=children, need=need)
    return SchoolClusters(
        by=by,
        schools=table,
        areas=area_cluster.rename("cluster"),
        summary=summary,
        method_text=text,
        children_key=children,
        need_key=need,
        hubs=hubs,
    )


def _hubs(place: Place, *, hub_kind: str | None, hub_ids: list[str] | None):
    sites = place.sites
    if hub_ids:
        ids = [str(i) for i in hub_ids]
        known = set(sites["site_id"].astype(str))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InputError(f"unknown hub site id(s): {', '.join(unknown[:10])}")
        hubs = sites[sites["site_id"].astype(str).isin(ids)]
    else:
        if hub_kind is None:
            hub_kind = next(
                (k for k in ("family_hub", "childrens_centre") if k in place.site_kinds), None
            )
            if hub_kind is None:
                raise InputError(
                    f"no hub kind given and the place has no family_hub or childrens_centre sites "
                    f"(kinds: {', '.join(place.site_kinds) or 'none'})"
                )
        hubs = sites[sites["kind"] == hub_kind]
        if hubs.empty:
            raise InputError(
                f"the place has no sites of kind {hub_kind!r} (kinds: {', '.join(place.site_kinds)})"
            )
    return hubs


def _hub_names(hubs) -> list[str]:
    names = hubs["name"].astype(str).tolist()
    seen: dict[str, int] = {}
    out = []
    for name, sid in zip(names, hubs["site_id"].astype(str), strict=True):
        out.append(name if name not in seen else f"{name} ({sid})")
        seen[name] = 1
    return out


def _nearest(minutes: np.ndarray) -> np.ndarray:
    """Column of the smallest finite time per row (-1 when none is finite)."""
    if minutes.shape[1] == 0:
        return np.full(minutes.shape[0], -1)
    finite = np.isfinite(minutes)
    best = np.argmin(np.where(finite, minutes, np.inf), axis=1)
    return np.where(finite.any(axis=1), best, -1)


def _summary(
    place: Place, schools: pd.DataFrame, areas: pd.Series, *, children: str | None, need: str | None
) -> pd.DataFrame:
    phases = pd.crosstab(schools["cluster"], schools["phase"])
    phases.columns = [f"phase: {c}" for c in phases.columns]
    counts = schools.groupby("cluster").size().rename("schools")
    n_areas = areas.value_counts().rename("areas")
    keys = [k for k in dict.fromkeys([children, need]) if k]
    cat = {k: place.catalogue[k] for k in keys}
    # aggregate needs the indicators each one depends on
    for ind in list(cat.values()):
        for dep in (ind.weight, ind.numerator, ind.denominator):
            if dep and dep not in cat:
                cat[dep] = place.catalogue[dep]
    values = aggregate(place.values()[list(cat)], cat, areas)[keys] if keys else pd.DataFrame()
    clusters = sorted(set(counts.index) | set(n_areas.index))
    out = pd.DataFrame(index=pd.Index(clusters, name="cluster"))
    out["areas"] = n_areas.reindex(clusters).fillna(0).astype(int)
    out["schools"] = counts.reindex(clusters).fillna(0).astype(int)
    out = out.join(phases.reindex(clusters).fillna(0).astype(int))
    if keys:
        out = out.join(values.reindex(clusters))
    return out.reset_index()
