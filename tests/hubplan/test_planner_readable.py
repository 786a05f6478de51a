"""Readable results: names and units in the planner's tables, formatted scenario comparisons,
the Access page's default hubs, hub roles on the map."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from hubplan.cli.site_cmds import format_table
from hubplan.web import create_app
from layers import siting as siting_layers


def pages():
    create_app()
    return (
        importlib.import_module("hubplan.pages.planner"),
        importlib.import_module("hubplan.pages.access"),
    )


PER_HUB = pd.DataFrame(
    {
        "hub": ["FH04", "990005"],
        "name": ["Southgate Family Hub", "Ashby Heathside Primary"],
        "required": [True, False],
        "areas": [12, 9],
        "weight": [1234.0, 800.0],
        "covered_weight": [1000.0, 400.0],
        "mean_minutes": [12.345, 20.0],
        "marginal_gain": [500.0, 120.0],
    }
)


def test_hub_table_shows_names_roles_and_units():
    planner, _ = pages()
    rows, cols = planner.hub_rows(
        PER_HUB, weight_label="Children aged 0-4", minutes=15.0, today=["FH04"]
    )
    assert [r["hub"] for r in rows] == ["Southgate Family Hub", "Ashby Heathside Primary"]
    assert [r["role"] for r in rows] == ["existing hub kept", "new hub"]
    # numbers stay numbers (the grid sorts them and shows separators and units)
    assert rows[0]["within"] == 81.0 and rows[0]["mean"] == 12.3
    assert rows[0]["weight"] == 1234
    names = [c["headerName"] for c in cols]
    assert "Catchment (Children aged 0-4)" in names and "Of which within 15 min (%)" in names
    assert "Average journey (minutes)" in names
    formats = {c["field"]: c.get("valueFormatter", {}).get("function") for c in cols}
    assert formats["weight"] == "hubNumber(params.value, 0)"
    assert formats["within"] == "hubNumber(params.value, 1)"
    assert not any("FH04" in str(v) for r in rows for v in r.values())


def test_compare_numbers_are_formatted():
    table = pd.DataFrame(
        {
            "metric": ["hubs", "covered share", "mean minutes (weighted)", "covered weight"],
            "a": [7.0, 0.591, 31.277, 13413.0],
            "b": [4.0, 0.5, 30.0, 12000.5],
            "difference": [-3.0, -0.091, -1.277, -1412.5],
        }
    )
    text = format_table(table).to_string(index=False)
    assert "7.000000" not in text and "0.591" not in text
    out = format_table(table).set_index("metric")
    assert out.loc["hubs", "a"] == "7" and out.loc["covered share", "a"] == "59.1%"
    assert out.loc["mean minutes (weighted)", "b"] == "30.0 min"
    assert out.loc["covered weight", "a"] == "13,413"


def test_access_defaults_to_hubs_not_every_school():
    _, access = pages()
    assert access.default_kind(SimpleNamespace(site_kinds=["school"])) is None
    assert (
        access.default_kind(SimpleNamespace(site_kinds=["school", "childrens_centre"]))
        == "childrens_centre"
    )
    assert (
        access.default_kind(SimpleNamespace(site_kinds=["family_hub", "childrens_centre"]))
        == "family_hub"
    )


def test_hub_roles_have_their_own_traces_and_legend():
    cands = gpd.GeoDataFrame(
        {"name": ["A", "B", "C"], "kind": "x", "source": "site"},
        geometry=[Point(380_000, 400_000), Point(381_000, 400_000), Point(382_000, 400_000)],
        crs=27700,
        index=["a", "b", "c"],
    )
    per_hub = pd.DataFrame(
        {
            "hub": ["a", "c"],
            "name": ["A", "C"],
            "required": [True, False],
            "areas": [1, 1],
            "weight": [1.0, 1.0],
            "covered_weight": [1.0, 1.0],
            "mean_minutes": [1.0, 1.0],
            "marginal_gain": [1.0, 1.0],
        }
    )
    traces = siting_layers.hub_markers(cands, per_hub, weight_label="children", today=["a", "b"])
    by_uid = {t.uid: t for t in traces}
    assert list(by_uid[siting_layers.HUBS_UID].customdata) == ["a"]
    assert list(by_uid[siting_layers.NEW_HUBS_UID].customdata) == ["c"]
    assert list(by_uid[siting_layers.DROPPED_UID].customdata) == ["b"]
    shown = [t.name for t in traces if t.showlegend is not False]
    assert shown == ["Existing hubs kept (1)", "New hubs (1)", "Existing hubs dropped (1)"]
    colours = {
        by_uid[u].marker.color
        for u in (siting_layers.HUBS_UID, siting_layers.NEW_HUBS_UID, siting_layers.DROPPED_UID)
    }
    assert len(colours) == 3
