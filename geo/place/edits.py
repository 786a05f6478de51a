"""Shared edits to places, kept in a database and applied over the read-only bundle.

What users add to a place in the dashboard or the CLI (uploaded indicators, need indices,
footprint sets) is an *edit*. Edits are rows in a database keyed by the place's identity
(``place_id`` in the bundle's meta, written when the bundle is built), never changes to the
bundle file:

* with ``HUBPLAN_DATABASE_URL`` set, in that PostgreSQL database, so every app server and
  command pointed at it, on any machine, with its own copy of the bundle, sees every edit;
* otherwise, for a place in PostGIS (:mod:`geo.place.postgis`), in that place's database;
* otherwise in SQLite beside the bundle (``<bundle stem>.edits.sqlite``, WAL mode).

Both go through one code path (:class:`EditStore` over :class:`geo.place._db.SqlStore`).
:func:`geo.place.bundle.read_place` applies a place's edits, in order, whenever it is opened;
:func:`geo.place._edit.edit_place` records a new one. ``hubplan edits PLACE apply --out
NEW.gpkg`` folds them into a new bundle for offline use.

How many edits a place has is asked on every open (:func:`geo.build.places.open_place`).
:func:`cached_version` keeps that answer for ``HUBPLAN_EDITS_TTL`` seconds (default
:data:`DEFAULT_EDITS_TTL_S`; ``0`` asks every time), so a busy app server does not query the
database per request. An edit saved in this process forgets the cached answer at once
(:func:`forget_version`), so it is visible immediately; an edit saved by another process or
machine is seen within the time-to-live.

An edit stores what changed, as JSON: whole area columns (by area code), catalogue entries,
non-spatial tables, added attributions and meta keys. Changing areas' geometry, footprints or
sites is not an edit (rebuild the place instead).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import ConfigError, DataError, InputError
from geo.place._db import ENV_URL, SqlStore
from geo.place.config import Indicator
from geo.place.model import Attribution, Place
from geo.place.postgis import is_database_url, parse_url

__all__ = [
    "DEFAULT_EDITS_TTL_S",
    "EDITS_TTL_ENV",
    "ENV_URL",
    "Edit",
    "EditStore",
    "PlaceChange",
    "apply_change",
    "apply_edits",
    "cached_version",
    "diff_places",
    "edits_ttl",
    "forget_version",
    "identity",
    "place_id",
    "sqlite_path_for",
]

SUFFIX = ".edits.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS hubplan_edits (
    place_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    what TEXT NOT NULL,
    change TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (place_id, seq)
)
"""
_INDICATOR_FIELDS = {f.name for f in dataclasses.fields(Indicator)}
EDITS_TTL_ENV = "HUBPLAN_EDITS_TTL"
#: Seconds an open reuses the known number of a place's edits before asking the store again.
DEFAULT_EDITS_TTL_S = 2.0
#: Longest time-to-live accepted (an edit from another machine must show within minutes).
MAX_EDITS_TTL_S = 600.0


def place_id(place: Place) -> str:
    """The place's identity: ``place_id`` from its build, or one derived from its build record.

    Bundles built before identities were stored get ``legacy-<digest>`` of their name, build
    time and config, which is the same for every copy of the same file.
    """
    return identity({**place.meta, "name": place.name, "config": place.config_text or ""})


def identity(meta: dict[str, str]) -> str:
    """:func:`place_id` from a bundle's ``meta`` table (``place_id``, ``name``, ``built_at``, ``config``)."""
    given = str(meta.get("place_id") or "").strip()
    if given:
        return given
    parts = [str(meta.get(k, "") or "") for k in ("name", "built_at", "config")]
    return "legacy-" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def sqlite_path_for(bundle: str | Path) -> Path:
    """``<bundle stem>.edits.sqlite`` beside the bundle."""
    bundle = Path(bundle)
    return bundle.with_name(bundle.stem + SUFFIX)


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if pd.isna(value):
        return None
    return str(value)


@dataclass
class PlaceChange:
    """What one edit changed (see the module docstring). Empty parts are omitted in JSON."""

    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    catalogue: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_catalogue: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)
    dropped_tables: list[str] = field(default_factory=list)
    attributions: list[tuple[str, str]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any(
            (
                self.columns,
                self.dropped_columns,
                self.catalogue,
                self.dropped_catalogue,
                self.tables,
                self.dropped_tables,
                self.attributions,
            )
        )

    def to_json(self) -> str:
        data = {k: v for k, v in dataclasses.asdict(self).items() if v}
        return json.dumps(data, ensure_ascii=False, allow_nan=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PlaceChange:
        data = json.loads(text)
        data["attributions"] = [tuple(a) for a in data.get("attributions", [])]
        return cls(**data)

    def summary(self) -> str:
        """A short description: ``2 area columns, 1 catalogue entry, 1 table``."""
        parts = []
        for count, noun in (
            (len(self.columns), "area column"),
            (len(self.catalogue), "catalogue entry"),
            (len(self.tables), "table"),
            (len(self.dropped_columns) + len(self.dropped_catalogue), "removal"),
        ):
            if count:
                plural = "entries" if noun.endswith("entry") else noun + "s"
                parts.append(f"{count} {noun if count == 1 else plural}")
        return ", ".join(parts) or "no change"


def _table_json(frame: pd.DataFrame) -> str:
    if "geometry" in frame.columns:
        raise DataError("an edit cannot store a table with geometry; rebuild the place instead")
    return frame.to_json(orient="split", index=False, date_format="iso", default_handler=str)


def _table_from_json(text: str) -> pd.DataFrame:
    return pd.read_json(io.StringIO(text), orient="split", dtype=False)


def diff_places(before: Place, after: Place) -> PlaceChange:
    """The change that turns ``before`` into ``after`` (same areas, footprints and sites).

    Raises
    ------
    geo.errors.DataError
        If areas, footprints or sites differ in anything but area attribute columns.
    """
    if not before.areas.index.equals(after.areas.index):
        raise DataError("an edit cannot add or remove areas; rebuild the place instead")
    for what in ("footprints", "sites"):
        a, b = getattr(before, what), getattr(after, what)
        if len(a) != len(b) or not a.drop(columns="geometry", errors="ignore").equals(
            b.drop(columns="geometry", errors="ignore")
        ):
            raise DataError(f"an edit cannot change the place's {what}; rebuild the place instead")
    change = PlaceChange()
    codes = [str(c) for c in after.areas.index]
    for col in after.areas.columns:
        if col == "geometry":
            continue
        new = after.areas[col]
        old = before.areas[col] if col in before.areas.columns else None
        if old is None or not old.equals(new):
            change.columns[str(col)] = {
                code: _json_value(v) for code, v in zip(codes, new.tolist(), strict=True)
            }
    change.dropped_columns = [str(c) for c in before.areas.columns if c not in after.areas.columns]
    for key, ind in after.catalogue.items():
        if before.catalogue.get(key) != ind:
            change.catalogue[key] = {k: _json_value(v) for k, v in dataclasses.asdict(ind).items()}
    change.dropped_catalogue = [k for k in before.catalogue if k not in after.catalogue]
    for name, table in after.tables.items():
        old_table = before.tables.get(name)
        if old_table is table:  # untouched (copies share their tables)
            continue
        new_frame = pd.DataFrame(table)
        if old_table is None or not pd.DataFrame(old_table).equals(new_frame):
            change.tables[name] = _table_json(new_frame)
    change.dropped_tables = [n for n in before.tables if n not in after.tables]
    known = {(a.source, a.text) for a in before.attributions}
    change.attributions = [
        (a.source, a.text) for a in after.attributions if (a.source, a.text) not in known
    ]
    change.meta = {
        str(k): str(v) for k, v in after.meta.items() if before.meta.get(k) != v and k != "place_id"
    }
    return change


def _indicator(data: dict[str, Any]) -> Indicator:
    kw = {k: v for k, v in data.items() if k in _INDICATOR_FIELDS}
    for k in ("unit", "source", "attribution", "vintage", "description"):
        kw[k] = kw.get(k) or ""
    if kw.get("per") is None:
        kw["per"] = 100.0
    return Indicator(**kw)


def apply_change(place: Place, change: PlaceChange) -> Place:
    """Apply ``change`` to ``place`` in place (``place`` must be a copy you own)."""
    index = place.areas.index.astype(str)
    for col, values in change.columns.items():
        series = pd.Series(values, dtype=object).reindex(index)
        numeric = pd.to_numeric(series, errors="coerce")
        usable = series.isna() | numeric.notna()
        place.areas[col] = numeric.to_numpy(float) if bool(usable.all()) else series.to_numpy()
    place.areas = place.areas.drop(
        columns=[c for c in change.dropped_columns if c in place.areas.columns]
    )
    for key, data in change.catalogue.items():
        place.catalogue[key] = _indicator(data)
    for key in change.dropped_catalogue:
        place.catalogue.pop(key, None)
    for name, text in change.tables.items():
        place.tables[name] = _table_from_json(text)
    for name in change.dropped_tables:
        place.tables.pop(name, None)
    known = {(a.source, a.text) for a in place.attributions}
    for source, text in change.attributions:
        if (source, text) not in known:
            place.attributions.append(Attribution(source, text))
    place.meta.update(change.meta)
    return place


@dataclass(frozen=True)
class Edit:
    """One stored edit: its number for the place, what it was, when, and the change."""

    seq: int
    what: str
    saved_at: str
    change: PlaceChange


class EditStore(SqlStore):
    """The edits of places, in SQLite (``path``) or PostgreSQL (``url``)."""

    WHAT = "edits"
    SCHEMA = SCHEMA
    TABLE = "hubplan_edits"

    @classmethod
    def for_bundle(cls, bundle: str | Path, *, url: str | None = None) -> EditStore:
        """``url`` or ``$HUBPLAN_DATABASE_URL`` when set, else the SQLite file beside the bundle
        (for a PostGIS place, its own database)."""
        url = url or os.environ.get(ENV_URL, "").strip() or None
        if not url and is_database_url(bundle):
            url = parse_url(str(bundle)).url
        return cls(url=url) if url else cls(path=sqlite_path_for(bundle))

    def version(self, place: str, *, con: Any = None) -> int:
        """The number of the place's newest edit (0 when it has none); ``con``: in that
        open transaction."""
        sql = "SELECT MAX(seq) FROM hubplan_edits WHERE place_id = ?"
        if con is not None:
            return int(con.execute(self.q(sql), (place,)).fetchone()[0] or 0)
        rows = self.read(sql, (place,))
        return int(rows[0][0] or 0) if rows else 0

    def edits(self, place: str, *, upto: int | None = None) -> list[Edit]:
        """The place's edits in order (up to number ``upto``)."""
        rows = self.read(
            "SELECT seq, what, change, saved_at FROM hubplan_edits WHERE place_id = ? "
            "AND seq <= ? ORDER BY seq",
            (place, upto if upto is not None else 2**62),
        )
        return [
            Edit(int(seq), str(what), str(saved), PlaceChange.from_json(text))
            for seq, what, text, saved in rows
        ]

    def append(self, con: Any, place: str, what: str, change: PlaceChange) -> Edit:
        """Record ``change`` inside the open transaction ``con`` (see :meth:`locked`)."""
        seq = con.execute(
            self.q("SELECT COALESCE(MAX(seq), 0) + 1 FROM hubplan_edits WHERE place_id = ?"),
            (place,),
        ).fetchone()[0]
        saved = datetime.now(UTC).isoformat(timespec="seconds")
        con.execute(
            self.q(
                "INSERT INTO hubplan_edits (place_id, seq, what, change, saved_at) "
                "VALUES (?, ?, ?, ?, ?)"
            ),
            (place, int(seq), what, change.to_json(), saved),
        )
        return Edit(int(seq), what, saved, change)

    def locked(self, place: str):
        """A write transaction holding the place's lock: other writers of it wait."""
        return self.transaction(lock=zlib.crc32(place.encode()) & 0x7FFFFFFF)


def apply_edits(place: Place, store: EditStore | None = None, *, upto: int | None = None) -> Place:
    """``place`` with its stored edits applied (the same object when it has none).

    ``store`` defaults to :meth:`EditStore.for_bundle` of the place's path. The applied edits
    are recorded in ``place.meta["edits"]`` (their count) for views that say so.

    Raises
    ------
    geo.errors.InputError
        If the edits database cannot be reached (one line naming it).
    """
    if store is None:
        if place.path is None:
            return place
        store = EditStore.for_bundle(place.path)
    try:
        edits = store.edits(place_id(place), upto=upto)
    except InputError:
        raise
    except Exception as exc:  # a corrupt SQLite file, a PostgreSQL error
        raise InputError(f"cannot read the place's edits ({store.describe()}): {exc}") from None
    for edit in edits:
        apply_change(place, edit.change)
    if edits:
        place.meta["edits"] = str(len(edits))
    return place


# --------------------------------------------------------------------------- version cache

_versions: dict[tuple[str, str], tuple[int, float]] = {}
_versions_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_versions_lock=threading.Lock()))


def edits_ttl() -> float:
    """Seconds :func:`cached_version` may reuse an answer (``$HUBPLAN_EDITS_TTL``, default
    :data:`DEFAULT_EDITS_TTL_S`; ``0`` turns the cache off).

    Raises
    ------
    geo.errors.ConfigError
        If the variable is not a number of seconds from 0 to :data:`MAX_EDITS_TTL_S`.
    """
    raw = os.environ.get(EDITS_TTL_ENV, "").strip()
    if not raw:
        return DEFAULT_EDITS_TTL_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_EDITS_TTL_S:  # also false for NaN
        raise ConfigError(
            f"{EDITS_TTL_ENV}={raw!r} is not a number of seconds from 0 to {MAX_EDITS_TTL_S:g}"
        )
    return value


def _store_key(store: EditStore) -> str:
    return store.url if store.url else str(store.path)


def cached_version(store: EditStore, place: str, *, ttl: float | None = None) -> int:
    """:meth:`EditStore.version`, remembered for ``ttl`` seconds (default :func:`edits_ttl`).

    Parameters
    ----------
    store
        The edit store asked.
    place
        The place's identity (:func:`place_id`).
    ttl
        Seconds an earlier answer is reused; ``0`` asks the store every time.
    """
    ttl = edits_ttl() if ttl is None else ttl
    if ttl <= 0:
        return store.version(place)
    key = (_store_key(store), place)
    now = time.monotonic()
    with _versions_lock:
        hit = _versions.get(key)
    if hit is not None and now - hit[1] < ttl:
        return hit[0]
    version = store.version(place)
    with _versions_lock:
        _versions[key] = (version, now)
    return version


def forget_version(store: EditStore, place: str | None = None) -> None:
    """Drop the remembered edit count of ``place`` in ``store`` (every place when None), so
    the next :func:`cached_version` asks the store: call after saving an edit."""
    where = _store_key(store)
    with _versions_lock:
        for key in [k for k in _versions if k[0] == where and (place is None or k[1] == place)]:
            del _versions[key]
