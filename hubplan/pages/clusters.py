"""Clusters: design balanced footprints and compare them with today's; school clusters; hot spots.

``?place=KEY&k=K&balance=KEY&method=M&set=NAME&indicator=KEY&hsmethod=gi|moran`` set the
controls. Saved footprint sets (``hubplan cluster ... --save-as NAME``) can be compared
instead of a new design. The workflow itself is :mod:`geo.clusters.design`; this page only
reads the controls and shows its results (figures from :func:`layers.clusters.design_figures`).
"""

from __future__ import annotations

from dataclasses import replace

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from geo.clusters.design import FootprintDesign, check_set_name, design_footprints
from geo.clusters.design import save_design as save_footprint_design
from geo.clusters.footprint_sets import CURRENT, footprint_sets
from geo.clusters.hotspots import METHOD_NAMES
from geo.clusters.regionalize import METHODS
from geo.clusters.school_clusters import school_clusters
from geo.errors import InputError
from geo.export import tabular
from geo.place.model import Place
from hubplan.cli.cluster_cmds import LOOKUP_COLUMNS, lookup_notes
from hubplan.pages._grid import (
    download_bar,
    grid,
    grid_data,
    grid_download_callback,
    table_download,
)
from hubplan.pages._state import Notices, current_place_key, first, open_place_safe
from hubplan.pages._ui import (
    attribution_footer,
    described,
    notice_box,
    radio_group,
    synthetic_banner,
)
from layers.base import map_figure
from layers.clusters import chart_summary, design_figures, school_cluster_traces
from layers.hotspots import default_hotspots, hotspot_trace

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
SUMMARY_COLUMNS = [
    tabular.Column("set", "Set"),
    tabular.Column("footprints", "Footprints", kind="count"),
    tabular.Column("max_deviation_pct", "Largest deviation from the mean", "%", "number"),
    tabular.Column("mean_polsby_popper", "Mean Polsby-Popper", kind="number", decimals=2),
    tabular.Column("mean_convex_hull_ratio", "Mean convex-hull ratio", kind="number", decimals=2),
    tabular.Column("areas_changed", "Areas that change", kind="count"),
]
FOOTPRINT_COLUMNS = [
    tabular.Column("set", "Set"),
    tabular.Column("footprint", "Footprint"),
    tabular.Column("areas", "Small areas", kind="count"),
    tabular.Column("total", "Total of the balanced quantity", kind="number", decimals=0),
    tabular.Column("pct_of_mean", "Share of the mean", "%", "number"),
    tabular.Column("polsby_popper", "Polsby-Popper", kind="number", decimals=2),
    tabular.Column("convex_hull_ratio", "Convex-hull ratio", kind="number", decimals=2),
]
CHANGED_COLUMNS = [
    tabular.Column("code", "Area code"),
    tabular.Column("name", "Name"),
    tabular.Column("from", "From"),
    tabular.Column("to", "To"),
]


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        v = int(first(value))
    except (TypeError, ValueError):
        return default
    return min(max(v, lo), hi)


# --------------------------------------------------------------------------- the workflow


def run_design(place: Place, lookup: dict) -> FootprintDesign:
    """The design the page's state (``cl-lookup``) describes: a new one or a saved set."""
    chosen = lookup.get("set", NEW)
    return design_footprints(
        place,
        k=int(lookup.get("k") or 0),
        balance=lookup.get("balance"),
        method=lookup.get("method") or "grow",
        respect=lookup.get("respect") or None,
        saved_set=None if chosen == NEW else chosen,
    )


def save_design(place: Place, lookup: dict | None, name: str | None) -> tuple[str, list[str]]:
    """Save the design ``lookup`` describes into the place's bundle as footprint set ``name``.

    Returns a message and the saved set names (for the "Compare with" list); nothing is saved
    when the design is not ready, the name is empty or taken by the current footprints.
    """
    lookup = lookup or {}
    if not lookup.get("ready"):
        raise InputError("design footprints first")
    if lookup.get("set", NEW) != NEW:
        raise InputError(f"{lookup['set']!r} is already a saved set")
    name = check_set_name(place, name)  # before the (slow) design
    saved, message = save_footprint_design(place, run_design(place, lookup), name)
    return message, _saved_names(saved)


def _saved_names(place: Place) -> list[str]:
    return [s for s in footprint_sets(place) if s != CURRENT]


def _has_hubs(place: Place) -> bool:
    return "school" in place.site_kinds and bool(
        {"family_hub", "childrens_centre"} & set(place.site_kinds)
    )


def _empty_map(place: Place):
    return map_figure(place, [], height=430)


def _graph(id: str, figure, summary: str | None = None):
    graph = dcc.Graph(id=id, figure=figure, config={"displaylogo": False})
    return described(graph, summary) if summary else graph


def _table(id: str, columns: list[tabular.Column], data: list[dict], *, label: str) -> list:
    """A grid of ``data`` (rows keyed by the columns) and its download bar."""
    frame = pd.DataFrame(data, columns=[c.key for c in columns])
    return [
        grid(id, frame, columns, label=label),
        download_bar(id, what=f"the table: {label}"),
    ]


def _control(label: str, for_id: str, component) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=for_id, className="control-label"), component],
        className="control-group",
    )


def _set_options(saved: list[str]) -> list[dict]:
    return [{"label": "A new design (settings on the left)", "value": NEW}] + [
        {"label": f"Saved set: {s}", "value": s} for s in saved
    ]


# --------------------------------------------------------------------------- layout


def _design_controls(place: Place, *, k: int, balance: str, method: str, chosen: str) -> html.Div:
    options = [{"label": i.label, "value": key} for key, i in place.catalogue.items()]
    fp = place.footprint_label.lower()
    return html.Div(
        [
            _control(
                "Number of footprints (K)",
                "cl-k",
                dcc.Input(id="cl-k", type="number", min=1, max=len(place.areas), step=1, value=k),
            ),
            _control(
                "Balance on",
                "cl-balance",
                dcc.Dropdown(id="cl-balance", options=options, value=balance, clearable=False),
            ),
            _control(
                "Method",
                "cl-method",
                dcc.Dropdown(
                    id="cl-method",
                    options=[{"label": METHOD_LABELS[m], "value": m} for m in METHODS],
                    value=method,
                    clearable=False,
                ),
            ),
            _control(
                "Keep whole",
                "cl-respect",
                dcc.Dropdown(
                    id="cl-respect",
                    clearable=True,
                    value=None,
                    placeholder="Nothing (areas can go anywhere)",
                    options=[{"label": f"Current {fp}s", "value": "footprint"}],
                ),
            ),
            _control(
                "Compare with",
                "cl-set",
                dcc.Dropdown(
                    id="cl-set",
                    clearable=False,
                    value=chosen,
                    options=_set_options(_saved_names(place)),
                ),
            ),
        ],
        className="form-grid",
    )


def _design_actions() -> list:
    buttons = html.Div(
        [
            html.Button("Design", id="cl-run", n_clicks=0, className="button button-primary"),
            html.Button(
                "Cancel",
                id="cl-cancel",
                n_clicks=0,
                className="button",
                disabled=True,
                title="Stop the design job running on the server",
            ),
            html.Button(
                "Download lookup (CSV)", id="cl-download-btn", n_clicks=0, className="button"
            ),
            dcc.Download(id="cl-download"),
            dcc.Download(id="cl-download-meta"),
        ],
        className="button-row",
    )
    save = html.Div(
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
            html.Button("Save footprint set", id="cl-save-btn", n_clicks=0, className="button"),
            html.Div(id="cl-save-result", role="status", **{"aria-live": "polite"}),
        ],
        className="control-group",
    )
    progress = html.Div(id="cl-progress", role="status", **{"aria-live": "polite"})
    return [buttons, progress, save]


def _design_results(place: Place, design: FootprintDesign | None, status: str) -> list:
    """Status, summary, both maps, both charts and the two tables (empty without a design)."""
    figs = design_figures(design) if design is not None else None
    empty = _empty_map(place)
    basis = design.comparison.basis if design is not None else ""
    return [
        dcc.Loading(html.P(status, id="cl-status", role="status", **{"aria-live": "polite"})),
        html.H3("Summary"),
        *_table(
            "cl-summary",
            SUMMARY_COLUMNS,
            design.summary_rows() if design else [],
            label="Summary of the current and designed footprints",
        ),
        html.P(basis and f"Balanced quantity: {basis}.", id="cl-basis", className="control-help"),
        html.Div(
            [
                html.Div(
                    [
                        html.H3(f"Current {place.footprint_plural.lower()}"),
                        _graph(
                            "cl-map-current",
                            figs.current_map if figs else empty,
                            f"Map of the {len(place.footprint_names)} current "
                            f"{place.footprint_plural.lower()}, each in its own colour.",
                        ),
                    ]
                ),
                html.Div(
                    [
                        html.H3("Designed (darker: areas that change footprint)"),
                        _graph(
                            "cl-map-designed",
                            figs.designed_map if figs else empty,
                            (
                                f"Map of the designed footprints; the "
                                f"{len(design.comparison.changed):,} areas that change "
                                "footprint are darker (listed in the table below)."
                            )
                            if design is not None
                            else "Map of the place (no design yet).",
                        ),
                    ]
                ),
            ],
            className="cl-side-by-side",
        ),
        html.Div(
            [
                _graph(
                    "cl-balance-fig",
                    figs.balance if figs else {},
                    chart_summary(
                        design.comparison, "pct_of_mean", what="% of the set's mean", unit="%"
                    )
                    + " The figures are in the table below."
                    if design is not None
                    else None,
                ),
                _graph(
                    "cl-compact-fig",
                    figs.compactness if figs else {},
                    chart_summary(
                        design.comparison, "polsby_popper", what="compactness (Polsby-Popper)"
                    )
                    + " The figures are in the table below."
                    if design is not None
                    else None,
                ),
            ],
            className="cl-side-by-side",
        ),
        html.H3("Balance and compactness by footprint"),
        *_table(
            "cl-balance-table",
            FOOTPRINT_COLUMNS,
            design.footprint_rows() if design else [],
            label="Balance and compactness by footprint",
        ),
        html.H3("Areas that change footprint"),
        *_table(
            "cl-changed",
            CHANGED_COLUMNS,
            design.changed_rows() if design else [],
            label="Areas that change footprint",
        ),
        html.P(
            "A footprint of the new set is matched to the current footprint it shares most "
            "areas with; an area changes when it leaves that match.",
            className="control-help",
        ),
    ]


def _design_section(
    place: Place, design: FootprintDesign | None, status: str, **controls
) -> html.Section:
    intro = html.P(
        "Group the small areas into K footprints that share boundaries, hold as equal a share as "
        "possible of the chosen quantity, and are reasonably compact. Compare them with today's "
        f"{place.footprint_plural.lower()}.",
        className="control-help",
    )
    return html.Section(
        [
            html.H2("Design footprints"),
            intro,
            _design_controls(place, **controls),
            *_design_actions(),
            *_design_results(place, design, status),
        ],
        className="cl-section",
    )


def _schools_section(place: Place) -> html.Section:
    hubs = _has_hubs(place)
    by = dcc.RadioItems(
        id="cl-sc-by",
        value="hub" if hubs else "footprint",
        options=[
            {"label": "around the nearest hub (travel time)", "value": "hub", "disabled": not hubs},
            {"label": f"by {place.footprint_label.lower()}", "value": "footprint"},
        ],
    )
    return html.Section(
        [
            html.H2("School clusters"),
            html.Div(
                [_control("Group schools", "cl-sc-by", radio_group(by, "Group schools"))],
                className="form-grid",
            ),
            dcc.Loading(html.P(id="cl-sc-text", className="control-help")),
            _graph(
                "cl-sc-map",
                _empty_map(place),
                "Map of the school clusters, each school coloured by its cluster; the schools "
                "and their clusters are in the table below.",
            ),
            *_table("cl-sc-table", [], [], label="School clusters"),
        ],
        className="cl-section",
    )


def _hotspot_section(place: Place, *, indicator: str | None, method: str) -> html.Section:
    options = [{"label": i.label, "value": key} for key, i in place.catalogue.items()]
    controls = html.Div(
        [
            _control(
                "Indicator",
                "cl-hs-indicator",
                dcc.Dropdown(
                    id="cl-hs-indicator", options=options, value=indicator, clearable=False
                ),
            ),
            _control(
                "Statistic",
                "cl-hs-method",
                radio_group(
                    dcc.RadioItems(
                        id="cl-hs-method",
                        value=method,
                        options=[{"label": v, "value": k} for k, v in METHOD_NAMES.items()],
                    ),
                    "Statistic",
                ),
            ),
        ],
        className="form-grid",
    )
    return html.Section(
        [
            html.H2("Need hot spots"),
            html.P(
                "Where an indicator clusters beyond chance: each area with its neighbours is "
                "tested by permutation and the results corrected for testing every area (false "
                "discovery rate).",
                className="control-help",
            ),
            controls,
            html.P(id="cl-hs-progress", role="status", className="control-help"),
            dcc.Loading(html.P(id="cl-hs-text", className="control-help")),
            _graph(
                "cl-hs-map",
                _empty_map(place),
                "Map of the small areas that are significant hot spots (high values near high "
                "values) or cold spots of the chosen indicator; the method and the counts are "
                "in the text above.",
            ),
        ],
        className="cl-section",
    )


def layout(
    place=None, k=None, balance=None, method=None, set=None, indicator=None, hsmethod=None, **_other
):
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    n_areas = len(the_place.areas)
    catalogue = the_place.catalogue
    lookup = {
        "k": _int(k, max(2, len(the_place.footprint_names)), 1, n_areas),
        "balance": first(balance) if first(balance) in catalogue else the_place.default_balance,
        "method": first(method) if first(method) in METHODS else "grow",
        "set": first(set) if first(set) in _saved_names(the_place) else NEW,
        "respect": None,
        "ready": False,
    }
    hs_indicator = first(indicator) if first(indicator) in catalogue else the_place.need_key
    hs_method = first(hsmethod) if first(hsmethod) in METHOD_NAMES else "gi"

    design, status = None, ""
    if n_areas <= AUTO_DESIGN_MAX_AREAS or lookup["set"] != NEW:
        try:
            design = run_design(the_place, lookup)
            status = " ".join(design.notes)
            lookup["ready"] = True
        except InputError as exc:
            notices.add(str(exc))
    else:
        status = f"{n_areas:,} areas: press Design to start (it can take up to a minute)."
    controls = {key: lookup[key] for key in ("k", "balance", "method")}
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="cl-notice"),
            html.H1(
                f"{the_place.name}: footprints, school clusters and hot spots",
                className="page-title",
            ),
            _design_section(the_place, design, status, chosen=lookup["set"], **controls),
            _schools_section(the_place),
            _hotspot_section(the_place, indicator=hs_indicator, method=hs_method),
            attribution_footer(the_place),
            dcc.Store(id="cl-state", data={"place": current_place_key(the_place)}),
            dcc.Store(id="cl-lookup", data={k: v for k, v in lookup.items() if k != "respect"}),
        ],
        className="page page-clusters",
    )


# --------------------------------------------------------------------------- callbacks


@callback(
    Output("cl-summary", "rowData"),
    Output("cl-balance-table", "rowData"),
    Output("cl-balance-fig", "figure"),
    Output("cl-compact-fig", "figure"),
    Output("cl-map-current", "figure"),
    Output("cl-map-designed", "figure"),
    Output("cl-changed", "rowData"),
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
    # A long job (regionalising 33,000 areas takes a while): it runs on a background worker
    # (hubplan.jobs), with progress, and the Cancel button stops it.
    background=True,
    running=[
        (Output("cl-run", "disabled"), True, False),
        (Output("cl-cancel", "disabled"), False, True),
    ],
    cancel=[Input("cl-cancel", "n_clicks")],
    progress=[Output("cl-progress", "children")],
    progress_default=[""],
)
def on_design_job(set_progress, _clicks, chosen, k, balance, method, respect, state):
    set_progress(f"Designing {k} footprints ...")
    out = on_design(_clicks, chosen, k, balance, method, respect, state)
    set_progress("")
    return out


def on_design(_clicks, chosen, k, balance, method, respect, state):
    """Design footprints from the controls (the body of the background job ``on_design_job``)."""
    place, _ = open_place_safe((state or {}).get("place"))
    no = dash.no_update
    lookup = {"k": k, "balance": balance, "method": method, "set": chosen, "respect": respect}
    try:
        lookup["k"] = int(k) if k is not None else 0
        design = run_design(place, lookup)
        figs = design_figures(design)
    except (InputError, ValueError) as exc:
        return no, no, no, no, no, no, no, no, f"Could not design: {exc}", no
    return (
        design.summary_rows(),
        design.footprint_rows(),
        figs.balance,
        figs.compactness,
        figs.current_map,
        figs.designed_map,
        design.changed_rows(),
        f"Balanced quantity: {design.comparison.basis}.",
        " ".join(design.notes),
        {**lookup, "ready": True},
    )


@callback(
    Output("cl-download", "data"),
    Output("cl-download-meta", "data"),
    Input("cl-download-btn", "n_clicks"),
    State("cl-lookup", "data"),
    State("cl-state", "data"),
    prevent_initial_call=True,
)
def on_download(_clicks, lookup, state):
    """The design's lookup as CSV (header on row 1) and its CSVW metadata sidecar."""
    place, _ = open_place_safe((state or {}).get("place"))
    lookup = lookup or {}
    if not lookup.get("ready"):
        return dash.no_update, dash.no_update
    design = run_design(place, lookup)
    name = design.label.replace(" ", "_")
    return table_download(
        "csv",
        place,
        design.lookup(),
        LOOKUP_COLUMNS,
        title=f"{place.name}: footprint lookup of the design {design.label!r}",
        stem=f"{current_place_key(place)}_{name}_footprints",
        notes=lookup_notes(design),
    )


@callback(
    Output("cl-sc-map", "figure"),
    Output("cl-sc-table", "rowData"),
    Output("cl-sc-table", "columnDefs"),
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
    table = result.summary.reset_index(drop=True)
    columns = [
        replace(c, decimals=1) if c.kind == "number" else c
        for c in tabular.columns_for(
            table, labels={str(c): str(c).replace("_", " ").capitalize() for c in table.columns}
        )
    ]
    rows, defs = grid_data(table, columns)
    fig = map_figure(place, school_cluster_traces(place, result), height=460)
    return fig, rows, defs, result.method_text


def _describe(table: str, stem: str):
    def describe(state: dict | None) -> dict:
        place, notice = open_place_safe((state or {}).get("place"))
        if notice:
            raise InputError(notice)
        return {
            "place": place,
            "title": f"{place.name}: {table}",
            "stem": f"{current_place_key(place)}-clusters-{stem}",
        }

    return describe


#: The download callbacks of the page's grids, by grid id.
DOWNLOADS = {}
for _grid_id, _table_name in (
    ("cl-summary", "footprint design summary"),
    ("cl-balance-table", "balance and compactness by footprint"),
    ("cl-changed", "areas that change footprint"),
    ("cl-sc-table", "school clusters"),
):
    DOWNLOADS[_grid_id] = grid_download_callback(
        _grid_id,
        _grid_id,
        _describe(_table_name, _grid_id.removeprefix("cl-")),
        states=[("cl-state", "data")],
    )


@callback(
    Output("cl-hs-map", "figure"),
    Output("cl-hs-text", "children"),
    Input("cl-hs-indicator", "value"),
    Input("cl-hs-method", "value"),
    State("cl-state", "data"),
    # Permutation inference on a large place is a long job: on a background worker.
    background=True,
    progress=[Output("cl-hs-progress", "children")],
    progress_default=[""],
)
def on_hotspots_job(set_progress, indicator, method, state):
    set_progress("Finding hot spots ...")
    out = on_hotspots(indicator, method, state)
    set_progress("")
    return out


def on_hotspots(indicator, method, state):
    """Hot spots from the controls (the body of the background job ``on_hotspots_job``)."""
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
    return html.Div(message, className="message-ok", id="cl-saved"), _set_options(names)
