"""OpenStreetMap files that are wrong in ways the issue-13 corpus does not cover (a further set,
kept apart): each is refused in one line naming the user's file, or read right and reported.

Every file is written here from the hand-made test network (tests/support/osm.py) over the
tiny place; nothing is derived from the shared extracts.
"""

from __future__ import annotations

import bz2
import gzip
import re
from pathlib import Path

import pytest

from geo.network.graph import implausible_maxspeeds, parse_maxspeed
from geo.place.bundle import read_place
from hubplan.cli.main import main
from tests.support.osm import NODES, WAYS, osm_xml, write_network_place
from tests.support.tiny import X0, Y0

ROADS = [w for w in WAYS if "highway" in w[2]]


def _xml(ways=WAYS, nodes=NODES) -> str:
    return osm_xml({k: (X0 + x, Y0 + y) for k, (x, y) in nodes.items()}, ways)


def _node_line(text: str, nid: int) -> str:
    return next(line for line in text.splitlines() if f'<node id="{nid}"' in line)


def _moved(text: str, nid: int) -> str:
    """``text`` with node ``nid`` listed again about 1.1 km further north."""
    line = _node_line(text, nid)
    lat = re.search(r'lat="([^"]+)"', line)
    again = line.replace(lat.group(0), f'lat="{float(lat.group(1)) + 0.01:.9f}"')
    return text.replace(line, f"{line}\n{again}")


def _build(tmp_path: Path, name: str, data: str | bytes, capsys) -> tuple[int, str, Path]:
    cfg = write_network_place(tmp_path / "src", network=f'source = "{name}"', osm=False)
    path = tmp_path / "src" / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    out = tmp_path / "out" / "place.gpkg"
    out.parent.mkdir()
    capsys.readouterr()
    code = main(["build", str(cfg), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.err, out


GOOD = _xml()

# name -> (file name, contents, expected fragment of the one error line)
REFUSED: dict[str, tuple[str, str | bytes, str]] = {
    "truncated mid-element": ("roads.osm", GOOD[: len(GOOD) // 2], "cannot read OpenStreetMap XML"),
    "an empty <osm/>": (
        "roads.osm",
        '<?xml version="1.0"?><osm version="0.6"/>',
        "the OpenStreetMap file has no ways",
    ),
    "XML named .osm.pbf": ("roads.osm.pbf", GOOD, "holds OpenStreetMap XML, not PBF"),
    "PBF named .osm": (
        "roads.osm",
        b"\x00\x00\x00\x0d\n\tOSMHeader\x18\x00" + b"\x01" * 50,
        "holds OpenStreetMap PBF, not XML",
    ),
    "plain XML named .osm.bz2": ("roads.osm.bz2", GOOD, "is not bzip2-compressed"),
    "gzip (not supported)": ("roads.osm.gz", gzip.compress(GOOD.encode()), "unsupported network"),
    "node without lat": (
        "roads.osm",
        GOOD.replace(_node_line(GOOD, 2), '  <node id="2" version="1" lon="-2.0"/>'),
        "node 2 has a coordinate that is not a number (lat=None",
    ),
    "a node twice, 1 km apart": (
        "roads.osm",
        _moved(GOOD, 2),
        "node 2 appears twice with different coordinates",
    ),
    "only highways nobody may use": (
        "roads.osm",
        _xml([(w, r, {"highway": "proposed"}) for w, r, _ in ROADS]),
        "the network has no usable streets",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_osm_file_is_one_line_exit_2_naming_it(case, tmp_path, capsys):
    name, data, expected = REFUSED[case]
    code, err, out = _build(tmp_path, name, data, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"hubplan: error: {tmp_path / 'src' / name}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert "hubplan-osm-" not in lines[0] and "internal error" not in lines[0]
    assert list(out.parent.iterdir()) == []


def _built(tmp_path, name, data, capsys):
    code, err, out = _build(tmp_path, name, data, capsys)
    assert code == 0, err
    return read_place(out), err


def test_bz2_and_plain_build_the_same_network(tmp_path, capsys):
    plain, _ = _built(tmp_path / "a", "roads.osm", GOOD, capsys)
    packed, _ = _built(tmp_path / "b", "roads.osm.bz2", bz2.compress(GOOD.encode()), capsys)
    a, b = plain.tables["network_edges"], packed.tables["network_edges"]
    assert len(a) == len(b) > 0
    assert sorted(a["length_m"].round(3)) == sorted(b["length_m"].round(3))


def test_the_same_node_twice_with_the_same_coordinates_is_accepted(tmp_path, capsys):
    line = _node_line(GOOD, 2)
    plain, _ = _built(tmp_path / "a", "roads.osm", GOOD, capsys)
    twice, _ = _built(tmp_path / "b", "roads.osm", GOOD.replace(line, f"{line}\n{line}"), capsys)
    assert len(twice.tables["network_edges"]) == len(plain.tables["network_edges"])


def test_oneway_streets_stay_two_way_for_walking(tmp_path, capsys):
    oneway = [(w, r, {**t, "oneway": "yes"}) for w, r, t in ROADS]
    place, _ = _built(tmp_path, "roads.osm", _xml(oneway), capsys)
    edges = place.tables["network_edges"]
    assert edges["walk"].any()
    assert not (edges["drive_fwd"] & edges["drive_bwd"]).any()  # driving respects oneway


def test_non_ascii_street_names_build(tmp_path, capsys):
    named = [(w, r, {**t, "name": "Ffordd Çœur ☃ 道"}) for w, r, t in ROADS]
    plain, _ = _built(tmp_path / "a", "roads.osm", GOOD, capsys)
    place, _ = _built(tmp_path / "b", "roads.osm", _xml(named), capsys)
    assert len(place.tables["network_edges"]) == len(plain.tables["network_edges"])


def test_an_implausible_maxspeed_is_ignored_and_reported(tmp_path, capsys):
    fast = [(w, r, {**t, "maxspeed": "9999"}) for w, r, t in ROADS]
    place, err = _built(tmp_path, "roads.osm", _xml(fast), capsys)
    assert "maxspeed '9999' in roads.osm is not a plausible speed limit" in err, err
    assert place.tables["network_edges"]["drive_kmh"].max() < 120


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [("9999", None), ("0", None), ("250", None), ("200", 200.0), ("70 mph", 70 * 1.609344)],
)
def test_parse_maxspeed_refuses_implausible_limits(tag, kmh):
    got = parse_maxspeed(tag, "primary")
    assert got == pytest.approx(kmh) if kmh is not None else got is None


def test_implausible_maxspeeds_lists_each_odd_tag_once():
    import pandas as pd

    tags = pd.Series(["30 mph", "9999", None, "9999", ["50", "0"], "signals", "30;999"])
    assert implausible_maxspeeds(tags) == ["9999", "0", "999"]
