"""The hubplan CLI: help everywhere, one-line errors with exit code 2, profile output."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hubplan.cli.main import build_parser, main
from tests.support.tiny import TOML, write_tiny_place

HUBPLAN = [sys.executable, "-m", "hubplan"]
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*HUBPLAN, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_subcommand_has_help(capsys):
    names = subcommands()
    assert {"build", "info", "profile"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: hubplan " + name in capsys.readouterr().out


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: (d / "ind.csv").unlink(), "ind.csv: file not found"),
        (
            lambda d: (d / "place.toml").write_text(
                TOML.replace('kind = "mean"', 'kind = "median"')
            ),
            "'median' is not a known indicator kind",
        ),
        (
            lambda d: (d / "place.toml").write_text(
                TOML.replace('weight = "population"', 'weight = "people"')
            ),
            "weight = 'people' is not an indicator key",
        ),
        (
            lambda d: (d / "place.toml").write_text(TOML.replace('name = "fp"', 'name = "zone"')),
            "column 'zone' (for footprints.name) not found",
        ),
        (lambda d: (d / "place.toml").write_text("name = [unclosed"), "not valid TOML"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, edit, expected):
    cfg = write_tiny_place(tmp_path)
    edit(tmp_path)
    proc = run("build", str(cfg), "--out", str(tmp_path / "out.gpkg"))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hubplan: error: ") and expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.gpkg").exists()


def test_build_info_profile_round_trip(tmp_path):
    cfg = write_tiny_place(tmp_path / "src")
    out = tmp_path / "tiny.gpkg"
    proc = run("build", str(cfg), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "built" in proc.stdout and "12 areas" in proc.stdout
    info = run("info", str(out))
    assert info.returncode == 0 and "Tiny" in info.stdout and "event_rate" in info.stdout
    csv = run("profile", str(out), "--format", "csv", "--keys")
    assert csv.returncode == 0
    table = pd.read_csv(io.StringIO(csv.stdout))
    assert list(table["footprint"]) == ["East", "West", "All areas"]
    assert table.set_index("footprint").loc["All areas", "population"] == sum(
        1000 + 100 * n for n in range(1, 13)
    )
    js = tmp_path / "p.json"
    assert run("profile", str(out), "--format", "json", "--out", str(js)).returncode == 0
    payload = json.loads(js.read_text())
    assert payload["rows"][0]["footprint"] == "East" and payload["place"] == "Tiny"


def test_profile_bad_extension_and_footprint(tmp_path):
    out = tmp_path / "tiny.gpkg"
    run("build", str(write_tiny_place(tmp_path / "src")), "--out", str(out))
    proc = run("profile", str(out), "--format", "csv", "--out", str(tmp_path / "p.xlsx"))
    assert proc.returncode == 2 and "unsupported extension '.xlsx'" in proc.stderr
    proc = run("profile", str(out), "--format", "xlsx")
    assert proc.returncode == 2 and "give --out FILE.xlsx" in proc.stderr
    proc = run("profile", str(out), "--footprint", "Nowhere")
    assert proc.returncode == 2 and "unknown footprint 'Nowhere'" in proc.stderr
    proc = run("info", str(tmp_path / "missing.gpkg"))
    assert (
        proc.returncode == 2
        and "missing.gpkg" in proc.stderr
        and len(proc.stderr.strip().splitlines()) == 1
    )
