"""The report's SVG map: every footprint drawn, this one highlighted, its sites, a scale bar."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from geo.build.places import open_place
from layers.report import map_legend
from layers.report_map import footprint_svg

NS = "{http://www.w3.org/2000/svg}"


def test_footprint_svg_draws_footprints_sites_and_scale():
    place = open_place("demo")
    fp = place.footprint_names[1]
    root = ET.fromstring(footprint_svg(place, fp, width=500, height=300))
    assert root.get("viewBox") == "0 0 500 300"
    paths = root.findall(f"{NS}path")
    # a light fill and a thick outline for this footprint, one outline for every other one
    assert len(paths) == len(place.footprint_names) + 1
    assert sum(p.get("stroke") == "#000000" for p in paths) == 1
    circles = root.findall(f"{NS}circle")
    assert len(circles) == int((place.sites["footprint"] == fp).sum())
    assert all(0 <= float(c.get("cx")) <= 500 and 0 <= float(c.get("cy")) <= 300 for c in circles)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert any(t.endswith(" km") or t.endswith(" m") for t in texts)
    legend = map_legend(place, fp)
    assert sum(int(e["label"].rsplit("(", 1)[1].rstrip(")")) for e in legend) == len(circles)
