"""Profile, compare and indicators pages without a browser: layouts and callbacks called
directly, numbers checked against plain pandas."""

from __future__ import annotations

import base64

import dash
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

from geo.build.places import open_place
from geo.place.bundle import read_place
from hubplan.web import create_app


@pytest.fixture(scope="module")
def app():
    return create_app()


def find(component, wanted_id):
    """The component with ``id == wanted_id`` in a layout tree (or None)."""
    if getattr(component, "id", None) == wanted_id:
        return component
    children = getattr(component, "children", None)
    if children is None:
        return None
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            hit = find(child, wanted_id)
            if hit is not None:
                return hit
    return None


def trigger(prop_id: str) -> None:
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": 1}]))


def test_profile_layout_and_unknown_footprint(app):
    from hubplan.pages import profile

    place = open_place("demo")
    fp = place.footprint_names[0]
    page = profile.layout(footprint=fp.replace(" ", "%20"), place="demo")
    assert find(page, "profile-title").children == fp
    assert (
        find(page, "profile-headline-population").children
        == f"{place.areas.loc[place.areas['footprint'] == fp, 'population'].sum():,.0f}"
    )
    assert find(page, "profile-spine-table") is not None and find(page, "profile-map") is not None
    other = profile.layout(footprint="Nowhere", place="demo")
    assert "Unknown" in str(find(other, "profile-notice").children)


def cells(row) -> list[str]:
    """The text of each cell of a table row (first text child of each cell)."""
    out = []
    for cell in row.children:
        kids = cell.children
        first_text = kids[0] if isinstance(kids, list) else kids
        out.append(first_text if isinstance(first_text, str) else "")
    return out


def test_profile_spine_table_shows_numbers_period_and_verdict(app):
    from geo.indicators.contract import profile_contract
    from geo.numbers import format_number
    from hubplan.pages import profile

    place = open_place("demo")
    fp = place.footprint_names[2]
    page = profile.layout(footprint=fp, place="demo")
    table = find(page, "profile-spine-table")
    body = table.children[2].children
    contract = profile_contract(place, fp)
    assert len(body) == len(contract["spine"])
    for row, rec in zip(body, contract["spine"], strict=True):
        label, period, value, borough, england, verdict, _bar = cells(row)
        assert rec["key"] not in label and label.startswith(rec["label"])
        assert period == rec["period"]
        assert value == format_number(rec["value"], unit=rec["unit"])
        assert borough == format_number(rec["borough"], unit=rec["unit"])
        assert england == format_number(rec["england"], unit=rec["unit"])
        assert verdict.split()[0].lower() == rec["verdict"].split()[0]
    counts = find(page, "profile-counts")
    labels = [r.children[0].children[0] for r in counts.children[2].children]
    assert labels == [r["label"] for r in contract["counts"]]
    assert find(page, "profile-missing") is not None
    assert find(page, {"type": "profile-deciles", "key": "imd_decile"}) is not None


def test_profiles_index_lists_every_footprint_and_nav_has_profiles(app):
    import dash

    from hubplan.pages import profiles

    place = open_place("demo")
    page = profiles.layout(place="demo")
    rows = find(page, "profiles-list").children[1].children
    names = [r.children[0].children.children for r in rows]
    assert names == place.footprint_names
    assert any(
        p["path"] == "/profile" and p["name"] == "Profiles" for p in dash.page_registry.values()
    )


def test_profile_csv_download_applies_disclosure(app):
    import csv
    import io
    import json

    import openpyxl

    from hubplan.pages import profile

    trigger("profile-dl-csv.n_clicks")
    place = open_place("demo")
    fp = place.footprint_names[0]
    data, status, meta = profile.download(0, 0, 1, 0, {"place": "demo", "footprint": fp})
    assert status == "Table ready." and data["filename"].endswith(".csv")
    raw = base64.b64decode(data["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    # That footprint's profile (and the total), not every footprint.
    assert [r[place.footprint_label] for r in rows] == [fp, "All areas"]
    assert pd.read_csv(io.BytesIO(raw)).shape[0] == 2
    assert meta["filename"] == data["filename"] + "-metadata.json"
    doc = json.loads(base64.b64decode(meta["content"]))
    assert "Disclosure control" in doc["disclosure"]
    assert "synthetic demo data" in json.dumps(doc).lower()

    trigger("profile-dl-xlsx.n_clicks")
    data, status, meta = profile.download(0, 0, 0, 1, {"place": "demo", "footprint": fp})
    assert data["filename"].endswith(".xlsx") and meta is dash.no_update
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])))
    assert book.sheetnames == ["Data", "About"] and book["Data"].max_row == 3


def test_compare_ranks_match_pandas(app):
    from hubplan.pages import compare

    place = open_place("demo")
    rows, note = compare.ranked_rows(place, "school_readiness")
    a = place.areas
    rate = (
        100
        * a.groupby("footprint")["gld_achieved"].sum()
        / a.groupby("footprint")["gld_eligible"].sum()
    )
    expected = rate.sort_values()  # higher is better: lowest (worst) first
    names = [r["footprint"].split("]")[0].lstrip("[") for r in rows[:-1]]
    assert names == list(expected.index)
    assert [r["rank"] for r in rows[:-1]] == list(range(1, len(expected) + 1))
    assert rows[-1]["footprint"] == "All areas" and rows[-1]["rank"] is None
    # Rounded to the decimals the unit states (%: one), as in the downloads.
    assert [r["school_readiness"] for r in rows[:-1]] == [round(v, 1) for v in expected]
    assert "Disclosure control" in note
    data, caption, defs, reset = compare.rerank("lac_rate", {"place": "demo"})
    assert "Ranked by Looked after children rate" in caption and reset is True
    assert len(data) == len(expected)  # All areas is pinned under the grid, not in rowData
    assert [d["cellClass"] for d in defs if d["field"] == "lac_rate"] == ["grid-highlight"]


def csv_contents(frame: pd.DataFrame) -> str:
    return "data:text/csv;base64," + base64.b64encode(frame.to_csv(index=False).encode()).decode()


def test_upload_form_bad_then_good(app, copy_place_key):
    from hubplan.pages import indicators

    place = read_place(copy_place_key)
    state = {"place": "demo-copy"}
    frame = pd.DataFrame({"code": place.areas.index, "n": range(len(place.areas))})
    _codes, _cols, code, col, info = indicators.read_header(csv_contents(frame), "x.csv", state)
    assert (code, col) == ("code", "n") and "x.csv" in info
    before = copy_place_key.read_bytes()
    bad = frame.assign(n=frame["n"] - 5)
    out = indicators.store(
        1,
        csv_contents(bad),
        "bad.csv",
        "code",
        "n",
        "refs",
        "Referrals",
        "count",
        None,
        "",
        "worse",
        None,
        [],
        "",
        "",
        "",
        state,
    )
    assert out.id == "up-errors" and "negative count(s)" in str(out.children)
    assert copy_place_key.read_bytes() == before
    out = indicators.store(
        1,
        csv_contents(frame),
        "good.csv",
        "code",
        "n",
        "refs",
        "Referrals",
        "count",
        None,
        "",
        "worse",
        None,
        ["yes"],
        "Council",
        "Council data",
        "2025",
        state,
    )
    assert out.id == "up-ok"
    saved = read_place(copy_place_key)
    assert saved.catalogue["refs"].sensitive and saved.areas["refs"].sum() == frame["n"].sum()
    assert "Council data" in saved.attribution_text()


def test_need_index_editor_preview_and_save(app, copy_place_key):
    from hubplan.pages import indicators

    state = {"place": "demo-copy"}
    page = indicators.layout(place="demo-copy")
    assert find(page, "ni-weights-table") is not None
    ids = [{"type": "ni-weight", "key": k} for k in ("idaci_score", "health_score", "population")]
    trigger("ni-preview.n_clicks")
    out = indicators.preview_or_save(1, 0, [2, 1, 0], ids, "z", "need_index", "Need", state)
    assert out.className == "message-ok" and "not saved" in str(out.children)
    assert "need_index" not in read_place(copy_place_key).catalogue
    trigger("ni-save.n_clicks")
    out = indicators.preview_or_save(0, 1, [2, 1, 0], ids, "z", "need_index", "Need", state)
    assert out.id == "ni-saved"
    saved = read_place(copy_place_key)
    assert saved.tables["need_index"].set_index("indicator")["weight"].to_dict() == {
        "idaci_score": 2.0,
        "health_score": 1.0,
    }
    out = indicators.preview_or_save(0, 1, [0, 0, 0], ids, "z", "need_index", "Need", state)
    assert out.id == "ni-error"
    assert indicators.fill_preset(1, ids, state) == [0.4, 0.2, 0]


@pytest.mark.shared_data
def test_wigan_profile_compare_and_report(app, wigan_dir, tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from hubplan.pages import compare, profile
    from layers.report import profile_report_html
    from tests.support.bundles import wigan_bundle

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    place = read_place(wigan_bundle(wigan_dir, tmp_path))
    fp = place.footprint_names[3]
    a = pd.DataFrame(place.areas)
    page = profile.layout(footprint=fp, place="wigan")
    assert find(page, "profile-title").children == fp
    mine = a[a["footprint"] == fp]
    assert (
        find(page, "profile-headline-children_0_17").children
        == f"{mine['children_0_17'].sum():,.0f}"
    )
    assert (
        find(page, "profile-headline-sites_school").children
        == f"{int((place.sites['area_code'].map(a['footprint']) == fp).sum()):,}"
    )
    rows, _ = compare.ranked_rows(open_place(place.path), "overcrowding_rate")
    rate = (
        100
        * a.groupby("footprint")["hh_overcrowded"].sum()
        / a.groupby("footprint")["households"].sum()
    )
    assert [r["footprint"].split("]")[0].lstrip("[") for r in rows[:-1]] == list(
        rate.sort_values(ascending=False).index
    )
    text = profile_report_html(place, fp, charts=False)
    assert "Contains OS data" in text and datetime.now(UTC).strftime("%d %B %Y") in text
    assert "Synthetic demo data" not in text and f"<h1>{fp}</h1>" in text
