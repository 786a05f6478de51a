"""``hubplan build``, ``hubplan info`` and ``hubplan profile``."""

from __future__ import annotations

import argparse
import sys

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.profile import disclosed_profile
from geo.place.postgis import describe
from geo.tables import records, to_json
from hubplan.cli.output import add_footprints_option, emit_text, open_place_view

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="build a place bundle from a place config (TOML)",
        description="Read every source in CONFIG, check it, and write one GeoPackage bundle atomically.",
    )
    p.add_argument("config", metavar="CONFIG.toml", help="place config file")
    p.add_argument(
        "--out",
        required=True,
        metavar="PLACE.gpkg",
        help="bundle to write, or a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="when --out exists, do not carry over its uploaded indicators, need indices "
        "and footprint sets (kept by default)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or findings")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "info",
        help="summarise a place bundle",
        description="Print a place's areas, footprints, sites, indicators, sources and build findings.",
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "profile",
        help="footprint profile: table (csv, xlsx, json) or printable report (html, pdf)",
        description="One row per footprint plus 'All areas': areas, every indicator aggregated by kind, and sites by kind. "
        "html and pdf give the printable report of one footprint (--footprint). "
        "Counts of sensitive indicators below --suppress-below are shown as '*'.",
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--format",
        choices=("csv", "xlsx", "json", "html", "pdf"),
        default="csv",
        help="csv/xlsx/json: the table (default csv; a CSV file gets FILE.csv-metadata.json, "
        "xlsx an About sheet); html/pdf: the printable report of --footprint",
    )
    p.add_argument(
        "--keys",
        action="store_true",
        help="csv/xlsx: stable column keys as headers instead of labels with units",
    )
    p.add_argument(
        "--footprint",
        metavar="NAME",
        help="only this footprint (plus 'All areas'); required for html/pdf; with json, the "
        "full profile (spine with verdicts, counts, deciles, missing data, sites)",
    )
    p.add_argument(
        "--out", metavar="FILE", help="write to FILE instead of stdout (required for pdf)"
    )
    add_footprints_option(p, what="profile")
    p.add_argument(
        "--suppress-below",
        type=float,
        default=5,
        metavar="N",
        help="disclosure control: suppress sensitive counts below N (default 5; 0 = off)",
    )
    p.add_argument(
        "--round",
        type=int,
        default=None,
        metavar="BASE",
        help="disclosure control: round visible sensitive counts to the nearest BASE (e.g. 5)",
    )
    p.set_defaults(func=cmd_profile)


def cmd_build(args: argparse.Namespace) -> int:
    place = build_bundle(
        args.config,
        args.out,
        progress=not args.quiet and sys.stderr.isatty(),
        keep_added=not args.fresh,
    )
    if not args.quiet:
        for finding in place.findings:
            print(f"  {finding}", file=sys.stderr)
    kinds = place.sites["kind"].value_counts().to_dict() if len(place.sites) else {}
    print(
        f"built {describe(place.path)}: {len(place.areas)} areas, {len(place.footprints)} footprints, "
        f"{len(place.sites)} sites {kinds}, {len(place.catalogue)} indicators, "
        f"{sum(f.level == 'warning' for f in place.findings)} warning(s)"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    place = open_place(args.place)
    out = [f"{place.name}" + ("  [synthetic demo data]" if place.synthetic else "")]
    out.append(f"  bundle:      {describe(place.path)}")
    out.append(f"  built:       {place.meta.get('built_at', '?')}   crs: {place.crs}")
    out.append(f"  areas:       {len(place.areas)}")
    fp = place.areas["footprint"].value_counts().sort_index()
    out.append(
        f"  {place.footprint_plural.lower() + ':':12} {len(fp)}  "
        + ", ".join(f"{k} ({v})" for k, v in fp.items())
    )
    kinds = place.sites["kind"].value_counts().sort_index() if len(place.sites) else {}
    out.append("  sites:       " + (", ".join(f"{k} {v}" for k, v in kinds.items()) or "none"))
    out.append(f"  network:     {place.meta.get('network_source', 'crowfly')}")
    out.append(f"  indicators:  {len(place.catalogue)}")
    for ind in place.catalogue.values():
        extra = f" [{ind.unit}]" if ind.unit else ""
        flags = "".join(
            [
                " sensitive" if ind.sensitive else "",
                f" higher is {ind.higher_is}" if ind.higher_is else "",
            ]
        )
        out.append(f"    {ind.key:28} {ind.kind:6} {ind.label}{extra}{flags}")
    out.append("  sources:")
    out += [f"    {a.text}" for a in place.attributions]
    warnings = [f for f in place.findings if f.level == "warning"]
    out.append(f"  build findings: {len(warnings)} warning(s)")
    out += [f"    {f.message}" for f in warnings]
    print("\n".join(out))
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    place = open_place_view(args.place, args.footprints)
    if args.format in ("html", "pdf"):
        from hubplan.cli.profile_cmds import cmd_profile_report

        return cmd_profile_report(args, place)
    if args.format == "json" and args.footprint:
        from hubplan.cli.profile_cmds import cmd_profile_contract

        return cmd_profile_contract(args, place)
    disclosed = disclosed_profile(place, suppress_below=args.suppress_below, round_to=args.round)
    table = disclosed.table
    if args.footprint:
        if args.footprint not in place.footprint_names:
            raise InputError(
                f"unknown footprint {args.footprint!r}; known: {', '.join(place.footprint_names)}"
            )
        table = table[table["footprint"].isin([args.footprint, "All areas"])]
    if args.format in ("csv", "xlsx"):
        from hubplan.cli.export_cmds import emit_table

        return emit_table(
            place,
            table,
            title=f"{place.name}: {place.footprint_label.lower()} profile",
            disclosure=disclosed.note or "",
            labels={"footprint": place.footprint_label, "areas": "Number of small areas"},
            out=args.out,
            fmt=args.format,
            keys=args.keys,
        )
    else:
        text = to_json(
            {
                "place": place.name,
                "synthetic": place.synthetic,
                "disclosure": disclosed.note,
                "attributions": [a.text for a in place.attributions],
                "indicators": {
                    k: {"label": i.label, "kind": i.kind, "unit": i.unit}
                    for k, i in place.catalogue.items()
                },
                "rows": records(table),
            }
        )
    emit_text(text, args.out, suffixes=(f".{args.format}",))
    return 0
