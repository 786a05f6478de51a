"""Benchmark: footprint profiles.

1. **Aggregation at England scale**: every indicator of the demo catalogue (counts, weighted
   means, rates) aggregated from 33,000 synthetic areas to 300 footprints plus the total, with
   :func:`geo.indicators.aggregate.aggregate` against the naive peer most analysts write first: pandas
   ``groupby(...).apply`` with a per-group function computing each indicator by kind. Both
   results are checked equal before timing counts. Values and groups are random (synthetic).
2. **Profile page server time on Wigan** (target < 500 ms): the Dash Pages router request for
   ``/profile/<footprint>`` through the app's Flask test client (in process: the full Dash
   callback, layout building and JSON serialisation, no network), for every footprint; cold
   (first request after the place is opened) and warm. Needs ``../shared/data/wigan``
   (skipped otherwise). Also timed: :func:`geo.indicators.footprint_profile.footprint_profile` alone.

    .venv/bin/python -m benchmarks.bench_profiles [--areas 33000] [--repeat 7] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.indicators.aggregate import aggregate, aggregate_all  # noqa: E402
from geo.place.config import Indicator  # noqa: E402


def synthetic_values(catalogue: dict[str, Indicator], n_areas: int, n_groups: int, seed: int = 0):
    """Random area values for every catalogue key (counts >= 0, rates from num/den) + groups."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"S{i:06d}" for i in range(n_areas)], name="code")
    data = {}
    for key, ind in catalogue.items():
        if ind.kind == "count":
            data[key] = rng.poisson(300 if key == "population" else 40, n_areas).astype(float)
        elif ind.kind == "mean":
            data[key] = rng.normal(20, 8, n_areas)
    values = pd.DataFrame(data, index=index)
    for key, ind in catalogue.items():
        if ind.kind == "rate":
            values[key] = (
                ind.per
                * values[ind.numerator]
                / values[ind.denominator].where(values[ind.denominator] > 0)
            )
    # a few missing values, as in real data
    holes = rng.random((n_areas, len(values.columns))) < 0.002
    values = values.mask(holes)
    groups = pd.Series([f"F{g:03d}" for g in rng.integers(0, n_groups, n_areas)], index=index)
    return values[list(catalogue)], groups


def peer_aggregate(
    values: pd.DataFrame, catalogue: dict[str, Indicator], groups: pd.Series
) -> pd.DataFrame:
    """The naive peer: one Python function per group, computing each indicator by kind."""

    def one(df: pd.DataFrame) -> pd.Series:
        out = {}
        for key, ind in catalogue.items():
            if ind.kind == "count":
                out[key] = df[key].sum(min_count=1)
            elif ind.kind == "rate":
                ok = df[ind.numerator].notna() & df[ind.denominator].notna()
                den = df.loc[ok, ind.denominator].sum()
                out[key] = ind.per * df.loc[ok, ind.numerator].sum() / den if den else np.nan
            else:
                w = df[ind.weight] if ind.weight else pd.Series(1.0, index=df.index)
                ok = df[key].notna() & w.notna()
                sw = w[ok].sum()
                out[key] = (df.loc[ok, key] * w[ok]).sum() / sw if sw else np.nan
        return pd.Series(out)

    table = values.groupby(groups).apply(one)
    table.loc["All areas"] = one(values)
    return table


def ours(values, catalogue, groups) -> pd.DataFrame:
    table = aggregate(values, catalogue, groups)
    table.loc["All areas"] = aggregate_all(values, catalogue)
    return table


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and median CPU (this thread) seconds of ``fn()``, and its result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.thread_time()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
    return statistics.median(times), statistics.median(cpu), result


def bench_aggregation(n_areas: int, repeat: int) -> dict:
    from geo.build.places import open_place

    catalogue = open_place("demo").catalogue
    values, groups = synthetic_values(catalogue, n_areas, 300)
    t_ours, c_ours, a = timed(lambda: ours(values, catalogue, groups), repeat)
    t_peer, c_peer, b = timed(
        lambda: peer_aggregate(values, catalogue, groups), max(2, repeat // 2)
    )
    b = b.reindex(index=a.index, columns=a.columns).astype(float)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, equal_nan=True)
    return {
        "areas": n_areas,
        "groups": int(groups.nunique()),
        "indicators": len(catalogue),
        "ours_s": t_ours,
        "peer_s": t_peer,
        "ratio": t_peer / t_ours,
        "ours_cpu_s": c_ours,
        "peer_cpu_s": c_peer,
        "cpu_ratio": c_peer / c_ours,
    }


def wigan_bundle(folder: Path) -> Path | None:
    shared = Path(os.environ.get("HUBPLAN_SHARED_DATA", ROOT.parent / "shared" / "data" / "wigan"))
    if not shared.is_dir():
        return None
    from geo.build.pipeline import build_bundle
    from tests.support.wigan import write_wigan_config

    out = folder / "wigan.gpkg"
    build_bundle(write_wigan_config(shared, folder / "config"), out)
    return out


def bench_page(bundle: Path, repeat: int) -> dict:
    from geo.build.places import open_place
    from geo.indicators.footprint_profile import footprint_profile
    from hubplan.web import create_app
    from tests.support.dash_http import router_body

    app = create_app(place=str(bundle))
    client = app.server.test_client()
    client.get("/")
    client.get("/_dash-layout")
    place = open_place(bundle)
    names = place.footprint_names

    cpu: list[float] = []

    def request(name: str) -> tuple[float, int]:
        body = router_body(f"/profile/{quote(name)}", "")
        t, c = time.perf_counter(), time.thread_time()
        resp = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        dt = time.perf_counter() - t
        cpu.append(time.thread_time() - c)
        assert resp.status_code == 200, resp.status_code
        payload = resp.get_data()
        assert name.encode() in payload
        return dt, len(payload)

    # Warm the process (module imports) on the demo, so "cold" is this place's first request:
    # opening the bundle and computing its footprint table.
    demo = open_place("demo")
    body = router_body(f"/profile/{quote(demo.footprint_names[0])}", "?place=demo")
    client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    cold, _size = request(names[0])
    cold_cpu = cpu[-1]
    cpu.clear()
    warm, sizes = [], []
    for _ in range(repeat):
        for name in names:
            dt, n = request(name)
            warm.append(dt)
            sizes.append(n)
    engine = []
    for name in names:
        t = time.perf_counter()
        footprint_profile(place, name)
        engine.append(time.perf_counter() - t)
    warm.sort()
    return {
        "areas": len(place.areas),
        "footprints": len(names),
        "requests": len(warm),
        "cold_ms": cold * 1000,
        "p50_ms": statistics.median(warm) * 1000,
        "p95_ms": warm[int(0.95 * (len(warm) - 1))] * 1000,
        "max_ms": warm[-1] * 1000,
        "payload_kb": statistics.median(sizes) / 1000,
        "engine_p50_ms": statistics.median(engine) * 1000,
        "cold_cpu_ms": cold_cpu * 1000,
        "cpu_p50_ms": statistics.median(cpu) * 1000,
        "cpu_p95_ms": sorted(cpu)[int(0.95 * (len(cpu) - 1))] * 1000,
    }


def markdown(agg: dict, page: dict | None, command: str) -> str:
    lines = [
        "# Benchmarks: footprint profiles",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPU(s) (shared with other jobs while measured); "
        f"Python {sys.version.split()[0]}, pandas {pd.__version__}.",
        "",
        "## Aggregating every indicator to footprints (synthetic, target < 1 s)",
        "",
        f"{agg['areas']:,} synthetic areas (random values), {agg['groups']} footprints + the total, "
        f"{agg['indicators']} indicators of every kind (count, weighted mean, rate). Peer: pandas "
        "`groupby(...).apply` with a per-group function computing each indicator by kind (results "
        "checked equal). Median of repeated runs.",
        "",
        "| approach | wall time | CPU time | ratio (wall / CPU) |",
        "|---|---:|---:|---:|",
        f"| hubplan `geo.indicators.aggregate.aggregate` + `aggregate_all` | {agg['ours_s'] * 1000:,.0f} ms | "
        f"{agg['ours_cpu_s'] * 1000:,.0f} ms | 1.0 |",
        f"| peer: `groupby().apply` per footprint | {agg['peer_s'] * 1000:,.0f} ms | "
        f"{agg['peer_cpu_s'] * 1000:,.0f} ms | {agg['ratio']:.1f}x / {agg['cpu_ratio']:.1f}x slower |",
        "",
        f"Target < 1 s: {'met' if agg['ours_s'] < 1 else 'NOT met'} on wall time "
        f"({agg['ours_s'] * 1000:,.0f} ms), {'met' if agg['ours_cpu_s'] < 1 else 'NOT met'} on CPU time "
        f"({agg['ours_cpu_s'] * 1000:,.0f} ms). CPU time (this thread) is what the code costs; wall "
        "time also counts waiting for the CPU on this shared machine.",
        "",
        "## Profile page server time, real Wigan (target < 500 ms)",
        "",
    ]
    if page is None:
        lines.append("Skipped: ../shared/data/wigan not found.")
    else:
        lines += [
            f"Wigan: {page['areas']} areas, {page['footprints']} test footprints. The Dash Pages router "
            "request for `/profile/<footprint>` through the app's Flask test client (in process, "
            "no network): the callback, building the page (profile data, spine chart, charts, "
            f"map, sites table) and JSON serialisation. {page['requests']} warm requests.",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| first request for the place (opens it, computes the footprint table) | {page['cold_ms']:,.0f} ms |",
            f"| warm p50 | {page['p50_ms']:,.0f} ms |",
            f"| warm p95 | {page['p95_ms']:,.0f} ms |",
            f"| warm max | {page['max_ms']:,.0f} ms |",
            f"| CPU time: first request / warm p50 / warm p95 | {page['cold_cpu_ms']:,.0f} / "
            f"{page['cpu_p50_ms']:,.0f} / {page['cpu_p95_ms']:,.0f} ms |",
            f"| `footprint_profile()` alone (computing the footprint table too), p50 | {page['engine_p50_ms']:,.0f} ms |",
            f"| response payload, median | {page['payload_kb']:,.0f} kB |",
            "",
            f"Target < 500 ms: wall-clock warm p95 {'met' if page['p95_ms'] < 500 else 'NOT met'}, "
            f"first request {'met' if page['cold_ms'] < 500 else 'NOT met'}; CPU time warm p95 "
            f"{'met' if page['cpu_p95_ms'] < 500 else 'NOT met'}, first request "
            f"{'met' if page['cold_cpu_ms'] < 500 else 'NOT met'}. The machine ran other jobs during the run "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end), which inflates "
            "every time here.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=33_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_profiles.md"))
    args = parser.parse_args(argv)
    agg = bench_aggregation(args.areas, args.repeat)
    print(
        f"aggregation: ours {agg['ours_s']:.3f} s (cpu {agg['ours_cpu_s']:.3f}), peer {agg['peer_s']:.3f} s "
        f"({agg['ratio']:.1f}x)"
    )
    with tempfile.TemporaryDirectory(prefix="hubplan-bench-") as tmp:
        bundle = wigan_bundle(Path(tmp))
        page = bench_page(bundle, max(2, args.repeat // 2)) if bundle else None
    if page:
        print(
            f"profile page: cold {page['cold_ms']:.0f} ms, warm p50 {page['p50_ms']:.0f} ms, "
            f"p95 {page['p95_ms']:.0f} ms; cpu p50 {page['cpu_p50_ms']:.0f} ms, p95 {page['cpu_p95_ms']:.0f} ms"
        )
    command = ".venv/bin/python -m benchmarks.bench_profiles " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    text = markdown(agg, page, command.strip())
    from geo.place.bundle import atomic_write

    out = Path(args.out)
    atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), suffix=".md")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
