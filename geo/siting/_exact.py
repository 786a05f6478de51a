"""Exact location-allocation: mixed-integer programs solved by HiGHS (``scipy.optimize.milp``).

Formulations (``x_j`` = 1 when candidate ``j`` is a hub; required hubs have ``x_j`` fixed to 1):

* **MCLP** (maximal covering, Church & ReVelle 1974): demand rows with the same set of
  covering candidates are merged first (their weights summed), rows already covered by a
  required hub drop out, then ``max sum w_r y_r`` with ``y_r <= sum_{j covers r} x_j``,
  ``sum x = p``.
* **p-median**: the radius formulation of Elloumi (2010) with chained constraints, which has
  the same LP bound as the classical assignment model but ``O(n m)`` non-zeros and far fewer
  constraints: for demand ``i`` with sorted distinct costs ``D_1 < ... < D_K``,
  ``cost_i = D_1 + sum_k (D_{k+1} - D_k) z_ik`` and ``z_ik >= z_i,k-1 - sum_{c_ij = D_k} x_j``.
* **Capacitated** variants use the assignment model with ``z_ij`` (share of demand ``i``
  served by ``j``) and ``sum_i w_i z_ij <= cap_j x_j``.

Every function returns an :class:`ExactSolution` with the selected candidate indices, the
HiGHS status and the relative MIP gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import InputError

METHOD = "exact (HiGHS MILP via scipy.optimize.milp)"


@dataclass
class ExactSolution:
    """Raw solver output: chosen candidate indices and how the solve ended."""

    selected: np.ndarray
    status: str
    gap: float | None
    objective: float
    assignment: np.ndarray | None = None  # (n, m) shares for capacitated models
    bound: float | None = None  # best bound on the objective (HiGHS dual bound), when known


def _run(c, constraints, integrality, lb, ub, *, time_limit: float, mip_gap: float, what: str):
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        constraints=constraints,
        options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap), "disp": False},
    )
    if res.status == 2:
        raise InputError(f"{what}: no feasible plan (the constraints cannot all be met)")
    if res.x is None:
        raise InputError(
            f"{what}: the solver stopped ({res.message.strip()}) before finding any plan; "
            "raise the time limit or use method='greedy'"
        )
    status = "optimal" if res.status == 0 else "time limit reached (best plan found so far)"
    gap = getattr(res, "mip_gap", None)
    gap = None if gap is None or not np.isfinite(gap) else max(0.0, float(gap))
    return res, status, gap


def _x_bounds(m: int, required: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lb = np.zeros(m)
    lb[required] = 1.0
    return lb, np.ones(m)


def _selected(x: np.ndarray, m: int) -> np.ndarray:
    return np.flatnonzero(x[:m] > 0.5)


def coverage_rows(cover: sparse.csr_matrix, weights: np.ndarray, required: np.ndarray):
    """Merge demand rows with identical covering sets; drop rows covered by a required hub.

    Returns ``(rows, row_weights, fixed_weight)``: a CSR matrix of the distinct remaining
    rows, their summed weights and the weight already covered by required hubs.
    """
    cover = sparse.csr_matrix(cover, dtype=bool)
    keep = weights > 0
    fixed = 0.0
    if required.any():
        by_required = np.asarray(cover[:, np.flatnonzero(required)].sum(axis=1)).ravel() > 0
        fixed = float(weights[keep & by_required].sum())
        keep &= ~by_required
    keep &= np.diff(cover.indptr) > 0
    rows = cover[np.flatnonzero(keep)]
    w = weights[keep]
    if rows.shape[0] == 0:
        return rows, w, fixed
    packed = np.packbits(rows.toarray(), axis=1)
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    merged_w = np.bincount(inverse.ravel(), weights=w, minlength=len(first))
    return rows[first], merged_w, fixed


def mclp(
    cover: sparse.csr_matrix,
    weights: np.ndarray,
    p: int,
    required: np.ndarray,
    *,
    time_limit: float,
    mip_gap: float,
) -> ExactSolution:
    """Maximal covering: ``p`` hubs covering the most weight (``cover[i, j]``: j covers i)."""
    m = cover.shape[1]
    rows, w, fixed = coverage_rows(cover, weights, required)
    u = rows.shape[0]
    if u == 0:  # nothing left to gain: any p hubs including the required ones
        sel = np.flatnonzero(required)
        rest = [j for j in range(m) if not required[j]][: p - len(sel)]
        return ExactSolution(np.sort(np.r_[sel, rest]).astype(int), "optimal", 0.0, fixed)
    c = np.r_[np.zeros(m), -w]
    link = sparse.hstack([-rows.astype(float), sparse.identity(u, format="csr")], format="csr")
    count = sparse.csr_matrix(np.r_[np.ones(m), np.zeros(u)])
    cons = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, p, p)]
    xl, xu = _x_bounds(m, required)
    res, status, gap = _run(
        c,
        cons,
        np.r_[np.ones(m), np.zeros(u)],
        np.r_[xl, np.zeros(u)],
        np.r_[xu, np.ones(u)],
        time_limit=time_limit,
        mip_gap=mip_gap,
        what="coverage",
    )
    dual = getattr(res, "mip_dual_bound", None)
    bound = fixed - float(dual) if dual is not None and np.isfinite(dual) else None
    return ExactSolution(_selected(res.x, m), status, gap, fixed - float(res.fun), bound=bound)


def min_hubs_for_target(
    cover: sparse.csr_matrix,
    weights: np.ndarray,
    target_weight: float,
    required: np.ndarray,
    *,
    time_limit: float,
    mip_gap: float,
) -> ExactSolution:
    """Fewest hubs so that at least ``target_weight`` is covered (LSCP with a partial target)."""
    m = cover.shape[1]
    rows, w, fixed = coverage_rows(cover, weights, required)
    u = rows.shape[0]
    need = target_weight - fixed
    if need <= 1e-9 or u == 0:
        sel = np.flatnonzero(required)
        return ExactSolution(sel, "optimal", 0.0, float(len(sel)))
    c = np.r_[np.ones(m), np.zeros(u)]
    link = sparse.hstack([-rows.astype(float), sparse.identity(u, format="csr")], format="csr")
    total = sparse.csr_matrix(np.r_[np.zeros(m), w])
    cons = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(total, need * (1 - 1e-12), np.inf),
    ]
    xl, xu = _x_bounds(m, required)
    res, status, gap = _run(
        c,
        cons,
        np.r_[np.ones(m), np.zeros(u)],
        np.r_[xl, np.zeros(u)],
        np.r_[xu, np.ones(u)],
        time_limit=time_limit,
        mip_gap=mip_gap,
        what="cover",
    )
    sel = _selected(res.x, m)
    return ExactSolution(sel, status, gap, float(len(sel)))


def cap_costs(costs: np.ndarray, p: int, required: np.ndarray) -> np.ndarray:
    """Costs capped where it cannot change the p-median optimum.

    Demand ``i`` is always served within its ``(m - p + 1)``-th smallest cost (at most
    ``m - p`` candidates are closed) and within the cost of its nearest required hub.
    """
    n, m = costs.shape
    cap = np.full(n, np.inf)
    if p <= m:
        cap = np.partition(costs, m - p, axis=1)[:, m - p]
    if required.any():
        cap = np.minimum(cap, costs[:, required].min(axis=1))
    capped = costs.copy()
    finite_cap = np.isfinite(cap)
    rows = capped[finite_cap]
    capped[finite_cap] = np.minimum(rows, cap[finite_cap, None])
    return capped


def _radius_model(levels_list, level_of_list, finite_list, w, keep, m):
    """Constraint matrix, bounds and costs of the (possibly truncated) radius formulation.

    Demand ``k`` keeps its first ``keep[k]`` distance levels. A truncated demand (fewer levels
    kept than it has) pays the next level's distance when no kept level has an open hub: a
    lower bound on its true cost, so the truncated model's optimum bounds the true one.
    """
    rows_i, cols_j, vals, lower, z_cost = [], [], [], [], []
    base, nz, r = 0.0, m, 0
    for k, levels in enumerate(levels_list):
        total, kept = len(levels), int(keep[k])
        level_of, finite = level_of_list[k], finite_list[k]
        base += w[k] * levels[0]
        inside = level_of < kept
        # one constraint per kept level: z_l - z_{l-1} + sum_{c_ij = D_l} x_j >= [l == 0]
        rows_i.append(r + level_of[inside])
        cols_j.append(finite[inside])
        vals.append(np.ones(int(inside.sum())))
        n_z = total - 1 if kept == total else kept
        if n_z:
            zs = nz + np.arange(n_z)
            rows_i.append(r + np.arange(n_z))  # +z_l in level l
            cols_j.append(zs)
            vals.append(np.ones(n_z))
            prev = np.arange(min(n_z, kept - 1))
            rows_i.append(r + 1 + prev)  # -z_{l-1} in level l
            cols_j.append(zs[prev])
            vals.append(-np.ones(len(prev)))
            z_cost.append(w[k] * np.diff(levels[: n_z + 1]))
            nz += n_z
        lower.append(np.r_[1.0, np.zeros(kept - 1)])
        r += kept
    a = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_j))), shape=(r, nz)
    )
    c = np.r_[np.zeros(m), np.concatenate(z_cost) if z_cost else np.zeros(0)]
    return a, np.concatenate(lower), c, base, nz - m


def pmedian(
    costs: np.ndarray,
    weights: np.ndarray,
    p: int,
    required: np.ndarray,
    *,
    time_limit: float,
    mip_gap: float,
    first_levels: int | None = None,
) -> ExactSolution:
    """p-median: ``p`` hubs minimising total weighted cost (``inf`` = cannot be served).

    Solved as in García, Labbé & Marín (2011): the radius formulation restricted to each
    demand's nearest distance levels (a lower-bounding model), re-solved with more levels for
    the demand points whose hub lies beyond their kept levels, until none does; the plan is
    then optimal for the full problem.
    """
    import time

    m = costs.shape[1]
    live = np.flatnonzero((weights > 0) & np.isfinite(costs).any(axis=1))
    costs = cap_costs(costs[live], p, required)
    w = weights[live]
    levels_list, level_of_list, finite_list = [], [], []
    for row in costs:
        finite = np.flatnonzero(np.isfinite(row))
        levels, level_of = np.unique(row[finite], return_inverse=True)
        levels_list.append(levels)
        level_of_list.append(level_of.ravel())
        finite_list.append(finite)
    totals = np.array([len(v) for v in levels_list])
    start = first_levels or max(4, int(np.ceil(2.0 * m / max(p, 1))))
    keep = np.minimum(totals, start)
    deadline = time.perf_counter() + time_limit
    xl, xu = _x_bounds(m, required)
    while True:
        a, lower, c, base, n_z = _radius_model(levels_list, level_of_list, finite_list, w, keep, m)
        count = sparse.csr_matrix(np.r_[np.ones(m), np.zeros(n_z)])
        cons = [LinearConstraint(a, lower, np.inf), LinearConstraint(count, p, p)]
        res, status, gap = _run(
            c,
            cons,
            np.r_[np.ones(m), np.zeros(n_z)],
            np.r_[xl, np.zeros(n_z)],
            np.r_[xu, np.ones(n_z)],
            time_limit=max(1.0, deadline - time.perf_counter()),
            mip_gap=mip_gap,
            what="median",
        )
        sel = _selected(res.x, m)
        best = costs[:, sel].min(axis=1)
        true_value = float(w @ best)
        # demand points whose nearest chosen hub lies beyond their kept levels
        beyond = np.array(
            [keep[k] < totals[k] and best[k] >= levels_list[k][keep[k]] for k in range(len(w))],
            dtype=bool,
        )
        if not beyond.any() or status != "optimal" or time.perf_counter() >= deadline:
            if beyond.any() and status == "optimal":
                status = "time limit reached (best plan found so far)"
                gap = (
                    (true_value - (base + float(res.fun))) / true_value if true_value > 0 else None
                )
            dual = getattr(res, "mip_dual_bound", None)
            bound = base + float(dual) if dual is not None and np.isfinite(dual) else None
            return ExactSolution(sel, status, gap, true_value, bound=bound)
        keep[beyond] = np.minimum(totals[beyond], keep[beyond] * 2)


def capacitated(
    objective: str,
    costs: np.ndarray,
    weights: np.ndarray,
    capacities: np.ndarray,
    required: np.ndarray,
    *,
    p: int | None,
    minutes: float | None,
    target_weight: float | None = None,
    time_limit: float,
    mip_gap: float,
) -> ExactSolution:
    """Capacitated coverage / median / cover: demand may be split between hubs.

    ``capacities`` are in weight units (``inf`` = unlimited). For ``median`` every demand
    point that can reach a candidate must be fully served; for ``coverage`` and ``cover`` only
    demand within ``minutes`` counts, and a hub serves no more than its capacity.
    """
    n, m = costs.shape
    if objective == "median":
        ok = np.isfinite(costs) & (weights[:, None] > 0)
        ok &= np.isfinite(costs).any(axis=1)[:, None]
    else:
        ok = (costs <= minutes) & (weights[:, None] > 0)
    ii, jj = np.nonzero(ok)
    q = len(ii)
    if q == 0:
        sel = np.flatnonzero(required)
        return ExactSolution(sel, "optimal", 0.0, 0.0, np.zeros((n, m)))
    zcol = m + np.arange(q)
    wz = weights[ii]
    demand_rows = np.unique(ii, return_inverse=True)[1]
    n_rows = demand_rows.max() + 1
    cons = []
    # each demand served at most (coverage/cover) or exactly (median) once
    serve = sparse.csr_matrix((np.ones(q), (demand_rows, zcol)), shape=(n_rows, m + q))
    lo = 1.0 if objective == "median" else -np.inf
    cons.append(LinearConstraint(serve, lo, 1.0))
    # z_ij <= x_j
    link = sparse.csr_matrix(
        (np.r_[np.ones(q), -np.ones(q)], (np.r_[np.arange(q), np.arange(q)], np.r_[zcol, jj])),
        shape=(q, m + q),
    )
    cons.append(LinearConstraint(link, -np.inf, 0.0))
    limited = np.flatnonzero(np.isfinite(capacities))
    if len(limited):
        pos = {j: k for k, j in enumerate(limited)}
        mask = np.isin(jj, limited)
        rows = np.array([pos[j] for j in jj[mask]], dtype=int)
        cap_a = sparse.csr_matrix(
            (
                np.r_[wz[mask], -capacities[limited]],
                (np.r_[rows, np.arange(len(limited))], np.r_[zcol[mask], limited]),
            ),
            shape=(len(limited), m + q),
        )
        cons.append(LinearConstraint(cap_a, -np.inf, 0.0))
    if objective == "cover":
        assert target_weight is not None  # the caller gives it for objective 'cover'
        c = np.r_[np.ones(m), np.zeros(q)]
        total = sparse.csr_matrix((wz, (np.zeros(q, int), zcol)), shape=(1, m + q))
        cons.append(LinearConstraint(total, target_weight * (1 - 1e-12), np.inf))
    else:
        c = np.r_[np.zeros(m), costs[ii, jj] * wz if objective == "median" else -wz]
        cons.append(LinearConstraint(sparse.csr_matrix(np.r_[np.ones(m), np.zeros(q)]), p, p))
    xl, xu = _x_bounds(m, required)
    res, status, gap = _run(
        c,
        cons,
        np.r_[np.ones(m), np.zeros(q)],
        np.r_[xl, np.zeros(q)],
        np.r_[xu, np.ones(q)],
        time_limit=time_limit,
        mip_gap=mip_gap,
        what=f"capacitated {objective}",
    )
    share = np.zeros((n, m))
    share[ii, jj] = np.clip(res.x[m:], 0.0, 1.0)
    sel = _selected(res.x, m)
    value = float(res.fun) if objective != "coverage" else -float(res.fun)
    if objective == "cover":
        value = float(len(sel))
    return ExactSolution(sel, status, gap, value, share)
