"""The footprint profile table (one row per footprint plus ``All areas``), and the same table
after disclosure control (:func:`disclosed_profile`), which is what views and exports show."""

from __future__ import annotations

import pandas as pd

from geo.errors import InputError
from geo.indicators.aggregate import ALL_AREAS, aggregate, aggregate_all
from geo.indicators.disclosure import DEFAULT_THRESHOLD, DisclosureResult, apply_disclosure
from geo.place.model import Place


def profile_table(place: Place, *, footprints: pd.Series | None = None) -> pd.DataFrame:
    """Footprint figures: ``footprint``, ``areas``, one column per indicator, ``sites_<kind>``.

    Parameters
    ----------
    place
        The place to profile.
    footprints
        An alternative assignment of area code -> footprint (defaults to the place's own).
    """
    groups = (
        place.areas["footprint"] if footprints is None else footprints.reindex(place.areas.index)
    )
    values = place.values()
    table = aggregate(values, place.catalogue, groups)
    table.insert(0, "areas", groups.dropna().astype(str).value_counts().reindex(table.index))
    total = aggregate_all(values, place.catalogue)
    total["areas"] = len(place.areas)
    table.loc[ALL_AREAS] = total[table.columns]

    sites = place.sites
    if len(sites):
        site_groups = sites["area_code"].map(groups)
        for kind in place.site_kinds:
            mask = sites["kind"] == kind
            counts = site_groups[mask].value_counts()
            col = f"sites_{kind}"
            table[col] = counts.reindex(table.index).fillna(0)
            # "All areas" counts every site inside the areas (outside ones are not in any area).
            table.loc[ALL_AREAS, col] = int((mask & sites["area_code"].notna()).sum())
    table["areas"] = table["areas"].fillna(0).astype(int)
    for col in [c for c in table.columns if c.startswith("sites_")]:
        table[col] = table[col].astype(int)
    table.index.name = "footprint"
    return table.reset_index()


BY = ("footprint", "area")


def disclosed_profile(
    place: Place,
    *,
    by: str = "footprint",
    suppress_below: float = DEFAULT_THRESHOLD,
    round_to: int | None = None,
    table: pd.DataFrame | None = None,
) -> DisclosureResult:
    """The profile table with disclosure control applied: what every view and export shows.

    The one caller of :func:`geo.indicators.disclosure.apply_disclosure` outside its module,
    so no view can show a table of figures that skipped it.

    Parameters
    ----------
    place
        The place to profile.
    by
        ``"footprint"``: :func:`profile_table` (one row per footprint plus ``All areas``, the
        total for secondary suppression). ``"area"``: the small areas' own values
        (:meth:`Place.values`, indexed by area code; no total row).
    suppress_below
        Sensitive counts below this (and the rates built on them) are shown as ``"*"``;
        0 turns suppression off.
    round_to
        Round the visible sensitive counts to the nearest multiple (``None`` = no rounding).
    table
        With ``by="footprint"``: a :func:`profile_table` of ``place`` already computed (e.g. a
        page's cache), so it is not computed again.

    Returns
    -------
    geo.indicators.disclosure.DisclosureResult
        The controlled table (``.table``), the note to print with it and the cell counts.
    """
    if by not in BY:
        raise InputError(f"unknown profile level {by!r}; use footprint or area")
    if by == "area":
        if table is not None:
            raise ValueError("disclosed_profile(by='area') reads the place's own values")
        return apply_disclosure(
            place.values(),
            place.catalogue,
            threshold=suppress_below,
            round_to=round_to,
            group_column=None,
        )
    if table is None:
        table = profile_table(place)
    elif "footprint" not in table.columns:
        raise ValueError("a profile table needs a 'footprint' column (reset its index)")
    return apply_disclosure(
        table,
        place.catalogue,
        threshold=suppress_below,
        round_to=round_to,
        group_column="footprint",
    )
