"""The shared export browser (layers.browser): one Chromium per process for images and PDFs.

Two PDFs and a map image in one process are printed by the same Chromium (same PID), the
reused browser's PDF is still the report (A4, at most 3 pages, nothing under 8 pt), and a
browser that died is replaced on the next export.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import plotly.graph_objects as go
import psutil
import pytest

from geo.build.places import open_place
from layers import report, static
from tests.hubplan.test_profile_cmds import check_report_pdf

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait for a reaper in a container)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _page_count(pdf: bytes) -> int:
    import pymupdf

    return pymupdf.open(stream=pdf, filetype="pdf").page_count


def test_two_pdfs_and_an_image_share_one_browser():
    demo = open_place("demo")
    first, second = demo.footprint_names[:2]
    before = static.server_starts
    pdf_a = report.html_to_pdf(report.profile_report_html(demo, first))
    pid = static.server_pid()
    assert pid is not None and psutil.Process(pid).is_running()
    pdf_b = report.html_to_pdf(report.profile_report_html(demo, second))
    assert static.server_pid() == pid
    png = static.figure_to_bytes(go.Figure(go.Bar(x=[1, 2], y=[3, 4])), width=400, height=300)
    assert png.startswith(b"\x89PNG") and static.server_pid() == pid
    # At most one start for all three (none when an earlier test already started it).
    assert static.server_starts - before <= 1
    # The reused browser still prints the report as it should.
    check_report_pdf(pdf_a, demo, first)
    check_report_pdf(pdf_b, demo, second)
    assert pdf_a != pdf_b


def test_pdf_matches_a_fresh_chromium_print():
    """Printed through DevTools or by a new ``chromium --print-to-pdf``: same pages, same text."""
    import pymupdf

    demo = open_place("demo")
    text = report.profile_report_html(demo, demo.footprint_names[0])
    warm = pymupdf.open(stream=report.html_to_pdf(text), filetype="pdf")
    fresh = pymupdf.open(stream=report.html_to_pdf_fresh(text), filetype="pdf")
    assert warm.page_count == fresh.page_count
    for a, b in zip(warm, fresh, strict=True):
        assert a.rect == b.rect
        assert a.get_text().split() == b.get_text().split()


def test_dead_browser_is_replaced():
    demo = open_place("demo")
    text = report.profile_report_html(demo, demo.footprint_names[0])
    report.html_to_pdf(text)
    pid = static.server_pid()
    assert pid is not None
    proc = psutil.Process(pid)
    proc.kill()
    proc.wait(timeout=10)
    pdf = report.html_to_pdf(text)
    new_pid = static.server_pid()
    assert new_pid is not None and new_pid != pid
    assert _page_count(pdf) <= 3


def test_process_exit_closes_the_browser(tmp_path):
    """A process that printed a PDF exits promptly and leaves no Chromium behind."""
    script = textwrap.dedent(
        """
        import sys
        from geo.build.places import open_place
        from layers import report, static

        demo = open_place("demo")
        pdf = report.html_to_pdf(report.profile_report_html(demo, demo.footprint_names[0]))
        assert pdf.startswith(b"%PDF")
        from layers.browser import shared_browser

        print(shared_browser().profile_folder, flush=True)
        print(static.server_pid(), flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    profile, pid_text = proc.stdout.split()[-2:]
    pid = int(pid_text)
    # Chromium's profile folder went with it, and no traceback was printed on the way out
    # (Python's own exit-time cleanup of that folder used to fail now and then).
    assert profile != "None" and not Path(profile).exists(), profile
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    end = time.monotonic() + 15
    while _running(pid) and time.monotonic() < end:
        time.sleep(0.2)
    alive = _running(pid)
    if alive:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not alive, "Chromium left running after the process exited"


def _print_in_child(text: str, queue) -> None:
    from layers.browser import shared_browser

    pdf = report.html_to_pdf(text)
    queue.put((static.server_pid(), pdf[:4], shared_browser().profile_folder))


def test_forked_job_gets_its_own_browser_and_leaves_the_parents_alone():
    """A forked child (as Dash's DiskcacheManager runs a background job) starts its own
    Chromium, never touches the parent's, and its Chromium ends when the child does."""
    import multiprocessing

    demo = open_place("demo")
    text = report.profile_report_html(demo, demo.footprint_names[0])
    report.html_to_pdf(text)
    parent = static.server_pid()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_print_in_child, args=(text, queue))
    child.start()
    try:
        child_browser, head, child_profile = queue.get(timeout=180)
    finally:
        child.join(timeout=60)
        queue.close()
        queue.join_thread()
    assert child.exitcode == 0
    assert head == b"%PDF" and child_browser not in (None, parent)
    end = time.monotonic() + 15
    while _running(child_browser) and time.monotonic() < end:
        time.sleep(0.2)
    assert not _running(child_browser), "the job's Chromium outlived the job"
    assert static.server_pid() == parent
    assert report.html_to_pdf(text).startswith(b"%PDF")
    # The child left by os._exit (as multiprocessing children do), so nothing removed its
    # Chromium profile; the next browser start does (its lock died with the child), and it
    # leaves the parent's profile alone.
    from layers.browser import shared_browser

    browser = shared_browser()
    parent_profile = browser.profile_folder
    assert child_profile is not None and child_profile != parent_profile
    assert child_profile.exists()
    other = type(browser)()
    try:
        other.start()
        assert not child_profile.exists()
        assert parent_profile is not None and parent_profile.exists()
    finally:
        other.close()
    assert report.html_to_pdf(text).startswith(b"%PDF")
