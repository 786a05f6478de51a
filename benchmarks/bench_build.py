"""Benchmark: building a place bundle, against a plain-geopandas peer pipeline, same run.

The peer does the same joins with no checks: read the areas, merge every indicator column by
code, map footprints, read sites (postcodes merged on the normalised code), spatial-join sites
to areas, dissolve footprints and write the same layers to a GeoPackage. The ratio shows what
our validation, reporting and atomic write cost.

Each run happens in a fresh process (spawn) so peak RSS is per run.

    .venv/bin/python -m benchmarks.bench_build [--areas 33000] [--repeat 3] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _ours(config: str, out: str) -> float:
    from geo.build.pipeline import build_bundle

    t = time.perf_counter()
    build_bundle(config, out)
    return time.perf_counter() - t


def _peer(config: str, out: str) -> float:
    import geopandas as gpd
    import pandas as pd

    from geo.build.sites import normalise_postcode
    from geo.place.config import load_config

    cfg = load_config(config)
    t = time.perf_counter()
    areas = gpd.read_file(cfg.areas.path).to_crs(cfg.crs)
    areas = areas.rename(columns={cfg.areas.code: "code"})[["code", "geometry"]]
    for src in cfg.indicators:
        df = pd.read_csv(src.path, dtype={src.code: str})
        cols = {c.column: c.key for c in src.columns if c.column}
        df = df[[src.code, *cols]].rename(columns={src.code: "code", **cols})
        areas = areas.merge(df, on="code", how="left")
    fp = pd.read_csv(cfg.footprints.path, dtype=str)
    areas["footprint"] = areas["code"].map(fp.set_index(cfg.footprints.code)[cfg.footprints.name])
    frames = []
    for src in cfg.sites:
        df = pd.read_csv(src.path, dtype=str)
        if src.postcode:
            pc = pd.read_csv(cfg.postcodes.path, dtype={cfg.postcodes.postcode: str})
            pc["_pc"] = normalise_postcode(pc[cfg.postcodes.postcode])
            df["_pc"] = normalise_postcode(df[src.postcode])
            df = df.drop(columns=[cfg.postcodes.x, cfg.postcodes.y], errors="ignore").merge(
                pc[["_pc", cfg.postcodes.x, cfg.postcodes.y]], on="_pc"
            )
            pts = gpd.points_from_xy(
                df[cfg.postcodes.x].astype(float), df[cfg.postcodes.y].astype(float)
            )
            g = gpd.GeoDataFrame(df, geometry=pts, crs=cfg.postcodes.crs)
        elif src.lon:
            pts = gpd.points_from_xy(df[src.lon].astype(float), df[src.lat].astype(float))
            g = gpd.GeoDataFrame(df, geometry=pts, crs=4326)
        else:
            pts = gpd.points_from_xy(df[src.x].astype(float), df[src.y].astype(float))
            g = gpd.GeoDataFrame(df, geometry=pts, crs=src.crs)
        frames.append(g.to_crs(cfg.crs)[["geometry"]].assign(kind=src.kind))
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=cfg.crs)
    sites = gpd.sjoin(
        sites, areas[["code", "footprint", "geometry"]], how="left", predicate="within"
    )
    footprints = areas.dissolve("footprint").reset_index()[["footprint", "geometry"]]
    areas.to_file(out, layer="areas", driver="GPKG")
    footprints.to_file(out, layer="footprints", driver="GPKG")
    sites.drop(columns="index_right").to_file(out, layer="sites", driver="GPKG")
    return time.perf_counter() - t


def _child(fn_name: str, config: str, out: str, queue: mp.Queue) -> None:
    try:
        seconds = {"ours": _ours, "peer": _peer}[fn_name](config, out)
        queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    except BaseException as exc:
        queue.put(exc)
        raise


def run_once(fn_name: str, config: Path, out: Path) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn_name, str(config), str(out), queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join()
    if isinstance(result, BaseException):
        raise result
    out.unlink(missing_ok=True)
    return result


def measure(label: str, config: Path, folder: Path, repeat: int) -> list[str]:
    rows = []
    stats = {}
    for name in ("ours", "peer"):
        runs = [run_once(name, config, folder / f"{name}.gpkg") for _ in range(repeat)]
        secs = [r[0] for r in runs]
        stats[name] = (statistics.median(secs), max(r[1] for r in runs))
        print(
            f"{label} {name}: median {stats[name][0]:.2f} s over {repeat}, peak RSS {stats[name][1]:.0f} MiB",
            flush=True,
        )
    ratio = stats["ours"][0] / stats["peer"][0]
    rows.append(
        f"| {label} | {stats['ours'][0]:.2f} s | {stats['peer'][0]:.2f} s | {ratio:.2f}x | "
        f"{stats['ours'][1]:.0f} / {stats['peer'][1]:.0f} MiB |"
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=33_000, help="synthetic place size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data" / "wigan")
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    args = parser.parse_args(argv)

    from benchmarks.synthetic import write_synthetic_sources
    from tests.support.wigan import write_wigan_config

    rows = [
        "| place | hubplan build | plain geopandas peer | ratio (ours / peer) | peak RSS ours / peer |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.shared.is_dir():
            cfg = write_wigan_config(args.shared, tmp / "wigan")
            rows += measure("Wigan (200 areas, 135 schools by postcode)", cfg, tmp, args.repeat)
        else:
            print(f"skipping Wigan: {args.shared} not found", file=sys.stderr)
        t = time.perf_counter()
        cfg = write_synthetic_sources(tmp / "synthetic", n_areas=args.areas)
        print(f"synthetic sources written in {time.perf_counter() - t:.1f} s", flush=True)
        rows += measure(
            f"synthetic England ({args.areas:,} areas)", cfg, tmp, max(1, args.repeat - 1)
        )
    text = "\n".join(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
