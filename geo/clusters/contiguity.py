"""Which areas touch: shared-boundary (rook) contiguity worked out from the geometry.

Two areas are neighbours when their boundaries share a line longer than ``tolerance``
metres (a shared corner point is not enough). Areas with no neighbour at all (islands) are
attached to the nearest area, and any group of areas cut off from the rest (an island of
several areas) is linked to the nearest area outside it, so every engine gets one connected
graph; each added link is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from geo.errors import InputError


@dataclass(frozen=True)
class Contiguity:
    """A connected neighbour graph over areas.

    Attributes
    ----------
    codes
        Area codes, in the order of the graph's nodes.
    matrix
        Symmetric ``scipy.sparse`` CSR matrix; ``matrix[i, j]`` is the shared boundary length
        in metres (``0.001`` for an added link between areas that do not touch).
    islands
        Codes of the areas that shared no boundary with any other area.
    links
        Links added to connect the graph: ``(code, nearest code, distance in metres)``.
    """

    codes: pd.Index
    matrix: sparse.csr_matrix
    islands: list[str] = field(default_factory=list)
    links: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.codes)

    def neighbours(self) -> list[np.ndarray]:
        """Neighbour positions of every node."""
        m = self.matrix
        return [m.indices[m.indptr[i] : m.indptr[i + 1]] for i in range(m.shape[0])]

    def to_dict(self) -> dict[str, list[str]]:
        """Neighbours by area code."""
        codes = self.codes.to_numpy()
        return {
            str(codes[i]): [str(codes[j]) for j in nb] for i, nb in enumerate(self.neighbours())
        }

    def to_w(self):
        """The graph as a binary :class:`libpysal.weights.W` (ids are area codes)."""
        from libpysal.weights import W

        return W(self.to_dict(), silence_warnings=True)

    def report(self) -> list[str]:
        """One human-readable line per island or added link."""
        lines = []
        for a, b, d in self.links:
            what = "island (no shared boundary)" if a in self.islands else "cut-off group"
            lines.append(f"area {a}: {what}, attached to nearest area {b} ({d:,.0f} m away)")
        return lines


def shared_boundaries(geoms: np.ndarray, *, tolerance: float = 1.0) -> tuple[np.ndarray, ...]:
    """Pairs ``(i, j, length)`` (``i < j``) of polygons sharing more than ``tolerance`` metres."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bounds = shapely.boundary(geoms)
    length = np.zeros(len(left))
    # Process in chunks to keep memory flat on big places.
    step = 50_000
    for s in range(0, len(left), step):
        sl = slice(s, s + step)
        length[sl] = shapely.length(shapely.intersection(bounds[left[sl]], bounds[right[sl]]))
    ok = length > tolerance
    return left[ok], right[ok], length[ok]


def rook_contiguity(geometry: gpd.GeoSeries, *, tolerance: float = 1.0) -> Contiguity:
    """Shared-boundary (rook) contiguity of areas, connected by attaching islands.

    Parameters
    ----------
    geometry : geopandas.GeoSeries
        Area polygons in a projected CRS (metres), indexed by area code.
    tolerance : float
        Minimum shared boundary length (metres) for two areas to count as neighbours.

    Returns
    -------
    Contiguity
        The connected graph, with islands and added links listed.
    """
    if len(geometry) == 0:
        raise InputError("no areas to work out contiguity for")
    if geometry.crs is not None and not geometry.crs.is_projected:
        raise InputError("contiguity needs areas in a projected CRS (metres), e.g. EPSG:27700")
    geoms = np.asarray(geometry.values, dtype=object)
    n = len(geoms)
    i, j, length = shared_boundaries(geoms, tolerance=tolerance)
    codes = pd.Index(geometry.index.astype(str))
    degree = np.bincount(np.concatenate([i, j]), minlength=n)
    islands = [str(codes[k]) for k in np.flatnonzero(degree == 0)]
    rows, cols, vals = [i, j], [j, i], [length, length]
    links: list[tuple[str, str, float]] = []
    if n > 1:
        m = sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        )
        n_comp, label = connected_components(m.tocsr(), directed=False)
        if n_comp > 1:
            extra = _connect(geoms, label, n_comp)
            for a, b, d in extra:
                rows.append(np.array([a, b]))
                cols.append(np.array([b, a]))
                vals.append(np.array([1e-3, 1e-3]))
                links.append((str(codes[a]), str(codes[b]), float(d)))
    m = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    m.sum_duplicates()
    return Contiguity(codes=codes, matrix=m, islands=islands, links=links)


def _connect(geoms: np.ndarray, label: np.ndarray, n_comp: int) -> list[tuple[int, int, float]]:
    """Links joining the smallest piece to the nearest area outside it, until one piece is left."""
    label = label.copy()
    links = []
    for _ in range(n_comp - 1):
        sizes = np.bincount(label)
        sizes[sizes == 0] = np.iinfo(np.int64).max
        comp = int(np.argmin(sizes))
        inside = np.flatnonzero(label == comp)
        outside = np.flatnonzero(label != comp)
        tree = shapely.STRtree(geoms[outside])
        near_in, near_out = tree.query_nearest(geoms[inside], all_matches=False)
        dist = shapely.distance(geoms[inside[near_in]], geoms[outside[near_out]])
        best = int(np.argmin(dist))
        a, b = int(inside[near_in[best]]), int(outside[near_out[best]])
        links.append((a, b, float(dist[best])))
        label[label == comp] = label[b]
    return links


def components(members: np.ndarray, contiguity: Contiguity) -> list[np.ndarray]:
    """Connected pieces of the node subset ``members`` (positions), largest first."""
    members = np.asarray(members, dtype=int)
    if len(members) == 0:
        return []
    sub = contiguity.matrix[members][:, members]
    n_comp, label = connected_components(sub, directed=False)
    parts = [members[label == c] for c in range(n_comp)]
    return sorted(parts, key=lambda p: (-len(p), int(p.min())))


def is_contiguous(members: np.ndarray, contiguity: Contiguity) -> bool:
    """True when the node subset ``members`` is one connected piece."""
    return len(components(members, contiguity)) <= 1
