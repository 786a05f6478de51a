"""Footprint design and spatial clusters: regionalization, footprint sets, hot spots, schools.

Modules
-------
contiguity
    Shared-boundary (rook) neighbours of areas (:func:`rook_contiguity`).
regionalize
    Designing K contiguous, balanced, compact footprints: the function
    :func:`geo.clusters.regionalize.regionalize` (also :func:`geo.regionalize`) returns a
    :class:`Regionalization`.
footprint_sets
    Alternative footprint sets: lookups, saving them in a bundle and comparing them
    (:func:`compare_footprint_sets`); the saved sets are
    :func:`geo.clusters.footprint_sets.footprint_sets`.
compactness
    Shape measures (:func:`polsby_popper`, :func:`convex_hull_ratio`).
hotspots
    Hot and cold spots (Getis-Ord Gi*, local Moran's I, FDR-corrected): the function
    :func:`geo.clusters.hotspots.hotspots` (also :func:`geo.hotspots`) returns
    :class:`Hotspots`.
design
    The footprint-design workflow the Clusters page and ``hubplan cluster`` share:
    :func:`design_footprints` returns a :class:`FootprintDesign` (lookup, comparison with the
    current footprints, notes); :func:`save_design` saves it as a footprint set.
school_clusters
    Schools grouped around hubs or by footprint: the function
    :func:`geo.clusters.school_clusters.school_clusters` (also :func:`geo.school_clusters`).

The four functions named like their modules are not re-exported here, so that
``geo.clusters.hotspots`` stays the module; use them from the top-level :mod:`geo`.

Examples
--------
>>> import geo  # doctest: +SKIP
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> design = geo.regionalize(place, k=5, balance="children_0_4")  # doctest: +SKIP
>>> design.max_deviation()  # doctest: +SKIP
"""

from geo.clusters.compactness import convex_hull_ratio, polsby_popper
from geo.clusters.contiguity import Contiguity, is_contiguous, rook_contiguity
from geo.clusters.design import FootprintDesign, design_footprints, save_design
from geo.clusters.footprint_sets import (
    Comparison,
    add_footprint_set,
    compare_footprint_sets,
    dissolve,
    footprint_table,
    read_lookup,
    save_footprint_set,
    write_lookup,
)
from geo.clusters.hotspots import Hotspots, benjamini_hochberg
from geo.clusters.regionalize import Regionalization, balance_weights, respect_groups
from geo.clusters.school_clusters import SchoolClusters

__all__ = [
    "Comparison",
    "Contiguity",
    "FootprintDesign",
    "Hotspots",
    "Regionalization",
    "SchoolClusters",
    "add_footprint_set",
    "balance_weights",
    "benjamini_hochberg",
    "compare_footprint_sets",
    "convex_hull_ratio",
    "design_footprints",
    "dissolve",
    "footprint_table",
    "is_contiguous",
    "polsby_popper",
    "read_lookup",
    "respect_groups",
    "rook_contiguity",
    "save_design",
    "save_footprint_set",
    "write_lookup",
]
