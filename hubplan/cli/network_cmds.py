"""``hubplan isochrones`` and ``hubplan access``: hub accessibility on the road network."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace

import geopandas as gpd
from shapely.geometry import Point

from geo.build.places import open_place
from geo.errors import InputError
from geo.export.data import isochrones_data, write_export
from geo.export.tabular import Column
from geo.indicators.footprint_profile import kind_label
from geo.network.access import access_key, access_table
from geo.network.isochrones import DEFAULT_BUFFER_M, check_minutes
from geo.network.travel import CROWFLY_NOTE, TRANSIT, area_point_method, is_approximate
from geo.place.model import SYNTHETIC_LABEL, Place
from geo.transit.store import transit_method
from hubplan.cli.output import check_suffix

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)
_LONLAT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "isochrones",
        help="travel-time bands around a hub (GeoJSON)",
        description=(
            "Nested travel-time bands around one or more hubs, built from the streets reached "
            "(cut exactly where time runs out) and buffered; one Feature per band with the counts "
            "reached. Without a road network the bands are crow-fly circles, marked approximate. "
            "Written like 'hubplan export-data --what isochrones', with an attribution sidecar."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--from",
        dest="hubs",
        action="append",
        required=True,
        metavar="SITE_ID|LON,LAT",
        help="a site id of the place or WGS84 'lon,lat' (write --from=-2.63,53.54 when the longitude "
        "is negative); repeat for several hubs (the nearest counts)",
    )
    p.add_argument(
        "--mode",
        default="walk",
        help="walk, cycle, drive or transit (walking plus public transport; needs the place's "
        "[network.transit] timetable) (default walk)",
    )
    p.add_argument("--minutes", default="5,10,15", help="band limits, increasing (default 5,10,15)")
    p.add_argument(
        "--buffer",
        type=float,
        default=DEFAULT_BUFFER_M,
        metavar="METRES",
        help=f"width the reached streets are buffered by (default {DEFAULT_BUFFER_M:g})",
    )
    p.add_argument(
        "--apportion",
        choices=("point", "area"),
        default="point",
        help="count an area when its point is reached (default) or by the share of its area inside",
    )
    p.add_argument("--out", required=True, metavar="FILE.geojson", help="GeoJSON file to write")
    p.set_defaults(func=cmd_isochrones)

    p = sub.add_parser(
        "access",
        help="minutes from every area to the nearest site of a kind (csv or xlsx)",
        description="Per area: minutes to the nearest site of KIND by MODE, which site, and population counts.",
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--to", dest="kind", required=True, metavar="KIND", help="site kind, e.g. family_hub"
    )
    p.add_argument(
        "--mode",
        default="walk",
        help="walk, cycle, drive or transit (walking plus public transport; needs the place's "
        "[network.transit] timetable) (default walk)",
    )
    p.add_argument(
        "--out",
        metavar="FILE.csv|FILE.xlsx",
        help="write to FILE.csv (plus FILE.csv-metadata.json) or FILE.xlsx instead of stdout",
    )
    p.add_argument(
        "--keys", action="store_true", help="stable column keys as headers instead of labels"
    )
    p.set_defaults(func=cmd_access)


def parse_hubs(place: Place, specs: list[str]) -> gpd.GeoSeries:
    """Hub points (working CRS) from site ids or ``lon,lat`` strings."""
    ids = place.sites["site_id"].astype(str).tolist() if len(place.sites) else []
    points, labels = [], []
    for spec in specs:
        spec = spec.strip()
        if spec in ids:
            points.append(place.sites.geometry.iloc[ids.index(spec)])
            labels.append(spec)
            continue
        match = _LONLAT.match(spec)
        if not match:
            raise InputError(f"--from {spec!r} is neither a site id of this place nor 'lon,lat'")
        lon, lat = float(match.group(1)), float(match.group(2))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"--from {spec!r}: longitude/latitude out of range")
        pt = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(place.crs).iloc[0]
        points.append(pt)
        labels.append(f"{lon:.6f},{lat:.6f}")
    return gpd.GeoSeries(points, index=labels, crs=place.crs)


def _place_title(place: Place) -> str:
    """The place's name, with "synthetic demo data" for the demo."""
    synthetic = place.synthetic and SYNTHETIC_LABEL not in place.name
    return place.name + (f" ({SYNTHETIC_LABEL})" if synthetic else "")


def cmd_isochrones(args: argparse.Namespace) -> int:
    out = check_suffix(args.out, (".geojson", ".json"))
    minutes = check_minutes(args.minutes)
    place = open_place(args.place)
    hubs = parse_hubs(place, args.hubs)
    data = isochrones_data(
        place,
        hubs=hubs,
        mode=args.mode,
        minutes=minutes,
        buffer_m=args.buffer,
        apportion=args.apportion,
        list_hubs=True,
    )
    for warning in data.warnings:
        print(f"hubplan: warning: {warning}", file=sys.stderr)
    written = write_export(data, out, place=place)
    bands = data.frame
    people = bands["population"] if "population" in bands else bands["areas"]
    reached = ", ".join(
        f"{m:g} min: {int(p):,} people" for m, p in zip(bands["minutes"], people, strict=True)
    )
    print(
        f"wrote {out} (and {written[1].name}): {len(bands)} band(s) by {args.mode} "
        f"({bands['method'].iat[0]}); {reached}"
    )
    return 0


def access_columns(place: Place, kind: str, mode: str) -> dict[str, Column]:
    """Labels with units for the columns of :func:`~geo.network.access.access_table`."""
    key = access_key(kind, mode)
    what = f"Minutes to the nearest {kind_label(kind).lower()} by {mode}"
    minutes = Column(key, what, "minutes", "number")
    columns = {
        "code": Column("code", "Area code"),
        "name": Column("name", "Area name"),
        "footprint": Column("footprint", place.footprint_label),
        key: minutes,
        "nearest_site_id": Column("nearest_site_id", "Nearest site id"),
        "nearest_site_name": Column("nearest_site_name", "Nearest site name"),
        "mode": Column("mode", "Travel mode"),
        "method": Column("method", "Method"),
        "area_point": Column("area_point", "Area point"),
    }
    for q, word in (("p10", "10th"), ("p90", "90th")):
        columns[f"{key}_{q}"] = replace(
            minutes,
            key=f"{key}_{q}",
            label=f"{what}, {word} percentile over departures",
        )
    return columns


def cmd_access(args: argparse.Namespace) -> int:
    from hubplan.cli.export_cmds import emit_table, table_fmt

    fmt = table_fmt(args.out)
    place = open_place(args.place)
    table = access_table(place, args.kind, mode=args.mode)
    note = CROWFLY_NOTE if is_approximate(place) else "shortest paths on the road network"
    if args.mode == TRANSIT:
        note = transit_method(place) + "; _p10/_p90 columns: 10th/90th percentile over departures"
    method = (
        f"Minutes by {args.mode} to the nearest {args.kind}: {note}; "
        f"areas from their {area_point_method(place)} point."
    )
    return emit_table(
        place,
        table,
        title=f"{_place_title(place)}: minutes to the nearest {kind_label(args.kind).lower()} by {args.mode}",
        out=args.out,
        fmt=fmt,
        keys=args.keys,
        notes=(method,),
        overrides=access_columns(place, args.kind, args.mode),
    )
