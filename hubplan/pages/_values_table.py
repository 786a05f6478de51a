"""The accessible "Table of mapped values" under the map, paged, sorted and filtered on the server.

The table is the non-visual alternative to the choropleth, so it covers every small area. A
region has tens of thousands of them; sending them all with the page cost megabytes, so the
browser gets one page (:data:`PAGE_SIZE` rows) at a time and asks the server for other pages,
another sort order or a filter (Dash DataTable ``page_action="custom"``).
"""

from __future__ import annotations

import math
import re

import pandas as pd
from dash import dash_table, html

from geo.indicators.disclosure import DEFAULT_THRESHOLD, SUPPRESSED
from geo.place.model import Place
from layers.areas import suppressed_mask
from layers.base import indicator_title

PAGE_SIZE = 50
TABLE_ID = "home-values-datatable"
COLUMNS = ("code", "name", "footprint", "value")

# One filter term as DataTable writes it: ``{column} operator value``. Text filters arrive as
# ``icontains`` (filter_options case insensitive), numbers as ``=``/``<``/``>=`` ... or words.
_TERM = re.compile(
    r"^\s*\{(?P<col>[^}]+)\}\s+(?P<op>[si]?(?:contains|eq|ne|lt|le|gt|ge)|datestartswith"
    r"|>=|<=|!=|=|<|>)\s+(?P<value>.+?)\s*$"
)
_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def values_frame(place: Place, indicator: str) -> pd.DataFrame:
    """Every small area with its (disclosure-controlled) value, worst first.

    Columns ``code``, ``name``, ``footprint``, ``value``; suppressed and missing values are NaN
    and sort last. Directional indicators put the worst end first, others the highest.
    """
    ind = place.indicator(indicator)
    areas = place.areas
    vals = areas[indicator].astype(float).mask(suppressed_mask(place, indicator))
    names = areas["name"].astype(str) if "name" in areas else areas.index.to_series().astype(str)
    digits = 0 if ind.kind == "count" else 3
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


def parse_filter(query: str | None) -> tuple[list[tuple[str, str, object]], list[str]]:
    """Split a DataTable ``filter_query`` into ``(column, operator, value)`` terms.

    Returns the terms understood and the parts that were not (shown to the user, never raised).
    """
    terms: list[tuple[str, str, object]] = []
    rejected: list[str] = []
    for part in (query or "").split(" && "):
        if not part.strip():
            continue
        m = _TERM.match(part)
        if not m or m.group("col") not in COLUMNS:
            rejected.append(part.strip())
            continue
        op = re.sub(r"^[si](?=contains|eq|ne|lt|le|gt|ge)", "", m.group("op"))
        op = _OPS.get(op, op)
        raw = m.group("value")
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'`":
            value: object = raw[1:-1].replace("\\" + raw[0], raw[0])
        else:
            value = raw
        if m.group("col") == "value" and op != "contains":
            try:
                value = float(value)
            except ValueError:
                rejected.append(part.strip())
                continue
        terms.append((m.group("col"), op, value))
    return terms, rejected


def apply_filter(frame: pd.DataFrame, terms: list[tuple[str, str, object]]) -> pd.DataFrame:
    """Rows of ``frame`` meeting every term; text matches ignore case."""
    keep = pd.Series(True, index=frame.index)
    for col, op, value in terms:
        series = frame[col]
        if op == "contains" or col != "value":
            text, needle = series.astype(str).str.casefold(), str(value).casefold()
            hit = {
                "contains": text.str.contains(needle, regex=False),
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
    """``frame`` in the order of DataTable ``sort_by`` (missing values last); unchanged if none."""
    cols = [s for s in (sort_by or []) if s.get("column_id") in COLUMNS]
    if not cols:
        return frame
    return frame.sort_values(
        [s["column_id"] for s in cols],
        ascending=[s.get("direction") != "desc" for s in cols],
        na_position="last",
        kind="stable",
    )


def table_page(
    place: Place,
    indicator: str,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    sort_by: list[dict] | None = None,
    filter_query: str | None = None,
) -> tuple[list[dict], int, str]:
    """One page of the table: ``(rows, page count, status text)``.

    A page past the end returns the last page; rows carry ``None`` for a missing value.
    """
    terms, rejected = parse_filter(filter_query)
    frame = apply_sort(apply_filter(values_frame(place, indicator), terms), sort_by)
    size = max(1, min(int(page_size or PAGE_SIZE), 500))
    pages = max(1, math.ceil(len(frame) / size))
    page = min(max(int(page or 0), 0), pages - 1)
    chunk = frame.iloc[page * size : (page + 1) * size]
    rows = [
        {**r, "value": None if pd.isna(r["value"]) else float(r["value"])}
        for r in chunk.to_dict("records")
    ]
    total = len(place.areas)
    status = (
        f"{len(frame):,} of {total:,} small areas match the filter."
        if terms
        else f"{total:,} small areas."
    )
    if len(frame) > size:
        status += f" Page {page + 1} of {pages}."
    if rejected:
        status += " Filter not understood, ignored: " + "; ".join(rejected) + "."
    return rows, pages, status


def download_frame(
    place: Place,
    indicator: str,
    *,
    sort_by: list[dict] | None = None,
    filter_query: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """What the table shows, every page: ``(frame, note)`` for "Download what you see".

    Rows match the table's filter in its sort order; the value column is named by the
    indicator key and suppressed cells hold ``*`` (missing ones are empty). The note says
    which filter and sort were applied.
    """
    ind = place.indicator(indicator)
    terms, _rejected = parse_filter(filter_query)
    frame = apply_sort(apply_filter(values_frame(place, indicator), terms), sort_by)
    hidden = pd.Series(suppressed_mask(place, indicator), index=place.areas.index.astype(str))
    values = frame["value"].astype(object).where(frame["value"].notna(), None)
    values[hidden.reindex(frame["code"]).fillna(False).to_numpy(dtype=bool)] = SUPPRESSED
    out = frame.drop(columns="value").assign(**{ind.key: values.to_numpy()})
    parts = [f"{len(out):,} of {len(place.areas):,} small areas as shown in the map's table"]
    if terms:
        parts.append("filter: " + "; ".join(f"{c} {o} {v}" for c, o, v in terms))
    sorts = [s for s in (sort_by or []) if s.get("column_id") in COLUMNS]
    if sorts:
        parts.append(
            "sorted by "
            + ", ".join(f"{s['column_id']} ({s.get('direction', 'asc')})" for s in sorts)
        )
    return out.reset_index(drop=True), "; ".join(parts) + "."


def values_table(place: Place, indicator: str) -> list:
    """Caption, status line and the first page of the table for ``indicator``."""
    ind = place.indicator(indicator)
    rows, pages, status = table_page(place, indicator)
    sort_note = {"worse": "worst (highest) first", "better": "worst (lowest) first"}.get(
        ind.higher_is or "", "highest first"
    )
    suppressed = bool(suppressed_mask(place, indicator).any())
    return [
        html.P(
            f"{indicator_title(ind)} by small area, {sort_note}. Empty cells have no data"
            + (
                f" or are suppressed (disclosure control: fewer than {DEFAULT_THRESHOLD})"
                if suppressed
                else ""
            )
            + ". Sort by a column heading; filter with the boxes under the headings "
            "(text, or a comparison such as > 30 for the value).",
            id="home-values-caption",
            className="control-help",
        ),
        html.P(
            status, id="home-values-status", className="control-help", **{"aria-live": "polite"}
        ),
        dash_table.DataTable(
            id=TABLE_ID,
            columns=[
                {"name": "Area code", "id": "code"},
                {"name": "Area name", "id": "name"},
                {"name": place.footprint_label, "id": "footprint"},
                {"name": indicator_title(ind), "id": "value", "type": "numeric"},
            ],
            data=rows,
            page_action="custom",
            page_current=0,
            page_size=PAGE_SIZE,
            page_count=pages,
            sort_action="custom",
            sort_mode="single",
            sort_by=[],
            filter_action="custom",
            filter_query="",
            filter_options={"case": "insensitive"},
            style_table={"maxHeight": "420px", "overflowY": "auto"},
            style_cell={
                "fontFamily": "inherit",
                "fontSize": "14px",
                "color": "#1a1a1a",
                "padding": "4px 8px",
                "textAlign": "left",
            },
            style_cell_conditional=[{"if": {"column_id": "value"}, "textAlign": "right"}],
            style_header={"fontWeight": "600", "backgroundColor": "#f0f0f0"},
            fixed_rows={"headers": True},
        ),
    ]
