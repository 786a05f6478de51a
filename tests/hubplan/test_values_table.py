"""The "Table of mapped values" (pages/_values_table.py): AG Grid filter and sort models
translated to pandas, blocks of rows for the infinite row model, the download."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.build.places import open_place
from hubplan.pages._values_table import (
    MAX_BLOCK,
    apply_filter,
    apply_sort,
    filter_terms,
    rows_block,
    sort_spec,
    values_frame,
)


@pytest.fixture(scope="module")
def place():
    return open_place("demo")


FRAME = pd.DataFrame(
    {
        "code": ["A1", "A2", "B1", "B2"],
        "name": ["Ash", "ash Lane", "Birch", "Beech"],
        "footprint": ["North", "North", "South", "South"],
        "value": [10.0, None, 30.5, 20.0],
    }
)


def text(kind, value):
    return {"filterType": "text", "type": kind, "filter": value}


def number(kind, value, to=None):
    return {"filterType": "number", "type": kind, "filter": value, "filterTo": to}


@pytest.mark.parametrize(
    ("model", "terms"),
    [
        ({"name": text("contains", "ash")}, [("name", "contains", "ash")]),
        ({"name": text("startsWith", "ash l")}, [("name", "startswith", "ash l")]),
        ({"footprint": text("equals", "north")}, [("footprint", "=", "north")]),
        ({"value": number("greaterThan", 15)}, [("value", ">", 15.0)]),
        ({"value": number("inRange", 15, 30.5)}, [("value", ">=", 15.0), ("value", "<=", 30.5)]),
        ({"value": number("blank", None)}, [("value", "blank", None)]),
        (
            {"value": {"operator": "AND", "conditions": [number("lessThan", 9), number("notEqual", 3)]}},
            [("value", "<", 9.0), ("value", "!=", 3.0)],
        ),
        ({"name": text("contains", "")}, []),
        ({}, []),
        (None, []),
    ],
)  # fmt: skip
def test_filter_terms_translate_ag_grid_filter_models(model, terms):
    assert filter_terms(model) == (terms, [])


@pytest.mark.parametrize(
    "model",
    [
        {"value": number("greaterThan", "lots")},
        {"secret": text("contains", "x")},
        {"name": text("regex", "x")},
        {"value": {"operator": "OR", "conditions": [number("equals", 1), number("equals", 2)]}},
    ],
)
def test_filters_not_understood_are_reported_not_raised(model):
    terms, rejected = filter_terms({**model, "code": text("contains", "b")})
    assert terms == [("code", "contains", "b")] and len(rejected) == 1


def test_sort_spec_keeps_known_columns():
    model = [{"colId": "value", "sort": "desc"}, {"colId": "secret", "sort": "asc"}]
    assert sort_spec(model) == [{"column_id": "value", "direction": "desc"}]
    assert sort_spec(None) == []


def test_filter_is_case_insensitive_for_text_and_numeric_for_values():
    assert list(apply_filter(FRAME, [("name", "contains", "ASH")])["code"]) == ["A1", "A2"]
    assert list(apply_filter(FRAME, [("footprint", "=", "south")])["code"]) == ["B1", "B2"]
    assert list(apply_filter(FRAME, [("value", ">", 15.0)])["code"]) == ["B1", "B2"]
    assert list(apply_filter(FRAME, [("value", "!=", 10.0)])["code"]) == ["B1", "B2"]  # NaN out
    assert apply_filter(FRAME, [("value", "contains", "30")])["code"].tolist() == ["B1"]
    assert apply_filter(FRAME, [("name", "startswith", "ASH L")])["code"].tolist() == ["A2"]
    assert apply_filter(FRAME, [("name", "endswith", "CH")])["code"].tolist() == ["B1", "B2"]
    assert apply_filter(FRAME, [("name", "notcontains", "ash")])["code"].tolist() == ["B1", "B2"]
    assert apply_filter(FRAME, [("value", "blank", None)])["code"].tolist() == ["A2"]
    assert apply_filter(FRAME, [("value", "notblank", None)])["code"].tolist() == ["A1", "B1", "B2"]
    both = [("footprint", "=", "south"), ("value", "<", 25.0)]
    assert apply_filter(FRAME, both)["code"].tolist() == ["B2"]


def test_sort_puts_missing_values_last_either_way():
    asc = apply_sort(FRAME, [{"column_id": "value", "direction": "asc"}])
    desc = apply_sort(FRAME, [{"column_id": "value", "direction": "desc"}])
    assert asc["code"].tolist() == ["A1", "B2", "B1", "A2"]
    assert desc["code"].tolist() == ["B1", "B2", "A1", "A2"]
    assert apply_sort(FRAME, [{"column_id": "nope", "direction": "asc"}]) is FRAME


def test_values_frame_is_every_area_worst_first(place):
    worse = values_frame(place, "imd_score")  # higher is worse: highest first
    assert len(worse) == len(place.areas) and set(worse["code"]) == set(place.areas.index)
    assert worse["value"].dropna().is_monotonic_decreasing
    better = values_frame(place, "school_readiness")  # higher is better: lowest first
    assert better["value"].dropna().is_monotonic_increasing
    row = worse.iloc[0]
    assert place.areas.at[row["code"], "footprint"] == row["footprint"]


def test_blocks_cover_every_area_once_and_are_capped(place):
    n = len(place.areas)
    codes = []
    for start in range(0, n, 60):
        rows, count, status = rows_block(
            place, "imd_score", {"startRow": start, "endRow": start + 60}
        )
        assert count == n and status == f"{n:,} small areas."
        codes += [r["code"] for r in rows]
    assert sorted(codes) == sorted(place.areas.index.astype(str))
    assert rows_block(place, "imd_score", {"startRow": n + 5, "endRow": n + 50})[0] == []
    huge = rows_block(place, "imd_score", {"startRow": 0, "endRow": 10**9})[0]
    assert len(huge) == min(n, MAX_BLOCK)  # one request gets at most MAX_BLOCK rows


def test_block_in_the_grid_sort_order(place):
    request = {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "name", "sort": "asc"}]}
    rows, _, _ = rows_block(place, "imd_score", request)
    assert [r["name"] for r in rows] == sorted(place.areas["name"].astype(str))[:50]


def test_filter_status_counts_matches(place):
    fp = place.footprint_names[0]
    model = {"footprint": text("equals", fp.lower()), "value": number("greaterThan", 20)}
    rows, count, status = rows_block(
        place, "imd_score", {"startRow": 0, "endRow": 100, "filterModel": model}
    )
    a = place.areas
    expected = a[(a["footprint"] == fp) & (a["imd_score"].round(2) > 20)]
    assert sorted(r["code"] for r in rows) == sorted(expected.index.astype(str))
    assert count == len(expected)
    assert status.startswith(f"{count:,} of {len(place.areas):,} small areas match")
    model = {"name": text("contains", "zzzz-none")}
    rows, count, status = rows_block(place, "imd_score", {"filterModel": model})
    assert rows == [] and count == 0 and status.startswith("0 of")
    rows, _, status = rows_block(
        place, "imd_score", {"filterModel": {"value": number("equals", "lots")}}
    )
    assert rows and "not understood" in status and "lots" in status


def test_download_is_what_the_table_shows_every_page(place):
    from hubplan.pages._values_table import download_frame

    request = {
        "startRow": 0,
        "endRow": 100,
        "filterModel": {"footprint": text("contains", "dun")},
        "sortModel": [{"colId": "name", "sort": "desc"}],
    }
    frame, note = download_frame(place, "looked_after_children", request=request)
    expected = place.areas[place.areas["footprint"] == "Dunmere"]
    assert len(frame) == len(expected)
    assert list(frame["name"]) == sorted(frame["name"], reverse=True)
    assert list(frame.columns) == ["code", "name", "footprint", "looked_after_children"]
    small = expected.index[expected["looked_after_children"] < 5].astype(str)
    shown = frame.set_index("code")["looked_after_children"]
    assert (shown.reindex(small).dropna() == "*").all() and (shown == "*").any()
    assert "sorted by name (desc)" in note and "filter" in note
