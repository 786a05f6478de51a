"""The paged "Table of mapped values" (pages/_values_table.py): filter parsing, sorting, paging."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.build.places import open_place
from hubplan.pages._values_table import (
    apply_filter,
    apply_sort,
    parse_filter,
    table_page,
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


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("{name} icontains ash", [("name", "contains", "ash")]),
        ('{name} contains "ash lane"', [("name", "contains", "ash lane")]),
        ("{value} > 15 && {value} <= 30.5", [("value", ">", 15.0), ("value", "<=", 30.5)]),
        ("{value} ge 20", [("value", ">=", 20.0)]),
        ("{footprint} ieq north", [("footprint", "=", "north")]),
        ("{value} = 10", [("value", "=", 10.0)]),
        ("", []),
    ],
)
def test_parse_filter_understands_datatable_queries(query, terms):
    assert parse_filter(query) == (terms, [])


@pytest.mark.parametrize(
    "query", ["{value} > lots", "{secret} contains x", "name ~ x", "{value} between 1 2"]
)
def test_unparseable_terms_are_reported_not_raised(query):
    terms, rejected = parse_filter(query + " && {name} icontains b")
    assert terms == [("name", "contains", "b")] and rejected == [query]


def test_filter_is_case_insensitive_for_text_and_numeric_for_values():
    assert list(apply_filter(FRAME, [("name", "contains", "ASH")])["code"]) == ["A1", "A2"]
    assert list(apply_filter(FRAME, [("footprint", "=", "south")])["code"]) == ["B1", "B2"]
    assert list(apply_filter(FRAME, [("value", ">", 15.0)])["code"]) == ["B1", "B2"]
    assert list(apply_filter(FRAME, [("value", "!=", 10.0)])["code"]) == ["B1", "B2"]  # NaN out
    assert apply_filter(FRAME, [("value", "contains", "30")])["code"].tolist() == ["B1"]
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


def test_pages_cover_every_area_once_and_clamp(place):
    n = len(place.areas)
    rows0, pages, status = table_page(place, "imd_score", page_size=60)
    assert pages == -(-n // 60) and len(rows0) == 60 and "Page 1 of" in status
    codes = []
    for page in range(pages):
        codes += [r["code"] for r in table_page(place, "imd_score", page=page, page_size=60)[0]]
    assert sorted(codes) == sorted(place.areas.index.astype(str))
    last = table_page(place, "imd_score", page=10_000, page_size=60)[0]
    assert last == table_page(place, "imd_score", page=pages - 1, page_size=60)[0]
    huge = table_page(place, "imd_score", page_size=10**9)[0]
    assert len(huge) == min(n, 500)  # page size is capped


def test_filter_status_counts_matches(place):
    fp = place.footprint_names[0]
    rows, pages, status = table_page(place, "imd_score", filter_query=f"{{footprint}} ieq {fp}")
    count = int((place.areas["footprint"] == fp).sum())
    assert {r["footprint"] for r in rows} == {fp} and len(rows) == min(count, 50)
    assert status.startswith(f"{count:,} of {len(place.areas):,} small areas match")
    rows, pages, status = table_page(place, "imd_score", filter_query="{name} icontains zzzz-none")
    assert rows == [] and pages == 1 and status.startswith("0 of")


def test_download_is_what_the_table_shows_every_page(place):
    from hubplan.pages._values_table import download_frame

    query = "{footprint} icontains dun"
    sort = [{"column_id": "name", "direction": "desc"}]
    frame, note = download_frame(place, "looked_after_children", sort_by=sort, filter_query=query)
    expected = place.areas[place.areas["footprint"] == "Dunmere"]
    assert len(frame) == len(expected)
    assert list(frame["name"]) == sorted(frame["name"], reverse=True)
    assert list(frame.columns) == ["code", "name", "footprint", "looked_after_children"]
    small = expected.index[expected["looked_after_children"] < 5].astype(str)
    shown = frame.set_index("code")["looked_after_children"]
    assert (shown.reindex(small).dropna() == "*").all() and (shown == "*").any()
    assert "sorted by name (desc)" in note and "filter" in note
