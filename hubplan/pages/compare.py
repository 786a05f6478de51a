"""Compare footprints: every footprint side by side, ranked by any indicator.

A sortable, filterable, keyboard-navigable table (``dash_table.DataTable``: arrow keys move
between cells, headers sort) with every indicator after disclosure control, and small
multiples (one bar chart per indicator, worst first, borough as a dashed line).
``?place=KEY&indicator=KEY&footprint=NAME`` set the ranking and the highlighted footprint.
"""

from __future__ import annotations

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, dash_table, dcc, html
from dash.dash_table.Format import Format, Group, Scheme, Symbol

from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
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


def ranked_rows(place: Place, indicator: str) -> tuple[list[dict], str]:
    """Table rows (footprints worst first by ``indicator``, then ``All areas``) and the note."""
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
    rows = []
    key = current_place_key(place)
    set_name = place.meta.get("footprint_set")
    extra = {"set": set_name} if set_name else {}
    for name in [*order.index, ALL_AREAS]:
        rec = {"rank": None if name == ALL_AREAS or np.isnan(rank[name]) else int(rank[name])}
        rec["footprint"] = (
            name
            if name == ALL_AREAS
            else f"[{name}]({page_href(f'/profile/{name}', key, **extra)})"
        )
        rec["areas"] = int(shown.loc[name, "areas"])
        for k, i in place.catalogue.items():
            v = shown.loc[name, k]
            if isinstance(v, str) or v is None:
                rec[k] = v
            elif pd.isna(v):
                rec[k] = None
            else:
                rec[k] = round(float(v), 0 if i.kind == "count" else 3)
        rows.append(rec)
    return rows, disclosed.note


def decimals(values: list, *, kind: str) -> int:
    """One number of decimals for a whole column (no ragged decimals): counts 0, else by the
    size of the typical value as :mod:`geo.numbers` does (100+: 0, 10+: 1, 1+: 2, else 3)."""
    if kind == "count":
        return 0
    nums = [abs(float(v)) for v in values if isinstance(v, int | float) and np.isfinite(v)]
    typical = float(np.median(nums)) if nums else 0.0
    if typical >= 100:
        return 0
    if typical >= 10:
        return 1
    if typical >= 1:
        return 2
    return 3


def column_format(ind, values: list) -> Format:
    """Thousands separators and a fixed number of decimals for one indicator's column."""
    fmt = Format(group=Group.yes, precision=decimals(values, kind=ind.kind), scheme=Scheme.fixed)
    return fmt.symbol(Symbol.yes).symbol_suffix("%") if ind.unit == "%" else fmt


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
    rows, note = ranked_rows(the_place, key)
    columns = [
        {"name": "Rank", "id": "rank", "type": "numeric"},
        {"name": the_place.footprint_label, "id": "footprint", "presentation": "markdown"},
        {
            "name": "Small areas",
            "id": "areas",
            "type": "numeric",
            "format": Format(group=Group.yes, precision=0, scheme=Scheme.fixed),
        },
    ] + [
        {
            "name": indicator_title(i) + (" (sensitive)" if i.sensitive else ""),
            "id": k,
            "type": "numeric",
            "format": column_format(i, [r[k] for r in rows]),
        }
        for k, i in the_place.catalogue.items()
    ]
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
            dash_table.DataTable(
                id="compare-table",
                columns=columns,
                data=rows,
                sort_action="native",
                filter_action="none",
                page_action="none",
                markdown_options={"link_target": "_self"},
                style_table={"overflowX": "auto", "width": "100%"},
                style_cell={
                    "fontFamily": "inherit",
                    "fontSize": "13.5px",
                    "color": "#1a1a1a",
                    "padding": "4px 8px",
                    "minWidth": "90px",
                    "whiteSpace": "normal",
                },
                style_header={
                    "fontWeight": "600",
                    "backgroundColor": "#f0f0f0",
                    "whiteSpace": "normal",
                },
                style_data_conditional=[
                    {"if": {"column_id": key}, "backgroundColor": "#eef4fb", "fontWeight": "600"},
                    {
                        "if": {"filter_query": f'{{footprint}} = "{ALL_AREAS}"'},
                        "fontStyle": "italic",
                        "backgroundColor": "#f5f5f5",
                    },
                ],
            ),
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


@callback(
    Output("compare-table", "data"),
    Output("compare-caption", "children"),
    Output("compare-table", "style_data_conditional"),
    Output("compare-table", "sort_by"),
    Input("compare-indicator", "value"),
    State("compare-state", "data"),
    prevent_initial_call=True,
)
def rerank(indicator, state):
    place, _ = open_place_safe((state or {}).get("place"))
    place, _ = place_view(place, (state or {}).get("set"))
    if indicator not in place.catalogue:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    rows, _ = ranked_rows(place, indicator)
    styles = [
        {"if": {"column_id": indicator}, "backgroundColor": "#eef4fb", "fontWeight": "600"},
        {
            "if": {"filter_query": f'{{footprint}} = "{ALL_AREAS}"'},
            "fontStyle": "italic",
            "backgroundColor": "#f5f5f5",
        },
    ]
    return rows, caption(place, indicator), styles, []


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
