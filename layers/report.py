"""The printable footprint report: one self-contained HTML page, and a PDF printed from it.

The HTML comes from the Jinja2 template ``layers/templates/profile_report.html.j2`` filled
with :func:`geo.indicators.contract.profile_contract` (the same contract the page and
``hubplan profile --format json`` show). The spine bars and decile bars are plain HTML/CSS;
the map is SVG drawn from the polygons (:mod:`layers.report_map`), so the HTML needs no
JavaScript, no map tiles and no internet. A4, headings kept with their content, a running header (place, footprint,
date) and page numbers in ``@page`` margin boxes, nothing under 8 pt. The PDF is that HTML printed by the process's long-lived headless
Chromium (DevTools ``Page.printToPDF``, :mod:`layers.browser`), which works offline. Every report carries the date, the data attributions, the disclosure-control
note and, for the demo, the synthetic-data label.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup

from geo.errors import InputError
from geo.indicators.contract import profile_contract
from geo.indicators.footprint_profile import FootprintProfile, footprint_profile
from geo.numbers import format_number
from geo.place.bundle import atomic_write
from geo.place.model import Place
from layers.report_map import footprint_svg, site_styles
from layers.spine import VERDICT_STYLE, spine_positions, verdict_text

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
PDF_TIMEOUT_S = 120

FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
TEMPLATE = "profile_report.html.j2"
_env: jinja2.Environment | None = None


def template_env() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescaped HTML)."""
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _env


def css_string(text: str) -> Markup:
    """``text`` as the inside of a CSS string (for ``@page`` margin boxes)."""
    out = "".join(ch if ch.isalnum() or ch in " ,.:;()-_'/&·" else f"\\{ord(ch):x} " for ch in text)
    return Markup(out)


def _num(value: object, unit: str = "", kind: str = "mean") -> str:
    return format_number(value, kind=kind, unit=unit)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def report_charts(place: Place, profile: FootprintProfile) -> dict[str, bytes | None]:
    """SVG bytes of the report's map (drawn from the polygons: no browser needed)."""
    return {"map": footprint_svg(place, profile.footprint).encode("utf-8")}


def map_legend(place: Place, footprint: str) -> list[dict[str, str]]:
    """The site markers of the report map: ``{"colour", "label"}`` per kind in the footprint."""
    return [
        {"colour": colour, "label": f"{label} ({n})"}
        for _kind, label, colour, n in site_styles(place, footprint)
        if n
    ]


def _width(left: float | None, right: float | None) -> float | None:
    """A bar's width in percent (``spine_positions`` sets both ends or neither)."""
    if left is None:
        return None
    assert right is not None
    return round(100 * (right - left), 1)


def _spine_rows(contract: dict, notes: dict[str, str]) -> list[dict]:
    rows = []
    for r in contract["spine"]:
        pos = spine_positions(r)

        def pc(x: float | None) -> float | None:
            return None if x is None else round(100 * x, 1)

        rows.append(
            {
                "label": r["label"]
                + (f" ({r['unit']})" if r["unit"] and r["unit"] not in r["label"] else ""),
                "note": notes.get(r["key"], ""),
                "period": r["period"],
                "value": "*" if r["suppressed"] else _num(r["value"], r["unit"]),
                "ci": (
                    f"95% CI {_num(r['ci_low'], r['unit'])}-{_num(r['ci_high'], r['unit'])}"
                    if r["ci_low"] is not None
                    else ""
                ),
                "borough": _num(r["borough"], r["unit"]),
                "england": _num(r["england"], r["unit"]),
                "verdict": verdict_text(r),
                "verdict_class": r["verdict"] if r["verdict"] != "not compared" else "",
                "colour": VERDICT_STYLE[r["verdict"]][0],
                "pos": {
                    "left": pc(pos["left"]),
                    "range_w": _width(pos["left"], pos["right"]),
                    "iqr_left": pc(pos["iqr_left"]),
                    "iqr_w": _width(pos["iqr_left"], pos["iqr_right"]),
                    "borough": pc(pos["borough"]),
                    "england": pc(pos["england"]),
                    "value": pc(pos["value"]),
                },
            }
        )
    return rows


def _decile_rows(contract: dict) -> list[dict]:
    out = []
    for d in contract["deciles"]:
        top = (
            max(
                [b["share"] or 0 for b in d["bands"]]
                + [b["share"] or 0 for b in d["borough"]["bands"]]
            )
            or 1
        )
        bands = [
            {
                "name": str(b["decile"]),
                "share": _pct(b["share"]),
                "borough": _pct(bb["share"]),
                "w": round(100 * (b["share"] or 0) / top, 1),
                "bw": round(100 * (bb["share"] or 0) / top, 1),
            }
            for b, bb in zip(d["bands"], d["borough"]["bands"], strict=True)
        ]
        if d["no_decile"]["count"] or d["borough"]["no_decile"]["count"]:
            bands.append(
                {
                    "name": "No data",
                    "share": _pct(d["no_decile"]["share"]),
                    "borough": _pct(d["borough"]["no_decile"]["share"]),
                    "w": 0,
                    "bw": 0,
                }
            )
        low = sum(b["count"] for b in d["bands"][:2])
        who = d["weight_label"].lower()
        out.append(
            {
                "label": d["label"],
                "who": who,
                "bands": bands,
                "summary": (
                    f"{_num(low, kind='count')} of {_num(d['total'], kind='count')} ({who}) live in "
                    f"areas in national deciles 1-2 (the most deprived 20% of England). Decile 1 = "
                    f"most deprived 10%. Period: {d['period']}."
                ),
            }
        )
    return out


def report_context(
    place: Place,
    profile: FootprintProfile,
    contract: dict,
    *,
    map_svg: bytes | None,
) -> dict:
    """Everything the report template shows, as text (numbers formatted one way)."""
    marks = {}
    methods: list[dict[str, str]] = []
    for key, ind in place.catalogue.items():
        if ind.method:
            mark = chr(ord("a") + len(methods))
            marks[key] = mark
            methods.append({"mark": mark, "text": f"{ind.label}: {ind.method}."})
    counts = [
        {
            "label": r["label"],
            "note": marks.get(r["key"], ""),
            "period": r["period"],
            "value": "*" if r["suppressed"] else _num(r["value"], kind="count"),
            "borough": _num(r["borough"], kind="count"),
            "share": _pct(r["share_of_borough"]),
        }
        for r in contract["counts"]
    ]
    context = [
        {
            "label": r["label"],
            "period": r["period"],
            "value": "*" if r["suppressed"] else _num(r["value"], r["unit"]),
            "borough": _num(r["borough"], r["unit"]),
        }
        for r in contract["context"]
    ]
    site_rows, site_head = [], []
    groups = [g for g in contract["sites"] if g["sites"]]
    if groups:
        cols = list(dict.fromkeys(k for g in groups for s in g["sites"] for k in s))
        site_head = ["Kind"] + [c.replace("_", " ").capitalize() for c in cols]
        for g in groups:
            for s in g["sites"]:
                site_rows.append([g["label"]] + ["" if s.get(c) is None else s[c] for c in cols])
    missing = [
        f"{m['label']}: the figure here is {m['covers']} ({m['lacking']:,} without a value); "
        f"borough {m['borough_covers']}."
        for m in contract["missing"]
        if m["lacking"] or m["borough_with_value"] < m["borough_areas"]
    ]
    access = None
    if profile.access is not None and np.isfinite(profile.access["share"]):
        a = profile.access
        access = (
            f"{a['within']:,.0f} of {a['children']:,.0f} children ({_num(100 * a['share'], '%')}) live within "
            f"{a['minutes']:g} minutes' {a['mode']} of a {a['hub_kind'].replace('_', ' ')} "
            f"({a['note']})."
        )
    produced = profile.generated_at
    header = (
        f"{contract['place']} · {contract['footprint_label']}: {contract['footprint']} · {produced}"
    )
    return {
        "c": contract,
        "font": Markup(FONT),
        "running_header": css_string(header),
        "running_footer": css_string(
            "Synthetic demo data: not real figures"
            if contract["synthetic"]
            else f"hubplan · {contract['place']}"
        ),
        "produced": produced,
        "plural_label": place.footprint_plural.lower(),
        "headline": profile.headline.to_dict("records"),
        "spine": _spine_rows(contract, marks),
        "context": context,
        "counts": counts,
        "deciles": _decile_rows(contract),
        "access": access,
        "map_svg": base64.b64encode(map_svg).decode("ascii") if map_svg else None,
        "map_legend": map_legend(place, contract["footprint"]) if map_svg else [],
        "site_head": site_head,
        "site_rows": site_rows,
        "n_sites": len(site_rows),
        "missing": missing,
        "methods": methods,
    }


def profile_report_html(
    place: Place,
    footprint: str,
    *,
    threshold: float = 5,
    round_to: int | None = None,
    charts: bool = True,
    profile: FootprintProfile | None = None,
) -> str:
    """The whole printable report of ``footprint`` as one HTML document (Jinja2 template)."""
    p = profile or footprint_profile(place, footprint, threshold=threshold, round_to=round_to)
    contract = profile_contract(place, footprint, threshold=threshold, round_to=round_to)
    svg = report_charts(place, p).get("map") if charts else None
    ctx = report_context(place, p, contract, map_svg=svg)
    return template_env().get_template(TEMPLATE).render(**ctx)


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
    """Print an HTML document to PDF (offline); return the PDF bytes.

    Printed by the process's shared export Chromium (:func:`layers.static.print_pdf`: started
    once, reused by every map image and PDF, restarted if it died), so a warm report costs
    a page load and a print rather than a browser start.
    """
    from layers.static import print_pdf

    return print_pdf(html_text, timeout=PDF_TIMEOUT_S)


def html_to_pdf_fresh(html_text: str) -> bytes:
    """Print an HTML document to PDF with a new headless Chromium process (``--print-to-pdf``).

    The slower way (a browser start per PDF), kept for the benchmark's comparison and for
    environments where a long-lived browser is unwanted.
    """
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
