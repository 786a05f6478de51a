"""The map page (pages/home.py): layout from the URL and its callbacks, called directly and
over HTTP (Flask test client, the same requests the browser sends)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from dash import Patch

from geo.build.places import open_place
from geo.indicators.profile import profile_table
from hubplan.pages._values_table import values_frame
from hubplan.web import create_app
from layers.base import format_value
from tests.support.dash_http import find_component, flask_post, router_body, texts, update_body

CONTROL_OUTPUTS = [
    ("home-map", "figure"),
    ("home-panel", "children"),
    ("home-values-table", "children"),
    ("home-indicator-note", "children"),
    ("home-state", "data"),
]


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def home(app):
    """hubplan.pages.home as the app imported it (pages register only after an app exists)."""
    import importlib

    return importlib.import_module("hubplan.pages.home")


@pytest.fixture(scope="module")
def client(app):
    c = app.server.test_client()
    assert c.get("/").status_code == 200
    return c


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


def render(client, search: str = "") -> dict:
    status, data = flask_post(client)("/_dash-update-component", router_body("/", search))
    assert status == 200
    return json.loads(data)["response"]["_pages_content"]["children"]


def prop(tree, component_id: str, name: str):
    return find_component(tree, component_id)["props"][name]


def tree_of(components):
    """Components -> the JSON tree Dash sends (for ``texts``)."""
    from plotly.utils import PlotlyJSONEncoder

    return json.loads(json.dumps(components, cls=PlotlyJSONEncoder))


def patch_ops(patch) -> list[dict]:
    return patch.to_plotly_json()["operations"] if isinstance(patch, Patch) else []


# --------------------------------------------------------------------------- layout from URL


def test_default_view(home, client, place):
    tree = render(client)
    assert prop(tree, "home-indicator", "value") == "imd_score"
    assert prop(tree, "home-footprint", "value") is None
    assert prop(tree, "home-layers", "value") == home.default_layers(place)
    assert texts(find_component(tree, "home-notice")) == []
    fig = prop(tree, "home-map", "figure")
    assert fig["layout"]["map"]["style"] == "white-bg"
    assert not any("mapbox" in t["type"] for t in fig["data"])


def test_isochrone_layer_names_the_sites_its_bands_start_from(home, place):
    """The demo's bands start from family hubs; a place with schools only (as Wigan's bundle)
    has them around schools, and the checklist says so."""
    label = {o["value"]: o["label"] for o in home.layer_options(place)}["isochrones"]
    assert label.startswith("Walking time to family hubs (isochrones)"), label
    schools_only = dataclasses.replace(place, sites=place.sites[place.sites["kind"] == "school"])
    assert schools_only.site_kinds == ["school"]
    label = {o["value"]: o["label"] for o in home.layer_options(schools_only)}["isochrones"]
    assert label.startswith("Walking time to schools (isochrones)"), label


def test_unknown_indicator_footprint_layer_and_place_give_notices_and_defaults(client):
    tree = render(client, "?indicator=nope&footprint=Atlantis&layers=areas,bogus&basemap=x")
    notices = " ".join(texts(find_component(tree, "home-notice")))
    assert "Unknown indicator 'nope'" in notices
    assert "'Atlantis'" in notices and "'bogus'" in notices and "basemap 'x'" in notices
    assert prop(tree, "home-indicator", "value") == "imd_score"
    assert prop(tree, "home-footprint", "value") is None
    assert prop(tree, "home-layers", "value") == ["areas"]

    tree = render(client, "?place=nowhere&indicator=lac_rate")
    notices = " ".join(texts(find_component(tree, "home-notice")))
    assert "Unknown place 'nowhere'" in notices
    # The rest of a link for another place is not applied to the fallback place.
    assert prop(tree, "home-indicator", "value") == "imd_score"


def test_placeholder_layer_in_url_is_hidden_with_a_notice(home, client, monkeypatch):
    from layers import overlays

    monkeypatch.setitem(
        overlays.OVERLAYS,
        "futuristic",
        overlays.Overlay("futuristic", "Future layer", "not available yet"),
    )
    monkeypatch.setattr(home, "_base_cache", {})
    tree = render(client, "?layers=areas,futuristic")
    notices = " ".join(texts(find_component(tree, "home-notice")))
    assert "futuristic not available" in notices
    options = {o["value"]: o for o in prop(tree, "home-layers", "options")}
    assert options["futuristic"]["disabled"]
    assert options["futuristic"]["label"] == "Future layer (not available yet)"
    assert prop(tree, "home-layers", "value") == ["areas"]


def test_url_state_is_applied(client, place):
    fp = place.footprint_names[3]
    tree = render(
        client,
        f"?indicator=lac_rate&footprint={fp}&layers=footprints"
        "&basemap=osm&lat=53.5&lon=-1.9&zoom=12",
    )
    fig = prop(tree, "home-map", "figure")
    index = prop(tree, "home-index", "data")
    assert fig["layout"]["map"]["center"] == {"lat": 53.5, "lon": -1.9}
    assert fig["layout"]["map"]["zoom"] == 12
    assert fig["layout"]["map"]["layers"][0]["below"] == "traces"
    assert fig["data"][index["areas"]]["visible"] is False
    assert all(fig["data"][i]["visible"] is True for i in index["layers"]["footprints"])
    assert fig["data"][index["highlight"]]["lon"]
    assert fp in texts(find_component(tree, "home-panel"))


def test_initial_payload_is_small(client):
    status, data = flask_post(client)("/_dash-update-component", router_body("/", ""))
    assert status == 200 and len(data) < 1_500_000


# --------------------------------------------------------------------------- callbacks


@pytest.fixture
def view(client):
    tree = render(client)
    return prop(tree, "home-index", "data"), prop(tree, "home-state", "data")


def test_indicator_change_patches_values_not_geometry(home, place, view):
    index, state = view
    fig, _panel, table, note, new_state = home.update_view(
        "school_readiness", None, state["layers"], "none", index, state, trigger="home-indicator"
    )
    ops = patch_ops(fig)
    # the values of the areas, and the name of the "No data (N areas)" legend entry
    assert {tuple(op["location"][:2]) for op in ops} == {
        ("data", index["areas"]),
        ("data", index["nodata"]),
    }
    assert {op["location"][2] for op in ops if op["location"][1] == index["nodata"]} == {
        "name",
        "showlegend",
    }
    assert "geojson" not in json.dumps(ops)
    z = next(op for op in ops if op["location"][-1] == "z")["params"]["value"]
    assert z == pytest.approx(place.areas["school_readiness"].tolist())
    assert new_state["indicator"] == "school_readiness"
    assert "Higher = better" in note
    grid = table[2].children
    assert grid.columnDefs[-1]["headerName"].startswith(place.catalogue["school_readiness"].label)
    assert grid.id["indicator"] == "school_readiness"  # a new grid (and its first block)


def test_layer_toggle_patches_visibility_only(home, view):
    index, state = view
    fig, panel, table, *_ = home.update_view(
        "imd_score", None, ["footprints"], "none", index, state, trigger="home-layers"
    )
    ops = patch_ops(fig)
    # The footprint click layer takes the hover only while the small areas are hidden.
    (hover,) = [op for op in ops if op["location"][-1] == "hoverinfo"]
    assert hover["location"][1] == index["fill"] and hover["params"]["value"] == "all"
    ops = [op for op in ops if op is not hover]
    assert all(op["location"][-1] == "visible" for op in ops)
    visible = {op["location"][1]: op["params"]["value"] for op in ops}
    assert visible[index["areas"]] is False
    assert all(visible[i] for i in index["layers"]["footprints"])
    assert panel is home.dash.no_update and table is home.dash.no_update


def test_footprint_change_highlights_and_panel_matches_profile(home, place, view):
    index, state = view
    fp = place.footprint_names[2]
    fig, panel, *_ = home.update_view(
        "imd_score", fp, state["layers"], "none", index, state, trigger="home-footprint"
    )
    ops = patch_ops(fig)
    assert {tuple(op["location"]) for op in ops} == {
        ("data", index["highlight"], "lon"),
        ("data", index["highlight"], "lat"),
        ("data", index["highlight"], "name"),
        ("data", index["highlight"], "showlegend"),
        ("layout", "map", "center"),
        ("layout", "map", "zoom"),
    }
    values = {tuple(op["location"]): op["params"]["value"] for op in ops}
    # The selected footprint gets a legend entry and the map zooms to it.
    assert fp in values[("data", index["highlight"], "name")]
    assert values[("data", index["highlight"], "showlegend")] is True
    bounds = place.footprints.set_index("footprint").to_crs(4326).loc[fp].geometry.bounds
    centre = values[("layout", "map", "center")]
    assert bounds[0] < centre["lon"] < bounds[2] and bounds[1] < centre["lat"] < bounds[3]
    assert values[("layout", "map", "zoom")] > 10
    row = profile_table(place).set_index("footprint").loc[fp]
    shown = texts(tree_of(panel))
    assert fp in shown
    assert format_value(row["population"], place.catalogue["population"]) in shown
    assert format_value(row["imd_score"], place.catalogue["imd_score"]) in shown
    assert format_value(row["children_0_17"], place.catalogue["children_0_17"]) in shown
    assert f"{int(row['sites_school']):,}" in shown
    link = next(c for c in panel if getattr(c, "id", None) == "home-profile-link")
    assert link.href.startswith("/profile/") and "place=demo" in link.href


def test_basemap_change_patches_layout_only(home, view):
    index, state = view
    fig, *_ = home.update_view(
        "imd_score", None, state["layers"], "carto", index, state, trigger="home-basemap"
    )
    (op,) = patch_ops(fig)
    assert op["location"] == ["layout", "map", "layers"]
    assert "cartocdn" in op["params"]["value"][0]["source"][0]


def test_callback_over_http_returns_a_patch(client, view):
    index, state = view
    body = update_body(
        CONTROL_OUTPUTS,
        [
            ("home-indicator", "value", "ae_rate"),
            ("home-footprint", "value", None),
            ("home-layers", "value", state["layers"]),
            ("home-basemap", "value", "none"),
        ],
        state=[("home-index", "data", index), ("home-state", "data", state)],
        changed=["home-indicator.value"],
    )
    status, data = flask_post(client)("/_dash-update-component", body)
    assert status == 200
    response = json.loads(data)["response"]
    assert response["home-map"]["figure"]["__dash_patch_update"]
    assert b"geojson" not in data


def test_click_selects_the_footprint(home, place, view):
    index, _ = view
    code = place.areas.index[10]
    click = {"points": [{"curveNumber": index["areas"], "location": code}]}
    assert home.footprint_from_click(click, index, place) == place.areas.at[code, "footprint"]
    fp = place.footprint_names[1]
    click = {"points": [{"curveNumber": index["fill"], "location": fp}]}
    assert home.footprint_from_click(click, index, place) == fp
    outline = int(next(k for k, v in index["outlines"].items() if v == fp))
    assert home.footprint_from_click({"points": [{"curveNumber": outline}]}, index, place) == fp
    (school_curve,) = index["layers"]["sites-school"]
    school = place.sites[place.sites["kind"] == "school"].iloc[0]
    click = {
        "points": [
            {
                "curveNumber": school_curve,
                "customdata": [str(school["site_id"]), school["footprint"]],
            }
        ]
    }
    assert home.footprint_from_click(click, index, place) == school["footprint"]
    overlay_click = {"points": [{"curveNumber": 999, "location": code}]}
    assert (
        home.footprint_from_click(overlay_click, index, place) == place.areas.at[code, "footprint"]
    )
    assert home.footprint_from_click({"points": [{"curveNumber": 0}]}, index, place) is None
    assert home.footprint_from_click(None, index, place) is None


def test_values_table_is_a_server_side_grid(home, place):
    _, status, region = home.values_table(place, "school_readiness")
    table = region.children
    assert table.rowModelType == "infinite" and not getattr(table, "rowData", None)
    assert table.id == {"type": "home-values-grid", "indicator": "school_readiness"}
    assert getattr(region, "aria-label").startswith("Table of mapped values: ")
    ind = place.catalogue["school_readiness"]
    headers = [d["headerName"] for d in table.columnDefs]
    assert headers[-1] == f"{ind.label} ({ind.unit})"
    assert f"{len(place.areas):,} small areas" in status.children


def _grid_request(client, request, indicator="imd_score"):
    """One ``getRowsRequest`` over HTTP, as the grid sends it (pattern-matching ids)."""
    grid = {"indicator": indicator, "type": "home-values-grid"}
    status_id = {"indicator": indicator, "type": "home-values-status"}
    key = json.dumps  # Dash keys wildcard callbacks by their JSON ids, keys sorted

    def wild(type_):
        return key({"indicator": ["MATCH"], "type": type_}, separators=(",", ":"))

    body = {
        "output": f"..{wild('home-values-grid')}.getRowsResponse...{wild('home-values-status')}.children..",
        "outputs": [
            {"id": grid, "property": "getRowsResponse"},
            {"id": status_id, "property": "children"},
        ],
        "inputs": [{"id": grid, "property": "getRowsRequest", "value": request}],
        "state": [
            {
                "id": "home-state",
                "property": "data",
                "value": {"place": "demo", "indicator": indicator},
            }
        ],
        "changedPropIds": [key(grid, separators=(",", ":")) + ".getRowsRequest"],
    }
    status, data = flask_post(client)("/_dash-update-component", body)
    assert status == 200, data[:500]
    out = json.loads(data)["response"]
    grid_key = key(grid, separators=(",", ":"))
    status_key = key(status_id, separators=(",", ":"))
    return out[grid_key]["getRowsResponse"], out[status_key]["children"]


def test_values_grid_blocks_sort_and_filter_over_http(client, place):
    fp = place.footprint_names[2]
    n = len(place.areas)
    seen = []
    for start in range(0, n, 100):
        response, status = _grid_request(client, {"startRow": start, "endRow": start + 100})
        assert response["rowCount"] == n and status == f"{n:,} small areas."
        seen += [r["code"] for r in response["rowData"]]
    assert sorted(seen) == sorted(place.areas.index.astype(str))  # every area, once
    first = _grid_request(client, {"startRow": 0, "endRow": 100})[0]["rowData"]
    finite = [r["value"] for r in first if r["value"] is not None]
    assert finite == sorted(finite, reverse=True)  # higher is worse: worst (highest) first
    response, _ = _grid_request(
        client, {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "name", "sort": "asc"}]}
    )
    assert [r["name"] for r in response["rowData"]] == sorted(place.areas["name"].astype(str))[:50]
    model = {
        "footprint": {"filterType": "text", "type": "contains", "filter": fp.lower()},
        "value": {"filterType": "number", "type": "greaterThan", "filter": 20},
    }
    response, status = _grid_request(client, {"startRow": 0, "endRow": 100, "filterModel": model})
    expected = place.areas[
        (place.areas["footprint"] == fp) & (place.areas["imd_score"].round(2) > 20)
    ]
    assert sorted(r["code"] for r in response["rowData"]) == sorted(expected.index.astype(str))
    assert response["rowCount"] == len(expected)
    assert f"{len(expected):,} of {len(place.areas):,}" in status


def test_sensitive_indicator_matches_disclosure_controlled_profile(home, place):
    from geo.indicators.disclosure import apply_disclosure

    table = apply_disclosure(profile_table(place), place.catalogue).table.set_index("footprint")
    for fp in place.footprint_names:
        panel = texts(tree_of(home.footprint_panel(place, fp, "looked_after_children")))
        value = table.at[fp, "looked_after_children"]
        expected = (
            "suppressed (fewer than 5)"
            if value == "*"
            else format_value(value, place.catalogue["looked_after_children"])
        )
        assert expected in panel
    frame = values_frame(place, "looked_after_children")
    hidden = frame["value"].isna()
    assert hidden.any() and int(hidden.sum()) == int(
        (place.areas["looked_after_children"] < 5).sum()
    )
    assert hidden.iloc[-int(hidden.sum()) :].all()  # suppressed rows sort last


def test_values_download_callback_csv_and_xlsx(home, place):
    import base64
    import csv
    import io
    import json

    import openpyxl

    state = {"place": "demo", "indicator": "imd_score"}
    request = {"filterModel": {"footprint": {"type": "contains", "filter": "dun"}}}
    data, meta, status = home.on_values_download(
        1, 0, [request], state, trigger="home-values-dl-csv"
    )
    raw = base64.b64decode(data["content"])
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    n = int((place.areas["footprint"] == "Dunmere").sum())
    assert len(rows) == n and status == f"CSV ready ({n} rows)."
    assert set(rows[0]) == {
        "Small area code",
        "Small area name",
        place.footprint_label,
        f"{place.catalogue['imd_score'].label} ({place.catalogue['imd_score'].unit})",
    }
    assert pd.read_csv(io.BytesIO(raw)).shape == (n, 4)
    doc = json.loads(base64.b64decode(meta["content"]))
    assert meta["filename"] == data["filename"] + "-metadata.json"
    assert "synthetic demo data" in json.dumps(doc).lower()
    data, meta, _ = home.on_values_download(0, 1, [None], state, trigger="home-values-dl-xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    assert book["Data"].max_row == len(place.areas) + 1
    assert meta is home.dash.no_update
