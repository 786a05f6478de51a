"""The network step of a place build: read ``[network]``, classify edges, store the tables.

``[network]`` keys besides ``source``, ``detour`` and ``speeds``:

``simplify`` (bool, default true)
    Merge OSM nodes that are not junctions (osmnx simplification; geometry is kept).
``urban_factor`` (number, default 0.7)
    Multiplies driving speeds on roads limited to 40 mph or less.
``weight_points = "postcodes"``
    Represent each area by the mean position of its postcodes (a population-weighted centre)
    instead of a representative point: the postcodes of the ``[postcodes]`` file, or without
    one those of the ONS Postcode Directory (``geo.build.postcodes``).
``access`` (list of site kinds)
    Add ``minutes_to_<kind>`` (walking) indicators for these kinds at build time.
``buffer_m``
    Buffer around the place boundary for ``osm-online`` downloads (default 2000 m).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.build.postcodes import DIRECTORY_NAME, directory_points_within, directory_problem
from geo.build.sites import geocode_postcodes
from geo.errors import ConfigError, DataError, InputError, NetworkError
from geo.network.access import weighted_area_points, with_access_indicators
from geo.network.graph import (
    DEFAULT_URBAN_FACTOR,
    MAX_PLAUSIBLE_KMH,
    implausible_maxspeeds,
    keep_largest_components,
    mode_flags,
    network_tables,
)
from geo.network.osm import read_network, read_place_labels, source_kind
from geo.network.travel import area_points
from geo.place.config import PlaceConfig
from geo.place.model import Attribution, Finding, Place
from geo.place.readers import examples, read_table
from geo.transit.indicators import transit_indicators
from geo.transit.load import attach_timetable

OSM_ATTRIBUTION = (
    "Road network © OpenStreetMap contributors, available under the Open Database Licence (ODbL)."
)


def _number(config: PlaceConfig, key: str, default: float) -> float:
    value = config.network.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(
            f"'network.{key}' must be a positive number, got {value!r}", path=config.path
        )
    return float(value)


REACH_M = 1_000.0


def check_reach(
    areas: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, *, source: str, reach_m: float = REACH_M
) -> list[Finding]:
    """Refuse a network that does not reach the areas; list the areas it misses.

    Each area's representative point should lie within ``reach_m`` of a usable street. Fewer
    than half within reach is an error saying how far off the network is (a wrong file or
    CRS); some areas beyond reach is a warning listing them.
    """
    flags = [c for c in ("walk", "cycle", "drive_fwd", "drive_bwd") if c in edges.columns]
    if flags:  # only streets some mode may use (not highway=proposed, construction, ...)
        edges = edges[edges[flags].to_numpy(bool).any(axis=1)]
    if edges.empty or areas.empty:
        raise NetworkError(
            "the network has no usable streets (no way has a highway=* value that walking, "
            "cycling or driving may use)",
            path=source,
        )
    points = gpd.GeoDataFrame(geometry=areas.geometry.representative_point(), crs=areas.crs)
    tree = shapely.STRtree(edges.geometry.values)
    _, dist = tree.query_nearest(points.geometry.values, return_distance=True, all_matches=False)
    far = dist > reach_m
    if far.sum() > len(points) / 2:
        raise NetworkError(
            f"the network does not reach the areas: {int(far.sum())} of {len(points)} area "
            f"points are more than {reach_m / 1000:g} km from a usable street (median "
            f"{np.median(dist) / 1000:,.1f} km off); wrong extract or CRS?",
            path=source,
        )
    if far.any():
        codes = areas.index[far].tolist()
        return [
            Finding(
                "warning",
                f"network: {len(codes)} area(s) have no usable street within "
                f"{reach_m / 1000:g} km (times there are approximate): {examples(codes)}",
            )
        ]
    return []


def check_walkable(edges: gpd.GeoDataFrame, *, source: str) -> None:
    """Refuse a network with no street people may walk (only motorways, say).

    Walking is the mode access, isochrones and the dashboard use unless told otherwise, so a
    network without it is the wrong extract (a driving-only download), not a place to build.
    """
    if edges["walk"].to_numpy(bool).any():
        return
    usable = edges[edges[["cycle", "drive_fwd", "drive_bwd"]].to_numpy(bool).any(axis=1)]
    kinds = usable["highway"].astype(str).value_counts()
    raise NetworkError(
        f"no street in the network may be walked: its {len(usable):,} street segment(s) are "
        f"highway {examples(kinds.index.tolist())}; walking times (the default mode of "
        "access, isochrones and the dashboard) need footways and streets: use an extract "
        "with every highway, not a driving-only one",
        path=source,
    )


def _add_osm_labels(place: Place, source: str, *, crs: str) -> None:
    """Town and suburb names from the OSM file's place nodes, as the ``place_labels`` table
    (drawn on every map; ODbL attribution comes with the OSM network)."""
    labels = read_place_labels(source, crs=crs, boundary=place.boundary)
    name = Path(source).name
    if len(labels):
        place.tables["place_labels"] = labels
        kinds = ", ".join(f"{n} {k}" for k, n in labels["kind"].value_counts().items())
        place.findings.append(
            Finding("info", f"labels: {len(labels)} place names from {name} ({kinds})")
        )
    else:
        place.findings.append(
            Finding(
                "warning",
                f"labels: no named OSM place nodes (city, town, suburb, village, hamlet) "
                f"inside the place in {name}: maps show no town names (add a [labels] file)",
            )
        )


def add_network(place: Place, config: PlaceConfig) -> Place:
    """Add the road network, area points and access indicators named by ``config`` to ``place``.

    Changes ``place`` in place (it is being built) and returns it.
    """
    net = config.network
    urban = _number(config, "urban_factor", DEFAULT_URBAN_FACTOR)
    place.meta["network_urban_factor"] = f"{urban:g}"
    if net.source != "crowfly":
        try:
            nodes, raw = read_network(
                net.source, crs=config.crs, boundary=place.boundary, options=dict(net.options)
            )
        except InputError as exc:
            if exc.path is None:
                raise type(exc)(str(exc), path=net.source) from None
            raise
        flags = mode_flags(raw, urban_factor=urban)
        odd = implausible_maxspeeds(raw["maxspeed"])
        if odd:
            place.findings.append(
                Finding(
                    "warning",
                    f"network: maxspeed {examples(odd)} in {Path(net.source).name} is not a "
                    f"plausible speed limit (0 or over {MAX_PLAUSIBLE_KMH:g} km/h): the "
                    "highway's default speed is used there",
                )
            )
        edges = gpd.GeoDataFrame(
            pd.concat([raw[["u", "v", "length_m", "highway", "maxspeed"]], flags], axis=1),
            geometry=raw.geometry,
            crs=config.crs,
        )
        clipped = (raw.attrs.get("clipped_ways", 0), raw.attrs.get("clipped_pieces", 0))
        edges, found = keep_largest_components(nodes, edges)
        place.findings.extend(found)
        place.findings.extend(check_reach(place.areas, edges, source=net.source))
        check_walkable(edges, source=net.source)
        if clipped[0]:
            place.findings.append(
                Finding(
                    "info",
                    f"network: {clipped[0]:,} way(s) named nodes missing from "
                    f"{Path(net.source).name} (a clipped extract) and were cut to the nodes "
                    f"present ({clipped[1]:,} piece(s) kept)",
                )
            )
        place.tables.update(network_tables(nodes, edges))
        kind = source_kind(net.source)
        place.findings.append(
            Finding(
                "info",
                f"network: {len(place.tables['network_nodes']):,} nodes, "
                f"{len(place.tables['network_edges']):,} street segments from {kind} source",
            )
        )
        if kind in ("osm", "pbf", "online") and not net.attribution:
            place.attributions.append(Attribution("OpenStreetMap", OSM_ATTRIBUTION))
        if kind in ("osm", "pbf") and config.labels is None:
            _add_osm_labels(place, net.source, crs=config.crs)
    if net.transit is not None:
        try:
            attach_timetable(place, net.transit)
        except InputError as exc:
            if exc.path is None:
                raise InputError(str(exc), path=config.path) from None
            raise
    weight = net.options.get("weight_points")
    if weight is not None:
        if weight != "postcodes":
            raise ConfigError(
                f"'network.weight_points' = {weight!r}: only \"postcodes\" is supported",
                path=config.path,
            )
        points, lookup = _weighting_postcodes(place, config)
        weighted = weighted_area_points(place.areas, points)
        if weighted.empty:
            raise DataError(
                f"'network.weight_points' = \"postcodes\": none of the {len(points):,} "
                f"postcodes in {lookup} lies inside an area (is the place in Great Britain and "
                f"its crs {config.crs!r} right?)",
                path=config.path,
            )
        place.tables["area_points"] = weighted
        missing = len(place.areas) - len(weighted)
        place.findings.append(
            Finding(
                "info" if not missing else "warning",
                f"area points: population-weighted (mean of postcodes in {lookup}) for "
                f"{len(weighted)} areas"
                + (
                    f"; representative point for {missing} areas with no postcode: "
                    + examples(sorted(set(place.areas.index.astype(str)) - set(weighted["code"])))
                    if missing
                    else ""
                ),
            )
        )
    kinds = net.options.get("access", [])
    if isinstance(kinds, str):
        kinds = [kinds]
    if kinds:
        unknown = [k for k in kinds if k not in place.site_kinds]
        if unknown:
            raise ConfigError(
                f"'network.access' names unknown site kind(s) {unknown}; known: {', '.join(place.site_kinds)}",
                path=config.path,
            )
        done = with_access_indicators(place, kinds, mode="walk")
        place.areas, place.catalogue = done.areas, done.catalogue
    if net.transit is not None:
        done = transit_indicators(
            place,
            area_points(place),
            hub_kind=net.transit.hub_kind,
            school_kind=net.transit.school_kind,
        )
        place.areas, place.catalogue = done.areas, done.catalogue
    return place


def _weighting_postcodes(place: Place, config: PlaceConfig) -> tuple[gpd.GeoSeries, str]:
    """The postcodes that weight the area points, and what they came from (for messages)."""
    if config.postcodes is not None:  # the place's own file overrides the directory
        table = read_table(
            config.postcodes.path,
            dtype_str=[config.postcodes.postcode],
            table_format=config.postcodes.table_format,
        )
        points, geocoded = geocode_postcodes(
            table[config.postcodes.postcode], config.postcodes, crs=config.crs
        )
        return points[geocoded.to_numpy()], config.postcodes.path.name
    if (problem := directory_problem()) is not None:
        raise ConfigError(
            "'network.weight_points' = \"postcodes\" needs a [postcodes] table or the ONS "
            f"Postcode Directory, and {problem}",
            path=config.path,
        )
    x0, y0, x1, y1 = (float(v) for v in place.areas.total_bounds)
    return directory_points_within((x0, y0, x1, y1), crs=config.crs), DIRECTORY_NAME
