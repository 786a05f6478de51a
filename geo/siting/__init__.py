"""Hub siting: where to put hubs, how many, and how to share staff between them.

Build a :class:`SitingProblem` (from a place, point frames or a cost matrix) and call
:meth:`SitingProblem.solve` for maximal coverage (``"coverage"``), p-median (``"median"``) or
the fewest hubs reaching a target share (``"cover"``); the :class:`SitingResult` explains the
plan. :func:`run_plan` does one whole planner run from plain values (candidates, solve,
coverage curve, staff split) and returns a :class:`PlanRun`.

Modules
-------
problem
    :class:`SitingProblem`, :class:`SitingResult`, :func:`demand_weights`.
candidates
    Candidate hub locations: existing sites (``candidates.from_sites``), points, a file or a
    grid (``candidates.resolve(place, "all")``).
teams
    Staff/team placement in proportion to need (:func:`allocate`, largest remainder).
plan
    :func:`run_plan`, :func:`build_candidates`, :class:`PlanRun`.
scenarios
    Saved named plans in SQLite or PostgreSQL (:class:`ScenarioStore`, :class:`Scenario`).

Examples
--------
>>> import geo  # doctest: +SKIP
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> run = geo.run_plan(place, objective="coverage", hubs=3, minutes=15)  # doctest: +SKIP
>>> run.result.selected  # doctest: +SKIP
"""

from geo.siting import candidates, scenarios, teams
from geo.siting.plan import PlanRun, build_candidates, run_plan
from geo.siting.problem import (
    OBJECTIVES,
    SitingProblem,
    SitingResult,
    demand_weights,
    time_bands,
)
from geo.siting.scenarios import Scenario, ScenarioStore
from geo.siting.teams import allocate, catchment_need, footprint_need, largest_remainder

__all__ = [
    "OBJECTIVES",
    "PlanRun",
    "Scenario",
    "ScenarioStore",
    "SitingProblem",
    "SitingResult",
    "allocate",
    "build_candidates",
    "candidates",
    "catchment_need",
    "demand_weights",
    "footprint_need",
    "largest_remainder",
    "run_plan",
    "scenarios",
    "teams",
    "time_bands",
]
