"""Place bundles: one GeoPackage holding a whole place, written atomically.

A place can live in a PostGIS schema instead (``postgresql://...?schema=NAME``): every function
here takes such a URL in place of a path and dispatches to :mod:`geo.place.postgis`.

Layers: ``areas``, ``footprints``, ``sites`` (working CRS) and the attribute tables
``catalogue``, ``attributions``, ``findings`` and ``meta``. Other engines add their own
tables through :attr:`Place.tables` (for example the road network); they round-trip as-is.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import glob
import os
import shutil
import sqlite3
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo._version import __version__
from geo.errors import DataError, InputError
from geo.place import postgis
from geo.place._db import out_of_space, short
from geo.place.config import Indicator
from geo.place.edits import apply_edits
from geo.place.model import Attribution, Finding, Place
from geo.place.postgis import is_database_url

FORMAT = "hubplan-place"
FORMAT_VERSION = "1"
CORE_LAYERS = ("areas", "footprints", "sites", "catalogue", "attributions", "findings", "meta")
_BOOL_FIELDS = {"sensitive", "national_decile"}
_FLOAT_FIELDS = {"per", "england"}


def catalogue_frame(catalogue: dict[str, Indicator]) -> pd.DataFrame:
    """The catalogue as a table, one row per indicator."""
    rows = [dataclasses.asdict(ind) for ind in catalogue.values()]
    cols = [f.name for f in dataclasses.fields(Indicator)]
    return pd.DataFrame(rows, columns=cols)


def catalogue_from_frame(df: pd.DataFrame) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    names = {f.name for f in dataclasses.fields(Indicator)}
    for rec in df.to_dict("records"):
        kw: dict[str, Any] = {}
        for k, v in rec.items():
            if k not in names:
                continue
            missing = v is None or (isinstance(v, float) and np.isnan(v))
            if k in _BOOL_FIELDS:
                kw[k] = bool(v) if not missing else False
            elif k in _FLOAT_FIELDS:
                kw[k] = None if missing else float(v)
            else:
                kw[k] = None if missing else str(v)
        if kw.get("per") is None:
            kw["per"] = 100.0
        for k in ("unit", "source", "attribution", "vintage", "description", "method"):
            kw[k] = kw.get(k) or ""
        out[kw["key"]] = Indicator(**kw)
    return out


def _write_layer(frame: pd.DataFrame, path: Path, layer: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(frame, gpd.GeoDataFrame):
            gtype = None
            if frame.empty:
                gtype = "Unknown"
            pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type=gtype)
        else:
            pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=layer, driver="GPKG")


def check_writable_folder(folder: Path) -> None:
    """Refuse, naming ``folder``, a folder that is a file, does not exist or is not writable."""
    if not folder.is_dir():
        if folder.exists():
            raise InputError("is a file, not a folder", path=folder)
        raise InputError("folder does not exist", path=folder)
    if not os.access(folder, os.W_OK):
        raise InputError("folder is not writable", path=folder)


def atomic_write(path: Path, write: Callable[[Path], object], *, suffix: str = ".gpkg") -> Path:
    """Call ``write(tmp)`` on a temp file beside ``path``, fsync it, then rename over ``path``.

    A failed or interrupted write leaves ``path`` as it was and no partial file behind. The
    writer holds an OS lock (:func:`temp_lock`) for its temp file's whole life, so a writer
    killed with ``kill -9`` leaves a temp file whose lock is free: the next write of ``path``
    (or :func:`remove_stale_temps` on the folder) removes it, and never a live writer's.
    """
    path = Path(path).expanduser().resolve()
    folder = path.parent
    check_writable_folder(folder)
    if path.is_dir():
        raise InputError("the path is a folder, not a file", path=path)
    remove_stale_temps(folder, target=glob.escape(path.name))
    with temp_lock(path) as stem:
        tmp = folder / f"{stem}{suffix}"
        try:
            write(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except InputError:
            raise
        except Exception as exc:
            # GDAL and SQLite often hide a full disk ("no such table: gpkg_contents", "Cannot
            # write feature"): asked while the temp file still fills the disk, say so, and name
            # the file the user asked for, not the temp file.
            if not out_of_space(folder):
                raise
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                named = Path(str(exc.filename or ""))
                if exc.filename and temp_stem(named.name) is None:
                    raise  # already names a file the user asked for (e.g. a sidecar)
                raise OSError(errno.ENOSPC, exc.strerror, str(path)) from exc
            raise OSError(
                errno.ENOSPC, f"No space left on device ({short(exc)})", str(path)
            ) from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
    return path


_TEMP_MARK = ".tmp"
LOCK_SUFFIX = ".lock"


class TempLock:
    """The lock of a new temp file beside ``path``, held until :meth:`release`.

    The lock is ``<stem>.lock`` (``.place.gpkg.<pid>.<random>.tmp.lock``) held with
    ``fcntl.flock``; the writer's temp files are ``<stem><suffix>``. The OS releases the lock
    when the writer dies, however it dies, which is how :func:`remove_stale_temps` tells a dead
    writer's leftovers from a write in progress. A plain object, not a generator: a forked child
    that drops its parent's lock object never releases the parent's lock.
    """

    def __init__(self, path: Path) -> None:
        folder = path.parent
        while True:
            fd, lock_name = tempfile.mkstemp(
                prefix=f".{path.name}.{os.getpid()}.",
                suffix=f"{_TEMP_MARK}{LOCK_SUFFIX}",
                dir=folder,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)  # a cleaner holds a fresh lock only for a moment
            if _still_linked(fd, lock_name):
                break
            os.close(fd)  # a cleaner took it for a dead writer's before we locked it: try again
        self._fd: int | None = fd
        self._lock = Path(lock_name)
        #: The temp files' stem (``.place.gpkg.<pid>.<random>.tmp``).
        self.stem = self._lock.name[: -len(LOCK_SUFFIX)]

    def release(self) -> None:
        """Remove the lock file and let go of the lock (safe to call more than once)."""
        if self._fd is None:
            return
        self._lock.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


@contextmanager
def temp_lock(path: Path) -> Iterator[str]:
    """Create and hold the lock of a new temp file beside ``path``; yield the temp's stem.

    See :class:`TempLock`; the lock is released when the block ends.
    """
    lock = TempLock(path)
    try:
        yield lock.stem
    finally:
        lock.release()


@contextmanager
def temp_folder(path: Path) -> Iterator[Path]:
    """A locked temporary folder beside ``path``, removed when the block ends.

    For outputs made of several files (``hubplan export-profiles``): the files are written into
    the folder, then moved into place. The folder is named like a temp file
    (``.profiles.<pid>.<random>.tmp``) and locked as one (:func:`temp_lock`), so a writer killed
    with ``kill -9`` leaves a folder that the next write beside it (or
    :func:`remove_stale_temps`) removes, and a writer that is still running keeps its folder.
    """
    path = Path(path).expanduser().resolve()
    remove_stale_temps(path.parent, target=glob.escape(path.name))
    with temp_lock(path) as stem:
        tmp = path.parent / stem
        tmp.mkdir()
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _still_linked(fd: int, name: str) -> bool:
    try:
        return os.stat(name).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def temp_stem(name: str) -> str | None:
    """The writer's stem of a temp file name (``.a.gpkg.12.x1.tmp`` for ``….tmp.gpkg-wal``)."""
    cut = name.rfind(_TEMP_MARK)
    return name[: cut + len(_TEMP_MARK)] if name.startswith(".") and cut > 0 else None


def remove_stale_temps(folder: Path, *, target: str = "*") -> list[Path]:
    """Remove temp files in ``folder`` whose writer died (``kill -9``); return what was removed.

    Temp files are grouped by writer (:func:`temp_stem`); a group is removed only when its lock
    can be taken, so a write in progress, in this process or another, is left alone. ``target``
    is a glob of the file names whose temp files are looked at (``"*.gpkg"``; an exact name
    must be escaped with :func:`glob.escape`).
    """
    pattern = f".{target}.*{_TEMP_MARK}*"
    groups: dict[str, list[Path]] = {}
    for file in Path(folder).glob(pattern):
        stem = temp_stem(file.name)
        if stem is not None:
            groups.setdefault(stem, []).append(file)
    removed: list[Path] = []
    for stem, files in sorted(groups.items()):
        lock = Path(folder) / f"{stem}{LOCK_SUFFIX}"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # e.g. a read-only folder: nothing can be removed there anyway
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is alive and writing
            if not _still_linked(fd, str(lock)):
                continue  # another cleaner removed this group meanwhile
            for file in files:
                if file == lock:
                    continue
                if file.is_dir() and not file.is_symlink():
                    shutil.rmtree(file, ignore_errors=True)  # a temp_folder()
                else:
                    file.unlink(missing_ok=True)
                removed.append(file)
            lock.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return removed


def _meta(place: Place) -> dict[str, str]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": place.name,
        "crs": place.crs,
        "synthetic": "true" if place.synthetic else "false",
        "footprint_label": place.footprint_label,
        "built_at": place.meta.get("built_at") or datetime.now(UTC).isoformat(timespec="seconds"),
        "hubplan_version": __version__,
        # The place's identity: shared edits are keyed by it (geo.place.edits).
        "place_id": place.meta.get("place_id") or uuid.uuid4().hex,
        "config": place.config_text,
    } | {k: v for k, v in place.meta.items() if k not in ("format", "format_version")}


def place_tables(place: Place) -> dict[str, pd.DataFrame]:
    """The place as named tables, in writing order: the core layers, then :attr:`Place.tables`."""
    meta = _meta(place)
    frames: dict[str, pd.DataFrame] = {
        "areas": place.areas.reset_index(),
        "footprints": place.footprints,
        "sites": place.sites,
        "catalogue": catalogue_frame(place.catalogue),
        "attributions": pd.DataFrame(
            [dataclasses.asdict(a) for a in place.attributions], columns=["source", "text"]
        ),
        "findings": pd.DataFrame(
            [dataclasses.asdict(f) for f in place.findings], columns=["level", "message"]
        ),
        "meta": pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]}),
    }
    for name, frame in place.tables.items():
        if name in CORE_LAYERS:
            raise ValueError(f"table name {name!r} is reserved")
        frames[name] = frame
    return frames


def write_place(place: Place, path: str | Path) -> Path | str:
    """Write ``place`` to a GeoPackage bundle at ``path``, atomically.

    ``path`` may instead be a PostGIS place URL (``postgresql://...?schema=NAME``, see
    :mod:`geo.place.postgis`): the place is then written to that schema, atomically too, and
    the URL is returned.
    """
    if is_database_url(path):
        return postgis.write_tables(str(path), place_tables(place), fmt=FORMAT)
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError("a place bundle must have the extension .gpkg", path=path)
    frames = place_tables(place)

    def write(tmp: Path) -> None:
        for name, frame in frames.items():
            _write_layer(frame, tmp, name)

    return atomic_write(path, write)


def _read(path: Path, layer: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, layer=layer)


def read_meta(path: str | Path) -> dict[str, str]:
    """The bundle's ``meta`` table alone (cheap: no areas are read); a PostGIS URL too."""
    if is_database_url(path):
        meta_df = postgis.read_tables(str(path), only=("meta",), required=("meta",))["meta"]
        return dict(zip(meta_df["key"].astype(str), meta_df["value"].astype(str), strict=True))
    try:
        meta_df = _read(Path(path), "meta")
    except Exception as exc:
        raise InputError(f"cannot read the bundle's meta table: {exc}", path=path) from None
    return dict(zip(meta_df["key"].astype(str), meta_df["value"].astype(str), strict=True))


def read_place(path: str | Path, *, edits: bool = True) -> Place:
    """Open a place bundle; a missing, corrupted or foreign file gets a clear error.

    ``path`` may instead be a PostGIS place URL (``postgresql://...?schema=NAME``); the
    place's ``path`` is then that URL (a ``str``). With ``edits`` (the default) the place's
    shared edits (:mod:`geo.place.edits`) are applied over the bundle, so every reader sees
    what users added; ``edits=False`` gives the stored place alone.
    """
    if is_database_url(path):
        url = str(path)
        label = postgis.describe(url)
        frames = postgis.read_tables(url, required=CORE_LAYERS)
        place = _assemble(frames, location=url, label=label, fallback_name=label)
        return apply_edits(place) if edits else place
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise InputError("place bundle not found", path=path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
        if head != b"SQLite format 3\x00":
            raise DataError("is not a place bundle (not a GeoPackage/SQLite file)", path=path)
        _check_integrity(path)
        layers = {str(n) for n in pyogrio.list_layers(path)[:, 0]}
        missing = [name for name in CORE_LAYERS if name not in layers]
        if missing:
            raise DataError(
                f"is not a complete place bundle (missing {', '.join(missing)})", path=path
            )
        meta_df = _read(path, "meta")
        meta = dict(zip(meta_df["key"].astype(str), meta_df["value"].astype(str), strict=True))
        if meta.get("format") != FORMAT:
            raise DataError("is a GeoPackage but not a hubplan place bundle", path=path)
        names = [*CORE_LAYERS, *sorted(layers - set(CORE_LAYERS))]
        frames = {name: _read(path, name) for name in names}
        place = _assemble(frames, location=path, label=str(path), fallback_name=path.stem)
    except InputError:
        raise
    except Exception as exc:
        raise DataError(
            f"cannot open place bundle (corrupted or truncated?): {exc}", path=path
        ) from None
    return apply_edits(place) if edits else place


def _assemble(
    frames: dict[str, pd.DataFrame], *, location: Path | str, label: str, fallback_name: str
) -> Place:
    """A :class:`Place` from its tables (as :func:`place_tables` writes them)."""
    meta_df = frames["meta"]
    meta = dict(zip(meta_df["key"].astype(str), meta_df["value"].astype(str), strict=True))
    if meta.get("format") != FORMAT:
        raise InputError(f"{label}: holds tables but not a hubplan place (meta format)")
    try:
        areas = frames["areas"].set_index("code")
        areas.index = areas.index.astype(str)
        footprints = frames["footprints"]
        sites = frames["sites"]
        catalogue = catalogue_from_frame(frames["catalogue"])
        attributions = [
            Attribution(str(r.source), str(r.text)) for r in frames["attributions"].itertuples()
        ]
        findings = [Finding(str(r.level), str(r.message)) for r in frames["findings"].itertuples()]
    except (KeyError, AttributeError) as exc:
        raise InputError(f"{label}: a core table lacks a column ({exc})") from None
    tables = {name: frame for name, frame in frames.items() if name not in CORE_LAYERS}
    crs = meta.get("crs", "EPSG:27700")
    postgis_place = isinstance(location, str)  # a PostGIS geometry column's SRID is exact
    for what, frame in (("areas", areas), ("footprints", footprints), ("sites", sites)):
        if not (postgis_place and isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None):
            continue
        if not frame.crs.equals(crs):
            raise InputError(
                f"{label}: {what} are in {frame.crs.to_string()} but the place's CRS is {crs}"
            )
    if "footprint" in areas:
        areas["footprint"] = (
            areas["footprint"].astype("object").where(areas["footprint"].notna(), None)
        )
    if len(sites) and "outside" in sites:
        sites["outside"] = sites["outside"].astype(bool)
    base = {"format", "format_version", "name", "crs", "synthetic", "footprint_label", "config"}
    return Place(
        name=meta.get("name", fallback_name),
        crs=crs,
        areas=areas,
        footprints=footprints,
        sites=sites,
        catalogue=catalogue,
        attributions=attributions,
        findings=findings,
        synthetic=meta.get("synthetic") == "true",
        footprint_label=meta.get("footprint_label", "Footprint"),
        config_text=meta.get("config", ""),
        meta={k: v for k, v in meta.items() if k not in base},
        tables=tables,
        path=location,
    )


def _check_integrity(path: Path) -> None:
    """Fail fast on truncated files: SQLite's quick_check reads every page."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA quick_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise DataError(f"is corrupted or truncated ({exc})", path=path) from None
    if not result or result[0] != "ok":
        raise DataError(f"is corrupted ({result[0] if result else 'no result'})", path=path)
