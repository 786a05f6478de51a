"""Finding and opening places: the built-in demo, bundles on disk and places in PostGIS."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from geo._version import __version__
from geo.build.pipeline import build_bundle
from geo.datasets.demo import write_demo_sources
from geo.errors import InputError
from geo.place._edit import copy_place
from geo.place.bundle import read_meta, read_place, remove_stale_temps
from geo.place.edits import EditStore, apply_edits, cached_version, place_id
from geo.place.model import Place
from geo.place.postgis import is_database_url, parse_url, read_stamp
from geo.settings import cache_dir, places_dir

DEMO = "demo"
GEO_ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked background job must not inherit a held lock
    os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


def demo_bundle_path(*, rebuild: bool = False) -> Path:
    """Return the demo bundle, generating and building it on first use (deterministic)."""
    path = cache_dir() / f"demo-{__version__}-{_code_digest()}.gpkg"
    with _lock:
        if rebuild or not path.exists():
            with tempfile.TemporaryDirectory(prefix="hubplan-demo-") as tmp:
                config = write_demo_sources(Path(tmp))
                build_bundle(config, path)
            for old in path.parent.glob("demo-*.gpkg"):
                if old != path:
                    old.unlink(missing_ok=True)
    return path


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the ``geo`` package source: a changed generator or importer rebuilds the demo."""
    digest = hashlib.sha256()
    for file in sorted(GEO_ROOT.rglob("*.py")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def resolve_place(spec: str | Path) -> Path | str:
    """Turn ``demo``, a bundle path, a bundle name in :func:`places_dir` or a PostGIS place URL
    (``postgresql://user@host:port/db?schema=NAME``, returned as given once checked) into
    where the place is."""
    if str(spec) == DEMO:
        return demo_bundle_path()
    if is_database_url(spec):
        parse_url(str(spec))  # a missing or bad schema is one line now, not at first read
        return str(spec).strip()
    path = Path(spec).expanduser()
    if is_temp_bundle(path):
        raise InputError("is a temporary file of an unfinished write, not a place", path=path.name)
    if path.exists():
        return path.resolve()
    candidate = places_dir() / f"{spec}.gpkg"
    if "/" not in str(spec) and candidate.exists():
        return candidate.resolve()
    raise InputError(
        "place not found (give 'demo', a .gpkg bundle, a name in data/places, or a "
        "postgresql://...?schema=NAME URL)",
        path=spec,
    )


def _stamp(where: Path | str) -> tuple[str, str]:
    """What changes when the stored place is replaced: a file's modification time and size,
    a PostGIS place's build time and identity (its small ``meta`` table, read each time)."""
    if isinstance(where, str):
        return read_stamp(where)
    stat = where.stat()
    return str(stat.st_mtime_ns), str(stat.st_size)


def open_place(spec: str | Path) -> Place:
    """Open a place by spec: its bundle (or PostGIS schema) with its shared edits applied.

    Cached per stored place (a file's path, modification time and size; a PostGIS place's
    URL, build time and identity) and per edit count, so a rebuild is seen on the next call.
    The edit count itself is asked of the edit store at most once per ``HUBPLAN_EDITS_TTL``
    seconds (:func:`geo.place.edits.cached_version`): an edit saved in this process is seen
    on the next call, one saved by another process or machine within that time.
    """
    where = resolve_place(spec)
    stamp = _stamp(where)
    bundle = _open_cached(where, stamp)
    store = EditStore.for_bundle(where)
    version = cached_version(store, place_id(bundle))
    if not version:
        return bundle
    return _edited_cached(where, stamp, store.describe(), version)


@lru_cache(maxsize=8)
def _open_cached(where: Path | str, stamp: tuple[str, str]) -> Place:
    return read_place(where, edits=False)


@lru_cache(maxsize=8)
def _edited_cached(where: Path | str, stamp: tuple[str, str], store: str, version: int) -> Place:
    place = copy_place(_open_cached(where, stamp))
    return apply_edits(place, EditStore.for_bundle(where), upto=version)


def is_temp_bundle(path: Path) -> bool:
    """A writer's temporary file or lock (``.<name>.gpkg.<pid>.<random>.tmp.gpkg``, ``….tmp.lock``)
    or any hidden file."""
    return path.name.startswith(".") or ".tmp" in path.name


def clean_temp_bundles(folder: Path) -> list[Path]:
    """Remove temporary bundles in ``folder`` left by writers that died (``kill -9``).

    A temp file is removed only when the OS lock its writer held while writing can be taken
    (:func:`~geo.place.bundle.remove_stale_temps`), so a write in progress, in this or another
    process, is never disturbed. Returns what was removed.
    """
    if not folder.is_dir():
        return []
    return remove_stale_temps(folder, target="*.gpkg")


def list_places() -> list[tuple[str, str]]:
    """(label, spec) for the demo and every bundle in :func:`places_dir`.

    Temporary bundles (a writer's ``.name.gpkg.….tmp.gpkg``) are never listed; those of
    writers that died are removed.
    """
    out = [("Demo borough (synthetic)", DEMO)]
    folder = places_dir()
    if folder.is_dir():
        clean_temp_bundles(folder)
        out += [
            (place_name(p), str(p.resolve()))
            for p in sorted(folder.glob("*.gpkg"))
            if not is_temp_bundle(p)
        ]
    return out


_names: dict[tuple[str, float], str] = {}


def place_name(path: str | Path) -> str:
    """The place name stored in a bundle (its ``meta`` table), else the file stem.

    Reads only the small ``meta`` table (:func:`~geo.place.bundle.read_meta`, cached by path
    and modification time), so a place list shows "Wigan" rather than "wigan" without opening
    every bundle.
    """
    path = Path(path)
    try:
        key = (str(path.resolve()), path.stat().st_mtime)
    except OSError:
        return path.stem
    if key not in _names:
        try:
            name = read_meta(path).get("name", "").strip()
        except Exception:  # not a bundle (or unreadable): the list still shows the file
            name = ""
        _names[key] = name or path.stem
    return _names[key]
