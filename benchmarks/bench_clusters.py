"""Benchmark: footprint design methods, contiguity and hot spots.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_clusters [--out benchmarks/results_clusters.md] [--skip-33k]

1. Methods against each other (K=7, balanced on children aged 0-17) on the demo and, when
   ``../shared/data/wigan`` is present, on real Wigan: hubplan ``grow`` vs PySAL spopt SKATER,
   AZP, spatially constrained Ward (raw, and followed by hubplan's balancing local search) and
   max-p (threshold = total / K; it chooses its own number of regions). Balance = largest
   deviation of a footprint's children from the mean; compactness = mean Polsby-Popper and
   convex-hull ratio of the dissolved footprints; contiguity checked with an independent
   shapely adjacency.
2. A 33,000-area synthetic England-size place (:mod:`benchmarks.synthetic`): contiguity
   (hubplan vs libpysal ``Rook.from_dataframe``), K=7 and K=300 footprints, hot spots (Gi*
   and local Moran's I, 999 permutations) on 33,000 areas.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from geo.build.pipeline import build_place
from geo.build.places import open_place
from geo.clusters.compactness import convex_hull_ratio, polsby_popper
from geo.clusters.contiguity import rook_contiguity
from geo.clusters.footprint_sets import dissolve
from geo.clusters.hotspots import hotspots
from geo.clusters.regionalize import regionalize
from geo.place.config import load_config

KEY = "children_0_17"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "wigan"


def _metrics(place, assignment: pd.Series) -> dict[str, float]:
    totals = place.areas[KEY].groupby(assignment.reindex(place.areas.index).to_numpy()).sum()
    polys = dissolve(place.areas, assignment)
    # parts bigger than 100 m² (real boundaries leave tiny slivers when dissolved)
    parts = polys.geometry.apply(lambda g: sum(p.area > 100 for p in getattr(g, "geoms", [g])))
    return {
        "footprints": len(totals),
        "max_dev_pct": float(100 * (totals / totals.mean() - 1).abs().max()),
        "polsby_popper": float(polsby_popper(polys.geometry).mean()),
        "hull_ratio": float(convex_hull_ratio(polys.geometry).mean()),
        "contiguous": bool((parts == 1).all()),
    }


def _maxp(place, contiguity, k: int) -> pd.Series:
    from libpysal.weights import WSP
    from spopt.region import MaxPHeuristic

    w = WSP((contiguity.matrix > 0).astype(float).tocsr()).to_W(silence_warnings=True)
    cent = place.areas.geometry.centroid
    xy = np.column_stack([cent.x, cent.y])
    z = (xy - xy.mean(0)) / xy.std(0)
    df = pd.DataFrame({"cx": z[:, 0], "cy": z[:, 1], KEY: place.areas[KEY].to_numpy(float)})
    threshold = float(df[KEY].sum()) / k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MaxPHeuristic(
            df, w, ["cx", "cy"], KEY, threshold, top_n=2, max_iterations_construction=3,
            max_iterations_sa=1, verbose=False,
        )  # fmt: skip
        model.solve()
    return pd.Series(
        [f"R{int(x)}" for x in model.labels_], index=place.areas.index.astype(str), name="footprint"
    )


def methods_table(place, label: str, *, k: int = 7) -> pd.DataFrame:
    contiguity = rook_contiguity(place.areas.geometry)
    rows = []
    runs = [("grow (hubplan)", "grow", True)]
    for m in ("skater", "azp", "ward"):
        runs += [(f"{m} (spopt)", m, False), (f"{m} (spopt) + hubplan local search", m, True)]
    for name, method, refine in runs:
        t = time.perf_counter()
        r = regionalize(
            place, k=k, balance=KEY, method=method, refine=refine, contiguity=contiguity
        )
        rows.append(
            {"place": label, "method": name, "seconds": time.perf_counter() - t}
            | _metrics(place, r.assignment)
        )
        print(
            f"  {label:10} {name:42} {rows[-1]['seconds']:7.2f}s  dev {rows[-1]['max_dev_pct']:.1f}%",
            flush=True,
        )
    t = time.perf_counter()
    a = _maxp(place, contiguity, k)
    rows.append({"place": label, "method": "max-p (spopt), threshold = total/K, 3 constructions, 1 SA run", "seconds": time.perf_counter() - t}
                | _metrics(place, a))  # fmt: skip
    print(f"  {label:10} max-p {rows[-1]['seconds']:.2f}s", flush=True)
    return pd.DataFrame(rows)


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}")
            else:
                cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def big_place(folder: Path, n: int) -> tuple[object, dict[str, float]]:
    from benchmarks.synthetic import write_synthetic_sources

    times = {}
    t = time.perf_counter()
    toml = write_synthetic_sources(folder, n_areas=n)
    times["write synthetic sources"] = time.perf_counter() - t
    t = time.perf_counter()
    place = build_place(load_config(toml))
    times["build place"] = time.perf_counter() - t
    return place, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results_clusters.md")
    parser.add_argument("--skip-33k", action="store_true")
    parser.add_argument("--n", type=int, default=33_000, help="areas in the synthetic place")
    args = parser.parse_args(argv)
    command = (
        "python -m benchmarks.bench_clusters"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )

    sections = []
    print("methods on the demo", flush=True)
    tables = [methods_table(open_place("demo"), "demo")]
    if SHARED.is_dir():
        from tests.support.wigan import write_wigan_config

        with tempfile.TemporaryDirectory() as tmp:
            wigan = build_place(load_config(write_wigan_config(SHARED, Path(tmp))))
        print("methods on Wigan", flush=True)
        tables.append(methods_table(wigan, "Wigan"))
        t = time.perf_counter()
        r = regionalize(wigan, k=7, balance=KEY)
        grow_s = time.perf_counter() - t
        t = time.perf_counter()
        regionalize(wigan, k=7, balance=KEY, method="ward", refine=False)
        ward_s = time.perf_counter() - t
        sections.append(
            f"### Wigan K=7 by children (target < 5 s)\n\nhubplan grow: **{grow_s:.2f} s** "
            f"(contiguity included), largest deviation {100 * r.max_deviation():.1f}% "
            f"(target ±10%); spopt Ward alone: {ward_s:.2f} s (ratio grow/ward {grow_s / ward_s:.1f}x, "
            f"but Ward alone is {tables[-1].set_index('method').loc['ward (spopt)', 'max_dev_pct']:.0f}% off balance)."
        )
    methods = pd.concat(tables, ignore_index=True)
    sections.insert(
        0,
        "### Methods against each other (K=7, balanced on children aged 0-17)\n\n"
        "max_dev_pct = largest deviation of a footprint's children from the mean; polsby_popper and "
        "hull_ratio = mean compactness of the dissolved footprints (1 = disc / convex); contiguous = "
        "every footprint is one polygon (ignoring slivers under 100 m²). spopt methods cluster the area centres (compactness); "
        "'+ hubplan local search' balances their result.\n\n" + _md(methods),
    )

    if not args.skip_33k:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"synthetic place with {args.n} areas", flush=True)
            place, times = big_place(Path(tmp), args.n)
        rows = [{"step": k, "seconds": v} for k, v in times.items()]
        t = time.perf_counter()
        contiguity = rook_contiguity(place.areas.geometry)
        ours = time.perf_counter() - t
        rows.append({"step": "contiguity: hubplan rook_contiguity", "seconds": ours})
        from libpysal.weights import Rook

        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Rook.from_dataframe(place.areas[["geometry"]], use_index=True)
        peer = time.perf_counter() - t
        rows.append(
            {
                "step": f"contiguity: libpysal Rook.from_dataframe (peer; {peer / ours:.1f}x ours)",
                "seconds": peer,
            }
        )
        ours_pairs = {(a, b) for a, nb in contiguity.to_dict().items() for b in nb}
        peer_pairs = {(str(a), str(b)) for a, nb in w.neighbors.items() for b in nb}
        only_peer = peer_pairs - ours_pairs
        geoms = place.areas.geometry
        short = [geoms[a].boundary.intersection(geoms[b].boundary).length for a, b in only_peer]
        agree = (
            f"{len(ours_pairs & peer_pairs) // 2:,} neighbour pairs in common; {len(only_peer) // 2} "
            f"pairs only in libpysal (sharing at most {max(short, default=0):.2f} m of boundary, below "
            f"hubplan's 1 m tolerance); {len(ours_pairs - peer_pairs) // 2} pairs only in hubplan"
        )
        for k in (7, 300):
            t = time.perf_counter()
            r = regionalize(place, k=k, balance=KEY, contiguity=contiguity)
            s = time.perf_counter() - t
            m = _metrics(place, r.assignment)
            rows.append({"step": f"regionalize grow K={k} (dev {m['max_dev_pct']:.1f}%, "
                                 f"PP {m['polsby_popper']:.2f}, contiguous {m['contiguous']})", "seconds": s})  # fmt: skip
            print(f"  K={k} {s:.1f}s", flush=True)
        t = time.perf_counter()
        r = regionalize(
            place, k=300, balance=KEY, contiguity=contiguity, method="ward", refine=False
        )
        s = time.perf_counter() - t
        m = _metrics(place, r.assignment)
        rows.append({"step": f"peer: spopt Ward K=300 alone (dev {m['max_dev_pct']:.1f}%, PP {m['polsby_popper']:.2f})",
                     "seconds": s})  # fmt: skip
        for method in ("gi", "moran"):
            t = time.perf_counter()
            h = hotspots(
                place, indicator="imd_score", method=method, permutations=999, contiguity=contiguity
            )
            s = time.perf_counter() - t
            c = h.counts()
            rows.append({"step": f"hotspots {method} 999 permutations + FDR (hot {c['hot']}, cold {c['cold']})",
                         "seconds": s})  # fmt: skip
            print(f"  hotspots {method} {s:.1f}s", flush=True)
        sections.append(
            f"### Synthetic England-size place ({len(place.areas):,} areas; targets: K design < 60 s, "
            f"hot spots < 10 s)\n\nContiguity against libpysal: {agree}. Contiguity is computed once "
            "and passed in to the K and hot-spot rows below.\n\n" + _md(pd.DataFrame(rows))
        )

    cpu = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text = (
        "# Benchmarks: clusters (footprint design, contiguity, hot spots)\n\n"
        f"Command: `{command}` (from the repository root, `.venv/bin/python`)\n\n"
        f"Machine: {platform.machine()}, {cpu} cores shared with other jobs (load average {load:.1f} "
        f"at the end), Python {platform.python_version()}. Times are wall-clock seconds of one run.\n\n"
        + "\n\n".join(sections)
        + "\n"
    )
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
