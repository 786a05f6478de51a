"""Real council-shaped tables through the one table reader (``../shared/data/wigan``).

The DWP ward table is kept as DWP publishes it: 9 title and note rows, a header with line
breaks, two columns named "Area Code", "1,056" and "34.3%". The config documented in
README ("Tables as published") reads it.
"""

from __future__ import annotations

import pytest

from geo.errors import InputError
from geo.place.readers import TableFormat, numeric_column, read_table, require_columns
from tests.conftest import require_shared_data

DWP = "wigan_dwp_children_low_income_ahc_ward_fye2025_as_published.csv"


@pytest.fixture(scope="module")
def dwp_path():
    return require_shared_data() / DWP


@pytest.mark.parametrize(
    "fmt", [TableFormat(), TableFormat(header_row=10, delimiter=",", decimal=".")]
)
def test_dwp_ward_table_reads_with_the_documented_config(dwp_path, fmt):
    df = read_table(dwp_path, dtype_str=["Area Code[2]"], table_format=fmt)
    assert df.attrs["header_row"] == 10 and df.attrs["title_rows"] == 9
    cols = {"code": "Area Code[2]", "children": "Number of children FYE 2025",
            "share": "Percentage of children FYE 2025 (%) [note 3]"}  # fmt: skip
    require_columns(df, cols, path=dwp_path)
    assert len(df) == 25
    codes = df["Area Code[2]"]
    assert codes.str.fullmatch(r"E050\d{5}").all() and codes.is_unique
    assert (df["Area Code[1]"] == "E08000010").all()
    children = numeric_column(df, cols["children"], path=dwp_path)
    share = numeric_column(df, cols["share"], path=dwp_path)
    abram = df.index[df["Ward [note 2]"] == "Abram"][0]
    assert children[abram] == 1038 and share[abram] == 33.5
    assert numeric_column(df, "Number of children FYE 2024", path=dwp_path)[abram] == 1056
    assert children.sum() == 15_827  # SOURCES.md: the 25 ward figures add up to 15,827


def test_dwp_area_code_by_bare_name_is_an_error_naming_both(dwp_path):
    df = read_table(dwp_path)
    with pytest.raises(InputError) as err:
        require_columns(df, {"code": "Area Code"}, path=dwp_path)
    message = str(err.value)
    assert DWP in message
    assert "'Area Code' (for code) appears 2 times (columns 2, 4)" in message
    assert "'Area Code[1]', 'Area Code[2]'" in message


def test_dwp_with_a_wrong_header_row_fails_clearly(dwp_path):
    with pytest.raises(InputError) as err:
        read_table(dwp_path, table_format=TableFormat(header_row=3))
    assert str(err.value).startswith(f"{dwp_path}: a row has 8 fields but the header has 1")


def test_dwp_ward_table_builds_with_the_readme_config(tmp_path, capsys):
    """The README's config for the DWP table, on Wigan's 2023 wards: 25 wards, 15,827 children."""
    from geo.place.bundle import read_place
    from hubplan.cli.main import main

    shared = require_shared_data()
    (tmp_path / "wards.toml").write_text(
        f"""name = "Wigan wards"
[areas]
path = "{shared.as_posix()}/wigan_wards2023.geojson"
code = "WD23CD"
name = "WD23NM"

[[indicators]]
path = "{shared.as_posix()}/{DWP}"
code = "Area Code[2]"      # the ward's code; "Area Code[1]" is the local authority's
header_row = 10            # optional: the 9 title rows are detected
  [[indicators.columns]]
  key = "children_low_income"
  column = "Number of children FYE 2025"       # line breaks in headers read as spaces
  [[indicators.columns]]
  key = "children_low_income_pct"
  column = "Percentage of children FYE 2025 (%) [note 3]"
  kind = "mean"
""",
        encoding="utf-8",
    )
    out = tmp_path / "wards.gpkg"
    assert main(["build", str(tmp_path / "wards.toml"), "--out", str(out), "--quiet"]) == 0, (
        capsys.readouterr().err
    )
    areas = read_place(out).areas
    assert len(areas) == 25 and areas["children_low_income"].notna().all()
    assert areas["children_low_income"].sum() == 15_827
    assert areas.loc["E05014989", "children_low_income_pct"] == 33.5  # Abram
