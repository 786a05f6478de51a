"""Shortest travel times on a :class:`~geo.network.graph.ModeGraph`.

Points snap to the nearest point of the nearest usable street (not just the nearest node),
and the straight off-network leg between the point and the street is travelled at the
mode's speed. Each snapped source becomes a virtual node joined to both ends of its street
segment with the fractional costs (appended rows of the cached CSR matrix), so one bounded
:func:`scipy.sparse.csgraph.dijkstra` run per source (or one multi-source run) answers every
query exactly; times to snapped destinations follow from the times at both ends of their
segment, plus the direct way when a source and a destination share a segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.network.graph import ModeGraph

FAR_FROM_ROAD_M = 1_000.0
_BATCH = 64


@dataclass(frozen=True)
class Snap:
    """Points snapped onto a graph's streets.

    Attributes
    ----------
    edge
        Index of the street segment (into the graph's edge arrays).
    frac
        Position along the segment, 0 at ``u`` and 1 at ``v``.
    distance_m
        Length of the straight off-network leg.
    leg_s
        Seconds for that leg at the mode's speed.
    """

    edge: np.ndarray
    frac: np.ndarray
    distance_m: np.ndarray
    leg_s: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)


def snap(graph: ModeGraph, xy: np.ndarray) -> Snap:
    """Snap ``(n, 2)`` points (working CRS) to the nearest usable street segment."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    points = shapely.points(xy)
    pairs, dist = graph.tree.query_nearest(points, return_distance=True, all_matches=False)
    edge = np.empty(len(xy), dtype=np.int64)
    distance = np.empty(len(xy))
    edge[pairs[0]] = pairs[1]
    distance[pairs[0]] = dist
    frac = shapely.line_locate_point(graph.geoms[edge], points, normalized=True)
    frac = np.nan_to_num(frac, nan=0.0)
    return Snap(edge, frac, distance, distance / graph.leg_speed_ms)


def _part(share: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """``share x seconds``: ``inf`` (not NaN) where the direction is not allowed, 0 for no share
    (a point at the very end of a one-way segment is at that node)."""
    finite = np.isfinite(seconds)
    out = np.where(finite, share * np.where(finite, seconds, 0.0), np.inf)
    return np.where(share <= 0, 0.0, out)


def _with_sources(graph: ModeGraph, s: Snap) -> csr_matrix:
    """The graph's matrix with one extra row per source: a virtual node joined to both ends
    of its street segment (``leg + fraction x segment time``).

    Only rows are appended (no column changes), so this is a cheap concatenation of the CSR
    arrays rather than a rebuild.
    """
    n, k = graph.n, len(s)
    e = s.edge
    to_v = s.leg_s + _part(1 - s.frac, graph.sec_fwd[e])
    to_u = s.leg_s + _part(s.frac, graph.sec_bwd[e])
    cols = np.stack([graph.edge_v[e], graph.edge_u[e]], axis=1)
    w = np.stack([to_v, to_u], axis=1)
    ok = np.isfinite(w)
    ok[:, 1] &= cols[:, 1] != cols[:, 0]  # a loop segment: one entry is enough
    counts = ok.sum(axis=1)
    base = graph.matrix
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([base.indices, cols[ok]])
    data = np.concatenate([base.data, np.maximum(w[ok], 1e-6)])
    size = n + k
    return csr_matrix((data, indices, indptr), shape=(size, size))


def _to_targets(graph: ModeGraph, dist: np.ndarray, t: Snap) -> np.ndarray:
    """Seconds to each target from node distances ``dist`` (``(..., n)``): via either end."""
    e = t.edge
    via_u = dist[..., graph.edge_u[e]] + _part(t.frac, graph.sec_fwd[e])
    via_v = dist[..., graph.edge_v[e]] + _part(1 - t.frac, graph.sec_bwd[e])
    return np.minimum(via_u, via_v) + t.leg_s


def _same_segment(graph: ModeGraph, s: Snap, t: Snap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, seconds) for sources and targets on the same segment, directly along it."""
    rows, cols, w = [], [], []
    t_order = np.argsort(t.edge, kind="stable")
    t_sorted = t.edge[t_order]
    for i in np.flatnonzero(np.isin(s.edge, t.edge)):
        e = s.edge[i]
        lo, hi = np.searchsorted(t_sorted, e), np.searchsorted(t_sorted, e, side="right")
        for j in t_order[lo:hi]:
            step = t.frac[j] - s.frac[i]
            sec = graph.sec_fwd[e] if step >= 0 else graph.sec_bwd[e]
            along = 0.0 if step == 0 else (abs(step) * sec if np.isfinite(sec) else np.inf)
            if np.isfinite(along):
                rows.append(i)
                cols.append(j)
                w.append(s.leg_s[i] + along + t.leg_s[j])
    return np.array(rows, np.int64), np.array(cols, np.int64), np.array(w, float)


def _core_sources(graph: ModeGraph, s: Snap) -> csr_matrix:
    """The core matrix with one extra row per source, joined to the exits of both segment ends."""
    core = graph.core
    m, k = core.m, len(s)
    e = s.edge
    u, v = graph.edge_u[e], graph.edge_v[e]
    c_u = s.leg_s + _part(s.frac, graph.sec_bwd[e])
    c_v = s.leg_s + _part(1 - s.frac, graph.sec_fwd[e])
    rows = np.tile(np.arange(k), 4)
    cols = np.concatenate([core.exit_a[u], core.exit_b[u], core.exit_a[v], core.exit_b[v]])
    w = np.concatenate(
        [c_u + core.out_a[u], c_u + core.out_b[u], c_v + core.out_a[v], c_v + core.out_b[v]]
    )
    ok = np.isfinite(w) & (cols >= 0)
    rows, cols, w = rows[ok], cols[ok], np.maximum(w[ok], 1e-6)
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.ones(len(rows), bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, w = rows[first], cols[first], w[first]
    base = core.matrix
    indptr = np.concatenate(
        [base.indptr, base.indptr[-1] + np.cumsum(np.bincount(rows, minlength=k))]
    )
    size = m + k
    return csr_matrix(
        (np.concatenate([base.data, w]), np.concatenate([base.indices, cols]), indptr),
        shape=(size, size),
    )


def _node_times(
    graph: ModeGraph, dist: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Times at ``nodes`` from core times ``dist`` (``(..., m)``), and which exit gave each."""
    core = graph.core
    a, b = core.exit_a[nodes], core.exit_b[nodes]
    via_a = np.where(a >= 0, dist[..., np.maximum(a, 0)], np.inf) + core.in_a[nodes]
    via_b = np.where(b >= 0, dist[..., np.maximum(b, 0)], np.inf) + core.in_b[nodes]
    return np.minimum(via_a, via_b), np.where(via_a <= via_b, a, b)


def _chain_cost(graph: ModeGraph, e1: int, f1: float, e2: int, f2: float) -> float:
    """Seconds from a point on segment ``e1`` to one on ``e2`` of the same chain, along it."""
    core = graph.core
    off = core.offset[core.chain[e1]]
    k1, k2 = core.pos[e1], core.pos[e2]
    phi1 = f1 if core.forward[e1] else 1.0 - f1
    phi2 = f2 if core.forward[e2] else 1.0 - f2

    def along(e: int, forward: bool) -> float:  # seconds of segment e in or against chain direction
        return graph.sec_fwd[e] if core.forward[e] == forward else graph.sec_bwd[e]

    def part(share: float, sec: float) -> float:
        return 0.0 if share <= 0 else (share * sec if np.isfinite(sec) else np.inf)

    if (k2, phi2) >= (k1, phi1):  # ahead: along the chain
        if k1 == k2:
            return part(phi2 - phi1, along(e1, True))
        if core.block_f[off + k2] - core.block_f[off + k1 + 1] > 0:
            return np.inf
        middle = core.cum_f[off + k2] - core.cum_f[off + k1 + 1]
        return part(1 - phi1, along(e1, True)) + middle + part(phi2, along(e2, True))
    if k1 == k2:
        return part(phi1 - phi2, along(e1, False))
    if core.block_r[off + k1] - core.block_r[off + k2 + 1] > 0:
        return np.inf
    middle = core.cum_r[off + k1] - core.cum_r[off + k2 + 1]
    return part(phi1, along(e1, False)) + middle + part(1 - phi2, along(e2, False))


def _same_chain(graph: ModeGraph, s: Snap, t: Snap) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, seconds) along the chain for sources and targets on the same chain."""
    chain = graph.core.chain
    cs, ct = chain[s.edge], chain[t.edge]
    rows, cols, w = [], [], []
    t_order = np.argsort(ct, kind="stable")
    t_sorted = ct[t_order]
    for i in np.flatnonzero(np.isin(cs, ct)):
        lo, hi = np.searchsorted(t_sorted, cs[i]), np.searchsorted(t_sorted, cs[i], side="right")
        for j in t_order[lo:hi]:
            sec = _chain_cost(graph, s.edge[i], s.frac[i], t.edge[j], t.frac[j])
            if np.isfinite(sec):
                rows.append(i)
                cols.append(j)
                w.append(s.leg_s[i] + sec + t.leg_s[j])
    return np.array(rows, np.int64), np.array(cols, np.int64), np.array(w, float)


def seconds_matrix(
    graph: ModeGraph, origins: Snap, destinations: Snap, *, limit_s: float = np.inf
) -> np.ndarray:
    """Seconds from each origin to each destination (``inf`` beyond ``limit_s`` or unreachable).

    Runs one bounded search per origin on the contracted graph (or per destination on the
    reversed graph when there are fewer destinations).
    """
    if len(origins) == 0 or len(destinations) == 0:
        return np.full((len(origins), len(destinations)), np.inf)
    if len(destinations) < len(origins):
        return seconds_matrix(graph.reversed(), destinations, origins, limit_s=limit_s).T
    core = graph.core
    matrix = _core_sources(graph, origins)
    m, k = core.m, len(origins)
    e = destinations.edge
    to_u = _part(destinations.frac, graph.sec_fwd[e])
    to_v = _part(1 - destinations.frac, graph.sec_bwd[e])
    out = np.empty((k, len(destinations)))
    for start in range(0, k, _BATCH):
        idx = np.arange(m + start, m + min(k, start + _BATCH))
        dist = dijkstra(matrix, directed=True, indices=idx, limit=limit_s)[:, :m]
        du, _ = _node_times(graph, dist, graph.edge_u[e])
        dv, _ = _node_times(graph, dist, graph.edge_v[e])
        out[start : start + len(idx)] = np.minimum(du + to_u, dv + to_v) + destinations.leg_s
    rows, cols, direct = _same_chain(graph, origins, destinations)
    if len(rows):
        np.minimum.at(out, (rows, cols), direct)
    out[~(out <= limit_s)] = np.inf
    return out


def seconds_to_nearest(
    graph: ModeGraph, origins: Snap, targets: Snap, *, limit_s: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from each origin to its nearest target, and that target's position.

    One multi-source search from all targets on the reversed, contracted graph (travel
    *towards* the targets, which matters for one-way streets when driving).
    """
    if len(targets) == 0 or len(origins) == 0:
        return np.full(len(origins), np.inf), np.full(len(origins), -1)
    rev = graph.reversed()
    core = rev.core
    matrix = _core_sources(rev, targets)
    m, k = core.m, len(targets)
    dist, _, source = dijkstra(
        matrix, directed=True, indices=np.arange(m, m + k), limit=limit_s,
        min_only=True, return_predecessors=True,
    )  # fmt: skip
    dist, source = dist[:m], source[:m] - m
    e = origins.edge
    du, ea = _node_times(rev, dist, rev.edge_u[e])
    dv, eb = _node_times(rev, dist, rev.edge_v[e])
    via_u = du + _part(origins.frac, rev.sec_fwd[e])
    via_v = dv + _part(1 - origins.frac, rev.sec_bwd[e])
    seconds = np.minimum(via_u, via_v) + origins.leg_s
    nearest = np.where(via_u <= via_v, source[np.maximum(ea, 0)], source[np.maximum(eb, 0)])
    rows, cols, direct = _same_chain(rev, targets, origins)
    for t_i, o_i, sec in zip(rows, cols, direct, strict=True):
        if sec < seconds[o_i]:
            seconds[o_i], nearest[o_i] = sec, t_i
    over = ~(seconds <= limit_s)
    seconds[over] = np.inf
    nearest[over] = -1
    return seconds, nearest


def seconds_matrix_full(
    graph: ModeGraph, origins: Snap, destinations: Snap, *, limit_s: float = np.inf
) -> np.ndarray:
    """:func:`seconds_matrix` on the full (uncontracted) graph: the reference it is tested against."""
    matrix = _with_sources(graph, origins)
    n, k = graph.n, len(origins)
    dist = dijkstra(matrix, directed=True, indices=np.arange(n, n + k), limit=limit_s)[:, :n]
    out = _to_targets(graph, dist, destinations)
    rows, cols, direct = _same_segment(graph, origins, destinations)
    if len(rows):
        np.minimum.at(out, (rows, cols), direct)
    out[~(out <= limit_s)] = np.inf
    return out


def reach(graph: ModeGraph, sources: Snap, *, limit_s: float) -> np.ndarray:
    """Seconds from the nearest of ``sources`` to every graph node, ``inf`` beyond ``limit_s``."""
    matrix = _with_sources(graph, sources)
    n = graph.n
    dist = dijkstra(
        matrix, directed=True, indices=np.arange(n, n + len(sources)), limit=limit_s, min_only=True
    )
    return dist[:n]
