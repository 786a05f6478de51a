"""The printable footprint report: one self-contained HTML page, and a PDF printed from it.

Charts are embedded as static SVG images (rendered once each by kaleido through
:mod:`layers.static`), so the HTML needs no JavaScript and no internet, prints cleanly and
opens anywhere. The PDF is that HTML printed by headless Chromium (``--print-to-pdf``), which
works offline. Every report carries the date, the data attributions, the disclosure-control
note and, for the demo, the synthetic-data label.
"""

from __future__ import annotations

import base64
import html
import os
import shutil
import subprocess
import tempfile
from collections.abc import Set
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.indicators.footprint_profile import FootprintProfile, footprint_profile, format_value
from geo.place.bundle import atomic_write
from geo.place.model import SYNTHETIC_LABEL, Place

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
PDF_TIMEOUT_S = 120

CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1a1a1a;
       margin: 0 auto; max-width: 1000px; padding: 16px; font-size: 11pt; }
h1 { font-size: 20pt; margin: 0 0 4px; } h2 { font-size: 14pt; margin: 18px 0 6px; border-bottom: 2px solid #0072B2; }
.meta { color: #444; margin: 0 0 10px; }
.synthetic { background: #fff3cd; border: 2px solid #8a6d00; padding: 6px 10px; font-weight: bold; margin: 8px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { border: 1px solid #bbb; border-radius: 4px; padding: 6px 10px; min-width: 140px; flex: 1 1 140px; }
.card .v { font-size: 16pt; font-weight: bold; } .card .l { font-size: 9pt; color: #333; } .card .d { font-size: 8.5pt; color: #555; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 6px 0; }
th, td { border: 1px solid #ccc; padding: 3px 5px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
img.chart { width: 100%; height: auto; page-break-inside: avoid; }
img.chart.small { max-width: 640px; }
.worse { background: #fbe3d6; } .better { background: #d6e9f5; } .similar { background: #fbf7cf; }
.notes li, .sources li { font-size: 9pt; }
footer { margin-top: 16px; border-top: 1px solid #999; padding-top: 6px; font-size: 8.5pt; color: #333; }
section { page-break-inside: auto; }
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _num(value: object, unit: str = "", kind: str = "mean") -> str:
    if isinstance(value, float) and not np.isfinite(value):
        return "-"
    return format_value(value, unit, kind=kind)


def _img(svg: bytes | None, alt: str, *, small: bool = False) -> str:
    if not svg:
        return f"<p><em>{_e(alt)}: chart not available (no Chromium for static images).</em></p>"
    data = base64.b64encode(svg).decode("ascii")
    return f'<img class="chart{" small" if small else ""}" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _table(
    frame: pd.DataFrame, numeric: Set[str] = frozenset(), row_class: list[str] | None = None
) -> str:
    head = "".join(
        f'<th class="{"n" if c in numeric else ""}" scope="col">{_e(c)}</th>' for c in frame.columns
    )
    body = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        cells = "".join(
            f'<td class="{"n" if c in numeric else ""}">{_e(v)}</td>'
            for c, v in zip(frame.columns, row, strict=True)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_charts(place: Place, profile: FootprintProfile) -> dict[str, bytes | None]:
    """SVG bytes of the report's charts (``None`` each when Chromium is not available)."""
    from layers.profile_charts import age_band_figure, deprived_figure, footprint_map
    from layers.spine import spine_figure
    from layers.static import ExportUnavailable, figure_to_bytes

    figs = {
        "spine": (spine_figure(profile.spine, footprint=profile.footprint), 1000),
        "map": (footprint_map(place, profile.footprint, height=380), 640),
    }
    if len(profile.age_bands):
        figs["age"] = (age_band_figure(profile.age_bands, footprint=profile.footprint), 640)
    if len(profile.deprived):
        figs["deprived"] = (deprived_figure(profile.deprived, footprint=profile.footprint), 640)
    out: dict[str, bytes | None] = {}
    for name, (fig, width) in figs.items():
        height = int(fig.layout.height or 400)
        try:
            out[name] = figure_to_bytes(
                fig, fmt="svg", width=width, height=height, check_blank=name == "map"
            )
        except ExportUnavailable:
            out[name] = None
    return out


def profile_report_html(
    place: Place,
    footprint: str,
    *,
    threshold: float = 5,
    round_to: int | None = None,
    charts: bool = True,
    profile: FootprintProfile | None = None,
) -> str:
    """The whole printable report of ``footprint`` as one HTML document (text)."""
    p = profile or footprint_profile(place, footprint, threshold=threshold, round_to=round_to)
    svg = report_charts(place, p) if charts else {}
    label = p.footprint_label
    title = f"{p.place}: {label} profile, {p.footprint}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(p.footprint)}</h1>",
        f'<p class="meta">{_e(label)} profile for {_e(p.place)}. Produced {_e(p.generated_at)} by hubplan.</p>',
    ]
    if p.synthetic:
        parts.append(
            f'<p class="synthetic" role="note">Synthetic demo data ({_e(SYNTHETIC_LABEL)}): '
            "not real places or people. Do not use for decisions.</p>"
        )
    parts.append("</header>")

    cards = "".join(
        f'<div class="card"><div class="v">{_e(r.display)}</div>'
        f'<div class="l">{_e(r.label)}</div><div class="d">{_e(r.detail)}</div></div>'
        for r in p.headline.itertuples()
    )
    parts.append(f'<section><h2>Headline figures</h2><div class="cards">{cards}</div></section>')

    spine = p.spine
    rows = pd.DataFrame(
        {
            "Indicator": spine["label"] + spine["unit"].map(lambda u: f" ({u})" if u else ""),
            p.footprint: spine["display"],
            "Borough": [
                _num(v, u, k)
                for v, u, k in zip(spine["borough"], spine["unit"], spine["kind"], strict=True)
            ],
            "England": [_num(v, u) for v, u in zip(spine["england"], spine["unit"], strict=True)],
            "Worst": [
                _num(v, u, k) if h else ""
                for v, u, k, h in zip(
                    spine["worst"], spine["unit"], spine["kind"], spine["higher_is"], strict=True
                )
            ],
            "Best": [
                _num(v, u, k) if h else ""
                for v, u, k, h in zip(
                    spine["best"], spine["unit"], spine["kind"], spine["higher_is"], strict=True
                )
            ],
            "Rank": [
                f"{int(r)} of {n}" if np.isfinite(r) else "-"
                for r, n in zip(spine["rank"], spine["n"], strict=True)
            ],
            "Compared with borough": spine["vs_borough"],
        }
    )
    parts.append(
        "<section><h2>How this area compares</h2>"
        "<p>Spine chart: each row runs from the worst footprint (left) to the best (right) around "
        "the England value (or the borough where England is not given); the dark bar is the middle "
        "half of footprints, the diamond the borough and the circle this footprint (coloured where "
        "a 95% confidence interval shows it differs from the borough). Indicators with no direction "
        "run from lowest (left) to highest (right). Rank 1 is the worst footprint.</p>"
        + _img(svg.get("spine"), "Spine chart of every indicator")
        + _table(
            rows,
            {p.footprint, "Borough", "England", "Worst", "Best"},
            [v if v in ("worse", "better", "similar") else "" for v in spine["vs_borough"]],
        )
        + "</section>"
    )

    if len(p.deprived):
        d = p.deprived
        dep = pd.DataFrame(
            {
                "Deprivation measure": d["label"],
                "Children in deciles 1-2": [f"{v:,.0f}" for v in d["children"]],
                "All children": [f"{v:,.0f}" for v in d["total"]],
                "Share here": [f"{v:.1%}" if np.isfinite(v) else "-" for v in d["share"]],
                "Share in borough": [
                    f"{v:.1%}" if np.isfinite(v) else "-" for v in d["borough_share"]
                ],
            }
        )
        parts.append(
            "<section><h2>Children in the most deprived areas nationally</h2>"
            f"<p>Children ({_e(d['child_key'].iloc[0])}) living in small areas in national deciles 1 and 2 "
            "(the most deprived 20% of England).</p>"
            + _img(svg.get("deprived"), "Share of children in national deciles 1-2", small=True)
            + _table(
                dep, {"Children in deciles 1-2", "All children", "Share here", "Share in borough"}
            )
            + "</section>"
        )
    if len(p.age_bands):
        b = p.age_bands
        ages = pd.DataFrame(
            {
                "Age band": b["band"],
                "People": [f"{v:,.0f}" for v in b["count"]],
                "Share here": [f"{v:.1%}" for v in b["share"]],
                "Share in borough": [f"{v:.1%}" for v in b["borough_share"]],
            }
        )
        parts.append(
            "<section><h2>Population by age band</h2>"
            + _img(svg.get("age"), "Population by age band", small=True)
            + _table(ages, {"People", "Share here", "Share in borough"})
            + "</section>"
        )
    if p.access is not None:
        a = p.access
        parts.append(
            "<section><h2>Access to hubs</h2>"
            f"<p>{a['within']:,.0f} of {a['children']:,.0f} children "
            f"({a['share']:.0%}) live within {a['minutes']:g} minutes' {_e(a['mode'])} of a "
            f"{_e(a['hub_kind'].replace('_', ' '))} ({_e(a['note'])}).</p></section>"
        )
    parts.append(
        f"<section><h2>Map</h2>{_img(svg.get('map'), f'Map of {p.footprint} and its sites', small=True)}</section>"
    )
    sites = p.sites.copy()
    for col in sites.columns:
        sites[col] = sites[col].map(
            lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v
        )
    sites.columns = [str(c).replace("_", " ").capitalize() for c in sites.columns]
    parts.append(
        f"<section><h2>Schools and centres ({len(sites)})</h2>"
        + (_table(sites) if len(sites) else "<p>No sites in this footprint.</p>")
        + "</section>"
    )
    if p.notes:
        parts.append(
            '<section><h2>Notes</h2><ul class="notes">'
            + "".join(f"<li>{_e(n)}</li>" for n in p.notes)
            + "</ul></section>"
        )
    lines = [line for line in p.attributions.splitlines() if line.strip()]
    parts.append(
        '<footer><strong>Data sources and attributions</strong><ul class="sources">'
        + "".join(f"<li>{_e(line)}</li>" for line in lines)
        + f"</ul><p>Report produced {_e(p.generated_at)} with hubplan (Locality &amp; Hub Planner).</p></footer>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def chromium_binary() -> str:
    """The Chromium used to print PDFs (``HUBPLAN_CHROMIUM`` or ``BROWSER_PATH`` overrides)."""
    for env in ("HUBPLAN_CHROMIUM", "BROWSER_PATH"):
        if os.environ.get(env):
            return os.environ[env]
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    raise InputError(
        "PDF export needs Chromium, none found (install Debian's 'chromium' or set HUBPLAN_CHROMIUM)"
    )


def html_to_pdf(html_text: str) -> bytes:
    """Print an HTML document to PDF with headless Chromium (offline); return the PDF bytes."""
    binary = chromium_binary()
    with tempfile.TemporaryDirectory(prefix="hubplan-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        src.write_text(html_text, encoding="utf-8")
        cmd = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-extensions",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"Chromium did not print the PDF within {PDF_TIMEOUT_S} s") from None
        if not out.exists() or out.stat().st_size == 0:
            err = " ".join(proc.stderr.decode("utf-8", "replace").split())[-300:]
            raise InputError(f"Chromium failed to print the PDF (exit {proc.returncode}): {err}")
        return out.read_bytes()


def write_profile_report(
    place: Place,
    footprint: str,
    out: str | Path,
    *,
    fmt: str = "html",
    threshold: float = 5,
    round_to: int | None = None,
) -> Path:
    """Write the report of ``footprint`` to ``out`` (``html`` or ``pdf``), atomically."""
    if fmt not in ("html", "pdf"):
        raise InputError(f"unsupported report format {fmt!r}; use html or pdf")
    text = profile_report_html(place, footprint, threshold=threshold, round_to=round_to)
    path = Path(out)
    if fmt == "html":
        return atomic_write(
            path, lambda tmp: tmp.write_text(text, encoding="utf-8"), suffix=".html"
        )
    pdf = html_to_pdf(text)
    return atomic_write(path, lambda tmp: tmp.write_bytes(pdf), suffix=".pdf")
