"""``hubplan cluster``, ``hubplan hotspots`` and ``hubplan school-clusters`` end to end."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from geo.build.places import open_place
from geo.clusters.footprint_sets import footprint_sets
from geo.place.bundle import read_place
from hubplan.cli.main import main
from tests.support.bundles import demo_copy
from tests.support.graphs import non_contiguous, shapely_rook


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cluster_writes_lookup_and_saves_set(tmp_path, capsys):
    bundle = demo_copy(tmp_path)
    out = tmp_path / "designed.csv"
    code, stdout, _ = run(capsys, "cluster", str(bundle), "--k", "7", "--balance", "children_0_17",
                          "--out", str(out), "--save-as", "balanced 7")  # fmt: skip
    assert code == 0
    lookup = pd.read_csv(out, dtype=str)
    assert list(lookup.columns) == ["code", "footprint"]
    place = read_place(bundle)
    assert sorted(lookup["code"]) == sorted(place.areas.index)
    assert lookup["footprint"].nunique() == 7
    assignment = lookup.set_index("code")["footprint"]
    assert non_contiguous(assignment, shapely_rook(place.areas)) == []
    totals = (
        place.areas["children_0_17"].groupby(assignment.reindex(place.areas.index).to_numpy()).sum()
    )
    assert (totals / totals.mean() - 1).abs().max() <= 0.10
    assert footprint_sets(place)["balanced 7"].to_dict() == assignment.to_dict()
    assert "largest deviation from the mean" in stdout and "synthetic demo data" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "0", "--balance", "population"], "K = 0 must be between 1"),
        (["--k", "99999", "--balance", "population"], "K = 99999 must be between 1"),
        (["--k", "7", "--balance", "nope"], "unknown balance key 'nope'"),
        (["--k", "7", "--balance", "population", "--respect", "ward"], "unknown column 'ward'"),
        (["--k", "7", "--balance", "population", "--respect-file", "x.csv"], "needs --respect"),
    ],
)
def test_cluster_bad_input_is_one_line_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "x.csv"
    code, _, err = run(capsys, "cluster", "demo", *args, "--out", str(out))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("hubplan: error:") and message in err
    assert not out.exists()


def test_cluster_respect_file(tmp_path, capsys):
    place = open_place("demo")
    groups = pd.DataFrame({"area": place.areas.index, "ward": place.areas["footprint"].to_numpy()})
    groups.to_csv(tmp_path / "wards.csv", index=False)
    out = tmp_path / "lk.csv"
    code, _, err = run(capsys, "cluster", "demo", "--k", "3", "--balance", "population", "--respect", "ward",
                       "--respect-file", str(tmp_path / "wards.csv"), "--respect-code", "area",
                       "--out", str(out))  # fmt: skip
    assert code == 0, err
    lookup = pd.read_csv(out).set_index("code")["footprint"]
    assert (
        lookup.groupby(place.areas["footprint"].reindex(lookup.index).to_numpy()).nunique() == 1
    ).all()
    groups.iloc[5:].to_csv(tmp_path / "short.csv", index=False)
    code, _, err = run(capsys, "cluster", "demo", "--k", "3", "--balance", "population", "--respect", "ward",
                       "--respect-file", str(tmp_path / "short.csv"), "--respect-code", "area",
                       "--out", str(out))  # fmt: skip
    assert code == 2 and "misses 5 area(s)" in err and place.areas.index[0] in err


def test_hotspots_csv_and_geojson(tmp_path, capsys):
    csv = tmp_path / "hot.csv"
    code, stdout, _ = run(capsys, "hotspots", "demo", "--indicator", "imd_score", "--permutations", "199",
                          "--out", str(csv))  # fmt: skip
    assert code == 0 and "Getis-Ord Gi*" in stdout
    text = csv.read_text(encoding="utf-8-sig")
    assert text.startswith("Area code,Area name,Index of Multiple Deprivation score (score),")
    meta = json.loads(csv.with_name("hot.csv-metadata.json").read_text(encoding="utf-8"))
    comments = " ".join(meta["rdfs:comment"])
    assert "Method: Getis-Ord Gi*" in comments and "synthetic demo data" in comments
    table = pd.read_csv(csv)
    assert set(table["Class"]) <= {"hot", "cold", "not significant"}
    assert table["Adjusted p-value"].between(0, 1).all()
    code, _, err = run(capsys, "hotspots", "demo", "--indicator", "imd_score", "--permutations",
                       "199", "--keys", "--out", str(csv))  # fmt: skip
    assert code == 0, err
    keyed = pd.read_csv(csv)
    assert list(keyed.columns) == ["code", "name", "value", "statistic", "z", "p", "p_adjusted",
                                   "class"]  # fmt: skip
    assert keyed["class"].tolist() == table["Class"].tolist()
    gj = tmp_path / "hot.geojson"
    code, _, _ = run(capsys, "hotspots", "demo", "--indicator", "imd_score", "--method", "moran",
                     "--permutations", "199", "--out", str(gj))  # fmt: skip
    assert code == 0
    payload = json.loads(gj.read_text(encoding="utf-8"))
    assert "Local Moran's I" in payload["method"]
    assert any("synthetic demo data" in a for a in payload["attribution"])
    assert len(payload["features"]) == len(open_place("demo").areas)
    lon, lat = payload["features"][0]["geometry"]["coordinates"][0][0][:2]
    assert -3 < lon < -1 and 53 < lat < 54  # WGS84
    code, _, err = run(capsys, "hotspots", "demo", "--indicator", "nope", "--out", str(csv))
    assert code == 2 and "unknown indicator 'nope'" in err
    code, _, err = run(
        capsys, "hotspots", "demo", "--indicator", "imd_score", "--out", str(tmp_path / "x.shp")
    )
    assert code == 2 and "unsupported extension" in err


def test_school_clusters_cmd(tmp_path, capsys):
    out, schools = tmp_path / "clusters.csv", tmp_path / "schools.csv"
    code, _stdout, err = run(capsys, "school-clusters", "demo", "--by", "footprint", "--out", str(out),
                            "--schools-out", str(schools))  # fmt: skip
    assert code == 0, err
    summary = pd.read_csv(out)
    assert sorted(summary["Cluster"]) == open_place("demo").footprint_names
    assert summary["Schools (schools)"].dtype.kind == "i"
    assert len(pd.read_csv(schools)) == summary["Schools (schools)"].sum()
    code, stdout, err = run(capsys, "school-clusters", "demo", "--by", "footprint", "--keys")
    assert code == 0, err
    keyed = pd.read_csv(io.StringIO(stdout))
    assert sorted(keyed["cluster"]) == open_place("demo").footprint_names
    assert "synthetic demo data" in err and "is in the cluster of the" in err


@pytest.mark.parametrize("command", ["cluster", "hotspots", "school-clusters"])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: hubplan" in capsys.readouterr().out
