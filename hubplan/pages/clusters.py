"""Clusters: design balanced footprints and compare them with today's; school clusters; hot spots.

``?place=KEY&k=K&balance=KEY&method=M&set=NAME&indicator=KEY&hsmethod=gi|moran`` set the
controls. Saved footprint sets (``hubplan cluster ... --save-as NAME``) can be compared
instead of a new design.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dash_table, dcc, html

from geo.clusters.footprint_sets import (
    CURRENT,
    compare_footprint_sets,
    footprint_sets,
    save_footprint_set,
)
from geo.clusters.hotspots import METHOD_NAMES
from geo.clusters.regionalize import METHODS, regionalize
from geo.clusters.school_clusters import CHILD_KEYS, school_clusters
from geo.errors import InputError
from geo.place.model import Place
from geo.tables import to_safe_csv
from hubplan.pages._state import Notices, current_place_key, first, open_place_safe
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner
from layers.base import map_figure
from layers.clusters import (
    balance_figure,
    changed_areas_trace,
    compactness_figure,
    footprint_set_fill,
    footprint_set_outlines,
    school_cluster_traces,
)
from layers.hotspots import default_hotspots, default_indicator, hotspot_trace

dash.register_page(
    __name__, path="/clusters", name="Clusters", title="Clusters · Locality & Hub Planner", order=6
)

AUTO_DESIGN_MAX_AREAS = 5_000
NEW = "__new__"
METHOD_LABELS = {
    "grow": "hubplan region growing + balancing (recommended)",
    "skater": "PySAL SKATER + balancing (slow on big places)",
    "azp": "PySAL AZP + balancing (slow)",
    "ward": "PySAL spatial Ward + balancing",
}
TABLE_STYLE = {
    "style_table": {"overflowX": "auto", "width": "100%"},
    "style_cell": {
        "fontFamily": "inherit",
        "fontSize": "13.5px",
        "color": "#1a1a1a",
        "padding": "4px 8px",
    },
    "style_header": {"fontWeight": "600", "backgroundColor": "#f0f0f0", "whiteSpace": "normal"},
}


def _children_key(place: Place) -> str:
    return next((k for k in CHILD_KEYS if k in place.catalogue), next(iter(place.catalogue)))


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        v = int(first(value))
    except (TypeError, ValueError):
        return default
    return min(max(v, lo), hi)


# --------------------------------------------------------------------------- design + compare


def design(place: Place, *, k: int, balance: str, method: str, respect: str | None, chosen: str):
    """``(assignment, label, notes)`` of the set to compare: a new design or a saved set."""
    if chosen != NEW:
        sets = footprint_sets(place)
        if chosen not in sets:
            raise InputError(f"no saved footprint set {chosen!r}")
        return sets[chosen], chosen, []
    result = regionalize(place, k=k, balance=balance, method=method, respect=respect or None)
    notes = [f"Designed {k} footprints in {result.seconds:.1f} s by {result.method}: "
             f"largest deviation from the mean {100 * result.max_deviation():.1f}%."]  # fmt: skip
    return result.assignment, "designed", notes + result.notes


def comparison_outputs(place: Place, assignment: pd.Series, label: str, balance: str):
    """Tables, figures and maps comparing the current footprints with ``assignment``."""
    cmp = compare_footprint_sets(
        place, place.areas["footprint"], assignment, balance=balance, names=(CURRENT, label)
    )
    summary = cmp.summary.round(3).to_dict("records")
    table = cmp.table.copy()
    table["total"] = table["total"].round(1)
    for col in ("pct_of_mean", "polsby_popper", "convex_hull_ratio"):
        table[col] = table[col].round(3 if col != "pct_of_mean" else 1)
    current_map = map_figure(
        place,
        [
            footprint_set_fill(
                place, place.areas["footprint"], title=place.footprint_label, uid="cur-fill"
            ),
            *footprint_set_outlines(
                place, place.areas["footprint"], title=place.footprint_label, uid_prefix="cur"
            ),
        ],
        height=430,
    )
    designed_map = map_figure(
        place,
        [
            footprint_set_fill(place, assignment, title=label, uid="new-fill"),
            changed_areas_trace(place, cmp.changed["code"].tolist()),
            *footprint_set_outlines(place, assignment, title=label, uid_prefix="new"),
        ],
        height=430,
    )
    changed = cmp.changed.to_dict("records")
    return (
        summary,
        table.to_dict("records"),
        balance_figure(cmp),
        compactness_figure(cmp),
        current_map,
        designed_map,
        changed,
        cmp.basis,
    )


def _empty_map(place: Place):
    return map_figure(place, [], height=430)


# --------------------------------------------------------------------------- layout


def layout(
    place=None, k=None, balance=None, method=None, set=None, indicator=None, hsmethod=None, **_other
):
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    n_areas = len(the_place.areas)
    k = _int(k, max(2, len(the_place.footprint_names)), 1, n_areas)
    balance = first(balance) if first(balance) in the_place.catalogue else _children_key(the_place)
    method = first(method) if first(method) in METHODS else "grow"
    saved = [s for s in footprint_sets(the_place) if s != CURRENT]
    chosen = first(set) if first(set) in saved else NEW
    hs_indicator = (
        first(indicator)
        if first(indicator) in the_place.catalogue
        else default_indicator(the_place)
    )
    hs_method = first(hsmethod) if first(hsmethod) in METHOD_NAMES else "gi"
    options = [{"label": i.label, "value": key} for key, i in the_place.catalogue.items()]

    auto = n_areas <= AUTO_DESIGN_MAX_AREAS or chosen != NEW
    status = ""
    outputs = None
    if auto:
        try:
            assignment, label, notes = design(
                the_place, k=k, balance=balance, method=method, respect=None, chosen=chosen
            )
            outputs = comparison_outputs(the_place, assignment, label, balance)
            status = " ".join(notes)
        except InputError as exc:
            notices.add(str(exc))
    else:
        status = f"{n_areas:,} areas: press Design to start (it can take up to a minute)."
    summary, balance_rows, bal_fig, comp_fig, cur_map, new_map, changed, basis = outputs or (
        [],
        [],
        {},
        {},
        _empty_map(the_place),
        _empty_map(the_place),
        [],
        "",
    )
    key = current_place_key(the_place)

    design_section = html.Section(
        [
            html.H2("Design footprints"),
            html.P(
                "Group the small areas into K footprints that share boundaries, hold as equal a share as "
                "possible of the chosen quantity, and are reasonably compact. Compare them with today's "
                f"{the_place.footprint_plural.lower()}.",
                className="control-help",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "Number of footprints (K)",
                                htmlFor="cl-k",
                                className="control-label",
                            ),
                            dcc.Input(
                                id="cl-k", type="number", min=1, max=n_areas, step=1, value=k
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Balance on", htmlFor="cl-balance", className="control-label"
                            ),
                            dcc.Dropdown(
                                id="cl-balance", options=options, value=balance, clearable=False
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label("Method", htmlFor="cl-method", className="control-label"),
                            dcc.Dropdown(
                                id="cl-method",
                                options=[{"label": METHOD_LABELS[m], "value": m} for m in METHODS],
                                value=method,
                                clearable=False,
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Keep whole", htmlFor="cl-respect", className="control-label"
                            ),
                            dcc.Dropdown(
                                id="cl-respect",
                                clearable=True,
                                value=None,
                                placeholder="Nothing (areas can go anywhere)",
                                options=[
                                    {
                                        "label": f"Current {the_place.footprint_plural.lower()}",
                                        "value": "footprint",
                                    }
                                ],
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label("Compare with", htmlFor="cl-set", className="control-label"),
                            dcc.Dropdown(
                                id="cl-set",
                                clearable=False,
                                value=chosen,
                                options=[
                                    {"label": "A new design (settings on the left)", "value": NEW}
                                ]
                                + [{"label": f"Saved set: {s}", "value": s} for s in saved],
                            ),
                        ],
                        className="control-group",
                    ),
                ],
                className="form-grid",
            ),
            html.Div(
                [
                    html.Button(
                        "Design", id="cl-run", n_clicks=0, className="button button-primary"
                    ),
                    html.Button(
                        "Download lookup (CSV)",
                        id="cl-download-btn",
                        n_clicks=0,
                        className="button",
                    ),
                    dcc.Download(id="cl-download"),
                ],
                className="button-row",
            ),
            html.Div(
                [
                    html.Label(
                        "Save this design as a footprint set named",
                        htmlFor="cl-save-name",
                        className="control-label",
                    ),
                    dcc.Input(
                        id="cl-save-name",
                        type="text",
                        maxLength=60,
                        debounce=False,
                        placeholder="e.g. six balanced footprints",
                    ),
                    html.Button(
                        "Save footprint set", id="cl-save-btn", n_clicks=0, className="button"
                    ),
                    html.Div(id="cl-save-result", role="status", **{"aria-live": "polite"}),
                ],
                className="control-group",
            ),
            dcc.Loading(html.P(status, id="cl-status", role="status", **{"aria-live": "polite"})),
            html.H3("Summary"),
            dash_table.DataTable(
                id="cl-summary",
                data=summary,
                columns=[
                    {"name": "Set", "id": "set"},
                    {"name": "Footprints", "id": "footprints"},
                    {"name": "Largest deviation from the mean (%)", "id": "max_deviation_pct"},
                    {"name": "Mean Polsby-Popper", "id": "mean_polsby_popper"},
                    {"name": "Mean convex-hull ratio", "id": "mean_convex_hull_ratio"},
                    {"name": "Areas that change", "id": "areas_changed"},
                ],
                **TABLE_STYLE,
            ),
            html.P(
                basis and f"Balanced quantity: {basis}.", id="cl-basis", className="control-help"
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.H3(f"Current {the_place.footprint_plural.lower()}"),
                            dcc.Graph(
                                id="cl-map-current", figure=cur_map, config={"displaylogo": False}
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.H3("Designed (darker: areas that change footprint)"),
                            dcc.Graph(
                                id="cl-map-designed", figure=new_map, config={"displaylogo": False}
                            ),
                        ]
                    ),
                ],
                className="cl-side-by-side",
            ),
            html.Div(
                [
                    dcc.Graph(id="cl-balance-fig", figure=bal_fig, config={"displaylogo": False}),
                    dcc.Graph(id="cl-compact-fig", figure=comp_fig, config={"displaylogo": False}),
                ],
                className="cl-side-by-side",
            ),
            html.H3("Balance and compactness by footprint"),
            dash_table.DataTable(
                id="cl-balance-table",
                data=balance_rows,
                sort_action="native",
                page_size=20,
                columns=[
                    {"name": "Set", "id": "set"},
                    {"name": "Footprint", "id": "footprint"},
                    {"name": "Small areas", "id": "areas"},
                    {"name": "Total", "id": "total"},
                    {"name": "% of mean", "id": "pct_of_mean"},
                    {"name": "Polsby-Popper", "id": "polsby_popper"},
                    {"name": "Convex-hull ratio", "id": "convex_hull_ratio"},
                ],
                **TABLE_STYLE,
            ),
            html.H3("Areas that change footprint"),
            dash_table.DataTable(
                id="cl-changed",
                data=changed,
                sort_action="native",
                page_size=15,
                columns=[
                    {"name": "Area code", "id": "code"},
                    {"name": "Name", "id": "name"},
                    {"name": "From", "id": "from"},
                    {"name": "To", "id": "to"},
                ],
                **TABLE_STYLE,
            ),
            html.P(
                "A footprint of the new set is matched to the current footprint it shares most areas with; "
                "an area changes when it leaves that match.",
                className="control-help",
            ),
        ],
        className="cl-section",
    )

    schools_section = html.Section(
        [
            html.H2("School clusters"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "Group schools", htmlFor="cl-sc-by", className="control-label"
                            ),
                            dcc.RadioItems(
                                id="cl-sc-by",
                                value="hub" if _has_hubs(the_place) else "footprint",
                                options=[
                                    {
                                        "label": "around the nearest hub (travel time)",
                                        "value": "hub",
                                        "disabled": not _has_hubs(the_place),
                                    },
                                    {
                                        "label": f"by {the_place.footprint_label.lower()}",
                                        "value": "footprint",
                                    },
                                ],
                            ),
                        ],
                        className="control-group",
                    ),
                ],
                className="form-grid",
            ),
            dcc.Loading(html.P(id="cl-sc-text", className="control-help")),
            dcc.Graph(id="cl-sc-map", figure=_empty_map(the_place), config={"displaylogo": False}),
            dash_table.DataTable(id="cl-sc-table", data=[], sort_action="native", **TABLE_STYLE),
        ],
        className="cl-section",
    )

    hotspot_section = html.Section(
        [
            html.H2("Need hot spots"),
            html.P(
                "Where an indicator clusters beyond chance: each area with its neighbours is tested by "
                "permutation and the results corrected for testing every area (false discovery rate).",
                className="control-help",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "Indicator", htmlFor="cl-hs-indicator", className="control-label"
                            ),
                            dcc.Dropdown(
                                id="cl-hs-indicator",
                                options=options,
                                value=hs_indicator,
                                clearable=False,
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Statistic", htmlFor="cl-hs-method", className="control-label"
                            ),
                            dcc.RadioItems(
                                id="cl-hs-method",
                                value=hs_method,
                                options=[{"label": v, "value": k} for k, v in METHOD_NAMES.items()],
                            ),
                        ],
                        className="control-group",
                    ),
                ],
                className="form-grid",
            ),
            dcc.Loading(html.P(id="cl-hs-text", className="control-help")),
            dcc.Graph(id="cl-hs-map", figure=_empty_map(the_place), config={"displaylogo": False}),
        ],
        className="cl-section",
    )

    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="cl-notice"),
            html.H1(
                f"{the_place.name}: footprints, school clusters and hot spots",
                className="page-title",
            ),
            design_section,
            schools_section,
            hotspot_section,
            attribution_footer(the_place),
            dcc.Store(id="cl-state", data={"place": key}),
            dcc.Store(
                id="cl-lookup", data=_lookup_data(outputs, the_place, k, balance, method, chosen)
            ),
        ],
        className="page page-clusters",
    )


def save_design(place: Place, lookup: dict | None, name: str | None) -> tuple[str, list[str]]:
    """Save the design ``lookup`` describes into the place's bundle as footprint set ``name``.

    Returns a message and the saved set names (for the "Compare with" list); nothing is saved
    when the design is not ready, the name is empty or taken by the current footprints.
    """
    lookup = lookup or {}
    name = (name or "").strip()
    if not lookup.get("ready"):
        raise InputError("design footprints first")
    if lookup.get("set", NEW) != NEW:
        raise InputError(f"{lookup['set']!r} is already a saved set")
    if not name:
        raise InputError("give the footprint set a name")
    if place.path is None:
        raise InputError("this place has no bundle file to save into")
    assignment, _, _ = design(
        place, k=int(lookup["k"]), balance=lookup["balance"], method=lookup["method"],
        respect=lookup.get("respect"), chosen=NEW,
    )  # fmt: skip
    saved = save_footprint_set(place.path, name, assignment)
    names = [s for s in footprint_sets(saved) if s != CURRENT]
    return (
        f"Saved {name!r} ({assignment.nunique()} footprints) into {saved.path.name}: compare "
        "with it here, or rebuild with it as the footprints lookup.",
        names,
    )


def _has_hubs(place: Place) -> bool:
    return "school" in place.site_kinds and bool(
        {"family_hub", "childrens_centre"} & set(place.site_kinds)
    )


def _lookup_data(outputs, place, k, balance, method, chosen):
    return {
        "k": k,
        "balance": balance,
        "method": method,
        "set": chosen,
        "ready": outputs is not None,
    }


# --------------------------------------------------------------------------- callbacks


@callback(
    Output("cl-summary", "data"),
    Output("cl-balance-table", "data"),
    Output("cl-balance-fig", "figure"),
    Output("cl-compact-fig", "figure"),
    Output("cl-map-current", "figure"),
    Output("cl-map-designed", "figure"),
    Output("cl-changed", "data"),
    Output("cl-basis", "children"),
    Output("cl-status", "children"),
    Output("cl-lookup", "data"),
    Input("cl-run", "n_clicks"),
    Input("cl-set", "value"),
    State("cl-k", "value"),
    State("cl-balance", "value"),
    State("cl-method", "value"),
    State("cl-respect", "value"),
    State("cl-state", "data"),
    prevent_initial_call=True,
)
def on_design(_clicks, chosen, k, balance, method, respect, state):
    place, _ = open_place_safe((state or {}).get("place"))
    no = dash.no_update
    try:
        k = int(k) if k is not None else 0
        assignment, label, notes = design(
            place, k=k, balance=balance, method=method, respect=respect, chosen=chosen
        )
        out = comparison_outputs(place, assignment, label, balance)
    except (InputError, ValueError) as exc:
        return no, no, no, no, no, no, no, no, f"Could not design: {exc}", no
    summary, table, bal, comp, cur, new, changed, basis = out
    lookup = {
        "k": k,
        "balance": balance,
        "method": method,
        "set": chosen,
        "respect": respect,
        "ready": True,
    }
    return (
        summary,
        table,
        bal,
        comp,
        cur,
        new,
        changed,
        f"Balanced quantity: {basis}.",
        " ".join(notes),
        lookup,
    )


@callback(
    Output("cl-download", "data"),
    Input("cl-download-btn", "n_clicks"),
    State("cl-lookup", "data"),
    State("cl-state", "data"),
    prevent_initial_call=True,
)
def on_download(_clicks, lookup, state):
    place, _ = open_place_safe((state or {}).get("place"))
    lookup = lookup or {}
    if not lookup.get("ready"):
        return dash.no_update
    assignment, label, _ = design(
        place, k=int(lookup["k"]), balance=lookup["balance"], method=lookup["method"],
        respect=lookup.get("respect"), chosen=lookup.get("set", NEW),
    )  # fmt: skip
    frame = pd.DataFrame(
        {"code": assignment.index.astype(str), "footprint": assignment.astype(str).to_numpy()}
    )
    name = "designed" if label == "designed" else label.replace(" ", "_")
    return {
        "content": to_safe_csv(frame),
        "filename": f"{current_place_key(place)}_{name}_footprints.csv",
    }


@callback(
    Output("cl-sc-map", "figure"),
    Output("cl-sc-table", "data"),
    Output("cl-sc-table", "columns"),
    Output("cl-sc-text", "children"),
    Input("cl-sc-by", "value"),
    State("cl-state", "data"),
)
def on_school_clusters(by, state):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        result = school_clusters(place, by=by or "footprint")
    except InputError as exc:
        return _empty_map(place), [], [], f"No school clusters: {exc}"
    table = result.summary.copy()
    for col in table.columns:
        if table[col].dtype.kind == "f":
            table[col] = table[col].round(1)
    columns = [{"name": c, "id": c} for c in table.columns]
    fig = map_figure(place, school_cluster_traces(place, result), height=460)
    return fig, table.to_dict("records"), columns, result.method_text


@callback(
    Output("cl-hs-map", "figure"),
    Output("cl-hs-text", "children"),
    Input("cl-hs-indicator", "value"),
    Input("cl-hs-method", "value"),
    State("cl-state", "data"),
)
def on_hotspots(indicator, method, state):
    place, _ = open_place_safe((state or {}).get("place"))
    if not indicator:
        return _empty_map(place), "Choose an indicator."
    try:
        result = default_hotspots(place, indicator=indicator, method=method or "gi")
    except InputError as exc:
        return _empty_map(place), f"No hot spots: {exc}"
    counts = result.counts()
    text = (
        f"Method: {result.method_text} Result: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + "."
    )
    if result.notes:
        text += " " + " ".join(result.notes)
    return map_figure(place, [hotspot_trace(place, result)], height=460), text


@callback(
    Output("cl-save-result", "children"),
    Output("cl-set", "options"),
    Input("cl-save-btn", "n_clicks"),
    State("cl-save-name", "value"),
    State("cl-lookup", "data"),
    State("cl-state", "data"),
    prevent_initial_call=True,
)
def on_save(_clicks, name, lookup, state):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        message, names = save_design(place, lookup, name)
    except InputError as exc:
        return html.Div(f"Not saved: {exc}", className="message-error"), dash.no_update
    options = [{"label": "A new design (settings on the left)", "value": NEW}] + [
        {"label": f"Saved set: {s}", "value": s} for s in names
    ]
    return html.Div(message, className="message-ok", id="cl-saved"), options
