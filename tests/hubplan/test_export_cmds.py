"""``hubplan export-map / export-data / export-profiles``: output, errors, no partial files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import Image

from geo.build.pipeline import build_bundle
from hubplan.cli.main import main
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    build_bundle(write_tiny_place(folder), folder / "tiny.gpkg")
    return folder / "tiny.gpkg"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["export-map", "demo", "--out", "{d}/map.gif"],
        ["export-map", "demo", "--indicator", "nope", "--out", "{d}/map.png"],
        ["export-map", "demo", "--layers", "areas,moats", "--out", "{d}/map.png"],
        ["export-map", "demo", "--footprint", "Atlantis", "--out", "{d}/map.png"],
        ["export-map", "demo", "--scenario", "Plan Z", "--out", "{d}/map.png"],
        ["export-map", "demo", "--width", "20", "--out", "{d}/map.png"],
        ["export-map", "demo", "--out", "{d}/no/such/folder/map.png"],
        ["export-map", "no-such-place", "--out", "{d}/map.png"],
        ["export-data", "demo", "--what", "areas", "--out", "{d}/a.ods"],
        ["export-data", "demo", "--what", "areas", "--indicators", "nope", "--out", "{d}/a.csv"],
        [
            "export-data",
            "demo",
            "--what",
            "footprints",
            "--footprint",
            "Atlantis",
            "--out",
            "{d}/a.csv",
        ],
        ["export-data", "demo", "--what", "scenario", "--out", "{d}/a.csv"],
        ["export-data", "demo", "--what", "scenario", "--scenario", "Plan Z", "--out", "{d}/a.csv"],
        ["export-data", "demo", "--what", "sites", "--footprint", "Dunmere", "--out", "{d}/a.csv"],
        ["export-data", "demo", "--what", "isochrones", "--minutes", "10,5", "--out", "{d}/a.csv"],
        ["export-data", "demo", "--what", "areas", "--out", "{d}/file.txt/a.csv"],
        ["export-profiles", "demo", "--out", "{d}/file.txt"],
        ["export-profiles", "demo", "--out", "{d}/file.txt/profiles"],
    ],
)
def test_bad_input_one_line_exit_2_no_files(capsys, tmp_path, argv):
    (tmp_path / "file.txt").write_text("not a folder")
    code, _out, err = _run(capsys, *[a.format(d=tmp_path) for a in argv])
    assert code == 2, err
    assert err.startswith("hubplan: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_export_data_writes_file_and_sidecar(capsys, tmp_path):
    code, out, err = _run(
        capsys, "export-data", "demo", "--what", "footprints", "--out", str(tmp_path / "fp.gpkg")
    )
    assert code == 0, err
    assert "fp.gpkg.attribution.txt" in out
    assert len(gpd.read_file(tmp_path / "fp.gpkg", layer="footprints")) == 8
    assert "synthetic demo data" in (tmp_path / "fp.gpkg.attribution.txt").read_text().lower()


def test_export_data_csv_keys_and_xlsx(capsys, tmp_path):
    code, out, err = _run(
        capsys, "export-data", "demo", "--what", "areas", "--keys", "--out", str(tmp_path / "a.csv")
    )
    assert code == 0, err
    assert "a.csv-metadata.json" in out
    table = pd.read_csv(tmp_path / "a.csv")
    assert list(table.columns[:3]) == ["code", "name", "footprint"]
    code, out, err = _run(
        capsys, "export-data", "demo", "--what", "sites", "--out", str(tmp_path / "s.xlsx")
    )
    assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["Data", "About"]
    assert book["Data"]["A1"].value == "Site id"


def test_export_map_help_lists_the_layers_that_exist(capsys):
    from hubplan.cli.export_cmds import MAP_LAYERS, MAP_OVERLAYS
    from layers.overlays import OVERLAYS
    from layers.snapshot import BASE_LAYERS

    assert set(MAP_LAYERS) == set(BASE_LAYERS)
    assert set(MAP_OVERLAYS) == set(OVERLAYS)
    with pytest.raises(SystemExit):
        main(["export-map", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for layer in (*BASE_LAYERS, *OVERLAYS, "site kind"):
        assert layer in text
    code, _out, err = _run(capsys, "export-map", "demo", "--layers", "moats", "--out", "/tmp/x.png")
    assert code == 2
    for layer in ("areas", "footprints", "sites", "school", "family_hub"):
        assert layer in err


@pytest.mark.browser
def test_export_map_png(capsys, tmp_path):
    out = tmp_path / "dunmere.png"
    code, _stdout, err = _run(
        capsys,
        "export-map",
        "demo",
        "--indicator",
        "school_readiness",
        "--footprint",
        "Dunmere",
        "--layers",
        "areas",
        "footprints",
        "family_hub",
        "--out",
        str(out),
        "--width",
        "1800",
        "--height",
        "1100",
    )
    assert code == 0, err
    with Image.open(out) as img:
        assert img.size == (1800, 1100)
        arr = np.asarray(img.convert("RGB")).astype(int)
    assert (np.abs(arr - 255) > 12).any(axis=2).mean() > 0.3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dunmere.png"]


def _ink(path: Path) -> float:
    """Share of pixels that are not white."""
    with Image.open(path) as img:
        arr = np.asarray(img.convert("RGB")).astype(int)
    return float((np.abs(arr - 255) > 12).any(axis=2).mean())


@pytest.mark.browser
def test_export_map_basemap_roads_or_white(capsys, tmp_path):
    """The demo has a street network: by default its roads are drawn under the outlines;
    ``--basemap none`` leaves the background white."""
    ink = {}
    for basemap in (None, "none"):
        out = tmp_path / f"{basemap}.png"
        extra = [] if basemap is None else ["--basemap", basemap]
        size = ["--width", "800", "--height", "500"]
        argv = ["export-map", "demo", "--layers", "footprints", "--out", str(out), *size, *extra]
        code, _, err = _run(capsys, *argv)
        assert code == 0, err
        ink[basemap] = _ink(out)
    # Measured: 0.14 of the pixels with the roads, 0.03 without (footprint lines and text).
    assert ink["none"] < ink[None] - 0.03, ink


def test_export_map_basemap_roads_without_a_network_is_one_line(capsys, tmp_path, tiny_bundle):
    out = tmp_path / "map.png"
    code, _, err = _run(
        capsys, "export-map", str(tiny_bundle), "--basemap", "roads", "--out", str(out)
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--basemap roads" in lines[0] and "no road network" in lines[0]
    assert not out.exists()


@pytest.mark.browser
def test_export_profiles_pdf_per_footprint_and_index(capsys, tmp_path, tiny_bundle):
    out = tmp_path / "profiles"
    code, _stdout, err = _run(capsys, "export-profiles", str(tiny_bundle), "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["East.pdf", "West.pdf", "index.html"]
    for name in ("East.pdf", "West.pdf"):
        assert (out / name).read_bytes().startswith(b"%PDF")
    index = (out / "index.html").read_text()
    assert 'href="East.pdf"' in index and 'href="West.pdf"' in index
    assert "Tiny areas (test)" in index and "Tiny indicators (test)" in index
    # Nothing left beside the folder (the temporary build folder is gone).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles"]


def test_export_profiles_failure_leaves_nothing(capsys, tmp_path, tiny_bundle, monkeypatch):
    import layers.report
    from geo.errors import InputError

    calls = []

    def flaky(text):
        calls.append(text)
        if len(calls) == 2:
            raise InputError("Chromium failed to print the PDF")
        return b"%PDF-1.4 fake"

    monkeypatch.setattr(layers.report, "profile_report_html", lambda place, name, **kw: name)
    monkeypatch.setattr(layers.report, "html_to_pdf", flaky)
    code, _, err = _run(
        capsys, "export-profiles", str(tiny_bundle), "--out", str(tmp_path / "profiles")
    )
    assert code == 2 and "Chromium failed" in err
    assert sorted(calls) == ["East", "West"]
    assert list(tmp_path.iterdir()) == []


def test_help_for_every_export_command(capsys):
    for cmd in ("export-map", "export-data", "export-profiles"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
        assert "--out" in capsys.readouterr().out


_HOLD_TEMP_FOLDER = """
import sys, time
from pathlib import Path
from geo.place.bundle import temp_folder
with temp_folder(Path(sys.argv[1])) as tmp:
    (tmp / "East.pdf").write_bytes(b"%PDF-1.4 half written")
    print(tmp, flush=True)
    time.sleep(120)
"""


def _writer_holding_a_temp_folder(out):
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_TEMP_FOLDER, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    tmp = Path(proc.stdout.readline().strip())
    assert tmp.is_dir() and (tmp / "East.pdf").exists()
    return proc, tmp


def test_export_profiles_removes_a_killed_runs_folder_not_a_live_one(
    capsys, tmp_path, tiny_bundle, monkeypatch
):
    """A run killed with kill -9 leaves its temporary folder; the next run removes it, and
    leaves alone the folder of a run that is still writing (its lock is held)."""
    import layers.report

    out = tmp_path / "profiles"
    live, live_tmp = _writer_holding_a_temp_folder(out)
    try:
        killed, killed_tmp = _writer_holding_a_temp_folder(out)
        assert live_tmp.is_dir()  # the second writer left the first, live one alone
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=30)
        killed.stdout.close()
        assert killed_tmp.is_dir()  # kill -9: nothing removed it
        monkeypatch.setattr(layers.report, "profile_report_html", lambda place, name, **kw: name)
        monkeypatch.setattr(layers.report, "html_to_pdf", lambda text: b"%PDF-1.4 " + text.encode())
        code, _, err = _run(capsys, "export-profiles", str(tiny_bundle), "--out", str(out))
        assert code == 0, err
        assert not killed_tmp.exists()
        assert not Path(f"{killed_tmp}.lock").exists()
        assert live_tmp.is_dir() and (live_tmp / "East.pdf").exists()
        assert sorted(p.name for p in out.iterdir()) == ["East.pdf", "West.pdf", "index.html"]
    finally:
        live.kill()
        live.wait(timeout=30)
        live.stdout.close()
    # With its writer gone, the next run removes the second folder too.
    code, _, err = _run(capsys, "export-profiles", str(tiny_bundle), "--out", str(out))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles"]


def test_export_profiles_under_a_file_says_so(capsys, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "file.txt" / "profiles"
    code, _, err = _run(capsys, "export-profiles", "demo", "--out", str(out))
    assert code == 2
    assert err.strip() == f"hubplan: error: {tmp_path / 'file.txt'}: is a file, not a folder"
