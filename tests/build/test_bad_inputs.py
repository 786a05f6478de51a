"""The bad-input corpus: each malformed file gets one clear line, exit code 2, nothing stored.

Each corpus file in ``CASES`` replaces one slot of the tiny test place (see
tests/support/tiny.py; OSM files are its ``[network] source``); the build must fail with a
one-line error that names the file and the problem, and must leave no bundle (nor a temp file)
behind. Each file in ``UPLOAD_CASES`` is uploaded as an indicator into the tiny place's bundle
(``geo.indicators.uploads.store_upload``): one-line error naming the file, the bundle unchanged.
Regenerate the files with ``python tests/bad_inputs/make_corpus.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hubplan.cli.main import main
from tests.support.tiny import TOML, write_tiny_place

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
LONLAT_SITES = TOML.replace('x = "e"\ny = "n"\ncrs = "EPSG:27700"', 'lon = "lon"\nlat = "lat"')
NETWORK = TOML + '\n[network]\nsource = "roads.osm"\n'
GPKG_AREAS = TOML.replace('path = "areas.geojson"', 'path = "areas.gpkg"', 1)

# file -> (slot it replaces, config text or None for the default, expected fragment of the error)
CASES: dict[str, tuple[str, str | None, str]] = {
    "config_invalid_toml.toml": ("place.toml", None, "not valid TOML"),
    "config_missing_areas.toml": ("place.toml", None, "missing required table [areas]"),
    "config_no_name.toml": ("place.toml", None, "missing required key 'name'"),
    "config_utf16.toml": ("place.toml", None, "not UTF-8 text"),
    "config_crs_garbage.toml": (
        "place.toml",
        None,
        "'crs' = 'NOT-A-CRS' is not a coordinate reference system",
    ),
    "config_crs_geographic.toml": ("place.toml", None, "must be a projected CRS"),
    "config_path_traversal.toml": ("place.toml", None, "passwd: cannot read geo file"),
    "config_areas_path_number.toml": (
        "place.toml",
        None,
        "'areas.path' must be a non-empty string",
    ),
    "config_negative_detour.toml": (
        "place.toml",
        None,
        "'network.detour' = 0.5 must be at least 1",
    ),
    "ind_empty.csv": ("ind.csv", None, "the file is empty"),
    "ind_header_only.csv": ("ind.csv", None, "no code in column 'area' matches an area code"),
    "ind_duplicate_codes.csv": ("ind.csv", None, "duplicate codes in column 'area': 'A01'"),
    "ind_non_numeric.csv": (
        "ind.csv",
        None,
        "column 'pop' has 1 non-numeric value(s), e.g. '1,300 people'",
    ),
    "ind_negative_count.csv": (
        "ind.csv",
        None,
        "column 'pop' (count 'population') has 1 negative value(s), e.g. areas 'A02'",
    ),
    "ind_huge_values.csv": (
        "ind.csv",
        None,
        "column 'pop' has 1 infinite or absurdly large value(s)",
    ),
    "ind_formula_cells.csv": (
        "ind.csv",
        None,
        "column 'pop' has 1 non-numeric value(s), e.g. '=HYPERLINK",
    ),
    "ind_codes_match_nothing.csv": (
        "ind.csv",
        None,
        "no code in column 'area' matches an area code",
    ),
    "ind_binary.csv": ("ind.csv", None, "ind.csv: "),
    "ind_unclosed_quote.csv": ("ind.csv", None, "ind.csv: "),
    "ind_missing_code_column.csv": ("ind.csv", None, "column 'area' (for code) not found"),
    "areas_not_json.geojson": ("areas.geojson", None, "cannot read geo file"),
    "areas_csv_renamed.gpkg": (
        "areas.gpkg",
        GPKG_AREAS,
        "areas.gpkg: cannot read geo file: it is not a GeoPackage (damaged, cut short, or another kind of file renamed)",
    ),
    "areas_zero_bytes.gpkg": (
        "areas.gpkg",
        GPKG_AREAS,
        "areas.gpkg: cannot read geo file: the file is empty (0 bytes)",
    ),
    "areas_no_features.geojson": ("areas.geojson", None, "contains no features"),
    "areas_points.geojson": ("areas.geojson", None, "areas must be polygons; found Point"),
    "areas_empty_geometry.geojson": ("areas.geojson", None, "1 area(s) have empty geometry: 'A12'"),
    "areas_bng_without_crs.geojson": (
        "areas.geojson",
        None,
        "lie outside the area where EPSG:4326 is used",
    ),
    "areas_null_code.geojson": ("areas.geojson", None, "column 'code' has 1 empty area code(s)"),
    "areas_duplicate_codes.geojson": (
        "areas.geojson",
        None,
        "duplicate area codes in column 'code': 'A01'",
    ),
    "areas_huge_coordinates.geojson": (
        "areas.geojson",
        None,
        "lie outside the area where EPSG:4326 is used",
    ),
    "areas_wrong_type.geojson": ("areas.geojson", None, "areas.geojson: "),
    "sites_bng_in_lonlat.csv": (
        "sites.csv",
        LONLAT_SITES,
        "look like British National Grid metres",
    ),
    "sites_mixed_crs.csv": ("sites.csv", LONLAT_SITES, "look like British National Grid metres"),
    "sites_far_outside.csv": ("sites.csv", LONLAT_SITES, "lie more than 10 km outside the areas"),
    "sites_duplicate_ids.csv": ("sites.csv", LONLAT_SITES, "duplicate ids in column 'sid': 'S1'"),
    "sites_no_rows.csv": ("sites.csv", LONLAT_SITES, "contains no rows"),
    "sites_swapped_lonlat.csv": ("sites.csv", LONLAT_SITES, "look swapped"),
    "fp_conflicting.csv": ("fp.csv", None, "assigned to more than one footprint: 'A01'"),
    "fp_all_unknown.csv": ("fp.csv", None, "no area was assigned to a footprint"),
    "osm_empty.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: cannot read OpenStreetMap XML: no element found",
    ),
    "osm_garbled.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: cannot read OpenStreetMap XML: unclosed token",
    ),
    "osm_not_xml.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: cannot read OpenStreetMap XML: not well-formed",
    ),
    "osm_utf16.osm": ("roads.osm", NETWORK, "roads.osm: cannot read OpenStreetMap XML"),
    "osm_no_highways.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: the OpenStreetMap data has no highways",
    ),
    "osm_single_node_way.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: the OpenStreetMap data has no highways",
    ),
    "osm_bad_coordinates.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: node 1 has a coordinate that is not a number (lat='xyz', lon='abc')",
    ),
    "osm_missing_nodes.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: no way has two of its nodes in the file (1 way(s) name only nodes missing",
    ),
}

# Tolerated on purpose: file -> (slot, expected build finding). The build succeeds and says so.
TOLERATED: dict[str, tuple[str, str | None]] = {
    "areas_self_intersecting.geojson": (
        "areas.geojson",
        "areas.geojson: repaired 1 invalid area geometry: 'A12'",
    ),
    # The one table reader detects the delimiter and reads UTF-16 with a BOM, as uploads do.
    "ind_semicolon.csv": ("ind.csv", "ind.csv: read as ';'-separated with decimal mark '.'"),
    "ind_utf16.csv": ("ind.csv", None),
}

# upload file -> (file name the browser sends, or None for the corpus name; expected fragment)
UPLOAD_CASES: dict[str, tuple[str | None, str]] = {
    "upload_wrong_encoding.csv": (None, "neither UTF-8 nor Windows-1252 text"),
    "upload_bom_then_bad_bytes.csv": (None, "starts with a UTF-8 byte-order mark but is not UTF-8"),
    "upload_bom_semicolon_no_code.csv": (
        None,
        "column(s) 'area' not found; the file has 'zone', 'pop'",
    ),
    "upload_formula_cells.csv": (None, "3 non-numeric value(s) in 'pop' (line 5: '=HYPERLINK"),
    "upload_huge_values.csv": (
        None,
        "2 infinite or too large value(s) in 'pop' (line 4: '1e309', line 8: '-inf')",
    ),
    "upload_path_traversal.csv": (
        "../../evil.csv",
        "file name '../../evil.csv' contains a folder part",
    ),
    "upload_duplicate_codes.csv": (None, "2 area code(s) appear more than once: 'A01', 'A02'"),
    "upload_negative_counts.csv": (None, "1 negative count(s) (A02: -1200)"),
    "upload_excel_workbook.csv": (None, "looks like an Excel workbook"),
    "upload_nul_bytes.csv": (None, "contains NUL bytes"),
    "upload_header_only.csv": (None, "has a header but no rows"),
    "upload_blank.csv": (None, "the file is empty"),
    "upload_missing_columns.csv": (
        None,
        "column(s) 'area', 'pop' not found; the file has 'code', 'value'",
    ),
    "upload_duplicate_column.csv": (
        None,
        "column 'pop' appears 2 times (columns 2, 3); pick one by position, e.g. 'pop[1]'",
    ),
    # Probe A: a further set kept apart.
    "upload_codes_from_2019.csv": (None, "12 unknown area code(s), not areas of Tiny: 'E01', 'E02'"),
    "upload_lower_case_codes.csv": (None, "12 unknown area code(s), not areas of Tiny: 'a01', 'a02'"),
    "upload_all_suppressed.csv": (None, "no value in 'pop' is a number (all blank or suppressed)"),
    "upload_pound_values.csv": (None, "9 non-numeric value(s) in 'pop' (line 2: '£1100'"),
}  # fmt: skip


def test_corpus_is_complete():
    on_disk = {
        p.name
        for p in CORPUS.iterdir()
        if p.suffix in (".csv", ".geojson", ".gpkg", ".toml", ".osm")
    }
    listed = set(CASES) | set(UPLOAD_CASES) | set(TOLERATED) | set(KEEP_CASES) | set(READ_RIGHT)
    listed |= set(PROBE_READ_RIGHT) | set(PROBE_UPLOADS_READ_RIGHT)
    assert on_disk == listed, on_disk ^ listed
    assert not set(CASES) & set(UPLOAD_CASES)
    assert len(CASES) >= 30 and len(UPLOAD_CASES) >= 10
    assert max(p.stat().st_size for p in CORPUS.iterdir() if p.suffix != ".py") < 10_000  # small


def test_generator_reproduces_the_corpus():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.FILES) == (
        set(CASES) | set(UPLOAD_CASES) | set(TOLERATED) | set(KEEP_CASES) | set(READ_RIGHT)
        | set(PROBE_READ_RIGHT) | set(PROBE_UPLOADS_READ_RIGHT)
    )  # fmt: skip
    for name, content in module.FILES.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        assert (CORPUS / name).read_bytes() == data, name


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


def _built_with(tmp_path: Path, name: str, *, slot: str, toml: str | None, finding: str | None):
    """The tiny place built with corpus file ``name`` in ``slot`` (it must build), read back;
    ``finding``, when given, is among its findings."""
    from geo.place.bundle import read_place

    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=toml)
    shutil.copyfile(CORPUS / name, src / slot)
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    place = read_place(out)
    if finding is not None:
        assert any(finding in f.message for f in place.findings), place.findings
    return place


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_tolerated_input_is_repaired_with_a_warning(name, tmp_path):
    slot, expected = TOLERATED[name]
    place = _built_with(tmp_path, name, slot=slot, toml=None, finding=expected)
    assert place.areas.geometry.is_valid.all()
    assert place.areas["population"].sum() == sum(1000 + 100 * i for i in range(1, 13))


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    from geo.build.pipeline import build_bundle

    folder = tmp_path_factory.mktemp("tiny-upload")
    out = folder / "places" / "tiny.gpkg"
    out.parent.mkdir()
    build_bundle(write_tiny_place(folder / "src"), out)
    return out


@pytest.mark.parametrize("name", sorted(UPLOAD_CASES))
def test_bad_upload_one_line_nothing_stored(name, tiny_bundle):
    from geo.indicators.uploads import UploadError, store_upload
    from geo.place.config import Indicator

    sent_name, expected = UPLOAD_CASES[name]
    sent_name = sent_name or name

    def files() -> dict[str, bytes]:
        return {
            p.name: p.read_bytes()
            for p in tiny_bundle.parent.iterdir()
            if not p.name.endswith(".lock")
        }

    before = files()
    indicator = Indicator(
        key="uploaded_pop", label="Uploaded population", kind="count", column="uploaded_pop"
    )
    with pytest.raises(UploadError) as err:
        store_upload(
            tiny_bundle,
            (CORPUS / name).read_bytes(),
            filename=sent_name,
            code_column="area",
            value_column="pop",
            indicator=indicator,
        )
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{sent_name}: "), message
    assert "nothing was stored" in message and expected in message, message
    # Nothing stored: the bundle is byte-for-byte the same and no other file appeared
    # (the edit lock file is the only thing an edit may leave beside it).
    assert files() == before and list(before) == ["tiny.gpkg"]


@pytest.mark.parametrize("name", sorted(n for n, (sent, _) in UPLOAD_CASES.items() if not sent))
def test_bad_upload_in_the_cli_one_line_exit_2_bundle_unchanged(name, tiny_bundle, capsys):
    """``hubplan add-indicator`` says the same as the dashboard's upload, on one line."""
    _, expected = UPLOAD_CASES[name]
    before = {p.name: p.read_bytes() for p in tiny_bundle.parent.iterdir()}
    code = main(["add-indicator", str(tiny_bundle), "--csv", str(CORPUS / name), "--code", "area",
                 "--column", "pop", "--key", "uploaded_pop", "--label", "Uploaded"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubplan: error: "), err
    assert name in lines[0] and expected in lines[0], lines[0]
    assert "Traceback" not in err and "internal error" not in err
    assert {p.name: p.read_bytes() for p in tiny_bundle.parent.iterdir()} == before


# --------------------------------------------------------------------------- issue 13


def _corpus_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BASE = _corpus_module().BASE_TOML
ROADS = BASE + '\n[network]\nsource = "roads.osm"\n'
# Sites by postcode, no [postcodes] table: the ONS Postcode Directory package resolves them.
POSTCODE_SITES = (
    BASE + '\n[[sites]]\npath = "sites.csv"\nkind = "school"\nid = "sid"\npostcode = "postcode"\n'
)

LONLAT_SITES_BASE = (
    BASE + '\n[[sites]]\npath = "sites.csv"\nkind = "school"\nid = "sid"\nname = "sname"\n'
    'lon = "lon"\nlat = "lat"\n'
)

# file -> (slot, config for the bad build or None for BASE, expected fragment of the error).
# The earlier bundle (built from BASE) must come out byte-identical.
KEEP_CASES: dict[str, tuple[str, str | None, str]] = {
    "config_indicator_singular.toml": ("place.toml", None, "unknown table [[indicator]]; did you mean [[indicators]]?"),
    "config_areas_nmae.toml": ("place.toml", None, "unknown key 'areas.nmae'; did you mean 'name'?"),
    "config_network_detuor.toml": ("place.toml", None, "unknown key 'network.detuor'; did you mean 'detour'?"),
    "config_unknown_table.toml": ("place.toml", None, "unknown table [netwrok]; did you mean [network]?"),
    "config_detour_nan.toml": ("place.toml", None, "'network.detour' = nan must be a finite number"),
    "config_speed_inf.toml": ("place.toml", None, "'network.speeds.walk' = inf must be a finite number"),
    "config_speed_zero.toml": ("place.toml", None, "'network.speeds.walk' = 0 must be greater than 0"),
    "config_per_zero.toml": ("place.toml", None, "'indicators[0].columns[2].per' = 0 must be greater than 0"),
    "config_per_negative.toml": ("place.toml", None, "'indicators[0].columns[2].per' = -1000 must be greater than 0"),
    "config_web_mercator.toml": ("place.toml", None, "'crs' = 'EPSG:3857' is Web Mercator"),
    "config_transit_window.toml": ("place.toml", None, "'network.transit.window' = '10:00-07:00' must end after it starts"),
    "areas_declared_bng_holds_lonlat.geojson": ("areas.geojson", None, "look like longitude/latitude degrees but the file declares EPSG:27700"),
    "areas_collinear.geojson": ("areas.geojson", None, "area 'A12' collapses when repaired"),
    "areas_hole_outside_shell.geojson": ("areas.geojson", None, "area 'A12' falls apart when repaired: a part lies"),
    "areas_nan_coordinate.geojson": ("areas.geojson", None, "feature 12 (area 'A12') has a NaN or infinite coordinate"),
    "ind_duplicate_column.csv": ("ind.csv", None, "column 'pop' (for indicator 'population') appears 2 times (columns 2, 4); pick one by position: 'pop[1]', 'pop[2]'"),
    "ind_decimal_comma_in_quotes.csv": ("ind.csv", None, "column 'pop' has 12 value(s) with a comma that is not a thousands separator, e.g. '1001,5'"),
    "ind_semicolon_ambiguous_decimal.csv": ("ind.csv", None, "cannot tell the decimal mark: '1,101'"),
    "osm_latitude_95.osm": ("roads.osm", ROADS, "node 1 has coordinates outside ±90° latitude / ±180° longitude (lat='95'"),
    "osm_latitude_1e308.osm": ("roads.osm", ROADS, "node 1 has coordinates outside ±90° latitude / ±180° longitude (lat='1e308'"),
    "osm_far_from_areas.osm": ("roads.osm", ROADS, "the network does not reach the areas: 12 of 12 area points are more than 1 km from a usable street"),
    "osm_motorways_only.osm": ("roads.osm", ROADS, "no street in the network may be walked: its 1 street segment(s) are highway 'motorway'"),
    "config_speed_nan.toml": ("place.toml", None, "'network.speeds.walk' = nan must be a finite number"),
    "config_minutes_zero.toml": ("place.toml", None, "'network.minutes' = 0 must be greater than 0"),
    "config_buffer_negative.toml": ("place.toml", None, "'network.buffer_m' = -5 must be"),
    "config_header_row_zero.toml": ("place.toml", None, "'indicators[0].header_row' = 0 must be"),
    "sites_no_postcode_column.csv": ("sites.csv", POSTCODE_SITES, "column 'postcode' (for postcode) not found"),
    # Probe A: a further set kept apart (council analysts' real-world files).
    "areas_swapped_latlon.geojson": ("areas.geojson", None, "coordinates look swapped: read as longitude 52.6 to 52.63, latitude -2 to -1.941, outside the area where the working crs 'EPSG:27700' is used"),
    "config_sites_same_source_twice.toml": ("place.toml", None, "'sites[1]' reads 'sites.csv' as kind 'school' again (as 'sites[0]' does)"),
    "config_indicator_key_twice.toml": ("place.toml", None, "indicator key 'population' is defined twice (indicators[0].columns[0] and indicators[0].columns[1])"),
    "config_minutes_repeated.toml": ("place.toml", None, "'network.minutes' must be a number, got [15, 15]"),
    "config_minutes_empty_list.toml": ("place.toml", None, "'network.minutes' must be a number, got []"),
    "config_per_string.toml": ("place.toml", None, "'indicators[0].columns[2].per' must be a number, got '100'"),
    "config_per_negative_zero.toml": ("place.toml", None, "'indicators[0].columns[2].per' = -0.0 must be greater than 0"),
    "config_sensitive_string.toml": ("place.toml", None, "'indicators[0].columns[2].sensitive' must be true or false, got 'false'"),
    "config_crs_esri_web_mercator.toml": ("place.toml", None, "'crs' = 'ESRI:102100' is Web Mercator"),
    "config_crs_us_feet.toml": ("place.toml", None, "'crs' = 'EPSG:2263' has axis units us survey foot; the working CRS must be in metres"),
    "config_key_in_wrong_table.toml": ("place.toml", None, "unknown key 'areas.detour'"),
    "config_name_blank.toml": ("place.toml", None, "'name' must be a non-empty string, got '   '"),
    "config_areas_as_list.toml": ("place.toml", None, "[areas] must be a table, got ['areas.geojson']"),
    "ind_lower_case_codes.csv": ("ind.csv", None, "areas have e.g. 'A01', 'A02', 'A03'); 12 code(s) would match but for upper/lower case: fix the codes in the file"),
    "ind_excel_apostrophe_codes.csv": ("ind.csv", None, "12 code(s) would match but for a leading apostrophe (Excel's text mark)"),
    "ind_pound_sign_value.csv": ("ind.csv", None, "column 'pop' has 1 non-numeric value(s), e.g. '£1300'"),
    "ind_nan_text_value.csv": ("ind.csv", None, "column 'pop' has 1 non-numeric value(s), e.g. 'NaN'"),
    "sites_blank_id.csv": ("sites.csv", LONLAT_SITES_BASE, "column 'sid' has 1 empty id(s) (row(s) 3)"),
    "sites_postcode_outside_place.csv": ("sites.csv", POSTCODE_SITES, "1 site(s) lie more than 10 km outside the areas (wrong coordinates or CRS?): school 'S1'"),
    "config_minutes_1e308.toml": ("place.toml", None, "'network.minutes' = 1e+308 must be at most 1440"),
    "config_per_1e308.toml": ("place.toml", None, "'indicators[0].columns[2].per' = 1e+308 must be at most 1e+09"),
    "config_speed_walk_5000.toml": ("place.toml", None, "'network.speeds.walk' = 5000 must be at most 300"),
    "config_detour_100.toml": ("place.toml", None, "'network.detour' = 100 must be at most 10"),
    "config_buffer_1e12.toml": ("place.toml", None, "'network.buffer_m' = 1000000000000.0 must be at most 100000"),
}  # fmt: skip
# Read right, not refused (checked value by value below).
READ_RIGHT = (
    "ind_semicolon_decimal_comma.csv",
    "ind_title_rows_thousands_percent.csv",
    "upload_unknown_codes.csv",
)


@pytest.mark.parametrize("name", sorted(KEEP_CASES))
def test_bad_input_keeps_the_earlier_bundle_byte_identical(name, tmp_path, capsys):
    slot, toml, expected = KEEP_CASES[name]
    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=BASE)
    out = tmp_path / "out" / "place.gpkg"
    out.parent.mkdir()
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    before = out.read_bytes()

    if toml is not None:
        cfg.write_text(toml, encoding="utf-8")
    shutil.copyfile(CORPUS / name, src / slot)
    code = main(["build", str(cfg), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hubplan: error: ")
    assert f"{src / slot}: " in lines[0], lines[0]  # names the user's file
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err and "internal error" not in err
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["place.gpkg"]


def test_semicolon_table_with_decimal_commas_is_read_right(tmp_path):
    from geo.place.bundle import read_place

    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=BASE)
    shutil.copyfile(CORPUS / "ind_semicolon_decimal_comma.csv", src / "ind.csv")
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    place = read_place(out)
    assert place.areas.loc["A01", "population"] == 1100.5  # "1100,5", never 11005
    assert place.areas["population"].sum() == sum(1000 + 100 * n + 0.5 for n in range(1, 13))
    assert any("read as ';'-separated with decimal mark ','" in f.message for f in place.findings)


def test_title_rows_thousands_and_percent_are_read_as_numbers(tmp_path):
    from geo.place.bundle import read_place

    src = tmp_path / "src"
    toml = (BASE.replace('code = "area"', 'code = "Area Code"')
            .replace('column = "pop"', 'column = "Population"')
            .replace('column = "kids"', 'column = "Children"'))  # fmt: skip
    cfg = write_tiny_place(src, toml=toml)
    shutil.copyfile(CORPUS / "ind_title_rows_thousands_percent.csv", src / "ind.csv")
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    place = read_place(out)
    assert place.areas.loc["A12", "population"] == 2200  # "2,200"
    assert place.areas.loc["A03", "children"] == 3.5  # "3.5%"
    assert any("skipped 3 row(s) above the header (header_row = 4)" in f.message
               for f in place.findings), place.findings  # fmt: skip


def _upload(path, data: bytes, key="uploaded_pop", **kw):
    from geo.indicators.uploads import store_upload
    from geo.place.config import Indicator

    indicator = Indicator(key=key, label="Uploaded", kind="count", column=key)
    return store_upload(path, data, filename="up.csv", code_column="area", value_column="pop",
                        indicator=indicator, **kw)  # fmt: skip


def test_upload_out_of_borough_codes_warn_with_counts_or_refuse_on_request(tmp_path):
    from geo.build.pipeline import build_bundle
    from geo.indicators.uploads import UploadError

    out = tmp_path / "places" / "tiny.gpkg"
    out.parent.mkdir()
    build_bundle(write_tiny_place(tmp_path / "src"), out)
    data = (CORPUS / "upload_unknown_codes.csv").read_bytes()
    before = out.read_bytes()
    with pytest.raises(UploadError) as err:
        _upload(out, data, unknown_codes="error")
    assert "3 unknown area code(s), not areas of Tiny: 'Z10', 'Z11', 'Z12'" in str(err.value)
    assert out.read_bytes() == before

    place, upload = _upload(out, data)
    assert any(
        "3 unknown area code(s), not areas of Tiny" in n and "ignored" in n for n in upload.notes
    )
    assert place.areas["uploaded_pop"].notna().sum() == 9  # A01..A09; A10..A12 were sent as Z1x
    assert place.areas.loc["A01", "uploaded_pop"] == 1100


def test_upload_reads_thousands_blank_rows_and_semicolons_like_the_build(tmp_path):
    from geo.build.pipeline import build_bundle

    out = tmp_path / "places" / "tiny.gpkg"
    out.parent.mkdir()
    build_bundle(write_tiny_place(tmp_path / "src"), out)
    rows = "".join(f'A{n:02d},"1,{n:03d}"\n,\n' for n in range(1, 13))  # blank Excel rows
    place, _ = _upload(out, ("area,pop\n" + rows).encode())
    assert place.areas.loc["A12", "uploaded_pop"] == 1012
    semi = "area;pop\n" + "".join(f"A{n:02d};{n},5\n" for n in range(1, 13))
    place, _ = _upload(out, semi.encode(), key="semi_pop")
    assert place.areas.loc["A03", "semi_pop"] == 3.5


@pytest.mark.parametrize(("key", "expected"), [
    ("sites_school", "would clash with the profile's site count columns"),
    ("areas", "is reserved"),
    ("population", "is already an indicator of this place"),
])  # fmt: skip
def test_upload_keys_that_clash_with_profile_columns_are_refused(tmp_path, key, expected):
    from geo.build.pipeline import build_bundle
    from geo.indicators.uploads import UploadError

    out = tmp_path / "places" / "tiny.gpkg"
    out.parent.mkdir()
    build_bundle(write_tiny_place(tmp_path / "src"), out)
    before = out.read_bytes()
    data = ("area,pop\n" + "".join(f"A{n:02d},{n}\n" for n in range(1, 13))).encode()
    with pytest.raises(UploadError) as err:
        _upload(out, data, key=key)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert out.read_bytes() == before


def test_sites_whose_coordinates_contradict_their_declared_crs_name_the_file(tmp_path, capsys):
    from tests.support.tiny import TOML

    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=TOML.replace('crs = "EPSG:27700"', 'crs = "EPSG:4326"'))
    code = main(["build", str(cfg), "--out", str(tmp_path / "o.gpkg"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert f"{src / 'sites.csv'}: coordinates (e.g. 400500, 300500) lie outside the area where " \
           "EPSG:4326 is used (World): the file's CRS is wrong or missing" == err[0].removeprefix(
               "hubplan: error: ")  # fmt: skip


def test_rows_ending_in_a_comma_are_read_not_called_duplicates(tmp_path):
    from geo.place.bundle import read_place

    src = tmp_path / "src"
    cfg = write_tiny_place(src)
    text = (src / "ind.csv").read_text()
    (src / "ind.csv").write_text(text.replace("\n", ",\n"))  # every row, header too, ends in ','
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    assert read_place(out).areas["population"].sum() == sum(1000 + 100 * i for i in range(1, 13))


@pytest.mark.parametrize(
    ("crs", "allow", "expected"),
    [
        ("EPSG:32633", False, "working crs 'EPSG:32633' distorts distances and areas by up to"),
        ("EPSG:3857", True, None),  # allowed, with a warning
        ("EPSG:32630", False, None),  # UTM 30N: fine in England (scale error ~0.04%)
    ],
)
def test_working_crs_scale_error_must_be_under_one_percent(tmp_path, capsys, crs, allow, expected):
    from geo.place.bundle import read_place

    toml = f'crs = "{crs}"\n' + ("allow_distortion = true\n" if allow else "") + BASE
    cfg = write_tiny_place(tmp_path / "src", toml=toml)
    out = tmp_path / "o.gpkg"
    code = main(["build", str(cfg), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    if expected:
        assert code == 2 and len(err) == 1 and expected in err[0], err
        assert "allow_distortion = true" in err[0]
        return
    assert code == 0, err
    findings = [f.message for f in read_place(out).findings]
    distorted = [m for m in findings if "distorts distances" in m]
    assert bool(distorted) == allow, findings
    if allow:
        assert "(allowed by allow_distortion = true)" in distorted[0]


# --------------------------------------------------------------------------- probe A
# Accepted on purpose and read right: file -> (slot, config or None for BASE, expected finding
# or None, expected population per area code that differs from 1000 + 100 n, or None = all).
POP = {f"A{n:02d}": 1000.0 + 100 * n for n in range(1, 13)}
PROBE_READ_RIGHT: dict[str, tuple[str, str | None, str | None, dict[str, float | None]]] = {
    "areas_heavy_overlap.geojson": ("areas.geojson", None, "areas.geojson: 1 pair(s) of areas overlap by more than 10% of the smaller one: 'A01'/'A12' (88%)", {}),
    "ind_share_over_100.csv": ("ind.csv", None, "rate 'child_share' is over 100% in 1 area(s) ('children' exceeds 'population'): 'A03'", {}),
    "ind_utf16le_no_bom.csv": ("ind.csv", None, None, {}),
    "ind_utf16be_no_bom.csv": ("ind.csv", None, None, {}),
    "ind_nbsp_thousands.csv": ("ind.csv", None, None, {}),  # "1 300" with U+00A0, U+202F
    "ind_space_thousands_trailing_space.csv": ("ind.csv", None, None, {}),
    "ind_suppressed_marks.csv": ("ind.csv", None, "indicator 'population' has no value for 5 area(s), kept as missing: 'A03', 'A04', 'A05'",
                                 {c: None for c in ("A03", "A04", "A05", "A06", "A07")}),
    "ind_totals_row.csv": ("ind.csv", None, "ind.csv: 1 code(s) match no area and were ignored: 'Total'", {}),
    "ind_latin1_names.csv": ("ind.csv", None, None, {}),
    "ind_padded_codes_and_header.csv": ("ind.csv", None, None, {}),
    "areas_multipolygon_empty_part.geojson": ("areas.geojson", None, None, {}),
    "config_bom_crlf.toml": ("place.toml", None, None, {}),
    "config_unicode_name.toml": ("place.toml", None, None, {}),
    "config_utm30n.toml": ("place.toml", None, None, {}),  # UTM 30N: scale error ~0.04% here
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PROBE_READ_RIGHT))
def test_probe_tolerated_input_is_read_right(name, tmp_path):
    import math

    slot, toml, finding, changed = PROBE_READ_RIGHT[name]
    place = _built_with(tmp_path, name, slot=slot, toml=toml or BASE, finding=finding)
    expected = {**POP, **changed}
    for code, value in expected.items():
        got = place.areas.loc[code, "population"]
        assert math.isnan(got) if value is None else got == value, (code, got)
    assert place.areas.geometry.is_valid.all() and len(place.areas) == 12
    assert place.areas.geometry.area.sum() == pytest.approx(12e6, rel=0.01)  # 12 x ~1 km2


def test_probe_unicode_name_and_bom_crlf_config_keep_the_name(tmp_path):
    from geo.place.bundle import read_place

    for name, expected in (("config_unicode_name.toml", "Ynys Môn – Wigan"),
                           ("config_bom_crlf.toml", "Tiny")):  # fmt: skip
        src = tmp_path / name
        cfg = write_tiny_place(src, toml=(CORPUS / name).read_bytes().decode("utf-8"))
        cfg.write_bytes((CORPUS / name).read_bytes())
        out = tmp_path / f"{name}.gpkg"
        assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
        assert read_place(out).name == expected


def test_probe_geopackage_with_two_layers_must_name_one(tmp_path, capsys):
    """A GeoPackage with an old and a new layer: never read the first one silently."""
    from geo.place.bundle import read_place
    from tests.support.tiny import grid

    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=BASE.replace('path = "areas.geojson"', 'path = "areas.gpkg"'))
    grid().iloc[:2].to_file(src / "areas.gpkg", layer="aaa_old", driver="GPKG")
    grid().to_file(src / "areas.gpkg", layer="wards", driver="GPKG")
    out = tmp_path / "o.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"hubplan: error: {src / 'areas.gpkg'}: has 2 layers ('aaa_old', 'wards'); "
                   'choose one with layer = "NAME" in the config']  # fmt: skip
    assert not out.exists()
    cfg.write_text(
        cfg.read_text().replace('path = "areas.gpkg"', 'path = "areas.gpkg"\nlayer = "wards"')
    )
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    assert len(read_place(out).areas) == 12


def test_probe_shapefile_without_prj_is_refused_naming_it(tmp_path, capsys):
    from tests.support.tiny import grid

    src = tmp_path / "src"
    cfg = write_tiny_place(src, toml=BASE.replace('path = "areas.geojson"', 'path = "areas.shp"'))
    grid().to_file(src / "areas.shp")
    (src / "areas.prj").unlink()
    assert main(["build", str(cfg), "--out", str(tmp_path / "o.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{src / 'areas.shp'}: has no coordinate reference system" in err[0]


# Uploads read right (the same reader as the build): file -> uploaded population per code.
PROBE_UPLOADS_READ_RIGHT = (
    "upload_utf16le_no_bom.csv",
    "upload_nbsp_thousands.csv",
    "upload_title_rows_totals_suppressed.csv",
)


@pytest.mark.parametrize("name", PROBE_UPLOADS_READ_RIGHT)
def test_probe_upload_is_read_right_in_the_cli(name, tmp_path, capsys):
    from geo.build.pipeline import build_bundle
    from geo.place.bundle import read_place

    out = tmp_path / "places" / "tiny.gpkg"
    out.parent.mkdir()
    build_bundle(write_tiny_place(tmp_path / "src"), out)
    code = main(["add-indicator", str(out), "--csv", str(CORPUS / name), "--code", "area",
                 "--column", "pop", "--key", "uploaded_pop", "--label", "Uploaded"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    areas = read_place(out).areas
    expected = {c: 1000.0 + 100 * n for n, c in enumerate(sorted(POP), start=1)}
    if name == "upload_title_rows_totals_suppressed.csv":
        expected |= {"A04": None, "A05": None}
        assert "skipped 3 row(s) above the header (the header is row 4)" in said, said
        assert "1 unknown area code(s), not areas of Tiny: 'Total' (rows ignored)" in said, said
        assert "2 of 12 areas have no value (left missing)" in said, said
    got = {c: (None if v != v else v) for c, v in areas["uploaded_pop"].items()}
    assert got == expected


def test_probe_upload_key_with_non_ascii_letters_says_ascii(tiny_bundle):
    from geo.indicators.uploads import UploadError

    before = tiny_bundle.read_bytes()
    with pytest.raises(UploadError) as err:
        _upload(tiny_bundle, (CORPUS / "upload_nbsp_thousands.csv").read_bytes(), key="pöp")
    assert "key 'pöp' must be plain ASCII letters, digits and '_'" in str(err.value)
    with pytest.raises(UploadError) as err:
        _upload(tiny_bundle, (CORPUS / "upload_nbsp_thousands.csv").read_bytes(), key="my key")
    assert "key 'my key' must be plain ASCII letters" in str(err.value)
    assert tiny_bundle.read_bytes() == before


def test_probe_workbook_with_data_on_the_second_sheet_says_which_sheet_was_read(tmp_path, capsys):
    import pandas as pd

    from geo.place.bundle import read_place

    src = tmp_path / "src"
    toml = BASE.replace('path = "ind.csv"', 'path = "ind.xlsx"')
    cfg = write_tiny_place(src, toml=toml)
    table = pd.read_csv(src / "ind.csv")
    with pd.ExcelWriter(src / "ind.xlsx") as book:
        pd.DataFrame({"note": ["the data are on the next sheet"]}).to_excel(
            book, sheet_name="Notes", index=False
        )
        table.to_excel(book, sheet_name="Data", index=False)
    out = tmp_path / "o.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{src / 'ind.xlsx'}: column 'area' (for code) not found" in err[0]
    assert (
        "(read the first of 2 sheets, 'Notes'; choose another with sheet = \"NAME\": 'Data')"
        in err[0]
    )
    cfg.write_text(toml.replace('path = "ind.xlsx"', 'path = "ind.xlsx"\nsheet = "Data"'))
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    assert read_place(out).areas["population"].sum() == table["pop"].sum()
