"""``hubplan site`` (location-allocation) and ``hubplan scenarios`` (saved plans)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.siting.matrix import read_capacities, read_matrix
from geo.siting.plan import PlanRun, run_plan, solve_plan
from geo.siting.problem import DEFAULT_TIME_LIMIT, METHODS, OBJECTIVES, SitingResult
from geo.tables import records, to_json
from hubplan.cli.output import add_footprints_option, check_suffix, emit_text, open_place_view

PLACE_HELP = (
    "a place bundle (.gpkg), a name in data/places"
    ", a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), or 'demo' (omit with --matrix)"
)
CURVE_COLUMNS = (
    "hubs",
    "covered_weight",
    "covered_share",
    "mean_minutes",
    "added",
    "method",
    "gap",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "site",
        help="choose hub locations (coverage, p-median or cover)",
        description=(
            "Location-allocation on travel times. With PLACE: demand is each area's inside point "
            "weighted by --weight, candidates come from --candidates. With --matrix/--demand: an "
            "external travel-time matrix (origin,destination,minutes) and demand (id,weight). "
            "--hubs counts every hub, required (--existing) ones included. Writes a JSON result "
            "(selected, objective, per-hub coverage, method, gap, solve time)."
        ),
    )
    p.add_argument("place", nargs="?", metavar="PLACE", help=PLACE_HELP)
    p.add_argument(
        "--matrix",
        metavar="COSTS.csv",
        help="travel-time matrix: columns origin, destination, minutes ('inf' = unreachable)",
    )
    p.add_argument("--demand", metavar="DEMAND.csv", help="demand for --matrix: columns id, weight")
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="coverage",
        help="coverage: most weight within --minutes; median: least weighted travel time; "
        "cover: fewest hubs with --target of the weight within --minutes (default coverage)",
    )
    p.add_argument("--hubs", type=int, metavar="N", help="total number of hubs (coverage, median)")
    p.add_argument(
        "--minutes",
        type=float,
        metavar="T",
        help="coverage threshold in minutes (default 15 for coverage/cover)",
    )
    p.add_argument(
        "--target",
        type=float,
        metavar="SHARE",
        default=0.9,
        help="cover: share of the weight to reach, 0-1 or a percentage (default 0.9)",
    )
    p.add_argument(
        "--mode",
        default="walk",
        help="travel mode: walk, cycle, drive or transit (median over the place's departure "
        "window; needs [network.transit]) (default walk)",
    )
    p.add_argument(
        "--weight",
        metavar="KEY",
        help="indicator key (or need_index) weighting demand (default children_0_4 or population); with --matrix, a column of DEMAND.csv (default weight)",
    )
    p.add_argument(
        "--candidates",
        metavar="KIND|FILE|grid[:M]",
        default="all",
        help="candidate hubs: a site kind (or kind1,kind2 or all), a CSV/geo file, or a grid over populated areas (default all sites)",
    )
    p.add_argument(
        "--add-point",
        action="append",
        default=[],
        metavar="LON,LAT",
        help="also consider a new site here (repeatable; write --add-point=-2.6,53.5 for a negative longitude)",
    )
    p.add_argument(
        "--existing",
        metavar="KIND|IDS",
        help="required hubs: a site kind (PLACE) or comma-separated candidate ids (--matrix)",
    )
    p.add_argument(
        "--capacity",
        metavar="N|FILE",
        help="hub capacity in weight units: one number for every hub, or a CSV with id, capacity",
    )
    p.add_argument(
        "--method", choices=METHODS, default="auto", help="exact (HiGHS), greedy, or auto (default)"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="S",
        help="seconds for the exact solver (default 60)",
    )
    p.add_argument(
        "--curve", type=int, metavar="N", help="also compute the coverage curve for 1..N hubs"
    )
    p.add_argument(
        "--curve-to",
        type=int,
        metavar="N",
        help="also return 'curve': the exact optimum for every p = 1..N hubs (hubs, selected, "
        "objective_value, covered_share, weighted_mean_minutes), solved incrementally; 0 for none",
    )
    p.add_argument(
        "--teams",
        type=float,
        metavar="N",
        help="also allocate N teams to the hubs in proportion to need",
    )
    p.add_argument(
        "--fte",
        type=float,
        metavar="X",
        help="also allocate X FTE to the hubs (in steps of --step)",
    )
    p.add_argument(
        "--step", type=float, default=0.5, metavar="FTE", help="FTE allocation step (default 0.5)"
    )
    p.add_argument(
        "--team-need",
        metavar="KEY",
        help="need measure for the team split (default the demand weight)",
    )
    p.add_argument("--save", metavar="NAME", help="save the plan as a named scenario (PLACE only)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace a saved scenario of the same name"
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="PostgreSQL URL for scenarios (default $HUBPLAN_DATABASE_URL, else SQLite beside the bundle)",
    )
    p.add_argument(
        "--out", metavar="RESULT.json", help="write the JSON result here (default stdout)"
    )
    p.set_defaults(func=cmd_site)

    p = sub.add_parser(
        "scenarios",
        help="list, show, delete or compare saved scenarios",
        description="Saved scenarios of a place (SQLite beside the bundle, or PostgreSQL with --database-url / $HUBPLAN_DATABASE_URL).",
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP.replace(" (omit with --matrix)", ""))
    p.add_argument("action", choices=("list", "show", "delete", "compare"))
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="scenario name (show, delete) or two names (compare)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--database-url", metavar="URL", help="PostgreSQL URL (default $HUBPLAN_DATABASE_URL)"
    )
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser(
        "impact",
        help="closure / relocation impact pack (PDF + CSV) against today's hubs",
        description=(
            "Which areas, and how many children, lose or gain access to a hub within --minutes "
            "if the --close hubs close (and --open sites open), how their travel time changes, "
            "by national IMD decile and by footprint. Writes a printable pack (PDF, or HTML) "
            "with a map of the areas losing access, and every area in a CSV beside it."
        ),
    )
    p.add_argument("place", metavar="PLACE", help=PLACE_HELP.replace(" (omit with --matrix)", ""))
    p.add_argument(
        "--close", required=True, metavar="ID[,ID...]", help="ids of today's hubs that close"
    )
    p.add_argument(
        "--open",
        action="append",
        default=[],
        metavar="ID|LON,LAT",
        help="a site (id) or new point that opens (repeatable; write --open=-2.6,53.5 for a "
        "negative longitude)",
    )
    p.add_argument("--mode", default="walk", help="travel mode: walk, cycle or drive")
    p.add_argument("--minutes", type=float, default=15.0, metavar="T", help="access threshold")
    p.add_argument(
        "--weight", metavar="KEY", help="who is counted (default children_0_4 or population)"
    )
    p.add_argument(
        "--hubs",
        metavar="KIND[,KIND]",
        help="site kind(s) that are today's hubs (default family hubs / children's centres, "
        "else every site)",
    )
    p.add_argument(
        "--out", required=True, metavar="PACK.pdf", help="the pack (.pdf or .html); CSV beside it"
    )
    p.add_argument(
        "--keys", action="store_true", help="CSV: stable column keys as headers instead of labels"
    )
    add_footprints_option(p, what="break the impact down by")
    p.set_defaults(func=cmd_impact)


# ---------------------------------------------------------------------- site
def _points(texts: list[str]) -> list[tuple[float, float]]:
    pts = []
    for text in texts:
        try:
            lon, lat = (float(v) for v in text.split(","))
        except ValueError:
            raise InputError(f"--add-point {text!r} is not LON,LAT") from None
        pts.append((lon, lat))
    return pts


def _curve_top(args: argparse.Namespace) -> int:
    """How far the curve runs: the larger of ``--curve`` and ``--curve-to`` (0 = none)."""
    for flag, value in (("--curve", args.curve), ("--curve-to", args.curve_to)):
        if value is not None and value < 0:
            raise InputError(f"{flag} must be 0 or more, got {value}")
    return max(args.curve or 0, args.curve_to or 0)


def _staff(args: argparse.Namespace) -> tuple[float | None, float]:
    if args.teams is not None:
        return args.teams, 1.0
    if args.fte is not None:
        return args.fte, args.step
    return None, 1.0


def matrix_plan(args: argparse.Namespace, *, minutes, target) -> PlanRun:
    """``hubplan site --matrix COSTS.csv --demand DEMAND.csv``: solve on the given minutes."""
    if args.place:
        raise InputError("give either PLACE or --matrix/--demand, not both")
    if not (args.matrix and args.demand):
        raise InputError("--matrix and --demand go together")
    if args.save:
        raise InputError("--save needs a PLACE (scenarios are stored beside its bundle)")
    problem = read_matrix(args.matrix, args.demand, weight=args.weight or "weight")
    if args.existing:
        ids = [s.strip() for s in args.existing.split(",") if s.strip()]
        unknown = [i for i in ids if i not in problem.candidate_ids]
        if unknown:
            raise InputError(
                f"--existing {unknown[0]!r} is not a destination in the matrix",
                path=args.matrix,
            )
        problem.required[[problem.candidate_ids.index(i) for i in ids]] = True
    problem.set_capacities(read_capacities(args.capacity, problem.candidate_ids))
    if args.objective != "cover" and args.hubs is None:
        raise InputError(f"--hubs is required for objective {args.objective!r}")
    if args.team_need and (args.teams is not None or args.fte is not None):
        raise InputError("--team-need needs a PLACE; with --matrix the demand weight is the need")
    staff, step = _staff(args)
    return solve_plan(
        problem,
        objective=args.objective,
        hubs=args.hubs,
        minutes=minutes,
        target=target,
        method=args.method,
        time_limit=args.time_limit,
        curve_to=_curve_top(args),
        staff=staff,
        staff_step=step,
    )


def place_plan(args: argparse.Namespace, *, minutes, target):
    """``(place, weight, run)`` for ``hubplan site PLACE`` (one travel-time matrix)."""
    from geo.build.places import open_place
    from geo.network.travel import check_mode

    place = open_place(args.place)
    check_mode(place, args.mode)
    weight = args.weight or place.default_weight
    existing = [k.strip() for k in args.existing.split(",")] if args.existing else None
    if args.objective != "cover" and args.hubs is None:
        raise InputError(f"--hubs is required for objective {args.objective!r}")
    staff, step = _staff(args)
    run = run_plan(
        place,
        objective=args.objective,
        hubs=args.hubs,
        minutes=minutes,
        target=target,
        mode=args.mode,
        weight=weight,
        candidates=args.candidates,
        existing=existing,
        added=_points(args.add_point),
        capacities=args.capacity,
        method=args.method,
        staff=staff,
        staff_step=step,
        team_need=args.team_need,
        curve_to=_curve_top(args),
        time_limit=args.time_limit,
    )
    return place, weight, run


def curve_points(curve: pd.DataFrame | None) -> list[dict]:
    """The ``curve`` of the JSON result: one point per number of hubs."""
    if curve is None:
        return []
    cols = ["hubs", "selected", "objective_value", "covered_share", "weighted_mean_minutes"]
    return [{k: _plain(row[k]) for k in cols} for row in curve.to_dict("records")]


def _plain(value):
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if value is None or pd.isna(value):
        return None
    return float(value) if isinstance(value, float | np.floating) else value


def cmd_site(args: argparse.Namespace) -> int:
    if args.out:
        check_suffix(args.out, (".json",))
    target = args.target / 100 if args.target is not None and args.target > 1 else args.target
    minutes = args.minutes
    if minutes is None and args.objective in ("coverage", "cover"):
        minutes = 15.0
    place = None
    if args.matrix or args.demand:
        run = matrix_plan(args, minutes=minutes, target=target)
        weight = args.weight or "weight"
    else:
        if not args.place:
            raise InputError("give a PLACE, or --matrix and --demand")
        place, weight, run = place_plan(args, minutes=minutes, target=target)
    problem, result = run.problem, run.result
    payload = {
        "place": place.name if place else None,
        "matrix": args.matrix,
        "mode": args.mode if place else None,
        "candidates": args.candidates if place else "matrix destinations",
        "candidate_count": problem.n_candidates,
        "demand_count": problem.n_demand,
    }
    payload |= result.to_dict()
    if place is not None:
        payload["attribution"] = place.attribution_text()
        payload["synthetic"] = place.synthetic
    if args.curve and run.curve is not None:
        old = run.curve[run.curve["hubs"] <= args.curve]
        payload["coverage_curve"] = records(old[list(CURVE_COLUMNS)])
    if args.curve_to is not None:
        part = None if run.curve is None else run.curve[run.curve["hubs"] <= args.curve_to]
        payload["curve"] = curve_points(part)
    if run.teams is not None:
        payload["teams"] = records(run.teams.reset_index())
    if args.save:
        from geo.siting.scenarios import ScenarioStore, from_result

        store = ScenarioStore.for_bundle(place.path, url=args.database_url)
        params = {
            "weight": weight,
            "candidates": args.candidates,
            "existing": args.existing,
            "target": target,
            "hubs": args.hubs,
            "method": args.method,
            "add_points": args.add_point,
        }
        scenario = from_result(
            args.save, result, mode=args.mode, params=params, candidates=problem.candidates
        )
        store.save(place.name, scenario, overwrite=args.overwrite)
        print(f"saved scenario {args.save!r} in {store.public_label()}", file=sys.stderr)
    emit_text(to_json(payload), args.out)
    if args.out:
        print(summary_line(result), file=sys.stderr)
    return 0


def summary_line(result: SitingResult) -> str:
    parts = [
        f"{result.objective}: {result.hubs} hubs ({', '.join(result.selected[:8])}{'…' if result.hubs > 8 else ''})"
    ]
    if result.covered_share is not None:
        parts.append(
            f"{result.covered_share:.1%} of {result.weight_label} within {result.minutes:g} min"
        )
    if result.weighted_mean_minutes is not None:
        parts.append(f"mean {result.weighted_mean_minutes:.1f} min")
    gap = "n/a" if result.gap is None else f"{result.gap:.2%}"
    parts.append(f"{result.method}, {result.status}, gap {gap}, {result.solve_seconds:.2f} s")
    return "; ".join(parts)


# ---------------------------------------------------------------------- scenarios
def cmd_scenarios(args: argparse.Namespace) -> int:
    from geo.build.places import open_place
    from geo.siting.scenarios import ScenarioStore, compare

    place = open_place(args.place)
    store = ScenarioStore.for_bundle(place.path, url=args.database_url)
    need = {"list": 0, "show": 1, "delete": 1, "compare": 2}[args.action]
    if len(args.names) != need:
        raise InputError(f"'scenarios {args.action}' takes {need} name(s), got {len(args.names)}")
    if args.action == "list":
        table = store.list_scenarios(place.name)
        if args.format == "json":
            text = to_json(records(table))
        elif table.empty:
            text = f"no saved scenarios for {place.name} in {store.public_label()}\n"
        else:
            text = format_table(table).to_string(index=False) + "\n"
    elif args.action == "show":
        sc = store.load(place.name, args.names[0])
        body = {
            "name": sc.name,
            "objective": sc.objective,
            "mode": sc.mode,
            "minutes": sc.minutes,
            "hubs": sc.hubs,
            "params": sc.params,
            "saved_at": sc.saved_at,
            "results": {k: v for k, v in sc.results.items() if not k.startswith("area_")},
        }
        text = to_json(body) if args.format == "json" else _show_text(sc)
    elif args.action == "delete":
        store.delete(place.name, args.names[0])
        text = f"deleted scenario {args.names[0]!r}\n"
    else:
        a, b = (store.load(place.name, n) for n in args.names)
        out = compare(a, b)
        if args.format == "json":
            text = to_json(
                {k: (records(v) if isinstance(v, pd.DataFrame) else v) for k, v in out.items()}
            )
        else:
            text = (
                "\n\n".join(
                    [f"A = {a.name!r}   B = {b.name!r}"]
                    + [
                        f"{k}:\n{format_table(v).to_string(index=False)}"
                        for k, v in out.items()
                        if isinstance(v, pd.DataFrame) and len(v)
                    ]
                    + [f"note: {n}" for n in out["notes"]]
                )
                + "\n"
            )
    emit_text(text, args.out)
    return 0


def _format_value(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    value = float(value)
    if kind == "share":
        return f"{100 * value:.1f}%"
    if kind == "points":
        return f"{100 * value:+.1f} pts"
    if kind == "minutes":
        return f"{value:.1f} min"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _kind(name: str) -> str:
    name = name.lower()
    if "share" in name:
        return "share"
    if "minutes" in name:
        return "minutes"
    return "number"


def format_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers for people to read: whole numbers with thousands separators, shares as
    percentages, minutes with their unit (by the column name, or the ``metric`` of a row)."""
    out = frame.copy().astype(object)
    for i, row in frame.iterrows():
        for col in frame.columns:
            kind = _kind(str(row["metric"])) if "metric" in frame.columns else _kind(str(col))
            if str(row.get("metric", "")) == "hubs":
                kind = "number"
            if kind == "share" and "difference" in str(col):
                kind = "points"  # a difference of two shares is in percentage points
            out.at[i, col] = _format_value(row[col], kind) if col != "metric" else row[col]
    return out


def _show_text(sc) -> str:
    r = sc.results
    lines = [
        f"{sc.name}: {sc.objective}, {len(sc.hubs)} hubs, mode {sc.mode}, "
        f"time limit {_format_value(sc.minutes, 'minutes')}",
        f"  saved {sc.saved_at}; method {r.get('method')}; gap {_format_value(r.get('gap'), 'share')}",
        f"  covered share {_format_value(r.get('covered_share'), 'share')}; weighted mean "
        f"journey {_format_value(r.get('weighted_mean_minutes'), 'minutes')}",
        "  hubs:",
    ]
    lines += [
        f"    {h.get('name')} ({h.get('hub')})  weight {_format_value(h.get('weight'), 'number')}  "
        f"gain {_format_value(h.get('marginal_gain'), 'number')}"
        for h in r.get("per_hub") or []
    ]
    return "\n".join(lines) + "\n  settings: " + json.dumps(sc.params) + "\n"


# ---------------------------------------------------------------------- impact
def cmd_impact(args: argparse.Namespace) -> int:
    from geo.network.travel import check_mode
    from geo.siting.impact import closure_impact
    from layers.impact import write_impact_pack

    check_suffix(args.out, (".pdf", ".html"))
    out = Path(args.out).expanduser()
    for path in (out, out.with_suffix(".csv")):  # the pack is two files: refuse before either
        if path.is_dir():
            raise InputError("the path is a folder, not a file", path=path)
    place = open_place_view(args.place, args.footprints)
    check_mode(place, args.mode)
    hubs = [k.strip() for k in args.hubs.split(",") if k.strip()] if args.hubs else None
    impact = closure_impact(
        place,
        close=[c for c in args.close.split(",") if c.strip()],
        open_=args.open,
        mode=args.mode,
        minutes=args.minutes,
        weight=args.weight,
        hubs=hubs,
    )
    pack, table = write_impact_pack(place, impact, args.out, keys=args.keys)
    s = impact.summary
    print(
        f"{impact.place}: closing {', '.join(map(impact.label, impact.closed)) or 'none'}"
        + (f", opening {', '.join(map(impact.label, impact.opened))}" if impact.opened else "")
        + f": {s['areas_losing']} area(s) with {s['weight_losing']:,.0f} {impact.weight_label} "
        f"lose access within {impact.minutes:g} min ({impact.mode}); {s['areas_gaining']} "
        f"area(s) with {s['weight_gaining']:,.0f} gain it. Wrote {pack.name} and {table.name}.",
        file=sys.stderr,
    )
    return 0
