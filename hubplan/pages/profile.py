"""The footprint profile page: ``/profile/<footprint>?place=KEY``.

What a locality manager takes to a partnership meeting: headline figures, a Fingertips-style
spine chart of every indicator (this footprint against the borough, the range across
footprints and England), children in the most deprived areas nationally, population by age
band, access to hubs, a small map and the schools and centres. Sensitive counts go through
disclosure control. The printable report (HTML or PDF) and the table (CSV) download here.
"""

from __future__ import annotations

from urllib.parse import unquote

import dash
import numpy as np
from dash import Input, Output, State, callback, dash_table, dcc, html

from geo.indicators.footprint_profile import FootprintProfile, footprint_profile, format_value
from geo.indicators.profile import disclosed_profile
from geo.place.model import Place
from geo.tables import to_safe_csv
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._state import Notices, current_place_key, first, open_place_safe, page_href
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner
from layers.profile_charts import age_band_figure, deprived_figure, footprint_map
from layers.spine import spine_figure

dash.register_page(
    __name__,
    path_template="/profile/<footprint>",
    name="Profile",
    title="Profile · Locality & Hub Planner",
)

GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoom2d", "pan2d"],
}


def build_profile(place: Place, footprint: str) -> FootprintProfile:
    """The profile from the page's cached footprint table (not recomputed per request)."""
    return footprint_profile(place, footprint, table=cached_profile(place).reset_index())


def headline_cards(profile: FootprintProfile) -> html.Div:
    cards = [
        html.Div(
            [
                html.Div(r.display, className="headline-value", id=f"profile-headline-{r.key}"),
                html.Div(r.label, className="headline-label"),
                html.Div(r.detail, className="headline-detail") if r.detail else None,
            ],
            className="headline-card",
        )
        for r in profile.headline.itertuples()
    ]
    return html.Div(cards, className="headline-cards", id="profile-headline", role="list")


def spine_table(profile: FootprintProfile) -> html.Table:
    """The spine chart's numbers as an accessible table (the chart's text alternative)."""

    def fmt(v, unit, kind="mean"):
        return "-" if not np.isfinite(v) else format_value(v, unit, kind=kind)

    rows = []
    for r in profile.spine.itertuples():
        rows.append(
            html.Tr(
                [
                    html.Th(r.label + (f" ({r.unit})" if r.unit else ""), scope="row"),
                    html.Td(r.display, className="num"),
                    html.Td(fmt(r.borough, r.unit, r.kind), className="num"),
                    html.Td(fmt(r.england, r.unit), className="num"),
                    html.Td(
                        f"{int(r.rank)} of {r.n}" if np.isfinite(r.rank) else "-", className="num"
                    ),
                    html.Td(r.vs_borough, className=f"cmp cmp-{r.vs_borough.replace(' ', '-')}"),
                ]
            )
        )
    return html.Table(
        [
            html.Caption(
                f"Every indicator for {profile.footprint}: value, borough, England, rank "
                "among footprints (1 = worst, or highest where there is no direction) "
                "and comparison with the borough (rates, 95% confidence interval)."
            ),
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, scope="col", className="num" if i else "")
                        for i, h in enumerate(
                            [
                                "Indicator",
                                profile.footprint,
                                "Borough",
                                "England",
                                "Rank",
                                "Compared with borough",
                            ]
                        )
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="values-table spine-table",
        id="profile-spine-table",
    )


def sites_table(profile: FootprintProfile) -> dash_table.DataTable | html.P:
    sites = profile.sites
    if not len(sites):
        return html.P("No schools or centres in this footprint.", id="profile-sites")
    data = sites.astype(object).where(sites.notna(), "").to_dict("records")
    return dash_table.DataTable(
        id="profile-sites",
        columns=[
            {"name": str(c).replace("_", " ").capitalize(), "id": str(c)} for c in sites.columns
        ],
        data=data,
        sort_action="native",
        filter_action="native",
        page_action="none",
        style_table={"maxHeight": "420px", "overflowY": "auto"},
        style_cell={
            "fontFamily": "inherit",
            "fontSize": "14px",
            "color": "#1a1a1a",
            "padding": "4px 8px",
            "textAlign": "left",
        },
        style_header={"fontWeight": "600", "backgroundColor": "#f0f0f0"},
        fixed_rows={"headers": True},
    )


def footprint_links(place: Place) -> html.Ul:
    return html.Ul(
        [
            html.Li(dcc.Link(name, href=page_href(f"/profile/{name}", place)))
            for name in place.footprint_names
        ],
        className="footprint-links",
    )


def layout(footprint=None, place=None, **_other):
    """The profile of ``footprint`` (unknown names list the footprints to choose from)."""
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    name = unquote(str(footprint or "")).strip()
    if name not in the_place.footprint_names:
        if name and name != "none":
            notices.add(f"Unknown {the_place.footprint_label.lower()} {name!r}: choose one below.")
        return html.Div(
            [
                synthetic_banner(the_place),
                notice_box(notices.items, id="profile-notice"),
                html.H1(
                    f"{the_place.name}: {the_place.footprint_label.lower()} profiles",
                    className="page-title",
                ),
                footprint_links(the_place),
                attribution_footer(the_place),
            ],
            className="page page-profile",
        )

    p = build_profile(the_place, name)
    key = current_place_key(the_place)
    spine = spine_figure(p.spine, footprint=name)
    sections = [
        html.Section([html.H2("Headline figures"), headline_cards(p)], className="profile-section"),
        html.Section(
            [
                html.H2("How this area compares"),
                html.P(
                    "Each row runs from the worst footprint (left) to the best (right), centred on "
                    "England where the data gives it (else the borough). The dark bar is the middle "
                    "half of footprints, the diamond the borough, the circle this footprint: orange "
                    "worse, yellow similar, blue better than the borough (rates, 95% confidence "
                    "interval); white where not compared. Indicators with no direction run from "
                    "lowest to highest.",
                    className="control-help",
                ),
                dcc.Graph(id="profile-spine", figure=spine, config=GRAPH_CONFIG),
                html.Details(
                    [html.Summary("Table of the spine chart"), spine_table(p)],
                    open=False,
                    className="values-details",
                ),
            ],
            className="profile-section",
        ),
    ]
    grid = []
    if len(p.deprived):
        headline = p.headline.set_index("key")
        d = p.deprived.iloc[-1]
        if "children_deprived" in headline.index:
            label = headline.loc["children_deprived", "detail"]
            d = next((r for _, r in p.deprived.iterrows() if r["label"] in label), d)
        grid.append(
            html.Section(
                [
                    html.H2("Children in the most deprived areas nationally"),
                    html.P(
                        f"{d['children']:,.0f} of {d['total']:,.0f} children ({d['share']:.0%}) live in areas in "
                        f"national deciles 1-2 of the {d['label']} (borough {d['borough_share']:.0%}).",
                        id="profile-deprived-text",
                    ),
                    dcc.Graph(
                        id="profile-deprived",
                        figure=deprived_figure(p.deprived, footprint=name),
                        config=GRAPH_CONFIG,
                    ),
                ],
                className="profile-section",
            )
        )
    if len(p.age_bands):
        grid.append(
            html.Section(
                [
                    html.H2("Population by age band"),
                    dcc.Graph(
                        id="profile-ages",
                        figure=age_band_figure(p.age_bands, footprint=name),
                        config=GRAPH_CONFIG,
                    ),
                ],
                className="profile-section",
            )
        )
    access = (
        html.P(
            f"{p.access['within']:,.0f} of {p.access['children']:,.0f} children ({p.access['share']:.0%}) live "
            f"within {p.access['minutes']:g} minutes' {p.access['mode']} of a "
            f"{p.access['hub_kind'].replace('_', ' ')} ({p.access['note']}).",
            id="profile-access",
        )
        if p.access
        else html.P(
            "No hub sites in this place: access to hubs cannot be measured yet.",
            id="profile-access",
        )
    )
    grid.append(html.Section([html.H2("Access to hubs"), access], className="profile-section"))
    grid.append(
        html.Section(
            [
                html.H2("Map"),
                dcc.Graph(
                    id="profile-map",
                    figure=footprint_map(the_place, name, height=360),
                    config={"displaylogo": False, "scrollZoom": True},
                ),
            ],
            className="profile-section",
        )
    )
    sections.append(html.Div(grid, className="profile-grid"))
    sections.append(
        html.Section(
            [html.H2(f"Schools and centres ({len(p.sites)})"), sites_table(p)],
            className="profile-section",
        )
    )
    notes = [html.Li(n) for n in p.notes]
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="profile-notice"),
            html.H1(f"{name}", className="page-title", id="profile-title"),
            html.P(
                [
                    f"{the_place.footprint_label} profile, {the_place.name}. ",
                    dcc.Link("Back to the map", href=page_href("/", key, footprint=name)),
                    " · ",
                    dcc.Link("Compare footprints", href=page_href("/compare", key)),
                    " · ",
                    f"Produced {p.generated_at}.",
                ],
                className="panel-kicker",
            ),
            html.Div(
                [
                    html.Button(
                        "Download report (HTML)",
                        id="profile-dl-html",
                        n_clicks=0,
                        className="button",
                    ),
                    html.Button(
                        "Download report (PDF)", id="profile-dl-pdf", n_clicks=0, className="button"
                    ),
                    html.Button(
                        "Download table (CSV)", id="profile-dl-csv", n_clicks=0, className="button"
                    ),
                    dcc.Loading(html.Span(id="profile-dl-status", role="status"), type="dot"),
                    dcc.Download(id="profile-download"),
                ],
                className="profile-actions",
            ),
            *sections,
            html.Section(
                [html.H2("Notes"), html.Ul(notes, id="profile-notes")], className="profile-section"
            )
            if notes
            else None,
            attribution_footer(the_place),
            dcc.Store(id="profile-state", data={"place": key, "footprint": name}),
        ],
        className="page page-profile",
    )


@callback(
    Output("profile-download", "data"),
    Output("profile-dl-status", "children"),
    Input("profile-dl-html", "n_clicks"),
    Input("profile-dl-pdf", "n_clicks"),
    Input("profile-dl-csv", "n_clicks"),
    State("profile-state", "data"),
    prevent_initial_call=True,
)
def download(_html, _pdf, _csv, state):
    """Send the report (HTML/PDF, with static charts) or the disclosed profile table (CSV)."""
    from layers.report import html_to_pdf, profile_report_html

    trigger = dash.ctx.triggered_id
    place, _ = open_place_safe((state or {}).get("place"))
    name = (state or {}).get("footprint")
    if name not in place.footprint_names:
        return dash.no_update, "Unknown footprint."
    stem = f"{place.name}-{name}".replace(" ", "_").replace("/", "_")
    try:
        if trigger == "profile-dl-csv":
            disclosed = disclosed_profile(place, table=cached_profile(place).reset_index())
            header = [f"{place.name}: footprint profile", *place.attribution_text().splitlines()]
            header += [disclosed.note] if disclosed.note else []
            return dcc.send_string(
                to_safe_csv(disclosed.table, header_lines=header), f"{stem}.csv"
            ), "Table ready."
        text = profile_report_html(place, name, profile=build_profile(place, name))
        if trigger == "profile-dl-pdf":
            return dcc.send_bytes(html_to_pdf(text), f"{stem}.pdf"), "PDF ready."
        return dcc.send_string(text, f"{stem}.html"), "Report ready."
    except Exception as exc:  # report generation needs Chromium: say so, do not crash the page
        return dash.no_update, f"Could not make the file: {exc}"
