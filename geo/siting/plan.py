"""One planner run: candidates -> siting problem -> plan -> curve -> team split.

The planner page and the ``hubplan site`` command call :func:`run_plan` with plain values (as
a form, a URL or the command line gives them); it returns the :class:`PlanRun` with
everything they show. :func:`solve_plan` does the same for a problem built elsewhere (an
external travel-time matrix, :func:`geo.siting.matrix.read_matrix`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.place.model import Place
from geo.siting import candidates as cand
from geo.siting import teams
from geo.siting.matrix import read_capacities
from geo.siting.problem import DEFAULT_TIME_LIMIT, SitingProblem, SitingResult, demand_weights

MAX_CURVE = 25


@dataclass
class PlanRun:
    """A solved plan with what explains it.

    ``curve`` is the best plan for every number of hubs (see
    :meth:`SitingProblem.coverage_curve`), or ``None`` when none was asked for.
    """

    result: SitingResult
    problem: SitingProblem
    candidates: gpd.GeoDataFrame | None
    curve: pd.DataFrame | None
    teams: pd.DataFrame | None
    params: dict
    notes: list[str] = field(default_factory=list)
    curve_seconds: float = 0.0


def build_candidates(
    place: Place,
    spec: str,
    *,
    added: Sequence[tuple[float, float]] = (),
    removed: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """Candidates from ``spec`` (see :func:`geo.siting.candidates.resolve`) plus dropped lon/lat points,
    minus ``removed`` ids."""
    pool = cand.resolve(place, spec)
    if added:
        pool = cand.combine(pool, cand.from_points(place, list(added)))
    if removed:
        pool = pool[~pool.index.isin(list(removed))]
    if pool.empty:
        raise InputError("every candidate has been removed: add or restore some")
    return pool


def place_problem(
    place: Place,
    *,
    weight: str,
    candidates: str = "all",
    existing: Sequence[str] | None = None,
    added: Sequence[tuple[float, float]] = (),
    removed: Sequence[str] = (),
    mode: str = "walk",
    capacities: dict[str, float] | float | str | None = None,
) -> SitingProblem:
    """The siting problem for ``place``: candidates from ``candidates`` (plus ``added``
    points, minus ``removed`` ids), ``existing`` site kinds required.

    ``capacities`` is one number for every hub, a dict candidate id -> capacity, or the text
    of ``--capacity`` (a number or a CSV path, see :func:`geo.siting.matrix.read_capacities`,
    checked against the candidates once they are known). The travel-time matrix is computed
    once.
    """
    pool = build_candidates(place, candidates, added=added, removed=removed)
    fixed = None
    if existing:
        fixed = cand.from_sites(place, list(existing))
        fixed = fixed[~fixed.index.isin(list(removed))]
    problem = SitingProblem.from_place(
        place, weight=weight, candidates=pool, existing=fixed, mode=mode
    )
    if isinstance(capacities, str):
        capacities = read_capacities(capacities, problem.candidate_ids)
    problem.set_capacities(capacities)
    return problem


def default_curve_top(hubs: int) -> int:
    """The planner's default curve length: three hubs past the plan, at least 5."""
    return max(hubs + 3, 5)


def solve_plan(
    problem: SitingProblem,
    *,
    objective: str = "coverage",
    hubs: int | None = 7,
    minutes: float | None = 15.0,
    target: float | None = 0.9,
    method: str = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT,
    curve_to: int | None = None,
    staff: float | None = None,
    staff_step: float = 1.0,
    need: pd.Series | None = None,
    params: dict | None = None,
) -> PlanRun:
    """Solve ``problem`` and explain the plan.

    Parameters
    ----------
    curve_to
        The curve runs from the required count (at least 1) to this many hubs; ``0`` for no
        curve, ``None`` for :func:`default_curve_top` (capped at :data:`MAX_CURVE`).
    staff, staff_step
        Staff to share between the hubs in proportion to ``need`` (default the demand
        weight), in multiples of ``staff_step``.
    """
    curve: pd.DataFrame | None = None
    result: SitingResult | None = None
    cap = problem.capacities is not None and bool(np.isfinite(problem.capacities).any())
    shared = (
        objective in ("coverage", "median")
        and hubs is not None
        and not cap
        and method != "greedy"
        and (curve_to is None or int(curve_to) >= hubs)
    )
    if shared:  # the plan is a point of the (exact, incremental) curve: solve once
        assert hubs is not None  # shared asks for hubs
        problem.check(objective, hubs, minutes, target, method, time_limit)
        shared = max(1, int(problem.required.sum())) <= hubs <= problem.n_candidates
    if not shared:
        result = problem.solve(
            objective=objective,
            hubs=hubs,
            minutes=minutes,
            target=target,
            method=method,
            time_limit=time_limit,
        )
        hubs = result.hubs
    assert hubs is not None  # shared asks for hubs, else the solved plan's count
    top = default_curve_top(hubs) if curve_to is None else int(curve_to)
    top = min(top, problem.n_candidates, MAX_CURVE if curve_to is None else top)
    if shared:
        top = max(top, hubs)
    started = time.perf_counter()
    if top >= max(1, int(problem.required.sum())):
        curve = problem.coverage_curve(
            max_hubs=top, minutes=minutes, objective=objective, method=method, time_limit=time_limit
        )
    curve_seconds = time.perf_counter() - started
    if shared:
        assert curve is not None  # top >= hubs >= the required count, so the curve ran
        # one row: the curve has one row per number of hubs
        point = cast(pd.Series, curve.set_index("hubs").loc[hubs])
        result = problem.explain_plan(
            point["selected"],
            objective=objective,
            minutes=minutes,
            exact=point["method"] == "exact",
            status=point["status"],
            gap=point["gap"],
            seconds=curve_seconds,
        )
        if curve_to is not None and int(curve_to) == 0:
            curve = None
    assert result is not None  # solved above, or explained from the curve
    staff_table = None
    if staff:
        if need is None:
            need = pd.Series(problem.weights, index=problem.demand_ids)
        by_hub = teams.catchment_need(result.assignment, need, result.selected)
        staff_table = teams.allocate(by_hub, total=staff, step=staff_step)
        names = dict(zip(result.per_hub["hub"], result.per_hub["name"], strict=True))
        staff_table.insert(0, "name", [names.get(h, h) for h in staff_table.index])
    return PlanRun(
        result,
        problem,
        problem.candidates,
        curve,
        staff_table,
        dict(params or {}),
        list(result.notes),
        curve_seconds,
    )


def run_plan(
    place: Place,
    *,
    objective: str = "coverage",
    hubs: int | None = 7,
    minutes: float | None = 15.0,
    target: float | None = 0.9,
    mode: str = "walk",
    weight: str = "children_0_4",
    candidates: str = "all",
    existing: list[str] | None = None,
    added: Sequence[tuple[float, float]] = (),
    removed: Sequence[str] = (),
    capacities: dict[str, float] | float | str | None = None,
    method: str = "auto",
    staff: float | None = None,
    staff_step: float = 1.0,
    team_need: str | None = None,
    curve_to: int | None = None,
    time_limit: float = 30.0,
) -> PlanRun:
    """Solve one plan for ``place`` and explain it (see :meth:`SitingProblem.solve`).

    ``team_need`` is the indicator key the staff split follows (default ``weight``).
    """
    problem = place_problem(
        place,
        weight=weight,
        candidates=candidates,
        existing=existing,
        added=added,
        removed=removed,
        mode=mode,
        capacities=capacities,
    )
    need = demand_weights(place, team_need or weight)[0] if staff else None
    params = {
        "objective": objective,
        "hubs": hubs,
        "minutes": minutes,
        "target": target,
        "mode": mode,
        "weight": weight,
        "candidates": candidates,
        "existing": list(existing or []),
        "added": [list(p) for p in added],
        "removed": list(removed),
        "staff": staff,
    }
    return solve_plan(
        problem,
        objective=objective,
        hubs=hubs,
        minutes=minutes,
        target=target,
        method=method,
        time_limit=time_limit,
        curve_to=curve_to,
        staff=staff,
        staff_step=staff_step,
        need=need,
        params=params,
    )
