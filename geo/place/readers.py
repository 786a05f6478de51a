"""Reading tables and geo files with errors that name the file and column."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
MAX_ABS_VALUE = 1e15


def _exists(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", path=path)
    return path


def read_table(
    path: Path, *, sheet: str | None = None, dtype_str: Iterable[str] = ()
) -> pd.DataFrame:
    """Read a CSV (any common encoding, BOM tolerated) or XLSX file as a DataFrame.

    Parameters
    ----------
    path
        File to read. ``.xlsx`` is read with openpyxl; anything else as delimited text.
    sheet
        Worksheet name for XLSX files (the first sheet when absent).
    dtype_str
        Columns kept as text (codes, postcodes, ids), so leading zeros survive.
    """
    path = _exists(path)
    converters = {c: str for c in dtype_str}
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype={c: str for c in dtype_str})
        except Exception as exc:  # openpyxl raises many types
            raise InputError(f"cannot read spreadsheet: {_short(exc)}", path=path) from None
        return _clean_columns(df, path)
    if suffix in (".geojson", ".gpkg", ".shp", ".fgb"):
        return pd.DataFrame(read_geo(path).drop(columns="geometry"))
    sep = "\t" if suffix == ".tsv" else ","
    last_error: Exception | None = None
    for enc in ENCODINGS:
        try:
            df = pd.read_csv(path, sep=sep, encoding=enc, converters=converters, low_memory=False)
            break
        except UnicodeDecodeError as exc:
            last_error = exc
            continue
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty (no header row)", path=path) from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(f"cannot read as CSV: {_short(exc)}", path=path) from None
    else:  # pragma: no cover - latin-1 always decodes
        raise InputError(f"cannot decode text: {last_error}", path=path)
    if df.shape[1] == 1 and ";" in str(df.columns[0]):
        raise InputError("looks ';'-separated; save it as a comma-separated CSV", path=path)
    return _clean_columns(df, path)


def _clean_columns(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise InputError(f"duplicate column names: {', '.join(map(repr, dupes))}", path=path)
    return df


def read_geo(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or FlatGeobuf with a clear error on failure."""
    path = _exists(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read geo file: {_short(exc)}", path=path) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError("has no geometry column", path=path)
    if len(gdf) == 0:
        raise InputError("contains no features", path=path)
    if gdf.crs is None:
        raise InputError("has no coordinate reference system; add one (e.g. EPSG:4326)", path=path)
    return _clean_columns(gdf, path)


def require_columns(df: pd.DataFrame, columns: Mapping[str, str | None], *, path: Path) -> None:
    """Raise naming the first missing column; ``columns`` maps config key -> column name."""
    for role, col in columns.items():
        if col is not None and col not in df.columns:
            shown = ", ".join(map(str, list(df.columns)[:12]))
            more = "…" if df.shape[1] > 12 else ""
            raise InputError(
                f"column {col!r} (for {role}) not found; columns are: {shown}{more}", path=path
            )


def numeric_column(df: pd.DataFrame, column: str, *, path: Path) -> pd.Series:
    """Convert a column to float; blanks become NaN, anything else non-numeric is an error."""
    raw = df[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return _finite(raw.astype(float), column, path)
    text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.mask(text.isin(["", "..", ".", "-", "*", "x", "c", "NA", "N/A", "n/a"]))
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & values.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
        raise InputError(
            f"column {column!r} has {int(bad.sum())} non-numeric value(s), e.g. {examples}",
            path=path,
        )
    return _finite(values.astype(float), column, path)


def _finite(values: pd.Series, column: str, path: Path) -> pd.Series:
    bad = np.isinf(values) | (values.abs() > MAX_ABS_VALUE)
    if bad.any():
        raise InputError(
            f"column {column!r} has {int(bad.sum())} infinite or absurdly large value(s) "
            f"(over {MAX_ABS_VALUE:.0e}), e.g. {values[bad].iloc[0]!r}",
            path=path,
        )
    return values


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def examples(values: Iterable[object], n: int = 3) -> str:
    """Format a few example values: ``'a', 'b', 'c' …``."""
    vals = list(values)
    shown = ", ".join(repr(v) for v in vals[:n])
    return shown + (" …" if len(vals) > n else "")
