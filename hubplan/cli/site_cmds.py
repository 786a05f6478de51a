"""``hubplan site`` (location-allocation) and ``hubplan scenarios`` (saved plans)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place.readers import read_table
from geo.siting.problem import DEFAULT_TIME_LIMIT, METHODS, OBJECTIVES, SitingProblem, SitingResult
from geo.tables import records, to_json
from hubplan.cli.output import check_suffix, emit_text

PLACE_HELP = "a place bundle (.gpkg), a name in data/places, or 'demo' (omit with --matrix)"


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


# ---------------------------------------------------------------------- matrix input
def read_matrix(
    costs_path: str | Path, demand_path: str | Path, *, weight: str = "weight"
) -> SitingProblem:
    """A problem from ``origin,destination,minutes`` and ``id,<weight>`` CSVs (strict checks)."""
    costs_path, demand_path = Path(costs_path), Path(demand_path)
    table = read_table(costs_path, dtype_str=("origin", "destination", "minutes"))
    _require(table, ("origin", "destination", "minutes"), costs_path)
    if table.empty:
        raise InputError("has no rows", path=costs_path)
    for col in ("origin", "destination"):
        blank = table[col].isna() | (table[col].astype(str).str.strip() == "")
        if blank.any():
            raise InputError(
                f"row {int(np.flatnonzero(blank)[0]) + 2}: blank {col}", path=costs_path
            )
        table[col] = table[col].astype(str).str.strip()
    raw = table["minutes"].astype(str).str.strip()
    minutes = pd.to_numeric(
        raw.str.lower().replace({"inf": "inf", "infinity": "inf"}), errors="coerce"
    )
    bad = minutes.isna()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        shown = (
            "is blank or NaN"
            if pd.isna(table["minutes"].iloc[k]) or raw.iloc[k].lower() == "nan"
            else f"{raw.iloc[k]!r} is not a number"
        )
        raise InputError(
            f"row {k + 2}: minutes {shown} ({int(bad.sum())} such row(s); "
            "write 'inf' for unreachable pairs)",
            path=costs_path,
        )
    neg = minutes < 0
    if neg.any():
        k = int(np.flatnonzero(neg)[0])
        raise InputError(
            f"row {k + 2}: negative minutes ({minutes.iloc[k]:g}) from {table['origin'].iloc[k]!r} "
            f"to {table['destination'].iloc[k]!r}",
            path=costs_path,
        )
    table["minutes"] = minutes.astype(float)
    dup = table.duplicated(["origin", "destination"])
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        raise InputError(
            f"row {k + 2}: pair {table['origin'].iloc[k]!r} -> {table['destination'].iloc[k]!r} "
            "appears more than once",
            path=costs_path,
        )
    origins = list(dict.fromkeys(table["origin"]))
    dests = list(dict.fromkeys(table["destination"]))
    wide = table.pivot(index="origin", columns="destination", values="minutes").reindex(
        index=origins, columns=dests
    )
    if wide.isna().any().any():
        i, j = np.argwhere(wide.isna().to_numpy())[0]
        n_missing = int(wide.isna().sum().sum())
        raise InputError(
            f"{n_missing} origin-destination pair(s) missing, e.g. {origins[i]!r} -> {dests[j]!r} "
            "(give every pair; 'inf' for unreachable)",
            path=costs_path,
        )
    demand = read_table(demand_path, dtype_str=("id",))
    _require(demand, ("id",), demand_path)
    if weight not in demand.columns:
        others = [c for c in demand.columns if c != "id"]
        raise InputError(
            f"unknown weight key {weight!r}: no such column; columns are: {', '.join(others)}",
            path=demand_path,
        )
    demand["weight"] = demand[weight]
    demand["id"] = demand["id"].astype(str).str.strip()
    if demand["id"].duplicated().any():
        raise InputError(
            f"id {demand['id'][demand['id'].duplicated()].iloc[0]!r} appears more than once",
            path=demand_path,
        )
    values = pd.to_numeric(demand["weight"], errors="coerce")
    if values.isna().any() or (values < 0).any() or np.isinf(values).any():
        k = int(np.flatnonzero(values.isna() | (values < 0) | np.isinf(values))[0])
        raise InputError(
            f"row {k + 2}: weight {demand['weight'].iloc[k]!r} for id {demand['id'].iloc[k]!r} "
            "is not a non-negative number",
            path=demand_path,
        )
    missing = [d for d in demand["id"] if d not in wide.index]
    if missing:
        raise InputError(
            f"{len(missing)} demand id(s) not among the matrix origins, e.g. {', '.join(map(repr, missing[:3]))}",
            path=demand_path,
        )
    wide = wide.loc[list(demand["id"])]
    problem = SitingProblem.from_cost_matrix(wide, values.to_numpy(), weight_label=weight)
    extra = len(origins) - len(demand)
    if extra:
        problem.notes.append(f"{extra} matrix origin(s) have no demand row and are ignored")
    return problem


def _require(df: pd.DataFrame, cols: tuple[str, ...], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; columns are: {', '.join(map(str, df.columns))}",
            path=path,
        )


def _capacities(spec: str | None, ids: list[str]) -> dict[str, float] | float | None:
    if spec is None:
        return None
    try:
        value = float(spec)
    except ValueError:
        value = None
    if value is not None:
        if not np.isfinite(value) or value <= 0:
            raise InputError(f"--capacity must be a positive number, got {spec!r}")
        return value
    table = read_table(Path(spec), dtype_str=("id",))
    _require(table, ("id", "capacity"), Path(spec))
    caps = pd.to_numeric(table["capacity"], errors="coerce")
    if caps.isna().any() or (caps <= 0).any():
        raise InputError("capacity must be a positive number on every row", path=spec)
    unknown = [i for i in table["id"].astype(str) if i not in ids]
    if unknown:
        raise InputError(f"capacity for {unknown[0]!r}, which is not a candidate", path=spec)
    return dict(zip(table["id"].astype(str), caps.astype(float), strict=True))


# ---------------------------------------------------------------------- site
def place_problem(args: argparse.Namespace):
    """``(place, problem)`` for ``hubplan site PLACE`` arguments."""
    from geo.build.places import open_place
    from geo.network.travel import check_mode
    from geo.siting import candidates as cand

    place = open_place(args.place)
    check_mode(place, args.mode)
    weight = args.weight or place.default_weight
    pool = cand.resolve(place, args.candidates)
    if args.add_point:
        pts = []
        for text in args.add_point:
            try:
                lon, lat = (float(v) for v in text.split(","))
            except ValueError:
                raise InputError(f"--add-point {text!r} is not LON,LAT") from None
            pts.append((lon, lat))
        pool = cand.combine(pool, cand.from_points(place, pts))
    existing = [k.strip() for k in args.existing.split(",")] if args.existing else None
    problem = SitingProblem.from_place(
        place, weight=weight, candidates=pool, existing=existing, mode=args.mode
    )
    caps = _capacities(args.capacity, problem.candidate_ids)
    if caps is not None:
        problem = SitingProblem.from_place(
            place,
            weight=weight,
            candidates=pool,
            existing=existing,
            mode=args.mode,
            capacities=caps,
        )
    return place, problem, weight


def cmd_site(args: argparse.Namespace) -> int:
    if args.out:
        check_suffix(args.out, (".json",))
    target = args.target / 100 if args.target is not None and args.target > 1 else args.target
    minutes = args.minutes
    if minutes is None and args.objective in ("coverage", "cover"):
        minutes = 15.0
    place = None
    if args.matrix or args.demand:
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
        caps = _capacities(args.capacity, problem.candidate_ids)
        if caps is not None:
            problem.capacities = np.array(
                [caps.get(c, np.inf) for c in problem.candidate_ids]
                if isinstance(caps, dict)
                else [caps] * problem.n_candidates,
                dtype=float,
            )
        weight = args.weight or "weight"
    else:
        if not args.place:
            raise InputError("give a PLACE, or --matrix and --demand")
        place, problem, weight = place_problem(args)
    if args.objective != "cover" and args.hubs is None:
        raise InputError(f"--hubs is required for objective {args.objective!r}")
    result = problem.solve(
        objective=args.objective,
        hubs=args.hubs,
        minutes=minutes,
        target=target,
        method=args.method,
        time_limit=args.time_limit,
    )
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
    if args.curve:
        curve = problem.coverage_curve(
            max_hubs=args.curve,
            minutes=minutes,
            objective=args.objective,
            method=args.method,
            time_limit=args.time_limit,
        )
        payload["coverage_curve"] = records(curve)
    if args.teams is not None or args.fte is not None:
        payload["teams"] = _teams(args, result, problem, place)
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
        print(f"saved scenario {args.save!r} ({store.describe()})", file=sys.stderr)
    emit_text(to_json(payload), args.out)
    if args.out:
        print(summary_line(result), file=sys.stderr)
    return 0


def _teams(args, result: SitingResult, problem: SitingProblem, place) -> list[dict]:
    from geo.siting import teams
    from geo.siting.problem import demand_weights

    if args.team_need and place is not None:
        need = demand_weights(place, args.team_need)[0]
    elif args.team_need:
        raise InputError("--team-need needs a PLACE; with --matrix the demand weight is the need")
    else:
        need = pd.Series(problem.weights, index=problem.demand_ids)
    by_hub = teams.catchment_need(result.assignment, need, result.selected)
    if args.teams is not None:
        table = teams.allocate(by_hub, total=args.teams, step=1.0)
    else:
        table = teams.allocate(by_hub, total=args.fte, step=args.step)
    names = dict(zip(result.per_hub["hub"], result.per_hub["name"], strict=True))
    table.insert(0, "name", [names.get(h, h) for h in table.index])
    return records(table.reset_index())


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
        table = store.list(place.name)
        if args.format == "json":
            text = to_json(records(table))
        elif table.empty:
            text = f"no saved scenarios for {place.name} ({store.describe()})\n"
        else:
            text = table.to_string(index=False) + "\n"
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
                        f"{k}:\n{v.to_string(index=False)}"
                        for k, v in out.items()
                        if isinstance(v, pd.DataFrame) and len(v)
                    ]
                    + [f"note: {n}" for n in out["notes"]]
                )
                + "\n"
            )
    emit_text(text, args.out)
    return 0


def _show_text(sc) -> str:
    r = sc.results
    lines = [
        f"{sc.name}: {sc.objective}, {len(sc.hubs)} hubs, mode {sc.mode}, minutes {sc.minutes}",
        f"  saved {sc.saved_at}; method {r.get('method')}; gap {r.get('gap')}",
        f"  covered share {r.get('covered_share')}; weighted mean minutes {r.get('weighted_mean_minutes')}",
        "  hubs:",
    ]
    lines += [
        f"    {h.get('hub')}  {h.get('name')}  weight {h.get('weight')}  gain {h.get('marginal_gain')}"
        for h in r.get("per_hub") or []
    ]
    return "\n".join(lines) + "\n" + json.dumps(sc.params) + "\n"
