"""A disk that is really full: a tiny tmpfs, filled up, under build, upload and exports.

The simulated failures (``test_failure_paths.py``) prove the messages; these prove the real
thing: SQLite, GDAL and plain writes running out of space on a real file system. Every command
exits 2 with one line naming the path, leaves the earlier files byte-identical and no temp file.

Mounting needs root (CI runs as root); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place

FILLER = "filler.bin"
SIZE_MB = 8


def _mount_problem() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "mounting a tmpfs needs root (CI runs these as root)"
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "mount/umount not found"
    return None


@pytest.fixture
def disk(tmp_path):
    """An empty ``SIZE_MB`` MB tmpfs mounted at a fresh folder; unmounted afterwards."""
    if (problem := _mount_problem()) is not None:
        pytest.skip(problem)
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    run = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip() or run.returncode}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, *, leave: int) -> None:
    """Fill ``disk`` to the last byte, then free about ``leave`` bytes."""
    with open(disk / FILLER, "ab", buffering=0) as fh:
        for size in (1 << 20, 1 << 12, 1):  # unbuffered: a short write, then ENOSPC
            block = b"\0" * size
            try:
                while True:
                    fh.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    with open(disk / FILLER, "r+b") as fh:
        fh.truncate(max(0, (disk / FILLER).stat().st_size - leave))
    assert shutil.disk_usage(disk).free < leave + (1 << 16)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but the filler) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != FILLER
    }


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("hubplan: error: ") and "internal error" not in err[0]
    assert "the disk is full" in err[0], err[0]
    return err[0]


@pytest.fixture
def source(tmp_path, capsys):
    """The tiny place's sources and a bundle built from them, outside the small disk."""
    cfg = write_tiny_place(tmp_path / "src")
    bundle = tmp_path / "tiny.gpkg"
    assert main(["build", str(cfg), "--out", str(bundle), "--quiet"]) == 0
    capsys.readouterr()
    return cfg, bundle


def test_build_on_a_full_disk(disk, source, capsys):
    cfg, _ = source
    out = disk / "place.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = _snapshot(disk)
    _fill(disk, leave=48 * 1024)
    assert main(["build", str(cfg), "--out", str(out), "--quiet", "--fresh"]) == 2
    line = _one_error_line(capsys)
    assert str(out) in line, line
    assert _snapshot(disk) == before
    assert sorted(p.name for p in disk.iterdir()) == [FILLER, "place.gpkg"]


def test_upload_on_a_full_disk(disk, source, capsys):
    cfg, bundle = source
    place = disk / "tiny.gpkg"
    shutil.copyfile(bundle, place)
    ind = cfg.parent / "ind.csv"
    add = ["add-indicator", str(place), "--csv", str(ind), "--code", "area", "--kind", "count"]
    assert main([*add, "--column", "pop", "--key", "first", "--label", "First"]) == 0
    capsys.readouterr()
    before = _snapshot(disk)
    assert len(before) >= 2, before.keys()  # the bundle and its edit store
    _fill(disk, leave=0)
    assert main([*add, "--column", "kids", "--key", "second", "--label", "Second"]) == 2
    line = _one_error_line(capsys)
    assert str(disk) in line, line
    after = _snapshot(disk)
    assert {k: after[k] for k in before} == before
    # SQLite may leave its own WAL sidecars (an empty log and its index) when it cannot open
    # the store; it reuses them on the next open. Nothing else is new.
    extra = set(after) - set(before)
    assert extra <= {"tiny.edits.sqlite-wal", "tiny.edits.sqlite-shm"}, extra
    assert after.get("tiny.edits.sqlite-wal", b"") == b""
    assert {p.name for p in disk.iterdir()} == {FILLER, *before, *extra}
    # Once there is room again, the upload goes through and the store is whole.
    (disk / FILLER).unlink()
    assert main([*add, "--column", "kids", "--key", "second", "--label", "Second"]) == 0
    capsys.readouterr()
    assert main(["profile", str(place), "--footprint", "East"]) == 0
    assert "Second" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "suffix"),
    [("export-data", ".gpkg"), ("export-data", ".csv"), ("export-data", ".geojson"),
     ("access", ".csv")],
)  # fmt: skip
def test_exports_on_a_full_disk(disk, source, capsys, command, suffix):
    _, bundle = source
    out = disk / f"areas{suffix}"
    export = [command, str(bundle), "--out", str(out)]
    export += ["--what", "areas"] if command == "export-data" else ["--to", "school"]
    assert main(export) == 0
    capsys.readouterr()
    before = _snapshot(disk)
    _fill(disk, leave=0)
    assert main(export) == 2
    line = _one_error_line(capsys)
    assert str(out) in line, line
    assert _snapshot(disk) == before
    assert sorted(p.name for p in disk.iterdir()) == sorted([FILLER, *before])


def test_export_profiles_on_a_full_disk(disk, source, capsys):
    _, bundle = source
    out = disk / "profiles"
    export = ["export-profiles", str(bundle), "--out", str(out), "--format", "html"]
    assert main(export) == 0
    capsys.readouterr()
    before = _snapshot(disk)
    assert any(name.startswith("profiles/") for name in before)
    _fill(disk, leave=8 * 1024)
    assert main(export) == 2
    line = _one_error_line(capsys)
    assert str(out) in line, line
    assert _snapshot(disk) == before
    assert sorted(p.name for p in disk.iterdir()) == [FILLER, "profiles"]


def test_a_read_only_file_system_is_one_line_too(disk, source, capsys):
    cfg, bundle = source
    out = disk / "place.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    before = _snapshot(disk)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    commands = [
        ["build", str(cfg), "--out", str(out), "--quiet", "--fresh"],
        ["export-data", str(bundle), "--what", "areas", "--out", str(disk / "a.csv")],
        ["add-indicator", str(out), "--csv", str(cfg.parent / "ind.csv"), "--code", "area",
         "--column", "pop", "--key", "again", "--label", "Again"],
    ]  # fmt: skip
    for command in commands:
        assert main(command) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("hubplan: error: "), err
        assert "internal error" not in err[0] and str(disk) in err[0], err
    assert _snapshot(disk) == before
