"""Aggregating area indicators to footprints (or any grouping) by indicator kind.

``count`` is summed; ``mean`` is the mean weighted by its ``weight`` indicator (unweighted
when it has none); ``rate`` is ``per * sum(numerator) / sum(denominator)``. Areas missing a
value (or its weight) are left out of that indicator only; a group with no values, or a
zero denominator, gives NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.config import Indicator

ALL_AREAS = "All areas"


def aggregate(
    values: pd.DataFrame, catalogue: dict[str, Indicator], groups: pd.Series
) -> pd.DataFrame:
    """Aggregate each catalogue indicator in ``values`` over ``groups`` (same index).

    Returns one row per group (sorted) and one column per indicator key.
    """
    groups = groups.reindex(values.index)
    keep = groups.notna()
    vals = values[keep]
    g = groups[keep].astype(str)
    out = {}
    for key, ind in catalogue.items():
        if ind.kind == "count":
            out[key] = vals[key].groupby(g).sum(min_count=1)
        elif ind.kind == "rate":
            num, den = vals[ind.numerator], vals[ind.denominator]
            both = num.notna() & den.notna()
            n = num.where(both).groupby(g).sum(min_count=1)
            d = den.where(both).groupby(g).sum(min_count=1)
            out[key] = ind.per * n / d.where(d != 0)
        else:
            x = vals[key]
            w = vals[ind.weight] if ind.weight else pd.Series(1.0, index=vals.index)
            both = x.notna() & w.notna()
            sw = w.where(both).groupby(g).sum(min_count=1)
            sxw = (x * w).where(both).groupby(g).sum(min_count=1)
            out[key] = sxw / sw.where(sw != 0)
    frame = pd.DataFrame(out, index=pd.Index(sorted(g.unique()), name="group"))
    return frame.reindex(columns=list(catalogue)).astype(float)


def aggregate_all(values: pd.DataFrame, catalogue: dict[str, Indicator]) -> pd.Series:
    """Aggregate every indicator over all areas."""
    frame = aggregate(values, catalogue, pd.Series(ALL_AREAS, index=values.index))
    return frame.iloc[0] if len(frame) else pd.Series(np.nan, index=list(catalogue))
