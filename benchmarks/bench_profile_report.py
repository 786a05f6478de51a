"""Benchmark: the printable profile report, per footprint (target: under 2 s warm).

Times, for each footprint of the demo (and of Wigan when ``../shared/data/wigan`` is there):

1. :func:`geo.indicators.contract.profile_contract` (the data);
2. the HTML from the Jinja2 template without the map;
3. the map SVG drawn from the polygons (:mod:`layers.report_map`; no browser);
4. the PDF printed by the process's long-lived export Chromium (:func:`layers.report.html_to_pdf`,
   DevTools ``Page.printToPDF``; warm: timed after one warm-up print), and, in the same run, the
   peer: a fresh ``chromium --print-to-pdf`` process per report
   (:func:`layers.report.html_to_pdf_fresh`).

Peak memory: the proportional set size (PSS: shared pages split between processes) of the
Chromium processes (the browser and its renderer, GPU and utility children), summed, sampled
every 100 ms while each route prints, and this Python process's own peak RSS.

    .venv/bin/python -m benchmarks.bench_profile_report [--repeat 3] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


class ChromiumMemory:
    """Peak summed PSS (MiB) of the Chromium processes under this process while active."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> float:
        import psutil

        total = 0
        for proc in self._me.children(recursive=True):
            try:
                if "chrom" in proc.name().lower():
                    # PSS: shared pages split between the processes (summed RSS double counts).
                    total += proc.memory_full_info().pss
            except psutil.Error:
                continue
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._sample())
            time.sleep(0.1)

    def __enter__(self) -> ChromiumMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_place(place, repeat: int, memory: dict[str, float]) -> list[str]:
    from geo.indicators.contract import profile_contract
    from geo.indicators.footprint_profile import footprint_profile
    from layers.report import html_to_pdf, html_to_pdf_fresh, profile_report_html, report_charts

    lines = []
    for fp in place.footprint_names[:3]:
        c, _ = timed(lambda fp=fp: profile_contract(place, fp), repeat)
        h, _ = timed(lambda fp=fp: profile_report_html(place, fp, charts=False), repeat)
        prof = footprint_profile(place, fp)
        m, _ = timed(lambda prof=prof: report_charts(place, prof), repeat)
        text = profile_report_html(place, fp)
        with ChromiumMemory() as mem:
            warm, pdf = timed(lambda text=text: html_to_pdf(text), repeat)
        memory["warm"] = max(memory["warm"], mem.peak_mib)
        with ChromiumMemory() as mem:
            fresh, _ = timed(lambda text=text: html_to_pdf_fresh(text), repeat)
        memory["fresh"] = max(memory["fresh"], mem.peak_mib)
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
        # The HTML step builds the contract itself: a report costs HTML + map + PDF.
        lines.append(
            f"| {place.name} | {fp} | {c:.3f} | {h:.3f} | {m:.3f} | {warm:.2f} | "
            f"**{h + m + warm:.2f}** | {fresh:.2f} | {h + m + fresh:.2f} | {fresh / warm:.1f}x |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    from geo.build.places import open_place
    from layers import report, static

    load_start = os.getloadavg()
    demo = open_place("demo")
    # Start the shared browser and print once (warm-up, timed apart).
    first_text = report.profile_report_html(demo, demo.footprint_names[0])
    t = time.perf_counter()
    report.html_to_pdf(first_text)
    first_s = time.perf_counter() - t

    memory = {"warm": 0.0, "fresh": 0.0}
    rows = bench_place(demo, args.repeat, memory)
    shared = ROOT.parent / "shared" / "data" / "wigan"
    if shared.is_dir():
        import tempfile

        from geo.place.bundle import read_place
        from tests.support.bundles import wigan_bundle

        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_place(read_place(wigan_bundle(shared, Path(tmp))), args.repeat, memory)
    load_end = os.getloadavg()
    starts = static.server_starts
    py_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Profile report (PDF) benchmark",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_profile_report --repeat {args.repeat}`",
        "",
        f"Run {when}. Machine: {os.cpu_count()} cores shared with other engineers' jobs; "
        f"1-minute load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end; "
        f"Python {platform.python_version()}, Debian Chromium.",
        "",
        "Target (issue 15): under 2 s per footprint with the export server warm. **Warm**: the "
        "PDF is printed by the process's one long-lived headless Chromium (`layers.browser`: "
        "a kaleido browser kept open, DevTools `Page.printToPDF` in a new tab), the same "
        "browser that renders map images; timed after a warm-up print. **Fresh** (the earlier "
        "route, measured in the same run): a new `chromium --headless --print-to-pdf` process "
        f"per report. Median of {args.repeat} prints each; contract, HTML (without the map) "
        "and map SVG are medians too. A report's total is HTML (which builds the contract "
        "itself; the contract column shows that part) + map + PDF. Times in seconds.",
        "",
        "| Place | Footprint | contract | HTML | map SVG | PDF warm | total warm | "
        "PDF fresh | total fresh | fresh / warm |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"First PDF of the process (starts the browser, then prints): {first_s:.2f} s. "
        f"Browser starts in the whole run: {starts}.",
        "",
        f"Peak memory: Chromium processes {memory['warm']:.0f} MiB PSS while printing warm (one "
        f"browser kept for the process's life), {memory['fresh']:.0f} MiB while printing with a "
        f"fresh browser per report (for the seconds it runs); this Python process {py_peak:.0f} "
        "MiB peak RSS (place data, Wigan included).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
