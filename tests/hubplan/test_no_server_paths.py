"""The dashboard never shows a server path, nor a temporary bundle as a place."""

from __future__ import annotations

import base64
import importlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from geo.errors import InputError
from hubplan.cli.main import main
from hubplan.pages import _state
from hubplan.web import create_app
from tests.support.tiny import write_tiny_place

ROOT = Path(__file__).resolve().parents[2]

HALF_WRITE = r"""
import sys, time
from pathlib import Path
from geo.place.bundle import atomic_write

def write(tmp: Path) -> None:
    tmp.write_bytes(Path(sys.argv[2]).read_bytes())  # a whole bundle, not yet renamed
    print(tmp, flush=True)
    time.sleep(120)

atomic_write(Path(sys.argv[1]), write)
"""


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A places folder holding the tiny place, with the demo as the default place."""
    folder = tmp_path / "places"
    folder.mkdir()
    assert main(["build", str(write_tiny_place(tmp_path / "src")), "--out",
                 str(folder / "tiny.gpkg"), "--quiet"]) == 0  # fmt: skip
    monkeypatch.setenv("HUBPLAN_PLACES", str(folder))
    monkeypatch.setitem(_state._fallback_default, "spec", "demo")
    return folder


@pytest.fixture(scope="module")
def indicators():
    create_app()  # pages register only after an app exists
    return importlib.import_module("hubplan.pages.indicators")


def test_a_temp_bundle_is_never_a_choice_in_the_place_switcher(places):
    # Another process is writing a bundle into the places folder (a complete GeoPackage, so
    # only its name says it is temporary).
    proc = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITE, str(places / "k.gpkg"), str(places / "tiny.gpkg")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        temp = Path(proc.stdout.readline().strip())
        assert temp.parent == places and temp.exists()
        choices = _state.place_choices()
        assert [c["value"] for c in choices] == ["demo", "tiny"]
        assert not any(".tmp" in c["label"] or ".tmp" in c["value"] for c in choices)
        for asked in (temp.name, temp.stem, str(temp)):
            _, notice = _state.open_place_safe(asked)
            assert notice is not None and "Unknown place" in notice
            assert str(places) not in notice
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert [c["value"] for c in _state.place_choices()] == ["demo", "tiny"]
    assert sorted(p.name for p in places.iterdir()) == ["tiny.gpkg"]  # the dead writer's gone


def test_a_broken_bundle_is_named_by_its_file_not_its_path(places):
    (places / "broken.gpkg").write_bytes(b"this is not a geopackage")
    _, notice = _state.open_place_safe("broken")
    assert "Could not open place file broken.gpkg" in notice
    assert str(places) not in notice and str(places.resolve()) not in notice


def test_public_text_cuts_absolute_paths_to_file_names():
    text = "/srv/hub/places/.k.gpkg.1.x.tmp.gpkg: not a place (see /srv/hub/places/a.csv)"
    assert _state.public_text(text) == ".k.gpkg.1.x.tmp.gpkg: not a place (see a.csv)"
    kept = "see https://example.org/a/b.html, data/places/x.gpkg and 1/2/3"
    assert _state.public_text(kept) == kept


def _upload(indicators, state, path: Path):
    contents = "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()
    return indicators.store(
        1, contents, "ind.csv", "area", "pop", "pop_again", "Population again", "count",
        None, None, None, None, [], None, None, None, state,
    )  # fmt: skip


def _text(component) -> str:
    return str(component.to_plotly_json())


def test_upload_errors_name_no_server_path(indicators, places, monkeypatch):
    where = places / "tiny.gpkg"

    def refuses(path, *a, **k):
        raise InputError("cannot save here", path=Path(path).resolve())

    monkeypatch.setattr(indicators, "store_upload", refuses)
    shown = _text(_upload(indicators, {"place": "tiny"}, places.parent / "src" / "ind.csv"))
    assert "tiny.gpkg: cannot save here" in shown
    assert str(where.parent) not in shown


def test_upload_on_a_full_disk_is_one_message_not_a_server_error(indicators, places, monkeypatch):
    from geo.place.edits import EditStore

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(EditStore, "append", full)
    shown = _text(_upload(indicators, {"place": "tiny"}, places.parent / "src" / "ind.csv"))
    assert "ind.csv: nothing was stored: the disk is full on the server." in shown
    assert str(places) not in shown


def test_what_the_browser_gets_holds_no_server_path(places):
    """The served layout (with the place switcher) and a page asked for a broken place."""
    from tests.support.dash_http import flask_post, router_body

    (places / "broken.gpkg").write_bytes(b"this is not a geopackage")
    client = create_app().server.test_client()
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"tiny"' in layout and '"broken"' in layout  # the switcher offers them by key
    status, body = flask_post(client)("/_dash-update-component", router_body("/", "?place=broken"))
    assert status == 200
    text = body if isinstance(body, str) else body.decode()
    assert "broken.gpkg" in text  # the notice names the file...
    for secret in {str(places), str(places.resolve()), str(places.parent)}:
        assert secret not in layout and secret not in text  # ...never where it is
