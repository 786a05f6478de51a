"""Saved footprint sets can be profiled: CLI ``--footprints SET``, the profile page and /profile."""

from __future__ import annotations

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
