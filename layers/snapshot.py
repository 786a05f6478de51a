"""Print-ready map snapshots: title, legend and colourbar with units, date and attributions.

:func:`snapshot_figure` builds the figure from the shared map layers (:mod:`layers.base`,
:mod:`layers.areas`, :mod:`layers.footprints`, :mod:`layers.sites`). All text is placed as
figure annotations and titles, never as map text (map glyphs need the internet). Turn it into
a file with :func:`layers.static.figure_to_bytes` (or :func:`export_snapshot`).

Disclosure control holds on maps too: for a ``sensitive`` count (or a rate built on one) the
areas whose count is below the threshold are drawn as "no data" (grey) and a note says so.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from geo.errors import InputError
from geo.indicators.disclosure import (
    DEFAULT_THRESHOLD,
    is_suppressed,
    sensitive_columns,
)
from geo.indicators.profile import disclosed_profile
from geo.place.model import SYNTHETIC_LABEL, Place
from layers.areas import area_choropleth, choropleth_values, no_data_trace
from layers.base import attribution_lines, fit_view, indicator_title, map_figure
from layers.footprints import footprint_highlight, footprint_outlines
from layers.geometry import display_boundary, display_geometries
from layers.palettes import legend_hint
from layers.sites import kind_label, site_markers

if TYPE_CHECKING:
    from layers.static import Format

#: Map layers a snapshot can show (site kinds such as ``school`` are also accepted).
BASE_LAYERS: tuple[str, ...] = ("areas", "footprints", "sites")
DEFAULT_LAYERS: tuple[str, ...] = ("areas", "footprints", "sites")
DEFAULT_WIDTH, DEFAULT_HEIGHT = 1600, 1000
#: Share of the figure width the map takes; the legend and colourbar sit to its right.
MAP_WIDTH = 0.80
TITLE_PX = 100
LINE_PX = 17
FOOTER_FONT = 12


def known_layers(place: Place) -> list[str]:
    """Layer keys valid for ``place``: the base layers, every site kind and the overlays
    (:mod:`layers.overlays`: clusters, isochrones, ...) that have data for it."""
    from layers.overlays import OVERLAYS, overlay_traces

    overlays = [key for key in OVERLAYS if overlay_traces(place, key)]
    return [*BASE_LAYERS, *place.site_kinds, *overlays]


def check_layers(place: Place, layers: Sequence[str]) -> list[str]:
    """Return ``layers`` (deduplicated, in order) or raise naming the unknown ones."""
    from layers.overlays import OVERLAYS

    allowed = known_layers(place)
    unknown = [lay for lay in layers if lay not in allowed]
    empty = [lay for lay in unknown if lay in OVERLAYS]
    if empty:
        raise InputError(
            f"layer {empty[0]!r} has no data for {place.name}; available: {', '.join(allowed)}"
        )
    if unknown:
        raise InputError(
            f"unknown layer(s) {', '.join(map(repr, unknown))}; known: {', '.join(allowed)}"
        )
    return list(dict.fromkeys(layers))


def _disclosed_place(place: Place, key: str, threshold: float) -> tuple[Place, str | None]:
    """A shallow copy of ``place`` with suppressed values of ``key`` blanked, and a note."""
    counts, rates = sensitive_columns(place.catalogue)
    if key not in counts and key not in rates:
        return place, None
    result = disclosed_profile(place, by="area", suppress_below=threshold)
    hidden = result.table[key].map(is_suppressed).to_numpy()
    if not hidden.any():
        return place, None
    areas = place.areas.copy()
    areas[key] = areas[key].astype(float).where(~hidden)
    count_label = place.catalogue[rates.get(key, key)].label.lower()
    note = (
        f"Disclosure control: {int(hidden.sum())} area(s) with fewer than {threshold:g} "
        f"{count_label} are shown grey (no data)."
    )
    return dataclasses.replace(place, areas=areas), note


def _scenario_traces(place: Place, name: str) -> tuple[list[go.Scattermap], list[str]]:
    """Hubs and catchments of a saved scenario (from the scenario store beside the bundle)."""
    from geo.export.data import load_scenario
    from layers.scenario import scenario_traces

    return scenario_traces(place, load_scenario(place, name))  # InputError for unknown names


def _footer_lines(place: Place, notes: Sequence[str], when: datetime, width_px: int) -> list[str]:
    chars = max(60, int(width_px / (FOOTER_FONT * 0.55)))
    lines = [f"{place.name} · map made {when:%d %B %Y} with hubplan"]
    sources = attribution_lines(place)
    if place.synthetic and not any(SYNTHETIC_LABEL in s.lower() for s in sources):
        sources.insert(0, f"Demo place: {SYNTHETIC_LABEL}.")
    out: list[str] = []
    for line in [*lines, *notes, *sources]:
        out += textwrap.wrap(line, chars) or [""]
    return out


def snapshot_figure(
    place: Place,
    *,
    indicator: str | None = None,
    layers: Sequence[str] = DEFAULT_LAYERS,
    footprint: str | None = None,
    scenario: str | None = None,
    title: str | None = None,
    center: dict[str, float] | None = None,
    zoom: float | None = None,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    threshold: float = DEFAULT_THRESHOLD,
    when: datetime | None = None,
    basemap: str | None = None,
) -> go.Figure:
    """A print-ready map of ``place``.

    Parameters
    ----------
    place
        The place to map.
    indicator
        Catalogue key for the area choropleth (default: the first need indicator). Only used
        when ``layers`` has ``"areas"``.
    layers
        Any of ``areas``, ``footprints``, ``sites`` and site kinds (e.g. ``school``).
    footprint
        Zoom to this footprint and outline it in black.
    scenario
        Show a saved siting scenario's hubs (from :mod:`geo.siting.scenarios`).
    title
        Figure title (default: indicator label, footprint and place).
    center, zoom
        The map view (default: fitted to the footprint or the whole place).
    width, height
        Layout size the figure is designed for (the export size).
    threshold
        Disclosure threshold for sensitive indicators.
    when
        The date printed on the map (default: now).
    basemap
        What the map is drawn on, as on the dashboard (:data:`layers.base.BASEMAPS`):
        ``"roads"`` the place's road network (offline), ``"none"`` a white background,
        ``"osm"``/``"carto"`` online tiles (the renderer must reach the tile server). Default
        ``None``: the roads when the place has a network, else white.

    Raises
    ------
    geo.errors.InputError
        Unknown indicator, layer, footprint or scenario.
    """
    when = when or datetime.now(UTC)
    layers = check_layers(place, layers)
    key = indicator or place.default_indicator
    ind = place.indicator(key)
    if footprint is not None and footprint not in place.footprint_names:
        raise InputError(
            f"unknown {place.footprint_label.lower()} {footprint!r}; known: {', '.join(place.footprint_names)}"
        )
    notes: list[str] = []
    traces: list[Any] = []
    if "areas" in layers:
        choro = area_choropleth(place, key)
        shown, note = _disclosed_place(place, key, threshold)
        if note:
            choro.update(**choropleth_values(shown, key))
            notes.append(note)
        missing = int(place.areas[key].isna().sum())
        if missing:
            notes.append(
                f"Grey: no data for {ind.label.lower()} in {missing} of {len(place.areas)} areas."
            )
        traces.append(choro)
        nodata = no_data_trace(place, key)
        if nodata.showlegend:  # grey areas get a legend entry: "No data (N areas)"
            traces.append(nodata)
    from layers.base import BASEMAPS, road_traces

    if basemap is not None and basemap not in BASEMAPS:
        raise InputError(f"unknown basemap {basemap!r}; known: {', '.join(BASEMAPS)}")
    if basemap in (None, "roads"):
        traces += road_traces(place)  # offline road context when the place has a network
    if "footprints" in layers:
        traces += footprint_outlines(place)  # one legend line above LEGEND_MAX_FOOTPRINTS
    from layers.overlays import OVERLAYS, overlay_traces

    for key in [x for x in layers if x in OVERLAYS]:
        traces += overlay_traces(place, key)
    kinds = place.site_kinds if "sites" in layers else [k for k in place.site_kinds if k in layers]
    if kinds:
        traces += site_markers(place, kinds)
    if scenario is not None:
        more, scenario_notes = _scenario_traces(place, scenario)
        traces += more
        notes += scenario_notes
    if footprint is not None:
        traces.append(footprint_highlight(place, footprint))

    tiles = basemap if basemap in ("osm", "carto") else None  # online tiles, as on screen
    if tiles:
        notes.append(f"Basemap: {BASEMAPS[tiles][2]}.")
    footer = _footer_lines(place, notes, when, width)
    bottom = 24 + LINE_PX * len(footer)
    map_w = width * MAP_WIDTH
    map_h = height - TITLE_PX - bottom
    if map_h < 200:
        raise InputError(
            f"height {height} is too small for the map and its {len(footer)} footer lines"
        )
    if center is None or zoom is None:
        if footprint is not None:
            bounds = display_geometries(place, "footprints").loc[footprint].bounds
        else:
            bounds = display_boundary(place).bounds
        fit_centre, fit_zoom = fit_view(
            bounds, width_px=int(map_w), height_px=int(map_h), padding=0.04
        )
        center = center or fit_centre
        zoom = fit_zoom if zoom is None else zoom

    fig = map_figure(place, traces, center=center, zoom=zoom, basemap=tiles)
    where = f"{footprint}, {place.name}" if footprint else place.name
    what = ind.label if "areas" in layers else "Map"
    default_title = f"{what} — {where}"
    names = {
        "areas": "small areas",
        "footprints": f"{place.footprint_label.lower()} outlines",
        "sites": "all sites",
    }
    names |= {k: f"{kind_label(k).lower()} sites" for k in place.site_kinds}
    shown_layers = ", ".join(names.get(x, x) for x in layers)
    subtitle = f"{shown_layers or 'boundary only'} · {when:%d %B %Y}"
    if place.synthetic:
        subtitle += f" · {SYNTHETIC_LABEL}"
    fig.update_layout(
        width=width,
        height=height,
        title={
            "text": title or default_title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.985,
            "yanchor": "top",
            "font": {"size": 26},
            "subtitle": {"text": subtitle, "font": {"size": 15}},
        },
        margin={"l": 10, "r": 10, "t": TITLE_PX, "b": bottom, "autoexpand": False},
        map={"domain": {"x": [0, MAP_WIDTH], "y": [0, 1]}},
        legend={
            "orientation": "v",
            "x": MAP_WIDTH + 0.01,
            "y": 1,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,1)",
            "font": {"size": 13},
        },
        annotations=[
            {
                "text": "<br>".join(footer),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "xanchor": "left",
                "yanchor": "top",
                "yshift": -10,
                "align": "left",
                "showarrow": False,
                "font": {"size": FOOTER_FONT, "color": "#333333"},
            }
        ],
        uirevision=None,
    )
    overlay_bars = [
        t for t in fig.data
        if t.type == "choroplethmap" and t.uid != "areas" and t.showscale is not False
    ]  # fmt: skip
    # The colourbar sits in the side panel: wrap its "label (unit)" title to fit there.
    chars = max(16, int(width * (1 - MAP_WIDTH) / 8.5))
    if overlay_bars:  # two bars side by side at the bottom of the panel: half the width each
        chars = max(12, chars // 2 - 2)
    bar_title = "<br>".join(textwrap.wrap(indicator_title(ind), chars))
    bar_title += "".join(
        f"<br><sub>{part}</sub>" for part in textwrap.wrap(legend_hint(ind), chars + 6)
    )
    fig.update_traces(
        colorbar={
            "x": MAP_WIDTH + 0.01,
            "xanchor": "left",
            "y": 0,
            "yanchor": "bottom",
            "len": 0.5,
            "thickness": 18,
            "title": {"side": "top", "text": bar_title},
        },
        selector={"type": "choroplethmap", "uid": "areas"},
    )
    # Other colour bars (overlays such as hot spots) sit in the side panel too, beside the
    # areas' bar, under the legend: the map's own default (right of the plot area) is off
    # this fixed layout.
    fig.update_traces(
        colorbar={
            "x": MAP_WIDTH + (1 - MAP_WIDTH) / 2,
            "xanchor": "left",
            "y": 0,
            "yanchor": "bottom",
            "len": 0.5,
        },
        selector=lambda t: (
            t.type == "choroplethmap" and t.uid != "areas" and t.showscale is not False
        ),
    )
    # Scale bar, north arrow and footprint names as vector shapes and text (issue 14).
    from layers.labels import place_label_points
    from layers.static import add_map_furniture, footprint_label_points

    show_names = "footprints" in layers or footprint is not None
    add_map_furniture(
        fig,
        labels=footprint_label_points(place) if show_names else (),
        place_names=place_label_points(place),  # towns and suburbs (OSM or [labels])
    )
    return fig


def export_snapshot(
    place: Place,
    *,
    fmt: Format = "png",
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    scale: float = 1.0,
    **options,
) -> bytes:
    """:func:`snapshot_figure` rendered by :func:`layers.static.figure_to_bytes`."""
    from layers.static import figure_to_bytes

    fig = snapshot_figure(place, width=width, height=height, **options)
    return figure_to_bytes(fig, fmt=fmt, width=width, height=height, scale=scale)
