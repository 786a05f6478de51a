"""Indicators: the catalogue, the need-index editor and the upload form for your own data.

* **Need index**: choose weights (or the children's preset) and the standardisation
  (z-score or rank), preview the footprint ranking, and save the index into the place bundle:
  it then maps, profiles and exports like any other indicator.
* **Add your own indicator**: upload a CSV keyed by area code, fill in its metadata; the whole
  file is checked (unknown or duplicate codes, non-numeric values, negative counts, size,
  encoding) and stored in the bundle atomically only when everything is valid.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, dcc, html

from geo.build.storage import storage_problem
from geo.errors import InputError
from geo.export import tabular
from geo.indicators.need_index import (
    DEFAULT_KEY,
    NeedIndexSpec,
    apply_need_index,
    children_preset,
    save_need_index,
    saved_specs,
)
from geo.indicators.profile import profile_table
from geo.indicators.uploads import MAX_BYTES, UploadError, contents_bytes, decode, store_upload
from geo.place._edit import copy_place
from geo.place.config import Indicator
from geo.place.model import Place
from geo.place.postgis import short_name
from geo.place.readers import parse_numbers, table_from_text
from hubplan.pages._grid import grid
from hubplan.pages._state import (
    Notices,
    current_place_key,
    first,
    open_place_safe,
    page_href,
    public_text,
)
from hubplan.pages._ui import attribution_footer, notice_box, radio_group, synthetic_banner

dash.register_page(
    __name__,
    path="/indicators",
    name="Indicators",
    title="Indicators · Locality & Hub Planner",
    order=3,
)


def is_need_index(ind: Indicator) -> bool:
    return ind.source.startswith("hubplan need index")


def current_spec(place: Place) -> NeedIndexSpec | None:
    specs = saved_specs(place)
    if DEFAULT_KEY in specs:
        return specs[DEFAULT_KEY]
    try:
        return children_preset(place.catalogue)
    except InputError:
        return None


def weights_table(place: Place, spec: NeedIndexSpec | None) -> html.Table:
    weights = spec.weights if spec else {}
    rows = []
    for key, ind in place.catalogue.items():
        if is_need_index(ind):
            continue
        direction = {"worse": "higher = more need", "better": "higher = less need (reversed)"}.get(
            ind.higher_is or "", "higher = more need (no direction set)"
        )
        rows.append(
            html.Tr(
                [
                    html.Th(ind.label, scope="row"),
                    html.Td(
                        html.Label(
                            [
                                html.Span(f"Weight for {ind.label}", className="visually-hidden"),
                                dcc.Input(
                                    id={"type": "ni-weight", "key": key},
                                    type="number",
                                    min=0,
                                    step=0.05,
                                    value=weights.get(key, 0),
                                    debounce=True,
                                ),
                            ]
                        )
                    ),
                    html.Td(direction, className="muted"),
                ]
            )
        )
    return html.Table(
        [
            html.Caption("Weights (0 = not used). Weights are rescaled to add up to 1."),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Indicator", scope="col"),
                        html.Th("Weight", scope="col"),
                        html.Th("Direction", scope="col"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="weights-table",
        id="ni-weights-table",
    )


def catalogue_table(place: Place) -> html.Div:
    """Every indicator of the place's catalogue: key, label, unit, direction, source, period."""
    frame = pd.DataFrame(
        [
            {
                "key": k,
                "label": i.label,
                "kind": i.kind,
                "unit": i.unit,
                "higher_is": i.higher_is or "",
                "england": i.england,
                "sensitive": "yes" if i.sensitive else "",
                "source": i.source,
                "vintage": i.vintage,
            }
            for k, i in place.catalogue.items()
        ]
    )
    columns = [
        tabular.Column(c, c.replace("_", " ").capitalize())
        for c in ("key", "label", "kind", "unit", "higher_is")
    ]
    columns += [
        tabular.Column("england", "England value", description="In the indicator's own unit"),
        tabular.Column("sensitive", "Sensitive"),
        tabular.Column("source", "Source"),
        tabular.Column("vintage", "Period"),
    ]
    return grid("ind-catalogue", frame, columns, label="Indicator catalogue", height=420)


def _field(label: str, component, help_text: str | None = None) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component.id, className="control-label"),
            # radios are named as a group (a <label for> names one control only)
            radio_group(component, label) if isinstance(component, dcc.RadioItems) else component,
            html.P(help_text, className="control-help") if help_text else None,
        ],
        className="control-group",
    )


def layout(place=None, **_other):
    notices = Notices()
    the_place, n = open_place_safe(first(place))
    notices.add(n)
    spec = current_spec(the_place)
    key = current_place_key(the_place)
    counts = [k for k, i in the_place.catalogue.items() if i.kind == "count"]
    need = html.Section(
        [
            html.H2("Need index"),
            html.P(
                "Blend indicators into one need index. Each is standardised across the place's small areas "
                "and turned so that higher always means more need; the index is their weighted mean. "
                "Footprint values are weighted by child population.",
                className="control-help",
            ),
            html.Div(
                [
                    _field(
                        "Standardise by",
                        dcc.RadioItems(
                            id="ni-method",
                            value=spec.method if spec else "z",
                            options=[
                                {"label": "z-score", "value": "z"},
                                {"label": "rank (percentile)", "value": "rank"},
                            ],
                            inline=True,
                            className="checklist",
                        ),
                    ),
                    _field(
                        "Index key",
                        dcc.Input(
                            id="ni-key", type="text", value=spec.key if spec else DEFAULT_KEY
                        ),
                    ),
                    _field(
                        "Index label",
                        dcc.Input(
                            id="ni-label",
                            type="text",
                            value=spec.label if spec else "Children's need index",
                        ),
                    ),
                ],
                className="form-grid",
            ),
            weights_table(the_place, spec),
            html.Div(
                [
                    html.Button(
                        "Children's preset", id="ni-preset", n_clicks=0, className="button"
                    ),
                    html.Button("Preview", id="ni-preview", n_clicks=0, className="button"),
                    html.Button(
                        "Save into the place",
                        id="ni-save",
                        n_clicks=0,
                        className="button button-primary",
                    ),
                ],
                className="profile-actions",
            ),
            dcc.Loading(html.Div(id="ni-result", role="status", **{"aria-live": "polite"})),
        ],
        className="profile-section",
    )
    upload = html.Section(
        [
            html.H2("Add your own indicator"),
            html.P(
                f"A CSV file (UTF-8 or Excel's Windows encoding, up to {MAX_BYTES / 1e6:.0f} MB) with one row per "
                "small area: a column of area codes and a column of values. Nothing is stored unless the whole "
                "file is valid.",
                className="control-help",
            ),
            dcc.Upload(
                id="up-file",
                children=html.Div(["Drag a CSV file here or ", html.A("choose a file")]),
                className="upload-box",
                multiple=False,
                accept=".csv,text/csv",
            ),
            html.P(id="up-file-info", className="control-help", role="status"),
            html.Div(
                [
                    _field(
                        "Area code column",
                        dcc.Dropdown(id="up-code", options=[], placeholder="upload a file first"),
                    ),
                    _field(
                        "Value column",
                        dcc.Dropdown(id="up-column", options=[], placeholder="upload a file first"),
                    ),
                    _field(
                        "Key",
                        dcc.Input(
                            id="up-key", type="text", placeholder="e.g. early_help_referrals"
                        ),
                        "letters, digits and _",
                    ),
                    _field(
                        "Label",
                        dcc.Input(
                            id="up-label", type="text", placeholder="e.g. Early help referrals"
                        ),
                    ),
                    _field(
                        "Kind",
                        dcc.RadioItems(
                            id="up-kind",
                            value="count",
                            inline=True,
                            className="checklist",
                            options=[
                                {"label": "count (summed)", "value": "count"},
                                {"label": "mean", "value": "mean"},
                            ],
                        ),
                    ),
                    _field(
                        "Weight (for a mean)",
                        dcc.Dropdown(id="up-weight", options=counts, placeholder="unweighted"),
                    ),
                    _field(
                        "Unit", dcc.Input(id="up-unit", type="text", placeholder="e.g. referrals")
                    ),
                    _field(
                        "Higher is",
                        dcc.RadioItems(
                            id="up-higher",
                            value="worse",
                            inline=True,
                            className="checklist",
                            options=[
                                {"label": "worse", "value": "worse"},
                                {"label": "better", "value": "better"},
                                {"label": "no direction", "value": ""},
                            ],
                        ),
                    ),
                    _field(
                        "England value",
                        dcc.Input(id="up-england", type="number", placeholder="optional"),
                    ),
                    _field(
                        "Sensitive",
                        dcc.Checklist(
                            id="up-sensitive",
                            className="checklist",
                            options=[{"label": "suppress small counts in outputs", "value": "yes"}],
                        ),
                    ),
                    _field(
                        "Source",
                        dcc.Input(
                            id="up-source",
                            type="text",
                            placeholder="e.g. Council early help system",
                        ),
                    ),
                    _field(
                        "Attribution",
                        dcc.Input(
                            id="up-attribution",
                            type="text",
                            placeholder="text the licence requires",
                        ),
                    ),
                    _field(
                        "Vintage",
                        dcc.Input(id="up-vintage", type="text", placeholder="e.g. 2024/25"),
                    ),
                ],
                className="form-grid",
            ),
            html.Button(
                "Check and store", id="up-store", n_clicks=0, className="button button-primary"
            ),
            dcc.Loading(html.Div(id="up-result", role="status", **{"aria-live": "polite"})),
        ],
        className="profile-section",
    )
    return html.Div(
        [
            synthetic_banner(the_place),
            notice_box(notices.items, id="ind-notice"),
            html.H1(f"{the_place.name}: indicators", className="page-title"),
            need,
            upload,
            html.Section(
                [html.H2("Indicator catalogue"), catalogue_table(the_place)],
                className="profile-section",
            ),
            attribution_footer(the_place),
            dcc.Store(id="ind-state", data={"place": key}),
        ],
        className="page page-indicators",
    )


def _spec_from_form(weights, ids, method, key, label) -> NeedIndexSpec:
    w = {
        i["key"]: float(v)
        for i, v in zip(ids, weights, strict=True)
        if v not in (None, "") and float(v) > 0
    }
    return NeedIndexSpec(
        weights=w,
        method=method or "z",
        key=(key or DEFAULT_KEY).strip(),
        label=(label or "Need index").strip(),
    )


def ranking_table(place: Place, key: str) -> html.Table:
    table = profile_table(place)[["footprint", key]]
    fps = table[table["footprint"] != "All areas"].sort_values(key, ascending=False)
    rows = [
        html.Tr(
            [
                html.Td(str(i + 1), className="num"),
                html.Td(dcc.Link(r.footprint, href=page_href(f"/profile/{r.footprint}", place))),
                html.Td(f"{getattr(r, key):.3f}", className="num"),
            ]
        )
        for i, r in enumerate(fps.itertuples())
    ]
    return html.Table(
        [
            html.Caption("Footprints by the index, most need first"),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Rank", scope="col"),
                        html.Th("Footprint", scope="col"),
                        html.Th("Index", scope="col"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="values-table",
        id="ni-ranking",
    )


@callback(
    Output({"type": "ni-weight", "key": ALL}, "value"),
    Input("ni-preset", "n_clicks"),
    State({"type": "ni-weight", "key": ALL}, "id"),
    State("ind-state", "data"),
    prevent_initial_call=True,
)
def fill_preset(_n, ids, state):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        spec = children_preset(place.catalogue)
    except InputError:
        return [dash.no_update] * len(ids)
    return [spec.weights.get(i["key"], 0) for i in ids]


@callback(
    Output("ni-result", "children"),
    Input("ni-preview", "n_clicks"),
    Input("ni-save", "n_clicks"),
    State({"type": "ni-weight", "key": ALL}, "value"),
    State({"type": "ni-weight", "key": ALL}, "id"),
    State("ni-method", "value"),
    State("ni-key", "value"),
    State("ni-label", "value"),
    State("ind-state", "data"),
    prevent_initial_call=True,
)
def preview_or_save(_p, _s, weights, ids, method, key, label, state):
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        spec = _spec_from_form(weights, ids, method, key, label)
        if dash.ctx.triggered_id == "ni-save":
            if place.path is None:
                raise InputError("this place has no bundle file to save into")
            saved = save_need_index(place.path, spec)
            link = page_href("/", current_place_key(place), indicator=spec.key)
            return html.Div(
                [
                    html.P(
                        [
                            f"Saved {spec.label!r} ({spec.key}) into {short_name(saved.path)}. ",
                            dcc.Link("Show it on the map", href=link),
                            ".",
                        ]
                    ),
                    ranking_table(saved, spec.key),
                ],
                className="message-ok",
                id="ni-saved",
            )
        changed = apply_need_index(copy_place(place), spec)
        return html.Div(
            [html.P("Preview (not saved):"), ranking_table(changed, spec.key)],
            className="message-ok",
        )
    except (InputError, ValueError) as exc:
        return html.Div(str(exc), className="message-error", id="ni-error")


@callback(
    Output("up-code", "options"),
    Output("up-column", "options"),
    Output("up-code", "value"),
    Output("up-column", "value"),
    Output("up-file-info", "children"),
    Input("up-file", "contents"),
    State("up-file", "filename"),
    State("ind-state", "data"),
    prevent_initial_call=True,
)
def read_header(contents, filename, state):
    if not contents:
        return [], [], None, None, ""
    place, _ = open_place_safe((state or {}).get("place"))
    try:
        data = contents_bytes(contents)
        text, encoding = decode(data[:200_000])
        if len(data) > 200_000:  # a preview: whole lines only
            text = text[: text.rfind("\n") + 1] or text
        # The one table reader the build and the upload use: same delimiter, decimal mark,
        # title-row and thousands rules, so the preview picks the columns the upload will read.
        head = table_from_text(text, path=filename or "upload.csv").head(200)
    except (UploadError, ValueError, IndexError) as exc:
        return [], [], None, None, public_text(f"{filename}: cannot read the file ({exc})")
    cols = [str(c) for c in head.columns]
    matches = {
        c: head[c].astype(str).str.removesuffix(".0").isin(place.areas.index).mean()
        for c in head.columns
    }
    code = max(matches, key=matches.get) if matches and max(matches.values()) > 0 else None
    decimal = head.attrs.get("decimal", ".")
    numeric = [
        c
        for c in head.columns
        if c != code and parse_numbers(head[c], decimal=decimal)[0].notna().mean() > 0.8
    ]
    return (
        cols,
        cols,
        str(code).strip() if code is not None else None,
        str(numeric[0]).strip() if numeric else None,
        f"{filename}: {len(data) / 1000:,.0f} kB, {encoding}; columns {', '.join(cols)}",
    )


@callback(
    Output("up-result", "children"),
    Input("up-store", "n_clicks"),
    State("up-file", "contents"),
    State("up-file", "filename"),
    State("up-code", "value"),
    State("up-column", "value"),
    State("up-key", "value"),
    State("up-label", "value"),
    State("up-kind", "value"),
    State("up-weight", "value"),
    State("up-unit", "value"),
    State("up-higher", "value"),
    State("up-england", "value"),
    State("up-sensitive", "value"),
    State("up-source", "value"),
    State("up-attribution", "value"),
    State("up-vintage", "value"),
    State("ind-state", "data"),
    prevent_initial_call=True,
)
def store(
    _n,
    contents,
    filename,
    code,
    column,
    key,
    label,
    kind,
    weight,
    unit,
    higher,
    england,
    sensitive,
    source,
    attribution,
    vintage,
    state,
):
    place, _ = open_place_safe((state or {}).get("place"))
    if not contents:
        return html.Div("Choose a CSV file first.", className="message-error")
    if not (code and column and key and label):
        return html.Div(
            "Choose the code and value columns and give a key and a label.",
            className="message-error",
        )
    try:
        data = contents_bytes(contents)
        indicator = Indicator(
            key=key.strip(),
            label=label.strip(),
            kind=kind or "count",
            unit=(unit or "").strip(),
            higher_is=higher or None,
            weight=weight or None,
            england=float(england) if england not in (None, "") else None,
            sensitive=bool(sensitive),
            source=(source or "").strip(),
            attribution=(attribution or "").strip(),
            vintage=(vintage or "").strip(),
        )
        if place.path is None:
            raise InputError("this place has no bundle file to save into")
        saved, upload = store_upload(
            place.path,
            data,
            filename=filename or "upload.csv",
            code_column=code,
            value_column=column,
            indicator=indicator,
        )
    except UploadError as exc:
        return html.Div(
            [
                html.P(f"{filename}: {len(exc.problems)} problem(s), nothing was stored:"),
                html.Ul([html.Li(public_text(p)) for p in exc.problems]),
            ],
            className="message-error",
            id="up-errors",
        )
    except (InputError, ValueError) as exc:
        return html.Div(public_text(str(exc)), className="message-error", id="up-errors")
    except Exception as exc:
        problem = storage_problem(exc)  # disk full, read-only: one line, never a 500
        if problem is None:
            raise
        return html.Div(
            f"{filename}: nothing was stored: {problem} on the server.",
            className="message-error",
            id="up-errors",
        )
    pk = current_place_key(saved)
    return html.Div(
        [
            html.P(
                f"Stored {indicator.label!r} ({indicator.key}) from {upload.filename}: {upload.rows} rows; "
                + "; ".join(upload.notes)
                + "."
            ),
            html.P(
                [
                    dcc.Link(
                        "Show it on the map", href=page_href("/", pk, indicator=indicator.key)
                    ),
                    " · ",
                    dcc.Link(
                        "Compare footprints by it",
                        href=page_href("/compare", pk, indicator=indicator.key),
                    ),
                ]
            ),
        ],
        className="message-ok",
        id="up-ok",
    )
