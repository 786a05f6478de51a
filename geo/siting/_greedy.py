"""Heuristic location-allocation for instances too large to solve exactly.

Greedy adding (each step opens the candidate with the largest gain) followed by
vertex-substitution interchange (Teitz & Bart 1968): swap a chosen hub for an unchosen
candidate while that improves the objective. No optimality gap is known for these plans;
results say ``method = "greedy + interchange"``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

METHOD = "greedy + interchange (heuristic, no optimality gap)"
_EPS = 1e-9


def _penalised(costs: np.ndarray) -> np.ndarray:
    """Replace ``inf`` (unreachable) by a cost larger than any finite one."""
    finite = costs[np.isfinite(costs)]
    big = (finite.max() if finite.size else 1.0) * 10 + 1e6
    return np.where(np.isfinite(costs), costs, big)


def _start(required: np.ndarray, start: Sequence[int] | None) -> list[int]:
    chosen = [int(j) for j in np.flatnonzero(required)]
    for j in start if start is not None else ():
        if int(j) not in chosen:
            chosen.append(int(j))
    return chosen


def coverage(
    cover: sparse.csc_matrix,
    weights: np.ndarray,
    p: int,
    required: np.ndarray,
    *,
    max_passes: int = 20,
    start: Sequence[int] | None = None,
) -> np.ndarray:
    """``p`` hubs covering the most weight: greedy adding (from ``start``, which must hold
    the required hubs, when given), then interchange."""
    cover = sparse.csc_matrix(cover, dtype=float)
    chosen = _start(required, start)
    counts = (
        np.asarray(cover[:, chosen].sum(axis=1)).ravel() if chosen else np.zeros(cover.shape[0])
    )
    while len(chosen) < p:
        gains = cover.T @ (weights * (counts == 0))
        gains[chosen] = -1.0
        j = int(np.argmax(gains))
        chosen.append(j)
        counts += cover[:, j].toarray().ravel()
    fixed = set(np.flatnonzero(required).tolist())
    for _ in range(max_passes):
        improved = False
        for pos, s in enumerate(list(chosen)):
            if s in fixed:
                continue
            col = cover[:, s].toarray().ravel()
            lost = float(weights @ ((counts == 1) & (col > 0)))
            after = counts - col
            gains = cover.T @ (weights * (after == 0))
            gains[chosen] = -np.inf
            j = int(np.argmax(gains))
            if gains[j] > lost + _EPS * max(1.0, lost):
                chosen[pos] = j
                counts = after + cover[:, j].toarray().ravel()
                improved = True
        if not improved:
            break
    return np.sort(np.array(chosen, dtype=int))


def median(
    costs: np.ndarray,
    weights: np.ndarray,
    p: int,
    required: np.ndarray,
    *,
    max_passes: int = 20,
    start: Sequence[int] | None = None,
) -> np.ndarray:
    """``p`` hubs minimising total weighted cost: greedy adding (from ``start``, which must
    hold the required hubs, when given), then interchange."""
    c = _penalised(costs)
    n = c.shape[0]
    chosen = _start(required, start)
    best = c[:, chosen].min(axis=1) if chosen else np.full(n, np.inf)
    while len(chosen) < p:
        totals = weights @ np.minimum(best[:, None], c)
        totals[chosen] = np.inf
        j = int(np.argmin(totals))
        chosen.append(j)
        best = np.minimum(best, c[:, j])
    fixed = set(np.flatnonzero(required).tolist())
    for _ in range(max_passes):
        improved = False
        current = float(weights @ c[:, chosen].min(axis=1))
        for pos, s in enumerate(list(chosen)):
            if s in fixed:
                continue
            others = [k for k in chosen if k != s]
            without = c[:, others].min(axis=1) if others else np.full(n, np.inf)
            totals = weights @ np.minimum(without[:, None], c)
            totals[chosen] = np.inf
            j = int(np.argmin(totals))
            if totals[j] < current - _EPS * max(1.0, current):
                chosen[pos] = j
                current = float(totals[j])
                improved = True
        if not improved:
            break
    return np.sort(np.array(chosen, dtype=int))


def cover(
    cover_matrix: sparse.csc_matrix,
    weights: np.ndarray,
    target_weight: float,
    required: np.ndarray,
) -> np.ndarray:
    """Few hubs reaching ``target_weight``: greedy adding, then drop hubs no longer needed."""
    cov = sparse.csc_matrix(cover_matrix, dtype=float)
    m = cov.shape[1]
    chosen: list[int] = np.flatnonzero(required).tolist()
    counts = np.asarray(cov[:, chosen].sum(axis=1)).ravel() if chosen else np.zeros(cov.shape[0])
    while float(weights @ (counts > 0)) < target_weight * (1 - 1e-12) and len(chosen) < m:
        gains = cov.T @ (weights * (counts == 0))
        gains[chosen] = -1.0
        j = int(np.argmax(gains))
        chosen.append(j)
        counts += cov[:, j].toarray().ravel()
    fixed = set(np.flatnonzero(required).tolist())
    for s in list(reversed(chosen)):
        if s in fixed:
            continue
        after = counts - cov[:, s].toarray().ravel()
        if float(weights @ (after > 0)) >= target_weight * (1 - 1e-12):
            chosen.remove(s)
            counts = after
    return np.sort(np.array(chosen, dtype=int))
