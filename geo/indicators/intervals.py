"""95% confidence intervals for rates, as Fingertips uses them to compare areas.

Proportions (numerator never above denominator) use the Wilson score interval; other rates
(events per population, which can exceed it) use Byar's approximation to the Poisson
interval. Both return the interval on the indicator's scale (``per``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from geo.numbers import format_number

Z95 = 1.959963984540054
BYAR_MIN_EVENTS = 10


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
    """Byar's Poisson interval for an event count over a population, times ``per``.

    Byar's approximation is good from about 10 events; below ``BYAR_MIN_EVENTS`` the exact
    Poisson interval (chi-squared form) is used instead, as the PHE technical guidance advises.
    """
    o, d = float(numerator), float(denominator)
    if not (np.isfinite(o) and np.isfinite(d)) or d <= 0 or o < 0:
        return (np.nan, np.nan)
    if o < BYAR_MIN_EVENTS:
        alpha = 2 * stats.norm.sf(z)
        low = 0.0 if o == 0 else stats.chi2.ppf(alpha / 2, 2 * o) / 2
        high = stats.chi2.ppf(1 - alpha / 2, 2 * (o + 1)) / 2
        return (per * low / d, per * high / d)
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


# A mean has no sampling interval (its areas are the whole population, not a sample), so it
# is compared by a stated rule: it differs from the comparator when the gap is more than
# MEAN_RULE_SD standard deviations of the area values across the borough (weighted like the
# mean itself). Otherwise it is "similar".
MEAN_RULE_SD = 0.25
COMPARED_WITH = ("England", "borough")


def rate_method(*, proportion: bool) -> str:
    """The text naming how a rate's interval was computed."""
    return (
        "95% confidence interval (Wilson score, for a proportion)"
        if proportion
        else "95% confidence interval (Byar, for a rate that can exceed its denominator)"
    )


def mean_rule_text(spread: float, *, unit: str = "") -> str:
    """The stated rule used to compare a mean, with the threshold it came to."""
    gap = format_number(MEAN_RULE_SD * spread, unit=unit) if np.isfinite(spread) else "-"
    return (
        f"mean compared by rule: different when more than {MEAN_RULE_SD:g} standard deviation "
        f"of the area values ({gap}) from the comparator"
    )


def mean_verdict(value: float, reference: float, *, spread: float, higher_is: str | None) -> str:
    """``"better"``, ``"worse"`` or ``"similar"`` for a mean by the stated rule (see module).

    Parameters
    ----------
    value
        The footprint's mean.
    reference
        England's value, or the borough's when England is not given.
    spread
        The standard deviation of the area values across the borough.
    higher_is
        ``"worse"`` or ``"better"``; ``None`` gives ``"not compared"``.
    """
    if higher_is is None or not all(np.isfinite([value, reference, spread])):
        return "not compared"
    gap = value - reference
    if abs(gap) <= MEAN_RULE_SD * spread:
        return "similar"
    return "worse" if (gap > 0) == (higher_is == "worse") else "better"


def weighted_sd(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted standard deviation (population form) of the finite values; NaN when none."""
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
    if not ok.any():
        return np.nan
    mean = np.average(x[ok], weights=w[ok])
    return float(np.sqrt(np.average((x[ok] - mean) ** 2, weights=w[ok])))
