"""Safe tabular output: CSV that cannot inject spreadsheet formulas, JSON with NaN as null."""

from __future__ import annotations

import io
import json
import math

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """Prefix text starting with ``= + - @`` (or tab/CR) with ``'`` so spreadsheets show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame) -> str:
    """CSV text (header on row 1) with formula-like headers and text cells escaped.

    Tables for partners go through :mod:`geo.export.tabular` instead (labels with units,
    byte-order mark, metadata sidecar); this is for machine files such as lookups.
    """
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape_formula)
    safe.columns = [escape_formula(str(c)) for c in safe.columns]
    buf = io.StringIO()
    safe.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _clean(value: object) -> object:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def records(df: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-ready dicts (NaN -> None, numpy scalars -> Python)."""
    return [{str(k): _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def to_json(payload: object) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
