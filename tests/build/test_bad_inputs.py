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
    "ind_utf16.csv": ("ind.csv", None, "column 'area' (for code) not found"),
    "ind_semicolon.csv": ("ind.csv", None, "looks ';'-separated"),
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
    "areas_no_features.geojson": ("areas.geojson", None, "contains no features"),
    "areas_points.geojson": ("areas.geojson", None, "areas must be polygons; found Point"),
    "areas_empty_geometry.geojson": ("areas.geojson", None, "1 area(s) have empty geometry: 'A12'"),
    "areas_bng_without_crs.geojson": ("areas.geojson", None, "do not project"),
    "areas_null_code.geojson": ("areas.geojson", None, "column 'code' has 1 empty area code(s)"),
    "areas_duplicate_codes.geojson": (
        "areas.geojson",
        None,
        "duplicate area codes in column 'code': 'A01'",
    ),
    "areas_huge_coordinates.geojson": ("areas.geojson", None, "do not project"),
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
        "roads.osm: cannot read OpenStreetMap file: ValueError",
    ),
    "osm_missing_nodes.osm": (
        "roads.osm",
        NETWORK,
        "roads.osm: cannot read OpenStreetMap file: ValueError: Some edges missing nodes",
    ),
}

# Tolerated on purpose: file -> (slot, expected build warning). The build succeeds and says so.
TOLERATED: dict[str, tuple[str, str]] = {
    "areas_self_intersecting.geojson": (
        "areas.geojson",
        "areas.geojson: repaired 1 invalid area geometry: 'A12'",
    ),
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
    "upload_unknown_codes.csv": (
        None,
        "3 unknown area code(s), not areas of Tiny: 'Z10', 'Z11', 'Z12'",
    ),
    "upload_negative_counts.csv": (None, "1 negative count(s) (A02: -1200)"),
    "upload_excel_workbook.csv": (None, "looks like an Excel workbook"),
    "upload_nul_bytes.csv": (None, "contains NUL bytes"),
    "upload_header_only.csv": (None, "has a header but no rows"),
    "upload_blank.csv": (None, "the file is empty"),
    "upload_missing_columns.csv": (
        None,
        "column(s) 'area', 'pop' not found; the file has 'code', 'value'",
    ),
}


def test_corpus_is_complete():
    on_disk = {
        p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".geojson", ".toml", ".osm")
    }
    listed = set(CASES) | set(UPLOAD_CASES) | set(TOLERATED)
    assert on_disk == listed, on_disk ^ listed
    assert not set(CASES) & set(UPLOAD_CASES)
    assert len(CASES) >= 30 and len(UPLOAD_CASES) >= 10
    assert max(p.stat().st_size for p in CORPUS.iterdir()) < 10_000  # small files only


def test_generator_reproduces_the_corpus():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.FILES) == set(CASES) | set(UPLOAD_CASES) | set(TOLERATED)
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


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_tolerated_input_is_repaired_with_a_warning(name, tmp_path):
    from geo.place.bundle import read_place

    slot, expected = TOLERATED[name]
    src = tmp_path / "src"
    cfg = write_tiny_place(src)
    shutil.copyfile(CORPUS / name, src / slot)
    out = tmp_path / "ok.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    place = read_place(out)
    assert expected in [f.message for f in place.findings]
    assert place.areas.geometry.is_valid.all()


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
