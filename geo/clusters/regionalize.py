"""Designing footprints: group areas into K contiguous, balanced, compact regions.

The default method ``"grow"`` is hubplan's own: seeds from a weighted k-means of the area
centres, balanced region growing (the lightest region takes its nearest unassigned
neighbour), then a local search that moves boundary areas from heavier to lighter
neighbouring regions while every region stays contiguous, preferring moves that keep shapes
compact, and finally a compactness polish that never lets balance get worse than the
tolerance. PySAL spopt's SKATER, AZP and spatially constrained Ward (on the area centres,
so they favour compact shapes) are available as ``"skater"``, ``"azp"`` and ``"ward"``;
with ``refine=True`` (default) their result gets the same balancing local search.

Contiguity comes from :func:`geo.clusters.contiguity.rook_contiguity` (islands attached to their
nearest area and reported). With ``respect`` (a group label per area, e.g. its ward) no
group is split between footprints: the groups (each connected piece of one) are the units.
"""

from __future__ import annotations

import heapq
import math
import time
import warnings
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from geo.clusters.contiguity import Contiguity, rook_contiguity
from geo.errors import InputError
from geo.place.model import Place

METHODS = ("grow", "skater", "azp", "ward")
DEFAULT_PREFIX = "Designed"
# Up to this many regions "grow" also tries k-means seeds besides recursive bisection.
DIRECT_MAX_K = 30


@dataclass
class Regionalization:
    """A designed footprint set.

    Attributes
    ----------
    assignment
        Footprint name by area code (every area).
    balance, basis
        The indicator key balanced and a sentence saying what was summed.
    weights
        The balanced quantity by area code.
    method
        The method used (and whether it was refined).
    notes
        Islands attached, missing values, groups respected: things the user should know.
    """

    assignment: pd.Series
    balance: str
    basis: str
    weights: pd.Series
    method: str
    k: int
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def totals(self) -> pd.Series:
        """The balanced quantity per footprint."""
        return self.weights.groupby(self.assignment).sum().sort_index()

    def deviation(self) -> pd.Series:
        """Each footprint's total as a fraction above (+) or below (-) the mean."""
        t = self.totals()
        return t / t.mean() - 1.0

    def max_deviation(self) -> float:
        """The largest absolute deviation from the mean (0.1 = 10%)."""
        return float(self.deviation().abs().max())

    def lookup(self) -> pd.DataFrame:
        """The ``code,footprint`` lookup table."""
        return pd.DataFrame(
            {"code": self.assignment.index.astype(str), "footprint": self.assignment.to_numpy()}
        )


# --------------------------------------------------------------------------- inputs


def balance_weights(place: Place, key: str) -> tuple[pd.Series, str]:
    """The per-area quantity to balance for indicator ``key`` and a sentence describing it.

    ``count`` indicators are summed as they are; ``rate`` indicators balance their
    numerator; ``mean`` indicators (scores, a need index) balance ``weight x value``, with
    values shifted to start at zero when some are negative (z-scores). Missing values count
    as zero.
    """
    if key not in place.catalogue:
        raise InputError(
            f"unknown balance key {key!r}; use an indicator key: {', '.join(place.catalogue)}"
        )
    ind = place.catalogue[key]
    areas = place.areas
    if ind.kind == "count":
        values = areas[key].astype(float)
        basis = f"sum of {ind.label} ({key})"
    elif ind.kind == "rate":
        if not ind.numerator:
            raise InputError(f"rate indicator {key!r} has no numerator to balance on")
        num = place.catalogue[ind.numerator]
        values = areas[ind.numerator].astype(float)
        basis = f"sum of {num.label} ({ind.numerator}), the numerator of {key}"
    else:
        values = areas[key].astype(float)
        shift = float(values.min()) if values.notna().any() and values.min() < 0 else 0.0
        values = values - shift
        shifted = f" - ({shift:.3g})" if shift else ""
        if ind.weight:
            values = values * areas[ind.weight].astype(float)
            basis = f"sum of {ind.weight} x ({key}{shifted}): the {ind.label} load"
        else:
            basis = f"sum of ({key}{shifted}) over areas"
    if (values < 0).any():
        raise InputError(f"balance key {key!r} has negative values; cannot balance on it")
    return values.fillna(0.0).rename(key), basis


def respect_groups(place: Place, column: str) -> pd.Series:
    """Group label by area code from a column of ``place.areas`` (e.g. ``footprint``, a ward)."""
    if column not in place.areas.columns or column == "geometry":
        cols = [c for c in place.areas.columns if c != "geometry"]
        raise InputError(
            f"unknown column {column!r} to respect; area columns are: {', '.join(cols)}"
        )
    groups = place.areas[column]
    if groups.isna().any():
        missing = place.areas.index[groups.isna().to_numpy()].tolist()
        raise InputError(
            f"column {column!r} has no value for {len(missing)} area(s), e.g. {', '.join(missing[:5])}"
        )
    return groups.astype(str)


# --------------------------------------------------------------------------- graph helpers


def _units(
    contiguity: Contiguity, groups: np.ndarray | None
) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Unit label per area (connected pieces of each group) and the unit neighbour matrix."""
    n = contiguity.n
    adj = contiguity.matrix
    if groups is None:
        return np.arange(n), adj
    _codes, inverse = np.unique(groups, return_inverse=True)
    rows, cols = adj.nonzero()
    same = inverse[rows] == inverse[cols]
    within = sparse.csr_matrix((np.ones(same.sum()), (rows[same], cols[same])), shape=(n, n))
    from scipy.sparse.csgraph import connected_components

    _, unit = connected_components(within, directed=False)
    n_units = int(unit.max()) + 1
    p = sparse.csr_matrix((np.ones(n), (np.arange(n), unit)), shape=(n, n_units))
    u_adj = (p.T @ (adj > 0).astype(float) @ p).tocsr()
    u_adj.setdiag(0)
    u_adj.eliminate_zeros()
    return unit, u_adj


def _lists(adj: sparse.csr_matrix) -> list[list[int]]:
    return [adj.indices[adj.indptr[i] : adj.indptr[i + 1]].tolist() for i in range(adj.shape[0])]


def _seeds(xy: np.ndarray, w: np.ndarray, k: int, seed: int) -> np.ndarray:
    """``k`` distinct seed nodes: the nodes nearest the centres of a weighted k-means.

    k-means++ initialisation then Lloyd iterations, with weights ``w`` (plus a small floor
    so areas with zero weight still pull a little).
    """
    from scipy.spatial import cKDTree

    n = len(xy)
    if k >= n:
        return np.arange(n)[:k]
    rng = np.random.default_rng(seed)
    weight = np.asarray(w, float) + max(float(np.mean(w)), 1e-9) * 0.05
    centres: np.ndarray = np.empty((k, 2))
    centres[0] = xy[rng.choice(n, p=weight / weight.sum())]
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        p = weight * d2
        centres[j] = xy[rng.choice(n, p=p / p.sum())] if p.sum() > 0 else xy[rng.integers(n)]
        d2 = np.minimum(d2, ((xy - centres[j]) ** 2).sum(axis=1))
    for _ in range(25):
        _, owner = cKDTree(centres).query(xy)
        ws = np.bincount(owner, weights=weight, minlength=k)
        new = np.column_stack(
            [np.bincount(owner, weights=weight * xy[:, d], minlength=k) for d in (0, 1)]
        )
        new = np.where(ws[:, None] > 0, new / np.maximum(ws, 1e-300)[:, None], centres)
        if np.allclose(new, centres, atol=1.0):
            break
        centres = new
    tree = cKDTree(xy)
    chosen: list[int] = []
    taken: set[int] = set()
    for c in centres:
        m = 1
        while True:
            _, idx = tree.query(c, k=min(m, n))
            free = [int(i) for i in np.atleast_1d(idx) if int(i) not in taken]
            if free:
                chosen.append(free[0])
                taken.add(free[0])
                break
            m = min(m * 2 + k, n)
    return np.array(chosen)


def _grow(
    nbrs: list[list[int]],
    w: np.ndarray,
    xy: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray | None = None,
) -> np.ndarray:
    """Balanced region growing from ``seeds``.

    The region that is lightest relative to its target (and can still grow) takes the free
    neighbour nearest its seed, until every node is taken. A region enclosed by others
    stops early; the local search feeds it afterwards.
    """
    n, k = len(nbrs), len(seeds)
    targets = np.ones(k) if targets is None else np.asarray(targets, float)
    scale = [1.0 / t if t > 0 else 1.0 for t in targets]
    label = [-1] * n
    wl = w.tolist()
    xs, ys = xy[:, 0].tolist(), xy[:, 1].tolist()
    totals = [0.0] * k
    fronts: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    sx = [xs[s] for s in seeds]
    sy = [ys[s] for s in seeds]

    def push(r: int, node: int) -> None:
        front, cx, cy = fronts[r], sx[r], sy[r]
        for v in nbrs[node]:
            if label[v] < 0:
                heapq.heappush(front, (math.hypot(xs[v] - cx, ys[v] - cy), v))

    for r, s in enumerate(seeds):
        label[int(s)] = r
        totals[r] = wl[int(s)]
    for r, s in enumerate(seeds):
        push(r, int(s))
    regions = [(totals[r] * scale[r], r) for r in range(k)]
    heapq.heapify(regions)
    while regions:
        _, r = heapq.heappop(regions)
        front = fronts[r]
        while front and label[front[0][1]] >= 0:
            heapq.heappop(front)
        if not front:
            continue  # enclosed: the local search will feed it
        _, v = heapq.heappop(front)
        label[v] = r
        totals[r] += wl[v]
        push(r, v)
        heapq.heappush(regions, (totals[r] * scale[r], r))
    return np.asarray(label, dtype=int)


def _ends(xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The two nodes farthest apart along the weighted principal axis of ``xy``."""
    weight = np.asarray(w, float) + 1e-9
    centre = np.average(xy, axis=0, weights=weight)
    d = xy - centre
    cov = (d * weight[:, None]).T @ d
    axis = np.linalg.eigh(cov)[1][:, -1]
    proj = d @ axis
    return np.array([int(np.argmin(proj)), int(np.argmax(proj))])


def _bisect(
    adj: sparse.csr_matrix, w: np.ndarray, xy: np.ndarray, k: int, *, deadline: float
) -> np.ndarray:
    """Recursive bisection: split into two contiguous parts weighted ``k//2 : k - k//2``."""
    n = adj.shape[0]
    if k == 1:
        return np.zeros(n, dtype=int)
    nbrs = _lists(adj)
    k1 = k // 2
    targets = float(w.sum()) * np.array([k1, k - k1]) / k
    if float(w.sum()) <= 0:
        targets = np.array([k1, k - k1], float)
    label = _grow(nbrs, w, xy, _ends(xy, w), targets)
    search = _Search(nbrs, w, xy, label, 2, targets)
    search.balance(deadline=deadline)
    label = search.labels()
    sizes = np.bincount(label, minlength=2)
    if sizes[0] < k1 or sizes[1] < k - k1:  # too few nodes for the split: grow k regions directly
        return _grow(nbrs, w, xy, _seeds(xy, w, k, 0))
    out = np.empty(n, dtype=int)
    for part, kk, offset in ((0, k1, 0), (1, k - k1, k1)):
        idx = np.flatnonzero(label == part)
        out[idx] = offset + _bisect(
            adj[idx][:, idx].tocsr(), w[idx], xy[idx], kk, deadline=deadline
        )
    return out


class _Search:
    """Boundary moves between regions that keep every region contiguous.

    Region totals, sizes, coordinate sums and boundary nodes are kept up to date move by
    move, so a move costs time in proportion to the nodes near it, not to region size.
    """

    def __init__(
        self,
        nbrs: list[list[int]],
        w: np.ndarray,
        xy: np.ndarray,
        label: np.ndarray,
        k: int,
        targets: np.ndarray | None = None,
    ):
        self.nbrs, self.k = nbrs, k
        self.w = w.tolist()
        self.x, self.y = xy[:, 0].tolist(), xy[:, 1].tolist()
        self.label = [int(r) for r in label]
        self.totals = np.bincount(label, weights=w, minlength=k).tolist()
        self.count = np.bincount(label, minlength=k).tolist()
        self.sx = np.bincount(label, weights=xy[:, 0], minlength=k).tolist()
        self.sy = np.bincount(label, weights=xy[:, 1], minlength=k).tolist()
        if targets is None:
            targets = np.full(k, float(w.sum()) / k)
        self.targets = [float(t) for t in targets]
        self.boundary: list[set[int]] = [set() for _ in range(k)]
        for u in range(len(nbrs)):
            if self._on_boundary(u):
                self.boundary[self.label[u]].add(u)

    def _on_boundary(self, u: int) -> bool:
        r, label = self.label[u], self.label
        return any(label[v] != r for v in self.nbrs[u])

    def labels(self) -> np.ndarray:
        return np.asarray(self.label, dtype=int)

    def spread(self) -> float:
        """Largest absolute deviation of a region total from the mean (fraction)."""
        return max(
            (
                abs(t / target - 1.0)
                for t, target in zip(self.totals, self.targets, strict=True)
                if target > 0
            ),
            default=0.0,
        )

    def removable(self, u: int) -> bool:
        """Whether ``u`` can leave its region without splitting it (BFS with early exit)."""
        label, nbrs = self.label, self.nbrs
        r = label[u]
        if self.count[r] <= 1:
            return False
        inside = [v for v in nbrs[u] if label[v] == r]
        if len(inside) <= 1:
            return True
        want = set(inside[1:])
        seen = {u, inside[0]}
        queue = deque([inside[0]])
        while queue:
            x = queue.popleft()
            for y in nbrs[x]:
                if y not in seen and label[y] == r:
                    if y in want:
                        want.discard(y)
                        if not want:
                            return True
                    seen.add(y)
                    queue.append(y)
        return False

    def move(self, u: int, b: int) -> None:
        a = self.label[u]
        wu, xu, yu = self.w[u], self.x[u], self.y[u]
        self.label[u] = b
        self.totals[a] -= wu
        self.totals[b] += wu
        self.count[a] -= 1
        self.count[b] += 1
        self.sx[a] -= xu
        self.sy[a] -= yu
        self.sx[b] += xu
        self.sy[b] += yu
        self.boundary[a].discard(u)
        for v in (u, *self.nbrs[u]):
            r = self.label[v]
            if self._on_boundary(v):
                self.boundary[r].add(v)
            else:
                self.boundary[r].discard(v)

    def shift(self, u: int, a: int, b: int) -> float:
        """How much farther ``u`` is from region ``b``'s centre than from ``a``'s (metres)."""
        ca, cb = max(self.count[a], 1), max(self.count[b], 1)
        x, y = self.x[u], self.y[u]
        return math.hypot(x - self.sx[b] / cb, y - self.sy[b] / cb) - math.hypot(
            x - self.sx[a] / ca, y - self.sy[a] / ca
        )

    def candidates(self, a: int) -> list[tuple[int, int]]:
        """``(node, neighbouring region)`` pairs on region ``a``'s boundary."""
        out = []
        label, nbrs = self.label, self.nbrs
        for u in self.boundary[a]:
            seen = set()
            for v in nbrs[u]:
                b = label[v]
                if b != a and b not in seen:
                    seen.add(b)
                    out.append((u, b))
        return out

    def balance(self, *, deadline: float, max_passes: int = 10_000, per_visit: int = 200) -> None:
        """Move boundary nodes from heavier to lighter regions while that lowers the spread.

        A move of weight ``w`` from region ``a`` to ``b`` lowers the sum of squared
        deviations from the mean exactly when ``t_a - t_b > w``; such moves are taken in
        order of how little they pull the node away from its new region's centre.
        """
        w, totals, label, tg = self.w, self.totals, self.label, self.targets
        for _ in range(max_passes):
            moved = 0
            excess = [t - g for t, g in zip(totals, tg, strict=True)]
            for a in np.argsort(-np.asarray(excess)).tolist():
                scored = sorted(
                    (self.shift(u, a, b), u, b)
                    for u, b in self.candidates(a)
                    if (totals[a] - tg[a]) - (totals[b] - tg[b]) > w[u] > 0
                )
                done = 0
                for _, u, b in scored:
                    if done >= per_visit:
                        break
                    if (
                        label[u] == a
                        and (totals[a] - tg[a]) - (totals[b] - tg[b]) > w[u]
                        and self.removable(u)
                    ):
                        self.move(u, b)
                        done += 1
                moved += done
                if time.perf_counter() > deadline:
                    return
            if not moved:
                return

    def polish(self, *, tolerance: float, deadline: float, max_passes: int = 30) -> None:
        """Move boundary nodes to a nearer region centre while every total stays within tolerance."""
        lo = [t * (1 - tolerance) for t in self.targets]
        hi = [t * (1 + tolerance) for t in self.targets]
        w, totals, label = self.w, self.totals, self.label
        for _ in range(max_passes):
            moved = 0
            for a in range(self.k):
                scored = sorted((self.shift(u, a, b), u, b) for u, b in self.candidates(a))
                for s, u, b in scored:
                    if s >= -1.0:
                        break
                    if label[u] != a or totals[a] - w[u] < lo[a] or totals[b] + w[u] > hi[b]:
                        continue
                    if self.shift(u, a, b) < -1.0 and self.removable(u):
                        self.move(u, b)
                        moved += 1
                if time.perf_counter() > deadline:
                    return
            if not moved:
                return


def partition(
    adj: sparse.csr_matrix,
    w: np.ndarray,
    xy: np.ndarray,
    k: int,
    *,
    method: str = "grow",
    refine: bool = True,
    seed: int = 0,
    tolerance: float = 0.05,
    time_limit: float = 45.0,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Region label (``0..k-1``) per node of a connected graph.

    Parameters
    ----------
    adj : scipy.sparse.csr_matrix
        Symmetric neighbour matrix (non-zero = neighbours); the graph must be connected.
    w : numpy.ndarray
        Non-negative quantity to balance per node.
    xy : numpy.ndarray
        ``(n, 2)`` node centres in metres (for compactness).
    k : int
        Number of regions, ``1 <= k <= n``.
    method : str
        ``"grow"`` (hubplan), ``"skater"``, ``"azp"`` or ``"ward"`` (PySAL spopt).
    refine : bool
        Run the balancing local search and compactness polish after the method.
    tolerance : float
        Balance band (fraction of the mean) the compactness polish must stay within.
    time_limit : float
        Seconds after which the local search stops with the best partition so far.
    size : numpy.ndarray, optional
        Node areas (m²) for judging compactness; equal when absent.

    Notes
    -----
    ``"grow"`` tries recursive bisection and, for ``k <= DIRECT_MAX_K``, k-means-seeded
    growth; it keeps the most compact (lowest :func:`inertia`) of those whose balance is
    within ``tolerance`` (or the best balance reached).
    """
    n = adj.shape[0]
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if not 1 <= k <= n:
        raise InputError(f"K = {k} must be between 1 and the number of areas ({n})")
    w = np.asarray(w, float)
    if k == 1:
        return np.zeros(n, dtype=int)
    deadline = time.perf_counter() + time_limit
    nbrs = _lists(adj)
    size = np.ones(n) if size is None else np.asarray(size, float)
    if method == "grow":
        starts = [_bisect(adj, w, xy, k, deadline=deadline)]
        if k <= DIRECT_MAX_K:
            starts.append(_grow(nbrs, w, xy, _seeds(xy, w, k, seed)))
    else:
        starts = [spopt_partition(adj, xy, k, method=method, seed=seed)]
    if not (refine or method == "grow"):
        return starts[0]
    results = []
    for label in starts:
        search = _Search(nbrs, w, xy, label, k)
        search.balance(deadline=deadline)
        search.polish(tolerance=max(search.spread(), tolerance), deadline=deadline)
        search.balance(deadline=deadline)
        label = search.labels()
        results.append((search.spread(), inertia(label, xy, size, k), label))
    best_spread = min(r[0] for r in results)
    ok = [r for r in results if r[0] <= max(best_spread, tolerance)]
    return min(ok, key=lambda r: r[1])[2]


def inertia(label: np.ndarray, xy: np.ndarray, size: np.ndarray, k: int) -> float:
    """Mean normalised moment of inertia of the regions (1 for a disc, larger = less compact).

    Each node is a point mass ``size`` (its area) at ``xy``; a region's moment about its
    centre is divided by that of a disc of the same area (``A² / 2π``).
    """
    m = np.bincount(label, weights=size, minlength=k)
    cx = np.bincount(label, weights=size * xy[:, 0], minlength=k) / np.maximum(m, 1e-300)
    cy = np.bincount(label, weights=size * xy[:, 1], minlength=k) / np.maximum(m, 1e-300)
    d2 = (xy[:, 0] - cx[label]) ** 2 + (xy[:, 1] - cy[label]) ** 2
    moment = np.bincount(label, weights=size * d2, minlength=k)
    disc = np.maximum(m, 1e-300) ** 2 / (2 * np.pi)
    return float(np.mean(moment / disc))


def spopt_partition(
    adj: sparse.csr_matrix, xy: np.ndarray, k: int, *, method: str, seed: int = 0
) -> np.ndarray:
    """Region labels from PySAL spopt clustering the node centres under contiguity."""

    from libpysal.weights import WSP

    w = WSP((adj > 0).astype(float).tocsr()).to_W(silence_warnings=True)
    z = (xy - xy.mean(axis=0)) / xy.std(axis=0).clip(1e-9)
    gdf = pd.DataFrame({"cx": z[:, 0], "cy": z[:, 1]})
    attrs = ["cx", "cy"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "skater":
            from spopt.region import Skater

            model = Skater(
                gdf, w, attrs, n_clusters=k, floor=-np.inf, trace=False, islands="ignore"
            )
        elif method == "azp":
            from spopt.region import AZP

            model = AZP(gdf, w, attrs, n_clusters=k, random_state=seed)
        else:
            from spopt.region import WardSpatial

            model = WardSpatial(gdf, w, attrs, n_clusters=k)
        model.solve()
    labels = np.asarray(model.labels_)
    _, label = np.unique(labels, return_inverse=True)
    return label


# --------------------------------------------------------------------------- public


def _names(label: np.ndarray, xy: np.ndarray, k: int, prefix: str) -> np.ndarray:
    """Footprint names numbered north to south (then west to east)."""
    cx = np.bincount(label, weights=xy[:, 0], minlength=k) / np.maximum(
        np.bincount(label, minlength=k), 1
    )
    cy = np.bincount(label, weights=xy[:, 1], minlength=k) / np.maximum(
        np.bincount(label, minlength=k), 1
    )
    order = np.lexsort((cx, -np.round(cy, -3)))
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    width = len(str(k))
    return np.array([f"{prefix} {r + 1:0{width}d}" for r in rank], dtype=object)


def regionalize(
    place: Place,
    *,
    k: int,
    balance: str,
    method: str = "grow",
    respect: pd.Series | str | None = None,
    refine: bool = True,
    prefix: str = DEFAULT_PREFIX,
    seed: int = 0,
    contiguity: Contiguity | None = None,
    tolerance: float = 0.05,
    time_limit: float = 45.0,
) -> Regionalization:
    """Group a place's areas into ``k`` contiguous footprints balanced on an indicator.

    Parameters
    ----------
    place : Place
        The place (not changed).
    k : int
        Number of footprints, from 1 to the number of areas (or of ``respect`` groups).
    balance : str
        Indicator key whose per-area quantity (see :func:`balance_weights`) is balanced.
    method : str
        ``"grow"`` (default), ``"skater"``, ``"azp"`` or ``"ward"``.
    respect : pandas.Series or str, optional
        Group label per area code (or the name of an area column): no group is split.
    refine : bool
        Apply the balancing local search after spopt methods (always on for ``"grow"``).
    prefix : str
        Footprint names are ``"<prefix> 1"`` ... numbered north to south.
    seed : int
        Random seed (k-means seeds, AZP).
    contiguity : Contiguity, optional
        A precomputed :func:`~geo.clusters.contiguity.rook_contiguity` of ``place.areas``.
    tolerance : float
        The compactness polish keeps every footprint within this fraction of the mean
        (or within the balance already reached, if that is wider).
    time_limit : float
        Seconds after which the local search stops with the best partition so far.

    Returns
    -------
    Regionalization
    """
    started = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InputError(f"K must be a whole number, got {k!r}")
    n = len(place.areas)
    if k < 1 or k > n:
        raise InputError(f"K = {k} must be between 1 and the number of areas ({n})")
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    weights, basis = balance_weights(place, balance)
    notes: list[str] = []
    missing = int(place.areas[balance].isna().sum()) if balance in place.areas else 0
    if missing:
        notes.append(f"{missing} area(s) have no {balance} value and count as zero")
    contiguity = contiguity or rook_contiguity(place.areas.geometry)
    notes += contiguity.report()
    groups = None
    if respect is not None:
        series = respect_groups(place, respect) if isinstance(respect, str) else respect
        series = series.reindex(place.areas.index)
        if series.isna().any():
            missing_codes = place.areas.index[series.isna().to_numpy()].tolist()
            raise InputError(
                f"the groups to respect miss {len(missing_codes)} area(s): {', '.join(missing_codes[:10])}"
            )
        groups = series.astype(str).to_numpy()
    unit, u_adj = _units(contiguity, groups)
    n_units = u_adj.shape[0]
    if groups is not None:
        n_groups = len(set(groups))
        notes.append(
            f"respecting {n_groups} groups ({n_units} connected pieces): no group is split"
        )
        if k > n_units:
            raise InputError(f"K = {k} is more than the number of groups to respect ({n_units})")
    cent = place.areas.geometry.centroid
    axy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    counts = np.bincount(unit, minlength=n_units)
    uxy = (
        np.column_stack([np.bincount(unit, weights=axy[:, d], minlength=n_units) for d in (0, 1)])
        / counts[:, None]
    )
    uw = np.bincount(unit, weights=weights.to_numpy(float), minlength=n_units)
    usize = np.bincount(unit, weights=place.areas.geometry.area.to_numpy(), minlength=n_units)
    label_u = partition(
        u_adj,
        uw,
        uxy,
        k,
        method=method,
        refine=refine,
        seed=seed,
        tolerance=tolerance,
        time_limit=time_limit,
        size=usize,
    )
    label = label_u[unit]
    names = _names(label, axy, k, prefix)
    assignment = pd.Series(names[label], index=place.areas.index.astype(str), name="footprint")
    used = f"{method}" + (" + balancing local search" if (refine and method != "grow") else "")
    return Regionalization(
        assignment=assignment,
        balance=balance,
        basis=basis,
        weights=weights.set_axis(assignment.index),
        method=used,
        k=k,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
