"""Failure paths: storage errors are one line, exit 2, naming the path; temporary bundles are
never listed as places and those of dead writers are cleaned."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys

import pytest

from geo.build.storage import storage_problem
from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place


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


def test_temp_bundles_are_never_listed_and_dead_writers_are_cleaned(tmp_path, monkeypatch):
    from geo.build.places import list_places, resolve_place
    from geo.errors import InputError

    folder = tmp_path / "places"
    folder.mkdir()
    (folder / "real.gpkg").write_bytes(b"x")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale = folder / f".k.gpkg.{dead}.abc123.tmp.gpkg"
    live = folder / f".k.gpkg.{os.getpid()}.def456.tmp.gpkg"
    stale.write_bytes(b"partial")
    live.write_bytes(b"partial")
    monkeypatch.setenv("HUBPLAN_PLACES", str(folder))
    listed = [label for label, _ in list_places()]
    assert listed == ["Demo borough (synthetic)", "real"]
    assert not stale.exists()  # its writer is dead
    assert live.exists()  # a write in progress is left alone
    with pytest.raises(InputError, match="temporary file of an unfinished write"):
        resolve_place(str(live))


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


def test_csv_header_lines_are_safe_in_a_spreadsheet():
    import csv
    import io

    import pandas as pd

    from geo.tables import to_safe_csv

    evil = 'Source: Council\n=HYPERLINK("http://x","click"), +cmd|calc, @SUM(1)\r-2'
    text = to_safe_csv(pd.DataFrame({"a": [1]}), header_lines=["Title", evil])
    lines = text.splitlines()
    assert len(lines) == 4 and lines[0] == "# Title" and lines[1].startswith("# Source: Council")
    for row in csv.reader(io.StringIO(text)):
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
