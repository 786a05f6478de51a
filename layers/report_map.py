"""The report's small map as plain SVG, drawn straight from the footprint polygons.

No tiles and no browser: every footprint outlined (Okabe-Ito line colours), this footprint
thick and black, its sites as dots coloured by kind (as on the dashboard map) and a scale
bar, in the place's projected CRS (metres). Fast enough to draw for every report.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import shapely

from geo.place.model import Place
from layers.palettes import categorical
from layers.sites import KIND_STYLE, kind_label

SIMPLIFY_M = 15.0


def _path(geom, to_px) -> str:
    """An SVG path for a (multi)polygon."""
    parts = []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = to_px(np.asarray(ring.coords))
            parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in xy) + " Z")
    return " ".join(parts)


def site_styles(place: Place, footprint: str) -> list[tuple[str, str, str, int]]:
    """``(kind, label, colour, count)`` of the sites in ``footprint``, biggest markers last."""
    sites = place.sites
    if not len(sites):
        return []
    mine = sites[sites["footprint"] == footprint]
    out = []
    for i, kind in enumerate(
        sorted(place.site_kinds, key=lambda k: -KIND_STYLE.get(k, ("", 10))[1])
    ):
        colour = KIND_STYLE.get(kind, (categorical(i + 2), 10))[0]
        out.append((kind, kind_label(kind), colour, int((mine["kind"] == kind).sum())))
    return out


def footprint_svg(place: Place, footprint: str, *, width: int = 520, height: int = 340) -> str:
    """The SVG text of the map of ``footprint`` (with a scale bar)."""
    fps = place.footprints.set_index("footprint")
    if footprint not in fps.index:
        raise KeyError(footprint)
    geoms = fps.geometry.simplify(SIMPLIFY_M)
    minx, miny, maxx, maxy = geoms.loc[footprint].bounds
    pad = 0.12 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = min(width / (maxx - minx), height / (maxy - miny))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2

    def to_px(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [width / 2 + (xy[:, 0] - cx) * scale, height / 2 - (xy[:, 1] - cy) * scale]
        )

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<path d="{_path(geoms.loc[footprint], to_px)}" fill="#0072B2" fill-opacity="0.08" stroke="none"/>',
    ]
    for i, (name, geom) in enumerate(geoms.items()):
        if name != footprint:
            out.append(
                f'<path d="{_path(geom, to_px)}" fill="none" stroke="{categorical(i, lines=True)}" '
                'stroke-width="1.5"><title>' + escape(str(name)) + "</title></path>"
            )
    out.append(
        f'<path d="{_path(geoms.loc[footprint], to_px)}" fill="none" stroke="#000000" '
        'stroke-width="3.5" stroke-linejoin="round"/>'
    )
    sites = place.sites
    if len(sites):
        mine = sites[sites["footprint"] == footprint]
        for kind, _label, colour, _n in site_styles(place, footprint):
            pts = mine[mine["kind"] == kind]
            if not len(pts):
                continue
            xy = to_px(np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()]))
            r = max(3.0, KIND_STYLE.get(kind, ("", 10))[1] / 2.6)
            for (x, y), name in zip(xy, pts["name"].astype(str), strict=True):
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" '
                    f'stroke="#ffffff" stroke-width="1"><title>{escape(name)}</title></circle>'
                )
    # scale bar: a round length near a fifth of the width
    metres = (width / 5) / scale
    nice = 10 ** math.floor(math.log10(metres))
    nice = max(m * nice for m in (1, 2, 5) if m * nice <= metres)
    bar = nice * scale
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    out.append(
        f'<g transform="translate(10,{height - 20})"><rect x="0" y="0" width="{bar:.1f}" height="6" '
        f'fill="#000"/><text x="{bar + 6:.1f}" y="8" font-size="18" fill="#000">{label}</text></g>'
    )
    out.append("</svg>")
    return "".join(out)
