"""``hubplan site --curve-to N``: one exact point per p, on a matrix and on the demo place."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from hubplan.cli.main import main
from tests.hubplan.test_site_cmds import COSTS, WEIGHTS, write_matrix


def test_curve_to_on_a_matrix(tmp_path, capsys):
    costs, demand = write_matrix(tmp_path)
    out = tmp_path / "r.json"
    code = main(
        [
            "site",
            "--matrix",
            str(costs),
            "--demand",
            str(demand),
            "--objective",
            "median",
            "--hubs",
            "2",
            "--curve-to",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    res = json.loads(out.read_text())
    assert "coverage_curve" not in res
    assert [c["hubs"] for c in res["curve"]] == [1, 2, 3]
    w = np.array(WEIGHTS, dtype=float)
    for point in res["curve"]:
        p = point["hubs"]
        best = min(
            float(w @ COSTS[:, list(s)].min(axis=1)) for s in itertools.combinations(range(3), p)
        )
        assert point["objective_value"] == pytest.approx(best)
        assert len(point["selected"]) == p and all(s.startswith("s") for s in point["selected"])
        assert point["weighted_mean_minutes"] == pytest.approx(best / w.sum())
        assert set(point) == {
            "hubs",
            "selected",
            "objective_value",
            "covered_share",
            "weighted_mean_minutes",
        }
    assert res["curve"][1]["selected"] == sorted(res["selected"])


def test_curve_to_zero_means_none_and_negative_is_refused(tmp_path, capsys):
    costs, demand = write_matrix(tmp_path)
    base = ["site", "--matrix", str(costs), "--demand", str(demand), "--hubs", "1"]
    assert main([*base, "--curve-to", "0", "--out", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["curve"] == []
    assert main([*base, "--curve-to", "-2", "--out", str(tmp_path / "b.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "hubplan: error: --curve-to must be 0 or more, got -2"


def test_curve_to_on_the_demo_place(tmp_path, capsys):
    out = tmp_path / "demo.json"
    code = main(
        [
            "site",
            "demo",
            "--objective",
            "coverage",
            "--hubs",
            "5",
            "--minutes",
            "15",
            "--curve-to",
            "6",
            "--capacity",
            "100000",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    res = json.loads(out.read_text())
    curve = {c["hubs"]: c for c in res["curve"]}
    assert set(curve) == set(range(1, 7))
    assert curve[5]["objective_value"] == pytest.approx(res["covered_weight"])
    shares = [curve[p]["covered_share"] for p in sorted(curve)]
    assert shares == sorted(shares) and 0 < shares[0] <= shares[-1] <= 1
