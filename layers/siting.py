"""Map traces and charts for hub siting: candidates, chosen hubs, coverage, curve, team split.

Markers are circles (other MapLibre symbols need a sprite sheet from the internet); nothing is
labelled on the map itself: names are in the hover text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def hub_markers(
    candidates: gpd.GeoDataFrame, per_hub: pd.DataFrame, *, weight_label: str
) -> go.Scattermap:
    """Chosen hubs (black; new user-dropped sites vermillion) with catchment hover."""
    hubs = candidates.loc[list(per_hub["hub"])]
    lon, lat = _lonlat(hubs.geometry)
    colours = [
        NEW_COLOUR if src == "point" else HUB_COLOUR
        for src in hubs.get("source", ["site"] * len(hubs))
    ]
    hover = []
    row: Any  # per_hub's fields are mixed (text, numbers, None): not pandas' scalar union
    for row in per_hub.itertuples():
        lines = [
            f"<b>{row.name}</b>",
            f"id {row.hub}" + (" (existing, required)" if row.required else ""),
        ]
        lines.append(f"Catchment: {row.weight:,.0f} {weight_label} in {row.areas} areas")
        if row.covered_weight is not None and not pd.isna(row.covered_weight):
            lines.append(f"Within the time limit: {row.covered_weight:,.0f}")
        if row.marginal_gain is not None and not pd.isna(row.marginal_gain):
            lines.append(f"Marginal gain: {row.marginal_gain:,.1f}")
        hover.append("<br>".join(lines))
    return go.Scattermap(
        lon=lon,
        lat=lat,
        mode="markers",
        marker={"color": colours, "size": 17, "opacity": 1.0},
        name=f"Chosen hubs ({len(hubs)})",
        customdata=list(per_hub["hub"]),
        hovertext=hover,
        hoverinfo="text",
        uid=HUBS_UID,
    )


def coverage_choropleth(
    place: Place, assignment: pd.DataFrame, *, minutes: float | None
) -> go.Choroplethmap:
    """Areas coloured by whether their demand is within ``minutes`` of a chosen hub.

    ``customdata`` holds the area code so a click can add a site there.
    """
    frame = assignment.set_index("demand").reindex(place.areas.index)
    z: np.ndarray
    if minutes is None:
        z = np.zeros(len(frame))
        colours = [[0, "#dddddd"], [1, "#dddddd"]]
    else:
        z = frame["covered"].fillna(False).astype(float).to_numpy()
        colours = [
            [0, NOT_COVERED_FILL],
            [0.5, NOT_COVERED_FILL],
            [0.5, COVERED_COLOUR],
            [1, COVERED_COLOUR],
        ]
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
        marker={"opacity": 0.55, "line": {"width": 0.3, "color": "#ffffff"}},
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
