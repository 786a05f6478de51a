"""Location-allocation models: exact optima against brute force, options, explanations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from geo.build.places import open_place
from geo.errors import InputError
from geo.siting import candidates as cand
from geo.siting.problem import SitingProblem, demand_weights, time_bands

RNG_SEEDS = range(12)


def instance(seed: int, *, unreachable: bool = False):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(6, 22)), int(rng.integers(3, 8))
    costs = rng.uniform(0, 30, (n, m)).round(1)
    if unreachable:
        costs[rng.random((n, m)) < 0.2] = np.inf
    weights = rng.integers(0, 60, n).astype(float)
    return costs, weights


def plans(m: int, p: int, required=()):
    return [s for s in itertools.combinations(range(m), p) if all(r in s for r in required)]


def covered(costs, weights, plan, minutes):
    return float(weights[costs[:, list(plan)].min(axis=1) <= minutes].sum())


def median_cost(costs, weights, plan):
    best = costs[:, list(plan)].min(axis=1)
    return float(weights @ best) if np.isfinite(best).all() else np.inf


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_coverage_and_median_match_brute_force(seed):
    costs, weights = instance(seed, unreachable=seed % 3 == 0)
    required = [1] if seed % 2 else []
    problem = SitingProblem.from_cost_matrix(costs, weights, required=required)
    m = costs.shape[1]
    for p in range(max(1, len(required)), m + 1):
        best_cov = max(covered(costs, weights, s, 12.0) for s in plans(m, p, required))
        res = problem.solve(objective="coverage", hubs=p, minutes=12.0)
        assert res.covered_weight == pytest.approx(best_cov)
        assert covered(
            costs, weights, [problem.candidate_ids.index(h) for h in res.selected], 12.0
        ) == pytest.approx(best_cov)
        assert res.status == "optimal" and res.gap is not None and res.gap <= 1e-6
        assert res.method.startswith("exact")
        assert all(problem.candidate_ids[r] in res.selected for r in required)
        best_med = min(median_cost(costs, weights, s) for s in plans(m, p, required))
        if np.isfinite(best_med):
            res = problem.solve(objective="median", hubs=p)
            assert res.objective_value == pytest.approx(best_med)
            assert len(res.selected) == p


def test_cover_is_fewest_hubs_then_most_coverage():
    for seed in RNG_SEEDS:
        costs, weights = instance(seed)
        problem = SitingProblem.from_cost_matrix(costs, weights)
        m = costs.shape[1]
        reachable = float(weights[(costs <= 10).any(axis=1)].sum())
        target = 0.8 * reachable / weights.sum()
        res = problem.solve(objective="cover", minutes=10.0, target=target)
        k_best = min(
            p
            for p in range(1, m + 1)
            if max(covered(costs, weights, s, 10) for s in plans(m, p))
            >= target * weights.sum() - 1e-9
        )
        assert res.hubs == k_best
        assert res.covered_weight == pytest.approx(
            max(covered(costs, weights, s, 10) for s in plans(m, k_best))
        )
        assert res.covered_weight >= target * weights.sum() - 1e-9


def test_unreachable_cover_target_says_best_reachable():
    costs = np.array([[5.0, 40.0], [40.0, 5.0], [50.0, 60.0]])
    problem = SitingProblem.from_cost_matrix(costs, [10, 10, 20])
    with pytest.raises(InputError, match=r"90.0%.*unreachable.*best reachable is 50.0%"):
        problem.solve(objective="cover", minutes=15, target=0.9)


def test_required_hubs_are_kept_even_when_poor():
    costs = np.array([[1.0, 50.0, 2.0], [1.0, 50.0, 2.0], [40.0, 50.0, 3.0]])
    problem = SitingProblem.from_cost_matrix(
        costs, [5, 5, 5], candidate_ids=["a", "b", "c"], required=["b"]
    )
    res = problem.solve(objective="coverage", hubs=2, minutes=10)
    assert set(res.selected) == {"b", "c"} and res.required == ["b"]
    assert res.per_hub.set_index("hub").loc["b", "marginal_gain"] == 0
    with pytest.raises(InputError, match=r"hubs \(1\) is fewer than the 2 required"):
        SitingProblem.from_cost_matrix(costs, [5, 5, 5], required=[0, 1]).solve(
            objective="median", hubs=1
        )
    with pytest.raises(InputError, match="'z' is not a candidate"):
        SitingProblem.from_cost_matrix(
            costs, [5, 5, 5], candidate_ids=["a", "b", "c"], required=["z"]
        )


def _capacitated_value(costs, weights, caps, plan, minutes, objective):
    """Brute-force reference: best split of demand over an open set (an LP)."""
    plan = list(plan)
    n = len(weights)
    pairs = [
        (i, j)
        for i in range(n)
        for j in plan
        if (costs[i, j] <= minutes if objective == "coverage" else np.isfinite(costs[i, j]))
    ]
    if not pairs:
        return 0.0
    c = [-weights[i] if objective == "coverage" else weights[i] * costs[i, j] for i, j in pairs]
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for i in range(n):
        row = [1.0 if pi == i else 0.0 for pi, _ in pairs]
        (a_ub if objective == "coverage" else a_eq).append(row)
        (b_ub if objective == "coverage" else b_eq).append(1.0)
    for j in plan:
        a_ub.append([weights[pi] if pj == j else 0.0 for pi, pj in pairs])
        b_ub.append(caps[j])
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, 1))
    if res.status != 0:
        return np.inf
    return -res.fun if objective == "coverage" else res.fun


@pytest.mark.parametrize("seed", range(4))
def test_capacities_match_brute_force(seed):
    costs, weights = instance(seed + 100)
    caps = np.full(costs.shape[1], weights.sum() / 3)
    problem = SitingProblem.from_cost_matrix(costs, weights, capacities=caps)
    m = costs.shape[1]
    p = min(3, m)
    best = max(_capacitated_value(costs, weights, caps, s, 15, "coverage") for s in plans(m, p))
    res = problem.solve(objective="coverage", hubs=p, minutes=15)
    assert res.objective_value == pytest.approx(best, rel=1e-6)
    uncapped = SitingProblem.from_cost_matrix(costs, weights).solve(
        objective="coverage", hubs=p, minutes=15
    )
    assert res.objective_value <= uncapped.covered_weight + 1e-9
    best_med = min(_capacitated_value(costs, weights, caps, s, 0, "median") for s in plans(m, p))
    res = problem.solve(objective="median", hubs=p)
    assert res.method.startswith("exact")
    assert float(res.per_hub["weight"].max()) <= caps[0] + 1e-6
    med = SitingProblem.from_cost_matrix(costs, weights, capacities=caps)
    from geo.siting import _exact as siting_exact

    sol = siting_exact.capacitated(
        "median",
        med.costs,
        med.weights,
        caps,
        med.required,
        p=p,
        minutes=None,
        time_limit=30,
        mip_gap=1e-9,
    )
    assert sol.objective == pytest.approx(best_med, rel=1e-6)


def test_capacity_too_small_for_median_is_a_clear_error():
    costs = np.array([[1.0, 2.0], [2.0, 1.0]])
    problem = SitingProblem.from_cost_matrix(costs, [10, 10], capacities=[5, 5])
    with pytest.raises(InputError, match="no feasible plan"):
        problem.solve(objective="median", hubs=2)


def test_greedy_is_flagged_and_close():
    rng = np.random.default_rng(7)
    pts = rng.uniform(0, 10_000, (200, 2))
    cands = rng.uniform(0, 10_000, (25, 2))
    costs = np.hypot(*(pts[:, None, :] - cands[None, :, :]).transpose(2, 0, 1)) / 80.0
    weights = rng.integers(1, 30, 200).astype(float)
    problem = SitingProblem.from_cost_matrix(costs, weights)
    for objective in ("coverage", "median"):
        exact = problem.solve(objective=objective, hubs=6, minutes=20)
        greedy = problem.solve(objective=objective, hubs=6, minutes=20, method="greedy")
        assert (
            greedy.method.startswith("greedy")
            and greedy.status == "heuristic"
            and greedy.gap is None
        )
        assert "no optimality gap" in greedy.method
        if objective == "coverage":
            assert greedy.covered_weight <= exact.covered_weight + 1e-9
            assert greedy.covered_weight >= 0.95 * exact.covered_weight
        else:
            assert greedy.objective_value >= exact.objective_value - 1e-6
            assert greedy.objective_value <= 1.05 * exact.objective_value
    cover = problem.solve(objective="cover", minutes=20, target=0.5, method="greedy")
    assert cover.covered_weight >= 0.5 * weights.sum()


def test_auto_uses_greedy_for_huge_instances(monkeypatch):
    from geo.siting import problem as siting

    costs, weights = instance(3)
    monkeypatch.setattr(siting, "EXACT_MAX_NONZEROS", 5)
    res = SitingProblem.from_cost_matrix(costs, weights).solve(
        objective="coverage", hubs=2, minutes=15
    )
    assert res.method.startswith("greedy") and any("large instance" in n for n in res.notes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"objective": "coverage", "hubs": 9, "minutes": 10},
            "9 hubs requested but there are only 3 candidates",
        ),
        ({"objective": "coverage", "hubs": 2}, "needs minutes"),
        ({"objective": "median"}, "needs the number of hubs"),
        ({"objective": "cover", "minutes": 10, "target": 1.5}, "share in"),
        ({"objective": "maximin", "hubs": 1}, "unknown objective"),
        ({"objective": "coverage", "hubs": 1, "minutes": 10, "method": "magic"}, "unknown method"),
    ],
)
def test_bad_solve_arguments(kwargs, message):
    problem = SitingProblem.from_cost_matrix(np.ones((2, 3)), [1, 1])
    with pytest.raises(InputError, match=message):
        problem.solve(**kwargs)


@pytest.mark.parametrize(
    ("costs", "weights", "message"),
    [
        (np.array([[1.0, np.nan]]), [1], "NaN"),
        (np.array([[1.0, -2.0]]), [1], "negative minutes"),
        (np.array([[1.0, 2.0]]), [-1], "not negative"),
        (np.array([[1.0, 2.0]]), [1, 2], "2 weights for 1 demand rows"),
    ],
)
def test_bad_matrices(costs, weights, message):
    with pytest.raises(InputError, match=message):
        SitingProblem.from_cost_matrix(costs, weights)


def test_marginal_gain_and_catchments_by_hand():
    # demand 0,1 near a; demand 2 near b; demand 3 near both
    costs = np.array([[2.0, 30.0], [3.0, 30.0], [30.0, 4.0], [5.0, 6.0]])
    problem = SitingProblem.from_cost_matrix(costs, [10, 20, 30, 40], candidate_ids=["a", "b"])
    res = problem.solve(objective="coverage", hubs=2, minutes=10)
    hubs = res.per_hub.set_index("hub")
    assert hubs.loc["a", "marginal_gain"] == 30  # only a covers demand 0 and 1
    assert hubs.loc["b", "marginal_gain"] == 30
    assert hubs.loc["a", "weight"] == 70 and hubs.loc["a", "areas"] == 3  # 3 goes to nearer a
    assert hubs.loc["a", "mean_minutes"] == pytest.approx((2 * 10 + 3 * 20 + 5 * 40) / 70)
    med = problem.solve(objective="median", hubs=2).per_hub.set_index("hub")
    # removing b sends demand 2 to a: 30 * (30 - 4)
    assert med.loc["b", "marginal_gain"] == pytest.approx(30 * 26)
    bands = res.bands.set_index("band")
    assert bands.loc["0-5", "weight"] == 10 + 20 + 30 + 40 - 0  # 2, 3, 4 and 5 minutes
    assert bands["weight"].sum() == 100


def test_time_bands_edges_and_unreachable():
    bands = time_bands(
        np.array([0.0, 5.0, 5.01, 61.0, np.inf]), np.array([1, 2, 4, 8, 16.0])
    ).set_index("band")
    assert bands.loc["0-5", "weight"] == 3 and bands.loc["5-10", "weight"] == 4
    assert bands.loc["60+", "weight"] == 8 and bands.loc["unreachable", "weight"] == 16


def test_equity_by_group_sums_to_total():
    costs = np.array([[1.0, 30.0], [30.0, 30.0], [30.0, 2.0], [30.0, 30.0]])
    problem = SitingProblem.from_cost_matrix(costs, [10, 30, 20, 40], groups=[1, 1, 10, 10])
    res = problem.solve(objective="coverage", hubs=1, minutes=5)
    # the optimum picks the second candidate (covers 20 in decile 10) over the first (10 in decile 1)
    assert res.selected == ["candidate1"]
    eq = res.equity.set_index("group")
    assert eq.loc[1, "covered_share"] == 0
    assert eq.loc[10, "covered_share"] == pytest.approx(20 / 60)
    assert eq.loc["All", "covered_weight"] == res.covered_weight == 20
    assert eq.loc["All", "weight"] == 100


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def test_from_place_on_demo_with_existing_hubs_curve_and_need_index(demo):
    schools = cand.from_sites(demo, "school")
    problem = SitingProblem.from_place(
        demo, weight="children_0_4", candidates=schools, existing="family_hub"
    )
    assert problem.n_demand == len(demo.areas)
    assert problem.n_candidates == len(schools) + 4
    res = problem.solve(objective="coverage", hubs=7, minutes=15)
    assert {"FH01", "FH02", "FH03", "FH04"} <= set(res.selected) and res.hubs == 7
    w = demo.areas["children_0_4"].fillna(0)
    assert res.total_weight == pytest.approx(w.sum())
    eq = res.equity.set_index("group")
    assert set(eq.index) >= {1, 10, "All"}
    assert eq.loc["All", "covered_weight"] == pytest.approx(res.covered_weight)
    assert sum(eq.drop("All")["weight"]) == pytest.approx(w[demo.areas["imd_decile"].notna()].sum())
    from geo.network.travel import is_approximate

    assert any("approximate" in n for n in res.notes) == is_approximate(demo)
    curve = problem.coverage_curve(max_hubs=8, minutes=15)
    assert list(curve["hubs"]) == [4, 5, 6, 7, 8]
    assert curve["covered_weight"].is_monotonic_increasing
    assert curve.set_index("hubs").loc[7, "covered_weight"] == pytest.approx(res.covered_weight)
    weights, label, _ = demand_weights(demo, "need_index")
    assert (weights >= 0).all() and "need index" in label.lower()
    with pytest.raises(InputError, match="unknown weight key 'nope'"):
        demand_weights(demo, "nope")


def test_from_geodataframe_crowfly():
    import geopandas as gpd
    from shapely.geometry import Point

    demand = gpd.GeoDataFrame(
        {"kids": [10, 20]}, geometry=[Point(0, 0), Point(1000, 0)], crs=27700, index=["d1", "d2"]
    )
    sites = gpd.GeoDataFrame(
        {"fixed": [False, True]},
        geometry=[Point(0, 0), Point(2000, 0)],
        crs=27700,
        index=["s1", "s2"],
    )
    problem = SitingProblem.from_geodataframe(
        demand, sites, "kids", speed_kmh=6.0, required_col="fixed"
    )
    assert problem.costs[1, 0] == pytest.approx(10.0)  # 1 km at 6 km/h
    res = problem.solve(objective="coverage", hubs=1, minutes=10)
    assert res.selected == ["s2"] and res.covered_weight == 20
    assert isinstance(res.assignment, pd.DataFrame) and list(res.assignment["hub"]) == ["s2", "s2"]


def test_time_limit_keeps_the_better_plan_and_gap_from_the_bound(monkeypatch):
    from geo.siting import _exact as siting_exact

    costs, weights = instance(5)
    problem = SitingProblem.from_cost_matrix(costs, weights)
    best = problem.solve(objective="median", hubs=2)
    worst = max(plans(costs.shape[1], 2), key=lambda s: median_cost(costs, weights, s))

    def timed_out(*args, **kwargs):
        return siting_exact.ExactSolution(
            np.array(worst),
            "time limit reached (best plan found so far)",
            0.5,
            median_cost(costs, weights, worst),
            bound=0.9 * best.objective_value,
        )

    monkeypatch.setattr(siting_exact, "pmedian", timed_out)
    res = problem.solve(objective="median", hubs=2)
    assert res.status.startswith("time limit") and res.method.startswith("exact")
    assert res.objective_value == pytest.approx(
        best.objective_value
    )  # greedy + interchange found the optimum
    assert res.gap == pytest.approx(1 - 0.9)
    assert any("greedy + interchange plan was better" in n for n in res.notes)
