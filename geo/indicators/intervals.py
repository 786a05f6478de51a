"""95% confidence intervals for rates, as Fingertips uses them to compare areas.

Proportions (numerator never above denominator) use the Wilson score interval; other rates
(events per population, which can exceed it) use Byar's approximation to the Poisson
interval. Both return the interval on the indicator's scale (``per``).
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def wilson(
    numerator: float, denominator: float, *, per: float = 100.0, z: float = Z95
) -> tuple[float, float]:
    """Wilson score interval for ``numerator / denominator`` times ``per`` (NaN when d <= 0)."""
    n, d = float(numerator), float(denominator)
    if not (np.isfinite(n) and np.isfinite(d)) or d <= 0:
        return (np.nan, np.nan)
    p = n / d
    centre = (p + z * z / (2 * d)) / (1 + z * z / d)
    half = z * np.sqrt(p * (1 - p) / d + z * z / (4 * d * d)) / (1 + z * z / d)
    return (per * (centre - half), per * (centre + half))


def byar(
    numerator: float, denominator: float, *, per: float = 100.0, z: float = Z95
) -> tuple[float, float]:
    """Byar's Poisson interval for an event count over a population, times ``per``."""
    o, d = float(numerator), float(denominator)
    if not (np.isfinite(o) and np.isfinite(d)) or d <= 0 or o < 0:
        return (np.nan, np.nan)
    low = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    o1 = o + 1
    high = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return (per * low / d, per * high / d)


def compare(low: float, high: float, reference: float, *, higher_is: str | None) -> str:
    """``"better"``, ``"worse"``, ``"similar"`` (interval holds ``reference``), or ``"not compared"``."""
    if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(reference)) or higher_is is None:
        return "not compared"
    if low <= reference <= high:
        return "similar"
    above = low > reference
    return "worse" if above == (higher_is == "worse") else "better"
