"""Map page at region scale: zoom-dependent display (layers/zoom.py) vs every area at once.

Writes ``benchmarks.synthetic`` sources (33,000 areas by default), builds the bundle, then in
separate processes (each its own peak RSS and cold caches) measures:

* ``full``: the map figure with every small area (``HUBPLAN_DETAIL_LIMIT`` above the area
  count: what the page did before), time to build + JSON size;
* ``zoom``: the first render zoomed out (indicator by footprint), time + JSON size, the whole
  page as the router sends it (Flask test client), then the ``dash.Patch`` of a zoom-in to
  level 11 (areas in view), of a 4 x 3 degree view at level 11 (capped), of an indicator change
  while zoomed in, and of the zoom-out back to footprints.

Usage::

    .venv/bin/python benchmarks/bench_scale_map.py [--areas 33000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
mode, folder = sys.argv[1], sys.argv[2]
os.environ["HUBPLAN_DETAIL_LIMIT"] = "1000000000" if mode == "full" else "4000"
import importlib
import plotly.io as pio
from hubplan.web import create_app
from geo.build.places import open_place
app = create_app(place=folder + "/place.gpkg")
home = importlib.import_module("hubplan.pages.home")
place = open_place(folder + "/place.gpkg")  # the object the page opens (shared caches)
key = place.default_indicator
out = {{}}
t0 = time.perf_counter()
fig, index = home.build_figure(place, key, None, ["areas", "footprints"], "none", None, None)
text = pio.to_json(fig, validate=False, engine="json")
out["first_s"] = time.perf_counter() - t0
out["figure_mb"] = len(text) / 1e6
out["areas_trace_mb"] = len(pio.to_json(fig["data"][index["areas"]], validate=False, engine="json")) / 1e6
if mode == "zoom":
    from tests.support.dash_http import flask_post, router_body
    client = app.server.test_client()
    t0 = time.perf_counter()
    status, data = flask_post(client)("/_dash-update-component", router_body("/", ""))
    out["page_s"] = time.perf_counter() - t0
    out["page_mb"] = len(data) / 1e6
    state = {{"place": home.current_place_key(place), "indicator": key, "footprint": None,
             "layers": ["areas", "footprints"], "basemap": "none"}}
    c = place.areas.geometry.to_crs(4326).union_all().centroid
    view = {{"zoom": 11.0, "center": {{"lon": c.x, "lat": c.y}}}}
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        patch, new_index = home.update_detail(view, index, state)
        body = json.dumps(patch.to_plotly_json())
        runs.append(time.perf_counter() - t0)
    out["zoom_in_ms"] = sorted(1000 * r for r in runs)
    out["zoom_in_mb"] = len(body) / 1e6
    ops = patch.to_plotly_json()["operations"]
    out["zoom_in_features"] = next(len(op["params"]["value"]) for op in ops
                                   if op["location"][-1] == "locations")
    wide = {{"zoom": 11.0, "coordinates": [[c.x - 2, c.y - 1.5], [c.x + 2, c.y + 1.5]]}}
    t0 = time.perf_counter()
    patch, _ = home.update_detail(wide, index, state)
    body = json.dumps(patch.to_plotly_json())
    out["wide_ms"] = 1000 * (time.perf_counter() - t0)
    out["wide_mb"] = len(body) / 1e6
    out["wide_features"] = next(len(op["params"]["value"]) for op in
                                patch.to_plotly_json()["operations"]
                                if op["location"][-1] == "locations")
    t0 = time.perf_counter()
    patch, _ = home.update_detail({{"zoom": 8.0}}, new_index, state)
    body = json.dumps(patch.to_plotly_json())
    out["zoom_out_ms"] = 1000 * (time.perf_counter() - t0)
    out["zoom_out_mb"] = len(body) / 1e6
    t0 = time.perf_counter()
    other = next(k for k in place.catalogue if k != key)
    patch, *_ = home.update_view(other, None, state["layers"], "none", new_index, state,
                                 trigger="home-indicator")
    out["indicator_zoomed_in_ms"] = 1000 * (time.perf_counter() - t0)
    out["indicator_zoomed_in_mb"] = len(json.dumps(patch.to_plotly_json())) / 1e6
    from plotly.utils import PlotlyJSONEncoder
    from layers.overlays import OVERLAYS
    for name in OVERLAYS:  # each overlay the first time it is switched on (cold)
        t0 = time.perf_counter()
        patch, built, status = home.update_overlays(["areas", name], index, {{}}, state)
        body = json.dumps(patch.to_plotly_json(), cls=PlotlyJSONEncoder)
        out[f"overlay_{{name}}_s"] = time.perf_counter() - t0
        out[f"overlay_{{name}}_mb"] = len(body) / 1e6
        out[f"overlay_{{name}}_traces"] = len(built[name])
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(mode: str, folder: Path) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", STEP.format(root=str(ROOT)), mode, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{mode} failed: {res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=33_000)
    args = parser.parse_args(argv)
    from benchmarks.synthetic import write_synthetic_sources
    from geo.build.pipeline import build_bundle

    with tempfile.TemporaryDirectory(prefix="hubplan-scale-map-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_synthetic_sources(folder, n_areas=args.areas)
        build_bundle(folder / "place.toml", folder / "place.gpkg")
        print(f"sources + bundle: {time.perf_counter() - t0:.1f} s", flush=True)
        zoom = run("zoom", folder)
        print("zoom", json.dumps(zoom), flush=True)
        full = run("full", folder)
        print("full", json.dumps(full), flush=True)


if __name__ == "__main__":
    main()
