"""Reading tables and geo files with errors that name the file and column."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError, InputError

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
MAX_ABS_VALUE = 1e15


@dataclass(frozen=True)
class TableFormat:
    """How a delimited text table is laid out; ``None`` means detect it from the file.

    Attributes
    ----------
    delimiter
        ``","``, ``";"``, ``"\\t"`` or ``"|"``.
    decimal
        ``"."`` or ``","`` (``"79,5"`` is 79.5 with ``decimal = ","``).
    header_row
        1-based row number of the header (rows above it are titles and notes). Rows are
        counted as a spreadsheet shows them: blank rows count, a quoted cell with line breaks
        does not start a new row.
    """

    delimiter: str | None = None
    decimal: str | None = None
    header_row: int | None = None


def _exists(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", path=path)
    return path


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    dtype_str: Iterable[str] = (),
    table_format: TableFormat | None = None,
) -> pd.DataFrame:
    """Read a delimited text (any common encoding, BOM tolerated) or XLSX table.

    The one table reader of the build, uploads and CLI inputs; the same rules everywhere:

    * **Delimiter** ``,``, ``;``, tab or ``|``: ``table_format.delimiter`` or detected (the
      one that splits every row into the same number of fields).
    * **Decimal mark**: ``table_format.decimal`` or detected: with a ``,`` delimiter it is
      ``.``; otherwise ``,`` when the numbers are written ``79,5``. When it cannot be told
      (only values such as ``1,056`` in a ``;`` file) the file is refused with a line
      asking for ``decimal = "."`` or ``decimal = ","``; it is never guessed silently.
    * **Title rows** above the header: skipped up to ``table_format.header_row`` (1-based
      row of the header, as a spreadsheet numbers rows) or detected as the first row nearly as
      wide as the widest (at least 80% of its cells filled).
    * **Column names**: spaces, line breaks and a BOM are tidied (``"Number of children
      \\nFYE 2025"`` is ``"Number of children FYE 2025"``). A name used twice is stored as
      ``"Area Code[1]"``, ``"Area Code[2]"`` (by position, left to right); asking for the bare
      name is an error naming it (see :func:`require_columns`).
    * Blank rows are skipped; trailing empty fields (rows ending in ``,``) are ignored.
    * Numbers: columns whose every value is a plain number are numeric; thousands separators
      and ``%`` signs are read by :func:`numeric_column`.

    Parameters
    ----------
    path
        File to read. ``.xlsx`` is read with openpyxl; anything else as delimited text.
    sheet
        Worksheet name for XLSX files (the first sheet when absent).
    dtype_str
        Columns kept as text (codes, postcodes, ids), so leading zeros survive.
    table_format
        Delimiter, decimal mark and header row; ``None`` fields are detected.
    """
    path = _exists(path)
    fmt = table_format or TableFormat()
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".gpkg", ".shp", ".fgb"):
        return pd.DataFrame(read_geo(path).drop(columns="geometry"))
    if suffix in (".xlsx", ".xlsm"):
        try:
            with pd.ExcelFile(path) as book:
                sheets = [str(n) for n in book.sheet_names]
                raw = pd.read_excel(book, sheet_name=sheet or 0, header=None, dtype=object)
        except Exception as exc:  # openpyxl raises many types
            raise InputError(f"cannot read spreadsheet: {_short(exc)}", path=path) from None
        rows = [[_cell_text(v) for v in row] for row in raw.itertuples(index=False)]
        delimiter, decimal = ",", fmt.decimal or "."
        if sheet is None and len(sheets) > 1:
            df = _table_from_rows(
                rows, path=path, dtype_str=dtype_str, fmt=fmt, delimiter=delimiter, decimal=decimal
            )
            df.attrs["sheets"] = sheets  # the first was read: named when a column is missing
            return df
    else:
        text = _decode(path)
        return table_from_text(
            text,
            path=path,
            dtype_str=dtype_str,
            table_format=fmt if fmt.delimiter or suffix != ".tsv" else replace(fmt, delimiter="\t"),
        )
    return _table_from_rows(
        rows, path=path, dtype_str=dtype_str, fmt=fmt, delimiter=delimiter, decimal=decimal
    )


def table_from_text(
    text: str,
    *,
    path: object,
    dtype_str: Iterable[str] = (),
    table_format: TableFormat | None = None,
) -> pd.DataFrame:
    """:func:`read_table` for text already in memory (an upload); errors name ``path``."""
    fmt = table_format or TableFormat()
    if not text.strip():
        raise InputError("the file is empty (no header row)", path=path)
    delimiter = fmt.delimiter or _detect_delimiter(text, path)
    rows = _split_rows(text, delimiter, path)
    return _table_from_rows(
        rows, path=path, dtype_str=dtype_str, fmt=fmt, delimiter=delimiter, decimal=None
    )


def _table_from_rows(
    rows: list[list[str]],
    *,
    path: object,
    dtype_str: Iterable[str],
    fmt: TableFormat,
    delimiter: str,
    decimal: str | None,
) -> pd.DataFrame:
    if not any(any(c.strip() for c in r) for r in rows):
        raise InputError("the file is empty (no header row)", path=path)
    header_at = _header_index(rows, fmt.header_row, path)
    header = rows[header_at]
    numbered = [
        (k + 1, r) for k, r in enumerate(rows) if k > header_at and any(c.strip() for c in r)
    ]
    body = [r for _, r in numbered]  # blank (Excel) rows skipped
    if decimal is None:
        decimal = fmt.decimal or _detect_decimal(body, delimiter, path)
    df = _frame(header, body, path)
    keep_text = set(dtype_str)
    for col in df.columns:
        if col not in keep_text:
            df[col] = _plain_numbers(df[col], decimal)
    df.attrs.update(
        {
            "delimiter": delimiter,
            "decimal": decimal,
            "header_row": header_at + 1,
            "title_rows": header_at,
            "row_numbers": [k for k, _ in numbered],
        }
    )
    return df


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            "looks like an Excel workbook, not a CSV file: save it as CSV (UTF-8) or name it .xlsx",
            path=path,
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        wide = utf16_without_bom(data)
        if wide is not None:
            return wide
        raise InputError("contains NUL bytes: it is not a text table", path=path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "starts with a UTF-16 byte-order mark but is not UTF-16", path=path
            ) from None
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode text", path=path)  # pragma: no cover - latin-1 decodes


def utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 data saved without a byte-order mark, or None if it is not that.

    Some exports (and Excel's "Unicode text") write UTF-16 with no BOM: ASCII text then has a
    NUL in every other byte. Only when that pattern holds (and the bytes decode) is it read.
    """
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    for nul_half, text_half, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nul_half.count(0) >= 0.9 * len(nul_half) and text_half.count(0) == 0:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _split_rows(text: str, delimiter: str, path: object) -> list[list[str]]:
    import csv
    import io

    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        return [list(r) for r in reader]
    except csv.Error as exc:
        raise InputError(f"cannot read as CSV: {_short(exc)}", path=path) from None


def _widths(rows: list[list[str]]) -> list[int]:
    """Number of fields per row, trailing empty fields not counted."""
    out = []
    for r in rows:
        n = len(r)
        while n and not r[n - 1].strip():
            n -= 1
        out.append(n)
    return out


def _detect_delimiter(text: str, path: object) -> str:
    """The delimiter that splits the sample into the most rows of one width (> 1 field)."""
    sample = "\n".join(text.splitlines()[:200])
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        if delim not in sample:
            continue
        try:
            rows = [r for r in _split_rows(sample, delim, path) if any(c.strip() for c in r)]
        except InputError:
            continue
        widths = [w for w in _widths(rows) if w > 0]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        if mode < 2:
            continue
        score = (widths.count(mode) / len(widths), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _header_index(rows: list[list[str]], header_row: int | None, path: object) -> int:
    """0-based index of the header row among the non-blank ``rows``."""
    if header_row is not None:
        if header_row > len(rows):
            raise InputError(
                f"header_row = {header_row} but the table has only {len(rows)} rows", path=path
            )
        if not any(c.strip() for c in rows[header_row - 1]):
            raise InputError(f"header_row = {header_row} is a blank row", path=path)
        return header_row - 1
    filled = [sum(1 for c in r if c.strip()) for r in rows]
    widest = max(filled)
    for i, n in enumerate(filled[:50]):
        if n and (n >= max(2, 0.8 * widest) or n == widest):
            return i
    return 0


_COMMA_DECIMAL = re.compile(r"^[-+]?\d{1,3}(\.\d{3})*,\d+%?$|^[-+]?\d+,\d+%?$")
_DOT_DECIMAL = re.compile(r"^[-+]?\d+\.\d+%?$|^[-+]?\d{1,3}(,\d{3})+\.\d+%?$")
_AMBIGUOUS = re.compile(r"^[-+]?\d{1,3}([.,]\d{3})+%?$")


def _detect_decimal(body: list[list[str]], delimiter: str, path: object) -> str:
    """``"."`` or ``","``; a table that could be either is refused, never guessed."""
    if delimiter == ",":
        return "."
    cells = [c.strip() for r in body[:2000] for c in r]
    ambiguous = sum(1 for c in cells if _AMBIGUOUS.match(c))
    comma = sum(1 for c in cells if _COMMA_DECIMAL.match(c) and not _AMBIGUOUS.match(c))
    dot = sum(1 for c in cells if _DOT_DECIMAL.match(c) and not _AMBIGUOUS.match(c))
    if comma and dot:
        raise InputError(
            f"numbers are written both as '1.5' and '1,5' ({dot} and {comma} values): "
            'set decimal = "." or decimal = "," for this table',
            path=path,
        )
    if comma:
        return ","
    if dot:
        return "."
    if ambiguous:
        example = next(c for c in cells if _AMBIGUOUS.match(c))
        raise InputError(
            f"cannot tell the decimal mark: {example!r} may be a thousands separator or a "
            'decimal comma; set decimal = "." or decimal = "," for this table',
            path=path,
        )
    return "."


def _frame(header: list[str], body: list[list[str]], path: object) -> pd.DataFrame:
    names = [" ".join(str(c).replace("\ufeff", "").split()) for c in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputError("the header row is empty", path=path)
    width = len(names)
    names = [n or f"column {i + 1}" for i, n in enumerate(names)]
    counts = pd.Series(names).value_counts()
    dupes = {n: [i + 1 for i, m in enumerate(names) if m == n] for n in counts[counts > 1].index}
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        if n in dupes:
            seen[n] = seen.get(n, 0) + 1
            unique.append(f"{n}[{seen[n]}]")
        else:
            unique.append(n)
    data = []
    for r in body:
        extra = [c for c in r[width:] if c.strip()]
        if extra:
            raise InputError(
                f"a row has {len(_widths([r])) and _widths([r])[0]} fields but the header has "
                f"{width}: {examples(r)}",
                path=path,
            )
        data.append((r + [""] * width)[:width])
    df = pd.DataFrame(data, columns=unique, dtype=object)
    df = df.apply(lambda col: col.str.strip()) if len(df) else df
    df.attrs["duplicates"] = dupes
    return df


def _plain_numbers(col: pd.Series, decimal: str) -> pd.Series:
    """The column as numbers when every non-blank value is a plain number, else unchanged."""
    text = col.astype("string")
    blank = text.isna() | (text == "")
    if blank.all():
        return col
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    if not text[~blank].str.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?").all():
        return col
    return pd.to_numeric(text.mask(blank), errors="coerce").astype(float).where(~blank)


def _clean_columns(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise InputError(f"duplicate column names: {', '.join(map(repr, dupes))}", path=path)
    return df


def read_geo(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or FlatGeobuf with a clear error on failure."""
    path = _exists(path)
    if path.stat().st_size == 0:
        raise InputError("cannot read geo file: the file is empty (0 bytes)", path=path)
    if layer is None:
        _only_layer(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read geo file: {_gdal_reason(exc, path)}", path=path) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError("has no geometry column", path=path)
    if len(gdf) == 0:
        raise InputError("contains no features", path=path)
    if gdf.crs is None:
        raise InputError("has no coordinate reference system; add one (e.g. EPSG:4326)", path=path)
    return _clean_columns(gdf, path)


GEO_FORMATS = {
    ".gpkg": "a GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "a Shapefile",
    ".fgb": "a FlatGeobuf file",
}


def _gdal_reason(exc: Exception, path: Path) -> str:
    """GDAL's reason a geo file cannot be read, in the user's terms.

    GDAL says an unknown format is "not recognized as being in a supported file format" and
    suggests a driver prefix, which is no help to someone who gave a damaged or renamed file.
    """
    text = " ".join(str(exc).split())
    if "not recognized as being in a supported file format" in text:
        expected = GEO_FORMATS.get(
            path.suffix.lower(), "GeoJSON, GeoPackage, Shapefile or FlatGeobuf"
        )
        return (
            f"it is not {expected} (damaged, cut short, or another kind of file renamed); "
            "save it again from the GIS it came from"
        )
    return _short(text.replace(f"'{path}' ", "").replace(f"{path}: ", ""))


def _only_layer(path: Path) -> None:
    """Refuse a file with several layers when none was chosen: never read the first silently."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's "bad application_id" and the like
            layers = [str(name) for name, kind in pyogrio.list_layers(path) if kind is not None]
    except Exception:  # unreadable: read_file reports it with the driver's message
        return
    if len(layers) > 1:
        shown = ", ".join(repr(n) for n in layers[:10]) + (" …" if len(layers) > 10 else "")
        raise InputError(
            f'has {len(layers)} layers ({shown}); choose one with layer = "NAME" in the config',
            path=path,
        )


def check_declared_crs(geom: gpd.GeoSeries, *, path: Path) -> None:
    """Refuse coordinates that the file's declared CRS contradicts.

    A projected CRS whose coordinates all look like degrees (a GeoJSON saying EPSG:27700 but
    holding lon/lat), and coordinates outside the CRS's area of use (British National Grid
    metres read as lon/lat), are errors naming the file.
    """
    crs = geom.crs
    if crs is None or geom.isna().all():
        return
    xmin, ymin, xmax, ymax = (float(v) for v in geom.total_bounds)
    name = crs.to_string()
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        return
    if crs.is_projected and -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        raise DataError(
            f"coordinates (e.g. {xmin:g}, {ymin:g}) look like longitude/latitude degrees but the "
            f"file declares {name}, in metres: fix the file's CRS",
            path=path,
        )
    aou = crs.area_of_use
    if aou is None:
        return
    if crs.is_geographic:
        lon = (xmin, xmax)
        lat = (ymin, ymax)
    else:
        from pyproj import Transformer

        t = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        with np.errstate(all="ignore"):
            lo, la = t.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
        if not np.all(np.isfinite([*lo, *la])):
            lon = lat = (np.inf, np.inf)
        else:
            lon, lat = (min(lo), max(lo)), (min(la), max(la))
    margin = 1.0  # degrees: sources clipped a little beyond the CRS's nominal area
    inside = (
        aou.west - margin <= lon[0]
        and lon[1] <= aou.east + margin
        and aou.south - margin <= lat[0]
        and lat[1] <= aou.north + margin
    )
    if aou.west > aou.east:  # area of use crossing the antimeridian: do not judge
        return
    if not inside:
        raise DataError(
            f"coordinates (e.g. {xmin:.6g}, {ymin:.6g}) lie outside the area where {name} is "
            f"used ({aou.name.rstrip('.')}): the file's CRS is wrong or missing"
            + (
                " (a GeoJSON without a 'crs' member is read as lon/lat)"
                if str(path).lower().endswith((".geojson", ".json"))
                else ""
            ),
            path=path,
        )


def require_columns(df: pd.DataFrame, columns: Mapping[str, str | None], *, path: Path) -> None:
    """Raise naming the first missing column; ``columns`` maps config key -> column name.

    A column name that appears more than once in the file must be picked by position:
    ``"Area Code[2]"`` is the second column named ``Area Code`` (counting from the left).
    """
    dupes = df.attrs.get("duplicates", {})
    for role, col in columns.items():
        if col is None:
            continue
        tidy = " ".join(col.split())
        if tidy in dupes:
            where = ", ".join(str(i) for i in dupes[tidy])
            raise InputError(
                f"column {col!r} (for {role}) appears {len(dupes[tidy])} times (columns {where}); "
                f"pick one by position: {', '.join(repr(f'{tidy}[{k}]') for k in range(1, len(dupes[tidy]) + 1))}",
                path=path,
            )
        if col not in df.columns:
            if tidy in df.columns:
                df.rename(columns={tidy: col}, inplace=True)
                continue
            shown = ", ".join(map(str, list(df.columns)[:12]))
            more = "…" if df.shape[1] > 12 else ""
            sheets = df.attrs.get("sheets") or []
            other = (
                f" (read the first of {len(sheets)} sheets, {sheets[0]!r}; choose another with "
                f'sheet = "NAME": {", ".join(map(repr, sheets[1:6]))})'
                if len(sheets) > 1
                else ""
            )
            raise InputError(
                f"column {col!r} (for {role}) not found; columns are: {shown}{more}{other}",
                path=path,
            )


_THOUSANDS = {
    # One separator used throughout: ',' or a (non-breaking, narrow or thin) space.
    ".": re.compile(r"^[-+]?\d{1,3}([, \u00a0\u202f\u2009])\d{3}(\1\d{3})*(\.\d*)?$"),
    ",": re.compile(r"^[-+]?\d{1,3}([. \u00a0\u202f\u2009])\d{3}(\1\d{3})*(,\d*)?$"),
}
MISSING_MARKS = ("", "..", ".", "-", "*", "x", "c", "NA", "N/A", "n/a", ":", "[c]", "[x]", "[z]")


def parse_numbers(raw: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers from text cells: ``(values, not_a_number, ambiguous_comma)``.

    Blanks and missing-value marks (``..``, ``x``, ``[c]``...) are NaN and not errors;
    thousands separators and a trailing ``%`` are read. ``ambiguous_comma`` flags cells such
    as ``"79,5"`` under a ``.`` decimal mark: a comma that is not a thousands separator.
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        none = pd.Series(False, index=raw.index)
        return raw.astype(float), none, none
    text = raw.astype("string").str.strip()
    text = text.mask(text.isin(MISSING_MARKS))
    text = text.str.removesuffix("%").str.strip()
    grouped = text.str.match(_THOUSANDS[decimal]).fillna(False).astype(bool)
    if decimal == ".":
        commas = text.str.fullmatch(r"[-+]?\d+(,\d+)+(\.\d*)?").fillna(False).astype(bool)
        wrong_comma = commas & ~grouped
        text = text.where(~wrong_comma)
        text = text.where(~grouped, text.str.replace(r"[ \u00a0\u202f\u2009]", "", regex=True))
        text = text.str.replace(",", "", regex=False)
    else:
        wrong_comma = pd.Series(False, index=raw.index)
        text = text.where(~grouped, text.str.replace(r"[. \u00a0\u202f\u2009]", "", regex=True))
        text = text.str.replace(",", ".", regex=False)
    values = pd.to_numeric(text, errors="coerce").astype(float)
    bad = (text.notna() & values.isna()).fillna(False).astype(bool)
    return values, bad, wrong_comma


def numeric_column(df: pd.DataFrame, column: str, *, path: Path) -> pd.Series:
    """Convert a column to float; blanks and missing-value marks become NaN.

    Thousands separators (``"1,056"``, or ``"1.056"`` with a decimal comma) and a trailing
    ``%`` (``"34.3%"`` is 34.3) are read; a comma that is not a thousands separator with a
    ``.`` decimal mark (``"79,5"``) is an error asking for ``decimal = ","``, never 795.
    """
    raw = df[column]
    values, bad, wrong_comma = parse_numbers(raw, decimal=df.attrs.get("decimal", "."))
    if wrong_comma.any():
        example = raw[wrong_comma].astype(str).iloc[0]
        raise InputError(
            f"column {column!r} has {int(wrong_comma.sum())} value(s) with a comma that is not a "
            f'thousands separator, e.g. {example!r}: if it is a decimal comma set decimal = ","',
            path=path,
        )
    if bad.any():
        examples_ = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
        raise InputError(
            f"column {column!r} has {int(bad.sum())} non-numeric value(s), e.g. {examples_}",
            path=path,
        )
    return _finite(values, column, path)


def _finite(values: pd.Series, column: str, path: Path) -> pd.Series:
    bad = np.isinf(values) | (values.abs() > MAX_ABS_VALUE)
    if bad.any():
        raise InputError(
            f"column {column!r} has {int(bad.sum())} infinite or absurdly large value(s) "
            f"(over {MAX_ABS_VALUE:.0e}), e.g. {values[bad].iloc[0]!r}",
            path=path,
        )
    return values


def _short(exc: Exception | str) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def examples(values: Iterable[object], n: int = 3) -> str:
    """Format a few example values: ``'a', 'b', 'c' …``."""
    vals = list(values)
    shown = ", ".join(repr(v) for v in vals[:n])
    return shown + (" …" if len(vals) > n else "")
