"""Planner: site hubs (coverage, p-median or cover), see why, split staff, save and compare plans.

Choose the objective and its parameters and press Run. The map shows every candidate, the
chosen hubs and their reach within the time limit; click an area to add a new site there, click
a candidate or hub to remove it (click again to restore). Below: the plan summary (method,
optimality gap, solve time), each hub's catchment and marginal gain, the coverage curve, the
equity table by national deprivation decile, the travel-time bands and the staff split. Plans
can be saved as named scenarios (asking before overwriting) and compared side by side.
"""

from __future__ import annotations

from collections.abc import Callable

import dash
import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html

from geo.errors import InputError
from geo.export import tabular
from geo.export.data import ExportData
from geo.network.modes import mode_label
from geo.network.travel import available_modes, is_approximate
from geo.place.model import Place
from geo.siting.plan import run_plan
from geo.siting.problem import OBJECTIVES, national_decile_key
from geo.siting.scenarios import ScenarioStore, compare, from_result
from hubplan.pages._grid import (
    download_bar,
    download_ids,
    filename_stem,
    geojson_download,
    grid,
    grid_data,
    grid_download_callback,
    send_files,
    table_download,
    trigger_format,
)
from hubplan.pages._scenarios import load_saved, scenario_names
from hubplan.pages._sets import place_view, saved_sets
from hubplan.pages._state import (
    Notices,
    build_search,
    current_place_key,
    first,
    open_place_safe,
    parse_choice,
    parse_float,
)
from hubplan.pages._ui import attribution_footer, described, notice_box, synthetic_banner
from layers import siting as siting_layers
from layers.base import map_figure

dash.register_page(
    __name__, path="/planner", name="Planner", title="Planner · Locality & Hub Planner", order=5
)

OBJECTIVE_LABELS = {
    "coverage": "Most children within the time limit (coverage)",
    "median": "Shortest average journey (p-median)",
    "cover": "Fewest hubs reaching a target share (cover)",
}


def store_for(place: Place) -> ScenarioStore:
    return ScenarioStore.for_bundle(place.path)


def weight_options(place: Place) -> list[dict]:
    opts = [
        {"label": i.label, "value": k}
        for k, i in place.catalogue.items()
        if i.kind == "count" and not i.sensitive
    ]
    opts.append({"label": "Children's need index (rank x children)", "value": "need_index"})
    return opts


def _control(label: str, component, help_text: str | None = None) -> html.Div:
    kids = [html.Label(label, htmlFor=component.id, className="control-label"), component]
    if help_text:
        kids.append(html.Small(help_text, className="control-help"))
    return html.Div(kids, className="control-group")


def _number(
    value, default: float, lo: float, hi: float, *, what: str, notices: Notices, whole: bool = True
) -> float:
    """A number from the URL within ``lo..hi``, else ``default`` (with a notice)."""
    v = first(value)
    if v is None:
        return default
    out = parse_float(v, lo=lo, hi=hi)
    if out is None or (whole and out != int(out)):
        notices.add(
            f"Ignored {what} {v!r}: give {'a whole number' if whole else 'a number'} "
            f"from {lo:g} to {hi:g}."
        )
        return default
    return int(out) if whole else out


def planner_settings(place: Place, query: dict) -> tuple[dict, Notices]:
    """The planner's controls from URL query values (``PARAMS``), defaults where absent or bad."""
    notices = Notices()
    kinds = place.site_kinds
    candidates = ["all", *kinds, "grid"]
    default_cand = "school" if "school" in kinds else "all"
    weights = [o["value"] for o in weight_options(place)]

    def choice(key, allowed, default, what):
        value, notice = parse_choice(query.get(key), allowed, default, what=what)
        notices.add(notice)
        return value

    existing_raw = query.get("existing")  # present but blank means "keep none"
    if isinstance(existing_raw, list):
        existing_raw = existing_raw[0] if existing_raw else ""
    if existing_raw is None:
        existing = ["family_hub"] if "family_hub" in kinds else []
    else:
        asked = [k.strip() for k in str(existing_raw).split(",") if k.strip()]
        existing = [k for k in asked if k in kinds]
        if len(existing) != len(asked):
            notices.add(
                f"Ignored unknown site kind(s) in existing: "
                f"{', '.join(k for k in asked if k not in kinds)}."
            )
    settings = {
        "objective": choice("objective", list(OBJECTIVES), "coverage", "objective"),
        "hubs": _number(query.get("hubs"), 7, 1, 500, what="hubs", notices=notices),
        "minutes": _number(query.get("minutes"), 15, 1, 240, what="minutes", notices=notices),
        "target": _number(query.get("target"), 60, 1, 100, what="target", notices=notices),
        "mode": choice("mode", available_modes(place), "walk", "travel mode"),
        "weight": choice("weight", weights, place.default_weight, "weight"),
        "candidates": choice("candidates", candidates, default_cand, "candidate sites"),
        "existing": existing,
        "staff": _number(
            query.get("staff"), 30, 0, 100_000, what="staff", notices=notices, whole=False
        ),
    }
    return settings, notices


def planner_sites(place: Place, query: dict) -> tuple[list[list[float]], list[str], Notices]:
    """Added sites (``added=lon,lat;lon,lat``) and removed candidate ids (``removed=a,b``)
    from the URL; points outside the place's bounds or malformed are ignored with a notice."""
    notices = Notices()
    added: list[list[float]] = []
    raw = first(query.get("added")) or ""
    lon0, lat0, lon1, lat1 = place.areas.to_crs(4326).total_bounds
    for text in [t for t in raw.split(";") if t.strip()]:
        try:
            lon, lat = (float(v) for v in text.split(","))
        except ValueError:
            notices.add(f"Ignored added site {text!r}: give lon,lat.")
            continue
        if not (lon0 - 0.05 <= lon <= lon1 + 0.05 and lat0 - 0.05 <= lat <= lat1 + 0.05):
            notices.add(f"Ignored added site {text!r}: it is outside {place.name}.")
            continue
        added.append([round(lon, 6), round(lat, 6)])
    removed = [r.strip() for r in (first(query.get("removed")) or "").split(",") if r.strip()]
    return added, list(dict.fromkeys(removed)), notices


def settings_key(
    objective, hubs, minutes, target, mode, weight, candidates, existing, staff, added, removed
) -> dict:
    """The settings that make a plan, normalised so that equal settings compare equal."""

    def num(v):
        try:
            return None if v is None or v == "" else float(v)
        except (TypeError, ValueError):
            return str(v)

    return {
        "objective": objective,
        "hubs": num(hubs),
        "minutes": num(minutes),
        "target": num(target),
        "mode": mode,
        "weight": weight,
        "candidates": candidates or "all",
        "existing": sorted(existing or []),
        "staff": num(staff),
        "added": [[round(float(a), 6), round(float(b), 6)] for a, b in (added or [])],
        "removed": sorted(str(r) for r in (removed or [])),
    }


SETTING_KEYS = (
    "objective",
    "hubs",
    "minutes",
    "target",
    "mode",
    "weight",
    "candidates",
    "existing",
    "staff",
    "added",
    "removed",
)

SETTING_LABELS = {
    "objective": "objective",
    "hubs": "hubs",
    "minutes": "time limit",
    "target": "cover target",
    "mode": "travel mode",
    "weight": "weight",
    "candidates": "candidate sites",
    "existing": "existing hubs kept",
    "staff": "staff",
    "added": "added sites",
    "removed": "removed sites",
}


def stale_changes(made_with: dict | None, current: dict) -> list[str]:
    """What differs between the settings a result was made with and the current ones."""
    if not made_with:
        return []
    out = []
    for key, label in SETTING_LABELS.items():
        a, b = made_with.get(key), current.get(key)
        if a != b:
            if key in ("added", "removed", "existing"):
                out.append(label)
            else:
                out.append(f"{label} {_show(a)} → {_show(b)}")
    return out


def _show(value) -> str:
    if isinstance(value, float) and value == int(value):
        return f"{int(value)}"
    return "none" if value is None else str(value)


def opened_scenario(the_place: Place, query: dict) -> tuple[dict, dict | None, str | None]:
    """``?scenario=NAME``: the saved scenario's settings are the base of the query (any other
    setting in the URL overrides them). Returns (query, scenario store data, notice)."""
    from urllib.parse import parse_qs, urlparse

    name = first(query.get("scenario"))
    rest = {k: v for k, v in query.items() if k != "scenario"}
    if not name:
        return rest, None, None
    try:
        scenario = load_saved(the_place, name)
    except InputError as exc:
        return rest, None, f"Ignored scenario {name!r}: {exc}"
    base = parse_qs(
        urlparse(scenario_query(current_place_key(the_place), scenario)).query,
        keep_blank_values=True,
    )
    base.pop("place", None)
    return {**base, **rest}, {"name": scenario.name, "hubs": sorted(map(str, scenario.hubs))}, None


def layout(place=None, **query):
    the_place, notice = open_place_safe(first(place))
    set_name = first(query.get("set")) or None
    _, set_notice = place_view(the_place, set_name)
    if set_notice:
        set_name = None
    query, opened, scenario_notice = opened_scenario(the_place, query)
    settings, notices = planner_settings(the_place, query)
    notices.add(notice)
    notices.add(scenario_notice)
    notices.add(set_notice)
    added, removed, site_notices = planner_sites(the_place, query)
    for item in site_notices.items:
        notices.add(item)
    kinds = the_place.site_kinds
    cand_opts = [{"label": "All sites", "value": "all"}] + [
        {"label": k.replace("_", " "), "value": k} for k in kinds
    ]
    cand_opts.append({"label": "Regular grid over populated areas (500 m)", "value": "grid"})
    names = scenario_names(the_place)
    controls = html.Div(
        [
            _control(
                "Objective",
                dcc.Dropdown(
                    id="planner-objective",
                    clearable=False,
                    value=settings["objective"],
                    options=[{"label": OBJECTIVE_LABELS[o], "value": o} for o in OBJECTIVES],
                ),
            ),
            _control(
                "Hubs (in total)",
                dcc.Input(id="planner-hubs", type="number", min=1, step=1, value=settings["hubs"]),
                "Existing hubs kept count towards this.",
            ),
            _control(
                "Time limit (minutes)",
                dcc.Input(
                    id="planner-minutes", type="number", min=1, step=1, value=settings["minutes"]
                ),
            ),
            _control(
                "Cover target (%)",
                dcc.Input(
                    id="planner-target",
                    type="number",
                    min=1,
                    max=100,
                    step=1,
                    value=settings["target"],
                ),
                "Only for the cover objective.",
            ),
            _control(
                "Travel mode",
                dcc.Dropdown(
                    id="planner-mode",
                    clearable=False,
                    value=settings["mode"],
                    options=[
                        {"label": mode_label(m), "value": m} for m in available_modes(the_place)
                    ],
                ),
            ),
            _control(
                "Weight demand by",
                dcc.Dropdown(
                    id="planner-weight",
                    clearable=False,
                    value=settings["weight"],
                    options=weight_options(the_place),
                ),
            ),
            _control(
                "Candidate sites",
                dcc.Dropdown(
                    id="planner-candidates",
                    clearable=False,
                    value=settings["candidates"],
                    options=cand_opts,
                ),
            ),
            _control(
                "Keep existing hubs",
                dcc.Dropdown(
                    id="planner-existing",
                    multi=True,
                    value=settings["existing"],
                    options=[{"label": k.replace("_", " "), "value": k} for k in kinds],
                ),
            ),
            _control(
                "Staff to allocate (FTE)",
                dcc.Input(
                    id="planner-staff", type="number", min=0, step=0.5, value=settings["staff"]
                ),
            ),
            html.Div(
                [
                    html.Button("Run", id="planner-run", n_clicks=0, className="button-primary"),
                    html.Button(
                        "Cancel",
                        id="planner-cancel",
                        n_clicks=0,
                        className="button",
                        disabled=True,
                        title="Stop the plan being made on the server",
                    ),
                ],
                className="button-row",
            ),
        ],
        className="form-grid planner-controls",
    )
    approx = (
        " Travel times are approximate (straight line x detour factor): this place has no road network."
        if is_approximate(the_place)
        else ""
    )
    scenarios = html.Section(
        [
            html.H2("Scenarios"),
            html.Div(
                [
                    _control(
                        "Save this plan as",
                        dcc.Input(
                            id="planner-name",
                            type="text",
                            placeholder="e.g. 7 hubs, 15 min walk",
                            debounce=False,
                            maxLength=120,
                        ),
                    ),
                    html.Button("Save scenario", id="planner-save", n_clicks=0, disabled=True),
                    dcc.ConfirmDialog(id="planner-confirm", message=""),
                ],
                className="form-grid",
            ),
            html.P(id="planner-save-status", role="status", **{"aria-live": "polite"}),
            html.Div(
                [
                    _control(
                        "Scenario A",
                        dcc.Dropdown(
                            id="planner-a",
                            options=names,
                            value=names[1] if len(names) > 1 else None,
                            placeholder="Choose saved scenario A",
                        ),
                    ),
                    _control(
                        "Scenario B",
                        dcc.Dropdown(
                            id="planner-b",
                            options=names,
                            value=names[0] if names else None,
                            placeholder="Choose saved scenario B",
                        ),
                    ),
                    html.Button("Compare", id="planner-compare", n_clicks=0),
                    html.A(
                        "Open scenario A in the planner",
                        id="planner-open",
                        href="",
                        hidden=True,
                        className="button",
                    ),
                ],
                className="form-grid",
            ),
            html.Div(id="planner-comparison"),
            download_bar("planner-cmp", what="the scenario comparison"),
        ],
        className="planner-scenarios",
    )
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="planner-notice"),
            dcc.Store(id="planner-url-dummy"),
            html.H1(f"{the_place.name}: plan hubs", className="page-title"),
            html.P(
                "Choose where hubs go so that the most children in need are near one. Click an area on the "
                "map to add a possible site there; click a site to remove it (again to restore)."
                + approx,
                className="control-help",
            ),
            controls,
            html.Div(
                id="planner-stale",
                role="status",
                className="notice-line",
                hidden=True,
                **{"aria-live": "polite"},
            ),
            html.Div(id="planner-progress", role="status", **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id="planner-summary", role="status", **{"aria-live": "polite"})),
            described(
                dcc.Graph(
                    id="planner-map",
                    style={"height": "560px"},
                    config={"displaylogo": False, "scrollZoom": True},
                ),
                "Map of the chosen hubs and the areas they reach; the hubs and the people "
                "reached are in the tables below.",
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.H2("Hubs"),
                            grid("planner-hubs-table", label="Chosen hubs and their catchments"),
                            download_bar(
                                "planner-hubs",
                                what="the table of chosen hubs",
                            ),
                            html.P(
                                "The chosen hubs with their locations (WGS 84):",
                                className="control-help",
                            ),
                            download_bar(
                                "planner-points",
                                what="the chosen hubs with their locations",
                                geojson="the chosen hubs (points)",
                            ),
                        ]
                    ),
                    html.Section(
                        [
                            html.H2("Coverage curve"),
                            described(
                                dcc.Graph(id="planner-curve", config={"displaylogo": False}),
                                "Line chart of the share of children in need reached as hubs "
                                "are added, one hub at a time.",
                            ),
                        ]
                    ),
                ],
                className="two-col",
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.H2(id="planner-equity-title", children=equity_label(the_place)),
                            html.P(
                                "Decile 1 = most deprived 10% of areas in England.",
                                className="control-help",
                            ),
                            grid("planner-equity", label="Coverage by deprivation decile"),
                            download_bar("planner-equity", what="the coverage by decile table"),
                        ]
                    ),
                    html.Section(
                        [
                            html.H2("Travel time to the nearest hub"),
                            grid("planner-bands", label="Travel time to the nearest hub"),
                            download_bar("planner-bands", what="the travel-time table"),
                        ]
                    ),
                ],
                className="two-col",
            ),
            html.Section(
                [
                    html.H2("Staff split by need in each catchment"),
                    html.P(
                        "Largest-remainder rounding: the split adds up exactly to the total.",
                        className="control-help",
                    ),
                    grid("planner-teams", label="Staff split by need in each catchment"),
                    download_bar("planner-teams", what="the staff split table"),
                ]
            ),
            html.Section(
                [
                    html.H2("Impact against today"),
                    html.P(
                        "Compare the plan shown with today's hubs (the kinds kept as existing "
                        "hubs): which areas, and how many, lose or gain access within the time "
                        "limit, by deprivation decile and footprint. Downloads a printable "
                        "pack (PDF) and every area (CSV).",
                        className="control-help",
                    ),
                    _set_links(the_place, set_name),
                    html.Div(
                        [
                            html.Button("Impact against today", id="planner-impact", n_clicks=0),
                            html.Button(
                                "Cancel",
                                id="planner-impact-cancel",
                                n_clicks=0,
                                className="button",
                                disabled=True,
                                title="Stop making the impact pack",
                            ),
                        ],
                        className="button-row",
                    ),
                    html.Div(
                        id="planner-impact-progress", role="status", **{"aria-live": "polite"}
                    ),
                    dcc.Loading(html.Div(id="planner-impact-out", role="status")),
                    dcc.Download(id="planner-impact-pdf"),
                    dcc.Download(id="planner-impact-csv"),
                    dcc.Download(id="planner-impact-meta"),
                ],
                className="planner-impact",
            ),
            scenarios,
            attribution_footer(the_place),
            dcc.Store(
                id="planner-state", data={"place": current_place_key(the_place), "set": set_name}
            ),
            dcc.Store(id="planner-added", data=added),
            dcc.Store(id="planner-removed", data=removed),
            dcc.Store(id="planner-result", data=None),
            # the saved scenario on screen ({"name", "hubs"}), from ?scenario= or a Save
            dcc.Store(
                id="planner-scenario",
                data=opened
                and {
                    **opened,
                    "settings": settings_key(
                        *(settings[k] for k in SETTING_KEYS[:9]), added, removed
                    ),
                },
            ),
            dcc.Store(id="planner-shown", data=None),
        ],
        className="page page-planner",
    )


def _frame_grid(
    frame: pd.DataFrame, columns: list[tabular.Column]
) -> tuple[list[dict], list[dict]]:
    if frame is None or frame.empty:
        return [], []
    return grid_data(frame, columns)


def hub_table(
    per_hub: pd.DataFrame, *, weight_label: str, minutes: float | None, today: list[str]
) -> tuple[pd.DataFrame, list[tabular.Column]]:
    """The hubs table: names (not ids), role, catchment and journeys as numbers with units."""
    today_set = set(today)
    weight = pd.to_numeric(per_hub["weight"], errors="coerce")
    covered = pd.to_numeric(per_hub["covered_weight"], errors="coerce")
    frame = pd.DataFrame(
        {
            "hub": per_hub["name"].astype(str).to_numpy(),
            "role": ["existing hub kept" if h in today_set else "new hub" for h in per_hub["hub"]],
            "areas": per_hub["areas"].to_numpy(),
            "weight": weight.to_numpy(),
            "within": (100 * covered / weight.where(weight > 0)).to_numpy(),
            "mean": pd.to_numeric(per_hub["mean_minutes"], errors="coerce").to_numpy(),
            "gain": pd.to_numeric(per_hub["marginal_gain"], errors="coerce").to_numpy(),
        }
    )
    gain = (
        tabular.Column("gain", "Lost if removed", weight_label, "count")
        if minutes is not None
        else tabular.Column("gain", "Extra weighted minutes if removed", "minutes", "count")
    )
    columns = [
        tabular.Column("hub", "Hub"),
        tabular.Column("role", "Role"),
        tabular.Column("areas", "Areas in catchment", kind="count"),
        tabular.Column("weight", "Catchment", weight_label, "count"),
        tabular.Column(
            "within",
            f"Of which within {minutes:g} min" if minutes is not None else "Within limit",
            "%",
            "number",
        ),
        tabular.Column("mean", "Average journey", "minutes", "number"),
        gain,
    ]
    if minutes is None:
        columns = [c for c in columns if c.key != "within"]
    return frame[[c.key for c in columns]], columns


def hub_rows(
    per_hub: pd.DataFrame, *, weight_label: str, minutes: float | None, today: list[str]
) -> tuple[list[dict], list[dict]]:
    """``(rowData, columnDefs)`` of the hubs grid (:func:`hub_table`)."""
    return _frame_grid(*hub_table(per_hub, weight_label=weight_label, minutes=minutes, today=today))


def equity_rows(
    equity: pd.DataFrame | None, *, weight_label: str, minutes: float | None
) -> tuple[list[dict], list[dict]]:
    """Coverage by deprivation decile, as numbers with units."""
    if equity is None or equity.empty:
        return [], []
    frame = pd.DataFrame(
        {
            "group": equity["group"].astype(str).to_numpy(),
            "weight": pd.to_numeric(equity["weight"], errors="coerce").to_numpy(),
            "share": (100 * pd.to_numeric(equity["covered_share"], errors="coerce")).to_numpy(),
            "mean": pd.to_numeric(equity["mean_minutes"], errors="coerce").to_numpy(),
        }
    )
    columns = [
        tabular.Column("group", equity.attrs.get("label", "Decile")),
        tabular.Column("weight", weight_label, kind="count"),
        tabular.Column(
            "share",
            f"Within {minutes:g} min" if minutes is not None else "Within limit",
            "%",
            "number",
        ),
        tabular.Column("mean", "Average journey", "minutes", "number"),
    ]
    if minutes is None:
        columns = [c for c in columns if c.key != "share"]
    return _frame_grid(frame[[c.key for c in columns]], columns)


def band_rows(bands: pd.DataFrame, *, weight_label: str) -> tuple[list[dict], list[dict]]:
    """Weight by travel-time band, as numbers with units."""
    frame = pd.DataFrame(
        {
            "band": [b if b == "unreachable" else f"{b} min" for b in bands["band"]],
            "weight": pd.to_numeric(bands["weight"], errors="coerce").to_numpy(),
            "share": (100 * pd.to_numeric(bands["share"], errors="coerce")).to_numpy(),
        }
    )
    columns = [
        tabular.Column("band", "Travel time"),
        tabular.Column("weight", weight_label, kind="count"),
        tabular.Column("share", "Share", "%", "number"),
    ]
    return _frame_grid(frame, columns)


def team_rows(
    teams: pd.DataFrame | None, per_hub: pd.DataFrame, *, weight_label: str
) -> tuple[list[dict], list[dict]]:
    """The staff split by hub (names, not ids): need, share, exact quota and staff (FTE)."""
    if teams is None or teams.empty:
        return [], []
    names = dict(zip(per_hub["hub"].astype(str), per_hub["name"].astype(str), strict=False))
    frame = pd.DataFrame(
        {
            "hub": [names.get(str(h), str(h)) for h in teams.index],
            "need": teams["need"].to_numpy(),
            "share": (100 * teams["share"]).to_numpy(),
            "quota": teams["quota"].to_numpy(),
            "allocated": teams["allocated"].to_numpy(),
        }
    )
    columns = [
        tabular.Column("hub", "Hub"),
        tabular.Column("need", "Need in catchment", weight_label, "count"),
        tabular.Column("share", "Share of need", "%", "number"),
        tabular.Column("quota", "Exact share of staff", "FTE", "number", decimals=2),
        tabular.Column("allocated", "Staff", "FTE", "number", decimals=1),
    ]
    return _frame_grid(frame, columns)


def today_hubs(place: Place, existing: list[str] | None) -> list[str]:
    """Ids of today's hubs: the sites of the kinds kept as existing hubs."""
    kinds = [k for k in (existing or []) if k in place.site_kinds]
    if not kinds:
        return []
    return list(place.sites.loc[place.sites["kind"].isin(kinds), "site_id"].astype(str))


def _summary(run, place: Place) -> html.Div:
    r = run.result
    bits = [f"{r.hubs} hubs"]
    label = r.weight_label
    if r.covered_share is not None:
        bits.append(
            f"{r.covered_share:.1%} of the demand within {r.minutes:g} minutes "
            f"({r.covered_weight:,.0f} of {r.total_weight:,.0f}, weighted by {label})"
        )
    if r.weighted_mean_minutes is not None:
        bits.append(f"average journey {r.weighted_mean_minutes:.1f} minutes")
    gap = "not known (heuristic)" if r.gap is None else f"{r.gap:.2%}"
    method = (
        f"Method: {r.method}; {r.status}; optimality gap {gap}; solved in {r.solve_seconds:.2f} s."
    )
    if run.curve is not None and len(run.curve):
        method += (
            f" Coverage curve: the best plan for {int(run.curve['hubs'].min())} to "
            f"{int(run.curve['hubs'].max())} hubs, "
            f"each exact, in {run.curve_seconds:.2f} s."
            if (run.curve["method"] == "exact").all()
            else f" Coverage curve (heuristic plans) in {run.curve_seconds:.2f} s."
        )
    return html.Div(
        [html.P(html.Strong("; ".join(bits) + ".")), html.P(method, id="planner-method")]
        + [html.P(n, className="control-help") for n in run.notes]
    )


@callback(
    Output("planner-map", "figure"),
    Output("planner-summary", "children"),
    Output("planner-hubs-table", "rowData"),
    Output("planner-hubs-table", "columnDefs"),
    Output("planner-curve", "figure"),
    Output("planner-equity", "rowData"),
    Output("planner-equity", "columnDefs"),
    Output("planner-bands", "rowData"),
    Output("planner-bands", "columnDefs"),
    Output("planner-teams", "rowData"),
    Output("planner-teams", "columnDefs"),
    Output("planner-result", "data"),
    Input("planner-run", "n_clicks"),
    Input("planner-added", "data"),
    Input("planner-removed", "data"),
    State("planner-objective", "value"),
    State("planner-hubs", "value"),
    State("planner-minutes", "value"),
    State("planner-target", "value"),
    State("planner-mode", "value"),
    State("planner-weight", "value"),
    State("planner-candidates", "value"),
    State("planner-existing", "value"),
    State("planner-staff", "value"),
    State("planner-state", "data"),
    # Siting and its curve are long jobs on large places: a background worker (hubplan.jobs)
    # runs them, with progress, and Cancel stops them. The result carries the settings that
    # made it (``payload["settings"]``), so the stale marking and Save work as before.
    background=True,
    running=[
        (Output("planner-run", "disabled"), True, False),
        (Output("planner-cancel", "disabled"), False, True),
    ],
    cancel=[Input("planner-cancel", "n_clicks")],
    progress=[Output("planner-progress", "children")],
    progress_default=[""],
)
def run_job(set_progress, *args):
    """The planner's Run as a background job (the body is :func:`run`)."""
    set_progress("Planning: choosing hubs and the coverage curve ...")
    return run(*args)


def run(
    _n,
    added,
    removed,
    objective,
    hubs,
    minutes,
    target,
    mode,
    weight,
    candidates,
    existing,
    staff,
    state,
):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        plan = run_plan(
            place,
            objective=objective,
            hubs=int(hubs) if hubs else None,
            minutes=float(minutes) if minutes else (None if objective == "median" else 15.0),
            target=(float(target) / 100) if target else None,
            mode=mode,
            weight=weight,
            candidates=candidates or "all",
            existing=existing or [],
            added=[tuple(p) for p in added or []],
            removed=list(removed or []),
            staff=float(staff) if staff else None,
            staff_step=0.5,
        )
    except InputError as exc:
        message = html.P(f"Cannot plan: {exc}", className="notice-line")
        return (dash.no_update, message, *([dash.no_update] * 10))
    r = plan.result
    weights = pd.Series(plan.problem.weights, index=plan.problem.demand_ids)
    traces = [
        siting_layers.weight_choropleth(place, weights, label=r.weight_label),
        siting_layers.coverage_choropleth(place, r.assignment, minutes=r.minutes, over_weight=True),
    ]
    reach_note = None
    if r.minutes is not None:
        try:
            from geo.network.isochrones import isochrones

            hubs_pts = plan.candidates.loc[list(r.selected)].geometry
            traces.append(
                siting_layers.reach_outline(
                    isochrones(place, hubs_pts, mode=mode, minutes=[r.minutes])
                )
            )
        except Exception as exc:  # the outline is a bonus: never fail the plan for it
            reach_note = f"Reach outline not drawn: {' '.join(str(exc).split())[:200]}"
    traces += siting_layers.candidate_markers(
        place_candidates(place, candidates, added), removed=list(removed or [])
    )
    if plan.teams is not None:  # under the hub markers so hubs stay visible
        traces.append(siting_layers.team_markers(plan.candidates, plan.teams, unit="FTE"))
    today = today_hubs(place, existing)
    today_sites = None
    if today:
        from geo.siting import candidates as cand

        today_sites = cand.from_sites(place, [k for k in existing if k in place.site_kinds])
    traces += siting_layers.hub_markers(
        plan.candidates,
        r.per_hub,
        weight_label=r.weight_label.lower(),
        today=today,
        sites=today_sites,
    )
    fig = map_dict(place, traces)
    hubs_rows, hubs_cols = hub_rows(
        r.per_hub, weight_label=r.weight_label, minutes=r.minutes, today=today
    )
    eq_rows, eq_cols = equity_rows(r.equity, weight_label=r.weight_label, minutes=r.minutes)
    band_rows_, band_cols = band_rows(r.bands, weight_label=r.weight_label)
    team_rows_, team_cols = team_rows(plan.teams, r.per_hub, weight_label=r.weight_label)
    curve = (
        siting_layers.curve_figure(plan.curve, objective=objective, chosen=r.hubs)
        if plan.curve is not None
        else {}
    )
    summary = _summary(plan, place)
    if reach_note:
        summary.children.append(html.P(reach_note, className="control-help"))
    scenario = from_result("unsaved", r, mode=mode, params=plan.params, candidates=plan.candidates)
    payload = {
        "objective": scenario.objective,
        "hubs": scenario.hubs,
        "mode": mode,
        "minutes": scenario.minutes,
        "params": scenario.params,
        "results": scenario.results,
        "settings": settings_key(
            objective,
            hubs,
            minutes,
            target,
            mode,
            weight,
            candidates,
            existing,
            staff,
            added,
            removed,
        ),
    }
    # Plain dicts, not go.Figure: the job's result is pickled into the job cache and read
    # back by the app server, and a Figure would be validated all over again there.
    return (
        fig,
        summary,
        hubs_rows,
        hubs_cols,
        curve.to_plotly_json() if hasattr(curve, "to_plotly_json") else curve,
        eq_rows,
        eq_cols,
        band_rows_,
        band_cols,
        team_rows_,
        team_cols,
        payload,
    )


def map_dict(place: Place, traces: list) -> dict:
    """The planner map as a plain figure dict (:func:`layers.base.map_figure`), without
    deep-copying the areas' GeoJSON for each choropleth: plotly copies every trace into the
    figure and again into the dict, and the GeoJSON is most of the work (it is the cached
    display GeoJSON, shared, never modified). Clicks report as events."""
    shapes = {}
    for trace in traces:
        if isinstance(trace, go.Choroplethmap) and trace.geojson is not None and trace.uid:
            shapes[trace.uid] = trace.geojson
            trace.geojson = None
    fig = map_figure(place, traces)
    fig.update_layout(clickmode="event")
    out = fig.to_plotly_json()
    for trace in out["data"]:
        if trace.get("uid") in shapes:
            trace["geojson"] = shapes[trace["uid"]]
    return out


def place_candidates(place: Place, spec: str, added) -> object:
    from geo.siting.plan import build_candidates

    return build_candidates(place, spec or "all", added=[tuple(p) for p in added or []])


@callback(
    Output("planner-added", "data"),
    Output("planner-removed", "data"),
    Input("planner-map", "clickData"),
    State("planner-added", "data"),
    State("planner-removed", "data"),
    State("planner-state", "data"),
    prevent_initial_call=True,
)
def click(click_data, added, removed, state):
    """Area click -> add a site at its inside point; site click -> remove / restore it."""
    added, removed = list(added or []), list(removed or [])
    points = (click_data or {}).get("points") or []
    if not points:
        return dash.no_update, dash.no_update
    point = points[0]
    if point.get("location") is not None:  # an area of the choropleth
        place, _ = open_place_safe((state or {}).get("place"))
        code = str(point["location"])
        if code not in place.areas.index:
            return dash.no_update, dash.no_update
        pt = place.areas.loc[[code]].geometry.representative_point().to_crs(4326).iloc[0]
        added.append([round(pt.x, 6), round(pt.y, 6)])
        return added, dash.no_update
    cid = point.get("customdata")
    if isinstance(cid, list):
        cid = cid[0] if cid else None
    if not cid:
        return dash.no_update, dash.no_update
    cid = str(cid)
    if cid.startswith("new-"):
        k = int(cid.split("-", 1)[1]) - 1
        if 0 <= k < len(added):
            added.pop(k)
        return added, dash.no_update
    if cid in removed:
        removed.remove(cid)
    else:
        removed.append(cid)
    return dash.no_update, removed


SETTING_INPUTS = [
    Input("planner-objective", "value"),
    Input("planner-hubs", "value"),
    Input("planner-minutes", "value"),
    Input("planner-target", "value"),
    Input("planner-mode", "value"),
    Input("planner-weight", "value"),
    Input("planner-candidates", "value"),
    Input("planner-existing", "value"),
    Input("planner-staff", "value"),
    Input("planner-added", "data"),
    Input("planner-removed", "data"),
]


def shown_scenario(payload: dict | None, scenario: dict | None, current: dict) -> str | None:
    """The saved scenario on screen: its name while the result shown was made with its
    settings, those are still the controls' settings, and it chose the scenario's hubs."""
    if not payload or not scenario or not scenario.get("name"):
        return None
    made_with = payload.get("settings")
    if made_with != current or made_with != scenario.get("settings"):
        return None
    if sorted(map(str, payload.get("hubs") or [])) != list(scenario.get("hubs") or []):
        return None
    return scenario["name"]


def scenario_differs(payload: dict, scenario: dict | None) -> str:
    """Said when a reopened scenario, re-run with its own settings, chose other hubs than
    were saved (the data changed since): never show a different plan under its name."""
    if not scenario or payload.get("settings") != scenario.get("settings"):
        return ""
    saved = list(scenario.get("hubs") or [])
    now = sorted(map(str, payload.get("hubs") or []))
    if now == saved:
        return ""
    gone = [h for h in saved if h not in now]
    new = [h for h in now if h not in saved]
    return (
        f"Scenario '{scenario.get('name')}' was saved with other hubs: re-run on today's data "
        f"with its settings, the plan drops {', '.join(gone) or 'none'} and adds "
        f"{', '.join(new) or 'none'}. The plan below is today's; save it to keep it."
    )


@callback(
    Output("planner-stale", "children"),
    Output("planner-stale", "hidden"),
    Output("planner-save", "disabled"),
    Output("planner-save", "title"),
    Output("planner-shown", "data"),
    *SETTING_INPUTS,
    Input("planner-result", "data"),
    Input("planner-scenario", "data"),
)
def mark_stale(*values):
    """The result on screen is tied to the settings that made it: any change marks it stale
    and disables Save until Run. Also which saved scenario is on screen (for the URL)."""
    *controls, payload, scenario = values
    if not payload:
        return "", True, True, "Run a plan before saving it.", None
    current = settings_key(*controls)
    shown = shown_scenario(payload, scenario, current)
    changes = stale_changes(payload.get("settings"), current)
    if not changes:
        differs = scenario_differs(payload, scenario)
        return differs, not differs, False, "Save the plan shown", shown
    text = (
        "Out of date: the plan below was made with other settings ("
        + "; ".join(changes)
        + "). Press Run to plan with the new settings; Save is off until then."
    )
    return text, False, True, "Press Run first: the settings changed since the plan shown", shown


@callback(
    Output("planner-confirm", "displayed"),
    Output("planner-confirm", "message"),
    Output("planner-save-status", "children"),
    Output("planner-a", "options"),
    Output("planner-b", "options"),
    Output("planner-scenario", "data"),
    Input("planner-save", "n_clicks"),
    Input("planner-confirm", "submit_n_clicks"),
    State("planner-name", "value"),
    State("planner-result", "data"),
    State("planner-state", "data"),
    *[State(i.component_id, i.component_property) for i in SETTING_INPUTS],
    prevent_initial_call=True,
)
def save(_n, _confirmed, name, payload, state, *controls):
    """Save the current plan; a clashing name asks first (the dialog's OK overwrites).

    A plan whose settings differ from the controls' is never saved (the button is disabled
    then too; this is the server's own check)."""
    place, _ = open_place_safe((state or {}).get("place"))
    no = dash.no_update
    if not payload:
        return False, "", "Run a plan before saving it.", no, no, no
    if stale_changes(payload.get("settings"), settings_key(*controls)):
        return (
            False,
            "",
            "Not saved: the settings changed since the plan shown. Press Run first.",
            no,
            no,
            no,
        )
    store = store_for(place)
    overwrite = ctx.triggered_id == "planner-confirm"
    try:
        from geo.siting.scenarios import Scenario, check_name

        name = check_name(name or "")
        if not overwrite and name in store.names(place.name):
            return (
                True,
                f"A scenario called '{name}' already exists. Overwrite it?",
                "",
                no,
                no,
                no,
            )
        store.save(
            place.name,
            Scenario(
                name=name,
                objective=payload["objective"],
                hubs=payload["hubs"],
                mode=payload["mode"],
                minutes=payload["minutes"],
                params=payload["params"],
                results=payload["results"],
            ),
            overwrite=overwrite,
        )
    except InputError as exc:
        return False, "", f"Not saved: {exc}", no, no, no
    names = store.names(place.name)
    verb = "Overwrote" if overwrite else "Saved"
    shown = {
        "name": name,
        "hubs": sorted(map(str, payload["hubs"])),
        "settings": payload.get("settings"),
    }
    return False, "", f"{verb} scenario '{name}' in {store.public_label()}.", names, names, shown


@callback(
    Output("planner-comparison", "children"),
    Input("planner-compare", "n_clicks"),
    State("planner-a", "value"),
    State("planner-b", "value"),
    State("planner-state", "data"),
    prevent_initial_call=True,
)
def compare_scenarios(_n, a_name, b_name, state):
    place, _ = open_place_safe((state or {}).get("place"))
    if not a_name or not b_name:
        return html.P("Choose two saved scenarios to compare.")
    store = store_for(place)
    try:
        a, b = store.load(place.name, a_name), store.load(place.name, b_name)
    except InputError as exc:
        return html.P(str(exc))
    out = compare(a, b)
    blocks = [html.P(n, className="control-help") for n in out["notes"]]
    for key, title, (frame, columns) in comparison_tables(out):
        blocks.append(html.H3(title))
        blocks.append(grid(f"planner-cmp-{key}", frame, columns, label=f"{title}: A and B"))
    traces = siting_layers.difference_traces(
        place, out, a.results.get("hub_points", []), b.results.get("hub_points", [])
    )
    blocks.append(html.H3("Map of the differences"))
    blocks.append(
        described(
            dcc.Graph(
                id="planner-diff-map", figure=map_figure(place, traces), style={"height": "460px"}
            ),
            f"Map of the hubs of scenario A ({a.name}) and scenario B ({b.name}).",
        )
    )
    return html.Div([html.P(f"A = {a.name}; B = {b.name}"), *blocks], id="planner-comparison-body")


COMPARISON = (
    ("summary", "Summary (B minus A)"),
    ("settings", "Settings"),
    ("equity", "Equity by decile"),
    ("bands", "Travel-time bands (share of weight)"),
    ("hubs", "Hubs"),
)


def _comparison_label(key: str) -> str:
    """``covered_share_a`` -> ``Covered share, A``; ``difference`` -> ``B minus A``."""
    fixed = {"a": "A", "b": "B", "difference": "B minus A", "in": "In", "group": "Decile"}
    if key in fixed:
        return fixed[key]
    for end, who in (("_a", "A"), ("_b", "B")):
        if key.endswith(end):
            return f"{key[: -len(end)].replace('_', ' ').capitalize()}, {who}"
    return key.replace("_", " ").capitalize()


def comparison_tables(out: dict) -> list[tuple[str, str, tuple[pd.DataFrame, list]]]:
    """Each table of a scenario comparison as shown: ``(key, title, (frame, columns))``.

    Numbers are formatted as the CLI prints them (thousands separators, shares as
    percentages, minutes with their unit); hubs are named (their ids are left out).
    """
    from hubplan.cli.site_cmds import format_table

    tables = []
    for key, title in COMPARISON:
        frame = out[key]
        if key == "hubs" and "name" in frame:
            frame = frame.drop(columns="hub")
        shown = format_table(frame) if len(frame) else frame.astype(object)
        shown = shown.astype(object).where(shown.notna(), None)
        columns = [tabular.Column(str(c), _comparison_label(str(c))) for c in shown.columns]
        tables.append((key, title, (shown.reset_index(drop=True), columns)))
    return tables


def comparison_frame(out: dict) -> tuple[pd.DataFrame, list[tabular.Column]]:
    """Every table of a comparison stacked for one download: section, item, A, B, B minus A."""
    records = []
    for _key, title, (frame, columns) in comparison_tables(out):
        keys = [c.key for c in columns]
        bases = [""] if "a" in keys else [k[:-2] for k in keys if k.endswith("_a")]
        for row in frame.itertuples(index=False, name=None):
            values = dict(zip(keys, row, strict=True))
            item = values[keys[0]]
            if not bases and "in" in values:  # hubs: in A, B or both
                a = "yes" if values["in"] in ("a only", "both") else "no"
                b = "yes" if values["in"] in ("b only", "both") else "no"
                records.append({"section": title, "item": item, "a": a, "b": b, "difference": None})
            for base in bases:
                pre = f"{base}_" if base else ""
                label = f"{item}: {base.replace('_', ' ')}" if base else item
                records.append(
                    {
                        "section": title,
                        "item": label,
                        "a": values.get(f"{pre}a"),
                        "b": values.get(f"{pre}b"),
                        "difference": values.get(f"{pre}difference"),
                    }
                )
    columns = [
        tabular.Column("section", "Table"),
        tabular.Column("item", "Item"),
        tabular.Column("a", "Scenario A"),
        tabular.Column("b", "Scenario B"),
        tabular.Column("difference", "B minus A"),
    ]
    return pd.DataFrame(records, columns=[c.key for c in columns]), columns


def equity_label(place: Place) -> str:
    key = national_decile_key(place)
    return (
        f"Equity by {place.catalogue[key].label}"
        if key
        else "Equity (no national decile indicator)"
    )


# The URL carries the settings (replaceState: changing a setting does not add history entries),
# so a link reopens the planner as it was set up.
clientside_callback(
    """
    function(objective, hubs, minutes, target, mode, weight, candidates, existing, staff,
             added, removed, shown, state) {
        if (!state) { return window.dash_clientside.no_update; }
        var p = new URLSearchParams();
        p.set('place', state.place);
        var put = function(k, v) { if (v !== null && v !== undefined && v !== '') { p.set(k, v); } };
        put('objective', objective); put('hubs', hubs); put('minutes', minutes);
        put('target', target); put('mode', mode); put('weight', weight);
        put('candidates', candidates); p.set('existing', (existing || []).join(','));
        put('staff', staff);
        put('added', (added || []).map(function(p) { return p[0] + ',' + p[1]; }).join(';'));
        put('removed', (removed || []).join(','));
        put('scenario', shown);
        put('set', state.set);
        var search = '?' + p.toString().replace(/%2C/g, ',').replace(/%3B/g, ';');
        if (search !== window.location.search) {
            window.history.replaceState(window.history.state, '', window.location.pathname + search);
        }
        return search;
    }
    """,
    Output("planner-url-dummy", "data"),
    *SETTING_INPUTS,
    Input("planner-shown", "data"),
    State("planner-state", "data"),
)


def scenario_query(place_key: str, scenario) -> str:
    """The planner URL query that re-makes a saved scenario (its settings, sites added and
    removed); with deterministic tie-breaking the Run gives the same plan on the same data."""
    from urllib.parse import urlencode

    params = dict(scenario.params or {})
    query: dict[str, object] = {"place": place_key, "objective": scenario.objective}
    hubs = params.get("hubs") or len(scenario.hubs)
    query["hubs"] = int(hubs)
    if scenario.minutes is not None:
        query["minutes"] = f"{float(scenario.minutes):g}"
    target = params.get("target")
    if target is not None:
        query["target"] = f"{100 * float(target):g}" if float(target) <= 1 else f"{target:g}"
    if scenario.mode:
        query["mode"] = scenario.mode
    for key in ("weight", "candidates"):
        if params.get(key):
            query[key] = params[key]
    existing = params.get("existing")
    if isinstance(existing, str):
        existing = [k.strip() for k in existing.split(",") if k.strip()]
    query["existing"] = ",".join(existing or [])
    if params.get("staff"):
        query["staff"] = f"{float(params['staff']):g}"
    added = params.get("added") or [
        [float(v) for v in t.split(",")] for t in params.get("add_points") or []
    ]
    if added:
        query["added"] = ";".join(f"{a:g},{b:g}" for a, b in added)
    if params.get("removed"):
        query["removed"] = ",".join(params["removed"])
    return "?" + urlencode(query, safe=",;")


@callback(
    Output("planner-open", "href"),
    Output("planner-open", "hidden"),
    Input("planner-a", "value"),
    State("planner-state", "data"),
)
def open_link(name, state):
    """A link that reopens saved scenario A in the planner with its settings (and its name:
    ``scenario=NAME``, which alone would be enough)."""
    from urllib.parse import urlencode

    if not name:
        return "", True
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        scenario = store_for(place).load(place.name, name)
    except InputError:
        return "", True
    query = scenario_query((state or {}).get("place"), scenario)
    href = dash.get_relative_path("/planner") + query + "&" + urlencode({"scenario": name})
    return href, False


def impact_changes(place: Place, payload: dict, existing: list[str] | None) -> dict:
    """``close`` / ``open_`` / ``hubs`` arguments of :func:`geo.siting.impact.closure_impact`
    for the plan in ``payload`` against today's hubs (sites of the ``existing`` kinds, else
    the place's hub kinds)."""
    from geo.siting.impact import today_hubs as impact_today

    kinds = [k for k in (existing or []) if k in place.site_kinds] or None
    today = list(impact_today(place, kinds).index)
    chosen = list(payload.get("hubs") or [])
    points = {p["hub"]: p for p in (payload.get("results") or {}).get("hub_points") or []}
    site_ids = set(place.sites["site_id"].astype(str))
    opened = []
    for h in chosen:
        if h in today:
            continue
        if h in site_ids:
            opened.append(h)
        elif h in points:
            opened.append(f"{points[h]['lon']},{points[h]['lat']}")
    return {"close": [h for h in today if h not in chosen], "open_": opened, "hubs": kinds}


@callback(
    Output("planner-impact-out", "children"),
    Output("planner-impact-pdf", "data"),
    Output("planner-impact-csv", "data"),
    Output("planner-impact-meta", "data"),
    Input("planner-impact", "n_clicks"),
    State("planner-result", "data"),
    State("planner-existing", "value"),
    State("planner-state", "data"),
    prevent_initial_call=True,
    background=True,
    running=[
        (Output("planner-impact", "disabled"), True, False),
        (Output("planner-impact-cancel", "disabled"), False, True),
    ],
    cancel=[Input("planner-impact-cancel", "n_clicks")],
    progress=[Output("planner-impact-progress", "children")],
    progress_default=[""],
)
def impact_job(set_progress, *args):
    """The "Impact against today" pack as a background job (the body is :func:`impact`)."""
    set_progress("Making the impact pack (map, tables and PDF) ...")
    return impact(*args)


def _set_links(place: Place, current: str | None) -> html.Div | None:
    """Which footprints the impact breakdown uses: the current ones or a saved set (links)."""
    sets = saved_sets(place)
    if not sets:
        return None
    base = {"place": current_place_key(place)}
    choices = [(None, f"Current {place.footprint_label.lower()}s")] + [(n, n) for n in sets]
    return html.Nav(
        [
            html.Span("Break the impact down by: ", className="control-label"),
            *[
                html.Span(label, className="set-link set-current", **{"aria-current": "true"})
                if name == current
                else dcc.Link(
                    label,
                    href="/planner" + build_search({**base, **({"set": name} if name else {})}),
                    className="set-link",
                )
                for name, label in choices
            ],
        ],
        id="planner-sets",
        className="set-links",
        **{"aria-label": "Footprint set for the impact breakdown"},
    )


def impact(_n, payload, existing, state):
    """The impact pack of the plan shown against today's hubs."""
    from geo.siting.impact import closure_impact
    from layers.impact import impact_csv_files, impact_report_html
    from layers.report import html_to_pdf

    if not payload:
        return html.P("Run a plan first."), dash.no_update, dash.no_update, dash.no_update
    place, _ = open_place_safe((state or {}).get("place"))
    # The breakdown by footprint follows the saved footprint set of the page (``?set=``).
    place, set_notice = place_view(place, (state or {}).get("set"))
    try:
        change = impact_changes(place, payload, existing)
        if not change["close"] and not change["open_"]:
            return html.P("This plan keeps today's hubs: nothing changes."), None, None, None
        result = closure_impact(
            place,
            mode=payload.get("mode") or "walk",
            minutes=float(payload.get("minutes") or 15.0),
            weight=None,
            **change,
        )
        pdf = html_to_pdf(impact_report_html(place, result))
    except InputError as exc:
        return html.P(f"No impact pack: {exc}", className="notice-line"), None, None, None
    s = result.summary
    label = result.weight_label
    impact_columns = [
        tabular.Column("decile", "Deprivation decile"),
        tabular.Column("weight", label, kind="count"),
        tabular.Column("weight_losing", f"{label} losing access", kind="count"),
        tabular.Column("weight_gaining", f"{label} gaining access", kind="count"),
    ]
    impact_frame = result.by_decile[[c.key for c in impact_columns]]
    text = (
        (f"{set_notice} " if set_notice else "")
        + f"Closing {len(result.closed)} and opening {len(result.opened)} site(s): "
        f"{s['areas_losing']} area(s) with {s['weight_losing']:,.0f} {result.weight_label} lose "
        f"access within {result.minutes:g} minutes; {s['areas_gaining']} area(s) with "
        f"{s['weight_gaining']:,.0f} gain it."
    )
    csv, sidecar = send_files(impact_csv_files(place, result, filename="impact-areas.csv"))
    return (
        html.Div(
            [
                html.P(text, id="planner-impact-summary"),
                grid(
                    "planner-impact-table",
                    impact_frame,
                    impact_columns,
                    label="Access lost and gained by deprivation decile",
                ),
            ]
        ),
        dcc.send_bytes(pdf, "impact-pack.pdf"),
        csv,
        sidecar,
    )


# --------------------------------------------------------------------------- downloads


def _run_notes(payload: dict | None) -> tuple[str, ...]:
    """The settings of the plan on screen, for the files' metadata."""
    if not isinstance(payload, dict) or not payload:
        raise InputError("run the planner first: there is no plan to download")
    res = payload.get("results") or {}
    share = res.get("covered_share")
    text = (
        f"Plan: {OBJECTIVE_LABELS.get(payload.get('objective'), payload.get('objective'))}, "
        f"{len(payload.get('hubs') or [])} hub(s), mode {payload.get('mode')}"
        + (f", limit {payload['minutes']:g} minutes" if payload.get("minutes") else "")
        + (f", {share:.1%} of the demand covered" if share is not None else "")
        + (f"; weighted by {res['weight']}" if res.get("weight") else "")
        + (f"; method: {res['method']}" if res.get("method") else "")
        + "."
    )
    return (text,)


def _describe(table: str, stem: str) -> Callable[[dict, dict], dict]:
    def describe(state: dict | None, payload: dict | None) -> dict:
        place, notice = open_place_safe((state or {}).get("place"))
        if notice:
            raise InputError(notice)
        return {
            "place": place,
            "title": f"{place.name}: planned hubs, {table}",
            "stem": filename_stem(current_place_key(place), "plan", stem),
            "notes": _run_notes(payload),
        }

    return describe


_RUN_STATES = [("planner-state", "data"), ("planner-result", "data")]
#: The download callbacks of the result grids, by download bar.
DOWNLOADS = {}
for _prefix, _grid_id, _table, _stem in (
    ("planner-hubs", "planner-hubs-table", "chosen hubs", "hubs"),
    ("planner-equity", "planner-equity", "coverage by deprivation decile", "equity"),
    ("planner-bands", "planner-bands", "travel time to the nearest hub", "bands"),
    ("planner-teams", "planner-teams", "staff split by need", "teams"),
):
    DOWNLOADS[_prefix] = grid_download_callback(
        _prefix, _grid_id, _describe(_table, _stem), states=_RUN_STATES
    )


def chosen_hubs_data(place: Place, payload: dict | None) -> ExportData:
    """The plan's hubs as points (working CRS): name, id, location and catchment figures."""
    notes = _run_notes(payload)
    res = (payload or {}).get("results") or {}
    points = pd.DataFrame(res.get("hub_points") or [], columns=["hub", "name", "lon", "lat"])
    if points.empty:
        raise InputError("the plan has no hub locations to download")
    per_hub = pd.DataFrame(res.get("per_hub") or [])
    frame = points[["name", "hub", "lon", "lat"]].copy()
    if not per_hub.empty and "hub" in per_hub:
        stats = per_hub.set_index(per_hub["hub"].astype(str))
        for key in ("areas", "weight", "covered_weight", "mean_minutes"):
            if key in stats:
                frame[key] = frame["hub"].map(stats[key]).to_numpy()
    geo = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326
    ).to_crs(place.crs)
    weight = res.get("weight") or "weight"
    columns = {
        "name": "Hub name",
        "hub": "Site or candidate id",
        "areas": "Areas in catchment",
        "weight": f"Catchment [{weight}]",
        "covered_weight": f"Catchment within the time limit [{weight}]",
        "mean_minutes": "Average journey [minutes]",
    }
    return ExportData("hubs", geo, f"{place.name}: planned hubs", notes, columns)


_POINTS = download_ids("planner-points")


@callback(
    Output(_POINTS["download"], "data"),
    Output(_POINTS["meta"], "data"),
    Output(_POINTS["status"], "children"),
    Input(_POINTS["csv"], "n_clicks"),
    Input(_POINTS["xlsx"], "n_clicks"),
    Input(_POINTS["geojson"], "n_clicks"),
    State("planner-state", "data"),
    State("planner-result", "data"),
    prevent_initial_call=True,
)
def download_points(_csv, _xlsx, _geojson, state, payload, *, trigger=None):
    """The chosen hubs with their locations: CSV/XLSX (lon, lat) or GeoJSON points."""
    fmt = trigger_format(trigger or ctx.triggered_id)
    place, notice = open_place_safe((state or {}).get("place"))
    if notice:
        return dash.no_update, dash.no_update, notice
    stem = filename_stem(current_place_key(place), "plan", "hub-points")
    try:
        data_ = chosen_hubs_data(place, payload)
        if fmt == "geojson":
            data, meta = geojson_download(place, data_, stem=stem)
        else:
            frame = pd.DataFrame(data_.frame.drop(columns="geometry"))
            columns = tabular.columns_for(frame, labels=data_.columns)
            data, meta = table_download(
                fmt, place, frame, columns, title=data_.title, stem=stem, notes=data_.notes
            )
    except InputError as exc:
        return dash.no_update, dash.no_update, f"No download: {exc}"
    return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready."


_CMP = download_ids("planner-cmp")


@callback(
    Output(_CMP["download"], "data"),
    Output(_CMP["meta"], "data"),
    Output(_CMP["status"], "children"),
    Input(_CMP["csv"], "n_clicks"),
    Input(_CMP["xlsx"], "n_clicks"),
    State("planner-a", "value"),
    State("planner-b", "value"),
    State("planner-state", "data"),
    prevent_initial_call=True,
)
def download_comparison(_csv, _xlsx, a_name, b_name, state, *, trigger=None):
    """Every table of the comparison of scenarios A and B, stacked, as CSV or XLSX."""
    fmt = trigger_format(trigger or ctx.triggered_id)
    place, notice = open_place_safe((state or {}).get("place"))
    if notice:
        return dash.no_update, dash.no_update, notice
    try:
        if not a_name or not b_name:
            raise InputError("choose two saved scenarios to compare")
        store = store_for(place)
        a, b = store.load(place.name, a_name), store.load(place.name, b_name)
        out = compare(a, b)
        frame, columns = comparison_frame(out)
        data, meta = table_download(
            fmt,
            place,
            frame,
            columns,
            title=f"{place.name}: scenario {a.name!r} (A) against {b.name!r} (B)",
            stem=filename_stem(current_place_key(place), "compare", a.name, b.name),
            notes=(f"A = {a.name}; B = {b.name}.", *out["notes"]),
        )
    except InputError as exc:
        return dash.no_update, dash.no_update, f"No download: {exc}"
    return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready."
