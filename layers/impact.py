"""The printable impact pack of a closure / relocation scenario (HTML printed to PDF).

The pack is what a council attaches to a consultation and its equality impact assessment:
the scenario, the headline numbers, a map of the areas that lose (and gain) access, the
breakdown by national deprivation decile and by footprint, the areas losing access, and the
sources' attribution. The map is an inline SVG drawn from the area polygons (no tiles, no
network access); the PDF is printed by headless Chromium (:func:`layers.report.html_to_pdf`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from geo.export import tabular
from geo.place.bundle import atomic_write
from geo.place.model import Place
from geo.siting.impact import STATUSES, ImpactResult
from layers.report import html_to_pdf

STATUS_FILL = {
    STATUSES[0]: "#D55E00",  # loses access: vermillion
    STATUSES[1]: "#0072B2",  # gains access: blue
    STATUSES[2]: "#d9d9d9",
    STATUSES[3]: "#f4f4f4",
}
CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 18mm; }
h1 { font-size: 17pt; margin: 0 0 4pt; } h2 { font-size: 12.5pt; margin: 14pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #ccc; padding: 2pt 5pt; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 4pt 8pt; font-weight: bold; }
.key span { display: inline-block; width: 10pt; height: 10pt; margin: 0 3pt 0 10pt; vertical-align: middle; }
.headline td { font-size: 10.5pt; } footer { font-size: 8.5pt; color: #444; margin-top: 14pt; }
svg { border: 1px solid #ccc; }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _n(value: float | None, unit: str = "") -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.0f}{unit}"


def _m(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1f} min"


def _p(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def impact_map_svg(place: Place, impact: ImpactResult, *, width: int = 640) -> str:
    """An SVG map: areas coloured by what happens to their access; closed and opened hubs."""
    areas = place.areas.geometry.simplify(20)
    x0, y0, x1, y1 = areas.total_bounds
    scale = width / max(x1 - x0, 1.0)
    height = int((y1 - y0) * scale) + 2
    status = impact.areas.set_index("area")["status"]
    paths = []
    for code, geom in areas.items():
        fill = STATUS_FILL.get(status.get(str(code), ""), "#f4f4f4")
        polys = getattr(geom, "geoms", [geom])
        d = []
        for poly in polys:
            for ring in [poly.exterior, *poly.interiors]:
                pts = " ".join(
                    f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}" for x, y in ring.coords
                )
                d.append(f"M{pts}Z")
        paths.append(f'<path d="{" ".join(d)}" fill="{fill}" stroke="#ffffff" stroke-width="0.4"/>')
    marks = []
    sites = place.sites.assign(site_id=place.sites["site_id"].astype(str)).set_index("site_id")
    for sid in impact.closed:
        if sid in sites.index:
            pt = sites.loc[sid].geometry
            cx, cy = (pt.x - x0) * scale, (y1 - pt.y) * scale
            marks.append(
                f'<g stroke="#000" stroke-width="2.5"><line x1="{cx - 6:.1f}" y1="{cy - 6:.1f}" '
                f'x2="{cx + 6:.1f}" y2="{cy + 6:.1f}"/><line x1="{cx - 6:.1f}" y1="{cy + 6:.1f}" '
                f'x2="{cx + 6:.1f}" y2="{cy - 6:.1f}"/></g>'
            )
    for sid in impact.today:
        if sid in sites.index and sid not in impact.closed:
            pt = sites.loc[sid].geometry
            marks.append(
                f'<circle cx="{(pt.x - x0) * scale:.1f}" cy="{(y1 - pt.y) * scale:.1f}" r="4" '
                'fill="#000"/>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Map of areas losing and gaining '
        f'access">{"".join(paths)}{"".join(marks)}</svg>'
    )


# a table column: key, heading and how to format a cell (None: as it is)
Column = tuple[str, str, Callable[[Any], str] | None]


def _table(frame: pd.DataFrame, cols: list[Column]) -> str:
    head = "".join(f"<th>{_e(label)}</th>" for _, label, _ in cols)
    body = []
    for row in frame.to_dict("records"):
        cells = "".join(
            f"<td>{_e(fmt(row[key]) if fmt else row[key])}</td>" for key, _, fmt in cols
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def impact_report_html(place: Place, impact: ImpactResult) -> str:
    """The impact pack as one self-contained HTML page."""
    s = impact.summary
    label = impact.weight_label
    closed = ", ".join(impact.label(c) for c in impact.closed) or "none"
    opened = ", ".join(impact.label(o) for o in impact.opened) or "none"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Impact of closing {_e(closed)} – {_e(place.name)}</title><style>{CSS}</style>",
        "</head><body>",
    ]
    if place.synthetic:
        parts.append("<p class='banner'>Synthetic demo data: not a real place.</p>")
    parts.append(f"<h1>{_e(place.name)}: impact of the proposed change</h1>")
    parts.append(
        f"<p>Closing: <b>{_e(closed)}</b>. Opening: <b>{_e(opened)}</b>. Access means "
        f"reaching a hub within <b>{impact.minutes:g} minutes</b> by <b>{_e(impact.mode)}</b>; "
        f"people counted: <b>{_e(label)}</b>.</p>"
    )
    headline = pd.DataFrame(
        [
            {"what": f"{label} losing access", "value": _n(s["weight_losing"])},
            {"what": f"{label} gaining access", "value": _n(s["weight_gaining"])},
            {"what": "Areas losing access", "value": f"{s['areas_losing']:,}"},
            {"what": "Areas gaining access", "value": f"{s['areas_gaining']:,}"},
            {
                "what": "Share with access: today → after",
                "value": f"{_p(s['share_with_access_before'])} → {_p(s['share_with_access_after'])}",
            },
            {
                "what": "Average journey: today → after",
                "value": f"{_m(s['mean_minutes_before'])} → {_m(s['mean_minutes_after'])}",
            },
            {"what": "Largest increase for an area", "value": _m(s["largest_increase_minutes"])},
        ]
    )
    parts.append("<table class='headline'><tbody>")
    parts += [
        f"<tr><td>{_e(r.what)}</td><td>{_e(r.value)}</td></tr>" for r in headline.itertuples()
    ]
    parts.append("</tbody></table>")
    parts.append("<h2>Map: areas losing and gaining access</h2>")
    parts.append(
        "<p class='key'>"
        + "".join(f"<span style='background:{STATUS_FILL[k]}'></span>{_e(k)}" for k in STATUSES[:3])
        + "<span style='background:#000;border-radius:5pt'></span>hub kept"
        + " &nbsp; ✕ hub closing</p>"
    )
    parts.append(impact_map_svg(place, impact))
    group_cols = [
        ("areas", "Areas", None),
        ("weight", label, _n),
        ("weight_losing", "Losing access", _n),
        ("weight_gaining", "Gaining access", _n),
        ("mean_minutes_before", "Average journey today", _m),
        ("mean_minutes_after", "Average journey after", _m),
    ]
    if len(impact.by_decile) > 1:
        parts.append(f"<h2>By {_e(impact.decile_label)} (1 = most deprived 10% in England)</h2>")
        parts.append(_table(impact.by_decile, [("decile", "Decile", None), *group_cols]))
    parts.append(f"<h2>By {_e(impact.footprint_label.lower())}</h2>")
    parts.append(
        _table(impact.by_footprint, [("footprint", impact.footprint_label, None), *group_cols])
    )
    losing = impact.areas[impact.areas["status"] == STATUSES[0]].sort_values(
        "weight", ascending=False
    )
    parts.append(f"<h2>Areas losing access ({len(losing)})</h2>")
    if len(losing):
        parts.append(
            _table(
                losing.head(60),
                [
                    ("name", "Area", None),
                    ("decile", "Decile", None),
                    ("footprint", impact.footprint_label, None),
                    ("weight", label, _n),
                    ("minutes_before", "Today", _m),
                    ("minutes_after", "After", _m),
                    ("hub_after", "Nearest hub after", None),
                ],
            )
        )
        if len(losing) > 60:
            parts.append(f"<p>… and {len(losing) - 60} more: every area is in the CSV.</p>")
    else:
        parts.append("<p>No area loses access within the time limit.</p>")
    notes = "".join(f"<li>{_e(n)}</li>" for n in impact.notes)
    parts.append(
        f"<footer><ul>{notes}</ul><p>Sources: {_e(place.attribution_text())}</p>"
        "<p>Produced with hubplan (Locality &amp; Hub Planner).</p></footer></body></html>"
    )
    return "\n".join(parts)


def impact_csv(impact: ImpactResult) -> pd.DataFrame:
    """Every area with its before/after minutes and status (the table beside the PDF)."""
    return impact.areas.copy()


def impact_columns(impact: ImpactResult) -> list[tabular.Column]:
    """Labels with units of :func:`impact_csv`'s columns (minutes to one decimal)."""
    t = f"{impact.minutes:g}"
    return [
        tabular.Column("area", "Small area code"),
        tabular.Column("name", "Small area name"),
        tabular.Column("decile", "National deprivation decile (1 = most deprived)", "", "count"),
        tabular.Column("footprint", impact.footprint_label),
        tabular.Column("weight", impact.weight_label, "", "number", decimals=1),
        tabular.Column(
            "minutes_before", "Minutes to the nearest hub today", "minutes", "number", 1
        ),
        tabular.Column(
            "minutes_after", "Minutes to the nearest hub in the plan", "minutes", "number", 1
        ),
        tabular.Column("change", "Change in minutes", "minutes", "number", 1),
        tabular.Column("status", f"Access within {t} minutes ({impact.mode})"),
        tabular.Column("hub_before", "Nearest hub today"),
        tabular.Column("hub_after", "Nearest hub in the plan"),
    ]


def impact_table_meta(place: Place, impact: ImpactResult) -> tabular.TableMeta:
    """Title, sources, licences and the plan's terms of the impact table."""
    closed = ", ".join(map(impact.label, impact.closed)) or "none"
    opened = ", ".join(map(impact.label, impact.opened)) or "none"
    return tabular.place_meta(
        place,
        f"{place.name}: access to hubs today and in the plan, by small area",
        notes=(
            f"Closing: {closed}. Opening: {opened}.",
            f"Travel mode {impact.mode}; access means within {impact.minutes:g} minutes.",
            f"Weight: {impact.weight_label}.",
        ),
    )


def impact_csv_files(place: Place, impact: ImpactResult, *, filename: str) -> dict[str, bytes]:
    """The impact table as a download: ``{filename: CSV, sidecar name: metadata JSON}``."""
    frame = impact_csv(impact)
    columns = [c for c in impact_columns(impact) if c.key in frame]
    meta = impact_table_meta(place, impact)
    return tabular.table_bytes("csv", frame, columns, meta, filename=filename)


def write_impact_pack(
    place: Place, impact: ImpactResult, out: str | Path, *, keys: bool = False
) -> tuple[Path, Path]:
    """Write ``out`` (``.pdf`` or ``.html``) and the area CSV beside it, atomically; the PDF
    is printed first, so a failure leaves neither file."""
    path = Path(out)
    text = impact_report_html(place, impact)
    csv_path = path.with_suffix(".csv")
    frame = impact_csv(impact)
    columns = [c for c in impact_columns(impact) if c.key in frame]
    if path.suffix.lower() == ".html":
        data, suffix = text.encode("utf-8"), ".html"
    else:
        data, suffix = html_to_pdf(text), ".pdf"
    # The CSV (plain RFC 4180, header on row 1) and its metadata sidecar, then the pack.
    tabular.write_table(csv_path, frame, columns, impact_table_meta(place, impact), keys=keys)
    atomic_write(path, lambda tmp: tmp.write_bytes(data), suffix=suffix)
    return path, csv_path
