"""Same optimum as PySAL spopt (CBC through PuLP) for p-median and MCLP on the same matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from geo.siting.problem import SitingProblem

pulp = pytest.importorskip("pulp")
locate = pytest.importorskip("spopt.locate")
# CBC from cbcbox (pulp[cbc], test extras): PuLP 3.3 deprecates the CBC it bundles.
cbcbox = pytest.importorskip("cbcbox")


def matrix(seed: int, n: int = 150, m: int = 20):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 8_000, (n, 2))
    sites = rng.uniform(0, 8_000, (m, 2))
    costs = (
        np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
        / 80.0
    )
    return costs.round(2), rng.integers(1, 40, n).astype(float)


@pytest.mark.parametrize(("seed", "p"), [(0, 3), (1, 5), (2, 8)])
def test_pmedian_and_mclp_match_spopt(seed, p):
    costs, weights = matrix(seed)
    solver = pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False)
    with warnings.catch_warnings():
        # spopt builds its models with PuLP 3.3's deprecated constructors; that is spopt's code.
        warnings.simplefilter("ignore", DeprecationWarning)
        pm = locate.PMedian.from_cost_matrix(costs, weights, p_facilities=p, name="pm").solve(
            solver
        )
        mc = locate.MCLP.from_cost_matrix(
            costs, weights, service_radius=25.0, p_facilities=p, name="mc"
        ).solve(solver)
    problem = SitingProblem.from_cost_matrix(costs, weights)
    ours = problem.solve(objective="median", hubs=p)
    assert ours.objective_value == pytest.approx(pulp.value(pm.problem.objective), rel=1e-9)
    ours = problem.solve(objective="coverage", hubs=p, minutes=25.0)
    assert ours.covered_weight == pytest.approx(pulp.value(mc.problem.objective), rel=1e-9)
    assert ours.status == "optimal"
