"""Production serving: gunicorn with several workers on loopback (``wsgi.py``, ``gunicorn.conf.py``)."""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.support.dash_http import find_component, router_body
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]


def http(url: str, body: dict | bytes | None = None, *, timeout: float = 60) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(proc: subprocess.Popen, url: str, *, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {proc.returncode}: {proc.stderr.read()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def workers_of(proc: subprocess.Popen, n: int, *, timeout: float = 60) -> list[psutil.Process]:
    """The gunicorn master's worker processes, once ``n`` of them are running."""
    deadline = time.monotonic() + timeout
    while True:
        children = psutil.Process(proc.pid).children()
        if len(children) >= n or time.monotonic() > deadline:
            return children
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    """Stop gunicorn by its PID (SIGTERM: graceful), SIGKILL if it hangs."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def gunicorn_server():
    port = free_port()
    env = {
        **os.environ,
        "HUBPLAN_PLACE": "demo",
        "HUBPLAN_ACCESS_LOG": "",
        "HUBPLAN_BASIC_AUTH": "",
    }
    proc = subprocess.Popen(
        [*GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", "hubplan.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, url)
        yield proc, url
    finally:
        stop(proc)


def test_config_binds_loopback_with_several_workers_and_preload(monkeypatch):
    for var in ("HUBPLAN_BIND", "HUBPLAN_WORKERS"):
        monkeypatch.delenv(var, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["bind"].startswith("127.0.0.1:")
    assert conf["workers"] >= 2 and conf["preload_app"] is True
    monkeypatch.setenv("HUBPLAN_BIND", "127.0.0.1:9999")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["bind"] == "127.0.0.1:9999"


def test_two_workers_serve_pages_and_callbacks(gunicorn_server):
    proc, url = gunicorn_server
    workers = workers_of(proc, 2)
    assert len(workers) == 2
    status, body = http(url + "/")
    assert status == 200 and b"Locality &amp; Hub Planner" in body
    # Debug off: no dev-tools bundle or hot reload in the page config.
    config = body.split(b'id="_dash-config"', 1)[1].split(b"</script>", 1)[0]
    assert b'"ui":false' in config.replace(b" ", b"") and b'"hot_reload":false' not in config
    # The map page's router callback, several times so both workers answer.
    for _ in range(6):
        status, body = http(url + "/_dash-update-component", router_body("/", ""))
        assert status == 200
        content = json.loads(body)["response"]["_pages_content"]["children"]
        assert find_component(content, "home-map") is not None


def test_callback_error_returns_no_stack_trace(gunicorn_server):
    _, url = gunicorn_server
    bad_bodies = [
        {
            "output": "nope.children",
            "outputs": {"id": "nope", "property": "children"},
            "inputs": [],
            "state": [],
            "changedPropIds": [],
        },
        router_body({"not": "a path"}, ""),  # a real callback fed a value it cannot handle
        b"{not json",
    ]
    for bad in bad_bodies:
        status, body = http(url + "/_dash-update-component", bad)
        assert status >= 400 or b"Unknown" in body, (status, body[:300])
        for leak in (b"Traceback", b'File "', b".py", b"/work/", b"site-packages"):
            assert leak not in body, (leak, body[:500])


def test_stopping_by_pid_ends_every_worker(gunicorn_server):
    """Last in this module: stops the shared server (the fixture's own stop is then a no-op)."""
    proc, _ = gunicorn_server
    workers = workers_of(proc, 2)
    assert len(workers) == 2
    stop(proc)
    assert proc.returncode == 0
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
