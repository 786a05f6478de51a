"""The one table writer (geo.export.tabular): every CSV opens with plain readers, every XLSX
with openpyxl, and nothing a partner receives carries a formula."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import openpyxl
import pandas as pd
import pytest

from geo.build.places import open_place
from geo.errors import InputError
from geo.export import data as exports
from geo.export import tabular
from geo.export.tabular import Column, TableMeta

EVIL = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\tx"]


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Café ©", *EVIL],
            "people": [48293.0, 12.0, 3.0, "*", None, 7.0],
            "rate": [12.345678, 0.05, 99.99, "*", float("nan"), 100.0],
            "share": [0.123456, 0.5, 1.0, 0.0, None, 0.3333],
            "ok": [True, False, True, None, True, False],
        }
    )


def _columns() -> list[Column]:
    return [
        Column("name", "Name"),
        Column("people", "Resident population", "people", "count"),
        Column("rate", "Rate", "per 1,000 aged 0-4", "number"),
        Column("share", "Income deprivation", "proportion", "number"),
        Column("ok", "Within limit", kind="boolean"),
    ]


META = TableMeta(
    title="Test: table",
    place="Test",
    attributions=("Source: ONS, licensed under the Open Government Licence v.3.0.",),
    notes=("A note.",),
    disclosure="Disclosure control: counts below 5 shown as '*'.",
    synthetic=True,
    created=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
)


def test_unit_decimals():
    assert tabular.unit_decimals("%") == 1
    assert tabular.unit_decimals("per 10,000 aged 0-17") == 1
    assert tabular.unit_decimals("proportion") == 3
    assert tabular.unit_decimals("minutes") == 1
    assert tabular.unit_decimals("score") == 2
    assert Column("x", "X", "people", "count").places == 0
    assert Column("x", "X", "%", "number", decimals=3).places == 3


def test_csv_is_rfc4180_with_bom_and_opens_with_plain_readers(tmp_path):
    out = tmp_path / "t.csv"
    paths = tabular.write_table(out, _frame(), _columns(), META)
    assert paths == [out.resolve(), (tmp_path / "t.csv-metadata.json").resolve()]
    raw = out.read_bytes()
    assert raw.startswith(
        b'\xef\xbb\xbfName,Resident population (people),"Rate (per 1,000 aged 0-4)",'
    )
    # CRLF everywhere, no bare LF, header on row 1 (no comment lines).
    assert raw.count(b"\n") == raw.count(b"\r\n") == 7
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "Name",
        "Resident population (people)",
        "Rate (per 1,000 aged 0-4)",
        "Income deprivation (proportion)",
        "Within limit",
    ]
    assert table.loc[0, "Name"] == "Café ©"
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Resident population (people)"] == "48293"  # whole, not 48293.0
    assert rows[0]["Rate (per 1,000 aged 0-4)"] == "12.3"  # the unit's precision
    assert rows[0]["Income deprivation (proportion)"] == "0.123"
    assert rows[2]["Rate (per 1,000 aged 0-4)"] == "100.0"
    assert rows[3]["Resident population (people)"] == "*"
    assert (
        rows[4]["Resident population (people)"] == "" and rows[4]["Rate (per 1,000 aged 0-4)"] == ""
    )
    assert [r["Within limit"] for r in rows] == ["true", "false", "true", "", "true", "false"]
    # No cell and no header can start a formula.
    cells = [c for r in rows for c in r.values()] + list(rows[0])
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [r["Name"] for r in rows[1:]] == ["'" + e for e in EVIL]


def test_keys_headers_and_escaped_headers(tmp_path):
    frame = pd.DataFrame({"=bad": ["a"], "n": [1]})
    cols = [Column("=bad", "=Bad"), Column("n", "N", "people", "count")]
    text = tabular.csv_text(frame, cols)
    assert text.splitlines()[0] == "'=Bad,N (people)"
    assert tabular.csv_text(frame, cols, keys=True).splitlines()[0] == "'=bad,n"


def test_csvw_sidecar(tmp_path):
    out = tmp_path / "t.csv"
    tabular.write_table(out, _frame(), _columns(), META)
    meta = json.loads((tmp_path / "t.csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert meta["url"] == "t.csv"
    assert meta["dc:created"] == "2026-01-02T03:04:00+00:00"
    assert meta["dc:license"][0]["name"] == "Open Government Licence v3.0"
    assert meta["disclosure"] == META.disclosure
    assert meta["synthetic"] is True and "synthetic demo data" in meta["dc:description"].lower()
    cols = meta["tableSchema"]["columns"]
    assert [c["titles"] for c in cols] == pd.read_csv(out).columns.tolist()
    assert [c["datatype"] for c in cols[:4]] == ["string", "integer", "decimal", "decimal"]
    assert cols[2]["unit"] == "per 1,000 aged 0-4" and cols[2]["decimals"] == 1
    assert "*" in cols[1]["null"]


def test_xlsx_data_and_about_sheets(tmp_path):
    out = tmp_path / "t.xlsx"
    assert tabular.write_table(out, _frame(), _columns(), META) == [out.resolve()]
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Data", "About"]
    data = book["Data"]
    assert data.freeze_panes == "A2"
    assert data["A1"].value == "Name" and data["A1"].font.bold
    assert data["B2"].value == 48293 and data["B2"].number_format == "#,##0"
    assert data["C2"].value == pytest.approx(12.3) and data["C2"].number_format == "#,##0.0"
    assert data["D2"].number_format == "#,##0.000"
    assert data["B5"].value == "*"
    assert data.column_dimensions["B"].width >= len("Resident population (people)")
    about = [c.value for row in book["About"].iter_rows() for c in row if c.value is not None]
    text = " ".join(map(str, about))
    for needle in (META.attributions[0], META.disclosure, "Open Government Licence", "A note."):
        assert needle in text
    assert "synthetic demo data" in text.lower() and "2026-01-02 03:04" in text
    # Nothing is stored as a formula, on either sheet.
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                assert not str(cell.value or "").startswith(("=", "+", "@"))


def test_bad_extension_and_missing_column(tmp_path):
    with pytest.raises(InputError, match=r"unsupported extension '\.txt'"):
        tabular.write_table(tmp_path / "t.txt", _frame(), _columns(), META)
    with pytest.raises(InputError, match="no column"):
        tabular.csv_text(_frame(), [Column("nope", "Nope")])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("what", ["areas", "footprints", "sites"])
def test_every_demo_export_opens_with_pandas_and_dictreader(demo, tmp_path, what):
    out = tmp_path / f"{what}.csv"
    exports.export_data(demo, what, out)
    table = pd.read_csv(out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(table) > 0 and list(rows[0]) == list(table.columns)
    assert not any(c.startswith("#") for c in table.columns)
    if what != "sites":
        pop = "Resident population (people)"
        assert pd.api.types.is_integer_dtype(table[pop])
        assert all("." not in r[pop] for r in rows)
    meta = json.loads((tmp_path / f"{what}.csv-metadata.json").read_text(encoding="utf-8"))
    assert "synthetic demo data" in json.dumps(meta).lower()
    xlsx = tmp_path / f"{what}.xlsx"
    exports.export_data(demo, what, xlsx)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Data", "About"]
    assert book["Data"].max_row == len(table) + 1
