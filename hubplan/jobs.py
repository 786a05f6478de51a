"""Long jobs (siting, exports, footprint design, hot spots on large places) off the web workers.

The dashboard runs them as Dash background callbacks, with progress and cancel, through one of
Dash's own managers:

* **DiskcacheManager** (the default, no extra service): each job runs in a subprocess of the
  app server; results wait in a diskcache folder under the cache folder (``jobs/``).
* **CeleryManager** on Redis, when ``HUBPLAN_REDIS_URL`` is set (``redis://host:6379/0``): jobs
  go to Celery workers, which can run on other machines (``make worker``, or
  ``celery -A hubplan.worker:celery_app worker``); results come back through Redis, so any app server
  pointed at the same Redis can return them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from hubplan.settings import cache_dir

__all__ = ["REDIS_ENV", "ForkGate", "background_manager", "celery_app", "fork_gate", "redis_url"]

REDIS_ENV = "HUBPLAN_REDIS_URL"
#: Finished jobs' results are kept this long (seconds) for the browser to collect.
RESULT_EXPIRES_S = 3600


def redis_url() -> str | None:
    """``$HUBPLAN_REDIS_URL`` (``None`` when unset or empty)."""
    return os.environ.get(REDIS_ENV, "").strip() or None


@lru_cache(maxsize=4)
def celery_app(url: str | None = None) -> Any:
    """The Celery application for ``url`` (default ``$HUBPLAN_REDIS_URL``): broker and results.

    Raises
    ------
    geo.errors.ConfigError
        If no Redis URL is set.
    """
    from celery import Celery

    from geo.errors import ConfigError

    url = url or redis_url()
    if not url:
        raise ConfigError(f"{REDIS_ENV} is not set: Celery workers need a Redis URL")
    app = Celery("hubplan", broker=url, backend=url)
    app.conf.update(
        result_expires=RESULT_EXPIRES_S,
        task_acks_late=True,  # a worker that dies mid-job leaves it for another
        worker_prefetch_multiplier=1,  # long jobs: take one at a time
        broker_connection_retry_on_startup=True,
    )
    return app


class ForkGate:
    """Lets a DiskcacheManager job fork only while no other thread is doing work.

    Dash's DiskcacheManager starts each job by forking the app server. A fork copies only the
    forking thread: a lock that another thread held at that moment stays held for ever in the
    child. Python-level locks can be renewed after a fork, but C libraries' cannot (PROJ's,
    reached through pyproj, was seen to hang a job for good when a request thread was inside
    it). So request threads (and the warm-up thread) hold this gate *shared* while they work,
    and a fork takes it *alone*: it waits for the work in flight to finish and holds new work
    back for the instant the fork takes. A single-threaded server (gunicorn's sync workers,
    the default) never waits.

    A thread that has just finished its work still counts until its OS thread has ended or
    ``settle_s`` has passed: a thread's end runs C code too (PROJ frees its per-thread context
    and closes its SQLite database then, under SQLite's own lock, after Python already reports
    the thread dead), and the development server starts a thread per request, so a job forked
    just as a request thread ended hung in PROJ's after-fork handler for good. Threads of a
    pool (gunicorn's gthread workers) stay alive; after ``settle_s`` they no longer count.

    The gate counts threads, not calls, and forgets threads that have died, so a thread ended
    abruptly (an exception raised into it, as test servers do to stop) cannot leave it shut.
    Each app has its own gate (:func:`hubplan.web.create_app`).

    Parameters
    ----------
    wait_s
        Longest wait for the work in flight; after it the fork goes ahead and says so in the
        log (a request that runs that long is itself a bug to look at).
    settle_s
        How long a thread that finished its work still counts unless it dies first.
    """

    def __init__(self, *, wait_s: float = 30.0, settle_s: float = 2.0) -> None:
        self.wait_s = wait_s
        self.settle_s = settle_s
        self._cond = threading.Condition()
        self._depth: dict[threading.Thread, int] = {}
        self._left: dict[threading.Thread, float] = {}
        self._forker: threading.Thread | None = None

    def _others(self) -> int:
        """Live threads other than this one that are working or have only just stopped
        (dead ones, and ones that stopped over ``settle_s`` ago, are forgotten)."""
        me = threading.current_thread()
        for t in [t for t in self._depth if not t.is_alive()]:
            del self._depth[t]
        now = time.monotonic()
        for t in [t for t, when in self._left.items() if not _os_thread(t) or now >= when]:
            del self._left[t]
        working = {t for t in self._depth if t is not me}
        return len(working | {t for t in self._left if t is not me})

    def _shut(self) -> bool:
        """Whether another live thread is forking now."""
        forker = self._forker
        if forker is not None and not forker.is_alive():
            self._forker = forker = None
        return forker is not None and forker is not threading.current_thread()

    def enter(self) -> None:
        """The calling thread starts work (nested calls count once)."""
        me = threading.current_thread()
        with self._cond:
            if me not in self._depth:
                while self._shut():
                    self._cond.wait(timeout=0.5)
            self._left.pop(me, None)
            self._depth[me] = self._depth.get(me, 0) + 1

    def leave(self) -> None:
        """The work :meth:`enter` announced is over (an unmatched call does nothing)."""
        me = threading.current_thread()
        with self._cond:
            depth = self._depth.get(me, 0)
            if depth > 1:
                self._depth[me] = depth - 1
            elif depth == 1:
                del self._depth[me]
                self._left[me] = time.monotonic() + self.settle_s
                self._cond.notify_all()

    @property
    def active(self) -> int:
        """Threads doing work now, the caller included."""
        with self._cond:
            self._others()
            return len(self._depth)

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Hold the gate alone (the calling thread's own work does not count)."""
        me = threading.current_thread()
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            while self._shut():
                self._cond.wait(timeout=0.5)
            self._forker = me
        try:
            with self._cond:
                while self._others() and time.monotonic() < deadline:
                    # Work that ends notifies; a thread that dies does not: look again soon.
                    self._cond.wait(timeout=min(0.05, max(deadline - time.monotonic(), 0.01)))
                busy = self._others()
            if busy:
                logging.getLogger(__name__).warning(
                    "starting a background job while %d other thread(s) still work (waited %.0f s)",
                    busy,
                    self.wait_s,
                )
            yield
        finally:
            with self._cond:
                if self._forker is me:
                    self._forker = None
                self._cond.notify_all()

    def guard(self, server: Any) -> None:
        """Hold the gate shared for every request ``server`` (a Flask app) handles."""
        server.before_request(self.enter)
        server.teardown_request(lambda _exc=None: self.leave())
        server.extensions["hubplan_fork_gate"] = self


def _ending_process(job_fn: Callable[..., Any]) -> Callable[..., None]:
    """``job_fn`` run in a forked job process that then closes its export browser and ends.

    The job stores its result before it returns. Ending with ``os._exit`` skips the
    interpreter's exit, which in a forked copy of a threaded server joins threads and runs
    finalizers that belong to the parent (a job was seen to outlive its result, and the
    server then waited for it when stopped). Its own Chromium is closed first, so neither
    the browser nor its profile folder outlive the job.
    """

    def run(*args: Any) -> None:
        code = 1
        try:
            job_fn(*args)
            code = 0
        finally:
            try:
                static = sys.modules.get("layers.static")
                if static is not None:
                    static.stop_server()
                for stream in (sys.stdout, sys.stderr):
                    stream.flush()
            finally:
                os._exit(code)

    return run


def _os_thread(thread: threading.Thread) -> bool:
    """Whether the OS thread behind ``thread`` still runs. On Linux it is listed in
    ``/proc/self/task`` until its native exit code (C++ thread-local destructors) has run,
    which is after ``Thread.is_alive()`` turns false; elsewhere ``is_alive()`` is all there is."""
    tid = thread.native_id
    if tid is None or not os.path.isdir("/proc/self/task"):
        return thread.is_alive()
    return os.path.exists(f"/proc/self/task/{tid}")


def fork_gate(server: Any) -> ForkGate | None:
    """The gate guarding ``server`` (a Flask app), if any (:meth:`ForkGate.guard`)."""
    return server.extensions.get("hubplan_fork_gate")


def background_manager(*, gate: ForkGate | None = None) -> Any:
    """The background-callback manager for this process (see the module docstring).

    ``gate``: the app's :class:`ForkGate`, which the DiskcacheManager's job forks wait at
    (a new one when not given; the Celery manager does not fork).
    """
    from dash import CeleryManager, DiskcacheManager

    url = redis_url()
    if url:
        return CeleryManager(celery_app(url), expire=RESULT_EXPIRES_S)
    import diskcache

    the_gate = gate or ForkGate()

    class ForkSafeDiskcacheManager(DiskcacheManager):
        """DiskcacheManager whose job fork waits at the app's :class:`ForkGate`."""

        def call_job_fn(self, key, job_fn, args, context):
            with the_gate.alone():
                return super().call_job_fn(key, _ending_process(job_fn), args, context)

    return ForkSafeDiskcacheManager(
        diskcache.Cache(str(cache_dir() / "jobs")), expire=RESULT_EXPIRES_S
    )
