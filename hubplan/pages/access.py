"""Access: who can reach a hub within 5, 10, 15 or 20 minutes, and where the access gaps are.

Choose the hubs (a kind of existing site), a travel mode and the time bands. The map shows
the access-gap choropleth (minutes from each area to the nearest hub) under the nested
isochrone bands; the table gives the people and children reached in each band. Click an area
to drop a candidate hub there: its bands and the new coverage show at once.
"""

from __future__ import annotations

import dash
import geopandas as gpd
import pandas as pd
from dash import (
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)
from shapely.geometry import Point

from geo.errors import InputError
from geo.export import tabular
from geo.export.data import isochrones_data
from geo.network.access import coverage, with_minutes_to
from geo.network.isochrones import check_minutes, isochrones
from geo.network.modes import mode_label
from geo.network.travel import (
    CROWFLY_NOTE,
    area_point_method,
    area_points,
    available_modes,
    is_approximate,
)
from geo.place.model import Place
from hubplan.pages._grid import (
    download_bar,
    download_ids,
    filename_stem,
    geojson_download,
    grid,
    grid_data,
    grid_download,
    trigger_format,
)
from hubplan.pages._scenarios import load_saved, parse_scenario, scenario_names
from hubplan.pages._state import current_place_key, first, open_place_safe
from hubplan.pages._ui import attribution_footer, described, notice_box, synthetic_banner
from layers.areas import area_choropleth
from layers.base import map_figure
from layers.isochrones import hub_markers, isochrone_traces

dash.register_page(
    __name__, path="/access", name="Access", title="Access · Locality & Hub Planner", order=4
)

GAP_KEY = "minutes_to_hub"
DEFAULT_BANDS = "5,10,15,20"
SHOWN = {"population": "People", "children_0_4": "Children 0-4", "children_0_17": "Children 0-17"}
UNITS = {"population": "people", "children_0_4": "children", "children_0_17": "children"}


def _control(label: str, component, help_text: str | None = None) -> html.Div:
    kids = [html.Label(label, htmlFor=component.id, className="control-label"), component]
    if help_text:
        kids.append(html.Small(help_text, className="control-help"))
    return html.Div(kids, className="control-group")


HUB_KINDS = ("family_hub", "childrens_centre", "hub")
#: ``kind`` values naming a saved planner scenario as the hub set: ``scenario:NAME``.
SCENARIO_PREFIX = "scenario:"


def default_kind(place: Place) -> str | None:
    """The place's hubs: its family hubs, else its children's centres, else ``None``
    (no existing hubs: drop candidates on the map). Never every school by default."""
    for kind in HUB_KINDS:
        if kind in place.site_kinds:
            return kind
    return None


def kind_label(kind: str) -> str:
    if kind.startswith(SCENARIO_PREFIX):
        return f"Scenario: {kind.removeprefix(SCENARIO_PREFIX)} (saved plan's hubs)"
    return {"family_hub": "Family hubs", "childrens_centre": "Children's centres"}.get(
        kind, kind.replace("_", " ").capitalize() + "s"
    )


def access_settings(place: Place, query: dict) -> tuple[dict, list[str]]:
    """The page's state from the URL: ``kind`` (``none`` for no existing sites), ``mode``,
    ``bands`` and ``dropped`` hubs (``lon,lat;lon,lat``); defaults (with a notice) when bad."""
    notices: list[str] = []
    kind_raw = first(query.get("kind"))
    kind = default_kind(place)
    if kind_raw == "none":
        kind = None
    elif kind_raw is not None and kind_raw.startswith(SCENARIO_PREFIX):
        name, notice = parse_scenario(place, kind_raw.removeprefix(SCENARIO_PREFIX))
        if name:
            kind = SCENARIO_PREFIX + name
        else:
            notices.append(notice or f"Ignored hubs {kind_raw!r}: no scenario named.")
    elif kind_raw is not None:
        if kind_raw in place.site_kinds:
            kind = kind_raw
        else:
            notices.append(f"Ignored unknown kind of hub {kind_raw!r}.")
    mode = first(query.get("mode")) or "walk"
    if mode not in available_modes(place):
        notices.append(f"Ignored unknown travel mode {mode!r}.")
        mode = "walk"
    bands = first(query.get("bands")) or DEFAULT_BANDS
    try:
        check_minutes(bands)
    except InputError as exc:
        notices.append(f"Ignored time bands {bands!r}: {exc}")
        bands = DEFAULT_BANDS
    dropped = []
    for text in [t for t in (first(query.get("dropped")) or "").split(";") if t.strip()]:
        try:
            lon, lat = (float(v) for v in text.split(","))
        except ValueError:
            notices.append(f"Ignored dropped hub {text!r}: give lon,lat.")
            continue
        dropped.append([round(lon, 6), round(lat, 6)])
    return {"kind": kind, "mode": mode, "bands": bands, "dropped": dropped}, notices


def planner_link(place_key: str, kind: str | None, mode: str, bands: str, dropped: list) -> str:
    """The planner URL that starts from this view: the hub kind kept as existing hubs, the
    dropped hubs as added sites, the last band as the time limit."""
    from urllib.parse import urlencode

    try:
        minutes = check_minutes(bands or DEFAULT_BANDS)[-1]
    except InputError:
        minutes = 15
    query = {
        "place": place_key,
        "mode": mode or "walk",
        "minutes": f"{minutes:g}",
        "existing": kind or "",
    }
    if dropped:
        query["added"] = ";".join(f"{a:g},{b:g}" for a, b in dropped)
    return dash.get_relative_path("/planner") + "?" + urlencode(query, safe=",;")


def layout(place=None, **query):
    the_place, notice = open_place_safe(first(place))
    settings, url_notices = access_settings(the_place, query)
    kinds = the_place.site_kinds
    approx = is_approximate(the_place)
    # said once: the approximation is the notice below, not repeated in the intro
    method = "" if approx else "Travel times are shortest paths on the road network."
    controls = html.Div(
        [
            _control(
                "Hubs",
                dcc.Dropdown(
                    id="access-kind",
                    clearable=True,
                    value=settings["kind"],
                    options=[
                        {"label": kind_label(k), "value": k}
                        for k in [
                            *kinds,
                            *(SCENARIO_PREFIX + n for n in scenario_names(the_place)),
                        ]
                    ],
                    placeholder="No existing sites (candidates only)",
                ),
            ),
            _control(
                "Travel mode",
                dcc.Dropdown(
                    id="access-mode",
                    clearable=False,
                    value=settings["mode"],
                    options=[
                        {"label": mode_label(m), "value": m} for m in available_modes(the_place)
                    ],
                ),
            ),
            _control(
                "Time bands (minutes)",
                dcc.Input(
                    id="access-bands",
                    type="text",
                    value=settings["bands"],
                    debounce=True,
                    maxLength=60,
                ),
                "Increasing, separated by commas.",
            ),
            html.Button("Clear dropped hubs", id="access-clear", n_clicks=0),
            html.A("Send to planner", id="access-send", href="", className="button"),
        ],
        className="form-grid access-controls",
    )
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box([*([notice] if notice else []), *url_notices], id="access-notice"),
            dcc.Store(id="access-url-dummy"),
            html.H1(f"{the_place.name}: access to hubs", className="page-title"),
            html.P(
                "Who can reach a hub within each time band, and where the gaps are. Click an area on the map "
                f"to drop a candidate hub there and see its reach at once. {method + ' ' if method else ''}"
                f"Areas are counted when their {area_point_method(the_place)} point is within the band.",
                className="control-help",
            ),
            html.P(
                f"Travel times are {CROWFLY_NOTE}.",
                className="notice-line access-approx",
            )
            if approx
            else None,
            controls,
            html.P(id="access-status", role="status", **{"aria-live": "polite"}),
            dcc.Loading(
                described(
                    dcc.Graph(
                        id="access-map",
                        style={"height": "580px"},
                        config={"displaylogo": False, "scrollZoom": True},
                    ),
                    "Map of the time bands around the hubs, with each small area coloured by "
                    "its time to the nearest hub. The people and children reached are in the "
                    "table below.",
                )
            ),
            html.Section(
                [
                    html.H2("People and children reached"),
                    grid("access-coverage", label="People and children reached in each band"),
                    download_bar(
                        "access",
                        what="the table of people and children reached",
                        geojson="the travel-time bands (isochrones)",
                    ),
                ]
            ),
            attribution_footer(the_place),
            dcc.Store(id="access-state", data={"place": current_place_key(the_place)}),
            dcc.Store(id="access-candidates", data=settings["dropped"]),
        ],
        className="page page-access",
    )


def chosen_hubs(
    place: Place, kind: str | None, candidates: list
) -> tuple[gpd.GeoSeries, list[str]]:
    """Hub points (working CRS) and labels: the sites of ``kind`` plus dropped candidates."""
    points, labels, ids = [], [], []
    if kind and kind.startswith(SCENARIO_PREFIX):  # a saved plan's hubs
        from layers.scenario import scenario_hub_points

        name = kind.removeprefix(SCENARIO_PREFIX)
        hubs = scenario_hub_points(place, load_saved(place, name))
        points += list(hubs.geometry)
        labels += [f"{n} (scenario {name})" for n in hubs["name"].astype(str)]
        ids += [str(h) for h in hubs.index]
    elif kind and kind in place.site_kinds:
        sites = place.sites[place.sites["kind"] == kind]
        points += list(sites.geometry)
        labels += [f"{n} ({kind.replace('_', ' ')})" for n in sites["name"].astype(str)]
        ids += list(sites["site_id"].astype(str))
    if candidates:
        cand = gpd.GeoSeries([Point(lon, lat) for lon, lat in candidates], crs=4326).to_crs(
            place.crs
        )
        points += list(cand)
        labels += [f"Dropped hub {i + 1}" for i in range(len(cand))]
        ids += [f"new-{i + 1}" for i in range(len(cand))]
    return gpd.GeoSeries(points, index=ids, crs=place.crs), labels


def coverage_table(
    place: Place, cover: pd.DataFrame, before: pd.DataFrame | None
) -> tuple[pd.DataFrame, list[tabular.Column]]:
    """Band, areas and the people/children reached (count and share), plus what dropped
    candidate hubs add, as numbers with labelled units."""
    keys = [k for k in SHOWN if k in cover]
    frame = pd.DataFrame(
        {"minutes": cover["minutes"].astype(float).to_numpy(), "areas": cover["areas"].to_numpy()}
    )
    whole = bool((frame["areas"] == frame["areas"].round()).all())
    step = 0 if bool((frame["minutes"] == frame["minutes"].round()).all()) else None
    columns = [
        tabular.Column("minutes", "Within", "minutes", "number", decimals=step),
        tabular.Column("areas", "Small areas reached", kind="count" if whole else "number"),
    ]
    for key in keys:
        frame[key] = cover[key].to_numpy()
        columns.append(tabular.Column(key, f"{SHOWN[key]} reached", UNITS[key], "count"))
        share = f"{key}_share"
        if share in cover:
            frame[share] = (100 * pd.to_numeric(cover[share], errors="coerce")).to_numpy()
            columns.append(tabular.Column(share, f"{SHOWN[key]} reached, share", "%", "number"))
        if before is not None:
            added = f"{key}_added"
            frame[added] = (cover[key].to_numpy() - before[key].to_numpy()).astype(float)
            columns.append(
                tabular.Column(added, f"{SHOWN[key]} added by dropped hubs", UNITS[key], "count")
            )
    return frame, columns


def coverage_rows(
    place: Place, cover: pd.DataFrame, before: pd.DataFrame | None
) -> tuple[list[dict], list[dict]]:
    """``(rowData, columnDefs)`` of the coverage grid (:func:`coverage_table`)."""
    frame, columns = coverage_table(place, cover, before)
    return grid_data(frame, columns)


@callback(
    Output("access-map", "figure"),
    Output("access-coverage", "rowData"),
    Output("access-coverage", "columnDefs"),
    Output("access-status", "children"),
    Input("access-kind", "value"),
    Input("access-mode", "value"),
    Input("access-bands", "value"),
    Input("access-candidates", "data"),
    State("access-state", "data"),
)
def update(kind, mode, bands_text, candidates, state):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        minutes = check_minutes(bands_text or DEFAULT_BANDS)
        hubs, labels = chosen_hubs(place, kind, candidates or [])
        if len(hubs) == 0:
            fig = map_figure(place, [])
            return fig, [], [], "Choose a kind of hub, or click an area to drop a candidate hub."
        bands = isochrones(place, hubs, mode=mode, minutes=minutes)
        cover = coverage(place, hubs, mode=mode, minutes=minutes, bands=bands)
        before = None
        if candidates and kind:
            existing = hubs[~hubs.index.str.startswith("new-")]
            before = (
                coverage(place, existing, mode=mode, minutes=minutes) if len(existing) else None
            )
        label = f"Minutes to the nearest hub ({mode})"
        gap = with_minutes_to(place, hubs, key=GAP_KEY, label=label, mode=mode)
    except InputError as exc:
        return dash.no_update, dash.no_update, dash.no_update, f"Cannot show access: {exc}"
    traces = [
        area_choropleth(gap, GAP_KEY, opacity=0.6),
        *isochrone_traces(bands, cover, opacity=0.35, clickthrough=True),
        hub_markers(place, hubs, labels),
    ]
    fig = map_figure(place, traces)
    fig.update_layout(clickmode="event")
    rows, cols = coverage_rows(place, cover, before)
    last = cover.iloc[-1]
    share = last.get("population_share")
    approx = " Approximate (no road network)." if is_approximate(place) else ""
    warn = " ".join(bands.attrs.get("warnings", []))
    status = (
        f"{len(hubs)} hub(s) ({len(candidates or [])} dropped), {mode}: "
        f"{last.get('population', 0):,.0f} people"
        + (f" ({share:.0%})" if share is not None and pd.notna(share) else "")
        + f" within {minutes[-1]:g} minutes.{approx}"
        + (f" Warning: {warn}" if warn else "")
    )
    return fig, rows, cols, status


_DL = download_ids("access")


@callback(
    Output(_DL["download"], "data"),
    Output(_DL["meta"], "data"),
    Output(_DL["status"], "children"),
    Input(_DL["csv"], "n_clicks"),
    Input(_DL["xlsx"], "n_clicks"),
    Input(_DL["geojson"], "n_clicks"),
    State("access-coverage", "virtualRowData"),
    State("access-coverage", "rowData"),
    State("access-coverage", "columnDefs"),
    State("access-kind", "value"),
    State("access-mode", "value"),
    State("access-bands", "value"),
    State("access-candidates", "data"),
    State("access-state", "data"),
    prevent_initial_call=True,
)
def download(
    _csv, _xlsx, _geojson, virtual, row_data, defs, kind, mode, bands_text, candidates, state,
    *, trigger=None,
):  # fmt: skip
    """The coverage table as shown (CSV/XLSX) or the bands on the map (GeoJSON)."""
    fmt = trigger_format(trigger or ctx.triggered_id)
    place, notice = open_place_safe((state or {}).get("place"))
    if notice:
        return dash.no_update, dash.no_update, notice
    stem = filename_stem(current_place_key(place), "access", kind or "dropped", mode or "")
    try:
        if fmt == "geojson":
            minutes = check_minutes(bands_text or DEFAULT_BANDS)
            hubs, labels = chosen_hubs(place, kind, candidates or [])
            if len(hubs) == 0:
                raise InputError("no hubs chosen: nothing to download yet")
            data_ = isochrones_data(
                place,
                hubs=hubs.set_axis(labels) if len(set(labels)) == len(labels) else hubs,
                mode=mode,
                minutes=minutes,
                apportion="point",
                list_hubs=True,
            )
            data, meta = geojson_download(place, data_, stem=stem + "-isochrones")
        else:
            what = kind_label(kind) if kind else "dropped hubs"
            data, meta = grid_download(
                fmt,
                place,
                virtual if virtual is not None else row_data,
                defs,
                title=f"{place.name}: people and children within reach of {what} ({mode})",
                stem=stem + "-coverage",
                notes=(
                    f"Areas are counted when their {area_point_method(place)} point is within "
                    "the band; bands are cumulative.",
                    *([f"Travel times are {CROWFLY_NOTE}."] if is_approximate(place) else []),
                ),
            )
    except InputError as exc:
        return dash.no_update, dash.no_update, f"No download: {exc}"
    return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready."


@callback(
    Output("access-candidates", "data"),
    Input("access-map", "clickData"),
    Input("access-clear", "n_clicks"),
    State("access-candidates", "data"),
    State("access-state", "data"),
    prevent_initial_call=True,
)
def click(click_data, _clear, candidates, state):
    """An area click drops a candidate hub at the area's point; the button clears them."""
    if ctx.triggered_id == "access-clear":
        return []
    points = (click_data or {}).get("points") or []
    if not points or points[0].get("location") is None:
        return dash.no_update
    place, _ = open_place_safe((state or {}).get("place"))
    code = str(points[0]["location"])
    if code not in place.areas.index:
        return dash.no_update
    pt = gpd.GeoSeries([area_points(place).loc[code]], crs=place.crs).to_crs(4326).iloc[0]
    return [*(candidates or []), [round(pt.x, 6), round(pt.y, 6)]]


@callback(
    Output("access-send", "href"),
    Input("access-kind", "value"),
    Input("access-mode", "value"),
    Input("access-bands", "value"),
    Input("access-candidates", "data"),
    State("access-state", "data"),
)
def send_link(kind, mode, bands, dropped, state):
    """ "Send to planner": the planner with this view's hubs, mode, time and dropped hubs.
    With a saved scenario as the hubs: that scenario (``scenario=NAME``), plus the dropped
    hubs as added sites when there are any (then it is a new plan, so its settings in full)."""
    place_key = (state or {}).get("place")
    if kind and kind.startswith(SCENARIO_PREFIX):
        from urllib.parse import parse_qs, urlencode, urlparse

        from hubplan.pages.planner import scenario_query

        place, _ = open_place_safe(place_key)
        name = kind.removeprefix(SCENARIO_PREFIX)
        try:
            scenario = load_saved(place, name)
        except InputError:
            return dash.no_update
        if not dropped:
            return (
                dash.get_relative_path("/planner")
                + "?"
                + urlencode({"place": place_key, "scenario": name})
            )
        query = {
            k: v[0]
            for k, v in parse_qs(
                urlparse(scenario_query(place_key, scenario)).query, keep_blank_values=True
            ).items()
        }
        query["added"] = ";".join(
            [t for t in query.get("added", "").split(";") if t]
            + [f"{a:g},{b:g}" for a, b in dropped]
        )
        return dash.get_relative_path("/planner") + "?" + urlencode(query, safe=",;")
    return planner_link(place_key, kind, mode, bands, dropped or [])


# The URL carries the page's state (replaceState: no history entry per change).
clientside_callback(
    """
    function(kind, mode, bands, dropped, state) {
        if (!state) { return window.dash_clientside.no_update; }
        var p = new URLSearchParams();
        p.set('place', state.place);
        p.set('kind', kind || 'none');
        if (mode) { p.set('mode', mode); }
        if (bands) { p.set('bands', bands); }
        var d = (dropped || []).map(function(x) { return x[0] + ',' + x[1]; }).join(';');
        if (d) { p.set('dropped', d); }
        var search = '?' + p.toString().replace(/%2C/g, ',').replace(/%3B/g, ';');
        if (search !== window.location.search) {
            window.history.replaceState(window.history.state, '', window.location.pathname + search);
        }
        return search;
    }
    """,
    Output("access-url-dummy", "data"),
    Input("access-kind", "value"),
    Input("access-mode", "value"),
    Input("access-bands", "value"),
    Input("access-candidates", "data"),
    State("access-state", "data"),
)
