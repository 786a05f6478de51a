"""Pure computation for the Locality & Hub Planner (never imports Dash or Plotly).

The library behind the ``hubplan`` command and dashboard, usable on its own in a notebook.
The most useful names are here; everything else is in the subpackages, bottom-up:

:mod:`geo.errors`
    :class:`InputError` (a :class:`ValueError`) and its kinds :class:`ConfigError`,
    :class:`DataError` and :class:`NetworkError`: bad input, one clear line.
:mod:`geo.place`
    Place configs, source readers, the :class:`Place` model and bundles on disk.
:mod:`geo.network`, :mod:`geo.datasets`
    Road networks, travel times, isochrones and access; the synthetic demo borough.
:mod:`geo.indicators`
    Footprint profiles, disclosure control, need index, uploaded indicators.
:mod:`geo.siting`, :mod:`geo.clusters`
    Hub siting and staff placement; footprint design, footprint sets and hot spots.
:mod:`geo.export`
    GeoJSON / GeoPackage / CSV exports with attribution.
:mod:`geo.build`
    Building places from their sources and opening built ones.

``import geo`` is cheap: the names below (and the subpackages, as attributes) are imported
on first use, so ``geo.open_place`` loads what it needs the first time it is touched.
``from geo import *`` imports them all. ``docs/library.md`` walks through a session.

Examples
--------
>>> import geo
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> geo.profile_table(place)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from geo.errors import ConfigError, DataError, InputError, NetworkError

if TYPE_CHECKING:  # the same names, for type checkers and editors (imported lazily below)
    from geo._version import __version__
    from geo.build.pipeline import build_bundle, build_place
    from geo.build.places import list_places, open_place
    from geo.clusters.design import FootprintDesign, design_footprints
    from geo.clusters.footprint_sets import add_footprint_set, compare_footprint_sets
    from geo.clusters.hotspots import Hotspots, hotspots
    from geo.clusters.regionalize import Regionalization, regionalize
    from geo.clusters.school_clusters import school_clusters
    from geo.datasets.demo import write_demo_sources
    from geo.export.data import export_data, export_table
    from geo.indicators.footprint_profile import FootprintProfile, footprint_profile
    from geo.indicators.need_index import NeedIndexSpec, children_preset, compute_need_index
    from geo.indicators.profile import disclosed_profile, profile_table
    from geo.network.access import access_table, coverage, with_access_indicators
    from geo.network.isochrones import isochrones
    from geo.network.travel import travel_time_matrix
    from geo.place.bundle import read_place
    from geo.place.config import Indicator, load_config
    from geo.place.model import Place
    from geo.siting.plan import PlanRun, run_plan
    from geo.siting.problem import SitingProblem, SitingResult
    from geo.siting.teams import allocate

#: Lazily imported name -> the module defining it (kept equal to ``__all__`` and to the
#: TYPE_CHECKING block above by tests/test_library_api.py).
_LAZY: dict[str, str] = {
    "__version__": "geo._version",
    "FootprintDesign": "geo.clusters.design",
    "FootprintProfile": "geo.indicators.footprint_profile",
    "Hotspots": "geo.clusters.hotspots",
    "Indicator": "geo.place.config",
    "NeedIndexSpec": "geo.indicators.need_index",
    "Place": "geo.place.model",
    "PlanRun": "geo.siting.plan",
    "Regionalization": "geo.clusters.regionalize",
    "SitingProblem": "geo.siting.problem",
    "SitingResult": "geo.siting.problem",
    "access_table": "geo.network.access",
    "add_footprint_set": "geo.clusters.footprint_sets",
    "allocate": "geo.siting.teams",
    "build_bundle": "geo.build.pipeline",
    "build_place": "geo.build.pipeline",
    "children_preset": "geo.indicators.need_index",
    "compare_footprint_sets": "geo.clusters.footprint_sets",
    "compute_need_index": "geo.indicators.need_index",
    "coverage": "geo.network.access",
    "design_footprints": "geo.clusters.design",
    "disclosed_profile": "geo.indicators.profile",
    "export_data": "geo.export.data",
    "export_table": "geo.export.data",
    "footprint_profile": "geo.indicators.footprint_profile",
    "hotspots": "geo.clusters.hotspots",
    "isochrones": "geo.network.isochrones",
    "list_places": "geo.build.places",
    "load_config": "geo.place.config",
    "open_place": "geo.build.places",
    "profile_table": "geo.indicators.profile",
    "read_place": "geo.place.bundle",
    "regionalize": "geo.clusters.regionalize",
    "run_plan": "geo.siting.plan",
    "school_clusters": "geo.clusters.school_clusters",
    "travel_time_matrix": "geo.network.travel",
    "with_access_indicators": "geo.network.access",
    "write_demo_sources": "geo.datasets.demo",
}

# Subpackages and modules, importable as attributes (``geo.siting`` after a bare ``import geo``).
_SUBMODULES = (
    "build",
    "clusters",
    "datasets",
    "errors",
    "export",
    "indicators",
    "network",
    "numbers",
    "place",
    "progress",
    "settings",
    "siting",
    "tables",
)

__all__ = [
    "ConfigError",
    "DataError",
    "FootprintDesign",
    "FootprintProfile",
    "Hotspots",
    "Indicator",
    "InputError",
    "NeedIndexSpec",
    "NetworkError",
    "Place",
    "PlanRun",
    "Regionalization",
    "SitingProblem",
    "SitingResult",
    "__version__",
    "access_table",
    "add_footprint_set",
    "allocate",
    "build_bundle",
    "build_place",
    "children_preset",
    "compare_footprint_sets",
    "compute_need_index",
    "coverage",
    "design_footprints",
    "disclosed_profile",
    "export_data",
    "export_table",
    "footprint_profile",
    "hotspots",
    "isochrones",
    "list_places",
    "load_config",
    "open_place",
    "profile_table",
    "read_place",
    "regionalize",
    "run_plan",
    "school_clusters",
    "travel_time_matrix",
    "with_access_indicators",
    "write_demo_sources",
]


def __getattr__(name: str) -> object:
    """Import a public name (or a subpackage) the first time it is used."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"geo.{name}")
    else:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
