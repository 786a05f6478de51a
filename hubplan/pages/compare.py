"""Compare footprints: every footprint side by side, ranked by any indicator.

A sortable, filterable, keyboard-navigable table (dash-ag-grid via :mod:`hubplan.pages._grid`:
arrow keys move between cells, headers sort) with every indicator after disclosure control,
downloadable as CSV or XLSX as shown (filter and sort applied), and small
multiples (one bar chart per indicator, worst first, borough as a dashed line).
``?place=KEY&indicator=KEY&footprint=NAME`` set the ranking and the highlighted footprint.
"""

from __future__ import annotations

from dataclasses import replace

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html

from geo.errors import InputError
from geo.export import tabular
from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
from hubplan.pages._grid import (
    download_bar,
    download_ids,
    filename_stem,
    grid,
    grid_data,
    grid_download,
    trigger_format,
)
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._sets import place_view, saved_sets
from hubplan.pages._state import (
    Notices,
    current_place_key,
    first,
    open_place_safe,
    page_href,
    parse_footprint,
    parse_indicator,
)
from hubplan.pages._ui import attribution_footer, described, notice_box, synthetic_banner
from layers.base import indicator_title
from layers.profile_charts import small_multiples

dash.register_page(
    __name__, path="/compare", name="Compare", title="Compare · Locality & Hub Planner", order=2
)

MAX_MULTIPLES = 9


def ranked_table(
    place: Place, indicator: str
) -> tuple[pd.DataFrame, list[tabular.Column], list[str | None], str]:
    """The Compare table: ``(frame, columns, footprint links, disclosure note)``.

    Footprints worst first by ``indicator`` (rank 1 is the worst; suppressed values are never
    ranked), then ``All areas``; every indicator after disclosure control (``*`` marks a
    suppressed value).
    """
    table = cached_profile(place).reset_index()
    disclosed = disclosed_profile(place, table=table)
    shown = disclosed.table.set_index("footprint")
    ind = place.indicator(indicator)
    values = pd.to_numeric(table.set_index("footprint")[indicator], errors="coerce").drop(
        ALL_AREAS, errors="ignore"
    )
    hidden = shown[indicator].drop(ALL_AREAS, errors="ignore").map(lambda v: isinstance(v, str))
    values[hidden] = np.nan  # never rank by a suppressed value
    order = values.sort_values(ascending=ind.higher_is == "better", na_position="last")
    rank = order.rank(ascending=ind.higher_is == "better", method="min")
    key = current_place_key(place)
    set_name = place.meta.get("footprint_set")
    extra = {"set": set_name} if set_name else {}
    names = [*order.index, ALL_AREAS]
    frame = pd.DataFrame(
        {
            "rank": [None if n == ALL_AREAS or np.isnan(rank[n]) else int(rank[n]) for n in names],
            "footprint": names,
            "areas": [int(shown.loc[n, "areas"]) for n in names],
        }
    )
    for k in place.catalogue:
        frame[k] = [shown.loc[n, k] for n in names]
    links = [None if n == ALL_AREAS else page_href(f"/profile/{n}", key, **extra) for n in names]
    columns = [
        tabular.Column("rank", "Rank", kind="count", description="1 is the worst"),
        tabular.Column("footprint", place.footprint_label),
        tabular.Column("areas", "Small areas", kind="count"),
    ]
    for i in place.catalogue.values():
        col = tabular.indicator_column(i)
        columns.append(replace(col, label=col.label + " (sensitive)") if i.sensitive else col)
    return frame, columns, links, disclosed.note


def ranked_rows(place: Place, indicator: str) -> tuple[list[dict], str]:
    """Grid rows (footprints worst first by ``indicator``, then ``All areas``) and the note.

    Footprint names are Markdown links to their profiles; values are rounded to the decimals
    their unit states, as in the downloads.
    """
    frame, columns, links, note = ranked_table(place, indicator)
    rows, _defs = grid_data(frame, columns, links={"footprint": links})
    return rows, note


def set_links(place: Place, chosen: str | None) -> html.Nav | None:
    """Links to compare the current footprints or any saved footprint set."""
    sets = saved_sets(place)
    if not sets:
        return None
    key = current_place_key(place)
    items = []
    for name in [None, *sets]:
        text = f"Current {place.footprint_plural.lower()}" if name is None else f"Set {name!r}"
        href = page_href("/compare", key, **({"set": name} if name else {}))
        items.append(html.Li(html.Strong(text) if name == chosen else dcc.Link(text, href=href)))
    return html.Nav(
        [html.Span("Footprints: "), html.Ul(items, className="inline-list")],
        id="compare-sets",
        **{"aria-label": "Footprint sets"},
    )


def default_multiples(place: Place, indicator: str) -> list[str]:
    keys = [indicator] + [
        k for k, i in place.catalogue.items() if i.higher_is and k != indicator and not i.sensitive
    ]
    return keys[:6]


def layout(place=None, indicator=None, footprint=None, **_other):
    notices = Notices()
    base, n = open_place_safe(first(place))
    notices.add(n)
    the_place, n = place_view(base, first(_other.get("set")))
    notices.add(n)
    set_name = the_place.meta.get("footprint_set")
    key, n = parse_indicator(the_place, indicator, the_place.default_indicator)
    notices.add(n)
    fp, n = parse_footprint(the_place, footprint)
    notices.add(n)
    frame, columns, links, note = ranked_table(the_place, key)
    options = [{"label": i.label, "value": k} for k, i in the_place.catalogue.items()]
    multiples = default_multiples(the_place, key)
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="compare-notice"),
            html.H1(
                f"{the_place.name}: compare {the_place.footprint_plural.lower()}",
                className="page-title",
            ),
            set_links(base, set_name),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                "Rank by", htmlFor="compare-indicator", className="control-label"
                            ),
                            dcc.Dropdown(
                                id="compare-indicator", options=options, value=key, clearable=False
                            ),
                        ],
                        className="control-group",
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Small multiples",
                                htmlFor="compare-multiples",
                                className="control-label",
                            ),
                            dcc.Dropdown(
                                id="compare-multiples", options=options, value=multiples, multi=True
                            ),
                        ],
                        className="control-group",
                    ),
                ],
                className="form-grid",
            ),
            html.P(
                id="compare-caption", className="control-help", children=caption(the_place, key)
            ),
            compare_grid(the_place, frame, columns, links, key),
            download_bar("compare", what="the Compare table"),
            html.P(note or "", className="control-help", id="compare-disclosure"),
            described(
                dcc.Graph(
                    id="compare-multiples-graph",
                    figure=small_multiples(
                        cached_profile(the_place).reset_index(),
                        the_place.catalogue,
                        multiples,
                        highlight=fp,
                    ),
                    config={"displaylogo": False},
                ),
                "Small multiples: one bar chart per chosen indicator, the "
                f"{the_place.footprint_plural.lower()} worst first and the borough as a dashed "
                "line. The values are in the table above.",
            ),
            attribution_footer(the_place),
            dcc.Store(
                id="compare-state",
                data={"place": current_place_key(the_place), "footprint": fp, "set": set_name},
            ),
        ],
        className="page page-compare",
    )


def caption(place: Place, key: str) -> str:
    ind = place.indicator(key)
    order = {"worse": "highest (worst) first", "better": "lowest (worst) first"}.get(
        ind.higher_is or "", "highest first"
    )
    return (
        f"Ranked by {indicator_title(ind)}, {order}; rank 1 is the worst. Choose another indicator in "
        "'Rank by' to re-rank (keyboard: Tab to it, arrow keys, Enter), or click a column header to sort "
        "by it; in the table the arrow keys move between cells. '*' marks a suppressed small count."
        + (f" {ind.label}: {ind.method}." if ind.method else "")
    )


def compare_grid(
    place: Place,
    frame: pd.DataFrame,
    columns: list[tabular.Column],
    links: list[str | None],
    indicator: str,
):
    """The ranked grid, ``All areas`` pinned under the footprints whatever the sort."""
    rows, _defs = grid_data(frame, columns, links={"footprint": links})
    return grid(
        "compare-table",
        frame.iloc[:-1],
        columns,
        label=f"{place.footprint_plural} compared by every indicator",
        links={"footprint": links[:-1]},
        highlight=indicator,
        pinned_bottom=rows[-1:],
    )


@callback(
    Output("compare-table", "rowData"),
    Output("compare-caption", "children"),
    Output("compare-table", "columnDefs"),
    Output("compare-table", "resetColumnState"),
    Input("compare-indicator", "value"),
    State("compare-state", "data"),
    prevent_initial_call=True,
)
def rerank(indicator, state):
    """Re-rank by ``indicator`` (a sort the user chose is cleared so the ranking shows)."""
    place, _ = open_place_safe((state or {}).get("place"))
    place, _ = place_view(place, (state or {}).get("set"))
    if indicator not in place.catalogue:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    frame, columns, links, _note = ranked_table(place, indicator)
    rows, defs = grid_data(frame, columns, links={"footprint": links}, highlight=indicator)
    return rows[:-1], caption(place, indicator), defs, True


_DL = download_ids("compare")


@callback(
    Output(_DL["download"], "data"),
    Output(_DL["meta"], "data"),
    Output(_DL["status"], "children"),
    Input(_DL["csv"], "n_clicks"),
    Input(_DL["xlsx"], "n_clicks"),
    State("compare-table", "virtualRowData"),
    State("compare-table", "rowData"),
    State("compare-table", "columnDefs"),
    State("compare-indicator", "value"),
    State("compare-state", "data"),
    prevent_initial_call=True,
)
def download(_csv, _xlsx, virtual, row_data, defs, indicator, state, *, trigger=None):
    """The Compare table as shown (filter and sort applied, ``All areas`` last) as CSV/XLSX."""
    fmt = trigger_format(trigger or ctx.triggered_id)
    place, notice = open_place_safe((state or {}).get("place"))
    place, _ = place_view(place, (state or {}).get("set"))
    if notice or indicator not in place.catalogue:
        return dash.no_update, dash.no_update, notice or "Choose an indicator first."
    rows, note = ranked_rows(place, indicator)
    shown = virtual if virtual is not None else row_data
    try:
        data, meta = grid_download(
            fmt,
            place,
            shown,
            defs,
            pinned=rows[-1:],
            title=f"{place.name}: {place.footprint_plural.lower()} compared",
            stem=filename_stem(current_place_key(place), "compare", indicator),
            notes=(f"Ranked by {place.indicator(indicator).label}; rank 1 is the worst.",),
            disclosure=note or "",
        )
    except InputError as exc:
        return dash.no_update, dash.no_update, f"No download: {exc}"
    return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready."


@callback(
    Output("compare-multiples-graph", "figure"),
    Input("compare-multiples", "value"),
    State("compare-state", "data"),
    prevent_initial_call=True,
)
def redraw_multiples(keys, state):
    place, _ = open_place_safe((state or {}).get("place"))
    place, _ = place_view(place, (state or {}).get("set"))
    keys = [k for k in (keys or []) if k in place.catalogue][:MAX_MULTIPLES]
    return small_multiples(
        cached_profile(place).reset_index(),
        place.catalogue,
        keys,
        highlight=(state or {}).get("footprint"),
    )
