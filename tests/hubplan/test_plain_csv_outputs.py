"""Every CSV that once started with ``# `` lines opens in a plain CSV reader (issue #14).

``hubplan cluster``'s lookup, ``hubplan access``, ``hubplan hotspots``, ``hubplan school-clusters`` (summary and
``--schools-out``) and the Clusters page's lookup download are read with
``pandas.read_csv(path)`` and ``csv.DictReader`` as they come: the header is on row 1, the file
is UTF-8 with a byte-order mark, and the attribution and method travel in the CSV on the Web
sidecar ``<file>-metadata.json``.
"""

from __future__ import annotations

import base64
import codecs
import csv
import importlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.clusters.footprint_sets import read_lookup
from hubplan.cli.main import main
from hubplan.web import create_app
from tests.support.wigan import write_wigan_config


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def check_plain(path: Path, *, first: str, note: str, place) -> pd.DataFrame:
    """Open ``path`` with plain readers; check its sidecar; return the pandas frame."""
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8), f"{path.name}: no byte-order mark"
    text = raw.decode("utf-8-sig")
    assert not any(line.startswith("#") for line in text.splitlines()), path.name
    frame = pd.read_csv(path)  # the defaults, as a partner would
    assert frame.columns[0] == first, list(frame.columns)
    assert not any("\ufeff" in str(c) for c in frame.columns)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        assert reader.fieldnames == list(frame.columns)
    assert len(rows) == len(frame) > 0
    assert rows[0][first] == str(frame[first].iloc[0])
    sidecar = path.with_name(path.name + "-metadata.json")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    assert meta["url"] == path.name and meta["synthetic"] is True
    assert [c["titles"] for c in meta["tableSchema"]["columns"]] == list(frame.columns)
    for line in place.attribution_text().splitlines():
        if line.strip():
            assert line in meta["dc:source"], line
    comments = " ".join(meta["rdfs:comment"])
    assert "synthetic demo data" in comments and note in comments
    return frame


CLI_CASES = {
    "cluster": (
        ["cluster", "demo", "--k", "3", "--balance", "population", "--out", "{out}"],
        "code",
        "Designed 3 footprints",
    ),
    "access": (
        ["access", "demo", "--to", "family_hub", "--mode", "walk", "--out", "{out}"],
        "Area code",
        "shortest paths on the road network",
    ),
    "hotspots": (
        ["hotspots", "demo", "--indicator", "imd_score", "--permutations", "99", "--out", "{out}"],
        "Area code",
        "Method: Getis-Ord Gi*",
    ),
    "school-clusters": (
        ["school-clusters", "demo", "--by", "footprint", "--out", "{out}"],
        "Cluster",
        "is in the cluster of the",
    ),
    "school-clusters --schools-out": (
        [
            "school-clusters",
            "demo",
            "--by",
            "hub",
            "--out",
            "{tmp}/s.csv",
            "--schools-out",
            "{out}",
        ],
        "School id",
        "joins the cluster of its nearest family_hub by walk",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_csv_is_plain_with_a_sidecar(case, demo, tmp_path, capsys):
    argv, first, note = CLI_CASES[case]
    out = tmp_path / "table.csv"
    code = main([a.format(out=out, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"wrote {out} and {out}-metadata.json" in err
    frame = check_plain(out, first=first, note=note, place=demo)
    if case in ("access", "hotspots"):
        assert sorted(frame["Area code"]) == sorted(demo.areas.index.astype(str))
    if case == "cluster":  # keys as headers: loads back through [footprints] in a config
        assert list(frame.columns) == ["code", "footprint"] and len(frame) == len(demo.areas)
        assert read_lookup(out, demo.areas.index).nunique() == 3
    if case == "school-clusters":
        assert sorted(frame["Cluster"]) == demo.footprint_names
        assert frame["Number of small areas"].sum() == len(demo.areas)


def test_clusters_page_lookup_is_plain_with_a_sidecar(demo, tmp_path):
    create_app()  # pages register only after an app exists
    clusters = importlib.import_module("hubplan.pages.clusters")
    out = clusters.on_design(1, clusters.NEW, 3, "population", "grow", None, {"place": "demo"})
    data, side = clusters.on_download(1, out[-1], {"place": "demo"})
    for item in (data, side):
        (tmp_path / item["filename"]).write_bytes(base64.b64decode(item["content"]))
    path = tmp_path / data["filename"]
    assert side["filename"] == path.name + "-metadata.json"
    frame = check_plain(path, first="code", note="Designed 3 footprints", place=demo)
    # The keys stay the headers: the lookup loads back through [footprints] in a config.
    assert list(frame.columns) == ["code", "footprint"] and len(frame) == len(demo.areas)
    assert frame["footprint"].nunique() == 3


@pytest.mark.parametrize(
    "argv",
    [
        ["access", "demo", "--to", "family_hub", "--out", "{out}"],
        ["hotspots", "demo", "--indicator", "imd_score", "--permutations", "99", "--out", "{out}"],
        ["school-clusters", "demo", "--by", "footprint", "--out", "{out}"],
        ["school-clusters", "demo", "--out", "{tmp}/s.csv", "--schools-out", "{out}"],
    ],
    ids=["access", "hotspots", "school-clusters", "schools-out"],
)
def test_the_same_tables_as_xlsx_with_an_about_sheet(argv, demo, tmp_path, capsys):
    out = tmp_path / "table.xlsx"
    code = main([a.format(out=out, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 0, err
    assert not out.with_name("table.xlsx-metadata.json").exists()
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Data", "About"]
    about = " ".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    for line in demo.attribution_text().splitlines():
        assert line.strip() in about, line
    data = pd.read_excel(out, sheet_name="Data")
    assert len(data) > 0 and data.columns[0] in ("Area code", "Cluster", "School id")


def test_an_unknown_table_suffix_is_one_line(tmp_path, capsys):
    code = main(["access", "demo", "--to", "family_hub", "--out", str(tmp_path / "a.txt")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "a.txt" in err and ".xlsx" in err


@pytest.fixture(scope="module")
def wigan(tmp_path_factory, wigan_dir):
    folder = tmp_path_factory.mktemp("wigan-csv")
    build_bundle(write_wigan_config(wigan_dir, folder), folder / "wigan.gpkg")
    return folder / "wigan.gpkg"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("argv", "first"),
    [
        (["access", "{place}", "--to", "school", "--out", "{out}"], "Area code"),
        (
            [
                "hotspots",
                "{place}",
                "--indicator",
                "imd_score",
                "--permutations",
                "99",
                "--out",
                "{out}",
            ],
            "Area code",
        ),
        (["school-clusters", "{place}", "--by", "footprint", "--out", "{out}"], "Cluster"),
    ],
    ids=["access", "hotspots", "school-clusters"],
)
def test_wigan_csvs_are_plain_with_the_licences_in_the_sidecar(argv, first, wigan, tmp_path):
    out = tmp_path / "wigan.csv"
    assert main([a.format(place=wigan, out=out) for a in argv]) == 0
    place = open_place(wigan)
    frame = pd.read_csv(out)
    assert frame.columns[0] == first and len(frame) > 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(frame)
    meta = json.loads((tmp_path / "wigan.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is False
    assert "Open Government Licence v3.0" in [lic["name"] for lic in meta["dc:license"]]
    for line in place.attribution_text().splitlines():
        if line.strip():
            assert line in meta["dc:source"], line
    assert "synthetic demo data" not in json.dumps(meta).lower()
