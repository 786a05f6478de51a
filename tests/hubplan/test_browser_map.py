"""Real-browser tests of the map page (dash_duo, headless Chromium).

Each test saves a screenshot into the ``artefacts`` folder. The map canvas is checked by
reading its pixels inside MapLibre's render callback (a WebGL canvas reads blank outside it).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from shapely.ops import polylabel

from geo.build.places import open_place
from geo.indicators.profile import profile_table
from hubplan.web import create_app
from layers.base import format_value, place_view
from tests.support.grid import grid_column

MAP_CANVAS = "canvas.maplibregl-canvas"

# Reads the map canvas inside a render callback: counts non-white pixels and hashes colours.
READ_PIXELS = """
const done = arguments[arguments.length - 1];
const gd = document.querySelector('#home-map .js-plotly-plot');
const map = gd._fullLayout.map._subplot.map;
map.once('render', () => {
  const gl = map.getCanvas().getContext('webgl2') || map.getCanvas().getContext('webgl');
  const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
  const px = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
  let coloured = 0, hash = 0, warm = 0;
  for (let i = 0; i < px.length; i += 4 * 7) {
    const r = px[i], g = px[i + 1], b = px[i + 2];
    if (r < 245 || g < 245 || b < 245) { coloured++; }
    if (r > g + 40 && r > b + 40) { warm++; }
    hash = (hash * 31 + r * 7 + g * 3 + b) % 1000000007;
  }
  done({coloured: coloured, warm: warm, hash: hash, samples: px.length / 28});
});
map.triggerRepaint();
"""


def read_map_pixels(dash_duo) -> dict:
    dash_duo.driver.set_script_timeout(20)
    return dash_duo.driver.execute_async_script(READ_PIXELS)


def wait_map(dash_duo) -> None:
    dash_duo.wait_for_element(MAP_CANVAS, timeout=40)
    # Wait until MapLibre has loaded the style and drawn the data.
    dash_duo.driver.set_script_timeout(30)
    dash_duo.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const wait = () => {
          const gd = document.querySelector('#home-map .js-plotly-plot');
          const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
          if (sub && sub.map && sub.map.loaded()) { done(true); } else { setTimeout(wait, 100); }
        };
        wait();
    """)


def choose(dash_duo, dropdown_id: str, option_text: str) -> None:
    """Pick an option in a Dash 4 dropdown by its visible text (as a user would)."""
    trigger = dash_duo.find_element(f"#{dropdown_id}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", trigger)
    dash_duo.driver.execute_script("arguments[0].click();", trigger)
    dash_duo.wait_for_element(".dash-dropdown-option", timeout=10)
    options = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
    for opt in options:
        if opt.text.strip() == option_text:
            dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", opt)
            opt.click()
            return
    raise AssertionError(f"no option {option_text!r} in {[o.text for o in options]}")


def click_at(dash_duo, element, x: float, y: float) -> None:
    """Click at (x, y) CSS pixels from ``element``'s top-left corner (as a mouse would)."""
    import selenium

    if tuple(int(p) for p in selenium.__version__.split(".")[:2]) >= (4, 3):
        x, y = x - element.size["width"] / 2, y - element.size["height"] / 2  # offsets from centre
    ActionChains(dash_duo.driver).move_to_element_with_offset(element, int(x), int(y)).pause(
        0.3
    ).move_by_offset(1, 0).pause(0.5).click().perform()


def panel_figures(dash_duo) -> dict[str, str]:
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#home-panel-table tbody tr")
    out = {}
    for row in rows:
        th = row.find_element(By.TAG_NAME, "th").text.strip()
        tds = row.find_elements(By.TAG_NAME, "td")
        out[th] = tds[0].text.strip()
    return out


def check_panel(dash_duo, place, footprint: str, indicator: str) -> None:
    dash_duo.wait_for_text_to_equal("#home-panel-title", footprint, timeout=15)
    shown = panel_figures(dash_duo)
    row = profile_table(place).set_index("footprint").loc[footprint]
    assert shown["Small areas"] == f"{int(row['areas']):,}"
    assert shown["Population"] == format_value(row["population"], place.catalogue["population"])
    ind = place.catalogue[indicator]
    label = next(k for k in shown if k.startswith(ind.label + " ("))
    assert shown[label] == format_value(row[indicator], ind)
    from layers.sites import kind_label

    for kind in place.site_kinds:
        assert shown[f"{kind_label(kind)} sites"] == f"{int(row[f'sites_{kind}']):,}"


def wait_until(condition, timeout: float = 15.0) -> None:
    end = time.time() + timeout
    while not condition():
        if time.time() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def focused_option(dash_duo) -> str | None:
    """Value of the dropdown option that has keyboard focus, or None when focus is elsewhere."""
    return dash_duo.driver.execute_script(
        "const a = document.activeElement;"
        'return a && a.closest(".dash-dropdown-option") ? a.value : null;'
    )


def query(dash_duo) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


# --------------------------------------------------------------------------- demo


def test_demo_map_renders_indicator_recolours_and_footprint_panel(dash_duo, artefacts):
    place = open_place("demo")
    dash_duo.start_server(create_app())
    wait_map(dash_duo)
    assert dash_duo.find_element(".synthetic-banner").text.startswith("Synthetic demo data")
    assert "synthetic demo data" in dash_duo.find_element(".attribution-footer").text.lower()

    before = read_map_pixels(dash_duo)
    assert before["coloured"] > before["samples"] * 0.2, before  # the polygons are drawn
    assert before["warm"] > 0, before  # OrRd need colours
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_initial.png"))

    # A count indicator uses the blue scale: the warm colours go.
    choose(dash_duo, "home-indicator", place.catalogue["children_0_4"].label)
    dash_duo.wait_for_contains_text("#home-indicator-note", "Darker = more", timeout=15)
    time.sleep(0.5)
    after = read_map_pixels(dash_duo)
    assert after["hash"] != before["hash"]
    assert after["warm"] < before["warm"] * 0.2, (before, after)
    assert query(dash_duo)["indicator"] == "children_0_4"
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_children.png"))

    view_js = (
        "const m = document.querySelector('#home-map .js-plotly-plot')._fullLayout.map;"
        "return [m.center.lon, m.center.lat, m.zoom];"
    )
    lon0, lat0, zoom0 = dash_duo.driver.execute_script(view_js)
    footprint = place.footprint_names[2]
    choose(dash_duo, "home-footprint", footprint)
    check_panel(dash_duo, place, footprint, "children_0_4")
    # Selecting a footprint zooms the map to it and gives it a legend entry.
    west, south, east, north = (
        place.footprints.set_index("footprint").geometry.to_crs(4326).loc[footprint].bounds
    )
    wait_until(lambda: dash_duo.driver.execute_script(view_js)[2] > zoom0 + 0.3)
    lon, lat, _ = dash_duo.driver.execute_script(view_js)
    assert west < lon < east and south < lat < north
    legend = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#home-map .legendtext')].map(e => e.textContent)"
    )
    assert f"Selected: {footprint}" in legend
    link = dash_duo.find_element("#home-profile-link").get_attribute("href")
    assert "/profile/" in link and "place=demo" in link
    assert query(dash_duo)["footprint"] == footprint
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_footprint.png"))

    # Hide the sites (a layer toggle), then clicking the map selects the footprint under the
    # pointer: the map's centre point.
    for kind in place.site_kinds:
        box = dash_duo.find_element(f"#home-layers input[value='sites-{kind}']")
        box.click()
    dash_duo.wait_for_element("#home-layers", timeout=5)
    time.sleep(1)
    hidden = dash_duo.driver.execute_script(
        "return document.querySelector('#home-map .js-plotly-plot').data"
        ".filter(t => (t.uid || '').startsWith('sites-')).map(t => t.visible)"
    )
    assert hidden == [False] * len(place.site_kinds)
    assert "sites-school" not in query(dash_duo)["layers"]
    # Back to the whole place, then click deep inside another footprint (its pole of
    # inaccessibility, far from any outline).
    dash_duo.driver.execute_script(
        "const gd = document.querySelector('#home-map .js-plotly-plot');"
        "Plotly.relayout(gd, {'map.center': {lon: arguments[0], lat: arguments[1]},"
        " 'map.zoom': arguments[2]});",
        lon0,
        lat0,
        zoom0,
    )
    time.sleep(1)
    target = place.footprint_names[5]
    assert target != footprint
    poly = place.footprints.set_index("footprint").geometry.to_crs(4326).loc[target]
    inner = polylabel(
        poly if poly.geom_type == "Polygon" else max(poly.geoms, key=lambda g: g.area)
    )
    x, y = dash_duo.driver.execute_script(
        "const m = document.querySelector('#home-map .js-plotly-plot')._fullLayout.map._subplot.map;"
        "const p = m.project([arguments[0], arguments[1]]); return [p.x, p.y];",
        inner.x,
        inner.y,
    )
    canvas = dash_duo.find_element(MAP_CANVAS)
    click_at(dash_duo, canvas, x, y)
    under = target
    check_panel(dash_duo, place, under, "children_0_4")
    assert query(dash_duo)["footprint"] == under
    assert dash_duo.get_logs() == []


def test_demo_url_restores_view_and_bad_values_fall_back(dash_duo, artefacts):
    place = open_place("demo")
    footprint = place.footprint_names[4]
    centre, _ = place_view(place)
    lat, lon = round(centre["lat"] + 0.01, 4), round(centre["lon"] - 0.02, 4)
    dash_duo.start_server(create_app())
    url = (
        f"{dash_duo.server_url}/?place=demo&indicator=school_readiness&footprint={footprint}"
        f"&layers=areas,footprints,sites-family_hub&lat={lat}&lon={lon}&zoom=11.5"
    )
    dash_duo.driver.get(url)
    wait_map(dash_duo)
    check_panel(dash_duo, place, footprint, "school_readiness")
    assert "School readiness" in dash_duo.find_element("#home-indicator").text
    checked = [
        el.get_attribute("value")
        for el in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#home-layers input:checked")
    ]
    assert checked == ["areas", "footprints", "sites-family_hub"]
    view = dash_duo.driver.execute_script(
        "const m = document.querySelector('#home-map .js-plotly-plot')._fullLayout.map;"
        "return [m.center.lat, m.center.lon, m.zoom];"
    )
    assert view == pytest.approx([lat, lon, 11.5], abs=1e-3)
    pixels = read_map_pixels(dash_duo)
    assert pixels["coloured"] > pixels["samples"] * 0.2
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_url_state.png"))

    # Keyboard only: Enter opens the indicator list, arrows move, Enter picks. Then Back goes
    # to the previous view.
    # Each key waits for the state the previous one produced (focus on the open list, then on
    # the next option), so a slow machine cannot send a key to the wrong element.
    dash_duo.driver.execute_script("document.getElementById('home-indicator').focus()")
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_until(lambda: focused_option(dash_duo) == "school_readiness")
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    wait_until(lambda: focused_option(dash_duo) not in (None, "school_readiness"))
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_until(lambda: query(dash_duo).get("indicator") != "school_readiness")
    picked = query(dash_duo)["indicator"]
    assert picked in place.catalogue
    dash_duo.wait_for_contains_text("#home-indicator", place.catalogue[picked].label, timeout=15)
    dash_duo.driver.back()
    wait_map(dash_duo)
    dash_duo.wait_for_contains_text("#home-indicator", "School readiness", timeout=20)
    assert query(dash_duo)["indicator"] == "school_readiness"
    check_panel(dash_duo, place, footprint, "school_readiness")

    # Unknown values: friendly notices, defaults, a working map.
    dash_duo.driver.get(f"{dash_duo.server_url}/?place=nowhere&indicator=bogus&layers=areas,zzz")
    wait_map(dash_duo)
    notice = dash_duo.find_element("#home-notice").text
    assert "Unknown place 'nowhere'" in notice
    pixels = read_map_pixels(dash_duo)
    assert pixels["coloured"] > pixels["samples"] * 0.2
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_bad_url.png"))


# --------------------------------------------------------------------------- Wigan


@pytest.fixture(scope="module")
def wigan_bundle(wigan_dir, tmp_path_factory) -> Path:
    from geo.build.pipeline import build_bundle
    from tests.support.wigan import write_wigan_config

    folder = tmp_path_factory.mktemp("wigan-map")
    out = folder / "wigan.gpkg"
    build_bundle(write_wigan_config(wigan_dir, folder), out)
    return out


@pytest.mark.shared_data
def test_wigan_map_and_footprint_panel(dash_duo, artefacts, wigan_bundle):
    place = open_place(wigan_bundle)
    dash_duo.start_server(create_app(place=str(wigan_bundle)))
    wait_map(dash_duo)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".synthetic-banner")
    footer = dash_duo.find_element(".attribution-footer").text
    assert "Office for National Statistics" in footer and "MHCLG" in footer
    pixels = read_map_pixels(dash_duo)
    assert pixels["coloured"] > pixels["samples"] * 0.2, pixels

    footprint = place.footprint_names[0]
    choose(dash_duo, "home-footprint", footprint)
    check_panel(dash_duo, place, footprint, dash_duo_state(dash_duo)["indicator"])
    dash_duo.driver.save_screenshot(str(artefacts / "map_wigan_footprint.png"))

    # The place switcher lists the demo too; choosing it shows the demo on the same page.
    choose(dash_duo, "place-switcher", "Demo borough (synthetic)")
    dash_duo.wait_for_contains_text(".synthetic-banner", "Synthetic demo data", timeout=60)
    wait_until(lambda: query(dash_duo).get("place") == "demo", timeout=30)
    dash_duo.wait_for_contains_text(".page-title", "Demoborough", timeout=30)
    wait_map(dash_duo)


def dash_duo_state(dash_duo) -> dict[str, str]:
    return query(dash_duo)


def test_demo_values_table_sorts_and_filters_on_the_server(dash_duo, artefacts):
    place = open_place("demo")
    dash_duo.start_server(create_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/?place=demo&indicator=imd_score")
    wait_map(dash_duo)
    dash_duo.find_element(".values-details summary").click()
    grid = ".values-details .hub-grid"
    dash_duo.wait_for_element(f"{grid} [role='gridcell'][col-id='code']", timeout=15)
    status = ".values-details .values-status"

    def column(col_id):
        return grid_column(dash_duo, grid, col_id)

    values = [float(v.replace(",", "")) for v in column("value") if v]
    assert values and values == sorted(values, reverse=True)  # worst (highest) first
    assert values[0] == pytest.approx(place.areas["imd_score"].max(), abs=0.01)
    # sort by name on the server: the heading, then Enter
    header = dash_duo.find_element(f"{grid} .ag-header-cell[col-id='name']")
    header.send_keys(Keys.ENTER)
    names = sorted(place.areas["name"].astype(str))
    wait_until(lambda: column("name")[:5] == names[:5])

    fp = place.footprint_names[3]
    box = dash_duo.find_element(f"{grid} .ag-floating-filter[aria-colindex='3'] input")
    box.send_keys(fp.lower())
    count = int((place.areas["footprint"] == fp).sum())
    dash_duo.wait_for_contains_text(
        status, f"{count:,} of {len(place.areas):,} small areas match", timeout=15
    )
    wait_until(lambda: set(column("footprint")) == {fp})
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_values_table.png"))


def test_footprint_names_are_on_the_map_offline(dash_duo, artefacts):
    place = open_place("demo")
    dash_duo.start_server(create_app())
    wait_map(dash_duo)

    def labels():
        # Read in one go: the labels are redrawn on every render of the map.
        return dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('#home-map .hubplan-map-label')]"
            ".map(e => e.textContent)"
        )

    wait_until(lambda: sorted(labels()) == place.footprint_names)
    # Each name sits inside its footprint: the map says which footprint is under it.
    js = (
        "const m = document.querySelector('#home-map .js-plotly-plot')._fullLayout.map._subplot.map;"
        "const box = m.getContainer().getBoundingClientRect();"
        "return [...document.querySelectorAll('#home-map .hubplan-map-label')].map(e => {"
        " const r = e.getBoundingClientRect();"
        " const ll = m.unproject([r.left + r.width / 2 - box.left, r.top + r.height / 2 - box.top]);"
        " return [e.textContent, ll.lng, ll.lat]; });"
    )
    from shapely.geometry import Point

    polys = place.footprints.set_index("footprint").geometry.to_crs(4326)
    for name, lon, lat in dash_duo.driver.execute_script(js):
        assert polys.loc[name].contains(Point(lon, lat)), name
    dash_duo.driver.save_screenshot(str(artefacts / "map_demo_labels.png"))
    # The names follow the footprints layer toggle.
    dash_duo.find_element("#home-layers input[value='footprints']").click()
    wait_until(lambda: labels() == [])
    dash_duo.find_element("#home-layers input[value='footprints']").click()
    wait_until(lambda: len(labels()) == len(place.footprint_names))
    assert dash_duo.get_logs() == []
