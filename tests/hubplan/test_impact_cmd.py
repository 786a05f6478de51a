"""``hubplan impact``: the PDF pack and the CSV beside it; one-line errors with exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess

import pandas as pd
import pytest

from geo.build.places import open_place
from geo.siting.impact import today_hubs
from hubplan.cli.main import main


def test_impact_pack_pdf_and_csv(tmp_path, capsys, artefacts):
    demo = open_place("demo")
    hub = today_hubs(demo).index[0]
    out = tmp_path / "pack.pdf"
    code = main(
        ["impact", "demo", "--close", hub, "--mode", "walk", "--minutes", "15", "--out", str(out),
         "--keys"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "lose access within 15 min (walk)" in err and str(tmp_path) not in err
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 5_000
    table = pd.read_csv(out.with_suffix(".csv"))  # plain CSV: the header on row 1
    assert len(table) == len(demo.areas)
    assert {"area", "status", "minutes_before", "minutes_after", "decile", "footprint"} <= set(
        table.columns
    )
    assert out.with_suffix(".csv").read_bytes().startswith(b"\xef\xbb\xbfarea,name,")
    sidecar = json.loads(out.with_name("pack.csv-metadata.json").read_text())
    assert "synthetic demo data" in json.dumps(sidecar).lower()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Synthetic demo data" in text and "losing access" in text
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(out),
                str(artefacts / "impact_pack"),
            ],
            check=True,
        )


def test_impact_html_pack_names_the_losing_areas(tmp_path, capsys):
    demo = open_place("demo")
    hub = today_hubs(demo).index[0]
    out = tmp_path / "pack.html"
    assert main(["impact", "demo", "--close", hub, "--out", str(out)]) == 0
    text = out.read_text()
    assert "Synthetic demo data" in text and "<svg" in text and "By " in text
    table = pd.read_csv(out.with_suffix(".csv"))  # labels with units as headers
    status = next(c for c in table.columns if c.startswith("Access within 15 minutes"))
    assert "Minutes to the nearest hub today (minutes)" in table.columns
    losing = table.loc[table[status] == "loses access", "Small area name"]
    assert len(losing) > 0
    for name in losing.head(5):
        assert str(name) in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--close", "nope"], "--close 'nope' is not one of today's hubs"),
        (["--close", "x", "--mode", "swim"], "unknown mode 'swim'"),
        (["--close", "x", "--out", "pack.docx"], ".docx"),
    ],
)
def test_impact_bad_input(tmp_path, capsys, args, expected):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "p.pdf")]
    code = main(["impact", "demo", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert not (tmp_path / "p.pdf").exists() and not (tmp_path / "p.csv").exists()
