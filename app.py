"""Serve the dashboard from a checkout: ``python app.py [--place P] [--host H] [--port N]``.

A thin script over :mod:`hubplan.web` (``make run`` uses it). Installed, the same is
``hubplan serve``. For WSGI servers, ``app:server`` builds the app lazily on first access
(``$HUBPLAN_PLACE`` or the demo); ``hubplan.wsgi:application`` is the production entry point.
"""

from __future__ import annotations

import sys

from hubplan import web
from hubplan.web import create_app, create_server, main

__all__ = ["create_app", "create_server", "main"]


def __getattr__(name: str):
    """``app.server`` / ``app.app``: built on first access."""
    return getattr(web, name)


if __name__ == "__main__":
    sys.exit(main())
