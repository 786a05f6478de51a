"""Statistical disclosure control for tables of footprint (or area) figures.

Counts of ``sensitive`` indicators below a threshold (default 5) are suppressed and shown as
``*``; so are rates whose numerator is such a suppressed count (the rate and its denominator
would give the count away). When a table has a total row (``All areas``) and exactly one
group is suppressed in a column, the next smallest group is suppressed as well (secondary
suppression), so the hidden value cannot be recovered by subtraction. Optionally, the
sensitive counts left visible are rounded to the nearest ``round_to`` (e.g. 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.indicators.aggregate import ALL_AREAS
from geo.place.config import Indicator

SUPPRESSED = "*"
DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class DisclosureResult:
    """A table after disclosure control.

    Attributes
    ----------
    table
        The table; controlled columns hold numbers or ``"*"`` (object dtype).
    suppressed
        Cells hidden because they were below the threshold (primary).
    secondary
        Cells hidden so a primary one cannot be recovered from the total.
    columns
        The columns disclosure control applied to.
    note
        A sentence to print with the table (``""`` when no column is sensitive).
    """

    table: pd.DataFrame
    suppressed: int
    secondary: int
    columns: tuple[str, ...]
    note: str

    @property
    def applied(self) -> bool:
        return self.suppressed + self.secondary > 0


def sensitive_columns(catalogue: dict[str, Indicator]) -> tuple[list[str], dict[str, str]]:
    """Sensitive count keys, and rate keys whose numerator is one (rate -> numerator)."""
    counts = [k for k, i in catalogue.items() if i.sensitive and i.kind == "count"]
    rates = {
        k: i.numerator for k, i in catalogue.items() if i.kind == "rate" and i.numerator in counts
    }
    # A sensitive rate with a non-sensitive numerator is still checked on its numerator.
    rates |= {
        k: i.numerator
        for k, i in catalogue.items()
        if i.kind == "rate" and i.sensitive and i.numerator and k not in rates
    }
    return counts, rates


def apply_disclosure(
    table: pd.DataFrame,
    catalogue: dict[str, Indicator],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    round_to: int | None = None,
    group_column: str | None = "footprint",
) -> DisclosureResult:
    """Suppress small sensitive counts (and the rates built on them) in ``table``.

    Parameters
    ----------
    table
        Rows of figures with one column per indicator key (e.g. :func:`geo.indicators.profile.profile_table`).
    catalogue
        The place's indicators (``sensitive``, ``kind`` and ``numerator`` decide what is checked).
    threshold
        Counts ``< threshold`` are suppressed (0 turns suppression off).
    round_to
        Round visible sensitive counts to the nearest multiple (``None`` or 1 = no rounding).
    group_column
        The column naming each row; a row named ``All areas`` is treated as the total for
        secondary suppression. ``None``: no total row.
    """
    if threshold < 0 or not np.isfinite(threshold):
        raise InputError(f"suppression threshold must be 0 or more, got {threshold}")
    if round_to is not None and (round_to < 1 or int(round_to) != round_to):
        raise InputError(f"rounding base must be a whole number of 1 or more, got {round_to}")
    counts, rates = sensitive_columns(catalogue)
    counts = [c for c in counts if c in table.columns]
    checked = counts + [r for r, n in rates.items() if r in table.columns and n in table.columns]
    out = table.copy()
    if not checked:
        return DisclosureResult(out, 0, 0, (), "")

    is_total = (
        (out[group_column].astype(str) == ALL_AREAS).to_numpy()
        if group_column and group_column in out.columns
        else np.zeros(len(out), bool)
    )
    hide: dict[str, np.ndarray] = {}
    primary = secondary = 0
    # Counts first; a rate is hidden wherever its numerator is.
    for col in counts:
        x = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        mask = np.isfinite(x) & (x < threshold)
        primary += int(mask.sum())
        if is_total.any() and (~is_total).sum() > 1:
            groups = ~is_total
            if mask[groups].sum() == 1 and not mask[is_total].all():
                candidates = np.where(groups & ~mask & np.isfinite(x))[0]
                if len(candidates):
                    mask[candidates[np.argmin(x[candidates])]] = True
                    secondary += 1
        hide[col] = mask
    for rate, num in rates.items():
        if rate not in out.columns:
            continue
        if num in hide:
            hide[rate] = hide[num].copy()
        elif num in out.columns:
            x = pd.to_numeric(out[num], errors="coerce").to_numpy(dtype=float)
            hide[rate] = np.isfinite(x) & (x < threshold)
            primary += int(hide[rate].sum())

    for col, mask in hide.items():
        values = pd.to_numeric(out[col], errors="coerce")
        if col in counts and round_to and round_to > 1:
            values = (np.floor(values / round_to + 0.5) * round_to).where(values.notna())
        shown = values.astype(object).where(values.notna(), None)
        shown[mask] = SUPPRESSED
        out[col] = shown.to_numpy(dtype=object)

    labels = ", ".join(catalogue[c].label for c in counts) or ", ".join(rates)
    note = (
        f"Disclosure control: {labels} (sensitive) and rates built on them are shown as "
        f"'{SUPPRESSED}' where the count is below {threshold:g}"
    )
    if primary + secondary:
        note += f"; suppression was applied to {primary + secondary} cell(s)"
        if secondary:
            note += (
                f" ({secondary} secondary, so hidden values cannot be worked out from the total)"
            )
    else:
        note += "; no cells needed suppressing"
    if round_to and round_to > 1:
        note += f"; visible sensitive counts are rounded to the nearest {round_to}"
    return DisclosureResult(out, primary, secondary, tuple(hide), note + ".")


def is_suppressed(value: object) -> bool:
    return isinstance(value, str) and value == SUPPRESSED
