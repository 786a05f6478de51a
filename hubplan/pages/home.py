"""The map page: need by small area, footprints, clusters, sites and access on one map.

Everything the view shows is in the URL (``place``, ``indicator``, ``footprint``, ``layers``,
``basemap``, ``lat``/``lon``/``zoom``). The figure (with its geometry) is sent once when the
page renders; indicator, layer, basemap and footprint changes send ``dash.Patch`` updates
only (no geometry). Browser back/forward reloads the view from the URL.
"""

from __future__ import annotations

import os
import threading
import weakref

import dash
import pandas as pd
from dash import (
    ALL,
    MATCH,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)

from geo.errors import InputError
from geo.indicators.disclosure import (
    DEFAULT_THRESHOLD,
    is_suppressed,
    sensitive_columns,
)
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
from hubplan.pages._export import export_controls, register_export_callbacks
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._scenarios import load_saved, parse_scenario, scenario_names
from hubplan.pages._sets import place_view, saved_sets
from hubplan.pages._state import (
    Notices,
    current_place_key,
    first,
    open_place_safe,
    page_href,
    parse_choice,
    parse_footprint,
    parse_indicator,
    parse_layers,
    parse_view,
)
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner
from hubplan.pages._values_table import GRID_TYPE, STATUS_TYPE, rows_block, values_table
from layers.areas import (
    AREAS_UID,
    NO_DATA_UID,
    area_choropleth,
    choropleth_values,
    no_data_entry,
    no_data_trace,
)
from layers.base import (
    BASEMAPS,
    ROADS_UID,
    basemap_choices,
    basemap_layers,
    format_value,
    map_figure,
    road_traces,
)
from layers.footprints import (
    FILL_UID,
    HIGHLIGHT_UID,
    LABELS_UID,
    OUTLINE_UID_PREFIX,
    footprint_fill,
    footprint_highlight,
    footprint_labels,
    footprint_outlines,
    footprint_view,
    highlight_coords,
    selected_label,
)
from layers.isochrones import overlay_hub_kind
from layers.labels import place_labels
from layers.overlays import OVERLAYS, has_provider, overlay_traces
from layers.palettes import legend_hint
from layers.sites import kind_label, site_markers, site_uid
from layers.zoom import (
    COARSE_TOLERANCE_M,
    VALUE_KEYS,
    detail_for_view,
    detail_trace,
    detail_values,
    is_large,
)

dash.register_page(__name__, path="/", name="Map", title="Map · Locality & Hub Planner", order=0)
register_export_callbacks("home", state_id="home-state", view_id="home-view")

BASE_LAYERS = ("areas", "footprints")


# --------------------------------------------------------------------------- layers


def layer_options(place: Place) -> list[dict]:
    """Checklist options: areas, footprints, one per site kind, then the overlays.

    Overlays without data are listed disabled (placeholders the other engines fill in).
    """
    opts = [
        {"label": "Small areas (indicator colours)", "value": "areas"},
        {"label": f"{place.footprint_label} outlines", "value": "footprints"},
    ]
    opts += [{"label": f"{kind_label(k)} sites", "value": f"sites-{k}"} for k in place.site_kinds]
    _, index = _base_figure(place)
    large = "detail" in index
    for key, overlay in OVERLAYS.items():
        name = _overlay_name(place, key, overlay.label)
        if large:  # drawn when first switched on (building them for every area takes a while)
            available = has_provider(key)
            label = (
                f"{name} (drawn when switched on)"
                if available
                else f"{name} ({overlay.placeholder})"
            )
        else:
            available = bool(index["layers"].get(key))
            label = name if available else f"{name} ({overlay.placeholder})"
        opts.append({"label": label, "value": key, "disabled": not available})
    return opts


def _overlay_name(place: Place, key: str, label: str) -> str:
    """The overlay's label, naming the sites the walking bands start from (Wigan's bundle has
    schools only, so its bands are around schools, not hubs)."""
    if key == "isochrones" and (kind := overlay_hub_kind(place)) is not None:
        return f"Walking time to {kind_label(kind).lower()}s (isochrones)"
    return label


def default_layers(place: Place) -> list[str]:
    return [*BASE_LAYERS, *(f"sites-{k}" for k in place.site_kinds)]


_base_cache: dict[int, tuple[weakref.ref, dict, dict]] = {}
_base_lock = threading.Lock()
_build_lock = threading.Lock()  # one build at a time: a visit waits for a running warm-up
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(
        after_in_child=lambda: globals().update(
            _base_lock=threading.Lock(), _build_lock=threading.Lock()
        )
    )


def _base_figure(place: Place) -> tuple[dict, dict]:
    """The place's map figure as a plain dict, built once per place (read-only), and the
    layer -> trace-index map. Per-request views are cheap copies of it (geometry shared)."""
    with _base_lock:
        hit = _base_cache.get(id(place))
        if hit is not None and hit[0]() is place:
            return hit[1], hit[2]
    with _build_lock:
        with _base_lock:
            hit = _base_cache.get(id(place))
            if hit is not None and hit[0]() is place:
                return hit[1], hit[2]
        return _build_base_figure(place)


def _build_base_figure(place: Place) -> tuple[dict, dict]:
    first_key = next(iter(place.catalogue))
    large = is_large(place)
    tol = {"tolerance_m": COARSE_TOLERANCE_M} if large else {}
    if large:  # zoomed out: the indicator by footprint, not every small area
        areas_trace = {
            "type": "choroplethmap",
            "featureidkey": "id",
            "uid": AREAS_UID,
            "marker": {"opacity": 0.8, "line": {"width": 0.4, "color": "#ffffff"}},
            **detail_trace(place, first_key, {"mode": "footprints"}),
        }
    else:
        areas_trace = area_choropleth(place, first_key)
    traces = [
        footprint_fill(place, **tol),
        areas_trace,
        no_data_trace(place, first_key),  # legend entry "No data (N areas)" for the grey
        # the offline "roads" basemap (over the colours): geometry sent when it is chosen
        *[_without_lines(t) for t in road_traces(place, visible=False)],
        *footprint_outlines(place, legend_names=False, **tol),  # names are on the map
        footprint_labels(place),  # names drawn offline by assets/map_labels.js
        place_labels(place),  # town and suburb names, drawn the same way
    ]
    overlay_uids: dict[str, list[str]] = {}
    for key in OVERLAYS:
        # Large places: overlays are built on every small area, so only when switched on
        # (:func:`update_overlays` appends them to the figure).
        extra = [] if large else overlay_traces(place, key)
        overlay_uids[key] = [t.uid for t in extra]
        traces += extra
    traces += site_markers(place)
    traces.append(footprint_highlight(place, None))
    fig = map_figure(place, traces)
    fig.update_layout(legend={"itemclick": False, "itemdoubleclick": False})
    fig_dict = fig.to_plotly_json()

    uids = [t.get("uid") for t in fig_dict["data"]]
    outlines = [i for i, u in enumerate(uids) if u and u.startswith(OUTLINE_UID_PREFIX)]
    index = {
        "layers": {
            "areas": [uids.index(AREAS_UID), uids.index(NO_DATA_UID)],
            "footprints": [*outlines, uids.index(LABELS_UID)],
            **{f"sites-{k}": [uids.index(site_uid(k))] for k in place.site_kinds},
            **{key: [uids.index(u) for u in ids] for key, ids in overlay_uids.items()},
        },
        "areas": uids.index(AREAS_UID),
        "fill": uids.index(FILL_UID),
        "highlight": uids.index(HIGHLIGHT_UID),
        "nodata": uids.index(NO_DATA_UID),
        "roads": [i for i, u in enumerate(uids) if u and u.startswith(f"{ROADS_UID}-")],
        "outlines": {str(i): fig_dict["data"][i]["meta"] for i in outlines},
    }
    if large:
        index["detail"] = {"mode": "footprints"}
        index["traces"] = len(fig_dict["data"])
    with _base_lock:
        for k in [k for k, (ref, *_) in _base_cache.items() if ref() is None]:
            del _base_cache[k]
        _base_cache[id(place)] = (weakref.ref(place), fig_dict, index)
    return fig_dict, index


def _without_lines(trace):
    """A road trace without its coordinates (they are sent only when roads are chosen)."""
    trace.update(lon=[], lat=[])
    return trace


_roads_cache: dict[int, tuple[weakref.ref, list[dict]]] = {}


def _road_lines(place: Place) -> list[dict]:
    """``lon``/``lat`` of each road trace (:func:`layers.base.road_traces`), cached per place."""
    with _base_lock:
        hit = _roads_cache.get(id(place))
        if hit is not None and hit[0]() is place:
            return hit[1]
    lines = [{"lon": list(t.lon), "lat": list(t.lat)} for t in road_traces(place)]
    with _base_lock:
        for k in [k for k, (ref, _) in _roads_cache.items() if ref() is None]:
            del _roads_cache[k]
        _roads_cache[id(place)] = (weakref.ref(place), lines)
    return lines


def warm(place: Place) -> None:
    """Fill this page's caches for ``place`` (figure, geometry, profile) ahead of a visit."""
    _base_figure(place)
    cached_profile(place)


def fill_hoverinfo(layers: list[str]) -> str:
    """The footprint click layer steps out of the hover while the small areas are shown, so
    hovering an area shows its value with its footprint (the area's hover names both); a
    click on an area still selects its footprint (:func:`footprint_from_click`)."""
    return "skip" if "areas" in set(layers or []) else "all"


def build_figure(
    place: Place,
    indicator: str,
    footprint: str | None,
    layers: list[str],
    basemap: str,
    centre: dict | None,
    zoom: float | None,
) -> tuple[dict, dict]:
    """The full map figure for a view (sent once per page render) and its trace-index map.

    A plain figure dict sharing the cached geometry with :func:`_base_figure`; only the
    properties that differ between views are copied.
    """
    base, index = _base_figure(place)
    data = [dict(t) for t in base["data"]]
    on = set(layers)
    for key, ids in index["layers"].items():
        for i in ids:
            data[i]["visible"] = key in on
    data[index["fill"]]["hoverinfo"] = fill_hoverinfo(layers)
    if "detail" in index:  # a large place: footprints when zoomed out, areas in view when in
        detail = detail_for_view(place, {"zoom": zoom, "center": centre} if centre else None)
        index = {**index, "detail": detail}
        if detail["mode"] == "areas":
            data[index["areas"]].update(detail_trace(place, indicator, detail))
        else:
            data[index["areas"]].update(detail_values(place, indicator, detail))
    else:
        data[index["areas"]].update(choropleth_values(place, indicator))
    if "nodata" in index:
        data[index["nodata"]].update(no_data_entry(place, indicator))
    lons, lats = highlight_coords(place, footprint)
    data[index["highlight"]].update(
        lon=lons, lat=lats, name=selected_label(place, footprint), showlegend=bool(footprint)
    )
    if basemap == "roads" and index.get("roads"):
        for i, trace in zip(index["roads"], _road_lines(place), strict=True):
            data[i].update(trace, visible=True)
    layout = dict(base["layout"])
    layout["map"] = {**layout["map"], "layers": basemap_layers(basemap)}
    if footprint and not centre:  # a link to a footprint opens zoomed to it
        view = footprint_view(place, footprint)
        if view is not None:
            centre, zoom = view
    if centre:
        layout["map"]["center"] = centre
    if zoom is not None:
        layout["map"]["zoom"] = zoom
    return {"data": data, "layout": layout}, index


# --------------------------------------------------------------------------- footprint sets


def open_view(state: dict | None) -> tuple[Place, str | None]:
    """The place of a page state, through its saved footprint set (``set``) if it has one."""
    state = state or {}
    place, notice = open_place_safe(state.get("place"))
    if notice is None and state.get("set"):
        place, _ = place_view(place, state["set"])
    return place, notice


def set_choice(place: Place, chosen: str | None) -> html.Nav | None:
    """Links showing the map with the current footprints or a saved footprint set (from the
    Clusters page or ``hubplan cluster --save-as``); ``None`` when no set is saved."""
    sets = saved_sets(place)
    if not sets:
        return None
    key = current_place_key(place)
    items = []
    for name in [None, *sets]:
        text = (
            f"Current {place.footprint_plural.lower()}" if name is None else f"Saved set {name!r}"
        )
        href = page_href("/", key, **({"set": name} if name else {}))
        items.append(
            html.Li(
                html.Strong(text, **{"aria-current": "true"})
                if name == chosen
                else dcc.Link(text, href=href)
            )
        )
    return html.Nav(
        [
            html.Span("Footprint set", className="control-label"),
            html.Ul(items, className="plain-list"),
        ],
        id="home-sets",
        className="control-group",
        **{"aria-label": "Footprint sets"},
    )


# --------------------------------------------------------------------------- panels


def _fmt_row(label: str, value, ind=None, total=None) -> html.Tr:
    return html.Tr(
        [
            html.Th(label, scope="row"),
            html.Td(format_value(value, ind), className="num"),
            html.Td(format_value(total, ind) if total is not None else "", className="num muted"),
        ]
    )


def _shown_profile(place: Place) -> pd.DataFrame:
    """The profile table after disclosure control (as ``hubplan profile`` prints it)."""
    table = cached_profile(place).reset_index()
    return disclosed_profile(place, table=table).table.set_index("footprint")


def _disclosed(value, ind) -> str:
    return (
        f"suppressed (fewer than {DEFAULT_THRESHOLD})"
        if is_suppressed(value)
        else (format_value(value, ind))
    )


def footprint_panel(place: Place, footprint: str | None, indicator: str) -> list:
    """Key figures of ``footprint`` from :func:`geo.indicators.profile.profile_table` (never recomputed)."""
    if footprint is None:
        return [
            html.H2(f"{place.footprint_label}", className="panel-title"),
            html.P(
                f"Click a {place.footprint_label.lower()} on the map or choose one in the "
                f"list to see its key figures."
            ),
        ]
    table = cached_profile(place)
    row, total = table.loc[footprint], table.loc["All areas"]
    ind = place.indicator(indicator)
    how = {
        "count": "total",
        "mean": "weighted mean" if ind.weight else "mean",
        "rate": f"rate per {ind.per:g}" if ind.unit in ("", "%") else "rate",
    }[ind.kind]
    rows = [
        html.Tr(
            [
                html.Th("Small areas", scope="row"),
                html.Td(f"{int(row['areas']):,}", className="num"),
                html.Td(f"{int(total['areas']):,}", className="num muted"),
            ]
        ),
    ]
    if "population" in place.catalogue:
        rows.append(
            _fmt_row(
                "Population", row["population"], place.catalogue["population"], total["population"]
            )
        )
    ck = place.children_key
    if ck:
        rows.append(_fmt_row(place.catalogue[ck].label, row[ck], place.catalogue[ck], total[ck]))
    if ind.sensitive or indicator in sensitive_columns(place.catalogue)[1]:
        shown = _shown_profile(place)
        value, all_value = shown.at[footprint, indicator], shown.at["All areas", indicator]
        rows.append(
            html.Tr(
                [
                    html.Th(f"{ind.label} ({how})", scope="row"),
                    html.Td(_disclosed(value, ind), className="num"),
                    html.Td(_disclosed(all_value, ind), className="num muted"),
                ]
            )
        )
    else:
        rows.append(_fmt_row(f"{ind.label} ({how})", row[indicator], ind, total[indicator]))
    for kind in place.site_kinds:
        col = f"sites_{kind}"
        if col in table.columns:
            rows.append(
                html.Tr(
                    [
                        html.Th(f"{kind_label(kind)} sites", scope="row"),
                        html.Td(f"{int(row[col]):,}", className="num"),
                        html.Td(f"{int(total[col]):,}", className="num muted"),
                    ]
                )
            )
    return [
        html.H2(footprint, className="panel-title", id="home-panel-title"),
        html.P(place.footprint_label, className="panel-kicker"),
        html.Table(
            [
                html.Caption(f"Key figures for {footprint}, with all areas for comparison"),
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Figure", scope="col"),
                            html.Th(footprint, scope="col", className="num"),
                            html.Th("All areas", scope="col", className="num"),
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            className="figures-table",
            id="home-panel-table",
        ),
        dcc.Link(
            f"Open the full profile of {footprint}",
            href=page_href(
                f"/profile/{footprint}",
                place,
                indicator=indicator,
                **({"set": place.meta["footprint_set"]} if place.meta.get("footprint_set") else {}),
            ),
            className="panel-link",
            id="home-profile-link",
        ),
    ]


def indicator_options(place: Place) -> list[dict]:
    return [
        {"label": ind.label + (" (sensitive)" if ind.sensitive else ""), "value": key}
        for key, ind in place.catalogue.items()
    ]


def indicator_note(place: Place, indicator: str) -> str:
    ind = place.indicator(indicator)
    parts = [legend_hint(ind).capitalize()]
    if ind.england is not None:
        parts.append(f"England: {format_value(ind.england, ind)}")
    if ind.source:
        parts.append(f"Source: {ind.source}" + (f" ({ind.vintage})" if ind.vintage else ""))
    return ". ".join(parts) + "."


# --------------------------------------------------------------------------- layout


def layout(
    place=None,
    indicator=None,
    footprint=None,
    layers=None,
    basemap=None,
    lat=None,
    lon=None,
    zoom=None,
    scenario=None,
    **_other,
):
    """The map page for the view in the query string (bad values -> notice + defaults)."""
    notices = Notices()
    base_place, n = open_place_safe(first(place))
    notices.add(n)
    if n:  # the place changed: the rest of the link belongs to another place
        footprint = indicator = None
        lat = lon = zoom = None
    # a saved footprint set (?set=NAME) shows the map through it
    the_place, n = place_view(base_place, None if n else first(_other.get("set")))
    notices.add(n)
    set_name = the_place.meta.get("footprint_set")
    key, n = parse_indicator(the_place, indicator)
    notices.add(n)
    fp, n = parse_footprint(the_place, footprint)
    notices.add(n)
    opts = layer_options(the_place)
    allowed = [o["value"] for o in opts if not o.get("disabled")]
    on, n = parse_layers(layers, [o["value"] for o in opts], default_layers(the_place))
    notices.add(n)
    off = [x for x in on if x not in allowed]
    if off:
        notices.add(f"Layer(s) {', '.join(off)} not available for this place: hidden.")
        on = [x for x in on if x in allowed]
    bm, n = parse_choice(basemap, basemap_choices(the_place), "none", what="basemap")
    notices.add(n)
    centre, z, n = parse_view(lat, lon, zoom)
    notices.add(n)

    shown, n = parse_scenario(the_place, first(scenario))
    notices.add(n)

    fig, index = build_figure(the_place, key, fp, on, bm, centre, z)
    fig, index, scenario_text = with_scenario(the_place, fig, index, shown)
    place_key = current_place_key(the_place)
    state = {
        "place": place_key,
        "indicator": key,
        "footprint": fp,
        "layers": on,
        "basemap": bm,
        **({"set": set_name} if set_name else {}),
        "lat": centre["lat"] if centre else None,
        "lon": centre["lon"] if centre else None,
        "zoom": z,
        "scenario": shown,
    }

    controls = html.Div(
        [
            html.Div(
                [
                    html.Label(
                        "Indicator",
                        htmlFor="home-indicator",
                        className="control-label",
                        id="home-indicator-label",
                    ),
                    html.Div(
                        dcc.Dropdown(
                            id="home-indicator",
                            options=indicator_options(the_place),
                            value=key,
                            clearable=False,
                            className="control",
                        ),
                        role="group",
                        **{"aria-labelledby": "home-indicator-label"},
                    ),
                    html.P(
                        indicator_note(the_place, key),
                        id="home-indicator-note",
                        className="control-help",
                    ),
                ],
                className="control-group",
            ),
            html.Div(
                [
                    html.Label(
                        the_place.footprint_label,
                        htmlFor="home-footprint",
                        className="control-label",
                        id="home-footprint-label",
                    ),
                    html.Div(
                        dcc.Dropdown(
                            id="home-footprint",
                            options=the_place.footprint_names,
                            value=fp,
                            clearable=True,
                            className="control",
                            placeholder=f"Choose a {the_place.footprint_label.lower()}",
                        ),
                        role="group",
                        **{"aria-labelledby": "home-footprint-label"},
                    ),
                ],
                className="control-group",
            ),
            set_choice(base_place, set_name),
            html.Fieldset(
                [
                    html.Legend("Map layers", className="control-label"),
                    dcc.Checklist(
                        id="home-layers",
                        options=opts,
                        value=on,
                        className="checklist",
                        labelClassName="check-label",
                    ),
                    dcc.Loading(
                        html.P(
                            id="home-overlay-status",
                            className="control-help",
                            role="status",
                            **{"aria-live": "polite"},
                        )
                    ),
                ],
                className="control-group",
            ),
            html.Fieldset(
                [
                    html.Legend("Basemap", className="control-label"),
                    dcc.RadioItems(
                        id="home-basemap",
                        options=[
                            {"label": BASEMAPS[k][0], "value": k}
                            for k in basemap_choices(the_place)
                        ],
                        value=bm,
                        className="checklist",
                        labelClassName="check-label",
                    ),
                    html.P(
                        "Tiles are drawn under the data: if they fail to load, the map still "
                        "shows every layer.",
                        className="control-help",
                    ),
                ],
                className="control-group",
            ),
            scenario_control(the_place, shown, scenario_text),
            export_controls("home"),
        ],
        className="sidebar",
        # a name needs a role to carry it (a plain div's aria-label is ignored): a landmark
        role="region",
        **{"aria-label": "Map controls"},
    )
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="home-notice"),
            html.H1(f"{the_place.name}: map", className="page-title"),
            html.Div(
                [
                    controls,
                    html.Div(
                        [
                            dcc.Graph(
                                id="home-map",
                                figure=fig,
                                className="map-graph",
                                config={
                                    "displaylogo": False,
                                    "scrollZoom": True,
                                    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                                },
                            ),
                            html.P(
                                "Map of small areas coloured by the chosen indicator. The same "
                                "values are in the table below the map.",
                                className="visually-hidden",
                                id="home-map-desc",
                            ),
                        ],
                        className="map-column",
                        role="region",
                        **{"aria-label": "Map", "aria-describedby": "home-map-desc"},
                    ),
                    html.Aside(
                        footprint_panel(the_place, fp, key),
                        id="home-panel",
                        className="side-panel",
                        **{"aria-live": "polite"},
                    ),
                ],
                className="map-layout",
            ),
            html.Details(
                [
                    html.Summary("Table of mapped values"),
                    html.Div(
                        values_table(the_place, key),
                        id="home-values-table",
                        className="table-scroll",
                    ),
                    html.Div(
                        [
                            html.Span("Download what you see: ", className="control-help"),
                            html.Button(
                                "CSV",
                                id="home-values-dl-csv",
                                n_clicks=0,
                                type="button",
                                className="button",
                                **{"aria-label": "Download the table of mapped values as CSV"},
                            ),
                            html.Button(
                                "XLSX",
                                id="home-values-dl-xlsx",
                                n_clicks=0,
                                type="button",
                                className="button",
                                **{"aria-label": "Download the table of mapped values as XLSX"},
                            ),
                            html.Span(
                                id="home-values-dl-status", role="status", className="control-help"
                            ),
                            dcc.Download(id="home-values-download"),
                            dcc.Download(id="home-values-download-meta"),
                        ],
                        className="table-downloads",
                    ),
                ],
                className="values-details",
            ),
            attribution_footer(the_place),
            dcc.Store(id="home-index", data=index),
            dcc.Store(id="home-state", data=state),
            dcc.Store(id="home-view", data={"lat": state["lat"], "lon": state["lon"], "zoom": z}),
            dcc.Store(id="home-url-dummy"),
            dcc.Store(id="home-detail-view", data={"zoom": z}),
            dcc.Store(id="home-overlays", data={}),
        ],
        className="page page-home",
    )


# --------------------------------------------------------------------------- callbacks


def update_view(indicator, footprint, layers, basemap, index, state, trigger=None):
    """Patch the map for a control change; returns (figure patch, panel, table, note, state).

    Only the properties that change are sent: never the geometry.
    """
    place, notice = open_view(state)
    if notice:  # the place vanished since the page rendered: reload the whole page
        return (dash.no_update,) * 4 + (dash.no_update,)
    trigger = trigger or ctx.triggered_id
    fig = Patch()
    panel = table = note = dash.no_update
    new_state = dict(state)
    if indicator not in place.catalogue:
        indicator = (
            state.get("indicator")
            if state.get("indicator") in place.catalogue
            else place.default_indicator
        )
    if footprint not in place.footprint_names:
        footprint = None
    if trigger == "home-indicator" or indicator != state.get("indicator"):
        if "detail" in index:
            props = detail_values(place, indicator, index["detail"])
        else:
            props = choropleth_values(place, indicator)
        i = index["areas"]
        for k in VALUE_KEYS:
            fig["data"][i][k] = props[k]
        if "nodata" in index:
            for k, v in no_data_entry(place, indicator).items():
                fig["data"][index["nodata"]][k] = v
        table = values_table(place, indicator)
        note = indicator_note(place, indicator)
        panel = footprint_panel(place, footprint, indicator)
    if trigger == "home-footprint" or footprint != state.get("footprint"):
        lons, lats = highlight_coords(place, footprint)
        i = index["highlight"]
        fig["data"][i]["lon"] = lons
        fig["data"][i]["lat"] = lats
        fig["data"][i]["name"] = selected_label(place, footprint)
        fig["data"][i]["showlegend"] = bool(footprint)
        view = footprint_view(place, footprint)
        if view is not None:  # zoom to the selected footprint
            fig["layout"]["map"]["center"] = view[0]
            fig["layout"]["map"]["zoom"] = view[1]
        panel = footprint_panel(place, footprint, indicator)
    layers = list(layers or [])
    if trigger == "home-layers" or layers != state.get("layers"):
        for key, ids in index["layers"].items():
            for i in ids:
                fig["data"][i]["visible"] = key in layers
        fig["data"][index["fill"]]["hoverinfo"] = fill_hoverinfo(layers)
    if trigger == "home-basemap" or basemap != state.get("basemap"):
        fig["layout"]["map"]["layers"] = basemap_layers(basemap)
        roads = _road_lines(place) if basemap == "roads" and index.get("roads") else None
        was_roads = state.get("basemap") == "roads"
        for n, i in enumerate(index.get("roads", []) if roads or was_roads else []):
            if roads is not None:  # the lines go to the browser when roads are chosen
                fig["data"][i]["lon"] = roads[n]["lon"]
                fig["data"][i]["lat"] = roads[n]["lat"]
            fig["data"][i]["visible"] = basemap == "roads"
    new_state.update(indicator=indicator, footprint=footprint, layers=layers, basemap=basemap)
    return fig, panel, table, note, new_state


@callback(
    Output("home-map", "figure"),
    Output("home-panel", "children"),
    Output("home-values-table", "children"),
    Output("home-indicator-note", "children"),
    Output("home-state", "data"),
    Input("home-indicator", "value"),
    Input("home-footprint", "value"),
    Input("home-layers", "value"),
    Input("home-basemap", "value"),
    State("home-index", "data"),
    State("home-state", "data"),
    prevent_initial_call=True,
)
def on_controls(indicator, footprint, layers, basemap, index, state):
    return update_view(indicator, footprint, layers, basemap, index, state)


@callback(
    Output({"type": GRID_TYPE, "indicator": MATCH}, "getRowsResponse"),
    Output({"type": STATUS_TYPE, "indicator": MATCH}, "children"),
    Input({"type": GRID_TYPE, "indicator": MATCH}, "getRowsRequest"),
    State("home-state", "data"),
    prevent_initial_call=True,
)
def on_values_rows(request, state):
    """The block of rows the values grid scrolled to, in its sort order and filter."""
    place, notice = open_view(state)
    indicator = ctx.triggered_id["indicator"] if ctx.triggered_id else None
    indicator = indicator or (state or {}).get("indicator")
    if notice or indicator not in place.catalogue:
        return dash.no_update, notice or "Choose an indicator first."
    rows, count, status = rows_block(place, indicator, request)
    return {"rowData": rows, "rowCount": count}, status


@callback(
    Output("home-values-download", "data"),
    Output("home-values-download-meta", "data"),
    Output("home-values-dl-status", "children"),
    Input("home-values-dl-csv", "n_clicks"),
    Input("home-values-dl-xlsx", "n_clicks"),
    State({"type": GRID_TYPE, "indicator": ALL}, "getRowsRequest"),
    State("home-state", "data"),
    prevent_initial_call=True,
)
def on_values_download(_csv, _xlsx, requests, state, *, trigger=None):
    """The values table as filtered and sorted on screen (every page), as CSV (with its
    metadata sidecar) or XLSX, through the one table writer."""
    from hubplan.pages._export import table_files
    from hubplan.pages._values_table import download_frame

    trigger = trigger or ctx.triggered_id
    fmt = "xlsx" if trigger == "home-values-dl-xlsx" else "csv"
    place, notice = open_view(state)
    indicator = (state or {}).get("indicator")
    if notice or indicator not in place.catalogue:
        return dash.no_update, dash.no_update, notice or "Choose an indicator first."
    request = next((r for r in requests or [] if r), None)  # the grid's last sort and filter
    frame, shown = download_frame(place, indicator, request=request)
    note = disclosed_profile(place, by="area").note or ""
    ind = place.catalogue[indicator]
    data, meta = table_files(
        fmt,
        place,
        frame,
        title=f"{place.name}: {ind.label} by small area",
        stem=f"{current_place_key(place)}-{indicator}-values",
        disclosure=note,
        notes=(shown,),
        labels={
            "code": "Small area code",
            "name": "Small area name",
            "footprint": place.footprint_label,
        },
    )
    rows = f"{len(frame):,} rows"
    return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready ({rows})."


def footprint_from_click(click: dict | None, index: dict, place: Place) -> str | None:
    """The footprint a map click points at, else ``None``.

    An area (its footprint), the footprint fill or outline, or a site (the site's footprint).
    """
    if not click or not click.get("points"):
        return None
    pt = click["points"][0]
    curve = pt.get("curveNumber")
    name = None
    if curve == index.get("areas"):
        code = pt.get("location")
        if code in place.areas.index:
            name = place.areas.at[code, "footprint"]
        elif "detail" in index:  # a large place zoomed out: the trace shows footprints
            name = code
    elif curve == index.get("fill"):
        name = pt.get("location")
    elif str(curve) in index.get("outlines", {}):
        name = index["outlines"][str(curve)]
    elif any(
        curve in ids for key, ids in index.get("layers", {}).items() if key.startswith("sites-")
    ):
        custom = pt.get("customdata")
        name = custom[1] if isinstance(custom, list) and len(custom) > 1 else None
    elif pt.get("location") in place.areas.index:  # an overlay drawn on the small areas
        name = place.areas.at[pt["location"], "footprint"]
    return name if name in place.footprint_names else None


@callback(
    Output("home-footprint", "value"),
    Input("home-map", "clickData"),
    State("home-index", "data"),
    State("home-state", "data"),
    State("home-footprint", "value"),
    prevent_initial_call=True,
)
def on_map_click(click, index, state, current):
    place, notice = open_view(state)
    name = None if notice else footprint_from_click(click, index, place)
    if name is None or name == current:
        return dash.no_update
    return name


# The map view (centre, zoom) follows panning/zooming without a server round trip.
clientside_callback(
    """
    function(relayout, view) {
        if (!relayout) { return window.dash_clientside.no_update; }
        var c = relayout['map.center'], z = relayout['map.zoom'];
        if (c === undefined && z === undefined) { return window.dash_clientside.no_update; }
        var out = Object.assign({}, view || {});
        if (c) { out.lat = Math.round(c.lat * 1e5) / 1e5; out.lon = Math.round(c.lon * 1e5) / 1e5; }
        if (z !== undefined) { out.zoom = Math.round(z * 100) / 100; }
        return out;
    }
    """,
    Output("home-view", "data"),
    Input("home-map", "relayoutData"),
    State("home-view", "data"),
    prevent_initial_call=True,
)

# The URL carries the view. history.pushState (not dcc.Location) so the page is not re-rendered;
# panning replaces the entry, other changes push one. Back/forward reload the page from the URL
# (assets/url_state.js).
clientside_callback(
    """
    function(state, view) {
        if (!state) { return window.dash_clientside.no_update; }
        var p = new URLSearchParams();
        p.set('place', state.place);
        if (state.set) { p.set('set', state.set); }
        if (state.indicator) { p.set('indicator', state.indicator); }
        if (state.footprint) { p.set('footprint', state.footprint); }
        p.set('layers', (state.layers || []).join(','));
        if (state.basemap && state.basemap !== 'none') { p.set('basemap', state.basemap); }
        if (state.scenario) { p.set('scenario', state.scenario); }
        if (view && view.lat !== null && view.lat !== undefined) {
            p.set('lat', view.lat); p.set('lon', view.lon);
        }
        if (view && view.zoom !== null && view.zoom !== undefined) { p.set('zoom', view.zoom); }
        var search = '?' + p.toString().replace(/%2C/g, ',');
        if (search === window.location.search) { return window.dash_clientside.no_update; }
        var trig = (window.dash_clientside.callback_context.triggered || []).map(function(t) { return t.prop_id; });
        var initial = trig.length === 0 || trig.every(function(t) { return t === '.'; });
        var onlyView = trig.length > 0 && trig.every(function(t) { return t.indexOf('home-view') === 0; });
        var url = window.location.pathname + search;
        if (initial || onlyView) { window.history.replaceState({hubplan: true}, '', url); }
        else { window.history.pushState({hubplan: true}, '', url); }
        window.__hubplanPushed = true;
        return search;
    }
    """,
    Output("home-url-dummy", "data"),
    Input("home-state", "data"),
    Input("home-view", "data"),
)


# --------------------------------------------------------------------------- zoom-dependent display


def update_detail(view, index, state):
    """Large places only: swap the choropleth between footprints (zoomed out) and the small
    areas in view (zoomed in). Returns (figure patch, index); geometry of that trace only."""
    if not index or "detail" not in index or not state:
        return dash.no_update, dash.no_update
    place, notice = open_view(state)
    if notice or not is_large(place):
        return dash.no_update, dash.no_update
    detail = detail_for_view(place, view)
    if detail == index["detail"]:
        return dash.no_update, dash.no_update
    if detail["mode"] == "footprints" == index["detail"].get("mode"):
        return dash.no_update, dash.no_update
    indicator = state.get("indicator")
    if indicator not in place.catalogue:
        indicator = place.default_indicator
    fig = Patch()
    i = index["areas"]
    for k, v in detail_trace(place, indicator, detail).items():
        fig["data"][i][k] = v
    return fig, {**index, "detail": detail}


def update_overlays(layers, index, built, state):
    """Large places only: draw each overlay the first time it is switched on (appended to the
    figure with a Patch), then toggle it like any layer. Returns (figure patch, built, status).

    ``built`` maps overlay key -> its trace indices (``[]``: nothing to draw for this place).
    """
    no = dash.no_update
    if not index or "detail" not in index or not state:
        return no, no, no
    place, notice = open_view(state)
    if notice or not is_large(place):
        return no, no, no
    built = dict(built or {})
    layers = set(layers or [])
    fig = Patch()
    drawn, empty, changed = [], [], False
    after = index["traces"] + sum(len(v) for v in built.values())
    for key, overlay in OVERLAYS.items():
        if key in built:
            for i in built[key]:
                fig["data"][i]["visible"] = key in layers
                changed = True
            continue
        if key not in layers:
            continue
        traces = [t.to_plotly_json() for t in overlay_traces(place, key)]
        built[key] = list(range(after, after + len(traces)))
        after += len(traces)
        for t in traces:
            fig["data"].append(t)
        (drawn if traces else empty).append(overlay.label)
        changed = True
    if not changed:
        return no, no, no
    status = " ".join(
        [
            f"Drawn: {', '.join(drawn)}." if drawn else "",
            f"Nothing to draw for this place: {', '.join(empty)}." if empty else "",
        ]
    ).strip()
    return fig, built, status or no


@callback(
    Output("home-map", "figure", allow_duplicate=True),
    Output("home-overlays", "data"),
    Output("home-overlay-status", "children"),
    Input("home-layers", "value"),
    State("home-index", "data"),
    State("home-overlays", "data"),
    State("home-state", "data"),
    prevent_initial_call="initial_duplicate",
)
def on_overlays(layers, index, built, state):
    return update_overlays(layers, index, built, state)


@callback(
    Output("home-map", "figure", allow_duplicate=True),
    Output("home-index", "data"),
    Input("home-detail-view", "data"),
    State("home-index", "data"),
    State("home-state", "data"),
    prevent_initial_call=True,
)
def on_detail_view(view, index, state):
    return update_detail(view, index, state)


# Large places only (the index has a "detail" entry): pass zoom and view corners to the server
# when the map moves; small places never make this round trip.
clientside_callback(
    """
    function(relayout, index, prev) {
        if (!relayout || !index || !index.detail) { return window.dash_clientside.no_update; }
        var c = relayout['map.center'], z = relayout['map.zoom'], d = relayout['map._derived'];
        if (c === undefined && z === undefined && !d) { return window.dash_clientside.no_update; }
        var out = {zoom: z !== undefined ? z : (prev || {}).zoom};
        if (c) { out.center = {lat: c.lat, lon: c.lon}; }
        if (d && d.coordinates) { out.coordinates = d.coordinates; }
        return out;
    }
    """,
    Output("home-detail-view", "data"),
    Input("home-map", "relayoutData"),
    State("home-index", "data"),
    State("home-detail-view", "data"),
    prevent_initial_call=True,
)


# --------------------------------------------------------------------------- saved scenario overlay


def scenario_control(place: Place, shown: str | None, text: str) -> html.Div:
    """The "Scenario" dropdown: a saved plan's hubs and catchments over the map."""
    return html.Div(
        [
            html.Label(
                "Scenario (a saved plan's hubs and catchments)",
                htmlFor="home-scenario",
                className="control-label",
            ),
            dcc.Dropdown(
                id="home-scenario",
                options=scenario_names(place),
                value=shown,
                clearable=True,
                placeholder="No saved scenario shown",
            ),
            html.P(
                text,
                id="home-scenario-note",
                className="control-help",
                role="status",
                **{"aria-live": "polite"},
            ),
        ],
        className="control-group",
    )


def scenario_patch(place: Place, name: str | None) -> tuple[list[dict], str]:
    """The two scenario traces (catchment outlines, hubs) as plain dicts for ``name`` (or
    empty placeholders), and the status text."""
    from layers.scenario import empty_scenario_traces, scenario_traces

    empty = [t.to_plotly_json() for t in empty_scenario_traces()]
    if not name:
        return empty, ""
    traces, notes = scenario_traces(place, load_saved(place, name))
    drawn = {t.uid: t.to_plotly_json() for t in traces}
    return [drawn.get(t["uid"], t) for t in empty], " ".join(notes)


def with_scenario(place: Place, fig: dict, index: dict, name: str | None) -> tuple[dict, dict, str]:
    """Append the scenario traces (placeholders when none is shown) at the end of the page's
    figure, so the dropdown can fill them in later with a Patch; their indices go in the
    index (``"scenario"``), and a large place's overlays are appended after them."""
    try:
        traces, text = scenario_patch(place, name)
    except InputError as exc:
        traces, text = scenario_patch(place, None)[0], f"Scenario not shown: {exc}"
    n = len(fig["data"])
    fig = {**fig, "data": [*fig["data"], *traces]}
    index = {**index, "scenario": [n, n + 1]}
    if "traces" in index:
        index["traces"] += len(traces)
    return fig, index, text


@callback(
    Output("home-map", "figure", allow_duplicate=True),
    Output("home-state", "data", allow_duplicate=True),
    Output("home-scenario-note", "children"),
    Input("home-scenario", "value"),
    State("home-index", "data"),
    State("home-state", "data"),
    prevent_initial_call=True,
)
def on_scenario(name, index, state):
    """Show (or hide) a saved scenario: the two scenario traces are replaced, nothing else."""
    if not index or "scenario" not in index or not state:
        return dash.no_update, dash.no_update, dash.no_update
    place, notice = open_place_safe(state.get("place"))
    if notice:
        return dash.no_update, dash.no_update, notice
    try:
        traces, text = scenario_patch(place, name or None)
    except InputError as exc:
        return dash.no_update, dash.no_update, f"Scenario not shown: {exc}"
    fig = Patch()
    for i, trace in zip(index["scenario"], traces, strict=True):
        fig["data"][i] = trace
    return fig, {**state, "scenario": name or None}, text
