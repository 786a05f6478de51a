"""``hubplan export-map``, ``hubplan export-data`` and ``hubplan export-profiles``.

Everything is checked (place, indicator, layers, footprint, scenario, output extension and
folder) before any rendering, and every file is written atomically, so a bad input gives one
error line, exit code 2 and no partial file.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from geo.errors import InputError
from geo.indicators.disclosure import DEFAULT_THRESHOLD
from geo.place.bundle import atomic_write, check_writable_folder, temp_folder
from hubplan.cli.output import add_footprints_option, open_place_view

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)
IMAGE_SUFFIXES = (".png", ".svg", ".pdf")
#: Map layers named in ``export-map --help`` (tests check them against layers.snapshot and
#: layers.overlays, which are not imported here to keep the CLI quick to start).
MAP_LAYERS = ("areas", "footprints", "sites")
MAP_OVERLAYS = ("clusters", "isochrones", "hotspots")


def _split(values: list[str] | None) -> list[str] | None:
    """``--layers a,b c`` -> ``[a, b, c]`` (``None`` when not given)."""
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _check_folder(path: Path) -> None:
    check_writable_folder(path.expanduser().resolve().parent)
    if path.expanduser().is_dir():
        raise InputError("the path is a folder, not a file", path=path)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-map",
        help="export a print-ready map snapshot (png, svg or pdf)",
        description=(
            "Render a map of PLACE with a title, legend and colourbar with units, the date and "
            "every data attribution, offline (kaleido + the system Chromium), on a white "
            "background. Sensitive small counts are greyed out. A blank map is never written."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--indicator",
        metavar="KEY",
        help="indicator for the area colours (default: first need indicator)",
    )
    p.add_argument(
        "--layers",
        nargs="+",
        metavar="LAYER",
        help=(
            f"layers to show (default: areas footprints sites): {', '.join(MAP_LAYERS)}; "
            f"any site kind of the place (e.g. school, family_hub); the overlays "
            f"{', '.join(MAP_OVERLAYS)} where the place has data for them. An unknown layer is "
            "an error naming the layers PLACE has"
        ),
    )
    p.add_argument("--footprint", metavar="NAME", help="zoom to this footprint and outline it")
    p.add_argument("--scenario", metavar="NAME", help="show the hubs of this saved scenario")
    p.add_argument("--title", help="map title (default: indicator and place)")
    p.add_argument(
        "--basemap",
        choices=("roads", "none", "osm", "carto"),
        help=(
            "what the map is drawn on, as on the dashboard: roads (the place's own network, "
            "offline), none (white), osm or carto (online tiles: needs internet). Default: "
            "roads when the place has a network, else none"
        ),
    )
    p.add_argument("--out", required=True, metavar="FILE.png|svg|pdf", help="image to write")
    p.add_argument("--width", type=int, default=1600, help="width in pixels (default %(default)s)")
    p.add_argument(
        "--height", type=int, default=1000, help="height in pixels (default %(default)s)"
    )
    p.add_argument(
        "--scale", type=float, default=1.0, help="pixel density for PNG (default %(default)s)"
    )
    p.add_argument(
        "--suppress-below",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="N",
        help="grey out sensitive counts below N (default %(default)s)",
    )
    add_footprints_option(p, what="map")
    p.set_defaults(func=cmd_export_map)

    p = sub.add_parser(
        "export-data",
        help="export areas, footprints, sites, isochrones or a scenario (geojson, gpkg, csv, xlsx)",
        description=(
            "Write data for partners: disclosure control applied (sensitive counts below the "
            "threshold shown as '*'), cells that could start a spreadsheet formula escaped. "
            "CSV is plain RFC 4180 (header on row 1, UTF-8 with BOM, labels with units as "
            "headers) with sources, licences, units and notes in FILE.csv-metadata.json (CSV on "
            "the Web); XLSX has a formatted Data sheet and an About sheet; GeoJSON (EPSG:4326) "
            "and GeoPackage (the place's CRS) get FILE.attribution.txt."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--what",
        required=True,
        choices=("areas", "footprints", "sites", "isochrones", "scenario"),
        help="what to export",
    )
    p.add_argument(
        "--out", required=True, metavar="FILE.geojson|gpkg|csv|xlsx", help="file to write"
    )
    p.add_argument(
        "--indicators", nargs="+", metavar="KEY", help="areas/footprints: only these indicators"
    )
    p.add_argument("--footprint", metavar="NAME", help="areas/footprints: only this footprint")
    p.add_argument(
        "--scenario",
        metavar="NAME",
        help="scenario: the saved scenario; isochrones: around its hubs",
    )
    p.add_argument(
        "--kinds", nargs="+", metavar="KIND", help="sites/isochrones: only sites of these kinds"
    )
    p.add_argument("--sites", nargs="+", metavar="ID", help="isochrones: around these site ids")
    p.add_argument(
        "--mode",
        default="walk",
        help="isochrones: walk, cycle, drive or transit (default %(default)s)",
    )
    p.add_argument(
        "--minutes", default="5,10,15,20", help="isochrones: bands in minutes (default %(default)s)"
    )
    p.add_argument(
        "--suppress-below",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="N",
        help="suppress sensitive counts below N (default %(default)s)",
    )
    p.add_argument(
        "--keys",
        action="store_true",
        help="csv/xlsx: stable column keys as headers instead of labels with units",
    )
    add_footprints_option(p, what="export")
    p.set_defaults(func=cmd_export_data)

    p = sub.add_parser(
        "export-profiles",
        help="write a PDF profile report for every footprint, plus an index",
        description=(
            "Write DIR/<footprint>.pdf for every footprint and DIR/index.html listing them with "
            "the sources. Built in a temporary folder first: on error DIR is left unchanged."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write into (created if missing)"
    )
    p.add_argument(
        "--format", choices=("pdf", "html"), default="pdf", help="report format (default pdf)"
    )
    p.add_argument(
        "--suppress-below",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="N",
        help="suppress sensitive counts below N (default %(default)s)",
    )
    add_footprints_option(p, what="profile")
    p.set_defaults(func=cmd_export_profiles)


# --------------------------------------------------------------------------- tables


def table_fmt(out: str | None) -> str:
    """``csv`` or ``xlsx`` from the suffix of ``--out`` (``csv`` for stdout)."""
    if out in (None, "-"):
        return "csv"
    from geo.export.tabular import TABLE_FORMATS
    from hubplan.cli.output import check_suffix

    return check_suffix(out, tuple(f".{f}" for f in TABLE_FORMATS)).suffix.lower()[1:]


def emit_table(
    place,
    frame,
    *,
    title: str,
    out: str | None,
    fmt: str = "csv",
    keys: bool = False,
    disclosure: str = "",
    notes: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
    overrides: dict | None = None,
) -> int:
    """Write a table about ``place`` with :mod:`geo.export.tabular` (to ``out`` or stdout).

    A file gets the metadata (a CSV its ``-metadata.json`` sidecar, an XLSX its About sheet);
    CSV on stdout is the plain table (no byte-order mark) and the metadata goes to stderr.
    ``labels`` and ``overrides`` (key -> :class:`~geo.export.tabular.Column`) are passed to
    :func:`~geo.export.tabular.columns_for`.
    """
    from geo.export import tabular
    from hubplan.cli.output import check_suffix

    columns = tabular.columns_for(
        frame, catalogue=place.catalogue, labels=labels, overrides=overrides
    )
    if out in (None, "-"):
        if fmt != "csv":
            raise InputError(f"--format {fmt} writes a file: give --out FILE.{fmt}")
        sys.stdout.write(tabular.csv_text(frame, columns, keys=keys))
        # Silence is the worst failure: the sources travel on stderr when there is no sidecar.
        meta = tabular.place_meta(place, title, notes=notes, disclosure=disclosure)
        print(f"{title}. " + " ".join(meta.lines()[1:]), file=sys.stderr)
        return 0
    path = check_suffix(out, (f".{fmt}",))
    _check_folder(path)
    meta = tabular.place_meta(place, title, notes=notes, disclosure=disclosure)
    paths = tabular.write_table(path, frame, columns, meta, keys=keys)
    print(f"wrote {' and '.join(str(p) for p in paths)}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- export-map


def cmd_export_map(args: argparse.Namespace) -> int:
    from hubplan.cli.output import check_suffix

    out = check_suffix(args.out, IMAGE_SUFFIXES)
    _check_folder(out)
    place = open_place_view(args.place, args.footprints)
    from layers.base import has_roads
    from layers.snapshot import DEFAULT_LAYERS, snapshot_figure
    from layers.static import figure_to_bytes

    if args.basemap == "roads" and not has_roads(place):
        raise InputError(
            f"--basemap roads: {place.name} has no road network to draw (it was built without "
            "street data); use --basemap none, osm or carto"
        )

    fig = snapshot_figure(
        place,
        indicator=args.indicator,
        layers=_split(args.layers) or list(DEFAULT_LAYERS),
        footprint=args.footprint,
        scenario=args.scenario,
        title=args.title,
        width=args.width,
        height=args.height,
        threshold=args.suppress_below,
        basemap=args.basemap,
    )
    data = figure_to_bytes(
        fig, fmt=out.suffix.lower()[1:], width=args.width, height=args.height, scale=args.scale
    )
    path = atomic_write(out, lambda tmp: tmp.write_bytes(data), suffix=out.suffix)
    print(f"wrote {path} ({len(data) / 1024:,.0f} KB)")
    return 0


# --------------------------------------------------------------------------- export-data


def cmd_export_data(args: argparse.Namespace) -> int:
    from geo.export import data as exports

    out, _ = exports.check_path(args.out)
    _check_folder(out)
    place = open_place_view(args.place, args.footprints)
    what = args.what
    allowed = {
        "areas": {"indicators", "footprint"},
        "footprints": {"indicators", "footprint"},
        "sites": {"kinds"},
        "isochrones": {"scenario", "kinds", "sites"},
        "scenario": {"scenario"},
    }[what]
    given = {
        name
        for name in ("indicators", "footprint", "scenario", "kinds", "sites")
        if getattr(args, name) is not None
    }
    extra = sorted(given - allowed)
    if extra:
        raise InputError(f"--{extra[0]} does not apply to --what {what}")
    options: dict = {}
    if what in ("areas", "footprints"):
        options = {
            "indicators": _split(args.indicators),
            "footprint": args.footprint,
            "threshold": args.suppress_below,
        }
    elif what == "sites":
        options = {"kinds": _split(args.kinds)}
    elif what == "isochrones":
        if args.sites and args.kinds:
            raise InputError("give --sites or --kinds, not both")
        options = {
            "kinds": _split(args.kinds),
            "sites": _split(args.sites),
            "scenario": args.scenario,
            "mode": args.mode,
            "minutes": args.minutes,
        }
    else:
        if not args.scenario:
            raise InputError("--what scenario needs --scenario NAME")
        options = {"name": args.scenario, "threshold": args.suppress_below}
    paths = exports.export_data(place, what, out, keys=args.keys, **options)
    print(f"wrote {paths[0]}" + "".join(f" and {p.name}" for p in paths[1:]))
    return 0


# --------------------------------------------------------------------------- export-profiles


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip()
    return "_".join(keep.split()) or "footprint"


def profiles_index_html(place, files: list[tuple[str, str]], *, fmt: str, when: datetime) -> str:
    """The index page listing every footprint's report with the sources."""
    e = html.escape
    rows = "\n".join(
        f'<li><a href="{e(f)}">{e(name)}</a> ({fmt.upper()})</li>' for name, f in files
    )
    sources = "\n".join(
        f"<li>{e(line)}</li>" for line in place.attribution_text().splitlines() if line.strip()
    )
    label = place.footprint_label
    banner = (
        '<p class="synthetic"><strong>Synthetic demo data</strong>: not real people or places.</p>'
        if place.synthetic
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(place.name)}: {e(label)} profiles</title>
<style>body{{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;color:#1a1a1a}}
.synthetic{{background:#fff3cd;padding:.5em}}</style></head>
<body><h1>{e(place.name)}: {e(label)} profiles</h1>
{banner}<p>{len(files)} reports, made {when:%d %B %Y %H:%M} UTC with hubplan.</p>
<ul>
{rows}
</ul>
<h2>Sources</h2>
<ul>
{sources}
</ul>
</body></html>
"""


def write_profile_reports(
    place, folder: Path, *, fmt: str, threshold: float, report
) -> list[tuple[str, str]]:
    """Write every footprint's report into ``folder``; return ``(footprint, file name)`` pairs.

    Pipelined: while Chromium prints one report to PDF (a separate process), the next report's
    charts are rendered by the shared kaleido server.
    """
    files: list[tuple[str, str]] = []
    used: set[str] = set()
    for name in place.footprint_names:
        stem = _safe_name(name)
        while stem.lower() in used:
            stem += "_"
        used.add(stem.lower())
        files.append((name, f"{stem}.{fmt}"))

    def print_pdf(text: str, path: Path) -> None:
        pdf = report.html_to_pdf(text)
        path.write_bytes(pdf)

    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = []
        try:
            for name, filename in files:
                text = report.profile_report_html(place, name, threshold=threshold)
                if fmt == "html":
                    (folder / filename).write_text(text, encoding="utf-8")
                else:
                    pending.append(pool.submit(print_pdf, text, folder / filename))
                # Surface a failed print early instead of after every report.
                for fut in [f for f in pending if f.done()]:
                    fut.result()
            for fut in pending:
                fut.result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return files


def cmd_export_profiles(args: argparse.Namespace) -> int:
    out_dir = Path(args.out).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("not a folder", path=out_dir)
    # The temporary folder is made beside the target, so both must be writable.
    check_writable_folder(out_dir.resolve().parent)
    if out_dir.is_dir():
        check_writable_folder(out_dir.resolve())
    place = open_place_view(args.place, args.footprints)
    try:
        from layers import report
    except ImportError:
        raise InputError(
            "profile reports are not available in this version (layers.report is missing)"
        ) from None

    when = datetime.now(UTC)
    # Build everything in a locked temporary folder beside the target, then move the files in;
    # a run killed with kill -9 leaves a folder the next run removes (geo.place.bundle).
    with temp_folder(out_dir) as tmp:
        files = write_profile_reports(
            place, tmp, fmt=args.format, threshold=args.suppress_below, report=report
        )
        (tmp / "index.html").write_text(
            profiles_index_html(place, files, fmt=args.format, when=when), encoding="utf-8"
        )
        out_dir.mkdir(exist_ok=True)
        for _, filename in [*files, ("index", "index.html")]:
            os.replace(tmp / filename, out_dir / filename)
    print(f"wrote {len(files)} {args.format.upper()} reports and index.html to {out_dir.resolve()}")
    return 0
