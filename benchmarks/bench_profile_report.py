"""Benchmark: the printable profile report, per footprint (target: under 2 s warm).

Times, for each footprint of the demo (and of Wigan when ``../shared/data/wigan`` is there):

1. :func:`geo.indicators.contract.profile_contract` (the data);
2. the HTML from the Jinja2 template without the map;
3. the map SVG drawn from the polygons (:mod:`layers.report_map`; no browser);
4. the PDF printed by headless Chromium (:func:`layers.report.html_to_pdf`, a fresh
   Chromium each time).

    .venv/bin/python -m benchmarks.bench_profile_report [--repeat 3] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench_place(place, repeat: int) -> list[str]:
    from geo.indicators.contract import profile_contract
    from geo.indicators.footprint_profile import footprint_profile
    from layers.report import html_to_pdf, profile_report_html, report_charts

    lines = []
    first = place.footprint_names[0]
    t = time.perf_counter()
    report_charts(place, footprint_profile(place, first))
    lines.append(f"| {place.name} | (first map) | {time.perf_counter() - t:.2f} s |")
    for fp in place.footprint_names[:3]:
        c, _ = timed(lambda fp=fp: profile_contract(place, fp), repeat)
        h, _ = timed(lambda fp=fp: profile_report_html(place, fp, charts=False), repeat)
        prof = footprint_profile(place, fp)
        m, _ = timed(lambda prof=prof: report_charts(place, prof), repeat)
        text = profile_report_html(place, fp)
        p, _ = timed(lambda text=text: html_to_pdf(text), 1)
        lines.append(
            f"| {place.name} | {fp} | contract {c:.3f} s, HTML {h:.3f} s, map {m:.2f} s, "
            f"PDF print {p:.2f} s, total {h + m + p:.2f} s |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    from geo.build.places import open_place

    lines = ["| Place | Footprint | Median times |", "|---|---|---|"]
    lines += bench_place(open_place("demo"), args.repeat)
    shared = ROOT.parent / "shared" / "data" / "wigan"
    if shared.is_dir():
        import tempfile

        from geo.place.bundle import read_place
        from tests.support.bundles import wigan_bundle

        with tempfile.TemporaryDirectory() as tmp:
            lines += bench_place(read_place(wigan_bundle(shared, Path(tmp))), args.repeat)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
