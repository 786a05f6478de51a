"""docs/library.md runs: its ```python blocks execute in order, in one namespace, in a temp folder.

The assertions check a few results of the worked session on the synthetic demo, so the page
cannot silently go stale (a renamed function, a changed column, a wrong claim).
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "library.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def doc_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return [m.group(1) for m in BLOCK.finditer(text)]


def test_doc_blocks_are_found():
    blocks = doc_blocks("x\n```python\na = 1\n```\n```text\nno\n```\n```python\nb = 2\n```\n")
    assert blocks == ["a = 1\n", "b = 2\n"]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run every block of the page; returns the namespace and the printed output."""
    folder = tmp_path_factory.mktemp("library-doc")
    blocks = doc_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8, "docs/library.md lost its python blocks"
    namespace: dict = {"__name__": "__library_doc__"}
    output = io.StringIO()
    mp = pytest.MonkeyPatch()
    mp.chdir(folder)
    mp.setattr(tempfile, "tempdir", str(folder))  # the page's exports land in the test folder
    try:
        for i, block in enumerate(blocks, 1):
            code = compile(block, f"{DOC.name} block {i}", "exec")
            with contextlib.redirect_stdout(output):
                exec(code, namespace)
    finally:
        mp.undo()
    return {"ns": namespace, "out": output.getvalue(), "folder": folder}


def test_opens_the_synthetic_demo(session):
    ns = session["ns"]
    place = ns["place"]
    assert place.synthetic
    assert "synthetic demo data" in place.name
    assert len(place.areas) > 100
    assert "synthetic: True" in session["out"]


def test_profiles(session):
    ns = session["ns"]
    table, profile = ns["table"], ns["profile"]
    assert table["footprint"].iloc[-1] == "All areas"
    body = table.iloc[:-1]
    assert body["children_0_4"].sum() == pytest.approx(table["children_0_4"].iloc[-1])
    assert profile.footprint == "Ashby North" and profile.synthetic
    assert any("Synthetic demo data" in n for n in profile.notes)


def test_isochrones_nest_on_the_network(session):
    bands = session["ns"]["bands"]
    assert list(bands["minutes"]) == [10.0, 20.0]
    assert (bands["method"] == "network").all() and not bands["approximate"].any()
    assert bands.geometry.iloc[1].contains(bands.geometry.iloc[0].buffer(-1))
    assert bands["km2"].iloc[1] > bands["km2"].iloc[0] > 0


def test_access_and_coverage(session):
    ns = session["ns"]
    access, reached, place = ns["access"], ns["reached"], ns["place"]
    assert len(access) == len(place.areas)
    hub_names = set(ns["family_hubs"]["name"])
    assert set(access["nearest_site_name"].dropna()) <= hub_names
    shares = reached["children_0_4_share"].to_list()
    assert shares == sorted(shares) and 0 < shares[-1] <= 1


def test_siting(session):
    ns = session["ns"]
    plan, pool, run = ns["plan"], ns["pool"], ns["run"]
    assert plan.hubs == 3 and set(plan.selected) <= set(pool.index)
    assert plan.method.startswith("exact")
    assert 0 < plan.covered_share <= 1
    # the same question asked through run_plan gets the same best coverage
    assert run.result.covered_share == pytest.approx(plan.covered_share, rel=1e-6)
    assert run.teams["allocated"].sum() == pytest.approx(12)
    assert set(run.teams.index) == set(run.result.selected)


def test_designed_footprints(session):
    ns = session["ns"]
    design, place = ns["design"], ns["place"]
    assert design.assignment.nunique() == 5
    assert design.assignment.index.equals(place.areas.index)
    assert design.max_deviation() < 0.1
    summary = ns["comparison"].summary
    assert list(summary["footprints"]) == [len(place.footprint_names), 5]
    designed = ns["designed_profile"]
    assert designed["footprint"].iloc[:-1].str.startswith("Designed").all()


def test_need_index_and_hotspots(session):
    ns = session["ns"]
    need, spots, place = ns["need"], ns["spots"], ns["place"]
    assert need.index.equals(place.areas.index) and need.notna().sum() > 100
    counts = spots.counts()
    assert sum(counts.values()) == len(place.areas)
    assert counts["hot"] > 0 and counts["cold"] > 0
    assert "Benjamini-Hochberg" in spots.method_text


def test_exports_carry_the_synthetic_label(session):
    ns = session["ns"]
    out: Path = ns["out"]
    assert out.parent == session["folder"]  # in the test's temp folder, not the user's /tmp
    csv = (out / "footprints.csv").read_text(encoding="utf-8-sig")
    assert not csv.startswith("#")  # plain CSV: the header is on row 1
    frame = pd.read_csv(out / "footprints.csv", encoding="utf-8-sig")
    assert len(frame) >= len(ns["place"].footprint_names)
    metadata = (out / "footprints.csv-metadata.json").read_text(encoding="utf-8")
    assert "synthetic demo data" in metadata.lower()
    sidecar = (out / "areas.geojson.attribution.txt").read_text(encoding="utf-8")
    assert "synthetic demo data" in sidecar.lower()
    assert '"children_0_4"' in (out / "areas.geojson").read_text(encoding="utf-8")


def test_errors_section_catches_the_specific_kind(session):
    assert "network problem:" in session["out"]
    assert "hovercraft" in session["out"]
