"""The one profile contract: what a footprint profile says, as plain data.

:func:`profile_contract` is what ``hubplan profile PLACE --footprint NAME --format json``
prints and what the profile page and report render. Its parts:

``spine``
    One record per indicator that has a direction (means and rates; national deciles and
    counts excluded): value, period, borough, England, the range and quartiles across
    footprints, and a verdict (``better``, ``similar``, ``worse`` or ``not compared``) against
    England where the config gives an England value, else against the borough. Rates are
    compared by their 95% confidence interval (Wilson for proportions, Byar otherwise); means
    by the stated rule of :func:`geo.indicators.intervals.mean_verdict`.
``context``
    Means and rates with no direction (shown, never judged).
``counts``
    Count indicators, each with its period and its share of the borough total.
``deciles``
    For each national-decile indicator, the children (or people) living in areas in each
    national decile band, with shares. Never an average decile.
``missing``
    Per indicator, how many of the footprint's (and the borough's) areas have a value.
``sites``
    Sites by kind with their details; date-like details are given as ISO dates.

Sensitive figures pass through :mod:`geo.indicators.disclosure` first: a suppressed value is
``null`` with ``"suppressed": true`` and is not compared.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.disclosure import SUPPRESSED
from geo.indicators.footprint_profile import check_footprint, kind_label
from geo.indicators.intervals import (
    MEAN_RULE_SD,
    byar,
    compare,
    mean_rule_text,
    mean_verdict,
    rate_method,
    weighted_sd,
    wilson,
)
from geo.indicators.profile import disclosed_profile, profile_table
from geo.place.config import Indicator
from geo.place.model import Place

DECILES = tuple(range(1, 11))
_DATE_NAME = re.compile(r"(date|_dt$|dt$|inspect|opened|closed)", re.IGNORECASE)
_SKIP_SITE_COLUMNS = {"geometry", "area_code", "footprint", "outside", "distance_outside_m"}


def _num(x: object) -> float | None:
    """A JSON-safe float (``None`` for missing or text)."""
    if isinstance(x, str) or x is None:
        return None
    try:
        v = float(cast(Any, x))  # anything float() rejects is caught below
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _period(ind: Indicator) -> str:
    return ind.vintage or "not stated"


def coverage_text(have: int, total: int) -> str:
    """``"from 167 of 200 areas"`` (``"all 200 areas"`` when complete)."""
    if have == total:
        return f"all {total:,} area{'s' if total != 1 else ''}"
    return f"from {have:,} of {total:,} areas"


def _usable(place: Place, ind: Indicator) -> np.ndarray:
    """Areas whose value counts toward ``ind``'s aggregate (value and its weight or parts)."""
    a = place.areas

    def ok(key: str) -> np.ndarray:
        return pd.to_numeric(a[key], errors="coerce").notna().to_numpy()

    if ind.kind == "rate":
        # The config requires both parts of a rate (geo.place.config).
        assert ind.numerator is not None and ind.denominator is not None
        return ok(ind.numerator) & ok(ind.denominator)
    if ind.kind == "mean" and ind.weight:
        return ok(ind.key) & ok(ind.weight)
    return ok(ind.key)


def _is_proportion(place: Place, ind: Indicator) -> bool:
    """A rate is a proportion when no area's numerator exceeds its denominator."""
    num = pd.to_numeric(place.areas[ind.numerator], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(place.areas[ind.denominator], errors="coerce").to_numpy(dtype=float)
    both = np.isfinite(num) & np.isfinite(den)
    return bool((num[both] <= den[both]).all())


def rate_interval(place: Place, ind: Indicator, inside: np.ndarray) -> tuple[float, float, bool]:
    """95% CI of rate ``ind`` over the areas ``inside`` and whether it is a proportion."""
    num = pd.to_numeric(place.areas[ind.numerator], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(place.areas[ind.denominator], errors="coerce").to_numpy(dtype=float)
    both = np.isfinite(num) & np.isfinite(den) & inside
    proportion = _is_proportion(place, ind)
    low, high = (wilson if proportion else byar)(num[both].sum(), den[both].sum(), per=ind.per)
    return low, high, proportion


def area_spread(place: Place, ind: Indicator) -> float:
    """Weighted standard deviation of a mean indicator's area values across the borough."""
    x = pd.to_numeric(place.areas[ind.key], errors="coerce").to_numpy(dtype=float)
    w = (
        pd.to_numeric(place.areas[ind.weight], errors="coerce").to_numpy(dtype=float)
        if ind.weight
        else None
    )
    return weighted_sd(x, w)


def _spine_record(
    place: Place,
    ind: Indicator,
    *,
    value: float,
    suppressed: bool,
    borough: float,
    across: np.ndarray,
    inside: np.ndarray,
) -> dict[str, Any]:
    england = ind.england if ind.england is not None else np.nan
    if np.isfinite(england):
        reference, compared_with = england, "England"
    else:
        reference, compared_with = borough, "borough"
    ci_low = ci_high = np.nan
    if suppressed:
        verdict, method = "not compared", "value suppressed (disclosure control): not compared"
    elif ind.kind == "rate":
        ci_low, ci_high, proportion = rate_interval(place, ind, inside)
        verdict = compare(ci_low, ci_high, reference, higher_is=ind.higher_is)
        method = rate_method(proportion=proportion) + f" against the {compared_with} value"
    else:
        spread = area_spread(place, ind)
        verdict = mean_verdict(value, reference, spread=spread, higher_is=ind.higher_is)
        method = mean_rule_text(spread, unit=ind.unit) + f" ({compared_with})"
    if verdict == "not compared" and not suppressed:
        method += "; nothing to compare (no value or no comparator)"
    finite = across[np.isfinite(across)]
    q = np.quantile(finite, [0.25, 0.75]) if len(finite) else [np.nan, np.nan]
    return {
        "key": ind.key,
        "label": ind.label,
        "unit": ind.unit,
        "kind": ind.kind,
        "higher_is": ind.higher_is,
        "period": _period(ind),
        "value": None if suppressed else _num(value),
        "suppressed": suppressed,
        "ci_low": _num(ci_low),
        "ci_high": _num(ci_high),
        "borough": _num(borough),
        "england": _num(england),
        "lowest": _num(finite.min()) if len(finite) else None,
        "highest": _num(finite.max()) if len(finite) else None,
        "q1": _num(q[0]),
        "q3": _num(q[1]),
        "footprints": len(finite),
        "verdict": verdict,
        "compared_with": compared_with,
        "method": method + (f"; {ind.method}" if ind.method else ""),
    }


def decile_bands(place: Place, key: str, inside: np.ndarray | None = None) -> dict[str, Any]:
    """People (children where the place has them) in areas of each national decile of ``key``.

    Returns ``{"weight_key", "weight_label", "bands": [{decile, count, share}], "no_decile":
    {count, share}, "total"}``; shares are of everyone in the selected areas, so the bands
    and ``no_decile`` add up to 1.
    """
    ckey = place.children_key
    wkey = ckey or ("population" if "population" in place.catalogue else None)
    inside = np.ones(len(place.areas), bool) if inside is None else inside
    if wkey is None:
        weights = np.ones(len(place.areas))
        wlabel = "Small areas"
    else:
        weights = pd.to_numeric(place.areas[wkey], errors="coerce").fillna(0).to_numpy(float)
        wlabel = place.catalogue[wkey].label
    dec = pd.to_numeric(place.areas[key], errors="coerce").round().to_numpy(dtype=float)
    w = weights[inside]
    d = dec[inside]
    total = float(w.sum())
    bands = []
    for k in DECILES:
        count = float(w[d == k].sum())
        bands.append({"decile": k, "count": count, "share": count / total if total else None})
    none = float(w[~np.isin(d, DECILES)].sum())
    return {
        "weight_key": wkey,
        "weight_label": wlabel,
        "total": total,
        "bands": bands,
        "no_decile": {"count": none, "share": none / total if total else None},
    }


def _date_text(value: object) -> str | None:
    """A date-like detail as ``YYYY-MM-DD`` (``20190314`` and ISO forms), else ``None``."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    fmt = "%Y%m%d" if re.fullmatch(r"\d{8}", text) else None
    try:
        when = pd.to_datetime(text, format=fmt, dayfirst=fmt is None)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(when) else when.strftime("%Y-%m-%d")


def _site_details(place: Place) -> tuple[list[str], list[str]]:
    sites = place.sites
    cols = [c for c in sites.columns if c not in _SKIP_SITE_COLUMNS | {"name", "kind", "site_id"}]
    dates = [c for c in cols if _DATE_NAME.search(c)]
    return [c for c in cols if c not in dates], dates


def sites_by_kind(place: Place, footprint: str) -> list[dict[str, Any]]:
    """Sites in ``footprint`` grouped by kind, with details and dates (ISO) where given."""
    sites = place.sites
    if not len(sites):
        return []
    details, dates = _site_details(place)
    mine = sites[sites["footprint"] == footprint].sort_values(["kind", "name"], kind="stable")
    out = []
    for kind in place.site_kinds:
        rows = mine[mine["kind"] == kind]
        of_kind = sites[sites["kind"] == kind]
        kind_details = [c for c in details if of_kind[c].notna().any()]
        kind_dates = [c for c in dates if of_kind[c].notna().any()]
        records = []
        for _, r in rows.iterrows():
            rec: dict[str, Any] = {"name": str(r["name"])}
            for c in kind_details:
                v = r[c]
                rec[c] = None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for c in kind_dates:
                rec[c] = _date_text(r[c])
            records.append(rec)
        out.append(
            {
                "kind": kind,
                "label": kind_label(kind),
                "count": len(records),
                "borough": int(((sites["kind"] == kind) & sites["area_code"].notna()).sum()),
                "date_fields": kind_dates,
                "sites": records,
            }
        )
    return out


def profile_contract(
    place: Place,
    footprint: str,
    *,
    threshold: float = 5,
    round_to: int | None = None,
    table: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The whole profile of ``footprint`` as JSON-ready data (see the module docstring).

    Parameters
    ----------
    place
        The place.
    footprint
        One of ``place.footprint_names``.
    threshold, round_to
        Disclosure control (:func:`geo.indicators.profile.disclosed_profile`).
    table
        A precomputed :func:`geo.indicators.profile.profile_table` (saves recomputing it).
    """
    check_footprint(place, footprint)
    table = profile_table(place) if table is None else table
    disclosed = disclosed_profile(place, suppress_below=threshold, round_to=round_to, table=table)
    shown = disclosed.table.set_index("footprint")
    numbers = table.set_index("footprint")
    groups = numbers.index != ALL_AREAS
    inside = (place.areas["footprint"] == footprint).to_numpy()
    spine: list[dict[str, Any]] = []
    context: list[dict[str, Any]] = []
    counts, deciles, missing = [], [], []
    for key, ind in place.catalogue.items():
        mine_shown = shown.at[footprint, key]
        suppressed = isinstance(mine_shown, str) and mine_shown == SUPPRESSED
        value = float(pd.to_numeric(cast(Any, numbers.at[footprint, key]), errors="coerce"))
        total_shown = shown.at[ALL_AREAS, key]
        borough = (
            np.nan
            if isinstance(total_shown, str)
            else float(pd.to_numeric(cast(Any, numbers.at[ALL_AREAS, key]), errors="coerce"))
        )
        across = pd.to_numeric(numbers.loc[groups, key], errors="coerce").to_numpy(dtype=float)
        usable = _usable(place, ind)
        have, total = int(usable[inside].sum()), int(inside.sum())
        missing.append(
            {
                "key": key,
                "label": ind.label,
                "areas": total,
                "with_value": have,
                "lacking": total - have,
                "borough_areas": len(usable),
                "borough_with_value": int(usable.sum()),
                "covers": coverage_text(have, total),
                "borough_covers": coverage_text(int(usable.sum()), len(usable)),
            }
        )
        if ind.national_decile:
            deciles.append(
                {
                    "key": key,
                    "label": ind.label,
                    "period": _period(ind),
                    **decile_bands(place, key, inside),
                    "borough": decile_bands(place, key),
                }
            )
        elif ind.kind == "count":
            shown_value = None if suppressed else _num(mine_shown)
            counts.append(
                {
                    "key": key,
                    "label": ind.label,
                    "unit": ind.unit,
                    "period": _period(ind),
                    "value": shown_value,
                    "suppressed": suppressed,
                    "borough": _num(borough),
                    "share_of_borough": (
                        shown_value / borough
                        if shown_value is not None and np.isfinite(borough) and borough > 0
                        else None
                    ),
                    "method": ind.method,
                }
            )
        else:
            rec = _spine_record(
                place,
                ind,
                value=value,
                suppressed=suppressed,
                borough=borough,
                across=across,
                inside=inside,
            )
            (spine if ind.higher_is else context).append(rec)
    notes = []
    if place.synthetic:
        notes.append("Synthetic demo data: not real figures for any place.")
    if disclosed.note:
        notes.append(disclosed.note)
    return {
        "place": place.name,
        "footprint": footprint,
        "footprint_label": place.footprint_label,
        "footprint_set": place.meta.get("footprint_set"),
        "synthetic": place.synthetic,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "areas": int(inside.sum()),
        "borough_areas": len(place.areas),
        "comparison_rule": (
            "Each indicator is compared with England where an England value is given, else "
            "with the borough. Rates: better or worse when the 95% confidence interval (Wilson "
            "for proportions, Byar otherwise) excludes the comparator, similar when it holds it. "
            f"Means have no interval: different when more than {MEAN_RULE_SD:g} standard "
            "deviation of the area values across the borough (weighted like the mean) from "
            "the comparator, similar otherwise."
        ),
        "spine": spine,
        "context": context,
        "counts": counts,
        "deciles": deciles,
        "missing": missing,
        "sites": sites_by_kind(place, footprint),
        "notes": notes,
        "attributions": [line for line in place.attribution_text().splitlines() if line],
    }
