"""Reusable "Export map" (PNG/SVG/PDF download) and "Copy link" controls for a map page.

Mount on a page with two lines::

    from hubplan.pages._export import export_controls, register_export_callbacks
    register_export_callbacks("home", state_id="home-state", view_id="home-view")  # module level
    ... export_controls("home") ...                                                # in layout()

``state_id`` is a ``dcc.Store`` holding the page's view state (``place``, ``indicator``,
``footprint``, ``layers``, ``basemap``) and ``view_id`` one holding ``lat``/``lon``/``zoom``
(both optional keys). The export is a print-ready snapshot of that view
(:func:`layers.snapshot.snapshot_figure`: title, legend with units, date, attributions) on the
basemap on screen: white, the offline roads, or tiles only when online tiles are chosen. "Copy link" (a real button) copies
the page URL, which carries the view state, and says so in the status line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import dash
from dash import Input, Output, State, clientside_callback, dcc, html

from geo.errors import InputError
from hubplan.pages._state import open_place_safe
from layers.snapshot import BASE_LAYERS

FORMATS = {"png": "PNG image", "svg": "SVG (vector)", "pdf": "PDF"}


def _ids(prefix: str) -> dict[str, str]:
    return {
        k: f"{prefix}-{k}"
        for k in (
            "export-format",
            "export-button",
            "export-cancel",
            "export-progress",
            "export-download",
            "export-status",
            "export-token",
            "copy-link",
        )
    }


def export_controls(prefix: str) -> html.Div:
    """The export format choice, the "Export map" button, the download and "Copy link"."""
    ids = _ids(prefix)
    return html.Div(
        [
            # the fieldset holds the format radios only (a group of unrelated inputs is no group)
            html.Fieldset(
                [
                    html.Legend("Export this map", className="control-label"),
                    dcc.RadioItems(
                        id=ids["export-format"],
                        value="png",
                        className="checklist",
                        inline=True,
                        options=[{"label": label, "value": key} for key, label in FORMATS.items()],
                        labelClassName="check-label",
                    ),
                ],
                className="control-group export-format",
            ),
            html.Div(
                [
                    html.Button(
                        "Export map",
                        id=ids["export-button"],
                        n_clicks=0,
                        className="button",
                        type="button",
                    ),
                    html.Button(
                        "Cancel export",
                        id=ids["export-cancel"],
                        n_clicks=0,
                        className="button",
                        type="button",
                        disabled=True,
                        title="Stop the export that is running",
                    ),
                    html.Button(
                        "Copy link to this view",
                        id=ids["copy-link"],
                        n_clicks=0,
                        type="button",
                        className="button copy-link",
                        title="Copy a link to this view (the address carries the view)",
                    ),
                    html.P(
                        "",
                        id=ids["export-progress"],
                        className="control-help",
                        role="status",
                        **{"aria-live": "polite"},
                    ),
                    html.P(
                        "",
                        id=ids["export-status"],
                        className="control-help",
                        role="status",
                        **{"aria-live": "polite"},
                    ),
                ],
                className="control-group",
            ),
            dcc.Download(id=ids["export-download"]),
            # One token per page load, passed to the export job: Dash keys a background job's
            # result by its arguments, so two users exporting the same view would otherwise
            # share one result (the first to poll takes it, the other gets nothing).
            dcc.Store(id=ids["export-token"], data=uuid.uuid4().hex),
        ],
        className="export-controls",
    )


def snapshot_layers(page_layers: list[str] | None) -> list[str]:
    """Map-page layer keys (``areas``, ``footprints``, ``sites-<kind>``, overlays) -> snapshot
    layer keys (``areas``, ``footprints``, ``<kind>``, overlays)."""
    out = []
    for key in page_layers or []:
        out.append(key[len("sites-") :] if key.startswith("sites-") else key)
    return out


def _filename(*parts: str | None) -> str:
    text = "-".join(p for p in parts if p)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "map"


def render_export(
    fmt: str,
    state: dict | None,
    view: dict | None,
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict | None, str]:
    """``(download data or None, status message)`` for the view in ``state``/``view``.

    ``progress`` (a background callback's ``set_progress``) is told each step.
    """

    def step(text: str) -> None:
        if progress is not None:
            progress(text)

    from layers.overlays import OVERLAYS
    from layers.snapshot import snapshot_figure
    from layers.static import figure_to_bytes

    state = state or {}
    view = view or {}
    if fmt not in FORMATS:
        return None, f"Unknown export format {fmt!r}."
    step("Opening the place ...")
    place, notice = open_place_safe(state.get("place"))
    if notice:
        return None, notice
    if state.get("set"):  # a saved footprint set shown on the page
        from hubplan.pages._sets import place_view

        place, _ = place_view(place, state["set"])
    page_layers = snapshot_layers(state.get("layers"))
    allowed = set(BASE_LAYERS) | set(place.site_kinds) | set(OVERLAYS)
    layers = [x for x in page_layers if x in allowed]
    centre = None
    if view.get("lat") is not None and view.get("lon") is not None:
        centre = {"lat": float(view["lat"]), "lon": float(view["lon"])}
    zoom = float(view["zoom"]) if view.get("zoom") is not None else None
    try:
        step("Drawing the map ...")
        fig = snapshot_figure(
            place,
            indicator=state.get("indicator"),
            layers=layers,
            footprint=state.get("footprint"),
            scenario=state.get("scenario") or None,  # a saved scenario shown on the Map page
            center=centre,
            zoom=zoom if centre else None,
            basemap=state.get("basemap") or "none",  # the basemap on screen
        )
        step(f"Rendering the {FORMATS[fmt]} ...")
        data = figure_to_bytes(fig, fmt=fmt)
    except InputError as exc:
        return None, f"Could not export the map: {exc}"
    name = (
        _filename(
            str(state.get("place") or place.name), state.get("footprint"), state.get("indicator")
        )
        + f".{fmt}"
    )
    size = f"{len(data) / 1024:,.0f} KB"
    return dcc.send_bytes(data, name), f"Exported {name} ({size})."


def register_export_callbacks(prefix: str, *, state_id: str, view_id: str | None = None) -> None:
    """Register the export and copy-link callbacks for :func:`export_controls` ``prefix``.

    Call it once per page module execution (Dash Pages re-runs page modules for every app it
    creates, and each app takes the callbacks registered before it starts).
    """
    ids = _ids(prefix)
    states = [
        State(ids["export-format"], "value"),
        State(ids["export-token"], "data"),
        State(state_id, "data"),
    ]
    if view_id:
        states.append(State(view_id, "data"))

    @dash.callback(
        Output(ids["export-download"], "data"),
        Output(ids["export-status"], "children"),
        Input(ids["export-button"], "n_clicks"),
        *states,
        prevent_initial_call=True,
        # A long job (a browser renders the image): on a background worker (hubplan.jobs),
        # with progress, and "Cancel export" stops it. Map callbacks do not queue behind it.
        background=True,
        running=[
            (Output(ids["export-button"], "disabled"), True, False),
            (Output(ids["export-cancel"], "disabled"), False, True),
        ],
        cancel=[Input(ids["export-cancel"], "n_clicks")],
        progress=[Output(ids["export-progress"], "children")],
        progress_default=[""],
    )
    def _export(set_progress, n_clicks, fmt, _token, state, view=None):
        if not n_clicks:
            return dash.no_update, dash.no_update
        data, message = render_export(fmt, state, view, progress=set_progress)
        set_progress("")
        return (data if data is not None else dash.no_update), message

    # The URL is kept up to date in the browser (history API), so read it there. A real
    # <button> (keyboard reachable), and the result is announced in the status line.
    clientside_callback(
        """
        function(n) {
            if (!n) { return window.dash_clientside.no_update; }
            var url = window.location.href;
            if (!navigator.clipboard) { return 'Copy this link: ' + url; }
            return navigator.clipboard.writeText(url).then(
                function() { return 'Link to this view copied.'; },
                function() { return 'Could not copy; the link is: ' + url; }
            );
        }
        """,
        Output(ids["export-status"], "children", allow_duplicate=True),
        Input(ids["copy-link"], "n_clicks"),
        prevent_initial_call=True,
    )


# --------------------------------------------------------------------------- tables


def table_files(
    fmt: str,
    place,
    frame,
    *,
    title: str,
    stem: str,
    disclosure: str = "",
    notes: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
) -> tuple[dict, dict | None]:
    """``(data file, metadata sidecar or None)`` for ``dcc.Download``, via the one writer.

    CSV (:mod:`geo.export.tabular`: RFC 4180, UTF-8 with BOM, labels with units) comes with
    its ``-metadata.json`` sidecar (sources, licences, units, disclosure, date, demo label) as
    a second download; XLSX carries the same in its About sheet.
    """
    from geo.export import tabular

    if fmt not in tabular.TABLE_FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use {', '.join(tabular.TABLE_FORMATS)}")
    columns = tabular.columns_for(frame, catalogue=place.catalogue, labels=labels)
    meta = tabular.place_meta(place, title, notes=notes, disclosure=disclosure)
    filename = f"{_filename(stem)}.{fmt}"
    files = tabular.table_bytes(fmt, frame, columns, meta, filename=filename)
    data = dcc.send_bytes(files.pop(filename), filename)
    if not files:
        return data, None
    (side_name, side_bytes) = next(iter(files.items()))
    return data, dcc.send_bytes(side_bytes, side_name)
