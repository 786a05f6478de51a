"""Everything a footprint profile shows, as data: headline figures, spine chart, deprivation,
age bands, sites and access.

The spine chart follows Fingertips: for every indicator, this footprint's value against the
borough (``All areas``) value, the range and quartiles across all footprints and the England
value where the config gives one. Positions are scaled to 0..1 around the comparator (England
when given, else the borough) at 0.5, with the **worse side always on the left** (indicators
with no direction put higher values on the right). Rates get a 95% confidence interval
(Wilson for proportions, Byar otherwise) and are marked better / similar / worse than the
borough and England. Sensitive counts pass through :mod:`geo.indicators.disclosure`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.indicators.aggregate import ALL_AREAS
from geo.indicators.disclosure import SUPPRESSED, DisclosureResult
from geo.indicators.intervals import byar, compare, wilson
from geo.indicators.profile import disclosed_profile, profile_table
from geo.network.travel import (
    CROWFLY_NOTE,
    area_point_method,
    area_points,
    is_approximate,
    nearest_minutes,
)
from geo.numbers import format_number
from geo.place.model import Place

HUB_KINDS = ("family_hub", "hub", "childrens_centre")
KIND_LABELS = {
    "childrens_centre": "Children's centre",
    "family_hub": "Family hub",
    "school": "School",
}
DEPRIVED_DECILES = (1, 2)
ACCESS_MINUTES = 15.0
_BAND = re.compile(r"^(?:children|aged|age|pop)_(\d+)_(\d+)$")


@dataclass
class FootprintProfile:
    """A footprint's profile. Numbers are floats; display columns hold text (``*`` if suppressed)."""

    place: str
    footprint: str
    footprint_label: str
    synthetic: bool
    generated_at: str
    headline: pd.DataFrame
    spine: pd.DataFrame
    deprived: pd.DataFrame
    age_bands: pd.DataFrame
    sites: pd.DataFrame
    access: dict | None
    table: pd.DataFrame
    disclosure_note: str
    attributions: str
    notes: list[str] = field(default_factory=list)


def check_footprint(place: Place, footprint: str) -> str:
    if footprint not in place.footprint_names:
        raise InputError(
            f"unknown {place.footprint_label.lower()} {footprint!r}; known: {', '.join(place.footprint_names)}"
        )
    return footprint


def format_value(value: object, unit: str = "", *, kind: str = "mean") -> str:
    """A figure as text (:func:`geo.numbers.format_number`): ``*`` stays, missing is ``-``."""
    return format_number(value, kind=kind, unit=unit)


def _rate_interval(place: Place, key: str, inside: np.ndarray) -> tuple[float, float]:
    """95% CI of rate ``key`` over the areas where ``inside`` is true (Wilson or Byar)."""
    ind = place.catalogue[key]
    num = pd.to_numeric(place.areas[ind.numerator], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(place.areas[ind.denominator], errors="coerce").to_numpy(dtype=float)
    both = np.isfinite(num) & np.isfinite(den)
    n, d = float(num[both & inside].sum()), float(den[both & inside].sum())
    proportion = bool((num[both] <= den[both]).all())
    return (wilson if proportion else byar)(n, d, per=ind.per)


def spine_data(
    place: Place,
    footprint: str,
    *,
    table: pd.DataFrame | None = None,
    shown: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per indicator for the spine chart of ``footprint``.

    Columns: ``key, label, unit, kind, higher_is, value, display, suppressed, borough,
    england, comparator, worst, q_worse, median, q_better, best, rank, n, ci_low, ci_high,
    vs_borough, vs_england`` and the 0..1 positions ``pos_value, pos_borough, pos_england,
    pos_worst, pos_q_worse, pos_median, pos_q_better, pos_best``. ``rank`` 1 is the worst
    footprint (best when the indicator has no direction: the highest).
    """
    check_footprint(place, footprint)
    table = profile_table(place) if table is None else table
    shown = table if shown is None else shown
    keys = list(place.catalogue)
    names = table["footprint"].astype(str).to_numpy()
    # Plain numpy from here: this runs on every profile page request.
    numbers = table[keys].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    shown_cells = shown.set_index("footprint")[keys]
    is_total = names == ALL_AREAS
    me = int(np.flatnonzero(names == footprint)[0])
    group_values = numbers[~is_total]
    total_row = numbers[is_total][0] if is_total.any() else np.full(len(keys), np.nan)
    total_shown = shown_cells.loc[ALL_AREAS].to_numpy(dtype=object) if is_total.any() else None
    my_shown = shown_cells.loc[footprint].to_numpy(dtype=object)
    inside = (place.areas["footprint"] == footprint).to_numpy()
    rows = []
    for j, (key, ind) in enumerate(place.catalogue.items()):
        all_values = group_values[:, j]
        col = all_values[np.isfinite(all_values)]
        value = float(numbers[me, j])
        display_raw = my_shown[j]
        suppressed = isinstance(display_raw, str) and display_raw == SUPPRESSED
        borough = float(total_row[j])
        if total_shown is not None and isinstance(total_shown[j], str):
            borough = np.nan
        england = ind.england if ind.england is not None else np.nan
        sign = -1.0 if ind.higher_is == "worse" else 1.0
        # order from worse to better: "worse" = high values on the left
        ordered = np.sort(col)
        if sign < 0:
            ordered = ordered[::-1]
        if len(ordered):
            worst, best = ordered[0], ordered[-1]
            q_worse, median, q_better = (
                np.quantile(ordered, 0.75) if sign < 0 else np.quantile(ordered, 0.25),
                np.quantile(ordered, 0.5),
                np.quantile(ordered, 0.25) if sign < 0 else np.quantile(ordered, 0.75),
            )
        else:
            worst = best = q_worse = median = q_better = np.nan
        rank = np.nan
        if np.isfinite(value) and len(ordered):
            rank = (
                int((col > value).sum() + 1)
                if sign < 0 or ind.higher_is is None
                else int((col < value).sum() + 1)
            )
        ci_low = ci_high = np.nan
        if ind.kind == "rate" and not suppressed:
            ci_low, ci_high = _rate_interval(place, key, inside)
        if suppressed:
            value = np.nan
        if np.isfinite(england):
            centre, comparator = england, "England"
        elif ind.kind == "count":
            # a footprint's count against the borough total says nothing: use the average footprint
            centre, comparator = (float(col.mean()) if len(col) else np.nan), "footprint average"
        else:
            centre, comparator = borough, "borough"
        on_scale = [worst, best, value, england, centre] + (
            [] if ind.kind == "count" else [borough]
        )
        spread = (
            np.nanmax(np.abs(np.array(on_scale, float) - centre)) if np.isfinite(centre) else np.nan
        )
        row = {
            "key": key,
            "label": ind.label,
            "unit": ind.unit,
            "kind": ind.kind,
            "higher_is": ind.higher_is or "",
            "sensitive": ind.sensitive,
            "value": value,
            "display": format_value(display_raw if suppressed else value, ind.unit, kind=ind.kind),
            "suppressed": suppressed,
            "borough": borough,
            "england": england,
            "comparator": comparator,
            "centre": centre,
            "worst": worst,
            "q_worse": q_worse,
            "median": median,
            "q_better": q_better,
            "best": best,
            "rank": rank,
            "n": len(ordered),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "vs_borough": compare(ci_low, ci_high, borough, higher_is=ind.higher_is),
            "vs_england": compare(ci_low, ci_high, england, higher_is=ind.higher_is),
        }
        if ind.kind == "count":
            row["borough"] = borough  # the total, for tables; not drawn on the spine
        for name in (
            "value",
            "borough",
            "england",
            "worst",
            "q_worse",
            "median",
            "q_better",
            "best",
        ):
            x = row[name]
            if not (np.isfinite(x) and np.isfinite(centre)) or (
                name == "borough" and ind.kind == "count"
            ):
                row[f"pos_{name}"] = np.nan
            elif not spread:
                row[f"pos_{name}"] = 0.5
            else:
                row[f"pos_{name}"] = float(np.clip(0.5 + sign * (x - centre) / (2 * spread), 0, 1))
        rows.append(row)
    return pd.DataFrame(rows)


def deprived_children(
    place: Place, footprint: str | None = None, *, deciles: tuple[int, ...] = DEPRIVED_DECILES
) -> pd.DataFrame:
    """Children living in areas in national deciles ``deciles`` of each national-decile indicator.

    Columns: ``key, label, children, total, share, borough_children, borough_share, child_key``.
    Decile values are rounded to whole deciles per area (1 = most deprived 10% in England).
    """
    ckey = place.children_key
    rows = []
    keys = [k for k, i in place.catalogue.items() if i.national_decile]
    if ckey is None or not keys:
        return pd.DataFrame(
            columns=[
                "key",
                "label",
                "children",
                "total",
                "share",
                "borough_children",
                "borough_share",
                "child_key",
            ]
        )
    kids = pd.to_numeric(place.areas[ckey], errors="coerce")
    inside = (
        place.areas["footprint"] == footprint
        if footprint is not None
        else pd.Series(True, index=place.areas.index)
    )
    for key in keys:
        dec = pd.to_numeric(place.areas[key], errors="coerce").round()
        deprived = dec.isin(deciles)
        rows.append(
            {
                "key": key,
                "label": place.catalogue[key].label,
                "children": float(kids[deprived & inside].sum()),
                "total": float(kids[inside].sum()),
                "borough_children": float(kids[deprived].sum()),
                "borough_total": float(kids.sum()),
                "child_key": ckey,
            }
        )
    out = pd.DataFrame(rows)
    out["share"] = out["children"] / out["total"].where(out["total"] > 0)
    out["borough_share"] = out["borough_children"] / out["borough_total"].where(
        out["borough_total"] > 0
    )
    return out


def age_band_keys(place: Place) -> list[tuple[str, int, int]]:
    """Non-overlapping age-band count keys, youngest first: ``(key, from, to)``."""
    bands = []
    for key, ind in place.catalogue.items():
        m = _BAND.match(key)
        if m and ind.kind == "count":
            bands.append((key, int(m.group(1)), int(m.group(2))))
    out, age = [], 0
    while True:
        starting = [b for b in bands if b[1] == age]
        if not starting:
            break
        nxt = min(starting, key=lambda b: b[2])
        out.append(nxt)
        age = nxt[2] + 1
    return out


def age_bands(place: Place, footprint: str, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Population by age band for ``footprint`` and the borough: ``band, key, count, share,
    borough, borough_share``. Adds an ``18+`` (or older) band from ``population`` when present."""
    # Any: pandas-stubs types a .loc cell as every possible scalar; these cells are numbers.
    t: Any = (profile_table(place) if table is None else table).set_index("footprint")
    bands = age_band_keys(place)
    rows = [
        {
            "band": f"{lo}-{hi}",
            "key": key,
            "count": float(t.loc[footprint, key]),
            "borough": float(t.loc[ALL_AREAS, key]),
        }
        for key, lo, hi in bands
    ]
    if bands and "population" in place.catalogue:
        top = bands[-1][2] + 1
        covered = [b[0] for b in bands]
        rows.append(
            {
                "band": f"{top}+",
                "key": "population",
                "count": float(t.loc[footprint, "population"] - t.loc[footprint, covered].sum()),
                "borough": float(t.loc[ALL_AREAS, "population"] - t.loc[ALL_AREAS, covered].sum()),
            }
        )
    out = pd.DataFrame(rows, columns=["band", "key", "count", "borough"])
    out["share"] = out["count"] / out["count"].sum() if len(out) else []
    out["borough_share"] = out["borough"] / out["borough"].sum() if len(out) else []
    return out


def footprint_sites(place: Place, footprint: str) -> pd.DataFrame:
    """Sites in ``footprint``: ``name, kind`` and detail columns, sorted by kind then name."""
    sites = place.sites
    if not len(sites):
        return pd.DataFrame(columns=["name", "kind"])
    mine = sites[sites["footprint"] == footprint]
    skip = {"geometry", "area_code", "footprint", "outside", "distance_outside_m"}
    cols = ["name", "kind"] + [c for c in mine.columns if c not in skip | {"name", "kind"}]
    out = (
        pd.DataFrame(mine[cols]).sort_values(["kind", "name"], kind="stable").reset_index(drop=True)
    )
    out["kind"] = out["kind"].astype(str).map(kind_label)
    return out


def kind_label(kind: str) -> str:
    """A site kind for people: ``childrens_centre`` -> ``Children's centre``."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def hub_kind(place: Place) -> str | None:
    kinds = place.site_kinds
    return next((k for k in HUB_KINDS if k in kinds), None)


def access_summary(
    place: Place,
    footprint: str | None = None,
    *,
    minutes: float = ACCESS_MINUTES,
    mode: str = "walk",
) -> dict | None:
    """Share of children living within ``minutes`` of a hub (``mode``, walking by default).

    Uses the place's ``minutes_to_<hub kind>`` indicator when it has one (so the profile agrees
    with the map), else times from :func:`geo.network.travel.nearest_minutes` (road network where the
    place has one, crow-fly otherwise) from each area's point. ``None`` when the place has no
    hub sites or no child population.
    """
    kind, ckey = hub_kind(place), place.children_key
    if kind is None or ckey is None:
        return None
    inside = (
        (place.areas["footprint"] == footprint)
        if footprint is not None
        else pd.Series(True, index=place.areas.index)
    )
    areas = place.areas[inside]
    column = f"minutes_to_{kind}" if mode == "walk" else f"minutes_to_{kind}_by_{mode}"
    if column in place.areas.columns:
        nearest = pd.to_numeric(areas[column], errors="coerce").fillna(np.inf).to_numpy()
    else:
        hubs = place.sites[place.sites["kind"] == kind]
        nearest, _ = nearest_minutes(
            place,
            area_points(place)[inside.to_numpy()],
            hubs.geometry,
            mode=mode,
            limit_minutes=minutes,
        )
    kids = pd.to_numeric(areas[ckey], errors="coerce").fillna(0).to_numpy()
    total = kids.sum()
    within = kids[nearest <= minutes].sum()
    approximate = is_approximate(place)
    return {
        "hub_kind": kind,
        "mode": mode,
        "minutes": minutes,
        "child_key": ckey,
        "children": float(total),
        "within": float(within),
        "share": float(within / total) if total > 0 else np.nan,
        "approximate": approximate,
        "note": CROWFLY_NOTE
        if approximate
        else f"road network times from {area_point_method(place)} area points",
    }


def footprint_profile(
    place: Place,
    footprint: str,
    *,
    threshold: float = 5,
    round_to: int | None = None,
    table: pd.DataFrame | None = None,
) -> FootprintProfile:
    """Build the whole profile of ``footprint`` (figures after disclosure control)."""
    check_footprint(place, footprint)
    table = profile_table(place) if table is None else table
    disclosed: DisclosureResult = disclosed_profile(
        place, suppress_below=threshold, round_to=round_to, table=table
    )
    shown = disclosed.table
    spine = spine_data(place, footprint, table=table, shown=shown)
    deprived = deprived_children(place, footprint)
    bands = age_bands(place, footprint, table=table)
    sites = footprint_sites(place, footprint)
    access = access_summary(place, footprint)
    row: Any = shown.set_index("footprint").loc[footprint]  # one row of numbers (see age_bands)
    head = []

    def add(
        key: str, label: str, value: object, unit: str = "", detail: str = "", kind: str = "count"
    ) -> None:
        head.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "display": format_value(value, unit, kind=kind),
                "unit": unit,
                "detail": detail,
            }
        )

    add("areas", "Small areas", float(row["areas"]), "areas")
    if "population" in place.catalogue:
        add(
            "population",
            place.catalogue["population"].label,
            float(row["population"]),
            place.catalogue["population"].unit,
        )
    ckey = place.children_key
    if ckey:
        add(ckey, place.catalogue[ckey].label, float(row[ckey]), place.catalogue[ckey].unit)
    if len(deprived):
        # the most recent national-decile indicator (by vintage, then catalogue order)
        latest = max(
            range(len(deprived)),
            key=lambda i: (place.catalogue[deprived["key"].iloc[i]].vintage, i),
        )
        d = deprived.iloc[latest]
        add(
            "children_deprived",
            "Children in the most deprived 20% of areas nationally",
            float(d["children"]),
            "children",
            (
                f"{format_number(100 * d['share'], unit='%')} of children here; borough "
                f"{format_number(100 * d['borough_share'], unit='%')} ({d['label']}, deciles 1-2)"
                if np.isfinite(d["share"])
                else d["label"]
            ),
        )
    for key, ind in place.catalogue.items():
        if ind.source.startswith("hubplan need index"):
            sp = spine[spine["key"] == key].iloc[0]
            add(
                key,
                ind.label,
                float(sp["value"]),
                "",
                f"rank {int(sp['rank'])} of {int(sp['n'])} (1 = most need)"
                if np.isfinite(sp["rank"])
                else "",
                kind="mean",
            )
    for kind in place.site_kinds:
        n = int((sites["kind"] == kind_label(kind)).sum())
        add(f"sites_{kind}", f"{kind_label(kind)}s", float(n), "sites")
    if access is not None:
        add(
            "access",
            f"Children within {access['minutes']:g} minutes' {access['mode']} of a {access['hub_kind'].replace('_', ' ')}",
            access["share"] * 100 if np.isfinite(access["share"]) else np.nan,
            "%",
            (
                "approximate (straight-line) times"
                if access["approximate"]
                else "road network times"
            ),
            kind="mean",
        )
    notes = []
    if disclosed.note:
        notes.append(disclosed.note)
    if access is not None and access["approximate"]:
        notes.append(f"Access times are {access['note']}.")
    if place.synthetic:
        notes.insert(0, "Synthetic demo data: not real figures for any place.")
    return FootprintProfile(
        place=place.name,
        footprint=footprint,
        footprint_label=place.footprint_label,
        synthetic=place.synthetic,
        generated_at=datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
        headline=pd.DataFrame(head),
        spine=spine,
        deprived=deprived,
        age_bands=bands,
        sites=sites,
        access=access,
        table=shown,
        disclosure_note=disclosed.note,
        attributions=place.attribution_text(),
        notes=notes,
    )
