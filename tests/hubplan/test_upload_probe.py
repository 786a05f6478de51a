"""The dashboard's upload (preview and store callbacks) reads messy files like the build.

Issue 13, probe A: files a council analyst really has (UTF-16 without a byte-order mark,
non-breaking-space thousands, title rows above the header, semicolons with decimal commas)
go through the page's own callbacks, as the browser would send them.
"""

from __future__ import annotations

import base64

import pytest

from geo.place.bundle import read_place
from hubplan.web import create_app


@pytest.fixture(scope="module")
def app():
    return create_app()


def contents(data: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(data).decode()


def store(indicators, data: bytes, filename: str, code: str, column: str, key: str):
    return indicators.store(1, contents(data), filename, code, column, key, "Probe", "count",
                            None, "", "worse", None, [], "", "", "", {"place": "demo-copy"})  # fmt: skip


def messy_files(codes: list[str]) -> dict[str, tuple[bytes, str, str]]:
    """file name -> (bytes, code column, value column); value of the n-th area is 1000 + n."""
    plain = "Ward code,Children\n" + "".join(f"{c},{1000 + n}\n" for n, c in enumerate(codes))
    return {
        "utf16_no_bom.csv": (plain.encode("utf-16-le"), "Ward code", "Children"),
        "nbsp_thousands.csv": (
            ("Ward code,Children\n"
             + "".join(f'{c},"1\u00a0{n:03d}"\n' for n, c in enumerate(codes))).encode(),
            "Ward code", "Children"),
        "title_rows.csv": (
            ("Table 3: children by ward,,\nSource: council extract,,\n,,\n" + plain).encode(),
            "Ward code", "Children"),
        "semicolon_decimal_comma.csv": (
            ("Ward code;Children\n"
             + "".join(f"{c};{1000 + n},0\n" for n, c in enumerate(codes))).encode("cp1252"),
            "Ward code", "Children"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["utf16_no_bom.csv", "nbsp_thousands.csv", "title_rows.csv", "semicolon_decimal_comma.csv"],
)
def test_dashboard_upload_reads_messy_files_like_the_build(app, copy_place_key, name):
    from hubplan.pages import indicators

    codes = list(read_place(copy_place_key).areas.index)
    data, code_col, value_col = messy_files(codes)[name]
    cols, _, code, column, info = indicators.read_header(
        contents(data), name, {"place": "demo-copy"}
    )
    assert (code, column) == (code_col, value_col), (cols, info)
    out = store(indicators, data, name, code, column, "probe_kids")
    assert out.id == "up-ok", out
    areas = read_place(copy_place_key).areas
    assert areas["probe_kids"].to_dict() == {c: 1000.0 + n for n, c in enumerate(codes)}


def test_dashboard_upload_of_lower_case_codes_is_refused_naming_them(app, copy_place_key):
    from hubplan.pages import indicators

    codes = list(read_place(copy_place_key).areas.index)
    data = ("code,n\n" + "".join(f"{c.lower()},{n}\n" for n, c in enumerate(codes))).encode()
    before = copy_place_key.read_bytes()
    out = store(indicators, data, "lower.csv", "code", "n", "probe_n")
    assert out.id == "up-errors"
    assert "unknown area code(s), not areas of" in str(out.children)
    assert repr(codes[0].lower()) in str(out.children)
    assert copy_place_key.read_bytes() == before
