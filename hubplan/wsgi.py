"""Production entry point: ``gunicorn -c gunicorn.conf.py hubplan.wsgi:application``.

Environment:

``HUBPLAN_PLACE``
    The place bundle (``.gpkg``), place config (``.toml``, built into ``data/cache`` once) or
    ``demo`` (default).
``HUBPLAN_BASIC_AUTH``
    ``user:password`` to require HTTP basic auth on every route (optional; use behind HTTPS).
``HUBPLAN_MAX_REQUEST_MB``
    Largest request body accepted (default 16 MB; bigger uploads get 413).

With ``--preload`` (the default in ``gunicorn.conf.py``) the app is built and its caches are
warmed once in the master process before the workers fork; the bundle is only read, and
scenarios live in the database, so the workers share no mutable state in memory. Dash debug
mode is never enabled here. See ``docs/deploy.md``.
"""

from __future__ import annotations

import sys

from geo.errors import InputError
from hubplan.web import create_server

try:
    application = create_server(warm="now")
except InputError as exc:  # e.g. a malformed $HUBPLAN_BASIC_AUTH: one line, not a traceback
    print(f"hubplan: error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
server = application  # ``gunicorn hubplan.wsgi:server`` also works
