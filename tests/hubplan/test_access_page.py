"""The Access page in a real browser (dash_duo, headless Chromium): bands, coverage, click to drop a hub."""

from __future__ import annotations

import time

from geo.build.places import demo_bundle_path, open_place
from hubplan.web import create_app
from tests.support.grid import grid_column, grid_rows


def _wait(fn, timeout: float = 90.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception:
            pass
        time.sleep(0.4)
    raise AssertionError(f"condition never met (last value {last!r})")


def test_access_page_shows_bands_coverage_and_drops_a_hub(dash_duo, artefacts):
    path = demo_bundle_path()
    place = open_place(path)
    assert "network_edges" in place.tables  # the demo has its street network
    app = create_app(place=str(path))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/access", timeout=60)
    status = _wait(
        lambda: (
            "within 20 minutes" in dash_duo.find_element("#access-status").text
            and dash_duo.find_element("#access-status").text
        )
    )
    assert status.startswith("4 hub(s) (0 dropped), walk:")
    assert "Synthetic demo data" in dash_duo.find_element(".synthetic-banner").text
    uids = dash_duo.driver.execute_script(
        "return document.querySelector('#access-map .js-plotly-plot').data.map(t => t.uid);"
    )
    assert [u for u in uids if u.startswith("isochrone-")] == [
        "isochrone-20",
        "isochrone-15",
        "isochrone-10",
        "isochrone-5",
    ]
    assert "areas" in uids and "access-hubs" in uids
    rows = _wait(lambda: grid_rows(dash_duo, "#access-coverage"))
    assert len(rows) == 4  # one per band
    assert "People" in dash_duo.find_element("#access-coverage").text
    time.sleep(1.5)  # let MapLibre draw before the screenshot
    dash_duo.driver.save_screenshot(str(artefacts / "access_page.png"))

    # a click on an area (as MapLibre sends it) drops a candidate hub there at once
    code = str(place.areas["minutes_to_family_hub"].idxmax())  # the worst-served area
    dash_duo.driver.execute_script(
        "window.dash_clientside.set_props('access-map', {clickData: {points: [{location: arguments[0]}]}});",
        code,
    )
    status = _wait(
        lambda: (
            "(1 dropped)" in dash_duo.find_element("#access-status").text
            and dash_duo.find_element("#access-status").text
        )
    )
    assert status.startswith("5 hub(s) (1 dropped)")
    hubs = dash_duo.driver.execute_script(
        "return document.querySelector('#access-map .js-plotly-plot').data.find(t => t.uid === 'access-hubs').customdata;"
    )
    assert hubs[-1] == "new-1" and len(hubs) == 5
    table = dash_duo.find_element("#access-coverage").text
    assert "added by dropped hubs" in table
    added = _wait(lambda: grid_column(dash_duo, "#access-coverage", "population_added"))
    assert any(int(a.replace(",", "")) > 0 for a in added), added
    time.sleep(1.5)
    dash_duo.driver.save_screenshot(str(artefacts / "access_page_dropped_hub.png"))

    # bad bands: a friendly message, no traceback
    box = dash_duo.find_element("#access-bands")
    box.clear()
    box.send_keys("10,5\n")
    _wait(lambda: "must be increasing" in dash_duo.find_element("#access-status").text)
    assert dash_duo.get_logs() == [] or all("SEVERE" not in str(e) for e in dash_duo.get_logs())
