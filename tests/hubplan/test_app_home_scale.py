"""Zoom-dependent display on the map page (pages/home.py + layers/zoom.py) for a place with
more small areas than the detail limit: footprints when zoomed out, areas in view when in."""

from __future__ import annotations

import json
import re

import dash
import numpy as np
import pytest
from dash import Patch

from benchmarks.synthetic import write_synthetic_sources
from geo.build.pipeline import build_bundle
from geo.indicators.profile import profile_table
from geo.place.bundle import read_place
from hubplan.pages._state import set_default_place
from hubplan.web import create_app
from tests.support.dash_http import find_component, flask_post, router_body

N_AREAS = 2500
LIMIT = 1000


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scale-home")
    write_synthetic_sources(folder, n_areas=N_AREAS, seed=3)
    build_bundle(folder / "place.toml", folder / "place.gpkg")
    return folder / "place.gpkg"


@pytest.fixture(scope="module")
def env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUBPLAN_DETAIL_LIMIT", str(LIMIT))
        yield mp


@pytest.fixture(scope="module")
def app(env, bundle):
    app = create_app(place=str(bundle))
    yield app
    set_default_place("demo")


@pytest.fixture(scope="module")
def home(app):
    import importlib

    return importlib.import_module("hubplan.pages.home")


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def place(bundle):
    return read_place(bundle)


def render(client, search: str = "") -> tuple[dict, int]:
    status, data = flask_post(client)("/_dash-update-component", router_body("/", search))
    assert status == 200
    return json.loads(data)["response"]["_pages_content"]["children"], len(data)


def prop(tree, component_id, name):
    return find_component(tree, component_id)["props"][name]


def ops_of(patch) -> dict[tuple, object]:
    assert isinstance(patch, Patch)
    return {
        tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]
    }


@pytest.fixture(scope="module")
def first(client):
    tree, size = render(client)
    return tree, size


def test_first_render_draws_footprints_only(home, place, first):
    tree, _ = first
    fig = prop(tree, "home-map", "figure")
    index = prop(tree, "home-index", "data")
    assert index["detail"] == {"mode": "footprints"}
    trace = fig["data"][index["areas"]]
    names = set(place.footprint_names)
    assert len(trace["geojson"]["features"]) == len(names) < N_AREAS / 5
    assert set(trace["locations"]) == names
    assert not set(trace["locations"]) & set(place.areas.index)
    title = trace["colorbar"]["title"]["text"]  # wrapped to stay narrow beside the map
    assert "zoom in to see small areas" in " ".join(re.sub(r"<[^>]+>", " ", title).split())
    # No other trace carries the small areas either (overlays drawing them are left out).
    assert max(len((t.get("geojson") or {}).get("features", [])) for t in fig["data"]) == len(names)
    assert not any(set(t.get("locations") or []) & set(place.areas.index) for t in fig["data"])
    opts = {o["value"]: o for o in prop(tree, "home-layers", "options")}
    assert (
        not opts["hotspots"]["disabled"] and "drawn when switched on" in opts["hotspots"]["label"]
    )


def test_first_render_much_smaller_than_full_figure(home, place, first):
    from layers.areas import area_choropleth

    full = area_choropleth(place, next(iter(place.catalogue))).to_plotly_json()
    full_size = len(json.dumps(full, default=lambda o: o.tolist()))
    tree, _ = first
    fig = prop(tree, "home-map", "figure")
    trace = fig["data"][prop(tree, "home-index", "data")["areas"]]
    assert len(json.dumps(trace)) * 10 < full_size
    # The whole figure (sites, outlines, overlays included) is smaller than the areas alone.
    assert len(json.dumps(fig)) * 2 < full_size


def test_values_table_sends_no_rows_with_the_page(place, first):
    tree, size = first
    grid_id = {"type": "home-values-grid", "indicator": place.default_indicator}
    table = find_component(tree, grid_id)["props"]
    # The grid asks for blocks of rows as it scrolls (infinite row model): none come with it.
    assert table["rowModelType"] == "infinite" and not table.get("rowData")
    # The whole page (figure included) is smaller than a table of every area would be.
    every_row = len(
        json.dumps(
            [{"code": c, "name": c, "footprint": "x", "value": 1.0} for c in place.areas.index]
        )
    )
    assert size < every_row + len(json.dumps(prop(tree, "home-map", "figure")))


def test_footprint_values_equal_profile_table(home, place, first):
    tree, _ = first
    fig = prop(tree, "home-map", "figure")
    index = prop(tree, "home-index", "data")
    state = prop(tree, "home-state", "data")
    table = profile_table(place).set_index("footprint")
    trace = fig["data"][index["areas"]]
    expected = table.loc[trace["locations"], state["indicator"]].to_numpy(float)
    assert trace["z"] == pytest.approx(expected)
    # Another indicator: a Patch of values only, still per footprint.
    key = next(k for k, ind in place.catalogue.items() if ind.kind == "mean" and ind.weight)
    patch, *_rest, new_state = home.update_view(
        key, None, state["layers"], "none", index, state, trigger="home-indicator"
    )
    ops = ops_of(patch)
    assert "geojson" not in json.dumps([list(k) for k in ops])
    z = ops[("data", index["areas"], "z")]
    assert z == pytest.approx(table.loc[trace["locations"], key].to_numpy(float))
    assert new_state["indicator"] == key


def zoomed_view(place, zoom=12.5):
    """A view (as the browser reports it) around the centre of the place's first area."""
    from layers.geometry import display_geometries

    c = display_geometries(place, "areas").iloc[0].centroid
    w, h = 0.06, 0.04
    return {
        "zoom": zoom,
        "center": {"lon": c.x, "lat": c.y},
        "coordinates": [
            [c.x - w, c.y + h],
            [c.x + w, c.y + h],
            [c.x + w, c.y - h],
            [c.x - w, c.y - h],
        ],
    }, (c.x - w, c.y - h, c.x + w, c.y + h)


def test_zoom_in_patches_areas_in_view_then_zoom_out_returns(home, place, first):
    tree, _ = first
    index = prop(tree, "home-index", "data")
    state = prop(tree, "home-state", "data")
    view, (w, s, e, n) = zoomed_view(place)
    patch, new_index = home.update_detail(view, index, state)
    ops = ops_of(patch)
    i = index["areas"]
    assert {k[:2] for k in ops} == {("data", i)}
    gj = ops[("data", i, "geojson")]
    codes = ops[("data", i, "locations")]
    assert 0 < len(codes) < N_AREAS and [f["id"] for f in gj["features"]] == codes
    assert set(codes) <= set(place.areas.index)
    # Every area sent meets the view; every area meeting the view is sent (below the cap).
    from layers.geometry import display_geometries

    b = display_geometries(place, "areas").bounds
    inside = b[(b.maxx >= w) & (b.minx <= e) & (b.maxy >= s) & (b.miny <= n)].index
    assert set(codes) == set(inside)
    z = ops[("data", i, "z")]
    assert z == pytest.approx(place.areas.loc[codes, state["indicator"]].to_numpy(float))
    assert new_index["detail"]["mode"] == "areas"

    # Indicator change while zoomed in: values of the same areas.
    key = next(k for k in place.catalogue if k != state["indicator"])
    patch2, *_ = home.update_view(
        key, None, state["layers"], "none", new_index, state, trigger="home-indicator"
    )
    z2 = ops_of(patch2)[("data", i, "z")]
    vals = place.areas.loc[codes, key].to_numpy(float)
    ok = np.isfinite(vals)
    assert np.asarray(z2)[ok] == pytest.approx(vals[ok]) and len(z2) == len(codes)

    # Zoom out: back to footprints.
    patch3, out_index = home.update_detail({"zoom": 8.0}, new_index, state)
    ops3 = ops_of(patch3)
    assert set(ops3[("data", i, "locations")]) == set(place.footprint_names)
    assert out_index["detail"] == {"mode": "footprints"}
    # Zooming out further while already at footprints sends nothing.
    nothing, _ = home.update_detail({"zoom": 7.0}, out_index, state)
    assert nothing is home.dash.no_update


def test_zoom_in_is_capped(home, place, first, monkeypatch):
    import layers.zoom as zoom

    tree, _ = first
    index = prop(tree, "home-index", "data")
    state = prop(tree, "home-state", "data")
    monkeypatch.setattr(zoom, "MAX_FEATURES", 25)
    view, _ = zoomed_view(place, zoom=11.5)
    view["coordinates"] = [[-10, 40], [10, 40], [10, 70], [-10, 70]]  # everything in view
    patch, _ = home.update_detail(view, index, state)
    codes = ops_of(patch)[("data", index["areas"], "locations")]
    assert 0 < len(codes) <= 25


def test_url_zoomed_in_renders_areas_in_view(home, place, client):
    view, _ = zoomed_view(place, zoom=13)
    c = view["center"]
    tree, _ = render(client, f"?lat={c['lat']:.5f}&lon={c['lon']:.5f}&zoom=13")
    index = prop(tree, "home-index", "data")
    assert index["detail"]["mode"] == "areas"
    trace = prop(tree, "home-map", "figure")["data"][index["areas"]]
    assert 0 < len(trace["locations"]) < N_AREAS
    assert set(trace["locations"]) <= set(place.areas.index)


def test_click_on_footprint_level_selects_it(home, place, first):
    tree, _ = first
    index = prop(tree, "home-index", "data")
    fp = place.footprint_names[1]
    click = {"points": [{"curveNumber": index["areas"], "location": fp}]}
    assert home.footprint_from_click(click, index, place) == fp


def test_small_places_unaffected(home):
    from geo.build.places import open_place
    from layers.zoom import is_large

    assert not is_large(open_place("demo"))


# --------------------------------------------------------------------------- in a real browser

TRACE_JS = """
const gd = document.querySelector('#home-map .js-plotly-plot');
const t = gd && gd.data && gd.data.find(d => d.uid === 'areas');
return t ? Array.from(t.locations) : null;
"""


def test_browser_zoom_swaps_layers(dash_duo, env, bundle, place, artefacts):
    from tests.hubplan.test_browser_map import wait_map, wait_until

    dash_duo.start_server(create_app(place=str(bundle)))
    wait_map(dash_duo)
    driver = dash_duo.driver
    assert set(driver.execute_script(TRACE_JS)) == set(place.footprint_names)
    view, _ = zoomed_view(place, zoom=12.5)
    c = view["center"]
    driver.execute_script(
        "const gd = document.querySelector('#home-map .js-plotly-plot');"
        "Plotly.relayout(gd, {'map.center': {lon: arguments[0], lat: arguments[1]},"
        " 'map.zoom': 12.5});",
        c["lon"],
        c["lat"],
    )
    areas = set(place.areas.index)
    wait_until(lambda: set(driver.execute_script(TRACE_JS) or []) <= areas, timeout=30)
    shown = driver.execute_script(TRACE_JS)
    assert 0 < len(shown) < N_AREAS
    wait_map(dash_duo)
    driver.save_screenshot(str(artefacts / "map_scale_zoomed_in.png"))
    driver.execute_script(
        "const gd = document.querySelector('#home-map .js-plotly-plot');"
        "Plotly.relayout(gd, {'map.zoom': 6});"
    )
    wait_until(
        lambda: set(driver.execute_script(TRACE_JS) or []) == set(place.footprint_names), timeout=30
    )
    wait_map(dash_duo)
    driver.save_screenshot(str(artefacts / "map_scale_zoomed_out.png"))

    # An overlay is drawn when first switched on, then hidden and shown like any layer.
    count = "return document.querySelector('#home-map .js-plotly-plot').data.length;"
    before = driver.execute_script(count)
    box = driver.find_element("css selector", "#home-layers input[value='hotspots']")
    box.click()
    dash_duo.wait_for_contains_text("#home-overlay-status", "Drawn: Need hotspots", timeout=60)
    wait_until(lambda: driver.execute_script(count) > before, timeout=30)
    hot = driver.execute_script(
        "return document.querySelector('#home-map .js-plotly-plot').data.slice(arguments[0])"
        ".map(t => t.visible === undefined ? true : t.visible);",
        before,
    )
    assert hot and all(v is True for v in hot)
    wait_map(dash_duo)
    driver.save_screenshot(str(artefacts / "map_scale_hotspots.png"))
    box.click()
    wait_until(
        lambda: driver.execute_script(
            "return document.querySelector('#home-map .js-plotly-plot').data.slice(arguments[0])"
            ".every(t => t.visible === false);",
            before,
        ),
        timeout=30,
    )
    assert driver.execute_script(count) == before + len(hot)  # hidden, not drawn again


def test_overlays_are_drawn_when_first_switched_on_then_toggled(home, place, first):
    tree, _ = first
    index = prop(tree, "home-index", "data")
    state = prop(tree, "home-state", "data")
    base = len(prop(tree, "home-map", "figure")["data"])
    assert index["traces"] == base
    # nothing asked for: nothing to do
    assert home.update_overlays(["areas"], index, {}, state) == (dash.no_update,) * 3
    patch, built, status = home.update_overlays(["areas", "hotspots"], index, {}, state)
    ops = patch.to_plotly_json()["operations"]
    appended = [op for op in ops if op["operation"] == "Append"]
    assert appended and all(op["location"] == ["data"] for op in appended)
    assert built == {"hotspots": list(range(base, base + len(appended)))}
    assert status == "Drawn: Need hotspots."
    # the appended trace is the hot-spot layer the small-place map draws, on every hot/cold area
    trace = appended[0]["params"]["value"]
    assert trace["type"] == "choroplethmap" and set(trace["locations"]) <= set(place.areas.index)
    # only the hot and cold areas' geometry is sent, not every small area's
    assert [f["id"] for f in trace["geojson"]["features"]] == list(trace["locations"])
    assert len(trace["locations"]) < len(place.areas)
    # switched off: hidden, not rebuilt
    patch, again, status = home.update_overlays(["areas"], index, built, state)
    assert again == built and status is dash.no_update
    assert ops_of(patch) == {("data", i, "visible"): False for i in built["hotspots"]}
    # a second overlay goes after the first
    patch, more, _ = home.update_overlays(["areas", "hotspots", "isochrones"], index, built, state)
    after = base + len(built["hotspots"])
    assert more["hotspots"] == built["hotspots"]
    assert more["isochrones"] == list(range(after, after + len(more["isochrones"])))


def test_small_places_never_use_on_demand_overlays(home):
    from geo.build.places import open_place

    demo = open_place("demo")
    _, index = home._base_figure(demo)
    assert "traces" not in index
    state = {"place": "demo"}
    assert home.update_overlays(["hotspots"], index, {}, state) == (dash.no_update,) * 3
