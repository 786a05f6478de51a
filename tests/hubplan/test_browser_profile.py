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
from tests.support.grid import grid_column, grid_rows


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

    # The spine table is visible: one row per directed indicator, each with its bar and verdict.
    from geo.indicators.contract import profile_contract

    contract = profile_contract(place, footprint)
    table = dash_duo.find_element("#profile-spine-table")
    assert table.is_displayed()
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == len(contract["spine"])
    for tr, rec in zip(rows, contract["spine"], strict=True):
        assert rec["label"] in tr.text and rec["period"] in tr.text
        assert tr.find_elements(By.CSS_SELECTOR, ".spine-bar .spine-value")
    region = dash_duo.find_element(".table-scroll")
    assert region.get_attribute("tabindex") == "0"  # reachable by keyboard
    assert dash_duo.find_element("#profile-counts").is_displayed()
    dash_duo.wait_for_element("#profile-sites [role='gridcell']", timeout=30)
    sites = grid_rows(dash_duo, "#profile-sites")
    n_sites = sum(int(row[f"sites_{k}"]) for k in place.site_kinds)
    assert len(sites) >= min(n_sites, 10)  # the grid draws the rows in view
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
    dash_duo.wait_for_element("#compare-table [role='gridcell']", timeout=30)
    names = grid_column(dash_duo, "#compare-table", "footprint")
    names += [r[1] for r in grid_rows(dash_duo, "#compare-table", pinned=True)]
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


def test_profiles_index_and_saved_set_profile(dash_duo, artefacts, tmp_path, monkeypatch):
    """/profile lists every footprint and saved set; a saved set's profile opens from it."""
    import numpy as np
    import pandas as pd

    from geo.clusters.footprint_sets import save_footprint_set
    from geo.place.bundle import read_place
    from tests.support.bundles import demo_copy

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    place = read_place(path)
    y = place.areas.geometry.centroid.y
    halves = pd.Series(np.where(y >= y.median(), "North half", "South half"), place.areas.index)
    save_footprint_set(path, "halves", halves)
    dash_duo.start_server(create_app(place=str(path)))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/profile", timeout=30)
    dash_duo.wait_for_element("#profiles-list", timeout=30)
    nav = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#app-nav a")
    assert "Profiles" in [a.text.strip() for a in nav]
    listed = [a.text for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#profiles-list th a")]
    assert listed == place.footprint_names
    link = dash_duo.find_element("#profiles-set-0 th a")
    assert link.text == "North half"
    link.click()
    dash_duo.wait_for_text_to_equal("#profile-title", "North half", timeout=30)
    assert "halves" in dash_duo.find_element(".panel-kicker").text
    assert dash_duo.find_element("#profile-spine-table").is_displayed()
    dash_duo.driver.save_screenshot(str(artefacts / "profile_saved_set.png"))
    assert dash_duo.get_logs() == [], dash_duo.get_logs()
