"""tools/audit_latest.py: packages older than the latest release are never reported as safe."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "audit_latest", Path(__file__).resolve().parents[2] / "tools" / "audit_latest.py"
)
audit = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(audit)

ANSWERS = {
    "safe": {"info": {"version": "2.0"}, "vulnerabilities": []},
    "bad": {
        "info": {"version": "1.0"},
        "vulnerabilities": [
            {"id": "GHSA-x", "withdrawn": None},
            {"id": "OLD", "withdrawn": "2020"},
        ],
    },
    "old": {"info": {"version": "3.1"}, "vulnerabilities": []},
}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(audit, "project_json", lambda name: ANSWERS.get(name))


def test_statuses(fake):
    assert audit.check("safe", "2.0")["status"] == "checked"
    assert audit.check("bad", "1.0")["vulns"] == ["GHSA-x"]  # withdrawn advisories dropped
    old = audit.check("old", "3.0")
    assert old["status"] == "not latest" and old["vulns"] == [] and old["latest"] == "3.1"
    assert audit.check("gone", "1.0")["status"] == "no answer"


def test_exit_codes_and_report(fake, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(audit, "installed", lambda: {"safe": "2.0", "old": "3.0"})
    out = tmp_path / "audit.md"
    assert audit.main(["--out", str(out)]) == 0
    text = out.read_text()
    assert "checked (installed = latest release): 1; with known vulnerabilities: 0" in text
    assert "| old | 3.0 | 3.1 | not latest | - |" in text
    monkeypatch.setattr(audit, "installed", lambda: {"safe": "2.0", "bad": "1.0"})
    capsys.readouterr()
    assert audit.main([]) == 1
    printed = capsys.readouterr().out
    assert printed.index("| bad | 1.0 | 1.0 | checked | GHSA-x |") < printed.index("| safe |")
    monkeypatch.setattr(audit, "installed", lambda: {"gone": "1.0", "old": "3.0"})
    assert audit.main([]) == 2  # nothing could be checked
