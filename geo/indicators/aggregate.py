"""Aggregating area indicators to footprints (or any grouping) by indicator kind.

``count`` is summed; ``mean`` is the mean weighted by its ``weight`` indicator (unweighted
when it has none); ``rate`` is ``per * sum(numerator) / sum(denominator)``. Areas missing a
value (or its weight) are left out of that indicator only; a group with no values, or a
zero denominator, gives NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import ConfigError
from geo.place.config import Indicator

ALL_AREAS = "All areas"


def aggregate(
    values: pd.DataFrame, catalogue: dict[str, Indicator], groups: pd.Series
) -> pd.DataFrame:
    """Aggregate each catalogue indicator in ``values`` over ``groups`` (same index).

    Returns one row per group (sorted) and one column per indicator key. Groups are encoded
    once and every sum is one ``numpy.bincount`` (fast at England scale: 33,000 areas).
    """
    groups = groups.reindex(values.index)
    keep = groups.notna().to_numpy()
    codes, uniques = pd.factorize(groups[keep].astype(str), sort=True)
    n = len(uniques)
    cache: dict[str, np.ndarray] = {}

    def col(key: str) -> np.ndarray:
        if key not in cache:
            cache[key] = pd.to_numeric(values[key], errors="coerce").to_numpy(dtype=float)[keep]
        return cache[key]

    def gsum(x: np.ndarray) -> np.ndarray:
        """Sum per group of the non-missing values; NaN for a group with none (min_count=1)."""
        ok = ~np.isnan(x)
        total = np.bincount(codes[ok], weights=x[ok], minlength=n)
        count = np.bincount(codes[ok], minlength=n)
        return np.where(count > 0, total, np.nan)

    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for key, ind in catalogue.items():
            if ind.kind == "count":
                out[key] = gsum(col(key))
            elif ind.kind == "rate":
                if not (ind.numerator and ind.denominator):
                    raise ConfigError(f"rate indicator {key!r} needs a numerator and a denominator")
                num, den = col(ind.numerator), col(ind.denominator)
                both = ~np.isnan(num) & ~np.isnan(den)
                d = gsum(np.where(both, den, np.nan))
                out[key] = ind.per * gsum(np.where(both, num, np.nan)) / np.where(d != 0, d, np.nan)
            else:
                x = col(key)
                w = col(ind.weight) if ind.weight else np.ones_like(x)
                both = ~np.isnan(x) & ~np.isnan(w)
                sw = gsum(np.where(both, w, np.nan))
                out[key] = gsum(np.where(both, x * w, np.nan)) / np.where(sw != 0, sw, np.nan)
    frame = pd.DataFrame(out, index=pd.Index(list(uniques), name="group"))
    return frame.reindex(columns=list(catalogue)).astype(float)


def aggregate_all(values: pd.DataFrame, catalogue: dict[str, Indicator]) -> pd.Series:
    """Aggregate every indicator over all areas."""
    frame = aggregate(values, catalogue, pd.Series(ALL_AREAS, index=values.index))
    return frame.iloc[0] if len(frame) else pd.Series(np.nan, index=list(catalogue))
