"""Exports as background jobs (issue 17): the map export and the profile downloads.

Both run as Dash background callbacks through the app's own manager (hubplan.jobs;
DiskcacheManager here: each job is a forked child of the app process), submitted and polled
as the browser does, with progress, and Cancel stops a running export (its process is ended).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid

import psutil
import pytest

from geo.build.places import open_place
from hubplan import jobs
from hubplan.web import create_app
from tests.hubplan.test_profile_cmds import check_report_pdf
from tests.support.dash_http import update_body
from tests.support.dash_jobs import client_send, submit

STATE = {
    "place": "demo",
    "indicator": "imd_score",
    "footprint": None,
    "layers": ["areas", "footprints"],
    "basemap": "none",
}
PROFILE_OUTPUTS = [
    ("profile-download", "data"),
    ("profile-dl-status", "children"),
    ("profile-download-meta", "data"),
]


@pytest.fixture(scope="module")
def send(tmp_path_factory):
    """The app's test client; jobs in a DiskcacheManager folder of this module's own (the
    default folder is shared with every other test run on the machine)."""
    os.environ.pop(jobs.REDIS_ENV, None)  # the embedded default: DiskcacheManager
    before = os.environ.get("HUBPLAN_CACHE")
    os.environ["HUBPLAN_CACHE"] = str(tmp_path_factory.mktemp("jobs-cache"))
    try:
        app = create_app()  # the manager's folder is fixed here
    finally:
        if before is None:
            os.environ.pop("HUBPLAN_CACHE", None)
        else:
            os.environ["HUBPLAN_CACHE"] = before
    return client_send(app.server.test_client())


def export_body(fmt: str) -> dict:
    return update_body(
        [("home-export-download", "data"), ("home-export-status", "children")],
        [("home-export-button", "n_clicks", 1)],
        state=[
            ("home-export-format", "value", fmt),
            ("home-export-token", "data", uuid.uuid4().hex),
            ("home-state", "data", STATE),
            ("home-view", "data", None),
        ],
    )


def profile_body(button: str, footprint: str, *, token: str | None = None) -> dict:
    """The download buttons' request; ``token`` is the page load's (a new one by default)."""
    buttons = ["html", "pdf", "csv", "xlsx"]
    return update_body(
        PROFILE_OUTPUTS,
        [(f"profile-dl-{b}", "n_clicks", int(b == button)) for b in buttons],
        state=[
            ("profile-state", "data", {"place": "demo", "footprint": footprint, "set": None}),
            ("profile-dl-token", "data", token or uuid.uuid4().hex),
        ],
        changed=[f"profile-dl-{button}.n_clicks"],
    )


def test_callbacks_are_background_jobs_with_progress_and_cancel():
    from hubplan.pages._export import _ids

    app = create_app()
    app.server.test_client().get("/")  # the callback map is complete after the first request
    spec = app.callback_map
    exports = [k for k in spec if "-export-download.data" in k]
    assert exports, spec.keys()
    for key in exports:
        prefix = key.removeprefix("..").split("-export-download")[0]
        ids = _ids(prefix)
        background = spec[key]["background"]
        assert background["cancel"] == [{"id": ids["export-cancel"], "property": "n_clicks"}]
        assert [str(o) for o in background["progress"]] == [f"{ids['export-progress']}.children"]
    download = spec[
        "..profile-download.data...profile-dl-status.children...profile-download-meta.data.."
    ]["background"]
    assert download["cancel"] == [{"id": "profile-dl-cancel", "property": "n_clicks"}]
    assert [str(o) for o in download["progress"]] == ["profile-dl-progress.children"]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_profile_pdf_through_the_background_manager(send):
    demo = open_place("demo")
    fp = demo.footprint_names[1]
    job = submit(send, profile_body("pdf", fp), page=f"/profile/{fp}?place=demo")
    response = job.result(timeout=240)
    assert response["profile-dl-status"]["children"] == "PDF ready."
    download = response["profile-download"]["data"]
    assert download["filename"].endswith(".pdf")
    check_report_pdf(base64.b64decode(download["content"]), demo, fp)


def test_profile_csv_through_the_background_manager(send):
    fp = open_place("demo").footprint_names[0]
    response = submit(send, profile_body("csv", fp)).result(timeout=240)
    assert response["profile-dl-status"]["children"] == "Table ready."
    data = response["profile-download"]["data"]
    text = base64.b64decode(data["content"]).decode("utf-8-sig")
    assert data["filename"].endswith(".csv") and fp in text


@pytest.mark.parametrize(
    ("button", "steps", "status"),
    [
        ("html", ["Writing the report ..."], "Report ready."),
        ("csv", ["Preparing the table ..."], "Table ready."),
    ],
)
def test_profile_download_reports_progress(send, button, steps, status):
    """The job body tells the page each step (what ``set_progress`` shows while it runs)."""
    from dash._callback import context_value
    from dash._utils import AttributeDict

    from hubplan.pages import profile  # imported once an app exists (Dash Pages)

    fp = open_place("demo").footprint_names[0]
    seen: list[str] = []
    context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"profile-dl-{button}.n_clicks", "value": 1}])
    )
    clicks = [int(b == button) for b in ("html", "pdf", "csv", "xlsx")]
    data, said, _meta = profile.download(
        *clicks, {"place": "demo", "footprint": fp}, progress=seen.append
    )
    assert said == status and data["filename"].endswith(f".{button}")
    assert seen == steps


def test_map_export_reports_progress():
    from hubplan.pages._export import render_export

    seen: list[str] = []
    data, message = render_export("gif", STATE, None, progress=seen.append)
    assert data is None and "Unknown export format" in message and seen == []
    data, message = render_export("png", {**STATE, "place": "atlantis"}, None, progress=seen.append)
    assert data is None and seen == ["Opening the place ..."]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_map_png_through_the_background_manager(send):
    response = submit(send, export_body("png")).result(timeout=240)
    assert response["home-export-status"]["children"].startswith("Exported")
    png = base64.b64decode(response["home-export-download"]["data"]["content"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


_OWN_PROCESS = "HUBPLAN_TEST_CANCEL_OWN_PROCESS"


@pytest.mark.timeout(300)
def test_cancel_ends_a_running_map_export(send, tmp_path, monkeypatch):
    """Cancel while the export renders: the job's process is ended and no file comes.

    Run in a process of its own, with one app, as a server runs: after the rest of the suite
    has built dozens of apps in the test process, the cancel request was not honoured
    (reproduced only in full runs; not understood yet, see the closing note).
    """
    if os.environ.get(_OWN_PROCESS) != "1":
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"{Path(__file__).relative_to(root)}::test_cancel_ends_a_running_map_export"],
            cwd=root, env={**os.environ, _OWN_PROCESS: "1"}, capture_output=True, text=True,
            timeout=240,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert "1 passed" in proc.stdout, proc.stdout[-2000:]
        return
    from layers import static

    marker = tmp_path / "started.json"

    def slow_render(fig, **_kw):  # runs in the forked job process
        marker.write_text(json.dumps({"pid": os.getpid()}))
        time.sleep(120)
        raise AssertionError("the job should have been cancelled")

    monkeypatch.setattr(static, "figure_to_bytes", slow_render)
    job = submit(send, export_body("png"))
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        job.poll()
        time.sleep(0.2)
    assert marker.exists(), "the export job never started rendering"
    pid = json.loads(marker.read_text())["pid"]
    assert pid != os.getpid() and psutil.pid_exists(pid)
    # The job said so before it began rendering: the next poll carries that progress.
    assert job.poll()[1] is None
    assert job.progress[-1] == {"home-export-progress.children": "Rendering the PNG image ..."}
    job.cancel("home-export-cancel")
    end = time.monotonic() + 15
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the cancelled job's process is still running")
    _status, response = job.poll()
    assert response is None or "home-export-download" not in response


FORK_LOCKS = [
    ("geo.build.places", "_lock"),
    ("geo.place.edits", "_versions_lock"),
    ("geo.network.graph", "_cache_lock"),
    ("layers.geometry", "_lock"),
    ("layers.hotspots", "_lock"),
    ("layers.static", "_lock"),
    ("layers.browser", "_lock"),
    ("hubplan.pages._profile_cache", "_lock"),
    ("hubplan.pages._sets", "_lock"),
    ("hubplan.pages.home", "_base_lock"),
    ("hubplan.pages.home", "_build_lock"),
]


def _try_locks(queue) -> None:
    import importlib

    got = []
    for module, name in FORK_LOCKS:
        lock = getattr(importlib.import_module(module), name)
        ok = lock.acquire(timeout=5)
        if ok:
            lock.release()
        got.append(ok)
    queue.put(got)


def test_a_forked_job_does_not_inherit_locks_held_by_other_threads(send):
    """A DiskcacheManager job is forked from the app process while other threads (the warm-up,
    other requests) may hold module locks; the child gets fresh ones instead of waiting
    forever (as a map export once did, stuck opening the place)."""
    import importlib
    import multiprocessing

    locks = [getattr(importlib.import_module(m), n) for m, n in FORK_LOCKS]
    for lock in locks:
        assert lock.acquire(timeout=30)
    try:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_try_locks, args=(queue,))
        child.start()
        got = queue.get(timeout=120)
        child.join(timeout=30)
        queue.close()
        queue.join_thread()
    finally:
        for lock in locks:
            lock.release()
    assert got == [True] * len(FORK_LOCKS), [
        m for m, ok in zip(FORK_LOCKS, got, strict=True) if not ok
    ]


def test_two_users_downloading_the_same_file_each_get_it(send):
    """Dash keys a job's result by its arguments; the page load's token keeps two users'
    identical downloads apart (without it the first to poll took the only result)."""
    fp = open_place("demo").footprint_names[2]
    first = submit(send, profile_body("csv", fp))
    second = submit(send, profile_body("csv", fp))
    assert first.handles["cacheKey"] != second.handles["cacheKey"]
    for job in (first, second):
        response = job.result(timeout=240)
        assert response["profile-dl-status"]["children"] == "Table ready."
