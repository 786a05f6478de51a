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

import os
from functools import lru_cache
from typing import Any

from hubplan.settings import cache_dir

__all__ = ["REDIS_ENV", "background_manager", "celery_app", "redis_url"]

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


def background_manager() -> Any:
    """The background-callback manager for this process (see the module docstring)."""
    from dash import CeleryManager, DiskcacheManager

    url = redis_url()
    if url:
        return CeleryManager(celery_app(url), expire=RESULT_EXPIRES_S)
    import diskcache

    return DiskcacheManager(diskcache.Cache(str(cache_dir() / "jobs")), expire=RESULT_EXPIRES_S)
