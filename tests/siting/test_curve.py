"""The incremental exact curve: every point the optimum for its p, checked against PySAL spopt
(CBC via PuLP) and against a from-scratch MILP per p, on instances with and without
required hubs and unreachable pairs. One instance family (``held_apart``) was never used while
tuning the curve's bounds."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from geo.siting import _curve
from geo.siting import _exact as siting_exact
from geo.siting.problem import SitingProblem

pulp = pytest.importorskip("pulp")
locate = pytest.importorskip("spopt.locate")


def clustered(seed: int, n: int = 160, m: int = 24):
    """Demand in a few towns, candidates spread out: many near-ties, weak relaxations."""
    rng = np.random.default_rng(seed)
    towns = rng.uniform(0, 9_000, (4, 2))
    demand = towns[rng.integers(0, 4, n)] + rng.normal(0, 700, (n, 2))
    sites = rng.uniform(0, 9_000, (m, 2))
    costs = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) / 80.0
    return costs.round(2), rng.integers(1, 30, n).astype(float)


def held_apart(seed: int, n: int = 120, m: int = 18, *, river: bool = True):
    """Grid-like towns with a river: half the pairs across it are unreachable on foot."""
    rng = np.random.default_rng(10_000 + seed)
    demand = rng.uniform(0, 6_000, (n, 2))
    sites = rng.uniform(0, 6_000, (m, 2))
    sites[0, 0], sites[1, 0] = 1_500.0, 4_500.0  # one site on each bank
    costs = (
        np.abs(demand[:, None, 0] - sites[None, :, 0])
        + np.abs(demand[:, None, 1] - sites[None, :, 1])
    ) / 75.0
    across = (demand[:, None, 0] < 3_000) != (sites[None, :, 0] < 3_000)
    cut = across & (rng.random((n, m)) < 0.5) & river
    costs = np.where(cut, np.inf, costs.round(1))
    return costs, rng.integers(0, 25, n).astype(float)


def spopt_values(costs, weights, p, radius):
    # CBC from cbcbox (pulp[cbc], test extras): PuLP 3.3 deprecates the CBC it bundles.
    import cbcbox

    solver = pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False)
    finite = np.where(np.isfinite(costs), costs, 1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = locate.PMedian.from_cost_matrix(finite, weights, p_facilities=p, name="pm").solve(
            solver
        )
        mc = locate.MCLP.from_cost_matrix(
            finite, weights, service_radius=radius, p_facilities=p, name="mc"
        ).solve(solver)
    return pulp.value(pm.problem.objective), pulp.value(mc.problem.objective)


@pytest.mark.parametrize(("make", "seed"), [(clustered, 0), (clustered, 1), (held_apart, 0)])
def test_curve_points_match_spopt(make, seed):
    costs, weights = make(seed, river=False) if make is held_apart else make(seed)
    weights = np.maximum(weights, 1.0)  # spopt divides by the demand weight
    problem = SitingProblem.from_cost_matrix(costs, weights)
    median = problem.coverage_curve(max_hubs=8, minutes=None, objective="median")
    cover = problem.coverage_curve(max_hubs=8, minutes=25.0, objective="coverage")
    assert list(median["hubs"]) == list(range(1, 9)) == list(cover["hubs"])
    for p in (2, 3, 5, 8):
        pm, mc = spopt_values(costs, weights, p, 25.0)
        row_m = median.set_index("hubs").loc[p]
        row_c = cover.set_index("hubs").loc[p]
        assert row_m["objective_value"] == pytest.approx(pm, rel=1e-6), p
        assert row_c["objective_value"] == pytest.approx(mc, rel=1e-9), p
        assert len(row_m["selected"]) == p and row_m["status"] == "optimal"
    assert median["objective_value"].is_monotonic_decreasing
    assert cover["objective_value"].is_monotonic_increasing


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_curve_matches_from_scratch_milp_with_required_and_unreachable(seed):
    costs, weights = held_apart(seed)
    required = np.zeros(costs.shape[1], dtype=bool)
    required[[0, 1]] = True  # one on each bank: every demand point can reach a hub
    p_values = list(range(2, 9))
    med = _curve.median_curve(costs, weights, required, p_values, time_limit=60, mip_gap=1e-9)
    cov = _curve.coverage_curve(
        costs <= 20.0, weights, required, p_values, time_limit=60, mip_gap=1e-9
    )
    from scipy import sparse

    for p, a, b in zip(p_values, med, cov, strict=True):
        ref = siting_exact.pmedian(costs, weights, p, required, time_limit=60, mip_gap=1e-9)
        assert a.objective == pytest.approx(ref.objective, rel=1e-7), p
        assert len(a.selected) == p and required[a.selected].sum() == 2
        ref_c = siting_exact.mclp(
            sparse.csr_matrix(costs <= 20.0), weights, p, required, time_limit=60, mip_gap=1e-9
        )
        assert b.objective == pytest.approx(ref_c.objective, rel=1e-9), p
        assert len(b.selected) == p and required[b.selected].sum() == 2


def test_small_curve_is_the_brute_force_optimum():
    costs, weights = clustered(3, n=40, m=9)
    problem = SitingProblem.from_cost_matrix(costs, weights)
    curve = problem.coverage_curve(max_hubs=5, minutes=None, objective="median")
    for p in range(1, 6):
        brute = min(
            float(weights @ costs[:, list(s)].min(axis=1))
            for s in itertools.combinations(range(9), p)
        )
        assert curve.set_index("hubs").loc[p, "objective_value"] == pytest.approx(brute, rel=1e-9)


def test_curve_proves_optimality_by_bounds_not_by_a_milp_per_p(monkeypatch):
    """The incremental curve calls the MILP on a reduced candidate set at most; never on the
    full one (that would be a from-scratch solve)."""
    costs, weights = clustered(4, n=150, m=30)
    sizes = []
    real = siting_exact.pmedian

    def spy(c, *args, **kwargs):
        sizes.append(c.shape[1])
        return real(c, *args, **kwargs)

    monkeypatch.setattr(siting_exact, "pmedian", spy)
    sols = _curve.median_curve(
        costs, weights, np.zeros(30, dtype=bool), range(1, 11), time_limit=60, mip_gap=1e-6
    )
    assert len(sols) == 10
    assert all(s < 30 for s in sizes), sizes


def test_tie_break_prefers_existing_then_nearer_then_id():
    # demand 0 and 1; candidates a, b and c all reach both within 10 minutes (a tie for
    # coverage). c is a new point; b is nearer on average than a.
    import geopandas as gpd
    from shapely.geometry import Point

    costs = np.array([[5.0, 4.0, 1.0], [5.0, 4.0, 1.0]])
    problem = SitingProblem.from_cost_matrix(costs, [1, 1], candidate_ids=["a", "b", "c"])
    problem.candidates = gpd.GeoDataFrame(
        {"name": ["A", "B", "C"], "kind": "x", "source": ["site", "site", "point"]},
        geometry=[Point(0, 0)] * 3,
        index=["a", "b", "c"],
    )
    for order in ([0], [1], [2]):
        assert list(problem.tie_break(np.array(order), "coverage", 10.0)) == [1]
    res = problem.solve(objective="coverage", hubs=1, minutes=10.0)
    assert res.selected == ["b"]
    # equal mean minutes too: the lower id wins
    same = SitingProblem.from_cost_matrix(
        np.array([[3.0, 3.0], [3.0, 3.0]]), [1, 1], candidate_ids=["z", "y"]
    )
    assert same.solve(objective="median", hubs=1).selected == ["y"]
    curve = same.coverage_curve(max_hubs=1, minutes=None, objective="median")
    assert curve["selected"].iloc[0] == ["y"]
