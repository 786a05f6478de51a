"""Saved footprint sets can be profiled: CLI ``--footprints SET``, the profile page and /profile."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pandas as pd
import pytest

from geo.clusters.footprint_sets import save_footprint_set, with_footprint_set
from geo.errors import InputError
from geo.place.bundle import read_place
from hubplan.cli.main import main
from tests.support.bundles import demo_copy


def halves(place) -> pd.Series:
    """A two-footprint set: areas north and south of the median centroid."""
    y = place.areas.geometry.centroid.y
    return pd.Series(np.where(y >= y.median(), "North half", "South half"), index=place.areas.index)


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    path = demo_copy(tmp_path)
    place = read_place(path)
    save_footprint_set(path, "halves", halves(place))
    return path


def test_with_footprint_set_regroups_areas_and_sites(saved):
    place = read_place(saved)
    view = with_footprint_set(place, "halves")
    assert view.footprint_names == ["North half", "South half"]
    assert (view.areas["footprint"] == halves(place).reindex(view.areas.index)).all()
    assert (view.sites["footprint"] == view.sites["area_code"].map(view.areas["footprint"])).all()
    assert with_footprint_set(place, None) is place
    with pytest.raises(InputError, match="halves"):
        with_footprint_set(place, "nope")


def test_cli_profile_of_a_saved_set(saved, tmp_path, capsys):
    out = tmp_path / "north.json"
    code = main(
        ["profile", str(saved), "--footprints", "halves", "--footprint", "North half",
         "--format", "json", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    place = read_place(saved)
    north = halves(place) == "North half"
    pop = next(r for r in data["counts"] if r["key"] == "population")
    assert pop["value"] == pytest.approx(place.areas.loc[north, "population"].sum())
    assert data["footprint_set"] == "halves"
    assert main(["profile", str(saved), "--footprints", "nope", "--format", "csv"]) == 2
    assert "nope" in capsys.readouterr().err


def test_profile_page_and_index_show_saved_sets(saved):
    from hubplan.web import create_app

    create_app()
    from hubplan.pages import profile, profiles
    from tests.hubplan.test_pages_profiles import find

    page = profile.layout(footprint="South half", place="demo-copy", set="halves")
    assert find(page, "profile-title").children == "South half"
    assert find(page, "profile-spine-table") is not None
    index = profiles.layout(place="demo-copy")
    links = [
        r.children[0].children.href for r in find(index, "profiles-set-0").children[1].children
    ]
    assert len(links) == 2 and all("set=halves" in h for h in links)


def test_compare_page_through_a_saved_set(saved):
    from hubplan.web import create_app

    create_app()
    from hubplan.pages import compare
    from tests.hubplan.test_pages_profiles import find

    page = compare.layout(place="demo-copy", set="halves", indicator="school_readiness")
    grid = find(page, "compare-table")
    rows = grid.rowData + grid.dashGridOptions["pinnedBottomRowData"]
    names = [r["footprint"] for r in rows]
    assert len(names) == 3 and names[-1] == "All areas"
    assert all("set=halves" in n for n in names[:-1])
    assert find(page, "compare-state").data["set"] == "halves"
    assert find(page, "compare-sets") is not None


def test_export_profiles_of_a_saved_set(saved, tmp_path, monkeypatch):
    from layers import report

    monkeypatch.setattr(report, "report_charts", lambda place, profile: {})
    out = tmp_path / "set-profiles"
    code = main(
        ["export-profiles", str(saved), "--footprints", "halves", "--format", "html",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 and "index.html" in names
    assert all("half" in n.lower() for n in names if n != "index.html")


def test_export_data_and_map_of_a_saved_set(saved, tmp_path, capsys):
    out = tmp_path / "fp.csv"
    code = main(
        ["export-data", str(saved), "--what", "footprints", "--footprints", "halves",
         "--out", str(out), "--keys"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out)
    assert set(table["footprint"]) >= {"North half", "South half"}
    assert not set(table["footprint"]) & set(read_place(saved).footprint_names)
    svg = tmp_path / "map.svg"
    code = main(
        ["export-map", str(saved), "--layers", "areas,footprints", "--footprints", "halves",
         "--out", str(svg)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    text = svg.read_text()
    assert "North half" in text and "South half" in text
    assert main(["export-data", str(saved), "--what", "areas", "--footprints", "nope",
                 "--out", str(tmp_path / "x.csv")]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0]


def test_impact_broken_down_by_a_saved_set(saved, tmp_path, capsys):
    from geo.siting.impact import today_hubs

    hub = today_hubs(read_place(saved)).index[0]
    out = tmp_path / "pack.html"
    code = main(
        ["impact", str(saved), "--close", hub, "--footprints", "halves", "--out", str(out),
         "--keys"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out.with_suffix(".csv"))
    assert set(table["footprint"].dropna()) == {"North half", "South half"}
    assert "North half" in out.read_text()


def test_planner_impact_follows_the_set_in_its_url(saved):
    from hubplan.web import create_app

    create_app()
    from hubplan.pages import planner
    from tests.hubplan.test_pages_profiles import find

    page = planner.layout(place="demo-copy", set="halves", existing="family_hub")
    state = find(page, "planner-state").data
    assert state["set"] == "halves"
    links = find(page, "planner-sets")
    assert "halves" in str(links) and "Current" in str(links)
    # an unknown set is said, and the page falls back to the current footprints
    other = planner.layout(place="demo-copy", set="nope")
    assert find(other, "planner-state").data["set"] is None
    assert "nope" in str(find(other, "planner-notice"))
    # the impact of a plan, broken down by the set's footprints
    place = read_place(saved)
    settings, _ = planner.planner_settings(place, {"existing": "family_hub", "hubs": "6"})
    out = planner.run(
        1, [], [], settings["objective"], settings["hubs"], settings["minutes"],
        settings["target"], settings["mode"], settings["weight"], settings["candidates"],
        ["family_hub"], settings["staff"], state,
    )  # fmt: skip
    payload = out[-1]
    assert isinstance(payload, dict), out[1]
    result = planner.impact(1, payload, ["family_hub"], state)
    meta = base64.b64decode(result[3]["content"]).decode()
    csv = pd.read_csv(io.BytesIO(base64.b64decode(result[2]["content"])))
    footprints = csv.iloc[:, 3]  # area code, name, decile, footprint, ...
    assert set(footprints.dropna()) == {"North half", "South half"}, csv.columns
    assert "Synthetic" in meta or "synthetic" in meta
