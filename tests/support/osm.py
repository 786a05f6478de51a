"""Hand-written OpenStreetMap XML for exact routing tests (coordinates given in metres).

Nodes are given in British National Grid (EPSG:27700) and written as WGS84 lon/lat with 9
decimals (about 0.1 mm), so lengths measured back in EPSG:27700 are known exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pyproj import Transformer

from tests.support.tiny import X0, Y0

_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def osm_xml(
    nodes: dict[int, tuple[float, float]], ways: Iterable[tuple[int, list[int], dict[str, str]]]
) -> str:
    """OSM XML text for ``nodes`` (id -> (easting, northing)) and ``ways`` (id, node ids, tags)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="hubplan-tests">',
    ]
    for nid, (x, y) in nodes.items():
        lon, lat = _TO_WGS84.transform(x, y)
        out.append(f'  <node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for wid, refs, tags in ways:
        out.append(f'  <way id="{wid}" version="1">')
        out += [f'    <nd ref="{r}"/>' for r in refs]
        out += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        out.append("  </way>")
    out.append("</osm>")
    return "\n".join(out) + "\n"


# The test network over the tiny place (see tests/support/tiny.py), offsets from (X0, Y0):
# * "Main Street": residential, y = 500, x = 0 .. 4000, nodes every 1000 m plus one at x = 500
#   (site S1 sits on it at (500, 500)).
# * "High Road": primary, maxspeed "60 mph", from (0, 2000) to (4000, 2000), joined to Main
#   Street by "Mill Lane" (tertiary, maxspeed "30 mph") at x = 3000.
# * a footway north from (2000, 500) to (2000, 1500) (walk and cycle only, not drive).
# * a one-way dead end south from (4000, 500) to (4000, 0) (dropped for drive: no way back).
# * an isolated 200 m street at y = 2900 from x = 100 to 300 (a separate component).
# * a building outline (no highway tag), ignored.
NODES = {
    1: (0, 500), 2: (500, 500), 3: (1000, 500), 4: (2000, 500), 5: (3000, 500), 6: (4000, 500),
    7: (0, 2000), 8: (3000, 2000), 9: (4000, 2000), 10: (2000, 1500), 11: (4000, 0),
    12: (100, 2900), 13: (300, 2900), 20: (2500, 2500), 21: (2510, 2500), 22: (2510, 2510),
}  # fmt: skip
WAYS = [
    (100, [1, 2, 3, 4, 5, 6], {"highway": "residential", "name": "Main Street"}),
    (101, [7, 8, 9], {"highway": "primary", "maxspeed": "60 mph", "name": "High Road"}),
    (102, [5, 8], {"highway": "tertiary", "maxspeed": "30 mph", "name": "Mill Lane"}),
    (103, [4, 10], {"highway": "footway"}),
    (104, [6, 11], {"highway": "residential", "oneway": "yes"}),
    (105, [12, 13], {"highway": "residential"}),
    (106, [20, 21, 22, 20], {"building": "yes"}),
]


def write_test_osm(path: Path, *, nodes: dict | None = None, ways: list | None = None) -> Path:
    """Write the test network (or the given one) to ``path``; return it."""
    nodes = NODES if nodes is None else nodes
    ways = WAYS if ways is None else ways
    absolute = {k: (X0 + x, Y0 + y) for k, (x, y) in nodes.items()}
    path.write_text(osm_xml(absolute, ways), encoding="utf-8")
    return path


def write_network_place(
    folder: Path, *, network: str = 'source = "net.osm"', osm: bool = True
) -> Path:
    """The tiny place plus the test network; returns the config path (``[network]`` as given)."""
    from tests.support.tiny import write_tiny_place

    config = write_tiny_place(folder)
    if osm:
        write_test_osm(folder / "net.osm")
    text = config.read_text(encoding="utf-8")
    config.write_text(f"{text}\n[network]\n{network}\n", encoding="utf-8")
    return config
