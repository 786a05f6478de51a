"""The map's "Table of mapped values" at region scale: server-side blocks (dash-ag-grid's
infinite row model, ``hubplan/pages/_values_table.py``) against sending every row.

Writes ``benchmarks.synthetic`` sources (33,000 areas by default), builds the bundle, then
measures:

* ``all_rows_mb``: the JSON of every row, what a client-side grid would get with the page;
* ``block_mb``: the JSON of one block (100 rows), what the grid gets per request;
* ``first_block_s``, ``sorted_block_s``, ``filtered_block_s``, ``deep_block_s``: time to
  answer a ``getRowsRequest`` (worst first; sorted by name; filtered by footprint and value;
  rows 20,000-20,100), median of ``--repeat`` runs;
* ``download_csv_s`` / ``download_csv_mb``: "Download what you see" of every row as CSV.

Usage::

    .venv/bin/python benchmarks/bench_values_grid.py [--areas 33000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=33_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the figures as a Markdown table")
    args = parser.parse_args(argv)

    from benchmarks.synthetic import write_synthetic_sources
    from geo.build.pipeline import build_bundle
    from geo.build.places import open_place
    from geo.export import tabular
    from hubplan.pages._values_table import (
        BLOCK_SIZE,
        download_frame,
        grid_columns,
        rows_block,
        values_frame,
    )

    out: dict[str, object] = {"areas": args.areas}
    with tempfile.TemporaryDirectory(prefix="bench-values-") as tmp:
        folder = Path(tmp)
        write_synthetic_sources(folder, n_areas=args.areas, seed=5)
        t0 = time.perf_counter()
        build_bundle(folder / "place.toml", folder / "place.gpkg")
        out["build_s"] = round(time.perf_counter() - t0, 1)
        place = open_place(folder / "place.gpkg")
        key = place.default_indicator
        frame = values_frame(place, key)
        out["all_rows_mb"] = round(len(json.dumps(frame.to_dict("records"))) / 1e6, 2)
        fp = place.footprint_names[0]
        requests = {
            "first_block_s": {"startRow": 0, "endRow": BLOCK_SIZE},
            "sorted_block_s": {
                "startRow": 0,
                "endRow": BLOCK_SIZE,
                "sortModel": [{"colId": "name", "sort": "asc"}],
            },
            "filtered_block_s": {
                "startRow": 0,
                "endRow": BLOCK_SIZE,
                "filterModel": {
                    "footprint": {"filterType": "text", "type": "contains", "filter": fp},
                    "value": {"filterType": "number", "type": "greaterThan", "filter": 0},
                },
            },
            "deep_block_s": {"startRow": 20_000, "endRow": 20_000 + BLOCK_SIZE},
        }
        for name, request in requests.items():
            seconds, (rows, _count, _status) = timed(
                lambda request=request: rows_block(place, key, request), args.repeat
            )
            out[name] = round(seconds, 3)
            if name == "first_block_s":
                out["block_mb"] = round(len(json.dumps(rows)) / 1e6, 4)

        def download() -> bytes:
            shown, _note = download_frame(place, key)
            columns = grid_columns(place, key)
            columns[-1] = replace(columns[-1], key=key)  # the download names it by its key
            return tabular.csv_bytes(shown, columns)

        seconds, body = timed(download, max(1, args.repeat // 2))
        out["download_csv_s"] = round(seconds, 3)
        out["download_csv_mb"] = round(len(body) / 1e6, 2)
    print(json.dumps(out, indent=2))
    if args.out:
        lines = [
            "# Map values table at scale: server-side blocks vs every row",
            "",
            "`benchmarks/bench_values_grid.py`: the grid (dash-ag-grid, infinite row model) asks",
            "for 100-row blocks; a client-side grid would need every row with the page.",
            "",
            "| measure | value |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in out.items()],
            "",
        ]
        args.out.write_text("\n".join(lines), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
