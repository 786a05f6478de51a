"""Scale benchmark: a synthetic region of 33k areas, and isochrones on a ~1M-node network.

Part 1 (areas): writes ``benchmarks.synthetic`` sources (33,000 LSOA-like areas by default),
then in separate processes (so each peak RSS is its own): builds the bundle, opens it, and
builds the map page's full figure (the choropleth every area) measuring its JSON size.

Part 2 (network): builds a synthetic street grid of ``--grid`` x ``--grid`` nodes (1000 x 1000
= 1,000,000 nodes, ~2M segments, 100 m blocks, 100 km x 100 km) directly as the engine's
node/edge tables, makes the walking graph (:meth:`geo.network.graph.ModeGraph.from_tables`), and
times :func:`geo.network.isochrones.network_isochrones` for one hub with 5/10/15/20-minute bands,
against the osmnx-style peer (networkx ``ego_graph`` + buffered reached edges) on the same
graph.

Part 3 (``--bundle-network``): the whole pipeline: the same region with a ``--grid`` street
grid spread over it written as an osmnx-layout GeoPackage, used as the place's ``[network]
source``, built into a bundle and opened (time, peak RSS), then ``geo.network.isochrones.isochrones``
for hubs at the first sites.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [--areas 33000] [--grid 1000] [--repeat 7]
        [--skip-areas] [--skip-network] [--bundle-network] [--out benchmarks/results_scale.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
step, folder = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
extra = {{}}
if step == "build":
    from geo.build.pipeline import build_bundle
    build_bundle(folder + "/place.toml", folder + "/place.gpkg")
elif step == "open":
    from geo.place.bundle import read_place
    place = read_place(folder + "/place.gpkg")
    extra["areas"] = len(place.areas)
elif step == "open_iso":
    import numpy as np
    import geopandas as gpd
    from geo.place.bundle import read_place
    from geo.network.isochrones import isochrones
    place = read_place(folder + "/place.gpkg")
    extra["open_s"] = time.perf_counter() - t0
    extra["nodes"] = len(place.tables["network_nodes"])
    hubs = place.sites.geometry.iloc[:8]
    t1 = time.perf_counter()
    isochrones(place, gpd.GeoSeries([hubs.iloc[0]], crs=place.crs), mode="walk")
    extra["first_iso_s"] = time.perf_counter() - t1
    runs = []
    for g in hubs.iloc[1:]:
        t1 = time.perf_counter()
        isochrones(place, gpd.GeoSeries([g], crs=place.crs), mode="walk")
        runs.append(time.perf_counter() - t1)
    extra["iso_ms"] = sorted(1000 * r for r in runs)
elif step == "figure":
    from hubplan.web import create_app
    from geo.place.bundle import read_place
    place = read_place(folder + "/place.gpkg")
    create_app(place=folder + "/place.gpkg")
    import importlib
    import plotly.io as pio
    home = importlib.import_module("hubplan.pages.home")
    t0 = time.perf_counter()
    fig, _ = home.build_figure(place, place.default_indicator, None, ["areas", "footprints"], "none", None, None)
    text = pio.to_json(fig, validate=False, engine="json")
    extra["figure_mb"] = len(text) / 1e6
    # What zoom-dependent display would send instead: coarser geometry, or footprints only.
    from layers.geometry import display_geojson
    sizes = []
    for layer, tol in (("areas", 20.0), ("areas", 100.0), ("areas", 300.0), ("footprints", 300.0)):
        t1 = time.perf_counter()
        gj = display_geojson(place, layer, tolerance_m=tol)
        sizes.append([layer, tol, len(gj["features"]), len(json.dumps(gj)) / 1e6, time.perf_counter() - t1])
    extra["geojson"] = sizes
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": dt, "peak_mib": peak, **extra}}))
"""


def run_step(step: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP.format(root=str(ROOT)), step, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{step} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_areas(n_areas: int) -> dict:
    from benchmarks.synthetic import write_synthetic_sources

    with tempfile.TemporaryDirectory(prefix="hubplan-scale-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_synthetic_sources(folder, n_areas=n_areas)
        sources_s = time.perf_counter() - t0
        build = run_step("build", folder)
        size_mb = (folder / "place.gpkg").stat().st_size / 1e6
        opened = run_step("open", folder)
        figure = run_step("figure", folder)
    return {
        "n_areas": n_areas,
        "sources_s": sources_s,
        "build": build,
        "bundle_mb": size_mb,
        "open": opened,
        "figure": figure,
    }


def bench_bundle_network(n_areas: int, grid: int) -> dict:
    """Build and open a 33k-area place whose network is a ``grid`` x ``grid`` street grid."""
    import geopandas as gpd
    import shapely

    from benchmarks.synthetic import BOX, write_synthetic_sources

    with tempfile.TemporaryDirectory(prefix="hubplan-scale-net-") as tmp:
        folder = Path(tmp)
        write_synthetic_sources(folder, n_areas=n_areas)
        x0, y0, x1, _y1 = BOX
        spacing = (x1 - x0) / (grid - 1)
        t0 = time.perf_counter()
        nodes, edges = grid_tables(grid, spacing=spacing, origin=(x0, y0))
        gpd.GeoDataFrame(
            {"osmid": nodes["node_id"] + 1},
            geometry=shapely.points(nodes[["x", "y"]].to_numpy()),
            crs="EPSG:27700",
        ).to_file(folder / "grid.gpkg", layer="nodes", engine="pyogrio")
        gpd.GeoDataFrame(
            {
                "u": edges["u"] + 1,
                "v": edges["v"] + 1,
                "highway": edges["highway"],
                "maxspeed": edges["maxspeed"],
                "oneway": np.zeros(len(edges), bool),
            },
            geometry=edges.geometry,
            crs="EPSG:27700",
        ).to_file(folder / "grid.gpkg", layer="edges", engine="pyogrio")
        write_s = time.perf_counter() - t0
        with (folder / "place.toml").open("a") as f:
            f.write('\n[network]\nsource = "grid.gpkg"\n')
        build = run_step("build", folder)
        opened = run_step("open_iso", folder)
        size_mb = (folder / "place.gpkg").stat().st_size / 1e6
    return {
        "grid": grid,
        "spacing_m": spacing,
        "write_network_s": write_s,
        "build": build,
        "open": opened,
        "bundle_mb": size_mb,
    }


def grid_tables(
    n: int, spacing: float = 100.0, origin: tuple[float, float] = (400_000.0, 300_000.0)
):
    """Nodes and edges of an ``n`` x ``n`` street grid in the engine's bundle-table layout."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    ids = np.arange(n * n, dtype="int64")
    x = (ids % n) * spacing + origin[0]
    y = (ids // n) * spacing + origin[1]
    nodes = pd.DataFrame({"node_id": ids, "x": x, "y": y})
    right = ids[(ids % n) < n - 1]
    up = ids[ids < n * (n - 1)]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + n])
    coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    geoms = shapely.linestrings(coords)
    m = len(u)
    edges = gpd.GeoDataFrame(
        {
            "u": u,
            "v": v,
            "length_m": np.full(m, spacing),
            "highway": np.full(m, "residential", dtype=object),
            "maxspeed": np.full(m, "", dtype=object),
            "walk": np.ones(m, bool),
            "cycle": np.ones(m, bool),
            "drive_fwd": np.ones(m, bool),
            "drive_bwd": np.ones(m, bool),
            "drive_kmh": np.full(m, 30.0),
        },
        geometry=geoms,
        crs="EPSG:27700",
    )
    return nodes, edges


def peer_isochrone(
    graph_nx, centre_node: int, node_xy: np.ndarray, minutes: list[float], speed_ms: float
):
    """osmnx-example style: ego_graph by travel time, buffer the reached edges, per band."""
    import networkx as nx
    import shapely

    out = []
    for m in minutes:
        sub = nx.ego_graph(graph_nx, centre_node, radius=m * 60.0, distance="time")
        lines = [shapely.LineString([node_xy[a], node_xy[b]]) for a, b in sub.edges()]
        out.append(shapely.union_all(shapely.buffer(np.asarray(lines, dtype=object), 50.0)))
    return out


def bench_network(n: int, repeat: int) -> dict:
    import networkx as nx

    from geo.network.graph import ModeGraph
    from geo.network.isochrones import network_isochrones

    t0 = time.perf_counter()
    nodes, edges = grid_tables(n)
    tables_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph = ModeGraph.from_tables(nodes, edges, mode="walk", speed_kmh=4.8)
    graph_s = time.perf_counter() - t0
    minutes = [5.0, 10.0, 15.0, 20.0]
    rng = np.random.default_rng(0)
    centre = np.array([400_000.0 + n * 50.0, 300_000.0 + n * 50.0])
    spread = min(20_000.0, 0.3 * n * 100.0)  # hubs well inside the grid
    hubs = [centre + rng.uniform(-spread, spread, 2) for _ in range(repeat + 1)]
    t0 = time.perf_counter()
    network_isochrones(graph, hubs[0], minutes=minutes)  # first call: lazy parts (tree, flags)
    first_s = time.perf_counter() - t0
    ours = []
    areas = []
    for xy in hubs[1:]:
        t0 = time.perf_counter()
        polys, _ = network_isochrones(graph, xy, minutes=minutes)
        ours.append(time.perf_counter() - t0)
        areas.append(polys[-1].area / 1e6)
    # Peer on a networkx copy of the same grid (built outside the timing).
    node_xy = nodes[["x", "y"]].to_numpy()
    t0 = time.perf_counter()
    g = nx.Graph()
    sec = (edges["length_m"].to_numpy() / (4.8 / 3.6)).tolist()
    g.add_weighted_edges_from(
        zip(edges["u"].tolist(), edges["v"].tolist(), sec, strict=True), weight="time"
    )
    peer_build_s = time.perf_counter() - t0
    peer = []
    for xy in hubs[1 : 1 + max(3, repeat // 2)]:
        c = int(np.argmin(((node_xy - xy) ** 2).sum(axis=1)))
        t0 = time.perf_counter()
        peer_isochrone(g, c, node_xy, minutes, 4.8 / 3.6)
        peer.append(time.perf_counter() - t0)
    return {
        "n_nodes": len(nodes),
        "n_edges": len(edges),
        "tables_s": tables_s,
        "graph_s": graph_s,
        "first_s": first_s,
        "ours_p50_ms": 1000 * statistics.median(ours),
        "ours_best_ms": 1000 * min(ours),
        "ours_max_ms": 1000 * max(ours),
        "runs": len(ours),
        "band20_km2": statistics.median(areas),
        "peer_build_s": peer_build_s,
        "peer_p50_ms": 1000 * statistics.median(peer),
        "peer_runs": len(peer),
    }


def report(args, areas: dict | None, net: dict | None, bundled: dict | None = None) -> str:
    cmd = f".venv/bin/python benchmarks/bench_scale.py --areas {args.areas} --grid {args.grid} --repeat {args.repeat}"
    lines = [
        "# Scale benchmark: a region of 33k areas and a ~1M-node network",
        "",
        f"Command: `{cmd}`",
        "",
        "2-core machine shared with other jobs; peak memory is each step's own process peak RSS.",
    ]
    if areas:
        b, o, f = areas["build"], areas["open"], areas["figure"]
        lines += [
            "",
            f"## {areas['n_areas']:,} synthetic areas (benchmarks/synthetic.py)",
            "",
            "| step | time | peak RSS |",
            "|---|---:|---:|",
            f"| write sources | {areas['sources_s']:.1f} s | |",
            f"| build bundle (`geo.build.pipeline.build_bundle`) | {b['seconds']:.1f} s | {b['peak_mib']:.0f} MiB |",
            f"| open bundle (`read_place`) | {o['seconds']:.2f} s | {o['peak_mib']:.0f} MiB |",
            f"| map page figure, every area at full detail | {f['seconds']:.1f} s | {f['peak_mib']:.0f} MiB |",
            "",
            f"Bundle {areas['bundle_mb']:.0f} MB; the full-detail map figure is "
            f"**{f['figure_mb']:.1f} MB of JSON** sent to the browser.",
            "",
            "Geometry sizes for zoom-dependent display (`layers.geometry.display_geojson`, "
            "coverage simplification in metres):",
            "",
            "| layer | tolerance | features | GeoJSON | time to build |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {layer} | {tol:g} m | {n:,} | {mb:.1f} MB | {sec:.1f} s |"
            for layer, tol, n, mb, sec in f.get("geojson", [])
        ]
    if net:
        ratio = net["peer_p50_ms"] / net["ours_p50_ms"]
        lines += [
            "",
            f"## Isochrones on a {net['n_nodes']:,}-node street grid ({net['n_edges']:,} segments)",
            "",
            "| step | time |",
            "|---|---:|",
            f"| make node/edge tables | {net['tables_s']:.1f} s |",
            f"| walking graph (`ModeGraph.from_tables`), once | {net['graph_s']:.1f} s |",
            f"| first isochrone (lazy indexes built) | {net['first_s']:.1f} s |",
            f"| **isochrone, 4 bands (5/10/15/20 min walk), one hub: p50 of {net['runs']}** | "
            f"**{net['ours_p50_ms']:.0f} ms** (best {net['ours_best_ms']:.0f}, max {net['ours_max_ms']:.0f}; target < 200 ms) |",
            f"| peer: networkx ego_graph + buffered edges, p50 of {net['peer_runs']} | "
            f"{net['peer_p50_ms']:.0f} ms ({ratio:.1f}x ours) |",
            "",
            f"20-minute band {net['band20_km2']:.2f} km² (median). The networkx graph for the peer "
            f"took {net['peer_build_s']:.1f} s to build (not timed in the peer's runs).",
        ]
    if bundled:
        b, o = bundled["build"], bundled["open"]
        iso = o["iso_ms"]
        lines += [
            "",
            f"## The {args.areas:,}-area place with a {o['nodes']:,}-node network, through the bundle",
            "",
            f"Street grid {bundled['grid']} x {bundled['grid']} at {bundled['spacing_m']:.0f} m over the "
            "synthetic region, written as an osmnx-layout GeoPackage and built like any place.",
            "",
            "| step | time | peak RSS |",
            "|---|---:|---:|",
            f"| write the network GeoPackage | {bundled['write_network_s']:.1f} s | |",
            f"| build bundle incl. network | {b['seconds']:.1f} s | {b['peak_mib']:.0f} MiB |",
            f"| open bundle (`read_place`) | {o['open_s']:.1f} s | {o['peak_mib']:.0f} MiB (incl. isochrones) |",
            f"| first isochrone (graph built) | {o['first_iso_s']:.1f} s | |",
            f"| isochrone, 4 bands, one hub (`geo.network.isochrones.isochrones`), median of {len(iso)} | "
            f"{statistics.median(iso):.0f} ms (min {min(iso):.0f}, max {max(iso):.0f}) | |",
            "",
            f"Bundle {bundled['bundle_mb']:.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scale benchmark (33k areas, ~1M-node network).")
    parser.add_argument("--areas", type=int, default=33_000)
    parser.add_argument("--grid", type=int, default=1000, help="grid side: nodes = grid^2")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-areas", action="store_true")
    parser.add_argument("--skip-network", action="store_true")
    parser.add_argument(
        "--bundle-network",
        action="store_true",
        help="also build and open the 33k-area place with the grid as its network",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_scale.md"))
    args = parser.parse_args(argv)
    areas = None if args.skip_areas else bench_areas(args.areas)
    if areas:
        print(json.dumps(areas), file=sys.stderr)
    net = None if args.skip_network else bench_network(args.grid, args.repeat)
    if net:
        print(json.dumps(net), file=sys.stderr)
    bundled = bench_bundle_network(args.areas, args.grid) if args.bundle_network else None
    if bundled:
        print(json.dumps(bundled), file=sys.stderr)
    text = report(args, areas, net, bundled)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
