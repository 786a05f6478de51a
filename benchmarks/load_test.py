"""Bounded load test on loopback: simulated users drive the dashboard's callbacks over HTTP.

Starts the app with gunicorn (``gunicorn -c gunicorn.conf.py hubplan.wsgi:application``, 2 workers by
default) on a free 127.0.0.1 port, or ``python app.py`` with ``--server dev``, then runs
``--users`` threads for ``--seconds``. Each user repeats a mix of the requests a browser sends
(``POST /_dash-update-component``, bodies built from the served layouts):

* ``map_indicator`` / ``map_layers`` / ``map_footprint``: the map page's control callback;
* ``profile``: the Dash Pages router rendering ``/profile/<footprint>``;
* ``isochrone``: the access page's update (travel-time bands from the hubs);
* ``siting``: the planner's run (choose hubs, coverage, teams).

Bounded: every user stops at the deadline or after ``--max-requests`` requests, each request
has a timeout, and the server is stopped by its PID at the end. Only 127.0.0.1 is ever used.
Reports errors, p50/p95 per callback and the RSS of the server processes sampled every second.

Usage::

    .venv/bin/python benchmarks/load_test.py [--users 20] [--seconds 60] [--workers 2]
        [--server gunicorn|dev] [--place demo] [--out benchmarks/results_load.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.dash_http import find_component, router_body, update_body  # noqa: E402

HOST = "127.0.0.1"
HOME_OUTPUTS = [
    ("home-map", "figure"),
    ("home-panel", "children"),
    ("home-values-table", "children"),
    ("home-indicator-note", "children"),
    ("home-state", "data"),
]
ACCESS_OUTPUTS = [
    ("access-map", "figure"),
    ("access-coverage", "data"),
    ("access-coverage", "columns"),
    ("access-status", "children"),
]
PLANNER_OUTPUTS = [
    ("planner-map", "figure"),
    ("planner-summary", "children"),
    ("planner-hubs-table", "data"),
    ("planner-hubs-table", "columns"),
    ("planner-curve", "figure"),
    ("planner-equity", "data"),
    ("planner-equity", "columns"),
    ("planner-bands", "data"),
    ("planner-bands", "columns"),
    ("planner-teams", "data"),
    ("planner-teams", "columns"),
    ("planner-result", "data"),
]
PLANNER_STATES = [
    "planner-objective",
    "planner-hubs",
    "planner-minutes",
    "planner-target",
    "planner-mode",
    "planner-weight",
    "planner-candidates",
    "planner-existing",
    "planner-staff",
]
# How often each action is chosen (a planner runs siting far less often than they pan the map).
# The output a successful answer must contain (a callback that gives up sends no_update).
MUST_UPDATE = {
    "map_indicator": "home-map",
    "map_layers": "home-map",
    "map_footprint": "home-map",
    "profile": "_pages_content",
    "isochrone": "access-map",
    "siting": "planner-result",
}
MIX = {
    "map_indicator": 30,
    "map_layers": 15,
    "map_footprint": 15,
    "profile": 15,
    "isochrone": 15,
    "siting": 10,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """The app on a loopback port in a subprocess (gunicorn or the dev server)."""

    def __init__(self, *, kind: str, place: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {**os.environ, "HUBPLAN_PLACE": place, "HUBPLAN_ACCESS_LOG": ""}
        env.pop("HUBPLAN_BASIC_AUTH", None)
        if kind == "gunicorn":
            cmd = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--workers",
                str(workers),
                "--bind",
                f"{HOST}:{self.port}",
                "hubplan.wsgi:application",
            ]
        else:
            cmd = [
                sys.executable,
                str(ROOT / "app.py"),
                "--place",
                place,
                "--host",
                HOST,
                "--port",
                str(self.port),
            ]
        self.command = " ".join(cmd[1:]).replace(str(ROOT) + "/", "")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            self.close()
            raise RuntimeError("server did not start in 300 s")
        want = workers if kind == "gunicorn" else 0
        while len(psutil.Process(self.proc.pid).children()) < want and time.monotonic() < deadline:
            time.sleep(0.2)

    def processes(self) -> list[psutil.Process]:
        try:
            master = psutil.Process(self.proc.pid)
            return [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def close(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def post(url: str, body: dict, *, timeout: float) -> tuple[int, bytes]:
    assert url.startswith(f"http://{HOST}:"), "loopback only"
    req = urllib.request.Request(
        url + "/_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def page_tree(url: str, path: str, search: str = "", *, send=None) -> dict:
    status, out = (send or post)(url, router_body(path, search), timeout=300)
    if status != 200:
        raise RuntimeError(f"{path}: HTTP {status}")
    return json.loads(out)["response"]["_pages_content"]["children"]


def prop(tree: dict, component_id: str, name: str, default=None):
    hit = find_component(tree, component_id)
    return (hit or {}).get("props", {}).get(name, default)


class Requests:
    """Request bodies for each action, from the layouts the server sends (like a browser)."""

    def __init__(self, url: str, place_spec: str, *, send=None) -> None:
        """``send(url, body, timeout=...) -> (status, bytes)``: HTTP by default (tests pass a
        Flask test client)."""
        from geo.build.places import open_place

        place = open_place(place_spec)
        self.indicators = [k for k, i in place.catalogue.items() if not i.sensitive]
        self.footprints = list(place.footprint_names)
        home = page_tree(url, "/", send=send)
        self.index = prop(home, "home-index", "data")
        self.state = prop(home, "home-state", "data")
        self.layers = list(self.state["layers"])
        access = page_tree(url, "/access", send=send)
        self.access = {k: prop(access, f"access-{k}", "value") for k in ("kind", "mode", "bands")}
        self.access_state = prop(access, "access-state", "data")
        planner = page_tree(url, "/planner", send=send)
        self.planner = [(i, "value", prop(planner, i, "value")) for i in PLANNER_STATES]
        self.planner_state = prop(planner, "planner-state", "data")

    def home(self, rng: random.Random, what: str) -> dict:
        indicator = rng.choice(self.indicators) if what == "indicator" else self.state["indicator"]
        footprint = rng.choice([None, *self.footprints]) if what == "footprint" else None
        layers = [x for x in self.layers if rng.random() < 0.7] if what == "layers" else self.layers
        return update_body(
            HOME_OUTPUTS,
            [
                ("home-indicator", "value", indicator),
                ("home-footprint", "value", footprint),
                ("home-layers", "value", layers),
                ("home-basemap", "value", "none"),
            ],
            state=[("home-index", "data", self.index), ("home-state", "data", self.state)],
            changed=[f"home-{what}.value"],
        )

    def profile(self, rng: random.Random) -> dict:
        from urllib.parse import quote

        return router_body(f"/profile/{quote(rng.choice(self.footprints))}", "")

    def isochrone(self, rng: random.Random) -> dict:
        bands = rng.choice(["5,10,15", "10,20", "5,10,15,20", self.access["bands"]])
        return update_body(
            ACCESS_OUTPUTS,
            [
                ("access-kind", "value", self.access["kind"]),
                ("access-mode", "value", self.access["mode"]),
                ("access-bands", "value", bands),
                ("access-candidates", "data", []),
            ],
            state=[("access-state", "data", self.access_state)],
            changed=["access-bands.value"],
        )

    def siting(self, rng: random.Random) -> dict:
        states = [
            (i, p, (rng.choice([5, 6, 7, 8]) if i == "planner-hubs" else v))
            for i, p, v in self.planner
        ]
        return update_body(
            PLANNER_OUTPUTS,
            [
                ("planner-run", "n_clicks", rng.randint(1, 1000)),
                ("planner-added", "data", []),
                ("planner-removed", "data", []),
            ],
            state=[*states, ("planner-state", "data", self.planner_state)],
            changed=["planner-run.n_clicks"],
        )

    def body(self, action: str, rng: random.Random) -> dict:
        if action.startswith("map_"):
            return self.home(rng, action[4:])
        return getattr(self, action)(rng)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run_load(
    server: Server,
    reqs: Requests,
    *,
    users: int,
    seconds: float,
    max_requests: int,
    timeout: float,
    seed: int,
) -> dict:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    memory: list[tuple[float, dict[int, float]]] = []
    lock = threading.Lock()
    t_start = time.monotonic()
    deadline = t_start + seconds
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss = {}
            for p in server.processes():
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss[p.pid] = p.memory_info().rss / 2**20
            memory.append((time.monotonic() - t_start, rss))
            stop.wait(1.0)

    def user(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        actions, weights = list(MIX), list(MIX.values())
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                return
            action = rng.choices(actions, weights)[0]
            body = reqs.body(action, rng)
            t0 = time.perf_counter()
            try:
                status, out = post(server.url, body, timeout=timeout)
                ok = status == 200 and MUST_UPDATE[action] in json.loads(out).get("response", {})
                detail = f"HTTP {status}: {out[:160]!r}"
            except (OSError, ValueError) as exc:  # connection errors, timeouts, bad JSON
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            dt = time.perf_counter() - t0
            with lock:
                times[action].append(dt)
                if not ok:
                    errors[action].append(detail)

    load_before = os.getloadavg()[0]
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + timeout + 30)
    wall = time.monotonic() - t_start
    stop.set()
    sampler.join()
    return {
        "times": dict(times),
        "errors": dict(errors),
        "memory": memory,
        "wall_s": wall,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def report(result: dict, *, args, server: Server, place_label: str) -> str:
    times, errors, memory = result["times"], result["errors"], result["memory"]
    total = sum(len(v) for v in times.values())
    n_err = sum(len(v) for v in errors.values())
    lines = [
        "# Load test: simulated users over HTTP on loopback",
        "",
        "Command:",
        "",
        "```sh",
        f".venv/bin/python benchmarks/load_test.py --users {args.users} --seconds {args.seconds:g} "
        f"--workers {args.workers} --server {args.server} --place {args.place}",
        "```",
        "",
        f"Server: `{server.command}`"
        + (
            f" ({args.workers} worker processes)"
            if args.server == "gunicorn"
            else " (one process, threaded)"
        )
        + f", place: {place_label}. "
        f"Machine: {os.cpu_count()} cores shared with other work while measuring (1-minute load "
        f"average {result['load_before']:.1f} before, {result['load_after']:.1f} after). "
        f"{args.users} users, each looping over the request mix with no think time, for "
        f"{args.seconds:g} s (wall {result['wall_s']:.1f} s, request timeout {args.timeout:g} s).",
        "",
        f"**Requests: {total}, errors: {n_err}** ({total / result['wall_s']:.1f} requests/s overall).",
        "",
        "| callback | share of mix | requests | errors | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for action, weight in MIX.items():
        t = times.get(action, [])
        lines.append(
            f"| {action} | {weight}% | {len(t)} | {len(errors.get(action, []))} | "
            f"{1000 * pct(t, 0.5):.0f} | {1000 * pct(t, 0.95):.0f} | "
            f"{1000 * max(t) if t else float('nan'):.0f} |"
        )
    if n_err:
        lines += ["", "First errors:", ""]
        for action, errs in errors.items():
            lines += [f"* {action}: {e}" for e in errs[:3]]
    # Memory over time: total RSS of the server processes, and per worker.
    lines += ["", "Server memory (RSS, MiB, sampled every second; master + workers):", ""]
    if memory:
        totals = [sum(rss.values()) for _, rss in memory]
        first, last = memory[0][1], memory[-1][1]
        per_pid_peak: dict[int, float] = defaultdict(float)
        for _, rss in memory:
            for pid, mb in rss.items():
                per_pid_peak[pid] = max(per_pid_peak[pid], mb)
        lines += [
            f"* total: start {totals[0]:.0f}, peak {max(totals):.0f}, end {totals[-1]:.0f} "
            f"({len(memory)} samples)",
            "* per process (start -> peak -> end): "
            + "; ".join(
                f"pid {pid}: {first.get(pid, float('nan')):.0f} -> {per_pid_peak[pid]:.0f} -> "
                f"{last.get(pid, float('nan')):.0f}"
                for pid in sorted(per_pid_peak)
            ),
            "",
            "| t (s) | "
            + " | ".join(str(int(t)) for t, _ in memory[:: max(1, len(memory) // 12)])
            + " |",
            "|---|" + "---:|" * len(memory[:: max(1, len(memory) // 12)]),
            "| total MiB | "
            + " | ".join(f"{sum(r.values()):.0f}" for _, r in memory[:: max(1, len(memory) // 12)])
            + " |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=["gunicorn", "dev"], default="gunicorn")
    parser.add_argument("--place", default="demo")
    parser.add_argument("--max-requests", type=int, default=5000, help="per user (a hard bound)")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_load.md"))
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 200 and 0 < args.seconds <= 3600):
        parser.error("--users must be 1..200 and --seconds 0..3600")

    server = Server(kind=args.server, place=args.place, workers=args.workers)
    try:
        reqs = Requests(server.url, args.place)
        print(
            f"server up on {server.url}; {args.users} users for {args.seconds:g} s", file=sys.stderr
        )
        result = run_load(
            server,
            reqs,
            users=args.users,
            seconds=args.seconds,
            max_requests=args.max_requests,
            timeout=args.timeout,
            seed=args.seed,
        )
    finally:
        server.close()
    from geo.build.places import open_place

    text = report(result, args=args, server=server, place_label=open_place(args.place).name)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
