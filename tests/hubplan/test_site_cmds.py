"""``hubplan site`` and ``hubplan scenarios``: results, one-line errors (exit 2), scenarios."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geo.build.places import demo_bundle_path
from hubplan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
COSTS = np.array(
    [[2.0, 12.0, 30.0], [11.0, 3.0, 30.0], [25.0, 14.0, 4.0], [9.0, 30.0, 8.0], [30.0, 6.0, 30.0]]
)
WEIGHTS = [10, 20, 30, 40, 5]


def write_matrix(
    folder: Path, costs=COSTS, weights=WEIGHTS, *, drop=None, edit=None
) -> tuple[Path, Path]:
    rows = ["origin,destination,minutes"]
    for i, j in itertools.product(range(costs.shape[0]), range(costs.shape[1])):
        if drop == (i, j):
            continue
        value = f"{costs[i, j]:g}"
        if edit and edit[0] == (i, j):
            value = edit[1]
        rows.append(f"d{i},s{j},{value}")
    (folder / "costs.csv").write_text("\n".join(rows) + "\n")
    (folder / "demand.csv").write_text(
        "id,weight\n" + "".join(f"d{i},{w}\n" for i, w in enumerate(weights))
    )
    return folder / "costs.csv", folder / "demand.csv"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_matrix_result_json(tmp_path, capsys):
    costs, demand = write_matrix(tmp_path)
    out = tmp_path / "r.json"
    code, _, err = run(
        capsys,
        "site",
        "--matrix",
        costs,
        "--demand",
        demand,
        "--hubs",
        2,
        "--objective",
        "coverage",
        "--minutes",
        10,
        "--teams",
        7,
        "--curve",
        3,
        "--out",
        out,
    )
    assert code == 0, err
    res = json.loads(out.read_text())
    best = max(
        itertools.combinations(range(3), 2),
        key=lambda s: sum(
            w for w, row in zip(WEIGHTS, COSTS, strict=True) if row[list(s)].min() <= 10
        ),
    )
    assert sorted(res["selected"]) == [f"s{j}" for j in best]
    assert res["objective"] == "coverage" and res["method"].startswith("exact") and res["gap"] == 0
    assert isinstance(res["solve_seconds"], float)
    assert {h["hub"] for h in res["per_hub"]} == set(res["selected"])
    assert sum(h["covered_weight"] for h in res["per_hub"]) == res["covered_weight"]
    assert sum(t["allocated"] for t in res["teams"]) == 7
    assert [c["hubs"] for c in res["coverage_curve"]] == [1, 2, 3]
    assert "exact" in err  # summary line


@pytest.mark.parametrize(
    ("kind", "args", "expected"),
    [
        (
            "drop",
            ["--hubs", 1, "--minutes", 10],
            "1 origin-destination pair(s) missing, e.g. 'd1' -> 's2'",
        ),
        ("negative", ["--hubs", 1, "--minutes", 10], "negative minutes (-4)"),
        ("nan", ["--hubs", 1, "--minutes", 10], "row 2: minutes is blank or NaN"),
        ("text", ["--hubs", 1, "--minutes", 10], "minutes 'soon' is not a number"),
        (
            "demand",
            ["--hubs", 1, "--minutes", 10],
            "demand id(s) not among the matrix origins, e.g. 'd9'",
        ),
        ("ok", ["--hubs", 4, "--minutes", 10], "4 hubs requested but there are only 3 candidates"),
        (
            "ok",
            ["--objective", "cover", "--target", 0.999, "--minutes", 5],
            "unreachable: even with every candidate as a hub the best reachable is",
        ),
        ("ok", ["--hubs", 1, "--existing", "s7"], "--existing 's7' is not a destination"),
        ("ok", ["--minutes", 10], "--hubs is required"),
        (
            "ok",
            ["--hubs", 1, "--minutes", 10, "--weight", "kids"],
            "unknown weight key 'kids': no such column; columns are: weight",
        ),
    ],
)
def test_matrix_bad_input_is_one_line_exit_2(tmp_path, capsys, kind, args, expected):
    edits = {
        "negative": {"edit": ((1, 1), "-4")},
        "nan": {"edit": ((0, 0), "NaN")},
        "text": {"edit": ((0, 0), "soon")},
        "drop": {"drop": (1, 2)},
    }
    weights = [*WEIGHTS[:-1], 5]
    costs, demand = write_matrix(tmp_path, weights=weights, **edits.get(kind, {}))
    if kind == "demand":
        demand.write_text(demand.read_text() + "d9,3\n")
    out = tmp_path / "r.json"
    code, _, err = run(capsys, "site", "--matrix", costs, "--demand", demand, *args, "--out", out)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubplan: error: ") and expected in lines[0], err
    assert not out.exists()


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory) -> Path:
    """The demo bundle copied to a temp folder, so scenarios are saved there."""
    folder = tmp_path_factory.mktemp("demo")
    return Path(shutil.copy(demo_bundle_path(), folder / "demo.gpkg"))


def test_place_site_save_and_scenarios(demo_copy, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    out = tmp_path / "a.json"
    code, _, err = run(
        capsys,
        "site",
        demo_copy,
        "--hubs",
        6,
        "--objective",
        "coverage",
        "--minutes",
        15,
        "--mode",
        "walk",
        "--weight",
        "children_0_4",
        "--existing",
        "family_hub",
        "--candidates",
        "school",
        "--save",
        "A",
        "--out",
        out,
    )
    assert code == 0, err
    res = json.loads(out.read_text())
    assert {"FH01", "FH02", "FH03", "FH04"} <= set(res["selected"]) and len(res["selected"]) == 6
    assert res["synthetic"] is True and "synthetic demo data" in res["attribution"]
    assert [row["group"] for row in res["equity"]][-1] == "All"
    code, _, err = run(
        capsys,
        "site",
        demo_copy,
        "--hubs",
        6,
        "--objective",
        "median",
        "--candidates",
        "grid:1500",
        "--add-point=-2.25,53.5",
        "--save",
        "B",
        "--out",
        tmp_path / "b.json",
    )
    assert code == 0, err
    assert (demo_copy.parent / "demo.scenarios.sqlite").exists()
    code, text, _ = run(capsys, "scenarios", demo_copy, "list")
    assert code == 0 and "A" in text and "B" in text
    # numbers for people: shares in %, minutes with their unit, no raw floats or NaN
    assert re.search(r"\d+\.\d%", text) and " min" in text
    assert not re.search(r"\d\.\d{4,}", text) and "NaN" not in text
    code, text, _ = run(capsys, "scenarios", demo_copy, "show", "B")
    assert code == 0 and "time limit –" in text and "None" not in text.splitlines()[0]
    assert str(demo_copy.parent) not in text
    code, text, _ = run(capsys, "scenarios", demo_copy, "compare", "A", "B", "--format", "json")
    cmp = json.loads(text)
    assert {r["metric"] for r in cmp["summary"]} >= {"hubs", "covered share"}
    assert any("different modes or minutes" in n for n in cmp["notes"])
    code, _, err = run(
        capsys,
        "site",
        demo_copy,
        "--hubs",
        5,
        "--minutes",
        15,
        "--save",
        "A",
        "--out",
        tmp_path / "c.json",
    )
    assert code == 2 and "'A' already exists" in err and "--overwrite" in err
    code, _, err = run(
        capsys,
        "site",
        demo_copy,
        "--hubs",
        5,
        "--minutes",
        15,
        "--save",
        "A",
        "--overwrite",
        "--out",
        tmp_path / "c.json",
    )
    assert code == 0, err
    code, text, _ = run(capsys, "scenarios", demo_copy, "show", "A", "--format", "json")
    assert json.loads(text)["hubs"] and len(json.loads(text)["hubs"]) == 5
    assert run(capsys, "scenarios", demo_copy, "delete", "B")[0] == 0
    code, _, err = run(capsys, "scenarios", demo_copy, "show", "B")
    assert code == 2 and "no scenario called 'B'" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--hubs", 3, "--weight", "nope"], "unknown weight key 'nope'"),
        (["--hubs", 3, "--candidates", "castles"], "'castles' is not a site kind"),
        (["--hubs", 3, "--mode", "swim"], "unknown mode 'swim'"),
        (["--hubs", 3, "--add-point", "abc"], "--add-point 'abc' is not LON,LAT"),
    ],
)
def test_place_bad_input(demo_copy, tmp_path, capsys, args, expected):
    code, _, err = run(capsys, "site", demo_copy, *args, "--out", tmp_path / "r.json")
    assert code == 2 and len(err.strip().splitlines()) == 1 and expected in err, err


def test_subprocess_exit_code_and_help():
    proc = subprocess.run(
        [sys.executable, "-m", "hubplan", "site", "--hubs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "hubplan: error: give a PLACE, or --matrix and --demand"
    for cmd in ("site", "scenarios"):
        proc = subprocess.run(
            [sys.executable, "-m", "hubplan", cmd, "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert proc.returncode == 0 and f"usage: hubplan {cmd}" in proc.stdout
