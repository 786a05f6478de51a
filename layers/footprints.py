"""Footprint outlines (one legend entry each), a transparent click layer, and a highlight."""

from __future__ import annotations

import plotly.graph_objects as go

from geo.place.model import Place
from layers.geometry import (
    DISPLAY_TOLERANCE_M,
    display_geojson,
    display_geometries,
    polygon_lines,
    safe_uid,
)
from layers.palettes import categorical

FILL_UID = "footprint-fill"
HIGHLIGHT_UID = "footprint-highlight"


OUTLINE_UID_PREFIX = "fpline-"


def outline_uid(i: int, name: str) -> str:
    """uid of the ``i``-th footprint outline trace (``fpline-<i>-<name>``)."""
    return safe_uid("fpline", i, name)


#: Above this many footprints the legend shows one line for all outlines, not one per footprint.
LEGEND_MAX_FOOTPRINTS = 12


def footprint_outlines(
    place: Place,
    *,
    highlight: str | None = None,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
    visible: bool | str = True,
) -> list[go.Scattermap]:
    """One line trace per footprint (Okabe-Ito colours, legend and hover name it; ``meta``
    holds the footprint name). Above :data:`LEGEND_MAX_FOOTPRINTS` the legend has one line.

    With ``highlight``, that footprint's trace is added again last as a thick black line.
    """
    geoms = display_geometries(place, "footprints", tolerance_m=tolerance_m)
    many = len(geoms) > LEGEND_MAX_FOOTPRINTS  # one legend line instead of a wall of names
    traces = []
    for i, (name, geom) in enumerate(geoms.items()):
        lons, lats = polygon_lines(geom)
        traces.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": categorical(i, lines=True), "width": 2.5},
                name=f"{place.footprint_plural} ({len(geoms)})" if many else str(name),
                meta=str(name),
                legendgroup="footprints",
                showlegend=not many or i == 0,
                legendgrouptitle={"text": place.footprint_label} if i == 0 else None,
                hovertemplate=f"<b>{name}</b><br>{place.footprint_label}<extra></extra>",
                visible=visible,
                uid=outline_uid(i, str(name)),
            )
        )
    if highlight is not None:
        traces.append(footprint_highlight(place, highlight, tolerance_m=tolerance_m))
    return traces


def highlight_coords(
    place: Place, name: str | None, *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> tuple[list, list]:
    """Lon/lat lists of footprint ``name``'s rings (empty when ``None`` or unknown)."""
    if name is None:
        return [], []
    geoms = display_geometries(place, "footprints", tolerance_m=tolerance_m)
    if name not in geoms.index:
        return [], []
    return polygon_lines(geoms.loc[name])


def footprint_highlight(
    place: Place, name: str | None, *, tolerance_m: float = DISPLAY_TOLERANCE_M
) -> go.Scattermap:
    """A thick black outline around footprint ``name`` (an empty trace for ``None``)."""
    lons, lats = highlight_coords(place, name, tolerance_m=tolerance_m)
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"color": "#000000", "width": 5},
        name=f"Selected: {name}" if name else "Selected footprint",
        showlegend=False,
        hoverinfo="skip",
        uid=HIGHLIGHT_UID,
    )


def footprint_fill(
    place: Place, *, tolerance_m: float = DISPLAY_TOLERANCE_M, visible: bool | str = True
) -> go.Choroplethmap:
    """Nearly transparent footprint polygons so a click anywhere inside selects the footprint.

    ``locations`` are footprint names; put it under the area choropleth.
    """
    gj = display_geojson(place, "footprints", tolerance_m=tolerance_m)
    names = [f["id"] for f in gj["features"]]
    return go.Choroplethmap(
        geojson=gj,
        locations=names,
        featureidkey="id",
        z=[0] * len(names),
        colorscale=[[0, "rgba(255,255,255,0.01)"], [1, "rgba(255,255,255,0.01)"]],
        showscale=False,
        marker={"line": {"width": 0}},
        customdata=[[n] for n in names],
        hovertemplate=f"<b>%{{location}}</b><br>{place.footprint_label}<extra></extra>",
        name=place.footprint_plural,
        showlegend=False,
        visible=visible,
        uid=FILL_UID,
    )
