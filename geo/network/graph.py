"""The road network of a place: edge tables in the bundle and per-mode routing graphs.

A place with a network carries two tables in :attr:`Place.tables`:

``network_nodes``
    ``node_id``, ``x``, ``y`` (working CRS, metres).
``network_edges``
    One row per street segment (both directions in one row): ``u``, ``v`` (node ids),
    ``length_m``, ``highway``, ``maxspeed``, the mode flags ``walk``, ``cycle``,
    ``drive_fwd`` (u -> v), ``drive_bwd`` (v -> u), ``drive_kmh`` and the LineString
    ``geometry`` in the working CRS, running from ``u`` to ``v``.

Mode flags are already restricted to each mode's largest connected component (strongly
connected for ``drive``) when the place is built. :func:`mode_graph` turns the tables into a
:class:`ModeGraph` (sparse adjacency in seconds plus an edge index for snapping) once per
opened place and mode.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.errors import NetworkError
from geo.network._contraction import contract
from geo.network._sparse import sparse_min
from geo.network.modes import MODES, check_mode
from geo.place.model import Finding, Place

MPH = 1.609344
# Highway types each mode may use (before access tags). UK conventions: walking is allowed on
# trunk roads, not on motorways; cycling not on footways, steps or pedestrian streets.
WALK_HIGHWAYS = frozenset(
    [
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
        "track",
        "pedestrian",
        "footway",
        "path",
        "steps",
        "cycleway",
        "bridleway",
        "corridor",
        "crossing",
    ]
)
CYCLE_HIGHWAYS = frozenset(
    [
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
        "track",
        "path",
        "cycleway",
        "bridleway",
    ]
)
DRIVE_HIGHWAYS = frozenset(
    [
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    ]
)
# Free-flow speeds (km/h) when an edge has no usable ``maxspeed`` (UK limits).
DEFAULT_DRIVE_KMH = {
    "motorway": 70 * MPH, "motorway_link": 50 * MPH, "trunk": 60 * MPH, "trunk_link": 40 * MPH,
    "primary": 50 * MPH, "primary_link": 30 * MPH, "secondary": 40 * MPH,
    "secondary_link": 30 * MPH, "tertiary": 30 * MPH, "tertiary_link": 30 * MPH,
    "unclassified": 30 * MPH, "road": 30 * MPH, "residential": 20 * MPH,
    "living_street": 10 * MPH, "service": 10 * MPH,
}  # fmt: skip
# Speed limits at or below this (km/h) are built-up roads: the urban factor applies to them.
URBAN_LIMIT_KMH = 40 * MPH + 0.01
DEFAULT_URBAN_FACTOR = 0.7
_NSL = {"gb:nsl_single": 60 * MPH, "gb:nsl_dual": 70 * MPH, "gb:motorway": 70 * MPH,
        "uk:nsl_single": 60 * MPH, "uk:nsl_dual": 70 * MPH, "uk:motorway": 70 * MPH}  # fmt: skip
# The fastest speed limit taken from a ``maxspeed`` tag (km/h); UK motorways are 70 mph.
MAX_PLAUSIBLE_KMH = 200.0
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
NODE_COLUMNS = ("node_id", "x", "y")
EDGE_COLUMNS = (
    "u", "v", "length_m", "highway", "maxspeed", "walk", "cycle", "drive_fwd", "drive_bwd",
    "drive_kmh",
)  # fmt: skip


def parse_maxspeed(value: object, highway: str) -> float | None:
    """A ``maxspeed`` tag in km/h (``"30 mph"``, ``"50"``, ``"national"``, ``"GB:nsl_single"``).

    Returns None when the tag is missing or not understood (the highway default applies).
    A list (an edge merged from several ways) gives the lowest value.
    """
    if isinstance(value, list | tuple):
        parsed = [p for p in (parse_maxspeed(v, highway) for v in value) if p is not None]
        return min(parsed) if parsed else None
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if ";" in text:
        return parse_maxspeed(text.split(";"), highway)
    if text in _NSL:
        return _NSL[text]
    if text == "national":
        return 70 * MPH if highway in ("motorway", "trunk") else 60 * MPH
    match = _NUMBER.match(text)
    if not match:
        return None
    number = float(match.group(1))
    kmh = number * MPH if match.group(2) == "mph" else number
    if not 0 < kmh <= MAX_PLAUSIBLE_KMH:
        return None  # a typo such as "3000" (see implausible_maxspeeds)
    return kmh


def implausible_maxspeeds(maxspeed: pd.Series) -> list[str]:
    """The distinct ``maxspeed`` tags that are numbers but not a plausible limit.

    Zero, or above :data:`MAX_PLAUSIBLE_KMH`: :func:`parse_maxspeed` ignores them (the
    highway's default speed applies), and the build says so.
    """
    found: list[str] = []
    for value in maxspeed:
        for part in value if isinstance(value, list | tuple) else [value]:
            if part is None or (isinstance(part, float) and np.isnan(part)):
                continue
            for text in str(part).strip().lower().split(";"):
                match = _NUMBER.match(text)
                if match and parse_maxspeed(text, "") is None and text.strip() not in found:
                    found.append(text.strip())
    return found


def drive_speeds(
    highway: pd.Series, maxspeed: pd.Series, *, urban_factor: float = DEFAULT_URBAN_FACTOR
) -> np.ndarray:
    """Driving speeds in km/h: ``maxspeed`` or the highway default, times the urban factor.

    The urban factor (default 0.7) stands for junctions, signals and traffic on built-up
    roads; it applies to edges whose limit is 40 mph or less.
    """
    limits = np.array(
        [
            parse_maxspeed(m, h) or DEFAULT_DRIVE_KMH.get(h, 20 * MPH)
            for h, m in zip(highway, maxspeed, strict=True)
        ],
        dtype=float,
    )
    return np.where(limits <= URBAN_LIMIT_KMH, limits * urban_factor, limits)


def _tag_no(series: pd.Series | None, n: int) -> np.ndarray:
    if series is None:
        return np.zeros(n, dtype=bool)
    return series.astype("object").map(lambda v: str(v).lower() in ("no", "private")).to_numpy(bool)


def _tag_yes(series: pd.Series | None, n: int) -> np.ndarray:
    if series is None:
        return np.zeros(n, dtype=bool)
    return (
        series.astype("object")
        .map(lambda v: str(v).lower() in ("yes", "designated", "permissive"))
        .to_numpy(bool)
    )


def mode_flags(raw: pd.DataFrame, *, urban_factor: float = DEFAULT_URBAN_FACTOR) -> pd.DataFrame:
    """Which modes may use each edge, from ``highway``, ``oneway`` and access tags.

    ``raw`` has ``highway``, ``maxspeed`` and optionally ``oneway`` and the tags ``access``,
    ``foot``, ``bicycle``, ``motor_vehicle``, ``motorcar``. Walking and cycling ignore
    ``oneway``; driving respects it.
    """
    n = len(raw)
    hw = raw["highway"].astype("object").fillna("").astype(str)
    tag = {k: raw.get(k, None) for k in ("access", "foot", "bicycle", "motor_vehicle", "motorcar")}
    no_access = _tag_no(tag["access"], n)
    walk = hw.isin(WALK_HIGHWAYS).to_numpy() & ~no_access
    walk = (
        (walk | _tag_yes(tag["foot"], n)) & ~_tag_no(tag["foot"], n) & (hw != "motorway").to_numpy()
    )
    cycle = hw.isin(CYCLE_HIGHWAYS).to_numpy() & ~no_access
    cycle = (cycle | _tag_yes(tag["bicycle"], n)) & ~_tag_no(tag["bicycle"], n)
    drive = hw.isin(DRIVE_HIGHWAYS).to_numpy() & ~no_access
    drive &= ~_tag_no(tag["motor_vehicle"], n) & ~_tag_no(tag["motorcar"], n)
    oneway = raw["oneway"].astype(bool).to_numpy() if "oneway" in raw else np.zeros(n, bool)
    return pd.DataFrame(
        {
            "walk": walk,
            "cycle": cycle,
            "drive_fwd": drive,
            "drive_bwd": drive & ~oneway,
            "drive_kmh": drive_speeds(hw, raw["maxspeed"], urban_factor=urban_factor),
        },
        index=raw.index,
    )


def keep_largest_components(
    nodes: pd.DataFrame, edges: pd.DataFrame
) -> tuple[pd.DataFrame, list[Finding]]:
    """Clear each mode's flags outside its largest connected component; report what was dropped.

    Walking and cycling use weakly connected components; driving uses strongly connected ones
    (so no one-way trap is kept). The share dropped is measured in street length.
    """
    edges = edges.copy()
    index = pd.Index(nodes["node_id"].to_numpy())
    u = index.get_indexer(edges["u"].to_numpy())
    v = index.get_indexer(edges["v"].to_numpy())
    n = len(index)
    findings = []
    for mode in MODES:
        if mode == "drive":
            fwd, bwd = edges["drive_fwd"].to_numpy(bool), edges["drive_bwd"].to_numpy(bool)
            allowed = fwd | bwd
            rows = np.concatenate([u[fwd], v[bwd]])
            cols = np.concatenate([v[fwd], u[bwd]])
            connection = "strong"
        else:
            allowed = edges[mode].to_numpy(bool)
            rows, cols, connection = u[allowed], v[allowed], "weak"
        total = float(edges["length_m"].to_numpy()[allowed].sum())
        if total == 0:
            findings.append(Finding("warning", f"network: no edges usable for {mode}"))
            continue
        graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, labels = connected_components(graph, directed=True, connection=connection)
        used = np.zeros(n, bool)
        used[u[allowed]] = used[v[allowed]] = True
        sizes = np.bincount(labels[used], minlength=labels.max() + 1)
        keep_label = int(np.argmax(sizes))
        inside = (labels[u] == keep_label) & (labels[v] == keep_label)
        for col in ("drive_fwd", "drive_bwd") if mode == "drive" else (mode,):
            edges[col] = edges[col].to_numpy(bool) & inside
        kept = edges["drive_fwd"] | edges["drive_bwd"] if mode == "drive" else edges[mode]
        dropped = 1.0 - float(edges["length_m"].to_numpy()[kept.to_numpy(bool)].sum()) / total
        level = "warning" if dropped > 0.10 else "info"
        findings.append(
            Finding(
                level,
                f"network: {mode} keeps the largest connected component: {total / 1000:.1f} km "
                f"usable, {dropped:.1%} dropped ({int((sizes > 0).sum()) - 1} smaller component(s))",
            )
        )
    return edges, findings


def network_tables(
    nodes: pd.DataFrame, edges: gpd.GeoDataFrame
) -> dict[str, pd.DataFrame | gpd.GeoDataFrame]:
    """The two bundle tables, with only the nodes some mode uses."""
    used = edges[["walk", "cycle", "drive_fwd", "drive_bwd"]].any(axis=1).to_numpy()
    edges = edges[used].reset_index(drop=True)
    ids = np.union1d(edges["u"].to_numpy(), edges["v"].to_numpy())
    nodes = nodes[nodes["node_id"].isin(ids)].reset_index(drop=True)
    nodes = pd.DataFrame(
        {
            "node_id": nodes["node_id"].astype("int64"),
            "x": nodes["x"].astype(float),
            "y": nodes["y"].astype(float),
        }
    )
    edges = gpd.GeoDataFrame(
        {
            "u": edges["u"].astype("int64").to_numpy(),
            "v": edges["v"].astype("int64").to_numpy(),
            "length_m": edges["length_m"].astype(float).round(3).to_numpy(),
            "highway": edges["highway"].astype("object").fillna("").astype(str).to_numpy(),
            "maxspeed": edges["maxspeed"].astype("object").fillna("").astype(str).to_numpy(),
            **{c: edges[c].to_numpy(bool) for c in ("walk", "cycle", "drive_fwd", "drive_bwd")},
            "drive_kmh": edges["drive_kmh"].astype(float).to_numpy(),
        },
        geometry=edges.geometry.to_numpy(),
        crs=edges.crs,
    )
    return {"network_nodes": nodes, "network_edges": edges}


def has_network(place: Place) -> bool:
    """True when the place carries a road network (``network_edges`` with rows)."""
    edges = place.tables.get("network_edges")
    return edges is not None and len(edges) > 0


# --------------------------------------------------------------------------- routing graphs


@dataclass
class ModeGraph:
    """One mode's routing graph: sparse adjacency in seconds plus edges for snapping.

    Attributes
    ----------
    matrix
        ``(n, n)`` CSR matrix of travel seconds between node indices (lowest of parallel edges).
    node_xy
        ``(n, 2)`` node coordinates, working CRS.
    edge_u, edge_v
        Node indices of each usable edge (geometry runs from ``u`` to ``v``).
    sec_fwd, sec_bwd
        Seconds to traverse the edge u -> v and v -> u (``inf`` where not allowed).
    leg_speed_ms
        Speed of the off-network leg (metres per second): the mode's configured speed.
    """

    mode: str
    matrix: csr_matrix
    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    length: np.ndarray
    sec_fwd: np.ndarray
    sec_bwd: np.ndarray
    geoms: np.ndarray
    leg_speed_ms: float
    _tree: shapely.STRtree | None = field(default=None, repr=False)
    _reverse: ModeGraph | None = field(default=None, repr=False)
    _core: object | None = field(default=None, repr=False)
    _unclean: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.node_xy)

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    @property
    def core(self):
        """The graph with degree-2 chains contracted (:class:`geo.network._contraction.Core`), built once."""
        if self._core is None:
            self._core = contract(self.edge_u, self.edge_v, self.sec_fwd, self.sec_bwd, self.n)
        return self._core

    @property
    def unclean(self) -> np.ndarray:
        """Edges that cross or touch another edge away from a shared node (bridges, unnoded data).

        Built once; isochrones polygonize the other edges directly without noding them.
        """
        if self._unclean is None:
            a, b = self.tree.query(self.geoms, predicate="intersects")
            keep = a < b
            a, b = a[keep], b[keep]
            share = (
                (self.edge_u[a] == self.edge_u[b]) | (self.edge_u[a] == self.edge_v[b])
                | (self.edge_v[a] == self.edge_u[b]) | (self.edge_v[a] == self.edge_v[b])
            )  # fmt: skip
            # sharing a node but meeting elsewhere too (curved edges, parallel edges)
            multi = share & (
                (shapely.get_num_coordinates(self.geoms[a]) > 2)
                | (shapely.get_num_coordinates(self.geoms[b]) > 2)
                | ((self.edge_u[a] == self.edge_u[b]) & (self.edge_v[a] == self.edge_v[b]))
                | ((self.edge_u[a] == self.edge_v[b]) & (self.edge_v[a] == self.edge_u[b]))
            )
            if multi.any():
                meet = shapely.intersection(self.geoms[a[multi]], self.geoms[b[multi]])
                single = shapely.get_type_id(meet) == 0  # one point: the shared node
                share[np.flatnonzero(multi)[~single]] = False
            bad = np.zeros(len(self.geoms), bool)
            bad[a[~share]] = True
            bad[b[~share]] = True
            self._unclean = bad
        return self._unclean

    def reversed(self) -> ModeGraph:
        """The same graph with every direction flipped (for travel *to* a set of places)."""
        if self._reverse is None:
            self._reverse = ModeGraph(
                mode=self.mode, matrix=self.matrix.T.tocsr(), node_xy=self.node_xy,
                edge_u=self.edge_u, edge_v=self.edge_v, length=self.length,
                sec_fwd=self.sec_bwd, sec_bwd=self.sec_fwd, geoms=self.geoms,
                leg_speed_ms=self.leg_speed_ms, _tree=self.tree, _reverse=self,
            )  # fmt: skip
            if np.array_equal(self.sec_fwd, self.sec_bwd):  # walking, cycling: the same graph
                self._reverse._core = self.core
        return self._reverse

    @classmethod
    def from_tables(
        cls, nodes: pd.DataFrame, edges: gpd.GeoDataFrame, *, mode: str, speed_kmh: float
    ) -> ModeGraph:
        """Build the routing graph of ``mode`` from the bundle tables.

        ``speed_kmh`` is the mode's speed: the edge speed for walking and cycling and the
        off-network leg speed for every mode (driving uses each edge's ``drive_kmh``).
        """
        if mode == "drive":
            fwd, bwd = edges["drive_fwd"].to_numpy(bool), edges["drive_bwd"].to_numpy(bool)
            speed = edges["drive_kmh"].to_numpy(float) / 3.6
        else:
            fwd = bwd = edges[mode].to_numpy(bool)
            speed = np.full(len(edges), speed_kmh / 3.6)
        keep = fwd | bwd
        if not keep.any():
            raise NetworkError(f"the place's road network has no edges usable for {mode}")
        index = pd.Index(nodes["node_id"].to_numpy())
        u = index.get_indexer(edges["u"].to_numpy()[keep])
        v = index.get_indexer(edges["v"].to_numpy()[keep])
        length = edges["length_m"].to_numpy(float)[keep]
        sec = np.maximum(length / speed[keep], 1e-3)
        sec_fwd = np.where(fwd[keep], sec, np.inf)
        sec_bwd = np.where(bwd[keep], sec, np.inf)
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u])
        weights = np.concatenate([sec_fwd, sec_bwd])
        ok = np.isfinite(weights)
        n = len(index)
        return cls(
            mode=mode,
            matrix=sparse_min(rows[ok], cols[ok], weights[ok], n),
            node_xy=nodes[["x", "y"]].to_numpy(float),
            edge_u=u, edge_v=v, length=length, sec_fwd=sec_fwd, sec_bwd=sec_bwd,
            geoms=np.asarray(edges.geometry.to_numpy()[keep]),
            leg_speed_ms=speed_kmh / 3.6,
        )  # fmt: skip


_cache: dict[tuple[int, str], tuple[weakref.ref, float, ModeGraph]] = {}
_cache_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_cache_lock=threading.Lock()))


def mode_graph(place: Place, mode: str) -> ModeGraph:
    """The routing graph of ``mode`` for ``place``, built once per place object and cached.

    Raises :class:`~geo.errors.NetworkError` for an unknown mode or a place without a network.
    """
    speed = check_mode(place, mode)
    if mode not in MODES:
        raise NetworkError(
            f"unknown mode {mode!r} for the road network; use one of {', '.join(MODES)}"
        )
    if not has_network(place):
        raise NetworkError("the place has no road network (its [network] source is crowfly)")
    key = (id(place), mode)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is place and hit[1] == speed:
            return hit[2]
        for k in [k for k, (ref, _, _) in _cache.items() if ref() is None]:
            del _cache[k]
    try:
        graph = ModeGraph.from_tables(
            place.tables["network_nodes"],
            place.tables["network_edges"],
            mode=mode,
            speed_kmh=speed,
        )
    except NetworkError as exc:  # say which network, and what to do
        source = Path(str(place.meta.get("network_source", "its source"))).name
        raise NetworkError(
            f"{exc} (read from {source} when the place was built): choose another mode, or "
            "rebuild with an extract that has such streets"
        ) from None
    with _cache_lock:
        _cache[key] = (weakref.ref(place), speed, graph)
    return graph
