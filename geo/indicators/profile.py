"""The footprint profile table: one row per footprint plus ``All areas``."""

from __future__ import annotations

import pandas as pd

from geo.indicators.aggregate import ALL_AREAS, aggregate, aggregate_all
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
