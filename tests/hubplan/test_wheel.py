"""The wheel installs and runs on its own (issue 12).

The project is built into a wheel, installed without dependencies into a temporary folder, and
the dashboard is served from that install in another folder: the page and every asset it links
must load, the CLI runs as ``python -m hubplan``, and nothing is written into the install
folder (the cache goes to the user's cache folder from platformdirs).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.proc import like_a_terminal

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = {"geo", "layers", "hubplan"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("hubplan-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def _env(target: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBPLAN_")}
    env.update(
        PYTHONPATH=str(target),
        PYTHONDONTWRITEBYTECODE="1",
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        HOME=str(home),
    )
    return env


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_wheel_installs_only_our_three_packages_with_assets_and_markers(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == TOP_LEVEL
    for asset in (ROOT / "assets").iterdir():
        if asset.is_file():
            assert f"hubplan/assets/{asset.name}" in names
    for package in TOP_LEVEL:
        assert f"{package}/py.typed" in names
    assert "layers/templates/profile_report.html.j2" in names  # the profile report template
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "hubplan = hubplan.cli.main:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {"hubplan.assets"}
    for top in TOP_LEVEL:
        for init in (ROOT / top).rglob("__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT).parts))
    assert listed == found


def test_cli_runs_from_the_installed_wheel_in_another_folder(installed, tmp_path):
    env = _env(installed, tmp_path)
    where = subprocess.run(
        [sys.executable, "-c", "import geo, hubplan, layers; print(geo.__file__, hubplan.__file__, "
         "layers.__file__, hubplan.__version__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    *files, version = where.stdout.split()
    assert all(f.startswith(str(installed)) for f in files), files
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version)
    proc = subprocess.run(
        [sys.executable, "-m", "hubplan", "--version"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == f"hubplan {version}"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_installed_wheel_serves_the_demo_with_every_asset(installed, tmp_path):
    before = _files(installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubplan", "serve", "--port", str(port)],
        env=_env(installed, tmp_path), cwd=elsewhere,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=like_a_terminal,  # stopped with Ctrl+C below
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        status, page = 0, b""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, page = _get(base + "/")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert status == 200
        html = page.decode()
        links = re.findall(r'<link[^>]+href="([^"]+)"', html) + re.findall(
            r'<script[^>]+src="([^"]+)"', html
        )
        assets = [u for u in links if u.startswith("/assets/")]
        assert {u.split("?")[0] for u in assets} >= {
            "/assets/hubplan.css",
            "/assets/url_state.js",
        }, links
        for url in links:
            if url.startswith("/"):
                assert _get(base + url)[0] == 200, url
        # The warm-up thread builds the demo into the user's cache folder (platformdirs).
        cache = tmp_path / "cache" / "hubplan"
        while time.monotonic() < deadline and not list(cache.glob("demo-*.gpkg")):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
        assert list(cache.glob("demo-*.gpkg")), "demo not built in the user cache"
        assert _get(base + "/_dash-layout")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()  # an open pipe is a ResourceWarning (warnings fail tests)
    assert _files(installed) == before, "the running app wrote into the install folder"
    assert not any(elsewhere.iterdir()), "the app wrote into the working folder"
