"""Planner: site hubs (coverage, p-median or cover), see why, split staff, save and compare plans.

Choose the objective and its parameters and press Run. The map shows every candidate, the
chosen hubs and their reach within the time limit; click an area to add a new site there, click
a candidate or hub to remove it (click again to restore). Below: the plan summary (method,
optimality gap, solve time), each hub's catchment and marginal gain, the coverage curve, the
equity table by national deprivation decile, the travel-time bands and the staff split. Plans
can be saved as named scenarios (asking before overwriting) and compared side by side.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, ctx, dash_table, dcc, html

from geo.errors import InputError
from geo.network.travel import available_modes, is_approximate
from geo.place.model import Place
from geo.siting.plan import run_plan
from geo.siting.problem import OBJECTIVES, national_decile_key
from geo.siting.scenarios import ScenarioStore, compare, from_result
from hubplan.pages._state import (
    Notices,
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
TABLE_STYLE = {
    "style_table": {"overflowX": "auto"},
    "style_cell": {
        "fontFamily": "inherit",
        "fontSize": "13.5px",
        "color": "#1a1a1a",
        "padding": "4px 8px",
        "whiteSpace": "normal",
        "textAlign": "left",
    },
    "style_header": {"fontWeight": "600", "backgroundColor": "#f0f0f0"},
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


def layout(place=None, **query):
    the_place, notice = open_place_safe(first(place))
    settings, notices = planner_settings(the_place, query)
    notices.add(notice)
    added, removed, site_notices = planner_sites(the_place, query)
    for item in site_notices.items:
        notices.add(item)
    kinds = the_place.site_kinds
    cand_opts = [{"label": "All sites", "value": "all"}] + [
        {"label": k.replace("_", " "), "value": k} for k in kinds
    ]
    cand_opts.append({"label": "Regular grid over populated areas (500 m)", "value": "grid"})
    names = store_for(the_place).names(the_place.name) if the_place.path else []
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
                    options=[{"label": m, "value": m} for m in available_modes(the_place)],
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
            html.Button("Run", id="planner-run", n_clicks=0, className="button-primary"),
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
                            dash_table.DataTable(id="planner-hubs-table", **TABLE_STYLE),
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
                            dash_table.DataTable(id="planner-equity", **TABLE_STYLE),
                        ]
                    ),
                    html.Section(
                        [
                            html.H2("Travel time to the nearest hub"),
                            dash_table.DataTable(id="planner-bands", **TABLE_STYLE),
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
                    dash_table.DataTable(id="planner-teams", **TABLE_STYLE),
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
                    html.Button("Impact against today", id="planner-impact", n_clicks=0),
                    dcc.Loading(html.Div(id="planner-impact-out", role="status")),
                    dcc.Download(id="planner-impact-pdf"),
                    dcc.Download(id="planner-impact-csv"),
                ],
                className="planner-impact",
            ),
            scenarios,
            attribution_footer(the_place),
            dcc.Store(id="planner-state", data={"place": current_place_key(the_place)}),
            dcc.Store(id="planner-added", data=added),
            dcc.Store(id="planner-removed", data=removed),
            dcc.Store(id="planner-result", data=None),
        ],
        className="page page-planner",
    )


def _records(df: pd.DataFrame | None, digits: int = 3) -> tuple[list[dict], list[dict]]:
    if df is None or df.empty:
        return [], []
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    out = out.astype(object).where(out.notna(), None)
    cols = [{"name": str(c).replace("_", " "), "id": str(c)} for c in out.columns]
    return out.to_dict("records"), cols


def _pct(value) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def _min(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f} min"


def _count(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def hub_rows(
    per_hub: pd.DataFrame, *, weight_label: str, minutes: float | None, today: list[str]
) -> tuple[list[dict], list[dict]]:
    """The hubs table: names (not ids), role, catchment and journeys with units."""
    today_set = set(today)
    rows = []
    for r in per_hub.itertuples():
        covered = (
            r.covered_weight / r.weight
            if r.covered_weight is not None and not pd.isna(r.covered_weight) and r.weight > 0
            else None
        )
        rows.append(
            {
                "hub": str(r.name),
                "role": "existing hub kept" if r.hub in today_set else "new hub",
                "areas": f"{r.areas:,}",
                "weight": _count(r.weight),
                "within": _pct(covered),
                "mean": _min(r.mean_minutes),
                "gain": _count(r.marginal_gain),
            }
        )
    gain = "Lost if removed" if minutes is not None else "Extra weighted minutes if removed"
    cols = [
        ("hub", "Hub"),
        ("role", "Role"),
        ("areas", "Areas in catchment"),
        ("weight", f"Catchment ({weight_label})"),
        ("within", f"Of which within {minutes:g} min" if minutes is not None else "Within limit"),
        ("mean", "Average journey"),
        ("gain", gain),
    ]
    if minutes is None:
        cols = [c for c in cols if c[0] != "within"]
    return rows, [{"name": n, "id": i} for i, n in cols]


def equity_rows(
    equity: pd.DataFrame | None, *, weight_label: str, minutes: float | None
) -> tuple[list[dict], list[dict]]:
    """Coverage by deprivation decile with units."""
    if equity is None or equity.empty:
        return [], []
    rows = [
        {
            "group": str(r.group),
            "weight": _count(r.weight),
            "share": _pct(r.covered_share),
            "mean": _min(r.mean_minutes),
        }
        for r in equity.itertuples()
    ]
    cols = [
        ("group", equity.attrs.get("label", "Decile")),
        ("weight", weight_label),
        ("share", f"Within {minutes:g} min" if minutes is not None else "Within limit"),
        ("mean", "Average journey"),
    ]
    if minutes is None:
        cols = [c for c in cols if c[0] != "share"]
    return rows, [{"name": n, "id": i} for i, n in cols]


def band_rows(bands: pd.DataFrame, *, weight_label: str) -> tuple[list[dict], list[dict]]:
    """Weight by travel-time band, with units."""
    rows = [
        {
            "band": r.band if r.band == "unreachable" else f"{r.band} min",
            "weight": _count(r.weight),
            "share": _pct(r.share),
        }
        for r in bands.itertuples()
    ]
    cols = [("band", "Travel time"), ("weight", weight_label), ("share", "Share")]
    return rows, [{"name": n, "id": i} for i, n in cols]


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
    Output("planner-hubs-table", "data"),
    Output("planner-hubs-table", "columns"),
    Output("planner-curve", "figure"),
    Output("planner-equity", "data"),
    Output("planner-equity", "columns"),
    Output("planner-bands", "data"),
    Output("planner-bands", "columns"),
    Output("planner-teams", "data"),
    Output("planner-teams", "columns"),
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
)
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
    fig = map_figure(place, traces)
    fig.update_layout(clickmode="event")
    hubs_rows, hubs_cols = hub_rows(
        r.per_hub, weight_label=r.weight_label, minutes=r.minutes, today=today
    )
    eq_rows, eq_cols = equity_rows(r.equity, weight_label=r.weight_label, minutes=r.minutes)
    band_rows_, band_cols = band_rows(r.bands, weight_label=r.weight_label)
    team_rows, team_cols = _records(plan.teams.reset_index() if plan.teams is not None else None, 2)
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
    return (
        fig,
        summary,
        hubs_rows,
        hubs_cols,
        curve,
        eq_rows,
        eq_cols,
        band_rows_,
        band_cols,
        team_rows,
        team_cols,
        payload,
    )


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


@callback(
    Output("planner-stale", "children"),
    Output("planner-stale", "hidden"),
    Output("planner-save", "disabled"),
    Output("planner-save", "title"),
    *SETTING_INPUTS,
    Input("planner-result", "data"),
)
def mark_stale(*values):
    """The result on screen is tied to the settings that made it: any change marks it stale
    and disables Save until Run."""
    *controls, payload = values
    if not payload:
        return "", True, True, "Run a plan before saving it."
    changes = stale_changes(payload.get("settings"), settings_key(*controls))
    if not changes:
        return "", True, False, "Save the plan shown"
    text = (
        "Out of date: the plan below was made with other settings ("
        + "; ".join(changes)
        + "). Press Run to plan with the new settings; Save is off until then."
    )
    return text, False, True, "Press Run first: the settings changed since the plan shown"


@callback(
    Output("planner-confirm", "displayed"),
    Output("planner-confirm", "message"),
    Output("planner-save-status", "children"),
    Output("planner-a", "options"),
    Output("planner-b", "options"),
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
    if not payload:
        return False, "", "Run a plan before saving it.", dash.no_update, dash.no_update
    if stale_changes(payload.get("settings"), settings_key(*controls)):
        return (
            False,
            "",
            "Not saved: the settings changed since the plan shown. Press Run first.",
            dash.no_update,
            dash.no_update,
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
                dash.no_update,
                dash.no_update,
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
        return False, "", f"Not saved: {exc}", dash.no_update, dash.no_update
    names = store.names(place.name)
    verb = "Overwrote" if overwrite else "Saved"
    return False, "", f"{verb} scenario '{name}' in {store.public_label()}.", names, names


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
    for key, title in (
        ("summary", "Summary (B minus A)"),
        ("settings", "Settings"),
        ("equity", "Equity by decile"),
        ("bands", "Travel-time bands (share of weight)"),
        ("hubs", "Hubs"),
    ):
        rows, cols = _records(out[key])
        blocks.append(html.H3(title))
        blocks.append(dash_table.DataTable(data=rows, columns=cols, **TABLE_STYLE))
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
             added, removed, state) {
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
        var search = '?' + p.toString().replace(/%2C/g, ',').replace(/%3B/g, ';');
        if (search !== window.location.search) {
            window.history.replaceState(window.history.state, '', window.location.pathname + search);
        }
        return search;
    }
    """,
    Output("planner-url-dummy", "data"),
    *SETTING_INPUTS,
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
    """A link that reopens saved scenario A in the planner with its settings."""
    if not name:
        return "", True
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        scenario = store_for(place).load(place.name, name)
    except InputError:
        return "", True
    href = dash.get_relative_path("/planner") + scenario_query((state or {}).get("place"), scenario)
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
    Input("planner-impact", "n_clicks"),
    State("planner-result", "data"),
    State("planner-existing", "value"),
    State("planner-state", "data"),
    prevent_initial_call=True,
)
def impact(_n, payload, existing, state):
    """The impact pack of the plan shown against today's hubs."""
    from geo.siting.impact import closure_impact
    from layers.impact import impact_csv_text, impact_report_html
    from layers.report import html_to_pdf

    if not payload:
        return html.P("Run a plan first."), dash.no_update, dash.no_update
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        change = impact_changes(place, payload, existing)
        if not change["close"] and not change["open_"]:
            return html.P("This plan keeps today's hubs: nothing changes."), None, None
        result = closure_impact(
            place,
            mode=payload.get("mode") or "walk",
            minutes=float(payload.get("minutes") or 15.0),
            weight=None,
            **change,
        )
        pdf = html_to_pdf(impact_report_html(place, result))
    except InputError as exc:
        return html.P(f"No impact pack: {exc}", className="notice-line"), None, None
    s = result.summary
    rows, cols = _records(
        result.by_decile[["decile", "weight", "weight_losing", "weight_gaining"]].rename(
            columns={"weight": result.weight_label}
        ),
        0,
    )
    text = (
        f"Closing {len(result.closed)} and opening {len(result.opened)} site(s): "
        f"{s['areas_losing']} area(s) with {s['weight_losing']:,.0f} {result.weight_label} lose "
        f"access within {result.minutes:g} minutes; {s['areas_gaining']} area(s) with "
        f"{s['weight_gaining']:,.0f} gain it."
    )
    csv = impact_csv_text(place, result)
    return (
        html.Div(
            [
                html.P(text, id="planner-impact-summary"),
                dash_table.DataTable(data=rows, columns=cols, **TABLE_STYLE),
            ]
        ),
        dcc.send_bytes(pdf, "impact-pack.pdf"),
        dict(content=csv, filename="impact-areas.csv"),
    )
