"""The exact optimum for every number of hubs p = p0..N, computed incrementally.

Solving an exact p-median from scratch for each p is slow for small p (the MILP is large and
its relaxation weak there). The curve is instead built upwards, one p at a time, carrying
what the previous p found:

1. **Incumbent.** The optimum for ``p - 1`` plus the best single hub to add, improved by
   vertex-substitution interchange (:mod:`geo.siting._greedy` with ``start``). This upper
   bound (lower bound for coverage) is usually already optimal.
2. **Lagrangian bound, warm-started.** The assignment / coverage constraints are relaxed
   with one multiplier per demand row (Beasley 1993 for the p-median, the analogous
   relaxation of the maximal covering problem). Subgradient steps start from the previous
   p's multipliers. Every iterate gives a valid bound, and for each candidate a valid bound
   on any plan that opens it (or closes it).
3. **Proof or exact repair.** If the bound meets the incumbent within ``mip_gap`` (the MILP's
   own tolerance), the incumbent is optimal. Otherwise every candidate whose "forced open"
   bound is worse than the incumbent cannot be in an optimal plan and is dropped (and one
   whose "forced closed" bound is worse must be in it), and the MILP of
   :mod:`geo.siting._exact` is solved on the few candidates left: its optimum is the
   optimum of the whole problem.

Each point is therefore exact (to the MILP's tolerance), as a from-scratch MILP would be;
only the work to prove it is shared between consecutive p.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from geo.siting import _exact, _greedy
from geo.siting._exact import ExactSolution

MAX_ITERATIONS = 400
PATIENCE = 12  # iterations without a better bound before the step is halved
MIN_STEP = 1e-3
DENSE_MAX = 4_000_000


def _tolerance(value: float, mip_gap: float) -> float:
    return max(mip_gap * abs(value), 1e-9)


def _k_best(scores: np.ndarray, free: np.ndarray, k: int, *, largest: bool) -> np.ndarray:
    """Indices of the ``k`` best ``scores`` among ``free`` (smallest unless ``largest``),
    ordered best first (ties: lower index first)."""
    idx = np.flatnonzero(free)
    key = -scores[idx] if largest else scores[idx]
    order = np.lexsort((idx, key))
    return idx[order[: k + 1]]  # one extra: the first one left out


def median_curve(
    costs: np.ndarray,
    weights: np.ndarray,
    required: np.ndarray,
    p_values: Sequence[int],
    *,
    time_limit: float,
    mip_gap: float,
) -> list[ExactSolution]:
    """Exact p-median plans for every ``p`` in ``p_values`` (ascending).

    ``costs`` is ``(n, m)`` minutes (``inf`` = unreachable); demand that can reach no
    candidate, or weighs nothing, is left out of the objective as in
    :func:`geo.siting._exact.pmedian`.
    """
    deadline = time.perf_counter() + time_limit
    live = (weights > 0) & np.isfinite(costs).any(axis=1)
    c_live = costs[live]
    w = weights[live]
    pen = _greedy._penalised(c_live) if c_live.size else c_live
    wc = w[:, None] * pen
    m = costs.shape[1]
    free = ~required
    n_req = int(required.sum())
    out: list[ExactSolution] = []
    previous: np.ndarray | None = None
    u: np.ndarray | None = None
    for p in p_values:
        k = p - n_req
        start = [] if previous is None else list(previous)
        inc = _greedy.median(costs, weights, p, required, start=start)
        if previous is not None and len(inc) != p:  # pragma: no cover - defensive
            inc = _greedy.median(costs, weights, p, required)
        ub = float(w @ pen[:, inc].min(axis=1)) if len(w) else 0.0
        if k <= 0 or k >= int(free.sum()) or len(w) == 0:
            sel = np.flatnonzero(required) if k <= 0 else np.arange(m)
            out.append(_median_solution(c_live, w, sel, "optimal", 0.0, ub))
            previous = sel
            continue
        if u is None:
            u = wc[:, inc].min(axis=1)
        lb, lb_in, lb_out, u, lag_open = _median_bound(wc, free, required, k, u, ub, mip_gap)
        tol = _tolerance(ub, mip_gap)
        if ub - lb > tol:  # a second incumbent: interchange from the relaxation's hubs
            other = _greedy.median(costs, weights, p, required, start=lag_open)
            value = float(w @ pen[:, other].min(axis=1))
            if value < ub - tol:
                inc, ub = other, value
                lb2, in2, out2, u, _ = _median_bound(wc, free, required, k, u, ub, mip_gap)
                lb, lb_in, lb_out = max(lb, lb2), np.maximum(lb_in, in2), np.maximum(lb_out, out2)
        if ub - lb <= tol:
            sel, status, gap = inc, "optimal", max(0.0, (ub - lb) / ub) if ub > 0 else 0.0
        else:
            drop = free & (lb_in > ub + tol)
            drop[inc] = False
            force = free & (lb_out > ub + tol)
            keep = np.flatnonzero(~drop)
            sub_required = (required | force)[keep]
            sol = _exact.pmedian(
                costs[:, keep],
                weights,
                p,
                sub_required,
                time_limit=max(1.0, deadline - time.perf_counter()),
                mip_gap=mip_gap,
            )
            sel = keep[sol.selected]
            status, gap = sol.status, sol.gap
            if float(w @ pen[:, sel].min(axis=1)) > ub:  # the heuristic plan was better
                sel = inc
        out.append(_median_solution(c_live, w, np.sort(sel), status, gap, ub, bound=lb))
        previous = np.sort(sel)
    return out


def _median_solution(c_live, w, sel, status, gap, ub, bound=None) -> ExactSolution:
    value = float(w @ c_live[:, sel].min(axis=1)) if len(w) and len(sel) else ub
    return ExactSolution(np.asarray(sel, dtype=int), status, gap, value, bound=bound)


def _median_bound(wc, free, required, k, u, ub, mip_gap):
    """Subgradient optimisation of Beasley's Lagrangian bound for the p-median.

    Returns ``(best bound, bound if each candidate is forced open, bound if forced closed,
    multipliers, hubs open in the relaxation)``; the per-candidate bounds are the best over
    all iterates.
    """
    m = wc.shape[1]
    lb_in = np.full(m, -np.inf)
    lb_out = np.full(m, -np.inf)
    best, best_u, best_open = -np.inf, u.copy(), np.flatnonzero(required)
    req_idx = np.flatnonzero(required)
    step, stale = 2.0, 0
    tol = _tolerance(ub, mip_gap)
    for _ in range(MAX_ITERATIONS):
        reduced = np.minimum(wc - u[:, None], 0.0)
        rho = reduced.sum(axis=0)
        picked = _k_best(rho, free, k, largest=False)
        chosen, spare = picked[:k], picked[k:]
        open_ = np.r_[req_idx, chosen]
        bound = float(u.sum() + rho[open_].sum())
        worst = rho[chosen[-1]]
        cand_in = bound - worst + rho
        lb_in = np.where(free, np.maximum(lb_in, cand_in), lb_in)
        if len(spare):
            cand_out = bound - rho + rho[spare[0]]
            mask = np.zeros(m, dtype=bool)
            mask[chosen] = True
            lb_out = np.where(mask, np.maximum(lb_out, cand_out), lb_out)
        if not np.isfinite(best) or bound > best + 1e-12 * max(1.0, abs(best)):
            best, best_u, best_open, stale = bound, u.copy(), open_, 0
        else:
            stale += 1
            if stale >= PATIENCE:
                step, stale = step / 2, 0
        if ub - best <= tol or step < MIN_STEP:
            break
        g = 1.0 - (reduced[:, open_] < 0).sum(axis=1)
        norm = float(g @ g)
        if norm == 0:  # the relaxed plan serves everyone once: it is optimal
            best = max(best, bound)
            break
        u = u + step * (ub - bound) / norm * g
    return best, lb_in, lb_out, best_u, best_open


def coverage_curve(
    cover: sparse.csr_matrix,
    weights: np.ndarray,
    required: np.ndarray,
    p_values: Sequence[int],
    *,
    time_limit: float,
    mip_gap: float,
) -> list[ExactSolution]:
    """Exact maximal-covering plans for every ``p`` in ``p_values`` (ascending)."""
    deadline = time.perf_counter() + time_limit
    rows, rw, fixed = _exact.coverage_rows(cover, weights, required)
    # the merged rows are few: dense arrays are much faster than sparse ones here
    a = rows.toarray().astype(float) if rows.shape[0] * rows.shape[1] <= DENSE_MAX else rows
    a = a if isinstance(a, np.ndarray) else sparse.csc_matrix(a, dtype=float)
    m = cover.shape[1]
    free = ~required
    n_req = int(required.sum())
    out: list[ExactSolution] = []
    previous: np.ndarray | None = None
    lam: np.ndarray | None = None
    for p in p_values:
        k = p - n_req
        start = [] if previous is None else list(previous)
        inc = _greedy.coverage(cover, weights, p, required, start=start)
        lb = fixed + _covered(a, rw, inc)
        if k <= 0 or k >= int(free.sum()) or a.shape[0] == 0:
            sel = np.flatnonzero(required) if k <= 0 else np.arange(m)
            if a.shape[0] == 0:
                sel = np.sort(inc)
            out.append(ExactSolution(sel, "optimal", 0.0, fixed + _covered(a, rw, sel)))
            previous = sel
            continue
        if lam is None:
            lam = rw * 0.5
        ub, ub_in, ub_out, lam = _coverage_bound(a, rw, fixed, free, k, lam, lb, mip_gap)
        tol = _tolerance(lb, mip_gap)
        if ub - lb <= tol:
            sel, status, gap = inc, "optimal", max(0.0, (ub - lb) / ub) if ub > 0 else 0.0
        else:
            drop = free & (ub_in < lb - tol)
            drop[inc] = False
            force = free & (ub_out < lb - tol)
            keep = np.flatnonzero(~drop)
            sol = _exact.mclp(
                sparse.csr_matrix(cover)[:, keep],
                weights,
                p,
                (required | force)[keep],
                time_limit=max(1.0, deadline - time.perf_counter()),
                mip_gap=mip_gap,
            )
            sel = keep[sol.selected]
            status, gap = sol.status, sol.gap
            if fixed + _covered(a, rw, sel) < lb:
                sel = inc
        sel = np.sort(sel)
        out.append(ExactSolution(sel, status, gap, fixed + _covered(a, rw, sel), bound=ub))
        previous = sel
    return out


def _covered(a, rw: np.ndarray, sel) -> float:
    if a.shape[0] == 0 or len(sel) == 0:
        return 0.0
    hit = np.asarray(a[:, list(sel)].sum(axis=1)).ravel() > 0
    return float(rw[hit].sum())


def _coverage_bound(a, rw, fixed, free, k, lam, lb, mip_gap):
    """Subgradient optimisation of the Lagrangian upper bound of the maximal covering problem
    (coverage constraints relaxed with multipliers in ``[0, weight]``)."""
    m = a.shape[1]
    ub_in = np.full(m, np.inf)
    ub_out = np.full(m, np.inf)
    best, best_lam = np.inf, lam.copy()
    at = a.T if isinstance(a, np.ndarray) else a.T.tocsr()
    step, stale = 2.0, 0
    tol = _tolerance(lb, mip_gap)
    for _ in range(MAX_ITERATIONS):
        sigma = at @ lam
        picked = _k_best(sigma, free, k, largest=True)
        chosen, spare = picked[:k], picked[k:]
        y = rw > lam
        bound = float(fixed + (rw - lam)[y].sum() + sigma[chosen].sum())
        worst = sigma[chosen[-1]]
        ub_in = np.where(free, np.minimum(ub_in, bound - worst + sigma), ub_in)
        if len(spare):
            mask = np.zeros(m, dtype=bool)
            mask[chosen] = True
            ub_out = np.where(mask, np.minimum(ub_out, bound - sigma + sigma[spare[0]]), ub_out)
        if not np.isfinite(best) or bound < best - 1e-12 * max(1.0, abs(best)):
            best, best_lam, stale = bound, lam.copy(), 0
        else:
            stale += 1
            if stale >= PATIENCE:
                step, stale = step / 2, 0
        if best - lb <= tol or step < MIN_STEP:
            break
        hits = np.asarray(a[:, chosen].sum(axis=1)).ravel()
        g = hits - y  # dL/dlambda
        norm = float(g @ g)
        if norm == 0:
            break
        lam = np.clip(lam - step * (bound - lb) / norm * g, 0.0, rw)
    return best, ub_in, ub_out, best_lam
