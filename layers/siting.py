"""Map traces and charts for hub siting: candidates, chosen hubs, coverage, curve, team split.

Markers are circles (other MapLibre symbols need a sprite sheet from the internet), so the hub
roles differ by colour, size and shape (a ring for dropped hubs), each with its legend entry;
nothing is labelled on the map itself: names are in the hover text.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geo.place.model import Place
from layers.geometry import display_geojson, polygon_lines

CANDIDATES_UID = "siting-candidates"
REMOVED_UID = "siting-removed"
HUBS_UID = "siting-hubs"
ADDED_UID = "siting-added"
COVERAGE_UID = "siting-coverage"
REACH_UID = "siting-reach"
COVERED_COLOUR = "#56B4E9"  # Okabe-Ito sky blue
UNCOVERED_COLOUR = "#E69F00"  # Okabe-Ito orange (lost areas in comparisons)
NOT_COVERED_FILL = "#e6e6e6"
HUB_COLOUR = "#000000"
NEW_COLOUR = "#D55E00"  # vermillion
DROPPED_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple (drawn as a ring)
NEW_HUBS_UID = "siting-new-hubs"
DROPPED_UID = "siting-dropped"
WEIGHT_UID = "siting-weight"


def _lonlat(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    pts = points.to_crs(4326)
    return np.round(pts.x.to_numpy(), 6), np.round(pts.y.to_numpy(), 6)


def candidate_markers(
    candidates: gpd.GeoDataFrame, *, removed: Sequence[str] = ()
) -> list[go.Scattermap]:
    """Candidate hubs (grey; removed ones as hollow red rings). ``customdata`` = candidate id."""
    traces = []
    keep = candidates[~candidates.index.isin(list(removed))]
    gone = candidates[candidates.index.isin(list(removed))]
    for frame, uid, style, label in (
        (keep, CANDIDATES_UID, {"color": "#7f7f7f", "size": 8, "opacity": 0.8}, "Candidate sites"),
        (gone, REMOVED_UID, {"color": "#cc0000", "size": 9, "opacity": 0.6}, "Removed candidates"),
    ):
        if not len(frame):
            continue
        lon, lat = _lonlat(frame.geometry)
        hover = [
            f"<b>{n}</b><br>{k}<br>id {i}<br>click to {'restore' if uid == REMOVED_UID else 'remove'}"
            for i, n, k in zip(frame.index, frame["name"], frame["kind"], strict=True)
        ]
        traces.append(
            go.Scattermap(
                lon=lon,
                lat=lat,
                mode="markers",
                marker=style,
                name=f"{label} ({len(frame)})",
                customdata=list(frame.index),
                hovertext=hover,
                hoverinfo="text",
                uid=uid,
            )
        )
    return traces


HUB_ROLES = {
    # role: (legend label, colour, size, uid)
    "kept": ("Existing hubs kept", HUB_COLOUR, 17, HUBS_UID),
    "new": ("New hubs", NEW_COLOUR, 17, NEW_HUBS_UID),
    "dropped": ("Existing hubs dropped", DROPPED_COLOUR, 15, DROPPED_UID),
}


def hub_roles(
    candidates: gpd.GeoDataFrame, selected: list[str], today: list[str]
) -> dict[str, list[str]]:
    """Split the hubs into ``kept`` (today's hubs still chosen), ``new`` (chosen, not a hub
    today) and ``dropped`` (today's hubs not chosen)."""
    chosen = [h for h in selected if h in candidates.index]
    today_set = set(today)
    return {
        "kept": [h for h in chosen if h in today_set],
        "new": [h for h in chosen if h not in today_set],
        "dropped": [h for h in today if h not in set(chosen)],
    }


def hub_markers(
    candidates: gpd.GeoDataFrame,
    per_hub: pd.DataFrame,
    *,
    weight_label: str,
    today: Sequence[str] = (),
    sites: gpd.GeoDataFrame | None = None,
) -> list[go.Scattermap]:
    """Chosen hubs, one trace (and legend entry) per role: existing hubs kept (black), new
    hubs (vermillion) and existing hubs dropped (a reddish-purple ring), with catchment hover.

    ``today`` lists the ids of today's hubs; ``sites`` gives the points of dropped hubs that
    are not among the candidates (default: ``candidates``).
    """
    roles = hub_roles(candidates, list(per_hub["hub"]), list(today))
    rows = per_hub.set_index("hub")
    pool = (
        candidates
        if sites is None
        else pd.concat([candidates, sites[~sites.index.isin(candidates.index)]])
    )
    traces = []
    for role, ids in roles.items():
        label, colour, size, uid = HUB_ROLES[role]
        ids = [h for h in ids if h in pool.index]
        if not ids:
            continue
        frame = pool.loc[ids]
        lon, lat = _lonlat(frame.geometry)
        hover = []
        for h in ids:
            name = frame.loc[h, "name"] if "name" in frame else h
            lines = [f"<b>{name}</b>", label.rstrip("s").lower().replace("hubs", "hub")]
            if h in rows.index:
                row = rows.loc[h]
                lines.append(
                    f"Catchment: {row['weight']:,.0f} {weight_label} in {row['areas']} areas"
                )
                if row["covered_weight"] is not None and not pd.isna(row["covered_weight"]):
                    lines.append(f"Within the time limit: {row['covered_weight']:,.0f}")
                if row["mean_minutes"] is not None and not pd.isna(row["mean_minutes"]):
                    lines.append(f"Average journey: {row['mean_minutes']:.1f} min")
            else:
                lines.append("not in this plan; click to restore it as a candidate")
            hover.append("<br>".join(lines))
        marker = {"color": colour, "size": size, "opacity": 1.0}
        traces.append(
            go.Scattermap(
                lon=lon,
                lat=lat,
                mode="markers",
                marker=marker,
                name=f"{label} ({len(ids)})",
                customdata=ids,
                hovertext=hover,
                hoverinfo="text",
                legendgroup=role,
                uid=uid,
            )
        )
        if role == "dropped":  # a ring: white centre over the coloured disc
            traces.append(
                go.Scattermap(
                    lon=lon,
                    lat=lat,
                    mode="markers",
                    marker={"color": "#ffffff", "size": size - 7, "opacity": 1.0},
                    customdata=ids,
                    hovertext=hover,
                    hoverinfo="text",
                    legendgroup=role,
                    showlegend=False,
                    uid=f"{uid}-centre",
                )
            )
    return traces


def weight_choropleth(place: Place, weights: pd.Series, *, label: str) -> go.Choroplethmap:
    """The demand weight per area (sequential purples), drawn under everything else."""
    values = pd.to_numeric(weights.reindex(place.areas.index), errors="coerce")
    names = (
        place.areas["name"].astype(str) if "name" in place.areas else place.areas.index.astype(str)
    )
    return go.Choroplethmap(
        geojson=display_geojson(place, "areas"),
        locations=[str(c) for c in place.areas.index],
        featureidkey="id",
        z=values.fillna(0).to_numpy(),
        colorscale="Purples",
        showscale=True,
        colorbar={"title": {"text": label[:40]}, "thickness": 12, "len": 0.6, "x": 1.0},
        customdata=[str(c) for c in place.areas.index],
        hovertext=[
            f"<b>{n}</b><br>{label}: {'no value' if pd.isna(v) else f'{v:,.0f}'}"
            for n, v in zip(names, values, strict=True)
        ],
        hoverinfo="text",
        marker={"opacity": 0.6, "line": {"width": 0}},
        name=f"Demand: {label}",
        showlegend=True,
        uid=WEIGHT_UID,
    )


def coverage_choropleth(
    place: Place, assignment: pd.DataFrame, *, minutes: float | None, over_weight: bool = False
) -> go.Choroplethmap:
    """Areas coloured by whether their demand is within ``minutes`` of a chosen hub.

    ``customdata`` holds the area code so a click can add a site there. With
    ``over_weight`` (drawn over :func:`weight_choropleth`) areas not reached are left clear,
    so the demand they hold shows through, and reached ones are tinted blue.
    """
    frame = assignment.set_index("demand").reindex(place.areas.index)
    z: np.ndarray
    if minutes is None:
        z = np.zeros(len(frame))
        colours = [[0, "#dddddd"], [1, "#dddddd"]]
    else:
        z = frame["covered"].fillna(False).astype(float).to_numpy()
        clear = "rgba(0,0,0,0)" if over_weight else NOT_COVERED_FILL
        colours = [[0, clear], [0.5, clear], [0.5, COVERED_COLOUR], [1, COVERED_COLOUR]]
    names = (
        place.areas["name"].astype(str) if "name" in place.areas else place.areas.index.astype(str)
    )
    text = [
        f"<b>{n}</b> ({code})<br>Nearest hub: {hub if isinstance(hub, str) else 'none'}"
        f"<br>{'' if pd.isna(m) else f'{m:.1f} min'}<br>click to add a site here"
        for n, code, hub, m in zip(
            names, place.areas.index, frame["hub"], frame["minutes"], strict=True
        )
    ]
    return go.Choroplethmap(
        geojson=display_geojson(place, "areas"),
        locations=[str(c) for c in place.areas.index],
        featureidkey="id",
        z=z,
        zmin=0,
        zmax=1,
        colorscale=colours,
        showscale=False,
        customdata=[str(c) for c in place.areas.index],
        hovertext=text,
        hoverinfo="text",
        marker={
            "opacity": 0.45 if over_weight else 0.55,
            "line": {"width": 0.3, "color": "#ffffff"},
        },
        name="Areas within the time limit (blue)",
        showlegend=True,
        uid=COVERAGE_UID,
    )


def reach_outline(bands: gpd.GeoDataFrame) -> go.Scattermap:
    """The outline of the area reachable within the time limit (from geo.network.isochrones)."""
    geom = bands.to_crs(4326).geometry.iloc[-1]
    lons, lats = polygon_lines(geom)
    row = bands.iloc[-1]
    label = f"Reach within {row['minutes']:g} min ({row['mode']}{', approximate' if row['approximate'] else ''})"
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"color": "#0072B2", "width": 2},
        name=label,
        hoverinfo="skip",
        uid=REACH_UID,
    )


def curve_figure(curve: pd.DataFrame, *, objective: str, chosen: int | None = None) -> go.Figure:
    """Coverage curve: covered share (or mean minutes for p-median) against number of hubs."""
    fig = go.Figure()
    if objective == "median" or curve["covered_share"].isna().all():
        y, title = curve["mean_minutes"], "Weighted mean minutes to nearest hub"
    else:
        y, title = 100 * curve["covered_share"].astype(float), "Weight within the time limit (%)"
    fig.add_trace(
        go.Scatter(
            x=curve["hubs"],
            y=y,
            mode="lines+markers",
            name=title,
            line={"color": "#0072B2"},
            hovertemplate="%{x} hubs: %{y:.1f}<extra></extra>",
        )
    )
    if chosen is not None and chosen in set(curve["hubs"]):
        k = list(curve["hubs"]).index(chosen)
        fig.add_trace(
            go.Scatter(
                x=[chosen],
                y=[y.iloc[k]],
                mode="markers",
                marker={"size": 13, "color": HUB_COLOUR},
                name="This plan",
                hovertemplate="this plan: %{y:.1f}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis={"title": "Number of hubs", "dtick": 1},
        yaxis={"title": title},
        margin={"l": 60, "r": 10, "t": 10, "b": 50},
        height=280,
        showlegend=False,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
    )
    fig.update_xaxes(gridcolor="#e5e5e5")
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def team_markers(candidates: gpd.GeoDataFrame, teams: pd.DataFrame, *, unit: str) -> go.Scattermap:
    """Hubs sized by the staff allocated to them (hover: need share and allocation)."""
    hubs = candidates.loc[list(teams.index)]
    lon, lat = _lonlat(hubs.geometry)
    alloc = teams["allocated"].to_numpy(dtype=float)
    size = 10 + 30 * np.sqrt(alloc / alloc.max()) if alloc.max() > 0 else np.full(len(alloc), 10)
    hover = [
        f"<b>{n}</b><br>{a:g} {unit}<br>{s:.1%} of the need"
        for n, a, s in zip(hubs["name"], alloc, teams["share"], strict=True)
    ]
    return go.Scattermap(
        lon=lon,
        lat=lat,
        mode="markers",
        marker={"color": "#CC79A7", "size": size, "opacity": 0.55},
        name=f"Staff allocated ({unit})",
        hovertext=hover,
        hoverinfo="text",
        uid="siting-teams",
    )


def difference_traces(
    place: Place, comparison: dict, a_points: list[dict], b_points: list[dict]
) -> list:
    """Map of two scenarios' differences: areas gained/lost by B, hubs in A only, B only, both."""
    traces: list = []
    areas = comparison["areas"]
    if len(areas):
        change = areas.set_index("demand")["change"]
        codes = [c for c in change.index if c in place.areas.index]
        z = [1.0 if change[c] == "gained" else 0.0 for c in codes]
        traces.append(
            go.Choroplethmap(
                geojson=display_geojson(place, "areas"),
                locations=codes,
                featureidkey="id",
                z=z,
                zmin=0,
                zmax=1,
                colorscale=[
                    [0, UNCOVERED_COLOUR],
                    [0.5, UNCOVERED_COLOUR],
                    [0.5, COVERED_COLOUR],
                    [1, COVERED_COLOUR],
                ],
                showscale=False,
                marker={"opacity": 0.7, "line": {"width": 0.3, "color": "#ffffff"}},
                hovertext=[
                    f"{c}: {'reached in B, not in A' if v else 'reached in A, not in B'}"
                    for c, v in zip(codes, z, strict=True)
                ],
                hoverinfo="text",
                name="Areas: blue gained by B, orange lost",
                showlegend=True,
                uid="diff-areas",
            )
        )
    where = dict(zip(comparison["hubs"]["hub"], comparison["hubs"]["in"], strict=True))
    points = {p["hub"]: p for p in [*a_points, *b_points]}
    for status, colour, size in (
        ("both", "#000000", 13),
        ("a only", "#E69F00", 16),
        ("b only", "#0072B2", 16),
    ):
        sel = [points[h] for h, s in where.items() if s == status and h in points]
        if not sel:
            continue
        traces.append(
            go.Scattermap(
                lon=[p["lon"] for p in sel],
                lat=[p["lat"] for p in sel],
                mode="markers",
                marker={"color": colour, "size": size},
                name=f"Hubs in {status.upper() if len(status) == 1 else status} ({len(sel)})",
                hovertext=[f"<b>{p['name']}</b><br>{status}" for p in sel],
                hoverinfo="text",
                uid=f"diff-{status.replace(' ', '-')}",
            )
        )
    return traces
