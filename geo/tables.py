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


def safe_header_line(text: object) -> str:
    """One ``# `` comment line's text, safe in a spreadsheet.

    Line breaks and other control characters become spaces (a break would start a new,
    uncommented row), and every comma-separated piece that would start with ``= + - @`` once
    a spreadsheet splits the line into cells is prefixed with ``'``.
    """
    flat = "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in str(text))
    pieces = flat.split(",")
    out = [pieces[0]]
    for piece in pieces[1:]:
        stripped = piece.lstrip()
        lead = piece[: len(piece) - len(stripped)]
        out.append(lead + str(escape_formula(stripped)))
    return ",".join(out)


def to_safe_csv(df: pd.DataFrame, *, header_lines: list[str] | None = None) -> str:
    """CSV text with formula-like text cells escaped; optional ``# `` comment lines on top."""
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape_formula)
    safe.columns = [escape_formula(str(c)) for c in safe.columns]
    buf = io.StringIO()
    for line in header_lines or []:
        buf.write(f"# {safe_header_line(line)}\n")
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
