"""Where the planner keeps its files: the cache and the places folder.

``HUBPLAN_CACHE``
    Generated files (the demo bundle, downloaded OSM extracts, built place configs).
    Default: the user's cache folder (``platformdirs.user_cache_dir("hubplan")``).
``HUBPLAN_PLACES``
    The folder whose bundles the dashboard lists in its place switcher.
    Default: ``places`` in the user's data folder (``platformdirs.user_data_dir("hubplan")``).

Nothing is ever written into the installed package. A development checkout's ``Makefile``
points both at ``data/cache`` and ``data/places`` inside the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from geo.errors import ConfigError

__all__ = ["CACHE_ENV", "PLACES_ENV", "cache_dir", "places_dir"]

CACHE_ENV = "HUBPLAN_CACHE"
PLACES_ENV = "HUBPLAN_PLACES"
_APP = "hubplan"


def _from_env(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    return Path(raw).expanduser()


def cache_dir() -> Path:
    """The cache folder (``$HUBPLAN_CACHE`` or the user's cache folder), created if missing.

    Raises
    ------
    geo.errors.ConfigError
        If the folder cannot be created (the message names it).
    """
    folder = _from_env(CACHE_ENV) or Path(platformdirs.user_cache_dir(_APP))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the cache folder ({exc.strerror or exc}); set {CACHE_ENV}", path=folder
        ) from None
    return folder


def places_dir() -> Path:
    """The folder the dashboard lists bundles from (``$HUBPLAN_PLACES`` or the user's data folder)."""
    return _from_env(PLACES_ENV) or Path(platformdirs.user_data_dir(_APP)) / "places"
