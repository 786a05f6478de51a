"""Public transport in a real browser (dash_duo, headless Chromium) on the demo borough: the
Access page with the mode "Public transport" shows the coverage and the isochrones of the
transit bands, and the Planner plans on the transit matrix. The figures on screen are checked
against the same computation in Python (they differ from walking's, so a page that quietly
fell back to walking fails)."""

from __future__ import annotations

import time

import pytest

from geo.build.places import demo_bundle_path
from geo.network.access import coverage
from geo.place.bundle import read_place
from hubplan.web import create_app
from tests.support.grid import grid_column

BANDS = [15.0, 30.0]


def _wait(fn, timeout: float = 120.0):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as exc:  # the element may be re-rendering
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"condition not met; last: {last!r}")


@pytest.fixture(scope="module")
def place():
    return read_place(demo_bundle_path())


def test_access_page_by_public_transport(dash_duo, place, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    hubs = place.sites[place.sites["kind"] == "family_hub"].set_index("site_id").geometry
    want = coverage(place, hubs, mode="transit", minutes=BANDS)
    walk = coverage(place, hubs, mode="walk", minutes=BANDS)
    assert list(want["areas"]) != list(walk["areas"])  # the check below can tell them apart
    dash_duo.start_server(create_app(place=str(demo_bundle_path())))
    url = f"{dash_duo.server_url}/access?kind=family_hub&mode=transit&bands=15,30"
    dash_duo.wait_for_page(url=url, timeout=60)
    _wait(lambda: "Public transport" in dash_duo.find_element("#access-mode").text)
    status = _wait(
        lambda: (
            "transit:" in dash_duo.find_element("#access-status").text
            and dash_duo.find_element("#access-status").text
        )
    )
    assert status.startswith(f"{len(hubs)} hub(s) (0 dropped), transit:"), status
    people = f"{want['population'].iloc[-1]:,.0f} people"
    assert people in status and "within 30 minutes" in status
    minutes = _wait(lambda: grid_column(dash_duo, "#access-coverage", "minutes"))
    assert minutes == ["15", "30"]
    areas = grid_column(dash_duo, "#access-coverage", "areas")
    assert areas == [f"{a:,.0f}" for a in want["areas"]]
    # one filled band per time band, each with a polygon drawn from the transit grid
    bands = _wait(
        lambda: dash_duo.driver.execute_script(
            "const g = document.querySelector('#access-map .js-plotly-plot');"
            "if (!g || !g.data) return null;"
            "return g.data.filter(t => t.uid && t.uid.startsWith('isochrone-'))"
            ".map(t => [t.uid, t.geojson.features[0].geometry.type,"
            " JSON.stringify(t.geojson.features[0].geometry.coordinates).length]);"
        )
    )
    assert sorted(b[0] for b in bands) == ["isochrone-15", "isochrone-30"]
    assert all(kind in ("Polygon", "MultiPolygon") and size > 100 for _, kind, size in bands)
    dash_duo.wait_for_element("#access-map canvas.maplibregl-canvas", timeout=60)
    footer = dash_duo.find_element(".attribution-footer").text.lower()
    assert "synthetic demo data" in footer
    assert dash_duo.find_element(".synthetic-banner").is_displayed()
    assert dash_duo.get_logs() == [], "browser console errors"


def test_planner_runs_on_the_transit_matrix(dash_duo, place, monkeypatch):
    monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    from geo.siting.plan import run_plan
    from hubplan.pages.planner import planner_settings

    query = {"objective": "coverage", "hubs": "2", "minutes": "30", "mode": "transit",
             "candidates": "childrens_centre", "existing": ""}  # fmt: skip
    settings, notices = planner_settings(place, query)
    assert settings["mode"] == "transit" and not notices.items

    def share(mode: str) -> str:
        plan = run_plan(
            place, objective="coverage", hubs=2, minutes=30.0, mode=mode,
            weight=settings["weight"], candidates="childrens_centre", existing=[],
            target=settings["target"] / 100, staff=float(settings["staff"]), staff_step=0.5,
            curve_to=0,
        )  # fmt: skip
        return f"{plan.result.covered_share:.1%} of the demand within 30 minutes"

    want, walking = share("transit"), share("walk")
    assert want != walking
    dash_duo.start_server(create_app(place=str(demo_bundle_path())))
    url = f"{dash_duo.server_url}/planner?" + "&".join(f"{k}={v}" for k, v in query.items())
    dash_duo.wait_for_page(url=url, timeout=60)
    _wait(lambda: "Public transport" in dash_duo.find_element("#planner-mode").text)
    summary = _wait(
        lambda: (
            "2 hubs" in dash_duo.find_element("#planner-summary").text
            and dash_duo.find_element("#planner-summary").text
        ),
        timeout=180,
    )
    assert want in summary, (want, summary)
    assert dash_duo.get_logs() == [], "browser console errors"
