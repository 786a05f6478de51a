"""Real-browser test of the profile page (dash_duo, headless Chromium): the headline figures
shown match :func:`geo.indicators.profile.profile_table`, the charts draw, and the page is reachable
from its URL with a footprint name that needs encoding."""

from __future__ import annotations

from urllib.parse import quote

from selenium.webdriver.common.by import By

from geo.build.places import open_place
from geo.indicators.profile import profile_table
from hubplan.web import create_app
from layers.sites import kind_label


def test_profile_page_headline_matches_profile_table(dash_duo, artefacts):
    place = open_place("demo")
    footprint = place.footprint_names[1]
    row = profile_table(place).set_index("footprint").loc[footprint]
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/profile/{quote(footprint)}?place=demo", timeout=30
    )
    dash_duo.wait_for_text_to_equal("#profile-title", footprint, timeout=30)

    def shown(key: str) -> str:
        return dash_duo.find_element(f"#profile-headline-{key}").text.strip()

    assert shown("areas") == f"{int(row['areas']):,}"
    assert shown("population") == f"{row['population']:,.0f}"
    assert shown("children_0_17") == f"{row['children_0_17']:,.0f}"
    for kind in place.site_kinds:
        assert shown(f"sites_{kind}") == f"{int(row[f'sites_{kind}']):,}"
        assert kind_label(kind) in dash_duo.find_element("#profile-headline").text
    # Children in national deciles 1-2, recomputed here from the areas.
    areas = place.areas[place.areas["footprint"] == footprint]
    deprived = areas.loc[areas["imd_decile"].isin([1, 2]), "children_0_17"].sum()
    assert shown("children_deprived") == f"{deprived:,.0f}"

    # The spine chart draws one marker row per indicator; the map and the sites table render.
    dash_duo.wait_for_element("#profile-spine .main-svg", timeout=20)
    points = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#profile-spine .scatterlayer .point")
    assert len(points) >= len(place.catalogue)
    sites = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#profile-sites tbody tr")
    n_sites = sum(int(row[f"sites_{k}"]) for k in place.site_kinds)
    assert len(sites) - 1 >= min(n_sites, 10)  # header row is in the body of DataTable
    assert "synthetic demo data" in dash_duo.find_element(".attribution-footer").text.lower()
    assert dash_duo.find_element(".synthetic-banner").is_displayed()
    assert "Disclosure control" in dash_duo.find_element("#profile-notes").text
    dash_duo.driver.save_screenshot(str(artefacts / "profile_demo.png"))
    assert dash_duo.get_logs() == [], dash_duo.get_logs()


def test_compare_and_upload_pages(dash_duo, artefacts, tmp_path, monkeypatch):
    from tests.support.bundles import demo_copy

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    place = open_place(path)
    dash_duo.start_server(create_app(place=str(path)))
    dash_duo.wait_for_page(
        url=f"{dash_duo.server_url}/compare?indicator=school_readiness", timeout=30
    )
    dash_duo.wait_for_element("#compare-table", timeout=30)
    cells = dash_duo.driver.find_elements(
        By.CSS_SELECTOR, "#compare-table td[data-dash-column='footprint']"
    )
    names = [c.text.strip() for c in cells if c.text.strip()]
    a = place.areas
    rate = (
        100
        * a.groupby("footprint")["gld_achieved"].sum()
        / a.groupby("footprint")["gld_eligible"].sum()
    )
    assert names == [*rate.sort_values().index, "All areas"]
    dash_duo.wait_for_element("#compare-multiples-graph .main-svg", timeout=20)
    dash_duo.driver.save_screenshot(str(artefacts / "compare_demo.png"))

    # Upload a CSV through the real file input: a bad file lists its problems and stores nothing.
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/indicators", timeout=30)
    dash_duo.wait_for_element("#up-file", timeout=30)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,n\n"
        + "".join(f"{c},{-1 if i == 3 else i}\n" for i, c in enumerate(place.areas.index))
        + "NOPE1,2\n",
        encoding="utf-8",
    )
    before = path.read_bytes()
    dash_duo.find_element("#up-file input[type=file]").send_keys(str(bad))
    dash_duo.wait_for_contains_text("#up-file-info", "bad.csv", timeout=20)
    dash_duo.find_element("#up-key").send_keys("referrals")
    dash_duo.find_element("#up-label").send_keys("Referrals")
    dash_duo.find_element("#up-store").click()
    dash_duo.wait_for_contains_text("#up-result", "problem(s), nothing was stored", timeout=30)
    text = dash_duo.find_element("#up-result").text
    assert "1 unknown area code(s)" in text and "'NOPE1'" in text and "1 negative count(s)" in text
    assert path.read_bytes() == before
    dash_duo.driver.save_screenshot(str(artefacts / "indicators_upload_errors.png"))
