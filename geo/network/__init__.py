"""Road networks and travel times: OSM import, routing, isochrones and access to sites.

Every function takes a :class:`~geo.place.model.Place`. A place built with a road network
(``[network]`` in its config) is routed on it, by ``walk``, ``cycle`` or ``drive``; a place
without one falls back to *approximate* straight-line minutes times a detour factor, and every
result says so (``approximate`` / ``method`` columns, :data:`CROWFLY_NOTE`).

Modules
-------
osm
    Reading OSM XML/PBF, GraphML, GeoPackage or an online download into edge tables
    (osmnx and osmium are imported only when a network is read).
graph
    Per-mode graphs (:func:`mode_graph`) from a place's stored network.
routing
    Snapping points to streets and shortest-path seconds (:func:`seconds_matrix`).
travel
    Minutes between points, by network or crow-fly (:func:`travel_time_matrix`).
modes
    Travel modes and speeds (:data:`MODES`, :func:`check_mode`).
isochrones
    Nested travel-time bands around hubs: the function
    :func:`geo.network.isochrones.isochrones` (also :func:`geo.isochrones`).
access
    Minutes from every area to the nearest site (:func:`access_table`) and the counts
    reached within each band (:func:`coverage`).

Examples
--------
>>> import geo  # doctest: +SKIP
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> hubs = place.sites[place.sites["kind"] == "family_hub"].geometry  # doctest: +SKIP
>>> geo.isochrones(place, hubs, mode="walk", minutes=[10, 20])  # doctest: +SKIP
"""

from geo.network.access import (
    access_key,
    access_table,
    coverage,
    nearest_site,
    sites_of_kind,
    with_access_indicators,
    with_minutes_to,
)
from geo.network.graph import ModeGraph, has_network, mode_graph
from geo.network.isochrones import DEFAULT_BUFFER_M, check_minutes, network_isochrones
from geo.network.modes import CROWFLY_NOTE, MODES, check_mode, speeds_kmh
from geo.network.osm import read_network, source_kind
from geo.network.routing import Snap, seconds_matrix, seconds_to_nearest, snap
from geo.network.travel import (
    area_point_method,
    area_points,
    crowfly_minutes,
    is_approximate,
    nearest_minutes,
    travel_time_matrix,
)

__all__ = [
    "CROWFLY_NOTE",
    "DEFAULT_BUFFER_M",
    "MODES",
    "ModeGraph",
    "Snap",
    "access_key",
    "access_table",
    "area_point_method",
    "area_points",
    "check_minutes",
    "check_mode",
    "coverage",
    "crowfly_minutes",
    "has_network",
    "is_approximate",
    "mode_graph",
    "nearest_minutes",
    "nearest_site",
    "network_isochrones",
    "read_network",
    "seconds_matrix",
    "seconds_to_nearest",
    "sites_of_kind",
    "snap",
    "source_kind",
    "speeds_kmh",
    "travel_time_matrix",
    "with_access_indicators",
    "with_minutes_to",
]
