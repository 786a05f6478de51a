"""Hot and cold spots as a Plotly MapLibre layer, with the method stated.

* :func:`hotspot_trace` — every area coloured by its class (hot, cold, outliers, not
  significant), legend via the colour bar, the method in the trace name and hover.
* :func:`default_hotspots` — Gi* on the place's need index (else IMD score), cached per place.
* :func:`overlay_traces` — the map page's "Need hotspots" overlay (significant areas only).
"""

from __future__ import annotations

import os
import threading
import weakref

import plotly.graph_objects as go

from geo.clusters.hotspots import (
    CLASSES,
    COLD,
    HIGH_LOW,
    HOT,
    LOW_HIGH,
    METHOD_NAMES,
    NOT_SIGNIFICANT,
    Hotspots,
    hotspots,
)
from geo.place.model import Place
from layers.base import colorbar_outside, colorbar_title
from layers.geometry import DISPLAY_TOLERANCE_M, geojson_subset

# Colour-blind-safe: vermillion hot, blue cold, lighter tints for outliers, pale grey otherwise.
CLASS_COLOURS = {
    HOT: "#D55E00",
    COLD: "#0072B2",
    HIGH_LOW: "#E69F00",
    LOW_HIGH: "#56B4E9",
    NOT_SIGNIFICANT: "#f2f2f2",
}

_cache: dict[tuple[int, str, str], tuple[weakref.ref, Hotspots]] = {}
_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def short_method(result: Hotspots) -> str:
    """E.g. ``"Getis-Ord Gi*, FDR 5%"``."""
    corr = f"FDR {result.alpha:.0%}" if result.fdr else f"p ≤ {result.alpha:g}, uncorrected"
    return f"{METHOD_NAMES[result.method]}, {corr}"


def hotspot_trace(
    place: Place,
    result: Hotspots,
    *,
    significant_only: bool = False,
    opacity: float = 0.8,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    uid: str = "hotspots",
    as_overlay: bool = False,
) -> go.Choroplethmap:
    """Areas coloured by hot/cold class; the colour bar is the legend and names the method."""
    table = result.table
    if significant_only:
        table = table[table["cls"] != NOT_SIGNIFICANT]
    classes = [c for c in CLASSES if c in (HOT, COLD, NOT_SIGNIFICANT) or (table["cls"] == c).any()]
    index = {c: i for i, c in enumerate(classes)}
    n = len(classes)
    scale = []
    for i, c in enumerate(classes):
        scale += [[i / n, CLASS_COLOURS[c]], [(i + 1) / n, CLASS_COLOURS[c]]]
    ind = place.catalogue.get(result.indicator)
    label = ind.label if ind else result.indicator
    names = place.areas["name"].reindex(table.index).astype(str).to_numpy()
    custom = [
        [nm, cls, "" if v != v else f"{v:,.3g}", "" if p != p else f"{p:.3f}"]
        for nm, cls, v, p in zip(
            names, table["cls"], table["value"], table["p_adjusted"], strict=True
        )
    ]
    return go.Choroplethmap(
        geojson=geojson_subset(place, [str(c) for c in table.index], tolerance_m=tolerance_m),
        locations=[str(c) for c in table.index],
        featureidkey="id",
        z=[index[c] for c in table["cls"]],
        zmin=-0.5,
        zmax=n - 0.5,
        colorscale=scale,
        colorbar={
            "title": (
                {"text": colorbar_title("Hot spots", short_method(result)), "side": "top"}
                if as_overlay
                else {"text": colorbar_title(label, short_method(result)), "side": "top"}
            ),
            "tickvals": list(range(n)),
            "ticktext": classes,
            # outside the map, right of it; as an overlay below the areas' colour bar
            **(
                colorbar_outside(y=0.0, yanchor="bottom", length=0.3)
                if as_overlay
                else colorbar_outside(y=0.5, yanchor="middle", length=0.45)
            ),
        },
        marker={"opacity": opacity, "line": {"width": 0.3, "color": "#ffffff"}},
        customdata=custom,
        hovertemplate=(
            "<b>%{customdata[0]}</b><br>Area code: %{location}<br>"
            + f"{label}: %{{customdata[2]}}<br>%{{customdata[1]}} (adjusted p %{{customdata[3]}})"
            + f"<br>{short_method(result)}<extra></extra>"
        ),
        name=f"Hot spots: {label} ({short_method(result)})",
        uid=uid,
    )


def default_hotspots(
    place: Place, *, indicator: str | None = None, method: str = "gi"
) -> Hotspots | None:
    """Hot spots for ``indicator`` (default :attr:`Place.need_key`), cached per place object."""
    indicator = indicator or place.need_key
    if indicator is None:
        return None
    key = (id(place), indicator, method)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is place:
            return hit[1]
    result = hotspots(place, indicator=indicator, method=method)
    with _lock:
        for k in [k for k, (ref, _) in _cache.items() if ref() is None]:
            del _cache[k]
        _cache[key] = (weakref.ref(place), result)
    return result


def overlay_traces(place: Place) -> list:
    """The map page's "Need hotspots" overlay: significant hot and cold areas (Gi*, FDR 5%)."""
    result = default_hotspots(place)
    if result is None:
        return []
    # the area choropleth's colour bar is at the top right: this one goes below it
    trace = hotspot_trace(
        place,
        result,
        significant_only=True,
        opacity=0.75,
        uid="hotspots-overlay",
        as_overlay=True,
    )
    return [trace]
