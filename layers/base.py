"""The map figure every page shares: offline-safe white background, fitted to the place.

The default style is ``white-bg`` (needs no internet). Tile basemaps are added as raster
*layers below the traces* on that same style (:func:`basemap_layers`), never as a map style:
if the tiles fail to load (offline), the polygons and markers still draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from geo.numbers import format_number
from geo.place.config import Indicator
from geo.place.model import Place
from layers.geometry import DISPLAY_TOLERANCE_M, display_boundary, polygon_lines

BOUNDARY_COLOUR = "#333333"
BASEMAPS = {
    "none": ("White background (works offline)", None, ""),
    "roads": ("Roads from the place's network (works offline)", None, ""),
    "osm": (
        "OpenStreetMap tiles (needs internet)",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
    ),
    "carto": (
        "Carto light tiles (needs internet)",
        "https://a.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors © CARTO",
    ),
}
"""Basemap key -> (label, raster tile URL or None, attribution). ``roads`` is drawn as line
traces from the place's own network (:func:`road_traces`), not tiles: only for places that
have one (:func:`basemap_choices`)."""
OFFLINE_BASEMAPS = frozenset({"none", "roads"})


def has_roads(place: Place) -> bool:
    """Whether the place carries a road network to draw (``network_edges`` with geometry)."""
    edges = place.tables.get("network_edges")
    return edges is not None and len(edges) > 0 and "geometry" in edges


def basemap_choices(place: Place) -> list[str]:
    """The basemap keys that make sense for ``place`` (``roads`` only with a network)."""
    return [k for k in BASEMAPS if k != "roads" or has_roads(place)]


def basemap_layers(basemap: str | None) -> list[dict]:
    """``layout.map.layers`` for a basemap key: a raster layer drawn below the traces."""
    _, url, attribution = BASEMAPS.get(basemap or "none", BASEMAPS["none"])
    if url is None:
        return []
    return [
        {
            "sourcetype": "raster",
            "source": [url],
            "below": "traces",
            "sourceattribution": attribution,
            "opacity": 0.9,
        }
    ]


def fit_view(
    bounds: Sequence[float], *, width_px: int = 720, height_px: int = 600, padding: float = 0.06
) -> tuple[dict[str, float], float]:
    """Centre and zoom that fit lon/lat ``bounds`` (minx, miny, maxx, maxy) in a viewport."""
    minx, miny, maxx, maxy = bounds
    centre = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(maxx - minx, 1e-6) / 360.0
    dy = max(merc(maxy) - merc(miny), 1e-6) / (2 * math.pi)
    usable = 1 - 2 * padding
    zoom = min(math.log2(width_px * usable / 512 / dx), math.log2(height_px * usable / 512 / dy))
    return centre, round(max(min(zoom, 18.0), 0.0), 2)


def place_view(place: Place, *, tolerance_m: float = DISPLAY_TOLERANCE_M) -> tuple[dict, float]:
    """Centre and zoom fitting the whole place."""
    return fit_view(display_boundary(place, tolerance_m=tolerance_m).bounds)


def boundary_trace(place: Place, *, tolerance_m: float = DISPLAY_TOLERANCE_M) -> go.Scattermap:
    """The place's outer boundary as a thin dark line (drawn on any basemap)."""
    lons, lats = polygon_lines(display_boundary(place, tolerance_m=tolerance_m))
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"color": BOUNDARY_COLOUR, "width": 1.6},
        name=f"{place.name} boundary",
        hoverinfo="skip",
        showlegend=False,
        uid="boundary",
    )


#: The legend of every map: a horizontal strip *below* the map, outside the plotted area
#: (Plotly grows the bottom margin to fit it), so it never covers the data (issue 14).
LEGEND_BELOW: dict = {
    "orientation": "h",
    "x": 0,
    "y": 0,
    "xanchor": "left",
    "yanchor": "top",
    "bgcolor": "rgba(255,255,255,1)",
    "font": {"color": "#1a1a1a", "size": 12},
}


def colorbar_outside(*, y: float = 0.92, yanchor: str = "top", length: float = 0.58) -> dict:
    """A vertical colour bar just *right of* the map, outside the plotted area.

    Plotly grows the right margin to fit it (``margin.autoexpand``), so the bar and its title
    never sit over the data, whatever the window size (issue 14). Two bars on one map stack
    (one at the top, one at the bottom). The top one starts a little down, clear of the mode
    bar (Plotly's tool buttons, top right).
    """
    return {
        "thickness": 14,
        "len": length,
        "x": 1.0,
        "xanchor": "left",
        "xpad": 6,
        "y": y,
        "yanchor": yanchor,
        "bgcolor": "rgba(255,255,255,0.9)",
        "outlinecolor": "#767676",
        "outlinewidth": 1,
    }


def colorbar_title(text: str, *notes: str, width: int = 18) -> str:
    """A colour bar title written above its bar (outside the map, so it must stay narrow):
    ``text`` wrapped to lines of about ``width`` characters, then each note smaller."""
    import textwrap

    lines = textwrap.wrap(text, width) or [text]
    for note in notes:
        lines += [f"<sub>{part}</sub>" for part in textwrap.wrap(note, width + 6) or [note]]
    return "<br>".join(lines)


def map_figure(
    place: Place,
    traces: Sequence[go.BaseTraceType] = (),
    *,
    center: dict[str, float] | None = None,
    zoom: float | None = None,
    style: str = "white-bg",
    basemap: str | None = None,
    height: int | None = None,
    fit_px: tuple[int, int] = (560, 440),
) -> go.Figure:
    """A map figure of ``traces`` over the place boundary, fitted to the place.

    Parameters
    ----------
    place
        The place (its boundary is drawn first, under the traces).
    traces
        Plotly MapLibre traces (``go.Choroplethmap``, ``go.Scattermap``).
    center, zoom
        The view; by default the whole place fits.
    style
        MapLibre style; keep ``"white-bg"`` (offline-safe) unless you know tiles load.
    basemap
        ``None``/``"none"``, ``"osm"`` or ``"carto"``: raster tiles *below* the traces.
    height
        Figure height in pixels (default: the container's).
    fit_px
        ``(width, height)`` of the map area, in pixels, the default view fits the place in;
        the smallest the page shows it at (the legend below takes some of the height).
    """
    fit_centre, fit_zoom = fit_view(
        display_boundary(place).bounds, width_px=fit_px[0], height_px=fit_px[1], padding=0.04
    )
    fig = go.Figure(data=[boundary_trace(place), *traces])
    fig.update_layout(
        map={
            "style": style,
            "center": center or fit_centre,
            "zoom": fit_zoom if zoom is None else zoom,
            "layers": basemap_layers(basemap),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#ffffff",
        legend=LEGEND_BELOW,
        font={
            "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "color": "#1a1a1a",
        },
        hoverlabel={"bgcolor": "#ffffff", "font": {"color": "#1a1a1a"}},
        uirevision=place.name,
    )
    if height:
        fig.update_layout(height=height)
    return fig


def trace_index(fig: go.Figure | dict, uid: str) -> int:
    """Position of the trace with ``uid`` in a figure (object or dict); ``-1`` when absent."""
    data = fig["data"] if isinstance(fig, dict) else fig.data
    for i, trace in enumerate(data):
        if (trace.get("uid") if isinstance(trace, dict) else trace.uid) == uid:
            return i
    return -1


def format_value(value: float | None, ind: Indicator | None = None) -> str:
    """A value for people (:func:`geo.numbers.format_number`) with its unit; missing is
    ``no data``."""
    unit = (ind.unit if ind else "") or ""
    text = format_number(value, kind=ind.kind if ind else "mean", unit=unit, missing="no data")
    if text == "no data" or not unit or unit == "%":
        return text
    return f"{text} {unit}"


def indicator_title(ind: Indicator) -> str:
    """``"Label (unit)"``."""
    return f"{ind.label} ({ind.unit})" if ind.unit else ind.label


def attribution_lines(place: Place) -> list[str]:
    """Lines to show under every map: the synthetic label (if any) and every attribution."""
    return [line for line in place.attribution_text().splitlines() if line.strip()]


#: OSM ``highway`` values drawn as major roads on the offline road basemap.
MAJOR_ROADS = frozenset(
    {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link"}
)
ROADS_UID = "roads"


def road_traces(
    place: Place, *, tolerance_m: float = 5.0, visible: bool | str = True
) -> list[go.Scattermap]:
    """The place's road network (``network_edges``) as a light, offline basemap: minor
    streets faint, major roads (:data:`MAJOR_ROADS`) stronger. Empty without a network.

    Drawn as line traces (no tiles, no internet, no glyphs), so it shows in the dashboard
    and in static exports alike; hover is off so it never hides the data underneath.
    """
    import numpy as np
    import shapely

    if not has_roads(place):
        return []
    edges = place.tables["network_edges"]
    import geopandas as gpd

    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=edges.crs or place.crs)
    edges = edges[edges.geometry.notna() & ~edges.geometry.is_empty]
    major = edges["highway"].astype(str).isin(MAJOR_ROADS).to_numpy()
    traces = []
    for pick, name, colour, width in (
        (~major, "Streets", "rgba(90,90,90,0.28)", 0.7),
        (major, "Major roads", "rgba(60,60,60,0.55)", 1.8),
    ):
        part = edges[pick]
        if not len(part):
            continue
        geoms = shapely.simplify(part.geometry.to_numpy(), tolerance_m)
        geoms = gpd.GeoSeries(geoms, crs=part.crs).to_crs(4326)
        lons: list[float | None] = []
        lats: list[float | None] = []
        for line in geoms:
            for piece in getattr(line, "geoms", [line]):
                xy = np.round(np.asarray(piece.coords), 5)
                lons += [*xy[:, 0].tolist(), None]
                lats += [*xy[:, 1].tolist(), None]
        traces.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": colour, "width": width},
                name=name,
                legendgroup="roads",
                hoverinfo="skip",
                showlegend=False,
                uid=f"{ROADS_UID}-{name.split()[0].lower()}",
                visible=visible,
            )
        )
    return traces
