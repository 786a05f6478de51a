"""The Celery worker for long dashboard jobs: ``celery -A hubplan.worker:celery_app worker`` (``make worker``).

Importing this module builds the Dash app (so every page's background callbacks are
registered as Celery tasks under the same names the app servers use) and exposes
:data:`celery_app`. It needs ``HUBPLAN_REDIS_URL``, and the same place settings
(``HUBPLAN_PLACE``, ``HUBPLAN_PLACES``, ``HUBPLAN_DATABASE_URL``) as the app servers.
"""

from __future__ import annotations

from hubplan.jobs import celery_app as _celery_app
from hubplan.jobs import redis_url
from hubplan.web import create_app, prepare_place

__all__ = ["celery_app", "dash_app"]

dash_app = create_app(place=prepare_place(None))  # $HUBPLAN_PLACE or the demo
celery_app = _celery_app(redis_url())
