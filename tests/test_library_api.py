"""The library API: every ``__all__`` name exists, ``geo`` stays free of Dash/Plotly and cheap.

Imports are checked in fresh interpreters (``sys.modules`` of this test process already holds
whatever other tests imported).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = (
    "geo.place",
    "geo.network",
    "geo.datasets",
    "geo.indicators",
    "geo.siting",
    "geo.clusters",
    "geo.export",
    "geo.build",
)
FORBIDDEN = ("dash", "plotly", "flask", "layers", "hubplan")


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter from the repo root; it prints one JSON line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str]) -> str:
    return f"""
import importlib, json, sys
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("package", ["geo", *SUBPACKAGES])
def test_every_public_name_exists(package):
    module = importlib.import_module(package)
    names = module.__all__
    assert names, f"{package}.__all__ is empty"
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{package}.__all__ names missing attributes: {missing}"


@pytest.mark.parametrize("package", ["geo", *SUBPACKAGES])
def test_package_has_a_docstring_naming_its_modules(package):
    module = importlib.import_module(package)
    doc = module.__doc__ or ""
    assert len(doc.splitlines()) > 5, f"{package} needs a real module docstring"
    if package != "geo":
        assert "Modules\n-------" in doc, f"{package}'s docstring should list its modules"


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_exports_do_not_hide_its_modules(package):
    """``from geo.clusters import hotspots`` must stay the module, never a function."""
    folder = ROOT / Path(*package.split("."))
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    module = importlib.import_module(package)
    for name in set(module.__all__) & modules:
        assert type(getattr(module, name)).__name__ == "module", f"{package}.{name}"


def test_top_level_lists_the_notebook_names():
    import geo

    for name in (
        "open_place",
        "build_place",
        "build_bundle",
        "Place",
        "load_config",
        "profile_table",
        "footprint_profile",
        "isochrones",
        "access_table",
        "SitingProblem",
        "run_plan",
        "regionalize",
        "hotspots",
        "compute_need_index",
        "export_data",
        "InputError",
        "ConfigError",
        "DataError",
        "NetworkError",
        "__version__",
    ):
        assert name in geo.__all__, name
    assert 25 <= len(geo.__all__) <= 45
    assert geo.SitingProblem is importlib.import_module("geo.siting.problem").SitingProblem
    assert geo.siting is importlib.import_module("geo.siting")
    assert {"siting", "open_place"} <= set(dir(geo))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = geo.no_such_name


def _type_checking_names(tree: ast.Module) -> dict[str, str]:
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            return {
                alias.asname or alias.name: stmt.module
                for stmt in node.body
                if isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names
            }
    raise AssertionError("geo/__init__.py has no TYPE_CHECKING block")


def test_lazy_names_match_all_and_the_type_checking_block():
    import geo

    tree = ast.parse((ROOT / "geo" / "__init__.py").read_text(encoding="utf-8"))
    eager = {"ConfigError", "DataError", "InputError", "NetworkError"}
    assert set(geo.__all__) == eager | set(geo._LAZY)
    assert _type_checking_names(tree) == geo._LAZY


def test_geo_and_its_subpackages_import_without_dash_or_plotly():
    loaded = _run(_loaded(["geo", *SUBPACKAGES]))
    code = "import geo, json, sys; from geo import *; print(json.dumps(sorted(sys.modules)))"
    loaded += _run(code)
    bad = sorted({m for m in loaded if m.split(".")[0] in FORBIDDEN})
    assert not bad, f"geo imported {bad}"


def test_import_geo_is_cheap():
    """``import geo`` loads no scientific stack until a name is used (and never osmnx/kaleido)."""
    loaded = set(_run(_loaded(["geo"])))
    assert not loaded & {"geopandas", "pandas", "numpy", "scipy", "shapely"}
    assert "geo.errors" in loaded
    heavy = set(_run(_loaded(["geo.build", "geo.export", "geo.siting", "geo.clusters"])))
    assert not heavy & {"osmnx", "kaleido", "esda", "spopt", "psycopg"}
