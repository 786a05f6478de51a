"""run_plan takes the plan from its exact curve (one solve, not two): same plan as solve()."""

from __future__ import annotations

import pytest

from geo.build.places import open_place
from geo.siting.plan import place_problem, run_plan


@pytest.mark.parametrize(("objective", "hubs"), [("median", 5), ("coverage", 6)])
def test_plan_from_the_curve_equals_a_separate_solve(objective, hubs):
    demo = open_place("demo")
    run = run_plan(
        demo,
        objective=objective,
        hubs=hubs,
        minutes=15.0,
        weight="children_0_4",
        candidates="school",
        existing=["family_hub"],
    )
    problem = place_problem(
        demo, weight="children_0_4", candidates="school", existing=["family_hub"]
    )
    alone = problem.solve(objective=objective, hubs=hubs, minutes=15.0)
    r = run.result
    assert r.objective_value == pytest.approx(alone.objective_value, rel=1e-6)
    assert sorted(r.selected) == sorted(alone.selected)
    assert r.status == "optimal" and r.method.startswith("exact")
    assert set(r.per_hub.columns) == set(alone.per_hub.columns)
    assert r.covered_weight == pytest.approx(alone.covered_weight)
    assert run.curve is not None and hubs in set(run.curve["hubs"])
    assert run_plan(demo, objective=objective, hubs=hubs, curve_to=0).curve is None
