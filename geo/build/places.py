"""Finding and opening places: the built-in demo and bundles on disk."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from geo._version import __version__
from geo.build.pipeline import build_bundle
from geo.datasets.demo import write_demo_sources
from geo.errors import InputError
from geo.place.bundle import bundle_name, read_place
from geo.place.model import Place
from geo.settings import cache_dir, places_dir

DEMO = "demo"
GEO_ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()


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


def resolve_place(spec: str | Path) -> Path:
    """Turn ``demo``, a bundle path, or a bundle name in :func:`places_dir` into a path."""
    if str(spec) == DEMO:
        return demo_bundle_path()
    path = Path(spec).expanduser()
    if path.exists():
        return path.resolve()
    candidate = places_dir() / f"{spec}.gpkg"
    if "/" not in str(spec) and candidate.exists():
        return candidate.resolve()
    raise InputError(
        "place not found (give 'demo', a .gpkg bundle, or a name in data/places)", path=spec
    )


def open_place(spec: str | Path) -> Place:
    """Open a place by spec (cached per file and modification time)."""
    path = resolve_place(spec)
    stat = path.stat()
    return _open_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _open_cached(path: str, mtime_ns: int, size: int) -> Place:
    return read_place(path)


def list_places() -> list[tuple[str, str]]:
    """(label, spec) for the demo and every bundle in :func:`places_dir`."""
    out = [("Demo borough (synthetic)", DEMO)]
    folder = places_dir()
    if folder.is_dir():
        out += [(bundle_name(p), str(p.resolve())) for p in sorted(folder.glob("*.gpkg"))]
    return out
