"""Team placement: share staff (FTE) or teams between hubs or footprints in proportion to need.

Shares are rounded with the largest-remainder (Hamilton) method, so the allocation always
adds up exactly to the total: every unit gets the whole part of its quota, then the units
left over go, one each, to the largest fractional remainders (ties: more need first, then
name order).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place.model import Place


def largest_remainder(total: int, need: pd.Series, *, minimum: int = 0) -> pd.Series:
    """Split ``total`` whole units over ``need``'s index in proportion to its values.

    Parameters
    ----------
    total
        Whole units to share (teams, or FTE divided by the step).
    need
        Non-negative need per recipient (hub or footprint).
    minimum
        Units every recipient gets first; the rest is shared in proportion to need.

    Returns
    -------
    pandas.Series
        Integer units on ``need``'s index, summing exactly to ``total``.
    """
    values = pd.to_numeric(need, errors="coerce")
    if values.isna().any():
        raise InputError(f"need is missing for {values.index[values.isna()][0]!r}")
    if (values < 0).any():
        raise InputError("need must not be negative")
    if int(total) != total or total < 0:
        raise InputError(
            f"the total to allocate must be a whole, non-negative number of units, got {total!r}"
        )
    total = int(total)
    n = len(values)
    if n == 0:
        raise InputError("nothing to allocate to (no hubs or footprints)")
    base = np.full(n, int(minimum))
    rest = total - int(base.sum())
    if rest < 0:
        raise InputError(
            f"{total} units cannot give each of the {n} recipients the minimum of {minimum}"
        )
    weights = values.to_numpy(dtype=float)
    if weights.sum() <= 0:
        if rest:
            raise InputError("total need is zero: nothing to share in proportion to")
        return pd.Series(base, index=values.index, name="allocated")
    quota = rest * weights / weights.sum()
    whole = np.floor(quota + 1e-9).astype(int)
    left = rest - int(whole.sum())
    remainder = quota - whole
    order = sorted(
        range(n), key=lambda k: (-round(remainder[k], 9), -weights[k], str(values.index[k]))
    )
    whole[order[:left]] += 1
    return pd.Series(base + whole, index=values.index, name="allocated")


def allocate(
    need: pd.Series,
    *,
    total: float,
    step: float = 1.0,
    minimum: float = 0.0,
) -> pd.DataFrame:
    """Allocate ``total`` staff (in multiples of ``step``, e.g. 1 team or 0.5 FTE) by need.

    Returns a table indexed like ``need`` with ``need``, ``share`` (of total need),
    ``quota`` (exact proportional amount) and ``allocated`` (rounded; sums to ``total``).
    """
    if not np.isfinite(total) or total < 0:
        raise InputError(f"total staff must be a non-negative number, got {total!r}")
    if not np.isfinite(step) or step <= 0:
        raise InputError(f"the allocation step must be positive, got {step!r}")
    units = Decimal(str(total)) / Decimal(str(step))
    min_units = Decimal(str(minimum)) / Decimal(str(step))
    if units != units.to_integral_value() or min_units != min_units.to_integral_value():
        raise InputError(
            f"total {total:g} and minimum {minimum:g} must be multiples of the step {step:g}"
        )
    alloc = largest_remainder(int(units), need, minimum=int(min_units))
    values = pd.to_numeric(need).astype(float)
    share = values / values.sum() if values.sum() > 0 else values * 0.0
    frame = pd.DataFrame(
        {
            "need": values,
            "share": share,
            "quota": share * total,
            "allocated": alloc.astype(float) * step,
        }
    )
    frame.index.name = need.index.name or "unit"
    return frame


def catchment_need(assignment: pd.DataFrame, need: pd.Series, hubs: list[str]) -> pd.Series:
    """Need in each hub's catchment: ``need`` (by demand id) summed over the demand assigned
    to each hub (``assignment`` from :class:`geo.siting.problem.SitingResult`). Every hub appears."""
    frame = assignment[["demand", "hub"]].copy()
    frame["need"] = pd.to_numeric(frame["demand"].map(need), errors="coerce").fillna(0.0).to_numpy()
    totals = frame.dropna(subset=["hub"]).groupby("hub")["need"].sum()
    out = totals.reindex(hubs, fill_value=0.0).astype(float)
    out.index.name = "hub"
    return out.rename("need")


def footprint_need(place: Place, need: pd.Series) -> pd.Series:
    """Need (by area code) summed per footprint, every footprint listed."""
    frame = pd.DataFrame(
        {"footprint": place.areas["footprint"], "need": need.reindex(place.areas.index)}
    )
    out = frame.groupby("footprint")["need"].sum().reindex(place.footprint_names, fill_value=0.0)
    out.index.name = "footprint"
    return out.astype(float).rename("need")
