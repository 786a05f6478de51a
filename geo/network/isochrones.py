"""Isochrones: the streets reachable within each time band, buffered to a stated width.

Band polygons are built from the reached street segments themselves (not a hull): a segment
reached only partly is cut at the exact point where the time runs out, and the off-network
leg from the hub to its street is included. Land with no street stays out. Bands are
cumulative and nested (the 10-minute polygon contains the 5-minute one).

With no road network the bands are circles of radius ``speed x minutes / detour``, clipped
to the place and labelled approximate.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import shapely
from shapely import ops

from geo.errors import InputError
from geo.network.graph import ModeGraph, has_network, mode_graph
from geo.network.routing import FAR_FROM_ROAD_M, Snap, reach, snap
from geo.network.travel import TRANSIT, check_mode, detour
from geo.place.model import Place
from geo.transit.isochrones import DEFAULT_CELL_M, transit_bands

DEFAULT_BUFFER_M = 50.0
QUAD_SEGS = 2


def check_minutes(minutes: Sequence[float] | str) -> list[float]:
    """Band limits as floats; raise naming the value unless positive and strictly increasing."""
    if isinstance(minutes, str):
        try:
            minutes = [float(m) for m in minutes.split(",") if m.strip()]
        except ValueError:
            raise InputError(f"minutes {minutes!r} must be numbers separated by commas") from None
    values = [float(m) for m in minutes]
    if not values:
        raise InputError("give at least one band in minutes, e.g. 5,10,15")
    for m in values:
        if not np.isfinite(m) or m <= 0:
            raise InputError(f"minutes must be positive, got {m:g}")
    for a, b in itertools.pairwise(values):
        if b <= a:
            raise InputError(f"minutes must be increasing, got {a:g} then {b:g}")
    return values


def _substrings(geoms: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Pieces of lines between normalised positions ``start`` < ``end`` (exact cut points)."""
    out = np.empty(len(geoms), dtype=object)
    simple = shapely.get_num_coordinates(geoms) == 2
    if simple.any():
        g = geoms[simple]
        a = shapely.line_interpolate_point(g, start[simple], normalized=True)
        b = shapely.line_interpolate_point(g, end[simple], normalized=True)
        out[simple] = shapely.linestrings(
            np.stack([shapely.get_coordinates(a), shapely.get_coordinates(b)], axis=1)
        )
    for i in np.flatnonzero(~simple):
        out[i] = ops.substring(geoms[i], start[i], end[i], normalized=True)
    return out


def reached_lines(
    graph: ModeGraph, sources: Snap, node_s: np.ndarray, limit_s: float, xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street reached within ``limit_s`` given node times ``node_s``.

    Returns a mask of segments reached in full, an array of the partly reached pieces (cut
    exactly where time runs out), including the hubs' own segments and off-network legs, and
    each piece's segment (-1 for the hubs' own pieces and legs).
    """
    tu, tv = node_s[graph.edge_u], node_s[graph.edge_v]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(np.isfinite(tu), (limit_s - tu) / graph.sec_fwd, 0.0)  # share from u
        b = np.where(np.isfinite(tv), (limit_s - tv) / graph.sec_bwd, 0.0)  # share from v
    a, b = np.clip(np.nan_to_num(a), 0, 1), np.clip(np.nan_to_num(b), 0, 1)
    full = (a + b) >= 1.0
    pieces = []
    owner = []
    part_a = ~full & (a > 0)
    part_b = ~full & (b > 0)
    if part_a.any():
        idx = np.flatnonzero(part_a)
        pieces.append(_substrings(graph.geoms[idx], np.zeros(len(idx)), a[idx]))
        owner.append(idx)
    if part_b.any():
        idx = np.flatnonzero(part_b)
        pieces.append(_substrings(graph.geoms[idx], 1.0 - b[idx], np.ones(len(idx))))
        owner.append(idx)
    # The hub's own segment is reached from the hub outwards, and the off-network leg.
    for i in range(len(sources)):
        left = limit_s - sources.leg_s[i]
        if left <= 0:
            frac = limit_s / sources.leg_s[i] if sources.leg_s[i] > 0 else 0
            if frac > 0:
                pieces.append(np.array([_leg(graph, sources, i, xy[i], frac)], dtype=object))
                owner.append(np.array([-1]))
            continue
        e, f = sources.edge[i], sources.frac[i]
        lo = max(0.0, f - left / graph.sec_bwd[e]) if np.isfinite(graph.sec_bwd[e]) else f
        hi = min(1.0, f + left / graph.sec_fwd[e]) if np.isfinite(graph.sec_fwd[e]) else f
        extra = [_leg(graph, sources, i, xy[i], 1.0)] if sources.distance_m[i] > 0 else []
        if hi > lo:
            extra.append(ops.substring(graph.geoms[e], lo, hi, normalized=True))
        pieces.append(np.array(extra, dtype=object))
        owner.append(np.full(len(extra), -1))
    lines = np.concatenate(pieces) if pieces else np.array([], dtype=object)
    owners = np.concatenate(owner).astype(np.int64) if owner else np.zeros(0, np.int64)
    if len(lines):
        ok = ~shapely.is_empty(lines)
        lines, owners = lines[ok], owners[ok]
    return full, lines, owners


def _leg(graph: ModeGraph, sources: Snap, i: int, start: np.ndarray, frac: float):
    on_street = shapely.line_interpolate_point(
        graph.geoms[sources.edge[i]], sources.frac[i], normalized=True
    )
    leg = shapely.LineString([start, shapely.get_coordinates(on_street)[0]])
    return leg if frac >= 1 else ops.substring(leg, 0, frac, normalized=True)


def buffer_lines(
    lines: np.ndarray, width: float, *, noded: bool = False, loose: np.ndarray | None = None
) -> shapely.Geometry:
    """The union of ``width`` buffers of ``lines``, computed through the blocks they enclose.

    Equal to ``union_all(buffer(lines, width))`` but much faster on dense street grids, where
    those buffers overlap heavily: the lines are noded and polygonized into faces (blocks);
    a point inside a face is within ``width`` of the lines exactly when it is within
    ``width`` of the face's boundary (any other line is beyond that boundary) or of a loose
    line (dead end, cut edge) inside it. So the result is
    ``buffer(union of faces, width)`` minus each face eroded by ``width``, plus the buffers of
    the loose lines.

    ``noded=True`` says the ``lines`` only meet at their ends (skips noding them); ``loose``
    lines are buffered one by one and added.
    """
    extra = np.asarray(loose if loose is not None else [], dtype=object)
    if len(lines) == 0 and len(extra) == 0:
        return shapely.Polygon()
    parts_in = lines if noded else shapely.get_parts(shapely.union_all(lines))
    faces, cuts, dangles, invalid = shapely.polygonize_full(parts_in)
    faces = shapely.get_parts(faces)
    loose = np.concatenate([extra, *(shapely.get_parts(g) for g in (cuts, dangles, invalid))])
    parts = []
    if len(faces):
        blocks = shapely.coverage_union_all(faces)
        grown = shapely.buffer(blocks, width, quad_segs=QUAD_SEGS)
        # Only a face holding a disc of radius ``width`` has an inner part: its bounding box is
        # at least 2 x width across and its area at least pi x width^2. Most street blocks are
        # smaller, so the negative buffer runs on few faces.
        box = shapely.bounds(faces)
        big = (np.minimum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) > 2 * width) & (
            shapely.area(faces) > np.pi * width * width
        )
        inner = shapely.buffer(faces[big], -width, quad_segs=QUAD_SEGS)
        inner = inner[~shapely.is_empty(inner)]
        parts.append(shapely.difference(grown, shapely.union_all(inner)) if len(inner) else grown)
    # One cascaded union of the blocks' polygon and every loose buffer (cheaper than uniting
    # the loose buffers first and then the two).
    return shapely.union_all(
        np.concatenate([parts, shapely.buffer(loose, width, quad_segs=QUAD_SEGS)])
    )


def network_isochrones(
    graph: ModeGraph,
    xy: np.ndarray,
    *,
    minutes: Sequence[float],
    buffer_m: float = DEFAULT_BUFFER_M,
) -> tuple[list[shapely.Geometry], Snap]:
    """Band polygons (cumulative, smallest first) from one or more hubs at ``xy``.

    Each band buffers all its reached street (:func:`buffer_lines`) and is joined with the
    previous band, so bands nest exactly.
    """
    xy = np.asarray(xy, float).reshape(-1, 2)
    sources = snap(graph, xy)
    limits = np.asarray(minutes, float) * 60.0
    node_s = reach(graph, sources, limit_s=float(limits[-1]))
    unclean = graph.unclean

    def band(limit: float) -> shapely.Geometry:
        full, pieces, owner = reached_lines(graph, sources, node_s, limit, xy)
        clean_piece = owner >= 0
        clean_piece[clean_piece] = ~unclean[owner[clean_piece]]
        # Edges that cross others (bridges) are noded among themselves: clean edges cross nothing.
        crossing = np.concatenate(
            [graph.geoms[full & unclean], pieces[(owner >= 0) & ~clean_piece]]
        )
        noded = shapely.get_parts(shapely.union_all(crossing)) if len(crossing) else crossing
        return buffer_lines(
            np.concatenate([graph.geoms[full & ~unclean], pieces[clean_piece], noded]),
            buffer_m,
            noded=True,
            loose=pieces[owner < 0],
        )

    # Bands are independent until nested; GEOS releases the GIL, so they run side by side.
    # The largest band is by far the most work: it starts first, and the smaller ones share
    # the other workers (in order, a 2-core pool would pair the two largest on one thread).
    workers = min(len(limits), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {float(x): pool.submit(band, float(x)) for x in limits[::-1]}
            bands = [futures[float(x)].result() for x in limits]
    else:
        bands = [band(float(x)) for x in limits]
    polys = []
    previous = shapely.Polygon()
    for geom in bands:
        previous = geom if previous.is_empty else shapely.union(previous, geom)
        polys.append(previous)
    return polys, sources


def isochrones(
    place: Place,
    hubs: gpd.GeoSeries,
    *,
    mode: str = "walk",
    minutes: Sequence[float] = (5, 10, 15, 20),
    buffer_m: float = DEFAULT_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Nested travel-time bands around one or more hubs (the nearest hub counts).

    Parameters
    ----------
    place : Place
        A place; uses its road network when it has one, else crow-fly circles.
    hubs : geopandas.GeoSeries
        Hub points in the place's working CRS.
    mode : str
        ``walk``, ``cycle``, ``drive`` or ``transit`` (walking plus public transport, from
        each cell of a 250 m grid to the nearest hub, median over the departure window:
        :mod:`geo.transit.isochrones`; method ``transit-grid``).
    minutes : sequence of float
        Band limits, positive and increasing.
    buffer_m : float
        Width (metres either side) the reached streets are buffered by.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per band, smallest first: ``minutes``, ``mode``, ``method`` (``network`` or
        ``crowfly``), ``approximate``, ``buffer_m``, geometry (working CRS). ``attrs`` holds
        ``snap_m``: each hub's distance to the nearest street, and ``warnings``.
    """
    speed = check_mode(place, mode)
    bands = check_minutes(minutes)
    if buffer_m <= 0:
        raise InputError(f"buffer width must be positive, got {buffer_m:g} m")
    xy = np.column_stack([hubs.x.to_numpy(), hubs.y.to_numpy()]) if len(hubs) else np.empty((0, 2))
    if len(xy) == 0:
        raise InputError("no hubs given for the isochrones")
    warnings: list[str] = []
    if mode == TRANSIT:
        polys, _, _ = transit_bands(place, xy, minutes=bands)
        snap_m = np.zeros(len(xy))
        method, approximate = "transit-grid", not has_network(place)
        warnings.append(f"transit bands: {DEFAULT_CELL_M:g} m grid cells, median over the window")
    elif has_network(place):
        graph = mode_graph(place, mode)
        polys, sources = network_isochrones(graph, xy, minutes=bands, buffer_m=buffer_m)
        snap_m = sources.distance_m
        for i, d in enumerate(snap_m):
            if d > FAR_FROM_ROAD_M:
                label = hubs.index[i]
                warnings.append(
                    f"hub {label} is {d:,.0f} m from the nearest {mode} route; times start with that leg"
                )
        method, approximate = "network", False
    else:
        area = place.boundary
        factor = speed * 1000 / 60 / detour(place)
        points = shapely.points(xy)
        polys = [
            shapely.intersection(
                shapely.union_all(shapely.buffer(points, m * factor, quad_segs=16)), area
            )
            for m in bands
        ]
        snap_m = np.zeros(len(xy))
        method, approximate = "crowfly", True
    out = gpd.GeoDataFrame(
        {
            "minutes": bands,
            "mode": mode,
            "method": method,
            "approximate": approximate,
            "buffer_m": buffer_m if method == "network" else 0.0,
        },
        geometry=polys,
        crs=place.crs,
    )
    out.attrs["snap_m"] = [float(d) for d in snap_m]
    out.attrs["warnings"] = warnings
    return out
