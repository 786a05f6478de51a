"""One planner run: candidates -> siting problem -> plan -> curve -> team split.

The planner page and tests call :func:`run_plan` with plain values (as a form or URL gives
them); it returns the :class:`PlanRun` with everything the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.place.model import Place
from geo.siting import candidates as cand
from geo.siting import teams
from geo.siting.problem import SitingProblem, SitingResult, demand_weights


@dataclass
class PlanRun:
    """A solved plan with what explains it."""

    result: SitingResult
    problem: SitingProblem
    candidates: gpd.GeoDataFrame
    curve: pd.DataFrame | None
    teams: pd.DataFrame | None
    params: dict
    notes: list[str] = field(default_factory=list)


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
    staff: float | None = None,
    staff_step: float = 1.0,
    curve_to: int | None = None,
    time_limit: float = 30.0,
) -> PlanRun:
    """Solve one plan for ``place`` and explain it (see :meth:`SitingProblem.solve`)."""
    pool = build_candidates(place, candidates, added=added, removed=removed)
    fixed = None
    if existing:
        fixed = cand.from_sites(place, existing)
        fixed = fixed[~fixed.index.isin(list(removed))]
    problem = SitingProblem.from_place(
        place, weight=weight, candidates=pool, existing=fixed, mode=mode
    )
    result = problem.solve(
        objective=objective, hubs=hubs, minutes=minutes, target=target, time_limit=time_limit
    )
    curve = None
    top = curve_to or max(result.hubs + 3, 5)
    top = min(top, problem.n_candidates, 25)
    if top >= max(1, int(problem.required.sum())):
        curve = problem.coverage_curve(
            max_hubs=top, minutes=minutes, objective=objective, time_limit=time_limit
        )
    staff_table = None
    if staff:
        need = demand_weights(place, weight)[0]
        by_hub = teams.catchment_need(result.assignment, need, result.selected)
        staff_table = teams.allocate(by_hub, total=staff, step=staff_step)
        names = dict(zip(result.per_hub["hub"], result.per_hub["name"], strict=True))
        staff_table.insert(0, "name", [names.get(h, h) for h in staff_table.index])
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
    return PlanRun(
        result, problem, problem.candidates, curve, staff_table, params, list(result.notes)
    )
