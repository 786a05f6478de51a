"""``hubplan edits PLACE list|export|apply``: the place's shared edits (geo.place.edits)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from geo.build.places import resolve_place
from geo.errors import InputError
from geo.place.bundle import read_place, write_place
from geo.place.edits import EditStore, place_id
from hubplan.cli.output import check_suffix, emit_text

PLACE_HELP = (
    "a place bundle (.gpkg), a name in the places folder"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo'"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "edits",
        help="list, export or fold in a place's shared edits (uploads, need indices, footprint sets)",
        description="What users added to a place is stored apart from the bundle (in "
        "$HUBPLAN_DATABASE_URL, else SQLite beside the bundle) and applied whenever the place is "
        "opened. 'list' shows the edits, 'export' writes them as JSON, 'apply' writes a new "
        "bundle with them folded in, for offline use.",
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP)
    p.add_argument("action", choices=("list", "export", "apply"), help="what to do")
    p.add_argument(
        "--out", metavar="FILE", help="export: a .json file (default stdout); apply: the new .gpkg"
    )
    p.set_defaults(func=cmd_edits)


def cmd_edits(args: argparse.Namespace) -> int:
    path = resolve_place(args.place)
    bundle = read_place(path, edits=False)
    key = place_id(bundle)
    store = EditStore.for_bundle(path)
    edits = store.edits(key)
    if args.action == "list":
        lines = [f"{len(edits)} edit(s) of {bundle.name} (place id {key}, {store.describe()})"]
        lines += [f"  {e.seq:>4}  {e.saved_at}  {e.what}: {e.change.summary()}" for e in edits]
        emit_text("\n".join(lines) + "\n", None)
        return 0
    if args.action == "export":
        data = {
            "place": bundle.name,
            "place_id": key,
            "edits": [
                {
                    "seq": e.seq,
                    "what": e.what,
                    "saved_at": e.saved_at,
                    "change": json.loads(e.change.to_json()),
                }
                for e in edits
            ],
        }
        emit_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", args.out, suffixes=(".json",)
        )
        return 0
    if not args.out:
        raise InputError(
            "'edits apply' needs --out NEW.gpkg (the bundle itself is never rewritten)"
        )
    out = check_suffix(args.out, (".gpkg",))
    if out.expanduser().resolve() == Path(path).resolve():
        raise InputError("choose a new file: the place's own bundle is never rewritten", path=out)
    place = read_place(path)  # the bundle with every edit applied
    place.meta.pop("edits", None)
    place.meta.pop("place_id", None)  # a new identity: these edits must not apply to it again
    place.meta["folded_from"] = f"{key} through edit {edits[-1].seq if edits else 0}"
    written = write_place(place, out)
    print(f"wrote {written}: {bundle.name} with {len(edits)} edit(s) folded in")
    return 0
