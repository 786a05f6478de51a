"""Numbers as people read them: one rule for every table, hover, panel, chart and report.

* counts: whole numbers with thousands separators (``12,345``);
* other values to about three significant figures: 100 and over whole (``1,234``), 10 to 100
  one decimal (``63.5``), 1 to 10 two (``4.27``), under 1 three (``0.123``), zero ``0``;
* a percentage carries ``%``; other units are left to the caller (a column heading, a
  label, or :func:`layers.base.format_value`, which appends them);
* text (a disclosure marker such as ``*``) is returned as it is; a missing value is
  ``missing`` (``-`` in tables, ``no data`` on the map).
"""

from __future__ import annotations

import math


def format_number(value: object, *, kind: str = "mean", unit: str = "", missing: str = "-") -> str:
    """``value`` as text under the rules above (``kind="count"`` for whole counts)."""
    if isinstance(value, str):
        return value
    try:
        v = float(value)  # type: ignore[arg-type]  # any object: what float() refuses is "missing"
    except (TypeError, ValueError):
        return missing
    if not math.isfinite(v):
        return missing
    if kind == "count" or abs(v) >= 100 or v == 0:
        text = f"{v:,.0f}"
    elif abs(v) >= 10:
        text = f"{v:.1f}"
    elif abs(v) >= 1:
        text = f"{v:.2f}"
    else:
        text = f"{v:.3f}"
    return text + "%" if unit == "%" else text
