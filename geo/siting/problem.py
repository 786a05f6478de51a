"""Hub siting: location-allocation on a travel-time matrix (MCLP, p-median, partial cover).

Build a :class:`SitingProblem` from a cost matrix (:meth:`SitingProblem.from_cost_matrix`),
from point GeoDataFrames (:meth:`~SitingProblem.from_geodataframe`, crow-fly minutes) or from
a place (:meth:`~SitingProblem.from_place`, travel times from :mod:`geo.network.travel`), then call
:meth:`~SitingProblem.solve`:

* ``objective="coverage"`` (MCLP): ``hubs`` hubs maximising the weight within ``minutes``;
* ``objective="median"`` (p-median): ``hubs`` hubs minimising weighted travel time;
* ``objective="cover"``: the fewest hubs putting ``target`` (a share, e.g. 0.9) of the weight
  within ``minutes`` (then, among those, the plan covering the most).

``hubs`` counts every hub, required (existing) ones included. Small and medium instances are
solved exactly by HiGHS (:mod:`geo.siting._exact`) with a time limit and the optimality gap
reported; very large ones fall back to greedy + interchange (:mod:`geo.siting._greedy`). The
:class:`SitingResult` says which method ran, and explains the plan: hub catchments, the
marginal gain of each hub, coverage by national deprivation decile and a travel-time
distribution.

Ties are broken deterministically (:meth:`SitingProblem.tie_break`): among plans with the same
objective value, existing sites before new ones, then the lower weighted mean minutes, then
the candidate ids in sort order; so an unrelated change never flips the plan between equals.
:meth:`SitingProblem.coverage_curve` gives the exact optimum for every number of hubs,
computed incrementally (:mod:`geo.siting._curve`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geo.errors import InputError
from geo.indicators import need_index as ni
from geo.network.travel import (
    CROWFLY_NOTE,
    area_points,
    crowfly_minutes,
    is_approximate,
    travel_time_matrix,
    xy,
)
from geo.place.model import Place
from geo.siting import _curve as siting_curve
from geo.siting import _exact as siting_exact
from geo.siting import _greedy as siting_greedy
from geo.siting import candidates as cand
from geo.tables import records

OBJECTIVES = ("coverage", "median", "cover")
METHODS = ("auto", "exact", "greedy")
EXACT_MAX_NONZEROS = 3_000_000
TIME_BANDS = (0, 5, 10, 15, 20, 30, 45, 60)
DEFAULT_TIME_LIMIT = 60.0
TIE_BREAK_BUDGET = 50_000_000  # demand x candidates x hubs searched for equal plans
CURVE_COLUMNS = [
    "hubs",
    "selected",
    "objective_value",
    "covered_weight",
    "covered_share",
    "weighted_mean_minutes",
    "mean_minutes",
    "added",
    "method",
    "status",
    "gap",
]


def _ids(values: Iterable[object] | None, n: int, prefix: str) -> list[str]:
    if values is None:
        return [f"{prefix}{i}" for i in range(n)]
    out = [str(v) for v in values]
    if len(out) != n:
        raise InputError(f"{len(out)} {prefix} ids given for {n} {prefix} rows/columns")
    seen: set[str] = set()
    for v in out:
        if v in seen:
            raise InputError(f"{prefix} id {v!r} appears more than once")
        seen.add(v)
    return out


def check_costs(costs: np.ndarray) -> np.ndarray:
    """Return ``costs`` as floats, raising on NaN or negative minutes (``inf`` = unreachable)."""
    costs = np.asarray(costs, dtype=float)
    if costs.ndim != 2:
        raise InputError(f"the cost matrix must be 2-D, got shape {costs.shape}")
    if np.isnan(costs).any():
        i, j = np.argwhere(np.isnan(costs))[0]
        raise InputError(
            f"the cost matrix has {int(np.isnan(costs).sum())} NaN value(s), e.g. row {i}, column {j}"
        )
    if (costs < 0).any():
        i, j = np.argwhere(costs < 0)[0]
        raise InputError(
            f"the cost matrix has negative minutes ({costs[i, j]:g} at row {i}, column {j})"
        )
    return costs


@dataclass
class SitingResult:
    """A solved plan and everything needed to explain it.

    Attributes
    ----------
    selected
        Candidate ids of every hub in the plan (required ones included), best first by
        marginal gain.
    per_hub
        One row per hub: ``hub``, ``name``, ``required``, ``areas`` and ``weight`` of its
        catchment (demand assigned to it), ``covered_weight`` (catchment within ``minutes``),
        ``mean_minutes`` (weighted), ``marginal_gain`` (objective lost if this hub alone were
        removed: covered weight for coverage/cover, weighted minutes for median).
    assignment
        One row per demand point: ``demand``, ``hub``, ``minutes``, ``weight``, ``covered``.
    equity
        Coverage by national deprivation decile (when the problem has ``groups``), with a
        final ``All`` row.
    bands
        Weight by travel-time band to the assigned hub.
    """

    objective: str
    selected: list[str]
    required: list[str]
    minutes: float | None
    target: float | None
    method: str
    status: str
    gap: float | None
    objective_value: float | None  # None: objective 'coverage' explained without minutes
    solve_seconds: float
    total_weight: float
    covered_weight: float | None
    weighted_mean_minutes: float | None
    per_hub: pd.DataFrame
    assignment: pd.DataFrame
    equity: pd.DataFrame | None
    bands: pd.DataFrame
    weight_label: str = "weight"
    notes: list[str] = field(default_factory=list)

    @property
    def hubs(self) -> int:
        return len(self.selected)

    @property
    def covered_share(self) -> float | None:
        if self.covered_weight is None or self.total_weight <= 0:
            return None
        return self.covered_weight / self.total_weight

    def to_dict(self) -> dict:
        """JSON-ready summary (the CLI's result file and the scenario store's payload)."""
        return {
            "objective": self.objective,
            "selected": list(self.selected),
            "required": list(self.required),
            "hubs": self.hubs,
            "minutes": self.minutes,
            "target": self.target,
            "method": self.method,
            "status": self.status,
            "gap": self.gap,
            "objective_value": _num(self.objective_value),
            "solve_seconds": round(self.solve_seconds, 4),
            "weight": self.weight_label,
            "total_weight": _num(self.total_weight),
            "covered_weight": _num(self.covered_weight),
            "covered_share": _num(self.covered_share),
            "weighted_mean_minutes": _num(self.weighted_mean_minutes),
            "per_hub": records(self.per_hub),
            "equity": records(self.equity) if self.equity is not None else None,
            "time_bands": records(self.bands),
            "notes": list(self.notes),
        }


def _num(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


@dataclass
class SitingProblem:
    """Demand points, candidate hubs and the travel minutes between them.

    Use the constructors rather than building this directly.
    """

    costs: np.ndarray
    weights: np.ndarray
    demand_ids: list[str]
    candidate_ids: list[str]
    required: np.ndarray
    capacities: np.ndarray | None = None
    groups: pd.Series | None = None
    group_label: str = "IMD decile"
    candidate_names: list[str] | None = None
    candidates: gpd.GeoDataFrame | None = None
    demand: gpd.GeoSeries | None = None
    weight_label: str = "weight"
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_cost_matrix(
        cls,
        costs: np.ndarray | pd.DataFrame,
        weights: Sequence[float] | np.ndarray | pd.Series,
        *,
        demand_ids: Sequence[object] | None = None,
        candidate_ids: Sequence[object] | None = None,
        required: Iterable[object] = (),
        capacities: Sequence[float] | np.ndarray | None = None,
        groups: Sequence[object] | pd.Series | None = None,
        weight_label: str = "weight",
    ) -> SitingProblem:
        """A problem from an ``(n demand, m candidates)`` matrix of minutes.

        Parameters
        ----------
        costs
            Minutes from each demand point (row) to each candidate (column); ``inf`` where
            unreachable. A DataFrame supplies the ids from its index and columns.
        weights
            Demand weight per row (e.g. children), non-negative.
        required
            Candidate ids (or column positions) that must be hubs (existing sites).
        capacities
            Per candidate, the most weight a hub can serve (``inf`` or NaN = unlimited).
        groups
            Per demand row, a group for the equity table (e.g. national IMD decile).
        """
        if isinstance(costs, pd.DataFrame):
            demand_ids = list(costs.index) if demand_ids is None else demand_ids
            candidate_ids = list(costs.columns) if candidate_ids is None else candidate_ids
        c = check_costs(np.asarray(costs, dtype=float))
        n, m = c.shape
        if m == 0:
            raise InputError("no candidate hubs")
        if n == 0:
            raise InputError("no demand points")
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape[0] != n:
            raise InputError(f"{w.shape[0]} weights for {n} demand rows")
        if np.isnan(w).any():
            raise InputError(f"{int(np.isnan(w).sum())} demand weight(s) are missing (NaN)")
        if (w < 0).any() or np.isinf(w).any():
            raise InputError("demand weights must be finite and not negative")
        d_ids = _ids(demand_ids, n, "demand")
        c_ids = _ids(candidate_ids, m, "candidate")
        req = np.zeros(m, dtype=bool)
        pos = {cid: k for k, cid in enumerate(c_ids)}
        for r in required:
            key = str(r)
            if key in pos:
                req[pos[key]] = True
            elif isinstance(r, int | np.integer) and 0 <= int(r) < m:
                req[int(r)] = True
            else:
                raise InputError(f"required hub {r!r} is not a candidate")
        cap = None
        if capacities is not None:
            cap = np.asarray(capacities, dtype=float).ravel()
            if cap.shape[0] != m:
                raise InputError(f"{cap.shape[0]} capacities for {m} candidates")
            cap = np.where(np.isnan(cap), np.inf, cap)
            if (cap < 0).any():
                raise InputError("hub capacities must not be negative")
        grp = None
        if groups is not None:
            grp = pd.Series(np.asarray(groups, dtype=object), index=d_ids)
        return cls(c, w, d_ids, c_ids, req, cap, grp, weight_label=weight_label)

    @classmethod
    def from_geodataframe(
        cls,
        demand: gpd.GeoDataFrame,
        candidates: gpd.GeoDataFrame,
        weight: str,
        *,
        speed_kmh: float = 4.8,
        detour: float = 1.0,
        required_col: str | None = None,
        capacity_col: str | None = None,
        group_col: str | None = None,
    ) -> SitingProblem:
        """A problem from point (or polygon: an inside point is used) GeoDataFrames in the same
        projected CRS, with crow-fly minutes ``distance x detour / speed``."""
        if demand.crs != candidates.crs:
            raise InputError("demand and candidates must be in the same CRS")
        if demand.crs is not None and demand.crs.is_geographic:
            raise InputError("use a projected CRS (metres), e.g. EPSG:27700")
        if weight not in demand.columns:
            raise InputError(f"demand column {weight!r} not found")
        d_pts = demand.geometry.representative_point()
        c_pts = candidates.geometry.representative_point()
        costs = crowfly_minutes(xy(d_pts), xy(c_pts), speed_kmh=speed_kmh, detour=detour)
        req = []
        if required_col:
            req = [
                i
                for i, v in zip(candidates.index, candidates[required_col], strict=True)
                if bool(v)
            ]
        problem = cls.from_cost_matrix(
            costs,
            pd.to_numeric(demand[weight]).to_numpy(),
            demand_ids=demand.index,
            candidate_ids=candidates.index,
            required=req,
            capacities=candidates[capacity_col].to_numpy() if capacity_col else None,
            groups=demand[group_col].to_numpy() if group_col else None,
            weight_label=weight,
        )
        problem.candidates = candidates
        problem.demand = d_pts
        return problem

    @classmethod
    def from_place(
        cls,
        place: Place,
        *,
        weight: str,
        candidates: gpd.GeoDataFrame | None = None,
        existing: str | Sequence[str] | gpd.GeoDataFrame | None = None,
        mode: str = "walk",
        capacities: dict[str, float] | float | None = None,
    ) -> SitingProblem:
        """A problem for a place: demand at each area's inside point, travel minutes by ``mode``.

        Parameters
        ----------
        weight
            Indicator key for the demand weight, or ``need_index`` (see :func:`demand_weights`).
        candidates
            Candidate hubs from :mod:`geo.siting.candidates` (default: every site).
        existing
            Required hubs: a site kind (or kinds), or a candidates GeoDataFrame; they are added
            to the candidates when missing.
        capacities
            One capacity for every hub, or a dict candidate id -> capacity (weight units).
        """
        w, label, notes = demand_weights(place, weight)
        pool = candidates if candidates is not None else cand.from_sites(place, "all")
        required_ids: list[str] = []
        if existing is not None and not (
            isinstance(existing, str | list | tuple) and len(existing) == 0
        ):
            fixed = (
                existing
                if isinstance(existing, gpd.GeoDataFrame)
                else cand.from_sites(place, existing)
            )
            required_ids = list(fixed.index)
            pool = cand.combine(fixed, pool)
        if pool is None or len(pool) == 0:
            raise InputError("no candidate hubs")
        demand = area_points(place)
        costs = travel_time_matrix(place, demand, pool.geometry, mode=mode)
        decile = national_decile_key(place)
        groups = None
        if decile is not None:
            groups = (
                pd.to_numeric(place.areas[decile], errors="coerce")
                .round()
                .astype("Int64")
                .to_numpy()
            )
        problem = cls.from_cost_matrix(
            costs,
            w.reindex(place.areas.index).to_numpy(),
            demand_ids=place.areas.index,
            candidate_ids=pool.index,
            required=required_ids,
            groups=groups,
            weight_label=label,
        )
        problem.set_capacities(capacities)
        problem.group_label = place.catalogue[decile].label if decile else "IMD decile"
        problem.candidates = pool
        problem.candidate_names = [str(v) for v in pool["name"]] if "name" in pool else None
        problem.demand = demand
        if is_approximate(place):
            notes.append(f"travel times are {CROWFLY_NOTE}")
        problem.notes = notes
        return problem

    # ------------------------------------------------------------------ helpers
    def set_capacities(self, capacities: dict[str, float] | float | None) -> None:
        """Set hub capacities (weight units): one for every hub, or candidate id -> capacity
        (candidates not named are unlimited); ``None`` leaves the hubs unlimited."""
        if capacities is None:
            self.capacities = None
            return
        if isinstance(capacities, dict):
            known = set(self.candidate_ids)
            unknown = [k for k in capacities if k not in known]
            if unknown:
                raise InputError(f"capacity given for {unknown[0]!r}, which is not a candidate")
            cap = np.array([float(capacities.get(k, np.inf)) for k in self.candidate_ids])
        else:
            cap = np.full(self.n_candidates, float(capacities))
        cap = np.where(np.isnan(cap), np.inf, cap)
        if (cap < 0).any():
            raise InputError("hub capacities must not be negative")
        self.capacities = cap

    @property
    def n_demand(self) -> int:
        return self.costs.shape[0]

    @property
    def n_candidates(self) -> int:
        return self.costs.shape[1]

    def cover_matrix(self, minutes: float) -> sparse.csr_matrix:
        """Which candidates reach each demand point within ``minutes`` (boolean CSR)."""
        return sparse.csr_matrix(self.costs <= minutes)

    def coverable_weight(self, minutes: float) -> float:
        """The weight within ``minutes`` of at least one candidate (the most any plan covers)."""
        return float(self.weights[(self.costs <= minutes).any(axis=1)].sum())

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        *,
        objective: str = "coverage",
        hubs: int | None = None,
        minutes: float | None = None,
        target: float | None = None,
        method: str = "auto",
        time_limit: float = DEFAULT_TIME_LIMIT,
        mip_gap: float = 1e-6,
    ) -> SitingResult:
        """Choose hubs. See the module docstring for the objectives.

        Parameters
        ----------
        hubs
            Total hubs (required ones included); needed for ``coverage`` and ``median``.
        minutes
            Coverage threshold; needed for ``coverage`` and ``cover``, optional for ``median``
            (then coverage within it is reported too).
        target
            For ``cover``: share of the total weight to put within ``minutes`` (0-1].
        method
            ``auto`` (exact unless the instance is very large), ``exact`` or ``greedy``.
        time_limit
            Seconds for the exact solver; on timeout the best plan so far is returned with
            its gap.
        """
        objective, method = self._check(objective, hubs, minutes, target, method, time_limit)
        n_req = int(self.required.sum())
        start = time.perf_counter()
        notes = list(self.notes)
        cap = self.capacities is not None and np.isfinite(self.capacities).any()
        if method == "auto":
            method = (
                "exact" if cap or self._size(objective, minutes) <= EXACT_MAX_NONZEROS else "greedy"
            )
            if method == "greedy":
                notes.append(
                    f"large instance ({self.n_demand} demand x {self.n_candidates} candidates): "
                    "used the greedy + interchange heuristic; pass method='exact' to solve exactly"
                )
        if method == "greedy" and cap:
            raise InputError("hub capacities need the exact solver (method 'exact' or 'auto')")
        share = None
        gap: float | None = None
        if objective == "cover":
            assert target is not None and minutes is not None  # _check asks for both
            total = float(self.weights.sum())
            goal = target * total
            best = self.coverable_weight(minutes)
            if best < goal * (1 - 1e-9):
                raise InputError(
                    f"cover target {target:.1%} of the {self.weight_label} within {minutes:g} minutes "
                    f"is unreachable: even with every candidate as a hub the best reachable is "
                    f"{best / total:.1%}"
                    if total > 0
                    else "cover target unreachable: total weight is 0"
                )
            if method == "exact":
                if cap:
                    assert self.capacities is not None  # cap says so
                    sol = siting_exact.capacitated(
                        "cover",
                        self.costs,
                        self.weights,
                        self.capacities,
                        self.required,
                        p=None,
                        minutes=minutes,
                        target_weight=goal,
                        time_limit=time_limit,
                        mip_gap=mip_gap,
                    )
                else:
                    sol = siting_exact.min_hubs_for_target(
                        self.cover_matrix(minutes),
                        self.weights,
                        goal,
                        self.required,
                        time_limit=time_limit,
                        mip_gap=mip_gap,
                    )
                k = len(sol.selected)
                status, gap = sol.status, sol.gap
                # among plans with k hubs, the one covering the most
                inner = self._exact("coverage", max(k, n_req), minutes, time_limit, mip_gap, cap)
                sel, share = inner.selected, inner.assignment
                if inner.status != "optimal":
                    status = inner.status
            else:
                sel = siting_greedy.cover(
                    self.cover_matrix(minutes), self.weights, goal, self.required
                )
                status = "heuristic"
        else:
            assert hubs is not None  # _check asks for hubs unless the objective is 'cover'
            if hubs < max(n_req, 1):
                raise InputError(
                    f"hubs ({hubs}) is fewer than the {n_req} required (existing) hubs"
                )
            if method == "exact":
                sol = self._exact(objective, hubs, minutes, time_limit, mip_gap, cap)
                sel, status, gap, share = sol.selected, sol.status, sol.gap, sol.assignment
                if status != "optimal" and not cap:
                    sel, gap = self._rescue(objective, sol, hubs, minutes, notes)
            elif objective == "coverage":
                assert minutes is not None  # _check: coverage needs minutes
                sel = siting_greedy.coverage(
                    self.cover_matrix(minutes), self.weights, hubs, self.required
                )
                status = "heuristic"
            else:
                sel = siting_greedy.median(self.costs, self.weights, hubs, self.required)
                status = "heuristic"
        if share is None:
            sel = self.tie_break(sel, "median" if objective == "median" else "coverage", minutes)
        seconds = time.perf_counter() - start
        label = siting_exact.METHOD if method == "exact" else siting_greedy.METHOD
        return self._explain(
            objective,
            np.asarray(sel, int),
            minutes,
            target,
            label,
            status,
            gap,
            seconds,
            share,
            notes,
        )

    def _rescue(self, objective, sol, hubs, minutes, notes):
        """After a time-out: keep the better of the solver's plan and greedy + interchange,
        with the gap measured against the solver's bound."""
        if objective == "coverage":
            greedy = siting_greedy.coverage(
                self.cover_matrix(minutes), self.weights, hubs, self.required
            )
            values = [self.evaluate(s, minutes)["covered_weight"] for s in (sol.selected, greedy)]
            better = values[1] > values[0]
        else:
            greedy = siting_greedy.median(self.costs, self.weights, hubs, self.required)
            values = [self.evaluate(s)["weighted_minutes"] for s in (sol.selected, greedy)]
            better = values[1] < values[0]
        value = values[1] if better else values[0]
        if better:
            notes.append(
                "the exact solver reached its time limit; the greedy + interchange plan was "
                "better than its best plan and is shown"
            )
        gap = sol.gap
        if sol.bound is not None and value > 0:
            gap = max(0.0, abs(value - sol.bound) / abs(value))
        return (greedy if better else sol.selected), gap

    def check(self, objective, hubs, minutes, target, method, time_limit) -> tuple[str, str]:
        """Validate solve arguments (the same checks and messages as :meth:`solve`)."""
        return self._check(objective, hubs, minutes, target, method, time_limit)

    def explain_plan(
        self,
        selected: Sequence[str],
        *,
        objective: str,
        minutes: float | None,
        exact: bool,
        status: str,
        gap: float | None,
        seconds: float,
    ) -> SitingResult:
        """The full :class:`SitingResult` of a plan found elsewhere (e.g. a point of
        :meth:`coverage_curve`), as :meth:`solve` would explain it."""
        pos = {c: k for k, c in enumerate(self.candidate_ids)}
        sel = np.array(sorted(pos[str(h)] for h in selected), dtype=int)
        notes = list(self.notes)
        if not exact:
            notes.append(
                f"large instance ({self.n_demand} demand x {self.n_candidates} candidates): "
                "used the greedy + interchange heuristic; pass method='exact' to solve exactly"
            )
        label = siting_exact.METHOD if exact else siting_greedy.METHOD
        gap = None if gap is None or pd.isna(gap) else float(gap)
        return self._explain(
            objective, sel, minutes, None, label, status, gap, seconds, None, notes
        )

    def _check(self, objective, hubs, minutes, target, method, time_limit):
        if objective not in OBJECTIVES:
            raise InputError(f"unknown objective {objective!r}; use {', '.join(OBJECTIVES)}")
        if method not in METHODS:
            raise InputError(f"unknown method {method!r}; use {', '.join(METHODS)}")
        if objective in ("coverage", "cover") and minutes is None:
            raise InputError(f"objective {objective!r} needs minutes (the coverage threshold)")
        if minutes is not None and not (np.isfinite(minutes) and minutes > 0):
            raise InputError(f"minutes must be a positive number, got {minutes!r}")
        if objective == "cover":
            if target is None or not (0 < target <= 1):
                raise InputError(
                    f"cover target must be a share in (0, 1] (e.g. 0.9), got {target!r}"
                )
        else:
            if hubs is None:
                raise InputError(f"objective {objective!r} needs the number of hubs")
            if int(hubs) != hubs or hubs < 1:
                raise InputError(f"hubs must be a whole number of at least 1, got {hubs!r}")
            if hubs > self.n_candidates:
                raise InputError(
                    f"{hubs} hubs requested but there are only {self.n_candidates} candidates"
                )
        if not time_limit or time_limit <= 0:
            raise InputError(f"time limit must be a positive number of seconds, got {time_limit!r}")
        return objective, method

    def _size(self, objective: str, minutes: float | None) -> int:
        if objective == "median":
            return int(np.isfinite(self.costs).sum())
        return int((self.costs <= minutes).sum())

    def _exact(self, objective, p, minutes, time_limit, mip_gap, cap) -> siting_exact.ExactSolution:
        if cap:
            assert self.capacities is not None  # cap says so
            return siting_exact.capacitated(
                objective,
                self.costs,
                self.weights,
                self.capacities,
                self.required,
                p=p,
                minutes=minutes,
                time_limit=time_limit,
                mip_gap=mip_gap,
            )
        if objective == "coverage":
            return siting_exact.mclp(
                self.cover_matrix(minutes),
                self.weights,
                p,
                self.required,
                time_limit=time_limit,
                mip_gap=mip_gap,
            )
        return siting_exact.pmedian(
            self.costs, self.weights, p, self.required, time_limit=time_limit, mip_gap=mip_gap
        )

    # ------------------------------------------------------------------ explaining
    def evaluate(
        self, selected: Sequence[int] | np.ndarray, minutes: float | None = None
    ) -> dict[str, float]:
        """Objective values of a plan (candidate positions), each demand to its nearest hub."""
        sub = self.costs[:, list(selected)]
        best = sub.min(axis=1) if len(selected) else np.full(self.n_demand, np.inf)
        reach = np.isfinite(best)
        out = {
            "weighted_minutes": float(self.weights[reach] @ best[reach]),
            "unreached_weight": float(self.weights[~reach].sum()),
        }
        if minutes is not None:
            out["covered_weight"] = float(self.weights[best <= minutes].sum())
        return out

    def _explain(self, objective, sel, minutes, target, method, status, gap, seconds, share, notes):
        n, k_hubs = self.n_demand, len(sel)
        names = self.candidate_names or self.candidate_ids
        w = self.weights
        sub = self.costs[:, sel] if k_hubs else np.full((n, 1), np.inf)
        nearest = sub.argmin(axis=1)
        near_min = sub[np.arange(n), nearest]
        reach = np.isfinite(near_min)
        # flow[i, k]: weight of demand i served by hub k (nearest hub unless capacities split it)
        flow = np.zeros((n, max(k_hubs, 1)))
        if share is not None and k_hubs:
            flow = share[:, sel] * w[:, None]
        elif k_hubs:
            flow[np.flatnonzero(reach), nearest[reach]] = w[reach]
        served = flow.sum(axis=1)
        finite_sub = np.where(np.isfinite(sub), sub, 0.0)
        mins = np.where(
            served > 0, (flow * finite_sub).sum(axis=1) / np.where(served > 0, served, 1), near_min
        )
        mins = np.where(reach, mins, np.inf)
        within = sub <= minutes if minutes is not None else np.zeros_like(sub, dtype=bool)
        covered_w = (flow * within).sum(axis=1)
        main = np.where(served > 0, flow.argmax(axis=1), nearest)
        hub_of = (
            np.array([self.candidate_ids[sel[k]] for k in main], dtype=object)
            if k_hubs
            else np.full(n, None)
        )
        hub_of[~reach] = None
        if minutes is None:
            covered = np.full(n, np.nan)
        else:
            covered = np.where(w > 0, covered_w >= w * (1 - 1e-9), near_min <= minutes)
        assignment = pd.DataFrame(
            {
                "demand": self.demand_ids,
                "hub": hub_of,
                "minutes": np.where(reach, mins, np.nan),
                "weight": w,
                "covered": covered,
                "covered_weight": covered_w,
            }
        )
        gains = self._marginal(objective, sel, minutes)
        rows = []
        for k, j in enumerate(sel):
            wt = float(flow[:, k].sum())
            rows.append(
                {
                    "hub": self.candidate_ids[j],
                    "name": names[j],
                    "required": bool(self.required[j]),
                    "areas": int(((main == k) & reach & (served > 0)).sum()),
                    "weight": wt,
                    "covered_weight": float((flow[:, k] * within[:, k]).sum())
                    if minutes is not None
                    else None,
                    "mean_minutes": float(flow[:, k] @ finite_sub[:, k] / wt) if wt > 0 else None,
                    "marginal_gain": gains[k],
                }
            )
        per_hub = pd.DataFrame(
            rows,
            columns=[
                "hub",
                "name",
                "required",
                "areas",
                "weight",
                "covered_weight",
                "mean_minutes",
                "marginal_gain",
            ],
        )
        per_hub = per_hub.sort_values(
            "marginal_gain", ascending=False, na_position="first", kind="stable"
        )
        per_hub = per_hub.reset_index(drop=True)
        total = float(w.sum())
        covered_weight = float(covered_w.sum()) if minutes is not None else None
        wsum = float(w[reach].sum())
        mean_min = float(w[reach] @ mins[reach] / wsum) if wsum > 0 else None
        if (~reach & (w > 0)).any():
            notes.append(
                f"{int((~reach & (w > 0)).sum())} demand point(s) cannot reach any chosen hub"
            )
        if share is not None and (served < w * (1 - 1e-9)).any():
            notes.append(
                f"capacities leave {float((w - served).clip(0).sum()):g} of the weight unserved"
            )
        value = {
            "coverage": covered_weight,
            "cover": float(k_hubs),
            "median": float((flow * finite_sub).sum()),
        }[objective]
        return SitingResult(
            objective=objective,
            selected=list(per_hub["hub"]),
            required=[self.candidate_ids[j] for j in np.flatnonzero(self.required)],
            minutes=minutes,
            target=target,
            method=method,
            status=status,
            gap=gap,
            objective_value=value,
            solve_seconds=seconds,
            total_weight=total,
            covered_weight=covered_weight,
            weighted_mean_minutes=mean_min,
            per_hub=per_hub,
            assignment=assignment,
            equity=self._equity(mins, covered_w, minutes),
            bands=time_bands(mins, w),
            weight_label=self.weight_label,
            notes=notes,
        )

    def _marginal(
        self, objective: str, sel: np.ndarray, minutes: float | None
    ) -> list[float | None]:
        """Objective lost if each chosen hub alone were removed (nearest-hub allocation)."""
        out: list[float | None] = []
        sub = self.costs[:, sel]
        base = self.evaluate(sel, minutes)
        for k in range(len(sel)):
            rest = np.delete(sel, k)
            if objective in ("coverage", "cover"):
                without = self.evaluate(rest, minutes)
                out.append(base["covered_weight"] - without["covered_weight"])
            else:
                if (
                    len(rest) == 0
                    or (
                        np.isinf(np.delete(sub, k, axis=1).min(axis=1))
                        & np.isfinite(sub[:, k])
                        & (self.weights > 0)
                    ).any()
                ):
                    out.append(None)  # someone could reach no other hub
                    continue
                out.append(self.evaluate(rest)["weighted_minutes"] - base["weighted_minutes"])
        return out

    def _equity(
        self, mins: np.ndarray, covered_w: np.ndarray, minutes: float | None
    ) -> pd.DataFrame | None:
        if self.groups is None:
            return None
        frame = pd.DataFrame(
            {
                "group": self.groups.to_numpy(),
                "weight": self.weights,
                "covered": covered_w,
                "wmin": np.where(np.isfinite(mins), mins * self.weights, np.nan),
            }
        )
        frame = frame[frame["group"].notna()]
        rows = []
        for g, part in [*frame.groupby("group", sort=True), ("All", frame)]:
            wt = float(part["weight"].sum())
            rows.append(
                {
                    "group": g if g == "All" else _group_value(g),
                    "weight": wt,
                    "covered_weight": float(part["covered"].sum()) if minutes is not None else None,
                    "covered_share": float(part["covered"].sum() / wt)
                    if minutes is not None and wt > 0
                    else None,
                    "mean_minutes": float(part["wmin"].sum() / wt) if wt > 0 else None,
                }
            )
        table = pd.DataFrame(rows)
        table.attrs["label"] = self.group_label
        return table

    def coverage_curve(
        self,
        *,
        max_hubs: int,
        minutes: float | None,
        objective: str = "coverage",
        method: str = "auto",
        time_limit: float = DEFAULT_TIME_LIMIT,
        mip_gap: float = 1e-6,
    ) -> pd.DataFrame:
        """The best plan for every p from the required count (at least 1) to ``max_hubs``.

        Exact plans are computed incrementally (:mod:`geo.siting._curve`): each p starts from
        the previous optimum and the previous Lagrangian multipliers, and is proved optimal
        (to ``mip_gap``, as the MILP would be) by a bound or by a MILP on the few candidates
        the bound leaves. Capacitated problems are solved once per p; very large ones (or
        ``method="greedy"``) by greedy + interchange started from the previous plan. Ties
        are broken by :meth:`tie_break`.

        Columns: ``hubs``, ``selected`` (candidate ids), ``objective_value`` (covered weight,
        or weighted minutes for the median), ``covered_weight``, ``covered_share``,
        ``weighted_mean_minutes`` (and its older name ``mean_minutes``), ``added`` (ids new
        since the previous p), ``method``, ``status``, ``gap``.
        """
        obj = "median" if objective == "median" else "coverage"
        if obj == "coverage" and minutes is None:
            raise InputError("the coverage curve needs minutes (the coverage threshold)")
        if method not in METHODS:
            raise InputError(f"unknown method {method!r}; use {', '.join(METHODS)}")
        start = max(1, int(self.required.sum()))
        max_hubs = min(int(max_hubs), self.n_candidates)
        p_values = list(range(start, max_hubs + 1))
        if not p_values:
            return pd.DataFrame(columns=CURVE_COLUMNS)
        cap = self.capacities is not None and np.isfinite(self.capacities).any()
        if method == "auto":
            big = self._size(obj, minutes) > EXACT_MAX_NONZEROS
            method = "greedy" if big and not cap else "exact"
        plans: list[tuple[np.ndarray, str, float | None]] = []
        if cap:
            for p in p_values:
                res = self.solve(
                    objective=obj, hubs=p, minutes=minutes, method=method, time_limit=time_limit
                )
                pos = {c: k for k, c in enumerate(self.candidate_ids)}
                plans.append((np.array(sorted(pos[h] for h in res.selected)), res.status, res.gap))
        elif method == "exact":
            if obj == "median":
                sols = siting_curve.median_curve(
                    self.costs,
                    self.weights,
                    self.required,
                    p_values,
                    time_limit=time_limit,
                    mip_gap=mip_gap,
                )
            else:
                assert minutes is not None  # checked above: the coverage curve needs minutes
                sols = siting_curve.coverage_curve(
                    self.cover_matrix(minutes),
                    self.weights,
                    self.required,
                    p_values,
                    time_limit=time_limit,
                    mip_gap=mip_gap,
                )
            plans = [(s.selected, s.status, s.gap) for s in sols]
        else:
            previous: list[int] = []
            for p in p_values:
                if obj == "median":
                    sel = siting_greedy.median(
                        self.costs, self.weights, p, self.required, start=previous
                    )
                else:
                    assert minutes is not None  # checked above: the coverage curve needs minutes
                    sel = siting_greedy.coverage(
                        self.cover_matrix(minutes), self.weights, p, self.required, start=previous
                    )
                plans.append((sel, "heuristic", None))
                previous = list(sel)
        rows: list[dict[str, Any]] = []
        before: set[str] = set()
        total = float(self.weights.sum())
        for p, (sel, status, gap) in zip(p_values, plans, strict=True):
            if not cap:
                sel = self.tie_break(sel, obj, minutes)
            ids = sorted(self.candidate_ids[j] for j in sel)
            ev = self.evaluate(sel, minutes)
            reached = total - ev["unreached_weight"]
            mean = ev["weighted_minutes"] / reached if reached > 0 else None
            covered = ev.get("covered_weight")
            rows.append(
                {
                    "hubs": p,
                    "selected": ids,
                    "objective_value": ev["weighted_minutes"] if obj == "median" else covered,
                    "covered_weight": covered,
                    "covered_share": covered / total if covered is not None and total > 0 else None,
                    "weighted_mean_minutes": mean,
                    "mean_minutes": mean,
                    "added": ", ".join(sorted(set(ids) - before)),
                    "method": "exact" if method == "exact" else "greedy",
                    "status": status,
                    "gap": gap,
                }
            )
            before = set(ids)
        return pd.DataFrame(rows, columns=CURVE_COLUMNS)

    # ------------------------------------------------------------------ ties
    def existing_sites(self) -> np.ndarray:
        """Per candidate: is it an existing site (not a dropped point, grid cell or file row)?
        Every candidate counts as existing when the problem has no candidate table."""
        if self.candidates is None or "source" not in self.candidates:
            return np.ones(self.n_candidates, dtype=bool)
        return (self.candidates["source"].astype(str) == "site").to_numpy()

    def tie_key(self, sel: Sequence[int], minutes: float | None = None) -> tuple:
        """The tie-breaking key of a plan (smaller is preferred): fewer new (non-existing)
        sites, then lower weighted mean minutes to the nearest hub, then the sorted ids."""
        sel = list(sel)
        existing = self.existing_sites()
        ev = self.evaluate(sel, minutes)
        reached = float(self.weights.sum()) - ev["unreached_weight"]
        mean = ev["weighted_minutes"] / reached if reached > 0 else np.inf
        return (
            int((~existing[sel]).sum()),
            round(mean, 9),
            tuple(sorted(self.candidate_ids[j] for j in sel)),
        )

    def tie_break(
        self, sel: Sequence[int] | np.ndarray, objective: str, minutes: float | None
    ) -> np.ndarray:
        """The preferred plan among those with the same objective value as ``sel``.

        Rule (deterministic, whatever order the solver met the plans in): among plans with
        equal objective value (relative tolerance 1e-9) that differ from ``sel`` by swapping
        hubs one at a time, prefer existing sites over new ones, then the lower weighted mean
        minutes to the nearest hub, then the candidate ids in sort order. Required hubs are
        never swapped. Swaps are applied while one improves this key. Instances where
        ``demand x candidates x hubs`` exceeds :data:`TIE_BREAK_BUDGET` keep the solver's plan
        (the search would cost more than the solve).
        """
        sel = [int(j) for j in sel]
        if not sel or self.n_demand * self.n_candidates * len(sel) > TIE_BREAK_BUDGET:
            return np.sort(np.asarray(sel, dtype=int))  # too large to search: solver's plan
        costs = siting_greedy._penalised(self.costs)
        w = self.weights
        cover = costs <= minutes if objective == "coverage" else None

        def value(best: np.ndarray) -> float:
            return float(w @ (best <= minutes)) if cover is not None else float(w @ best)

        base = value(costs[:, sel].min(axis=1))
        tol = 1e-9 * max(1.0, abs(base))
        key = self.tie_key(sel, minutes)
        for _ in range(4 * len(sel) + 4):
            best_swap = None
            for j in sel:
                if self.required[j]:
                    continue
                others = [k for k in sel if k != j]
                rest = costs[:, others].min(axis=1) if others else np.full(len(w), np.inf)
                if cover is not None:
                    vals = w @ ((np.minimum(rest[:, None], costs)) <= minutes)
                else:
                    vals = w @ np.minimum(rest[:, None], costs)
                ties = np.flatnonzero(np.abs(vals - base) <= tol)
                for k in ties:
                    if k in sel:
                        continue
                    trial = [*others, int(k)]
                    trial_key = self.tie_key(trial, minutes)
                    if trial_key < key and (best_swap is None or trial_key < best_swap[0]):
                        best_swap = (trial_key, trial)
            if best_swap is None:
                break
            key, sel = best_swap
        return np.sort(np.asarray(sel, dtype=int))


def _group_value(g: Any) -> object:  # a groupby key: any scalar the groups hold
    try:
        return int(g)
    except (TypeError, ValueError):
        return str(g)


def time_bands(
    minutes: np.ndarray, weights: np.ndarray, bands: Sequence[float] = TIME_BANDS
) -> pd.DataFrame:
    """Weight by travel-time band (``0-5``, ``5-10``, ... , ``60+``, ``unreachable``)."""
    edges = [*bands, np.inf]
    labels = [f"{a:g}-{b:g}" if np.isfinite(b) else f"{a:g}+" for a, b in itertools.pairwise(edges)]
    idx = np.searchsorted(np.asarray(edges[1:-1], float), minutes, side="left")
    idx = np.where(np.isfinite(minutes), idx, len(labels))
    totals = np.bincount(idx, weights=weights, minlength=len(labels) + 1)
    total = float(weights.sum())
    frame = pd.DataFrame({"band": [*labels, "unreachable"], "weight": totals})
    frame["share"] = frame["weight"] / total if total > 0 else 0.0
    return frame


def national_decile_key(place: Place) -> str | None:
    """The first indicator flagged ``national_decile`` (IMD decile), preferring ``imd`` keys."""
    keys = [k for k, ind in place.catalogue.items() if ind.national_decile]
    imd = [k for k in keys if k.startswith("imd")]
    return next(iter(imd or keys), None)


def demand_weights(place: Place, key: str) -> tuple[pd.Series, str, list[str]]:
    """Demand weight per area for indicator ``key``: ``(values, label, notes)``.

    Missing values count as 0 (with a note). A composite need index (``need_index`` or a
    saved index) is used as percentile-rank need x the index's population weight, so that
    areas with more children in more need weigh more; an unsaved ``need_index`` uses the
    children's preset.
    """
    notes: list[str] = []
    specs = ni.saved_specs(place)
    if key in specs or (key == ni.DEFAULT_KEY and key not in place.catalogue):
        try:
            spec = specs.get(key) or ni.children_preset(place.catalogue)
        except InputError as exc:
            raise InputError(f"weight {key!r}: {exc}") from None
        spec = ni.NeedIndexSpec(
            weights=spec.weights,
            method="rank",
            key=spec.key,
            label=spec.label,
            preset=spec.preset,
            themes=spec.themes,
        )
        indicator, values = ni.compute_need_index(place, spec)
        label = f"{spec.label} (rank)"
        if indicator.weight:
            values = values * pd.to_numeric(place.areas[indicator.weight], errors="coerce")
            label = f"{place.catalogue[indicator.weight].label} x {spec.label} (rank)"
        notes.append(f"demand weight: {label}")
    else:
        if key not in place.catalogue:
            known = ", ".join([*place.catalogue, ni.DEFAULT_KEY])
            raise InputError(f"unknown weight key {key!r}; use an indicator key: {known}")
        ind = place.catalogue[key]
        values = pd.to_numeric(place.areas[key], errors="coerce")
        label = ind.label
        if (values < 0).any():
            raise InputError(
                f"weight {key!r} has negative values; use a count or a rank-based index"
            )
    missing = int(values.isna().sum())
    if missing:
        notes.append(f"{missing} area(s) have no value for {key!r} and weigh 0")
    return values.fillna(0.0).astype(float), label, notes
