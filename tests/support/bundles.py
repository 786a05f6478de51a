"""Fresh, writable copies of bundles for tests that change them (never the shared cache)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from geo.build.places import demo_bundle_path

_light: dict[str, Path] = {}
_lock = threading.Lock()


def light_demo_bundle() -> Path:
    """The demo bundle without its road network tables (crow-fly times), made once per run.

    Saving into a bundle rewrites the whole file; the demo's street network makes that take
    seconds, which tests of need indices and uploads do not need.
    """
    from geo.place.bundle import read_place, write_place

    source = demo_bundle_path()
    with _lock:
        hit = _light.get(str(source))
        if hit is not None and hit.exists():
            return hit
        place = read_place(source)
        place.tables = {k: v for k, v in place.tables.items() if not k.startswith("network")}
        place.meta["network_source"] = "crowfly"
        folder = Path(tempfile.mkdtemp(prefix="hubplan-light-demo-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        out = write_place(place, folder / "demo-light.gpkg")
        _light[str(source)] = out
        return out


def demo_copy(folder: Path, name: str = "demo-copy.gpkg", *, network: bool = False) -> Path:
    """Copy the demo bundle (by default without its road network) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(demo_bundle_path() if network else light_demo_bundle(), target)
    return target


def wigan_bundle(wigan_dir: Path, folder: Path) -> Path:
    """Build the real Wigan bundle into ``folder`` (from ../shared at run time)."""
    from geo.build.pipeline import build_bundle
    from tests.support.wigan import write_wigan_config

    cfg = write_wigan_config(wigan_dir, folder / "config")
    out = folder / "wigan.gpkg"
    build_bundle(cfg, out)
    return out
