"""Every table of the dashboard (dash-ag-grid) and "Download what you see" beside it.

One helper builds every grid with the same accessible defaults:

* column headers are labels with their units (``Children aged 0-4 (children)``), from the same
  :class:`geo.export.tabular.Column` the CSV/XLSX writer uses, so the screen and the download
  agree;
* numbers have thousands separators and the decimals their unit states (counts whole), shown by
  ``dagfuncs.hubNumber`` (``assets/dashAgGridFunctions.js``) while the cells keep the numbers,
  so sorting is numeric; suppressed cells show ``*``, missing ones are empty and sort last;
* every column sorts (click or Enter on its header) and filters (text or number filter);
  the arrow keys move between cells, Tab leaves the grid (AG Grid's keyboard navigation);
* the grid sits in a region named by ``label`` (``aria-label``).

Downloads: :func:`download_bar` puts CSV / XLSX (/ GeoJSON) buttons under a table;
:func:`grid_download` turns what the grid shows (its ``virtualRowData``: the rows after the
user's filter, in the user's sort order) into files through :mod:`geo.export.tabular` (labels
with units, the ``-metadata.json`` sidecar or the XLSX About sheet with sources, licences,
disclosure note and the synthetic label) and :func:`geojson_download` writes geometry as
GeoJSON through :func:`geo.export.data.write_export` (attribution inside the file and beside it).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html

from geo.errors import InputError
from geo.export import tabular
from geo.export.data import ExportData, write_export
from geo.place.model import Place

#: Formats a table download offers (GeoJSON only where there is geometry).
FORMATS = ("csv", "xlsx")
_LINK = re.compile(r"^\[(?P<text>.*)\]\((?P<href>[^)]*)\)$", re.DOTALL)
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def column_defs(
    columns: Sequence[tabular.Column], *, links: Sequence[str] = (), highlight: str | None = None
) -> list[dict]:
    """AG Grid ``columnDefs`` for ``columns``: headers with units, numbers formatted by unit.

    ``links`` names columns whose cells are Markdown links (``[text](href)``); ``highlight``
    names a column drawn emphasised (the ranking indicator). Each definition carries its
    :class:`~geo.export.tabular.Column` in ``context`` so a download can rebuild it.
    """
    defs = []
    for col in columns:
        spec: dict = {
            "field": col.key,
            "headerName": col.header,
            "headerTooltip": col.description or col.header,
            "context": {"column": asdict(col)},
            "comparator": {"function": "hubCompare"},
        }
        if col.kind in ("count", "number"):
            spec.update(
                type="rightAligned",
                filter="agNumberColumnFilter",
                valueFormatter={"function": f"hubNumber(params.value, {col.places})"},
            )
        else:  # names wrap rather than being cut off
            spec.update(filter="agTextColumnFilter", minWidth=140, wrapText=True, autoHeight=True)
        if col.key in links:
            spec.update(cellRenderer="markdown", linkTarget="_self")
        if col.key == highlight:
            spec["cellClass"] = "grid-highlight"
            spec["headerClass"] = "grid-highlight"
        defs.append(spec)
    return defs


def grid_rows(
    frame: pd.DataFrame,
    columns: Sequence[tabular.Column],
    *,
    links: Mapping[str, Sequence[str | None]] | None = None,
) -> list[dict]:
    """``frame`` as AG Grid ``rowData``: values rounded as the downloads round them.

    ``links`` maps a column to one href per row: those cells become ``[text](href)``.
    """
    rows = [
        dict(zip([c.key for c in columns], values, strict=True))
        for values in tabular.tidy_rows(frame, columns)
    ]
    for key, hrefs in (links or {}).items():
        for row, href in zip(rows, hrefs, strict=True):
            if href and row.get(key) is not None:
                text = str(row[key]).replace("[", "\\[").replace("]", "\\]")
                row[key] = f"[{text}]({href})"
    return rows


def grid(
    id: str,
    frame: pd.DataFrame | None = None,
    columns: Sequence[tabular.Column] = (),
    *,
    label: str,
    links: Mapping[str, Sequence[str | None]] | None = None,
    highlight: str | None = None,
    pinned_bottom: list[dict] | None = None,
    height: int | None = None,
    grid_options: Mapping | None = None,
) -> html.Div:
    """An accessible, sortable, filterable grid, in a region named ``label``.

    ``frame``/``columns`` give the first rows (a callback may fill ``rowData``/``columnDefs``
    later: see :func:`grid_data`). ``pinned_bottom`` rows (a borough total) stay under the
    others whatever the sort. ``height`` in pixels scrolls long tables; without it the grid
    grows to fit its rows.
    """
    rows = grid_rows(frame, columns, links=links) if frame is not None else []
    options: dict = {
        "ensureDomOrder": True,  # screen readers read rows in order
        "suppressColumnVirtualisation": True,  # every column in the page (read, found, printed)
        "enableCellTextSelection": True,
        "tooltipShowDelay": 300,
        "suppressMovableColumns": True,
    }
    if height is None:
        options["domLayout"] = "autoHeight"
    if pinned_bottom:
        options["pinnedBottomRowData"] = pinned_bottom
    options.update(grid_options or {})
    return html.Div(
        dag.AgGrid(
            id=id,
            rowData=rows,
            columnDefs=column_defs(columns, links=list(links or {}), highlight=highlight),
            defaultColDef={
                "sortable": True,
                "filter": True,
                "resizable": True,
                "wrapHeaderText": True,
                "autoHeaderHeight": True,
                "minWidth": 90,
                "floatingFilter": False,
            },
            dashGridOptions=options,
            columnSize="responsiveSizeToFit",
            style={"height": f"{height}px", "width": "100%"} if height else {"width": "100%"},
            className="hub-grid",
        ),
        role="region",
        className="grid-region",
        **{"aria-label": label},
    )


def grid_data(
    frame: pd.DataFrame,
    columns: Sequence[tabular.Column],
    *,
    links: Mapping[str, Sequence[str | None]] | None = None,
    highlight: str | None = None,
) -> tuple[list[dict], list[dict]]:
    """``(rowData, columnDefs)`` for a callback that refills a grid made by :func:`grid`."""
    return (
        grid_rows(frame, columns, links=links),
        column_defs(columns, links=list(links or {}), highlight=highlight),
    )


# --------------------------------------------------------------------------- downloads


def download_ids(prefix: str) -> dict[str, str]:
    """Component ids of the download bar ``prefix`` (buttons, status and the two downloads)."""
    return {
        "csv": f"{prefix}-dl-csv",
        "xlsx": f"{prefix}-dl-xlsx",
        "geojson": f"{prefix}-dl-geojson",
        "status": f"{prefix}-dl-status",
        "download": f"{prefix}-download",
        "meta": f"{prefix}-download-meta",
    }


def download_bar(prefix: str, *, what: str, geojson: str | None = None) -> html.Div:
    """ "Download what you see" buttons for one table: CSV, XLSX and optionally GeoJSON.

    ``what`` names the table in the buttons' accessible names ("the Compare table");
    ``geojson`` names the geometry offered as GeoJSON (e.g. "the isochrones"), if any.
    """
    ids = download_ids(prefix)
    buttons = [
        html.Button(
            fmt.upper(),
            id=ids[fmt],
            n_clicks=0,
            type="button",
            className="button",
            **{"aria-label": f"Download {what} as {fmt.upper()}"},
        )
        for fmt in FORMATS
    ]
    if geojson:
        buttons.append(
            html.Button(
                "GeoJSON",
                id=ids["geojson"],
                n_clicks=0,
                type="button",
                className="button",
                **{"aria-label": f"Download {geojson} as GeoJSON"},
            )
        )
    return html.Div(
        [
            html.Span("Download what you see: ", className="control-help"),
            *buttons,
            html.Span(id=ids["status"], role="status", className="control-help"),
            dcc.Download(id=ids["download"]),
            dcc.Download(id=ids["meta"]),
        ],
        className="table-downloads",
    )


def trigger_format(trigger: object) -> str:
    """``csv``, ``xlsx`` or ``geojson`` from the id of the button that was clicked."""
    text = str(trigger or "")
    for fmt in ("xlsx", "geojson", "csv"):
        if text.endswith(f"-dl-{fmt}"):
            return fmt
    raise InputError(f"not a download button: {text!r}")


def columns_from_defs(defs: Sequence[Mapping]) -> list[tabular.Column]:
    """The :class:`~geo.export.tabular.Column` of each grid column (made by :func:`grid`)."""
    out = []
    for spec in defs or []:
        saved = (spec.get("context") or {}).get("column")
        if saved:
            out.append(tabular.Column(**saved))
        else:  # a column defined elsewhere: its header is all we know
            out.append(tabular.Column(str(spec["field"]), str(spec.get("headerName") or "")))
    return out


def _plain(value: object) -> object:
    """A Markdown link cell back to its text."""
    if isinstance(value, str):
        match = _LINK.match(value)
        if match:
            return match["text"].replace("\\[", "[").replace("\\]", "]")
    return value


def shown_frame(
    rows: Sequence[Mapping] | None,
    columns: Sequence[tabular.Column],
    *,
    pinned: Sequence[Mapping] = (),
) -> pd.DataFrame:
    """The grid's rows (and pinned rows, last) as a frame with one column per ``columns``."""
    records = [{c.key: _plain(r.get(c.key)) for c in columns} for r in [*(rows or []), *pinned]]
    return pd.DataFrame(records, columns=[c.key for c in columns])


def filename_stem(*parts: str) -> str:
    """A safe file name stem from ``parts`` (``wigan-compare-children_0_4``)."""
    stem = "-".join(_SAFE.sub("_", p).strip("_") for p in parts if p)
    return stem or "table"


def send_files(files: Mapping[str, bytes]) -> tuple[dict, dict | None]:
    """``dcc.Download`` data for the first file and the sidecar (or ``None``)."""
    items = list(files.items())
    data = dcc.send_bytes(items[0][1], items[0][0])
    side = dcc.send_bytes(items[1][1], items[1][0]) if len(items) > 1 else None
    return data, side


def table_download(
    fmt: str,
    place: Place,
    frame: pd.DataFrame,
    columns: Sequence[tabular.Column],
    *,
    title: str,
    stem: str,
    notes: Sequence[str] = (),
    disclosure: str = "",
) -> tuple[dict, dict | None]:
    """``(data file, metadata sidecar or None)`` of ``frame`` as CSV or XLSX, via the one writer."""
    if fmt not in tabular.TABLE_FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use {', '.join(tabular.TABLE_FORMATS)}")
    meta = tabular.place_meta(place, title, notes=notes, disclosure=disclosure)
    filename = f"{stem}.{fmt}"
    return send_files(tabular.table_bytes(fmt, frame, columns, meta, filename=filename))


def grid_download(
    fmt: str,
    place: Place,
    rows: Sequence[Mapping] | None,
    defs: Sequence[Mapping] | None,
    *,
    title: str,
    stem: str,
    pinned: Sequence[Mapping] = (),
    notes: Sequence[str] = (),
    disclosure: str = "",
) -> tuple[dict, dict | None]:
    """What a grid shows (``virtualRowData`` or ``rowData`` and its ``columnDefs``) as files.

    Raises :class:`~geo.errors.InputError` when the grid is empty (nothing to download).
    """
    columns = columns_from_defs(defs or [])
    if not columns or not (rows or pinned):
        raise InputError("the table is empty: nothing to download yet")
    frame = shown_frame(rows, columns, pinned=pinned)
    n = len(rows or [])
    shown = f"{n:,} row(s) as shown on screen (filter and sort applied)."
    return table_download(
        fmt,
        place,
        frame,
        columns,
        title=title,
        stem=stem,
        notes=(*notes, shown),
        disclosure=disclosure,
    )


def geojson_download(place: Place, data: ExportData, *, stem: str) -> tuple[dict, dict | None]:
    """``data`` (with geometry) as GeoJSON (EPSG:4326, attribution as members) plus its
    ``.attribution.txt`` sidecar, through :func:`geo.export.data.write_export`."""
    with tempfile.TemporaryDirectory(prefix="hubplan-dl-") as tmp:
        paths = write_export(data, Path(tmp) / f"{stem}.geojson", place=place)
        files = {p.name: p.read_bytes() for p in paths}
    return send_files(files)


def grid_download_callback(
    prefix: str,
    grid_id: str,
    describe: Callable[..., Mapping],
    *,
    states: Sequence[tuple[str, str]] = (),
) -> Callable:
    """Register the callback of the download bar ``prefix`` for the grid ``grid_id``.

    ``describe(*values of states)`` returns ``place``, ``title`` and ``stem`` (and optionally
    ``notes`` and ``disclosure``) for the file, or raises :class:`~geo.errors.InputError`
    (shown in the bar's status line). The grid's rows are taken as shown on screen.
    """
    ids = download_ids(prefix)

    @callback(
        Output(ids["download"], "data"),
        Output(ids["meta"], "data"),
        Output(ids["status"], "children"),
        Input(ids["csv"], "n_clicks"),
        Input(ids["xlsx"], "n_clicks"),
        State(grid_id, "virtualRowData"),
        State(grid_id, "rowData"),
        State(grid_id, "columnDefs"),
        *[State(i, p) for i, p in states],
        prevent_initial_call=True,
    )
    def _download(_csv, _xlsx, virtual, rows, defs, *values, trigger=None):
        fmt = trigger_format(trigger or ctx.triggered_id)
        try:
            info = dict(describe(*values))
            data, meta = grid_download(
                fmt,
                info.pop("place"),
                virtual if virtual is not None else rows,
                defs,
                **info,
            )
        except InputError as exc:
            return dash.no_update, dash.no_update, f"No download: {exc}"
        return data, (meta if meta is not None else dash.no_update), f"{fmt.upper()} ready."

    return _download
