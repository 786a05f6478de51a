"""Changing a saved place bundle safely: lock, read fresh, change a copy, write atomically.

Engines that add something to an existing bundle (a user's indicator, a need index) go
through :func:`edit_place`, so two saves at the same time cannot lose each other's change and
a failed change leaves the bundle exactly as it was.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from geo.errors import InputError
from geo.place.bundle import read_place, write_place
from geo.place.model import Place


def copy_place(place: Place) -> Place:
    """A copy of ``place`` whose areas, catalogue, tables and lists can be changed freely."""
    return dataclasses.replace(
        place,
        areas=place.areas.copy(),
        footprints=place.footprints.copy(),
        sites=place.sites.copy(),
        catalogue=dict(place.catalogue),
        attributions=list(place.attributions),
        findings=list(place.findings),
        meta=dict(place.meta),
        tables=dict(place.tables),
    )


@contextmanager
def bundle_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<bundle>.lock`` (beside the bundle) while editing it."""
    lock_path = Path(f"{path}.lock")
    try:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise InputError(
            f"cannot lock the bundle for editing ({exc.strerror})", path=path
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def edit_place(path: str | Path, change: Callable[[Place], Place], *, what: str) -> Place:
    """Apply ``change`` to the bundle at ``path`` and save it atomically; return the new place.

    ``change`` gets a fresh copy read from disk (never a cached place) and returns the changed
    place. If it raises, nothing is written. ``what`` is recorded in the bundle's meta
    (``edited_at``, ``last_edit``).
    """
    path = Path(path).expanduser().resolve()
    if str(path).endswith(".gpkg") is False:
        raise InputError("can only save into a place bundle (.gpkg)", path=path)
    with bundle_lock(path):
        place = copy_place(read_place(path))
        changed = change(place)
        changed.meta["edited_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        changed.meta["last_edit"] = what
        write_place(changed, path)
    changed.path = path
    return changed
