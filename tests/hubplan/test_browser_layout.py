"""Real-browser layout checks (dash_duo, headless Chromium): on a 1366×768 laptop and a
1920×1080 screen, no legend or colour bar sits over the mapped data (issue 14).

The data's extent is the place's bounding box projected with the map's own MapLibre instance
(``map.project``), clipped to the map canvas; every ``.legend`` and ``.colorbar`` box Plotly
drew for that figure must stay clear of it. Screenshots go to the ``artefacts`` folder.
"""

from __future__ import annotations

import pytest

from geo.build.places import open_place
from hubplan.web import create_app

SIZES = [(1366, 768), (1920, 1080)]

# For the map in ``arguments[0]`` (a dcc.Graph id): the canvas box, the place's bounding box
# projected by MapLibre (page pixels) and the boxes of every legend and colour bar.
BOXES = """
const [graphId, bounds] = arguments;
const gd = document.querySelector('#' + graphId + ' .js-plotly-plot');
const map = gd._fullLayout.map._subplot.map;
const canvas = map.getCanvas().getBoundingClientRect();
const c = map.getContainer().getBoundingClientRect();
const pts = [[bounds[0], bounds[1]], [bounds[0], bounds[3]], [bounds[2], bounds[1]],
             [bounds[2], bounds[3]]].map(p => map.project(p));
const xs = pts.map(p => p.x + c.left), ys = pts.map(p => p.y + c.top);
const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
const items = [...gd.querySelectorAll('g.legend, g.colorbar')]
  .map(e => ({kind: e.classList.contains('legend') ? 'legend' : 'colorbar',
              ...box(e.getBoundingClientRect())}))
  .filter(b => b.right > b.left && b.bottom > b.top);
return {
  canvas: box(canvas),
  data: {left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs),
         bottom: Math.max(...ys)},
  items: items,
};
"""

WAIT_MAP = """
const done = arguments[arguments.length - 1];
const id = arguments[0];
const t0 = Date.now();
const wait = () => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  if (sub && sub.map && sub.map.loaded()) { setTimeout(() => done(true), 400); }
  else if (Date.now() - t0 > 40000) { done(false); }
  else { setTimeout(wait, 100); }
};
wait();
"""


def _overlap(a: dict, b: dict) -> float:
    """Area (px²) of the intersection of two boxes."""
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(w, 0) * max(h, 0)


def _clip(a: dict, b: dict, *, inset: float = 1.0) -> dict:
    """``a`` clipped to ``b``, less ``inset`` px each side (sub-pixel edges are not overlap)."""
    return {
        "left": max(a["left"], b["left"]) + inset,
        "top": max(a["top"], b["top"]) + inset,
        "right": min(a["right"], b["right"]) - inset,
        "bottom": min(a["bottom"], b["bottom"]) - inset,
    }


CHART_BOXES = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
const box = e => { const r = e.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
const all = sel => [...gd.querySelectorAll(sel)].map(box).filter(b => b.right > b.left);
return {svg: box(gd.querySelector('.main-svg')), title: all('.gtitle'), legend: all('g.legend'),
        axes: all('.xtitle, .ytitle, .xtick text, .ytick text')};
"""


def check_chart(dash_duo, graph_id: str) -> None:
    """A chart's title clear of its legend, and titles and tick labels inside the figure."""
    dash_duo.wait_for_element(f"#{graph_id} .main-svg", timeout=60)
    boxes = dash_duo.driver.execute_script(CHART_BOXES, graph_id)
    assert boxes["title"] and boxes["legend"], boxes
    for title in boxes["title"]:
        for legend in boxes["legend"]:
            assert _overlap(title, legend) == 0, (graph_id, title, legend)
    svg = boxes["svg"]
    for item in boxes["title"] + boxes["legend"] + boxes["axes"]:
        assert svg["left"] - 1 <= item["left"] and item["right"] <= svg["right"] + 1, (
            graph_id,
            item,
        )
        assert svg["top"] - 1 <= item["top"] and item["bottom"] <= svg["bottom"] + 1, (
            graph_id,
            item,
        )


def check_map(dash_duo, graph_id: str, bounds, *, expect: set[str], whole: bool = False) -> dict:
    """Assert no legend or colour bar of ``graph_id`` covers the data (and with ``whole``, that
    the place is not clipped by the map's frame); return the boxes."""
    driver = dash_duo.driver
    dash_duo.wait_for_element(f"#{graph_id} canvas.maplibregl-canvas", timeout=60)
    driver.set_script_timeout(45)
    driver.execute_script(
        "document.getElementById(arguments[0]).scrollIntoView({block: 'start'});", graph_id
    )
    assert driver.execute_async_script(WAIT_MAP, graph_id), f"{graph_id}: map never loaded"
    boxes = driver.execute_script(BOXES, graph_id, list(bounds))
    visible = _clip(boxes["data"], boxes["canvas"])
    assert visible["right"] > visible["left"] and visible["bottom"] > visible["top"], boxes
    kinds = {b["kind"] for b in boxes["items"]}
    assert expect <= kinds, (graph_id, kinds)  # the test looks at what it means to
    for item in boxes["items"]:
        assert _overlap(item, visible) == 0, (graph_id, item, visible)
    if whole:  # the whole place is in view: nothing cut off at the map's edges
        data, canvas = boxes["data"], boxes["canvas"]
        assert canvas["left"] - 2 <= data["left"] and data["right"] <= canvas["right"] + 2, boxes
        assert canvas["top"] - 2 <= data["top"] and data["bottom"] <= canvas["bottom"] + 2, boxes
    return boxes


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_map_page_legend_and_colour_bar_clear_of_the_data(dash_duo, artefacts, width, height):
    place = open_place("demo")
    bounds = place.areas.to_crs(4326).total_bounds
    dash_duo.driver.set_window_size(width, height)
    dash_duo.start_server(create_app())
    kinds = ",".join(f"sites-{k}" for k in place.site_kinds)
    # areas (colour bar), footprints and sites (legend), isochrones and hot spots (more of both)
    layers = f"areas,footprints,{kinds},isochrones,hotspots"
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?place=demo&layers={layers}", timeout=40)
    boxes = check_map(dash_duo, "home-map", bounds, expect={"legend", "colorbar"})
    assert sum(b["kind"] == "colorbar" for b in boxes["items"]) == 2  # areas and hot spots
    # the town names (synthetic [labels] of the demo) are written on the map, offline
    towns = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#home-map .hubplan-place-label')]"
        ".map(e => e.textContent)"
    )
    expected = set(place.tables["place_labels"]["name"]) - set(place.footprint_names)
    assert expected and set(towns) == expected, towns  # names of footprints are written once
    dash_duo.driver.save_screenshot(str(artefacts / f"layout_map_{width}x{height}.png"))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_other_maps_legend_and_colour_bar_clear_of_the_data(dash_duo, artefacts, width, height):
    place = open_place("demo")
    bounds = place.areas.to_crs(4326).total_bounds
    dash_duo.driver.set_window_size(width, height)
    dash_duo.start_server(create_app())
    pages = [
        ("access", "/access?place=demo", "access-map", {"legend"}),
        ("planner", "/planner?place=demo", "planner-map", set()),
        ("clusters", "/clusters?place=demo&k=6", "cl-map-current", set()),
    ]
    for name, path, graph_id, expect in pages:
        dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}", timeout=40)
        check_map(dash_duo, graph_id, bounds, expect=expect, whole=name == "clusters")
        if name == "clusters":
            check_map(dash_duo, "cl-map-designed", bounds, expect=set(), whole=True)
            dash_duo.driver.save_screenshot(str(artefacts / f"layout_clmaps_{width}x{height}.png"))
            for chart in ("cl-balance-fig", "cl-compact-fig"):
                check_chart(dash_duo, chart)
            dash_duo.driver.execute_script(
                "document.getElementById('cl-balance-fig').scrollIntoView({block: 'start'});"
            )
            dash_duo.driver.save_screenshot(
                str(artefacts / f"layout_clcharts_{width}x{height}.png")
            )
            dash_duo.wait_for_contains_text("#cl-hs-text", "Getis-Ord Gi*", timeout=60)
            check_map(dash_duo, "cl-hs-map", bounds, expect={"colorbar"})
        dash_duo.driver.save_screenshot(str(artefacts / f"layout_{name}_{width}x{height}.png"))


@pytest.fixture(scope="module")
def wigan_places(tmp_path_factory, wigan_dir):
    """A places folder holding the real Wigan bundle (built from ../shared at run time)."""
    from tests.support.bundles import wigan_bundle

    folder = tmp_path_factory.mktemp("wigan-places")
    wigan_bundle(wigan_dir, folder)
    return folder


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_wigan_map_legend_and_colour_bar_clear_of_the_data(
    dash_duo, artefacts, wigan_places, monkeypatch, width, height
):
    from geo.place.bundle import read_place

    monkeypatch.setenv("HUBPLAN_PLACES", str(wigan_places))
    place = read_place(wigan_places / "wigan.gpkg")
    bounds = place.areas.to_crs(4326).total_bounds
    dash_duo.driver.set_window_size(width, height)
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/?place=wigan&layers=areas,footprints,sites-school,isochrones",
        timeout=60,
    )
    check_map(dash_duo, "home-map", bounds, expect={"legend", "colorbar"})
    dash_duo.driver.save_screenshot(str(artefacts / f"layout_wigan_{width}x{height}.png"))
