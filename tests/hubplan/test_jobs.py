"""Long jobs on workers (issue 17): Dash background callbacks through hubplan.jobs.

Without ``HUBPLAN_REDIS_URL`` the app uses Dash's DiskcacheManager (a subprocess of the app
server); with it, Dash's CeleryManager. The end-to-end test starts Redis on loopback, one Celery
worker and two app servers, submits the Clusters page's footprint design through app server A,
and collects the result from app server B: the job ran on the worker (its log says so) and
its result travelled through Redis.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from dash import CeleryManager, DiskcacheManager

from benchmarks.load_test import PLANNER_OUTPUTS  # one list of the Run's outputs
from hubplan import jobs
from tests.support.dash_http import find_component, router_body, update_body
from tests.support.dash_jobs import http_send, submit
from tests.support.net import free_port
from tests.support.proc import like_a_terminal
from tests.support.redis import redis_url  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
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


PLANNER_CONTROLS = [
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


def design_body(k: int = 3) -> dict:
    return update_body(
        DESIGN_OUTPUTS,
        [("cl-run", "n_clicks", 1), ("cl-set", "value", "__new__")],
        state=[
            ("cl-k", "value", k),
            ("cl-balance", "value", "population"),
            ("cl-method", "value", "grow"),
            ("cl-respect", "value", None),
            ("cl-state", "data", {"place": "demo"}),
        ],
    )


def test_diskcache_is_the_default_and_redis_url_picks_celery(monkeypatch, tmp_path):
    monkeypatch.delenv(jobs.REDIS_ENV, raising=False)
    monkeypatch.setenv("HUBPLAN_CACHE", str(tmp_path))
    assert isinstance(jobs.background_manager(), DiskcacheManager)
    assert (tmp_path / "jobs").is_dir()
    monkeypatch.setenv(jobs.REDIS_ENV, "redis://127.0.0.1:1/0")  # not contacted to build it
    assert isinstance(jobs.background_manager(), CeleryManager)


def _request(url: str, body: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the app server exited"
        try:
            if _request(url)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_job_through_one_app_server_finishes_on_the_worker_and_shows_on_another(request, tmp_path):
    redis = request.getfixturevalue("redis_url")
    env = {
        **os.environ,
        jobs.REDIS_ENV: redis,
        "HUBPLAN_PLACE": "demo",
        "HUBPLAN_SECRET_KEY": "test-secret",
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "worker.log"
    procs = []
    try:
        with open(log, "w") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "hubplan.worker:celery_app", "worker",
                 "--pool=solo", "--loglevel=info", "--without-gossip", "--without-mingle"],
                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        procs.append(worker)
        ports = [free_port(), free_port()]
        for port in ports:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "hubplan", "serve", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=like_a_terminal,  # stopped with Ctrl+C (_stop)
                )
            )
        a, b = (f"http://127.0.0.1:{p}" for p in ports)
        for base, proc in zip((a, b), procs[1:], strict=True):
            _wait_for(base + "/", proc)
        page = _request(a + "/clusters")[1]
        config = json.loads(
            re.search(
                r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S
            )[1]
        )
        end = urllib.parse.quote(config["end_id"])
        status, text = _request(f"{a}/_dash-update-component?endId={end}", design_body())
        assert status == 200, text[:500]
        handles = json.loads(text)
        assert {"cacheKey", "job"} <= set(handles), handles
        query = urllib.parse.urlencode(
            {"endId": config["end_id"], "cacheKey": handles["cacheKey"], "job": handles["job"]}
        )
        deadline = time.monotonic() + 240
        result = None
        while time.monotonic() < deadline:
            status, text = _request(f"{b}/_dash-update-component?{query}", design_body())
            assert status in (200, 204), text[:500]
            if status == 200 and '"response"' in text:
                result = json.loads(text)["response"]
                break
            assert worker.poll() is None, log.read_text()[-2000:]
            time.sleep(1)
        assert result is not None, "no result from app server B: " + log.read_text()[-2000:]
        assert len(result["cl-summary"]["rowData"]) > 0
        assert result["cl-lookup"]["data"]["ready"] is True
        assert re.search(r"Task background_callback_\w+\[[^\]]+\] succeeded", log.read_text())
        # the planner's Run (siting and its curve) takes the same road
        tree = json.loads(
            _request(f"{a}/_dash-update-component", router_body("/planner", "?place=demo"))[1]
        )["response"]["_pages_content"]["children"]
        controls = [
            (i, "value", find_component(tree, i)["props"]["value"]) for i in PLANNER_CONTROLS
        ]
        body = update_body(
            PLANNER_OUTPUTS,
            [("planner-run", "n_clicks", 1), ("planner-added", "data", []),
             ("planner-removed", "data", [])],
            state=[*controls, ("planner-state", "data", {"place": "demo"})],
            changed=["planner-run.n_clicks"],
        )  # fmt: skip
        status, text = _request(f"{a}/_dash-update-component?endId={end}", body)
        assert status == 200, text[:500]
        handles = json.loads(text)
        query = urllib.parse.urlencode(
            {"endId": config["end_id"], "cacheKey": handles["cacheKey"], "job": handles["job"]}
        )
        deadline = time.monotonic() + 240
        plan = None
        while time.monotonic() < deadline and plan is None:
            status, text = _request(f"{b}/_dash-update-component?{query}", body)
            assert status in (200, 204), text[:500]
            if status == 200 and '"response"' in text:
                plan = json.loads(text)["response"]["planner-result"]["data"]
            else:
                time.sleep(1)
        assert plan is not None, "no plan from app server B: " + log.read_text()[-2000:]
        assert plan["hubs"] and plan["settings"]["hubs"] == float(controls[1][2])
        assert (
            len(re.findall(r"Task background_callback_\w+\[[^\]]+\] succeeded", log.read_text()))
            >= 2
        )

        # An export too: the profile PDF, submitted through A, printed on the worker (its own
        # long-lived Chromium), collected from B.
        from geo.build.places import open_place

        fp = open_place("demo").footprint_names[0]
        body = update_body(
            [("profile-download", "data"), ("profile-dl-status", "children"),
             ("profile-download-meta", "data")],
            [(f"profile-dl-{b}", "n_clicks", int(b == "pdf")) for b in ("html", "pdf", "csv", "xlsx")],
            state=[("profile-state", "data", {"place": "demo", "footprint": fp, "set": None}),
                   ("profile-dl-token", "data", "celery-test")],
            changed=["profile-dl-pdf.n_clicks"],
        )  # fmt: skip
        job = submit(http_send(a), body, page="/profile/" + urllib.parse.quote(fp))
        response = job.result(http_send(b), timeout=240)
        assert response["profile-dl-status"]["children"] == "PDF ready.", response
        pdf = base64.b64decode(response["profile-download"]["data"]["content"])
        assert pdf.startswith(b"%PDF")
        done = re.findall(r"Task background_callback_\w+\[[^\]]+\] succeeded", log.read_text())
        assert len(done) == 3, log.read_text()[-2000:]  # design, planner Run, PDF
    finally:
        for proc in reversed(procs):
            _stop(proc)
