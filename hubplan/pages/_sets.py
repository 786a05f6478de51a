"""Saved footprint sets on the pages: ``?set=NAME`` shows a page through a saved set."""

from __future__ import annotations

import os
import threading
import weakref

from geo.clusters.footprint_sets import CURRENT, footprint_sets, with_footprint_set
from geo.errors import InputError
from geo.place.model import Place

_views: dict[tuple[int, str], tuple[weakref.ref, Place]] = {}
_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def saved_sets(place: Place) -> list[str]:
    """Names of the place's saved footprint sets (not ``current``)."""
    return [s for s in footprint_sets(place) if s != CURRENT]


def place_view(place: Place, name: str | None) -> tuple[Place, str | None]:
    """``place`` through saved set ``name`` (cached per place object) and a notice if unknown."""
    if not name or name == CURRENT:
        return place, None
    key = (id(place), name)
    with _lock:
        hit = _views.get(key)
        if hit is not None and hit[0]() is place:
            return hit[1], None
    try:
        view = with_footprint_set(place, name)
    except InputError as exc:
        return place, f"{exc}: showing the current footprints."
    with _lock:
        for k in [k for k, (ref, _) in _views.items() if ref() is None]:
            del _views[k]
        _views[key] = (weakref.ref(place), view)
    return view, None
