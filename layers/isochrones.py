"""Isochrone bands and hub markers as Plotly MapLibre traces.

Bands are drawn as filled ``Choroplethmap`` traces, largest first so the nearer bands sit on
top, in nested shades of one colour-blind-safe sequential scale (darker = nearer). Hover shows
the band and the counts reached (from :func:`geo.network.access.coverage`).
"""

from __future__ import annotations

import weakref
from typing import Any

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import mapping

from geo.place.model import Place

# ColorBrewer PuBu, dark to light (nearest band darkest).
BAND_COLOURS = ["#034e7b", "#0570b0", "#3690c0", "#74a9cf", "#a6bddb", "#d0d1e6"]
HUB_COLOUR = "#D55E00"
DISPLAY_TOLERANCE_M = 5.0
LABELS = {"population": "People", "children_0_4": "Children 0-4", "children_0_17": "Children 0-17"}


def band_colour(i: int, n: int) -> str:
    """Colour of band ``i`` (0 = nearest) of ``n`` bands."""
    if n <= 1:
        return BAND_COLOURS[1]
    step = (len(BAND_COLOURS) - 1) / max(n - 1, 1)
    return BAND_COLOURS[min(round(i * step), len(BAND_COLOURS) - 1)]


def _hover(row: pd.Series | None, minutes: float, mode: str, approximate: bool) -> str:
    lines = [f"<b>Within {minutes:g} min by {mode}</b>" + (" (approximate)" if approximate else "")]
    if row is not None:
        for key, label in LABELS.items():
            if key in row and pd.notna(row[key]):
                share = row.get(f"{key}_share")
                extra = f" ({share:.0%})" if share is not None and pd.notna(share) else ""
                lines.append(f"{label} reached: {row[key]:,.0f}{extra}")
    return "<br>".join(lines)


def isochrone_traces(
    bands: gpd.GeoDataFrame,
    cover: pd.DataFrame | None = None,
    *,
    opacity: float = 0.55,
    clickthrough: bool = False,
) -> list[go.Choroplethmap]:
    """One filled trace per band (largest first), nested colours, hover minutes and counts.

    Parameters
    ----------
    bands
        From :func:`geo.network.isochrones.isochrones` (any projected CRS).
    cover
        From :func:`geo.network.access.coverage` for the same bands (optional; adds counts to hovers).
    clickthrough
        No hover or clicks on the bands, so clicks reach the areas drawn below them.
    """
    shown = bands.copy()
    shown["geometry"] = shapely.simplify(shown.geometry.to_numpy(), DISPLAY_TOLERANCE_M)
    shown = shown.to_crs(4326)
    rows = cover.set_index("minutes") if cover is not None and len(cover) else None
    n = len(shown)
    traces = []
    for i in reversed(range(n)):
        band = shown.iloc[i]
        minutes = float(band["minutes"])
        fid = f"band-{minutes:g}"
        # Any: one row (cover has one per band), which pandas-stubs cannot tell from a frame
        row: Any = rows.loc[minutes] if rows is not None and minutes in rows.index else None
        approximate = bool(band.get("approximate", False))
        colour = band_colour(i, n)
        traces.append(
            go.Choroplethmap(
                geojson={
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": fid,
                            "properties": {},
                            "geometry": mapping(band.geometry),
                        }
                    ],
                },
                locations=[fid],
                featureidkey="id",
                z=[1],
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                marker={"opacity": opacity, "line": {"width": 1, "color": colour}},
                hovertemplate=_hover(row, minutes, str(band.get("mode", "")), approximate)
                + "<extra></extra>",
                hoverinfo="skip" if clickthrough else None,
                name=f"≤ {minutes:g} min" + (" (approx.)" if approximate else ""),
                showlegend=True,
                uid=f"isochrone-{minutes:g}",
            )
        )
    return traces


def hub_markers(
    place: Place, hubs: gpd.GeoSeries, labels: list[str], *, uid: str = "access-hubs"
) -> go.Scattermap:
    """Markers for the hubs the bands start from (``labels`` in the hover; ids in customdata)."""
    pts = gpd.GeoSeries(hubs.to_numpy(), crs=place.crs).to_crs(4326)
    return go.Scattermap(
        lon=pts.x.round(6).tolist(), lat=pts.y.round(6).tolist(), mode="markers",
        marker={"size": 13, "color": HUB_COLOUR}, text=labels, customdata=list(hubs.index.astype(str)),
        hovertemplate="<b>%{text}</b><extra></extra>", name="Hubs", uid=uid,
    )  # fmt: skip


OVERLAY_MINUTES = (5.0, 10.0, 15.0, 20.0)
_overlay_cache: dict[int, tuple[weakref.ref, list]] = {}


def overlay_hub_kind(place: Place) -> str | None:
    """The site kind the map overlay starts from: family hubs, else children's centres,
    else the place's first site kind (Wigan's bundle has schools only); ``None`` without
    sites."""
    preferred = next((k for k in ("family_hub", "childrens_centre") if k in place.site_kinds), None)
    return preferred or next(iter(place.site_kinds), None)


def overlay_traces(place: Place) -> list[go.Choroplethmap]:
    """Walking bands (5-20 min) around the family hubs, for the map page's overlay toggle.

    Around the sites of :func:`overlay_hub_kind`; empty when the place has no sites. Clicks
    pass through to the areas below. Computed once per opened place.
    """
    kind = overlay_hub_kind(place)
    if kind is None:
        return []
    hit = _overlay_cache.get(id(place))
    if hit is None or hit[0]() is not place:
        from geo.network.access import coverage
        from geo.network.isochrones import isochrones

        hubs = place.sites[place.sites["kind"] == kind].geometry
        bands = isochrones(place, hubs, mode="walk", minutes=OVERLAY_MINUTES)
        cover = coverage(place, hubs, mode="walk", minutes=OVERLAY_MINUTES, bands=bands)
        traces = isochrone_traces(bands, cover, opacity=0.3, clickthrough=True)
        for t in traces:
            t.name = f"{t.name} walk to {kind.replace('_', ' ')}s"
        _overlay_cache[id(place)] = (weakref.ref(place), traces)
        hit = _overlay_cache[id(place)]
    return [go.Choroplethmap(t) for t in hit[1]]
