"""Building places from their sources, and finding and opening built ones.

Modules
-------
pipeline
    :func:`build_place` (a :class:`~geo.place.config.PlaceConfig` -> a
    :class:`~geo.place.model.Place`) and :func:`build_bundle` (a config file -> a bundle on disk).
network
    Adding a place's road network while it is built (:func:`add_network`).
sites
    Importing and locating sites (:func:`import_sites`, :func:`locate_sites`).
places
    :func:`open_place` (``"demo"``, a bundle path or a name in the places folder),
    :func:`list_places`, :data:`DEMO`.

Examples
--------
>>> import geo  # doctest: +SKIP
>>> config = geo.load_config("wigan.toml")  # doctest: +SKIP
>>> place = geo.build_place(config)  # doctest: +SKIP
>>> geo.build_bundle("wigan.toml", "wigan.gpkg")  # doctest: +SKIP
>>> place = geo.open_place("wigan.gpkg")  # doctest: +SKIP
"""

from geo.build.network import OSM_ATTRIBUTION, add_network
from geo.build.pipeline import build_bundle, build_place
from geo.build.places import DEMO, demo_bundle_path, list_places, open_place, resolve_place
from geo.build.sites import import_sites, locate_sites

__all__ = [
    "DEMO",
    "OSM_ATTRIBUTION",
    "add_network",
    "build_bundle",
    "build_place",
    "demo_bundle_path",
    "import_sites",
    "list_places",
    "locate_sites",
    "open_place",
    "resolve_place",
]
