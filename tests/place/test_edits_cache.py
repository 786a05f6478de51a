"""The edit count asked on every open is cached for a short time-to-live (issue 17).

``open_place`` asks the edit store how many edits a place has; within ``HUBPLAN_EDITS_TTL``
seconds the answer is reused, so the hot path does not query the database per request. An
edit saved in this process is visible at once; one saved elsewhere within the TTL.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from geo.build.pipeline import build_bundle
from geo.build.places import open_place
from geo.clusters.footprint_sets import footprint_sets, save_footprint_set
from geo.errors import ConfigError
from geo.place.bundle import read_place
from geo.place.edits import EditStore, PlaceChange, cached_version, edits_ttl, place_id
from tests.support.postgres import postgres_url  # noqa: F401  (fixture)
from tests.support.tiny import write_tiny_place


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    if request.param == "postgresql":
        monkeypatch.setenv("HUBPLAN_DATABASE_URL", request.getfixturevalue("postgres_url"))
    else:
        monkeypatch.delenv("HUBPLAN_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture
def tiny(tmp_path):
    config = write_tiny_place(tmp_path / "src")
    return build_bundle(config, tmp_path / "tiny.gpkg").path


@pytest.fixture
def counted(monkeypatch):
    """How many times the edit store was asked for a place's edit count."""
    calls = {"n": 0}
    real = EditStore.version

    def version(self, place, *, con=None):
        if con is None:
            calls["n"] += 1
        return real(self, place, con=con)

    monkeypatch.setattr(EditStore, "version", version)
    return calls


def _set(path) -> pd.Series:
    codes = list(read_place(path, edits=False).areas.index)
    return pd.Series(["A"] * len(codes), index=codes)


def _edit_from_elsewhere(path, name: str) -> None:
    """Store an edit as another process or machine would: straight into the store, without
    this process's cache hearing of it."""
    bundle = read_place(path, edits=False)
    change = PlaceChange(meta={"from_elsewhere": name})
    store = EditStore.for_bundle(path)
    key = place_id(bundle)
    with store.locked(key) as con:
        store.append(con, key, f"elsewhere {name}", change)


def test_hot_path_asks_the_store_once_per_ttl(tiny, counted, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "60")
    for _ in range(20):
        open_place(tiny)
    assert counted["n"] == 1


def test_ttl_zero_asks_every_time(tiny, counted, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "0")
    for _ in range(5):
        open_place(tiny)
    assert counted["n"] == 5


def test_own_edit_is_visible_at_once(tiny, backend, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "60")
    assert set(footprint_sets(open_place(tiny))) == {"current"}  # count cached now
    save_footprint_set(tiny, "mine", _set(tiny))
    assert set(footprint_sets(open_place(tiny))) == {"current", "mine"}


def test_edit_from_elsewhere_is_seen_after_the_ttl(tiny, backend, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "0.5")
    assert "from_elsewhere" not in open_place(tiny).meta
    started = time.monotonic()
    _edit_from_elsewhere(tiny, "b")
    place = open_place(tiny)
    if time.monotonic() - started < 0.5:  # still within the TTL: the cached count is reused
        assert "from_elsewhere" not in place.meta
    time.sleep(0.6)
    assert open_place(tiny).meta["from_elsewhere"] == "b"


def test_edit_from_elsewhere_is_stale_within_a_long_ttl(tiny, monkeypatch):
    """The cost of the cache, stated: within the TTL another machine's edit is not yet seen."""
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "60")
    open_place(tiny)
    _edit_from_elsewhere(tiny, "c")
    assert "from_elsewhere" not in open_place(tiny).meta
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", "0")
    assert open_place(tiny).meta["from_elsewhere"] == "c"


def test_cached_version_per_store_and_place(tiny, tmp_path):
    store = EditStore.for_bundle(tiny)
    key = place_id(read_place(tiny, edits=False))
    assert cached_version(store, key, ttl=60) == 0
    _edit_from_elsewhere(tiny, "d")
    assert cached_version(store, key, ttl=60) == 0  # remembered
    assert cached_version(store, key, ttl=0) == 1  # asked
    other = EditStore(path=tmp_path / "other.sqlite")
    assert cached_version(other, key, ttl=60) == 0  # another store: its own answer


@pytest.mark.parametrize("raw", ["soon", "-1", "nan", "1e9"])
def test_bad_ttl_is_one_clear_line(raw, monkeypatch):
    monkeypatch.setenv("HUBPLAN_EDITS_TTL", raw)
    with pytest.raises(ConfigError, match=f"HUBPLAN_EDITS_TTL='{raw}' is not a number of seconds"):
        edits_ttl()


def test_default_ttl(monkeypatch):
    monkeypatch.delenv("HUBPLAN_EDITS_TTL", raising=False)
    assert edits_ttl() == 2.0
