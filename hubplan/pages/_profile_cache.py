"""The footprint profile table, computed once per opened place (read-only)."""

from __future__ import annotations

import os
import threading
import weakref

import pandas as pd

from geo.indicators.profile import profile_table
from geo.place.model import Place

_cache: dict[int, tuple[weakref.ref, pd.DataFrame]] = {}
_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def cached_profile(place: Place) -> pd.DataFrame:
    """``geo.indicators.profile.profile_table(place)`` indexed by footprint, cached per place object."""
    with _lock:
        hit = _cache.get(id(place))
        if hit is not None and hit[0]() is place:
            return hit[1]
    table = profile_table(place).set_index("footprint")
    with _lock:
        for k in [k for k, (ref, _) in _cache.items() if ref() is None]:
            del _cache[k]
        _cache[id(place)] = (weakref.ref(place), table)
    return table
