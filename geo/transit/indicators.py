"""Journey-Time-Statistics-style indicators per area, by walking plus public transport.

For each area (from its point, population-weighted where the place has them):

``pt_minutes_to_<hub kind>`` and ``pt_minutes_to_<school kind>``
    Median minutes over the departure window to the nearest site of the kind.
``pt_minutes_to_<hub kind>_p10`` and ``pt_minutes_to_<hub kind>_p90``
    The 10th and 90th percentile of the minutes to the nearest hub over the departures (a
    lucky and an unlucky departure time: how much the wait for a bus matters). Context for
    the median, so not rated better or worse (``higher_is`` unset: profiles list them with the
    context figures). Hubs only, to keep the catalogue (and the printed profile) short; the
    ``hubplan access --mode transit`` table has them for any kind of site.
``pt_<hub kind>_within_30`` and ``pt_<hub kind>_within_45``
    How many sites of the hub kind are reached within 30 and 45 minutes (median minutes).

They are ordinary ``mean`` indicators (weighted by population when the place has it), so
maps, profiles and exports treat them like any other.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np

from geo.place.config import Indicator
from geo.place.model import Place
from geo.transit.access import nearest, summary, travel_seconds
from geo.transit.store import transit_method

WITHIN = (30, 45)


def _xy(points: gpd.GeoSeries) -> np.ndarray:
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def transit_indicators(
    place: Place, points: gpd.GeoSeries, *, hub_kind: str | None, school_kind: str | None
) -> Place:
    """A copy of ``place`` with the transit indicators for the kinds given (and present)."""
    kinds = [k for k in dict.fromkeys([hub_kind, school_kind]) if k and k in place.site_kinds]
    if not kinds:
        return place
    sites = place.sites[place.sites["kind"].isin(kinds)]
    times = travel_seconds(place, _xy(points), _xy(sites.geometry))
    areas = place.areas.copy()
    catalogue = dict(place.catalogue)
    weight = "population" if "population" in catalogue else None
    method = transit_method(place)

    def add(key: str, values: np.ndarray, label: str, unit: str, higher_is: str | None) -> None:
        areas[key] = np.where(np.isfinite(values), np.round(values, 2), np.nan)
        catalogue[key] = Indicator(
            key=key, label=label, kind="mean", unit=unit, weight=weight, higher_is=higher_is,
            source="hubplan transit routing", vintage=place.meta.get("transit_date", "computed"),
            description=f"{label}: {method}.",
        )  # fmt: skip

    kind_of = sites["kind"].to_numpy()
    for kind in kinds:
        cols = kind_of == kind
        part = dataclasses.replace(times, seconds=times.seconds[:, :, cols])
        words = kind.replace("_", " ")
        found = nearest(part)
        label = f"Minutes to the nearest {words} by public transport and walking"
        add(f"pt_minutes_to_{kind}", found["median"], label, "minutes", "worse")
        if kind == hub_kind:
            for q, nth in (("p10", "10th"), ("p90", "90th")):  # context for the median
                add(f"pt_minutes_to_{kind}_{q}", found[q],
                    f"{label}, {nth} percentile of departures", "minutes", None)  # fmt: skip
            median = summary(part)["median"]
            for m in WITHIN:
                add(f"pt_{kind}_within_{m}", (median <= m).sum(axis=1).astype(float),
                    f"{words.capitalize()}s reached within {m} minutes by public transport",
                    "sites", "better")  # fmt: skip
    return dataclasses.replace(place, areas=areas, catalogue=catalogue)
