"""One headless Chromium per process for every static export: map images and PDFs.

The browser is a :class:`kaleido.Kaleido` (a choreographer browser that renders Plotly figures)
running on its own asyncio event loop in a daemon thread. It is started lazily on the first
export, reused by every later one (kaleido figures through :meth:`ExportBrowser.calc_fig`, HTML
pages printed to PDF with the DevTools ``Page.printToPDF`` command through
:meth:`ExportBrowser.print_pdf`), restarted when its Chromium has died, and closed when the
process exits (``atexit``).

Callers serialise on their own lock (:mod:`layers.static`); the methods here are thread safe
in that every call runs on the browser's own loop.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from geo.place.bundle import TempLock, remove_stale_temps

T = TypeVar("T")

#: Seconds to wait for Chromium to start and load kaleido's page.
START_TIMEOUT_S = 60.0
#: Seconds to wait for Chromium to close before giving up.
CLOSE_TIMEOUT_S = 20.0


class BrowserError(RuntimeError):
    """The export browser failed (did not start, died, or a DevTools command failed)."""


def _check(response: Any, what: str) -> dict:
    if not isinstance(response, dict):
        raise BrowserError(f"{what}: no answer from Chromium")
    if "error" in response:
        raise BrowserError(f"{what} failed: {response['error']}")
    return response.get("result", {})


class ExportBrowser:
    """A long-lived headless Chromium (kaleido) on a private event loop.

    Parameters
    ----------
    timeout
        Seconds one figure may take (kaleido's render timeout).
    """

    def __init__(self, *, timeout: float = 90) -> None:
        self._timeout = timeout
        #: The process that created this object (only it may close the browser).
        self.owner = os.getpid()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self._profile: TempLock | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def pid(self) -> int | None:
        """Process id of the running Chromium, or None when not started."""
        proc = getattr(self._kaleido, "subprocess", None)
        return None if proc is None else int(proc.pid)

    @property
    def profile_folder(self) -> Path | None:
        """The locked folder holding Chromium's profile, or None (not started, or Chromium's
        default temp folder)."""
        return None if self._profile is None else _profile_root(self._profile)

    def is_alive(self) -> bool:
        """True when the loop thread runs and its Chromium has not exited."""
        if self._thread is None or not self._thread.is_alive() or self._kaleido is None:
            return False
        proc = getattr(self._kaleido, "subprocess", None)
        return proc is not None and _running(int(proc.pid))

    def start(self) -> None:
        """Start the loop thread and Chromium (no-op when alive; restarts a dead one)."""
        if self.is_alive():
            return
        self.close()
        import kaleido

        self._profile = _profile_lock()
        extra = {} if self._profile is None else {"tmp_dir": str(_profile_root(self._profile))}
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=loop.run_forever, name="hubplan-export-browser", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread

        async def open_browser() -> Any:
            # mathjax=False: the default loads MathJax from a CDN, which stalls offline.
            k = kaleido.Kaleido(n=1, timeout=self._timeout, mathjax=False, **extra)
            await k.open()
            if extra:
                # Python's exit-time cleanup of Chromium's temp profile (a weakref finalizer)
                # can run before our atexit close, while Chromium still writes to it, and
                # print "Directory not empty: 'Default'" after a good export. The folder is
                # ours and locked: close() removes it, or the next start after a crash.
                _detach_cleanup(k)
            return k

        try:
            self._kaleido = self._run(open_browser, timeout=START_TIMEOUT_S)
        except Exception as exc:
            self.close()
            raise BrowserError(
                f"the Chromium used for static export failed to start: {exc}"
            ) from exc

    def close(self) -> None:
        """Close Chromium and stop the loop thread (safe to call more than once)."""
        loop, thread, k, lock = self._loop, self._thread, self._kaleido, self._profile
        self._loop = self._thread = self._kaleido = self._profile = None
        try:
            self._close(loop, thread, k)
        finally:
            if lock is not None:
                shutil.rmtree(_profile_root(lock), ignore_errors=True)
                lock.release()

    def _close(
        self,
        loop: asyncio.AbstractEventLoop | None,
        thread: threading.Thread | None,
        k: Any,
    ) -> None:
        if loop is None:
            return
        profile = _profile_dir(k)
        if k is not None and thread is not None and thread.is_alive():
            # A dead browser may fail to close; it is killed below.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(CLOSE_TIMEOUT_S)
        proc = getattr(k, "subprocess", None)
        if proc is not None and _running(int(proc.pid)):
            proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        if thread is not None and thread.is_alive():
            # End what is left (e.g. a dead browser's watchdog) before the loop stops.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(CLOSE_TIMEOUT_S)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=CLOSE_TIMEOUT_S)
        if not loop.is_running():
            loop.close()
        if profile is not None:
            _remove_profile(*profile)

    # ------------------------------------------------------------------ calls

    def _run(self, fn: Callable[[], Awaitable[T]], *, timeout: float) -> T:
        if self._loop is None:
            raise BrowserError("the export browser is not running")

        async def wrapped() -> T:
            return await fn()

        future = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BrowserError(f"Chromium did not answer within {timeout:g} s") from None

    def calc_fig(self, data: dict, *, opts: dict) -> bytes:
        """Render a Plotly figure dict with kaleido (PNG, SVG or PDF bytes)."""
        k = self._kaleido
        if k is None:
            raise BrowserError("the export browser is not running")
        return self._run(lambda: k.calc_fig(data, opts=opts), timeout=self._timeout + 10)

    def print_pdf(self, html_text: str, *, timeout: float = 120) -> bytes:
        """Print an HTML document to PDF in a new tab of the running Chromium.

        The page's own CSS ``@page`` size and margins are used (``preferCSSPageSize``),
        backgrounds are printed, and Chromium's own header and footer are off (the document
        draws its running header and page numbers itself).
        """
        k = self._kaleido
        if k is None:
            raise BrowserError("the export browser is not running")
        with tempfile.TemporaryDirectory(prefix="hubplan-pdf-") as tmp:
            src = Path(tmp) / "report.html"
            src.write_text(html_text, encoding="utf-8")
            return self._run(lambda: _print_pdf(k, src.as_uri()), timeout=timeout)


#: Chromium profiles go in this folder of the system temp folder, one locked folder each
#: (``.profile.<pid>.<random>.tmp``): a process that dies without closing its browser (a
#: killed job, ``os._exit`` in a forked child) leaves a folder the next browser start removes.
PROFILE_ROOT = "hubplan-chromium"


def _profile_lock() -> TempLock | None:
    """Lock a new profile folder in :data:`PROFILE_ROOT` (removing dead browsers' ones), or
    ``None`` (Chromium's default temp folder) when that folder is not ours or not writable."""
    root = Path(tempfile.gettempdir()) / PROFILE_ROOT
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        if root.stat().st_uid != os.getuid() or not os.access(root, os.W_OK):
            return None
        remove_stale_temps(root, target="profile")
        lock = TempLock(root / "profile")
        try:
            _profile_root(lock).mkdir()
        except OSError:
            lock.release()
            raise
        return lock
    except OSError:
        return None


def _profile_root(lock: TempLock) -> Path:
    return Path(tempfile.gettempdir()) / PROFILE_ROOT / lock.stem


def _profile_dir(k: Any) -> tuple[Path, Any] | None:
    """Chromium's temporary profile folder (choreographer's ``TmpDirectory``) and its
    ``tempfile.TemporaryDirectory``, or ``None`` when the browser has none."""
    tmp = getattr(getattr(k, "_browser_impl", None), "tmp_dir", None)
    path = getattr(tmp, "path", None)
    return None if path is None else (Path(path), getattr(tmp, "temp_dir", None))


def _detach_cleanup(k: Any) -> None:
    found = _profile_dir(k)
    if found is not None:
        _no_exit_cleanup(found[1])


def _no_exit_cleanup(temp_dir: Any) -> None:
    """Switch off a ``tempfile.TemporaryDirectory``'s own removal at interpreter exit."""
    finalizer = getattr(temp_dir, "_finalizer", None)
    if finalizer is not None:
        finalizer.detach()


def _remove_profile(path: Path, temp_dir: Any, *, seconds: float = 5.0) -> None:
    """Remove Chromium's profile folder once its last helper process stops writing to it.

    Chromium's helpers (renderer, GPU, crash handler) can still write to the profile for a
    moment after the browser has closed. Left to the interpreter's exit, Python's own cleanup
    of the folder then failed now and then with "Directory not empty: 'Default'", printing a
    traceback after a successful export. So the folder is removed here, retried while
    something still writes to it, and the exit-time cleanup is then switched off.
    """
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        shutil.rmtree(path, ignore_errors=True)
        if path.exists():
            time.sleep(0.1)
    _no_exit_cleanup(temp_dir)


def _running(pid: int) -> bool:
    """True when ``pid`` runs and is not a zombie. (``Popen.poll`` cannot tell while
    choreographer's watchdog thread blocks in ``wait`` on the same process.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: a dead child not yet reaped is a zombie ("Z")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


async def _cancel_pending() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _print_pdf(k: Any, url: str) -> bytes:
    tab = await k.create_tab(url="")
    try:
        _check(await tab.send_command("Page.enable"), "Page.enable")
        loaded = tab.subscribe_once("Page.loadEventFired")
        while loaded.done():  # an old event: wait for the next one
            loaded = tab.subscribe_once("Page.loadEventFired")
        nav = _check(await tab.send_command("Page.navigate", params={"url": url}), "Page.navigate")
        if nav.get("errorText"):
            raise BrowserError(f"Chromium could not open the report page: {nav['errorText']}")
        await loaded
        # Fonts used by the page must be ready before printing (else fallback glyphs).
        await tab.send_command(
            "Runtime.evaluate",
            params={"expression": "document.fonts.ready.then(() => true)", "awaitPromise": True},
        )
        result = _check(
            await tab.send_command(
                "Page.printToPDF",
                params={
                    "preferCSSPageSize": True,
                    "printBackground": True,
                    "displayHeaderFooter": False,
                    "generateTaggedPDF": True,
                },
            ),
            "Page.printToPDF",
        )
        return base64.b64decode(result["data"])
    finally:
        with contextlib.suppress(Exception):  # the tab goes with the browser if it died
            await k.close_tab(tab.target_id)


_browser: ExportBrowser | None = None
_lock = threading.RLock()


def shared_browser(*, timeout: float = 90) -> ExportBrowser:
    """The process's export browser (created, not started; call ``start()``)."""
    global _browser
    with _lock:
        if _browser is None:
            _browser = ExportBrowser(timeout=timeout)
            atexit.register(_close_at_exit)
        return _browser


def _close_at_exit() -> None:
    if _browser is not None and _browser.owner == os.getpid():
        _browser.close()


def _forget_after_fork() -> None:
    """In a forked child (a Dash DiskcacheManager job, a prefork worker): the parent's browser,
    loop thread and locks belong to the parent. Forget them (never close or kill the parent's
    Chromium); the child starts its own browser on its first export."""
    global _browser, _lock
    _browser = None
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
