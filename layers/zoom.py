"""Zoom-dependent display of the small-area choropleth for region-sized places.

A place with more than :func:`detail_limit` small areas is drawn, when zoomed out, as its
indicator aggregated to footprints (values from :func:`geo.indicators.profile.profile_table`, so they
agree with the profile; disclosure control as ``hubplan profile``), with coarser footprint
geometry. Zoomed in past :data:`DETAIL_ZOOM`, only the small areas inside the current view
are sent (at most :data:`MAX_FEATURES`, those nearest the view centre). Colours use the same
palettes as :func:`layers.areas.choropleth_values`; in detail mode the colour range is the
range over *all* areas, so a colour means the same value wherever the user looks.

The map page keeps one choropleth trace and swaps its content between the two modes with
``dash.Patch`` updates; the mode is described by a small dict ``detail``:
``{"mode": "footprints"}`` or ``{"mode": "areas", "bbox": [west, south, east, north]}``.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from geo.indicators.disclosure import is_suppressed
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
from layers.areas import HOVER, choropleth_values, scaled_values
from layers.base import colorbar_outside, colorbar_title, format_value, indicator_title
from layers.geometry import _cached, display_geojson, display_geometries, geojson_subset
from layers.palettes import legend_hint

DETAIL_LIMIT = 4000
"""Places with more small areas than this start zoomed out at footprint level."""
DETAIL_ENV = "HUBPLAN_DETAIL_LIMIT"
DETAIL_ZOOM = 11.0
"""Map zoom at and above which the small areas in view are drawn."""
MAX_FEATURES = 3000
"""At most this many small areas are sent for one view."""
COARSE_TOLERANCE_M = 100.0
"""Simplification tolerance (metres) of the footprint geometry drawn when zoomed out."""
ZOOM_NOTE = "zoom in to see small areas"
VALUE_KEYS = ("z", "text", "zmin", "zmax", "colorscale", "colorbar", "name")
"""Trace properties that change with the indicator (the rest is geometry)."""
FOOTPRINT_HOVER = (
    "<b>%{location}</b><br>%{customdata[0]}<br>%{text}<br><i>%{customdata[1]}</i><extra></extra>"
)


def detail_limit() -> int:
    """:data:`DETAIL_LIMIT`, or the ``HUBPLAN_DETAIL_LIMIT`` environment variable if set."""
    raw = os.environ.get(DETAIL_ENV, "").strip()
    try:
        return int(raw) if raw else DETAIL_LIMIT
    except ValueError:
        return DETAIL_LIMIT


def is_large(place: Place) -> bool:
    """Whether ``place`` has too many small areas to draw them all at once."""
    return len(place.areas) > detail_limit()


def view_bbox(
    centre: dict, zoom: float, *, width_px: int = 1000, height_px: int = 700
) -> list[float]:
    """The lon/lat box ``[west, south, east, north]`` a web-mercator view shows.

    Used when the browser did not report the view's corners (``map._derived``).
    """
    lon, lat = float(centre["lon"]), float(centre["lat"])
    world = 512.0 * 2.0 ** float(zoom)  # MapLibre: 512 px tiles
    half_lon = 180.0 * width_px / world
    y = math.log(math.tan(math.pi / 4 + math.radians(max(min(lat, 85.0), -85.0)) / 2))
    dy = math.pi * height_px / world
    south = math.degrees(2 * math.atan(math.exp(y - dy)) - math.pi / 2)
    north = math.degrees(2 * math.atan(math.exp(y + dy)) - math.pi / 2)
    return [lon - half_lon, south, lon + half_lon, north]


def detail_for_view(place: Place, view: dict | None) -> dict:
    """The display ``detail`` for a reported view ``{"zoom", "center"?, "coordinates"?}``."""
    view = view or {}
    zoom = view.get("zoom")
    if zoom is None or float(zoom) < DETAIL_ZOOM:
        return {"mode": "footprints"}
    coords = view.get("coordinates")
    if coords:
        xy = np.asarray(coords, dtype=float).reshape(-1, 2)
        bbox = [
            float(xy[:, 0].min()),
            float(xy[:, 1].min()),
            float(xy[:, 0].max()),
            float(xy[:, 1].max()),
        ]
    elif view.get("center"):
        bbox = view_bbox(view["center"], float(zoom))
    else:
        return {"mode": "footprints"}
    return {"mode": "areas", "bbox": [round(v, 5) for v in bbox]}


def areas_in_view(place: Place, bbox, *, limit: int | None = None) -> np.ndarray:
    """Positions (in ``place.areas``) of the areas meeting ``bbox``, at most ``limit`` of them
    (default :data:`MAX_FEATURES`; those whose centre is nearest the box centre), in
    ``place.areas`` order."""
    limit = MAX_FEATURES if limit is None else limit

    def build():
        geoms = display_geometries(place, "areas")
        return geoms.bounds.to_numpy()

    b = _cached(place, "zoom:bounds", 0.0, build)
    west, south, east, north = (float(v) for v in bbox)
    hit = np.flatnonzero(
        (b[:, 2] >= west) & (b[:, 0] <= east) & (b[:, 3] >= south) & (b[:, 1] <= north)
    )
    if len(hit) > limit:
        cx, cy = (b[hit, 0] + b[hit, 2]) / 2, (b[hit, 1] + b[hit, 3]) / 2
        d = (cx - (west + east) / 2) ** 2 + (cy - (south + north) / 2) ** 2
        hit = np.sort(hit[np.argsort(d, kind="stable")[:limit]])
    return hit


def footprint_table(place: Place) -> pd.DataFrame:
    """Footprint rows of the profile table after disclosure control (as the profile shows)."""

    def build():
        shown = disclosed_profile(place).table
        return shown[shown["footprint"] != "All areas"].set_index("footprint")

    return _cached(place, "zoom:profile", 0.0, build)


def _footprint_values(place: Place, key: str) -> dict:
    ind = place.indicator(key)
    names = [f["id"] for f in _footprint_geojson(place)["features"]]
    col = footprint_table(place)[key].reindex(names)
    hidden = np.array([is_suppressed(v) for v in col], dtype=bool)
    values = pd.to_numeric(col.where(~hidden), errors="coerce").to_numpy(dtype=float)
    props = scaled_values(ind, values)
    text = [f"{ind.label}: {format_value(v, ind)}" for v in values]
    for i in np.flatnonzero(hidden):
        text[i] = f"{ind.label}: suppressed (disclosure control)"
    title = colorbar_title(
        indicator_title(ind),
        f"by {place.footprint_label.lower()}: {ZOOM_NOTE}",
        legend_hint(ind),
    )
    props.update(text=text, name=f"{ind.label} by {place.footprint_label.lower()}")
    props["colorbar"] = {**choropleth_colorbar(), "title": {"text": title, "side": "top"}}
    return props


def choropleth_colorbar() -> dict:
    return colorbar_outside()


def _footprint_geojson(place: Place) -> dict:
    return display_geojson(place, "footprints", tolerance_m=COARSE_TOLERANCE_M)


def detail_values(place: Place, key: str, detail: dict) -> dict:
    """The indicator-dependent trace properties (:data:`VALUE_KEYS`) for ``detail``."""
    if detail.get("mode") != "areas":
        return _footprint_values(place, key)
    pos = areas_in_view(place, detail["bbox"])
    full = choropleth_values(place, key)
    z = np.asarray(full["z"], dtype=float)[pos]
    out = {k: full[k] for k in VALUE_KEYS}
    out["z"] = z.tolist()
    out["text"] = [full["text"][i] for i in pos]
    n = len(place.areas)
    shown = (
        f"{len(pos):,} of {n:,} small areas in view" if len(pos) < n else f"all {n:,} small areas"
    )
    if len(pos) >= MAX_FEATURES:
        shown += "; zoom in further to see every area"
    title = out["colorbar"]["title"]["text"]
    out["colorbar"] = {
        **out["colorbar"],
        "title": {
            **out["colorbar"]["title"],
            # the title is wrapped already: add the note's wrapped lines only
            "text": f"{title}<br>{colorbar_title('', shown).removeprefix('<br>')}",
        },
    }
    return out


def detail_geometry(place: Place, detail: dict) -> dict:
    """The geometry trace properties (``geojson``, ``locations``, ``customdata``,
    ``hovertemplate``) for ``detail``."""
    if detail.get("mode") != "areas":
        gj = _footprint_geojson(place)
        names = [f["id"] for f in gj["features"]]
        counts = footprint_table(place)["areas"].reindex(names)
        custom = [
            [
                f"{place.footprint_label}: {int(c):,} small areas"
                if pd.notna(c)
                else place.footprint_label,
                ZOOM_NOTE.capitalize(),
            ]
            for c in counts
        ]
        return {
            "geojson": gj,
            "locations": names,
            "customdata": custom,
            "hovertemplate": FOOTPRINT_HOVER,
        }
    pos = areas_in_view(place, detail["bbox"])
    areas = place.areas.iloc[pos]
    codes = [str(c) for c in areas.index]
    gj = geojson_subset(place, codes)
    area_names = areas["name"].astype(str).to_numpy() if "name" in areas else np.array(codes)
    custom = [
        [nm, str(fp), place.footprint_label]
        for nm, fp in zip(area_names, areas["footprint"].astype(str).fillna("none"), strict=True)
    ]
    return {"geojson": gj, "locations": codes, "customdata": custom, "hovertemplate": HOVER}


def detail_trace(place: Place, key: str, detail: dict) -> dict:
    """Every property of the choropleth trace that depends on ``detail`` (geometry + values)."""
    return {**detail_geometry(place, detail), **detail_values(place, key, detail)}
