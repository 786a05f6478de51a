"""Shared test harness: real-data location, browser (Dash testing) set-up, artefacts folder.

Environment (read when a test runs, not at import):

* ``HUBPLAN_SHARED_DATA``: folder of the real Wigan data (default ``<repo>/../shared/data/wigan``).
* ``REQUIRE_SHARED_DATA=1``: a missing real-data folder fails the test instead of skipping it.
* ``REQUIRE_BROWSER=1``: missing ``chromium``/``chromedriver`` fails browser tests instead of
  skipping them.
* ``DASH_TEST_CHROMEPATH``: Chromium binary to use (dash's own variable; default
  ``/usr/bin/chromium`` when it exists).

Markers: ``@pytest.mark.shared_data`` and ``@pytest.mark.browser``. Any test that uses one of
dash's browser fixtures (``dash_duo``, ``dash_br``, ...) is treated as a browser test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared" / "data" / "wigan"
CHROMIUM_DEFAULT = Path("/usr/bin/chromium")

BROWSER_FIXTURES = frozenset({"dash_duo", "dash_duo_mp", "dash_br", "dashr", "dashjl"})

_config: pytest.Config | None = None

# A checkout keeps its cache (the demo bundle, built once) and places in data/, as `make run`
# does; the installed package defaults to the user's folders (geo.settings). Subprocesses that
# tests start inherit these.
os.environ.setdefault("HUBPLAN_CACHE", str(REPO_ROOT / "data" / "cache"))
os.environ.setdefault("HUBPLAN_PLACES", str(REPO_ROOT / "data" / "places"))


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def shared_data_dir() -> Path:
    """Where the real Wigan data is expected (env ``HUBPLAN_SHARED_DATA`` overrides)."""
    override = os.environ.get("HUBPLAN_SHARED_DATA", "").strip()
    return Path(override).expanduser().resolve() if override else SHARED.resolve()


def _shared_data_problem(path: Path) -> str | None:
    if not path.exists():
        return "folder does not exist"
    if not path.is_dir():
        return "not a folder"
    if not any(path.iterdir()):
        return "folder is empty"
    return None


def require_shared_data() -> Path:
    """Return the real-data folder, or skip (fail under ``REQUIRE_SHARED_DATA=1``)."""
    path = shared_data_dir()
    problem = _shared_data_problem(path)
    if problem is None:
        return path
    msg = (
        f"real Wigan data not found at {path}: {problem} "
        "(set HUBPLAN_SHARED_DATA to its folder, or put the shared/ checkout beside the repo)"
    )
    if _env_flag("REQUIRE_SHARED_DATA"):
        pytest.fail(f"{msg}; REQUIRE_SHARED_DATA=1 so this is an error", pytrace=False)
    pytest.skip(msg)


def _browser_problem() -> str | None:
    chrome = os.environ.get("DASH_TEST_CHROMEPATH")
    missing = []
    if chrome:
        if not (Path(chrome).is_file() and os.access(chrome, os.X_OK)):
            missing.append(f"DASH_TEST_CHROMEPATH={chrome} (not an executable file)")
    elif not (shutil.which("chromium") or CHROMIUM_DEFAULT.exists()):
        missing.append("chromium (not on PATH)")
    if not shutil.which("chromedriver"):
        missing.append("chromedriver (not on PATH)")
    if missing:
        return "missing: " + ", ".join(missing)
    return None


def require_browser() -> None:
    """Skip (fail under ``REQUIRE_BROWSER=1``) when Chromium or ChromeDriver is missing."""
    problem = _browser_problem()
    if problem is None:
        return
    msg = (
        f"browser test needs chromium + chromedriver, {problem} "
        "(install Debian's chromium and chromium-driver; .ci/run does)"
    )
    if _env_flag("REQUIRE_BROWSER"):
        pytest.fail(f"{msg}; REQUIRE_BROWSER=1 so this is an error", pytrace=False)
    pytest.skip(msg)


def _is_browser_test(item: pytest.Item) -> bool:
    if item.get_closest_marker("browser") is not None:
        return True
    return bool(BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())))


# --------------------------------------------------------------------------- hooks


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests using dash's browser fixtures get the ``browser`` marker, so ``-m "not browser"``
    # deselects them too.
    for item in items:
        if item.get_closest_marker("browser") is None and _is_browser_test(item):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before fixtures are set up, so a missing browser skips before dash starts a server.
    if item.get_closest_marker("shared_data") is not None:
        require_shared_data()
    if _is_browser_test(item):
        require_browser()


def pytest_setup_options():
    """dash[testing] hook: the Chrome options its browser fixtures start Chromium with."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if "DASH_TEST_CHROMEPATH" not in os.environ and CHROMIUM_DEFAULT.exists():
        options.binary_location = str(CHROMIUM_DEFAULT)
    for arg in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--run-all-compositor-stages-before-draw",
        "--enable-unsafe-swiftshader",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    # With no screen, a run without --headless would fail to start Chromium at all.
    headless_flag = _config is not None and _config.getoption("headless", default=False)
    if not headless_flag and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        options.add_argument("--headless")
    return options


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def wigan_dir() -> Path:
    """The real Wigan data folder; skips (or fails under REQUIRE_SHARED_DATA=1) if absent."""
    return require_shared_data()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """``<repo>/test-artefacts/``, created; for screenshots and other outputs to look at."""
    path = REPO_ROOT / "test-artefacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def copy_place_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable demo copy listed in data/places (key ``demo-copy``)."""
    from tests.support.bundles import demo_copy

    monkeypatch.setenv("HUBPLAN_PLACES", str(tmp_path))
    return demo_copy(tmp_path)
