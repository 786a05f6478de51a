"""The dashboard's settings, read from the environment when they are needed.

``HUBPLAN_PLACE``
    The place served by default: a bundle (``.gpkg``), a place config (``.toml``, built into
    the cache once), a PostGIS place URL (``postgresql://USER@HOST/DB?schema=NAME``) or
    ``demo`` (the default).
``HUBPLAN_CACHE``, ``HUBPLAN_PLACES``
    The cache and places folders (see :mod:`geo.settings`; platformdirs defaults).
``HUBPLAN_BASIC_AUTH``
    ``user:password`` to require HTTP basic auth on every route (use behind HTTPS).
``HUBPLAN_SECRET_KEY``
    Flask's secret key (random per process when unset).
``HUBPLAN_MAX_REQUEST_MB``
    Largest request body accepted (default 16 MB; bigger uploads get 413).
``HUBPLAN_DATABASE_URL``
    PostgreSQL URL for saved scenarios (SQLite beside the bundle when unset).
"""

from __future__ import annotations

import argparse
import os

from geo.errors import ConfigError
from geo.settings import cache_dir, places_dir

__all__ = [
    "AUTH_ENV",
    "DEFAULT_MAX_REQUEST_MB",
    "MAX_REQUEST_ENV",
    "PLACE_ENV",
    "SECRET_ENV",
    "add_serve_arguments",
    "basic_auth",
    "cache_dir",
    "default_place",
    "max_request_bytes",
    "parse_basic_auth",
    "places_dir",
    "secret_key",
]

PLACE_ENV = "HUBPLAN_PLACE"
AUTH_ENV = "HUBPLAN_BASIC_AUTH"
SECRET_ENV = "HUBPLAN_SECRET_KEY"
MAX_REQUEST_ENV = "HUBPLAN_MAX_REQUEST_MB"
# Callback bodies carry uploads base64-encoded (4/3 of the file) plus the other inputs.
DEFAULT_MAX_REQUEST_MB = 16.0
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``hubplan serve`` and ``python app.py``."""
    parser.add_argument(
        "--place",
        default=None,
        metavar="PATH|demo",
        help="place bundle (.gpkg), place config (.toml), a bundle name in the places folder "
        "($HUBPLAN_PLACES), a PostGIS place URL (postgresql://USER@HOST/DB?schema=NAME), "
        f"or 'demo' (default: ${PLACE_ENV} if set, else the demo)",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (off by default)")


def default_place() -> str | None:
    """``$HUBPLAN_PLACE`` (``None`` when unset or empty)."""
    return os.environ.get(PLACE_ENV) or None


def max_request_bytes() -> int:
    """Largest request body the server accepts (``$HUBPLAN_MAX_REQUEST_MB``, default 16 MB).

    Flask refuses a bigger body with 413 before reading it, so an oversized upload never
    reaches a callback (uploads are further capped at ``geo.indicators.uploads.MAX_BYTES``).
    """
    raw = os.environ.get(MAX_REQUEST_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_REQUEST_MB
    except ValueError:
        raise ConfigError(f"{MAX_REQUEST_ENV}={raw!r} must be a number of megabytes") from None
    if not 0 < mb < 10_000:
        raise ConfigError(f"{MAX_REQUEST_ENV}={raw!r} must be between 0 and 10000 megabytes")
    return int(mb * 1024 * 1024)


def parse_basic_auth(value: str) -> tuple[str, str]:
    """``"user:password"`` -> ``(user, password)``; raise ``ConfigError`` when malformed."""
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError(f"{AUTH_ENV} must be 'user:password' (both non-empty)")
    return user.strip(), password


def basic_auth() -> str | None:
    """``$HUBPLAN_BASIC_AUTH`` (``None`` when unset or empty)."""
    return os.environ.get(AUTH_ENV) or None


def secret_key() -> str | None:
    """``$HUBPLAN_SECRET_KEY`` (``None`` when unset or empty)."""
    return os.environ.get(SECRET_ENV) or None
