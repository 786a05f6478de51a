"""User uploads: every bad case gets a clear message, nothing is stored until the whole file
is valid, and a stored indicator shows up in profiles and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.indicators.profile import profile_table
from geo.indicators.uploads import UploadError, store_upload, validate_upload
from geo.place.bundle import read_place
from geo.place.config import Indicator
from hubplan.cli.main import main
from tests.support.bundles import demo_copy, wigan_bundle

META = Indicator(
    key="referrals", label="Early help referrals", kind="count", unit="referrals", higher_is="worse"
)


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def good_csv(place, *, n: int | None = None, seed: int = 1) -> pd.DataFrame:
    codes = list(place.areas.index[: n or len(place.areas)])
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"LSOA": codes, "Referrals": rng.integers(0, 40, len(codes))})


def as_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False).encode(encoding)


def check(place, data: bytes, **kw):
    args = {
        "filename": "up.csv",
        "code_column": "LSOA",
        "value_column": "Referrals",
        "indicator": META,
    } | kw
    return validate_upload(place, data, **({"unknown_codes": "error"} | args))


def test_valid_upload_with_bom_and_missing_areas(demo):
    frame = good_csv(demo, n=100)
    up = check(demo, b"\xef\xbb\xbf" + as_bytes(frame))
    assert up.encoding == "utf-8 (with BOM)"
    assert up.values.loc[frame["LSOA"]].tolist() == frame["Referrals"].astype(float).tolist()
    assert up.values.isna().sum() == len(demo.areas) - 100
    assert any("have no value" in n for n in up.notes)
    assert up.indicator.source.startswith("uploaded")


def test_windows_1252_and_semicolons(demo):
    frame = good_csv(demo, n=5).assign(Note="£ café")
    data = frame.to_csv(index=False, sep=";").encode("cp1252")
    up = check(demo, data)
    assert up.encoding == "windows-1252" and up.values.notna().sum() == 5


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda f: f.assign(LSOA=f["LSOA"].where(f.index >= 3, "E01999999")),
            r"3 unknown area code\(s\).*'E01999999'",
        ),
        (
            lambda f: f.assign(
                Referrals=f["Referrals"].astype(str).where(f.index % 50 != 0, "lots")
            ),
            r"non-numeric value\(s\) in 'Referrals' \(line 2: 'lots'",
        ),
        (
            lambda f: f.assign(Referrals=f["Referrals"].where(f.index != 7, -2)),
            r"1 negative count\(s\) \(\w+: -2\)",
        ),
        (lambda f: pd.concat([f, f.iloc[[4, 9]]]), r"2 area code\(s\) appear more than once"),
        (
            lambda f: f.assign(LSOA=f["LSOA"].where(f.index != 0, "")),
            r"1 row\(s\) have no area code \(lines 2\)",
        ),
        (
            lambda f: f.rename(columns={"Referrals": "Value"}),
            r"column\(s\) 'Referrals' not found; the file has 'LSOA', 'Value'",
        ),
    ],
)
def test_each_bad_case_has_a_clear_message(demo, mutate, expected):
    data = as_bytes(mutate(good_csv(demo)))
    with pytest.raises(UploadError, match=expected) as exc:
        check(demo, data)
    assert "nothing was stored" in str(exc.value)
    assert isinstance(exc.value, InputError) and "\n" not in str(exc.value)


def test_many_problems_listed_together_with_counts_and_examples(demo):
    f = good_csv(demo).astype(str)
    f.loc[:9, "LSOA"] = [f"X{i}" for i in range(10)]
    f.loc[20:22, "Referrals"] = ["a", "b", "d"]  # "c" and "x" are suppression marks (missing)
    f.loc[30, "Referrals"] = "-1"
    with pytest.raises(UploadError) as exc:
        check(demo, as_bytes(f))
    problems = exc.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("10 unknown area code(s)") and "(5 more)" in problems[0]
    assert problems[1].startswith("3 non-numeric value(s)")
    assert problems[2].startswith("1 negative count(s)")


def test_negative_values_are_fine_for_means(demo):
    f = good_csv(demo).assign(Referrals=lambda d: d["Referrals"] - 20)
    up = check(demo, as_bytes(f), indicator=Indicator(key="z", label="Z score", kind="mean"))
    assert (up.values < 0).any()


def test_size_limit_empty_and_binary(demo):
    data = as_bytes(good_csv(demo))
    with pytest.raises(UploadError, match=r"the limit is 0.0 MB"):
        check(demo, data, max_bytes=1000)
    with pytest.raises(UploadError, match="the file is empty"):
        check(demo, b"  \n")
    with pytest.raises(UploadError, match="Excel workbook"):
        check(demo, b"PK\x03\x04rest-of-a-zip")
    with pytest.raises(UploadError, match="header but no rows"):
        check(demo, b"LSOA,Referrals\n")


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (Indicator(key="population", label="P", kind="count"), "already an indicator"),
        (Indicator(key="2bad", label="P", kind="count"), "letters, digits"),
        (Indicator(key="footprint", label="P", kind="count"), "reserved"),
        (Indicator(key="ok", label="P", kind="rate"), "uploads can be count or mean"),
        (Indicator(key="ok", label="P", kind="mean", weight="nope"), "weight 'nope'"),
    ],
)
def test_bad_metadata(demo, meta, expected):
    with pytest.raises(UploadError, match=expected):
        check(demo, as_bytes(good_csv(demo)), indicator=meta)


def test_store_is_atomic_and_visible_everywhere(tmp_path, capsys):
    path = demo_copy(tmp_path)
    place = read_place(path)
    frame = good_csv(place)
    meta = Indicator(
        key="referrals",
        label="Early help referrals",
        kind="count",
        sensitive=True,
        attribution="Referrals: Demoborough Council (test).",
    )
    _saved, _upload = store_upload(
        path,
        as_bytes(frame),
        filename="up.csv",
        code_column="LSOA",
        value_column="Referrals",
        indicator=meta,
    )
    assert not list(tmp_path.glob(".*tmp*"))
    again = read_place(path)
    assert again.catalogue["referrals"].sensitive
    assert "Referrals: Demoborough Council (test)." in again.attribution_text()
    assert again.tables["uploads"]["key"].tolist() == ["referrals"]
    # Footprint sums recomputed independently from the CSV and the area -> footprint lookup.
    lookup = pd.Series(place.areas["footprint"], index=place.areas.index)
    expected = frame.assign(fp=frame["LSOA"].map(lookup)).groupby("fp")["Referrals"].sum()
    table = profile_table(again).set_index("footprint")
    for fp, value in expected.items():
        assert table.loc[fp, "referrals"] == value
    # ... and in the CLI profile (with disclosure control applying to the new sensitive count).
    assert main(["profile", str(path), "--format", "json", "--suppress-below", "0"]) == 0
    rows = {r["footprint"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert rows["All areas"]["referrals"] == frame["Referrals"].sum()
    # A second upload with the same key is refused unless replacing.
    with pytest.raises(UploadError, match="already an indicator"):
        store_upload(
            path,
            as_bytes(frame),
            filename="up.csv",
            code_column="LSOA",
            value_column="Referrals",
            indicator=meta,
        )
    store_upload(
        path,
        as_bytes(frame.assign(Referrals=1)),
        filename="up2.csv",
        code_column="LSOA",
        value_column="Referrals",
        indicator=meta,
        replace_existing=True,
    )
    assert read_place(path).areas["referrals"].eq(1).all()


def test_invalid_upload_stores_nothing(tmp_path):
    path = demo_copy(tmp_path)
    before = path.read_bytes()
    bad = good_csv(read_place(path)).assign(Referrals="x")
    with pytest.raises(UploadError):
        store_upload(
            path,
            as_bytes(bad),
            filename="bad.csv",
            code_column="LSOA",
            value_column="Referrals",
            indicator=META,
        )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "demo-copy.gpkg"
    ]  # no edits database either


def test_cli_add_indicator(tmp_path, capsys):
    path = demo_copy(tmp_path)
    frame = good_csv(read_place(path), n=50)
    csv = tmp_path / "refs.csv"
    frame.to_csv(csv, index=False)
    args = [
        "add-indicator",
        str(path),
        "--csv",
        str(csv),
        "--code",
        "LSOA",
        "--column",
        "Referrals",
        "--key",
        "referrals",
        "--label",
        "Referrals",
        "--higher-is",
        "worse",
    ]
    assert main(args) == 0
    assert "added indicator 'referrals'" in capsys.readouterr().out
    assert main(["info", str(path)]) == 0
    assert "referrals" in capsys.readouterr().out
    # Bad file: exit 2, one line, bundle unchanged.
    before = path.read_bytes()
    frame.assign(Referrals=-1).to_csv(csv, index=False)
    assert main([*args[:-4], "--key", "other", "--label", "Other"]) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "negative count(s)" in err and err.startswith("hubplan: error: ")
    )
    assert path.read_bytes() == before
    assert main([*args[:2], "--csv", str(tmp_path / "missing.csv"), *args[4:]]) == 2
    assert "CSV file not found" in capsys.readouterr().err


@pytest.mark.shared_data
def test_wigan_upload_by_lsoa21(wigan_dir, tmp_path):
    path = wigan_bundle(wigan_dir, tmp_path)
    place = read_place(path)
    frame = good_csv(place, seed=7)
    store_upload(
        path,
        as_bytes(frame),
        filename="w.csv",
        code_column="LSOA",
        value_column="Referrals",
        indicator=META,
    )
    table = profile_table(read_place(path)).set_index("footprint")
    expected = (
        frame.assign(fp=frame["LSOA"].map(place.areas["footprint"]))
        .groupby("fp")["Referrals"]
        .sum()
    )
    assert table.loc[expected.index, "referrals"].tolist() == expected.astype(float).tolist()
