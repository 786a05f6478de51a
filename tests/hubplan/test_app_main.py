"""app.py: the app factory, the header (place switcher, nav) and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dash
import pytest

import hubplan.web as app_module
from hubplan.web import (
    create_app,
    main,
    nav_hrefs,
    parse_args,
    place_switch_href,
    prepare_place,
    switcher_value,
)
from tests.support.tiny import write_tiny_place


@pytest.fixture(scope="module")
def demo_app():
    return create_app()


def test_create_app_uses_pages_and_has_the_map_as_home(demo_app):
    assert demo_app.title == "Locality & Hub Planner"
    assert demo_app.config.suppress_callback_exceptions
    home = [p for p in dash.page_registry.values() if p["path"] == "/"]
    assert home and home[0]["module"] == "hubplan.pages.home"
    client = demo_app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200


def test_place_switcher_follows_the_url(demo_app, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    with demo_app.server.app_context():
        assert switcher_value("") == "demo"
        assert switcher_value("?place=unknown") == "demo"
        (tmp_path / "leeds.gpkg").write_bytes(b"")
        assert switcher_value("?place=leeds&indicator=x") == "leeds"
        # Switching keeps the page but drops page state that belongs to the old place.
        assert place_switch_href("leeds", "/", "?place=demo&footprint=X") == "/?place=leeds"
        assert place_switch_href("demo", "/", "?place=demo") is dash.no_update
        assert nav_hrefs("?place=leeds", ["/", "/planner"]) == [
            "/?place=leeds",
            "/planner?place=leeds",
        ]
        assert nav_hrefs("", ["/"]) == ["/"]


def test_parse_args_defaults():
    args = parse_args([])
    assert (args.place, args.host, args.port, args.debug) == (None, "127.0.0.1", 8050, False)
    args = parse_args(["--place", "x.gpkg", "--host", "0.0.0.0", "--port", "9000", "--debug"])
    assert (args.place, args.host, args.port, args.debug) == ("x.gpkg", "0.0.0.0", 9000, True)


def test_missing_place_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["--place", str(tmp_path / "nope.gpkg")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hubplan: error:") and "nope.gpkg" in err and "\n" not in err


def test_the_place_comes_from_hubplan_place_unless_given(tmp_path, monkeypatch, capsys):
    """``hubplan serve`` and ``python app.py`` honour $HUBPLAN_PLACE as the WSGI entry does;
    --place wins over it. (Missing places, so that no server starts.)"""
    monkeypatch.setenv("HUBPLAN_PLACE", str(tmp_path / "from-env.gpkg"))
    assert main([]) == 2
    assert "from-env.gpkg" in capsys.readouterr().err
    assert main(["--place", str(tmp_path / "given.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "given.gpkg" in err and "from-env" not in err


def test_broken_bundle_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage")
    assert main(["--place", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hubplan: error:") and "broken.gpkg" in err and "\n" not in err


def test_toml_place_is_built_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE", str(tmp_path / "cache"))
    config = write_tiny_place(tmp_path / "tiny")
    spec = prepare_place(str(config))
    assert spec.endswith(".gpkg") and str(tmp_path / "cache") in spec
    mtime = (tmp_path / "cache").joinpath(spec.rsplit("/", 1)[-1]).stat().st_mtime_ns
    assert prepare_place(str(config)) == spec
    assert (tmp_path / "cache").joinpath(spec.rsplit("/", 1)[-1]).stat().st_mtime_ns == mtime


def test_lazy_server_attribute(monkeypatch):
    monkeypatch.setattr(app_module, "_lazy", {})
    server = app_module.server
    assert server is app_module._lazy["app"].server
    with pytest.raises(AttributeError):
        _ = app_module.not_a_thing


def test_help_runs_as_a_script():
    out = subprocess.run(
        [sys.executable, "app.py", "--help"],
        capture_output=True,
        text=True,
        cwd=Path(app_module.__file__).resolve().parents[1],
        timeout=60,
    )
    assert out.returncode == 0 and "--place" in out.stdout and "127.0.0.1" in out.stdout


def test_warm_up_fills_the_map_page_cache(demo_app):
    import importlib

    from geo.build.places import open_place

    home = importlib.import_module("hubplan.pages.home")
    place = open_place("demo")
    app_module.warm_up("demo").join(timeout=120)
    hit = home._base_cache.get(id(place))
    assert hit is not None and hit[0]() is place
