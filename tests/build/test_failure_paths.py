"""Failure paths: storage errors are one line, exit 2, naming the path; temporary bundles are
never listed as places and those of dead writers are cleaned."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from geo.build.storage import storage_problem
from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/x/place.gpkg"), "the disk is full"),
        (
            OSError(errno.EROFS, "Read-only file system", "/x/place.gpkg"),
            "the file system is read-only",
        ),
        (PermissionError(errno.EACCES, "Permission denied", "/x"), "permission denied"),
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (RuntimeError("wrapped"), None),
        (ValueError("disk is full"), None),  # not a storage exception type
    ],
)
def test_storage_problems_are_recognised(exc, expected):
    assert storage_problem(exc) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (lambda p: OSError(errno.ENOSPC, "No space left on device", str(p)), "the disk is full"),
        (lambda p: sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (lambda p: OSError(errno.EROFS, "Read-only file system", str(p)), "read-only"),
    ],
)
def test_build_storage_error_is_one_line_exit_2_naming_the_path(
    tmp_path, capsys, monkeypatch, error, expected
):
    from geo.place import bundle

    cfg = write_tiny_place(tmp_path / "src")
    out = tmp_path / "out" / "place.gpkg"
    out.parent.mkdir()
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    before = out.read_bytes()
    capsys.readouterr()

    def failing(frame, path, layer):
        raise error(path)

    monkeypatch.setattr(bundle, "_write_layer", failing)
    code = main(["build", str(cfg), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hubplan: error: ")
    assert expected in lines[0] and "internal error" not in lines[0]
    assert str(out.parent) in lines[0]  # names the bundle or its temp file in that folder
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["place.gpkg"]


HALF_WRITE = r"""
import sys, time
from pathlib import Path
from geo.place.bundle import atomic_write

def write(tmp: Path) -> None:
    tmp.write_bytes(b"SQLite format 3\x00" + b"partial" * 1000)  # a half-written bundle
    print(tmp, flush=True)
    time.sleep(120)  # mid-write until killed

atomic_write(Path(sys.argv[1]), write)
"""


def _writer_mid_write(out) -> tuple[subprocess.Popen, Path]:
    """A writer in another process, stopped mid-write of ``out`` holding its lock."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITE, str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return proc, Path(proc.stdout.readline().strip())


def test_temp_bundles_are_never_listed_and_dead_writers_are_cleaned(tmp_path, monkeypatch):
    from geo.build.places import list_places, resolve_place
    from geo.errors import InputError

    folder = tmp_path / "places"
    folder.mkdir()
    (folder / "real.gpkg").write_bytes(b"x")
    # An old-style leftover with no lock file at all: nobody holds it.
    orphan = folder / ".old.gpkg.99999999.abc123.tmp.gpkg"
    orphan.write_bytes(b"partial")
    monkeypatch.setenv("HUBPLAN_PLACES", str(folder))
    proc, temp = _writer_mid_write(folder / "k.gpkg")
    try:
        assert temp.parent == folder and temp.exists()
        listed = [label for label, _ in list_places()]
        assert listed == ["Demo borough (synthetic)", "real"]
        assert temp.exists()  # its writer holds the lock: a write in progress is left alone
        assert not orphan.exists()
        with pytest.raises(InputError, match="temporary file of an unfinished write") as info:
            resolve_place(str(temp))
        assert str(folder) not in str(info.value)  # the file's name, never the server's path
        # The same writer is still alive however often places are listed.
        list_places()
        assert temp.exists() and proc.poll() is None
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert temp.exists()  # kill -9 leaves the temp file; the OS frees its lock
    assert [label for label, _ in list_places()] == ["Demo borough (synthetic)", "real"]
    assert sorted(p.name for p in folder.iterdir()) == ["real.gpkg"]


def test_a_live_writers_temp_survives_another_write_of_the_same_file(tmp_path):
    from geo.place.bundle import atomic_write

    out = tmp_path / "k.gpkg"
    proc, temp = _writer_mid_write(out)
    try:
        atomic_write(out, lambda tmp: tmp.write_bytes(b"whole"))
        assert out.read_bytes() == b"whole"
        assert temp.exists()  # the other writer is still writing: not ours to remove
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    atomic_write(out, lambda tmp: tmp.write_bytes(b"again"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.gpkg"]


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3", "20000"])
def test_add_indicator_max_mb_is_validated(tmp_path, capsys, value):
    cfg = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = out.read_bytes()
    code = main(["add-indicator", str(out), "--csv", str(tmp_path / "src" / "ind.csv"), "--key",
                 "k2", "--label", "K2", "--code", "area", "--column", "pop", f"--max-mb={value}"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "--max-mb must be a number of megabytes between 0 and 10000" in err[0]
    assert out.read_bytes() == before


def test_safe_csv_escapes_formulas_and_has_no_comment_lines():
    import csv
    import io

    import pandas as pd

    from geo.tables import to_safe_csv

    evil = '=HYPERLINK("http://x","click")'
    text = to_safe_csv(pd.DataFrame({"@SUM(1)": [evil, "+cmd|calc", "-2", "ok"]}))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'@SUM(1)"] and [r[0] for r in rows[1:]][-1] == "ok"
    assert not text.startswith("#") and len(rows) == 5
    for row in rows:
        for cell in row:
            assert not cell.strip().startswith(("=", "+", "@", "-")), cell


def test_export_disk_full_is_one_line_exit_2_naming_the_output(tmp_path, capsys, monkeypatch):
    from geo.export import data as export_data

    cfg = write_tiny_place(tmp_path / "src")
    bundle = tmp_path / "tiny.gpkg"
    assert main(["build", str(cfg), "--out", str(bundle), "--quiet"]) == 0
    capsys.readouterr()

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(export_data, "write_export", full)
    out = tmp_path / "areas.gpkg"
    code = main(["export-data", str(bundle), "--what", "areas", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0] == f"hubplan: error: {out}: the disk is full (database or disk is full)"
