"""The dashboard process exits cleanly after a map export started a Chromium.

"Export map" is a background job (hubplan.jobs; Dash's DiskcacheManager runs it in a child
process of the app server), which starts the export browser (kaleido + Chromium) lazily.
These tests run ``python app.py`` (and gunicorn) as a real process, export a PNG over HTTP the
way the button does (submit, then poll for the result), then stop the server with Ctrl+C
(SIGINT) or SIGTERM and check that the process exits promptly and leaves no Chromium behind
in its session.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.support.dash_http import update_body
from tests.support.dash_jobs import http_send, submit
from tests.support.net import free_port
from tests.support.proc import like_a_terminal

ROOT = Path(__file__).resolve().parents[2]
STATE = {
    "place": "demo",
    "indicator": "imd_score",
    "footprint": None,
    "layers": ["areas", "footprints"],
    "basemap": "none",
}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _wait_serving(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited early with {proc.returncode}: {log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def _export_png(base: str) -> bytes:
    body = update_body(
        [("home-export-download", "data"), ("home-export-status", "children")],
        [("home-export-button", "n_clicks", 1)],
        state=[
            ("home-export-format", "value", "png"),
            ("home-export-token", "data", "shutdown-test"),
            ("home-state", "data", STATE),
            ("home-view", "data", None),
        ],
    )
    answer = submit(http_send(base), body).result(timeout=240)
    download = answer["home-export-download"]["data"]
    assert download["filename"].endswith(".png")
    return base64.b64decode(download["content"])


def _chromium_pids(pid: int) -> set[int]:
    """Chromium processes under ``pid`` or in its session (orphans of a finished job stay
    in the server's session, started with ``start_new_session``)."""
    found = set()
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if "chrom" not in " ".join(p.info["cmdline"] or []).lower():
                continue
            if os.getsid(p.pid) == pid:
                found.add(p.pid)
        except (psutil.Error, OSError):
            continue
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    return found | {p.pid for p in kids if "chrom" in " ".join(p.cmdline()).lower()}


def _alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _command(server: str, port: int) -> list[str]:
    if server == "gunicorn":  # production mode (docs/deploy.md), one worker
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "hubplan.wsgi:application",
        ]
    return [sys.executable, "app.py", "--port", str(port)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache folder for the three servers (one after another): the demo is built once,
    and the jobs' diskcache is not shared with other test runs."""
    return tmp_path_factory.mktemp("shutdown-cache")


@pytest.mark.parametrize(
    ("server", "stop"),
    [
        ("app.py", signal.SIGINT),
        ("app.py", signal.SIGTERM),
        ("gunicorn", signal.SIGTERM),
    ],
    ids=["app-ctrl-c", "app-sigterm", "gunicorn-sigterm"],
)
def test_server_exits_and_leaves_no_chromium_after_an_export(server, stop, tmp_path, cache):
    from layers.static import chromium_path

    if chromium_path() is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no Chromium is installed")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUBPLAN_ACCESS_LOG": "", "HUBPLAN_CACHE": str(cache)}
    # The server's log goes to a file: polling a job logs a line per request, which would
    # fill an unread pipe and block the server.
    log = tmp_path / "server.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            _command(server, port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            preexec_fn=like_a_terminal,  # Ctrl+C reaches it even in a background run
        )
    chromium: set[int] = set()
    try:
        _wait_serving(base + "/", proc, log)
        png = _export_png(base)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
        # The export ran in a job process with its own Chromium (the PNG proves it rendered).
        chromium = _chromium_pids(proc.pid)
        proc.send_signal(stop)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{server} still running 30 s after {stop.name} (export server hang)")
        end = time.monotonic() + 15
        while _alive(chromium | _chromium_pids(proc.pid)) and time.monotonic() < end:
            time.sleep(0.2)
        chromium |= _chromium_pids(proc.pid)
        assert not _alive(chromium), f"Chromium left running after {stop.name}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in _alive(chromium):
            psutil.Process(pid).kill()
