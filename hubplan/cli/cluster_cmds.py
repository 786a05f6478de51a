"""``hubplan cluster``, ``hubplan hotspots`` and ``hubplan school-clusters``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyproj

from geo.build.places import open_place
from geo.clusters.design import (
    FootprintDesign,
    check_set_name,
    design_footprints,
    save_design,
)
from geo.clusters.hotspots import METHODS as HOTSPOT_METHODS
from geo.clusters.hotspots import hotspots
from geo.clusters.regionalize import METHODS
from geo.clusters.school_clusters import school_clusters
from geo.errors import InputError
from geo.export.tabular import Column, indicator_column
from geo.place.bundle import atomic_write
from geo.place.postgis import describe, is_database_url
from geo.place.readers import read_table
from hubplan.cli.output import check_suffix

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)


#: The columns of a ``code,footprint`` lookup (``hubplan cluster --out``, the Clusters page):
#: the keys are the headers, so the file loads back through ``[footprints]`` in a config.
LOOKUP_COLUMNS = (
    Column("code", "code", description="Small-area code"),
    Column("footprint", "footprint", description="The designed footprint of the area"),
)


def lookup_notes(design: FootprintDesign) -> tuple[str, ...]:
    """The notes that travel with a design's lookup (its sidecar)."""
    return (
        f"Balanced on the indicator {design.balance!r}.",
        *design.notes,
        'Loads back through [footprints] in a place config (code = "code", name = "footprint").',
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cluster",
        help="design K contiguous footprints balanced on an indicator",
        description=(
            "Group the place's areas into K footprints that share boundaries (contiguous), hold "
            "as equal a share as possible of the balance indicator, and are reasonably compact. "
            "Writes a code,footprint lookup that loads back through [footprints] in a place "
            'config (code = "code", name = "footprint"), with the design notes and sources in '
            "a LOOKUP.csv-metadata.json sidecar; --save-as also stores it in the bundle as an "
            "alternative footprint set."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument("--k", type=int, required=True, metavar="K", help="number of footprints")
    p.add_argument(
        "--balance",
        required=True,
        metavar="KEY",
        help="indicator key to balance (e.g. children_0_17, population, need_index)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default="grow",
        help="grow (hubplan: region growing + balancing local search, default), or PySAL "
        "spopt skater / azp / ward followed by the balancing local search",
    )
    p.add_argument(
        "--respect",
        metavar="COLUMN",
        help="never split a group: an area column (e.g. footprint) or, with "
        "--respect-file, a column of that file (e.g. ward)",
    )
    p.add_argument(
        "--respect-file",
        metavar="FILE.csv",
        help="lookup file giving each area's group (with --respect COLUMN)",
    )
    p.add_argument(
        "--respect-code",
        default="code",
        metavar="COLUMN",
        help="area code column of --respect-file (default: code)",
    )
    p.add_argument(
        "--no-refine",
        action="store_true",
        help="with an spopt method, keep its raw result (no balancing local search)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        metavar="FRACTION",
        help="balance band the compactness polish stays within (default 0.05 = ±5%%)",
    )
    p.add_argument(
        "--prefix", default="Designed", help="footprint names are PREFIX 1..K (default Designed)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--out", required=True, metavar="LOOKUP.csv", help="lookup file to write (code,footprint)"
    )
    p.add_argument(
        "--save-as", metavar="NAME", help="also save the set in the place bundle under NAME"
    )
    p.set_defaults(func=cmd_cluster)

    p = sub.add_parser(
        "hotspots",
        help="significant hot and cold spots of an indicator (Gi* or local Moran's I)",
        description=(
            "Local spatial statistics over shared-boundary neighbours (PySAL esda) with "
            "conditional permutation p-values, corrected for multiple testing with the "
            "Benjamini-Hochberg false discovery rate. Each area is classed hot, cold (or, for "
            "Moran, an outlier) or not significant; the method is stated in the output."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument("--indicator", required=True, metavar="KEY", help="indicator key")
    p.add_argument(
        "--method",
        choices=HOTSPOT_METHODS,
        default="gi",
        help="gi = Getis-Ord Gi* (default), moran = local Moran's I",
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=None,
        help="permutations (default 9999 for up to 2,000 areas, else 999)",
    )
    p.add_argument(
        "--alpha", type=float, default=0.05, help="significance level / FDR (default 0.05)"
    )
    p.add_argument(
        "--no-fdr", action="store_true", help="no multiple-testing correction (not advised)"
    )
    p.add_argument("--seed", type=int, default=0, help="permutation seed (default 0)")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="FILE.csv, FILE.xlsx or FILE.geojson"
    )
    p.add_argument(
        "--keys", action="store_true", help="CSV: stable column keys as headers instead of labels"
    )
    p.set_defaults(func=cmd_hotspots)

    p = sub.add_parser(
        "school-clusters",
        help="group schools into clusters around hubs (travel time) or by footprint",
        description=(
            "Assign every school to the cluster of its nearest hub by travel time (by hub) or to "
            "its footprint (by footprint), and summarise each cluster: areas, children, need "
            "and schools by phase."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument("--by", choices=("hub", "footprint"), default="hub")
    p.add_argument("--hub-kind", metavar="KIND", help="site kind of the hubs (default family_hub)")
    p.add_argument("--hubs", metavar="ID,ID,...", help="only these site ids are hubs")
    p.add_argument("--mode", default="walk", help="travel mode (walk, cycle, drive)")
    p.add_argument(
        "--out", metavar="SUMMARY.csv", help="cluster summary, .csv or .xlsx (default: stdout)"
    )
    p.add_argument(
        "--schools-out", metavar="SCHOOLS.csv", help="also write one row per school (.csv, .xlsx)"
    )
    p.add_argument(
        "--keys", action="store_true", help="stable column keys as headers instead of labels"
    )
    p.set_defaults(func=cmd_school_clusters)


def _respect(args: argparse.Namespace, place) -> pd.Series | str | None:
    if args.respect_file and not args.respect:
        raise InputError("--respect-file needs --respect COLUMN (the group column of the file)")
    if not args.respect:
        return None
    if not args.respect_file:
        return args.respect
    df = read_table(args.respect_file, dtype_str=[args.respect_code])
    for col in (args.respect_code, args.respect):
        if col not in df.columns:
            raise InputError(
                f"missing column {col!r} (columns: {', '.join(map(str, df.columns))})",
                path=args.respect_file,
            )
    lookup = pd.Series(
        df[args.respect].astype(str).to_numpy(), index=df[args.respect_code].astype(str).str.strip()
    )
    lookup = lookup[~lookup.index.duplicated()]
    missing = place.areas.index.astype(str).difference(lookup.index).tolist()
    if missing:
        raise InputError(
            f"the file misses {len(missing)} area(s): {', '.join(missing[:20])}",
            path=args.respect_file,
        )
    return lookup


def cmd_cluster(args: argparse.Namespace) -> int:
    out = check_suffix(args.out, (".csv",))
    place = open_place(args.place)
    if args.save_as:
        if place.path is None or (
            not is_database_url(place.path) and Path(place.path).suffix.lower() != ".gpkg"
        ):
            raise InputError("--save-as needs a place bundle (.gpkg) or a PostGIS place")
        check_set_name(place, args.save_as)
    design = design_footprints(
        place,
        k=args.k,
        balance=args.balance,
        method=args.method,
        respect=_respect(args, place),
        refine=not args.no_refine,
        prefix=args.prefix,
        seed=args.seed,
        tolerance=args.tolerance,
    )
    result = design.result
    from hubplan.cli.export_cmds import emit_table

    emit_table(
        place,
        design.lookup(),
        title=f"{place.name}: footprint lookup of {result.k} designed footprints",
        out=str(out),
        notes=lookup_notes(design),
        overrides={c.key: c for c in LOOKUP_COLUMNS},
    )
    for note in result.notes:
        print(f"  note: {note}", file=sys.stderr)
    if args.save_as:
        save_design(place, design, args.save_as)
    totals = result.totals()
    counts = result.assignment.value_counts()
    mean = totals.mean()
    lines = [
        f"{place.name}: {result.k} footprints by {result.method}, balanced on {result.basis}"
        + (" [synthetic demo data]" if place.synthetic else ""),
        f"  {'footprint':24} {'areas':>6} {'total':>12} {'% of mean':>10}",
    ]
    for name, total in totals.items():
        lines.append(f"  {name:24} {counts[name]:6d} {total:12,.1f} {100 * total / mean:9.1f}%")
    lines.append(
        f"  largest deviation from the mean: {100 * result.max_deviation():.1f}%  ({result.seconds:.1f} s)"
    )
    lines.append(
        f"wrote {out}"
        + (
            f"; saved as footprint set {args.save_as!r} in {describe(place.path)}"
            if args.save_as
            else ""
        )
    )
    print("\n".join(lines))
    return 0


def cmd_hotspots(args: argparse.Namespace) -> int:
    out = check_suffix(args.out, (".csv", ".xlsx", ".geojson"))
    place = open_place(args.place)
    result = hotspots(
        place,
        indicator=args.indicator,
        method=args.method,
        permutations=args.permutations,
        alpha=args.alpha,
        fdr=not args.no_fdr,
        seed=args.seed,
    )
    table = result.table.reset_index()
    table.insert(1, "name", place.areas["name"].to_numpy())
    table = table.rename(columns={"cls": "class"})
    attributions = place.attribution_text().splitlines()
    if out.suffix.lower() in (".csv", ".xlsx"):
        from hubplan.cli.export_cmds import emit_table

        emit_table(
            place,
            table,
            title=f"{place.name}: hot and cold spots of {args.indicator}",
            out=str(out),
            fmt=out.suffix.lower()[1:],
            keys=args.keys,
            notes=(f"Method: {result.method_text}", *result.notes),
            overrides=hotspot_columns(place, args.indicator, args.method),
        )
    else:
        import geopandas as gpd

        gdf = gpd.GeoDataFrame(
            table, geometry=place.areas.geometry.to_numpy(), crs=place.crs
        ).to_crs("EPSG:4326")
        payload = json.loads(gdf.to_json(na="null", drop_id=True))
        payload = {
            "type": "FeatureCollection",
            "name": f"{place.name}: hot and cold spots of {args.indicator}",
            "method": result.method_text,
            "attribution": attributions,
            "features": payload["features"],
        }
        text = json.dumps(payload, ensure_ascii=False)
        atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), suffix=".geojson")
    counts = result.counts()
    print(
        f"{result.method_text}\n  "
        + ", ".join(f"{k}: {v}" for k, v in counts.items())
        + f"\nwrote {out}"
    )
    for note in result.notes:
        print(f"  note: {note}", file=sys.stderr)
    return 0


def cmd_school_clusters(args: argparse.Namespace) -> int:
    from hubplan.cli.export_cmds import emit_table, table_fmt

    fmt = table_fmt(args.out)
    schools_fmt = table_fmt(args.schools_out) if args.schools_out else "csv"
    place = open_place(args.place)
    hub_ids = [h.strip() for h in args.hubs.split(",") if h.strip()] if args.hubs else None
    result = school_clusters(
        place, by=args.by, hub_kind=args.hub_kind, hub_ids=hub_ids, mode=args.mode
    )
    title = f"{place.name}: school clusters ({args.by})"
    columns = school_cluster_columns(place, result, mode=args.mode, by=args.by)
    notes = (result.method_text,)
    emit_table(
        place,
        result.summary,
        title=title,
        out=args.out,
        fmt=fmt,
        keys=args.keys,
        notes=notes,
        overrides=columns,
    )
    if args.schools_out:
        emit_table(
            place,
            result.schools,
            title=f"{title}: one row per school",
            out=args.schools_out,
            fmt=schools_fmt,
            keys=args.keys,
            notes=notes,
            overrides=columns,
        )
    if args.out not in (None, "-"):
        print(f"{result.method_text}\nwrote {args.out}")
    return 0


def hotspot_columns(place, indicator: str, method: str) -> dict[str, Column]:
    """Labels with units for the hot spot table (``hubplan hotspots --out FILE.csv``)."""
    value = Column("value", indicator)
    if indicator in place.catalogue:
        value = replace(indicator_column(place.catalogue[indicator]), key="value")
    statistic = "Getis-Ord Gi* statistic" if method == "gi" else "Local Moran's I"
    return {
        "code": Column("code", "Area code"),
        "name": Column("name", "Area name"),
        "value": value,
        "statistic": Column("statistic", statistic, kind="number", decimals=4),
        "z": Column("z", "z-score", kind="number", decimals=3),
        "p": Column(
            "p", "Pseudo p-value", kind="number", decimals=5,
            description="Conditional permutation pseudo p-value, before correction.",
        ),
        "p_adjusted": Column(
            "p_adjusted", "Adjusted p-value", kind="number", decimals=5,
            description="After the multiple-testing correction stated in the notes.",
        ),
        "class": Column("class", "Class", description="hot, cold, outlier or not significant"),
    }  # fmt: skip


def school_cluster_columns(place, result, *, mode: str, by: str) -> dict[str, Column]:
    """Labels with units for the school cluster summary and the one-row-per-school table."""
    columns = {
        "cluster": Column(
            "cluster", "Cluster", description="the hub's name" if by == "hub" else "the footprint"
        ),
        "areas": Column("areas", "Number of small areas", kind="count"),
        "schools": Column("schools", "Schools", "schools", "count"),
        "site_id": Column("site_id", "School id"),
        "name": Column("name", "School name"),
        "phase": Column("phase", "Phase"),
        "minutes": Column(
            "minutes",
            f"Minutes to the cluster's hub by {mode}",
            "minutes",
            "number",
            description="empty when schools are grouped by footprint",
        ),
    }
    for key in result.summary.columns:
        if str(key).startswith("phase: "):
            phase = str(key).removeprefix("phase: ")
            columns[str(key)] = Column(str(key), f"Schools, phase {phase}", "schools", "count")
    crs = pyproj.CRS.from_user_input(place.crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    unit = {"metre": "m", "degree": "degrees"}.get(unit, unit)
    name = crs.to_string()
    for key, axis in (("x", "X"), ("y", "Y")):
        columns[key] = Column(
            key, f"{axis} coordinate", unit, "number", description=f"in the place's CRS ({name})"
        )
    return columns
