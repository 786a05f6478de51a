"""Plotly MapLibre traces and figures built from geo results (no Dash here).

Shared API (used by every page):

* :func:`layers.base.map_figure` — offline-safe map figure fitted to a place, with its boundary.
* :func:`layers.areas.area_choropleth` — small-area choropleth of a catalogue indicator.
* :func:`layers.footprints.footprint_outlines` / :func:`layers.footprints.footprint_fill`.
* :func:`layers.sites.site_markers` — one trace per site kind.
* :func:`layers.geometry.display_geojson` — cached, simplified EPSG:4326 GeoJSON.
* :mod:`layers.palettes` — colour-blind-safe, direction-aware palettes.
"""

from layers.areas import area_choropleth, choropleth_values
from layers.base import (
    attribution_lines,
    basemap_layers,
    fit_view,
    format_value,
    indicator_title,
    map_figure,
    place_view,
    trace_index,
)
from layers.footprints import footprint_fill, footprint_highlight, footprint_outlines
from layers.geometry import DISPLAY_TOLERANCE_M, display_geojson
from layers.sites import site_markers

__all__ = [
    "DISPLAY_TOLERANCE_M",
    "area_choropleth",
    "attribution_lines",
    "basemap_layers",
    "choropleth_values",
    "display_geojson",
    "fit_view",
    "footprint_fill",
    "footprint_highlight",
    "footprint_outlines",
    "format_value",
    "indicator_title",
    "map_figure",
    "place_view",
    "site_markers",
    "trace_index",
]
