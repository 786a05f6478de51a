"""Faults: ``kill -9`` while a bundle is being written loses nothing and leaves it openable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from geo.bundle import read_place, write_place
from geo.demo import write_demo_sources
from geo.profile import profile_table

ROOT = Path(__file__).resolve().parent.parent


def _kill_when_temp_appears(proc: subprocess.Popen, folder: Path, *, timeout: float = 60.0) -> bool:
    """SIGKILL ``proc`` as soon as a temp bundle shows up in ``folder``; True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".place.gpkg.") for p in folder.iterdir()):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.0005)
    proc.wait()
    return False


def test_kill_during_build_keeps_previous_bundle(tmp_path):
    cfg = write_demo_sources(tmp_path / "src")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "place.gpkg"
    cmd = [sys.executable, "-m", "cli.main", "build", str(cfg), "--out", str(out), "--quiet"]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, timeout=300)
    expected = profile_table(read_place(out))

    killed = 0
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed += _kill_when_temp_appears(proc, out_dir)
        # Whatever happened, the bundle is the complete earlier one (or a complete new one).
        place = read_place(out)
        assert profile_table(place).equals(expected)
    assert killed >= 1, "the kill never landed while the bundle was being written"

    # The next write cleans up the dead writer's temp file.
    leftovers = [p for p in out_dir.iterdir() if p.name != "place.gpkg"]
    assert leftovers, "expected a temp file left by the killed writer"
    write_place(read_place(out), out)
    assert [p.name for p in out_dir.iterdir()] == ["place.gpkg"]
