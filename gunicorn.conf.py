"""gunicorn settings for the Locality & Hub Planner: ``gunicorn -c gunicorn.conf.py hubplan.wsgi:application``.

Every value can be overridden on the command line (``--bind``, ``--workers`` ...) or through
``HUBPLAN_BIND`` / ``HUBPLAN_WORKERS``. See ``docs/deploy.md``.
"""

import os

# Loopback only by default: put a reverse proxy (TLS, login) in front for other machines.
bind = os.environ.get("HUBPLAN_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("HUBPLAN_WORKERS", "2"))
threads = int(os.environ.get("HUBPLAN_THREADS", "1"))
# Build the app and warm its caches once, then fork: workers share the read-only pages.
preload_app = True
# Siting and isochrone callbacks can take a few seconds on a large place.
timeout = int(os.environ.get("HUBPLAN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then so memory growth cannot accumulate.
max_requests = int(os.environ.get("HUBPLAN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = os.environ.get("HUBPLAN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("HUBPLAN_LOG_LEVEL", "info")
# Request line/header limits (gunicorn defaults, stated for the record).
limit_request_line = 8190
limit_request_fields = 100
