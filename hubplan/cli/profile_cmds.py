"""``hubplan need-index`` and ``hubplan add-indicator``: a place's own need index and indicators."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from geo.build.places import open_place, resolve_place
from geo.errors import InputError
from geo.indicators.need_index import (
    NeedIndexSpec,
    apply_need_index,
    children_preset,
    parse_weights,
    save_need_index,
)
from geo.indicators.profile import profile_table
from geo.indicators.uploads import MAX_BYTES, UploadError, store_upload
from geo.place.config import Indicator
from geo.place.postgis import describe

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "need-index",
        help="compute (and save) a composite need index",
        description=(
            "Blend indicators into one need index: each is standardised across the place's areas "
            "(z-scores or percentile ranks), turned so higher means more need (indicators with "
            "higher_is = better are reversed), and weighted. Prints the index by footprint; "
            "--save stores the index and its weights in the bundle (atomically)."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--preset", choices=("children",), help="the shipped children's-need preset")
    how.add_argument(
        "--weights",
        metavar="KEY=W,...",
        help="indicator weights, e.g. idaci_score=2,health_score=1",
    )
    p.add_argument(
        "--method",
        choices=("z", "rank"),
        default="z",
        help="standardise by z-score (default) or rank",
    )
    p.add_argument(
        "--key", default="need_index", help="key of the new indicator (default need_index)"
    )
    p.add_argument("--label", help="label of the new indicator")
    p.add_argument("--save", action="store_true", help="save the index into the place bundle")
    p.add_argument(
        "--out",
        metavar="FILE.csv",
        help="write the footprint table to FILE.csv (plus FILE.csv-metadata.json) instead of stdout",
    )
    p.add_argument(
        "--keys", action="store_true", help="stable column keys as headers instead of labels"
    )
    p.set_defaults(func=cmd_need_index)

    p = sub.add_parser(
        "add-indicator",
        help="add your own indicator from a CSV keyed by area code",
        description=(
            "Validate a CSV of values by area code (unknown or duplicate codes, non-numeric "
            "values, negative counts, size limit, encoding) and, only when the whole file is "
            "valid, store it in the place bundle as a new indicator (atomically)."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument("--csv", required=True, metavar="FILE", help="the CSV file")
    p.add_argument("--code", required=True, metavar="COL", help="column holding the area codes")
    p.add_argument("--column", required=True, metavar="COL", help="column holding the values")
    p.add_argument("--key", required=True, help="key of the new indicator (letters, digits, _)")
    p.add_argument("--label", required=True, help="label shown in maps, profiles and exports")
    p.add_argument(
        "--kind", choices=("count", "mean"), default="count", help="count (summed) or mean"
    )
    p.add_argument("--unit", default="", help="unit, e.g. children or %%")
    p.add_argument("--higher-is", choices=("worse", "better"), help="direction of need")
    p.add_argument(
        "--weight", metavar="KEY", help="for a mean: weight by this indicator (e.g. population)"
    )
    p.add_argument("--england", type=float, help="England value to compare with")
    p.add_argument(
        "--sensitive", action="store_true", help="small counts are suppressed in outputs"
    )
    p.add_argument("--source", default="", help="where the data comes from")
    p.add_argument("--attribution", default="", help="attribution text the data's licence requires")
    p.add_argument("--vintage", default="", help="date or period of the data")
    p.add_argument(
        "--replace", action="store_true", help="replace an earlier upload with the same key"
    )
    p.add_argument(
        "--max-mb",
        type=float,
        default=MAX_BYTES / 1e6,
        help="size limit in MB (default %(default)g)",
    )
    p.add_argument(
        "--strict-codes",
        action="store_true",
        help="refuse the file if any area code is not an area of the place "
        "(default: such rows are ignored and counted)",
    )
    p.set_defaults(func=cmd_add_indicator)


def _bundle_path(spec: str) -> Path | str:
    path = resolve_place(spec)
    if isinstance(path, str):  # a PostGIS place
        return path
    if path.suffix.lower() != ".gpkg":
        raise InputError("can only save into a place bundle (.gpkg)", path=path)
    return path


def cmd_need_index(args: argparse.Namespace) -> int:
    place = open_place(args.place)
    if args.preset:
        spec = children_preset(place.catalogue, method=args.method)
    else:
        spec = NeedIndexSpec(weights=parse_weights(args.weights), method=args.method)
    label = args.label or ("Children's need index" if args.preset else "Need index")
    spec = NeedIndexSpec(
        weights=spec.weights,
        method=spec.method,
        key=args.key,
        label=label,
        preset=spec.preset,
        themes=spec.themes,
    )
    if args.save:
        place = save_need_index(_bundle_path(args.place), spec)
    else:
        from geo.place._edit import copy_place

        place = apply_need_index(copy_place(place), spec)
    table = profile_table(place)[["footprint", "areas", spec.key]]
    groups = table["footprint"] != "All areas"
    table["rank"] = pd.NA
    table.loc[groups, "rank"] = (
        table.loc[groups, spec.key].rank(ascending=False, method="min").astype("Int64")
    )
    ind = place.catalogue[spec.key]
    from hubplan.cli.export_cmds import emit_table

    notes = [ind.description] + ([f"Saved into {describe(place.path)}."] if args.save else [])
    return emit_table(
        place,
        table,
        title=f"{place.name}: {ind.label} ({spec.key})",
        out=args.out,
        fmt="csv",
        keys=args.keys,
        notes=tuple(n for n in notes if n),
        labels={
            "footprint": place.footprint_label,
            "areas": "Number of small areas",
            "rank": "Rank (1 = highest)",
        },
    )


def cmd_profile_report(args: argparse.Namespace, place) -> int:
    """``hubplan profile PLACE --footprint NAME --format html|pdf --out FILE``."""
    from geo.indicators.footprint_profile import check_footprint
    from layers.report import write_profile_report

    if not args.footprint:
        raise InputError(
            f"--format {args.format} makes the report of one footprint: give --footprint NAME "
            f"(one of {', '.join(place.footprint_names)})"
        )
    check_footprint(place, args.footprint)
    if not args.out or args.out == "-":
        raise InputError(f"--format {args.format} needs --out FILE.{args.format}")
    from hubplan.cli.output import check_suffix

    out = check_suffix(args.out, (f".{args.format}",))
    path = write_profile_report(
        place,
        args.footprint,
        out,
        fmt=args.format,
        threshold=args.suppress_below,
        round_to=args.round,
    )
    print(f"wrote {path}")
    return 0


def cmd_profile_contract(args: argparse.Namespace, place) -> int:
    """``hubplan profile PLACE --footprint NAME --format json``: the profile contract."""
    from geo.indicators.contract import profile_contract
    from geo.indicators.footprint_profile import check_footprint
    from geo.tables import to_json
    from hubplan.cli.output import emit_text

    check_footprint(place, args.footprint)
    contract = profile_contract(
        place, args.footprint, threshold=args.suppress_below, round_to=args.round
    )
    emit_text(to_json(contract), args.out, suffixes=(".json",))
    return 0


def cmd_add_indicator(args: argparse.Namespace) -> int:
    path = _bundle_path(args.place)
    csv_path = Path(args.csv).expanduser()
    if not csv_path.is_file():
        raise InputError("CSV file not found", path=csv_path)
    if not (math.isfinite(args.max_mb) and 0 < args.max_mb <= 10_000):
        raise InputError(
            f"--max-mb must be a number of megabytes between 0 and 10000, got {args.max_mb}"
        )
    limit = int(args.max_mb * 1e6)
    if csv_path.stat().st_size > limit:
        raise UploadError(
            [
                f"the file is {csv_path.stat().st_size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB"
            ],
            path=csv_path,
        )
    indicator = Indicator(
        key=args.key,
        label=args.label,
        kind=args.kind,
        unit=args.unit,
        higher_is=args.higher_is,
        weight=args.weight,
        england=args.england,
        sensitive=args.sensitive,
        source=args.source,
        attribution=args.attribution,
        vintage=args.vintage,
    )
    place, upload = store_upload(
        path,
        csv_path.read_bytes(),
        filename=str(csv_path),
        code_column=args.code,
        value_column=args.column,
        indicator=indicator,
        max_bytes=limit,
        replace_existing=args.replace,
        plain_filename=False,  # a local path the user typed, not a browser's file name
        unknown_codes="error" if args.strict_codes else "warn",
    )
    print(
        f"added indicator {upload.indicator.key!r} ({upload.indicator.label}) to {describe(place.path)}: "
        f"{upload.rows} rows; " + "; ".join(upload.notes)
    )
    return 0
