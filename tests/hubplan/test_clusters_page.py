"""The Clusters page's layout and callbacks, without a browser: they show what
``geo.clusters.design.design_footprints`` returns."""

from __future__ import annotations

import base64
import importlib
import io
import json

import pandas as pd
import pytest

from geo.build.places import open_place
from geo.clusters.design import design_footprints
from hubplan.web import create_app


@pytest.fixture(scope="module")
def clusters():
    create_app()  # pages register only after an app exists
    return importlib.import_module("hubplan.pages.clusters")


def find(component, id_: str):
    """The component with ``id_`` inside a Dash layout (depth first)."""
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    if children is None:
        return None
    for child in children if isinstance(children, list | tuple) else [children]:
        hit = find(child, id_)
        if hit is not None:
            return hit
    return None


def test_layout_designs_with_the_place_defaults(clusters):
    place = open_place("demo")
    page = clusters.layout(place="demo", k="4", balance="nope", hsmethod="moran")
    summary = find(page, "cl-summary").rowData
    assert [r["set"] for r in summary] == ["current", "designed"]
    assert summary[1]["footprints"] == 4
    lookup = find(page, "cl-lookup").data
    assert lookup == {
        "k": 4,
        "balance": place.default_balance,
        "method": "grow",
        "set": clusters.NEW,
        "ready": True,
    }
    assert find(page, "cl-balance").value == place.default_balance
    assert find(page, "cl-hs-indicator").value == place.need_key
    assert find(page, "cl-hs-method").value == "moran"
    expected = design_footprints(place, k=4)
    status = find(page, "cl-status").children
    assert status.startswith("Designed 4 footprints in ")
    assert all(note in status for note in expected.notes[1:])
    assert len(find(page, "cl-changed").rowData) == len(expected.changed_rows())
    assert find(page, "cl-basis").children == f"Balanced quantity: {expected.comparison.basis}."


def test_large_places_wait_for_the_design_button(clusters, monkeypatch):
    monkeypatch.setattr(clusters, "AUTO_DESIGN_MAX_AREAS", 10)
    page = clusters.layout(place="demo")
    assert "press Design to start" in find(page, "cl-status").children
    assert find(page, "cl-summary").rowData == [] and find(page, "cl-lookup").data["ready"] is False


def test_design_and_download_callbacks(clusters):
    place = open_place("demo")
    out = clusters.on_design(1, clusters.NEW, 3, "population", "grow", None, {"place": "demo"})
    summary, rows, *_figs, changed, basis, status, lookup = out
    assert summary[1]["footprints"] == 3 and status.startswith("Designed 3 footprints")
    assert len(rows) == len(place.footprint_names) + 3
    assert all(r["from"] != r["to"] for r in changed)
    assert basis.startswith("Balanced quantity: ") and lookup["ready"] is True
    csv, side = clusters.on_download(1, lookup, {"place": "demo"})
    assert csv["filename"].endswith("_designed_footprints.csv")
    assert side["filename"] == csv["filename"] + "-metadata.json"
    meta = json.loads(base64.b64decode(side["content"]))
    assert meta["synthetic"] and "Designed 3 footprints" in " ".join(meta["rdfs:comment"])
    frame = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), dtype=str)
    assert list(frame.columns) == ["code", "footprint"] and len(frame) == len(place.areas)
    assert frame["footprint"].nunique() == 3
    bad = clusters.on_design(1, clusters.NEW, 0, "population", "grow", None, {"place": "demo"})
    assert bad[8].startswith("Could not design: K = 0 must be between 1")
