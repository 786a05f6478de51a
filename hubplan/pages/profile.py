"""The footprint profile page: ``/profile/<footprint>?place=KEY``.

What a locality manager takes to a partnership meeting: headline figures, a Fingertips-style
spine chart of every indicator (this footprint against the borough, the range across
footprints and England), children in the most deprived areas nationally, population by age
band, access to hubs, a small map and the schools and centres. Sensitive counts go through
disclosure control. The printable report (HTML or PDF) and the table (CSV) download here.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from geo.export import tabular
from geo.indicators.contract import profile_contract
from geo.indicators.footprint_profile import FootprintProfile, footprint_profile
from geo.indicators.profile import disclosed_profile
from geo.numbers import format_number
from geo.place.model import Place
from hubplan.pages._grid import grid
from hubplan.pages._profile_cache import cached_profile
from hubplan.pages._sets import place_view
from hubplan.pages._state import Notices, current_place_key, first, open_place_safe, page_href
from hubplan.pages._ui import attribution_footer, described, notice_box, synthetic_banner
from layers.profile_charts import age_band_figure, decile_figure, footprint_map
from layers.spine import VERDICT_STYLE, spine_positions, verdict_text

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
            role="listitem",
        )
        for r in profile.headline.itertuples()
    ]
    return html.Div(cards, className="headline-cards", id="profile-headline", role="list")


def build_contract(place: Place, footprint: str) -> dict:
    """The profile contract from the page's cached footprint table."""
    return profile_contract(place, footprint, table=cached_profile(place).reset_index())


def fmt(value, unit: str = "", kind: str = "mean") -> str:
    """One number format on every page: separators, decimals by size, ``%`` for percentages."""
    return format_number(value, kind=kind, unit=unit)


def label_with_unit(rec: dict) -> str:
    unit = rec.get("unit") or ""
    return rec["label"] + (f" ({unit})" if unit and unit not in rec["label"] else "")


def spine_bar(rec: dict) -> html.Div:
    """The Fingertips-style bar of one row, drawn with CSS (worse side on the left)."""
    pos = spine_positions(rec)

    def at(x: float | None, cls: str, title: str) -> html.Span | None:
        if x is None:
            return None
        return html.Span(className=cls, style={"left": f"{100 * x:.1f}%"}, title=title)

    parts = [html.Span(className="spine-centre")]
    if pos["left"] is not None:
        parts.append(
            html.Span(
                className="spine-range",
                style={
                    "left": f"{100 * pos['left']:.1f}%",
                    "width": f"{100 * (pos['right'] - pos['left']):.1f}%",
                },
            )
        )
    if pos["iqr_left"] is not None:
        parts.append(
            html.Span(
                className="spine-iqr",
                style={
                    "left": f"{100 * pos['iqr_left']:.1f}%",
                    "width": f"{100 * (pos['iqr_right'] - pos['iqr_left']):.1f}%",
                },
            )
        )
    parts.append(at(pos["borough"], "spine-borough", "Borough"))
    parts.append(at(pos["england"], "spine-england", "England"))
    colour = VERDICT_STYLE[rec["verdict"]][0]
    dot = at(pos["value"], "spine-value", verdict_text(rec))
    if dot is not None:
        dot.style["background"] = colour
        parts.append(dot)
    return html.Div(parts, className="spine-bar", **{"aria-hidden": "true"})


def spine_table(contract: dict) -> html.Div:
    """Every directed indicator: value, period, borough, England, verdict and the spine bar."""
    fp = contract["footprint"]
    rows = []
    for rec in contract["spine"]:
        value = "*" if rec["suppressed"] else fmt(rec["value"], rec["unit"])
        ci = (
            f"95% CI {fmt(rec['ci_low'], rec['unit'])} to {fmt(rec['ci_high'], rec['unit'])}"
            if rec["ci_low"] is not None
            else ""
        )
        rows.append(
            html.Tr(
                [
                    html.Th(
                        [label_with_unit(rec), html.Div(rec["method"], className="spine-method")],
                        scope="row",
                    ),
                    html.Td(rec["period"]),
                    html.Td(
                        [value, html.Div(ci, className="spine-ci")] if ci else value,
                        className="num",
                    ),
                    html.Td(fmt(rec["borough"], rec["unit"]), className="num"),
                    html.Td(fmt(rec["england"], rec["unit"]), className="num"),
                    html.Td(
                        verdict_text(rec),
                        className=f"cmp cmp-{rec['verdict'].replace(' ', '-')}",
                    ),
                    html.Td(spine_bar(rec), className="spine-cell"),
                ]
            )
        )
    head = ["Indicator", "Period", fp, "Borough", "England", "Compared", "Worse ← range → better"]
    return html.Div(
        html.Table(
            [
                html.Caption(
                    f"Every indicator with a direction for {fp}: its value, period, the borough "
                    "and England values and how it compares. The bar runs from the worst "
                    "footprint (left) to the best (right) around the comparator (centre line); "
                    "the dark part is the middle half of footprints, the diamond the borough, "
                    "the pink line England, the circle this footprint. "
                    + contract["comparison_rule"]
                ),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                html.Tbody(rows),
            ],
            className="values-table spine-table",
            id="profile-spine-table",
        ),
        className="table-scroll",
        tabIndex=0,
        role="region",
        **{"aria-label": "How this area compares (table)"},
    )


def context_table(contract: dict) -> html.Table | None:
    if not contract["context"]:
        return None
    return html.Table(
        [
            html.Caption("Measures with no better or worse direction (not compared)."),
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, scope="col")
                        for h in ("Measure", "Period", contract["footprint"], "Borough")
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(label_with_unit(r), scope="row"),
                            html.Td(r["period"]),
                            html.Td(
                                "*" if r["suppressed"] else fmt(r["value"], r["unit"]),
                                className="num",
                            ),
                            html.Td(fmt(r["borough"], r["unit"]), className="num"),
                        ]
                    )
                    for r in contract["context"]
                ]
            ),
        ],
        className="values-table",
        id="profile-context-table",
    )


def counts_table(contract: dict) -> html.Table:
    """Counts apart from the spine: value, period and share of the borough."""
    rows = [
        html.Tr(
            [
                html.Th(
                    [r["label"]]
                    + ([html.Div(r["method"], className="spine-method")] if r["method"] else []),
                    scope="row",
                ),
                html.Td(r["period"]),
                html.Td("*" if r["suppressed"] else fmt(r["value"], kind="count"), className="num"),
                html.Td(fmt(r["borough"], kind="count"), className="num"),
                html.Td(
                    f"{100 * r['share_of_borough']:.1f}%"
                    if r["share_of_borough"] is not None
                    else "-",
                    className="num",
                ),
            ]
        )
        for r in contract["counts"]
    ]
    return html.Table(
        [
            html.Caption(f"Counts for {contract['footprint']} and their share of the borough."),
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, scope="col")
                        for h in (
                            "Count",
                            "Period",
                            contract["footprint"],
                            "Borough",
                            "Share of borough",
                        )
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="values-table",
        id="profile-counts",
    )


def missing_notes(contract: dict) -> html.Ul | html.P:
    """Indicators some areas lack: what the footprint figure covers."""
    items = [
        html.Li(
            f"{m['label']}: {m['lacking']:,} of the {m['areas']:,} areas here have no value; "
            f"the figure is {m['covers']} (borough: {m['borough_covers']})."
        )
        for m in contract["missing"]
        if m["lacking"] or m["borough_with_value"] < m["borough_areas"]
    ]
    if not items:
        return html.P("Every indicator has a value for every area.", id="profile-missing")
    return html.Ul(items, id="profile-missing")


def pretty(column: str) -> str:
    return column.replace("_", " ").capitalize()


def sites_table(contract: dict) -> html.Div | html.P:
    """The footprint's schools and centres in a sortable, filterable grid."""
    rows = []
    for group in contract["sites"]:
        for site in group["sites"]:
            rows.append({"kind": group["label"], **site})
    if not rows:
        return html.P("No schools or centres in this footprint.", id="profile-sites")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    frame = pd.DataFrame(rows, columns=keys)
    columns = tabular.columns_for(frame, labels={c: pretty(c) for c in keys})
    return grid(
        "profile-sites", frame, columns, label="Schools and centres in this footprint", height=420
    )


def footprint_links(place: Place, key: str | None = None) -> html.Ul:
    set_name = place.meta.get("footprint_set")
    extra = {"set": set_name} if set_name else {}
    return html.Ul(
        [
            html.Li(dcc.Link(name, href=page_href(f"/profile/{name}", key or place, **extra)))
            for name in place.footprint_names
        ],
        className="footprint-links",
    )


def layout(footprint=None, place=None, **_other):
    """The profile of ``footprint`` (unknown names list the footprints to choose from)."""
    notices = Notices()
    base, n = open_place_safe(first(place))
    notices.add(n)
    key = current_place_key(base)
    the_place, n = place_view(base, first(_other.get("set")))
    notices.add(n)
    set_name = the_place.meta.get("footprint_set")
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
                html.P(f"Choose one of the {the_place.footprint_plural.lower()}:"),
                footprint_links(the_place, key),
                attribution_footer(the_place),
            ],
            className="page page-profile",
        )

    p = build_profile(the_place, name)
    c = build_contract(the_place, name)
    sections = [
        html.Section([html.H2("Headline figures"), headline_cards(p)], className="profile-section"),
        html.Section(
            [html.H2("How this area compares"), spine_table(c), context_table(c)],
            className="profile-section",
            id="profile-compares",
        ),
        html.Section(
            [html.H2("Counts"), counts_table(c)],
            className="profile-section",
            id="profile-counts-section",
        ),
    ]
    grid = []
    for d in c["deciles"]:
        worst = d["bands"][0]["count"] + d["bands"][1]["count"]
        share = (worst / d["total"]) if d["total"] else None
        borough = d["borough"]
        b_share = (
            (borough["bands"][0]["count"] + borough["bands"][1]["count"]) / borough["total"]
            if borough["total"]
            else None
        )
        grid.append(
            html.Section(
                [
                    html.H2(f"{d['label']}: {d['weight_label'].lower()} by national decile"),
                    html.P(
                        f"{fmt(worst, kind='count')} of {fmt(d['total'], kind='count')} "
                        f"({d['weight_label'].lower()}) live in areas in national deciles 1-2 "
                        f"({fmt(None if share is None else 100 * share, unit='%')}; borough "
                        f"{fmt(None if b_share is None else 100 * b_share, unit='%')}). Period: {d['period']}."
                        + (
                            f" {fmt(d['no_decile']['count'], kind='count')} live in areas with no decile."
                            if d["no_decile"]["count"]
                            else ""
                        ),
                        className="profile-decile-text",
                    ),
                    described(
                        dcc.Graph(
                            id={"type": "profile-deciles", "key": d["key"]},
                            figure=decile_figure(d, footprint=name),
                            config=GRAPH_CONFIG,
                        ),
                        f"Bar chart: share of people in {name} and in {the_place.name} living "
                        f"in each national decile of {d.get('label', d['key'])} (the text above "
                        "gives the shares).",
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
                    described(
                        dcc.Graph(
                            id="profile-ages",
                            figure=age_band_figure(p.age_bands, footprint=name),
                            config=GRAPH_CONFIG,
                        ),
                        f"Bar chart of the population of {name} by age band.",
                    ),
                ],
                className="profile-section",
            )
        )
    access = (
        html.P(
            f"{p.access['within']:,.0f} of {p.access['children']:,.0f} children ({fmt(100 * p.access['share'], unit='%')}) live "
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
                described(
                    dcc.Graph(
                        id="profile-map",
                        figure=footprint_map(the_place, name, height=360),
                        config={"displaylogo": False, "scrollZoom": True},
                    ),
                    f"Map of {name} within {the_place.name}, with its sites.",
                ),
            ],
            className="profile-section",
        )
    )
    sections.append(html.Div(grid, className="profile-grid"))
    sections.append(
        html.Section(
            [html.H2(f"Schools and centres ({len(p.sites)})"), sites_table(c)],
            className="profile-section",
        )
    )
    sections.append(
        html.Section([html.H2("Missing data"), missing_notes(c)], className="profile-section")
    )
    notes = [html.Li(n) for n in p.notes]
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="profile-notice"),
            html.H1(f"{name}", className="page-title", id="profile-title"),
            # the browser tab's title (assets/page_title.js): footprint and place
            html.Div(f"{name}: profile · {the_place.name}", id="page-title", hidden=True),
            html.P(
                [
                    f"{the_place.footprint_label} profile, {the_place.name}"
                    + (f", saved footprint set {set_name!r}. " if set_name else ". "),
                    dcc.Link("Back to the map", href=page_href("/", key, footprint=name)),
                    " · ",
                    dcc.Link(
                        "Compare footprints",
                        href=page_href("/compare", key, **({"set": set_name} if set_name else {})),
                    ),
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
                    html.Button(
                        "Download table (XLSX)",
                        id="profile-dl-xlsx",
                        n_clicks=0,
                        className="button",
                    ),
                    html.Button(
                        "Cancel",
                        id="profile-dl-cancel",
                        n_clicks=0,
                        className="button",
                        disabled=True,
                        title="Stop the download that is being prepared",
                    ),
                    html.Span(id="profile-dl-progress", role="status", **{"aria-live": "polite"}),
                    html.Span(id="profile-dl-status", role="status", **{"aria-live": "polite"}),
                    dcc.Download(id="profile-download"),
                    dcc.Download(id="profile-download-meta"),
                    # One token per page load for the download job: Dash keys a background
                    # job's result by its arguments, so two users downloading the same file
                    # would otherwise share one result (and one of them get nothing).
                    dcc.Store(id="profile-dl-token", data=uuid.uuid4().hex),
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
            dcc.Store(id="profile-state", data={"place": key, "footprint": name, "set": set_name}),
        ],
        className="page page-profile",
    )


DOWNLOAD_BUTTONS = ("profile-dl-html", "profile-dl-pdf", "profile-dl-csv", "profile-dl-xlsx")


@callback(
    Output("profile-download", "data"),
    Output("profile-dl-status", "children"),
    Output("profile-download-meta", "data"),
    Input("profile-dl-html", "n_clicks"),
    Input("profile-dl-pdf", "n_clicks"),
    Input("profile-dl-csv", "n_clicks"),
    Input("profile-dl-xlsx", "n_clicks"),
    State("profile-state", "data"),
    State("profile-dl-token", "data"),
    prevent_initial_call=True,
    # Reports and tables are made on a background worker (hubplan.jobs), with progress, and
    # Cancel stops them; the page's other callbacks do not queue behind a PDF.
    background=True,
    running=[
        *[(Output(b, "disabled"), True, False) for b in DOWNLOAD_BUTTONS],
        (Output("profile-dl-cancel", "disabled"), False, True),
    ],
    cancel=[Input("profile-dl-cancel", "n_clicks")],
    progress=[Output("profile-dl-progress", "children")],
    progress_default=[""],
)
def download_job(set_progress, _html, _pdf, _csv, _xlsx, state, _token):
    """The background job behind the download buttons (body: :func:`download`)."""
    out = download(_html, _pdf, _csv, _xlsx, state, progress=set_progress)
    set_progress("")
    return out


def download(_html, _pdf, _csv, _xlsx, state, *, progress=None):
    """Send the report (HTML/PDF, with static charts) or this footprint's disclosed profile
    table (CSV with its metadata sidecar, or XLSX with an About sheet). ``progress`` (a
    background callback's ``set_progress``) is told each step."""
    from layers.report import html_to_pdf, profile_report_html

    def step(text: str) -> None:
        if progress is not None:
            progress(text)

    trigger = dash.ctx.triggered_id
    place, _ = open_place_safe((state or {}).get("place"))
    place, _ = place_view(place, (state or {}).get("set"))
    name = (state or {}).get("footprint")
    if name not in place.footprint_names:
        return dash.no_update, "Unknown footprint.", dash.no_update
    stem = f"{place.name}-{name}".replace(" ", "_").replace("/", "_")
    try:
        if trigger in ("profile-dl-csv", "profile-dl-xlsx"):
            from hubplan.pages._export import table_files

            step("Preparing the table ...")
            disclosed = disclosed_profile(place, table=cached_profile(place).reset_index())
            table = disclosed.table
            table = table[table["footprint"].isin([name, "All areas"])]
            data, meta = table_files(
                "xlsx" if trigger == "profile-dl-xlsx" else "csv",
                place,
                table,
                title=f"{place.name}: {place.footprint_label.lower()} profile of {name}",
                stem=stem,
                disclosure=disclosed.note or "",
                labels={"footprint": place.footprint_label, "areas": "Number of small areas"},
            )
            return data, "Table ready.", meta if meta is not None else dash.no_update
        step("Writing the report ...")
        text = profile_report_html(place, name, profile=build_profile(place, name))
        if trigger == "profile-dl-pdf":
            step("Printing the PDF ...")
            return dcc.send_bytes(html_to_pdf(text), f"{stem}.pdf"), "PDF ready.", dash.no_update
        return dcc.send_string(text, f"{stem}.html"), "Report ready.", dash.no_update
    except Exception as exc:  # report generation needs Chromium: say so, do not crash the page
        return dash.no_update, f"Could not make the file: {exc}", dash.no_update
