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
from layers.palettes import FOOTPRINT_LINES, SELECTED_COLOUR, footprint_colours

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
    legend_names: bool = True,
) -> list[go.Scattermap]:
    """One line trace per footprint (Okabe-Ito colours, legend and hover name it; ``meta``
    holds the footprint name). Above :data:`LEGEND_MAX_FOOTPRINTS` the legend has one line,
    and so it has with ``legend_names=False`` (for maps that write the names on the map).

    With ``highlight``, that footprint's trace is added again last as a thick black line.
    """
    geoms = display_geometries(place, "footprints", tolerance_m=tolerance_m)
    # one legend line instead of a wall of names
    many = len(geoms) > LEGEND_MAX_FOOTPRINTS or not legend_names
    colours = outline_colours(place)
    traces = []
    for i, (name, geom) in enumerate(geoms.items()):
        lons, lats = polygon_lines(geom)
        traces.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": colours.get(str(name), FOOTPRINT_LINES[0]), "width": 2.5},
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


def footprint_neighbours(place: Place) -> dict[str, list[str]]:
    """Footprints that touch or overlap each other (working CRS, 1 m tolerance)."""
    fps = place.footprints[["footprint", "geometry"]].reset_index(drop=True)
    names = fps["footprint"].astype(str).tolist()
    out: dict[str, list[str]] = {n: [] for n in names}
    left, right = fps.geometry.buffer(1.0).sindex.query(fps.geometry, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a != b:
            out[names[a]].append(names[b])
    return out


def outline_colours(place: Place) -> dict[str, str]:
    """Each footprint's outline colour (:func:`layers.palettes.footprint_colours`): all
    different up to eight footprints, else different from every neighbour."""
    names = [str(n) for n in place.footprints["footprint"]]
    many = len(names) > len(FOOTPRINT_LINES)
    return footprint_colours(names, neighbours=footprint_neighbours(place) if many else None)


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
    """A thick black outline around footprint ``name`` with its own legend entry
    (``Selected: <name>``); an empty trace without a legend entry for ``None``."""
    lons, lats = highlight_coords(place, name, tolerance_m=tolerance_m)
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"color": SELECTED_COLOUR, "width": 5},
        name=selected_label(place, name),
        showlegend=bool(name),
        hoverinfo="skip",
        uid=HIGHLIGHT_UID,
    )


def footprint_view(
    place: Place,
    name: str | None,
    *,
    width_px: int = 720,
    height_px: int = 600,
    tolerance_m: float = DISPLAY_TOLERANCE_M,
) -> tuple[dict[str, float], float] | None:
    """Centre and zoom fitting footprint ``name`` (``None`` when unknown or not given)."""
    from layers.base import fit_view

    if name is None:
        return None
    geoms = display_geometries(place, "footprints", tolerance_m=tolerance_m)
    if name not in geoms.index:
        return None
    return fit_view(geoms.loc[name].bounds, width_px=width_px, height_px=height_px, padding=0.1)


LABELS_UID = "footprint-labels"


def footprint_labels(place: Place, *, visible: bool | str = True) -> go.Scattermap:
    """Footprint names at a point well inside each footprint, for the dashboard map.

    MapLibre draws map text only with glyphs fetched from a font server (the internet), so the
    trace itself draws nothing (``mode="none"``): ``assets/map_labels.js`` places the names as
    HTML text over the map at these points and moves them with every pan and zoom, offline.
    Static exports use vector annotations instead (:func:`layers.static.add_map_furniture`).
    """
    from layers.static import footprint_label_points

    points = footprint_label_points(place)
    return go.Scattermap(
        lon=[p[1] for p in points],
        lat=[p[2] for p in points],
        text=[p[0] for p in points],
        mode="none",
        hoverinfo="skip",
        showlegend=False,
        name=f"{place.footprint_label} names",
        meta="labels",
        visible=visible,
        uid=LABELS_UID,
    )


def selected_label(place: Place, name: str | None) -> str:
    """Legend text of the selected footprint's outline."""
    return f"Selected: {name}" if name else f"Selected {place.footprint_label.lower()}"


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
