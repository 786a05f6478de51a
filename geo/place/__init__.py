"""Places: the config, the source readers, the in-memory model and the bundle on disk.

A *place* is a council area built from open data: small areas with indicators, footprints
(the localities services are planned for), sites, an indicator catalogue and the attribution
every source requires.

Modules
-------
config
    The place config (TOML): :func:`load_config` -> :class:`PlaceConfig`, :class:`Indicator`.
readers
    Reading source tables and geometry files with one-line errors.
model
    :class:`Place`, :class:`Finding` (build warnings) and :class:`Attribution`.
bundle
    The place bundle (a GeoPackage): :func:`read_place`, :func:`write_place` and
    :func:`atomic_write`, the temp-fsync-rename writer every file in the project goes through.

Examples
--------
>>> from geo.place import read_place  # doctest: +SKIP
>>> place = read_place("wigan.gpkg")  # doctest: +SKIP
>>> place.footprint_names[:3]  # doctest: +SKIP
"""

from geo.place.bundle import atomic_write, read_place, write_place
from geo.place.config import Indicator, PlaceConfig, load_config, parse_config
from geo.place.model import SYNTHETIC_LABEL, Attribution, Finding, Place
from geo.place.readers import read_geo, read_table

__all__ = [
    "SYNTHETIC_LABEL",
    "Attribution",
    "Finding",
    "Indicator",
    "Place",
    "PlaceConfig",
    "atomic_write",
    "load_config",
    "parse_config",
    "read_geo",
    "read_place",
    "read_table",
    "write_place",
]
