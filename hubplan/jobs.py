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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from hubplan.settings import cache_dir

__all__ = ["FORK_GATE", "REDIS_ENV", "ForkGate", "background_manager", "celery_app", "redis_url"]

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

    Parameters
    ----------
    wait_s
        Longest wait for the work in flight; after it the fork goes ahead and says so in the
        log (a request that runs that long is itself a bug to look at).
    """

    def __init__(self, *, wait_s: float = 60.0) -> None:
        self.wait_s = wait_s
        self._cond = threading.Condition()
        self._active = 0
        self._forking = False
        self._mine = threading.local()

    def _depth(self) -> int:
        return getattr(self._mine, "depth", 0)

    def enter(self) -> None:
        """A thread starts work (nested calls count once)."""
        depth = self._depth()
        self._mine.depth = depth + 1
        if depth:
            return
        with self._cond:
            while self._forking:
                self._cond.wait()
            self._active += 1

    def leave(self) -> None:
        """The work :meth:`enter` announced is over."""
        depth = self._depth()
        if depth <= 0:
            return
        self._mine.depth = depth - 1
        if depth > 1:
            return
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    @property
    def active(self) -> int:
        """Threads doing work now."""
        with self._cond:
            return self._active

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Hold the gate alone (the calling thread's own work does not count)."""
        inside = self._depth() > 0
        with self._cond:
            if inside:
                self._active -= 1
                self._cond.notify_all()
            while self._forking:
                self._cond.wait()
            self._forking = True
            clear = self._cond.wait_for(lambda: self._active == 0, timeout=self.wait_s)
        if not clear:
            logging.getLogger(__name__).warning(
                "starting a background job while %d other thread(s) still work (waited %.0f s)",
                self._active,
                self.wait_s,
            )
        try:
            yield
        finally:
            with self._cond:
                self._forking = False
                if inside:
                    self._active += 1
                self._cond.notify_all()

    def guard(self, server: Any) -> None:
        """Hold the gate shared for every request ``server`` (a Flask app) handles."""
        server.before_request(self.enter)
        server.teardown_request(lambda _exc=None: self.leave())


#: The gate of this process (see :class:`ForkGate`).
FORK_GATE = ForkGate()


def background_manager() -> Any:
    """The background-callback manager for this process (see the module docstring)."""
    from dash import CeleryManager, DiskcacheManager

    url = redis_url()
    if url:
        return CeleryManager(celery_app(url), expire=RESULT_EXPIRES_S)
    import diskcache

    class ForkSafeDiskcacheManager(DiskcacheManager):
        """DiskcacheManager whose job fork waits at :data:`FORK_GATE`."""

        def call_job_fn(self, key, job_fn, args, context):
            with FORK_GATE.alone():
                return super().call_job_fn(key, job_fn, args, context)

    return ForkSafeDiskcacheManager(
        diskcache.Cache(str(cache_dir() / "jobs")), expire=RESULT_EXPIRES_S
    )
