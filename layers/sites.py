"""Sites (schools, children's centres, hubs...) as markers: one trace per kind.

Each kind gets its own Okabe-Ito colour and marker size (circles: other MapLibre symbols need a
sprite sheet from the internet). Hover shows the name, kind and any detail columns (for
schools: phase and type).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from geo.place.model import Place
from layers.geometry import safe_uid
from layers.palettes import categorical

BASE_COLUMNS = {
    "site_id",
    "name",
    "kind",
    "area_code",
    "footprint",
    "outside",
    "distance_outside_m",
    "geometry",
}
KIND_STYLE = {
    "family_hub": ("#000000", 16),
    "childrens_centre": ("#009E73", 13),
    "school": ("#0072B2", 8),
}


SITE_UID_PREFIX = "sites-"


def site_uid(kind: str) -> str:
    """uid of the marker trace of site ``kind`` (``sites-<kind>``)."""
    return safe_uid("sites", kind)


def kind_label(kind: str) -> str:
    """``childrens_centre`` -> ``Children's centre``."""
    special = {"childrens_centre": "Children's centre", "family_hub": "Family hub"}
    return special.get(kind, kind.replace("_", " ").capitalize())


def detail_columns(place: Place) -> list[str]:
    return [c for c in place.sites.columns if c not in BASE_COLUMNS]


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def site_markers(
    place: Place, kinds: list[str] | None = None, *, visible: bool | str = True
) -> list[go.Scattermap]:
    """One marker trace per site kind (``kinds`` limits and orders them; default all).

    ``customdata`` of each point is ``[site_id, footprint]`` (footprint ``""`` when outside).
    """
    sites = place.sites
    if not len(sites):
        return []
    kinds = place.site_kinds if kinds is None else [k for k in kinds if k in place.site_kinds]
    pts = sites.to_crs(4326)
    details = detail_columns(place)
    traces = []
    # Biggest markers last so small school dots do not hide hubs.
    order = sorted(kinds, key=lambda k: KIND_STYLE.get(k, ("", 10))[1])
    for i, kind in enumerate(order):
        sel = pts[pts["kind"] == kind]
        colour, size = KIND_STYLE.get(kind, (categorical(i + 2), 11))
        hover = []
        for _, row in sel.iterrows():
            lines = [f"<b>{_text(row['name'])}</b>", kind_label(kind)]
            lines += [f"{c.capitalize()}: {_text(row[c])}" for c in details if _text(row[c])]
            if row.get("footprint") is not None and _text(row.get("footprint")):
                lines.append(f"{place.footprint_label}: {row['footprint']}")
            if bool(row.get("outside", False)):
                lines.append(f"Outside the place ({row['distance_outside_m']:,.0f} m)")
            hover.append("<br>".join(lines))
        traces.append(
            go.Scattermap(
                lon=np.round(sel.geometry.x.to_numpy(), 5),
                lat=np.round(sel.geometry.y.to_numpy(), 5),
                mode="markers",
                marker={"color": colour, "size": size, "opacity": 0.95},
                name=f"{kind_label(kind)} ({len(sel)})",
                legendgroup="sites",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
                customdata=[
                    [str(i), "" if f is None or f != f else str(f)]
                    for i, f in zip(sel["site_id"], sel["footprint"], strict=True)
                ],
                visible=visible,
                uid=site_uid(kind),
            )
        )
    return traces
