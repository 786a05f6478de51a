"""The bad-input corpus: each malformed file gets one clear line, exit code 2, nothing stored.

Each corpus file replaces one slot of the tiny test place (see tests/support/tiny.py); the
build must fail with a one-line error that names the file and the problem, and must leave no
bundle (nor a temp file) behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.main import main
from tests.support.tiny import TOML, write_tiny_place

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
LONLAT_SITES = TOML.replace('x = "e"\ny = "n"\ncrs = "EPSG:27700"', 'lon = "lon"\nlat = "lat"')

# file -> (slot it replaces, config text or None for the default, expected fragment of the error)
CASES: dict[str, tuple[str, str | None, str]] = {
    "config_invalid_toml.toml": ("place.toml", None, "not valid TOML"),
    "config_missing_areas.toml": ("place.toml", None, "missing required table [areas]"),
    "config_no_name.toml": ("place.toml", None, "missing required key 'name'"),
    "config_utf16.toml": ("place.toml", None, "not UTF-8 text"),
    "config_crs_garbage.toml": ("place.toml", None, "'crs' = 'NOT-A-CRS' is not a coordinate reference system"),
    "config_crs_geographic.toml": ("place.toml", None, "must be a projected CRS"),
    "config_path_traversal.toml": ("place.toml", None, "passwd: cannot read geo file"),
    "config_areas_path_number.toml": ("place.toml", None, "'areas.path' must be a non-empty string"),
    "config_negative_detour.toml": ("place.toml", None, "'network.detour' = 0.5 must be at least 1"),
    "ind_utf16.csv": ("ind.csv", None, "column 'area' (for code) not found"),
    "ind_semicolon.csv": ("ind.csv", None, "looks ';'-separated"),
    "ind_empty.csv": ("ind.csv", None, "the file is empty"),
    "ind_header_only.csv": ("ind.csv", None, "no code in column 'area' matches an area code"),
    "ind_duplicate_codes.csv": ("ind.csv", None, "duplicate codes in column 'area': 'A01'"),
    "ind_non_numeric.csv": ("ind.csv", None, "column 'pop' has 1 non-numeric value(s), e.g. '1,300 people'"),
    "ind_negative_count.csv": ("ind.csv", None, "column 'pop' (count 'population') has 1 negative value(s), e.g. areas 'A02'"),
    "ind_huge_values.csv": ("ind.csv", None, "column 'pop' has 1 infinite or absurdly large value(s)"),
    "ind_formula_cells.csv": ("ind.csv", None, "column 'pop' has 1 non-numeric value(s), e.g. '=HYPERLINK"),
    "ind_codes_match_nothing.csv": ("ind.csv", None, "no code in column 'area' matches an area code"),
    "ind_binary.csv": ("ind.csv", None, "ind.csv: "),
    "ind_unclosed_quote.csv": ("ind.csv", None, "ind.csv: "),
    "ind_missing_code_column.csv": ("ind.csv", None, "column 'area' (for code) not found"),
    "areas_not_json.geojson": ("areas.geojson", None, "cannot read geo file"),
    "areas_no_features.geojson": ("areas.geojson", None, "contains no features"),
    "areas_points.geojson": ("areas.geojson", None, "areas must be polygons; found Point"),
    "areas_empty_geometry.geojson": ("areas.geojson", None, "1 area(s) have empty geometry: 'A12'"),
    "areas_bng_without_crs.geojson": ("areas.geojson", None, "do not project"),
    "areas_null_code.geojson": ("areas.geojson", None, "column 'code' has 1 empty area code(s)"),
    "areas_duplicate_codes.geojson": ("areas.geojson", None, "duplicate area codes in column 'code': 'A01'"),
    "areas_huge_coordinates.geojson": ("areas.geojson", None, "do not project"),
    "areas_wrong_type.geojson": ("areas.geojson", None, "areas.geojson: "),
    "sites_bng_in_lonlat.csv": ("sites.csv", LONLAT_SITES, "look like British National Grid metres"),
    "sites_mixed_crs.csv": ("sites.csv", LONLAT_SITES, "look like British National Grid metres"),
    "sites_far_outside.csv": ("sites.csv", LONLAT_SITES, "lie more than 10 km outside the areas"),
    "sites_duplicate_ids.csv": ("sites.csv", LONLAT_SITES, "duplicate ids in column 'sid': 'S1'"),
    "sites_no_rows.csv": ("sites.csv", LONLAT_SITES, "contains no rows"),
    "sites_swapped_lonlat.csv": ("sites.csv", LONLAT_SITES, "look swapped"),
    "fp_conflicting.csv": ("fp.csv", None, "assigned to more than one footprint: 'A01'"),
    "fp_all_unknown.csv": ("fp.csv", None, "no area was assigned to a footprint"),
}


def test_corpus_is_complete():
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".geojson", ".toml")}
    assert on_disk == set(CASES), on_disk ^ set(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_one_line_exit_2_nothing_stored(name, tmp_path, capsys):
    slot, toml, expected = CASES[name]
    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=toml)
    shutil.copyfile(CORPUS / name, src / slot)
    out = tmp_path / "out" / "place.gpkg"
    out.parent.mkdir()
    code = main(["build", str(cfg), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hubplan: error: ")
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err and "internal error" not in err
    assert list(out.parent.iterdir()) == []  # no bundle, no temp file


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8-sig", True), ("cp1252", False), ("utf-8", False)]
)
def test_tolerated_encodings_build(tmp_path, encoding, bom):
    """BOMs and Windows-1252 text are read, not refused (a £ sign in a name column)."""
    src = tmp_path / "src"
    cfg = write_tiny_place(src)
    text = (src / "ind.csv").read_text().replace("area,", "area,", 1)
    text = text.replace("\n", ",£ note\n").replace("events,£ note", "events,comment", 1)
    (src / "ind.csv").write_bytes(text.encode(encoding))
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
