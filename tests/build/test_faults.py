"""Faults: ``kill -9`` while a bundle is built, a scenario is saved or an indicator is uploaded
loses nothing saved before and leaves everything openable; a truncated bundle is a notice
naming the file in the dashboard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from geo.datasets.demo import write_demo_sources
from geo.indicators.profile import profile_table
from geo.place.bundle import read_place, write_place

ROOT = Path(__file__).resolve().parents[2]


def _kill_when_temp_appears(proc: subprocess.Popen, folder: Path, *, timeout: float = 60.0) -> bool:
    """SIGKILL ``proc`` as soon as a temp bundle shows up in ``folder``; True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".place.gpkg.") for p in folder.iterdir()):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.0005)
    if proc.poll() is None:  # never saw a temp file in time: stop it anyway
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return False


def test_kill_during_build_keeps_previous_bundle(tmp_path):
    cfg = write_demo_sources(tmp_path / "src")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "place.gpkg"
    cmd = [sys.executable, "-m", "hubplan", "build", str(cfg), "--out", str(out), "--quiet"]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, timeout=300)
    expected = profile_table(read_place(out))

    killed, last_killed = 0, False
    for _ in range(8):  # until two kills have landed, the last run's included
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        last_killed = _kill_when_temp_appears(proc, out_dir)
        killed += last_killed
        # Whatever happened, the bundle is the complete earlier one (or a complete new one).
        place = read_place(out)
        assert profile_table(place).equals(expected)
        if killed >= 2 and last_killed:
            break
    assert killed >= 2 and last_killed, "the kill never landed while the bundle was being written"

    # The next write cleans up the dead writer's temp file.
    leftovers = [p for p in out_dir.iterdir() if p.name != "place.gpkg"]
    assert leftovers, "expected a temp file left by the killed writer"
    write_place(read_place(out), out)
    assert [p.name for p in out_dir.iterdir()] == ["place.gpkg"]


# --------------------------------------------------------------------------- scenario saves

SAVE_LOOP = r"""
import sys
from geo.siting.scenarios import Scenario, ScenarioStore

store = ScenarioStore(path=sys.argv[1])
start = int(sys.argv[2])
for i in range(start, start + 100000):
    hubs = [f"H{i}-{k}" for k in range(5)]
    results = {"covered_share": (i % 100) / 100,
               "area_minutes": {f"A{j:05d}": (i + j) % 37 for j in range(400)}}
    store.save("demo", Scenario(name=f"s{i}", objective="coverage", hubs=hubs, mode="walk",
                                minutes=15.0, params={"i": i}, results=results))
    print(i, flush=True)
"""


def _expected_scenario(i: int) -> tuple[list[str], dict]:
    return [f"H{i}-{k}" for k in range(5)], {
        "covered_share": (i % 100) / 100,
        "area_minutes": {f"A{j:05d}": (i + j) % 37 for j in range(400)},
    }


def test_kill_during_scenario_saves_loses_no_saved_scenario(tmp_path):
    import sqlite3

    from geo.siting.scenarios import ScenarioStore

    db = tmp_path / "place.scenarios.sqlite"
    saved: list[int] = []
    start = 0
    for delay in (0.8, 1.3, 2.1):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(db), str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # Wait for the first save to return, then let it run and kill it mid-loop.
        first = proc.stdout.readline()
        assert first.strip(), "the save loop did not start"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        rest = proc.communicate()[0]
        assert proc.returncode == -signal.SIGKILL  # killed mid-loop, not finished
        done = [int(x) for x in (first + rest).split()]
        assert len(done) >= 2  # it was saving when killed
        saved += done
        start = done[-1] + 2  # leave a gap: the killed save may or may not have committed

        # Every save that returned is there, complete; the database is sound.
        store = ScenarioStore(path=db)
        names = set(store.names("demo"))
        assert {f"s{i}" for i in saved} <= names
        for i in saved[:: max(1, len(saved) // 25)] + saved[-3:]:
            sc = store.load("demo", f"s{i}")
            hubs, results = _expected_scenario(i)
            assert sc.hubs == hubs and sc.results == results and sc.params == {"i": i}
        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
    # A store opened after the kills still saves.
    from geo.siting.scenarios import Scenario

    ScenarioStore(path=db).save("demo", Scenario(name="after", objective="coverage", hubs=["X"]))
    assert "after" in ScenarioStore(path=db).names("demo")


# --------------------------------------------------------------------------- indicator uploads

UPLOAD_LOOP = r"""
import sys
from geo.place.bundle import read_place
from geo.place.config import Indicator
from geo.indicators.uploads import store_upload

path = sys.argv[1]
codes = list(read_place(path).areas.index)
for i in range(int(sys.argv[2]), 1000):
    data = ("code,n\n" + "".join(f"{c},{i * 1000 + k}\n" for k, c in enumerate(codes))).encode()
    ind = Indicator(key=f"up{i}", label=f"Upload {i}", kind="count", column=f"up{i}")
    store_upload(path, data, filename=f"up{i}.csv", code_column="code", value_column="n", indicator=ind)
    print(i, flush=True)
"""


def test_kill_during_indicator_upload_keeps_bundle_and_earlier_uploads(tmp_path):
    from tests.support.bundles import demo_copy

    folder = tmp_path / "places"
    path = demo_copy(folder, "place.gpkg")
    original = read_place(path)
    expected = profile_table(original)
    n = len(original.areas)
    stored: list[int] = []
    killed = 0
    start = 0
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", UPLOAD_LOOP, str(path), str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # Let at least one upload finish, then kill while the next one's temp bundle exists.
        first = proc.stdout.readline()
        assert first.strip(), "the upload loop did not start"
        killed += _kill_when_temp_appears(proc, folder)
        done = [int(x) for x in (first + proc.stdout.read()).split()]
        stored += done
        start = done[-1] + 2

        place = read_place(path)  # opens: never half-written
        for i in stored:
            assert place.areas[f"up{i}"].sum() == sum(i * 1000 + k for k in range(n))
            assert place.catalogue[f"up{i}"].source == f"uploaded: up{i}.csv"
        cols = [c for c in expected.columns if c in profile_table(place).columns]
        assert profile_table(place)[cols].equals(expected[cols])  # earlier data intact
    assert killed >= 1, "the kill never landed while an upload was being written"


# --------------------------------------------------------------------------- broken bundles in the dashboard


def test_truncated_bundle_is_a_notice_naming_the_file_in_the_dashboard(tmp_path, monkeypatch):
    import json

    from geo.build.places import demo_bundle_path
    from hubplan.web import create_app
    from tests.support.dash_http import router_body, texts

    folder = tmp_path / "places"
    folder.mkdir()
    data = demo_bundle_path().read_bytes()
    (folder / "cut.gpkg").write_bytes(data[: len(data) // 2])
    monkeypatch.setenv("HUBPLAN_PLACES", str(folder))
    client = create_app().server.test_client()
    for page in ("/", "/profile/none", "/compare", "/indicators"):
        r = client.post(
            "/_dash-update-component",
            data=json.dumps(router_body(page, "?place=cut")),
            content_type="application/json",
        )
        assert r.status_code == 200
        words = " ".join(texts(json.loads(r.data)["response"]["_pages_content"]["children"]))
        assert "Could not open place file" in words and "cut.gpkg" in words, (page, words[:400])
        assert "Traceback" not in words
