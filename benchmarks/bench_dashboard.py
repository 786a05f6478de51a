"""Dashboard speed and payload benchmark, over HTTP against the running app.

Starts ``python app.py --place P --port N`` on a free loopback port in a subprocess (the demo,
then Wigan built from ``../shared/data/wigan`` with ``tests/support/wigan.py`` when present),
and POSTs the same ``/_dash-update-component`` requests the browser sends:

* first render: the Dash Pages router request that returns the map page (payload, time), and
  (with Chromium) the time from navigation until MapLibre has drawn the map;
* indicator change, layer toggle and footprint change: server time p50/p95 and payload size;
* Patch vs full figure: the payload of the Patch response against the payload a callback
  returning the full figure would send (the same figure, serialised the way Dash does).

Usage::

    .venv/bin/python benchmarks/bench_dashboard.py [--repeat 40] [--no-browser] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.dash_http import find_component, router_body, update_body  # noqa: E402
from tests.support.net import free_port  # noqa: E402

CONTROL_OUTPUTS = [
    ("home-map", "figure"),
    ("home-panel", "children"),
    ("home-values-table", "children"),
    ("home-indicator-note", "children"),
    ("home-state", "data"),
]


class Server:
    """``python app.py`` in a subprocess on a loopback port."""

    def __init__(self, place: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--place", place, "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited: {self.proc.stderr.read()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.close()
        raise RuntimeError("app did not start in 300 s")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=60) as r:
            return r.read()

    def post(self, body: dict) -> tuple[float, bytes]:
        data = json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + "/_dash-update-component",
            data=data,
            headers={"Content-Type": "application/json"},
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            out = r.read()
            status = r.status
        dt = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        return dt, out

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(times: list[float], sizes: list[int]) -> dict:
    return {
        "n": len(times),
        "p50_ms": 1000 * pct(times, 0.5),
        "p95_ms": 1000 * pct(times, 0.95),
        "payload_kb": statistics.median(sizes) / 1024,
    }


def control_body(index, state, *, indicator, footprint, layers, basemap, changed):
    return update_body(
        CONTROL_OUTPUTS,
        [
            ("home-indicator", "value", indicator),
            ("home-footprint", "value", footprint),
            ("home-layers", "value", layers),
            ("home-basemap", "value", basemap),
        ],
        state=[("home-index", "data", index), ("home-state", "data", state)],
        changed=[changed],
    )


def full_figure_bytes(place_spec: str, indicator: str, footprint, layers) -> int:
    """Bytes of the same response if the callback sent the whole figure instead of a Patch."""
    import plotly.io as pio

    from geo.build.places import open_place

    # Imported lazily: pages need an app before they import.
    from hubplan.web import create_app

    create_app(place=place_spec)
    import importlib

    home = importlib.import_module("hubplan.pages.home")
    place = open_place(place_spec)
    fig, _ = home.build_figure(place, indicator, footprint, layers, "none", None, None)
    return len(pio.to_json(fig, validate=False, engine="json"))


def bench_place(label: str, spec: str, repeat: int, browser: bool) -> dict:
    from geo.build.places import open_place

    place = open_place(spec)
    server = Server(spec)
    try:
        index_html = server.get("/")
        layout = server.get("/_dash-layout")
        cold, _ = server.post(router_body("/", ""))  # first render after start (cold caches)
        router_times, router_sizes = [], []
        for _ in range(max(5, repeat // 4)):
            dt, out = server.post(router_body("/", ""))
            router_times.append(dt)
            router_sizes.append(len(out))
        tree = json.loads(out)["response"]["_pages_content"]["children"]
        index = find_component(tree, "home-index")["props"]["data"]
        state = find_component(tree, "home-state")["props"]["data"]
        keys = list(place.catalogue)
        footprints = place.footprint_names
        layers_all = state["layers"]

        results = {}
        times, sizes = [], []
        last_patch = None
        for i in range(repeat):
            key = keys[(i + 1) % len(keys)]
            dt, out = server.post(
                control_body(
                    index,
                    state,
                    indicator=key,
                    footprint=None,
                    layers=layers_all,
                    basemap="none",
                    changed="home-indicator.value",
                )
            )
            times.append(dt)
            sizes.append(len(out))
            last_patch = (key, out)
        results["indicator"] = summary(times, sizes)
        # The figure part of the Patch response alone.
        resp = json.loads(last_patch[1])["response"]
        patch_fig = len(json.dumps(resp["home-map"]["figure"]))
        full_fig = full_figure_bytes(spec, last_patch[0], None, layers_all)
        results["patch_vs_full"] = {
            "patch_figure_kb": patch_fig / 1024,
            "full_figure_kb": full_fig / 1024,
            "ratio": full_fig / patch_fig,
        }

        times, sizes = [], []
        for i in range(repeat):
            layers = [x for x in layers_all if x != "areas"] if i % 2 == 0 else layers_all
            dt, out = server.post(
                control_body(
                    index,
                    state,
                    indicator=state["indicator"],
                    footprint=None,
                    layers=layers,
                    basemap="none",
                    changed="home-layers.value",
                )
            )
            times.append(dt)
            sizes.append(len(out))
        results["layer"] = summary(times, sizes)

        times, sizes = [], []
        for i in range(repeat):
            fp = footprints[i % len(footprints)]
            dt, out = server.post(
                control_body(
                    index,
                    state,
                    indicator=state["indicator"],
                    footprint=fp,
                    layers=layers_all,
                    basemap="none",
                    changed="home-footprint.value",
                )
            )
            times.append(dt)
            sizes.append(len(out))
        results["footprint"] = summary(times, sizes)

        results["first_render"] = {
            **summary(router_times, router_sizes),
            "cold_ms": 1000 * cold,
            "index_html_kb": len(index_html) / 1024,
            "layout_kb": len(layout) / 1024,
            "data_payload_kb": (len(index_html) + len(layout) + statistics.median(router_sizes))
            / 1024,
        }
        if browser:
            results["browser_first_render_s"] = browser_first_render(server.url)
    finally:
        server.close()
    return {"label": label, "areas": len(place.areas), **results}


def browser_first_render(url: str, runs: int = 3) -> list[dict] | None:
    """Seconds from navigation until MapLibre reports the map loaded and drawn."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
    except ImportError:
        return None
    options = Options()
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--enable-unsafe-swiftshader",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(options=options)
    except Exception:
        return None
    out = []
    try:
        driver.set_script_timeout(60)
        driver.get(url + "/")  # warm the browser cache for the JS bundles
        for _ in range(runs):
            driver.get("about:blank")
            t0 = time.perf_counter()
            driver.get(url + "/")
            driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const wait = () => {
                  const gd = document.querySelector('#home-map .js-plotly-plot');
                  const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
                  if (sub && sub.map && sub.map.loaded() && sub.map.areTilesLoaded()) {
                    sub.map.once('idle', () => done(true)); sub.map.triggerRepaint();
                  } else { setTimeout(wait, 25); }
                };
                wait();
            """)
            total = time.perf_counter() - t0
            marks = driver.execute_script("""
                const res = performance.getEntriesByType('resource');
                const end = (f) => Math.max(0, ...res.filter(f).map(r => r.responseEnd));
                return {
                  router_done: end(r => r.name.includes('_dash-update-component')),
                  plotly_done: end(r => r.name.includes('plotly')),
                  idle: performance.now(),
                };
            """)
            out.append({"total_s": total, **{k: v / 1000 for k, v in marks.items()}})
    finally:
        driver.quit()
    return out


def wigan_bundle(folder: Path) -> str | None:
    shared = Path(os.environ.get("HUBPLAN_SHARED_DATA", ROOT.parent / "shared" / "data" / "wigan"))
    if not shared.is_dir():
        return None
    from geo.build.pipeline import build_bundle
    from tests.support.wigan import write_wigan_config

    out = folder / "wigan.gpkg"
    build_bundle(write_wigan_config(shared, folder), out)
    return str(out)


def markdown(rows: list[dict], command: str, repeat: int) -> str:
    lines = [
        "# Dashboard benchmark (map page)",
        "",
        f"Command: `{command}`",
        "",
        f"Measured over HTTP against `python app.py` on a loopback port (Flask development "
        f"server, one process), {repeat} requests per change type, on the shared 2-core machine "
        "(other work running at the same time, so times are noisy upper bounds). Server time = "
        "wall-clock time of the POST to `/_dash-update-component` as seen by the client.",
        "Geometry is simplified for display with a coverage-preserving Visvalingam-Whyatt "
        "tolerance of 20 m (working CRS, metres) and rounded to 1e-5 degrees.",
        "",
        "| place | areas | change | p50 ms | p95 ms | response KB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        for change in ("indicator", "layer", "footprint"):
            s = r[change]
            lines.append(
                f"| {r['label']} | {r['areas']} | {change} | {s['p50_ms']:.1f} | "
                f"{s['p95_ms']:.1f} | {s['payload_kb']:.1f} |"
            )
    lines += [
        "",
        "First render (Dash Pages router request that returns the whole map page):",
        "",
        "| place | cold ms (first after start) | warm p50 ms | warm p95 ms | page payload KB "
        "| index+layout+page KB | browser first render s (warm server) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = r["first_render"]
        br = r.get("browser_first_render_s")
        brs = ", ".join(f"{x['total_s']:.2f}" for x in br) if br else "not measured"
        lines.append(
            f"| {r['label']} | {f['cold_ms']:.0f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | "
            f"{f['payload_kb']:.1f} | {f['data_payload_kb']:.1f} | {brs} |"
        )
    lines += [
        "",
        "Patch vs full figure (indicator change, figure part of the response only):",
        "",
        "| place | Patch KB | full figure KB | full / Patch |",
        "|---|---|---|---|",
    ]
    for r in rows:
        p = r["patch_vs_full"]
        lines.append(
            f"| {r['label']} | {p['patch_figure_kb']:.1f} | {p['full_figure_kb']:.1f} | "
            f"{p['ratio']:.1f}x |"
        )
    lines += [
        "",
        "Where the browser's first render goes (seconds after navigation start, per run: "
        "page callbacks answered / plotly.js loaded / map idle):",
        "",
    ]
    for r in rows:
        br = r.get("browser_first_render_s") or []
        lines.append(
            f"- {r['label']}: "
            + "; ".join(
                f"{x['router_done']:.2f} / {x['plotly_done']:.2f} / {x['idle']:.2f}" for x in br
            )
        )
    lines += [
        "",
        f"Machine load average (1 min) at start / end: {rows[0].get('load', '?')} / "
        f"{rows[-1].get('load_end', '?')} (2 cores).",
        "",
    ]
    lines += [
        "",
        "Browser first render: headless Chromium (SwiftShader, no GPU), from navigation "
        "until MapLibre reports the map loaded and idle, JS bundles cached (plotly.js etc. "
        "are static assets, not counted in the payloads above).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_dashboard.md"))
    args = parser.parse_args(argv)
    load = f"{os.getloadavg()[0]:.1f}"
    rows = [bench_place("demo", "demo", args.repeat, not args.no_browser)]
    rows[0]["load"] = load
    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        wigan = wigan_bundle(Path(tmp))
        if wigan:
            rows.append(bench_place("Wigan", wigan, args.repeat, not args.no_browser))
        else:
            print("Wigan data not found: demo only", file=sys.stderr)
    rows[-1]["load_end"] = f"{os.getloadavg()[0]:.1f}"
    command = (
        ".venv/bin/python benchmarks/bench_dashboard.py"
        + (f" --repeat {args.repeat}" if args.repeat != 40 else "")
        + (" --no-browser" if args.no_browser else "")
    )
    text = markdown(rows, command, args.repeat)
    from geo.place.bundle import atomic_write

    atomic_write(Path(args.out), lambda p: Path(p).write_text(text, encoding="utf-8"), suffix=".md")
    print(text)
    print(json.dumps(rows, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
