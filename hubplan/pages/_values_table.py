"""The accessible "Table of mapped values" under the map, sorted and filtered on the server.

The table is the non-visual alternative to the choropleth, so it covers every small area. A
region has tens of thousands of them; sending them all with the page cost megabytes, so the
grid (dash-ag-grid's infinite row model, ``rowModelType="infinite"``) asks the server for the
block of rows it scrolls to (:data:`BLOCK_SIZE` at a time) in the sort order and with the
filters chosen in its column headers: each ``getRowsRequest`` (``startRow``, ``endRow``,
``sortModel``, ``filterModel``) is answered from the same pandas filtering and sorting
(:func:`rows_block`), and "Download what you see" takes the last request's sort and filter.
"""

from __future__ import annotations

from dataclasses import replace

import dash_ag_grid as dag
import pandas as pd
from dash import html

from geo.export import tabular
from geo.indicators.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from geo.place.model import Place
from hubplan.pages._grid import column_defs
from layers.areas import suppressed_mask
from layers.base import indicator_title

PAGE_SIZE = 50
#: Rows the grid asks for at a time (and the most one request may get).
BLOCK_SIZE = 100
MAX_BLOCK = 500
#: The grid's id is a pattern (one grid per indicator: a new indicator mounts a new grid,
#: which asks for its first block at once).
GRID_TYPE = "home-values-grid"
STATUS_TYPE = "home-values-status"
COLUMNS = ("code", "name", "footprint", "value")


def values_frame(place: Place, indicator: str) -> pd.DataFrame:
    """Every small area with its (disclosure-controlled) value, worst first.

    Columns ``code``, ``name``, ``footprint``, ``value``; suppressed and missing values are NaN
    and sort last. Directional indicators put the worst end first, others the highest.
    """
    ind = place.indicator(indicator)
    areas = place.areas
    vals = areas[indicator].astype(float).mask(suppressed_mask(place, indicator))
    names = areas["name"].astype(str) if "name" in areas else areas.index.to_series().astype(str)
    digits = tabular.indicator_column(ind).places  # as the grid shows it and CSV writes it
    frame = pd.DataFrame(
        {
            "code": areas.index.astype(str),
            "name": names.to_numpy(),
            "footprint": areas["footprint"].astype(str).to_numpy(),
            "value": vals.round(digits).to_numpy(),
        }
    )
    order = (
        frame["value"]
        .sort_values(ascending=ind.higher_is == "better", na_position="last", kind="stable")
        .index
    )
    return frame.loc[order].reset_index(drop=True)


# AG Grid filter types -> our operators (text filters ignore case, as DataTable's did).
_GRID_OPS = {
    "contains": "contains",
    "notContains": "notcontains",
    "equals": "=",
    "notEqual": "!=",
    "startsWith": "startswith",
    "endsWith": "endswith",
    "lessThan": "<",
    "lessThanOrEqual": "<=",
    "greaterThan": ">",
    "greaterThanOrEqual": ">=",
    "blank": "blank",
    "notBlank": "notblank",
}


def filter_terms(model: dict | None) -> tuple[list[tuple[str, str, object]], list[str]]:
    """AG Grid's ``filterModel`` as ``(column, operator, value)`` terms (all must hold).

    Returns the terms understood and descriptions of the parts that were not (shown to the
    user, never raised): an unknown column or filter type, a value that is not a number for
    the value column, or conditions joined by OR.
    """
    terms: list[tuple[str, str, object]] = []
    rejected: list[str] = []
    for col, spec in (model or {}).items():
        if col not in COLUMNS or not isinstance(spec, dict):
            rejected.append(f"{col}: {spec!r}")
            continue
        conditions = spec.get("conditions") if "conditions" in spec else [spec]
        if "conditions" in spec and str(spec.get("operator", "AND")).upper() != "AND":
            rejected.append(f"{col}: conditions joined by {spec.get('operator')}")
            continue
        for cond in conditions or []:
            kind = cond.get("type")
            if kind == "inRange":
                low, high = cond.get("filter"), cond.get("filterTo")
                parts = [(">=", low), ("<=", high)]
            elif kind in _GRID_OPS:
                parts = [(_GRID_OPS[kind], cond.get("filter"))]
            else:
                rejected.append(f"{col}: {kind}")
                continue
            for op, value in parts:
                if op in ("blank", "notblank"):
                    terms.append((col, op, None))
                    continue
                if value is None or value == "":
                    continue  # an empty box filters nothing
                if col == "value" and op not in ("contains", "notcontains"):
                    try:
                        value = float(value)
                    except (TypeError, ValueError):
                        rejected.append(f"{col} {op} {value}")
                        continue
                terms.append((col, op, value))
    return terms, rejected


def sort_spec(model: list[dict] | None) -> list[dict]:
    """AG Grid's ``sortModel`` (``colId``, ``sort``) as :func:`apply_sort` takes it."""
    return [
        {"column_id": s.get("colId"), "direction": s.get("sort") or "asc"}
        for s in (model or [])
        if s.get("colId") in COLUMNS
    ]


def _status(place: Place, matching: int, terms: list, rejected: list[str]) -> str:
    total = len(place.areas)
    status = (
        f"{matching:,} of {total:,} small areas match the filter."
        if terms
        else f"{total:,} small areas."
    )
    if rejected:
        status += " Filter not understood, ignored: " + "; ".join(rejected) + "."
    return status


def rows_block(place: Place, indicator: str, request: dict | None) -> tuple[list[dict], int, str]:
    """Rows ``startRow`` to ``endRow`` of the table for a ``getRowsRequest``.

    Returns ``(rows, number of matching rows, status text)``; rows carry ``None`` for a
    missing or suppressed value. At most :data:`MAX_BLOCK` rows are sent at once.
    """
    request = request or {}
    terms, rejected = filter_terms(request.get("filterModel"))
    frame = apply_sort(
        apply_filter(values_frame(place, indicator), terms), sort_spec(request.get("sortModel"))
    )
    start = max(int(request.get("startRow") or 0), 0)
    end = int(request.get("endRow") or start + BLOCK_SIZE)
    end = min(max(end, start), start + MAX_BLOCK)
    chunk = frame.iloc[start:end]
    rows = [
        {**r, "value": None if pd.isna(r["value"]) else float(r["value"])}
        for r in chunk.to_dict("records")
    ]
    return rows, len(frame), _status(place, len(frame), terms, rejected)


def apply_filter(frame: pd.DataFrame, terms: list[tuple[str, str, object]]) -> pd.DataFrame:
    """Rows of ``frame`` meeting every term; text matches ignore case."""
    keep = pd.Series(True, index=frame.index)
    for col, op, value in terms:
        series = frame[col]
        if op in ("blank", "notblank"):
            empty = series.isna() | (series.astype(str).str.strip() == "")
            hit = empty if op == "blank" else ~empty
        elif op in ("contains", "notcontains", "startswith", "endswith") or col != "value":
            text, needle = series.astype(str).str.casefold(), str(value).casefold()
            hit = {
                "contains": text.str.contains(needle, regex=False),
                "notcontains": ~text.str.contains(needle, regex=False),
                "startswith": text.str.startswith(needle),
                "endswith": text.str.endswith(needle),
                "=": text == needle,
                "!=": text != needle,
            }.get(op)
            if hit is None:  # < > on text: compare as text
                hit = {
                    "<": text < needle,
                    "<=": text <= needle,
                    ">": text > needle,
                    ">=": text >= needle,
                }.get(op, text.str.startswith(needle))
        else:
            hit = {
                "=": series == value,
                "!=": series != value,
                "<": series < value,
                "<=": series <= value,
                ">": series > value,
                ">=": series >= value,
            }[op]
            hit &= series.notna()  # a missing value matches no comparison
        keep &= hit.fillna(False).astype(bool)
    return frame[keep]


def apply_sort(frame: pd.DataFrame, sort_by: list[dict] | None) -> pd.DataFrame:
    """``frame`` in the order of ``sort_by`` (``column_id``, ``direction``; from
    :func:`sort_spec`), missing values last; unchanged if none."""
    cols = [s for s in (sort_by or []) if s.get("column_id") in COLUMNS]
    if not cols:
        return frame
    return frame.sort_values(
        [s["column_id"] for s in cols],
        ascending=[s.get("direction") != "desc" for s in cols],
        na_position="last",
        kind="stable",
    )


def download_frame(
    place: Place, indicator: str, *, request: dict | None = None
) -> tuple[pd.DataFrame, str]:
    """What the table shows, every row: ``(frame, note)`` for "Download what you see".

    Rows match the grid's filter (``request["filterModel"]``) in its sort order
    (``request["sortModel"]``); the value column is named by the indicator key and suppressed
    cells hold ``*`` (missing ones are empty). The note says which filter and sort were applied.
    """
    ind = place.indicator(indicator)
    request = request or {}
    terms, _rejected = filter_terms(request.get("filterModel"))
    sorts = sort_spec(request.get("sortModel"))
    frame = apply_sort(apply_filter(values_frame(place, indicator), terms), sorts)
    hidden = pd.Series(suppressed_mask(place, indicator), index=place.areas.index.astype(str))
    values = frame["value"].astype(object).where(frame["value"].notna(), None)
    values[hidden.reindex(frame["code"]).fillna(False).to_numpy(dtype=bool)] = SUPPRESSED
    out = frame.drop(columns="value").assign(**{ind.key: values.to_numpy()})
    parts = [f"{len(out):,} of {len(place.areas):,} small areas as shown in the map's table"]
    if terms:
        parts.append(
            "filter: " + "; ".join(f"{c} {o}" + ("" if v is None else f" {v}") for c, o, v in terms)
        )
    if sorts:
        parts.append(
            "sorted by " + ", ".join(f"{s['column_id']} ({s['direction']})" for s in sorts)
        )
    return out.reset_index(drop=True), "; ".join(parts) + "."


def grid_columns(place: Place, indicator: str) -> list[tabular.Column]:
    """The table's columns: area code and name, footprint and the indicator (with its unit)."""
    return [
        tabular.Column("code", "Area code"),
        tabular.Column("name", "Area name"),
        tabular.Column("footprint", place.footprint_label),
        replace(tabular.indicator_column(place.indicator(indicator)), key="value"),
    ]


def grid_id(indicator: str) -> dict:
    """The values grid's id for ``indicator`` (see :data:`GRID_TYPE`)."""
    return {"type": GRID_TYPE, "indicator": indicator}


def values_table(place: Place, indicator: str) -> list:
    """Caption, status line and the (server-side) grid for ``indicator``."""
    ind = place.indicator(indicator)
    sort_note = {"worse": "worst (highest) first", "better": "worst (lowest) first"}.get(
        ind.higher_is or "", "highest first"
    )
    suppressed = bool(suppressed_mask(place, indicator).any())
    defs = column_defs(grid_columns(place, indicator))
    text_filter = {
        "filterOptions": ["contains", "equals", "notEqual", "startsWith", "endsWith"],
        "maxNumConditions": 1,
    }
    number_filter = {
        "filterOptions": [
            "greaterThan",
            "greaterThanOrEqual",
            "lessThan",
            "lessThanOrEqual",
            "equals",
            "notEqual",
            "inRange",
            "blank",
            "notBlank",
        ],
        "maxNumConditions": 1,
    }
    for spec in defs:
        spec.pop("comparator", None)  # sorted on the server
        spec["filterParams"] = number_filter if spec["field"] == "value" else text_filter
    return [
        html.P(
            f"{indicator_title(ind)} by small area, {sort_note}. Empty cells have no data"
            + (
                f" or are suppressed (disclosure control: fewer than {DEFAULT_THRESHOLD})"
                if suppressed
                else ""
            )
            + ". Sort by a column heading (click, or Enter when it has focus); filter with the "
            "boxes under the headings (text, or a number for the value: the filter menu beside "
            "it chooses greater than, less than, ...). Rows load as you scroll.",
            id="home-values-caption",
            className="control-help",
        ),
        html.P(
            f"{len(place.areas):,} small areas.",
            id={"type": STATUS_TYPE, "indicator": indicator},
            className="control-help values-status",
            **{"aria-live": "polite"},
        ),
        html.Div(
            dag.AgGrid(
                id=grid_id(indicator),
                rowModelType="infinite",
                columnDefs=defs,
                defaultColDef={
                    "sortable": True,
                    "filter": True,
                    "resizable": True,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                    "minWidth": 90,
                    "floatingFilter": True,  # a filter box under each heading
                },
                dashGridOptions={
                    "cacheBlockSize": BLOCK_SIZE,
                    "maxBlocksInCache": 20,
                    "infiniteInitialRowCount": PAGE_SIZE,
                    "ensureDomOrder": True,
                    "enableCellTextSelection": True,
                    "suppressMovableColumns": True,
                },
                columnSize="responsiveSizeToFit",
                style={"height": "420px", "width": "100%"},
                className="hub-grid",
            ),
            role="region",
            className="grid-region",
            **{"aria-label": f"Table of mapped values: {ind.label} by small area"},
        ),
    ]
