"""Output paths the user gets wrong: an existing folder, a file where a folder should be, a name
too long, or a name with spaces and accents. Every export command answers one line naming the
user's path (never the temporary file), exits 2 and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("outputs")
    cfg = write_tiny_place(folder / "src")
    out = folder / "tiny.gpkg"
    assert main(["build", str(cfg), "--out", str(out), "--quiet"]) == 0
    return out


# command -> (arguments before --out, suffix of the output file)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "export-map": (["export-map", "--width", "800", "--height", "700"], ".png"),
    "export-data": (["export-data", "--what", "areas"], ".csv"),
    "access": (["access", "--to", "school"], ".csv"),
    "impact": (["impact", "--close", "S1"], ".pdf"),
    "hotspots": (["hotspots", "--indicator", "score", "--permutations", "99"], ".csv"),
    "cluster": (["cluster", "--k", "2", "--balance", "population"], ".csv"),
    "school-clusters": (["school-clusters", "--hub-kind", "school"], ".csv"),
    "isochrones": (["isochrones", "--from", "S1"], ".geojson"),
    "profile": (["profile"], ".csv"),
    "need-index": (["need-index", "--weights", "score=1"], ".csv"),
}


def _run(bundle: Path, name: str, out: Path) -> list[str]:
    args, _ = COMMANDS[name]
    return [args[0], str(bundle), *args[1:], "--out", str(out)]


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("hubplan: error: ") and "internal error" not in err[0], err
    assert ".tmp" not in err[0], err  # the user's path, not the temporary file
    return err[0]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_that_is_an_existing_folder_is_one_line_exit_2(bundle, tmp_path, capsys, name):
    out = tmp_path / f"taken{COMMANDS[name][1]}"
    (out / "inside").mkdir(parents=True)
    (out / "inside" / "keep.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()
    assert main(_run(bundle, name, out)) == 2
    line = _one_line(capsys)
    assert line.startswith(f"hubplan: error: {out}: the path is a folder, not a file"), line
    assert (out / "inside" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temp file left


@pytest.mark.parametrize("name", ["export-data", "access", "isochrones"])
def test_output_under_a_file_is_one_line_exit_2(bundle, tmp_path, capsys, name):
    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / f"out{COMMANDS[name][1]}"
    capsys.readouterr()
    assert main(_run(bundle, name, out)) == 2
    line = _one_line(capsys)
    assert str(blocker) in line, line
    assert "is a file, not a folder" in line, line
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_output_name_too_long_is_one_line_exit_2(bundle, tmp_path, capsys):
    out = tmp_path / ("x" * 300 + ".csv")
    capsys.readouterr()
    assert main(_run(bundle, "export-data", out)) == 2
    line = _one_line(capsys)
    assert "the file name is too long" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["export-data", "access", "hotspots", "isochrones"])
def test_output_names_with_spaces_and_accents_are_written(bundle, tmp_path, capsys, name):
    out = tmp_path / "Wigan été" / f"résumé 2026 — ☃{COMMANDS[name][1]}"
    out.parent.mkdir()
    assert main(_run(bundle, name, out)) == 0, capsys.readouterr().err
    assert out.is_file() and out.stat().st_size > 0
    assert not [p for p in out.parent.iterdir() if ".tmp" in p.name]


@pytest.mark.parametrize(
    ("exc", "problem"),
    [
        (
            IsADirectoryError(21, "Is a directory", "/x/.a.csv.1.tmp.csv", None, "/x/a.csv"),
            "folder",
        ),
        (NotADirectoryError(20, "Not a directory", "/x/f/a.csv"), "a part of the path is a file"),
        (OSError(36, "File name too long", "/x/aaaa.csv"), "the file name is too long"),
    ],
)
def test_path_errors_are_storage_problems_naming_the_users_file(exc, problem):
    from geo.build.storage import storage_path, storage_problem

    assert problem in storage_problem(exc)
    assert ".tmp" not in str(storage_path(exc))  # a rename names the user's file second


@pytest.mark.parametrize(
    "name", ["export-map", "impact", "hotspots", "cluster", "school-clusters", "isochrones",
             "profile", "need-index"],
)  # fmt: skip
def test_the_other_exports_on_a_full_disk(bundle, tmp_path, capsys, name):
    """The commands tests/build/test_disk_full.py does not run, on a really full tmpfs."""
    from tests.build.test_disk_full import _fill, _mount_problem

    if (problem := _mount_problem()) is not None:
        pytest.skip(problem)
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.strip()}")
    try:
        _fill(disk, leave=0)
        capsys.readouterr()
        assert main(_run(bundle, name, disk / f"out{COMMANDS[name][1]}")) == 2
        line = _one_line(capsys)
        assert "the disk is full" in line and f"{disk}/out" in line, line
        assert [p.name for p in disk.iterdir()] == ["filler.bin"]
    finally:
        if subprocess.run(["umount", str(disk)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], check=False)
