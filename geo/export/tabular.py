"""One writer for every table a partner receives: CSV (RFC 4180) and XLSX.

Every table is written the same way, whichever command or page asks for it:

* **CSV** is plain RFC 4180: the header on row 1, CRLF line ends, UTF-8 with a byte-order
  mark (so Excel shows ``©`` and ``é``), no comment lines. Headers are labels with their
  units (``Children aged 0-4 (children)``) or, with ``keys=True``, the stable column keys.
  Counts are whole numbers; other values are rounded to the precision their unit states
  (:func:`unit_decimals`). Suppressed cells hold ``*``; missing cells are empty.
* The metadata (title, sources, licences, periods, units, the disclosure note, the date and,
  for the demo, "synthetic demo data") goes in a sidecar ``<file>-metadata.json`` following
  the CSV on the Web convention (W3C CSVW, ``@context`` ``http://www.w3.org/ns/csvw``).
* **XLSX** holds a formatted ``Data`` sheet (number formats, bold frozen header, column
  widths) and an ``About`` sheet with the same metadata, written with openpyxl.
* Nothing can carry a formula: text cells and headers starting ``= + - @`` (or tab/CR) are
  prefixed with ``'`` (:func:`geo.tables.escape_formula`), and every XLSX text cell is
  stored as a string.

Files are written atomically (:func:`geo.place.bundle.atomic_write`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place.bundle import atomic_write
from geo.place.config import Indicator
from geo.place.model import SYNTHETIC_LABEL, Place
from geo.tables import escape_formula

#: Table formats the writer offers wherever CSV is offered.
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx")
#: Suffix of the CSV on the Web metadata sidecar (``areas.csv`` -> ``areas.csv-metadata.json``).
METADATA_SUFFIX = "-metadata.json"
#: Marker of a cell withheld by disclosure control.
SUPPRESSED = "*"
#: Column kinds: whole counts, measured numbers, yes/no and text.
KINDS = ("count", "number", "boolean", "text")

OGL = (
    "Open Government Licence v3.0",
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
)
ODBL = ("Open Database Licence (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/")
_LICENCE_PATTERNS = (
    (re.compile(r"open government licen[cs]e|\bOGL\b", re.IGNORECASE), OGL),
    (re.compile(r"open database licen[cs]e|\bODbL\b|openstreetmap", re.IGNORECASE), ODBL),
)

#: Decimal places for values of a unit (matched on the lower-cased unit; ``per ...`` rates
#: and percentages to one decimal). Units not listed get :data:`DEFAULT_DECIMALS`.
UNIT_DECIMALS: dict[str, int] = {
    "%": 1,
    "percent": 1,
    "proportion": 3,
    "score": 2,
    "decile": 1,
    "rank": 0,
    "minutes": 1,
    "km": 2,
    "km²": 3,
    "m": 0,
    "metres": 0,
    "degrees": 6,
}
DEFAULT_DECIMALS = 2

_ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def unit_decimals(unit: str) -> int:
    """Decimal places the unit ``unit`` states (``per 1,000 ...`` and ``%``: 1)."""
    text = unit.strip().lower()
    if text.startswith("per "):
        return 1
    if text in UNIT_DECIMALS:
        return UNIT_DECIMALS[text]
    first = text.split(" ")[0] if text else ""
    return UNIT_DECIMALS.get(first, DEFAULT_DECIMALS)


@dataclass(frozen=True)
class Column:
    """One column of a table for partners.

    Attributes
    ----------
    key
        Stable machine key (the header with ``keys=True``).
    label
        Human label without the unit.
    unit
        Unit as people read it (``children``, ``%``, ``per 1,000 aged 0-4``); may be empty.
    kind
        One of :data:`KINDS`; counts are written as whole numbers.
    decimals
        Decimal places for ``number`` columns (``None``: from the unit).
    description
        Longer text for the metadata (source, sensitivity, ...).
    period
        The period the values refer to (an indicator's vintage), if known.
    """

    key: str
    label: str
    unit: str = ""
    kind: str = "text"
    decimals: int | None = None
    description: str = ""
    period: str = ""

    @property
    def header(self) -> str:
        """The label with its unit in brackets, as a spreadsheet heading."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def places(self) -> int:
        """Decimal places written: 0 for counts, else ``decimals`` or the unit's."""
        if self.kind == "count":
            return 0
        return self.decimals if self.decimals is not None else unit_decimals(self.unit)


@dataclass(frozen=True)
class TableMeta:
    """What travels with a table: title, sources, licences, notes, date and demo label."""

    title: str
    place: str = ""
    attributions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    disclosure: str = ""
    synthetic: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def licences(self) -> list[tuple[str, str]]:
        """``(name, url)`` of every licence named by the attributions, in a stable order."""
        found = []
        for pattern, licence in _LICENCE_PATTERNS:
            if any(pattern.search(text) for text in self.attributions) and licence not in found:
                found.append(licence)
        return found

    def lines(self) -> list[str]:
        """The metadata as plain sentences (About sheet, sidecar comments)."""
        out = [self.title]
        named = any(SYNTHETIC_LABEL in text.lower() for text in self.attributions)
        if self.synthetic and not named:
            out.append(f"Demo place: {SYNTHETIC_LABEL}; not real places or people.")
        out.append(f"Exported {self.created:%Y-%m-%d %H:%M} UTC by hubplan.")
        out += list(self.attributions)
        out += [f"Licence: {name} ({url})" for name, url in self.licences]
        if self.disclosure:
            out.append(self.disclosure)
        out += list(self.notes)
        return out


def place_meta(
    place: Place,
    title: str,
    *,
    notes: Sequence[str] = (),
    disclosure: str = "",
    created: datetime | None = None,
) -> TableMeta:
    """The :class:`TableMeta` of a table about ``place`` (its attributions, demo label)."""
    lines = [line for line in place.attribution_text().splitlines() if line.strip()]
    return TableMeta(
        title=title,
        place=place.name,
        attributions=tuple(lines),
        notes=tuple(str(n) for n in notes if n and str(n) != disclosure),
        disclosure=disclosure,
        synthetic=bool(place.synthetic),
        created=created or datetime.now(UTC),
    )


# --------------------------------------------------------------------------- columns


def indicator_column(ind: Indicator) -> Column:
    """The :class:`Column` of a catalogue indicator (counts whole, others by unit)."""
    parts = [ind.description] if ind.description else []
    if ind.source:
        parts.append(f"Source: {ind.source}.")
    if ind.sensitive:
        parts.append("Sensitive: small counts are suppressed ('*').")
    return Column(
        key=ind.key,
        label=ind.label,
        unit=ind.unit,
        kind="count" if ind.kind == "count" else "number",
        description=" ".join(parts),
        period=ind.vintage,
    )


_LABEL_UNIT = re.compile(r"^(?P<label>.*?)(?: \[(?P<unit>[^\]]+)\](?P<rest> \(.*\))?)?$")


def _infer_kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values.dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "count"
    if pd.api.types.is_float_dtype(values.dtype):
        return "number"
    present = values.dropna()
    present = present[present.map(lambda v: not (isinstance(v, str) and v == SUPPRESSED))]
    if len(present) and present.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return "boolean"
    if len(present) and present.map(lambda v: isinstance(v, (int, np.integer))).all():
        return "count"
    if (
        len(present)
        and present.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))).all()
    ):
        return "number"
    return "text"


def columns_for(
    frame: pd.DataFrame,
    *,
    catalogue: Mapping[str, Indicator] | None = None,
    labels: Mapping[str, str] | None = None,
    overrides: Mapping[str, Column] | None = None,
) -> list[Column]:
    """A :class:`Column` for every column of ``frame``.

    Catalogue indicators use their label, unit and kind; ``labels`` gives other columns a
    label written ``"Label [unit] (notes)"``; anything else keeps its key as the label and
    gets its kind from the values. ``overrides`` wins over everything.
    """
    catalogue = catalogue or {}
    labels = labels or {}
    overrides = overrides or {}
    out = []
    for key in map(str, frame.columns):
        if key in overrides:
            out.append(overrides[key])
            continue
        if key in catalogue:
            out.append(indicator_column(catalogue[key]))
            continue
        kind = _infer_kind(frame[key])
        if key in ("lon", "lat"):
            label = {"lon": "Longitude", "lat": "Latitude"}[key]
            out.append(Column(key, label, "degrees", "number", 6, "WGS 84 (EPSG:4326)"))
        elif key in labels:
            match = _LABEL_UNIT.match(labels[key])
            assert match is not None  # the pattern matches any text
            rest = (match["rest"] or "").strip(" ()")
            out.append(
                Column(key, match["label"] or key, match["unit"] or "", kind, description=rest)
            )
        elif key.startswith("sites_"):
            kind_name = key[len("sites_") :].replace("_", " ")
            out.append(Column(key, f"Sites: {kind_name}", "sites", "count"))
        else:
            out.append(Column(key, key, kind=kind))
    return out


# --------------------------------------------------------------------------- values


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and not math.isfinite(float(value))


def _cell(value: object, column: Column) -> object:
    """A tidy Python value for one cell: int, float (rounded), bool, str or None."""
    if _is_missing(value):
        return None
    if isinstance(value, str):
        if column.kind in ("count", "number") and value != SUPPRESSED:
            try:
                value = float(value.replace(",", ""))
            except ValueError:
                return escape_formula(value)
        else:
            return escape_formula(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if column.kind == "count":
            return round(number)
        if column.kind == "number":
            return round(number, column.places)
        if column.kind == "boolean":
            return bool(number)
        return int(number) if number.is_integer() else number
    return escape_formula(str(value))


def _text(value: object, column: Column) -> str:
    """``value`` (from :func:`_cell`) as CSV text: fixed decimals, ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{column.places}f}" if column.kind == "number" else repr(value)
    return str(value)


def tidy_rows(frame: pd.DataFrame, columns: Sequence[Column]) -> list[list[object]]:
    """Rows of Python values: counts whole, numbers rounded, text escaped, missing ``None``."""
    keys = [c.key for c in columns]
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise InputError(f"table has no column(s) {', '.join(missing)}")
    data = frame[keys]
    return [
        [_cell(v, col) for v, col in zip(row, columns, strict=True)]
        for row in data.itertuples(index=False, name=None)
    ]


def headers(columns: Sequence[Column], *, keys: bool = False) -> list[str]:
    """Escaped headings: labels with units, or the stable keys."""
    names = [c.key if keys else c.header for c in columns]
    return [str(escape_formula(n)) for n in names]


# --------------------------------------------------------------------------- CSV


def csv_text(frame: pd.DataFrame, columns: Sequence[Column], *, keys: bool = False) -> str:
    """RFC 4180 text (CRLF, header on row 1, no BOM; see :func:`csv_bytes`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(headers(columns, keys=keys))
    for row in tidy_rows(frame, columns):
        writer.writerow([_text(v, c) for v, c in zip(row, columns, strict=True)])
    return buf.getvalue()


def csv_bytes(frame: pd.DataFrame, columns: Sequence[Column], *, keys: bool = False) -> bytes:
    """The CSV as UTF-8 with a byte-order mark, ready to save or send."""
    return csv_text(frame, columns, keys=keys).encode("utf-8-sig")


def metadata_path(path: str | Path) -> Path:
    """``areas.csv`` -> ``areas.csv-metadata.json`` (CSVW's sidecar name)."""
    path = Path(path)
    return path.with_name(path.name + METADATA_SUFFIX)


def _datatype(column: Column) -> dict | str:
    if column.kind == "count":
        return "integer"
    if column.kind == "number":
        return "decimal"
    if column.kind == "boolean":
        return {"base": "boolean", "format": "true|false"}
    return "string"


def csvw_metadata(
    url: str, columns: Sequence[Column], meta: TableMeta, *, keys: bool = False
) -> dict:
    """The CSV on the Web metadata document describing the CSV at ``url``."""
    titles = headers(columns, keys=keys)
    schema_columns = []
    for column, title in zip(columns, titles, strict=True):
        entry: dict[str, object] = {
            "name": re.sub(r"[^A-Za-z0-9_]", "_", column.key) or "column",
            "titles": title,
            "dc:title": column.label,
            "datatype": _datatype(column),
            "null": ["", SUPPRESSED],
        }
        if column.unit:
            entry["unit"] = column.unit
        if column.kind == "number":
            entry["decimals"] = column.places
        if column.description:
            entry["dc:description"] = column.description
        if column.period:
            entry["dc:temporal"] = column.period
        schema_columns.append(entry)
    doc: dict[str, object] = {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": url,
        "dc:title": meta.title,
        "dc:created": meta.created.isoformat(timespec="seconds"),
        "dc:publisher": "hubplan",
        "dc:source": list(meta.attributions),
        "dc:license": [{"name": n, "url": u} for n, u in meta.licences],
        "rdfs:comment": meta.lines()[1:],
        "synthetic": meta.synthetic,
        "dialect": {
            "encoding": "utf-8",
            "header": True,
            "headerRowCount": 1,
            "lineTerminators": ["\r\n"],
            "delimiter": ",",
            "doubleQuote": True,
        },
        "tableSchema": {"columns": schema_columns},
    }
    if meta.place:
        doc["dc:spatial"] = meta.place
    if meta.synthetic:
        doc["dc:description"] = f"{SYNTHETIC_LABEL.capitalize()}: not real places or people."
    if meta.disclosure:
        doc["disclosure"] = meta.disclosure
    periods = {c.key: c.period for c in columns if c.period}
    if periods:
        doc["periods"] = periods
    return doc


def metadata_json(
    url: str, columns: Sequence[Column], meta: TableMeta, *, keys: bool = False
) -> str:
    """:func:`csvw_metadata` as indented JSON text."""
    doc = csvw_metadata(url, columns, meta, keys=keys)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- XLSX


def _number_format(column: Column) -> str:
    if column.kind == "count":
        return "#,##0"
    if column.kind == "number":
        places = column.places
        return "#,##0" + ("." + "0" * places if places else "")
    return "General"


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        return _ILLEGAL_XLSX.sub("", value)
    return value


def xlsx_bytes(
    frame: pd.DataFrame, columns: Sequence[Column], meta: TableMeta, *, keys: bool = False
) -> bytes:
    """A workbook: a formatted ``Data`` sheet and an ``About`` sheet with the metadata."""
    # openpyxl ships no inline types and types-openpyxl is not installed: Any to mypy.
    from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]  # no stubs
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]  # no stubs

    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    titles = headers(columns, keys=keys)
    sheet.append([_xlsx_value(t) for t in titles])
    rows = tidy_rows(frame, columns)
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = _number_format(column)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            elif cell.value == SUPPRESSED:
                cell.alignment = Alignment(horizontal="right")
        widest = max([len(_text(r[index - 1], column)) for r in rows] or [0])
        header_width = min(len(titles[index - 1]), 40)
        sheet.column_dimensions[letter].width = max(8, min(50, max(widest, header_width) + 2))
    if rows:
        sheet.auto_filter.ref = sheet.dimensions

    about = book.create_sheet("About")
    about.append(["About this table"])
    about["A1"].font = Font(bold=True, size=14)
    entries: list[tuple[str, str]] = [("Title", meta.title)]
    if meta.place:
        entries.append(("Place", meta.place))
    if meta.synthetic:
        entries.append(("Data", f"{SYNTHETIC_LABEL.capitalize()}: not real places or people."))
    entries.append(("Exported", f"{meta.created:%Y-%m-%d %H:%M} UTC by hubplan"))
    entries += [("Source", text) for text in meta.attributions]
    entries += [("Licence", f"{name}: {url}") for name, url in meta.licences]
    if meta.disclosure:
        entries.append(("Disclosure control", meta.disclosure))
    entries.append(("Suppressed cells", f"shown as '{SUPPRESSED}'"))
    entries += [("Note", note) for note in meta.notes]
    for name, text in entries:
        about.append([name, _xlsx_value(escape_formula(text))])
    about.append([])
    about.append(["Column", "Heading", "Unit", "Decimals", "Period", "Description"])
    for cell in about[about.max_row]:
        cell.font = bold
    for column in columns:
        about.append(
            [
                _xlsx_value(escape_formula(column.key)),
                _xlsx_value(escape_formula(column.header)),
                _xlsx_value(escape_formula(column.unit)),
                column.places if column.kind in ("count", "number") else None,
                _xlsx_value(escape_formula(column.period)),
                _xlsx_value(escape_formula(column.description)),
            ]
        )
    for cell in about["A"]:
        cell.font = bold
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    for letter in "CDEF":
        about.column_dimensions[letter].width = 18
    for row in about.iter_rows(min_row=2, max_col=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    book.properties.title = meta.title[:250]
    book.properties.creator = "hubplan"
    # Belt and braces: no cell of either sheet may be stored as a formula.
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.value = "'" + str(cell.value)
                    cell.data_type = "s"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- files


def table_format(path: str | Path) -> str:
    """``csv`` or ``xlsx`` from the file's extension, or raise naming it."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in TABLE_FORMATS:
        raise InputError(
            f"unsupported extension {Path(path).suffix or '(none)'!r}; use "
            + ", ".join(f".{f}" for f in TABLE_FORMATS),
            path=Path(path),
        )
    return suffix


def write_table(
    path: str | Path,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    meta: TableMeta,
    *,
    keys: bool = False,
) -> list[Path]:
    """Write ``frame`` to ``path`` (``.csv`` plus its metadata sidecar, or ``.xlsx``).

    Returns the paths written, data file first. Atomic: on error no file is changed.
    """
    path = Path(path)
    fmt = table_format(path)
    if fmt == "xlsx":
        data = xlsx_bytes(frame, columns, meta, keys=keys)
        atomic_write(path, lambda tmp: tmp.write_bytes(data), suffix=".xlsx")
        return [path.resolve()]
    body = csv_bytes(frame, columns, keys=keys)
    sidecar = metadata_path(path)
    doc = metadata_json(path.name, columns, meta, keys=keys)
    # Both are rendered before anything is written; the sidecar follows the data file.
    atomic_write(path, lambda tmp: tmp.write_bytes(body), suffix=".csv")
    atomic_write(sidecar, lambda tmp: tmp.write_text(doc, encoding="utf-8"), suffix=".json")
    return [path.resolve(), sidecar.resolve()]


def table_bytes(
    fmt: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    meta: TableMeta,
    *,
    filename: str,
    keys: bool = False,
) -> dict[str, bytes]:
    """Files for a download: ``{name: bytes}`` (CSV and its sidecar, or one XLSX)."""
    if fmt not in TABLE_FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use {', '.join(TABLE_FORMATS)}")
    if fmt == "xlsx":
        return {filename: xlsx_bytes(frame, columns, meta, keys=keys)}
    return {
        filename: csv_bytes(frame, columns, keys=keys),
        filename + METADATA_SUFFIX: metadata_json(filename, columns, meta, keys=keys).encode(
            "utf-8"
        ),
    }


def with_label(columns: Sequence[Column], key: str, **changes: Any) -> list[Column]:
    """``columns`` with the column ``key`` changed (label, unit, kind, ...)."""
    return [replace(c, **changes) if c.key == key else c for c in columns]
