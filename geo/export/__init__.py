"""Data exports for partners: GeoJSON, GeoPackage and CSV, safe to share.

Every export applies disclosure control, escapes spreadsheet formulas, carries the
attribution of every source (and "synthetic demo data" for the demo) in a sidecar
``<file>.attribution.txt`` and is written atomically. See :mod:`geo.export.data`.

Modules
-------
data
    :func:`export_data` (build and write), :func:`export_table` (build an :class:`ExportData`
    for one of :data:`WHATS`), :func:`write_export` (write one).

Examples
--------
>>> import geo  # doctest: +SKIP
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> geo.export_data(place, "footprints", "footprints.geojson")  # doctest: +SKIP
"""

from geo.export.data import (
    DRIVERS,
    SIDECAR_SUFFIX,
    WHATS,
    ExportData,
    attribution_lines,
    export_data,
    export_table,
    sidecar_path,
    write_export,
)

__all__ = [
    "DRIVERS",
    "SIDECAR_SUFFIX",
    "WHATS",
    "ExportData",
    "attribution_lines",
    "export_data",
    "export_table",
    "sidecar_path",
    "write_export",
]
