"""Optional map overlays other engines provide: clusters, isochrones, hotspots.

The map page shows a toggle for each overlay. An overlay is *available* for a place when its
provider returns at least one trace. Providers are looked up lazily, so the engines stay
independent of the dashboard:

* a module ``layers.<name>`` (e.g. ``layers.isochrones``) defining
  ``overlay_traces(place) -> list[plotly trace]``; or
* :func:`register_overlay` called at import time by any module.

Until a provider exists the toggle is shown disabled as a placeholder ("not available").
Clusters have a built-in provider: any table in ``place.tables`` whose name contains
``cluster`` is drawn as outlines (a GeoDataFrame as is; a DataFrame of area code -> cluster
by dissolving the areas).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from geo.place.model import Place
from layers.geometry import DISPLAY_TOLERANCE_M, polygon_lines, safe_uid, to_display
from layers.palettes import categorical


@dataclass(frozen=True)
class Overlay:
    key: str
    label: str
    placeholder: str
    build: Callable[[Place], list] | None = None


OVERLAYS: dict[str, Overlay] = {
    "clusters": Overlay("clusters", "Clusters", "no cluster layer in this place"),
    "isochrones": Overlay(
        "isochrones",
        "Walking time to hubs (isochrones)",
        "computed on the Access page (not available yet)",
    ),
    "hotspots": Overlay("hotspots", "Need hotspots", "not available yet"),
}


def register_overlay(key: str, build: Callable[[Place], list], *, label: str | None = None) -> None:
    """Provide the traces of overlay ``key`` (``clusters``, ``isochrones``, ``hotspots``...)."""
    old = OVERLAYS.get(key)
    OVERLAYS[key] = Overlay(
        key,
        label or (old.label if old else key.capitalize()),
        old.placeholder if old else "not available",
        build,
    )


def _provider(key: str) -> Callable[[Place], list] | None:
    overlay = OVERLAYS[key]
    if overlay.build is not None:
        return overlay.build
    try:
        module = importlib.import_module(f"layers.{key}")
    except ImportError:
        module = None
    fn = getattr(module, "overlay_traces", None) if module else None
    if fn is None and key == "clusters":
        return cluster_outlines
    return fn


def has_provider(key: str) -> bool:
    """Whether something can draw overlay ``key`` (it may still find nothing for a place)."""
    return key in OVERLAYS and _provider(key) is not None


def overlay_traces(place: Place, key: str) -> list:
    """The traces of overlay ``key`` for ``place`` (empty when unavailable or failing)."""
    fn = _provider(key)
    if fn is None:
        return []
    try:
        traces = list(fn(place) or [])
    except Exception:  # an engine problem must never break the map page
        return []
    for i, trace in enumerate(traces):
        trace.uid = safe_uid("overlay", key, i)
    return traces


def _cluster_geoms(place: Place, name: str, table: pd.DataFrame) -> gpd.GeoSeries | None:
    if isinstance(table, gpd.GeoDataFrame) and table.geometry is not None and len(table):
        label_col = next((c for c in ("cluster", "name", "label") if c in table.columns), None)
        geoms = table.geometry
        if label_col:
            geoms = table.dissolve(label_col).geometry
        return geoms.to_crs(place.crs) if geoms.crs is not None else geoms
    code_col = next((c for c in ("code", "area_code") if c in table.columns), None)
    group_col = next((c for c in ("cluster", "group", "footprint") if c in table.columns), None)
    if code_col is None or group_col is None:
        return None
    groups = table.set_index(code_col)[group_col].reindex(place.areas.index)
    frame = place.areas[["geometry"]].assign(_g=groups.astype("object")).dropna(subset=["_g"])
    return frame.dissolve("_g").geometry


def cluster_outlines(place: Place) -> list[go.Scattermap]:
    """Dashed-looking (thin, dark) outlines of every cluster table in ``place.tables``."""
    traces = []
    for name, table in place.tables.items():
        if "cluster" not in name.lower():
            continue
        geoms = _cluster_geoms(place, name, table)
        if geoms is None or not len(geoms):
            continue
        disp = to_display(geoms, tolerance_m=DISPLAY_TOLERANCE_M)
        for i, (label, geom) in enumerate(disp.items()):
            lons, lats = polygon_lines(geom)
            traces.append(
                go.Scattermap(
                    lon=lons,
                    lat=lats,
                    mode="lines",
                    line={"color": categorical(i + 3, lines=True), "width": 1.5},
                    name=f"{label}",
                    legendgroup=f"cluster-{name}",
                    legendgrouptitle={"text": f"Clusters ({name})"} if i == 0 else None,
                    hovertemplate=f"<b>{label}</b><br>Cluster ({name})<extra></extra>",
                )
            )
    return traces
