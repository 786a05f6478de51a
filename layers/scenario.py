"""A saved siting scenario on a map: its hubs and the outlines of their catchments.

Used by the Map page's "Scenario" overlay, the Access page (a scenario as the hub set) and
map exports (``hubplan export-map ... --scenario NAME`` and the dashboard's map export). The
catchments are the scenario's own assignment (``results["area_hub"]``: each small area's
nearest chosen hub when it was planned), dissolved into one outline per hub, so the map shows
the plan as it was saved, not a re-run on today's data.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
import shapely

from geo.errors import InputError
from geo.place.model import Place
from geo.siting.scenarios import Scenario
from layers.geometry import display_geometries, polygon_lines

__all__ = [
    "CATCHMENTS_UID",
    "HUBS_UID",
    "SCENARIO_COLOUR",
    "catchment_outlines",
    "empty_scenario_traces",
    "scenario_hub_points",
    "scenario_note",
    "scenario_traces",
]

SCENARIO_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: distinct from sites and footprints
CATCHMENTS_UID = "scenario-catchments"
HUBS_UID = "scenario-hubs"


def scenario_hub_points(place: Place, scenario: Scenario) -> gpd.GeoDataFrame:
    """The scenario's hubs (``hub``, ``name``; working CRS, indexed by hub id).

    Hub points saved with the scenario are used first; hubs that are existing sites are
    found by site id otherwise.

    Raises
    ------
    geo.errors.InputError
        If none of the scenario's hubs can be located.
    """
    points = scenario.results.get("hub_points") or []
    if points:
        frame = pd.DataFrame(points)
        out = gpd.GeoDataFrame(
            frame[["hub", "name"]].astype(str),
            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
            crs=4326,
        ).to_crs(place.crs)
        return out.set_index(out["hub"].to_numpy())
    sites = place.sites.set_index(place.sites["site_id"].astype(str))
    known = [h for h in map(str, scenario.hubs) if h in sites.index]
    if not known:
        raise InputError(f"scenario {scenario.name!r} has no hub locations to map")
    sel = sites.loc[known]
    return gpd.GeoDataFrame(
        {"hub": known, "name": sel["name"].astype(str).to_numpy()},
        geometry=sel.geometry.to_numpy(),
        crs=place.crs,
        index=known,
    )


def catchment_outlines(place: Place, scenario: Scenario) -> tuple[list, list, int]:
    """Lon and lat lists (rings separated by ``None``) of the scenario's catchments: the
    small areas assigned to each hub, dissolved; and how many areas were not found in the
    place (a scenario saved against other areas)."""
    area_hub: dict[str, Any] = scenario.results.get("area_hub") or {}
    geoms = display_geometries(place, "areas")
    hub_of = pd.Series({str(k): v for k, v in area_hub.items() if v is not None}, dtype=object)
    missing = int((~hub_of.index.isin(geoms.index.astype(str))).sum())
    hub_of = hub_of[hub_of.index.isin(geoms.index.astype(str))]
    lons: list = []
    lats: list = []
    by_code = pd.Series(geoms.to_numpy(), index=geoms.index.astype(str))
    for _hub, codes in hub_of.groupby(hub_of, sort=True).groups.items():
        merged = shapely.union_all(by_code.loc[list(codes)].to_numpy())
        x, y = polygon_lines(merged)
        if lons:
            lons.append(None)
            lats.append(None)
        lons += x
        lats += y
    return lons, lats, missing


def scenario_traces(
    place: Place, scenario: Scenario, *, catchments: bool = True
) -> tuple[list[go.Scattermap], list[str]]:
    """The scenario's catchment outlines (when saved with it) and hub markers, and notes
    for the map's footer or status line (:func:`scenario_note`)."""
    traces: list[go.Scattermap] = []
    missing = 0
    if catchments and scenario.results.get("area_hub"):
        lons, lats, missing = catchment_outlines(place, scenario)
        traces.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": SCENARIO_COLOUR, "width": 2.5},
                name=f"Scenario {scenario.name!r}: catchments",
                hoverinfo="skip",
                uid=CATCHMENTS_UID,
            )
        )
    hubs = scenario_hub_points(place, scenario)
    pts = hubs.geometry.to_crs(4326)
    traces.append(
        go.Scattermap(
            lon=pts.x.round(6).tolist(),
            lat=pts.y.round(6).tolist(),
            mode="markers",
            marker={"size": 18, "color": SCENARIO_COLOUR, "opacity": 0.95},
            name=f"Scenario {scenario.name!r}: hubs ({len(pts)})",
            text=hubs["name"].astype(str).tolist(),
            customdata=hubs["hub"].astype(str).tolist(),
            hovertemplate=f"<b>%{{text}}</b><br>hub in scenario {scenario.name}<extra></extra>",
            uid=HUBS_UID,
        )
    )
    return traces, [scenario_note(place, scenario, missing=missing)]


def empty_scenario_traces() -> list[go.Scattermap]:
    """Placeholders with the same uids as :func:`scenario_traces` (nothing drawn, no legend),
    so a page can fill them in later without moving any other trace."""
    return [
        go.Scattermap(lon=[], lat=[], mode="lines", showlegend=False, uid=CATCHMENTS_UID),
        go.Scattermap(lon=[], lat=[], mode="markers", showlegend=False, uid=HUBS_UID),
    ]


def scenario_note(place: Place, scenario: Scenario, *, missing: int = 0) -> str:
    """One line for a map footer or status: what the scenario is and how it was planned
    (``missing``: areas of the scenario not found in the place)."""
    bits = [f"Scenario {scenario.name!r}: {len(scenario.hubs)} proposed hub(s)"]
    if scenario.objective:
        bits.append(f"objective {scenario.objective}")
    if scenario.mode:
        bits.append(f"{scenario.mode}")
    if scenario.minutes is not None:
        bits.append(f"within {float(scenario.minutes):g} minutes")
    share = scenario.covered_share
    if share is not None:
        bits.append(f"{100 * float(share):.1f}% of the demand covered")
    shown = "hubs and catchments" if scenario.results.get("area_hub") else "hubs"
    text = ", ".join(bits) + f"; {shown} (as saved) in purple."
    if missing:
        text += (
            f" {missing} area(s) of the scenario are not in {place.name} today: "
            "they are left out of the catchments."
        )
    return text
