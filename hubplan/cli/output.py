"""Writing command output to a file (atomically) or to stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from geo.errors import InputError
from geo.place.bundle import atomic_write


def check_suffix(out: str | Path, suffixes: tuple[str, ...]) -> Path:
    """Return ``out`` as a Path, or raise naming the unsupported extension."""
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"unsupported extension {path.suffix or '(none)'!r}; use {', '.join(suffixes)}",
            path=path,
        )
    return path


def emit_text(text: str, out: str | None, *, suffixes: tuple[str, ...] = ()) -> None:
    """Write ``text`` to ``out`` atomically, or to stdout when ``out`` is None or ``-``."""
    if out in (None, "-"):
        sys.stdout.write(text)
        return
    path = check_suffix(out, suffixes) if suffixes else Path(out)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), suffix=path.suffix)


def add_footprints_option(parser, *, what: str = "use") -> None:
    """``--footprints SET``: the footprints of a saved footprint set instead of the current ones."""
    parser.add_argument(
        "--footprints",
        metavar="SET",
        help=f"{what} the footprints of a saved footprint set (Clusters page or "
        "'hubplan cluster --save-as') instead of the current ones",
    )


def open_place_view(spec: str, footprints: str | None):
    """The place ``spec`` through saved footprint set ``footprints`` (``None``: as it is).

    Raises
    ------
    geo.errors.InputError
        If the place cannot be opened or the set does not exist (naming the sets there are).
    """
    from geo.build.places import open_place
    from geo.clusters.footprint_sets import with_footprint_set

    return with_footprint_set(open_place(spec), footprints)
