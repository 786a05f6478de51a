"""Bounded load test on loopback: simulated users drive the dashboard's callbacks over HTTP.

Starts the app with gunicorn (``gunicorn -c gunicorn.conf.py hubplan.wsgi:application``, 2 workers by
default) on a free 127.0.0.1 port, or ``python app.py`` with ``--server dev``, then runs
``--users`` threads for ``--seconds``. Each user repeats a mix of the requests a browser sends
(``POST /_dash-update-component``, bodies built from the served layouts):

* ``map_indicator`` / ``map_layers`` / ``map_footprint``: the map page's control callback;
* ``profile``: the Dash Pages router rendering ``/profile/<footprint>``;
* ``isochrone``: the access page's update (travel-time bands from the hubs);
* ``siting``: the planner's run (choose hubs, coverage, teams).

With ``--think MIN-MAX`` (or ``--mix roles``) users have roles instead: a fifth of them
(``--heavy-share``) run the long jobs, the rest the light callbacks, each sleeping a random
MIN-MAX seconds between requests:

* long jobs: ``design``, the Clusters page's footprint design (a Dash background callback:
  submitted with ``?endId=`` from the page's ``_dash-config``, then polled every ``--poll`` s
  with the returned ``cacheKey``/``job`` until the result arrives, timed end to end), and
  ``siting``, the planner's Run (a background callback too, submitted and polled the same way),
  and ``export``, a footprint's profile report as PDF (the profile page's download, a background
  callback like ``design``);
* light callbacks: ``map_indicator`` / ``map_layers`` / ``map_footprint`` and ``profile``.

``--redis`` starts a throwaway ``redis-server`` on loopback and ``--celery-workers N`` N Celery
workers (``--concurrency 1`` each); the app server and the workers get ``HUBPLAN_REDIS_URL``,
so the background jobs run on the workers. Without them, jobs run in subprocesses of the app
server (Dash's DiskcacheManager). Memory (RSS) of the app server's processes and of the
workers is sampled every second; "flat after warm-up" compares the mean of the last third of
the samples with the middle third. The report states the 1-minute load average before and after
and whether the targets held (0 errors; light callbacks p95 < 300 ms; memory flat).

Bounded: every user stops at the deadline or after ``--max-requests`` requests, each request
(and each job) has a timeout, and every process started here (server, workers, Redis) is
stopped by its PID at the end. Only 127.0.0.1 is ever used.

Usage::

    .venv/bin/python benchmarks/load_test.py [--users 20] [--seconds 60] [--workers 2]
        [--server gunicorn|dev] [--place demo] [--out benchmarks/results_load.md]
    .venv/bin/python benchmarks/load_test.py --users 40 --think 2-5 --seconds 60 --workers 2 \\
        --celery-workers 1 --redis            # -> benchmarks/results_load_workers.md
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.dash_http import find_component, router_body, update_body  # noqa: E402
from tests.support.net import free_port  # noqa: E402

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
    ("access-coverage", "rowData"),
    ("access-coverage", "columnDefs"),
    ("access-status", "children"),
]
PLANNER_OUTPUTS = [
    ("planner-map", "figure"),
    ("planner-summary", "children"),
    ("planner-hubs-table", "rowData"),
    ("planner-hubs-table", "columnDefs"),
    ("planner-curve", "figure"),
    ("planner-equity", "rowData"),
    ("planner-equity", "columnDefs"),
    ("planner-bands", "rowData"),
    ("planner-bands", "columnDefs"),
    ("planner-teams", "rowData"),
    ("planner-teams", "columnDefs"),
    ("planner-result", "data"),
]
DESIGN_OUTPUTS = [
    ("cl-summary", "rowData"),
    ("cl-balance-table", "rowData"),
    ("cl-balance-fig", "figure"),
    ("cl-compact-fig", "figure"),
    ("cl-map-current", "figure"),
    ("cl-map-designed", "figure"),
    ("cl-changed", "rowData"),
    ("cl-basis", "children"),
    ("cl-status", "children"),
    ("cl-lookup", "data"),
]
PROFILE_DOWNLOAD_OUTPUTS = [
    ("profile-download", "data"),
    ("profile-dl-status", "children"),
    ("profile-download-meta", "data"),
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
    "design": "cl-summary",
    "export": "profile-download",
}
MIX = {
    "map_indicator": 30,
    "map_layers": 15,
    "map_footprint": 15,
    "profile": 15,
    "isochrone": 15,
    "siting": 10,
}
# With user roles (``--mix roles``, the default with ``--think``): a share of the users
# (``--heavy-share``) run only the long jobs, the rest only the light callbacks.
LIGHT_MIX = {"map_indicator": 30, "map_layers": 15, "map_footprint": 15, "profile": 15}
HEAVY_MIX = {"design": 34, "siting": 33, "export": 33}
#: Background callbacks (submitted, then polled until the result arrives); the rest are one POST.
BACKGROUND = {"design", "siting", "export"}
#: The light callbacks' target: p95 under this many milliseconds.
LIGHT_P95_TARGET_MS = 300


def service_env(place: str) -> dict[str, str]:
    """The environment of every process started here: this checkout first on the path, the
    place, no access log, no basic auth, no Redis unless the caller adds it."""
    env = {**os.environ, "HUBPLAN_PLACE": place, "HUBPLAN_ACCESS_LOG": ""}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key in ("HUBPLAN_BASIC_AUTH", "HUBPLAN_REDIS_URL"):
        env.pop(key, None)
    return env


def stop_pid(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, wait: float = 30) -> None:
    """Stop a process this script started, by its PID (SIGKILL if it outlives ``wait``)."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


class Server:
    """The app on a loopback port in a subprocess (gunicorn or the dev server)."""

    def __init__(
        self, *, kind: str, place: str, workers: int, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {**service_env(place), **(env or {})}
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
        stop_pid(self.proc)


class CeleryWorker:
    """One Celery worker for the dashboard's background jobs (``hubplan.worker:celery_app``),
    ``--concurrency`` processes of the prefork pool, logging to a temporary file."""

    def __init__(self, *, place: str, redis_url: str, name: str, concurrency: int = 1) -> None:
        self.log = Path(tempfile.mkstemp(prefix="hubplan-celery-", suffix=".log")[1])
        env = {**service_env(place), "HUBPLAN_REDIS_URL": redis_url}
        cmd = [
            sys.executable, "-m", "celery", "-A", "hubplan.worker:celery_app", "worker",
            "--concurrency", str(concurrency), "--loglevel", "INFO", "--hostname", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.command = " ".join(cmd[1:])
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )  # fmt: skip

    def wait_ready(self) -> None:
        """Wait (up to 300 s) until the worker's log says it is ready."""
        deadline = time.monotonic() + 300
        while " ready." not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.close()
                raise RuntimeError(f"celery worker did not start: {tail}")
            time.sleep(0.3)

    def processes(self) -> list[psutil.Process]:
        try:
            main = psutil.Process(self.proc.pid)
            return [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def tasks_succeeded(self) -> int:
        """How many tasks the worker's log says succeeded (jobs really ran on it)."""
        return self.log.read_text(errors="replace").count("] succeeded in ")

    def close(self) -> None:
        # Warm shutdown on SIGTERM: the pool's child exits with its parent.
        children = self.processes()[1:]
        stop_pid(self.proc)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.is_running():
                    child.kill()
        self.log.unlink(missing_ok=True)


def post(url: str, body: dict, *, timeout: float, query: str = "") -> tuple[int, bytes]:
    assert url.startswith(f"http://{HOST}:"), "loopback only"
    req = urllib.request.Request(
        url + "/_dash-update-component" + (f"?{query}" if query else ""),
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
        clusters = page_tree(url, "/clusters", send=send)
        self.design_state = {
            k: prop(clusters, f"cl-{k}", "value") for k in ("k", "balance", "method", "respect")
        }
        self.clusters_state = prop(clusters, "cl-state", "data")

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

    def design(self, rng: random.Random, clicks: int = 1) -> dict:
        """The Clusters page's Design button (a background callback): the page's balance and
        method, K drawn from 3-9, ``clicks`` the user's running count of presses."""
        d = self.design_state
        return update_body(
            DESIGN_OUTPUTS,
            [("cl-run", "n_clicks", clicks), ("cl-set", "value", "__new__")],
            state=[
                ("cl-k", "value", rng.randint(3, 9)),
                ("cl-balance", "value", d["balance"]),
                ("cl-method", "value", d["method"]),
                ("cl-respect", "value", d["respect"]),
                ("cl-state", "data", self.clusters_state),
            ],
            changed=["cl-run.n_clicks"],
        )

    def export(self, rng: random.Random, clicks: int = 1) -> dict:
        """The profile page's "Download report (PDF)" (a background callback) for a random
        footprint; ``clicks`` the user's running count of presses."""
        footprint = rng.choice(self.footprints)
        buttons = ("html", "pdf", "csv", "xlsx")
        return update_body(
            PROFILE_DOWNLOAD_OUTPUTS,
            [(f"profile-dl-{b}", "n_clicks", clicks if b == "pdf" else 0) for b in buttons],
            state=[
                (
                    "profile-state",
                    "data",
                    {"place": self.state.get("place"), "footprint": footprint, "set": None},
                ),
                # The page load's token (each simulated user a page load of its own).
                ("profile-dl-token", "data", f"{rng.getrandbits(64):016x}"),
            ],
            changed=["profile-dl-pdf.n_clicks"],
        )

    def body(self, action: str, rng: random.Random, clicks: int = 1) -> dict:
        if action.startswith("map_"):
            return self.home(rng, action[4:])
        if action in ("design", "export"):
            return getattr(self, action)(rng, clicks)
        return getattr(self, action)(rng)


def dash_end_id(url: str, path: str = "/clusters", *, timeout: float = 120) -> str:
    """The signed ``end_id`` of one page load (what a browser echoes as ``?endId=`` on a
    background callback): every simulated user loads the page once, like a browser."""
    assert url.startswith(f"http://{HOST}:"), "loopback only"
    with urllib.request.urlopen(url + path, timeout=timeout) as r:
        return end_id_from_page(r.read().decode(), where=path)


def end_id_from_page(page: str, *, where: str = "the page") -> str:
    """``end_id`` from a Dash page's ``<script id="_dash-config">`` (RuntimeError if absent)."""
    config = r'<script id="_dash-config" type="application/json">(.*?)</script>'
    found = re.search(config, page, re.S)
    end_id = json.loads(found[1]).get("end_id") if found else None
    if not end_id:
        raise RuntimeError(f"{where}: no end_id in the page's _dash-config")
    return end_id


def run_job(
    url: str, body: dict, *, end_id: str, must: str, timeout: float, poll: float, send=post
) -> dict:
    """Submit a background callback and poll it (every ``poll`` s, as the browser does) until
    its result arrives; ``{"ok", "detail", "total", "submit", "polls"}`` (seconds)."""
    t0 = time.perf_counter()
    out = {"ok": False, "detail": "", "submit": float("nan"), "polls": []}

    def done(ok: bool, detail: str = "") -> dict:
        return {**out, "ok": ok, "detail": detail, "total": time.perf_counter() - t0}

    status, raw = send(url, body, timeout=timeout, query=urlencode({"endId": end_id}))
    out["submit"] = time.perf_counter() - t0
    if status != 200:
        return done(False, f"submit HTTP {status}: {raw[:160]!r}")
    handles = json.loads(raw)
    if not {"cacheKey", "job"} <= set(handles):
        return done(False, f"submit answered without job handles: {raw[:160]!r}")
    query = urlencode({"endId": end_id, "cacheKey": handles["cacheKey"], "job": handles["job"]})
    while time.perf_counter() - t0 < timeout:
        time.sleep(poll)
        t1 = time.perf_counter()
        status, raw = send(url, body, timeout=timeout, query=query)
        out["polls"].append(time.perf_counter() - t1)
        if status == 204:
            return done(False, "job ended without a result (HTTP 204: cancelled or lost)")
        if status != 200:
            return done(False, f"poll HTTP {status}: {raw[:160]!r}")
        answer = json.loads(raw)
        if "response" in answer:
            ok = must in answer["response"]
            return done(ok, "" if ok else f"result without {must}: {raw[:160]!r}")
    return done(False, f"no result within {timeout:g} s")


def parse_think(text: str) -> tuple[float, float]:
    """``"2-5"`` -> (2.0, 5.0); ``"3"`` -> (3.0, 3.0); ``"0"`` -> no think time."""
    lo, _, hi = text.partition("-")
    try:
        a, b = float(lo), float(hi or lo)
    except ValueError:
        msg = f"--think {text!r}: expected seconds or 'MIN-MAX'"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 <= a <= b <= 600:
        raise argparse.ArgumentTypeError(f"--think {text!r}: need 0 <= MIN <= MAX <= 600")
    return a, b


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
        end_id = None
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                return
            action = rng.choices(actions, weights)[0]
            body = reqs.body(action, rng)
            t0 = time.perf_counter()
            try:
                if action in BACKGROUND:  # submitted, then polled every second as a browser does
                    end_id = end_id or dash_end_id(server.url, timeout=timeout)
                    job = run_job(
                        server.url,
                        body,
                        end_id=end_id,
                        must=MUST_UPDATE[action],
                        timeout=timeout,
                        poll=1.0,
                    )
                    ok, detail = job["ok"], job["detail"]
                else:
                    status, out = post(server.url, body, timeout=timeout)
                    ok = status == 200 and MUST_UPDATE[action] in json.loads(out).get(
                        "response", {}
                    )
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


Groups = dict[str, Callable[[], list[psutil.Process]]]


def sample_memory(
    groups: Groups,
    samples: list,
    stop: threading.Event,
    t_start: float,
    cpu: dict[str, dict[int, list[float]]] | None = None,
) -> None:
    """Every second until ``stop``: ``(t, {group: {pid: RSS MiB}})`` appended to ``samples``;
    ``cpu[group][pid]`` keeps ``[first, last]`` CPU seconds (user + system) seen."""
    while not stop.is_set():
        row: dict[str, dict[int, float]] = {}
        for name, processes in groups.items():
            rss = {}
            for p in processes():
                with contextlib.suppress(psutil.NoSuchProcess):
                    rss[p.pid] = p.memory_info().rss / 2**20
                    if cpu is not None:
                        t = p.cpu_times()
                        seen = cpu.setdefault(name, {}).setdefault(p.pid, [t.user + t.system] * 2)
                        seen[1] = t.user + t.system
            row[name] = rss
        samples.append((time.monotonic() - t_start, row))
        stop.wait(1.0)


def split_users(users: int, heavy_share: float) -> int:
    """How many of ``users`` run the long jobs: ``round(users * heavy_share)``, at least one
    when the share is positive and there are two users or more."""
    if heavy_share <= 0 or users < 2:
        return 0
    return min(users - 1, max(1, round(users * heavy_share)))


def run_roles(
    url: str,
    reqs: Requests,
    *,
    users: int,
    heavy_users: int,
    seconds: float,
    think: tuple[float, float],
    max_requests: int,
    timeout: float,
    poll: float,
    seed: int,
    memory_groups: Groups,
) -> dict:
    """Users with roles and think time: ``heavy_users`` run the long jobs (``HEAVY_MIX``), the
    rest the light callbacks (``LIGHT_MIX``); each sleeps ``think`` (uniform, seconds) between
    requests and starts after a random delay in the same range. Background jobs are timed from
    submission to result and counted apart; their polls are timed too."""
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    jobs: dict[str, list[dict]] = defaultdict(list)
    memory: list = []
    cpu: dict[str, dict[int, list[float]]] = {}
    lock = threading.Lock()
    t_start = time.monotonic()
    deadline = t_start + seconds
    stop = threading.Event()

    def pause(rng: random.Random) -> bool:
        """Think, unless that would pass the deadline; False when the user should stop."""
        wait = rng.uniform(*think)
        if time.monotonic() + wait >= deadline:
            return False
        time.sleep(wait)
        return True

    def user(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        mix = HEAVY_MIX if n < heavy_users else LIGHT_MIX
        actions, weights = list(mix), list(mix.values())
        end_id = None
        clicks = 0
        if not pause(rng):
            return
        for _ in range(max_requests):
            action = rng.choices(actions, weights)[0]
            try:
                if action in BACKGROUND:
                    end_id = end_id or dash_end_id(url, timeout=timeout)
                    clicks += 1
                    job = run_job(
                        url,
                        reqs.body(action, rng, clicks),
                        end_id=end_id,
                        must=MUST_UPDATE[action],
                        timeout=timeout,
                        poll=poll,
                    )
                    ok, detail, dt = job["ok"], job["detail"], job["total"]
                else:
                    t0 = time.perf_counter()
                    status, out = post(url, reqs.body(action, rng), timeout=timeout)
                    dt = time.perf_counter() - t0
                    ok = status == 200 and MUST_UPDATE[action] in json.loads(out).get(
                        "response", {}
                    )
                    detail = f"HTTP {status}: {out[:160]!r}"
                    job = None
            except (OSError, ValueError, RuntimeError) as exc:  # connection, timeout, bad JSON
                ok, detail, dt, job = False, f"{type(exc).__name__}: {exc}", float("nan"), None
            with lock:
                if dt == dt:  # a failed connection has no time
                    times[action].append(dt)
                if job is not None:
                    jobs[action].append(job)
                if not ok:
                    errors[action].append(detail)
            if not pause(rng):
                return

    load_before = os.getloadavg()[0]
    sampler = threading.Thread(
        target=sample_memory, args=(memory_groups, memory, stop, t_start, cpu), daemon=True
    )
    sampler.start()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + timeout + 30)
    wall = time.monotonic() - t_start
    stop.set()
    sampler.join()
    return {
        "times": dict(times),
        "errors": dict(errors),
        "jobs": dict(jobs),
        "memory": memory,
        "cpu_s": {name: sum(b - a for a, b in pids.values()) for name, pids in cpu.items()},
        "wall_s": wall,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "unfinished_users": sum(t.is_alive() for t in threads),
    }


def flatness(totals: list[float], *, tolerance: float) -> dict:
    """Memory "flat after warm-up": the mean of the last third against the middle third (the
    first third is warm-up); flat when it grew by no more than ``tolerance`` (a fraction)."""
    n = len(totals)
    if n < 3:
        return {"middle": float("nan"), "last": float("nan"), "growth": float("nan"), "flat": None}
    middle, last = totals[n // 3 : 2 * n // 3], totals[2 * n // 3 :]
    m, la = sum(middle) / len(middle), sum(last) / len(last)
    growth = (la - m) / m if m else float("nan")
    return {"middle": m, "last": la, "growth": growth, "flat": growth <= tolerance}


def _ms(values: list[float], q: float | None = None) -> str:
    if not values:
        return "-"
    return f"{1000 * (max(values) if q is None else pct(values, q)):.0f}"


def report_roles(result: dict, *, args, command: str, services: list[str], place_label: str) -> str:
    times, errors, jobs, memory = (
        result["times"], result["errors"], result["jobs"], result["memory"],
    )  # fmt: skip
    n_err = sum(len(v) for v in errors.values())
    light_n = sum(len(times.get(a, [])) for a in LIGHT_MIX)
    heavy_n = sum(len(times.get(a, [])) for a in HEAVY_MIX)
    lo, hi = args.think
    lines = [
        "# Load test with think time: light users and long-job users, over HTTP on loopback",
        "",
        "Command:",
        "",
        "```sh",
        command,
        "```",
        "",
        "Processes (all on 127.0.0.1, started and stopped by this script): "
        + "; ".join(services)
        + f". Place: {place_label}.",
        "",
        f"Users: {args.users}, of whom {result['heavy_users']} run long jobs (the Clusters "
        f"page's footprint design, the planner's siting run and the profile page's PDF report, "
        f"all background callbacks) and "
        f"{args.users - result['heavy_users']} the light callbacks (map indicator / layers / "
        f"footprint, footprint profile page); each sleeps a random {lo:g}-{hi:g} s between "
        f"requests, for {args.seconds:g} s (wall {result['wall_s']:.1f} s; request and job "
        f"timeout {args.timeout:g} s; background jobs polled every {args.poll:g} s as the "
        f"browser does).",
        "",
        f"Machine: {os.cpu_count()} cores shared with other engineers' work while measuring: "
        f"1-minute load average **{result['load_before']:.1f} before, "
        f"{result['load_after']:.1f} after**.",
        "",
        f"**Light callbacks: {light_n} requests. Long jobs: {heavy_n}. Errors: {n_err}.**"
        + (
            f" Users still busy at the end: {result['unfinished_users']}."
            if result["unfinished_users"]
            else ""
        ),
        "",
        "Light callbacks (one request each; ms):",
        "",
        "| callback | requests | errors | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for action in LIGHT_MIX:
        t = times.get(action, [])
        lines.append(
            f"| {action} | {len(t)} | {len(errors.get(action, []))} | {_ms(t, 0.5)} | "
            f"{_ms(t, 0.95)} | {_ms(t)} |"
        )
    lines += [
        "",
        "Long jobs (end to end: from the click's request to the result; ms):",
        "",
        "| job | kind | runs | errors | p50 ms | p95 ms | max ms | submit p95 ms | polls | "
        "poll p95 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for action in HEAVY_MIX:
        t = times.get(action, [])
        js = jobs.get(action, [])
        polls = [p for j in js for p in j["polls"]]
        submit = [j["submit"] for j in js if j["submit"] == j["submit"]]
        manager = "Celery" if result.get("worker_tasks") is not None else "diskcache"
        kind = f"background ({manager})" if action in BACKGROUND else "one request"
        lines.append(
            f"| {action} | {kind} | {len(t)} | {len(errors.get(action, []))} | {_ms(t, 0.5)} | "
            f"{_ms(t, 0.95)} | {_ms(t)} | {_ms(submit, 0.95) if js else '-'} | "
            f"{len(polls) if js else '-'} | {_ms(polls, 0.95) if js else '-'} |"
        )
    if result.get("cpu_s"):
        lines += [
            "",
            "CPU time the measured processes got during the run (user + system; processes that "
            "started and ended between two samples are missed): "
            + "; ".join(
                f"{name} {v:.0f} s (on average {v / result['wall_s']:.2f} of "
                f"{os.cpu_count()} cores)"
                for name, v in result["cpu_s"].items()
            )
            + ".",
        ]
    if result.get("worker_tasks") is not None:
        lines += [
            "",
            f"Celery workers' logs: {result['worker_tasks']} tasks succeeded "
            f"(design jobs finished: {len(jobs.get('design', []))}).",
        ]
    if n_err:
        lines += ["", "Errors (first 5 of each):", ""]
        for action, errs in errors.items():
            lines += [f"* {action}: {e}" for e in errs[:5]]
    # Memory per group of processes.
    lines += [
        "",
        f"Memory (RSS, MiB, sampled every second; {len(memory)} samples). Flat after warm-up: "
        f"mean of the last third of the samples at most {100 * args.flat_tolerance:g}% above "
        "the mean of the middle third (the first third is warm-up).",
        "",
        "| processes | start | peak | end | middle-third mean | last-third mean | growth | flat |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    verdicts = {}
    for name in memory[0][1] if memory else []:
        totals = [sum(row[name].values()) for _, row in memory]
        f = flatness(totals, tolerance=args.flat_tolerance)
        verdicts[name] = f["flat"]
        lines.append(
            f"| {name} | {totals[0]:.0f} | {max(totals):.0f} | {totals[-1]:.0f} | "
            f"{f['middle']:.0f} | {f['last']:.0f} | {100 * f['growth']:+.1f}% | "
            f"{'yes' if f['flat'] else 'no'} |"
        )
    for name in memory[0][1] if memory else []:
        seen: dict[int, list[float]] = defaultdict(list)
        for _, row in memory:
            for pid, mb in row[name].items():
                seen[pid].append(mb)
        lines.append(
            f"\n{name}, per process (start -> peak -> end MiB): "
            + "; ".join(
                f"pid {pid}: {v[0]:.0f} -> {max(v):.0f} -> {v[-1]:.0f}"
                for pid, v in sorted(seen.items())
            )
        )
    if memory:
        step = max(1, len(memory) // 12)
        picked = memory[::step]
        lines += [
            "",
            "| t (s) | " + " | ".join(str(int(t)) for t, _ in picked) + " |",
            "|---|" + "---:|" * len(picked),
        ]
        for name in memory[0][1]:
            lines.append(
                f"| {name} MiB | "
                + " | ".join(f"{sum(r[name].values()):.0f}" for _, r in picked)
                + " |"
            )
    # Targets.
    p95s = {a: pct(times[a], 0.95) * 1000 for a in LIGHT_MIX if times.get(a)}
    missing = [a for a in LIGHT_MIX if a not in p95s]
    fast = not missing and all(v < LIGHT_P95_TARGET_MS for v in p95s.values())
    watched = [n for n in verdicts if n != "redis"]
    flat = all(verdicts[n] for n in watched) if watched else False
    lines += [
        "",
        "Targets:",
        "",
        f"* 0 errors: **{'held' if n_err == 0 else f'not held ({n_err} errors)'}**.",
        f"* map, profile and footprint callbacks p95 under {LIGHT_P95_TARGET_MS} ms: "
        f"**{'held' if fast else 'not held'}** ("
        + ", ".join(f"{a} {v:.0f} ms" for a, v in p95s.items())
        + (f"; no requests for {', '.join(missing)}" if missing else "")
        + ").",
        f"* memory flat after warm-up ({', '.join(watched)}): "
        f"**{'held' if flat else 'not held'}**.",
    ]
    return "\n".join(lines) + "\n"


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
    parser.add_argument("--timeout", type=float, default=120.0, help="per request or job, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--think",
        type=parse_think,
        default=None,
        metavar="MIN-MAX",
        help="seconds each user sleeps between requests (uniform); implies --mix roles",
    )
    parser.add_argument(
        "--mix",
        choices=["all", "roles"],
        default=None,
        help="all: every user loops over MIX (default without --think); roles: a share of the "
        "users run long jobs, the rest light callbacks (default with --think)",
    )
    parser.add_argument("--heavy-share", type=float, default=0.2, help="with --mix roles")
    parser.add_argument("--redis", action="store_true", help="start a throwaway redis-server")
    parser.add_argument(
        "--celery-workers", type=int, default=0, help="Celery workers (--concurrency 1 each)"
    )
    parser.add_argument("--poll", type=float, default=1.0, help="background job poll interval, s")
    parser.add_argument(
        "--flat-tolerance", type=float, default=0.05, help="memory growth still called flat"
    )
    parser.add_argument("--out", default=None, help="markdown report (default by --mix)")
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 200 and 0 < args.seconds <= 3600):
        parser.error("--users must be 1..200 and --seconds 0..3600")
    if not (0 <= args.celery_workers <= 8 and 0 <= args.heavy_share <= 1 and args.poll > 0):
        parser.error("--celery-workers must be 0..8, --heavy-share 0..1 and --poll > 0")
    if args.celery_workers and not args.redis:
        parser.error("--celery-workers needs --redis (the workers take jobs from Redis)")
    if args.redis and not args.celery_workers:
        parser.error("--redis needs --celery-workers 1 or more (or no job would ever run)")
    args.mix = args.mix or ("roles" if args.think else "all")
    if args.mix == "all":
        if args.redis or args.think:
            parser.error("--redis and --think go with --mix roles")
        return main_all(args)
    args.think = args.think or (0.0, 0.0)
    return main_roles(args, argv if argv is not None else sys.argv[1:])


def main_roles(args, argv: list[str]) -> int:
    import shlex

    from tests.support.redis import redis_server

    out = args.out or str(ROOT / "benchmarks" / "results_load_workers.md")
    heavy = split_users(args.users, args.heavy_share)
    with contextlib.ExitStack() as stack:
        env, services, workers = {}, [], []
        if args.redis:
            url, pid = stack.enter_context(redis_server())
            env["HUBPLAN_REDIS_URL"] = url
            services.append(f"redis-server (pid {pid}, persistence off)")
        for n in range(args.celery_workers):
            w = CeleryWorker(place=args.place, redis_url=env["HUBPLAN_REDIS_URL"], name=f"load{n}")
            stack.callback(w.close)
            workers.append(w)
        server = Server(kind=args.server, place=args.place, workers=args.workers, env=env)
        stack.callback(server.close)
        for w in workers:
            w.wait_ready()
        services.append(
            f"`{server.command}`"
            + (f" ({args.workers} workers)" if args.server == "gunicorn" else " (one process)")
        )
        services += [f"`{w.command}`" for w in workers]
        if not workers:
            services.append("background jobs in subprocesses of the app server (DiskcacheManager)")
        reqs = Requests(server.url, args.place)
        groups: Groups = {"gunicorn" if args.server == "gunicorn" else "app": server.processes}
        if workers:
            groups["celery"] = lambda: [p for w in workers for p in w.processes()]
        print(
            f"up on {server.url}; {args.users} users ({heavy} long-job) for {args.seconds:g} s",
            file=sys.stderr,
        )
        result = run_roles(
            server.url,
            reqs,
            users=args.users,
            heavy_users=heavy,
            seconds=args.seconds,
            think=args.think,
            max_requests=args.max_requests,
            timeout=args.timeout,
            poll=args.poll,
            seed=args.seed,
            memory_groups=groups,
        )
        result["heavy_users"] = heavy
        result["worker_tasks"] = sum(w.tasks_succeeded() for w in workers) if workers else None
    from geo.build.places import open_place

    command = ".venv/bin/python benchmarks/load_test.py " + shlex.join(argv)
    text = report_roles(
        result,
        args=args,
        command=command,
        services=services,
        place_label=open_place(args.place).name,
    )
    print(text)
    if out != "-":
        Path(out).write_text(text)
    return 0 if not result["errors"] else 1


def main_all(args) -> int:
    args.out = args.out or str(ROOT / "benchmarks" / "results_load.md")
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
    if args.out != "-":
        Path(args.out).write_text(text)
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
