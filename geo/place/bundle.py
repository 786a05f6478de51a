"""Place bundles: one GeoPackage holding a whole place, written atomically.

Layers: ``areas``, ``footprints``, ``sites`` (working CRS) and the attribute tables
``catalogue``, ``attributions``, ``findings`` and ``meta``. Other engines add their own
tables through :attr:`Place.tables` (for example the road network); they round-trip as-is.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import sqlite3
import tempfile
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo._version import __version__
from geo.errors import DataError, InputError
from geo.place.config import Indicator
from geo.place.model import Attribution, Finding, Place

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
        kw = {}
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


def atomic_write(path: Path, write: Callable[[Path], None], *, suffix: str = ".gpkg") -> Path:
    """Call ``write(tmp)`` on a temp file beside ``path``, fsync it, then rename over ``path``.

    A failed or interrupted write leaves ``path`` as it was and no partial file behind.
    """
    path = Path(path).expanduser().resolve()
    folder = path.parent
    if not folder.is_dir():
        raise InputError("folder does not exist", path=folder)
    if not os.access(folder, os.W_OK):
        raise InputError("folder is not writable", path=folder)
    _remove_stale_temps(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=f".tmp{suffix}", dir=folder
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (GDAL refuses to open an empty file as GPKG)
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
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return path


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files left by writers that died (e.g. ``kill -9``) while writing ``path``."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp*"):
        pid_text = tmp.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_place(place: Place, path: str | Path) -> Path:
    """Write ``place`` to a GeoPackage bundle at ``path``, atomically."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError("a place bundle must have the extension .gpkg", path=path)

    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": place.name,
        "crs": place.crs,
        "synthetic": "true" if place.synthetic else "false",
        "footprint_label": place.footprint_label,
        "built_at": place.meta.get("built_at") or datetime.now(UTC).isoformat(timespec="seconds"),
        "hubplan_version": __version__,
        "config": place.config_text,
    } | {k: v for k, v in place.meta.items() if k not in ("format", "format_version")}

    def write(tmp: Path) -> None:
        areas = place.areas.reset_index()
        _write_layer(areas, tmp, "areas")
        _write_layer(place.footprints, tmp, "footprints")
        _write_layer(place.sites, tmp, "sites")
        _write_layer(catalogue_frame(place.catalogue), tmp, "catalogue")
        _write_layer(
            pd.DataFrame(
                [dataclasses.asdict(a) for a in place.attributions], columns=["source", "text"]
            ),
            tmp,
            "attributions",
        )
        _write_layer(
            pd.DataFrame(
                [dataclasses.asdict(f) for f in place.findings], columns=["level", "message"]
            ),
            tmp,
            "findings",
        )
        _write_layer(
            pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]}), tmp, "meta"
        )
        for name, frame in place.tables.items():
            if name in CORE_LAYERS:
                raise ValueError(f"table name {name!r} is reserved")
            _write_layer(frame, tmp, name)

    return atomic_write(path, write)


def _read(path: Path, layer: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(path, layer=layer)


_names: dict[tuple[str, float], str] = {}


def bundle_name(path: str | Path) -> str:
    """The place name stored in a bundle (its ``meta`` table), else the file stem.

    Reads only the small ``meta`` table (cached by path and modification time), so a place
    list can show "Wigan" rather than "wigan" without opening every bundle.
    """
    path = Path(path)
    try:
        key = (str(path.resolve()), path.stat().st_mtime)
    except OSError:
        return path.stem
    if key not in _names:
        try:
            meta = _read(path, "meta")
            names = meta.loc[meta["key"].astype(str) == "name", "value"].astype(str)
            _names[key] = names.iloc[0] if len(names) and names.iloc[0].strip() else path.stem
        except Exception:  # not a bundle (or unreadable): the list still shows the file
            _names[key] = path.stem
    return _names[key]


def read_place(path: str | Path) -> Place:
    """Open a place bundle; a missing, corrupted or foreign file gets a clear error."""
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
        areas = _read(path, "areas").set_index("code")
        areas.index = areas.index.astype(str)
        footprints = _read(path, "footprints")
        sites = _read(path, "sites")
        catalogue = catalogue_from_frame(_read(path, "catalogue"))
        attributions = [
            Attribution(str(r.source), str(r.text))
            for r in _read(path, "attributions").itertuples()
        ]
        findings = [
            Finding(str(r.level), str(r.message)) for r in _read(path, "findings").itertuples()
        ]
        tables = {name: _read(path, name) for name in sorted(layers - set(CORE_LAYERS))}
    except InputError:
        raise
    except Exception as exc:
        raise DataError(
            f"cannot open place bundle (corrupted or truncated?): {exc}", path=path
        ) from None
    if "footprint" in areas:
        areas["footprint"] = (
            areas["footprint"].astype("object").where(areas["footprint"].notna(), None)
        )
    if len(sites) and "outside" in sites:
        sites["outside"] = sites["outside"].astype(bool)
    base = {"format", "format_version", "name", "crs", "synthetic", "footprint_label", "config"}
    return Place(
        name=meta.get("name", path.stem),
        crs=meta.get("crs", "EPSG:27700"),
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
        path=path,
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
