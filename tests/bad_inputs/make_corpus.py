"""Regenerate the bad-input corpus in this folder: ``python tests/bad_inputs/make_corpus.py``.

Every file is small, synthetic and malformed on purpose. ``tests/test_bad_inputs.py`` says
which slot of the tiny test place each file replaces and the error it must produce.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Tiny place geometry (see tests/support/tiny.py): 1 km squares from (400000, 300000) in BNG.
LON0, LAT0 = -2.0, 52.6  # roughly (400000, 300000)


def square(i: int, j: int, *, bng: bool = False) -> list:
    if bng:
        x, y, d = 400_000 + i * 1000, 300_000 + j * 1000, 1000
    else:
        x, y, d = LON0 + i * 0.0148, LAT0 + j * 0.009, 0.0148
    return [
        [
            [x, y],
            [x + d, y],
            [x + d, y + (d if bng else 0.009)],
            [x, y + (d if bng else 0.009)],
            [x, y],
        ]
    ]


def fc(features: list, **extra) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features})


def feature(code, geometry, **props) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "label": str(code), **props},
        "geometry": geometry,
    }


def poly(i, j, **kw) -> dict:
    return {"type": "Polygon", "coordinates": square(i, j, **kw)}


def grid_features(**kw) -> list:
    return [feature(f"A{j * 4 + i + 1:02d}", poly(i, j, **kw)) for j in range(3) for i in range(4)]


HEADER = "area,pop,kids,score,events\n"
ROWS = "".join(f"A{n:02d},{1000 + 100 * n},{200 + 10 * n},{n}.0,{n % 4}\n" for n in range(1, 13))

FILES: dict[str, bytes | str] = {
    # --- config (TOML) ---
    "config_invalid_toml.toml": 'name = "Broken\n[areas\npath = 1\n',
    "config_missing_areas.toml": 'name = "No areas"\n',
    "config_no_name.toml": '[areas]\npath = "areas.geojson"\ncode = "code"\n',
    "config_utf16.toml": 'name = "Wide"\n'.encode("utf-16"),
    "config_crs_garbage.toml": 'name = "X"\ncrs = "NOT-A-CRS"\n[areas]\npath = "areas.geojson"\ncode = "code"\n',
    "config_crs_geographic.toml": 'name = "X"\ncrs = "EPSG:4326"\n[areas]\npath = "areas.geojson"\ncode = "code"\n',
    "config_path_traversal.toml": 'name = "X"\n[areas]\npath = "../../../../../../etc/passwd"\ncode = "code"\n',
    "config_areas_path_number.toml": 'name = "X"\n[areas]\npath = 42\ncode = "code"\n',
    "config_negative_detour.toml": 'name = "X"\n[areas]\npath = "areas.geojson"\ncode = "code"\n[network]\ndetour = 0.5\n',
    # --- indicator CSVs ---
    "ind_utf16.csv": (HEADER + ROWS).encode("utf-16"),
    "ind_semicolon.csv": (HEADER + ROWS).replace(",", ";"),
    "ind_empty.csv": "",
    "ind_header_only.csv": HEADER,
    "ind_duplicate_codes.csv": HEADER + ROWS + "A01,1,1,1.0,1\n",
    "ind_non_numeric.csv": HEADER + ROWS.replace("1300,", '"1,300 people",', 1),
    "ind_negative_count.csv": HEADER + ROWS.replace("A02,1200,", "A02,-1200,", 1),
    "ind_huge_values.csv": HEADER + ROWS.replace("A03,1300,", "A03,1e309,", 1),
    "ind_formula_cells.csv": HEADER
    + ROWS.replace("A04,1400,", 'A04,"=HYPERLINK(""http://x"",""1"")",', 1),
    "ind_codes_match_nothing.csv": HEADER + ROWS.replace("A", "Z"),
    "ind_binary.csv": bytes(range(256)) * 8,
    "ind_unclosed_quote.csv": HEADER + 'A01,"1000,210,1.0,1\n' + ROWS,
    "ind_missing_code_column.csv": HEADER.replace("area", "zone") + ROWS,
    # --- area GeoJSON ---
    "areas_not_json.geojson": '{"type": "FeatureCollection", "features": [',
    "areas_csv_renamed.gpkg": HEADER + ROWS,  # a table saved with the wrong extension
    "areas_zero_bytes.gpkg": "",
    "areas_no_features.geojson": fc([]),
    "areas_points.geojson": fc([feature("A01", {"type": "Point", "coordinates": [LON0, LAT0]})]),
    "areas_empty_geometry.geojson": fc([*grid_features()[:-1], feature("A12", None)]),
    "areas_bng_without_crs.geojson": fc(grid_features(bng=True)),
    "areas_null_code.geojson": fc([*grid_features()[:-1], feature(None, poly(3, 2))]),
    "areas_duplicate_codes.geojson": fc([*grid_features(), feature("A01", poly(5, 5))]),
    "areas_huge_coordinates.geojson": fc(
        [
            feature(
                "A01",
                {"type": "Polygon", "coordinates": [[[0, 0], [1e20, 0], [1e20, 1e20], [0, 0]]]},
            )
        ]
    ),
    "areas_wrong_type.geojson": json.dumps({"type": "Topology", "objects": {}}),
    # --- sites ---
    "sites_bng_in_lonlat.csv": "sid,sname,lon,lat,phase\nS1,One,400500,300500,Primary\n",
    "sites_mixed_crs.csv": f"sid,sname,lon,lat,phase\nS1,One,{LON0 + 0.007},{LAT0 + 0.004},Primary\nS2,Two,401500,300500,Primary\n",
    "sites_far_outside.csv": "sid,sname,lon,lat,phase\nS1,One,-0.1,51.5,Primary\n",
    "sites_duplicate_ids.csv": f"sid,sname,lon,lat,phase\nS1,One,{LON0 + 0.007},{LAT0 + 0.004},Primary\nS1,Two,{LON0 + 0.02},{LAT0 + 0.004},Primary\n",
    "sites_no_rows.csv": "sid,sname,lon,lat,phase\n",
    "sites_swapped_lonlat.csv": f"sid,sname,lon,lat,phase\nS1,One,{LAT0 + 0.004},{LON0 + 0.007},Primary\n",
    # --- footprints ---
    "fp_conflicting.csv": "area,fp\nA01,West\nA01,East\n",
    "fp_all_unknown.csv": "area,fp\nQ1,West\nQ2,East\n",
}


# --- tolerated: repaired with a warning naming the area (a bow-tie polygon for A12) ---
_BX, _BY = LON0 + 3 * 0.0148, LAT0 + 2 * 0.009
BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [
            [_BX, _BY],
            [_BX + 0.0148, _BY + 0.009],
            [_BX + 0.0148, _BY],
            [_BX, _BY + 0.009],
            [_BX, _BY],
        ]
    ],
}
FILES["areas_self_intersecting.geojson"] = fc([*grid_features()[:-1], feature("A12", BOWTIE)])

# --- OpenStreetMap files (the place's [network] source) ---
OSM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hubplan-corpus">\n'
)


def osm_node(i: int, lon: object, lat: object) -> str:
    return f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>\n'


def osm_way(i: int, refs: list[int], tags: dict[str, str]) -> str:
    return (
        f'  <way id="{i}" version="1">\n'
        + "".join(f'    <nd ref="{r}"/>\n' for r in refs)
        + "".join(f'    <tag k="{k}" v="{v}"/>\n' for k, v in tags.items())
        + "  </way>\n"
    )


OSM_NODES = "".join(
    osm_node(i, LON0 + dx, LAT0 + 0.004) for i, dx in ((1, 0.005), (2, 0.03), (3, 0.05))
)
ROAD = {"highway": "residential"}

FILES.update(
    {
        "osm_empty.osm": "",
        "osm_garbled.osm": OSM_HEAD
        + OSM_NODES
        + '  <way id="10" version="1">\n    <nd ref="1"/>\n    <tag k="highway" v="resid',
        "osm_no_highways.osm": OSM_HEAD
        + OSM_NODES
        + osm_way(10, [1, 2, 3], {"building": "yes"})
        + "</osm>\n",
        "osm_not_xml.osm": fc([]),
        "osm_bad_coordinates.osm": OSM_HEAD
        + osm_node(1, "abc", "xyz")
        + osm_node(2, LON0, LAT0)
        + osm_way(10, [1, 2], ROAD)
        + "</osm>\n",
        "osm_missing_nodes.osm": OSM_HEAD + osm_way(10, [91, 92, 93], ROAD) + "</osm>\n",
        "osm_utf16.osm": (OSM_HEAD + OSM_NODES + osm_way(10, [1, 2, 3], ROAD) + "</osm>\n").encode(
            "utf-16"
        ),
        "osm_single_node_way.osm": OSM_HEAD + OSM_NODES + osm_way(10, [1], ROAD) + "</osm>\n",
    }
)

# --- indicator uploads (geo.indicators.uploads.validate_upload against the tiny place; columns area, pop) ---
UP_HEADER = "area,pop\n"
UP_ROWS = "".join(f"A{n:02d},{1000 + 100 * n}\n" for n in range(1, 13))

FILES.update(
    {
        "upload_wrong_encoding.csv": (UP_HEADER + UP_ROWS).encode() + b"A01\x81\x8d,1\n",
        "upload_bom_then_bad_bytes.csv": b"\xef\xbb\xbf"
        + (UP_HEADER + UP_ROWS).encode()
        + b"\xff\xfe,1\n",
        "upload_bom_semicolon_no_code.csv": b"\xef\xbb\xbf"
        + UP_HEADER.replace("area", "zone").replace(",", ";").encode()
        + UP_ROWS.replace(",", ";").encode(),
        "upload_formula_cells.csv": UP_HEADER
        + UP_ROWS.replace("A04,1400", 'A04,"=HYPERLINK(""http://x"",""1"")"')
        .replace("A05,1500", "A05,+cmd|' /C calc'!A0")
        .replace("A06,1600", "A06,@SUM(1+1)"),
        "upload_huge_values.csv": UP_HEADER
        + UP_ROWS.replace("A03,1300", "A03,1e309").replace("A07,1700", "A07,-inf"),
        "upload_path_traversal.csv": UP_HEADER + UP_ROWS,  # uploaded under the name ../../evil.csv
        "upload_duplicate_codes.csv": UP_HEADER + UP_ROWS + "A01,5\nA02,6\n",
        "upload_unknown_codes.csv": UP_HEADER + UP_ROWS.replace("A1", "Z1"),
        "upload_negative_counts.csv": UP_HEADER + UP_ROWS.replace("A02,1200", "A02,-1200"),
        "upload_excel_workbook.csv": b"PK\x03\x04" + bytes(range(200)),
        "upload_nul_bytes.csv": (UP_HEADER + UP_ROWS).encode().replace(b"A05", b"A\x0005"),
        "upload_header_only.csv": UP_HEADER,
        "upload_blank.csv": "\n\n  \n",
        "upload_missing_columns.csv": "code,value\n" + UP_ROWS,
    }
)


# --- issue 13: trustworthy inputs (each must leave an earlier bundle byte-identical) ---
BASE_TOML = """name = "Tiny"

[areas]
path = "areas.geojson"
code = "code"
name = "label"

[[indicators]]
path = "ind.csv"
code = "area"
  [[indicators.columns]]
  key = "population"
  column = "pop"
  [[indicators.columns]]
  key = "children"
  column = "kids"
  [[indicators.columns]]
  key = "child_share"
  kind = "rate"
  numerator = "children"
  denominator = "population"
  per = 100
"""
NET = '\n[network]\nsource = "crowfly"\n'


def lonlat_square(i: int, j: int) -> list:
    return square(i, j)


def bng_crs() -> dict:
    return {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}


COLLINEAR = {"type": "Polygon", "coordinates": [[[LON0, LAT0 + 0.02], [LON0 + 0.01, LAT0 + 0.02],
                                                  [LON0 + 0.02, LAT0 + 0.02], [LON0, LAT0 + 0.02]]]}  # fmt: skip
_A12 = square(3, 2)[0]
HOLE_FAR = {"type": "Polygon", "coordinates": [_A12, [[x + 3.0, y + 2.0] for x, y in _A12]]}
NAN_POLY = {"type": "Polygon", "coordinates": [[[LON0 + 0.0444, LAT0 + 0.018], [float("nan"), LAT0 + 0.018],
                                                 [LON0 + 0.0592, LAT0 + 0.027], [LON0 + 0.0444, LAT0 + 0.018]]]}  # fmt: skip

FILES.update(
    {
        "config_indicator_singular.toml": BASE_TOML.replace(
            "[[indicators]]", "[[indicator]]"
        ).replace("[[indicators.columns]]", "[[indicator.columns]]"),
        "config_areas_nmae.toml": BASE_TOML.replace('name = "label"', 'nmae = "label"'),
        "config_network_detuor.toml": BASE_TOML + NET + "detuor = 1.2\n",
        "config_unknown_table.toml": BASE_TOML + '\n[netwrok]\nsource = "crowfly"\n',
        "config_detour_nan.toml": BASE_TOML + NET + "detour = nan\n",
        "config_speed_inf.toml": BASE_TOML + NET + "speeds = { walk = inf }\n",
        "config_speed_zero.toml": BASE_TOML + NET + "speeds = { walk = 0 }\n",
        "config_per_zero.toml": BASE_TOML.replace("per = 100", "per = 0"),
        "config_per_negative.toml": BASE_TOML.replace("per = 100", "per = -1000"),
        "config_web_mercator.toml": 'crs = "EPSG:3857"\n' + BASE_TOML,
        "config_transit_window.toml": BASE_TOML
        + NET
        + '\n[network.transit]\ngtfs = ["feed.zip"]\nwindow = "10:00-07:00"\n',
        "areas_declared_bng_holds_lonlat.geojson": fc(grid_features(), crs=bng_crs()),
        "areas_collinear.geojson": fc([*grid_features()[:-1], feature("A12", COLLINEAR)]),
        "areas_hole_outside_shell.geojson": fc([*grid_features()[:-1], feature("A12", HOLE_FAR)]),
        "areas_nan_coordinate.geojson": fc([*grid_features()[:-1], feature("A12", NAN_POLY)]),
        "ind_duplicate_column.csv": "area,pop,kids,pop\n"
        + "".join(f"A{n:02d},{1000 + 100 * n},{200 + 10 * n},0\n" for n in range(1, 13)),
        "ind_decimal_comma_in_quotes.csv": "area,pop,kids\n"
        + "".join(f'A{n:02d},"{1000 + n},5",{200 + 10 * n}\n' for n in range(1, 13)),
        "ind_semicolon_ambiguous_decimal.csv": "area;pop;kids\n"
        + "".join(f"A{n:02d};1,{100 + n};{200 + 10 * n}\n" for n in range(1, 13)),
        "osm_latitude_95.osm": OSM_HEAD
        + osm_node(1, LON0, 95)
        + osm_node(2, LON0, LAT0)
        + osm_way(10, [1, 2], ROAD)
        + "</osm>\n",
        "osm_latitude_1e308.osm": OSM_HEAD
        + osm_node(1, LON0, "1e308")
        + osm_node(2, LON0, LAT0)
        + osm_way(10, [1, 2], ROAD)
        + "</osm>\n",
        "osm_far_from_areas.osm": OSM_HEAD
        + "".join(
            osm_node(i, LON0 + 3 + dx, LAT0 + 2) for i, dx in ((1, 0.0), (2, 0.01), (3, 0.02))
        )
        + osm_way(10, [1, 2, 3], ROAD)
        + "</osm>\n",
        # Streets no one may walk: a driving-only download.
        "osm_motorways_only.osm": OSM_HEAD
        + OSM_NODES
        + osm_way(10, [1, 2, 3], {"highway": "motorway"})
        + "</osm>\n",
        "config_speed_nan.toml": BASE_TOML + NET + "speeds = { walk = nan }\n",
        "config_minutes_zero.toml": BASE_TOML + NET + "minutes = 0\n",
        "config_buffer_negative.toml": BASE_TOML + NET + "buffer_m = -5\n",
        "config_header_row_zero.toml": BASE_TOML.replace(
            'code = "area"', 'code = "area"\nheader_row = 0'
        ),
        # Sites by postcode whose postcode column is misspelt (the config says "postcode").
        "sites_no_postcode_column.csv": "sid,sname,post_code\nS1,One,WN1 1AA\nS2,Two,WN1 1AB\n",
        "upload_duplicate_column.csv": "area,pop,pop\n"
        + "".join(f"A{n:02d},{1000 + 100 * n},0\n" for n in range(1, 13)),
        # Tolerated: read right, not refused.
        "ind_semicolon_decimal_comma.csv": "area;pop;kids\n"
        + "".join(f"A{n:02d};{1000 + 100 * n},5;{200 + 10 * n}\n" for n in range(1, 13)),
        "ind_title_rows_thousands_percent.csv": '"Table 1: made-up counts",,\nSource: tests,,\n,,\n'
        + "Area Code,Population,Children\n"
        + "".join(f'A{n:02d},"{1000 + 100 * n:,}",{n}.5%\n' for n in range(1, 13)),
    }
)


# --- probe A (issue 13, a further set kept apart): what a council analyst's files really hold ---
def swapped(features: list) -> list:
    for f in features:
        rings = f["geometry"]["coordinates"]
        f["geometry"]["coordinates"] = [[[y, x] for x, y in ring] for ring in rings]
    return features


SITES_TWICE = '\n[[sites]]\npath = "sites.csv"\nkind = "school"\nid = "sid"\nx = "e"\ny = "n"\ncrs = "EPSG:27700"\n'
IND3_HEADER = "area,pop,kids\n"
IND3_ROWS = "".join(f"A{n:02d},{1000 + 100 * n},{200 + 10 * n}\n" for n in range(1, 13))
MP_EMPTY_PART = {"type": "MultiPolygon", "coordinates": [square(3, 2), []]}

FILES.update(
    {
        "areas_swapped_latlon.geojson": fc(swapped(grid_features())),
        "config_sites_same_source_twice.toml": BASE_TOML + SITES_TWICE + SITES_TWICE,
        "config_indicator_key_twice.toml": BASE_TOML.replace(
            'key = "children"\n  column = "kids"', 'key = "population"\n  column = "kids"'
        ),
        "config_minutes_repeated.toml": BASE_TOML + NET + "minutes = [15, 15]\n",
        "config_minutes_empty_list.toml": BASE_TOML + NET + "minutes = []\n",
        "config_per_string.toml": BASE_TOML.replace("per = 100", 'per = "100"'),
        "config_per_negative_zero.toml": BASE_TOML.replace("per = 100", "per = -0.0"),
        "config_sensitive_string.toml": BASE_TOML.replace(
            "per = 100", 'per = 100\n  sensitive = "false"'
        ),
        "config_crs_esri_web_mercator.toml": 'crs = "ESRI:102100"\n' + BASE_TOML,
        "config_crs_us_feet.toml": 'crs = "EPSG:2263"\n' + BASE_TOML,
        "config_key_in_wrong_table.toml": BASE_TOML.replace(
            'name = "label"', 'name = "label"\ndetour = 1.3'
        ),
        "config_name_blank.toml": BASE_TOML.replace('name = "Tiny"', 'name = "   "'),
        "config_areas_as_list.toml": 'name = "Tiny"\nareas = ["areas.geojson"]\n',
        "ind_lower_case_codes.csv": IND3_HEADER + IND3_ROWS.lower(),
        "ind_excel_apostrophe_codes.csv": IND3_HEADER + IND3_ROWS.replace("A", "'A"),
        "ind_pound_sign_value.csv": IND3_HEADER + IND3_ROWS.replace("A03,1300", "A03,£1300"),
        "ind_nan_text_value.csv": IND3_HEADER + IND3_ROWS.replace("A03,1300", "A03,NaN"),
        "config_minutes_1e308.toml": BASE_TOML + NET + "minutes = 1e308\n",
        "config_per_1e308.toml": BASE_TOML.replace("per = 100", "per = 1e308"),
        "config_speed_walk_5000.toml": BASE_TOML + NET + "speeds = { walk = 5000 }\n",
        "config_detour_100.toml": BASE_TOML + NET + "detour = 100\n",
        "config_buffer_1e12.toml": BASE_TOML + NET + "buffer_m = 1e12\n",
        "sites_blank_id.csv": f"sid,sname,lon,lat\nS1,One,{LON0 + 0.007},{LAT0 + 0.004}\n"
        f",Two,{LON0 + 0.02},{LAT0 + 0.004}\n",
        "sites_postcode_outside_place.csv": "sid,sname,postcode\nS1,One,SW1A 1AA\n",
        # Tolerated: read right (checked value by value in the tests).
        "areas_heavy_overlap.geojson": fc(
            [
                *grid_features()[:-1],
                feature(
                    "A12",
                    {
                        "type": "Polygon",
                        "coordinates": [[[x + 0.001, y + 0.0005] for x, y in square(0, 0)[0]]],
                    },
                ),
            ]  # 88% over A01
        ),
        "ind_share_over_100.csv": IND3_HEADER + IND3_ROWS.replace("A03,1300,230", "A03,1300,2300"),
        "ind_utf16le_no_bom.csv": (IND3_HEADER + IND3_ROWS).encode("utf-16-le"),
        "ind_utf16be_no_bom.csv": (IND3_HEADER + IND3_ROWS).encode("utf-16-be"),
        "ind_nbsp_thousands.csv": IND3_HEADER
        + IND3_ROWS.replace("A03,1300", 'A03,"1\u00a0300"').replace("A04,1400", "A04,1\u202f400"),
        "ind_space_thousands_trailing_space.csv": IND3_HEADER
        + IND3_ROWS.replace("A03,1300", "A03,1 300").replace("A04,1400", "A04,1400 "),
        "ind_suppressed_marks.csv": IND3_HEADER
        + IND3_ROWS.replace("A03,1300", "A03,*")
        .replace("A04,1400", "A04,c")
        .replace("A05,1500", "A05,..")
        .replace("A06,1600", "A06,-")
        .replace("A07,1700", "A07,x"),
        "ind_totals_row.csv": IND3_HEADER + IND3_ROWS + "Total,19800,2380\n",
        "ind_latin1_names.csv": (
            IND3_HEADER.replace("\n", ",ward\n") + IND3_ROWS.replace("\n", ",Côté £\n")
        ).encode("latin-1"),
        "ind_padded_codes_and_header.csv": "area , pop,kids\n"
        + IND3_ROWS.replace("A01,", " A01 ,").replace("A02,", "A02  ,"),
        "areas_multipolygon_empty_part.geojson": fc(
            [*grid_features()[:-1], feature("A12", MP_EMPTY_PART)]
        ),
        "config_bom_crlf.toml": ("\ufeff" + BASE_TOML).replace("\n", "\r\n"),
        "config_unicode_name.toml": BASE_TOML.replace('name = "Tiny"', 'name = "Ynys Môn – Wigan"'),
        "config_utm30n.toml": 'crs = "EPSG:32630"\n' + BASE_TOML,
        "upload_codes_from_2019.csv": UP_HEADER + UP_ROWS.replace("A", "E"),
        "upload_lower_case_codes.csv": UP_HEADER + UP_ROWS.lower(),
        "upload_all_suppressed.csv": UP_HEADER + "".join(f"A{n:02d},c\n" for n in range(1, 13)),
        "upload_pound_values.csv": UP_HEADER + UP_ROWS.replace(",1", ",£1"),
        "upload_title_rows_totals_suppressed.csv": "Table 2: children by ward,\nSource: DWP,\n,\n"
        + UP_HEADER
        + UP_ROWS.replace("A04,1400", "A04,..").replace("A05,1500", "A05,x")
        + "Total,18000\n",
        "upload_utf16le_no_bom.csv": (UP_HEADER + UP_ROWS).encode("utf-16-le"),
        "upload_nbsp_thousands.csv": UP_HEADER + UP_ROWS.replace("A03,1300", 'A03,"1\u00a0300"'),
    }
)


def main() -> None:
    for name, content in FILES.items():
        path = HERE / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    print(f"wrote {len(FILES)} files to {HERE}")


if __name__ == "__main__":
    main()
