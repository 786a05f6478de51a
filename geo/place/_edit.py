"""Changing a place safely: lock, read fresh, change a copy, store the change as an edit.

Engines that add something to an existing place (a user's indicator, a need index, a
footprint set) go through :func:`edit_place`, so two saves at the same time cannot lose each
other's change, a failed change stores nothing, and the bundle file is never rewritten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from geo.errors import InputError
from geo.place.bundle import read_place
from geo.place.edits import EditStore, apply_edits, diff_places, forget_version, place_id
from geo.place.model import Place
from geo.place.postgis import is_database_url


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


def edit_place(path: str | Path, change: Callable[[Place], Place], *, what: str) -> Place:
    """Record ``change`` to the place at ``path`` as a shared edit; return the changed place.

    The bundle file is never rewritten: the change is stored in the place's edit store
    (PostgreSQL from ``$HUBPLAN_DATABASE_URL``, else SQLite beside the bundle; see
    :mod:`geo.place.edits`) and applied whenever the place is opened. ``change`` gets a fresh
    copy (the bundle plus every edit so far, read while holding the place's lock, so two saves
    at once cannot lose each other's change) and returns the changed place. If it raises,
    nothing is stored. ``what`` is recorded with the edit and in the place's meta
    (``edited_at``, ``last_edit``).
    """
    if not is_database_url(path):
        path = Path(path).expanduser().resolve()
        if str(path).endswith(".gpkg") is False:
            raise InputError(
                "can only save into a place bundle (.gpkg) or a PostGIS place", path=path
            )
    bundle = read_place(path, edits=False)
    key = place_id(bundle)
    store = EditStore.for_bundle(path)
    while True:
        # Compute outside the lock (a failed change then creates nothing, and a slow one does
        # not hold up other writers); store it only if no other edit landed meanwhile.
        seen = store.version(key)
        before = apply_edits(copy_place(bundle), store, upto=seen)
        changed = change(copy_place(before))
        changed.meta["edited_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        changed.meta["last_edit"] = what
        diff = diff_places(before, changed)
        with store.locked(key) as con:
            if store.version(key, con=con) == seen:
                store.append(con, key, what, diff)
                break
    # Committed: this process's next open sees the edit at once (not after the cache's TTL).
    forget_version(store, key)
    changed.path = path
    return changed
